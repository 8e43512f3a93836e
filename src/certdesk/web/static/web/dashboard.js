/* Dashboard charts (issue 8): reads the figures from the JSON block the page carries
 * (<script type="application/json" id="dashboard-data">, data only: the CSP runs no inline
 * script) and draws them with the vendored Chart.js. Each bar or slice opens the filtered list
 * behind it; the same figures are in the tables next to the charts for screen readers and
 * for browsers without JavaScript.
 */
(function () {
  "use strict";

  function readData() {
    var source = document.getElementById("dashboard-data");
    if (!source) {
      return null;
    }
    try {
      return JSON.parse(source.textContent);
    } catch (error) {
      return null;
    }
  }

  function options(spec) {
    var horizontal = Boolean(spec.horizontal);
    var opts = {
      responsive: true,
      maintainAspectRatio: false,
      // No animation: figures appear at once (and screenshots never catch a bar half-grown).
      animation: false,
      plugins: {
        legend: { display: spec.type === "doughnut", position: "right" }
      },
      onClick: function (event, elements) {
        if (elements && elements.length && spec.links) {
          var link = spec.links[elements[0].index];
          if (link) {
            window.location.assign(link);
          }
        }
      },
      onHover: function (event, elements) {
        var target = event.native && event.native.target;
        if (target) {
          target.style.cursor = elements && elements.length ? "pointer" : "default";
        }
      }
    };
    if (spec.type === "bar") {
      opts.indexAxis = horizontal ? "y" : "x";
      var valueAxis = { beginAtZero: true, ticks: { precision: 0 } };
      opts.scales = horizontal ? { x: valueAxis } : { y: valueAxis };
    }
    return opts;
  }

  function draw() {
    var data = readData();
    if (!data || typeof window.Chart === "undefined") {
      return;
    }
    var canvases = document.querySelectorAll("canvas[data-chart]");
    Array.prototype.forEach.call(canvases, function (canvas) {
      var spec = data[canvas.getAttribute("data-chart")];
      if (!spec) {
        return;
      }
      var colours = spec.colours || [];
      new window.Chart(canvas, {
        type: spec.type,
        data: {
          labels: spec.labels,
          datasets: [{
            label: spec.label,
            data: spec.values,
            backgroundColor: colours.length === 1 ? colours[0] : colours,
            borderWidth: spec.type === "doughnut" ? 1 : 0
          }]
        },
        options: options(spec)
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();

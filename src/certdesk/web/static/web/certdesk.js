/* certdesk portal behaviour: the confirmation <dialog>. No inline script anywhere (CSP).
 *
 * Links marked `data-dialog` load their confirmation page through HTMX (hx-get, target
 * #portal-dialog-body); once the fragment is in, the dialog opens. Without JavaScript the
 * same links simply open the confirmation page.
 */
(function () {
  "use strict";

  function dialog() {
    return document.getElementById("portal-dialog");
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var d = dialog();
    if (!d || !event.detail || event.detail.target.id !== "portal-dialog-body") {
      return;
    }
    if (!d.open && typeof d.showModal === "function") {
      d.showModal();
    }
    var first = d.querySelector("input:not([type=hidden]), textarea, select, button");
    if (first) {
      first.focus();
    }
  });

  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-dialog-close]");
    var d = dialog();
    if (closer && d && d.open && d.contains(closer)) {
      event.preventDefault();
      d.close();
    }
  });

  document.addEventListener("close", function (event) {
    if (event.target && event.target.id === "portal-dialog") {
      var body = document.getElementById("portal-dialog-body");
      if (body) {
        body.replaceChildren();
      }
    }
  }, true);
})();

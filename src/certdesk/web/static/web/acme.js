/* ACME account page: "Copy" buttons for the ACME URL, Key ID, HMAC key and certbot command
 * (buttons marked data-copy="<id of the element to copy>"). No inline script (CSP). */
(function () {
  "use strict";

  function announce(button) {
    var box = button.closest("#acme-credentials");
    var status = box ? box.querySelector("[data-copy-status]") : null;
    if (status) {
      status.textContent = status.getAttribute("data-copy-status");
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) {
      return;
    }
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) {
      return;
    }
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      announce(button);
    });
  });
})();

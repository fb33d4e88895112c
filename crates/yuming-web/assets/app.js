// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Ask before destructive actions: <form data-confirm="…">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    // A second click while the first submit is on its way would only be refused.
    var buttons = form.querySelectorAll("button[type=submit]");
    window.setTimeout(function () {
      buttons.forEach(function (b) { b.disabled = true; });
    }, 0);
  });
  // The phone menu.
  var toggle = document.querySelector(".menu-toggle");
  if (toggle) {
    toggle.addEventListener("click", function (event) {
      event.preventDefault();
      var shell = document.querySelector(".shell");
      if (shell) {
        var open = shell.classList.toggle("menu-open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      }
    });
  }
  // Copy buttons: <button data-copy="text">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (button && navigator.clipboard) {
      navigator.clipboard.writeText(button.getAttribute("data-copy"));
    }
  });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch(function () {});
  }
})();

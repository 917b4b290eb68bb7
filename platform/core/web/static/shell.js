// The staff shell's keyboard and small-screen behaviour (no inline script: the CSP forbids it).
// "/" focuses the header's search; Escape closes its live results; the menu button folds the
// navigation on narrow screens (without script the navigation simply stays open).
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");
  document.addEventListener("keydown", function (e) {
    var q = document.getElementById("header-q");
    if (!q) return;
    var t = e.target;
    var typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
    if (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      q.focus();
      q.select();
    } else if (e.key === "Escape") {
      var live = document.getElementById("search-live");
      if (live && live.innerHTML.trim()) {
        live.innerHTML = "";
        q.focus();
      }
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector(".menu-toggle");
    var menu = document.getElementById("site-menu");
    if (!button || !menu) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") === "true";
      button.setAttribute("aria-expanded", open ? "false" : "true");
      menu.classList.toggle("open", !open);
    });
  });
})();

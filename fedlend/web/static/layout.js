/* Small screens: the Menu button opens and closes the main menu; every table cell learns its
   column header (data-label), which the phone layout shows when tables become cards; each
   [data-copy] value gets a Copy button (the full value, however it is shortened on screen). */
(function () {
  "use strict";
  var toggle = document.getElementById("menu-toggle");
  var nav = document.getElementById("main-nav");
  if (toggle && nav) {
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  document.querySelectorAll("table").forEach(function (table) {
    var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    if (!heads.length) { return; }
    table.classList.add("cards-on-phone");
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.prototype.forEach.call(row.children, function (cell, i) {
        if (heads[i] && !cell.hasAttribute("data-label")) { cell.setAttribute("data-label", heads[i]); }
      });
    });
  });
  document.querySelectorAll("[data-copy]").forEach(function (el) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy " + (el.getAttribute("data-copy-label") || "value"));
    button.addEventListener("click", function () {
      var value = el.getAttribute("data-copy");
      var done = function () { button.textContent = "Copied"; };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(value).then(done, function () { button.textContent = "Select and copy"; });
      }
    });
    el.insertAdjacentElement("afterend", button);
  });
})();

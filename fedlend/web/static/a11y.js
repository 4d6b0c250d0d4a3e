/* Form errors for assistive technology, on every page: each field with a server-side error
   (<p class="field-error" id="error-NAME">) gets aria-invalid and aria-describedby pointing at its
   message, and focus moves to the error summary (.error-summary) so a screen reader reads it. */
(function () {
  "use strict";
  document.querySelectorAll(".field-error[id^='error-']").forEach(function (message) {
    var name = message.id.slice("error-".length);
    var field = document.getElementById(name) || document.querySelector("[name='" + name + "']");
    if (!field) { return; }
    field.setAttribute("aria-invalid", "true");
    var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (described.indexOf(message.id) < 0) { described.push(message.id); }
    field.setAttribute("aria-describedby", described.join(" "));
  });
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }
})();

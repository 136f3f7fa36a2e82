/* Keyboard shortcuts of the review console: an element with data-key="x" is clicked (or focused,
   for inputs and data-focus-only elements) when x is pressed outside a text field. */
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) { return; }
    var target = event.target;
    var tag = target && target.tagName ? target.tagName.toUpperCase() : "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) {
      if (event.key === "Escape") { target.blur(); }
      return;
    }
    var element = document.querySelector('[data-key="' + event.key.replace(/["\\]/g, "") + '"]');
    if (!element || element.disabled || element.closest("fieldset[disabled]")) { return; }
    event.preventDefault();
    var focusOnly = element.tagName === "INPUT" || element.tagName === "SELECT" || element.hasAttribute("data-focus-only");
    if (focusOnly) { element.focus(); if (element.select) { element.select(); } } else { element.click(); }
  });
}());

// Days are typed dd/mm/yyyy (core.forms.DateInput). Where the browser can open a date
// input's picker from script, a button beside the box opens it, and the day picked is
// written back into the box as dd/mm/yyyy: the picker's own display follows the browser's
// language (mm/dd/yyyy in English), the box never does.
(function () {
  "use strict";

  // "25/11/2026" (or "2026-11-25") -> "2026-11-25"; "" when it is not a day.
  function isoDay(text) {
    var found = /^\s*(\d{1,2})[\/.-](\d{1,2})[\/.-](\d{4})\s*$/.exec(text);
    if (found) {
      return found[3] + "-" + ("0" + found[2]).slice(-2) + "-" + ("0" + found[1]).slice(-2);
    }
    found = /^\s*(\d{4})-(\d{2})-(\d{2})\s*$/.exec(text);
    return found ? found[0].trim() : "";
  }

  // "2026-11-25" -> "25/11/2026"
  function writtenDay(iso) {
    var parts = iso.split("-");
    return parts.length === 3 ? parts[2] + "/" + parts[1] + "/" + parts[0] : "";
  }

  function wire(holder) {
    var box = holder.querySelector("input[data-day]");
    var picker = holder.querySelector(".day-input__picker");
    var button = holder.querySelector(".day-input__button");
    if (!box || !picker || !button || holder.dataset.wired) return;
    if (typeof picker.showPicker !== "function") return;  // typing stays the way
    holder.dataset.wired = "1";
    button.hidden = false;
    button.addEventListener("click", function () {
      picker.value = isoDay(box.value);
      try {
        picker.showPicker();
      } catch (error) {
        box.focus();  // no picker after all (a frame, a browser's policy): type the day
      }
    });
    // The picker's own events stay here: it has no name, the form is about the box.
    picker.addEventListener("input", function (event) { event.stopPropagation(); });
    picker.addEventListener("change", function (event) {
      event.stopPropagation();
      if (!picker.value) return;
      box.value = writtenDay(picker.value);
      // as if typed: a list that filters as one types (hx-trigger "input") or on a change
      box.dispatchEvent(new Event("input", {bubbles: true}));
      box.dispatchEvent(new Event("change", {bubbles: true}));
      box.focus();
    });
  }

  // A list that filters as one types would ask for "1/10/202" half-way through typing
  // "1/10/2026" and answer that it is not a day: while the day box being typed in holds
  // half a day, a request its typing (or an earlier keystroke's pause) set off waits for
  // the rest. Another box's typing, a submit or a whole day go through.
  document.addEventListener("htmx:confirm", function (event) {
    var typing = document.activeElement;
    var trigger = event.detail.triggeringEvent;
    if (!trigger || trigger.type !== "input" || !typing || !typing.matches) return;
    if (typing.matches("input[data-day]") && event.detail.elt.contains(typing) &&
        typing.value.trim() !== "" && !isoDay(typing.value)) {
      event.preventDefault();
    }
  });

  function wireAll(root) {
    if (!root.querySelectorAll) return;
    Array.prototype.forEach.call(root.querySelectorAll(".day-input"), wire);
  }

  if (window.htmx) {
    window.htmx.onLoad(wireAll);  // the page, and every part htmx swaps in
  } else {
    document.addEventListener("DOMContentLoaded", function () { wireAll(document); });
  }
})();

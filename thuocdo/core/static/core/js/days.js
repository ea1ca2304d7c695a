// Days are typed dd/mm/yyyy (core.forms.DateInput). Where the browser can open a date
// input's picker from script, a button beside the box opens it, and the day picked is
// written back into the box as dd/mm/yyyy: the picker's own display follows the browser's
// language (mm/dd/yyyy in English), the box never does.
(function () {
  "use strict";

  // "25/11/2026" (or "2026-11-25", as links write it) -> "2026-11-25"; "" when it is not a
  // day the server takes (core.forms.DayField: %d/%m/%Y or %Y-%m-%d, one or two digits
  // for the day and the month), such as 31/09/2026 or 1.10.2026.
  function isoDay(text) {
    var day, month, year;
    var found = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(text);
    if (found) {
      day = +found[1]; month = +found[2]; year = +found[3];
    } else {
      found = /^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$/.exec(text);
      if (!found) return "";
      year = +found[1]; month = +found[2]; day = +found[3];
    }
    var date = new Date(Date.UTC(2000, month - 1, day));
    date.setUTCFullYear(year);  // years below 100 are years, not 19xx
    if (year < 1 || date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 ||
        date.getUTCDate() !== day) {
      return "";
    }
    return [String(year).padStart(4, "0"), String(month).padStart(2, "0"),
            String(day).padStart(2, "0")].join("-");
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
      box.value = picker.value ? writtenDay(picker.value) : "";  // a day, or "clear"
      // as if typed: a list that filters as one types (hx-trigger "input") or on a change
      box.dispatchEvent(new Event("input", {bubbles: true}));
      box.dispatchEvent(new Event("change", {bubbles: true}));
      box.focus();
    });
  }

  // A list that filters as one types would ask for "1/10/202" half-way through typing
  // "1/10/2026" and answer that it is not a day: while the day box being typed in holds
  // half a day, a request its typing set off (after a keystroke's pause) waits for the
  // rest. Another box's typing, a submit or a whole day go through: a day the server
  // refuses is said above the list (includes/filter_problems.html).
  document.addEventListener("htmx:confirm", function (event) {
    var trigger = event.detail.triggeringEvent;
    var box = trigger && trigger.type === "input" ? trigger.target : null;
    if (box && box.matches && box.matches("input[data-day]") &&
        box.value.trim() !== "" && !isoDay(box.value)) {
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

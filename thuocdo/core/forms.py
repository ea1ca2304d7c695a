"""Form fields shared by several apps."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .periods import FIRST_YEAR, LAST_YEAR, year_in_range

#: a month as people write it: 2026-11 (what a month picker sends), 11/2026 or 11-2026
_MONTH_FORMS = (re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})$"),
                re.compile(r"^(?P<m>\d{1,2})[/.-](?P<y>\d{4})$"))


def month_label(value: str) -> str | None:
    """`value` as the month label YYYY-MM ("11/2026" → "2026-11"), None if it is not a
    month (or falls outside the years a period may take, `periods.year_in_range`)."""
    text = (value or "").strip()
    for pattern in _MONTH_FORMS:
        found = pattern.match(text)
        if found and 1 <= int(found["m"]) <= 12 and year_in_range(int(found["y"])):
            return f"{found['y']}-{int(found['m']):02d}"
    return None


def _month_out_of_years(value: str) -> bool:
    """A month written right whose year is outside those a period may take."""
    text = (value or "").strip()
    return any((found := pattern.match(text)) and 1 <= int(found["m"]) <= 12
               and not year_in_range(int(found["y"])) for pattern in _MONTH_FORMS)


class MonthField(forms.CharField):
    """A month, written MM/YYYY (or YYYY-MM, what links send); cleaned to YYYY-MM, and
    shown MM/YYYY. A text box, not the browser's month picker, which writes the month in
    the browser's language ("November 2026" on a Vietnamese page), as `DateInput` does for
    days."""

    default_error_messages = {
        "invalid": _("Write the month as MM/YYYY or YYYY-MM, e.g. 10/2026."),
        "year": _("Give a month of a year from %(first)s to %(last)s."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={
            "placeholder": "mm/yyyy", "inputmode": "numeric", "autocomplete": "off",
            "size": 8}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        label = month_label(value) if isinstance(value, str) else None
        return f"{label[5:]}/{label[:4]}" if label else value

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        label = month_label(value)
        if label is None:
            if _month_out_of_years(value):
                raise forms.ValidationError(self.error_messages["year"], code="year",
                                            params={"first": FIRST_YEAR, "last": LAST_YEAR})
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return label


class TextField(forms.CharField):
    """A text of several lines: its line breaks read "\n" whatever sent them (a browser's
    text box sends "\r\n"), so a text given back untouched is the text stored, not a
    change (`Form.has_changed`), and what is stored reads the same from every source."""

    widget = forms.Textarea

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n").replace("\r", "\n") if value else value


class DateInput(forms.DateInput):
    """A day written dd/mm/yyyy in a text box, in every language and browser, with the
    browser's own calendar beside it.

    A bare `<input type="date">` shows its day the way the browser's language does:
    mm/dd/yyyy in an English browser, whatever the page's language. So the day is a text
    box (typed by hand, it works without script), and a small script (core/js/days.js)
    shows a calendar button that opens a hidden date input's picker and writes the day
    picked back as dd/mm/yyyy. YYYY-MM-DD, what links and the API send, parses too
    (DATE_INPUT_FORMATS)."""

    template_name = "core/widgets/day.html"
    input_type = "text"

    def __init__(self, attrs=None):
        super().__init__({"placeholder": "dd/mm/yyyy", "inputmode": "numeric",
                          "autocomplete": "off", "data-day": "", **(attrs or {})},
                         format="%d/%m/%Y")


class DayField(forms.DateField):
    """A day, picked or typed: an invalid one says the form it takes (dd/mm/yyyy), not
    only that it is invalid. Like a month, it is a day of a year a record may have
    (`periods.year_in_range`): days of year 1 or 9999 overflowed when made into moments."""

    widget = DateInput
    default_error_messages = {
        "invalid": _("Give a real day, as dd/mm/yyyy."),
        "year": _("Give a day of a year from %(first)s to %(last)s."),
    }

    def to_python(self, value):
        day = super().to_python(value)
        if day is not None and not year_in_range(day.year):
            raise forms.ValidationError(self.error_messages["year"], code="year",
                                        params={"first": FIRST_YEAR, "last": LAST_YEAR})
        return day

    def prepare_value(self, value):
        """A day sent as YYYY-MM-DD (a drill-down link, a URL written by hand) is shown
        dd/mm/yyyy like every other; one that is not a day stays as typed, by its error."""
        if isinstance(value, str):
            try:
                return self.to_python(value) or value
            except forms.ValidationError:
                return value
        return value



class DecimalInput(forms.TextInput):
    """A decimal typed by a person: a text input, since a number input mangles or refuses
    a decimal comma in some browsers ("30,5" became 305 in Chromium in Vietnamese), with
    the numeric keyboard on a phone."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", **(attrs or {})})


#: a number as a person types it: a sign, digits, and a comma or a dot before the decimals
PLAIN_DECIMAL = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)")


class DecimalNumberField(forms.DecimalField):
    """A decimal from a person, written with a comma or a dot before the decimals ("30,5"
    and "30.5" alike, in either language), and shown in the active language's way (30,5 in
    Vietnamese). A number with both signs or several of one ("1.234,5") is refused rather
    than guessed: these are points, ratings and percentages, never thousands."""

    widget = DecimalInput
    default_error_messages = {
        "invalid": _("Enter a number, e.g. 22.5 (a comma or a dot before the decimals)."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("localize", True)  # shown with the language's decimal separator
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal | int):  # a value from the code, not typed
            return Decimal(value)
        # Digits with at most one separator, and a sign: not what Decimal() takes besides
        # ("1_000", "1e2", "NaN", "Infinity"), which nobody types as points.
        text = str(value).strip()
        if not PLAIN_DECIMAL.fullmatch(text):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return Decimal(text.replace(",", "."))

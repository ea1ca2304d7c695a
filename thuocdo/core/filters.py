"""Filtered lists and their xlsx exports: one rule for a filter that is not valid.

A list narrowed by a filter that is not valid (a unit the reader cannot see, a range that
ends before it starts, a month that is not one) never shows or exports *more* than was
asked for: the list shows nothing, each error next to its field; the export exports
nothing and goes back to the list, whose message names the fields and their errors.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib import messages
from django.forms.boundfield import BoundField
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .forms import DayField
from .periods import FIRST_YEAR, LAST_YEAR


def named(label, message) -> str:
    """An error after the label of the filter it is about ("Unit: …")."""
    return f"{label}: {message}" if label else str(message)


def problems(form: forms.Form) -> str:
    """The form's errors in one line, each after its field's label."""
    return " ".join(
        named(form.fields[name].label, " ".join(errors)) if name in form.fields
        else " ".join(errors)
        for name, errors in form.errors.items()
    )


class FilterBoundField(BoundField):
    """A filter as a list page shows it: each of its errors names the filter ("Unit: Select
    a valid choice…"), since Django's messages ("Select a valid choice. That choice is not
    one of the available choices.") do not, and a bookmarked or hand-made query can be
    wrong in several filters at once. Only the rendering changes: `form.errors` keeps
    the bare messages (`problems` names them itself)."""

    @property
    def errors(self):
        errors = super().errors
        if not errors or not self.label:
            return errors
        shown = errors.copy()
        shown.data = [named(self.label, message) for message in errors]
        shown.field_id = errors.field_id  # the list's id, that aria-describedby names
        return shown


#: Django's own messages for a value that is not offered, which repeat the value typed
#: ("nope is not one of the available choices") or say nothing of it
_DJANGO_INVALID_CHOICE = tuple(
    field.default_error_messages["invalid_choice"]
    for field in (forms.ChoiceField, forms.ModelChoiceField, forms.ModelMultipleChoiceField))


class FilterForm(forms.Form):
    """The filters of a list page (and of its export), bound to the query string: the base
    of every list's filter form, whose errors name their filter (`FilterBoundField`). A
    value a filter does not offer (from a bookmark, an edited address) is said in the same
    words for every filter, after its name, instead of Django's message."""

    bound_field_class = FilterBoundField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # each form's own copies of the fields
            if any(field.error_messages.get("invalid_choice") is message
                   for message in _DJANGO_INVALID_CHOICE):
                field.error_messages["invalid_choice"] = _(
                    "Choose one of the values in the list.")


def refuse_export(request: HttpRequest, form: forms.Form, *, list_url: str,
                  query: str | None = None) -> HttpResponse:
    """Back to the list with the same query (which shows the errors on their fields) and a
    message saying that nothing was exported, and why. `query`: another query for a page
    that cannot show the wrong filters (the dashboard answers 404 to a unit it may not
    show), by default the export's own."""
    messages.error(request, _("Nothing was exported: correct these filters first. "
                              "%(problems)s") % {"problems": problems(form)})
    query = request.GET.urlencode() if query is None else query
    return redirect(f"{list_url}?{query}" if query else list_url)


# -- the API's filters of days and years -------------------------------------------------


class IsoDayField(DayField):
    """A day as the API's filters take it: YYYY-MM-DD only, whatever the caller's language
    (a localized format would read 03/04/2026 differently in Vietnamese and English), of a
    year a record may have (a day of year 1 or 9999 overflowed when made into a moment: a
    500, not a 400)."""

    input_formats = ["%Y-%m-%d"]
    default_error_messages = {"invalid": gettext_lazy("Give a real day, as YYYY-MM-DD.")}


class DayFilter(django_filters.DateFilter):
    """An API filter of a day (YYYY-MM-DD), within the years a record may have."""

    field_class = IsoDayField


class YearField(forms.IntegerField):
    """A year a period may take (`periods.FIRST_YEAR`..`LAST_YEAR`)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", FIRST_YEAR)
        kwargs.setdefault("max_value", LAST_YEAR)
        super().__init__(**kwargs)


@extend_schema_field(OpenApiTypes.INT)
class YearFilter(django_filters.NumberFilter):
    """An API filter of a year a period may take."""

    field_class = YearField


class StrictBooleanField(forms.NullBooleanField):
    """true/false (1/0, yes/no, on/off) or nothing; anything else is refused, saying what
    may be written (django-filter's boolean read "maybe" as no filter at all: the whole
    list, silently)."""

    widget = forms.TextInput
    TRUE, FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")

    def to_python(self, value):
        text = str(value if value is not None else "").strip().lower()
        if not text:
            return None
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError(_("Write true or false, not “%(value)s”."),
                                    code="invalid", params={"value": value})

    def validate(self, value):
        """None (not given) is no filter."""


class BooleanFilter(django_filters.BooleanFilter):
    """An API filter of true or false, refusing any other value (`StrictBooleanField`)."""

    field_class = StrictBooleanField

"""Query-string filters of the tasks API lists.

As in `thuocdo.org.filters`: a filter set validates the query string (a bad value is a 400
in the API's error format, with the field) and documents it in the OpenAPI schema, then its
`select(scope=...)` hands every cleaned value to the selector in one call. Records named in
a filter (unit, directive, official) are looked up within the caller's scope: an unknown
code and one the caller cannot read get the same 400.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ValidationError

from thuocdo.core.errors import ServiceError
from thuocdo.core.filters import BooleanFilter, DayFilter
from thuocdo.core.periods import parse_period
from thuocdo.core.scope import Scope
from thuocdo.measure.history import Bucket
from thuocdo.org import selectors as org_selectors
from thuocdo.org.models import Official, Unit

from . import selectors
from .choices import Priority, TaskState
from .models import Directive, Product, Task

BUCKET_CHOICES = [
    (Bucket.DONE_ON_TIME.value, gettext_lazy("done on time")),
    (Bucket.DONE_LATE.value, gettext_lazy("done late")),
    (Bucket.OPEN_WITHIN_DEADLINE.value, gettext_lazy("open, within the deadline")),
    (Bucket.OPEN_OVERDUE.value, gettext_lazy("open, overdue")),
    # as the work list: the cancelled tasks, in no bucket (`selectors.CANCELLED`)
    (selectors.CANCELLED, gettext_lazy("cancelled")),
]

TASK_ORDERING_CHOICES = [
    ("due", gettext_lazy("deadline in force, earliest first")),
    ("-due", gettext_lazy("deadline in force, latest first")),
    ("assigned", gettext_lazy("assignment time, oldest first")),
    ("-assigned", gettext_lazy("assignment time, newest first")),
    ("code", gettext_lazy("code, A to Z")),
    ("-code", gettext_lazy("code, Z to A")),
    ("title", gettext_lazy("title, A to Z (ignoring tones)")),
    ("-title", gettext_lazy("title, Z to A (ignoring tones)")),
    ("last_event", gettext_lazy("last event, oldest first")),
    ("-last_event", gettext_lazy("last event, newest first")),
]


#: A period as the evaluations name it (`core.periods.parse_period`): a month, a
#: quarter or a year. The API's OpenAPI schema publishes it as the parameter's pattern.
PERIOD_PATTERN = r"^[0-9]{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$"
PERIOD_HELP = gettext_lazy(
    "Only tasks of this period, YYYY-MM (a month), YYYY-Qn (a quarter) or YYYY (a year): "
    "those whose original deadline falls in it (an extension does not move a task out of "
    "its period), as in the work list's period filter and in scoring."
)


class PeriodField(forms.CharField):
    """A period label, YYYY-MM, YYYY-Qn or YYYY, cleaned to its first and last day.

    ISO labels only, as the scoring periods are written (the work list's form also takes
    MM/YYYY, typed by hand); the label is parsed by `core.periods.parse_period`, as the
    evaluations parse it.
    """

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            period = parse_period(value)
        except ServiceError as error:
            raise forms.ValidationError(error.service_message, code="invalid") from None
        except ValueError:  # year 0000 passes the parser's pattern, not the calendar
            raise forms.ValidationError(
                _("“%(label)s” is not a period: write YYYY-MM, YYYY-Qn or YYYY.")
                % {"label": value}, code="invalid") from None
        return period.start, period.end


class PeriodFilter(django_filters.CharFilter):
    field_class = PeriodField


def unknown_value(field: str, message: str) -> ValidationError:
    """A filter's value that names nothing the caller may read (the evaluations' filters
    too)."""
    return ValidationError({field: [message]}, code="unknown")


def readable_unit(scope: Scope, field: str, code: str) -> Unit:
    """The unit `code` names, if the caller may read it; else the filter's 400 on `field`."""
    try:
        return org_selectors.unit_get(scope=scope, code=code)
    except Unit.DoesNotExist:
        raise unknown_value(field, _("Unknown unit “%(code)s”.") % {"code": code}) from None


def readable_official(scope: Scope, field: str, code: str) -> Official:
    """The official `code` names, if the caller may read them; else the filter's 400 on
    `field` (the same answer whether the code exists or not)."""
    try:
        # The selector's rule, without its prefetch of memberships (not needed to filter).
        return (org_selectors.official_list(scope=scope, active=None)
                .prefetch_related(None).get(code=code))
    except Official.DoesNotExist:
        raise unknown_value(field, _("Unknown official “%(code)s”.") % {"code": code}) from None


def _directive(scope: Scope, field: str, code: str) -> Directive:
    try:
        return selectors.directive_get(scope=scope, code=code)
    except Directive.DoesNotExist:
        raise unknown_value(field, _("Unknown directive “%(code)s”.") % {"code": code}) from None


class TaskFilter(django_filters.FilterSet):
    unit = django_filters.CharFilter(
        help_text=gettext_lazy("Only tasks led by the unit with this code (and its subunits, "
                               "see include_subunits).")
    )
    include_subunits = BooleanFilter(
        help_text=gettext_lazy("With unit: also tasks led by the units below it. Default true.")
    )
    bucket = django_filters.ChoiceFilter(
        choices=BUCKET_CHOICES, help_text=gettext_lazy("Only tasks in this reporting bucket "
                                                       "today.")
    )
    state = django_filters.ChoiceFilter(choices=TaskState.choices,
                                        help_text=gettext_lazy("Only tasks in this state."))
    directive = django_filters.CharFilter(
        help_text=gettext_lazy("Only tasks carrying out the directive with this code.")
    )
    holder = django_filters.CharFilter(
        help_text=gettext_lazy("Only tasks now held by the official with this code.")
    )
    lead_official = django_filters.CharFilter(
        help_text=gettext_lazy("Only tasks led by the official with this code.")
    )
    priority = django_filters.ChoiceFilter(choices=Priority.choices,
                                           help_text=gettext_lazy("Only tasks of this priority."))
    due_from = DayFilter(
        help_text=gettext_lazy("Deadline in force on or after this day (YYYY-MM-DD).")
    )
    due_to = DayFilter(
        help_text=gettext_lazy("Deadline in force on or before this day (YYYY-MM-DD).")
    )
    assigned_from = DayFilter(
        help_text=gettext_lazy("Assigned on or after this day (Vietnam time).")
    )
    assigned_to = DayFilter(
        help_text=gettext_lazy("Assigned on or before this day (Vietnam time).")
    )
    period = PeriodFilter(help_text=PERIOD_HELP)
    search = django_filters.CharFilter(
        help_text=gettext_lazy("Part of the title ignoring tones and đ (“bao cao” finds "
                               "“Báo cáo”), or of the code.")
    )
    ordering = django_filters.ChoiceFilter(
        choices=TASK_ORDERING_CHOICES,
        help_text=gettext_lazy("Sort order; default `due` (deadline in force), then code."),
    )

    class Meta:
        model = Task
        fields: list[str] = []

    def select(self, *, scope: Scope) -> QuerySet[Task]:
        data = self.form.cleaned_data

        def lookup(field, resolve):
            return resolve(scope, field, data[field]) if data.get(field) else None

        filters = selectors.TaskFilters(
            unit=lookup("unit", readable_unit),
            include_subunits=data.get("include_subunits") is not False,
            bucket=data.get("bucket") or None,
            state=data.get("state") or None,
            directive=lookup("directive", _directive),
            holder=lookup("holder", readable_official),
            lead_official=lookup("lead_official", readable_official),
            priority=data.get("priority") or None,
            due_from=data.get("due_from"),
            due_to=data.get("due_to"),
            assigned_from=data.get("assigned_from"),
            assigned_to=data.get("assigned_to"),
            period=data.get("period"),
            search=data.get("search") or None,
        )
        return selectors.task_list(scope=scope, filters=filters,
                                   ordering=data.get("ordering") or "due")


class DirectiveFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(
        help_text=gettext_lazy("Part of the code or of the title.")
    )

    class Meta:
        model = Directive
        fields: list[str] = []

    def select(self, *, scope: Scope) -> QuerySet[Directive]:
        return selectors.directive_list(scope=scope,
                                        search=self.form.cleaned_data.get("search") or None)


class ProductFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(
        help_text=gettext_lazy("Part of the code or of the name.")
    )

    class Meta:
        model = Product
        fields: list[str] = []

    def select(self, *, scope: Scope) -> QuerySet[Product]:
        return selectors.product_list(scope=scope,
                                      search=self.form.cleaned_data.get("search") or None)

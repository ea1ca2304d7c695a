"""Query-string filters of the evaluations API lists.

As in `thuocdo.org.filters` and `thuocdo.tasks.filters`: a filter set validates the query
string (a bad value is a 400 in the API's error format, with the field) and documents it in
the OpenAPI schema, then its `select(scope=...)` hands every cleaned value to the selector,
which scopes. Units and officials named in a filter are looked up within the caller's scope:
an unknown code and one the caller cannot read get the same 400.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field

from thuocdo.core.errors import ServiceError
from thuocdo.core.filters import BooleanFilter, DayFilter, YearFilter
from thuocdo.core.periods import LABEL, parse_period
from thuocdo.core.scope import Scope
from thuocdo.org import selectors as org_selectors
from thuocdo.org.models import Official
from thuocdo.tasks.filters import readable_unit, unknown_value

from . import selectors
from .choices import AppealStatus, CardStatus, PeriodKind, PeriodStatus
from .models import Appeal, Period, QuotaException, ScoreCard
from .views import GRADE_FILTER_LABELS

#: A period label (`core.periods.parse_period`), published as the parameter's pattern.
PERIOD_PATTERN = f"^{LABEL.pattern}$"


class PeriodLabelField(forms.CharField):
    """A period label, YYYY-MM, YYYY-Qn or YYYY, read by `core.periods.parse_period` as
    the pages and `thuocdo score` read it; cleaned to the label."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return ""
        try:
            return parse_period(value).label
        except ServiceError as error:
            raise forms.ValidationError(error.service_message, code="invalid") from None


@extend_schema_field({"type": "string", "pattern": PERIOD_PATTERN})
class PeriodLabelFilter(django_filters.CharFilter):
    field_class = PeriodLabelField


def _readable_official(scope: Scope, field: str, code: str) -> Official:
    try:
        return org_selectors.official_typed(scope=scope, code=code)
    except Official.DoesNotExist:
        raise unknown_value(field, _("Unknown official “%(code)s”.") % {"code": code}) from None


class PeriodFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=PeriodKind.choices,
                                       help_text=gettext_lazy("Only the periods of this kind."))
    status = django_filters.ChoiceFilter(
        choices=PeriodStatus.choices,
        help_text=gettext_lazy("Only the periods in this status."))
    year = YearFilter(
        help_text=gettext_lazy("Only the periods of this year (its months, quarters and the "
                               "year itself)."))

    class Meta:
        model = Period
        fields: list[str] = []

    def select(self, *, scope: Scope) -> QuerySet[Period]:
        data = self.form.cleaned_data
        return selectors.period_list(scope=scope, kind=data.get("kind") or "",
                                     status=data.get("status") or "", year=data.get("year"))


PERIOD_HELP = gettext_lazy("Only the cards of this period: YYYY-MM (a month), YYYY-Qn (a "
                           "quarter) or YYYY (a year).")


class CardFilter(django_filters.FilterSet):
    period = PeriodLabelFilter(help_text=PERIOD_HELP)
    unit = django_filters.CharFilter(
        help_text=gettext_lazy("Only the cards of the unit with this code and the units "
                               "below it."))
    agency = django_filters.CharFilter(
        help_text=gettext_lazy("Only the cards of the agency with this code (the scope of "
                               "its HTXS quota)."))
    official = django_filters.CharFilter(
        help_text=gettext_lazy("Only the cards of the official with this code."))
    grade = django_filters.ChoiceFilter(
        choices=list(GRADE_FILTER_LABELS.items()),
        help_text=gettext_lazy("Only the cards of this final grade; `none`: no grade (no "
                               "data); `moved`: moved down from HTXS by the quota."))
    status = django_filters.ChoiceFilter(choices=CardStatus.choices,
                                         help_text=gettext_lazy("Only the cards in this "
                                                                "status."))

    class Meta:
        model = ScoreCard
        fields: list[str] = []

    def select(self, *, scope: Scope) -> QuerySet[ScoreCard]:
        data = self.form.cleaned_data

        def lookup(field, resolve):
            return resolve(scope, field, data[field]) if data.get(field) else None

        return selectors.card_search(scope=scope, filters=selectors.CardFilters(
            period=data.get("period") or "",
            unit=lookup("unit", readable_unit),
            agency=lookup("agency", readable_unit),
            official=lookup("official", _readable_official),
            grade=data.get("grade") or "",
            status=data.get("status") or ""))


class AppealFilter(django_filters.FilterSet):
    period = PeriodLabelFilter(help_text=gettext_lazy(
        "Only the appeals on the cards of this period: YYYY-MM, YYYY-Qn or YYYY."))
    status = django_filters.ChoiceFilter(choices=AppealStatus.choices,
                                         help_text=gettext_lazy("Only the appeals in this "
                                                                "status."))
    waiting = BooleanFilter(
        help_text=gettext_lazy("true: only the pending appeals the caller decides, oldest "
                               "first."))

    class Meta:
        model = Appeal
        fields: list[str] = []

    def select(self, *, scope: Scope) -> QuerySet[Appeal]:
        data = self.form.cleaned_data
        return selectors.appeal_list(scope=scope, period=data.get("period") or "",
                                     status=data.get("status") or "",
                                     waiting=bool(data.get("waiting")))


class QuotaExceptionFilter(django_filters.FilterSet):
    agency = django_filters.CharFilter(
        help_text=gettext_lazy("Only the exceptions of the agency with this code."))
    on = DayFilter(
        help_text=gettext_lazy("Only the exceptions in force on this day (YYYY-MM-DD)."))

    class Meta:
        model = QuotaException
        fields: list[str] = []

    def select(self, *, scope: Scope) -> QuerySet[QuotaException]:
        data = self.form.cleaned_data
        agency = readable_unit(scope, "agency", data["agency"]) if data.get("agency") else None
        return selectors.quota_exception_list(scope=scope, agency=agency, on=data.get("on"))

"""Query-string filters of the organisation's API lists.

A filter set here validates the query string (a bad value is a 400 in the API's error
format) and documents it in the OpenAPI schema, but does not filter by itself: its
`select(scope=...)` hands every cleaned value to the selector in one call. So filters that
must hold together (a position *in* a unit, with a task group) hold on the same membership,
and scope and tone-insensitive search live in the selectors only.
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

from thuocdo.core.filters import BooleanFilter
from thuocdo.core.scope import Scope

from . import selectors
from .choices import Position, UnitKind
from .models import Official, TaskGroup, Unit


class SelectorFilterBackend(DjangoFilterBackend):
    """Runs the view's filter set on list actions and returns what its `select()` builds.

    Other actions (a detail, or a detail's sub-list) are left alone: query parameters never
    hide a record that its own URL names. The view must offer `scope` (ScopedAPIMixin).
    """

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) != "list":
            return queryset
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise django_filters.utils.translate_validation(filterset.errors)
        return filterset.select(scope=view.scope)


def _readable_unit(scope: Scope, field: str, code: str) -> Unit:
    """The readable unit `code`; unknown and out-of-scope codes get the same 400."""
    try:
        return selectors.unit_get(scope=scope, code=code)
    except Unit.DoesNotExist:
        raise ValidationError(
            {field: [_("Unknown unit “%(code)s”.") % {"code": code}]}, code="unknown_unit"
        ) from None


class UnitFilter(django_filters.FilterSet):
    UNIT_ORDERINGS = {
        "tree": ("lft",),
        "code": ("code",),
        "-code": ("-code",),
        "name": ("name_folded", "code"),
        "-name": ("-name_folded", "-code"),
    }

    search = django_filters.CharFilter(
        help_text=gettext_lazy(
            "Part of the name, ignoring tones and đ (“cau giay” finds “Cầu Giấy”), or of the code."
        )
    )
    kind = django_filters.ChoiceFilter(choices=UnitKind.choices,
                                       help_text=gettext_lazy("Only units of this kind."))
    parent = django_filters.CharFilter(
        help_text=gettext_lazy("Only the direct children of the unit with this code.")
    )
    within = django_filters.CharFilter(
        help_text=gettext_lazy(
            "Only the subtree of the unit with this code (the unit itself included)."
        )
    )
    ordering = django_filters.ChoiceFilter(
        choices=[
            ("tree", gettext_lazy("tree order")),
            ("code", gettext_lazy("code, A to Z")),
            ("-code", gettext_lazy("code, Z to A")),
            ("name", gettext_lazy("name, A to Z")),
            ("-name", gettext_lazy("name, Z to A")),
        ],
        help_text=gettext_lazy("Sort order; default `tree` (depth-first, parents first)."),
    )

    class Meta:
        model = Unit
        fields: list[str] = []

    def select(self, *, scope: Scope) -> QuerySet[Unit]:
        data = self.form.cleaned_data
        within = _readable_unit(scope, "within", data["within"]) if data.get("within") else None
        qs = selectors.unit_list(
            scope=scope, search=data.get("search") or None, kind=data.get("kind") or None,
            within=within,
        )
        if data.get("parent"):
            # A code match, not a lookup: staff may list the readable children of a unit
            # they cannot read themselves.
            qs = qs.filter(parent__code=data["parent"])
        return qs.order_by(*self.UNIT_ORDERINGS[data.get("ordering") or "tree"])


class OfficialFilter(django_filters.FilterSet):
    ACTIVE_CHOICES = [
        ("true", gettext_lazy("active officials only")),
        ("false", gettext_lazy("inactive officials only")),
        ("all", gettext_lazy("both")),
    ]

    search = django_filters.CharFilter(
        help_text=gettext_lazy(
            "Part of the name ignoring tones and đ (“nguyen van duc” finds “Nguyễn Văn Đức”), "
            "of the code or of the e-mail."
        )
    )
    unit = django_filters.CharFilter(
        help_text=gettext_lazy(
            "Only officials currently in the unit with this code (and its subunits, see "
            "include_subunits)."
        )
    )
    include_subunits = BooleanFilter(
        help_text=gettext_lazy(
            "With unit: also officials of the units below it. Default true."
        )
    )
    position = django_filters.ChoiceFilter(
        choices=Position.choices,
        help_text=gettext_lazy("Only officials currently holding this position (in unit, if "
                               "given)."),
    )
    task_group = django_filters.CharFilter(
        help_text=gettext_lazy("Only officials currently in the task group with this code.")
    )
    active = django_filters.ChoiceFilter(
        choices=ACTIVE_CHOICES, help_text=gettext_lazy("Default true: active officials only.")
    )
    ordering = django_filters.ChoiceFilter(
        choices=[
            ("name", gettext_lazy("name, A to Z")),
            ("-name", gettext_lazy("name, Z to A")),
            ("code", gettext_lazy("code, A to Z")),
            ("-code", gettext_lazy("code, Z to A")),
        ],
        help_text=gettext_lazy("Sort order; default `name` (ignoring tones), then code."),
    )

    class Meta:
        model = Official
        fields: list[str] = []

    def select(self, *, scope: Scope) -> QuerySet[Official]:
        data = self.form.cleaned_data
        unit = _readable_unit(scope, "unit", data["unit"]) if data.get("unit") else None
        task_group = None
        if data.get("task_group"):
            try:
                task_group = selectors.task_group_list().get(code=data["task_group"])
            except TaskGroup.DoesNotExist:
                raise ValidationError(
                    {"task_group": [_("Unknown task group “%(code)s”.")
                                    % {"code": data["task_group"]}]},
                    code="unknown_task_group",
                ) from None
        active = {"true": True, "false": False, "all": None}[data.get("active") or "true"]
        return selectors.official_list(
            scope=scope,
            search=data.get("search") or None,
            unit=unit,
            include_subunits=data.get("include_subunits") is not False,
            position=data.get("position") or None,
            task_group=task_group,
            active=active,
            ordering=data.get("ordering") or "name",
        )

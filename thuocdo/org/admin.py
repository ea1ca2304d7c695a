"""Admin of the organisation: every save goes through `org.services` (see core.admin)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from thuocdo.core.admin import (
    ReadOnlyInline,
    ReasonAdmin,
    ReasonOnChange,
    ServiceAdmin,
    ServiceModelForm,
    reason_field,
)
from thuocdo.core.errors import ServiceError

from . import services
from .models import Membership, Official, TaskGroup, Unit

# -- units -----------------------------------------------------------------------------


class UnitForm(ReasonOnChange, ServiceModelForm):
    reason = reason_field()

    class Meta:
        model = Unit
        fields = ("code", "name", "kind", "parent", "is_active")

    def apply(self, *, actor):
        data = self.cleaned_data
        if self.adding:
            unit = services.unit_create(actor=actor, code=data["code"], name=data["name"],
                                        kind=data["kind"], parent=data["parent"])
            if not data["is_active"]:
                unit = services.unit_update(actor=actor, unit=unit, is_active=False)
            return unit
        return services.unit_update(
            actor=actor, unit=self.fresh(), name=data["name"], kind=data["kind"],
            parent=data["parent"], is_active=data["is_active"], reason=data["reason"],
        )


@admin.register(Unit)
class UnitAdmin(ReasonAdmin, ServiceAdmin):
    form = UnitForm
    list_display = ("code", "name", "kind", "parent", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name_folded")
    folded_search = True
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)
    ordering = ("lft",)

    def get_readonly_fields(self, request, obj=None):
        # A code is a stable reference (exchange format, URLs): no service renames it.
        return ("code",) if obj else ()


# -- task groups -----------------------------------------------------------------------


class TaskGroupForm(ServiceModelForm):
    class Meta:
        model = TaskGroup
        fields = ("code", "name")

    def apply(self, *, actor):
        data = self.cleaned_data
        if self.adding:
            return services.task_group_create(actor=actor, code=data["code"], name=data["name"])
        return services.task_group_update(actor=actor, group=self.fresh(), name=data["name"])


@admin.register(TaskGroup)
class TaskGroupAdmin(ServiceAdmin):
    form = TaskGroupForm
    list_display = ("code", "name")
    search_fields = ("code", "name")

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj else ()


# -- officials -------------------------------------------------------------------------


class OfficialForm(ReasonOnChange, ServiceModelForm):
    reason = reason_field()

    class Meta:
        model = Official
        fields = ("code", "name", "email", "phone", "is_active")

    def apply(self, *, actor):
        data = self.cleaned_data
        if self.adding:
            official = services.official_create(
                actor=actor, code=data["code"], name=data["name"], email=data["email"],
                phone=data["phone"],
            )
            if not data["is_active"]:
                official = services.official_update(actor=actor, official=official,
                                                    is_active=False)
            return official
        return services.official_update(
            actor=actor, official=self.fresh(), name=data["name"], email=data["email"],
            phone=data["phone"], is_active=data["is_active"], reason=data["reason"],
        )


class MembershipHistoryInline(ReadOnlyInline):
    """An official's memberships, newest first; they change in the Memberships admin."""

    model = Membership
    fields = ("unit", "position", "task_group", "start", "end")
    readonly_fields = fields
    ordering = ("-start",)
    verbose_name_plural = gettext_lazy("memberships (edit them under Memberships)")


@admin.register(Official)
class OfficialAdmin(ReasonAdmin, ServiceAdmin):
    form = OfficialForm
    inlines = (MembershipHistoryInline,)
    list_display = ("code", "name", "email", "phone", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name_folded", "email")
    folded_search = True

    def get_inlines(self, request, obj):
        return self.inlines if obj else ()

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj else ()


# -- memberships -----------------------------------------------------------------------


class MembershipForm(ReasonOnChange, ServiceModelForm):
    """Start a membership; later, correct its unit, position or task group, or end it.
    Its official and start date are history: they never change."""

    reason = reason_field()

    class Meta:
        model = Membership
        fields = ("official", "unit", "position", "task_group", "start", "end")

    def apply(self, *, actor):
        data = self.cleaned_data
        if self.adding:
            return services.membership_start(
                actor=actor, official=data["official"], unit=data["unit"],
                position=data["position"], task_group=data["task_group"],
                start=data["start"], end=data["end"],
            )
        membership = self.fresh()
        if (data["unit"].pk, data["position"], data["task_group"]) != (
            membership.unit_id, membership.position, membership.task_group
        ):
            membership = services.membership_amend(
                actor=actor, membership=membership, unit=data["unit"],
                position=data["position"], task_group=data["task_group"],
                reason=data["reason"],
            )
        if data["end"] != membership.end:
            if data["end"] is None:
                raise ServiceError(
                    _("An ended membership cannot be reopened: start a new one."),
                    code="membership_reopen", field="end",
                )
            membership = services.membership_end(actor=actor, membership=membership,
                                                 end=data["end"], reason=data["reason"])
        return membership


@admin.register(Membership)
class MembershipAdmin(ReasonAdmin, ServiceAdmin):
    form = MembershipForm
    list_display = ("official", "unit", "position", "task_group", "start", "end")
    list_filter = ("position", "task_group")
    search_fields = ("official__code", "official__name_folded", "unit__code",
                     "unit__name_folded")
    folded_search = True
    autocomplete_fields = ("official", "unit")
    list_select_related = ("official", "unit", "task_group")
    date_hierarchy = "start"

    def get_readonly_fields(self, request, obj=None):
        return ("official", "start") if obj else ()

"""Admin of the organisation: every save goes through `org.services` (see core.admin)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from thuocdo.core.admin import (
    ReadOnlyInline,
    ReasonAdmin,
    ReasonOnChange,
    ServiceAdmin,
    ServiceModelForm,
    add_service_error,
    reason_field,
)
from thuocdo.core.errors import ServiceError
from thuocdo.core.forms import DayField
from thuocdo.tasks import selectors as task_selectors

from . import selectors as org_selectors
from . import services
from .choices import Position
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


class OfficialMoveForm(forms.Form):
    """Move an official: the place they hold from a day (`services.official_place`: their
    current memberships end the day before; a correction on the day a record started
    amends it), with the reason kept in the audit trail."""

    unit = forms.ModelChoiceField(label=gettext_lazy("New unit"), queryset=Unit.objects.none())
    position = forms.ChoiceField(label=gettext_lazy("Position"), choices=Position.choices)
    task_group = forms.ModelChoiceField(label=gettext_lazy("Task group"), required=False,
                                        queryset=TaskGroup.objects.order_by("code"))
    # a plain text box: the admin does not load the site's calendar script, and the
    # browser's own date box beside it was ignored (the text box is what is read)
    on = DayField(label=gettext_lazy("From"),
                  widget=forms.TextInput(attrs={"placeholder": "dd/mm/yyyy",
                                                "inputmode": "numeric"}),
                  help_text=gettext_lazy("The first day in the new place (dd/mm/yyyy); the "
                                         "current memberships end the day before."))
    reason = reason_field()

    def __init__(self, *args, official: Official, **kwargs):
        super().__init__(*args, **kwargs)
        self.official = official
        self.fields["unit"].queryset = Unit.objects.filter(is_active=True).order_by("lft")

    def clean_on(self):
        """Not the first day of one of their places: the service would correct that record
        in place, rewriting where they worked (a correction is made under Memberships)."""
        day = self.cleaned_data["on"]
        if self.official.memberships.filter(start=day).exists():
            raise forms.ValidationError(
                _("A place of %(name)s began on %(day)s: a move starts the day after at the "
                  "earliest; to correct that place, change it under Memberships.")
                % {"name": self.official.name, "day": day.strftime("%d/%m/%Y")})
        return day


def _places(official: Official) -> list[tuple]:
    """The official's memberships as they stand, to tell whether a move changed any."""
    return list(official.memberships.order_by("pk").values_list(
        "pk", "unit_id", "position", "task_group_id", "end"))


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
    change_form_template = "admin/org/official/change_form.html"

    def get_urls(self):
        move = path("<path:object_id>/move/", self.admin_site.admin_view(self.move_view),
                    name="org_official_move")
        return [move, *super().get_urls()]

    def move_view(self, request, object_id):
        """Move the official to another unit or position in one step (rather than ending
        each membership and starting one by hand); what they still hold stays with them,
        and the page says how much, for a head to hand it on."""
        official = self.get_object(request, unquote(object_id))
        # it writes memberships: who may add and change them, as on their own admin
        if (official is None or not self.has_change_permission(request, official)
                or not request.user.has_perms(["org.add_membership",
                                               "org.change_membership"])):
            raise PermissionDenied
        if not official.is_active:
            self.message_user(request, _("%(name)s is no longer in service: take them back "
                                         "into service first.") % {"name": official.name},
                              messages.ERROR)
            return redirect(reverse("admin:org_official_change", args=[official.pk]))
        current = (official.memberships.filter(org_selectors.current_q())
                   .order_by("-start").first())
        initial = {"on": timezone.localdate().strftime("%d/%m/%Y")}
        if current is not None:  # the place held now: an admin changing the unit only
            initial.update(position=current.position, task_group=current.task_group_id)
        form = OfficialMoveForm(request.POST or None, initial=initial, official=official)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            before = _places(official)
            try:
                with transaction.atomic():
                    services.official_place(
                        actor=request.user, official=official, unit=data["unit"],
                        position=data["position"], task_group=data["task_group"],
                        on=data["on"], reason=data["reason"])
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                back = redirect(reverse("admin:org_official_change", args=[official.pk]))
                if _places(official) == before:
                    self.message_user(request, _("Nothing changed: %(name)s already holds "
                                                 "that place.") % {"name": official.name},
                                      messages.INFO)
                    return back
                self.message_user(request, _("%(name)s holds %(position)s in %(unit)s from "
                                             "%(day)s.") % {
                    "name": official.name, "unit": data["unit"].name,
                    "position": Position(data["position"]).label,
                    "day": data["on"].strftime("%d/%m/%Y")}, messages.SUCCESS)
                held = task_selectors.open_tasks_held(official_id=official.pk)
                if held:
                    self.message_user(request, ngettext(
                        "%(name)s still holds %(count)s open task: it stays with them "
                        "until a head hands it on (a transfer, on the record).",
                        "%(name)s still holds %(count)s open tasks: they stay with them "
                        "until a head hands them on (a transfer, on the record).", held)
                        % {"name": official.name, "count": held}, messages.WARNING)
                return back
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "original": official, "form": form,
                   "title": _("Move %(name)s") % {"name": official.name}}
        return TemplateResponse(request, "admin/org/official/move.html", context)

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
    # in the order of the record (the read-only official and start were put last)
    fields = ("official", "unit", "position", "task_group", "start", "end", "reason")
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

"""The Django admin, for administrators, writing only through services.

Every admin form implements `apply(actor=...)`: it calls the services with the form's
cleaned data and returns the saved object. `clean()` runs `apply` once inside a savepoint
that is always rolled back, so a service's refusal (`ServiceError`) shows as a form error
and nothing is written; `save_model` then runs it for real, inside the transaction Django's
admin opens for every POST. Model-level unique and constraint checks are skipped: the
services state those rules, with clearer messages. Deleting domain records is refused:
services end, deactivate or revoke instead (where a record may go, its admin removes it
through a service that audits it: a calendar override, an unused settings version).

Two faults of Django's admin are mended here for every admin of the project: an autocomplete
field sent a value that is no key of its model (a code typed instead of an id) re-rendered
the form with a 500 instead of showing the error (`KeyedAutocompleteMixin`), and a date
hierarchy asked for year 9999 computed the year after it, a 500 too (`YearsInRangeChangeList`).

This module also registers core's models: the audit trail (read-only) and the calendar
overrides.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms.models import BaseInlineFormSet
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from thuocdo.core.errors import ServiceError
from thuocdo.core.text import fold

from . import services
from .calendar import computed_on, due_on, work_calendar
from .models import AuditEntry, CalendarOverride
from .periods import year_in_range

admin.site.site_header = "Thước đo"
admin.site.site_title = "Thước đo"
admin.site.index_title = _("Administration")


# -- saving through services -----------------------------------------------------------


class _Rollback(Exception):
    """Raised to undo a dry run's savepoint."""


def dry_run(apply: Callable[[], object]) -> None:
    """Run `apply` in a savepoint and roll it back. Refusals (ValidationError, which
    ServiceError is) propagate; whatever `apply` wrote is undone either way."""
    try:
        with transaction.atomic():
            apply()
            raise _Rollback
    except _Rollback:
        pass


def add_service_error(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a refusal on the form: next to its field when the form has it, else on top."""
    if isinstance(exc, ServiceError):
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, exc.service_message)
    elif hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def reason_field() -> forms.CharField:
    """Why an administrator changes a record: required on the change form, kept with the
    change in the audit trail (a new record is audited without one): `ReasonOnChange`."""
    return forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why this change is made: it is kept with the change in the audit "
                    "trail."),
        error_messages={"required": _("Say why you make this change: the reason is kept "
                                      "in the audit trail.")},
    )


class ReasonOnChange:
    """A `ServiceModelForm` whose changes state their reason (`reason = reason_field()`),
    for the services to keep in the audit trail; a new record has none (it is audited as
    created). Its admin shows the field last, on the change form only (`ReasonAdmin`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.adding:
            self.fields.pop("reason", None)


class ReasonAdmin:
    """The admin of a `ReasonOnChange` form: "reason" last, and only when changing."""

    def get_fields(self, request, obj=None):
        fields = [name for name in super().get_fields(request, obj) if name != "reason"]
        return (*fields, "reason") if obj is not None else tuple(fields)


class ServiceModelForm(forms.ModelForm):
    """A ModelForm whose `apply(actor=...)` saves through services (see the module doc)."""

    #: the acting user, set per request by ServiceAdmin.get_form
    actor = None

    def apply(self, *, actor):
        raise NotImplementedError

    def fresh(self):
        """The edited row as stored (the form has already copied its data onto
        `self.instance`, and services compare old and new values)."""
        return type(self.instance)._default_manager.get(pk=self.instance.pk)

    @property
    def adding(self) -> bool:
        return self.instance.pk is None

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            try:
                dry_run(lambda: self.apply(actor=self.actor))
            except ValidationError as exc:
                add_service_error(self, exc)
        return cleaned

    def validate_unique(self):
        """The services check uniqueness and constraints (see the module doc)."""


class ServiceInlineFormSet(BaseInlineFormSet):
    """An inline formset whose changed rows are saved by `apply_form` (services).

    Subclasses implement `apply_form(form, actor=...)`. Rows are checked in a rolled-back
    savepoint during validation, like ServiceModelForm."""

    actor = None

    def apply_form(self, form, *, actor):
        raise NotImplementedError

    def changed_forms(self) -> list:
        return [form for form in self.forms if form.has_changed()]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        for form in self.changed_forms():
            try:
                dry_run(lambda form=form: self.apply_form(form, actor=self.actor))
            except ValidationError as exc:
                add_service_error(form, exc)

    def save(self, commit: bool = True):
        # The admin's change message reads these three lists.
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        saved = []
        for form in self.changed_forms():
            is_new = form.instance.pk is None
            obj = self.apply_form(form, actor=self.actor)
            if is_new:
                self.new_objects.append(obj)
            else:
                self.changed_objects.append((obj, form.changed_data))
            saved.append(obj)
        return saved


class InlineServiceForm(forms.ModelForm):
    """The form of a ServiceInlineFormSet row: services check uniqueness."""

    def validate_unique(self):
        """The services check uniqueness and constraints."""


# -- mends of Django's admin -------------------------------------------------------------


class _KnownKeysOnly:
    """An autocomplete widget that looks up only the sent values that can be keys of its
    model: Django's filters the model by them as they came, and a value of the wrong type
    ("CB000135" for an id) raised a ValueError, one past the column's range an
    OverflowError, while the form, already refused by its field ("Select a valid choice"),
    was shown again."""

    def optgroups(self, name, value, attr=None):
        opts = self.field.remote_field.model._meta
        key = opts.get_field(getattr(self.field.remote_field, "field_name", opts.pk.attname))

        def is_key(item) -> bool:
            try:
                key.run_validators(key.to_python(item))
            except ValidationError:
                return False
            return True

        return super().optgroups(name, [item for item in value if is_key(item)], attr)


class KeyedAutocompleteSelect(_KnownKeysOnly, AutocompleteSelect):
    pass


class KeyedAutocompleteMixin:
    """For a ModelAdmin or an inline: its foreign keys in `autocomplete_fields` use
    `KeyedAutocompleteSelect` (no model of ours has a many-to-many field)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = KeyedAutocompleteSelect(db_field, self.admin_site,
                                                       using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class YearsInRangeChangeList(ChangeList):
    """A change list whose date hierarchy takes only the years a record may have
    (`periods.year_in_range`): Django bounds a year's rows by the first day of the next
    year, which year 9999 has not (a 500). Another year is an incorrect lookup, which the
    admin answers by showing the list unfiltered with its "?e=1" notice."""

    def get_filters(self, request):
        if self.date_hierarchy:
            years = self.get_filters_params().get(f"{self.date_hierarchy}__year") or []
            for year in years if isinstance(years, list) else [years]:
                if not (str(year).isdigit() and year_in_range(int(year))):
                    raise IncorrectLookupParameters(f"year {year} is out of range")
        return super().get_filters(request)


class YearsInRangeMixin:
    """For a ModelAdmin with a date hierarchy: `YearsInRangeChangeList`."""

    def get_changelist(self, request, **kwargs):
        return YearsInRangeChangeList


class ServiceAdmin(KeyedAutocompleteMixin, YearsInRangeMixin, admin.ModelAdmin):
    """A ModelAdmin that saves through its form's `apply` and never deletes."""

    #: fold the search term (no tones, đ→d), for admins whose search_fields are folded
    folded_search = False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            if issubclass(formset, ServiceInlineFormSet):
                formset = type(formset.__name__, (formset,), {"actor": request.user})
            yield formset, inline

    def save_model(self, request, obj, form, change):
        saved = form.apply(actor=request.user)
        # Django goes on with `obj` (log entry, redirect): point it at the saved row.
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        if not isinstance(formset, ServiceInlineFormSet):
            # Read-only inlines: nothing may change through them.
            if any(f.has_changed() for f in formset.forms):
                raise PermissionDenied
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return
        formset.save()

    def has_delete_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        raise PermissionDenied

    def delete_queryset(self, request, queryset):
        raise PermissionDenied

    def get_search_results(self, request, queryset, search_term):
        if self.folded_search:
            search_term = fold(search_term)
        return super().get_search_results(request, queryset, search_term)


class ReadOnlyInline(admin.TabularInline):
    """An inline that only shows rows (history kept by services)."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(YearsInRangeMixin, admin.ModelAdmin):
    """Rows that are only read in the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# -- core's models ---------------------------------------------------------------------


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The audit trail is append-only: services write it, nobody edits it."""

    list_display = ("at", "actor", "action", "object_type", "object_code", "reason")
    # who acted, among those who did (an administrator reads one person's changes)
    list_filter = (("actor", admin.RelatedOnlyFieldListFilter), "action", "object_type")
    search_fields = ("object_code", "action", "reason", "actor__email")
    date_hierarchy = "at"
    list_select_related = ("actor",)


class CalendarOverrideForm(ServiceModelForm):
    """Make a day a day off or a working day (the note is set by imports only)."""

    class Meta:
        model = CalendarOverride
        fields = ("day", "kind")

    def apply(self, *, actor):
        data = self.cleaned_data
        if self.adding:
            return services.calendar_override_add(actor=actor, day=data["day"],
                                                  kind=data["kind"])
        return services.calendar_override_change(actor=actor, override=self.fresh(),
                                                 kind=data["kind"])


def delete_selected_overrides(modeladmin, request, queryset):
    """Django's "delete selected" action, refused at once (before its confirmation page),
    naming the day, when one of the overrides is on a day something is computed with
    (`services.calendar_computed_refusal`)."""
    refused = services.calendar_computed_refusal(days=[o.day for o in queryset])
    if refused is not None:
        modeladmin.message_user(request, refused.service_message, messages.ERROR)
        return None
    return delete_selected(modeladmin, request, queryset)


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(ServiceAdmin):
    """Days off and swapped working days that correct the holiday library. An override
    entered by mistake is removed (`services.calendar_override_remove`, audited): the day is
    then as the holiday library has it, as it was before the override.

    A day something was computed with (a month's signals, an approved period's cards) is
    refused by the services, and its removal before the confirmation page; with
    THUOCDO_CALENDAR_COMPUTED_MONTHS = "warn" it is written, and a warning names what is
    affected (docs/decisions/0007)."""

    form = CalendarOverrideForm
    list_display = ("day", "kind", "note")
    list_filter = ("kind",)
    date_hierarchy = "day"

    def get_readonly_fields(self, request, obj=None):
        # Services change a day's kind (a change of kind drops the imported note, audited).
        return ("day", "note") if obj else ("note",)

    def has_delete_permission(self, request, obj=None):
        return admin.ModelAdmin.has_delete_permission(self, request, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change or "kind" in form.changed_data:
            self.warn_computed(request, [obj.day])
            self.warn_due(request, [obj.day])

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _func, name, description = actions["delete_selected"]
            actions["delete_selected"] = (delete_selected_overrides, name, description)
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        override = self.get_object(request, unquote(object_id))
        if override is not None and self.has_delete_permission(request, override):
            refused = services.calendar_computed_refusal(days=[override.day])
            if refused is not None:
                self.message_user(request, refused.service_message, messages.ERROR)
                return redirect(reverse("admin:core_calendaroverride_change",
                                        args=[override.pk], current_app=self.admin_site.name))
            if request.method != "POST":  # the confirmation page says what is affected
                self.warn_computed(request, [override.day])
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        services.calendar_override_remove(actor=request.user, override=obj)
        self.warn_computed(request, [obj.day])
        self.warn_due(request, [obj.day])

    def delete_queryset(self, request, queryset):
        days = []
        for override in queryset:
            services.calendar_override_remove(actor=request.user, override=override)
            days.append(override.day)
        self.warn_computed(request, days)
        self.warn_due(request, days)

    def warn_due(self, request, days) -> None:
        """One warning per day of `days` that is now a day off while open work falls due on
        it (`calendar.due_on`), naming how much."""
        off = [day for day in days
               if not work_calendar(years=[day.year]).is_workday(day)]
        for day, found in due_on(off).items():
            self.message_user(request, services.calendar_due_warning(day=day, found=found),
                              messages.WARNING)

    def warn_computed(self, request, days) -> None:
        """With THUOCDO_CALENDAR_COMPUTED_MONTHS = "warn", one warning per day of `days`
        something was computed with, naming what (the services refuse them otherwise)."""
        if services.calendar_computed_refuses():
            return
        for day, found in computed_on(days).items():
            self.message_user(request, services.calendar_computed_warning(day=day, found=found),
                              messages.WARNING)

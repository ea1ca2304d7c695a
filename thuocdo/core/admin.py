"""The Django admin, for administrators, writing only through services.

Every admin form implements `apply(actor=...)`: it calls the services with the form's
cleaned data and returns the saved object. `clean()` runs `apply` once inside a savepoint
that is always rolled back, so a service's refusal (`ServiceError`) shows as a form error
and nothing is written; `save_model` then runs it for real, inside the transaction Django's
admin opens for every POST. Model-level unique and constraint checks are skipped: the
services state those rules, with clearer messages. Deleting domain records is refused:
services end, deactivate or revoke instead.

This module also registers core's models: the audit trail (read-only) and the calendar
overrides.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms.models import BaseInlineFormSet
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from thuocdo.core.errors import ServiceError
from thuocdo.core.text import fold

from . import services
from .models import AuditEntry, CalendarOverride

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


class ServiceAdmin(admin.ModelAdmin):
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


class ReadOnlyAdmin(admin.ModelAdmin):
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

    list_display = ("at", "actor", "action", "object_type", "object_code")
    list_filter = ("action", "object_type")
    search_fields = ("object_code", "action", "reason")
    date_hierarchy = "at"
    list_select_related = ("actor",)


class CalendarOverrideForm(ServiceModelForm):
    """Make a day a day off or a working day (the note is set by imports only)."""

    class Meta:
        model = CalendarOverride
        fields = ("day", "kind")

    def apply(self, *, actor):
        data = self.cleaned_data
        day = data["day"] if self.adding else self.fresh().day
        if self.adding and CalendarOverride.objects.filter(day=day).exists():
            raise ServiceError(
                gettext("%(day)s already has an override: change that one.")
                % {"day": date_format(day, "SHORT_DATE_FORMAT")},
                code="calendar_day_taken", field="day",
            )
        services.calendar_overrides_bulk_set(actor=actor, days={day: data["kind"]})
        return CalendarOverride.objects.get(day=day)


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(ServiceAdmin):
    """Days off and swapped working days that correct the holiday library."""

    form = CalendarOverrideForm
    list_display = ("day", "kind", "note")
    list_filter = ("kind",)
    date_hierarchy = "day"

    def get_readonly_fields(self, request, obj=None):
        # Services change a day's kind; the day and the imported note stay as they are.
        return ("day", "note") if obj else ("note",)

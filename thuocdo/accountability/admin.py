"""Admin of accountability: signals read-only (they are answered on their page), the
detectors' settings (thresholds, authority matrix) edited through services."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from thuocdo.core.admin import ServiceAdmin, ServiceModelForm
from thuocdo.core.templatetags.periods import period_name
from thuocdo.measure.signals import AuthorityMatrix, event_number

from . import selectors, services
from .models import AuthorityRule, SignalRecord, ThresholdSet


class PeriodFilter(admin.SimpleListFilter):
    """The periods signals were raised in, newest first, in words."""

    title = _("period")
    parameter_name = "period"

    def lookups(self, request, model_admin):
        periods = (SignalRecord.objects.order_by("-period").values_list("period", flat=True)
                   .distinct())
        return [(period, period_name(period)) for period in periods]

    def queryset(self, request, queryset):
        return queryset.filter(period=self.value()) if self.value() else queryset


@admin.register(SignalRecord)
class SignalRecordAdmin(admin.ModelAdmin):
    list_display = ("code", "period_in_words", "raised_on", "subject", "official", "unit",
                    "status", "explanation_due", "present")
    list_filter = ("code", "status", "present", PeriodFilter)
    search_fields = ("subject", "official__code", "unit__code", "key")
    list_select_related = ("official", "unit")
    # the period in words and the events as the task page numbers them (#1: the
    # assignment), not the engine's label and indexes
    fields = ("code", "period_in_words", "raised_on", "subject_kind", "subject", "task",
              "official", "unit", "escalate_to", "evidence", "explanation",
              "needs_confirmation", "status", "explanation_due", "present", "first_seen",
              "last_seen", "thresholds")
    readonly_fields = ("period_in_words", "evidence")

    @admin.display(description=_("period"), ordering="period")
    def period_in_words(self, obj):
        return period_name(obj.period)

    @admin.display(description=_("events"))
    def evidence(self, obj):
        """Each event as on the signal's page: "#4" on the signal's own task, "T-1 #2" on
        another, a link to the event on the task page."""
        links = []
        for code, index in selectors.signal_event_indexes(obj):
            number = event_number(index)
            label = f"#{number}" if obj.task_id and code == obj.task.code else f"{code} #{number}"
            links.append((reverse("tasks:task_detail", kwargs={"code": code}) +
                          f"#event-{number}", label))
        if not links:
            return self.get_empty_value_display()
        return format_html_join(", ", '<a href="{}">{}</a>', links)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ThresholdSetForm(ServiceModelForm):
    """A new version of the thresholds (a saved one is only read: `ThresholdSetAdmin`)."""

    class Meta:
        model = ThresholdSet
        fields = ("version", "effective_from", "values", "basis")
        error_messages = {"values": {"invalid": _(
            "Values: write the thresholds that differ from the defaults as a JSON object, "
            "e.g. {\"reminders\": 4}.")}}

    def apply(self, *, actor):
        if not self.adding:
            raise forms.ValidationError(_("A version is not changed once saved: add a new "
                                          "version, in force from its day."))
        data = self.cleaned_data
        return services.threshold_set_add(
            actor=actor, version=data["version"], effective_from=data["effective_from"],
            values=data.get("values") or {}, basis=data.get("basis") or "")


@admin.register(ThresholdSet)
class ThresholdSetAdmin(ServiceAdmin):
    """Versions of the thresholds: added, then only read (the months computed under one
    keep their meaning); one no stored signal was computed under may be removed."""

    form = ThresholdSetForm
    list_display = ("version", "effective_from", "values", "basis")
    actions = None

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (obj is not None and request.user.is_superuser
                and not services.threshold_set_in_use(obj))

    def delete_model(self, request, obj):
        services.threshold_set_remove(actor=request.user, row=obj)


class AuthorityRuleForm(ServiceModelForm):
    class Meta:
        model = AuthorityRule
        fields = ("position", "priority", "product")

    def apply(self, *, actor):
        if not self.adding:
            raise forms.ValidationError(_("A rule is removed and added, not changed."))
        data = self.cleaned_data
        return services.authority_rule_add(actor=actor, position=data["position"],
                                           priority=data["priority"],
                                           product=data.get("product"))


def rule_in_words(position: str, priority: str, product: str | None) -> str:
    """"Staff: Normal (any product)", in the active language."""
    positions = dict(AuthorityRule._meta.get_field("position").choices)
    priorities = dict(AuthorityRule._meta.get_field("priority").choices)
    return gettext("%(position)s: %(priority)s (%(product)s)") % {
        "position": positions.get(position, position),
        "priority": priorities.get(priority, priority),
        "product": product if product and product != "*" else gettext("any product")}


@admin.register(AuthorityRule)
class AuthorityRuleAdmin(ServiceAdmin):
    """The authority matrix (S4): the rules listed are the whole matrix in force (an empty
    list: nobody decides a matter alone, and S4 is never raised). The list says so, with
    the engine's default that the table was given at installation."""

    form = AuthorityRuleForm
    list_display = ("position", "priority", "product")
    change_list_template = "admin/accountability/authorityrule/change_list.html"

    def changelist_view(self, request, extra_context=None):
        default = [rule_in_words(row["position"], row["priority"], row["product"])
                   for row in AuthorityMatrix.default().to_rows()]
        extra_context = {**(extra_context or {}), "default_rules": default,
                         "matrix_empty": not AuthorityRule.objects.exists()}
        return super().changelist_view(request, extra_context)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def delete_model(self, request, obj):
        services.authority_rule_remove(actor=request.user, rule=obj)

    def delete_queryset(self, request, queryset):
        if not request.user.is_superuser:
            raise PermissionDenied
        for rule in queryset:
            services.authority_rule_remove(actor=request.user, rule=rule)

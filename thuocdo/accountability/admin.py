"""Admin of accountability: signals read-only (they are answered on their page), the
detectors' settings (thresholds, authority matrix) edited through services."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied

from thuocdo.core.admin import ServiceAdmin, ServiceModelForm

from . import services
from .models import AuthorityRule, SignalRecord, ThresholdSet


@admin.register(SignalRecord)
class SignalRecordAdmin(admin.ModelAdmin):
    list_display = ("code", "period", "raised_on", "subject", "official", "unit", "status",
                    "explanation_due", "present")
    list_filter = ("code", "status", "present", "period")
    search_fields = ("subject", "official__code", "unit__code", "key")
    list_select_related = ("official", "unit")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ThresholdSetForm(ServiceModelForm):
    class Meta:
        model = ThresholdSet
        fields = ("version", "effective_from", "values", "basis")

    def apply(self, *, actor):
        data = self.cleaned_data
        return services.threshold_set_save(
            actor=actor, instance=None if self.adding else self.fresh(),
            version=data["version"], effective_from=data["effective_from"],
            values=data.get("values") or {}, basis=data.get("basis") or "")


@admin.register(ThresholdSet)
class ThresholdSetAdmin(ServiceAdmin):
    form = ThresholdSetForm
    list_display = ("version", "effective_from", "values", "basis")


class AuthorityRuleForm(ServiceModelForm):
    class Meta:
        model = AuthorityRule
        fields = ("position", "priority", "product")

    def apply(self, *, actor):
        if not self.adding:
            raise forms.ValidationError("A rule is removed and added, not changed.")
        data = self.cleaned_data
        return services.authority_rule_add(actor=actor, position=data["position"],
                                           priority=data["priority"],
                                           product=data.get("product"))


@admin.register(AuthorityRule)
class AuthorityRuleAdmin(ServiceAdmin):
    """The authority matrix (S4). Empty: the engine's default matrix applies."""

    form = AuthorityRuleForm
    list_display = ("position", "priority", "product")

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

"""Admin of accountability: signals read-only (they are answered on their page), the
detectors' settings (thresholds, authority matrix) edited through services."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Prefetch, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from thuocdo.core.admin import ServiceAdmin, ServiceModelForm
from thuocdo.core.errors import ServiceError
from thuocdo.core.templatetags.periods import period_name
from thuocdo.measure.signals import AuthorityMatrix, Thresholds, event_number

from . import selectors, services
from .models import (
    THRESHOLD_BOUNDS,
    AuthorityMatrixVersion,
    AuthorityRule,
    SignalRecord,
    ThresholdSet,
)


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
              "last_seen", "thresholds", "authority")
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


def _threshold_defaults() -> str:
    """The engine's default of every threshold a version may set, by name."""
    defaults = Thresholds()
    return ", ".join(f"{name} = {getattr(defaults, name)}" for name in THRESHOLD_BOUNDS)


class ThresholdSetForm(ServiceModelForm):
    """A new version of the thresholds (a saved one is only read: `ThresholdSetAdmin`)."""

    class Meta:
        model = ThresholdSet
        fields = ("version", "effective_from", "values", "basis")
        error_messages = {"values": {"invalid": _(
            "Values: write the thresholds that differ from the defaults as a JSON object, "
            "e.g. {\"reminders\": 4}.")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "values" in self.fields:
            self.fields["values"].help_text = gettext(
                "Write only the thresholds that differ from the defaults, as a JSON object, "
                "e.g. {\"reminders\": 4}. The defaults: %(defaults)s.") % {
                    "defaults": _threshold_defaults()}

    def apply(self, *, actor):
        if not self.adding:
            raise forms.ValidationError(_("A version is not changed once saved: add a new "
                                          "version, in force from its day."))
        data = self.cleaned_data
        return services.threshold_set_add(
            actor=actor, version=data["version"], effective_from=data["effective_from"],
            values=data.get("values") or {}, basis=data.get("basis") or "")


class VersionStatusMixin:
    """A setting's versions (`effective_from`, `version`) listed with which is in force
    today, which replaced and which not yet in force."""

    def get_queryset(self, request):
        model = self.model
        current = (model.objects.filter(effective_from__lte=timezone.localdate())
                   .order_by("-effective_from", "-version").values("pk")[:1])
        return super().get_queryset(request).annotate(current_pk=Subquery(current))

    @admin.display(description=_("status"))
    def status(self, obj):
        if obj.effective_from > timezone.localdate():
            return gettext("not yet in force")
        if obj.pk == getattr(obj, "current_pk", None):
            return gettext("in force")
        return gettext("replaced")


@admin.register(ThresholdSet)
class ThresholdSetAdmin(VersionStatusMixin, ServiceAdmin):
    """Versions of the thresholds: added, then only read (the months computed under one
    keep their meaning); one no stored signal was computed under may be removed."""

    form = ThresholdSetForm
    list_display = ("version", "effective_from", "status", "values", "basis")
    actions = None

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (obj is not None and request.user.is_superuser
                and not services.threshold_set_in_use(obj))

    def delete_model(self, request, obj):
        services.threshold_set_remove(actor=request.user, row=obj)


#: the order rules are shown in: by rank, then by priority
POSITIONS = ("head", "deputy", "staff")
PRIORITIES = ("normal", "urgent", "collective")


def _names(position: str, priority: str) -> dict[str, str]:
    """A rule's position and priority in words, in the active language."""
    positions = dict(AuthorityRule._meta.get_field("position").choices or ())
    priorities = dict(AuthorityRule._meta.get_field("priority").choices or ())
    return {"position": str(positions.get(position, position)),
            "priority": str(priorities.get(priority, priority))}


def rule_in_words(position: str, priority: str, product: str | None) -> str:
    """"Staff: Normal (any product)", in the active language."""
    return gettext("%(position)s: %(priority)s (%(product)s)") % {
        **_names(position, priority),
        "product": product if product and product != "*" else gettext("any product")}


def matter_in_words(position: str, priority: str) -> str:
    """"Staff: Normal", in the active language (a rule's product said elsewhere)."""
    return gettext("%(position)s: %(priority)s") % _names(position, priority)


def _rule_order(position: str, priority: str, product: str | None) -> tuple:
    return (POSITIONS.index(position) if position in POSITIONS else len(POSITIONS),
            PRIORITIES.index(priority) if priority in PRIORITIES else len(PRIORITIES),
            product or "")


def version_rules(row: AuthorityMatrixVersion) -> list[tuple[str, str, str | None]]:
    """A version's rules, (position, priority, product code or None), in the order shown
    (the rules prefetched with their products where the list did)."""
    return sorted(((rule.position, rule.priority,
                    rule.product.code if rule.product_id else None)
                   for rule in row.rules.all()), key=lambda rule: _rule_order(*rule))


class AuthorityMatrixForm(ServiceModelForm):
    """A new version of the authority matrix, its rules given whole: those for any product
    ticked, those for one product written a line each. It starts from a copy of the
    version in force today (`AuthorityMatrixAdmin.get_changeform_initial_data`); a saved
    version is only read."""

    any_product = forms.MultipleChoiceField(
        label=_("Rules for any product"), required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(f"{position}:{priority}", lazy(matter_in_words, str)(position, priority))
                 for position in POSITIONS for priority in PRIORITIES],
        help_text=_("Who decides which matters themselves, on every product."))
    one_product = forms.CharField(
        label=_("Rules for one product"), required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One rule a line: position, priority, product code, e.g. “staff, "
                    "urgent, BC”. Positions: head, deputy, staff; priorities: normal, "
                    "urgent, collective."))

    class Meta:
        model = AuthorityMatrixVersion
        fields = ("version", "effective_from", "any_product", "one_product", "basis")

    def clean_any_product(self) -> list[dict[str, str]]:
        return [dict(zip(("position", "priority"), value.split(":", 1), strict=True))
                for value in self.cleaned_data.get("any_product") or ()]

    def clean_one_product(self) -> list[dict[str, str]]:
        """Each line a rule for one product, checked as the service checks it, the line
        named in the error."""
        rules = []
        text = self.cleaned_data.get("one_product") or ""
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split(",")]
            if len(parts) != 3 or not all(parts):
                raise forms.ValidationError(
                    _("Line %(line)s: write a position, a priority and a product code, "
                      "separated by commas, e.g. “staff, urgent, BC”."),
                    params={"line": number}, code="bad_rule")
            rule = dict(zip(("position", "priority", "product"), parts, strict=True))
            try:
                services.authority_rule_clean(rule)
            except ServiceError as exc:
                raise forms.ValidationError(
                    _("Line %(line)s: %(error)s"),
                    params={"line": number, "error": exc.service_message},
                    code="bad_rule") from exc
            rules.append(rule)
        return rules

    def apply(self, *, actor):
        if not self.adding:
            raise forms.ValidationError(_("A version is not changed once saved: add a new "
                                          "version, in force from its day."))
        data = self.cleaned_data
        return services.authority_matrix_add(
            actor=actor, version=data["version"], effective_from=data["effective_from"],
            rules=[*data.get("any_product", ()), *data.get("one_product", ())],
            basis=data.get("basis") or "")


@admin.register(AuthorityMatrixVersion)
class AuthorityMatrixAdmin(VersionStatusMixin, ServiceAdmin):
    """Versions of the authority matrix (S4), each the whole matrix from its day: the list
    says which is in force today and each version's rules; a version is added (from a copy
    of the one in force), then only read; one no computed month may have used may be
    removed. The note above the list says what a version in force in a month is, and what
    no rule means."""

    form = AuthorityMatrixForm
    list_display = ("version", "effective_from", "status", "rules_in_words", "basis")
    actions = None
    change_list_template = "admin/accountability/authoritymatrixversion/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(
            Prefetch("rules", AuthorityRule.objects.select_related("product")))

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("version", "effective_from", "any_product", "one_product", "basis")
        return ("version", "effective_from", "status", "rules_in_words", "basis")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("status", "rules_in_words")

    def get_changeform_initial_data(self, request):
        """The rules of the latest version, to start from: the one in force today, or one
        already saved to come into force later (starting from today's would drop its
        changes)."""
        initial = super().get_changeform_initial_data(request)
        current = (AuthorityMatrixVersion.objects.order_by("-effective_from")
                   .prefetch_related("rules__product").first())
        if current is not None:
            rules = version_rules(current)
            initial.setdefault("any_product", [f"{position}:{priority}"
                                               for position, priority, product in rules
                                               if product is None])
            initial.setdefault("one_product", "\n".join(
                f"{position}, {priority}, {product}"
                for position, priority, product in rules if product is not None))
        return initial

    @admin.display(description=_("rules"))
    def rules_in_words(self, obj):
        rules = version_rules(obj)
        if not rules:
            return gettext("No rule: nobody decides a matter alone.")
        return format_html_join(mark_safe("<br>"), "{}",
                                ((rule_in_words(*rule),) for rule in rules))

    def changelist_view(self, request, extra_context=None):
        current = AuthorityMatrixVersion.in_force_on(timezone.localdate())
        default = [rule_in_words(*rule) for rule in sorted(
            ((row["position"], row["priority"], row["product"])
             for row in AuthorityMatrix.default().to_rows()),
            key=lambda rule: _rule_order(*rule))]
        extra_context = {**(extra_context or {}), "default_rules": default,
                         "current": current,
                         "current_empty": current is not None and not current.rules.exists()}
        return super().changelist_view(request, extra_context)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (obj is not None and request.user.is_superuser
                and not services.authority_matrix_in_use(obj))

    def delete_model(self, request, obj):
        services.authority_matrix_remove(actor=request.user, row=obj)

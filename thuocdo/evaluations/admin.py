"""Admin of evaluations: the approved exceptions to the HTXS quota, recorded and changed
through services (the organisation board has its own pages for them, under /scores/)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from thuocdo.core.admin import ServiceAdmin, ServiceModelForm
from thuocdo.org.choices import AGENCY_KINDS
from thuocdo.org.models import Unit

from . import services
from .forms import SharePercentField
from .models import QuotaException

#: what the form edits, in order (the services' arguments)
EXCEPTION_FIELDS = ("agency", "valid_from", "valid_to", "share", "decision", "decided_on",
                    "reason")


class QuotaExceptionAdminForm(ServiceModelForm):
    """An exception to record, or to change with why (`services.quota_exception_record`,
    `quota_exception_change`); the share is typed in percent."""

    share = SharePercentField()
    why = forms.CharField(label=_("Why is the exception changed?"), required=False,
                          max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                          help_text=_("Only when changing one: kept in the audit trail with "
                                      "the values before and after."))

    class Meta:
        model = QuotaException
        fields = EXCEPTION_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Unit.objects.filter(
            kind__in=AGENCY_KINDS).order_by("lft")

    def apply(self, *, actor):
        data = self.cleaned_data
        fields = {name: data[name] for name in EXCEPTION_FIELDS}
        if self.adding:
            return services.quota_exception_record(actor=actor, **fields)
        return services.quota_exception_change(actor=actor, exception=self.fresh(),
                                               why=data.get("why") or "", **fields)


@admin.register(QuotaException)
class QuotaExceptionAdmin(ServiceAdmin):
    """Approved exceptions for outstanding units (domain.md, "Quota"). Recorded and changed
    here or on the board's pages; removed on the board's page, which asks why."""

    form = QuotaExceptionAdminForm
    list_display = ("agency", "valid_from", "valid_to", "percent_shown", "decision",
                    "decided_on", "recorded_by", "recorded_at")
    list_filter = ("valid_to",)
    search_fields = ("agency__code", "agency__name", "decision")
    list_select_related = ("agency", "recorded_by")
    readonly_fields = ("recorded_by", "recorded_at")
    date_hierarchy = "valid_to"
    actions = None

    def get_fields(self, request, obj=None):
        fields = [*EXCEPTION_FIELDS, *self.readonly_fields]
        return [*fields, "why"] if obj is not None else fields

    @admin.display(description=_("HTXS quota"), ordering="share")
    def percent_shown(self, obj):
        return f"{number_format(obj.percent)}%"

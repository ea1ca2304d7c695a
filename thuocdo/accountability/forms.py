"""Forms of accountability: the dashboard's unit and month, the signal filters, the answer,
and the S14/S15 signals recorded by hand."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from thuocdo.core.filters import FilterForm
from thuocdo.core.forms import DateInput, DayField, MonthField
from thuocdo.core.scope import Scope
from thuocdo.org import selectors as org_selectors
from thuocdo.org.forms import OfficialCodeField, UnitChoiceField
from thuocdo.tasks import selectors as task_selectors

from . import selectors
from .choices import (
    MANUAL_CODES,
    PROTECTED_INITIATIVE,
    SIGNAL_NAMES,
    SignalStatus,
    StepAction,
)


def this_month() -> str:
    today = timezone.localdate()
    return f"{today.year}-{today.month:02d}"


def _month_field(label) -> MonthField:
    return MonthField(label=label, required=False)


class DashboardForm(FilterForm):
    """Which unit and month the dashboard shows (the query string)."""

    unit = UnitChoiceField(label=_("Unit"), queryset=None, to_field_name="code",
                           required=False, empty_label=None)
    period = _month_field(_("Month"))

    def __init__(self, data=None, *, scope: Scope, **kwargs):
        if data is not None and not data.get("period"):
            # the page shows the current month: so does its field
            data = data.copy()
            data["period"] = this_month()
        super().__init__(data, **kwargs)
        units = selectors.dashboard_units(scope=scope).only("pk", "code", "name", "depth",
                                                            "lft", "rgt", "parent")
        self.fields["unit"].queryset = units
        first = units.first()
        self.fields["unit"].base_depth = first.depth if first else 0
        self.default_unit = first

    @property
    def chosen_unit(self):
        self.is_valid()
        return self.cleaned_data.get("unit") or self.default_unit

    @property
    def chosen_period(self) -> str:
        self.is_valid()
        return self.cleaned_data.get("period") or this_month()


def signal_code_choices() -> list[tuple[str, str]]:
    """Each signal as "S1 · Work late", in the language active when they are shown (lazy:
    never the language of the import)."""
    return [(code, format_lazy("{} · {}", code, name)) for code, name in SIGNAL_NAMES.items()]


#: the signal list's filter of what waits for the caller (the home page's numbers open it)
WAITING_DECISION = "decide"
WAITING_EXPLANATION = "explain"


class SignalFilterForm(FilterForm):
    """Filters and sort order of the signal list (and of its xlsx export). A filter that is
    not valid lists nothing: its error says why (never every signal as if it were unset).
    `waiting` lists the signals waiting for the caller: their decision
    (`selectors.decide_q`) or their explanation (`selectors.explain_q`)."""

    SORT = [
        ("-raised", _("Raised on (newest first)")),
        ("raised", _("Raised on (oldest first)")),
        ("code", _("Signal (S1 to S15)")),
        ("-code", _("Signal (S15 to S1)")),
        ("official", _("Official (A to Z)")),
        ("-official", _("Official (Z to A)")),
        ("unit", _("Unit (A to Z)")),
        ("-unit", _("Unit (Z to A)")),
        ("status", _("Status (open first)")),
        ("-status", _("Status (decided first)")),
    ]

    unit = UnitChoiceField(label=_("Unit (and below)"), queryset=None, to_field_name="code",
                           required=False, empty_label=_("All units I can see"))
    period = _month_field(_("Month"))
    code = forms.ChoiceField(label=_("Signal"), required=False,
                             choices=[("", _("Any signal")), *signal_code_choices()])
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status")), ("undecided", _("Not decided")),
                                        *SignalStatus.choices])
    official = OfficialCodeField(label=_("Official (code)"), required=False)
    subject = forms.CharField(label=_("About (task, dossier or feedback code)"),
                              required=False, max_length=64)
    escalated = forms.BooleanField(label=_("Escalated to this unit (S9)"), required=False)
    overdue = forms.BooleanField(label=_("Explanation overdue"), required=False,
                                 help_text=_("Requested, and not given by its due day."))
    work_overdue = forms.BooleanField(
        label=_("Work still overdue"), required=False,
        help_text=_("About work still open and past its deadline today."))
    gone = forms.BooleanField(label=_("Include signals no longer raised"), required=False)
    waiting = forms.ChoiceField(
        label=_("Waiting for you"), required=False,
        choices=[("", _("Any signal")), (WAITING_DECISION, _("Your decision")),
                 (WAITING_EXPLANATION, _("Your explanation"))])
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT)

    def __init__(self, data=None, *, scope: Scope, **kwargs):
        super().__init__(data, **kwargs)
        self.scope = scope
        units = org_selectors.unit_list(scope=scope).select_related(None).only(
            "pk", "code", "name", "depth", "lft", "rgt")
        self.fields["unit"].queryset = units
        first = units.first()
        self.fields["unit"].base_depth = first.depth if first else 0
        self.fields["official"].scope = scope

    def filters(self) -> selectors.SignalFilters:
        self.is_valid()
        data = self.cleaned_data
        unit = data.get("unit")
        escalated = bool(data.get("escalated")) and unit is not None
        waiting = data.get("waiting")
        return selectors.SignalFilters(
            unit=None if escalated else unit, escalated_to=unit if escalated else None,
            period=data.get("period") or None, code=data.get("code") or None,
            status=data.get("status") or None, official=data.get("official"),
            subject=(data.get("subject") or "").strip() or None, present_only=not data.get("gone"),
            explanation_overdue_on=timezone.localdate() if data.get("overdue") else None,
            task_overdue_on=timezone.localdate() if data.get("work_overdue") else None,
            to_explain=waiting == WAITING_EXPLANATION,
            to_decide_on=timezone.localdate() if waiting == WAITING_DECISION else None)

    @property
    def ordering(self) -> str:
        self.is_valid()
        return self.cleaned_data.get("sort") or "-raised"


class SignalStepForm(forms.Form):
    """One step of a signal's answer (the text is required; the decision only to decide;
    the due day only to request, empty for the default)."""

    text = forms.CharField(label=_("Text"), max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 3}))
    #: its help text says the most working days the settings allow (`__init__`)
    due = DayField(label=_("Explanation due by"), required=False, widget=DateInput)
    decision = forms.ChoiceField(
        label=_("Decision"), required=False, widget=forms.RadioSelect,
        choices=[(StepAction.ACCEPT, _("Accept the explanation (no breach)")),
                 (StepAction.CONFIRM, _("Confirm the breach"))])
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, code: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["due"].help_text = _(
            "A working day, from today to %(n)d working days after it. Empty: the default "
            "number of working days after today.") % {
                "n": settings.THUOCDO_EXPLANATION_MAX_WORKDAYS}
        if code == PROTECTED_INITIATIVE:
            # a protected initiative is not a breach: the leader decides whether its
            # failure is held against the person (choices.PROTECTED_INITIATIVE)
            self.fields["decision"].choices = [
                (StepAction.ACCEPT, _("Protect the initiative: the motives were sound, its "
                                      "failure is not held against the person")),
                (StepAction.CONFIRM, _("Do not protect it: the motives were not sound"))]


class SignalRecordForm(forms.Form):
    """An S14 or S15 signal recorded by hand (`services.signal_record`). Every error names
    its field, but a day that is none, which says what `DayField` says everywhere (a real
    day, as dd/mm/yyyy), next to its field; the official and the task are typed by code (any
    case for the official)."""

    code = forms.ChoiceField(
        label=_("Signal"), widget=forms.RadioSelect,
        choices=[(code, format_lazy("{} · {}", code, SIGNAL_NAMES[code]))
                 for code in MANUAL_CODES],
        error_messages={"required": _("Signal: choose S14 or S15."),
                        "invalid_choice": _("Signal: choose S14 or S15.")})
    official = OfficialCodeField(
        label=_("Official (code)"),
        error_messages={"required": _("Official: give the code of the official the signal "
                                      "is about."),
                        "max_length": _("Official: a code has at most 64 characters."),
                        "unknown": _("Official: no official you can see has the code "
                                     "“%(code)s”.")})
    on = DayField(
        label=_("Date of the record"), widget=DateInput,
        help_text=_("The day of the inspection conclusion, the discipline decision or the "
                    "registration; the signal belongs to that month."),
        error_messages={"required": _("Date of the record: give a day.")})
    unit = UnitChoiceField(
        label=_("Unit"), queryset=None, to_field_name="code", required=False,
        empty_label=_("The official's unit on that day"),
        error_messages={"invalid_choice": _("Unit: choose one of the units where you record "
                                            "signals.")})
    task = forms.CharField(
        label=_("Task (code, optional)"), required=False, max_length=64,
        help_text=_("S15: a task the official leads (protection applies only to the task's "
                    "lead official)."),
        error_messages={"max_length": _("Task: a code has at most 64 characters.")})
    text = forms.CharField(
        label=_("Text"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("S14: what the inspection or discipline record found, and its reference "
                    "(number and date). S15: the initiative registered, what it proposes "
                    "and why it dares to act."),
        error_messages={"required": _("Text: write what the record found (S14) or the "
                                      "initiative registered (S15)."),
                        "max_length": _("Text: at most 4,000 characters.")})

    def __init__(self, data=None, *, scope: Scope, units, **kwargs):
        super().__init__(data, **kwargs)
        self.scope = scope
        units = units.only("pk", "code", "name", "depth", "lft", "rgt")
        self.fields["unit"].queryset = units
        first = units.first()
        self.fields["unit"].base_depth = first.depth if first else 0
        self.fields["official"].scope = scope

    def clean_task(self):
        code = (self.cleaned_data.get("task") or "").strip()
        if not code:
            return None
        try:
            return task_selectors.task_get(scope=self.scope, code=code)
        except ObjectDoesNotExist:
            raise forms.ValidationError(
                _("Task: no task you can see has the code “%(code)s”."),
                code="unknown_task", params={"code": code}) from None


class CountedTasksForm(forms.Form):
    """The query string of the tasks behind a dashboard total (see `BucketRow.query`)."""

    unit = forms.CharField(required=True, max_length=64)
    period = MonthField(label=_("Month"), required=True)
    subunits = forms.ChoiceField(required=False, choices=[("1", "1"), ("0", "0")])
    lead_official = forms.CharField(required=False, max_length=64)


class DelayFilterForm(forms.Form):
    """The query string of a "delay by holder" row's tasks (and of their export). A unit or
    official the caller cannot see answers 404; only the month may be refused by name (the
    export's message), hence its label."""

    unit = forms.CharField(label=_("Unit"), required=True, max_length=64)
    period = MonthField(label=_("Month"), required=True)
    holder_unit = forms.CharField(required=False, max_length=64)
    official = forms.CharField(required=False, max_length=64)

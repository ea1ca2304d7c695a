"""Forms of the task pages: the work-list filters, the assign form, and one small form per
workflow action (each with exactly the fields its action needs and the task's version).

Forms only collect and shape input; the rules live in `workflow.decide` and the services,
whose refusals the views put back next to the field they name.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from typing import ClassVar

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from thuocdo.core.filters import FilterForm
from thuocdo.core.forms import DateInput, DayField, MonthField
from thuocdo.core.scope import Scope, subtrees_q
from thuocdo.measure.history import Bucket
from thuocdo.org import selectors as org_selectors
from thuocdo.org.forms import OfficialCodeField, UnitChoiceField
from thuocdo.org.models import Official, Unit

from . import selectors
from .choices import QUANTITY_MAX, EventKind, Priority, TaskState
from .selectors import TaskFilters
from .workflow import DbDirectory, next_workday

BUCKET_LABELS = {
    Bucket.DONE_ON_TIME.value: _("Done on time"),
    Bucket.DONE_LATE.value: _("Done late"),
    Bucket.OPEN_WITHIN_DEADLINE.value: _("Open, within deadline"),
    Bucket.OPEN_OVERDUE.value: _("Open, overdue"),
}

#: What the button of each action says (the event kinds' labels are in the past tense).
ACTION_LABELS = {
    EventKind.ACCEPT: _("Accept"),
    EventKind.TRANSFER: _("Transfer"),
    EventKind.RETURN: _("Return"),
    EventKind.EXTENSION_REQUEST: _("Request an extension"),
    EventKind.EXTENSION_GRANT: _("Grant an extension"),
    EventKind.EXTENSION_REFUSE: _("Refuse the extension"),
    EventKind.GUIDANCE_REQUEST: _("Ask for guidance"),
    EventKind.GUIDANCE_REPLY: _("Give guidance"),
    EventKind.CONSULT: _("Ask another unit's opinion"),
    EventKind.CONSULT_REPLY: _("Give the unit's opinion"),
    EventKind.REMIND: _("Send a reminder"),
    EventKind.SUBMIT: _("Submit for approval"),
    EventKind.APPROVE: _("Approve"),
    EventKind.REWORK: _("Send back for rework"),
    EventKind.EXCUSE_DELAY: _("Excuse a delay"),
    EventKind.CANCEL: _("Cancel the task"),
}

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class OfficialChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} ({obj.code})"


def yes_no_field(label, **kwargs) -> forms.TypedChoiceField:
    """A yes/no question as radio buttons; left unanswered, the error names the question
    (it may be shown away from the field, e.g. in "My work")."""

    def required() -> str:
        return gettext("Answer the question “%(question)s”: choose yes or no.") % {
            "question": label}

    kwargs.setdefault("error_messages", {"required": lazy(required, str)()})
    return forms.TypedChoiceField(
        label=label, choices=YES_NO, coerce=lambda value: value == "yes",
        widget=forms.RadioSelect, **kwargs,
    )


def _follow_unit(target_id: str, purpose: str = "") -> dict:
    """htmx attributes for a unit select: refresh the officials select `target_id` with the
    officials of the unit chosen (tasks:official_options)."""
    attrs = {
        "hx-get": reverse("tasks:official_options"),
        "hx-target": f"#{target_id}",
        "hx-swap": "innerHTML",
        "hx-trigger": "change",
        "aria-controls": target_id,
    }
    if purpose:
        attrs["hx-vals"] = json.dumps({"purpose": purpose})
    return attrs


def _unit_field_queryset(field: UnitChoiceField, units) -> None:
    field.queryset = units
    first = units.first()
    field.base_depth = first.depth if first is not None else 0


# -- the work list ---------------------------------------------------------------------


class TaskFilterForm(FilterForm):
    """Search, filters and sort order of a work list (and of its xlsx export).

    Bound to the query string. Without a `unit` parameter the list shows `default_unit`
    (the caller's first led unit, else their own unit); `unit=` (empty) means every task
    the caller can see.
    """

    SUBUNITS = [("1", _("Included")), ("0", _("Not included"))]
    SORT = [
        ("due", _("Deadline (earliest first)")),
        ("-due", _("Deadline (latest first)")),
        ("assigned", _("Assigned (oldest first)")),
        ("-assigned", _("Assigned (newest first)")),
        ("code", _("Code (ascending)")),
        ("-code", _("Code (descending)")),
        ("title", _("Title (A to Z)")),
        ("-title", _("Title (Z to A)")),
        ("last_event", _("Last event (oldest first)")),
        ("-last_event", _("Last event (newest first)")),
    ]

    q = forms.CharField(
        label=_("Search"), required=False, max_length=200,
        help_text=_("Title or code. Tones are optional: “bao cao” finds “Báo cáo”."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    unit = UnitChoiceField(label=_("Lead unit"), required=False, queryset=None,
                           to_field_name="code", empty_label=_("All units I can see"))
    subunits = forms.ChoiceField(label=_("Sub-units of the unit"), required=False,
                                 choices=SUBUNITS)
    bucket = forms.ChoiceField(label=_("Bucket"), required=False,
                               choices=[("", _("Any bucket")), *BUCKET_LABELS.items(),
                                        (selectors.CANCELLED, TaskState.CANCELLED.label)])
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("Any state")), *TaskState.choices])
    directive = forms.ModelChoiceField(label=_("Directive"), required=False, queryset=None,
                                       to_field_name="code", empty_label=_("Any directive"))
    holder = OfficialCodeField(label=_("Held by (official code)"), required=False)
    lead_official = OfficialCodeField(label=_("Lead official (code)"), required=False)
    priority = forms.ChoiceField(label=_("Priority"), required=False,
                                 choices=[("", _("Any priority")), *Priority.choices])
    due_from = DayField(label=_("Deadline from"), required=False, widget=DateInput)
    due_to = DayField(label=_("Deadline to"), required=False, widget=DateInput)
    assigned_from = DayField(label=_("Assigned from"), required=False, widget=DateInput)
    assigned_to = DayField(label=_("Assigned to"), required=False, widget=DateInput)
    period = MonthField(
        label=_("Period (original deadline)"), required=False,
        help_text=_("A month, MM/YYYY: the tasks whose original deadline falls in it."),
    )
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT)

    def __init__(self, data=None, *, scope: Scope, default_unit: Unit | None = None, **kwargs):
        data = data.copy() if data is not None else {}
        if "unit" not in data and default_unit is not None:
            data["unit"] = default_unit.code
        super().__init__(data, **kwargs)
        self.scope = scope
        _unit_field_queryset(
            self.fields["unit"],
            org_selectors.unit_list(scope=scope).select_related(None)
            .only("pk", "code", "name", "depth", "lft"),
        )
        self.fields["directive"].queryset = selectors.directive_list(scope=scope)
        self.fields["holder"].scope = self.fields["lead_official"].scope = scope

    def clean(self):
        data = super().clean()
        # as every list's range of days (core/filters.py): said, not an empty list
        for start, end in (("due_from", "due_to"), ("assigned_from", "assigned_to")):
            if data.get(start) and data.get(end) and data[end] < data[start]:
                self.add_error(end, _("The end is before the start."))
        return data

    def clean_period(self):
        value = self.cleaned_data.get("period")
        if not value:
            return None
        year, month = (int(part) for part in value.split("-"))
        last = calendar.monthrange(year, month)[1]
        return dt.date(year, month, 1), dt.date(year, month, last)

    def filters(self, **overrides) -> TaskFilters:
        """The selector's filters from the fields that are valid (an invalid field is
        reported next to itself and ignored)."""
        self.is_valid()
        data = self.cleaned_data
        values = {
            "unit": data.get("unit"),
            "include_subunits": data.get("subunits") != "0",
            "bucket": data.get("bucket") or None,
            "state": data.get("state") or None,
            "directive": data.get("directive"),
            "holder": data.get("holder"),
            "lead_official": data.get("lead_official"),
            "priority": data.get("priority") or None,
            "due_from": data.get("due_from"),
            "due_to": data.get("due_to"),
            "assigned_from": data.get("assigned_from"),
            "assigned_to": data.get("assigned_to"),
            "period": data.get("period"),
            "search": data.get("q") or None,
        }
        values.update(overrides)
        return TaskFilters(**values)

    MORE = ("priority", "directive", "holder", "lead_official", "due_from", "due_to",
            "assigned_from", "assigned_to", "period")

    @property
    def more_used(self) -> bool:
        """True when a filter behind "More filters" is set (or wrong): show them open."""
        return any(self.data.get(name) for name in self.MORE) or any(
            name in self.errors for name in self.MORE)

    @property
    def ordering(self) -> str:
        self.is_valid()
        return self.cleaned_data.get("sort") or "due"


# -- assigning a task ------------------------------------------------------------------


class TaskAssignForm(forms.Form):
    """The five "rõ" of a new task. The lead unit is one the assigner leads (any unit for an
    administrator); the lead official's choices are the members of the chosen lead unit.

    A deadline in the past is a date the form accepts and the service refuses
    (`workflow.check_assignment`): so the service still has it, and still compares the
    coordinating units' deadlines with it."""

    title = forms.CharField(label=_("Title"), max_length=500)
    description = forms.CharField(label=_("What is to be done"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    directive = forms.ModelChoiceField(
        label=_("Directive"), required=False, queryset=None, to_field_name="code",
        empty_label=_("No directive"),
        help_text=_("The document that gives this work, if any: one issued by a unit you "
                    "lead or by a unit above it."),
    )
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=None, to_field_name="code",
        empty_label=_("Choose the product expected"),
    )
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=QUANTITY_MAX,
                                  initial=1)
    lead_unit = UnitChoiceField(label=_("Lead unit"), queryset=None, to_field_name="code",
                                empty_label=None)
    lead_official = OfficialChoiceField(
        label=_("Lead official"), queryset=None, to_field_name="code",
        empty_label=_("Choose an official of the lead unit"),
        error_messages={"invalid_choice": _(
            "Choose one of the officials of the lead unit: the list now shows them.")},
    )
    due = DayField(label=_("Deadline"), widget=DateInput)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices,
                                 initial=Priority.NORMAL)

    def __init__(self, data=None, *, scope: Scope, **kwargs):
        super().__init__(data, **kwargs)
        self.scope = scope
        units = (org_selectors.unit_list(scope=scope).select_related(None)
                 .only("pk", "code", "name", "depth", "lft"))
        if not scope.is_admin:
            units = units.filter(subtrees_q(scope.lead_ranges))
        _unit_field_queryset(self.fields["lead_unit"], units)
        self.fields["directive"].queryset = selectors.directive_list_to_answer(scope=scope)
        self.fields["product"].queryset = selectors.product_list(scope=scope)
        code = (self.data.get("lead_unit") if self.is_bound
                else self.initial.get("lead_unit"))
        unit = units.filter(code=code).first() if code else None
        if unit is None and not self.is_bound:
            unit = units.first()
            if unit is not None:
                self.initial["lead_unit"] = unit.code
        self.lead_unit = unit
        self.fields["lead_unit"].widget.attrs.update(
            _follow_unit(self.auto_id % "lead_official" if self.auto_id else "lead_official")
        )
        self.fields["lead_official"].queryset = (
            org_selectors.official_list(scope=scope, unit=unit, include_subunits=False)
            if unit is not None else Official.objects.none()
        )


class CoordinationForm(forms.Form):
    """A coordinating unit and the deadline of its input (leave both empty to skip)."""

    unit = UnitChoiceField(label=_("Coordinating unit"), required=False, queryset=None,
                           to_field_name="code", empty_label=_("No unit"))
    due = DayField(label=_("Its deadline"), required=False, widget=DateInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _unit_field_queryset(self.fields["unit"], selectors.unit_options())

    def clean(self):
        data = super().clean()
        # a field already refused (a day that is none) has its own message, not a second
        if data.get("unit") and not data.get("due") and "due" not in self.errors:
            self.add_error("due", _("Give the coordinating unit its deadline."))
        elif data.get("due") and not data.get("unit") and "unit" not in self.errors:
            self.add_error("unit", _("Choose the unit this deadline is for."))
        return data


class StepForm(forms.Form):
    """One step of the procedure and its allowance in working days (leave empty to skip)."""

    name = forms.CharField(label=_("Step"), required=False, max_length=255)
    allowance = forms.IntegerField(label=_("Allowance (working days)"), required=False,
                                   min_value=1, max_value=1000)

    def clean(self):
        data = super().clean()
        # an allowance already refused (0, -1) has its own message, not a second
        if data.get("name") and not data.get("allowance") and "allowance" not in self.errors:
            self.add_error("allowance", _("Give the step its allowance."))
        elif data.get("allowance") and not data.get("name") and "name" not in self.errors:
            self.add_error("name", _("Name the step."))
        return data


CoordinationFormSet = forms.formset_factory(CoordinationForm, extra=2, max_num=20,
                                            validate_max=True)
StepFormSet = forms.formset_factory(StepForm, extra=3, max_num=30, validate_max=True)


# -- the workflow's actions ------------------------------------------------------------


class ActionForm(forms.Form):
    """One action on one task. `expected_version` is the task's version when the page was
    shown: an action taken on a stale page is refused. Subclasses add the payload fields,
    named as the service expects them."""

    kind: ClassVar[str] = ""
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, data=None, *, task, official: Official | None, snapshot, scope: Scope,
                 day: dt.date, events=(), **kwargs):
        kwargs.setdefault("auto_id", f"{self.kind}-%s")
        super().__init__(data, **kwargs)
        self.task, self.official, self.snapshot = task, official, snapshot
        self.scope, self.day, self.events = scope, day, list(events)
        if not self.is_bound:
            self.initial["expected_version"] = task.version
        self.setup()

    def setup(self) -> None:
        """Set the choices that depend on the task and the person."""

    @property
    def label(self):
        return ACTION_LABELS[self.kind]

    @property
    def has_payload(self) -> bool:
        return len(self.fields) > 1

    def service_data(self) -> dict:
        """The cleaned payload as the service reads it: codes and ISO dates."""
        data: dict = {}
        for name, value in self.cleaned_data.items():
            if name == "expected_version" or value is None or value == "":
                continue
            if isinstance(value, Unit | Official):
                value = value.code
            elif isinstance(value, dt.date):
                value = value.isoformat()
            data[name] = value
        return data


def _reason(label=None, required_message=None) -> forms.CharField:
    errors = {"required": required_message} if required_message else None
    return forms.CharField(label=label or _("Reason"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}), error_messages=errors)


def _note() -> forms.CharField:
    return forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class AcceptForm(ActionForm):
    kind = EventKind.ACCEPT


class ApproveForm(ActionForm):
    kind = EventKind.APPROVE


class TransferForm(ActionForm):
    """To another unit (and, if named, one of its officials), with a reason."""

    kind = EventKind.TRANSFER
    to_unit = UnitChoiceField(label=_("To unit"), queryset=None, to_field_name="code",
                              empty_label=None)
    to_official = OfficialChoiceField(
        label=_("To official"), required=False, queryset=None, to_field_name="code",
        empty_label=_("Nobody in particular: the unit's leaders dispatch it"),
        error_messages={"invalid_choice": _(
            "Choose one of the unit's officials: the list now shows them.")},
    )
    reason = _reason()

    def setup(self) -> None:
        units = selectors.unit_options()
        _unit_field_queryset(self.fields["to_unit"], units)
        code = self.data.get("to_unit") if self.is_bound else None
        unit = (units.filter(code=code).first() if code else None) or self.task.holder_unit
        if not self.is_bound:
            self.initial["to_unit"] = unit.code
        self.fields["to_unit"].widget.attrs.update(_follow_unit(self.auto_id % "to_official",
                                                               purpose="transfer"))
        self.fields["to_official"].queryset = org_selectors.official_list(
            scope=self.scope, unit=unit, include_subunits=False
        ).exclude(pk=self.task.holder_official_id or 0)


class ReturnForm(ActionForm):
    """Back to a unit, or an official, that held the work before."""

    kind = EventKind.RETURN
    to_unit = UnitChoiceField(label=_("To unit"), queryset=None, to_field_name="code",
                              empty_label=None)
    to_official = OfficialChoiceField(
        label=_("To official"), required=False, queryset=None, to_field_name="code",
        empty_label=_("Nobody in particular: the unit's leaders dispatch it"),
    )
    reason = _reason()

    def setup(self) -> None:
        holders = self.snapshot.holders
        current = self.task.holder_official_id
        unit_ids = {unit_id for unit_id, _official in holders}
        official_ids = {o for _unit, o in holders if o is not None and o != current}
        _unit_field_queryset(self.fields["to_unit"],
                             selectors.unit_options().filter(pk__in=unit_ids))
        self.fields["to_official"].queryset = Official.objects.filter(
            pk__in=official_ids).order_by("name_folded", "code")
        if not self.is_bound:
            # The most recent previous holder is the usual answer.
            for event in reversed(self.events):
                if event.holder_official_after_id in official_ids:
                    self.initial["to_unit"] = event.holder_unit_after.code
                    self.initial["to_official"] = event.holder_official_after.code
                    break


class ExtensionRequestForm(ActionForm):
    kind = EventKind.EXTENSION_REQUEST
    new_due = DayField(label=_("New deadline asked for"), widget=DateInput)
    reason = _reason()


class ExtensionGrantForm(ActionForm):
    """A new deadline, and why it moves (recorded in the event, shown on the timeline).

    The assigner may move the deadline whether or not the holder asked (docs/workflow.md):
    the action answers a request only while one is pending, and says so only then."""

    kind = EventKind.EXTENSION_GRANT
    new_due = DayField(label=_("New deadline"), widget=DateInput)
    reason = _reason(_("Reason for the extension"), required_message=_(
        "A granted extension needs a reason: say why the deadline moves."))

    @property
    def label(self):
        if pending_extension(self.snapshot) is not None:
            return ACTION_LABELS[self.kind]
        return _("Extend the deadline")

    def setup(self) -> None:
        requested = pending_extension(self.snapshot)
        if requested and not self.is_bound:
            # the day asked for, or the next working day when it is a day off (a request made
            # while days off were accepted, or imported; a grant on a day off would be
            # refused: workflow.check_deadline_day)
            day = dt.date.fromisoformat(str(requested["new_due"]))
            if settings.THUOCDO_DEADLINE_ON_DAY_OFF != "accept":
                day = next_workday(DbDirectory(), day) or day
            self.initial["new_due"] = day.isoformat()


class ExtensionRefuseForm(ActionForm):
    kind = EventKind.EXTENSION_REFUSE
    reason = _reason()


class GuidanceRequestForm(ActionForm):
    kind = EventKind.GUIDANCE_REQUEST
    to_official = OfficialChoiceField(label=_("Official asked"), queryset=None,
                                      to_field_name="code", empty_label=_("Choose whom to ask"))
    question = _reason(_("Question"))

    def setup(self) -> None:
        self.fields["to_official"].queryset = selectors.guidance_candidates(
            task=self.task, day=self.day,
            exclude_id=self.official.pk if self.official else None,
        )


class GuidanceReplyForm(ActionForm):
    kind = EventKind.GUIDANCE_REPLY
    answer = _reason(_("Answer"))


class ConsultForm(ActionForm):
    kind = EventKind.CONSULT
    to_unit = UnitChoiceField(label=_("Unit asked"), queryset=None, to_field_name="code",
                              empty_label=_("Choose the unit"))
    reply_due = DayField(label=_("Reply deadline"), widget=DateInput)
    question = _reason(_("Question"))

    def setup(self) -> None:
        # the whole tree, the holder's unit too, so that every unit stays under its parent
        # (the workflow refuses consulting the holder's own unit, with its reason)
        _unit_field_queryset(self.fields["to_unit"], selectors.unit_options())


class ConsultReplyForm(ActionForm):
    kind = EventKind.CONSULT_REPLY
    unit = UnitChoiceField(label=_("Replying for unit"), queryset=None, to_field_name="code",
                           empty_label=None)
    clear_position = yes_no_field(_("Does the reply take a clear position?"))
    answer = _reason(_("Answer"))

    def setup(self) -> None:
        # The pending consultations of units the official works in today.
        units = selectors.unit_options().filter(code__in=list(self.snapshot.consults))
        if self.official is not None:
            units = units.filter(pk__in=org_selectors.membership_history(official=self.official)
                                 .filter(org_selectors.current_q(self.day)).values("unit_id"))
        _unit_field_queryset(self.fields["unit"], units)


class RemindForm(ActionForm):
    kind = EventKind.REMIND
    note = _note()


class SubmitForm(ActionForm):
    kind = EventKind.SUBMIT
    note = _note()


class ReworkForm(ActionForm):
    kind = EventKind.REWORK
    major_error = yes_no_field(_("Does the product have a major error?"))
    excused = yes_no_field(_("Is there a confirmed objective cause (error excused)?"),
                           initial="no")
    reason = _reason()


class ExcuseDelayForm(ActionForm):
    kind = EventKind.EXCUSE_DELAY
    reason = _reason(_("Objective cause"))


class CancelForm(ActionForm):
    kind = EventKind.CANCEL
    reason = _reason()


ACTION_FORMS: dict[str, type[ActionForm]] = {
    form.kind: form
    for form in (
        AcceptForm, TransferForm, ReturnForm, ExtensionRequestForm, ExtensionGrantForm,
        ExtensionRefuseForm, GuidanceRequestForm, GuidanceReplyForm, ConsultForm,
        ConsultReplyForm, RemindForm, SubmitForm, ApproveForm, ReworkForm, ExcuseDelayForm,
        CancelForm,
    )
}


def pending_extension(snapshot) -> dict | None:
    """The payload of an extension request not yet granted or refused, if any."""
    pending = None
    for event in snapshot.events:
        if event.kind == EventKind.EXTENSION_REQUEST:
            pending = dict(event.data)
        elif event.kind in (EventKind.EXTENSION_GRANT, EventKind.EXTENSION_REFUSE):
            pending = None
    return pending

"""Forms of the public portal and the staff pages. They check shapes (a contact by the rule the
services apply too, `contacts.clean_contact`) and look codes up; the rules are the services'
(their refusals are shown on the field they name)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from thuocdo.core.errors import ServiceError
from thuocdo.core.filters import FilterForm
from thuocdo.core.forms import DateInput, DayField
from thuocdo.core.scope import Scope
from thuocdo.org.forms import OfficialCodeField, UnitChoiceField
from thuocdo.org.models import Official, Unit

from . import contacts, services
from .choices import (
    Channel,
    DossierStatus,
    FeedbackCategory,
    FeedbackKind,
    FeedbackStatus,
    Satisfaction,
    Verification,
)
from .models import Procedure, ProcedureStep
from .selectors import WAIT_ANSWER, WAIT_ASSIGN


class CodeField(forms.CharField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(*args, **kwargs)


class ContactField(forms.CharField):
    """A phone number or an e-mail address (`contacts.clean_contact`), cleaned to its normal
    form; `message_label` names the field in the message."""

    def __init__(self, *args, message_label, **kwargs):
        kwargs.setdefault("max_length", services.CONTACT_MAX)
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.message_label = message_label

    def clean(self, value):
        return contacts.clean_contact(super().clean(value), label=str(self.message_label))


def _lookup(model, code: str, message, **filters):
    if not code:
        return None
    found = model.objects.filter(code=code.strip(), **filters).first()
    if found is None:
        raise forms.ValidationError(message)
    return found


class FeedbackSubmitForm(forms.Form):
    """What a citizen sends. `website` is a honeypot: people do not see it, robots fill it."""

    kind = forms.ChoiceField(label=_("What are you sending?"), choices=FeedbackKind.choices,
                             initial=FeedbackKind.FEEDBACK)
    category = forms.ChoiceField(label=_("Category"), choices=FeedbackCategory.choices)
    unit = forms.ModelChoiceField(label=_("Unit concerned"),
                                  queryset=Unit.objects.filter(is_active=True).order_by("lft"),
                                  to_field_name="code", empty_label=_("Choose the unit"))
    text = forms.CharField(label=_("Content"), widget=forms.Textarea(attrs={"rows": 6}),
                           min_length=services.TEXT_MIN, max_length=services.TEXT_MAX)
    # Not required by the form: the service requires one of the two for a complaint
    # (services.feedback_submit), and the page says so above both fields.
    official = CodeField(label=_("Official concerned (code)"), required=False)
    dossier = CodeField(label=_("Dossier concerned (code)"), required=False)
    contact_name = forms.CharField(label=_("Your name (optional)"), required=False,
                                   max_length=services.CONTACT_MAX)
    contact = ContactField(label=_("Phone or e-mail (optional)"),
                           message_label=_("The contact"),
                           help_text=_("A phone number, e.g. 0912 345 678 or +84 912 345 678, "
                                       "or an e-mail address."))
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    #: whether the official's or the dossier's code was refused (the portal counts it as a
    #: failed look-up)
    lookup_refused = False

    def clean(self):
        """The official a case names must work in the agency of the unit it is sent to
        (`services.feedback_official_find`), and the dossier must have been received there
        (`services.feedback_dossier_find`). Checked only once everything else is valid, and
        refused with one message whether the code exists or not, so the form cannot be
        used to find out which codes exist."""
        cleaned = super().clean()
        code = cleaned.get("official")
        if (cleaned.get("kind") == FeedbackKind.COMPLAINT
                and not any(str(self.data.get(name, "")).strip()
                            for name in ("official", "dossier"))):
            # said with the other errors, not once they are fixed (the service's rule)
            self.add_error("official", services.complaint_subject_error().service_message)
        typed = {"official": code, "dossier": cleaned.get("dossier")}
        cleaned["official"] = cleaned["dossier"] = None
        if self.errors:
            return cleaned
        unit = cleaned["unit"]
        finders = {
            "official": lambda text: services.feedback_official_find(
                code=text, unit=unit, day=timezone.localdate()),
            "dossier": lambda text: services.feedback_dossier_find(code=text, unit=unit),
        }
        for name, find in finders.items():
            if not typed[name]:
                continue
            try:
                cleaned[name] = find(typed[name])
            except ServiceError as error:
                self.lookup_refused = True
                self.add_error(name, error.service_message)
        return cleaned

    def is_robot(self) -> bool:
        return bool(self.data.get("website"))


class LookupForm(forms.Form):
    code = forms.CharField(label=_("Tracking code"), max_length=32)
    key = forms.CharField(label=_("Access key"), max_length=32)


class RateForm(LookupForm):
    rating = forms.ChoiceField(label=_("How satisfied are you?"), choices=Satisfaction.choices,
                               widget=forms.RadioSelect)


class DossierLookupForm(forms.Form):
    """The dossier's code and access key, as printed on the receipt."""

    code = CodeField(label=_("Dossier code"))
    key = forms.CharField(label=_("Access key"), max_length=32)


class DossierPublicRateForm(DossierLookupForm):
    rating = forms.ChoiceField(label=_("How satisfied are you with the handling of your "
                                       "dossier?"), choices=Satisfaction.choices,
                               widget=forms.RadioSelect)


class _ListFilterForm(FilterForm):
    """Filters and sort order of a staff list (and of its xlsx export), bound to the query
    string; every field is optional and an empty query string means "everything I can see,
    in the default order". The unit is one of the caller's scope; a field that is not
    valid is reported on itself, and the views then list and export nothing
    (core/filters.py)."""

    SUBUNITS = [("1", _("Included")), ("0", _("Not included"))]
    SORT: list = []
    STATUSES: list = []

    unit = UnitChoiceField(label=_("Unit"), required=False, queryset=Unit.objects.none(),
                           to_field_name="code", empty_label=_("All units I can see"))
    subunits = forms.ChoiceField(label=_("Sub-units of the unit"), required=False,
                                 choices=SUBUNITS)
    status = forms.ChoiceField(label=_("Status"), required=False)
    received_from = DayField(label=_("Received from"), required=False,
                                    widget=DateInput)
    received_to = DayField(label=_("Received to"), required=False, widget=DateInput)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False)

    def __init__(self, data=None, *, scope, **kwargs):
        super().__init__(data, **kwargs)
        units = unit_choices(scope=scope)
        self.fields["unit"].queryset = units
        first = units.first()
        self.fields["unit"].base_depth = first.depth if first is not None else 0
        self.fields["status"].choices = [("", _("All")), *self.STATUSES]
        self.fields["sort"].choices = self.SORT

    def clean(self):
        data = super().clean()
        start, end = data.get("received_from"), data.get("received_to")
        if start and end and end < start:
            self.add_error("received_to", _("The end is before the start."))
        return data

    def filters(self, *, today: dt.date) -> dict:
        """The selector's keyword arguments from the fields that are valid."""
        self.is_valid()
        data = self.cleaned_data
        return {
            "unit": data.get("unit"),
            "include_subunits": data.get("subunits") != "0",
            "status": data.get("status") or None,
            "mine": bool(data.get("mine")),
            "received_from": data.get("received_from"),
            "received_to": data.get("received_to"),
            "overdue_on": today if data.get("overdue") else None,
            "ordering": data.get("sort") or self.SORT[0][0],
        }


def unit_choices(*, scope):
    """The units a staff list may be narrowed to: those of the caller's scope, in tree
    order."""
    from thuocdo.org import selectors as org_selectors

    return (org_selectors.unit_list(scope=scope).select_related(None)
            .only("pk", "code", "name", "depth", "lft"))


class FeedbackFilterForm(_ListFilterForm):
    STATUSES = FeedbackStatus.choices
    SORT = [
        ("reply_due", _("Reply deadline (earliest first)")),
        ("-reply_due", _("Reply deadline (latest first)")),
        ("submitted", _("Received (oldest first)")),
        ("-submitted", _("Received (newest first)")),
        ("code", _("Code (ascending)")),
        ("-code", _("Code (descending)")),
    ]

    overdue = forms.BooleanField(label=pgettext_lazy("feedback filter", "Overdue only"),
                                 required=False)
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)
    waiting = forms.ChoiceField(
        label=_("Waiting for you"), required=False,
        choices=[("", _("All")), (WAIT_ASSIGN, _("To assign (received by a unit you lead)")),
                 (WAIT_ANSWER, _("To answer (assigned to you)"))])

    def filters(self, *, today: dt.date) -> dict:
        found = super().filters(today=today)
        found["waiting"] = self.cleaned_data.get("waiting") or None
        return found


class DossierFilterForm(_ListFilterForm):
    STATUSES = DossierStatus.choices
    SORT = [
        ("due", _("Deadline (earliest first)")),
        ("-due", _("Deadline (latest first)")),
        ("received", _("Received (oldest first)")),
        ("-received", _("Received (newest first)")),
        ("code", _("Code (ascending)")),
        ("-code", _("Code (descending)")),
    ]

    mine = forms.BooleanField(label=_("Held by me"), required=False)


class AssignForm(forms.Form):
    """The official to give a case to, by code in any case, among those the caller sees
    (`scope`, set by the view before validating); a code of anyone else is said to name
    nobody of the unit responsible, so the answer never names a person the caller cannot
    see. `workdays` gives the official a handling deadline (`services.handling_due`)."""

    assignee = OfficialCodeField(
        label=_("Official (code)"),
        error_messages={"unknown": _("No official of the unit responsible has the code "
                                     "“%(code)s”.")})
    workdays = forms.IntegerField(
        label=_("Handling deadline (working days)"), min_value=1, required=False,
        max_value=services.MAX_REPLY_WORKDAYS,
        help_text=_("For the official, at most until the case's reply deadline, which an "
                    "assignment does not move. Empty: that deadline."))

    def __init__(self, data=None, *, scope: Scope | None = None, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["assignee"].scope = scope


class ReplyForm(forms.Form):
    answer = forms.CharField(label=_("Answer (shown to the submitter)"),
                             widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)


class ForwardForm(forms.Form):
    to_unit = forms.ModelChoiceField(label=_("Unit responsible"),
                                     queryset=Unit.objects.filter(is_active=True).order_by("lft"),
                                     to_field_name="code", empty_label=_("Choose the unit"))
    reason = forms.CharField(label=_("Reason (shown publicly)"),
                             widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)


class VerifyForm(forms.Form):
    result = forms.ChoiceField(label=_("Result"), choices=Verification.choices)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=2000)
    task = CodeField(label=_("Task concerned (code, optional)"), required=False)

    def clean_task(self):
        from thuocdo.tasks.models import Task

        return _lookup(Task, self.cleaned_data.get("task", ""), _("No task has this code."))


class EmptyForm(forms.Form):
    pass


class FindingAnswerForm(forms.Form):
    key = forms.CharField(max_length=200, widget=forms.HiddenInput)
    explanation = forms.CharField(label=_("Explanation"), widget=forms.Textarea(attrs={"rows": 3}),
                                  max_length=4000)


class FindingDecideForm(forms.Form):
    key = forms.CharField(max_length=200, widget=forms.HiddenInput)
    decision = forms.ChoiceField(label=_("Decision"), choices=[
        ("accepted", _("Accept the explanation")), ("confirmed", _("Confirm the finding"))])
    note = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}),
                           max_length=2000)


class ProcedureChoiceField(forms.ModelChoiceField):
    """A procedure by its name and the unit that receives it (its first step's): the same
    procedure is often offered by several wards ("Đăng ký kết hôn" of each), which a code
    alone does not tell apart. The queryset is annotated with `first_unit`
    (`with_first_unit`)."""

    def label_from_instance(self, obj) -> str:
        unit = getattr(obj, "first_unit", None)
        return f"{obj.name} — {unit} ({obj.code})" if unit else f"{obj.name} ({obj.code})"


def with_first_unit(procedures):
    """`procedures` with the name of the unit of each one's first step (`first_unit`)."""
    first = (ProcedureStep.objects.filter(procedure=OuterRef("pk")).order_by("order")
             .values("unit__name")[:1])
    return procedures.annotate(first_unit=Subquery(first))


class DossierReceiveForm(forms.Form):
    """`procedures`: those the caller receives (`selectors.procedures_received_by`)."""

    procedure = ProcedureChoiceField(label=_("Procedure"), queryset=Procedure.objects.none(),
                                     to_field_name="code",
                                     empty_label=_("Choose the procedure"))
    applicant = forms.CharField(label=_("Applicant"), max_length=255)
    applicant_contact = ContactField(label=_("Applicant's contact"),
                                     message_label=_("The applicant's contact"))
    channel = forms.ChoiceField(label=pgettext_lazy("dossier channel", "Received"),
                                choices=Channel.choices)

    def __init__(self, *args, procedures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedure"].queryset = with_first_unit(procedures)


class MoveForm(forms.Form):
    """The official of the next step's unit to move a dossier to, if any: that unit is often
    one whose people the clerk cannot see, so the code (in any case) is looked up among
    everyone, and a refusal names only the code (`services.dossier_move`)."""

    to_official = CodeField(label=_("To official (code, optional)"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)

    def clean_to_official(self):
        code = self.cleaned_data.get("to_official", "")
        if not code:
            return None
        found = list(Official.objects.filter(code__iexact=code)[:2])
        if len(found) != 1:
            raise forms.ValidationError(
                _("No official of the unit responsible has the code “%(code)s”.")
                % {"code": code})
        return found[0]


class SupplementForm(forms.Form):
    reason = forms.CharField(label=_("Documents to supplement"),
                             widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class ApologyForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the delay"),
                             widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    new_date = DayField(label=_("New date"))


class ResultForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)


class DossierRateForm(forms.Form):
    rating = forms.ChoiceField(label=_("Applicant's rating"), choices=Satisfaction.choices)


class IndexForm(FilterForm):
    """The unit (one of the caller's scope; by default the first the page picks) and the
    period of the service index."""

    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none(), to_field_name="code",
                           required=False, empty_label=None)
    start = DayField(label=_("From"), required=False)
    end = DayField(label=_("To"), required=False)

    def __init__(self, data=None, *, scope, default_unit: Unit | None = None, **kwargs):
        if data is not None and "unit" not in data and default_unit is not None:
            data = data.copy()
            data["unit"] = default_unit.code
        if default_unit is not None:
            kwargs.setdefault("initial", {"unit": default_unit.code})
        super().__init__(data, **kwargs)
        units = unit_choices(scope=scope)
        self.fields["unit"].queryset = units
        first = units.first()
        self.fields["unit"].base_depth = first.depth if first is not None else 0

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end is before the start."))
        if start and end and (end - start) > dt.timedelta(days=366 * 2):
            self.add_error("end", _("Choose at most two years."))
        return data

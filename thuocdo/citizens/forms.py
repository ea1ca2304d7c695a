"""Forms of the public portal and the staff pages. They check shapes and look codes up; the
rules are the services' (their refusals are shown on the field they name)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from thuocdo.org.models import Official, Unit

from . import services
from .choices import Channel, FeedbackCategory, FeedbackKind, Satisfaction, Verification
from .models import Dossier, Procedure


class CodeField(forms.CharField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(*args, **kwargs)


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
                                  to_field_name="code")
    text = forms.CharField(label=_("Content"), widget=forms.Textarea(attrs={"rows": 6}),
                           min_length=services.TEXT_MIN, max_length=services.TEXT_MAX)
    # Not required by the form: the service requires one of the two for a complaint
    # (services.feedback_submit), and the page says so above both fields.
    official = CodeField(label=_("Official concerned (code)"), required=False)
    dossier = CodeField(label=_("Dossier concerned (code)"), required=False)
    contact_name = forms.CharField(label=_("Your name (optional)"), required=False,
                                   max_length=services.CONTACT_MAX)
    contact = forms.CharField(label=_("Phone or e-mail (optional)"), required=False,
                              max_length=services.CONTACT_MAX)
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    def clean_official(self):
        return _lookup(Official, self.cleaned_data.get("official", ""),
                       _("No official has this code."))

    def clean_dossier(self):
        return _lookup(Dossier, self.cleaned_data.get("dossier", ""),
                       _("No dossier has this code."))

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


class FeedbackFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .choices import FeedbackStatus

        self.fields["status"].choices = [("", _("All")), *FeedbackStatus.choices]


class AssignForm(forms.Form):
    assignee = CodeField(label=_("Official (code)"))
    workdays = forms.IntegerField(label=_("Reply deadline (working days)"), min_value=1,
                                  max_value=services.MAX_REPLY_WORKDAYS,
                                  initial=services.REPLY_WORKDAYS)

    def clean_assignee(self):
        return _lookup(Official, self.cleaned_data["assignee"], _("No official has this code."))


class ReplyForm(forms.Form):
    answer = forms.CharField(label=_("Answer (shown to the submitter)"),
                             widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)


class ForwardForm(forms.Form):
    to_unit = forms.ModelChoiceField(label=_("Unit responsible"),
                                     queryset=Unit.objects.filter(is_active=True).order_by("lft"),
                                     to_field_name="code")
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


class DossierReceiveForm(forms.Form):
    procedure = forms.ModelChoiceField(label=_("Procedure"),
                                       queryset=Procedure.objects.filter(active=True),
                                       to_field_name="code")
    applicant = forms.CharField(label=_("Applicant"), max_length=255)
    applicant_contact = forms.CharField(label=_("Applicant's contact"), max_length=255,
                                        required=False)
    channel = forms.ChoiceField(label=pgettext_lazy("dossier channel", "Received"),
                                choices=Channel.choices)


class MoveForm(forms.Form):
    to_official = CodeField(label=_("To official (code, optional)"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)

    def clean_to_official(self):
        return _lookup(Official, self.cleaned_data.get("to_official", ""),
                       _("No official has this code."))


class SupplementForm(forms.Form):
    reason = forms.CharField(label=_("Documents to supplement"),
                             widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class ApologyForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the delay"),
                             widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    new_date = forms.DateField(label=_("New date"), widget=forms.DateInput(attrs={"type": "date"}))


class ResultForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)


class DossierRateForm(forms.Form):
    rating = forms.ChoiceField(label=_("Applicant's rating"), choices=Satisfaction.choices)


class IndexForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.all(),
                                  to_field_name="code", required=False)
    start = forms.DateField(label=_("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end is before the start."))
        if start and end and (end - start) > dt.timedelta(days=366 * 2):
            self.add_error("end", _("Choose at most two years."))
        return data

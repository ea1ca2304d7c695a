"""Forms of the evaluation pages. They only collect input; the rules (ranges, a reason for
every deduction, who may act) are the services', whose refusals the views put back next to
the field they name."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

POINTS = {"min_value": Decimal(0), "max_value": Decimal(30), "decimal_places": 2,
          "max_digits": 5}
RATING = {"min_value": Decimal(0), "max_value": Decimal(1), "decimal_places": 3,
          "max_digits": 4, "required": False}


class AssessmentForm(forms.Form):
    """One row of the head's review screen."""

    general_points = forms.DecimalField(label=_("General criteria (0–30)"), **POINTS)
    reason = forms.CharField(label=_("Reason for the deduction"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    organising = forms.DecimalField(label=_("Capacity to organise (0–1)"), **RATING)
    uniting = forms.DecimalField(label=_("Capacity to unite (0–1)"), **RATING)

    def __init__(self, *args, leader: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if leader:  # required, with the row's own message (the service's rule)
            for name in ("organising", "uniting"):
                self.fields[name].required = True
                self.fields[name].error_messages["required"] = _(
                    "Rate this leader's capacity from 0 to 1.")
        else:
            del self.fields["organising"]
            del self.fields["uniting"]

    def clean(self):
        data = super().clean()
        points = data.get("general_points")
        if points is not None and points < 30 and not (data.get("reason") or "").strip():
            self.add_error("reason", _("A deduction of the general criteria needs a written "
                                       "reason."))
        return data


class SelfScoreForm(forms.Form):
    general_points = forms.DecimalField(label=_("My general criteria (0–30)"), **POINTS)
    note = forms.CharField(label=_("What I did well, and what I did not"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class AppealForm(forms.Form):
    reason = forms.CharField(label=_("Why do you appeal?"),
                             widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)


class DecisionForm(forms.Form):
    accepted = forms.TypedChoiceField(
        label=_("Decision"), coerce=lambda v: v == "1", widget=forms.RadioSelect,
        choices=(("1", _("Accept the appeal")), ("0", _("Reject the appeal"))))
    reason = forms.CharField(label=_("Reason for the decision"),
                             widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    general_points = forms.DecimalField(
        label=_("Corrected general criteria (if accepted)"), required=False, **dict(POINTS.items()))


class PublishForm(forms.Form):
    appeal_days = forms.IntegerField(label=_("Days for appeals"), min_value=0, max_value=60,
                                     initial=10)

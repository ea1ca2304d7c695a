"""Forms of the evaluation pages. They only collect input; the rules (ranges, a reason for
every deduction, who may act) are the services', whose refusals the views put back next to
the field they name."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from thuocdo.core.filters import FilterForm
from thuocdo.core.forms import DateInput, DayField, DecimalNumberField, MonthField, TextField
from thuocdo.org.forms import OfficialCodeField, UnitChoiceField

from .choices import DisciplineLevel, GroundKind, PeriodKind

POINTS = {"min_value": Decimal(0), "max_value": Decimal(30), "decimal_places": 2,
          "max_digits": 5}
RATING = {"min_value": Decimal(0), "max_value": Decimal(1), "decimal_places": 3,
          "max_digits": 4, "required": False}


class AssessmentForm(forms.Form):
    """One row of the head's review screen. A row not assessed yet (`pending`) may be left
    empty: it is saved only once its general criteria are given (the screen saves the rows
    given, and never takes the official's self-score for the head's assessment)."""

    general_points = DecimalNumberField(label=_("General criteria (0–30)"), **POINTS)
    reason = TextField(label=_("Reason for the deduction"), required=False,
                       widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    organising = DecimalNumberField(label=_("Capacity to organise (0–1)"), **RATING)
    uniting = DecimalNumberField(label=_("Capacity to unite (0–1)"), **RATING)

    def __init__(self, *args, leader: bool = False, pending: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.leader, self.pending = leader, pending
        self.fields["general_points"].required = not pending
        if not leader:
            del self.fields["organising"]
            del self.fields["uniting"]

    @property
    def given(self) -> bool:
        """The row is to be saved: assessed before, or given its general criteria now."""
        return not self.pending or self.cleaned_data.get("general_points") is not None

    def clean(self):
        data = super().clean()
        points = data.get("general_points")
        if points is None and "general_points" not in self.errors and any(
                data.get(name) not in (None, "") for name in ("reason", "organising",
                                                               "uniting")):
            self.add_error("general_points", _("Give the general criteria, or leave the row "
                                               "empty to assess it later."))
        if (points is not None and points < 30 and "reason" not in self.errors
                and not (data.get("reason") or "").strip()):
            # (a reason refused for its length was written: its own error says what is wrong)
            self.add_error("reason", _("A deduction of the general criteria needs a written "
                                       "reason."))
        if self.leader and points is not None:  # the service's rule, with the row's message
            for name in ("organising", "uniting"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, _("Rate this leader's capacity from 0 to 1."))
        return data


class SelfScoreForm(forms.Form):
    general_points = DecimalNumberField(label=_("My general criteria (0–30)"), **POINTS)
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
    general_points = DecimalNumberField(
        label=_("Corrected general criteria (if accepted)"), required=False, **dict(POINTS.items()))


class ApproveForm(forms.Form):
    """The approval of an agency's cards from its ranking page, with an optional note kept
    as the approval's reason in the audit trail."""

    note = forms.CharField(label=_("Note on the approval (optional)"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
                           help_text=_("Kept with the approval in the audit trail."))


class PublishForm(forms.Form):
    appeal_days = forms.IntegerField(label=_("Days for appeals"), min_value=0, max_value=60,
                                     initial=10)


# -- the organisation board: opening periods, KHT grounds ---------------------------------


#: the years a period or a ground may name (a typing error is refused, not stored)
YEARS = {"min_value": 2000, "max_value": 2100}
QUARTERS = [("", "—"), ("1", "I"), ("2", "II"), ("3", "III"), ("4", "IV")]


class PeriodOpenForm(forms.Form):
    """Which period to open: a month (YYYY-MM or MM/YYYY), a quarter of a year, or a year.
    `label` is the period's label once valid (what `services.period_open` takes); each
    missing part is said on its own field."""

    kind = forms.ChoiceField(label=_("Period to open"), choices=PeriodKind.choices,
                             initial=PeriodKind.MONTH, widget=forms.RadioSelect)
    month = MonthField(label=_("Month"), required=False,
                       help_text=_("For a month: MM/YYYY or YYYY-MM, e.g. 10/2026."))
    quarter = forms.ChoiceField(label=_("Quarter"), choices=QUARTERS, required=False,
                                help_text=_("For a quarter, with its year."))
    year = forms.IntegerField(label=_("Year"), required=False, **YEARS,
                              help_text=_("For a quarter or a whole year."))

    #: the field a refusal of the service is shown on, by the kind of period
    FIELD_OF_KIND = {PeriodKind.MONTH: "month", PeriodKind.QUARTER: "quarter",
                     PeriodKind.YEAR: "year"}

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        self.label = ""
        used = {PeriodKind.MONTH: {"month"}, PeriodKind.QUARTER: {"quarter", "year"},
                PeriodKind.YEAR: {"year"}}.get(kind, set())
        for name in {"month", "quarter", "year"} - used:  # another kind's: ignored
            self._errors.pop(name, None)
        if kind == PeriodKind.MONTH:
            if not data.get("month") and "month" not in self.errors:
                self.add_error("month", _("Enter the month to open."))
            elif data.get("month"):
                self.label = data["month"]
        elif kind in (PeriodKind.QUARTER, PeriodKind.YEAR):
            if kind == PeriodKind.QUARTER and not data.get("quarter"):
                self.add_error("quarter", _("Choose the quarter to open."))
            if data.get("year") is None and "year" not in self.errors:
                self.add_error("year", _("Enter the year."))
            if not self.errors:
                self.label = (f"{data['year']}-Q{data['quarter']}"
                              if kind == PeriodKind.QUARTER else str(data["year"]))
        return data

    def field_of_kind(self) -> str:
        return self.FIELD_OF_KIND.get(self.cleaned_data.get("kind"), "kind")


#: the kinds of ground the board records by hand: a confirmed signal (S14) is not one of
#: them, since the signal record a leader confirmed counts by itself (`adapters.
#: signal_grounds`); imports from other systems still carry grounds of kind "signal"
MANUAL_GROUND_KINDS = [(value, label) for value, label in GroundKind.choices
                       if value != GroundKind.SIGNAL]


class GroundForm(forms.Form):
    """A KHT ground to record (`services.ground_record`): its kind; the official (by code,
    in any case, among those the caller reads) or, for corruption or waste, the unit; the
    date; the level of a discipline; the written reason. The fields a kind does not use
    are ignored. GET parameters prefill it (`initial_from`). A confirmed S14 is not
    recorded here (`MANUAL_GROUND_KINDS`)."""

    kind = forms.ChoiceField(
        label=_("Ground"), choices=MANUAL_GROUND_KINDS, initial=GroundKind.DISCIPLINE,
        help_text=_("A confirmed S14 signal is not recorded here: once a leader confirms the "
                    "breach on the signal's page, it makes the grade KHT by itself."))
    official = OfficialCodeField(
        label=_("Official (code)"), required=False,
        help_text=_("The official concerned, by code (any case); not for corruption or "
                    "waste, which is recorded against a unit."))
    unit = UnitChoiceField(label=_("Unit (corruption or waste)"), required=False,
                           queryset=None, to_field_name="code",
                           empty_label=_("Choose the unit"),
                           help_text=_("Only for corruption or waste dealt with in a unit: "
                                       "its leaders are graded KHT."))
    on = DayField(label=_("Date of the decision or conclusion"), widget=DateInput,
                         help_text=_("dd/mm/yyyy; it counts for the year of this date."))
    level = forms.ChoiceField(label=_("Discipline level"), required=False,
                              choices=[("", "—"), *DisciplineLevel.choices],
                              help_text=_("Only for discipline."))
    reason = forms.CharField(label=_("Written reason"), max_length=4000,
                             widget=forms.Textarea(attrs={"rows": 4}),
                             help_text=_("The decision or conclusion (number, date, who "
                                         "issued it) and what it is about."))

    #: the GET parameters that prefill the form
    PREFILL = ("kind", "official", "unit", "on", "level", "reason")

    def __init__(self, *args, scope, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.fields["official"].scope = scope
        self.fields["unit"].queryset = units
        first = units.first()
        self.fields["unit"].base_depth = first.depth if first is not None else 0

    @classmethod
    def initial_from(cls, query) -> dict:
        """The prefill from GET parameters: each one the form knows, unchecked (the form
        checks them when sent), but a date that does not parse or a kind the form does not
        offer is left out rather than shown wrong."""
        initial = {name: query.get(name, "").strip() for name in cls.PREFILL
                   if query.get(name, "").strip()}
        if "on" in initial:
            try:
                initial["on"] = DayField().clean(initial["on"])
            except forms.ValidationError:
                del initial["on"]
        if initial.get("kind") not in dict(MANUAL_GROUND_KINDS):
            initial.pop("kind", None)
        if initial.get("level") not in DisciplineLevel.values:
            initial.pop("level", None)
        return initial

    def clean_on(self):
        on = self.cleaned_data["on"]
        if on > timezone.localdate():
            raise forms.ValidationError(_("The date is in the future."), code="future")
        if on < dt.date(YEARS["min_value"], 1, 1):
            raise forms.ValidationError(_("Check the year of the date."), code="too_old")
        return on

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind:  # the fields this kind does not use are ignored, their errors too
            unused = {"official"} if kind == GroundKind.CORRUPTION else {"unit"}
            unused |= {"level"} if kind != GroundKind.DISCIPLINE else set()
            for name in unused:
                self._errors.pop(name, None)
        if kind == GroundKind.CORRUPTION:
            data["official"] = None
            if data.get("unit") is None and "unit" not in self.errors:
                self.add_error("unit", _("Choose the unit where the corruption or waste was "
                                         "dealt with."))
        elif kind:
            data["unit"] = None
            if data.get("official") is None and "official" not in self.errors:
                self.add_error("official", _("Enter the code of the official concerned."))
        if kind == GroundKind.DISCIPLINE:
            if not data.get("level"):
                self.add_error("level", _("Choose the discipline level."))
        else:
            data["level"] = ""
        if "reason" in data and not data["reason"].strip():
            self.add_error("reason", _("Write the reason."))
        return data


class GroundReasonForm(forms.Form):
    """The corrected written reason of a recorded ground (`services.ground_reason_set`)."""

    reason = forms.CharField(label=_("Written reason"), max_length=4000,
                             widget=forms.Textarea(attrs={"rows": 4}))

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Write the reason."), code="required")
        return reason


class GroundFilterForm(FilterForm):
    """The grounds list's filters (and its export's), from the GET parameters; a value
    that is not valid is said beside its field and lists nothing (never everything)."""

    year = forms.IntegerField(label=_("Year"), required=False, **YEARS)
    kind = forms.ChoiceField(label=_("Ground"), required=False,
                             choices=[("", _("All")), *GroundKind.choices])
    unit = UnitChoiceField(label=_("Unit"), required=False, queryset=None,
                           to_field_name="code", empty_label=_("All units I can see"),
                           help_text=_("The unit and the units below it: the officials who "
                                       "were members on the ground's date, and corruption "
                                       "or waste dealt with there."))

    def __init__(self, data, *, units):
        super().__init__(data)
        self.fields["unit"].queryset = units
        first = units.first()
        self.fields["unit"].base_depth = first.depth if first is not None else 0

    def filters(self) -> dict | None:
        """The valid filters, or None when one is not valid (the list is then empty)."""
        if not self.is_valid():
            return None
        return {name: self.cleaned_data.get(name) for name in ("year", "kind", "unit")}

    def described(self) -> str:
        """The filters in force, in words (for the export's heading)."""
        found = []
        for name in ("year", "kind", "unit"):
            value = self.cleaned_data.get(name) if hasattr(self, "cleaned_data") else None
            if value:
                if name == "kind":
                    value = GroundKind(value).label
                elif name == "unit":
                    value = f"{value.name} ({value.code})"
                found.append(f"{self.fields[name].label}: {value}")
        return "; ".join(str(part) for part in found)


# -- the organisation board: approved exceptions to the HTXS quota ------------------------


class SharePercentField(DecimalNumberField):
    """The HTXS share of an exception, typed as a percentage of the final HTT (30 for 30%):
    cleaned to the fraction the services take (0.3). The range (above the rubric's share,
    at most 100%) is the services' rule."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("HTXS quota, in percent of the final HTT"))
        kwargs.setdefault("help_text", _("The share that replaces the rubric's in the agency, "
                                         "e.g. 30 for 30 percent; at most two decimals."))
        super().__init__(max_digits=5, decimal_places=2, **kwargs)

    def prepare_value(self, value):
        """A stored share (a fraction, 0.3000) is shown in percent (30)."""
        if isinstance(value, Decimal) and value <= 1:
            shown = (value * 100).quantize(Decimal("0.01"))
            return shown.quantize(Decimal(1)) if shown == shown.to_integral() else shown
        return value

    def clean(self, value):
        percent = super().clean(value)
        return None if percent is None else percent / 100

    def has_changed(self, initial, data):
        """The stored fraction (0.3000) against the percent typed (30): compared in
        percent, so an unchanged share is not reported changed."""
        return super().has_changed(self.prepare_value(initial), data)


class QuotaExceptionForm(forms.Form):
    """An approved exception to the HTXS quota (`services.quota_exception_record`, and
    `quota_exception_change` with `why`): the agency among those the caller boards, the
    days it is in force, the share in percent, the decision that approved it (number and
    date) and the reason."""

    agency = UnitChoiceField(label=_("Agency"), queryset=None, empty_label=_("Choose the agency"),
                             to_field_name="code")
    valid_from = DayField(label=_("In force from"), widget=DateInput,
                          help_text=_("dd/mm/yyyy. The exception applies to every period "
                                      "(month, quarter, year) that ends on a day from this one "
                                      "to the last."))
    valid_to = DayField(label=_("In force until"), widget=DateInput,
                        help_text=_("dd/mm/yyyy, e.g. 31/12 of the year whose grading the "
                                    "decision concerns."))
    share = SharePercentField()
    decision = forms.CharField(label=_("Decision number"), max_length=64,
                               help_text=_("The number of the decision that approved the "
                                           "exception, e.g. 15/QĐ-UBND."))
    decided_on = DayField(label=_("Decision date"), widget=DateInput,
                          help_text=_("dd/mm/yyyy"))
    reason = forms.CharField(label=_("Reason"), max_length=4000,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Why the unit is outstanding, as the decision says."))
    why = forms.CharField(label=_("Why is the exception changed?"), max_length=2000,
                          widget=forms.Textarea(attrs={"rows": 2}),
                          help_text=_("Kept in the audit trail with the values before and "
                                      "after."))

    def __init__(self, *args, agencies, changing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies
        first = agencies.first()
        self.fields["agency"].base_depth = first.depth if first is not None else 0
        if not changing:
            del self.fields["why"]


class QuotaExceptionRemoveForm(forms.Form):
    """Why an exception is removed (`services.quota_exception_remove`)."""

    why = forms.CharField(label=_("Why is the exception removed?"), max_length=2000,
                          widget=forms.Textarea(attrs={"rows": 3}),
                          help_text=_("Kept in the audit trail with the exception's content."))

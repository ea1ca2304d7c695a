"""Stored signals and their answers, the engine's settings, and the delay summary.

The engine (`thuocdo.measure.signals`) computes signals from the log; this app stores them so
they can be answered and counted:

- `SignalRecord`: one signal, found again on every recomputation by its engine `key`, so it
  is never duplicated and a decided one is never reopened;
- `SignalStep`: the answer, step by step (request, explanation, decision), who and why,
  and whether the explanation came in time (`explanation_due` on the signal);
- `ThresholdSet` and `AuthorityMatrixVersion` (with its `AuthorityRule`s): the engine's
  settings, in versions in force from a day, never changed once saved (a change is a new
  version, in force from its day; docs/decisions/0005);
- `HolderDelay`: working days of delay per task and holder (a summary the nightly job
  refreshes, so the dashboard never replays the log).
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Mapping
from dataclasses import fields as dataclass_fields
from fractions import Fraction
from types import MappingProxyType
from typing import NamedTuple

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from thuocdo.core.errors import ServiceError
from thuocdo.core.templatetags.periods import period_name
from thuocdo.measure.signals import Thresholds

from .choices import SignalStatus, StepAction, SubjectKind, action_label, status_label


class SignalRecord(models.Model):
    key = models.CharField(max_length=400, editable=False)  # unique: Meta.constraints
    code = models.CharField(_("signal"), max_length=4)
    period = models.CharField(_("period"), max_length=24)
    raised_on = models.DateField(_("raised on"))
    subject_kind = models.CharField(_("about"), max_length=10, choices=SubjectKind.choices)
    #: the task, dossier or feedback code (empty for a signal about a person across tasks)
    subject = models.CharField(_("subject"), max_length=64, blank=True)
    # The references below have no foreign-key constraint in the database (decision 0008):
    # a month's refresh writes a million of them, and the database's check of each, row by
    # row, cost more than every index of the table. `services.signals_refresh` checks what
    # it writes, once per distinct id; Django's PROTECT refuses deleting what they name.
    task = models.ForeignKey(
        "tasks.Task", verbose_name=_("task"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="signals", db_constraint=False,
    )
    # The three below are indexed first in Meta.indexes: no index of their own (each index
    # is written for every one of a month's hundred thousand new signals).
    official = models.ForeignKey(
        "org.Official", verbose_name=_("official"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="signals", db_index=False, db_constraint=False,
    )
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT,
                             related_name="signals", db_index=False, db_constraint=False)
    escalate_to = models.ForeignKey(
        "org.Unit", verbose_name=_("escalated to"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="escalations", db_index=False,
        db_constraint=False,
    )
    #: indexes into the task's log, or [task, index] pairs (see measure/signals.py)
    events = models.JSONField(_("events"), default=list)
    explanation = models.TextField(_("what was seen"))
    needs_confirmation = models.BooleanField(_("needs confirmation"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=SignalStatus.choices,
                              default=SignalStatus.OPEN)
    #: the last day to explain, set when an explanation is requested (services.py); a
    #: leader decides a signal not yet explained only after it
    explanation_due = models.DateField(_("explanation due by"), null=True, blank=True)
    #: still raised by the latest computation (a later event may have removed the cause)
    present = models.BooleanField(_("still raised"), default=True)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))
    #: the thresholds version that raised it
    thresholds = models.CharField(max_length=32, blank=True)
    #: the authority matrix version in force when it was raised (empty: computed before the
    #: matrix had versions, or recorded by hand)
    authority = models.CharField(_("authority matrix version"), max_length=32, blank=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("signal")
        verbose_name_plural = _("signals")
        ordering = ["-raised_on", "code", "subject"]
        indexes = [
            models.Index(fields=["period", "code"], name="acc_signal_period_code"),
            models.Index(fields=["unit", "period"], name="acc_signal_unit_period"),
            models.Index(fields=["official", "status"], name="acc_signal_official_status"),
            models.Index(fields=["escalate_to", "period"], name="acc_signal_escalated"),
            # Whether a version of the thresholds or of the authority matrix was used
            # (`services.threshold_set_in_use`, `authority_matrix_in_use`, asked before a
            # version is removed) is one lookup, not a scan of every signal stored.
            models.Index(fields=["thresholds"], name="acc_signal_thresholds"),
            models.Index(fields=["authority"], name="acc_signal_authority"),
        ]
        # A constraint, not `unique=True`: PostgreSQL would add a second index on the key
        # for LIKE queries, which nothing asks.
        constraints = [models.UniqueConstraint(fields=["key"], name="acc_signal_key")]

    def __str__(self) -> str:
        # the subject named as people know it: a task's or a dossier's code, else the
        # official's code (not the row's id, which read like a day: "S12 77 tháng 11/2026")
        who = self.subject or (self.official.code if self.official_id else "")
        return " ".join(part for part in (self.code, who, period_name(self.period)) if part)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("accountability:signal_detail", kwargs={"pk": self.pk})

    def get_status_display(self) -> str:
        """The status in words; an S15's decision says whether the initiative is protected
        (`choices.status_label`)."""
        return status_label(self.code, self.status)


class SignalStep(models.Model):
    signal = models.ForeignKey(SignalRecord, on_delete=models.PROTECT, related_name="steps")
    action = models.CharField(_("action"), max_length=10, choices=StepAction.choices)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"),
                           on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("text"))
    #: an explanation given after its due day; a decision taken without an explanation
    #: given by that day
    late = models.BooleanField(_("explanation not given in time"), default=False)

    class Meta:
        verbose_name = _("signal step")
        verbose_name_plural = _("signal steps")
        ordering = ["signal_id", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.signal_id} {self.action}"

    def get_action_display(self) -> str:
        """The step in words, in the terms of its signal (`choices.action_label`)."""
        return action_label(self.signal.code, self.action)


class Bounds(NamedTuple):
    """The values a threshold may take: from `low` (or more than it, when `low_open`) to
    `high`."""

    low: int
    high: int
    low_open: bool = False


#: The bounds of every threshold a version may set, by its name in
#: `thuocdo.measure.signals.Thresholds`; its type there says whether it is a whole number
#: (a count, or working days) or any number (a share, a fraction, a ratio). The upper bounds
#: are limits of sense, not advice: a count past 100 would never raise its signal, no
#: comparison has a thousand peers, and 250 working days are about a working year (past it,
#: a silence or a proposal is not work any more; far past it, the calendar leaves its range).
#: Shares and fractions are parts of a whole, more than 0 and at most 1; the ratio is a
#: multiple of the peers' median, at least 1 (less would flag work waiting less than its
#: peers'). A new threshold needs its bounds here (a test checks that every one has some).
THRESHOLD_BOUNDS: Mapping[str, Bounds] = MappingProxyType({
    "extension_requests": Bounds(1, 100),  # S2: requests
    "transfers": Bounds(1, 100),  # S3: hand-offs of one task
    "waiting_ratio": Bounds(1, 100),  # S7: × the peers' median share
    "waiting_min_share": Bounds(0, 1, low_open=True),  # S7: of the task's own time
    "waiting_min_peers": Bounds(1, 1000),  # S7: peer tasks done in the period
    "silence_workdays": Bounds(1, 250),  # S8: working days without an event
    "reminders": Bounds(1, 100),  # S9: reminders while overdue
    "output_fraction": Bounds(0, 1, low_open=True),  # S12: × the median output
    "output_min_peers": Bounds(1, 1000),  # S12: officials compared with
    "proposal_workdays": Bounds(1, 250),  # S13: working days to a first draft
    "proposal_share": Bounds(0, 1, low_open=True),  # S13: of the days the task allows
})


def _as_number(value: object) -> Fraction | None:
    """`value` (a JSON number, or a number written as a string) as an exact number; None if
    it is none (booleans are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError, OverflowError):
        return None


def threshold_values_clean(values: object) -> dict[str, object]:
    """The `values` of a thresholds version checked against `Thresholds`: every name one of
    its thresholds, every value of its type within its bounds (`THRESHOLD_BOUNDS`); counts
    and working days come back as whole numbers (7.0 or "7" → 7), the others as given.
    A `ServiceError` (field "values") naming the first bad threshold and what it may be
    otherwise. The one check of a version's values: the admin and every other path save
    through `services.threshold_set_add`, which calls it."""
    if not isinstance(values, dict):
        raise ServiceError(gettext("The values must be an object of names and numbers."),
                           code="bad_values", field="values")
    types = typing.get_type_hints(Thresholds)
    known = {f.name for f in dataclass_fields(Thresholds)} - {"version", "effective_from"}
    cleaned: dict[str, object] = {}
    for name, value in values.items():
        if name not in known:
            raise ServiceError(gettext("Unknown threshold “%(name)s”; known: %(known)s.")
                               % {"name": name, "known": ", ".join(sorted(known))},
                               code="unknown_threshold", field="values")
        bounds = THRESHOLD_BOUNDS[name]
        number = _as_number(value)
        whole = types[name] is int
        low_ok = number is not None and (number > bounds.low if bounds.low_open
                                         else number >= bounds.low)
        if (number is None or not low_ok or number > bounds.high
                or (whole and number.denominator != 1)):
            limits = {"name": name, "low": bounds.low, "high": bounds.high}
            if whole:
                message = gettext("Threshold “%(name)s” must be a whole number from %(low)s "
                                  "to %(high)s.") % limits
            elif bounds.low_open:
                message = gettext("Threshold “%(name)s” must be a number more than %(low)s "
                                  "and at most %(high)s, e.g. 0.5.") % limits
            else:
                message = gettext("Threshold “%(name)s” must be a number from %(low)s to "
                                  "%(high)s, e.g. 2.5.") % limits
            raise ServiceError(message, code="bad_threshold", field="values")
        cleaned[name] = int(number) if whole else value
    return cleaned


class ThresholdSet(models.Model):
    """A version of the signal thresholds (`thuocdo.measure.signals.Thresholds`), in force from
    `effective_from`. Without any, the engine's documented defaults apply. A version is never
    changed once saved: the months computed under it keep their meaning, and a change is a
    new version in force from its own day (one no signal was stored under may be removed)."""

    version = models.CharField(_("version"), max_length=32, unique=True)
    effective_from = models.DateField(_("in force from"))
    values = models.JSONField(
        _("values"), default=dict, blank=True,
        help_text=_("Only the thresholds that differ from the defaults, e.g. "
                    "{\"silence_workdays\": 7}."),
    )
    basis = models.CharField(_("basis"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("signal thresholds")
        verbose_name_plural = _("signal thresholds")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.version} ({self.effective_from:%d/%m/%Y})"


class AuthorityMatrixVersion(models.Model):
    """A version of the authority matrix of S4 (ma trận thẩm quyền tự quyết), in force from
    `effective_from`: its rules (`AuthorityRule`) are the whole matrix from that day until
    the next version's. A month is computed with the version in force on its last day (or,
    computed before it ends, on the day computed), as for the thresholds. A version is never
    changed once saved: a change is a new version, from a day after the months already
    computed; one no computed month used may be removed. A day before every version has no
    matrix: nobody decides a matter alone (docs/decisions/0005)."""

    version = models.CharField(_("version"), max_length=32, unique=True)
    effective_from = models.DateField(_("in force from"))
    basis = models.CharField(_("basis"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("authority matrix version")
        verbose_name_plural = _("authority matrix versions")
        ordering = ["-effective_from", "-version"]

    def __str__(self) -> str:
        return f"{self.version} ({self.effective_from:%d/%m/%Y})"

    @classmethod
    def in_force_on(cls, day: dt.date) -> AuthorityMatrixVersion | None:
        """The version in force on `day`: the latest `effective_from` not after it (one a
        day: `services.authority_matrix_add`); None before every version."""
        return (cls.objects.filter(effective_from__lte=day)
                .order_by("-effective_from", "-version").first())


class AuthorityRule(models.Model):
    """One rule of a version of the authority matrix (S4): officials in `position` decide
    matters of `priority` on `product` (empty: any product) themselves. Written with its
    version, whole, and never changed (`services.authority_matrix_add`)."""

    matrix = models.ForeignKey(AuthorityMatrixVersion, verbose_name=_("version"),
                               on_delete=models.CASCADE, related_name="rules")
    position = models.CharField(_("position"), max_length=16,
                                choices=[("head", _("Head")), ("deputy", _("Deputy")),
                                         ("staff", _("Staff"))])
    priority = models.CharField(_("priority"), max_length=16,
                                choices=[("normal", _("Normal")), ("urgent", _("Urgent")),
                                         ("collective", _("Needs a collective decision"))])
    #: protected: a product named by a rule stays, or the version would change unseen
    product = models.ForeignKey("tasks.Product", verbose_name=_("product"), null=True,
                                blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("authority rule")
        verbose_name_plural = _("authority matrix rules")
        ordering = ["matrix_id", "position", "priority", "product__code"]
        constraints = [models.UniqueConstraint(
            fields=["matrix", "position", "priority", "product"],
            name="acc_authority_rule_unique")]

    def __str__(self) -> str:
        return f"{self.position} / {self.priority} / {self.product or '*'}"


class HolderDelay(models.Model):
    """Working days of delay of one task attributed to one holder (official, or a unit with
    nobody named), for the period the task belongs to (its original deadline). A refresh
    replaces a period's rows whole."""

    period = models.CharField(_("period"), max_length=24)
    # No foreign-key constraints in the database, as a signal's (decision 0008).
    task = models.ForeignKey("tasks.Task", on_delete=models.CASCADE, related_name="+",
                             db_constraint=False)
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+",
                             db_constraint=False)
    official = models.ForeignKey("org.Official", null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="+",
                                 db_constraint=False)
    workdays = models.PositiveIntegerField(_("working days late"))

    class Meta:
        verbose_name = _("delay of a holder")
        verbose_name_plural = _("delays of holders")
        indexes = [models.Index(fields=["period", "unit"], name="acc_delay_period_unit")]

    def __str__(self) -> str:
        return f"{period_name(self.period)} {self.task_id} {self.workdays}"

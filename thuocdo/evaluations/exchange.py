"""The exchange keys `assessments` and `discipline` (docs/exchange-format.md): their checks,
their import and their export, called by `thuocdo.exchange` (validation, importer,
exporter) so that the format's modules only name them.

`assessments`: the general criteria of an official for a period (`YYYY-MM`, `YYYY-Qn`,
`YYYY`), with the written reason for any deduction and, for leaders, `organising` and
`uniting` in [0, 1]. Matched by (official, period): importing the same record again changes
nothing. A period that is approved, published or locked refuses them (nothing is written).

`discipline`: KHT grounds. `ground` (an addition) is `discipline` (default: needs `level`),
`degradation`, `signal` (with `signal`, e.g. "S14"), or `corruption` (with `unit` instead of
`official`); `reason` is an addition too. Matched by all their fields but `reason` and
`withdrawn` (the key), one record to one stored ground (`discipline_plan`): when several
stored grounds or records share a key, a record goes to a ground with its reason and
state, then to one with its reason; what is left is paired only when one record and one
ground are left, else the record is refused as ambiguous. A signal must be one of the
rubric's KHT signals, and a record may not repeat a ground that counts.

`quota_exceptions` (an addition): approved exceptions to the HTXS quota (decision 0006).
Matched by (agency, valid_from, valid_to): an identical record changes nothing; one whose
share, decision or reason differs changes the stored exception
(`services.quota_exception_change`); an unknown one is recorded
(`services.quota_exception_record`). Checked before anything is written as the services
check them, with their codes (`services._clean_exception`, `_check_no_overlap`,
`_check_periods_open`): an agency, a share above the rubric's and at most 1, the days, an
overlap with another exception of the agency (stored or in the document), and a period
ending on one of the days that is approved or later. An import never removes one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from thuocdo.core.errors import ServiceError
from thuocdo.core.periods import FIRST_YEAR, LAST_YEAR, year_in_range
from thuocdo.core.scope import Scope
from thuocdo.exchange.validation import date_refusal, enum_refusal, parse_date
from thuocdo.org.models import Official, Unit

from .choices import DisciplineLevel, GroundKind
from .models import Assessment, Ground, QuotaException

PERIOD_RE = re.compile(r"^[0-9]{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$")
KEYS = ("assessments", "discipline")

Report = Callable[[str, str, str], None]


def _show(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _number(value: Any, path: str, report: Report, *, high: int, places: int) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        report(path, "type", _("expected a number"))
        return None
    number = Decimal(str(value))
    if not 0 <= number <= high:
        report(path, "number", _("must be from 0 to %(high)d: %(value)s")
               % {"high": high, "value": _show(value)})
        return None
    if number != number.quantize(Decimal(1).scaleb(-places)):
        report(path, "number", _("at most %(n)d decimal places: %(value)s")
               % {"n": places, "value": _show(value)})
        return None
    return number


def _text(value: Any, path: str, report: Report, *, required: bool = False) -> Any:
    if not isinstance(value, str) or (required and not value.strip()):
        report(path, "type" if not isinstance(value, str) else "empty",
               _("expected text") if not isinstance(value, str) else _("must not be empty"))
        return None
    return value.strip()


def check(document: dict, report: Report, *, officials: set[str], units: set[str]) -> None:
    """Report every problem of the document's `assessments`, `discipline` and
    `quota_exceptions`. `officials` and `units` are the codes the document defines; the
    database's are looked up here."""
    named_officials: set[str] = set()
    named_units: set[str] = set()
    rows = []
    for key in KEYS:
        items = document.get(key)
        if key not in document:
            continue
        if not isinstance(items, list):
            report(key, "type", _("expected a list"))
            continue
        for index, item in enumerate(items):
            path = f"{key}[{index}]"
            if not isinstance(item, dict):
                report(path, "type", _("expected an object"))
                continue
            rows.append((key, path, item))
            for name in ("official", "assessor"):
                if isinstance(item.get(name), str):
                    named_officials.add(item[name])
            if isinstance(item.get("unit"), str):
                named_units.add(item["unit"])
    known_officials = officials | set(Official.objects.filter(
        code__in=named_officials - officials).values_list("code", flat=True))
    known_units = units | set(Unit.objects.filter(
        code__in=named_units - units).values_list("code", flat=True))
    seen: dict[tuple, str] = {}
    wrong: set[str] = set()

    def noted(path: str, code: str, message: str) -> None:
        wrong.add(path.split(".", 1)[0])
        report(path, code, message)

    for key, path, item in rows:
        (_check_assessment if key == "assessments" else _check_discipline)(
            item, path, noted, known_officials, known_units, seen)
    # the records that are well formed are matched with the stored grounds
    sound = {int(path[len("discipline["):-1]): item for key, path, item in rows
             if key == "discipline" and path not in wrong}
    if sound:
        for path, code, message in discipline_plan(sound).problems:
            report(path, code, message)
    if QUOTA_KEY in document:
        _check_quota_exceptions(document, report, units=units)


ASSESSMENT_FIELDS = ("official", "period", "general_points", "assessor", "reason",
                     "organising", "uniting")
DISCIPLINE_FIELDS = ("official", "unit", "on", "level", "ground", "signal", "reason",
                     "withdrawn")


def _unknown_fields(item: dict, fields: tuple[str, ...], path: str, report: Report) -> None:
    for name in item:
        if name not in fields:
            report(f"{path}.{name}", "unknown_field", _("unknown field"))


def _ref(item: dict, name: str, path: str, report: Report, known: set[str], kind: str,
         *, required: bool) -> None:
    value = item.get(name)
    if value is None:
        if required:
            report(f"{path}.{name}", "required", _("required field is missing"))
        return
    if not isinstance(value, str) or not value.strip():
        report(f"{path}.{name}", "type", _("expected a code (text)"))
    elif value not in known:
        code = "unknown_official" if kind == "official" else "unknown_unit"
        message = (_("unknown official %(code)s") if kind == "official"
                   else _("unknown unit %(code)s")) % {"code": _show(value)}
        report(f"{path}.{name}", code, message)


def _check_assessment(item, path, report, officials, units, seen) -> None:
    _unknown_fields(item, ASSESSMENT_FIELDS, path, report)
    _ref(item, "official", path, report, officials, "official", required=True)
    _ref(item, "assessor", path, report, officials, "official", required=False)
    period = item.get("period")
    if period is None:
        report(f"{path}.period", "required", _("required field is missing"))
    elif not isinstance(period, str) or not PERIOD_RE.match(period):
        report(f"{path}.period", "period",
               _("not a period (YYYY-MM, YYYY-Qn or YYYY): %(value)s") % {"value": _show(period)})
    elif not year_in_range(int(period[:4])):  # as everywhere (`core.periods.parse_period`)
        report(f"{path}.period", "period",
               _("the year must be from %(first)d to %(last)d: %(value)s")
               % {"first": FIRST_YEAR, "last": LAST_YEAR, "value": _show(period)})
    points = None
    if "general_points" not in item:
        report(f"{path}.general_points", "required", _("required field is missing"))
    else:
        points = _number(item["general_points"], f"{path}.general_points", report, high=30,
                         places=2)
    reason = item.get("reason", "")
    if reason is not None and not isinstance(reason, str):
        report(f"{path}.reason", "type", _("expected text"))
    elif points is not None and points < 30 and not (reason or "").strip():
        report(f"{path}.reason", "reason_required",
               _("a deduction of the general criteria needs a written reason"))
    for name in ("organising", "uniting"):
        if item.get(name) is not None:
            _number(item[name], f"{path}.{name}", report, high=1, places=3)
    key = (item.get("official"), period)
    if isinstance(key[0], str) and isinstance(period, str):
        if key in seen:
            report(f"{path}.official", "duplicate",
                   _("a second assessment of %(o)s for %(p)s (first: %(first)s)")
                   % {"o": _show(key[0]), "p": period, "first": seen[key]})
        else:
            seen[key] = path


def _check_discipline(item, path, report, officials, units, seen) -> None:
    _unknown_fields(item, DISCIPLINE_FIELDS, path, report)
    ground = item.get("ground", GroundKind.DISCIPLINE)
    if ground not in GroundKind.values:
        report(f"{path}.ground", "enum", enum_refusal(ground, GroundKind.values))
        return
    corruption = ground == GroundKind.CORRUPTION
    _ref(item, "unit", path, report, units, "unit", required=corruption)
    _ref(item, "official", path, report, officials, "official", required=not corruption)
    on = item.get("on")
    if on is None:
        report(f"{path}.on", "required", _("required field is missing"))
    elif parse_date(on) is None:
        report(f"{path}.on", "date", date_refusal(on))
    level = item.get("level")
    if level is not None and level not in DisciplineLevel.values:
        report(f"{path}.level", "enum", enum_refusal(level, DisciplineLevel.values))
    elif level is None and ground == GroundKind.DISCIPLINE:
        report(f"{path}.level", "required", _("required field is missing"))
    if ground == GroundKind.SIGNAL and not item.get("signal"):
        report(f"{path}.signal", "required", _("required field is missing"))
    elif (ground == GroundKind.SIGNAL and isinstance(item["signal"], str)
          and parse_date(on) is not None and not _stored_signal_ground(item, parse_date(on))):
        # only a ground the import would record: one stored already (recorded before the
        # rule, or under another rubric) goes back and forth unchanged
        from .services import ground_signal_refusal

        refusal = ground_signal_refusal(item["signal"], parse_date(on))
        if refusal:
            report(f"{path}.signal", "enum", refusal)
    for name in ("signal", "reason"):
        if item.get(name) is not None and not isinstance(item[name], str):
            report(f"{path}.{name}", "type", _("expected text"))
    if "withdrawn" in item and not isinstance(item["withdrawn"], bool):
        report(f"{path}.withdrawn", "type", _("expected true or false"))


def _stored_signal_ground(item: dict, on: Any) -> bool:
    """A ground of kind "signal" like `item` is stored already (one query)."""
    official = item.get("official")
    return Ground.objects.filter(
        kind=GroundKind.SIGNAL, signal=item["signal"], on=on,
        official__code=official if isinstance(official, str) else None).exists()


def _key(record: dict) -> tuple:
    """What a `discipline` record is matched by: every field but `reason` and `withdrawn`."""
    return (record.get("ground", GroundKind.DISCIPLINE), record.get("official") or None,
            record.get("unit") or None, record["on"], record.get("level") or "",
            record.get("signal") or "")


def _stored_key(ground: Ground) -> tuple:
    return (ground.kind, ground.official.code if ground.official_id else None,
            ground.unit.code if ground.unit_id else None, ground.on.isoformat(), ground.level,
            ground.signal)


def _reason(record: dict) -> str:
    return (record.get("reason") or "").strip()


@dataclass
class DisciplinePlan:
    """What an import does with `discipline` records (by their index in the document):
    `matches` the stored ground each one is, `creates` those recorded anew, in document
    order, and the `problems` (path, code, message) that refuse the import."""

    matches: dict[int, Ground] = field(default_factory=dict)
    creates: list[int] = field(default_factory=list)
    problems: list[tuple[str, str, str]] = field(default_factory=list)


def discipline_plan(records: dict[int, dict]) -> DisciplinePlan:
    """Match well-formed `discipline` records (index → record) with the stored grounds,
    one record to one ground, without guessing. In each key (`_key`), stored grounds by id
    and records in document order: a record goes first to a ground with its reason and
    state (withdrawn or counting), then to a ground with its reason; what is left is paired
    when one record and one ground are left, recorded anew when no ground is left, and
    refused as `ambiguous` otherwise (which record changes which ground cannot be told). A
    record recorded anew that counts may not repeat a ground that counts after the import
    (`duplicate`). So an export imported back changes nothing, even with identical
    grounds."""
    plan = DisciplinePlan()
    groups: dict[tuple, list[int]] = {}
    for index in sorted(records):
        groups.setdefault(_key(records[index]), []).append(index)
    officials = {k[1] for k in groups if k[1]}
    units = {k[2] for k in groups if k[2]}
    stored: dict[tuple, list[Ground]] = {}
    for ground in (Ground.objects.filter(
            Q(official__code__in=officials) | Q(unit__code__in=units),
            on__in={dt.date.fromisoformat(k[3]) for k in groups})
            .select_related("official", "unit").order_by("id")):
        stored.setdefault(_stored_key(ground), []).append(ground)
    for key, indexes in groups.items():
        grounds = stored.get(key, [])
        matched = _pair(indexes, grounds, records)
        plan.matches.update(matched)
        left = [i for i in indexes if i not in matched]
        free = [g for g in grounds if g not in matched.values()]
        if left and free:
            if len(left) == len(free) == 1:
                plan.matches[left[0]] = free[0]
                continue
            for index in left:
                plan.problems.append((f"discipline[{index}]", "ambiguous", _(
                    "cannot tell which stored ground this record is: the same ground "
                    "(%(ground)s) has %(stored)d stored and %(given)d given here, with "
                    "reasons that do not match; give each record the reason stored with its "
                    "ground") % {"ground": _described(key), "stored": len(free),
                                         "given": len(left)}))
            continue
        # the records left (if any) are recorded anew, no stored ground being left for
        # them; those that count after the import are the matched ones it does not withdraw
        counting = [g for i, g in matched.items()
                    if g.confirmed and records[i].get("withdrawn") is not True]
        first = None
        for index in left:
            if records[index].get("withdrawn") is True:
                plan.creates.append(index)
            elif counting:
                plan.problems.append((f"discipline[{index}]", "duplicate", _(
                    "the same ground is stored already and counts (recorded at %(at)s, "
                    "reason: “%(reason)s”): a ground counts once")
                    % {"at": _recorded(counting[0]), "reason": counting[0].reason}))
            elif first is not None:
                plan.problems.append((f"discipline[{index}]", "duplicate", _(
                    "the same ground as %(first)s, which counts: a ground counts once; "
                    "leave one out or say it is withdrawn") % {"first": first}))
            else:
                first = f"discipline[{index}]"
                plan.creates.append(index)
    plan.creates.sort()
    plan.problems.sort(key=lambda p: int(p[0][len("discipline["):-1]))
    return plan


def _pair(indexes: list[int], grounds: list[Ground], records: dict[int, dict]
          ) -> dict[int, Ground]:
    """Records to stored grounds of one key: same reason and state first, then same
    reason (a record that does not say withdrawn leaves a withdrawn ground withdrawn)."""
    matched: dict[int, Ground] = {}
    for same_state in (True, False):
        for index in indexes:
            if index in matched:
                continue
            record = records[index]
            for ground in grounds:
                if ground in matched.values() or ground.reason != _reason(record):
                    continue
                if same_state and ground.confirmed == (record.get("withdrawn") is True):
                    continue
                matched[index] = ground
                break
    return matched


def _described(key: tuple) -> str:
    kind, official, unit, on, level, signal = key
    return ", ".join(str(v) for v in (kind, official, unit, on, level, signal) if v)


def _recorded(ground: Ground) -> str:
    return timezone.localtime(ground.recorded_at).strftime("%d/%m/%Y %H:%M")


def _withdrawn() -> str:
    """The written reason of a withdrawal made by an import (the audit trail keeps it)."""
    return _("Withdrawn in the imported exchange document.")


def write(document: dict, *, actor: Any) -> dict[str, tuple[int, int, int]]:
    """Write the checked `assessments`, `discipline` and `quota_exceptions`: (created,
    updated, unchanged) per key. Raises ServiceError (the importer turns it into a refusal)
    when a period refuses."""
    from . import services

    result: dict[str, tuple[int, int, int]] = {}
    if "assessments" in document:
        records = document["assessments"]
        people = {o.code: o for o in Official.objects.filter(code__in={
            c for r in records for c in (r["official"], r.get("assessor")) if c})}
        stored = {(a.official.code, a.period.label) for a in Assessment.objects.filter(
            official__code__in=[r["official"] for r in records]).select_related(
                "official", "period")}
        created = updated = unchanged = 0
        periods: dict[str, Any] = {}
        for record in records:
            label = record["period"]
            if label not in periods:
                periods[label] = services.period_open(actor=None, label=label)
            changed = services.assessments_save(
                actor=None, period=periods[label], rescore=False, rows=[services.AssessmentRow(
                    people[record["official"]], record["general_points"],
                    record.get("reason") or "", record.get("organising"),
                    record.get("uniting"), assessor=people.get(record.get("assessor")))]).changed
            if not changed:
                unchanged += 1
            elif (record["official"], label) in stored:
                updated += 1
            else:
                created += 1
        result["assessments"] = (created, updated, unchanged)
    if "discipline" in document:
        records = dict(enumerate(document["discipline"]))
        plan = discipline_plan(records)
        if plan.problems:  # the check reported them: nothing is written
            path, code, message = plan.problems[0]
            raise ServiceError(f"{path}: {message}", code=code)
        updated = unchanged = 0
        # a ground the document says is withdrawn is withdrawn; one it lists without
        # saying so keeps its withdrawal (an import never restores a ground). The stored
        # grounds change first, so one withdrawn here no longer counts for those created.
        for index, match in sorted(plan.matches.items()):
            record, reason = records[index], _reason(records[index])
            withdraw = record.get("withdrawn") is True
            changed = False
            if match.reason != reason:
                services.ground_reason_set(actor=actor, ground=match, reason=reason)
                changed = True
            if withdraw and match.confirmed:
                services.ground_withdraw(actor=actor, ground=match, reason=_withdrawn())
                changed = True
            if changed:
                updated += 1
            else:
                unchanged += 1
        for index in plan.creates:
            record = records[index]
            services.ground_record(
                actor=actor, kind=record.get("ground", GroundKind.DISCIPLINE),
                official=Official.objects.filter(code=record.get("official") or "").first(),
                unit=Unit.objects.filter(code=record.get("unit") or "").first(),
                on=dt.date.fromisoformat(record["on"]), level=record.get("level") or "",
                signal=record.get("signal") or "", reason=_reason(record),
                withdrawn_because=_withdrawn() if record.get("withdrawn") is True else "")
        result["discipline"] = (len(plan.creates), updated, unchanged)
    if QUOTA_KEY in document:
        result[QUOTA_KEY] = _write_quota_exceptions(document[QUOTA_KEY], actor=actor)
    return result


def _number_out(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def export_assessments() -> list[dict]:
    rows = []
    for a in (Assessment.objects.select_related("official", "period", "assessor")
              .order_by("period__label", "official__code")):
        row: dict[str, Any] = {"official": a.official.code, "period": a.period.label,
                               "general_points": _number_out(a.general_points)}
        if a.assessor_id:
            row["assessor"] = a.assessor.code
        if a.reason:
            row["reason"] = a.reason
        for name in ("organising", "uniting"):
            if getattr(a, name) is not None:
                row[name] = _number_out(getattr(a, name).normalize())
        rows.append(row)
    return rows


def export_discipline() -> list[dict]:
    """Every ground, a withdrawn one with `withdrawn: true` (imported back, it stays
    withdrawn)."""
    rows = []
    for g in Ground.objects.select_related("official", "unit").order_by("on", "id"):
        row: dict[str, Any] = {}
        if g.official_id:
            row["official"] = g.official.code
        if g.unit_id:
            row["unit"] = g.unit.code
        row["on"] = g.on.isoformat()
        if g.level:
            row["level"] = g.level
        if g.kind != GroundKind.DISCIPLINE:
            row["ground"] = g.kind
        if g.signal:
            row["signal"] = g.signal
        if g.reason:
            row["reason"] = g.reason
        if not g.confirmed:
            row["withdrawn"] = True
        rows.append(row)
    return rows


# -- quota_exceptions ----------------------------------------------------------------------


QUOTA_KEY = "quota_exceptions"
QUOTA_FIELDS = ("agency", "valid_from", "valid_to", "share", "decision", "decided_on",
                "reason")
QUOTA_DAYS = ("valid_from", "valid_to", "decided_on")


@dataclass
class _QuotaRecord:
    """A `quota_exceptions` record read for its shape: its values as the services take
    them, and the stored exception it is (same agency and days), if any."""

    index: int
    agency: Unit
    valid_from: dt.date
    valid_to: dt.date
    share: Decimal
    decision: str
    decided_on: dt.date
    reason: str
    stored: QuotaException | None = None

    @property
    def path(self) -> str:
        return f"{QUOTA_KEY}[{self.index}]"

    def fields(self) -> dict[str, Any]:
        return {"valid_from": self.valid_from, "valid_to": self.valid_to,
                "share": self.share, "decision": self.decision,
                "decided_on": self.decided_on, "reason": self.reason}

    @property
    def unchanged(self) -> bool:
        """The stored exception says the same (an export imported back where it came
        from): nothing to check or write."""
        found = self.stored
        return found is not None and (
            found.share == self.share and found.decision == self.decision
            and found.decided_on == self.decided_on and found.reason == self.reason)


def _quota_agencies(document: dict, codes: set[str]) -> dict[str, Unit]:
    """The units `codes` name, as the import leaves them: a stored unit, its name and kind
    replaced by the document's; a unit new in the document, unsaved."""
    found = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    units = document.get("units")
    for item in units if isinstance(units, list) else []:
        if not isinstance(item, dict) or item.get("code") not in codes:
            continue
        unit = found.setdefault(item["code"], Unit(code=item["code"]))
        for name in ("name", "kind"):
            if isinstance(item.get(name), str):
                setattr(unit, name, item[name])
    return found


def _read_quota_record(index: int, item: dict, report: Report, units: set[str],
                       agencies: dict[str, Unit]) -> _QuotaRecord | None:
    """The record's values, or None when a field's shape is wrong (each reported)."""
    path = f"{QUOTA_KEY}[{index}]"
    _unknown_fields(item, QUOTA_FIELDS, path, report)
    ok = True
    for name in QUOTA_FIELDS:
        if name not in item or item[name] is None:
            report(f"{path}.{name}", "required", _("required field is missing"))
            ok = False
    if not ok:
        return None
    agency = item["agency"]
    if not isinstance(agency, str) or not agency.strip():
        report(f"{path}.agency", "type", _("expected a code (text)"))
        ok = False
    elif agency not in units and agency not in agencies:
        report(f"{path}.agency", "unknown_unit",
               _("unknown unit %(code)s") % {"code": _show(agency)})
        ok = False
    days = {}
    for name in QUOTA_DAYS:
        days[name] = parse_date(item[name])
        if days[name] is None:
            report(f"{path}.{name}", "date", date_refusal(item[name]))
            ok = False
    share = item["share"]
    if isinstance(share, bool) or not isinstance(share, int | float):
        report(f"{path}.share", "type", _("expected a number"))
        ok = False
    for name in ("decision", "reason"):
        if not isinstance(item[name], str):
            report(f"{path}.{name}", "type", _("expected text"))
            ok = False
    if not ok:
        return None
    return _QuotaRecord(index, agencies[agency], days["valid_from"], days["valid_to"],
                        Decimal(str(share)), item["decision"].strip(), days["decided_on"],
                        item["reason"].strip())


def _quota_records(document: dict, report: Report, *, units: set[str]
                   ) -> list[_QuotaRecord] | None:
    """The well-formed `quota_exceptions` records, each with the stored exception it is;
    None when the key is not a list."""
    items = document[QUOTA_KEY]
    if not isinstance(items, list):
        report(QUOTA_KEY, "type", _("expected a list"))
        return None
    codes = {item["agency"] for item in items
             if isinstance(item, dict) and isinstance(item.get("agency"), str)}
    agencies = _quota_agencies(document, codes)
    records = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            report(f"{QUOTA_KEY}[{index}]", "type", _("expected an object"))
            continue
        record = _read_quota_record(index, item, report, units, agencies)
        if record is not None:
            records.append(record)
    stored = {(e.agency.code, e.valid_from, e.valid_to): e for e in
              QuotaException.objects.filter(agency__code__in=codes).select_related("agency")}
    for record in records:
        record.stored = stored.get((record.agency.code, record.valid_from, record.valid_to))
    return records


def _check_quota_exceptions(document: dict, report: Report, *, units: set[str]) -> None:
    """Report every problem of `quota_exceptions` that the services would refuse, with
    their codes, each at its record's field: the content (`_clean_exception`), two
    records of one agency on a day, an overlap with a stored exception of the agency that
    the record is not (`_check_no_overlap`), and a period ending on one of the days that is
    approved or later (`_check_periods_open`). A record identical to a stored exception
    changes nothing and is not checked again."""
    from . import services

    records = _quota_records(document, report, units=units)
    if not records:
        return
    admin = Scope(is_admin=True)  # the importer's: who imports may change anything
    seen: dict[str, list[_QuotaRecord]] = {}
    for record in records:
        earlier = [r for r in seen.get(record.agency.code, [])
                   if r.valid_from <= record.valid_to and r.valid_to >= record.valid_from]
        seen.setdefault(record.agency.code, []).append(record)
        if earlier and (earlier[0].valid_from, earlier[0].valid_to) == (record.valid_from,
                                                                         record.valid_to):
            report(f"{record.path}.valid_from", "duplicate", _(
                "a second exception of %(agency)s for the same days (first: %(first)s)")
                % {"agency": record.agency.code, "first": earlier[0].path})
            continue
        if earlier:
            report(f"{record.path}.valid_from", "exception_overlap", _(
                "%(agency)s has another exception in force on one of these days in this "
                "document: %(other)s, from %(from)s to %(to)s; one agency has one exception "
                "on a day") % {"agency": record.agency.code, "other": earlier[0].path,
                               "from": earlier[0].valid_from.isoformat(),
                               "to": earlier[0].valid_to.isoformat()})
            continue
        if record.unchanged:
            continue
        try:
            services._clean_exception(scope=admin, agency=record.agency, **record.fields())
        except ServiceError as refused:
            report(f"{record.path}.{refused.field or 'agency'}", refused.service_code,
                   refused.service_message)
            continue
        try:
            with transaction.atomic():
                if record.agency.pk is not None:
                    services._check_no_overlap(
                        agency=record.agency, valid_from=record.valid_from,
                        valid_to=record.valid_to,
                        exclude=record.stored.pk if record.stored else None)
                services._check_periods_open([(record.valid_from, record.valid_to)])
        except ServiceError as refused:
            report(f"{record.path}.{refused.field or 'valid_from'}", refused.service_code,
                   refused.service_message)


def _changed_by_import() -> str:
    """The written reason of a change made by an import (the audit trail keeps it)."""
    return _("Changed by the imported exchange document.")


def _write_quota_exceptions(items: list[dict], *, actor: Any) -> tuple[int, int, int]:
    """Record the new exceptions and change the stored ones that differ, through the
    services (each write audited); the check found nothing they refuse."""
    from . import services

    records = _quota_records({QUOTA_KEY: items}, _never, units=set())
    created = updated = unchanged = 0
    for record in records or ():
        try:
            if record.stored is None:
                services.quota_exception_record(actor=actor, agency=record.agency,
                                                **record.fields())
                created += 1
            elif record.unchanged:
                unchanged += 1
            else:
                services.quota_exception_change(
                    actor=actor, exception=record.stored, agency=record.stored.agency,
                    why=_changed_by_import(), **record.fields())
                updated += 1
        except ServiceError as refused:  # a rule the check missed: still nothing written
            field = f".{refused.field}" if refused.field else ""
            raise ServiceError(f"{record.path}{field}: {refused.service_message}",
                               code=refused.service_code) from refused
    return created, updated, unchanged


def _never(path: str, code: str, message: str) -> None:  # pragma: no cover - checked before
    raise ServiceError(f"{path}: {message}", code=code)


def export_quota_exceptions() -> list[dict]:
    """Every exception, by agency code and first day."""
    return [{"agency": e.agency.code, "valid_from": e.valid_from.isoformat(),
             "valid_to": e.valid_to.isoformat(), "share": _number_out(e.share.normalize()),
             "decision": e.decision, "decided_on": e.decided_on.isoformat(),
             "reason": e.reason}
            for e in QuotaException.objects.select_related("agency")
            .order_by("agency__code", "valid_from")]

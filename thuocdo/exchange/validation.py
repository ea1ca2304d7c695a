"""Validate a whole exchange document before anything is written.

`check_document()` reads the document and what the database holds, and returns every
problem at once, each with its path (`units[5].parent: unknown unit "HN.NOPE"`) and a stable
code, together with the cleaned records the importer writes. It refuses everything a service
would refuse (unknown references, cycles, two heads of one unit, non-positive coefficients),
so an import either writes all of a document or nothing.

Problem codes: `document`, `format`, `unknown_key`, `not_supported`, `type`, `required`,
`unknown_field`, `empty`, `spaces`, `too_long`, `enum`, `date`, `datetime`, `email`,
`number`, `integer`, `duplicate`, `unknown_unit`, `unknown_task_group`, `unknown_directive`,
`unknown_official`, `unknown_product`, `unknown_task`, `not_for_kind`, `cycle`,
`required_with_unit`, `only_with_unit`, `two_heads`, `since`, `coefficient_from`,
`calendar_conflict`, `calendar_computed` (a day something was computed with: decision 0007),
and the organisation's own `unit_parent_kind`, `unit_code_characters` (docs/org.md).

Dates and times are of the years the rest of the product takes (1900 to 2999,
`core.periods.year_in_range`): `9999-12-31` is refused at its path, as a date that does not
exist is, rather than written and left to overflow later in the calendar.

One problem is reported once. A record that cannot be read at all (not an object, no valid
code, or its whole list not a list) is reported, and the references to nothing of its key
(`unknown_unit`, `unknown_task`, ...) are not each reported after it, since they may be
meant for it: they are summarised in one problem at the first of them, with how many more
there are (`UNKNOWN_REFERENCES`, `_Checker.report`). The importer still leaves the records
that make them out of the workflow's trial (`Checked.unresolved`).

Tasks and events are checked here for their shape and references only (`history.py`); the
workflow's own rules (states, who may act on each day, order of time) are checked when the
importer replays them (`thuocdo.tasks.replay`), in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from thuocdo.core.calendar import computed_on
from thuocdo.core.periods import FIRST_YEAR, LAST_YEAR, year_in_range
from thuocdo.core.services import (
    calendar_computed_message,
    calendar_computed_refuses,
    calendar_computed_warning,
)
from thuocdo.org.choices import Position

from .problems import Problem, day
from .spec import (
    BUILT_KEYS,
    CALENDAR_KINDS,
    CITIZEN_KEYS,
    CODE_PATTERN,
    DATE_PATTERN,
    DATETIME_PATTERN,
    EVALUATION_KEYS,
    FIELDS,
    FORMAT,
    HISTORY_KEYS,
    KEYS,
    NOT_YET_KEYS,
    PLACE_FIELDS,
    RECORD_KEYS,
    YEAR_PATTERN,
    Field,
)
from .state import MembershipState, Snapshot

# Dates and times of any year: a year out of range gets its own message (`date_refusal`).
_DATE = re.compile(DATE_PATTERN.replace(YEAR_PATTERN, "[0-9]{4}", 1))
_DATETIME = re.compile(DATETIME_PATTERN.replace(YEAR_PATTERN, "[0-9]{4}", 1))
_CODE = re.compile(CODE_PATTERN)
_email = EmailValidator()
COEFFICIENT_STEP = Decimal("0.001")
COEFFICIENT_LIMIT = Decimal(10000)
ONE_DAY = dt.timedelta(days=1)


class _Invalid:
    def __repr__(self) -> str:
        return "INVALID"


#: A field whose value has a problem (already reported).
INVALID: Any = _Invalid()


def show(value: Any) -> str:
    """A value as the document wrote it, for messages: `"HN.NOPE"`, `12`, `null`."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def _read_date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or not _DATE.match(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _read_datetime(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not _DATETIME.match(value):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def parse_date(value: Any) -> dt.date | None:
    """A `YYYY-MM-DD` string as a date of a year from 1900 to 2999
    (`core.periods.year_in_range`); None otherwise, `date_refusal` says why."""
    day = _read_date(value)
    return day if day is not None and year_in_range(day.year) else None


def parse_datetime(value: Any) -> dt.datetime | None:
    """An ISO 8601 date and time with an offset as an aware datetime of a year from 1900 to
    2999 (`2026-10-01T08:00:00+07:00`; seconds optional; `Z` is UTC); None otherwise,
    `datetime_refusal` says why."""
    moment = _read_datetime(value)
    return moment if moment is not None and year_in_range(moment.year) else None


def _year_refusal(value: Any) -> str:
    return _("the year must be from %(first)d to %(last)d: %(value)s") % {
        "first": FIRST_YEAR, "last": LAST_YEAR, "value": show(value)}


def date_refusal(value: Any) -> str:
    """Why `parse_date` refuses `value`: not a date, or one of a year out of range."""
    if _read_date(value) is not None:
        return _year_refusal(value)
    return _("not a date (YYYY-MM-DD): %(value)s") % {"value": show(value)}


def datetime_refusal(value: Any) -> str:
    """Why `parse_datetime` refuses `value`."""
    if _read_datetime(value) is not None:
        return _year_refusal(value)
    return _("not a date and time with an offset (2026-10-01T08:00:00+07:00): %(value)s") \
        % {"value": show(value)}


@dataclass
class Record:
    """One record of a document after its fields were checked.

    `values` holds the cleaned value of every field the record has (strings stripped, dates
    as dates, coefficients as Decimals); a field with a problem holds INVALID.
    """

    key: str
    index: int
    values: dict[str, Any]

    @property
    def code(self) -> str:
        return self.values["code"]

    def path(self, name: str | None = None) -> str:
        return f"{self.key}[{self.index}]" + (f".{name}" if name else "")

    def has(self, name: str) -> bool:
        """The record gives this field and its value is valid."""
        return name in self.values and self.values[name] is not INVALID

    def get(self, name: str, default: Any = None) -> Any:
        value = self.values.get(name, default)
        return default if value is INVALID else value


@dataclass
class PlacePlan:
    """An official's place changes: memberships to end, one to amend, or a new one.

    `unit` None means the official leaves (their open memberships end).
    """

    official: str
    index: int
    unit: str | None
    position: str
    task_group: str | None
    start: dt.date
    ends: list[tuple[MembershipState, dt.date]] = field(default_factory=list)
    amend: MembershipState | None = None


@dataclass
class Checked:
    """The outcome of `check_document`: problems, and what an import would write."""

    problems: list[Problem]
    on: dt.date
    snapshot: Snapshot
    #: key -> valid records, first occurrence of each code, in document order
    records: dict[str, list[Record]] = field(default_factory=dict)
    calendar: dict[dt.date, str] = field(default_factory=dict)
    #: official code -> the change of place their record asks for
    places: dict[str, PlacePlan] = field(default_factory=dict)
    #: the built top-level keys the document has
    given_keys: tuple[str, ...] = ()
    #: task codes of the document (first occurrences) and how many events it has
    task_codes: list[str] = field(default_factory=list)
    event_count: int = 0
    #: references to nothing that `problems` summarises (their key has unreadable records)
    unresolved: list[Problem] = field(default_factory=list)
    #: calendar days changed although computed with (THUOCDO_CALENDAR_COMPUTED_MONTHS=warn)
    calendar_warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_document(document: Any, *, on: dt.date | None = None) -> list[Problem]:
    """Every problem of `document` against the database (empty: it would import).

    A document with tasks or events whose shape is sound is also replayed through the
    workflow, in an import that is rolled back (the replay needs the document's units and
    officials in the database): nothing is written either way.
    """
    problems = check_document(document, on=on).problems
    if problems or not isinstance(document, dict) \
            or not any(key in document for key in HISTORY_KEYS):
        return problems
    from .importer import import_document
    from .problems import ImportRejected

    try:
        import_document(document, on=on, dry_run=True)
    except ImportRejected as rejected:
        return rejected.problems
    return []


def check_document(document: Any, *, on: dt.date | None = None,
                   snapshot: Snapshot | None = None) -> Checked:
    """Check the whole document; see the module docstring."""
    return _Checker(document, on=on or timezone.localdate(), snapshot=snapshot).run()


# -- field values ----------------------------------------------------------------------


def _type_name(f: Field) -> str:
    return {
        "code": _("a code (text)"),
        "ref": _("a code (text)"),
        "text": _("text"),
        "string": _("text"),
        "email": _("an e-mail address (text)"),
        "date": _("a date (YYYY-MM-DD)"),
        "datetime": _("a date and time with an offset (2026-10-01T08:00:00+07:00)"),
        "number": _("a number"),
        "integer": _("a whole number"),
        "list": _("a list"),
        "boolean": _("true or false"),
        "enum": _("one of: %(values)s") % {"values": ", ".join(f.enum)},
    }[f.type]


def clean_value(f: Field, value: Any, path: str, report: Callable[..., None]) -> Any:
    """The cleaned value of one field, or INVALID after reporting why."""
    if value is None:
        if f.nullable:
            return "" if f.type in {"string", "email"} else None
        report(path, "type", _("expected %(type)s, not null") % {"type": _type_name(f)})
        return INVALID
    if f.type == "date":
        parsed = parse_date(value)
        if parsed is None:
            report(path, "date", date_refusal(value))
            return INVALID
        return parsed
    if f.type == "datetime":
        moment = parse_datetime(value)
        if moment is None:
            report(path, "datetime", datetime_refusal(value))
            return INVALID
        return moment
    if f.type == "number":
        return _clean_number(value, path, report)
    if f.type == "integer":
        return _clean_integer(f, value, path, report)
    if f.type == "list":
        if not isinstance(value, list):
            report(path, "type", _("expected a list"))
            return INVALID
        return value
    if f.type == "boolean":
        if not isinstance(value, bool):
            report(path, "type", _("expected true or false"))
            return INVALID
        return value
    if not isinstance(value, str):
        report(path, "type", _("expected %(type)s") % {"type": _type_name(f)})
        return INVALID
    if f.type == "enum":
        if value not in f.enum:
            report(path, "enum", enum_refusal(value, f.enum))
            return INVALID
        return value
    if f.type in {"code", "ref"}:
        if not value.strip():
            report(path, "empty", _("must not be empty"))
            return INVALID
        if not _CODE.match(value):
            report(path, "spaces", _("must not begin or end with spaces nor hold line breaks: "
                                     "%(value)s") % {"value": show(value)})
            return INVALID
    else:
        value = value.strip()
        if f.type == "text" and not value:
            report(path, "empty", _("must not be empty"))
            return INVALID
    if f.max_length is not None and len(value) > f.max_length:
        report(path, "too_long", _("longer than %(max)d characters") % {"max": f.max_length})
        return INVALID
    if f.type == "email" and value:
        try:
            _email(value)
        except ValidationError:
            report(path, "email", _("not an e-mail address"))
            return INVALID
    return value


def _clean_integer(f: Field, value: Any, path: str, report: Callable[..., None]) -> Any:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        report(path, "type", _("expected a whole number"))
        return INVALID
    if f.minimum is not None and value < f.minimum:
        report(path, "integer", _("must be at least %(min)d: %(value)s")
               % {"min": f.minimum, "value": show(value)})
        return INVALID
    if f.maximum is not None and value > f.maximum:
        report(path, "integer", _("must be at most %(max)d: %(value)s")
               % {"max": f.maximum, "value": show(value)})
        return INVALID
    return value


def _clean_number(value: Any, path: str, report: Callable[..., None]) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        report(path, "type", _("expected a number"))
        return INVALID
    if isinstance(value, float) and not math.isfinite(value):
        report(path, "number", _("expected a finite number"))
        return INVALID
    try:
        number = Decimal(str(value))
    except InvalidOperation:  # pragma: no cover - str() of a finite number always parses
        report(path, "type", _("expected a number"))
        return INVALID
    if number <= 0:
        report(path, "number", _("must be greater than 0: %(value)s") % {"value": show(value)})
        return INVALID
    if number >= COEFFICIENT_LIMIT:
        report(path, "number", _("must be below 10000: %(value)s") % {"value": show(value)})
        return INVALID
    if number != number.quantize(COEFFICIENT_STEP):
        report(path, "number", _("at most 3 decimal places: %(value)s") % {"value": show(value)})
        return INVALID
    return number.quantize(COEFFICIENT_STEP)


def enum_refusal(value: Any, allowed: Any) -> str:
    """The message of a value not among `allowed` (the path names the field already)."""
    return _("the value %(value)s is not allowed; allowed values: %(values)s") % {
        "value": show(value), "values": ", ".join(allowed)}


def _ignore(path: str, code: str, message: str) -> None:
    pass


# -- the checker -----------------------------------------------------------------------


#: The problem codes of a reference to nothing, and the key of the records it names.
UNKNOWN_REFERENCES = {
    "unknown_unit": "units", "unknown_task_group": "task_groups",
    "unknown_directive": "directives", "unknown_official": "officials",
    "unknown_product": "products", "unknown_task": "tasks", "unknown_dossier": "dossiers",
}


def unreadable_records(document: dict) -> dict[str, list[str]]:
    """For each key whose records are named by code, the paths of those that cannot be
    named: the key itself when it is not a list, else each record that is not an object or
    has no valid code. A reference that finds nothing may be meant for one of them."""
    found: dict[str, list[str]] = {}
    for key in dict.fromkeys(UNKNOWN_REFERENCES.values()):
        if key not in document:
            continue
        items = document[key]
        if not isinstance(items, list):
            found[key] = [key]
            continue
        code = FIELDS[key]["code"]
        paths = [f"{key}[{i}]" for i, item in enumerate(items)
                 if not isinstance(item, dict) or "code" not in item
                 or clean_value(code, item["code"], "", _ignore) is INVALID]
        if paths:
            found[key] = paths
    return found


REF_CODES = {
    "units": ("unknown_unit", lambda: _('unknown unit %(code)s')),
    "task_groups": ("unknown_task_group", lambda: _('unknown task group %(code)s')),
    "directives": ("unknown_directive", lambda: _('unknown directive %(code)s')),
}


class _Checker:
    def __init__(self, document: Any, *, on: dt.date, snapshot: Snapshot | None) -> None:
        self.document = document
        self.on = on
        self.problems: list[Problem] = []
        self.given_snapshot = snapshot
        self.records: dict[str, list[Record]] = {key: [] for key in RECORD_KEYS}
        self.calendar: dict[dt.date, str] = {}
        #: each calendar day's path in the document (`calendar.holidays[3]`)
        self.calendar_paths: dict[dt.date, str] = {}
        self.unreadable: dict[str, list[str]] = {}
        self.unresolved: list[Problem] = []

    def report(self, path: str, code: str, message: str) -> None:
        """Record a problem; a reference to nothing of a key with unreadable records is
        held back for `summarise_unresolved` (every check reports through here)."""
        problem = Problem(path, code, message)
        if UNKNOWN_REFERENCES.get(code) in self.unreadable:
            self.unresolved.append(problem)
        else:
            self.problems.append(problem)

    def run(self) -> Checked:
        doc = self.document
        if not isinstance(doc, dict):
            self.report("$", "document", _("expected an object (a JSON document {...})"))
            return Checked(self.problems, self.on, self.given_snapshot or Snapshot())
        self.unreadable = unreadable_records(doc)
        for key in doc:
            if key not in KEYS:
                self.report(str(key), "unknown_key", _("unknown key"))
            elif key in NOT_YET_KEYS:
                self.report(key, "not_supported", _("not supported yet"))
        if "format" in doc and doc["format"] != FORMAT:
            self.report("format", "format",
                        _("unsupported format %(value)s (this version reads %(format)s)")
                        % {"value": show(doc["format"]), "format": show(FORMAT)})
        if "calendar" in doc:
            self.check_calendar(doc["calendar"])
        for key in RECORD_KEYS:
            if key in doc:
                self.check_records(key, doc[key])
        self.drop_duplicates()
        snapshot = self.given_snapshot or Snapshot.load(
            official_codes=[r.code for r in self.records["officials"]],
            days=list(self.calendar),
        )
        self.snapshot = snapshot
        checked = Checked(self.problems, self.on, snapshot, self.records, self.calendar,
                          given_keys=tuple(k for k in BUILT_KEYS if k in doc))
        self.check_calendar_computed(checked)
        self.check_references()
        self.check_unit_cycles()
        self.check_unit_places()
        self.check_directive_cycles()
        self.check_places(checked)
        self.check_coefficients()
        if any(key in doc for key in HISTORY_KEYS):
            from .history import check_history

            outline = check_history(
                doc, self.report,
                units=self.known("units"), products=self.known("products"),
                directives=self.known("directives"),
                officials={r.code for r in self.records["officials"]},
            )
            checked.task_codes, checked.event_count = outline
        if any(key in doc for key in EVALUATION_KEYS):
            from thuocdo.evaluations.exchange import check as check_evaluations

            check_evaluations(doc, self.report,
                              officials={r.code for r in self.records["officials"]},
                              units={r.code for r in self.records["units"]})
        if any(key in doc for key in CITIZEN_KEYS):
            from thuocdo.citizens.exchange import check as check_citizens

            check_citizens(doc, self.report,
                           officials={r.code for r in self.records["officials"]},
                           units={r.code for r in self.records["units"]},
                           tasks=set(checked.task_codes or ()), checked=checked)
        checked.unresolved = self.unresolved
        # Problems in document order: by top-level key, then record index, then field.
        checked.problems = sorted([*self.problems, *self.summarise_unresolved()],
                                  key=problem_order)
        return checked

    def summarise_unresolved(self) -> list[Problem]:
        """One problem per key for the references to nothing that `report` held back: the
        first in document order, how many more there are, and which records could not be
        read (once they are fixed, the next run names any reference still to nothing)."""
        by_key: dict[str, list[Problem]] = {}
        for problem in sorted(self.unresolved, key=problem_order):
            by_key.setdefault(UNKNOWN_REFERENCES[problem.code], []).append(problem)
        summaries = []
        for key, found in by_key.items():
            first, more = found[0], len(found) - 1
            paths = self.unreadable[key]
            values = {"problem": first.message, "count": more, "key": key,
                      "records": ", ".join(paths[:3]) + (", …" if len(paths) > 3 else "")}
            if more:
                message = ngettext(
                    "%(problem)s; %(count)d more reference to %(key)s is not found either. "
                    "It is not listed: %(records)s could not be read, and it may name a "
                    "record there.",
                    "%(problem)s; %(count)d more references to %(key)s are not found "
                    "either. They are not listed: %(records)s could not be read, and they "
                    "may name records there.",
                    more) % values
            else:
                message = _("%(problem)s (%(records)s could not be read, and it may name a "
                            "record there)") % values
            summaries.append(Problem(first.path, first.code, message))
        return summaries

    # -- calendar ------------------------------------------------------------------------

    def check_calendar(self, calendar: Any) -> None:
        if not isinstance(calendar, dict):
            self.report("calendar", "type", _("expected an object"))
            return
        for name in calendar:
            if name not in CALENDAR_KINDS:
                self.report(f"calendar.{name}", "unknown_field", _("unknown field"))
        seen: dict[dt.date, str] = {}
        for name in CALENDAR_KINDS:
            if name not in calendar:
                continue
            days = calendar[name]
            kind = "holiday" if name == "holidays" else "workday"
            if not isinstance(days, list):
                self.report(f"calendar.{name}", "type", _("expected a list"))
                continue
            for i, value in enumerate(days):
                path = f"calendar.{name}[{i}]"
                found = parse_date(value)
                if found is None:
                    self.report(path, "date", date_refusal(value))
                elif found in seen:
                    if seen[found] == kind:
                        self.report(path, "duplicate", _("duplicate day %(day)s")
                                    % {"day": show(value)})
                    else:
                        self.report(path, "calendar_conflict",
                                    _("%(day)s is listed as a holiday and as a working day")
                                    % {"day": show(value)})
                else:
                    seen[found] = kind
                    self.calendar_paths[found] = path
        self.calendar = seen

    def check_calendar_computed(self, checked: Checked) -> None:
        """A day the document changes (a new override, or another kind than the stored one;
        a day given as stored changes nothing) must not be one something was computed with
        (`core.calendar.computed_on`: a month's signals, an approved period's cards): each is
        refused at its path, or, with THUOCDO_CALENDAR_COMPUTED_MONTHS = "warn", warned of."""
        changed = [day for day, kind in self.calendar.items()
                   if self.snapshot.calendar.get(day) != kind]
        refuses = calendar_computed_refuses()
        for when, found in computed_on(changed).items():
            if refuses:
                self.report(self.calendar_paths[when], "calendar_computed",
                            calendar_computed_message(day=when, found=found))
            else:
                checked.calendar_warnings.append(calendar_computed_warning(day=when,
                                                                           found=found))

    # -- records -------------------------------------------------------------------------

    def check_records(self, key: str, items: Any) -> None:
        if not isinstance(items, list):
            self.report(key, "type", _("expected a list"))
            return
        fields = FIELDS[key]
        for index, item in enumerate(items):
            path = f"{key}[{index}]"
            if not isinstance(item, dict):
                self.report(path, "type", _("expected an object"))
                continue
            values: dict[str, Any] = {}
            for name, value in item.items():
                f = fields.get(name)
                if f is None:
                    self.report(f"{path}.{name}", "unknown_field", _("unknown field"))
                    continue
                values[name] = clean_value(f, value, f"{path}.{name}", self.report)
            for f in fields.values():
                if f.required and f.name not in item:
                    self.report(f"{path}.{f.name}", "required", _("required field is missing"))
            if key == "officials":
                self.check_place_fields(path, item, values)
            if values.get("code", INVALID) is not INVALID:
                self.records[key].append(Record(key, index, values))

    def check_place_fields(self, path: str, item: dict, values: dict[str, Any]) -> None:
        has_unit = item.get("unit") is not None
        if has_unit and "position" not in item:
            self.report(f"{path}.position", "required_with_unit",
                        _("required when a unit is given"))
        if not has_unit:
            for name in PLACE_FIELDS:
                if name in item:
                    self.report(f"{path}.{name}", "only_with_unit",
                                _("only allowed together with a unit"))
                    values[name] = INVALID

    def drop_duplicates(self) -> None:
        for key, records in self.records.items():
            first: dict[str, Record] = {}
            for record in records:
                if record.code in first:
                    self.report(record.path("code"), "duplicate",
                                _("duplicate code %(code)s (first given at %(first)s)")
                                % {"code": show(record.code),
                                   "first": first[record.code].path()})
                else:
                    first[record.code] = record
            self.records[key] = list(first.values())

    # -- references ----------------------------------------------------------------------

    def known(self, key: str) -> set[str]:
        codes = {r.code for r in self.records[key]}
        codes.update(getattr(self.snapshot, key))
        return codes

    def check_references(self) -> None:
        known = {key: self.known(key) for key in ("units", "task_groups", "directives")}
        for key in RECORD_KEYS:
            fields = FIELDS[key]
            for record in self.records[key]:
                for name, value in record.values.items():
                    f = fields[name]
                    if f.type != "ref" or value is INVALID or value is None:
                        continue
                    if value not in known[f.ref]:  # type: ignore[index]
                        code, message = REF_CODES[f.ref]  # type: ignore[index]
                        self.report(record.path(name), code, message() % {"code": show(value)})
                        record.values[name] = INVALID

    def _find_cycles(self, key: str, link: str, stored: dict[str, str | None]) -> None:
        """Report each cycle of `link` (parent, answers) once, at the member that comes last
        in the document, written from that member's target round to it again."""
        target = dict(stored)
        index: dict[str, Record] = {}
        for record in self.records[key]:
            index[record.code] = record
            if link in record.values:
                target[record.code] = record.get(link)
        done: set[str] = set()
        for start in index:
            walk: dict[str, int] = {}
            node: str | None = start
            while node is not None and node not in done and node not in walk:
                walk[node] = len(walk)
                node = target.get(node)
            if node is not None and node in walk:
                members = [index[m] for m in list(walk)[walk[node]:] if m in index]
                if not members:  # a cycle already stored: not this document's doing
                    done.update(walk)
                    continue
                last = max(members, key=lambda r: r.index)
                # Follow the links from the last member's target until it comes back.
                chain: list[str] = [str(target[last.code])]
                while chain[-1] != last.code:
                    chain.append(str(target[chain[-1]]))
                chain.append(chain[0])
                self.report(last.path(link), "cycle",
                            _("cycle %(chain)s") % {"chain": " → ".join(chain)})
            done.update(walk)

    def check_unit_cycles(self) -> None:
        stored = {code: unit.parent for code, unit in self.snapshot.units.items()}
        self._find_cycles("units", "parent", stored)

    def check_unit_places(self) -> None:
        """A new unit's code, and each unit's place in the tree as the document leaves it,
        by the organisation's own rules (`org.services.unit_code_refusal`,
        `unit_place_refusal`, with the code of the refusal): a unit under a parent its kind
        may not be under (`units[i].parent`), a unit given a kind that a stored child may
        not be under (`units[i].kind`). Units in a cycle (reported) are left alone."""
        from thuocdo.org.services import unit_code_refusal, unit_place_refusal

        stored = self.snapshot.units
        kinds = {code: unit.kind for code, unit in stored.items()}
        parents = {code: unit.parent for code, unit in stored.items()}
        records = self.records["units"]
        for record in records:
            if record.code not in stored:
                refused = unit_code_refusal(record.code)
                if refused is not None:
                    self.report(record.path("code"), refused.service_code,
                                refused.service_message)
            kinds[record.code] = record.values.get("kind", INVALID)
            if "parent" in record.values:
                parents[record.code] = record.values["parent"]
            elif record.code not in stored:
                parents[record.code] = None
        rooted: set[str] = set()

        def reaches_root(code: str) -> bool:
            walk: list[str] = []
            node: Any = code
            while node is not None and node is not INVALID and node not in rooted:
                if node in walk:
                    return False
                walk.append(node)
                node = parents.get(node)
            if node is INVALID:
                return False
            rooted.update(walk)
            return True

        def unchanged(code: str, kind: Any, parent: Any) -> bool:
            """Stored with this kind, under this parent, itself of its stored kind: the
            services check a unit only when it is new, moved or given another kind (a unit
            placed before the rules existed stays until someone moves it)."""
            unit = stored.get(code)
            return (unit is not None and kind == unit.kind and parent == unit.parent
                    and (parent is None or (parent in stored
                                            and kinds.get(parent) == stored[parent].kind)))

        for record in records:
            kind, parent = kinds[record.code], parents[record.code]
            if kind is INVALID or parent is INVALID or not reaches_root(record.code):
                continue
            if unchanged(record.code, kind, parent):
                continue
            parent_kind = kinds.get(parent) if parent is not None else None
            if parent_kind is INVALID:
                continue
            refused = unit_place_refusal(code=record.code, kind=kind, parent=parent,
                                         parent_kind=parent_kind)
            if refused is not None:
                self.report(record.path("parent"), refused.service_code,
                            refused.service_message)
        given = {record.code: record for record in records}
        retyped = {code for code, record in given.items() if code in stored
                   and kinds[code] is not INVALID and kinds[code] != stored[code].kind}
        if not retyped:
            return
        for code, unit in sorted(stored.items()):
            parent = parents[code]
            if code in given or parent not in retyped or not reaches_root(code):
                continue
            refused = unit_place_refusal(code=code, kind=unit.kind, parent=parent,
                                         parent_kind=kinds[parent])
            if refused is not None:
                self.report(given[parent].path("kind"), refused.service_code,
                            refused.service_message)

    def check_directive_cycles(self) -> None:
        stored = {code: d.answers for code, d in self.snapshot.directives.items()}
        self._find_cycles("directives", "answers", stored)

    # -- officials' places and one head per unit -------------------------------------------

    def check_places(self, checked: Checked) -> None:
        snapshot = self.snapshot
        plans: dict[str, PlacePlan] = {}
        for record in self.records["officials"]:
            if "unit" not in record.values:
                continue
            names = ("unit", "position", "task_group", "since")
            if any(record.values.get(n) is INVALID for n in names):
                continue
            unit = record.get("unit")
            position = record.get("position", Position.STAFF)
            group = record.get("task_group")
            opens = snapshot.open_memberships.get(record.code, [])
            if unit is None:
                if opens:
                    plan = PlacePlan(record.code, record.index, None, "", None, self.on)
                    plan.ends = [(m, max(self.on - ONE_DAY, m.start)) for m in opens]
                    plans[record.code] = plan
                continue
            if any((m.unit, m.position, m.task_group) == (unit, position, group) for m in opens):
                continue  # already holds exactly that place: nothing to do
            start = record.get("since") or self.on
            plan = PlacePlan(record.code, record.index, unit, position, group, start)
            late = [m for m in opens if m.start > start]
            if late:
                self.report(
                    record.path("since" if "since" in record.values else None), "since",
                    _("the new place would start on %(start)s, before the current one in unit "
                      "%(unit)s started (%(current)s)")
                    % {"start": day(start), "unit": show(late[0].unit),
                       "current": day(late[0].start)},
                )
                continue
            for m in opens:
                if m.start == start and plan.amend is None:
                    plan.amend = m
                else:
                    plan.ends.append((m, start - ONE_DAY if m.start < start else start))
            plans[record.code] = plan
        checked.places = plans
        self.check_heads(plans)

    def check_heads(self, plans: dict[str, PlacePlan]) -> None:
        new_heads = [p for p in plans.values() if p.unit is not None and p.position == "head"]
        if not new_heads:
            return
        stored = self.snapshot.heads_in({p.unit for p in new_heads})  # type: ignore[misc]
        ended: dict[int, dt.date] = {}
        replaced: set[int] = set()
        for plan in plans.values():
            for membership, end in plan.ends:
                ended[membership.pk] = end
            if plan.amend is not None:
                replaced.add(plan.amend.pk)
        by_unit: dict[str, list[tuple[dt.date, dt.date | None, str, PlacePlan | None]]] = {}
        for unit, heads in stored.items():
            for head in heads:
                if head.pk in replaced:
                    continue
                by_unit.setdefault(unit, []).append(
                    (head.start, ended.get(head.pk, head.end), head.official, None))
        for plan in sorted(new_heads, key=lambda p: p.index):
            intervals = by_unit.setdefault(plan.unit, [])  # type: ignore[arg-type]
            clash = next((i for i in intervals if _overlap(i[0], i[1], plan.start, None)), None)
            if clash is not None:
                self.report_head_clash(plan, clash)
            intervals.append((plan.start, None, plan.official, plan))

    def report_head_clash(self, plan: PlacePlan, clash: tuple) -> None:
        start, _end, official, other = clash
        path = f"officials[{plan.index}].position"
        if other is not None:
            message = _("unit %(unit)s already has a head in this document: "
                        "officials[%(index)d] %(code)s") % {
                "unit": show(plan.unit), "index": other.index, "code": show(official)}
        else:
            message = _("unit %(unit)s already has a head from %(start)s: %(code)s") % {
                "unit": show(plan.unit), "start": day(start), "code": show(official)}
        self.report(path, "two_heads", message)

    # -- products ------------------------------------------------------------------------

    def check_coefficients(self) -> None:
        for record in self.records["products"]:
            stored = self.snapshot.products.get(record.code)
            if stored is None or stored.valid_from is None or not record.has("coefficient"):
                continue
            if record.values.get("coefficient_from") is INVALID:
                continue
            if record.get("coefficient") == stored.coefficient:
                continue
            start = record.get("coefficient_from") or self.on
            if start < stored.valid_from:
                self.report(
                    record.path("coefficient_from" if "coefficient_from" in record.values
                                else "coefficient"),
                    "coefficient_from",
                    _("a new coefficient from %(start)s would not replace the one in force "
                      "since %(current)s") % {"start": day(start),
                                              "current": day(stored.valid_from)},
                )


def _overlap(a_start: dt.date, a_end: dt.date | None, b_start: dt.date,
             b_end: dt.date | None) -> bool:
    return (a_end is None or a_end >= b_start) and (b_end is None or b_end >= a_start)


_INDEX = re.compile(r"^([^.\[]*)(?:\[(\d+)\])?")
_KEY_ORDER = {key: n for n, key in enumerate(KEYS)}


def problem_order(problem: Problem) -> tuple[int, int]:
    """Sort key of problems in document order: top-level key, then record index; a stable
    sort keeps the rest as found."""
    match = _INDEX.match(problem.path)
    key, index = match.groups() if match else (problem.path, None)
    return (_KEY_ORDER.get(key, -1), int(index) if index else -1)


__all__ = [
    "BUILT_KEYS", "INVALID", "UNKNOWN_REFERENCES", "Checked", "PlacePlan", "Record",
    "check_document", "clean_value", "date_refusal", "datetime_refusal", "enum_refusal",
    "parse_date", "parse_datetime", "problem_order", "show", "unreadable_records",
    "validate_document",
]

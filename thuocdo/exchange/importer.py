"""Import an exchange document: all of it, in one transaction, or nothing.

    report = import_document(document, actor=user)      # ImportReport
    # raises ImportRejected(problems) with nothing written if anything is wrong

Records are matched by code. A field a record leaves out keeps its stored value (a new
record gets the default), so a document may carry only what it changes; importing the same
document twice changes nothing the second time: no row, no membership, no coefficient
version, no audit entry. Writes go through the bulk services of `org`, `tasks` and this app;
the run records one audit entry with its counts.

Tasks and events are written last, by the workflow's replay (`thuocdo.tasks.replay`), in the
same transaction: it checks the history against the workflow (states, who may act on the
event's day, order of time) and its problems are the import's, with their paths.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from thuocdo.core import inserts
from thuocdo.core.errors import ServiceError
from thuocdo.core.services import audit_record, calendar_overrides_bulk_set
from thuocdo.org import services as org
from thuocdo.org.choices import Position
from thuocdo.tasks import services as tasks

from .problems import WHOLE, ImportRejected, Problem, day
from .spec import BUILT_KEYS, CITIZEN_KEYS, EVALUATION_KEYS, FIELDS, HISTORY_KEYS, RECORD_KEYS
from .validation import Checked, PlacePlan, check_document, problem_order, show

#: Records listed per key and kind of change by `ImportReport.details()`.
DETAIL_LIMIT = 20


@dataclass
class Counts:
    """What an import did to one key's records; `created_codes` and `changes` name the
    first few (`DETAIL_LIMIT`) of them for the dry run's listing."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    created_codes: list[str] = field(default_factory=list, repr=False)
    changes: list[str] = field(default_factory=list, repr=False)

    @property
    def changed(self) -> int:
        return self.created + self.updated

    def note_created(self, code: str) -> None:
        if len(self.created_codes) < DETAIL_LIMIT:
            self.created_codes.append(code)

    def note_change(self, code: str, fields: list[tuple[str, Any, Any]]) -> None:
        """One updated record: `code: field: old → new; field: old → new`."""
        if len(self.changes) < DETAIL_LIMIT and fields:
            self.changes.append(f"{code}: " + "; ".join(
                f"{name}: {old} → {new}" for name, old, new in fields))


@dataclass
class ImportReport:
    """Counts per top-level key of the document (created, updated, unchanged), and warnings
    about what the import rewrites rather than adds (an official's place corrected on the
    day it started; a calendar day something was computed with, when settings allow it),
    or leaves as it is although the document says otherwise (a stored task's title)."""

    on: dt.date
    dry_run: bool = False
    counts: dict[str, Counts] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(c.changed for c in self.counts.values())

    @property
    def created(self) -> int:
        """Records created, all keys together."""
        return sum(c.created for c in self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        """The audit entry's record of the import: the warnings too, when there are any."""
        found: dict[str, Any] = {
            "on": self.on.isoformat(),
            "dry_run": self.dry_run,
            "counts": {key: {"created": c.created, "updated": c.updated,
                             "unchanged": c.unchanged} for key, c in self.counts.items()},
        }
        if self.warnings:
            found["warnings"] = list(self.warnings)
        return found

    def lines(self) -> list[str]:
        return [
            _("%(key)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged")
            % {"key": key, "created": c.created, "updated": c.updated,
               "unchanged": c.unchanged}
            for key, c in self.counts.items()
        ]

    def details(self) -> list[str]:
        """Which records are created and how the updated ones change, key by key, at most
        `DETAIL_LIMIT` of each then "… and N more" (the dry run prints these)."""
        lines: list[str] = []
        for key, c in self.counts.items():
            if c.created_codes:
                more = c.created - len(c.created_codes)
                lines.append("  " + _("%(key)s created: %(codes)s")
                             % {"key": key, "codes": ", ".join(c.created_codes)}
                             + (" " + _more(more) if more > 0 else ""))
            if c.changes:
                lines.append("  " + _("%(key)s updated:") % {"key": key})
                lines.extend(f"    {change}" for change in c.changes)
                more = c.updated - len(c.changes)
                if more > 0:
                    lines.append("    " + _more(more))
        return lines


def _more(count: int) -> str:
    return ngettext("… and %(count)d more", "… and %(count)d more", count) % {"count": count}


def _shown(value: Any) -> str:
    """A stored or imported value as a person reads it in a list of changes."""
    if value is None or value == "":
        return _("(none)")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.date):
        return day(value)
    return show(value)


def _diff(names: tuple[str, ...], old: tuple, new: tuple) -> list[tuple[str, str, str]]:
    return [(name, _shown(a), _shown(b)) for name, a, b in zip(names, old, new, strict=True)
            if a != b]


def import_document(
    document: dict,
    *,
    actor: Any = None,
    on: dt.date | None = None,
    dry_run: bool = False,
    source: str = "",
) -> ImportReport:
    """Validate `document` against itself and the database, then write it.

    `on` is the day changes take effect (default today): a changed place starts then (unless
    the record says `since`), a changed coefficient too (unless `coefficient_from`).
    `dry_run` does everything and rolls it back, so the report says what would happen.
    Raises ImportRejected with every problem, and nothing written, if anything is wrong:
    when the first check finds problems, the workflow's check of the history still runs on
    the tasks those problems do not touch (see `_later_problems`), so one run lists all
    that can be found.
    """
    on = on or timezone.localdate()
    refused = normalise_text(document)
    if refused:
        raise ImportRejected(refused)
    try:
        with transaction.atomic():
            checked = check_document(document, on=on)
            if checked.problems:
                problems, notes = _later_problems(document, checked, actor=actor)
                raise ImportRejected(problems, notes)
            report = _write(document, checked, actor=actor, dry_run=dry_run)
            if not dry_run and report.created >= inserts.STATISTICS_AFTER_ROWS:
                # A bulk load: the planner must not read it as the empty tables it knew.
                # Robust: the import is committed whatever happens to the refresh (a
                # database busy with a worker's write), which is logged, not raised.
                transaction.on_commit(inserts.refresh_statistics, robust=True)
            if report.changed:
                audit_record(
                    actor=actor, action="exchange.import", object_type="exchange.document",
                    object_code=source, changes=report.as_dict(),
                )
            if dry_run:
                transaction.set_rollback(True)
    except ServiceError as error:  # a rule the validator missed: still nothing written
        raise ImportRejected([Problem("$", error.service_code, error.service_message)]) \
            from error
    except IntegrityError as error:
        raise ImportRejected([Problem("$", "integrity", str(error))]) from error
    return report


def normalise_text(document: Any) -> list[Problem]:
    """Put every text of `document` in Unicode's composed form (NFC), in place; the
    problems of texts that hold a NUL character, which no database keeps (PostgreSQL
    refuses it), each at its path.

    Vietnamese can be written composed ("ồ" one character) or decomposed ("o" and two
    marks): the same name from two sources then compared unequal, so importing one document
    changed a name the other had written, and two task codes that look the same were two
    tasks. The pages and the API keep what is typed; documents come from other software.
    One walk over the document, with no path built unless a NUL was found (a city's month
    holds millions of texts)."""
    found_nul = False

    def text(value: str) -> str:
        nonlocal found_nul
        if "\x00" in value:
            found_nul = True
        return (value if unicodedata.is_normalized("NFC", value)
                else unicodedata.normalize("NFC", value))

    def clean(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, str):
                    value[key] = text(item)
                elif isinstance(item, dict | list):
                    clean(item)
            if not all(unicodedata.is_normalized("NFC", key) for key in value
                       if isinstance(key, str)):
                renamed = {text(key) if isinstance(key, str) else key: item
                           for key, item in value.items()}
                value.clear()
                value.update(renamed)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, str):
                    value[index] = text(item)
                elif isinstance(item, dict | list):
                    clean(item)

    if isinstance(document, str):
        return []
    clean(document)
    if not found_nul:
        return []

    def nul_paths(value: Any, path: str):
        if isinstance(value, str):
            if "\x00" in value:
                yield path
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from nul_paths(item, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from nul_paths(item, f"{path}[{index}]")

    return [Problem(path or WHOLE, "nul_character",
                    _("holds a NUL character (U+0000), which no text may hold"))
            for path in nul_paths(document, "")]


def _write(document: dict, checked: Checked, *, actor: Any, dry_run: bool) -> ImportReport:
    """Write the checked document, key by key in the order references need."""
    report = ImportReport(on=checked.on, dry_run=dry_run)
    report.counts.update(_write_records(checked, actor))
    report.warnings.extend(_place_warnings(checked))
    report.warnings.extend(checked.calendar_warnings)
    if any(key in checked.given_keys for key in HISTORY_KEYS):
        from thuocdo.notifications.services import last_event_id, notifications_pass_events

        before = last_event_id()
        report.counts.update(_replay_history(document, checked, actor=actor, dry_run=dry_run,
                                             warnings=report.warnings))
        # An imported history is past: the officials lived it, nobody is notified of it.
        notifications_pass_events(after=before, source="exchange.import")
    if any(key in checked.given_keys for key in EVALUATION_KEYS):
        from thuocdo.evaluations.exchange import write as write_evaluations

        for key, (created, updated, unchanged) in write_evaluations(document,
                                                                    actor=actor).items():
            report.counts[key] = Counts(created=created, updated=updated, unchanged=unchanged)
    if any(key in checked.given_keys for key in CITIZEN_KEYS):
        from thuocdo.citizens.exchange import write as write_citizens

        for key, (created, updated, unchanged) in write_citizens(document,
                                                                 actor=actor).items():
            report.counts[key] = Counts(created=created, updated=updated, unchanged=unchanged)
    # Report in the order of the format.
    report.counts = {key: report.counts[key] for key in BUILT_KEYS if key in report.counts}
    return report


def _write_records(checked: Checked, actor: Any) -> dict[str, Counts]:
    writers: dict[str, Any] = {
        "calendar": _write_calendar, "task_groups": _write_task_groups,
        "units": _write_units, "officials": _write_officials,
        "products": _write_products, "directives": _write_directives,
    }
    return {key: writers[key](checked, actor)
            for key in ("calendar", "task_groups", "units", "officials", "products",
                        "directives")
            if key in checked.given_keys}


def _place_text(unit: str | None, position: str, group: str | None) -> str:
    return ", ".join(part for part in (unit, position, group) if part)


def _place_warnings(checked: Checked) -> list[str]:
    """What an import rewrites in officials' membership history: a place that started on
    the day a new one starts is corrected in place (the same-day fix of
    docs/exchange-format.md), or ended on its first day; the history no longer shows it."""
    warnings: list[str] = []
    for plan in checked.places.values():
        if plan.amend is not None:
            old = plan.amend
            warnings.append(_(
                "Warning: official %(code)s: the place held from %(start)s (%(old)s) is "
                "replaced by %(new)s from the same day; the history will not keep the "
                "old place (a same-day fix)."
            ) % {"code": show(plan.official), "start": day(old.start),
                 "old": _place_text(old.unit, old.position, old.task_group),
                 "new": _place_text(plan.unit, plan.position, plan.task_group)})
        for membership, end in plan.ends:
            if end <= membership.start:
                warnings.append(_(
                    "Warning: official %(code)s: the place held from %(start)s (%(old)s) "
                    "ends on the day it started."
                ) % {"code": show(plan.official), "start": day(membership.start),
                     "old": _place_text(membership.unit, membership.position,
                                        membership.task_group)})
    return warnings


# -- everything that can be found when the first check fails ----------------------------


_PATH = re.compile(r"^(\w+)(?:\[(\d+)\])?")


def _later_problems(document: Any, checked: Checked, *,
                    actor: Any) -> tuple[list[Problem], list[str]]:
    """The first check's problems, then those the workflow finds in the history.

    The workflow's check (`thuocdo.tasks.replay`) needs the document's records written, so
    it runs in a savepoint that is always rolled back, with what the problems leave sound:
    the records without a problem (and not naming one that has), and the tasks without a
    problem (nor an event with one, nor naming a record left out), with their events. The
    notes say what could not be checked and why: a later check that depends on an earlier
    one waits until its problems are fixed.
    """
    problems = list(checked.problems)
    notes: list[str] = []
    if not isinstance(document, dict):
        return problems, notes
    if any(key in document for key in HISTORY_KEYS):
        found, history_notes = _trial_replay(document, checked, actor=actor)
        problems = sorted([*problems, *found], key=problem_order)
        notes.extend(history_notes)
    notes.extend(_later_keys_note(document))
    return problems, notes


def _later_keys_note(document: dict) -> list[str]:
    """Evaluations and citizens' cases are written after the history: their own checks in
    writing wait until the problems before them are fixed. `quota_exceptions` are checked
    whole before anything is written (`thuocdo.evaluations.exchange`)."""
    later = [key for key in (*EVALUATION_KEYS, *CITIZEN_KEYS)
             if key in document and key != "quota_exceptions"]
    if not later:
        return []
    return [_("Not checked yet: %(keys)s were checked for their fields and references "
              "only; the checks that need the records above written run once the problems "
              "are fixed.") % {"keys": ", ".join(later)}]


def _trial_replay(document: dict, checked: Checked, *,
                  actor: Any) -> tuple[list[Problem], list[str]]:
    from thuocdo.tasks.replay import ReplayRejected, replay

    tasks, events = document.get("tasks", []), document.get("events", [])
    if not isinstance(tasks, list) or not isinstance(events, list):
        return [], [_not_replayed_note()]
    excluded = _excluded_records(document, checked)
    left_out_tasks, left_out_events = _excluded_history(
        document, [*checked.problems, *checked.unresolved], excluded)
    # What is not an object was reported already and cannot be replayed.
    kept_tasks = [i for i, t in enumerate(tasks)
                  if isinstance(t, dict) and t.get("code") not in left_out_tasks]
    kept_events = [j for j, e in enumerate(events)
                   if j not in left_out_events
                   and isinstance(e, dict) and e.get("task") not in left_out_tasks]
    notes: list[str] = []
    if left_out_tasks:
        names = sorted(left_out_tasks, key=_task_order(tasks))
        shown = [_task_name(tasks, code) for code in names[:5]]
        notes.append(ngettext(
            "Not checked against the workflow (states, who may act, order of time): "
            "%(count)d task (%(tasks)s) and its events, because of its problems above or of "
            "a record it names.",
            "Not checked against the workflow (states, who may act, order of time): "
            "%(count)d tasks (%(tasks)s) and their events, because of their problems above "
            "or of records they name.",
            len(names),
        ) % {"count": len(names), "tasks": ", ".join(shown) + (", …" if len(names) > 5
                                                                 else "")})
    if not kept_tasks and not kept_events:
        return [], notes
    trial = dataclasses.replace(
        checked,
        records={key: [r for r in records if r.code not in excluded.get(key, set())]
                 for key, records in checked.records.items()},
        places={code: plan for code, plan in checked.places.items()
                if code not in excluded.get("officials", set())},
    )
    try:
        with transaction.atomic():  # a savepoint, always rolled back
            _write_records(trial, actor)
            try:
                replay(tasks=[tasks[i] for i in kept_tasks],
                       events=[events[j] for j in kept_events], user=actor, dry_run=True)
            except ReplayRejected as rejected:
                found = [Problem(_renumber(p.path, kept_tasks, kept_events), p.code, p.message)
                         for p in rejected.problems]
            else:
                found = []
            transaction.set_rollback(True)
    except Exception:  # the check is a courtesy: the problems above stand either way
        return [], [_not_replayed_note()]
    return found, notes


def _not_replayed_note() -> str:
    return _("Not checked against the workflow (states, who may act, order of time): the "
             "tasks and events, because they need the records above, which have problems.")


def _excluded_records(document: dict, checked: Checked) -> dict[str, set[str]]:
    """Codes of the records a problem is about (one summarised among `unresolved`
    included), and of those that name them (a unit under one, an official placed in one,
    ...): the trial leaves them all out."""
    excluded: dict[str, set[str]] = {key: set() for key in RECORD_KEYS}
    for problem in [*checked.problems, *checked.unresolved]:
        key, index = _key_index(problem.path)
        if key in excluded and index is not None:
            items = document.get(key)
            item = items[index] if isinstance(items, list) and index < len(items) else None
            code = item.get("code") if isinstance(item, dict) else None
            if isinstance(code, str):
                excluded[key].add(code)
    grew = True
    while grew:
        grew = False
        for key in RECORD_KEYS:
            for record in checked.records[key]:
                if record.code in excluded[key]:
                    continue
                if _names_excluded(FIELDS[key], record.values, excluded):
                    excluded[key].add(record.code)
                    grew = True
    return excluded


def _names_excluded(fields: dict, values: dict, excluded: dict[str, set[str]]) -> bool:
    for name, value in values.items():
        f = fields.get(name)
        if f is None:
            continue
        if f.type == "ref" and isinstance(value, str) and value in excluded.get(f.ref, ()):
            return True
        if f.type == "list" and isinstance(value, list):
            items = {item.name: item for item in f.items}
            if any(isinstance(v, dict) and _names_excluded(items, v, excluded) for v in value):
                return True
    return False


def _excluded_history(document: dict, problems: list[Problem],
                      excluded: dict[str, set[str]]) -> tuple[set[str], set[int]]:
    """Task codes left out of the trial (with all their events), and events left out on
    their own (their task is not known)."""
    tasks, events = document.get("tasks", []), document.get("events", [])
    left_tasks: set[str] = set()
    left_events: set[int] = set()
    for problem in problems:
        key, index = _key_index(problem.path)
        if index is None or key not in HISTORY_KEYS:
            continue
        items = tasks if key == "tasks" else events
        item = items[index] if index < len(items) else None
        code = (item.get("code") if key == "tasks" else item.get("task")) \
            if isinstance(item, dict) else None
        if isinstance(code, str) and problem.code != "unknown_task":
            left_tasks.add(code)
        elif key == "events":
            left_events.add(index)
    for key, items in (("tasks", tasks), ("events", events)):
        for item in items:
            if not isinstance(item, dict):
                continue
            code = item.get("code" if key == "tasks" else "task")
            if isinstance(code, str) and code not in left_tasks \
                    and _names_excluded(FIELDS[key], item, excluded):
                left_tasks.add(code)
    return left_tasks, left_events


def _key_index(path: str) -> tuple[str, int | None]:
    match = _PATH.match(path)
    if not match:
        return path, None
    key, index = match.groups()
    return key, int(index) if index is not None else None


def _renumber(path: str, kept_tasks: list[int], kept_events: list[int]) -> str:
    """A replay path (`tasks[k]`, `events[k]` of the lists it was given) as the path in the
    document."""
    key, index = _key_index(path)
    if index is None or key not in HISTORY_KEYS:
        return path
    kept = kept_tasks if key == "tasks" else kept_events
    prefix = f"{key}[{index}]"
    return f"{key}[{kept[index]}]" + path[len(prefix):]


def _task_order(tasks: list) -> Any:
    first = {t.get("code"): i for i, t in reversed(list(enumerate(tasks)))
             if isinstance(t, dict) and isinstance(t.get("code"), str)}
    return lambda code: (first.get(code, len(tasks)), code)


def _task_name(tasks: list, code: str) -> str:
    for i, task in enumerate(tasks):
        if isinstance(task, dict) and task.get("code") == code:
            return f"tasks[{i}] {show(code)}"
    return show(code)


def _write_calendar(checked: Checked, actor: Any) -> Counts:
    counts = Counts()
    changes: dict[dt.date, str] = {}
    for when, kind in checked.calendar.items():
        stored = checked.snapshot.calendar.get(when)
        if stored == kind:
            counts.unchanged += 1
            continue
        changes[when] = kind
        if stored is None:
            counts.created += 1
            counts.note_created(f"{day(when)} ({kind})")
        else:
            counts.updated += 1
            counts.note_change(day(when), [("kind", stored, kind)])
    if changes:
        calendar_overrides_bulk_set(actor=actor, days=changes, audit=False)
    return counts


def _write_task_groups(checked: Checked, actor: Any) -> Counts:
    counts = Counts()
    new: list[org.TaskGroupRow] = []
    changed: list[org.TaskGroupRow] = []
    for record in checked.records["task_groups"]:
        row = org.TaskGroupRow(record.code, record.get("name"))
        stored = checked.snapshot.task_groups.get(record.code)
        if stored is None:
            new.append(row)
            counts.note_created(record.code)
        elif stored.name != row.name:
            changed.append(row)
            counts.note_change(record.code, _diff(("name",), (stored.name,), (row.name,)))
        else:
            counts.unchanged += 1
    counts.created = org.task_groups_bulk_create(actor=actor, rows=new, audit=False)
    counts.updated = org.task_groups_bulk_update(actor=actor, rows=changed, audit=False)
    return counts


def _write_units(checked: Checked, actor: Any) -> Counts:
    counts = Counts()
    new: list[org.UnitRow] = []
    changed: list[org.UnitRow] = []
    for record in checked.records["units"]:
        stored = checked.snapshot.units.get(record.code)
        if stored is None:
            new.append(org.UnitRow(record.code, record.get("name"), record.get("kind"),
                                   record.get("parent"), record.get("active", True)))
            counts.note_created(record.code)
            continue
        row = org.UnitRow(
            record.code, record.get("name"), record.get("kind"),
            record.get("parent") if "parent" in record.values else stored.parent,
            record.get("active", stored.is_active),
        )
        old = (stored.name, stored.kind, stored.parent, stored.is_active)
        if old == row[1:]:
            counts.unchanged += 1
        else:
            changed.append(row)
            counts.note_change(record.code, _diff(("name", "kind", "parent", "active"), old,
                                                  tuple(row[1:])))
    counts.created = org.units_bulk_create(actor=actor, rows=new, audit=False, rebuild=False,
                                           check_places=False)
    counts.updated = org.units_bulk_update(actor=actor, rows=changed, audit=False,
                                           rebuild=False, check_places=False)
    # Places are checked once both are written: a new unit may need its parent's new kind.
    stored = checked.snapshot.units
    retyped = [r.code for r in changed if r.kind != stored[r.code].kind]
    moved = [r.code for r in changed if r.parent != stored[r.code].parent]
    org.units_check_places(placed=[r.code for r in new] + retyped + moved, retyped=retyped)
    if counts.changed:
        org.unit_tree_rebuild()  # once, after every unit is in place
    return counts


def _write_officials(checked: Checked, actor: Any) -> Counts:
    counts = Counts()
    new: list[org.OfficialRow] = []
    changed: list[org.OfficialRow] = []
    updated: set[str] = set()
    for record in checked.records["officials"]:
        stored = checked.snapshot.officials.get(record.code)
        if stored is None:
            new.append(org.OfficialRow(record.code, record.get("name"), record.get("email", ""),
                                       record.get("phone", ""), record.get("active", True)))
            counts.note_created(record.code)
            continue
        row = org.OfficialRow(
            record.code, record.get("name"), record.get("email", stored.email),
            record.get("phone", stored.phone), record.get("active", stored.is_active),
        )
        diff = _diff(("name", "email", "phone", "active"), tuple(stored[1:]), tuple(row[1:]))
        plan = checked.places.get(record.code)
        if plan is not None:
            diff.append(_place_change(checked, plan))
        if tuple(stored[1:]) != row[1:]:
            changed.append(row)
            updated.add(record.code)
        if diff:
            counts.note_change(record.code, diff)
    org.officials_bulk_create(actor=actor, rows=new, audit=False)
    org.officials_bulk_update(actor=actor, rows=changed, audit=False)
    places = checked.places.values()
    org.officials_bulk_place(actor=actor, audit=False, rows=[
        org.PlaceRow(plan.official, plan.unit, plan.position or Position.STAFF,
                     plan.task_group, plan.start)
        for plan in places
    ])
    updated.update(plan.official for plan in places if plan.official in checked.snapshot.officials)
    counts.created = len(new)
    counts.updated = len(updated)
    counts.unchanged = len(checked.records["officials"]) - counts.created - counts.updated
    return counts


def _place_change(checked: Checked, plan: PlacePlan) -> tuple[str, str, str]:
    """The `place` line of an official's changes: open memberships → the new place."""
    opens = checked.snapshot.open_memberships.get(plan.official, [])
    old = "; ".join(
        _("%(place)s from %(start)s") % {"place": _place_text(m.unit, m.position,
                                                              m.task_group),
                                         "start": day(m.start)}
        for m in opens) or _("(none)")
    if plan.unit is None:
        new = _("(none) from %(start)s") % {"start": day(plan.start)}
    else:
        new = _("%(place)s from %(start)s") % {
            "place": _place_text(plan.unit, plan.position, plan.task_group),
            "start": day(plan.start)}
    return ("place", old, new)


def _write_products(checked: Checked, actor: Any) -> Counts:
    counts = Counts()
    new: list[tasks.ProductRow] = []
    changed: list[tasks.ProductRow] = []
    for record in checked.records["products"]:
        stored = checked.snapshot.products.get(record.code)
        if stored is None:
            new.append(tasks.ProductRow(record.code, record.get("name"),
                                        record.get("coefficient"),
                                        record.get("coefficient_from")))
            counts.note_created(record.code)
        elif (stored.name, stored.coefficient) != (record.get("name"),
                                                   record.get("coefficient")):
            start = record.get("coefficient_from") or checked.on
            changed.append(tasks.ProductRow(record.code, record.get("name"),
                                            record.get("coefficient"), start))
            diff = _diff(("name", "coefficient"), (stored.name, stored.coefficient),
                         (record.get("name"), record.get("coefficient")))
            counts.note_change(record.code, [
                (name, old, new + (" " + _("(from %(day)s)") % {"day": day(start)}
                                   if name == "coefficient" else ""))
                for name, old, new in diff])
        else:
            counts.unchanged += 1
    counts.created = tasks.products_bulk_create(actor=actor, rows=new, audit=False)
    counts.updated = tasks.products_bulk_update(actor=actor, rows=changed, audit=False)
    return counts


def _write_directives(checked: Checked, actor: Any) -> Counts:
    counts = Counts()
    new: list[tasks.DirectiveRow] = []
    changed: list[tasks.DirectiveRow] = []
    for record in checked.records["directives"]:
        stored = checked.snapshot.directives.get(record.code)
        if stored is None:
            new.append(tasks.DirectiveRow(record.code, record.get("title"),
                                          record.get("issued_by"), record.get("issued_on"),
                                          record.get("answers")))
            counts.note_created(record.code)
            continue
        row = tasks.DirectiveRow(
            record.code, record.get("title"), record.get("issued_by"), record.get("issued_on"),
            record.get("answers") if "answers" in record.values else stored.answers,
        )
        if tuple(stored[1:]) == row[1:]:
            counts.unchanged += 1
        else:
            changed.append(row)
            counts.note_change(record.code, _diff(("title", "issued_by", "issued_on",
                                                   "answers"), tuple(stored[1:]),
                                                  tuple(row[1:])))
    counts.created = tasks.directives_bulk_create(actor=actor, rows=new, audit=False)
    counts.updated = tasks.directives_bulk_update(actor=actor, rows=changed, audit=False)
    return counts


def _replay_history(document: dict, checked: Checked, *, actor: Any, dry_run: bool,
                    warnings: list[str]) -> dict[str, Counts]:
    """Replay the document's tasks and events through the workflow (after the records they
    refer to are written). The replay's problems become the import's, path for path; the
    stored tasks' fields the document gives otherwise, left as they are, a warning."""
    from thuocdo.tasks.replay import ReplayRejected, replay

    tasks = document.get("tasks", [])
    events = document.get("events", [])
    try:
        result = replay(tasks=tasks, events=events, user=actor, dry_run=dry_run)
    except ReplayRejected as rejected:
        raise ImportRejected(sorted(
            (Problem(p.path, p.code, p.message) for p in rejected.problems),
            key=problem_order,
        ), _later_keys_note(document)) from None
    if result.kept:
        shown = ", ".join(result.kept[:10]) + (", …" if len(result.kept) > 10 else "")
        warnings.append(ngettext(
            "%(count)s field of a stored task differs from the document and is left as it "
            "is (an import does not edit a recorded task): %(paths)s",
            "%(count)s fields of stored tasks differ from the document and are left as they "
            "are (an import does not edit a recorded task): %(paths)s",
            len(result.kept)) % {"count": len(result.kept), "paths": shown})
    counts: dict[str, Counts] = {}
    if "tasks" in checked.given_keys:
        created, unchanged = result.created_tasks, result.unchanged_tasks
        counts["tasks"] = Counts(created=created, unchanged=unchanged,
                                 updated=max(0, len(checked.task_codes) - created - unchanged))
    if "events" in checked.given_keys:
        counts["events"] = Counts(created=result.appended_events,
                                  unchanged=checked.event_count - result.appended_events)
    return counts

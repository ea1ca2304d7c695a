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

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from thuocdo.core.errors import ServiceError
from thuocdo.core.services import audit_record, calendar_overrides_bulk_set
from thuocdo.org import services as org
from thuocdo.org.choices import Position
from thuocdo.tasks import services as tasks

from .problems import ImportRejected, Problem
from .spec import BUILT_KEYS, CITIZEN_KEYS, EVALUATION_KEYS, HISTORY_KEYS
from .validation import Checked, check_document, problem_order


@dataclass
class Counts:
    """What an import did to one key's records."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated


@dataclass
class ImportReport:
    """Counts per top-level key of the document (created, updated, unchanged)."""

    on: dt.date
    dry_run: bool = False
    counts: dict[str, Counts] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(c.changed for c in self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "on": self.on.isoformat(),
            "dry_run": self.dry_run,
            "counts": {key: {"created": c.created, "updated": c.updated,
                             "unchanged": c.unchanged} for key, c in self.counts.items()},
        }

    def lines(self) -> list[str]:
        return [
            _("%(key)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged")
            % {"key": key, "created": c.created, "updated": c.updated,
               "unchanged": c.unchanged}
            for key, c in self.counts.items()
        ]


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
    Raises ImportRejected with every problem, and nothing written, if anything is wrong.
    """
    on = on or timezone.localdate()
    try:
        with transaction.atomic():
            checked = check_document(document, on=on)
            if checked.problems:
                raise ImportRejected(checked.problems)
            report = _write(document, checked, actor=actor, dry_run=dry_run)
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


def _write(document: dict, checked: Checked, *, actor: Any, dry_run: bool) -> ImportReport:
    """Write the checked document, key by key in the order references need."""
    report = ImportReport(on=checked.on, dry_run=dry_run)
    writers: dict[str, Any] = {
        "calendar": _write_calendar, "task_groups": _write_task_groups,
        "units": _write_units, "officials": _write_officials,
        "products": _write_products, "directives": _write_directives,
    }
    for key in ("calendar", "task_groups", "units", "officials", "products", "directives"):
        if key in checked.given_keys:
            report.counts[key] = writers[key](checked, actor)
    if any(key in checked.given_keys for key in HISTORY_KEYS):
        report.counts.update(_replay_history(document, checked, actor=actor, dry_run=dry_run))
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


def _write_calendar(checked: Checked, actor: Any) -> Counts:
    counts = Counts()
    changes: dict[dt.date, str] = {}
    for day, kind in checked.calendar.items():
        stored = checked.snapshot.calendar.get(day)
        if stored == kind:
            counts.unchanged += 1
            continue
        changes[day] = kind
        if stored is None:
            counts.created += 1
        else:
            counts.updated += 1
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
        elif stored.name != row.name:
            changed.append(row)
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
            continue
        row = org.UnitRow(
            record.code, record.get("name"), record.get("kind"),
            record.get("parent") if "parent" in record.values else stored.parent,
            record.get("active", stored.is_active),
        )
        if (stored.name, stored.kind, stored.parent, stored.is_active) == row[1:]:
            counts.unchanged += 1
        else:
            changed.append(row)
    counts.created = org.units_bulk_create(actor=actor, rows=new, audit=False, rebuild=False)
    counts.updated = org.units_bulk_update(actor=actor, rows=changed, audit=False,
                                           rebuild=False)
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
            continue
        row = org.OfficialRow(
            record.code, record.get("name"), record.get("email", stored.email),
            record.get("phone", stored.phone), record.get("active", stored.is_active),
        )
        if tuple(stored[1:]) != row[1:]:
            changed.append(row)
            updated.add(record.code)
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
        elif (stored.name, stored.coefficient) != (record.get("name"),
                                                   record.get("coefficient")):
            changed.append(tasks.ProductRow(record.code, record.get("name"),
                                            record.get("coefficient"),
                                            record.get("coefficient_from") or checked.on))
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
            continue
        row = tasks.DirectiveRow(
            record.code, record.get("title"), record.get("issued_by"), record.get("issued_on"),
            record.get("answers") if "answers" in record.values else stored.answers,
        )
        if tuple(stored[1:]) == row[1:]:
            counts.unchanged += 1
        else:
            changed.append(row)
    counts.created = tasks.directives_bulk_create(actor=actor, rows=new, audit=False)
    counts.updated = tasks.directives_bulk_update(actor=actor, rows=changed, audit=False)
    return counts


def _replay_history(document: dict, checked: Checked, *, actor: Any,
                    dry_run: bool) -> dict[str, Counts]:
    """Replay the document's tasks and events through the workflow (after the records they
    refer to are written). The replay's problems become the import's, path for path."""
    from thuocdo.tasks.replay import ReplayRejected, replay

    tasks = document.get("tasks", [])
    events = document.get("events", [])
    try:
        result = replay(tasks=tasks, events=events, user=actor, dry_run=dry_run)
    except ReplayRejected as rejected:
        raise ImportRejected(sorted(
            (Problem(p.path, p.code, p.message) for p in rejected.problems),
            key=problem_order,
        )) from None
    counts: dict[str, Counts] = {}
    if "tasks" in checked.given_keys:
        created, unchanged = result.created_tasks, result.unchanged_tasks
        counts["tasks"] = Counts(created=created, unchanged=unchanged,
                                 updated=max(0, len(checked.task_codes) - created - unchanged))
    if "events" in checked.given_keys:
        counts["events"] = Counts(created=result.appended_events,
                                  unchanged=checked.event_count - result.appended_events)
    return counts

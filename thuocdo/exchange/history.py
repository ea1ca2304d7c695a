"""The shape and references of a document's `tasks` and `events` (before they are replayed).

`check_history()` reports, with paths, what the field table says is wrong (types, required
fields, unknown fields, a field that a kind of event does not have, duplicate task codes)
and every reference to nothing: a unit, official, product or directive that neither the
document nor the database holds, an event of a task that is in neither. The workflow's own
rules (states, who may act on each day, order of time) are the replay's
(`thuocdo.tasks.replay`), which the importer runs once all of this is sound.

A history has millions of events, so values already found good (codes, dates, times,
kinds) are remembered and not checked again, and the database is asked once for the
officials and tasks the document names but does not hold.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from typing import Any

from django.utils.translation import gettext as _

from thuocdo.org.models import Official
from thuocdo.tasks.models import Task

from .spec import CODE_PATTERN, EVENT_BASE, EVENT_PAYLOADS, FIELDS, Field
from .state import rows_by_code
from .validation import INVALID, clean_value, show

_CODE = re.compile(CODE_PATTERN)

#: Field types whose good values are remembered (few distinct values, many repeats).
_REMEMBERED = frozenset({"ref", "date", "datetime", "enum", "boolean"})

_UNKNOWN = {
    "units": ("unknown_unit", lambda: _("unknown unit %(code)s")),
    "officials": ("unknown_official", lambda: _("unknown official %(code)s")),
    "products": ("unknown_product", lambda: _("unknown product %(code)s")),
    "directives": ("unknown_directive", lambda: _("unknown directive %(code)s")),
    "tasks": ("unknown_task", lambda: _("unknown task %(code)s")),
}


class _Check:
    """A field, and `ok(value)`: a quick test that passes only values without a problem
    (known references, values already found good); anything else takes the slow path that
    names the problem."""

    __slots__ = ("field", "good", "ok")

    def __init__(self, f: Field, known: dict[str, set[str]]) -> None:
        self.field = f
        self.good: set | None = set() if f.type in _REMEMBERED else None
        self.ok = _quick_test(f, known, self.good)


def _quick_test(f: Field, known: dict[str, set[str]], good: set | None) -> Callable[[Any], bool]:
    kind, longest = f.type, f.max_length
    if kind == "ref":
        codes = known[f.ref]  # type: ignore[index]
        if f.nullable:
            return lambda v: v is None or (v.__class__ is str and v in codes)
        return lambda v: v.__class__ is str and v in codes
    if good is not None:
        return lambda v: v.__class__ is str and v in good
    if kind == "text":
        return lambda v: (v.__class__ is str and (longest is None or len(v) <= longest)
                          and not v.isspace() and v != "")
    if kind == "string":
        return lambda v: v.__class__ is str and (longest is None or len(v) <= longest)
    if kind == "integer":
        low = f.minimum if f.minimum is not None else -(2**63)
        high = f.maximum if f.maximum is not None else 2**63
        return lambda v: v.__class__ is int and low <= v <= high
    if kind == "code":
        match, most = _CODE.match, longest if longest is not None else 2**63
        return lambda v: v.__class__ is str and len(v) <= most and match(v) is not None
    return lambda v: False  # list: always the full check


def _strings(records: list, names: Iterable[str]) -> set[str]:
    """The string values of `names` in the records of a list (anything else is skipped)."""
    found: set = set()
    for name in names:
        found.update({r.get(name) for r in records if r.__class__ is dict})
    return {value for value in found if value.__class__ is str} \
        if any(value.__class__ is not str for value in found) else found


def stored_codes(model: Any, codes: Collection[str]) -> set[str]:
    """Which of `codes` the table of `model` holds (in chunks, or one scan when many)."""
    return {code for (code,) in rows_by_code(model.objects.all(), "code", codes, ("code",))}


class _HistoryChecker:
    def __init__(self, report: Callable[[str, str, str], None], known: dict[str, set[str]]):
        self.report = report
        self.known = known
        self.checks = {key: {name: _Check(f, known) for name, f in FIELDS[key].items()}
                       for key in ("tasks", "events")}
        self.item_checks = {
            name: {f.name: _Check(f, known) for f in check.field.items}
            for name, check in self.checks["tasks"].items() if check.field.type == "list"
        }

    def value(self, check: _Check, value: Any, path: str) -> None:
        """The full check of a value that failed the quick one: report its problem, or
        remember it as good."""
        f = check.field
        clean = clean_value(f, value, path, self.report)
        if clean is INVALID:
            return
        if f.type == "ref" and clean is not None:
            code, message = _UNKNOWN[f.ref]  # type: ignore[index]
            self.report(path, code, message() % {"code": show(clean)})
            return
        if f.type == "list":
            self.items(check, clean, path)
        if check.good is not None and value.__class__ is str:
            check.good.add(value)

    def items(self, check: _Check, items: list, path: str) -> None:
        checks = self.item_checks[check.field.name]
        required = [f.name for f in check.field.items if f.required]
        for i, item in enumerate(items):
            if self.record(checks, item, f"{path}[{i}]"):
                self.required(item, required, f"{path}[{i}]")

    def record(self, checks: dict[str, _Check], item: Any, path: str,
               allowed: Collection[str] | None = None, kind: str = "") -> bool:
        """Check one object's fields; False if it is not an object at all."""
        if item.__class__ is not dict:
            self.report(path, "type", _("expected an object"))
            return False
        for name, value in item.items():
            check = checks.get(name)
            if check is None:
                self.report(f"{path}.{name}", "unknown_field", _("unknown field"))
            elif allowed is not None and name not in allowed:
                self.report(f"{path}.{name}", "not_for_kind",
                            _("not a field of a %(kind)s event") % {"kind": show(kind)})
            elif not check.ok(value):
                self.value(check, value, f"{path}.{name}")
        return True

    def required(self, item: dict, names: Iterable[str], path: str) -> None:
        for name in names:
            if name not in item:
                self.report(f"{path}.{name}", "required", _("required field is missing"))

    def tasks(self, tasks: list) -> list[str]:
        checks = self.checks["tasks"]
        required = frozenset(f.name for f in FIELDS["tasks"].values() if f.required)
        seen: dict[str, int] = {}
        codes: list[str] = []
        for index, item in enumerate(tasks):
            if item.__class__ is dict and item.keys() >= required \
                    and all(checks[n].ok(v) if n in checks else False for n, v in item.items()):
                code = item["code"]  # quick: every field passed its quick test
                if code not in seen:
                    seen[code] = index
                    codes.append(code)
                    continue
            path = f"tasks[{index}]"
            if not self.record(checks, item, path):
                continue
            self.required(item, required, path)
            code = item.get("code")
            if code.__class__ is str:
                if code in seen:
                    self.report(f"{path}.code", "duplicate",
                                _("duplicate code %(code)s (first given at %(first)s)")
                                % {"code": show(code), "first": f"tasks[{seen[code]}]"})
                else:
                    seen[code] = index
                    codes.append(code)
        return codes

    def events(self, events: list) -> None:
        checks = self.checks["events"]
        kinds = {kind: (frozenset((*EVENT_BASE, *payload.fields)),
                        frozenset((*EVENT_BASE, *payload.required)))
                 for kind, payload in EVENT_PAYLOADS.items()}
        base = frozenset(EVENT_BASE)
        for index, item in enumerate(events):
            kind = item.get("kind") if item.__class__ is dict else None
            allowed, required = kinds.get(kind, (None, base))  # type: ignore[arg-type]
            if allowed is not None and required <= item.keys() <= allowed \
                    and all(checks[n].ok(v) for n, v in item.items()):
                continue  # quick: a known kind, its fields, every value good
            path = f"events[{index}]"
            if not self.record(checks, item, path, allowed, kind or ""):
                continue
            self.required(item, required, path)


def check_history(
    document: dict, report: Callable[[str, str, str], None], *, units: set[str],
    products: set[str], directives: set[str], officials: set[str],
) -> tuple[list[str], int]:
    """Check `document["tasks"]` and `document["events"]`; return the document's task codes
    (first occurrences) and its number of events. `units`, `products`, `directives` are
    every code known (document and database); `officials` the document's own."""
    tasks = document.get("tasks", [])
    events = document.get("events", [])
    for key, value in (("tasks", tasks), ("events", events)):
        if not isinstance(value, list):
            report(key, "type", _("expected a list"))
    tasks = tasks if isinstance(tasks, list) else []
    events = events if isinstance(events, list) else []
    named = _strings(tasks, ("lead_official", "assigned_by")) | _strings(
        events, ("actor", "to_official"))
    document_tasks = _strings(tasks, ("code",))
    named_tasks = _strings(events, ("task",)) - document_tasks
    known = {
        "units": units, "products": products, "directives": directives,
        "officials": officials | stored_codes(Official, named - officials),
        "tasks": document_tasks | stored_codes(Task, named_tasks),
    }
    checker = _HistoryChecker(report, known)
    codes = checker.tasks(tasks)
    checker.events(events)
    return codes, len(events)

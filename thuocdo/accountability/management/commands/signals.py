"""`thuocdo signals --period 2026-10 [--unit CODE] [--json]`: compute a month's signals.

The signals are computed from the log as of now (or `--as-of`), stored (recomputing never
duplicates nor reopens a decided signal; `--no-store` only prints) and printed as a table or,
with `--json`, as a list of objects: code, task (code or null), subject_kind ("task",
"person", "dossier" or "feedback") and subject (the task's, dossier's or case's code; empty
for a person), official (code or null), unit, period, raised_on, events (the numbers the
task page gives them, #1 being the assignment; [task, number] pairs for a signal across
tasks), explanation, needs_confirmation, escalate_to, key, and the stored signal's id, url
(its page) and status: null for a signal never stored (`--no-store` stores nothing but
still gives what was stored before).
The signals recorded by hand (S14, S15: never computed) that are stored for the month come
after the computed ones, in the same shape (their events an empty list; one recorded
after `--as-of` left out, one withdrawn given with its status), so the output holds the
same signals as the dashboard and `/api/signals/?period=` (those still raised).
`--unit` keeps the signals about that unit and the units below it. `--workers N` shares
the agencies among N processes (0: one per core; by default the setting THUOCDO_WORKERS);
the signals do not depend on it.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from thuocdo.core.commands import (
    ThuocdoCommand,
    count_argument,
    moment_argument,
    month_argument,
    refusal,
    unit_argument,
)
from thuocdo.core.errors import ServiceError
from thuocdo.measure.signals import event_number
from thuocdo.org.models import Unit

from ...choices import MANUAL_CODES, SignalStatus
from ...compute import compute_month
from ...models import SignalRecord
from ...services import signals_refresh


class Command(ThuocdoCommand):
    help = ("Compute a month's signals of avoidance and buck-passing and print them with "
            "those recorded by hand for the month (S14, S15) "
            "(tính các dấu hiệu né tránh, đùn đẩy của một tháng, kèm các dấu hiệu ghi nhận "
            "thủ công S14, S15).")

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="the month, YYYY-MM (tháng)")
        parser.add_argument("--unit", help="only signals about this unit and below (mã đơn vị)")
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument("--as-of", help="what was recorded by this moment (ISO 8601); "
                            "default now")
        parser.add_argument("--no-store", action="store_true",
                            help="compute and print, store nothing")
        parser.add_argument("--workers", type=int, default=None,
                            help="processes sharing the work, one agency at a time; "
                            "0 = one per core (default: setting THUOCDO_WORKERS) "
                            "(số tiến trình tính song song)")

    def handle(self, *args, period: str, unit: str | None, json: bool, as_of: str | None,
               no_store: bool, workers: int | None = None, **options):
        # Every argument is checked before anything is computed or stored.
        period = month_argument(period)
        moment = moment_argument(as_of, argument="--as-of") if as_of else timezone.now()
        count_argument(workers, argument="--workers")
        scope = None
        if unit:
            found = unit_argument(unit)
            scope = set(Unit.objects.filter(lft__gte=found.lft, rgt__lte=found.rgt)
                        .values_list("code", flat=True))
        try:
            result = compute_month(period=period, as_of=moment, workers=workers)
            if not no_store:
                refreshed = signals_refresh(period=period, as_of=moment, result=result)
        except ServiceError as exc:
            raise refusal(exc, arguments={"period": "--period"}) from exc
        signals = [s for s in result.signals if scope is None or s.unit in scope]
        recorded = _recorded(period=period, units=scope, as_of=moment)
        if json:
            self.stdout.write(_dumps(_rows(signals, period=period, kinds=result.kinds)
                                     + [_recorded_row(r) for r in recorded]))
            return
        lines = [(s.code, s.raised_on, s.task, s.official, s.unit, s.explanation)
                 for s in signals]
        lines += [(r.code, r.raised_on, r.task.code if r.task else None,
                   r.official.code if r.official else None, r.unit.code,
                   r.explanation + (" [withdrawn — đã rút]"
                                    if r.status == SignalStatus.WITHDRAWN else ""))
                  for r in recorded]
        for code, raised_on, task, official, unit_code, explanation in lines:
            self.stdout.write(f"{code:<4} {raised_on:%d/%m/%Y} {task or '—':<16} "
                              f"{official or '—':<12} {unit_code:<16} {explanation}")
        total = len(lines)
        summary = f"{total} signal(s) in {period} — {total} dấu hiệu"
        if recorded:
            summary += (f" ({len(recorded)} recorded by hand — {len(recorded)} ghi nhận "
                        "thủ công)")
        if not no_store:
            summary += (f"; stored: {refreshed.created} new, {refreshed.updated} updated, "
                        f"{refreshed.gone} no longer raised")
        self.stdout.write(summary)


def _rows(signals, *, period: str, kinds: dict[str, str]) -> list[dict]:
    """The signals as JSON objects (see the module's docstring): events numbered as the
    task page numbers them, what each is about (`subject_kind`, `subject`: a dossier's or
    a feedback case's code is no task's), and the stored signal's id, page and status
    (null where it was never stored: with `--no-store`, a signal not stored before)."""
    stored = {key: (pk, status) for key, pk, status in SignalRecord.objects.filter(
        period=period).values_list("key", "id", "status")}
    base = str(settings.THUOCDO.get("BASE_URL", "")).rstrip("/")
    rows = []
    for signal in signals:
        found = signal.as_dict()
        kind = kinds.get(signal.key) or ("task" if signal.task else "person")
        # the keys in the order of a stored signal's (`_recorded_row`); a dossier's or a
        # case's signal has no task, as the API and the signal's page say
        code, task = found.pop("code"), found.pop("task")
        row = {"code": code, "task": task if kind in ("task", "person") else None,
               "subject_kind": kind, "subject": task or "", **found}
        row["events"] = [[e[0], event_number(e[1])] if isinstance(e, tuple)
                         else event_number(e) for e in signal.events]
        pk, status = stored.get(signal.key, (None, None))
        row["id"], row["status"] = pk, status
        row["url"] = (base + reverse("accountability:signal_detail", kwargs={"pk": pk})
                      if pk is not None else None)
        rows.append(row)
    return rows


def _recorded(*, period: str, units: set[str] | None, as_of) -> list[SignalRecord]:
    """The signals recorded by hand (S14, S15) stored for `period` by `as_of`, still
    raised, about `units` (None: any), in the computed signals' order (code, task, day,
    key). A withdrawn one is listed, with its status, as the dashboard and the API list
    it."""
    rows = (SignalRecord.objects.filter(period=period, code__in=MANUAL_CODES, present=True,
                                        first_seen__lte=as_of)
            .select_related("task", "official", "unit", "escalate_to"))
    if units is not None:
        rows = rows.filter(unit__code__in=units)
    return sorted(rows, key=lambda r: (int(r.code[1:]), r.task.code if r.task else "",
                                       r.raised_on, r.key))


def _recorded_row(signal: SignalRecord) -> dict:
    """A stored signal as `_rows` gives a computed one (the same keys, in the same order)."""
    base = str(settings.THUOCDO.get("BASE_URL", "")).rstrip("/")
    return {
        "code": signal.code, "task": signal.task.code if signal.task else None,
        "subject_kind": signal.subject_kind, "subject": signal.subject,
        "official": signal.official.code if signal.official else None,
        "unit": signal.unit.code, "period": signal.period,
        "raised_on": signal.raised_on.isoformat(),
        "events": [[e[0], event_number(e[1])] if isinstance(e, list | tuple)
                   else event_number(e) for e in signal.events],
        "explanation": signal.explanation, "needs_confirmation": signal.needs_confirmation,
        "escalate_to": signal.escalate_to.code if signal.escalate_to else None,
        "key": signal.key, "id": signal.pk, "status": signal.status,
        "url": base + reverse("accountability:signal_detail", kwargs={"pk": signal.pk}),
    }


def _dumps(rows) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=2)

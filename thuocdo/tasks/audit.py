"""Verify the tamper-evident event log: every task's chain of hashes (architecture rule 4).

Each event's hash covers its content and the previous event's hash, so editing a row breaks
its own hash, and removing or reordering rows breaks the next row's link. The first event
records every field fixed at assignment (`services.creation_data`), and the task's row is
compared with it, so editing the task's title, deadline, product or steps in the database
is found too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from thuocdo.org.models import Official, Unit

from .choices import EventKind
from .models import Task, TaskCoordination, TaskEvent, TaskStep
from .services import creation_data, event_hash, event_payload

#: Tasks whose rows are compared with their first events per round trip.
BATCH = 2000


@dataclass(frozen=True)
class BrokenLink:
    task: str
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"task {self.task} event #{self.seq}: {self.problem}"


def _code_maps() -> dict:
    codes: dict = {("unit", pk): code for pk, code in Unit.objects.values_list("pk", "code")}
    codes.update(
        {("official", pk): code for pk, code in Official.objects.values_list("pk", "code")}
    )
    return codes


def assignment_changes(first_events: dict[int, dict]) -> dict[int, list[str]]:
    """task pk → the fields of its row that differ from what its first event recorded
    (`first_events`: task pk → that event's data), in three queries for the batch."""
    tasks = Task.objects.filter(pk__in=first_events).select_related(
        "lead_unit", "lead_official", "product", "directive")
    coordinating: dict[int, list] = defaultdict(list)
    for task_id, code, due in TaskCoordination.objects.filter(
            task_id__in=first_events).values_list("task_id", "unit__code", "due"):
        coordinating[task_id].append((code, due))
    steps: dict[int, list] = defaultdict(list)
    for task_id, name, allowance in TaskStep.objects.filter(
            task_id__in=first_events).order_by("task_id", "order").values_list(
            "task_id", "name", "allowance"):
        steps[task_id].append((name, allowance))
    changes = {}
    for task in tasks:
        row = creation_data(task, coordinating[task.pk], steps[task.pk])
        recorded = first_events[task.pk]
        differ = [name for name in recorded if row.get(name, recorded[name]) != recorded[name]]
        if differ:
            changes[task.pk] = differ
    return changes


def verify_chains(*, first_only: bool = False) -> Iterator[BrokenLink]:
    """Walk every chain in one streamed pass; yield each broken link (the first per task).

    Checks, per task: numbering without gaps from 1, each `prev_hash` equal to the previous
    event's hash, each stored hash equal to the hash recomputed from the row, and the task's
    cached `last_hash`/`version` equal to its last event; then, for the tasks whose chain
    holds, their rows against what their first events recorded (a second streamed pass,
    `assignment_changes` a batch at a time).
    """
    for link in _links():
        yield link
        if first_only:
            return


def _links() -> Iterator[BrokenLink]:
    reported: set[str] = set()
    for link in _verify_links():
        reported.add(link.task)
        yield link
    task_codes = dict(Task.objects.values_list("pk", "code"))
    first_events = TaskEvent.objects.filter(kind=EventKind.CREATE, seq=1).order_by(
        "task_id").values_list("task_id", "data").iterator(chunk_size=BATCH)
    batch: dict[int, dict] = {}
    for task_id, data in first_events:
        if task_codes[task_id] not in reported:
            batch[task_id] = data
        if len(batch) == BATCH:
            yield from _changed(batch, task_codes)
            batch = {}
    yield from _changed(batch, task_codes)


def _changed(batch: dict[int, dict], task_codes: dict[int, str]) -> Iterator[BrokenLink]:
    for task_id, fields in sorted(assignment_changes(batch).items(),
                                  key=lambda item: task_codes[item[0]]):
        yield BrokenLink(task_codes[task_id], 1,
                         f"the task's {', '.join(fields)} differ from what its assignment "
                         "recorded (the task edited after it was assigned)")


def _verify_links() -> Iterator[BrokenLink]:
    """The chain of every task (`verify_chains`, first part)."""
    codes = _code_maps()
    task_codes = dict(Task.objects.values_list("pk", "code"))
    heads = {pk: (version, last) for pk, version, last in
             Task.objects.values_list("pk", "version", "last_hash")}
    current_task: int | None = None
    expected_seq, prev, broken = 1, "", False
    seen: set[int] = set()

    def finish(task_pk: int, last_seq: int, last_hash: str) -> BrokenLink | None:
        version, cached = heads.get(task_pk, (0, ""))
        if (version, cached) != (last_seq, last_hash):
            return BrokenLink(task_codes[task_pk], last_seq,
                              "the task's last event is not the end of its chain "
                              "(rows removed or the task edited)")
        return None

    last_seq, last_hash = 0, ""
    rows = TaskEvent.objects.order_by("task_id", "seq").iterator(chunk_size=5000)
    for event in rows:
        if event.task_id != current_task:
            if current_task is not None and not broken:
                problem = finish(current_task, last_seq, last_hash)
                if problem:
                    yield problem
            current_task, expected_seq, prev, broken = event.task_id, 1, "", False
            seen.add(event.task_id)
        if broken:
            continue
        code = task_codes.get(event.task_id, str(event.task_id))
        problem_text = None
        if event.seq != expected_seq:
            problem_text = f"expected event #{expected_seq} (rows missing or renumbered)"
        elif event.prev_hash != prev:
            problem_text = "does not link to the previous event"
        elif event.hash != event_hash(event_payload(event, task_code=code, codes=codes)):
            problem_text = "content changed after it was written"
        if problem_text:
            broken = True
            yield BrokenLink(code, event.seq, problem_text)
            continue
        expected_seq, prev = event.seq + 1, event.hash
        last_seq, last_hash = event.seq, event.hash
    if current_task is not None and not broken:
        problem = finish(current_task, last_seq, last_hash)
        if problem:
            yield problem
    for task_pk in set(heads) - seen:
        yield BrokenLink(task_codes[task_pk], 0, "has no events (its log was removed)")

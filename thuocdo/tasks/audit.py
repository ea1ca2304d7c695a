"""Verify the tamper-evident event log: every task's chain of hashes (architecture rule 4).

Each event's hash covers its content and the previous event's hash, so editing a row breaks
its own hash, and removing or reordering rows breaks the next row's link.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from thuocdo.org.models import Official, Unit

from .models import Task, TaskEvent
from .services import event_hash, event_payload


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


def verify_chains(*, first_only: bool = False) -> Iterator[BrokenLink]:
    """Walk every chain in one streamed pass; yield each broken link (the first per task).

    Checks, per task: numbering without gaps from 1, each `prev_hash` equal to the previous
    event's hash, each stored hash equal to the hash recomputed from the row, and the task's
    cached `last_hash`/`version` equal to its last event.
    """
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
                    if first_only:
                        return
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
            if first_only:
                return
            continue
        expected_seq, prev = event.seq + 1, event.hash
        last_seq, last_hash = event.seq, event.hash
    if current_task is not None and not broken:
        problem = finish(current_task, last_seq, last_hash)
        if problem:
            yield problem
            if first_only:
                return
    for task_pk in set(heads) - seen:
        yield BrokenLink(task_codes[task_pk], 0, "has no events (its log was removed)")
        if first_only:
            return

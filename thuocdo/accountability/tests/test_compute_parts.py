"""A part's result crosses from a worker process to the parent pickled (`core.parallel`):
it must come back exactly as it was computed."""

from __future__ import annotations

import datetime as dt
import pickle

from thuocdo.accountability.compute import DelayRow, PartResult
from thuocdo.measure.signals import Signal


def test_a_part_comes_back_from_a_worker_as_it_was_computed():
    late = Signal("S1", "T1", "CB001", "HN.VP", "2026-08", dt.date(2026, 8, 14), (0, 3),
                  "Trễ hạn 14/08/2026: nộp ngày 18/08/2026", anchor="2026-08-14")
    deaf = Signal("S9", "T2", None, "HN.VP", "2026-08", dt.date(2026, 8, 20), (4,),
                  "Đôn đốc 3 lần", escalate_to="HN", anchor="4")
    habit = Signal("S2", None, "CB002", "HN.VP", "2026-08", dt.date(2026, 8, 31),
                   (("T1", 2), ("T3", 5)), "Xin gia hạn 3 lần", needs_confirmation=True)
    part = PartResult([late, deaf, habit],
                      {late.key: "task", deaf.key: "task", habit.key: "person"},
                      {late.key: 11, deaf.key: 12},
                      [DelayRow(11, "HN.VP", "CB001", 2), DelayRow(12, "HN.VP", None, 4)])

    back = pickle.loads(pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL))  # noqa: S301

    assert back == part
    assert [type(s) for s in back.signals] == [Signal] * 3
    assert [s.key for s in back.signals] == [late.key, deaf.key, habit.key]
    assert {hash(s) for s in back.signals} == {hash(late), hash(deaf), hash(habit)}
    assert back.signals[2].events == (("T1", 2), ("T3", 5))
    assert back.signals[1].escalate_to == "HN" and back.signals[2].needs_confirmation
    assert back.kinds == part.kinds and back.task_ids == part.task_ids
    assert all(type(d) is DelayRow for d in back.delays)

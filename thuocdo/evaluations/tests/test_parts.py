"""Scoring part by part (`adapters.score_month`) gives the cards of scoring every task at
once (`score_period`): the parts of the organisation are read, closed and scored one at a
time, leaders and officials who lead work of another part wait for every part's tallies,
and the quota applies to all cards. Checked on a generated city with several parts, with a
task moved to a unit of another part than its lead official's, in this process and, on
PostgreSQL, in two worker processes."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from thuocdo.evaluations import adapters
from thuocdo.evaluations.rubrics import rubric_for
from thuocdo.exchange.generate import write_city
from thuocdo.exchange.generate_history import parse_month
from thuocdo.exchange.importer import import_document
from thuocdo.measure.scoring import Period, is_leader, score_period
from thuocdo.tasks.models import Task

MONTH = Period.parse("2026-08")


def _city() -> None:
    out = StringIO()
    write_city(out, officials=150, seed=5, months=1, start=parse_month("2026-08"))
    import_document(json.loads(out.getvalue()), on=dt.date(2026, 8, 1))


def _move_a_task_across_parts(inputs: adapters.PeriodInputs) -> str:
    """Lead one staff official's task from a unit of another part: their card needs it."""
    staff = {o.code: o for o in inputs.officials if not is_leader(o, rubric_for(MONTH))}
    task = (Task.objects.filter(due__gte=MONTH.start, due__lte=MONTH.end,
                                lead_official__code__in=list(staff))
            .select_related("lead_official").order_by("id").first())
    home = inputs.unit_part[staff[task.lead_official.code].unit]
    elsewhere = next(code for code, part in inputs.unit_part.items() if part != home)
    Task.objects.filter(pk=task.pk).update(lead_unit_id=inputs.unit_ids[elsewhere])
    return task.lead_official.code


def _at_once(inputs: adapters.PeriodInputs):
    """The engine on every task of the month at once (as before the parts)."""
    tasks = adapters.tasks_in(MONTH.start, MONTH.end, inputs.unit_code, inputs.official_code)
    return score_period(period=MONTH, officials=inputs.officials, tasks=tasks,
                        units=inputs.units, calendar=inputs.calendar,
                        assessments=inputs.assessments.get(MONTH.label, {}),
                        grounds=inputs.grounds, rubric=rubric_for(MONTH))


def _check(workers: int) -> None:
    _city()
    inputs = adapters.period_inputs(MONTH)
    assert len(inputs.parts) >= 3
    moved = _move_a_task_across_parts(inputs)
    whole = _at_once(inputs)
    parts = adapters.score(inputs, rubric_for(MONTH), workers=workers)
    assert [c.as_dict() for c in parts.cards] == [c.as_dict() for c in whole.cards]
    assert parts.quota == whole.quota
    assert any(c.task_points is not None for c in parts.cards)
    assert whole.card(moved).tasks  # the moved task is on its official's card
    leaders = [c for c in parts.cards if c.unit_result is not None]
    assert leaders  # and leaders' unit results were pooled across parts


@pytest.mark.django_db
def test_scoring_part_by_part_gives_the_cards_of_scoring_at_once():
    _check(workers=1)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_workers_give_the_same_cards(forks_beside_the_live_server):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set THUOCDO_DATABASE_URL=postgres://... to run it "
                    "(SQLite's test database lives in one process's memory)")
    _check(workers=2)


@pytest.mark.django_db
def test_the_command_refuses_a_negative_number_of_workers():
    with pytest.raises(CommandError, match="--workers"):
        call_command("score", period="2026-08", workers=-1, stdout=StringIO())

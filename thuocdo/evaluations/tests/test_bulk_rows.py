"""The month's rows read and written in bulk: `adapters.tasks_in` reads the tasks and their
events raw from the cursor, times, days, coefficients and data as text parsed once
(`core.rows.Texts`), and must give what the ORM reads; `services._store_scores` writes new
cards as plain rows (`core.inserts.insert_rows`, COPY on PostgreSQL), and each must hold
what `bulk_create` would have stored. On both databases (THUOCDO_DATABASE_URL)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal
from fractions import Fraction
from io import StringIO

import pytest

from thuocdo.core.rows import Texts
from thuocdo.evaluations import adapters, services
from thuocdo.evaluations.models import ScoreCard
from thuocdo.evaluations.rubrics import rubric_for
from thuocdo.exchange.generate import write_city
from thuocdo.exchange.generate_history import parse_month
from thuocdo.exchange.importer import import_document
from thuocdo.measure.scoring import Period
from thuocdo.tasks.models import Task, TaskEvent

MONTH = Period.parse("2026-08")


def _city() -> None:
    out = StringIO()
    write_city(out, officials=60, seed=3, months=1, start=parse_month("2026-08"))
    import_document(json.loads(out.getvalue()), on=dt.date(2026, 8, 1))


@pytest.mark.django_db
def test_the_tasks_read_raw_are_what_the_orm_reads():
    _city()
    month_tasks = Task.objects.filter(due__gte=MONTH.start, due__lte=MONTH.end).order_by("id")
    # coefficients the text must give exactly, to the field's three places
    odd = list(month_tasks.values_list("pk", flat=True)[:3])
    for pk, value in zip(odd, ("0.125", "2", "1.1"), strict=True):
        Task.objects.filter(pk=pk).update(coefficient=Decimal(value))
    inputs = adapters.period_inputs(MONTH)
    texts = Texts()
    read = {t.history.code: t for ranges in inputs.parts
            for t in adapters.tasks_in(MONTH.start, MONTH.end, inputs.unit_code,
                                       inputs.official_code, ranges=ranges, texts=texts)}
    assert sorted(read) == sorted(month_tasks.values_list("code", flat=True))
    with_data = 0
    for task in month_tasks.select_related("lead_unit", "lead_official", "assigner_unit",
                                           "assigned_by", "product"):
        found = read[task.code]
        history = found.history
        assert history.assigned_at == task.assigned_at
        assert history.assigned_at.utcoffset() == dt.timedelta(0)
        assert history.due == task.due
        assert (history.lead.unit, history.lead.official) == (task.lead_unit.code,
                                                              task.lead_official.code)
        assert (history.assigner.unit, history.assigner.official) == (
            task.assigner_unit.code, task.assigned_by.code)
        assert (found.product, found.quantity) == (task.product.code, task.quantity)
        assert found.coefficient == Fraction(task.coefficient)
        events = (TaskEvent.objects.filter(task=task).exclude(kind="create")
                  .order_by("seq").select_related("actor"))
        assert [(e.kind, e.at, e.actor, e.data) for e in history.events] == [
            (e.kind, e.at, e.actor.code if e.actor else None, e.data or {}) for e in events]
        assert list(found.event_refs) == [e.seq for e in events]
        with_data += any(e.data for e in history.events)
    assert with_data  # the month's events carry data, read as text
    assert {read[code].coefficient for code in
            Task.objects.filter(pk__in=odd).values_list("code", flat=True)} == {
        Fraction(1, 8), Fraction(2), Fraction(11, 10)}


@pytest.mark.django_db
def test_new_cards_are_stored_as_bulk_create_would_store_them():
    """Every column of a new card: those computed, and the others as their defaults; the
    card's JSON as the engine gives it, even with characters COPY's text format escapes."""
    _city()
    inputs = adapters.period_inputs(MONTH)
    rubric = rubric_for(MONTH)
    scores = adapters.score(inputs, rubric, workers=1)
    odd = "tab\there, back\\slash, \\N, line\nend\r, “rõ”"
    cards = (dataclasses.replace(scores.cards[0], reasons=(odd, *scores.cards[0].reasons)),
             *scores.cards[1:])
    scores = dataclasses.replace(scores, cards=cards)
    period = services.period_open(label=MONTH.label)
    result = services._store_scores(actor=None, period=period, reason="", rubric=rubric,
                                    inputs=inputs, scores=scores)
    assert result.created == len(cards) > 0
    stored = {c.official.code: c for c in
              ScoreCard.objects.filter(period=period).select_related("official", "unit",
                                                                     "agency")}
    assert sorted(stored) == sorted(c.official for c in cards)
    given = {"id", "period", "official", *(name.removesuffix("_id")
                                           for name in services.CHANGED_FIELDS)}
    defaults = [f for f in ScoreCard._meta.concrete_fields if f.name not in given]
    assert defaults  # status, self-assessment, reviewer, approver
    for card in cards:
        row = stored[card.official]
        assert row.data == card.as_dict()
        assert (row.unit.code, row.agency.code, row.position, row.task_group) == (
            card.unit, card.agency, card.position, card.task_group or "")
        assert (row.task_points, row.general_points, row.total) == (
            card.task_points, card.general_points, card.total)
        assert (row.grade, row.grade_before_quota, row.quota_applied) == (
            card.grade.value if card.grade else "",
            card.grade_before_quota.value if card.grade_before_quota else "",
            card.quota_applied)
        assert (row.rubric_version, row.engine_version) == (card.rubric_version,
                                                           card.engine_version)
        for field in defaults:
            assert getattr(row, field.attname) == field.get_default(), field.name
    assert stored[cards[0].official].data["reasons"][0] == odd
    # and scoring again finds every card unchanged
    again = services._store_scores(actor=None, period=period, reason="", rubric=rubric,
                                   inputs=inputs, scores=scores)
    assert (again.created, again.unchanged) == (0, len(cards))

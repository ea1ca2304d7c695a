"""Golden cards through the database: each hand-computed scoring scenario is imported with
the exchange importer, scored by `period_score` (the adapter reads the rows back), and the
stored cards must be the expected ones; the events the deductions cite are the same events
(by task and number) as in the document."""

from __future__ import annotations

import pytest

from thuocdo.evaluations import services
from thuocdo.evaluations.models import ScoreCard
from thuocdo.measure.tests.test_scoring import REQUIRED, matches

from .helpers import CASES, after_end, load_golden, read


def _translate_events(expected, where):
    """`events[n]` of the document → the seq the event has in the database;
    `discipline[n]` → the stored ground; `signals[n]` → the stored signal record."""
    if isinstance(expected, dict):
        out = {}
        for key, value in expected.items():
            if key in ("event", "excused_by", "done_event", "ref") and isinstance(value, str) \
                    and value.startswith(("events[", "discipline[", "signals[")):
                out[key] = where[value][1]
            else:
                out[key] = _translate_events(value, where)
        return out
    if isinstance(expected, list):
        return [_translate_events(v, where) for v in expected]
    return expected


@pytest.mark.django_db
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden_card_through_the_database(path):
    """The stored card equals the expected card of the scenario."""
    document = read(path)
    where = load_golden(document)
    expected = document["expected"]
    period = services.period_open(label=expected["period"])
    services.period_score(period=period, on=after_end(period))
    cards = {c.official.code: c for c in
             ScoreCard.objects.filter(period=period).select_related("official")}
    assert sorted(cards) == sorted(c["official"] for c in expected["cards"])
    problems = []
    for card in expected["cards"]:
        assert set(card) >= REQUIRED
        stored = cards[card["official"]]
        problems += matches(_translate_events(card, where), stored.data, card["official"])
        assert (str(stored.total) if stored.total is not None else None) == (
            None if card["total"] is None else f"{card['total']:.2f}")
        assert stored.grade == (card["grade"] or "")
        assert stored.quota_applied is card["quota_applied"]
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_rescoring_with_the_same_data_gives_identical_cards():
    document = read(CASES[5])  # the quota binding
    load_golden(document)
    period = services.period_open(label=document["expected"]["period"])
    first = services.period_score(period=period)
    before = {c.official_id: c.data for c in ScoreCard.objects.filter(period=period)}
    again = services.period_score(period=period)
    after = {c.official_id: c.data for c in ScoreCard.objects.filter(period=period)}
    assert first.created == len(before) and again.unchanged == len(before)
    assert again.changed == again.created == again.removed == 0
    assert before == after

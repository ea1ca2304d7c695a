"""The service index (Decision 766): the golden case computed by hand, and properties."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from thuocdo.measure import service_index as si

GOLDEN = Path(__file__).parent / "golden" / "citizens" / "service_index.json"


def _date(value):
    return dt.date.fromisoformat(value) if value else None


def load():
    doc = json.loads(GOLDEN.read_text(encoding="utf-8"))
    dossiers = [si.DossierFacts(
        code=x["code"], received_on=_date(x["received_on"]), due=_date(x["due"]),
        done_on=_date(x["done_on"]), online=x["online"], rating=x.get("rating"),
        rated_on=_date(x.get("rated_on"))) for x in doc["dossiers"]]
    feedback = [si.FeedbackFacts(
        code=x["code"], received_on=_date(x["received_on"]), reply_due=_date(x["reply_due"]),
        answered_on=_date(x["answered_on"]), closed_on=_date(x["closed_on"]),
        rating=x.get("rating")) for x in doc["feedback"]]
    return doc, dossiers, feedback


def test_golden_service_index():
    doc, dossiers, feedback = load()
    index = si.service_index(dossiers, feedback, start=_date(doc["start"]),
                             end=_date(doc["end"]))
    expected = doc["expected"]
    for key, value in expected["rates"].items():
        assert getattr(index.rates, key) == Fraction(value), key
    groups = {g.key: g.points for g in index.groups}
    assert groups == {k: (Decimal(v) if v is not None else None)
                      for k, v in expected["groups"].items()}
    assert index.total == Decimal(expected["total"])
    assert index.total_maximum == expected["total_maximum"]


def test_no_data_is_none_never_zero():
    index = si.service_index([], [], start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31))
    assert all(g.points is None for g in index.groups)
    assert index.total is None
    assert index.total_maximum == 0


days = st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2026, 6, 30))


@st.composite
def dossier_facts(draw):
    received = draw(days)
    due = received + dt.timedelta(days=draw(st.integers(0, 30)))
    done = draw(st.one_of(st.none(), st.integers(0, 60)))
    return si.DossierFacts("X", received, due,
                           None if done is None else received + dt.timedelta(days=done),
                           draw(st.booleans()), draw(st.sampled_from([None, *si.RATINGS])))


@st.composite
def feedback_facts(draw):
    received = draw(days)
    due = received + dt.timedelta(days=draw(st.integers(0, 20)))
    answered = draw(st.one_of(st.none(), st.integers(0, 40)))
    answered_on = None if answered is None else received + dt.timedelta(days=answered)
    closed_on = None if answered_on is None or draw(st.booleans()) else answered_on
    return si.FeedbackFacts("F", received, due, answered_on, closed_on,
                            draw(st.sampled_from([None, *si.RATINGS])))


@given(st.lists(dossier_facts(), max_size=30), st.lists(feedback_facts(), max_size=30), days,
       st.integers(0, 90))
def test_rates_are_fractions_in_0_1_and_points_within_the_maximum(dossiers, feedback, start,
                                                                  length):
    end = start + dt.timedelta(days=length)
    index = si.service_index(dossiers, feedback, start=start, end=end)
    r = index.rates
    for value in (r.on_time, r.late, r.online, r.feedback_on_time, r.feedback_satisfaction,
                  r.dossier_satisfaction):
        assert value is None or 0 <= value <= 1
    for group in index.groups:
        assert group.points is None or 0 <= group.points <= group.maximum
    assert index.groups[0].points is None and index.groups[2].points is None
    # the order of the inputs does not matter
    again = si.service_index(list(reversed(dossiers)), list(reversed(feedback)), start=start,
                             end=end)
    assert again == index

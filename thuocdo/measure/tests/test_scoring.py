"""Scoring under Decree 335/2025: golden cases written by hand as exchange-format scenarios
(tests/golden/scoring/*.json, with the arithmetic in `expected.working`), unit tests of the
rules, and properties (0 ≤ total ≤ 100; finishing a task on time never lowers a score; order
changes nothing; the quota holds on final grades; the deductions add up to 70 − T)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import random
import re
from collections import Counter
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thuocdo.measure.calendar import WorkCalendar, public_days
from thuocdo.measure.history import VIETNAM, Event, Holder, TaskHistory
from thuocdo.measure.scenario import Unit, load_scenario, scenario_years
from thuocdo.measure.scoring import (
    DEFAULT_RUBRIC,
    ENGINE_VERSION,
    Assessment,
    FoundError,
    Grade,
    KhtGround,
    OfficialInput,
    Period,
    PeriodScores,
    QuotaException,
    ScoreCard,
    TaskInput,
    apply_quota,
    card_from_dict,
    grade_for,
    quota_scopes,
    roll_up_quarter,
    roll_up_year,
    round_points,
    score_period,
    task_at_close,
    task_points,
)

GOLDEN = Path(__file__).parent / "golden" / "scoring"
CASES = sorted(GOLDEN.glob("*.json"))

#: every expected card states at least these
REQUIRED = {"official", "task_points", "general_points", "total", "grade_by_score", "grade",
            "quota_applied", "deductions"}


# -- from an exchange-format document to the engine's inputs -----------------------------


@dataclasses.dataclass(frozen=True)
class Inputs:
    officials: tuple[OfficialInput, ...]
    tasks: tuple[TaskInput, ...]
    units: Mapping[str, Unit]
    calendar: WorkCalendar
    assessments: Mapping[str, Mapping[str, Assessment]]  # period label → official → …
    grounds: tuple[KhtGround, ...]

    def score(self, period: str, **kwargs) -> PeriodScores:
        return score_period(period=period, officials=self.officials, tasks=self.tasks,
                            units=self.units, calendar=self.calendar,
                            assessments=self.assessments.get(period, {}),
                            grounds=self.grounds, **kwargs)


def load_inputs(document: Mapping) -> Inputs:
    """`scenario.load_scenario` for the tasks, people and calendar; here the parts it leaves
    to the engine's callers: products per task with the events' references (`events[n]` of
    the document), assessments and KHT grounds.

    Complaints of `feedback` verified as founded about a task (`verify` events with
    `result` "verified" and a `task`) are major errors found outside its log (`FoundError`).
    `discipline` records carry optional additions: `ground` (`discipline` by default,
    `degradation`, `corruption` with a `unit` instead of an `official`, `signal` with
    `signal`: "S14"), and `reason`. `signals` (not an exchange key: the tests' own, see
    golden case 12) are signal records with their answer; each one of the rubric's KHT
    signals whose last decision confirmed the breach is a ground, as
    `evaluations.adapters.signal_grounds` makes it (`signal_grounds` here)."""
    years = scenario_years(document)
    days_off, workdays = public_days(years)
    scenario = load_scenario(document, holidays=days_off, workdays=workdays)
    refs: dict[str, list[str]] = {}
    for n, record in enumerate(document.get("events", ())):
        refs.setdefault(record["task"], []).append(f"events[{n}]")
    found: dict[str, list[FoundError]] = {}
    for record in document.get("feedback", ()):
        for event in record.get("events", ()):
            if event["kind"] == "verify" and event["result"] == "verified" and event.get("task"):
                found.setdefault(event["task"], []).append(
                    FoundError(dt.datetime.fromisoformat(event["at"]), record["code"]))
    tasks = tuple(
        TaskInput(history, facts.product or "", facts.coefficient, facts.quantity,
                  tuple(refs.get(code, ())), tuple(found.get(code, ())))
        for code, history in scenario.histories.items()
        for facts in [scenario.tasks[code]]
    )
    officials = tuple(
        OfficialInput(o.code, o.unit or "", o.position or "staff", o.task_group)
        for o in scenario.people.officials.values()
    )
    assessments: dict[str, dict[str, Assessment]] = {}
    for record in document.get("assessments", ()):
        reason = record.get("reason")
        assessments.setdefault(record["period"], {})[record["official"]] = Assessment(
            general_points=record["general_points"], reasons=(reason,) if reason else (),
            organising=record.get("organising"), uniting=record.get("uniting"),
            assessor=record.get("assessor"))
    grounds = tuple(
        KhtGround(kind=record.get("ground", "discipline"),
                  on=dt.date.fromisoformat(record["on"]), official=record.get("official"),
                  unit=record.get("unit"), level=record.get("level"),
                  signal=record.get("signal"), reason=record.get("reason", ""),
                  ref=f"discipline[{n}]")
        for n, record in enumerate(document.get("discipline", ()))
    ) + signal_grounds(document)
    return Inputs(officials, tasks, scenario.people.units, scenario.calendar, assessments,
                  grounds)


def signal_grounds(document: Mapping) -> tuple[KhtGround, ...]:
    """The scenario's `signals` a leader confirmed as a breach (the last decision of their
    steps is "confirm"), of the rubric's KHT signals, about an official: grounds of kind
    signal dated the signal's day, with what it found and the decision (who, by name and
    code; the day of the decision, as dated in its offset; the reason), `ref` `signals[n]`.
    An S14 explained and accepted, or not yet decided, is none."""
    names = {o["code"]: o["name"] for o in document.get("officials", ())}
    grounds = []
    for n, record in enumerate(document.get("signals", ())):
        decisions = [s for s in record.get("steps", ()) if s["action"] in {"accept", "confirm"}]
        if (not decisions or decisions[-1]["action"] != "confirm" or not record.get("official")
                or record["code"] not in DEFAULT_RUBRIC.kht_signals):
            continue
        decision = decisions[-1]
        grounds.append(KhtGround(
            kind="signal", on=dt.date.fromisoformat(record["on"]), official=record["official"],
            signal=record["code"], reason=record["text"], ref=f"signals[{n}]",
            decided_by=f"{names[decision['by']]} ({decision['by']})",
            decided_on=dt.datetime.fromisoformat(decision["at"]).date(),
            decision=decision["text"]))
    return tuple(grounds)


def matches(expected, actual, path="$") -> list[str]:
    """Where `actual` differs from `expected` on the keys `expected` states (lists: same
    length, item by item)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {actual!r}"]
        return [problem for key, value in expected.items()
                for problem in matches(value, actual.get(key, "<missing>"), f"{path}.{key}")]
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {len(expected)} items, got {actual!r}"]
        return [problem for n, (e, a) in enumerate(zip(expected, actual, strict=True))
                for problem in matches(e, a, f"{path}[{n}]")]
    if expected != actual:
        return [f"{path}: expected {expected!r}, got {actual!r}"]
    return []


def quota_exceptions(document: Mapping, period: str) -> dict[str, QuotaException]:
    """The scenario's approved exceptions to the HTXS quota (`quota_exceptions`, beside the
    scenario, as the board records them) that apply to `period`: those in force on its last
    day (docs/scoring.md, "Quota exceptions")."""
    end = Period.parse(period).end
    return {e["agency"]: QuotaException(share=Fraction(repr(e["share"])),
                                        decision=e["decision"],
                                        decided_on=dt.date.fromisoformat(e["decided_on"]))
            for e in document.get("quota_exceptions", ())
            if dt.date.fromisoformat(e["valid_from"]) <= end
            <= dt.date.fromisoformat(e["valid_to"])}


def run_case(document: Mapping) -> tuple[PeriodScores, dict]:
    inputs = load_inputs(document)
    expected = document["expected"]
    period = expected["period"]
    if Period.parse(period).kind == "month":
        return inputs.score(period, quota_exceptions=quota_exceptions(document, period)), \
            expected
    months = [inputs.score(m.label, quota_exceptions=quota_exceptions(document, m.label))
              for m in Period.parse(period).months()]
    rolled = (roll_up_quarter if Period.parse(period).kind == "quarter" else roll_up_year)(
        period=period, monthly=[c for m in months for c in m.cards],
        officials=inputs.officials, units=inputs.units,
        assessments=inputs.assessments.get(period, {}), grounds=inputs.grounds,
        quota_exceptions=quota_exceptions(document, period))
    return rolled, expected


# -- golden cases ------------------------------------------------------------------------


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden_case(path):
    """Each card is the one computed by hand in the case's `expected.working`."""
    document = json.loads(path.read_text(encoding="utf-8"))
    scores, expected = run_case(document)
    cards = {card.official: card.as_dict() for card in scores.cards}
    assert sorted(cards) == sorted(c["official"] for c in expected["cards"]), \
        "every official of the scenario has exactly one expected card"
    problems = []
    for card in expected["cards"]:
        missing = REQUIRED - set(card)
        assert not missing, f"{card['official']}: the expected card must state {missing}"
        problems += matches(card, cards[card["official"]], card["official"])
        actual = cards[card["official"]]
        assert actual["period"] == expected["period"]
        assert actual["rubric_version"] == DEFAULT_RUBRIC.version
        assert actual["engine_version"] == ENGINE_VERSION
    if "quota" in expected:
        problems += matches(expected["quota"], [s.as_dict() for s in scores.quota], "quota")
    assert not problems, "\n".join(problems)
    assert expected["working"], "the arithmetic is written out for a domain expert"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden_case_is_deterministic_and_order_free(path):
    """Re-running, with every list of the document reversed, gives identical cards."""
    document = json.loads(path.read_text(encoding="utf-8"))
    first, _ = run_case(document)
    again, _ = run_case(document)
    assert first == again
    shuffled = dict(document)
    for key in ("units", "officials", "products", "tasks", "assessments", "discipline"):
        shuffled[key] = list(reversed(document.get(key, [])))
    # events keep their references (events[n] of the original document) when shuffled
    inputs = load_inputs(document)
    reordered = dataclasses.replace(
        load_inputs(shuffled),
        tasks=tuple(reversed(inputs.tasks)),
        grounds=tuple(reversed(inputs.grounds)),
    )
    period = document["expected"]["period"]
    if Period.parse(period).kind == "month":
        other = reordered.score(period, quota_exceptions=quota_exceptions(document, period))
        assert other == first


def task_deductions_add_up(card: ScoreCard, rubric=DEFAULT_RUBRIC) -> None:
    """The card's task deductions (all but "general") add up to exactly task_max − T as
    shown (70 − T), the general one to general_max − the general points; d, đ and e are
    listed only when below 1, d with the card's unit; nothing is negative."""
    task = [d for d in card.deductions if d.kind != "general"]
    if card.task_points is not None:
        assert sum(d.points for d in task) == round_points(rubric.task_max, rubric) \
            - card.task_points, card.official
    general = [d.points for d in card.deductions if d.kind == "general"]
    if card.general_points is not None and card.general_points < rubric.general_max:
        assert general == [round_points(rubric.general_max, rubric) - card.general_points]
    else:
        assert general == []
    for d in card.deductions:
        assert d.points >= 0 and d.rounded in (None, "up", "down")
        if d.kind in ("unit_result", "organising", "uniting"):
            assert d.value is not None and d.value < 1 and d.task is None
            assert d.unit == (card.unit if d.kind == "unit_result" else None)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden_deductions_add_up_to_70_minus_t(path):
    """On every golden card with task points, the deductions a reader adds up give 70 − T."""
    scores, _expected = run_case(json.loads(path.read_text(encoding="utf-8")))
    for card in scores.cards:
        task_deductions_add_up(card)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden_cards_read_back_whole(path):
    """A card stored as JSON reads back as the same card (`card_from_dict`), as a quarter or
    year rolls up a month's approved card: nothing the roll-up reads is lost."""
    scores, _expected = run_case(json.loads(path.read_text(encoding="utf-8")))
    for card in scores.cards:
        stored = json.loads(json.dumps(card.as_dict()))
        again = card_from_dict(stored)
        assert again.as_dict() == stored
        assert dataclasses.replace(again, tasks=(), deductions=()) == dataclasses.replace(
            card, tasks=(), deductions=()), card.official
        assert [(t.task, t.converted, t.deadline, t.completed) for t in again.tasks] == [
            (t.task, t.converted, t.deadline, t.completed) for t in card.tasks]
        assert [(d.kind, d.points, d.month, d.rounded) for d in again.deductions] == [
            (d.kind, d.points, d.month, d.rounded) for d in card.deductions]


# -- the rules, one by one ---------------------------------------------------------------

CAL = WorkCalendar()
VP = "HN.CG.VP"
UNITS = {
    "HN": Unit("HN", None, "city"),
    "HN.CG": Unit("HN.CG", "HN", "district"),
    "HN.CG.VP": Unit("HN.CG.VP", "HN.CG", "division"),
    "HN.CG.TC": Unit("HN.CG.TC", "HN.CG", "division"),
    "HN.BD": Unit("HN.BD", "HN", "district"),
}
BOSS = Holder("HN.CG", "CB000")


def at(day: int, hour: int = 9, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=VIETNAM)


def ev(kind: str, when: dt.datetime, **data) -> Event:
    return Event(kind, when, None, data)


def a_task(code: str, official: str, *events: Event, due: dt.date = dt.date(2026, 10, 15),
           unit: str = VP, coefficient: Fraction | int = 1, quantity: int = 1) -> TaskInput:
    history = TaskHistory(code, at(1, 8), due, Holder(unit, official), BOSS, tuple(events))
    return TaskInput(history, "BC", coefficient, quantity)


def on_time(code: str, official: str, **kwargs) -> TaskInput:
    return a_task(code, official, ev("submit", at(14)), ev("approve", at(15)), **kwargs)


def score(officials, tasks, assessments=None, grounds=(), period="2026-10", **kwargs):
    if assessments is None:
        assessments = {o.code: Assessment(30) for o in officials}
    return score_period(period=period, officials=officials, tasks=tasks, units=UNITS,
                        calendar=CAL, assessments=assessments, grounds=grounds, **kwargs)


def staff(code: str, unit: str = VP, group: str | None = "TH") -> OfficialInput:
    return OfficialInput(code, unit, "staff", group)


def test_the_rubric_is_decree_335():
    rubric = DEFAULT_RUBRIC
    assert "335/2025/NĐ-CP" in rubric.legal_basis
    assert rubric.effective_from == dt.date(2026, 1, 1)
    assert (rubric.general_max, rubric.task_max) == (30, 70)
    assert rubric.quota_share == Fraction(1, 5)
    assert [int(t) for _g, t in rubric.thresholds] == [90, 70, 50]


def test_a_period_before_the_rubric_is_in_force_is_refused():
    with pytest.raises(ValueError, match="in force"):
        score([staff("CB1")], [], period="2025-12")


def test_grade_thresholds_read_the_rounded_total():
    assert grade_for(Decimal("89.99"), DEFAULT_RUBRIC) is Grade.HTT
    assert grade_for(Decimal("90.00"), DEFAULT_RUBRIC) is Grade.HTXS
    assert grade_for(Decimal("50.00"), DEFAULT_RUBRIC) is Grade.HT
    assert grade_for(Decimal("49.99"), DEFAULT_RUBRIC) is Grade.KHT
    assert grade_for(None, DEFAULT_RUBRIC) is None


def test_rounding_is_half_up_and_the_total_adds_up_as_shown():
    """One of two products a day late: c = 0.875, T = 70 × 2.875 / 3 = 67.083… → 67.08;
    general 22.5 → total 89.58, the sum of the rounded parts as shown on the card."""
    one = score([staff("CB1")], [
        on_time("T1", "CB1"),
        a_task("T2", "CB1", ev("submit", at(16)), ev("approve", at(16, 15))),
    ], {"CB1": Assessment(Fraction(45, 2), ("x",))}).card("CB1")
    assert one.task_points == Decimal("67.08")
    assert one.total == one.task_points + one.general_points == Decimal("89.58")
    exact = Fraction(70) * (2 + Fraction(7, 8)) / 3
    assert exact == Fraction(805, 12)  # 67.0833…


def test_half_up_at_the_fifth_thousandth():
    """2.005 rounds to 2.01 (half-up), where banker's rounding or binary floats give 2.00."""
    rubric = dataclasses.replace(DEFAULT_RUBRIC, task_max=Fraction(3))
    half = task_points({"a": Fraction(1), "b": Fraction(1), "c": Fraction(1, 200)}, False,
                       rubric)
    assert half == Fraction(2005, 1000)
    assert round_points(half, rubric) == Decimal("2.01")


def _decimal_points(card: ScoreCard) -> list[str]:
    """The engine's Vietnamese sentences on a card that write a number with a decimal
    point (3.5, 0.2) instead of a comma."""
    texts = [card.formula, *card.reasons, *([card.quota.reason] if card.quota else [])]
    return [text for text in texts if re.search(r"[0-9]\.[0-9]", text)]


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_the_formula_and_the_reasons_write_decimal_commas(path):
    """The formula, the reasons and the quota's reasoning are Vietnamese, like the rest of
    the card ("0,9359", "93,27"): a decimal comma, never a point."""
    scores, _expected = run_case(json.loads(path.read_text(encoding="utf-8")))
    assert not [text for card in scores.cards for text in _decimal_points(card)]


def test_decimal_commas_in_weights_ratings_and_the_quota():
    """Weights other than 1 (0,5·a), a leader's ratings (đ = 0,9) and the quota's share
    (1 ≤ 0,2 × 0) are written with commas too."""
    rubric = dataclasses.replace(DEFAULT_RUBRIC, staff_weights=(
        ("a", Fraction(1, 2)), ("b", Fraction(1)), ("c", Fraction(3, 2))))
    card = score([staff("CB1")], [on_time("T1", "CB1", coefficient=Fraction(3, 2))],
                 rubric=rubric).card("CB1")
    assert "a = 1,5 / 1,5 = 1,0000" in card.formula
    assert "(0,5·a + 1·b + 1,5·c) / 3" in card.formula
    assert card.formula.endswith("= 70,00 + 30,00 = 100,00 → HTXS")
    assert "1 ≤ 0,2 × 0 = 0 không đạt" in card.quota.reason
    assert not _decimal_points(card)
    boss = OfficialInput("CB0", "HN.CG", "head", None)
    leader = score([boss], [on_time("T1", "CB0", unit="HN.CG")], {"CB0": Assessment(
        30, (), Fraction(9, 10), Fraction(1))}).card("CB0")
    assert "đ = 0,9; e = 1" in leader.formula and not _decimal_points(leader)


def test_no_product_assigned_is_no_data_never_100():
    card = score([staff("CB1")], []).card("CB1")
    assert (card.task_points, card.total, card.grade) == (None, None, None)
    assert "không được giao sản phẩm" in card.reasons[0]


def test_open_work_counts_as_assigned_not_completed():
    card = score([staff("CB1")], [on_time("T1", "CB1"),
                                   a_task("T2", "CB1", ev("accept", at(2)))]).card("CB1")
    assert (card.assigned, card.completed) == (2, 1)
    assert (card.quantity, card.quality, card.progress) == (Decimal("0.5"),) * 3
    assert card.task_points == 35
    [lost] = [d for d in card.deductions if d.kind == "not_completed"]
    assert (lost.task, lost.points) == ("T2", 35)


def test_work_done_after_close_is_open_at_close_and_counts_in_its_original_period():
    """Due 15/10, extended before the deadline to 5/11, done 4/11: open at October's
    close, so assigned but not completed in October; it never counts in November."""
    late = a_task("T1", "CB1", ev("extension_grant", at(14), new_due="2026-11-05"),
                  ev("submit", at(4, month=11)), ev("approve", at(4, 15, month=11)))
    october = score([staff("CB1")], [late]).card("CB1")
    november = score([staff("CB1")], [late], period="2026-11").card("CB1")
    assert (october.assigned, october.completed) == (1, 0)
    assert november.assigned is None


def test_a_cancelled_task_is_not_assigned():
    gone = a_task("T1", "CB1", ev("cancel", at(5), reason="trùng"))
    assert score([staff("CB1")], [gone]).card("CB1").task_points is None


def test_a_submit_approved_after_close_is_done_at_the_submit():
    """Done = the submit the final approve accepted: 30/10, though approved 2/11."""
    task = a_task("T1", "CB1", ev("submit", at(30)), ev("approve", at(2, 9, month=11)),
                  due=dt.date(2026, 10, 30))
    assert task_at_close(task, CAL, Period.parse("2026-10")).completed


def test_deductions_floor_at_zero_per_product():
    """Five major errors not excused: 1 − 1.25 → 0, the fifth costs nothing."""
    reworks = [ev("rework", at(2 + d), major_error=True, excused=False) for d in range(5)]
    submits = [ev("submit", at(1 + d, 20)) for d in range(1, 6)]
    task = a_task("T1", "CB1", *sorted([*submits[:5], *reworks], key=lambda e: e.at),
                  ev("submit", at(12)), ev("approve", at(13)))
    card = score([staff("CB1")], [task]).card("CB1")
    errors = [d for d in card.deductions if d.kind == "major_error"]
    assert [d.share for d in errors] == [Decimal("0.25")] * 4 + [Decimal(0)]
    assert card.quality == 0
    assert card.task_points == Decimal("46.67")  # 70 × (1 + 0 + 1) / 3


def test_excused_errors_and_delays_cost_nothing_but_are_listed():
    task = a_task("T1", "CB1", ev("submit", at(14)),
                  ev("rework", at(15), major_error=True, excused=True, reason="đổi quy định"),
                  ev("excuse_delay", at(16), reason="chờ số liệu Cục Thống kê"),
                  ev("submit", at(19)), ev("approve", at(19, 15)))
    card = score([staff("CB1")], [task]).card("CB1")
    assert card.task_points == 70
    kinds = [(d.kind, d.excused, d.points) for d in card.deductions]
    assert kinds == [("major_error", True, 0), ("delay", True, 0)]


def test_a_delay_excused_after_the_close_is_excused():
    """Due 29/10, handed in 30/10 (one working day late), the objective cause confirmed on
    3/11: the October card, computed after that, excuses the delay (domain.md sets no time
    limit on the excuse); before the excuse it costs a quarter of c."""
    late = [ev("submit", at(30)), ev("approve", at(30, 15))]
    before = a_task("T1", "CB1", *late, due=dt.date(2026, 10, 29))
    after = a_task("T1", "CB1", *late, ev("excuse_delay", at(3, month=11), reason="mất điện"),
                   due=dt.date(2026, 10, 29))
    assert score([staff("CB1")], [before]).card("CB1").task_points == Decimal("64.17")
    card = score([staff("CB1")], [after]).card("CB1")
    assert card.task_points == 70
    assert [(d.kind, d.excused) for d in card.deductions] == [("delay", True)]


def test_a_protected_initiatives_failure_is_not_held_against_its_official():
    """domain.md, S15: a protected initiative's failure is not held against the person.
    T1 is on time; T2, protected, is handed in late with a major error: nothing lost, each
    listed as excused with the reason; T3, protected, is not completed by the close: not
    counted as assigned. Unprotected, T2 and T3 would cost c, b and a whole share."""
    def tasks(protected):
        return [on_time("T1", "CB1"),
                dataclasses.replace(a_task(
                    "T2", "CB1", ev("submit", at(14)), ev("rework", at(15), major_error=True),
                    ev("submit", at(19)), ev("approve", at(19, 15))), protected=protected),
                dataclasses.replace(a_task("T3", "CB1"), protected=protected)]

    card = score([staff("CB1")], tasks(True)).card("CB1")
    assert (card.assigned, card.completed, card.task_points) == (2, 2, 70)
    assert {(d.task, d.kind, d.excused, d.points) for d in card.deductions} == {
        ("T2", "major_error", True, 0), ("T2", "delay", True, 0)}
    assert all("S15" in d.reason for d in card.deductions)
    plain = score([staff("CB1")], tasks(False)).card("CB1")
    assert (plain.assigned, plain.completed) == (3, 2) and plain.task_points < 70


def test_minor_rework_is_not_an_error():
    task = a_task("T1", "CB1", ev("submit", at(12)), ev("rework", at(13), major_error=False),
                  ev("submit", at(14)), ev("approve", at(15)))
    assert score([staff("CB1")], [task]).card("CB1").task_points == 70


def test_leader_d_pools_the_units_subtree_and_needs_ratings():
    head = OfficialInput("CB0", "HN.CG", "head", None)
    tasks = [on_time("T1", "CB0", unit="HN.CG"), on_time("T2", "CB1"),
             a_task("T3", "CB2", unit="HN.CG.TC")]
    rated = {"CB0": Assessment(30, (), Fraction(1, 2), 1)}
    card = score([head], tasks, rated).card("CB0")
    # d: 2 of 3 products done on time: (2/3 + 2/3 + 2/3) / 3 = 2/3
    assert card.unit_result == Decimal("0.6667")
    assert card.task_points == round(Decimal(70) * (3 + Decimal(2) / 3 + Decimal("1.5")) / 6, 2)
    unrated = score([head], tasks, {"CB0": Assessment(30)}).card("CB0")
    assert unrated.task_points is None
    assert "thiếu đ, e" in unrated.reasons[0]


def test_a_leader_without_own_products_is_no_data_unless_the_rubric_says_unit_only():
    head = OfficialInput("CB0", "HN.CG", "head", None)
    rated = {"CB0": Assessment(30, (), 1, 1)}
    tasks = [on_time("T2", "CB1")]
    assert score([head], tasks, rated).card("CB0").task_points is None
    rubric = dataclasses.replace(DEFAULT_RUBRIC, leader_without_own_products="unit_only")
    card = score([head], tasks, rated, rubric=rubric).card("CB0")
    assert card.task_points == 70
    assert "70 × (d + đ + e) / 3" in card.formula


def test_a_leaders_deductions_list_d_đ_e_and_add_up_to_70_minus_t():
    """The head of HN.CG: own T1 one working day late (a = b = 1, c = 0.75); the district's
    tasks are T1 and T2 (on time, by staff of HN.CG.VP): d = (1 + 1 + 1.75/2) / 3 = 23/24 →
    0.9583; đ = 0.9, e = 0.7. T = 70 × (2.75 + 23/24 + 1.6) / 6 = 61.9305… → 61.93, so the
    task deductions add up to 70 − 61.93 = 8.07. Exact: the delay 70/6 × 0.25 = 2.9166…, d
    70/6 × (1 − 23/24) = 0.4861…, đ 70/6 × 0.1 = 1.1666…, e 70/6 × 0.3 = 3.5; half-up they
    would be 2.92 + 0.49 + 1.17 + 3.50 = 8.08. Rounded down: 2.91 + 0.48 + 1.16 + 3.50 = 8.05;
    the two missing hundredths go to the largest remainders, the delay's and đ's (0.66…
    each), not d's (0.61…): d is 0.48, rounded down, and its reason says so."""
    head = OfficialInput("CB0", "HN.CG", "head", None)
    tasks = [a_task("T1", "CB0", ev("submit", at(16)), ev("approve", at(16, 15)), unit="HN.CG"),
             on_time("T2", "CB1")]
    card = score([head], tasks, {"CB0": Assessment(30, (), Fraction(9, 10), Fraction(7, 10))}
                 ).card("CB0")
    assert (card.unit_result, card.task_points) == (Decimal("0.9583"), Decimal("61.93"))
    assert [(d.kind, d.task, d.unit, d.value, d.points, d.rounded) for d in card.deductions] == [
        ("delay", "T1", None, None, Decimal("2.92"), None),
        ("unit_result", None, "HN.CG", Decimal("0.9583"), Decimal("0.48"), "down"),
        ("organising", None, None, Decimal("0.9"), Decimal("1.17"), None),
        ("uniting", None, None, Decimal("0.7"), Decimal("3.50"), None),
    ]
    assert sum(d.points for d in card.deductions) == Decimal("8.07") == 70 - card.task_points
    unit_result = card.deductions[1]
    assert unit_result.reason == (
        "kết quả thực hiện nhiệm vụ của đơn vị HN.CG (d = 0,9583): trừ 70 × (1 − d) / 6; "
        "làm tròn xuống để các khoản trừ cộng lại đúng 70 − T = 8,07")
    assert card.deductions[2].reason == \
        "năng lực tổ chức thực hiện (đ = 0,9): trừ 70 × (1 − đ) / 6"
    assert card.deductions[3].reason == \
        "khả năng tập hợp, đoàn kết (e = 0,7): trừ 70 × (1 − e) / 6"
    assert "tổng các khoản trừ điểm nhiệm vụ = 70 − T = 70 − 61,93 = 8,07" in card.formula


def test_a_leader_scored_on_the_unit_alone_lists_d_đ_e_over_their_weights():
    """Rubric "unit_only", a head with no product of his own: T = 70 × (d + đ + e) / 3 with
    d = (1 + 1 + 0.875) / 3 = 23/24 (T2 on time, T3 a day late), đ = 0.9, e = 0.7: T =
    70 × 2.5583… / 3 = 59.6944… → 59.69, shortfall 10.31. Exact: d 70/3 × 1/24 = 0.9722…,
    đ 70/3 × 0.1 = 2.3333…, e 70/3 × 0.3 = 7; half-up 0.97 + 2.33 + 7.00 = 10.30, one
    hundredth short: it goes to đ (remainder 0.33… against d's 0.22…), rounded up."""
    head = OfficialInput("CB0", "HN.CG", "head", None)
    tasks = [on_time("T2", "CB1"),
             a_task("T3", "CB1", ev("submit", at(16)), ev("approve", at(16, 15)))]
    rubric = dataclasses.replace(DEFAULT_RUBRIC, leader_without_own_products="unit_only")
    card = score([head], tasks, {"CB0": Assessment(30, (), Fraction(9, 10), Fraction(7, 10))},
                 rubric=rubric).card("CB0")
    assert card.task_points == Decimal("59.69")
    assert [(d.kind, d.points, d.rounded) for d in card.deductions] == [
        ("unit_result", Decimal("0.97"), None), ("organising", Decimal("2.34"), "up"),
        ("uniting", Decimal("7.00"), None)]
    assert card.deductions[1].reason.startswith(
        "năng lực tổ chức thực hiện (đ = 0,9): trừ 70 × (1 − đ) / 3; làm tròn lên")


def test_a_leader_without_t_lists_no_component_and_rounds_each_half_up():
    """No đ, e yet: no T, so nothing to add up to; d, đ, e are not listed and each task
    deduction is its own half-up rounding."""
    head = OfficialInput("CB0", "HN.CG", "head", None)
    tasks = [a_task("T1", "CB0", ev("submit", at(16)), ev("approve", at(16, 15)), unit="HN.CG"),
             on_time("T2", "CB1")]
    card = score([head], tasks, {"CB0": Assessment(30)}).card("CB0")
    assert card.task_points is None
    assert [(d.kind, d.points, d.rounded) for d in card.deductions] == [
        ("delay", Decimal("2.92"), None)]


def test_the_general_deduction_is_30_minus_the_general_points_as_shown():
    """27.125 is shown 27.13 (half-up), so the deduction is 30 − 27.13 = 2.87, not 2.875
    rounded half-up (2.88)."""
    card = score([staff("CB1")], [on_time("T1", "CB1")],
                 {"CB1": Assessment(Fraction(217, 8), ("x",))}).card("CB1")
    assert card.general_points == Decimal("27.13")
    assert [(d.kind, d.points) for d in card.deductions] == [("general", Decimal("2.87"))]


def test_a_general_deduction_needs_a_written_reason():
    with pytest.raises(ValueError, match="written reason"):
        score([staff("CB1")], [on_time("T1", "CB1")], {"CB1": Assessment(25)})
    with pytest.raises(ValueError, match=r"\[0, 30\]"):
        score([staff("CB1")], [on_time("T1", "CB1")], {"CB1": Assessment(31, ("x",))})


def test_ratings_outside_zero_one_are_refused():
    with pytest.raises(ValueError, match="organising"):
        Assessment(30, (), Fraction(3, 2), 1)


def test_no_general_assessment_is_no_total():
    card = score([staff("CB1")], [on_time("T1", "CB1")], {}).card("CB1")
    assert card.task_points == 70 and card.total is None and card.grade is None


def test_a_ground_reaches_the_periods_of_its_year_from_its_date():
    ground = KhtGround("discipline", dt.date(2026, 10, 20), official="CB1", level="reprimand")
    tasks = [on_time("T1", "CB1"), on_time("T9", "CB1", due=dt.date(2026, 9, 15))]
    assert score([staff("CB1")], tasks, grounds=[ground]).card("CB1").grade is Grade.KHT
    september = score([staff("CB1")], tasks, grounds=[ground], period="2026-09").card("CB1")
    assert september.overrides == () and september.grade is not None
    last_year = dataclasses.replace(ground, on=dt.date(2025, 12, 30))
    assert score([staff("CB1")], tasks, grounds=[last_year]).card("CB1").overrides == ()


def test_a_grounds_day_is_written_dd_mm_yyyy_and_a_confirmed_signal_cites_its_decision():
    """Engine 1.6: the reason line dates a ground 20/10/2026, not 2026-10-20 (the JSON's
    `on` stays ISO); a signal record confirmed by a leader cites who, when and why."""
    signal = KhtGround("signal", dt.date(2026, 10, 20), official="CB1", signal="S14",
                       reason="Kết luận thanh tra", ref="signal:7",
                       decided_by="Nguyễn Bảo Dũng (CB9)", decided_on=dt.date(2026, 11, 5),
                       decision="Vi phạm đã rõ")
    reprimand = KhtGround("discipline", dt.date(2026, 3, 4), official="CB2", level="reprimand")
    scores = score([staff("CB1"), staff("CB2")], [on_time("T1", "CB1"), on_time("T2", "CB2")],
                   grounds=[signal, reprimand])
    assert scores.card("CB1").reasons == (
        "KHT không phụ thuộc điểm: dấu hiệu đã xác nhận S14 (Kết luận thanh tra; Nguyễn Bảo "
        "Dũng (CB9) xác nhận vi phạm ngày 05/11/2026: Vi phạm đã rõ), 20/10/2026",)
    assert scores.card("CB2").reasons == (
        "KHT không phụ thuộc điểm: kỷ luật: khiển trách, 04/03/2026",)
    assert scores.card("CB1").as_dict()["overrides"][0]["on"] == "2026-10-20"
    undecided = dataclasses.replace(signal, decided_by=None, decided_on=None, decision="")
    assert score([staff("CB1")], [on_time("T1", "CB1")], grounds=[undecided]).card(
        "CB1").overrides[0].detail == "dấu hiệu đã xác nhận S14 (Kết luận thanh tra)"


def test_a_lighter_than_reprimand_record_and_corruption_for_staff_do_not_override():
    grounds = [KhtGround("discipline", dt.date(2026, 3, 1), official="CB1", level="note"),
               KhtGround("corruption", dt.date(2026, 3, 1), unit=VP)]
    assert score([staff("CB1")], [on_time("T1", "CB1")],
                 grounds=grounds).card("CB1").overrides == ()


def test_corruption_reaches_leaders_of_the_unit_and_one_level_above():
    grounds = [KhtGround("corruption", dt.date(2026, 3, 1), unit=VP)]
    people = [OfficialInput("CB0", "HN.CG", "head"), OfficialInput("CB9", "HN", "head"),
              OfficialInput("CB5", VP, "deputy")]
    rated = {o.code: Assessment(30, (), 1, 1) for o in people}
    tasks = [on_time(f"T{o.code}", o.code, unit=o.unit) for o in people]
    cards = score(people, tasks, rated, grounds=grounds)
    assert [c.official for c in cards.cards if c.overrides] == ["CB0", "CB5"]


# -- the quota ---------------------------------------------------------------------------


def card_of(code: str, total: str, grade: Grade, agency: str = "HN.CG",
            group: str | None = "TH", task_points: str = "70") -> ScoreCard:
    return ScoreCard(official=code, unit=agency, agency=agency, task_group=group,
                     position="staff", period="2026-10", rubric_version="r",
                     engine_version="e", task_points=Decimal(task_points),
                     total=Decimal(total), grade_by_score=grade, grade_before_quota=grade,
                     grade=grade)


def test_quota_five_htt_and_three_candidates_leave_one_htxs():
    """domain.md: 1 ≤ 0.2 × 7 keeps the first; the second would need 2 ≤ 0.2 × 6."""
    cards = [card_of(f"H{i}", "80", Grade.HTT) for i in range(5)]
    cards += [card_of("X1", "95", Grade.HTXS), card_of("X2", "93", Grade.HTXS),
              card_of("X3", "91", Grade.HTXS)]
    final, state = apply_quota(cards, DEFAULT_RUBRIC)
    grades = {c.official: c.grade for c in final}
    assert [grades["X1"], grades["X2"], grades["X3"]] == [Grade.HTXS, Grade.HTT, Grade.HTT]
    assert state[0].htxs == 1 and state[0].htt == 7 and state[0].candidates == 3


def test_quota_ties_are_broken_by_task_points_then_code():
    cards = [card_of(f"H{i}", "80", Grade.HTT) for i in range(5)]
    cards += [card_of("X2", "95", Grade.HTXS, task_points="70"),
              card_of("X1", "95", Grade.HTXS, task_points="65")]
    final, _ = apply_quota(cards, DEFAULT_RUBRIC)
    assert [c.official for c in final if c.grade is Grade.HTXS] == ["X2"]
    tied = [card_of(f"H{i}", "80", Grade.HTT) for i in range(5)]
    tied += [card_of("X2", "95", Grade.HTXS), card_of("X1", "95", Grade.HTXS)]
    final, _ = apply_quota(tied, DEFAULT_RUBRIC)
    assert [c.official for c in final if c.grade is Grade.HTXS] == ["X1"]
    x1 = next(c for c in final if c.official == "X1")
    assert (x1.quota.rank, x1.quota.kept) == (1, True)
    assert "mã cán bộ" in x1.quota.reason


def test_quota_ties_then_go_to_fewer_delays():
    cards = [card_of(f"H{i}", "80", Grade.HTT) for i in range(5)]
    cards += [dataclasses.replace(card_of("X1", "95", Grade.HTXS), delays=1),
              card_of("X2", "95", Grade.HTXS)]
    final, _ = apply_quota(cards, DEFAULT_RUBRIC)
    assert [c.official for c in final if c.grade is Grade.HTXS] == ["X2"]


def test_an_approved_exception_raises_the_cap():
    cards = [card_of(f"H{i}", "80", Grade.HTT) for i in range(5)]
    cards += [card_of("X1", "95", Grade.HTXS), card_of("X2", "93", Grade.HTXS)]
    final, _ = apply_quota(cards, DEFAULT_RUBRIC, {"HN.CG": Fraction(2, 5)})
    assert sum(c.grade is Grade.HTXS for c in final) == 2  # 2 ≤ 0.4 × 5


def test_quota_by_task_group_can_be_switched_off():
    cards = [card_of(f"H{i}", "80", Grade.HTT, group="A") for i in range(5)]
    cards += [card_of("X1", "95", Grade.HTXS, group="B")]
    final, _ = apply_quota(cards, DEFAULT_RUBRIC)
    assert final[-1].grade is Grade.HTT  # group B has no HTT
    rubric = dataclasses.replace(DEFAULT_RUBRIC, quota_by_task_group=False)
    final, _ = apply_quota(cards, rubric)
    assert final[-1].grade is Grade.HTXS  # 1 ≤ 0.2 × 5


def test_kht_by_override_is_never_a_quota_candidate():
    cards = [card_of("X1", "95", Grade.HTXS)]
    cards[0] = dataclasses.replace(cards[0], grade_before_quota=Grade.KHT, grade=Grade.KHT)
    final, state = apply_quota(cards, DEFAULT_RUBRIC)
    assert final[0].grade is Grade.KHT and not final[0].quota_applied
    assert state[0].candidates == 0


# -- quarter and year --------------------------------------------------------------------


def test_year_is_the_mean_of_monthly_task_results_plus_the_years_general_criteria():
    """October T = 70; November T = 35 (one of two done); December nothing assigned (not in
    the mean): T = (70 + 35) / 2 = 52.5; general for the year 28 → 80.50 HTT."""
    people = [staff("CB1")]
    tasks = [on_time("T1", "CB1"), on_time("T2", "CB1", due=dt.date(2026, 11, 16)),
             a_task("T3", "CB1", due=dt.date(2026, 11, 20))]
    monthly = [c for m in ("2026-10", "2026-11", "2026-12")
               for c in score(people, tasks, period=m).cards]
    year = roll_up_year(period="2026", monthly=monthly, officials=people, units=UNITS,
                        assessments={"CB1": Assessment(28, ("y",))})
    card = year.card("CB1")
    assert card.months == (("2026-10", Decimal(70)), ("2026-11", Decimal(35)),
                           ("2026-12", None))
    assert (card.task_points, card.total, card.grade) == (Decimal("52.5"), Decimal("80.5"),
                                                          Grade.HTT)
    quarter = roll_up_quarter(period="2026-Q4", monthly=monthly, officials=people,
                              units=UNITS, assessments={"CB1": Assessment(30)})
    assert quarter.card("CB1").total == Decimal("82.5")
    with pytest.raises(ValueError, match="not a year"):
        roll_up_year(period="2026-Q4", monthly=monthly, officials=people, units=UNITS,
                     assessments={})


def test_a_leaders_unrated_month_is_not_dropped_from_the_quarter():
    """The head's October: one product on time, rated: T = 70. November: one product still
    open at the close and no đ, e: no T for the month. The quarter does not take October
    alone (T = 70, a bad month dropped): it has no T until November is rated, and says
    why; December has nothing assigned and stays out of the mean as before."""
    head = OfficialInput("CB0", "HN.CG", "head", None)
    tasks = [on_time("T1", "CB0", unit="HN.CG"),
             a_task("T2", "CB0", unit="HN.CG", due=dt.date(2026, 11, 16))]
    monthly = [*score([head], tasks, {"CB0": Assessment(30, (), 1, 1)}, period="2026-10").cards,
               *score([head], tasks, {"CB0": Assessment(30)}, period="2026-11").cards,
               *score([head], tasks, {"CB0": Assessment(30)}, period="2026-12").cards]
    assert [c.task_points for c in monthly] == [Decimal(70), None, None]
    card = roll_up_quarter(period="2026-Q4", monthly=monthly, officials=[head], units=UNITS,
                           assessments={"CB0": Assessment(30, (), 1, 1)}).card("CB0")
    assert (card.task_points, card.total, card.grade) == (None, None, None)
    assert "tháng 11/2026 chưa có điểm nhiệm vụ" in card.reasons[0]
    assert "không được giao sản phẩm" not in " ".join(card.reasons)
    rated = [*monthly[:1],
             *score([head], tasks, {"CB0": Assessment(30, (), 1, 1)}, period="2026-11").cards,
             *monthly[2:]]
    card = roll_up_quarter(period="2026-Q4", monthly=rated, officials=[head], units=UNITS,
                           assessments={"CB0": Assessment(30, (), 1, 1)}).card("CB0")
    assert card.task_points == Decimal("46.67")  # (70 + 70 × 2 / 6) / 2


def test_a_quarters_deductions_are_the_months_divided_by_the_months_with_data():
    """October: T1 and T2 each a working day late: T = 70 × 2.75 / 3 = 64.1666… → 64.17;
    each delay 70/3 × 0.25 / 2 = 2.9166…, listed 2.92 and 2.91 (rounded down) to add up to
    5.83. November and December: one product on time, T = 70. The quarter: T = (64.17 + 70
    + 70) / 3 = 68.0566… → 68.06, shortfall 1.94; each October delay is worth its October
    points ÷ 3: 2.92 / 3 = 0.9733…, 2.91 / 3 = 0.97, rounded 0.97 + 0.97 = 1.94. October's
    note on its own rounding is not carried over."""
    people = [staff("CB1")]
    late = (ev("submit", at(16)), ev("approve", at(16, 15)))
    tasks = [a_task("T1", "CB1", *late), a_task("T2", "CB1", *late),
             on_time("T3", "CB1", due=dt.date(2026, 11, 16)),
             on_time("T4", "CB1", due=dt.date(2026, 12, 16))]
    monthly = [c for m in ("2026-10", "2026-11", "2026-12")
               for c in score(people, tasks, period=m).cards]
    october = monthly[0]
    assert [(d.points, d.rounded) for d in october.deductions] == [
        (Decimal("2.92"), None), (Decimal("2.91"), "down")]
    card = roll_up_quarter(period="2026-Q4", monthly=monthly, officials=people, units=UNITS,
                           assessments={"CB1": Assessment(30)}).card("CB1")
    assert card.task_points == Decimal("68.06")
    assert [(d.task, d.month, d.points, d.rounded, d.reason) for d in card.deductions] == [
        ("T1", "2026-10", Decimal("0.97"), None,
         "tháng 10/2026: 2,92 điểm của tháng ÷ 3 tháng có dữ liệu"),
        ("T2", "2026-10", Decimal("0.97"), None,
         "tháng 10/2026: 2,91 điểm của tháng ÷ 3 tháng có dữ liệu"),
    ]
    assert "70 − T = 70 − 68,06 = 1,94" in card.formula


def test_year_general_may_be_the_mean_of_months():
    people = [staff("CB1")]
    tasks = [on_time("T1", "CB1"), on_time("T2", "CB1", due=dt.date(2026, 11, 16))]
    monthly = [*score(people, tasks, {"CB1": Assessment(30)}).cards,
               *score(people, tasks, {"CB1": Assessment(27, ("z",))}, period="2026-11").cards]
    rubric = dataclasses.replace(DEFAULT_RUBRIC, rollup_general="mean_of_months")
    year = roll_up_year(period="2026", monthly=monthly, officials=people, units=UNITS,
                        assessments={}, rubric=rubric)
    assert year.card("CB1").total == Decimal("98.5")


# -- properties --------------------------------------------------------------------------

OFFICIAL_UNITS = ["HN.CG", "HN.CG.VP", "HN.CG.TC", "HN.BD"]


@st.composite
def task_logs(draw, code: str, official: str, unit: str) -> TaskInput:
    """A task due in October (or early November) with a plausible log: maybe extensions
    (before or after the deadline), reworks, excuses, a submit and approve, or a cancel."""
    due_day = draw(st.integers(min_value=5, max_value=35))
    due = dt.date(2026, 10, 1) + dt.timedelta(days=due_day)
    day = dt.datetime(2026, 10, 2, 9, tzinfo=VIETNAM)
    events: list[Event] = []
    deadline = due
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        day += dt.timedelta(days=draw(st.integers(min_value=1, max_value=8)), minutes=7)
        kind = draw(st.sampled_from(["extension_grant", "remind", "excuse_delay", "rework"]))
        if kind == "extension_grant":
            deadline = max(deadline, day.date()) + dt.timedelta(days=draw(st.integers(1, 10)))
            events.append(ev(kind, day, new_due=deadline.isoformat()))
        elif kind == "rework":
            events.append(ev("submit", day))
            day += dt.timedelta(hours=2)
            events.append(ev("rework", day, major_error=draw(st.booleans()),
                             excused=draw(st.booleans())))
        else:
            events.append(ev(kind, day))
    ending = draw(st.sampled_from(["done", "done", "open", "cancel"]))
    if ending == "done":
        day += dt.timedelta(days=draw(st.integers(min_value=0, max_value=12)), minutes=7)
        events += [ev("submit", day), ev("approve", day + dt.timedelta(hours=3))]
    elif ending == "cancel":
        events.append(ev("cancel", day + dt.timedelta(hours=1)))
    history = TaskHistory(code, dt.datetime(2026, 10, 1, 8, tzinfo=VIETNAM), due,
                          Holder(unit, official), BOSS, tuple(events))
    coefficient = draw(st.sampled_from([Fraction(1, 2), Fraction(1), Fraction(3, 2), 2]))
    return TaskInput(history, "BC", coefficient, draw(st.integers(1, 3)))


@st.composite
def worlds(draw):
    """Officials in a few units and task groups, their tasks, assessments and grounds."""
    n = draw(st.integers(min_value=1, max_value=12))
    officials, tasks, assessments, grounds = [], [], {}, []
    for i in range(n):
        code = f"CB{i:02d}"
        unit = draw(st.sampled_from(OFFICIAL_UNITS))
        position = draw(st.sampled_from(["staff", "staff", "head", "deputy"]))
        group = draw(st.sampled_from(["TH", "CM", None]))
        officials.append(OfficialInput(code, unit, position, group))
        for j in range(draw(st.integers(min_value=0, max_value=3))):
            tasks.append(draw(task_logs(f"T{i:02d}{j}", code, unit)))
        general = draw(st.integers(min_value=0, max_value=30))
        rating = st.sampled_from([Fraction(0), Fraction(1, 2), Fraction(9, 10), Fraction(1)])
        assessments[code] = Assessment(general, ("lý do",), draw(rating), draw(rating))
        if draw(st.integers(min_value=0, max_value=9)) == 0:
            grounds.append(KhtGround(draw(st.sampled_from(["discipline", "degradation",
                                                           "signal"])),
                                     dt.date(2026, 10, 3), official=code, level="reprimand",
                                     signal="S14"))
    return officials, tasks, assessments, grounds


def score_world(world, **kwargs) -> PeriodScores:
    officials, tasks, assessments, grounds = world
    return score(officials, tasks, assessments, grounds, **kwargs)


@settings(max_examples=150, deadline=None)
@given(world=worlds())
def test_total_is_between_0_and_100(world):
    for card in score_world(world).cards:
        if card.total is not None:
            assert 0 <= card.total <= 100
            assert 0 <= card.task_points <= 70
            assert grade_for(card.total, DEFAULT_RUBRIC) is card.grade_by_score


@settings(max_examples=150, deadline=None)
@given(world=worlds())
def test_the_quota_holds_on_final_grades(world):
    scores = score_world(world)
    counts: Counter = Counter()
    for card in scores.cards:
        for scope in quota_scopes(card, DEFAULT_RUBRIC):
            counts[scope, card.grade] += 1
    for scope in {s for s, _g in counts}:
        assert counts[scope, Grade.HTXS] <= Fraction(1, 5) * counts[scope, Grade.HTT]
    for card in scores.cards:
        assert card.quota_applied == (card.grade_before_quota is Grade.HTXS
                                      and card.grade is Grade.HTT)
        assert card.grade is Grade.HTXS or card.grade_before_quota is not Grade.HTXS \
            or card.quota_applied


@settings(max_examples=100, deadline=None)
@given(world=worlds(), seed=st.integers(min_value=0, max_value=2**32))
def test_input_order_changes_nothing(world, seed):
    """Officials, tasks, grounds and each task's events (with their refs) shuffled."""
    officials, tasks, assessments, grounds = world
    rng = random.Random(seed)
    shuffled_tasks = []
    for task in tasks:
        refs = [f"e{n}" for n in range(len(task.history.events))]
        pairs = list(zip(task.history.events, refs, strict=True))
        rng.shuffle(pairs)
        base = dataclasses.replace(task, event_refs=tuple(refs))
        shuffled_tasks.append((base, dataclasses.replace(
            task, history=dataclasses.replace(task.history, events=tuple(p[0] for p in pairs)),
            event_refs=tuple(p[1] for p in pairs))))
    ordered = [b for b, _s in shuffled_tasks]
    moved = [s for _b, s in shuffled_tasks]
    rng.shuffle(moved)
    people = list(officials)
    rng.shuffle(people)
    reasons = list(grounds)
    rng.shuffle(reasons)
    assert score(officials, ordered, assessments, grounds) == \
        score(people, moved, dict(reversed(list(assessments.items()))), reasons)


@settings(max_examples=150, deadline=None)
@given(world=worlds(), pick=st.integers(min_value=0, max_value=100))
def test_finishing_a_task_on_time_never_lowers_anyones_score(world, pick):
    """Take a task open at October's close and hand it in on its deadline in force: no
    official's task points or total goes down (grades may: the quota is relative)."""
    officials, tasks, assessments, grounds = world
    period = Period.parse("2026-10")
    open_ones = [n for n, t in enumerate(tasks)
                 if t.history.due <= period.end
                 and not task_at_close(t, CAL, period).completed
                 and not any(e.kind == "cancel" for e in t.history.events)]
    if not open_ones:
        return
    n = open_ones[pick % len(open_ones)]
    task = tasks[n]
    history = task.history
    last = max((e.at for e in history.events), default=history.assigned_at)
    from thuocdo.measure.history import deadline_in_force, end_of_day
    deadline = deadline_in_force(history, last)
    hand_in = max(last + dt.timedelta(minutes=1),
                  end_of_day(deadline) - dt.timedelta(hours=2))
    if hand_in >= min(end_of_day(deadline), period.close):
        return  # it can no longer be finished on time in October
    finished = dataclasses.replace(task, history=dataclasses.replace(
        history, events=(*history.events, ev("submit", hand_in),
                         ev("approve", hand_in + dt.timedelta(minutes=30)))))
    before = score_world(world)
    after = score(officials, [*tasks[:n], finished, *tasks[n + 1:]], assessments, grounds)
    for old, new in zip(before.cards, after.cards, strict=True):
        if old.task_points is not None:
            assert new.task_points >= old.task_points
        if old.total is not None:
            assert new.total >= old.total


WEIGHTED = dataclasses.replace(DEFAULT_RUBRIC, leader_weights=(
    ("a", Fraction(1)), ("b", Fraction(2)), ("c", Fraction(1)),
    ("d", Fraction(3, 2)), ("đ", Fraction(1)), ("e", Fraction(1, 2))))
UNIT_ONLY = dataclasses.replace(DEFAULT_RUBRIC, leader_without_own_products="unit_only")


@settings(max_examples=150, deadline=None)
@given(world=worlds(), rubric=st.sampled_from([DEFAULT_RUBRIC, WEIGHTED, UNIT_ONLY]))
def test_the_deductions_add_up_to_the_task_points_shortfall(world, rubric):
    """For every card with task points, month and quarter alike: Σ task deductions =
    task_max − T exactly (70 − T on the card), whatever the weights; the general deduction
    is 30 − the general points."""
    officials, tasks, assessments, grounds = world
    monthly = [card for month in ("2026-10", "2026-11", "2026-12")
               for card in score(officials, tasks, assessments, grounds, period=month,
                                 rubric=rubric).cards]
    for card in monthly:
        task_deductions_add_up(card, rubric)
    quarter = roll_up_quarter(period="2026-Q4", monthly=monthly, officials=officials,
                              units=UNITS, assessments=assessments, rubric=rubric)
    for card in quarter.cards:
        task_deductions_add_up(card, rubric)


@st.composite
def graded_cards(draw) -> list[ScoreCard]:
    """Up to 40 cards in two agencies and three task groups (or none), with grades by score
    and totals that tie often."""
    cards = []
    for i in range(draw(st.integers(min_value=0, max_value=40))):
        grade = draw(st.sampled_from([Grade.HTXS, Grade.HTT, Grade.HTT, Grade.HTT, Grade.HT,
                                      Grade.KHT, None]))
        total = {Grade.HTXS: draw(st.sampled_from(["90", "92.5", "95"])),
                 Grade.HTT: "80", Grade.HT: "60", Grade.KHT: "40", None: "0"}[grade]
        card = card_of(f"C{i:02d}", total, grade,
                       agency=draw(st.sampled_from(["HN.CG", "HN.BD"])),
                       group=draw(st.sampled_from(["TH", "CM", "KT", None])),
                       task_points=draw(st.sampled_from(["65", "70"])))
        cards.append(dataclasses.replace(card, delays=draw(st.integers(0, 2))))
    return cards


@settings(max_examples=300, deadline=None)
@given(cards=graded_cards(), share=st.sampled_from([Fraction(1, 5), Fraction(3, 10)]))
def test_the_quota_holds_and_moves_down_no_one_it_need_not(cards, share):
    """On final grades HTXS ≤ share × HTT in every agency and task group; only candidates
    move, and only to HTT; and each candidate moved down could not have kept HTXS without
    breaking the limit somewhere (the quota takes no one more than it must)."""
    rubric = dataclasses.replace(DEFAULT_RUBRIC, quota_share=share)
    final, _state = apply_quota(cards, rubric)
    by_code = {c.official: c for c in cards}

    def holds(grades: dict[str, Grade | None]) -> bool:
        counts: Counter = Counter()
        for card in final:
            for scope in quota_scopes(card, rubric):
                counts[scope, grades[card.official]] += 1
        return all(counts[s, Grade.HTXS] <= share * counts[s, Grade.HTT]
                   for s, _g in list(counts))

    grades = {c.official: c.grade for c in final}
    assert holds(grades)
    for card in final:
        before = by_code[card.official].grade_before_quota
        if before is not Grade.HTXS:
            assert card.grade is before and not card.quota_applied
        elif card.quota_applied:
            assert card.grade is Grade.HTT
            assert not holds({**grades, card.official: Grade.HTXS})


@settings(max_examples=100, deadline=None)
@given(world=worlds(), picks=st.lists(st.integers(min_value=0, max_value=50), max_size=4))
def test_a_found_error_never_raises_a_score_nor_reopens_work(world, picks):
    """Adding major errors found outside the logs (verified complaints) to some tasks never
    raises anyone's task points and leaves every product's completion as it was."""
    officials, tasks, assessments, grounds = world
    if not tasks:
        return
    chosen = {tasks[i % len(tasks)].code for i in picks}
    found = FoundError(dt.datetime(2026, 10, 20, 9, tzinfo=VIETNAM), "PA-1")
    worse = [dataclasses.replace(t, found_errors=(found,)) if t.code in chosen else t
             for t in tasks]
    before = {c.official: c for c in score(officials, tasks, assessments, grounds).cards}
    after = {c.official: c for c in score(officials, worse, assessments, grounds).cards}
    for code, card in after.items():
        old = before[code]
        if old.task_points is not None and card.task_points is not None:
            assert card.task_points <= old.task_points
        assert [(t.task, t.completed) for t in card.tasks] == \
            [(t.task, t.completed) for t in old.tasks]
        assert card.major_errors >= old.major_errors


def test_an_error_found_after_the_close_does_not_count():
    task = on_time("T1", "CB002")
    late = FoundError(at(3, month=11), "PA-9")
    period = Period.parse("2026-10")
    fact = task_at_close(dataclasses.replace(task, found_errors=(late,)), CAL, period)
    assert fact.completed and fact.found_errors == () and fact.errors_not_excused == 0
    last_day = FoundError(at(31, hour=23), "PA-9")
    fact = task_at_close(dataclasses.replace(task, found_errors=(last_day,)), CAL, period)
    assert fact.completed and fact.errors_not_excused == 1


exact_values = st.one_of(st.integers(-10**6, 10**6),
                         st.fractions(max_denominator=400).filter(lambda f: abs(f) < 10**6))


@settings(max_examples=300, deadline=None)
@given(values=st.lists(exact_values, max_size=30))
def test_the_fast_sum_is_the_exact_sum(values):
    from thuocdo.measure.scoring import _fsum

    assert _fsum(values) == sum(values, Fraction(0))
    assert isinstance(_fsum(values), int) == (sum(values, Fraction(0)).denominator == 1)


@settings(max_examples=300, deadline=None)
@given(value=exact_values, places=st.integers(0, 4))
def test_rounding_is_half_up_away_from_zero(value, places):
    from thuocdo.measure.scoring import _round_half_up

    value = Fraction(value)
    scaled = value * 10**places
    expected = math.floor(scaled + Fraction(1, 2)) if scaled >= 0 else \
        -math.floor(-scaled + Fraction(1, 2))
    assert _round_half_up(value, places) == Decimal(expected).scaleb(-places)
    assert _round_half_up(Fraction(-value), places) == -_round_half_up(value, places)

"""Signals of avoidance and buck-passing: golden scenarios computed by hand (one per signal,
plus a clean one), the scenario loader, the settings, and properties of the detectors.

Golden files (golden/signals/*.json) are exchange-format documents (they import as they are)
with the scenario keys `description`, `period`, `as_of` and the `expected` signals
(golden/README.md); their event numbers are those of the task page
(#1 is the assignment, a task's first event record is #2), so index = number − 2.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import statistics
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thuocdo.measure.calendar import WorkCalendar, public_days
from thuocdo.measure.history import VIETNAM, Event, Holder, TaskHistory
from thuocdo.measure.scenario import (
    Official,
    People,
    ScenarioError,
    TaskFacts,
    Unit,
    load_scenario,
    scenario_years,
)
from thuocdo.measure.signals import (
    DETECTORS,
    KINDS,
    AuthorityMatrix,
    Signal,
    Thresholds,
    _SortedValues,
    detect_all,
    event_number,
    period_bounds,
    period_label,
    waiting_share,
)

GOLDEN = Path(__file__).parent / "golden" / "signals"
FILES = sorted(GOLDEN.glob("*.json"))


def load(path: Path) -> tuple[dict, object]:
    document = json.loads(path.read_text(encoding="utf-8"))
    days_off, workdays = public_days(scenario_years(document))
    return document, load_scenario(document, holidays=days_off, workdays=workdays)


def run(document: dict, scenario, histories=None, **overrides) -> list[Signal]:
    start, end = period_bounds(document["period"])
    return detect_all(
        scenario.histories if histories is None else histories,
        calendar=scenario.calendar, period_start=start, period_end=end,
        as_of=dt.datetime.fromisoformat(document["as_of"]), people=scenario.people,
        tasks=scenario.tasks, **overrides)


def as_expected(signal: Signal) -> tuple:
    events = tuple((e[0], event_number(e[1])) if isinstance(e, tuple) else event_number(e)
                   for e in signal.events)
    return (signal.code, signal.task, signal.official, signal.unit, signal.period,
            signal.raised_on.isoformat(), events)


def from_expected(row: dict) -> tuple:
    events = tuple(tuple(e) if isinstance(e, list) else e for e in row["events"])
    return (row["code"], row["task"], row["official"], row["unit"], row["period"],
            row["raised_on"], events)


# -- golden scenarios --------------------------------------------------------------------


def test_there_is_a_golden_scenario_for_every_detector_and_a_clean_one():
    covered = {row["code"] for path in FILES
               for row in json.loads(path.read_text(encoding="utf-8"))["expected"]}
    assert covered == set(DETECTORS)
    assert GOLDEN / "clean.json" in FILES


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_golden_scenario(path):
    """The signals computed equal those worked out by hand, with their kind's confirmation
    flag, the escalation where stated, and a one-line explanation."""
    document, scenario = load(path)
    found = run(document, scenario)
    assert sorted(map(as_expected, found), key=repr) == sorted(
        map(from_expected, document["expected"]), key=repr)
    assert len({s.key for s in found}) == len(found)
    by_key = {as_expected(s): s for s in found}
    for row in document["expected"]:
        signal = by_key[from_expected(row)]
        if "escalate_to" in row:
            assert signal.escalate_to == row["escalate_to"]
        assert signal.needs_confirmation == (KINDS[signal.code] in {"auto+confirm", "confirm"})
        assert signal.explanation and "\n" not in signal.explanation
        json.dumps(signal.as_dict(), ensure_ascii=False)


def test_a_signal_belongs_to_the_period_of_what_raised_it():
    """S1 of s01 are raised on the deadlines' days (9, 15, 16/10): none in September or
    November, all of them in the fourth quarter (labelled as such)."""
    document, scenario = load(GOLDEN / "s01_late_work.json")
    as_of = dt.datetime.fromisoformat(document["as_of"])
    common = {"calendar": scenario.calendar, "as_of": as_of, "people": scenario.people,
              "tasks": scenario.tasks}
    assert detect_all(scenario.histories, period_start=dt.date(2026, 11, 1),
                      period_end=dt.date(2026, 11, 30), **common) == []
    quarter = detect_all(scenario.histories, period_start=dt.date(2026, 10, 1),
                         period_end=dt.date(2026, 12, 31), **common)
    assert {s.period for s in quarter} == {"2026-Q4"}
    assert len([s for s in quarter if s.code == "S1"]) == 4


def test_nothing_is_raised_before_it_happened():
    """As of 12/10 noon, T2 of s01 has missed 9/10 (S1) and nothing has been missed by T1.
    T3, handed in on 7/10, waits for its reviewer past its deadline 9/10: not late (approved,
    it is done on 7/10; the dashboard keeps it within its deadline). Only the rework of 13/10
    makes it late, which the golden case's own date shows (S1 for the reviewer)."""
    _document, scenario = load(GOLDEN / "s01_late_work.json")
    found = detect_all(scenario.histories, calendar=scenario.calendar,
                       period_start=dt.date(2026, 10, 1), period_end=dt.date(2026, 10, 31),
                       as_of=dt.datetime(2026, 10, 12, 12, tzinfo=VIETNAM),
                       people=scenario.people, tasks=scenario.tasks)
    assert [(s.code, s.task, s.official, s.raised_on.day) for s in found] == [
        ("S1", "T2", "CB003", 9)]


def test_a_signals_key_survives_a_growing_log():
    """T2 of s01 is still overdue on 20/10 and on 2/11: the S1 of its 16/10 deadline keeps its
    key (so a stored one is found again) while its explanation counts more late days."""
    document, scenario = load(GOLDEN / "s01_late_work.json")

    def late_t2(as_of):
        return [s for s in detect_all(scenario.histories, calendar=scenario.calendar,
                                      period_start=dt.date(2026, 10, 1),
                                      period_end=dt.date(2026, 10, 31), as_of=as_of,
                                      people=scenario.people, tasks=scenario.tasks)
                if s.task == "T2" and s.raised_on == dt.date(2026, 10, 16)]

    [early] = late_t2(dt.datetime(2026, 10, 20, 12, tzinfo=VIETNAM))
    [late] = late_t2(dt.datetime.fromisoformat(document["as_of"]))
    assert early.key == late.key == "S1|2026-10|T2|CB003|HN.CG.TP|2026-10-16"
    assert early.explanation != late.explanation


def test_open_overdue_work_is_explained_with_its_holder():
    document, scenario = load(GOLDEN / "s01_late_work.json")
    [signal] = [s for s in run(document, scenario)
                if s.task == "T2" and s.raised_on == dt.date(2026, 10, 16)]
    assert "chưa hoàn thành" in signal.explanation
    # the code tells apart two officials of the same name in one unit
    assert "Lê Văn Cường (CB003, Phòng Tư pháp)" in signal.explanation


def test_people_are_named_with_their_codes():
    document, scenario = load(GOLDEN / "s02_extension_habit.json")
    signals = [s for s in run(document, scenario) if s.code == "S2" and s.task is None]
    assert signals
    for signal in signals:
        name = scenario.people.official_name(signal.official)
        assert signal.explanation.startswith(f"{name} ({signal.official}) xin gia hạn")
    assert scenario.people.official_label("NOBODY") == "NOBODY"


def test_thresholds_are_settings():
    """With a silence threshold of 3 working days, T1 of s13 (reminded Monday 5/10, nothing
    more until Monday 12/10) is silent by the end of Thursday 8/10; with 5 it is not."""
    document, scenario = load(GOLDEN / "s13_not_proposing.json")
    assert not [s for s in run(document, scenario) if s.code == "S8"]
    strict = Thresholds(version="test", silence_workdays=3)
    assert [(s.task, s.raised_on.day) for s in run(document, scenario, thresholds=strict)
            if s.code == "S8"] == [("T1", 8)]


def test_the_authority_matrix_is_a_setting():
    """If staff may not decide normal matters themselves, T1 of s04 raises no S4."""
    document, scenario = load(GOLDEN / "s04_pushing_up.json")
    matrix = AuthorityMatrix.from_rows([{"position": "head", "priority": "urgent"}],
                                       version="test")
    found = run(document, scenario, authority=matrix)
    assert [(s.code, s.task) for s in found] == [("S4", "T3")]


# -- settings and periods ----------------------------------------------------------------


def test_default_thresholds_are_documented_and_versioned():
    t = Thresholds()
    assert (t.extension_requests, t.transfers, t.silence_workdays, t.reminders) == (2, 3, 5, 3)
    assert t.version and t.effective_from == dt.date(2026, 1, 1)
    assert Thresholds(waiting_ratio=2.5).waiting_ratio * 2 == 5
    assert json.dumps(t.as_dict())


def test_default_authority_matrix():
    m = AuthorityMatrix.default()
    assert m.may_decide("staff", "normal", "BC")
    assert not m.may_decide("staff", "urgent", "BC")
    assert m.may_decide("deputy", "urgent", "BC") and m.may_decide("head", "urgent", None)
    assert not any(m.may_decide(p, "collective", "BC") for p in ("staff", "deputy", "head"))
    assert not m.may_decide(None, "normal", "BC")
    assert AuthorityMatrix.from_rows(m.to_rows()).rows == m.rows
    only_reports = AuthorityMatrix.from_rows([{"position": "staff", "priority": "normal",
                                               "product": "BC"}])
    assert only_reports.may_decide("staff", "normal", "BC")
    assert not only_reports.may_decide("staff", "normal", "QD")


@pytest.mark.parametrize("label, first, last", [
    ("2026-10", dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
    ("2026-02", dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
    ("2026-12", dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
    ("2026-Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
    ("2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
    ("2026-10-05..2026-10-20", dt.date(2026, 10, 5), dt.date(2026, 10, 20)),
])
def test_period_labels(label, first, last):
    assert period_bounds(label) == (first, last)
    assert period_label(first, last) == label


# -- the loader --------------------------------------------------------------------------


def test_the_loader_builds_histories_facts_people_and_calendar():
    document, scenario = load(GOLDEN / "s04_pushing_up.json")
    t1 = scenario.histories["T1"]
    assert t1.lead == Holder("HN.CG.VP", "CB002")
    assert t1.assigner == Holder("HN.CG", "CB001")
    assert t1.due == dt.date(2026, 10, 9)
    assert t1.assigned_at == dt.datetime(2026, 10, 1, 8, tzinfo=VIETNAM)
    request = t1.events[1]
    assert (request.kind, request.actor) == ("guidance_request", "CB002")
    # the workflow stores the unit of the official asked; the loader does the same
    assert request.data["to_unit"] == "HN.CG.VP"
    assert scenario.tasks["T2"].priority == "collective"
    assert scenario.tasks["T2"].converted == Decimal("1.5")
    assert scenario.people.position_of("CB005") == "head"
    assert scenario.people.parent_of("HN.CG.VP") == "HN.CG"
    assert scenario.people.agency_of("HN.CG.VP") == "HN.CG"
    assert scenario.people.heads_of("HN.CG.VP") == ("CB005",)
    assert scenario_years(document) == [2026, 2027]


def test_the_documents_calendar_corrects_the_public_holidays():
    """2/9/2026 is a public holiday; the document gives 2/9 back as a working day, takes
    Friday 4/9 off and swaps Saturday 5/9 into a working day."""
    document = {"calendar": {"holidays": ["2026-09-04"], "workdays": ["2026-09-02",
                                                                      "2026-09-05"]}}
    days = holidays.country_holidays("VN", years=[2026]).keys()
    assert dt.date(2026, 9, 2) in days
    scenario = load_scenario(document, holidays=days)
    cal = scenario.calendar
    assert cal.is_workday(dt.date(2026, 9, 2))
    assert not cal.is_workday(dt.date(2026, 9, 4))
    assert cal.is_workday(dt.date(2026, 9, 5))
    assert not cal.is_workday(dt.date(2026, 4, 30))


def test_the_loader_names_what_is_missing():
    document = {"tasks": [{"code": "T1", "lead_unit": "U", "lead_official": "A",
                           "assigned_by": "NOBODY", "assigned_at": "2026-10-01T08:00:00+07:00",
                           "due": "2026-10-09", "product": "BC"}]}
    with pytest.raises(ScenarioError, match=r'tasks\[0\].assigned_by: unknown official'):
        load_scenario(document, holidays=())


def test_times_must_be_aware_and_logs_in_order():
    with pytest.raises(ValueError, match="aware"):
        detect_all([], calendar=CAL, period_start=dt.date(2026, 10, 1),
                   period_end=dt.date(2026, 10, 31), as_of=dt.datetime(2026, 11, 1))  # noqa: DTZ001
    backwards = task(ev("accept", at(5)), ev("remind", at(2)))
    with pytest.raises(ValueError, match="order of time"):
        detect(backwards)


# -- properties ----------------------------------------------------------------------------

CAL = WorkCalendar()
BOSS = Holder("U0", "P0")
POOL = [Holder(f"U{u}", f"P{u}{p}") for u in range(1, 4) for p in range(2)]
PEOPLE = People(units={f"U{u}": Unit(f"U{u}", None if u == 0 else "U0", "division")
                       for u in range(4)})
END = dt.datetime(2026, 11, 30, tzinfo=VIETNAM)


def at(day: int, hour: int = 9, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=VIETNAM)


def ev(kind: str, when: dt.datetime, actor: str | None = None, **data) -> Event:
    return Event(kind, when, actor, data)


def task(*events: Event, code: str = "T1", lead: Holder = POOL[0],
         due: dt.date = dt.date(2026, 10, 15)) -> TaskHistory:
    return TaskHistory(code, at(1, 8), due, lead, BOSS, events)


def detect(*histories: TaskHistory, **kwargs) -> list[Signal]:
    kwargs.setdefault("people", PEOPLE)
    return detect_all(histories, calendar=CAL, period_start=dt.date(2026, 10, 1),
                      period_end=dt.date(2026, 11, 30), as_of=END, **kwargs)


def move(kind: str, when: dt.datetime, to: Holder) -> Event:
    return ev(kind, when, None, to_unit=to.unit, to_official=to.official, reason="x")


@st.composite
def hand_offs(draw):
    """A chain of transfers between distinct holders, then a return to one who passed the
    work on (any earlier holder but the current one)."""
    chain = [POOL[0]]
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        chain.append(draw(st.sampled_from([h for h in POOL if h != chain[-1]])))
    back = draw(st.sampled_from([h for h in chain[:-1] if h != chain[-1]]))
    return chain, back


@given(hand_offs())
def test_returning_work_to_a_previous_holder_always_raises_s3(case):
    chain, back = case
    events = [move("transfer", at(2 + i), holder) for i, holder in enumerate(chain[1:])]
    events.append(move("return", at(2 + len(events)), back))
    found = detect(task(*events, lead=chain[0]), detectors={"S3": DETECTORS["S3"]})
    returned = len(events) - 1
    assert any(s.code == "S3" and s.events[-1] == returned and s.official == chain[-1].official
               for s in found)


on_time_kinds = st.sampled_from(["accept", "remind", "extension_request", "consult",
                                 "extension_refuse"])


@given(submit_day=st.integers(min_value=2, max_value=28),
       transfer_day=st.one_of(st.none(), st.integers(min_value=2, max_value=28)),
       kind=on_time_kinds, extra_day=st.integers(min_value=1, max_value=15),
       extra_hour=st.integers(min_value=8, max_value=17))
def test_an_on_time_event_never_raises_a_new_s1(submit_day, transfer_day, kind, extra_day,
                                                extra_hour):
    """An event before the deadline that hands nothing over and moves no deadline (an
    accept, a reminder, a request, a consultation, a refusal) changes no S1."""
    base = [ev("submit", at(submit_day, 10)), ev("approve", at(submit_day, 16))]
    if transfer_day is not None and transfer_day < submit_day:
        base.append(move("transfer", at(transfer_day, 11), POOL[3]))
    extra = ev(kind, at(extra_day, extra_hour), None, new_due="2026-10-30", reason="r",
               to_unit="U3", reply_due="2026-10-20")
    plain = sorted(base, key=lambda e: e.at)
    added = sorted([*base, extra], key=lambda e: e.at)

    def late(events):
        return {(s.task, s.official, s.unit, s.raised_on)
                for s in detect(task(*events), detectors={"S1": DETECTORS["S1"]})}

    assert late(added) == late(plain)


KINDS_RANDOM = ["accept", "transfer", "return", "extension_request", "extension_grant",
                "guidance_request", "guidance_reply", "consult", "consult_reply", "remind",
                "submit", "rework", "approve", "cancel"]


@st.composite
def random_history(draw, code: str):
    """Any log (not necessarily a possible one): the detectors must not care."""
    when = at(1, 9)
    events = []
    for _ in range(draw(st.integers(min_value=0, max_value=12))):
        when += dt.timedelta(hours=draw(st.integers(min_value=1, max_value=120)))
        kind = draw(st.sampled_from(KINDS_RANDOM))
        to = draw(st.sampled_from(POOL))
        events.append(ev(kind, when, to.official, to_unit=to.unit, to_official=to.official,
                         unit=to.unit, reason="r", new_due="2026-10-28", reply_due="2026-10-12",
                         clear_position=draw(st.booleans()), major_error=False))
    lead = draw(st.sampled_from(POOL))
    return TaskHistory(code, at(1, 8), dt.date(2026, 10, draw(st.integers(2, 30))), lead,
                       BOSS, tuple(events))


@st.composite
def random_histories(draw):
    n = draw(st.integers(min_value=1, max_value=6))
    return [draw(random_history(f"T{i}")) for i in range(n)]


@settings(max_examples=60, deadline=None)
@given(histories=random_histories(), data=st.data())
def test_signals_are_deterministic_and_independent_of_task_order(histories, data):
    shuffled = data.draw(st.permutations(histories))
    first = detect(*histories)
    assert detect(*shuffled) == first
    assert detect(*histories) == first
    assert detect_all({h.code: h for h in shuffled}, calendar=CAL,
                      period_start=dt.date(2026, 10, 1), period_end=dt.date(2026, 11, 30),
                      as_of=END, people=PEOPLE) == first


@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_golden_signals_do_not_depend_on_task_order(data):
    path = data.draw(st.sampled_from(FILES))
    document, scenario = load(path)
    histories = list(scenario.histories.values())
    shuffled = data.draw(st.permutations(histories))
    assert run(document, scenario, histories=shuffled) == run(document, scenario)


def test_waiting_share_counts_each_working_day_once():
    """Two consultations pending over the same days count those days once."""
    t = task(ev("consult", at(2), None, to_unit="U2", reply_due="2026-10-09"),
             ev("consult", at(2, 10), None, to_unit="U3", reply_due="2026-10-09"),
             ev("consult_reply", at(7), None, unit="U2", clear_position=True),
             ev("consult_reply", at(8), None, unit="U3", clear_position=True),
             ev("submit", at(12)), ev("approve", at(12, 15)))
    # (2/10, 8/10] = 5, 6, 7, 8 waiting; (1/10, 12/10] = 7 working days
    assert waiting_share(t, CAL, END) == pytest.approx(4 / 7)


def test_one_reply_answers_every_question_its_unit_was_asked():
    """The workflow's rule (`TaskSnapshot.consults`): a unit asked twice replies once, and
    may not reply again. The reply on Monday 12 is 2 working days late on the first
    question (due Thursday 8) and in time for the second (due 14): one S5, no question
    left open to raise another; one S6 for the one reply without a clear position."""
    t = task(ev("consult", at(2), None, to_unit="U2", reply_due="2026-10-08"),
             ev("consult", at(5), None, to_unit="U2", reply_due="2026-10-14"),
             ev("consult_reply", at(12), "U2.H", unit="U2", clear_position=False))
    found = [(s.code, s.events) for s in detect(t) if s.code in ("S5", "S6")]
    assert found == [("S5", (0, 2)), ("S6", (0, 2))]
    s5 = next(s for s in detect(t) if s.code == "S5")
    assert "chậm 2 ngày làm việc so với hạn 08/10/2026" in s5.explanation


fractions = st.builds(Fraction, st.integers(min_value=0, max_value=12),
                      st.integers(min_value=1, max_value=6))


@given(values=st.lists(fractions, min_size=2, max_size=30), data=st.data())
def test_the_median_without_one_member_is_the_median_of_the_others(values, data):
    """S7 and S12 sort a group once, then leave each member out: the same median as
    sorting the others again, equal values included."""
    left_out = data.draw(st.sets(st.integers(min_value=0, max_value=len(values) - 1),
                                 max_size=len(values) - 1))
    others = [v for i, v in enumerate(values) if i not in left_out]
    removed = [values[i] for i in left_out]
    assert (_SortedValues(values).median_without(removed)
            == Fraction(statistics.median(others)))


def test_s7_counts_the_peers_of_each_lead():
    """The number of peer tasks an S7 explanation gives is that lead's, also for a lead's
    second task met after another lead's (it once showed the last lead compared)."""
    def done(code: str, lead: Holder, waiting: bool) -> TaskHistory:
        consult = ([ev("consult", at(2), None, to_unit="U2", reply_due="2026-10-05"),
                    ev("consult_reply", at(12), None, unit="U2", clear_position=True)]
                   if waiting else [])
        return task(*consult, ev("submit", at(13)), ev("approve", at(13, 15)), code=code,
                    lead=lead)

    a, b = POOL[0], POOL[1]  # two officials of unit U1: each other's peers
    found = [s for s in detect(done("T1", a, True), done("T2", b, True), done("T3", a, True),
                               *(done(f"T{n}", b, False) for n in range(4, 8)))
             if s.code == "S7"]
    # a's peers are b's five tasks (median 0); b's are a's two tasks, too few to compare
    assert [(s.task, s.official) for s in found] == [("T1", a.official), ("T3", a.official)]
    assert all("trung vị của 5 việc cùng nhóm" in s.explanation for s in found), found


def test_a_signal_is_slotted_frozen_and_equal_by_value():
    """A city's month holds 1.4 million signals: slotted (no dictionary each), still
    frozen, equal by value, hashable, and `replace`d and `asdict`ed as any dataclass."""
    made = Signal("S8", "T1", "P1", "U1", "2026-10", dt.date(2026, 10, 9), (0,), "x",
                  anchor="0")
    assert not hasattr(made, "__dict__")
    assert made == dataclasses.replace(made) and hash(made) == hash(dataclasses.replace(made))
    assert dataclasses.asdict(made)["anchor"] == "0" and made.escalate_to is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.code = "S1"


decimals = st.decimals(min_value=0, max_value=1000, places=3)


@given(values=st.lists(decimals, min_size=2, max_size=30), data=st.data())
def test_the_median_of_decimals_is_exact(values, data):
    """S12 sums its outputs as decimals: the median without a member is the same fraction
    as with the values as fractions (no rounding in halving two of them)."""
    left_out = data.draw(st.sets(st.integers(min_value=0, max_value=len(values) - 1),
                                 max_size=len(values) - 1))
    removed = [values[i] for i in left_out]
    assert (_SortedValues(values).median_without(removed)
            == _SortedValues(map(Fraction, values)).median_without(map(Fraction, removed)))


def test_s12_sums_outputs_exactly():
    """Worths with more digits than a decimal context keeps by default still add up
    exactly: an official just below half the median is raised, one at half is not."""
    fine = Decimal("1.000000000000000000000000000001")  # 31 significant digits
    group = {f"Q{n}": Official(f"Q{n}", "U1", task_group="G") for n in range(5)}
    people = People(units=PEOPLE.units, officials=group)
    worths = {"Q0": [fine] * 3, "Q1": [fine] * 6, "Q2": [fine] * 6, "Q3": [fine] * 6,
              "Q4": [fine, fine, Decimal(1)]}
    histories, facts = [], {}
    for official, items in worths.items():
        for n, worth in enumerate(items):
            code = f"{official}-{n}"
            histories.append(task(ev("submit", at(5)), ev("approve", at(5, 15)), code=code,
                                  lead=Holder("U1", official)))
            facts[code] = TaskFacts(code, coefficient=worth)
    found = [s.official for s in detect(*histories, people=people, tasks=facts)
             if s.code == "S12"]
    # median of the others: 6 × fine; half is 3 × fine: Q0 (3 × fine) is not below it,
    # Q4 (2 × fine + 1) is, by 10⁻³⁰
    assert found == ["Q4"]

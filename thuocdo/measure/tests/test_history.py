"""Derived facts of a task's log, on cases computed by hand (October 2026: Thu 15/10 is the
original deadline; weekends 17–18/10 and 24–25/10; no holidays in that window)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from thuocdo.measure.calendar import WorkCalendar
from thuocdo.measure.history import (
    VIETNAM,
    Bucket,
    Event,
    Holder,
    TaskHistory,
    bucket,
    closed_at,
    deadline_in_force,
    delay_by_holder,
    delays,
    done_at,
    done_event,
    done_late,
    holder_intervals,
    local_day,
    log_facts,
)

CAL = WorkCalendar()
LEAD = Holder("HN.CG.VP", "CB002")
BOSS = Holder("HN.CG", "CB001")
OTHER = Holder("HN.CG.TC", "CB003")


def at(day: int, hour: int = 9, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=VIETNAM)


def task(*events: Event, due: dt.date = dt.date(2026, 10, 15)) -> TaskHistory:
    return TaskHistory("T1", at(1, 8), due, LEAD, BOSS, events)


def ev(kind: str, when: dt.datetime, **data) -> Event:
    return Event(kind, when, None, data)


END = at(31, 23)


def test_on_time():
    t = task(ev("accept", at(1)), ev("submit", at(14, 16)), ev("approve", at(15, 8)))
    assert done_at(t) == at(14, 16)
    assert delays(t, CAL, END) == []
    assert bucket(t, END) is Bucket.DONE_ON_TIME


def test_handed_in_on_the_deadline_day_is_on_time():
    t = task(ev("submit", at(15, 23)), ev("approve", at(16)))
    assert bucket(t, END) is Bucket.DONE_ON_TIME


def test_late_by_three_working_days():
    """Submitted Tue 20/10: Fri 16, Mon 19, Tue 20 are the late working days."""
    t = task(ev("submit", at(20)), ev("approve", at(21)))
    [delay] = delays(t, CAL, END)
    assert (delay.deadline, delay.settled_by, delay.workdays_late) == (dt.date(2026, 10, 15), 0, 3)
    assert bucket(t, END) is Bucket.DONE_LATE


def test_work_waiting_for_review_is_counted_as_of_its_hand_in():
    """Handed in on 14/10 (deadline 15/10) and still waiting on 21/10: no delay, as the
    bucket says (approved, it is done on 14/10). Handed in late, on 19/10, and waiting: one
    delay settled by that submit, 2 working days (16, 19/10), not 5 up to 22/10. Sent back
    on 20/10 after the deadline: late, counted up to the day asked."""
    waiting = task(ev("accept", at(1)), ev("submit", at(14, 16)))
    assert delays(waiting, CAL, at(21)) == []
    assert bucket(waiting, at(21)) is Bucket.OPEN_WITHIN_DEADLINE
    late = task(ev("accept", at(1)), ev("submit", at(19, 10)))
    [delay] = delays(late, CAL, at(22))
    assert (delay.deadline, delay.settled_by, delay.workdays_late) == (
        dt.date(2026, 10, 15), 1, 2)
    sent_back = task(ev("accept", at(1)), ev("submit", at(14, 16)),
                     ev("rework", at(20), major_error=False, excused=False, reason="thiếu"))
    [delay] = delays(sent_back, CAL, at(22))
    assert (delay.settled_by, delay.workdays_late) == (None, 5)


def test_extension_granted_before_the_deadline_is_not_a_delay():
    t = task(ev("extension_request", at(13), new_due="2026-10-22"),
             ev("extension_grant", at(14), new_due="2026-10-22"),
             ev("submit", at(21)), ev("approve", at(22)))
    assert delays(t, CAL, END) == []
    assert bucket(t, END) is Bucket.DONE_ON_TIME


def test_extension_granted_after_the_missed_deadline_then_missed_again_is_two_delays():
    """15/10 missed, extension granted Mon 19/10 to Fri 23/10 (2 late days: 16, 19);
    submitted Tue 27/10 (2 late days: 26, 27)."""
    t = task(ev("extension_grant", at(19), new_due="2026-10-23"),
             ev("submit", at(27)), ev("approve", at(28)))
    found = delays(t, CAL, END)
    assert [(d.deadline, d.settled_by, d.workdays_late) for d in found] == [
        (dt.date(2026, 10, 15), 0, 2),
        (dt.date(2026, 10, 23), 1, 2),
    ]
    assert bucket(t, END) is Bucket.DONE_LATE


def test_an_extension_granted_after_the_deadline_leaves_the_work_done_late():
    """15/10 missed; extension granted Mon 19/10 to Fri 23/10 (2 late days: 16, 19);
    submitted Wed 21/10, within the new deadline: the work still counts a delay, so it is
    done late, and the 2 days are the step of whoever held it then."""
    t = task(ev("accept", at(1)), ev("extension_grant", at(19), new_due="2026-10-23"),
             ev("submit", at(21)), ev("approve", at(22)))
    assert [(d.deadline, d.workdays_late) for d in delays(t, CAL, END)] == [
        (dt.date(2026, 10, 15), 2)]
    assert done_late(t) is True
    assert bucket(t, END) is Bucket.DONE_LATE
    assert delay_by_holder(t, CAL, END) == {LEAD: 2}
    handed_off = task(
        ev("accept", at(1)),
        ev("transfer", at(14), to_unit=OTHER.unit, to_official=OTHER.official, reason="x"),
        ev("extension_grant", at(19), new_due="2026-10-23"),
        ev("return", at(20), to_unit=LEAD.unit, to_official=LEAD.official, reason="y"),
        ev("submit", at(21)), ev("approve", at(22)))
    assert delay_by_holder(handed_off, CAL, END) == {OTHER: 2}
    on_time = task(ev("extension_grant", at(15), new_due="2026-10-23"),
                   ev("submit", at(21)), ev("approve", at(22)))
    assert done_late(on_time) is False and delay_by_holder(on_time, CAL, END) == {}
    assert done_late(task(ev("accept", at(1)))) is None


def test_an_excuse_covers_the_earliest_delay():
    t = task(ev("extension_grant", at(19), new_due="2026-10-23"),
             ev("excuse_delay", at(20), reason="mất điện diện rộng"),
             ev("submit", at(27)), ev("approve", at(28)))
    found = delays(t, CAL, END)
    assert [d.excused_by for d in found] == [1, None]


def test_rework_moves_done_to_the_accepted_submit():
    """Submitted on time, sent back, resubmitted Mon 19/10: done late by 2 working days."""
    t = task(ev("submit", at(14)), ev("rework", at(16), major_error=True),
             ev("submit", at(19)), ev("approve", at(20)))
    assert done_at(t) == at(19)
    [delay] = delays(t, CAL, END)
    assert delay.workdays_late == 2
    assert bucket(t, END) is Bucket.DONE_LATE


def test_open_work_past_its_deadline_is_overdue():
    t = task(ev("accept", at(1)))
    assert bucket(t, at(15, 20)) is Bucket.OPEN_WITHIN_DEADLINE
    assert bucket(t, at(16, 9)) is Bucket.OPEN_OVERDUE
    [delay] = delays(t, CAL, at(20, 12))
    assert (delay.settled_by, delay.workdays_late) == (None, 3)


def test_cancelled_work_is_in_no_bucket():
    t = task(ev("cancel", at(5), reason="trùng nhiệm vụ"))
    assert bucket(t, END) is None
    assert bucket(t, at(4)) is Bucket.OPEN_WITHIN_DEADLINE
    assert delays(t, CAL, END) == []


def test_holders_and_whose_step_each_late_day_was():
    """Lead holds 1–13/10, transfers to OTHER who returns it Tue 20/10 (late days 16, 19,
    20 are OTHER's), lead submits Thu 22/10 (21, 22 are the lead's), boss approves."""
    t = task(ev("accept", at(1)),
             ev("transfer", at(13), to_unit=OTHER.unit, to_official=OTHER.official, reason="x"),
             ev("return", at(20), to_unit=LEAD.unit, to_official=LEAD.official, reason="y"),
             ev("submit", at(22)), ev("approve", at(23)))
    intervals = holder_intervals(t, CAL, END)
    assert [(i.holder, i.start, i.end) for i in intervals] == [
        (LEAD, at(1, 8), at(13)),
        (OTHER, at(13), at(20)),
        (LEAD, at(20), at(22)),
    ]
    assert delay_by_holder(t, CAL, END) == {OTHER: 3, LEAD: 2}


def test_review_time_is_the_assigners():
    """Submitted on time Wed 14/10, sent back Tue 20/10 by the assigner: 16, 19, 20 are late
    days in the assigner's hands; resubmitted Wed 21/10: one late day for the lead."""
    t = task(ev("submit", at(14)), ev("rework", at(20), major_error=False),
             ev("submit", at(21)), ev("approve", at(21, 15)))
    assert delay_by_holder(t, CAL, END) == {BOSS: 3, LEAD: 1}


def test_review_time_of_work_waiting_for_review_is_nobodys_delay():
    """As `delays` counts it: handed in on time and still waiting on 22/10, no late day for
    the assigner; handed in late on 19/10, the lead's 2 late days and none after."""
    waiting = task(ev("submit", at(14)))
    assert delay_by_holder(waiting, CAL, at(22)) == {}
    assert holder_intervals(waiting, CAL, at(22))[-1].holder == BOSS
    late = task(ev("submit", at(19, 10)))
    assert delay_by_holder(late, CAL, at(22)) == {LEAD: 2}
    # A head leading work they assigned hands it in to themself: no new holder, the same
    # rule (found by a review: the 4 review days were counted as late too).
    own = TaskHistory("T1", at(1, 8), dt.date(2026, 10, 15), BOSS, BOSS,
                      (ev("submit", at(19)),))
    assert delay_by_holder(own, CAL, at(23)) == {BOSS: 2} == {
        BOSS: sum(d.workdays_late for d in delays(own, CAL, at(23)))}


def test_waiting_for_guidance_is_the_superiors_step():
    t = task(ev("guidance_request", at(14), to_unit=BOSS.unit, to_official=BOSS.official,
                question="?"),
             ev("guidance_reply", at(19)), ev("submit", at(20)), ev("approve", at(20, 15)))
    assert delay_by_holder(t, CAL, END) == {BOSS: 2, LEAD: 1}


# -- properties ------------------------------------------------------------------------

days = st.integers(min_value=2, max_value=28)


@given(submit_day=days, approve_after=st.integers(min_value=0, max_value=3))
def test_late_days_attributed_equal_the_delay(submit_day, approve_after):
    """With no hand-offs, every late working day is the lead's, and they add up to the delay."""
    t = task(ev("submit", at(submit_day)), ev("approve", at(submit_day + approve_after, 20)))
    total = sum(d.workdays_late for d in delays(t, CAL, END))
    assert sum(delay_by_holder(t, CAL, END).values()) == total


@given(steps=st.lists(st.tuples(st.sampled_from(["transfer", "return", "grant"]), days),
                     max_size=4),
       submit_day=days)
def test_late_days_attributed_add_up_to_the_delays(steps, submit_day):
    """Whatever the hand-offs and the extensions (granted before or after their deadline),
    the late working days attributed to the holders add up to the delays' working days."""
    events = [ev("accept", at(1))]
    deadline = dt.date(2026, 10, 15)
    for n, (kind, day) in enumerate(sorted(steps, key=lambda step: step[1])):
        if day >= submit_day:
            break
        when = at(day, 10) + dt.timedelta(minutes=n)
        if kind == "grant":  # later than the deadline in force and than the day it is given
            deadline = max(deadline, when.date()) + dt.timedelta(days=3)
            events.append(ev("extension_grant", when, new_due=deadline.isoformat()))
        else:
            to = OTHER if kind == "transfer" else LEAD
            events.append(ev(kind, when, to_unit=to.unit, to_official=to.official, reason="x"))
    events += [ev("submit", at(submit_day, 16)), ev("approve", at(submit_day, 20))]
    t = task(*events)
    found = delays(t, CAL, END)
    assert sum(delay_by_holder(t, CAL, END).values()) == sum(d.workdays_late for d in found)
    assert done_late(t) is bool(found)
    waiting = task(*events[:-1])  # not yet approved: counted as of the hand-in
    assert sum(delay_by_holder(waiting, CAL, END).values()) == sum(
        d.workdays_late for d in delays(waiting, CAL, END))
    own = replace(waiting, lead=BOSS)  # the assigner leads it: handed in to themself
    assert sum(delay_by_holder(own, CAL, END).values()) == sum(
        d.workdays_late for d in delays(own, CAL, END))


@given(submit_day=days, remind_day=days)
def test_an_event_that_hands_nothing_over_changes_no_fact(submit_day, remind_day):
    """A reminder adds no delay, moves no deadline and changes no holder."""
    base = [ev("submit", at(submit_day)), ev("approve", at(submit_day, 20))]
    plain = task(*base)
    reminded = task(*base, ev("remind", at(remind_day, 10)))
    assert delays(plain, CAL, END) == delays(reminded, CAL, END)
    assert bucket(plain, END) == bucket(reminded, END)
    assert delay_by_holder(plain, CAL, END) == delay_by_holder(reminded, CAL, END)


def test_an_excuse_given_after_hand_in_still_counts():
    """The objective cause is often confirmed after the work was submitted and approved."""
    t = task(ev("submit", at(20)), ev("approve", at(21)),
             ev("excuse_delay", at(23), reason="lũ lụt"))
    [delay] = delays(t, CAL, END)
    assert delay.excused_by == 2
    assert delays(t, CAL, at(22))[0].excused_by is None


# -- what is derived once (LogFacts) gives the answers of reading the log -----------------

FACT_KINDS = ["accept", "transfer", "return", "extension_grant", "submit", "approve",
              "rework", "cancel", "remind", "consult"]
moments = st.builds(lambda day, hour: at(day, hour), st.integers(min_value=1, max_value=31),
                    st.integers(min_value=0, max_value=23))


@st.composite
def any_log(draw) -> TaskHistory:
    """Any log, in order of time or not, with equal times: `LogFacts` must not care."""
    events = []
    for _ in range(draw(st.integers(min_value=0, max_value=10))):
        kind = draw(st.sampled_from(FACT_KINDS))
        due = dt.date(2026, 10, draw(st.integers(min_value=10, max_value=30)))
        events.append(Event(kind, draw(moments), None,
                            {"new_due": due.isoformat(), "to_unit": OTHER.unit}))
    return task(*events)


def _done_by_reading(ordered) -> int | None:
    pending = done = None
    for index, event in ordered:
        if event.kind == "submit":
            pending = index
        elif event.kind == "rework":
            pending = done = None
        elif event.kind == "approve" and pending is not None:
            done = pending
        elif event.kind == "cancel":
            return None
    return done


@given(history=any_log(), moment=moments)
def test_log_facts_give_the_answers_of_reading_the_log(history, moment):
    """Every fact derived once equals the same question answered from the raw log."""
    events = history.events
    ordered = sorted(enumerate(events), key=lambda pair: (pair[1].at, pair[0]))
    facts = log_facts(history)
    assert list(facts.ordered) == ordered
    assert facts.in_order == (ordered == list(enumerate(events)))
    assert list(facts.days) == [e.at.astimezone(VIETNAM).date() for e in events]
    done = _done_by_reading(ordered)
    assert done_event(history) == done
    cancels = [e.at for e in events if e.kind == "cancel"]
    assert closed_at(history) == (events[done].at if done is not None
                                  else (cancels[0] if cancels else None))
    granted = [e for _i, e in ordered if e.kind == "extension_grant" and e.at <= moment]
    assert deadline_in_force(history, moment) == (
        dt.date.fromisoformat(granted[-1].data["new_due"]) if granted else history.due)
    for kind in FACT_KINDS:
        assert list(facts.of_kind(kind)) == [(i, e) for i, e in enumerate(events)
                                             if e.kind == kind]
    assert facts.of_kinds(("transfer", "return")) == [
        (i, e) for i, e in enumerate(events) if e.kind in {"transfer", "return"}]


@given(history=any_log(), moment=moments)
def test_a_log_read_in_utc_gives_the_facts_of_the_same_log_in_vietnam_time(history, moment):
    """The database gives UTC moments, whose days in Vietnam are remembered (`local_day`):
    the same log in UTC answers as in Vietnam time (days, delays, holders), asked twice."""
    in_utc = replace(history, assigned_at=history.assigned_at.astimezone(dt.UTC), events=tuple(
        replace(e, at=e.at.astimezone(dt.UTC)) for e in history.events))
    as_of = moment.astimezone(dt.UTC)
    for _ in range(2):
        assert [local_day(e.at) for e in in_utc.events] == [
            e.at.astimezone(VIETNAM).date() for e in history.events]
        assert list(log_facts(in_utc).days) == list(log_facts(history).days)
        assert delays(in_utc, CAL, as_of) == delays(history, CAL, moment)
        assert delays(in_utc, CAL, as_of, excuses_any_time=True) == delays(
            history, CAL, moment, excuses_any_time=True)
        assert delay_by_holder(in_utc, CAL, as_of) == delay_by_holder(history, CAL, moment)


def test_log_facts_are_kept_with_the_history_and_are_not_part_of_its_value():
    history = task(ev("submit", at(14)), ev("approve", at(15)))
    facts = log_facts(history)
    assert log_facts(history) is facts
    assert history == task(ev("submit", at(14)), ev("approve", at(15)))
    assert replace(history, due=dt.date(2026, 10, 20)).due == dt.date(2026, 10, 20)
    assert TaskHistory("T", at(1), dt.date(2026, 10, 15), LEAD, BOSS,
                       [ev("submit", at(14))]).events == (ev("submit", at(14)),)


def test_remembered_intervals_cannot_be_changed_by_a_caller():
    history = task(ev("transfer", at(5), to_unit=OTHER.unit), ev("submit", at(20)),
                   ev("approve", at(21)))
    first = holder_intervals(history, CAL, END)
    first.clear()
    assert holder_intervals(history, CAL, END) == holder_intervals(
        replace(history), CAL, END) != []

"""Administrative dossiers (hồ sơ thủ tục hành chính) and citizens' feedback, read from logs.

Rules (domain.md, "Citizens, dossiers and the service index"; Decision 766/QĐ-TTg, 2022;
Decree 61/2018/NĐ-CP on the one-stop shop):

- A dossier's deadline is the N-th working day after the day of receipt, N being the
  procedure's legal processing time (`dossier_due`).
- While the applicant is asked for supplements the clock stops: when the supplements come in,
  the deadline in force moves by the working days the dossier waited (`due_in_force`).
- The applicant may be asked for supplements once; a second request raises **S10**
  (`repeated_supplements`).
- When a deadline will be missed, an apology slip (phiếu xin lỗi và hẹn lại: a reason and a
  new date) must be issued on or before the deadline day; a dossier late without one raises
  **S11** (`late_without_apology`). The slip does not make the dossier on time: it is still
  counted late in the service index.
- Feedback forwarded as "not our responsibility" moves between units like a transfer: it
  raises **S3** when it comes back to a unit that already forwarded it, or when it has been
  forwarded `transfers` (3) times (`feedback_ping_pong`).

Pure: no clock, no database; the caller passes the logs, the calendar and `as_of`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .calendar import WorkCalendar
from .history import end_of_day, local_day
from .signals import Signal, period_label

#: dossier event kinds (the exchange format's names)
RECEIVE = "receive"
MOVE = "move"
SUPPLEMENT_REQUEST = "supplement_request"
SUPPLEMENT_RECEIVED = "supplement_received"
APOLOGY = "apology"
RESULT = "result"
RATE = "rate"
DOSSIER_KINDS = (RECEIVE, MOVE, SUPPLEMENT_REQUEST, SUPPLEMENT_RECEIVED, APOLOGY, RESULT, RATE)

#: feedback event kinds that move a case to another unit
FORWARD = "forward"


@dataclass(frozen=True)
class CaseEvent:
    """One entry of a dossier's or a feedback's log: who acted, and the holder afterwards."""

    kind: str
    at: dt.datetime
    actor: str | None = None
    #: the unit and official holding the case after this event
    unit: str = ""
    official: str | None = None
    data: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class DossierHistory:
    """A dossier: the day it was received, its original deadline and its log (in order of
    time; the first event is the receipt)."""

    code: str
    unit: str
    received_at: dt.datetime
    due: dt.date
    events: tuple[CaseEvent, ...] = ()
    online: bool = False


@dataclass(frozen=True)
class FeedbackHistory:
    """A feedback case: the unit it was first sent to and its log."""

    code: str
    unit: str
    submitted_at: dt.datetime
    events: tuple[CaseEvent, ...] = ()


# -- from an exchange document ------------------------------------------------------------

#: fields of a case event record (exchange format) that are the `CaseEvent` itself
_CASE_FRAME = frozenset({"kind", "at", "actor"})


def _moment(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def _case_data(record: Mapping, **more: object) -> Mapping[str, object]:
    data = {k: v for k, v in record.items() if k not in _CASE_FRAME}
    return MappingProxyType({**data, **more})


def load_cases(document: Mapping, *, calendar: WorkCalendar
               ) -> tuple[list[DossierHistory], list[FeedbackHistory]]:
    """The `dossiers` and `feedback` of an exchange document (docs/exchange-format.md) as
    the engine reads them from the database (citizens/adapters.py):

    - a dossier's log begins with its receipt (an event the document does not write: it is
      the record itself), at the first step's unit, held by `received_by`; a `move` goes to
      the next step's unit and `to_official`; every other event leaves the holder as it is.
      Its deadline is `due` if given, else the procedure's `processing_days`-th working day
      after the day of receipt (`calendar`). The procedure is described on its first dossier
      in the document.
    - a feedback case's log, as S3 reads it: its `forward` events, each leaving the case
      with `to_unit`.

    The document is trusted, as by `scenario.load_scenario`."""
    procedures: dict[str, Mapping] = {}
    dossiers: list[DossierHistory] = []
    for record in document.get("dossiers", ()):
        procedure = procedures.setdefault(record["procedure"], record)
        steps = procedure["steps"]
        received_at = _moment(record["received_at"])
        due = (dt.date.fromisoformat(record["due"]) if record.get("due") else
               dossier_due(calendar, local_day(received_at), procedure["processing_days"]))
        step, unit, official = 0, steps[0]["unit"], record["received_by"]
        events = [CaseEvent(RECEIVE, received_at, official, unit, official, MappingProxyType(
            {"step": steps[0]["name"], "due": due.isoformat(), "channel": record["channel"]}))]
        for event in record.get("events", ()):
            more: dict[str, object] = {}
            if event["kind"] == MOVE:
                step += 1
                unit, official = steps[step]["unit"], event.get("to_official")
                more = {"step": steps[step]["name"], "to_unit": unit}
            events.append(CaseEvent(event["kind"], _moment(event["at"]), event.get("actor"),
                                    unit, official, _case_data(event, **more)))
        dossiers.append(DossierHistory(record["code"], steps[0]["unit"], received_at, due,
                                       tuple(events), online=record["channel"] == "online"))
    feedback = [
        FeedbackHistory(record["code"], record["unit"], _moment(record["submitted_at"]), tuple(
            CaseEvent(FORWARD, _moment(event["at"]), event.get("actor"), event["to_unit"],
                      data=_case_data(event))
            for event in record.get("events", ()) if event["kind"] == FORWARD))
        for record in document.get("feedback", ())
    ]
    return dossiers, feedback


# -- deadlines -------------------------------------------------------------------------------


def dossier_due(calendar: WorkCalendar, received_on: dt.date, processing_days: int) -> dt.date:
    """The deadline of a dossier received on `received_on`: the `processing_days`-th working
    day after it (a dossier received on a day off counts from that day all the same)."""
    return calendar.add_workdays(received_on, processing_days)


def due_in_force(history: DossierHistory, calendar: WorkCalendar,
                 as_of: dt.datetime | None = None) -> dt.date:
    """The original deadline, moved by the working days spent waiting for supplements
    (each request up to the supplements' arrival). A request still waiting at `as_of` moves
    the deadline by the working days waited so far."""
    due = history.due
    waiting_since: dt.date | None = None
    for event in history.events:
        if as_of is not None and event.at > as_of:
            break
        if event.kind == SUPPLEMENT_REQUEST and waiting_since is None:
            waiting_since = local_day(event.at)
        elif event.kind == SUPPLEMENT_RECEIVED and waiting_since is not None:
            due = calendar.add_workdays(due, calendar.workdays_between(
                waiting_since, local_day(event.at)))
            waiting_since = None
    if waiting_since is not None and as_of is not None:
        due = calendar.add_workdays(due, calendar.workdays_between(waiting_since,
                                                                   local_day(as_of)))
    return due


def result_at(history: DossierHistory) -> dt.datetime | None:
    """When the result was returned to the applicant (None: not yet)."""
    for event in history.events:
        if event.kind == RESULT:
            return event.at
    return None


def holder_at(history: DossierHistory, moment: dt.datetime) -> tuple[str, str | None]:
    """(unit, official) holding the dossier at `moment`: the holder after the last event
    at or before it."""
    holder: tuple[str, str | None] = (history.unit, None)
    for event in history.events:
        if event.at > moment:
            break
        if event.unit:
            holder = (event.unit, event.official)
    return holder


def step_at(history: DossierHistory, moment: dt.datetime) -> str | None:
    """The name of the procedure step the dossier was in at `moment` (None: not known)."""
    step: str | None = None
    for event in history.events:
        if event.at > moment:
            break
        if event.data.get("step"):
            step = str(event.data["step"])
    return step


def apology_before_deadline(history: DossierHistory, due: dt.date) -> int | None:
    """The index of the first apology slip issued on or before the deadline day."""
    for index, event in enumerate(history.events):
        if event.kind == APOLOGY and local_day(event.at) <= due:
            return index
    return None


def is_late(history: DossierHistory, calendar: WorkCalendar, as_of: dt.datetime) -> bool:
    """Done after the deadline in force, or still open after it at `as_of`."""
    done = result_at(history)
    if done is not None and done <= as_of:
        return local_day(done) > due_in_force(history, calendar, done)
    return local_day(as_of) > due_in_force(history, calendar, as_of)


def will_be_late(*, due: dt.date, today: dt.date, later_allowance: int,
                 calendar: WorkCalendar) -> bool:
    """Whether an open dossier will miss `due`: the working days left after `today` are not
    more than the allowances of the steps still to come after the current one (the current
    step needs time too). A dossier at its last step is assumed to make it."""
    return later_allowance > 0 and calendar.workdays_between(today, due) <= later_allowance


# -- signals ---------------------------------------------------------------------------------


def _dmy(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _cut(events: Iterable[CaseEvent], as_of: dt.datetime) -> list[tuple[int, CaseEvent]]:
    return [(i, e) for i, e in enumerate(events) if e.at <= as_of]


def repeated_supplements(histories: Iterable[DossierHistory], *, period_start: dt.date,
                         period_end: dt.date, as_of: dt.datetime) -> Iterator[Signal]:
    """S10, repeated supplements (yêu cầu bổ sung hồ sơ nhiều lần): the applicant was asked
    for more documents more than once. Each request after the first raises one signal, named
    for the official who made it (they answer why the first request did not list everything),
    on the day of that request.

    Basis: Decree 61/2018/NĐ-CP art. 15 (the one-stop shop says at once, and in full, what is
    missing); domain.md S10.
    """
    period = period_label(period_start, period_end)
    for history in histories:
        requests: list[int] = []
        for index, event in _cut(history.events, as_of):
            if event.kind != SUPPLEMENT_REQUEST:
                continue
            requests.append(index)
            day = local_day(event.at)
            if len(requests) < 2 or not period_start <= day <= period_end:
                continue
            yield Signal(
                "S10", history.code, event.actor, event.unit or history.unit, period, day,
                (requests[0], index),
                f"Hồ sơ {history.code}: yêu cầu bổ sung lần {len(requests)} "
                f"(lần đầu ngày {_dmy(local_day(history.events[requests[0]].at))})",
                anchor=str(index))


def late_without_apology(histories: Iterable[DossierHistory], *, calendar: WorkCalendar,
                         period_start: dt.date, period_end: dt.date,
                         as_of: dt.datetime) -> Iterator[Signal]:
    """S11, late without apology (trễ hạn không xin lỗi): the dossier's deadline in force
    passed with the dossier still open, and no apology slip had been issued by the end of
    that day. Raised on the deadline day (a dossier belongs to the period of its deadline, as
    a task does), once the day is over at `as_of`; named for whoever held the dossier at the
    end of the deadline day.

    Basis: Decree 61/2018/NĐ-CP art. 19 (phiếu xin lỗi và hẹn lại, issued before the deadline);
    Decision 766/QĐ-TTg; domain.md S11.
    """
    period = period_label(period_start, period_end)
    for history in histories:
        if history.received_at > as_of:
            continue
        done = result_at(history)
        due = due_in_force(history, calendar, done if done and done <= as_of else as_of)
        deadline_end = end_of_day(due)
        if deadline_end > as_of:
            continue  # the deadline day is not over yet
        if done is not None and done < deadline_end:
            continue  # done in time
        if not period_start <= due <= period_end:
            continue
        if apology_before_deadline(history, due) is not None:
            continue
        unit, official = holder_at(history, deadline_end - dt.timedelta(microseconds=1))
        held = [i for i, e in _cut(history.events, deadline_end) if e.unit]
        yield Signal(
            "S11", history.code, official, unit, period, due, tuple(held[-1:]),
            f"Hồ sơ {history.code} quá hạn {_dmy(due)} mà không có phiếu xin lỗi và hẹn lại "
            f"trước hạn", anchor=due.isoformat())


def feedback_ping_pong(histories: Iterable[FeedbackHistory], *, period_start: dt.date,
                       period_end: dt.date, as_of: dt.datetime,
                       transfers: int = 3) -> Iterator[Signal]:
    """S3 for feedback: a case answered "not our responsibility" is forwarded to another unit;
    it is ping-pong when it comes back to a unit that already forwarded it (named for the unit
    that sent it back), or when it has been forwarded `transfers` times (named for the unit
    first concerned).

    Basis: Directive 24-CT/TU, appendix (đùn đẩy); domain.md S3 and "Citizens": "not our
    responsibility" counts as a transfer.
    """
    period = period_label(period_start, period_end)
    for history in histories:
        holder = history.unit
        passed: dict[str, int] = {}
        moves: list[int] = []
        for index, event in _cut(history.events, as_of):
            if event.kind != FORWARD:
                continue
            target = str(event.data.get("to_unit") or event.unit)
            day = local_day(event.at)
            inside = period_start <= day <= period_end
            if target in passed and target != holder and inside:
                first = passed[target]
                yield Signal(
                    "S3", history.code, event.actor, holder, period, day, (first, index),
                    f"Phản ánh {history.code} bị chuyển trả về đơn vị đã chuyển đi "
                    f"(lần chuyển #{first + 1} và #{index + 1})", anchor=f"{first}-{index}")
            moves.append(index)
            if len(moves) == transfers and inside:
                yield Signal(
                    "S3", history.code, None, history.unit, period, day, tuple(moves),
                    f"Phản ánh {history.code} đã bị chuyển {transfers} lần "
                    f"(\"không thuộc thẩm quyền\")", anchor="count")
            if target != holder:
                passed[holder] = index
            holder = target

"""Signals in the test world (thuocdo.core.testing.build_world), made through the workflow."""

from __future__ import annotations

from django.utils import timezone

from thuocdo.measure.history import local_day


def month_of(day) -> str:
    return f"{day.year}-{day.month:02d}"


def late_task(world, *, code="T-LATE", unit="HN.CG.VP", lead="CG.STAFF"):
    """Assigned 20 days ago, due 10 days ago, never touched: late (S1) and silent (S8)."""
    from thuocdo.tasks.tests.api_routes import make_task

    return make_task(world, code=code, unit=unit, lead=lead, days_ago=20, due_in=-10)


def refresh_for(task):
    """Compute and store the signals of the month of the task's deadline; the S1 record."""
    from thuocdo.accountability.models import SignalRecord
    from thuocdo.accountability.services import signals_refresh

    period = month_of(task.due)
    signals_refresh(period=period, as_of=timezone.now())
    return SignalRecord.objects.get(code="S1", task=task)


def s1_signal(world):
    """The S1 signal of a late task of CG.STAFF (HN.CG.VP)."""
    return {"pk": refresh_for(late_task(world)).pk}


def requested_signal(world):
    """The same, with an explanation requested by the head."""
    from thuocdo.accountability import services

    signal = refresh_for(late_task(world))
    services.signal_request_explanation(signal=signal, user=world.user("head"),
                                        text="Vì sao chậm?")
    return {"pk": signal.pk}


def let_due_day_pass(signal, *, days: int = 1):
    """As if the explanation's due day had passed `days` days ago (time moves on)."""
    import datetime as dt

    from thuocdo.accountability.models import SignalRecord

    SignalRecord.objects.filter(pk=signal.pk).update(
        explanation_due=local_day(timezone.now()) - dt.timedelta(days=days))
    signal.refresh_from_db()
    return signal


def overdue_signal(world):
    """The same, its explanation requested by the head and not given by its due day: the
    leaders may decide it."""
    from thuocdo.accountability.models import SignalRecord

    signal = SignalRecord.objects.get(pk=requested_signal(world)["pk"])
    let_due_day_pass(signal)
    return {"pk": signal.pk}


def today_month() -> str:
    return month_of(local_day(timezone.now()))


def unit_signal(world, *, official=None):
    """A signal about HN.CG (S8), this month: with nobody named its head (the "head" user)
    answers for it; or naming `official` (a code of the test world)."""
    from thuocdo.accountability.models import SignalRecord

    now = timezone.now()
    named = world.officials[official] if official else None
    return SignalRecord.objects.create(
        key=f"S8|HN.CG|{official or ''}", code="S8", period=today_month(),
        raised_on=local_day(now), subject_kind="person", unit=world.units["HN.CG"],
        official=named, explanation="Im lặng", first_seen=now, last_seen=now)


def member(world, code, *, unit, position, user=True):
    """A new official of the test world placed in `unit` at `position` (with a user, by
    default; the user is returned, else the official)."""
    from thuocdo.accounts import services as accounts
    from thuocdo.core.testing import PASSWORD, SINCE
    from thuocdo.org import services as org

    official = org.official_create(code=code, name=f"Cán bộ {code}",
                                   email=f"{code.lower()}@example.vn")
    org.membership_start(official=official, unit=world.units[unit], position=position,
                         task_group=world.groups["TH"], start=SINCE)
    world.officials[code] = official
    if not user:
        return official
    return accounts.user_create(email=official.email, password=PASSWORD, official=official)


def colleague_signal(world):
    """A signal about a person across tasks (S12, not yet confirmed, no single task) naming
    CG.STAFF2, a colleague of the "staff" user in HN.CG.VP, with its evidence: event #2
    (the acceptance, the engine's index 0) of the tasks T-COL1 and T-COL2 that CG.STAFF2
    leads."""
    from thuocdo.accountability.models import SignalRecord
    from thuocdo.tasks.tests.api_routes import act, make_task

    first = make_task(world, code="T-COL1", lead="CG.STAFF2")
    second = make_task(world, code="T-COL2", lead="CG.STAFF2")
    for task in (first, second):
        act(world, task, "accept", "CG.STAFF2")
    now = timezone.now()
    signal = SignalRecord.objects.create(
        key="S12|CG.STAFF2", code="S12", period=today_month(), raised_on=local_day(now),
        subject_kind="person", unit=world.units["HN.CG.VP"],
        official=world.officials["CG.STAFF2"], needs_confirmation=True,
        events=[[first.code, 0], [second.code, 0]],
        explanation=f"Nhận việc rồi để đó: {first.code}, {second.code}", first_seen=now,
        last_seen=now)
    return {"pk": signal.pk}

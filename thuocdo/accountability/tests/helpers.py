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

"""Building tasks, events and notifications for the notifications tests (through services)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from thuocdo.tasks import services as task_services
from thuocdo.tasks.models import Product

TZ = timezone.get_fixed_timezone(7 * 60)
D = dt.date
_codes = itertools.count(1)
DUE = D(2026, 10, 15)


def at(day: int, hour: int = 9, month: int = 10, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, 0, tzinfo=TZ)


def product() -> Product:
    found = Product.objects.filter(code="BC").first()
    return found or task_services.product_create(code="BC", name="Báo cáo", coefficient=Decimal(1))


def assign(world, *, lead: str = "CG.STAFF", unit: str = "HN.CG.VP", by: str = "CG.HEAD",
           due: dt.date = DUE, when: dt.datetime | None = None,
           title: str = "Báo cáo sơ kết 6 tháng", **extra):
    return task_services.task_assign(
        assigned_by=world.officials[by], title=title, product=product(),
        lead_unit=world.units[unit], lead_official=world.officials[lead], due=due,
        at=when or at(1, 8), allow_past_due=True, code=f"NV-T{next(_codes):05d}", **extra,
    )


def act(world, task, kind: str, who: str, when: dt.datetime, **data):
    return task_services.task_act(task=task, kind=kind, actor=world.officials[who], data=data,
                                  at=when)


def notification_for(world, code: str = "CG.STAFF"):
    """A fresh "assigned" notification of official `code` (a new task assigned now)."""
    from thuocdo.notifications.models import Notification
    from thuocdo.notifications.services import notifications_from_events

    today = timezone.localdate()
    task = assign(world, lead=code, due=today + dt.timedelta(days=30), when=timezone.now())
    notifications_from_events()
    return Notification.objects.get(task=task, recipient=world.officials[code])

"""The signal admin (read-only): events numbered as the task and signal pages number them,
with links; periods in words."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from thuocdo.accountability.models import SignalRecord
from thuocdo.core.templatetags.periods import period_name
from thuocdo.tasks.tests.api_routes import make_task

from .helpers import colleague_signal, month_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _signal(world, *, events) -> SignalRecord:
    task = make_task(world, code="T-ADMIN")
    now = timezone.now()
    return SignalRecord.objects.create(
        key="S7|T-ADMIN", code="S7", period=month_of(task.due), raised_on=task.due,
        subject_kind="task", subject=task.code, task=task, unit=world.units["HN.CG.VP"],
        official=world.officials["CG.STAFF"], events=events, explanation="Kéo dài",
        first_seen=now, last_seen=now)


def test_the_signal_admin_numbers_events_as_the_task_page(world, client_for):
    """The engine's indexes 2 and 4 are events #4 and #6 on the task page (#1 is the
    assignment), each a link to it; across tasks each names its task."""
    signal = _signal(world, events=[2, 4])
    client = client_for(world.user("admin"))
    html = client.get(reverse("admin:accountability_signalrecord_change",
                              args=[signal.pk])).content.decode()
    task_url = reverse("tasks:task_detail", kwargs={"code": "T-ADMIN"})
    assert f'<a href="{task_url}#event-4">#4</a>, <a href="{task_url}#event-6">#6</a>' in html
    assert "[2, 4]" not in html
    assert period_name(signal.period) in html and f">{signal.period}<" not in html
    across = colleague_signal(world)["pk"]
    html = client.get(reverse("admin:accountability_signalrecord_change",
                              args=[across])).content.decode()
    for code in ("T-COL1", "T-COL2"):
        url = reverse("tasks:task_detail", kwargs={"code": code})
        assert f'<a href="{url}#event-2">{code} #2</a>' in html


def test_the_signal_admin_lists_periods_in_words(world, client_for):
    signal = _signal(world, events=[])
    client = client_for(world.user("admin"))
    response = client.get(reverse("admin:accountability_signalrecord_changelist"))
    html = response.content.decode()
    name = period_name(signal.period)
    assert html.count(name) >= 2  # the row and the filter
    assert f">{signal.period}<" not in html
    filtered = client.get(reverse("admin:accountability_signalrecord_changelist"),
                          {"period": signal.period})
    assert filtered.context["cl"].result_count == 1
    ordered = client.get(reverse("admin:accountability_signalrecord_changelist"), {"o": "2"})
    assert ordered.status_code == 200


def test_a_signal_and_a_delay_name_their_month_in_words(world):
    """The admin's titles, its history and the audit trail read `str()`: the month in
    words there too, never the ISO label alone."""
    from thuocdo.accountability.models import HolderDelay

    signal = _signal(world, events=[])
    assert str(signal) == f"S7 T-ADMIN {period_name(signal.period)}"
    delay = HolderDelay(period=signal.period, task=signal.task, workdays=3)
    assert str(delay).startswith(period_name(signal.period) + " ")

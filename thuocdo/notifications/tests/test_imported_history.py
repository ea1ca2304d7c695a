"""An imported history is past, not news: the events an import writes notify nobody, even
recent ones, and what is done after the import is notified as usual."""

from __future__ import annotations

import pytest

from thuocdo.exchange.importer import import_document
from thuocdo.notifications import services
from thuocdo.notifications.choices import NotificationKind as K
from thuocdo.notifications.models import NotificationFillState, PassedEvents
from thuocdo.tasks.models import TaskEvent

from .helpers import act, assign, at

pytestmark = pytest.mark.django_db

NOW = at(6, 17)


def run(**kwargs) -> int:
    return services.notifications_from_events(now=NOW, **kwargs)


def history(code: str) -> dict:
    """An exchange document carrying two more events of the stored task `code`: passed to
    its lead official (news if it were done in Thước đo), then a reminder."""
    return {"events": [
        {"task": code, "kind": "transfer", "at": "2026-10-02T09:00:00+07:00",
         "actor": "CG.STAFF", "to_unit": "HN.CG.VP", "to_official": "CG.STAFF2",
         "reason": "đúng chuyên môn"},
        {"task": code, "kind": "remind", "at": "2026-10-03T09:00:00+07:00",
         "actor": "CG.DEP"},
    ]}


def told(world) -> list[tuple[str, str]]:
    from thuocdo.notifications.models import Notification

    return list(Notification.objects.order_by("id").values_list("recipient__code", "kind"))


def test_an_imported_history_notifies_nobody_and_what_follows_does(world):
    """The job had read everything: the import moves its fill state past the imported
    events, which are never notified (even with no age limit, or re-read on purpose);
    an event recorded after the import is."""
    task = assign(world)
    assert run() == 1
    report = import_document(history(task.code), on=NOW.date())
    assert report.counts["events"].created == 2
    last = TaskEvent.objects.order_by("-id").first().pk
    assert NotificationFillState.objects.get().last_event_id == last
    assert run(max_age=None) == 0
    assert run(max_age=None, since_id=0) == 0
    act(world, task, "remind", "CG.DEP", at(5))
    assert run() == 1
    assert told(world) == [("CG.STAFF", K.ASSIGNED), ("CG.STAFF2", K.REMINDED)]


def test_events_recorded_before_an_import_are_still_notified(world):
    """Events people recorded before the import that the job had not read yet are news:
    only the import's own range is passed over."""
    task = assign(world)  # not yet read by the job
    before = TaskEvent.objects.get().pk
    import_document(history(task.code), on=NOW.date())
    passed = PassedEvents.objects.get()
    assert (passed.after, passed.upto) == (before, before + 2)
    assert not NotificationFillState.objects.filter(last_event_id__gt=0).exists()
    assert run(max_age=None) == 1
    assert told(world) == [("CG.STAFF", K.ASSIGNED)]


def test_a_dry_run_passes_nothing(world):
    task = assign(world)
    import_document(history(task.code), on=NOW.date(), dry_run=True)
    assert not PassedEvents.objects.exists()

"""An assigner may extend a deadline nobody asked to move (docs/workflow.md). Such a grant
says what happened: "Deadline extended" on the timeline, in the message after the action and
in the holder's notification; a grant that answered a pending request keeps "Extension
granted". Which one it was is read from the log (a request after the last grant or
refusal), so events recorded before read right too."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from thuocdo.notifications import services as notifications
from thuocdo.notifications.choices import NotificationKind
from thuocdo.notifications.models import Notification
from thuocdo.notifications.tests.helpers import act as act_at
from thuocdo.notifications.tests.helpers import assign, at
from thuocdo.tasks.tests.api_routes import act, make_task
from thuocdo.tasks.tests.test_grant_reason import iso

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

ANSWERED = "Extension granted"
UNASKED = "Deadline extended"


@pytest.fixture
def accepted(world):
    """T-CG, CG.STAFF's, assigned by CG.HEAD today and accepted."""
    return act(world, make_task(world), "accept", "CG.STAFF")


def _grant_on_the_page(world, client_for, task) -> tuple[str, list[dict]]:
    """The head grants an extension on the task's page: the message shown, and the
    timeline's rows of the extension events afterwards."""
    task.refresh_from_db()
    head = client_for(world.user("head"))
    url = reverse("tasks:task_act", kwargs={"kind": "extension_grant", "code": task.code})
    due = max(iso(45), (task.due_in_force + dt.timedelta(days=7)).isoformat())
    response = head.post(url, {"expected_version": task.version, "new_due": due,
                               "reason": "chờ số liệu"})
    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    page = head.get(task.get_absolute_url())
    return message, [row for row in page.context["timeline"]
                     if row["event"].kind.startswith("extension_")]


def test_an_unasked_extension_says_the_deadline_was_extended(world, client_for, accepted):
    message, rows = _grant_on_the_page(world, client_for, accepted)
    assert message.startswith(f"{UNASKED}: the new deadline is ")
    assert [str(row["label"]) for row in rows] == [UNASKED]


def test_a_grant_answering_a_request_says_the_extension_was_granted(world, client_for,
                                                                    accepted):
    act(world, accepted, "extension_request", "CG.STAFF", new_due=iso(45),
        reason="chờ số liệu của phường")
    message, rows = _grant_on_the_page(world, client_for, accepted)
    assert message.startswith(f"{ANSWERED}: the new deadline is ")
    assert [str(row["label"]) for row in rows] == ["Extension requested", ANSWERED]


def test_the_labels_are_read_from_the_log(world, client_for, accepted):
    """A refused request leaves nothing pending: the grant after it was unasked; a grant
    after a new request answered it; a second grant in a row answered nothing."""
    act(world, accepted, "extension_request", "CG.STAFF", new_due=iso(40), reason="a")
    act(world, accepted, "extension_refuse", "CG.HEAD", reason="b")
    act(world, accepted, "extension_grant", "CG.HEAD", new_due=iso(35), reason="c")
    act(world, accepted, "extension_request", "CG.STAFF", new_due=iso(40), reason="d")
    act(world, accepted, "extension_grant", "CG.HEAD", new_due=iso(40), reason="e")
    message, rows = _grant_on_the_page(world, client_for, accepted)
    assert message.startswith(f"{UNASKED}: ")
    assert [str(row["label"]) for row in rows] == [
        "Extension requested", "Extension refused", UNASKED, "Extension requested",
        ANSWERED, UNASKED]


def _grant_unasked_then_asked(world):
    task = assign(world)
    act_at(world, task, "accept", "CG.STAFF", at(2))
    act_at(world, task, "extension_grant", "CG.HEAD", at(2, 10), new_due="2026-10-20",
           reason="chờ số liệu")
    act_at(world, task, "extension_request", "CG.STAFF", at(2, 11), new_due="2026-10-22",
           reason="chờ số liệu quận")
    act_at(world, task, "extension_grant", "CG.HEAD", at(2, 12), new_due="2026-10-22",
           reason="đủ căn cứ")
    notifications.notifications_from_events(now=at(6, 17))
    return task


def _told(world, task) -> list[tuple[str, str]]:
    return list(Notification.objects.filter(kind=NotificationKind.EXTENSION_GRANTED, task=task,
                                            recipient=world.officials["CG.STAFF"])
                .order_by("id").values_list("title", "body"))


def test_the_holder_is_told_the_deadline_was_extended_or_the_request_granted(world):
    task = _grant_unasked_then_asked(world)
    assert _told(world, task) == [
        (f"{UNASKED}: {task.code}",
         "Nguyễn Văn Đức (CG.HEAD) extended the deadline of “Báo cáo sơ kết 6 tháng” "
         "(chờ số liệu). New deadline: 20/10/2026."),
        (f"{ANSWERED}: {task.code}",
         "Nguyễn Văn Đức (CG.HEAD) extended the deadline of “Báo cáo sơ kết 6 tháng” (đủ căn cứ). "
         "New deadline: 22/10/2026."),
    ]


def test_in_vietnamese_only_the_answer_to_a_request_says_agreed(world, settings, client_for,
                                                              accepted):
    """"Đồng ý gia hạn" (agreed to extend) answers a request; an unasked extension is not
    said to agree to anything, on the timeline, in the message or in the notification."""
    settings.LANGUAGE_CODE = "vi"
    message, rows = _grant_on_the_page(world, client_for, accepted)
    assert "ồng ý" not in message + str(rows[0]["label"])
    act(world, accepted, "extension_request", "CG.STAFF", new_due=iso(50), reason="a")
    message, rows = _grant_on_the_page(world, client_for, accepted)
    assert message.startswith("Đã đồng ý gia hạn")
    assert str(rows[-1]["label"]) == "Đồng ý gia hạn"
    task = _grant_unasked_then_asked(world)
    (unasked_title, unasked_body), (asked_title, asked_body) = _told(world, task)
    assert asked_title.startswith("Đồng ý gia hạn") and "đồng ý gia hạn" in asked_body
    assert "ồng ý" not in unasked_title + unasked_body

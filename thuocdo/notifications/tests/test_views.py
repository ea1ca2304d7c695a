"""The inbox page: one's own notifications only, unread highlighted, filtered, paged;
opening one marks it read and goes to the task; "mark all read"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from thuocdo.notifications import services
from thuocdo.notifications.models import Notification

from .helpers import act, assign, at

pytestmark = pytest.mark.django_db

INBOX = "/inbox/"


@pytest.fixture
def notified(world):
    """CG.STAFF: two notifications (assigned ×2); CG.STAFF2: one (transferred)."""
    first = assign(world, title="Báo cáo quý III")
    act(world, first, "transfer", "CG.STAFF", at(2), to_unit="HN.CG.VP",
        to_official="CG.STAFF2", reason="x")
    assign(world, title="Kế hoạch cải cách hành chính")
    services.notifications_from_events(now=at(3))
    return world


def test_the_inbox_lives_at_inbox():
    assert reverse("notifications:inbox") == INBOX


def test_the_inbox_shows_ones_own_notifications_newest_first(notified, client_for):
    response = client_for(notified.user("staff")).get(INBOX)
    assert response.status_code == 200
    page = response.context["page"]
    mine = list(Notification.objects.filter(recipient=notified.officials["CG.STAFF"])
                .order_by("-created_at", "-id"))
    assert list(page.object_list) == mine
    html = response.content.decode()
    assert "Kế hoạch cải cách hành chính" in html
    assert "notification--unread" in html
    assert response.context["inbox_unread"] == 2
    other = Notification.objects.get(recipient=notified.officials["CG.STAFF2"])
    assert reverse("notifications:open", kwargs={"pk": other.pk}) not in html


def test_the_unread_filter(notified, client_for):
    client = client_for(notified.user("staff"))
    note = Notification.objects.filter(recipient=notified.officials["CG.STAFF"]).first()
    services.notification_mark_read(official=notified.officials["CG.STAFF"], notification=note)
    response = client.get(INBOX, {"show": "unread"})
    assert response.context["show"] == "unread"
    assert note not in response.context["page"].object_list
    assert len(response.context["page"].object_list) == 1
    assert len(client.get(INBOX).context["page"].object_list) == 2


def test_the_inbox_is_paged(world, client_for):
    for _ in range(30):
        assign(world)
    services.notifications_from_events(now=at(3))
    client = client_for(world.user("staff"))
    assert len(client.get(INBOX).context["page"].object_list) == 25
    second = client.get(INBOX, {"page": 2}).context["page"]
    assert len(second.object_list) == 5


def test_opening_marks_read_and_goes_to_the_task(notified, client_for):
    note = Notification.objects.filter(recipient=notified.officials["CG.STAFF"]).first()
    response = client_for(notified.user("staff")).get(
        reverse("notifications:open", kwargs={"pk": note.pk}))
    assert response.status_code == 302
    assert response["Location"] == services.task_url(note.task.code)
    note.refresh_from_db()
    assert note.read_at is not None


def test_someone_elses_notification_is_not_found_and_stays_unread(notified, client_for):
    other = Notification.objects.get(recipient=notified.officials["CG.STAFF2"])
    for role in ("staff", "head", "admin"):
        response = client_for(notified.user(role)).get(
            reverse("notifications:open", kwargs={"pk": other.pk}))
        assert response.status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_mark_all_read(notified, client_for):
    client = client_for(notified.user("staff"))
    response = client.post(reverse("notifications:mark_all_read"), {"show": "unread"})
    assert response.status_code == 302
    assert response["Location"] == f"{INBOX}?show=unread"
    assert not Notification.objects.filter(recipient=notified.officials["CG.STAFF"],
                                           read_at__isnull=True).exists()
    assert Notification.objects.get(recipient=notified.officials["CG.STAFF2"]).read_at is None
    page = client.get(response["Location"])
    assert page.context["inbox_unread"] == 0
    assert "Mark all as read" not in page.content.decode()


def test_a_user_without_an_official_sees_an_empty_inbox_explained(notified, client_for):
    response = client_for(notified.user("admin")).get(INBOX)
    assert response.status_code == 200
    assert response.context["has_official"] is False
    assert list(response.context["page"].object_list) == []
    assert response.context["inbox_unread"] == 0


def test_the_unread_count_is_in_every_page(notified, client_for):
    response = client_for(notified.user("staff")).get(reverse("core:home"))
    assert response.context["inbox_unread"] == 2


def test_the_unread_count_costs_no_query_without_an_official(rf, world, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    from thuocdo.notifications.context_processors import inbox

    request = rf.get("/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert inbox(request) == {"inbox_unread": 0}
        request.user = world.user("admin")
        assert inbox(request) == {"inbox_unread": 0}
    request.user = world.user("staff")
    with django_assert_num_queries(1):
        assert inbox(request) == {"inbox_unread": 0}

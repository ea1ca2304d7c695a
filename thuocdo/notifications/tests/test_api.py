"""The notifications API: one's own only, the unread filter, marking read; others → 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from thuocdo.notifications import services
from thuocdo.notifications.models import Notification

from .helpers import act, assign, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def notified(world):
    """CG.STAFF: two notifications; CG.STAFF2: one."""
    first = assign(world)
    act(world, first, "transfer", "CG.STAFF", at(2), to_unit="HN.CG.VP",
        to_official="CG.STAFF2", reason="đúng chuyên môn")
    assign(world)
    services.notifications_from_events(now=at(3))
    return world


def mine(world, code: str):
    return Notification.objects.filter(recipient=world.officials[code]).order_by("-id")


def test_the_urls():
    assert reverse("api:notification-list") == "/api/notifications/"
    read = reverse("api:notification-read", kwargs={"notification_id": 7})
    assert read == "/api/notifications/7/read/"
    assert reverse("api:notification-read-all") == "/api/notifications/read-all/"


def test_list_is_the_callers_own(notified, client_for):
    response = client_for(notified.user("staff")).get("/api/notifications/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [n.pk for n in mine(notified, "CG.STAFF")]
    row = body["results"][0]
    assert row["kind"] == "assigned" and row["is_read"] is False and row["read_at"] is None
    assert row["task"].startswith("NV-T") and row["url"] == services.task_url(row["task"])
    assert set(row) == {"id", "kind", "kind_label", "task", "deadline", "title", "body", "url",
                        "created_at", "read_at", "is_read"}
    assert client_for(notified.user("admin")).get("/api/notifications/").json()["count"] == 0
    assert client_for(notified.user("head")).get("/api/notifications/").json()["count"] == 0


def test_unread_filter(notified, client_for):
    client = client_for(notified.user("staff"))
    first = mine(notified, "CG.STAFF").first()
    client.post(f"/api/notifications/{first.pk}/read/")
    unread = client.get("/api/notifications/", {"unread": "true"}).json()
    read = client.get("/api/notifications/", {"unread": "false"}).json()
    assert [r["id"] for r in unread["results"]] == [mine(notified, "CG.STAFF").last().pk]
    assert [r["id"] for r in read["results"]] == [first.pk]
    bad = client.get("/api/notifications/", {"unread": "perhaps"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    assert "unread" in bad.json()["errors"]


def test_read_marks_ones_own(notified, client_for):
    note = mine(notified, "CG.STAFF").first()
    response = client_for(notified.user("staff")).post(f"/api/notifications/{note.pk}/read/")
    assert response.status_code == 200
    assert response.json()["id"] == note.pk and response.json()["is_read"] is True
    note.refresh_from_db()
    assert note.read_at is not None


def test_read_of_someone_elses_is_not_found(notified, client_for):
    other = mine(notified, "CG.STAFF2").get()
    for role in ("staff", "admin", "head"):
        response = client_for(notified.user(role)).post(f"/api/notifications/{other.pk}/read/")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert client_for(notified.user("staff")).post(
        "/api/notifications/999999/read/").status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_read_all_marks_only_ones_own(notified, client_for):
    response = client_for(notified.user("staff")).post("/api/notifications/read-all/")
    assert response.status_code == 200 and response.json() == {"marked": 2}
    assert not mine(notified, "CG.STAFF").filter(read_at__isnull=True).exists()
    assert mine(notified, "CG.STAFF2").get().read_at is None
    again = client_for(notified.user("staff")).post("/api/notifications/read-all/")
    assert again.json() == {"marked": 0}


def test_token_authentication_reaches_the_same_inbox(notified, client):
    from thuocdo.accounts.services import user_api_token

    token = user_api_token(user=notified.user("staff")).key
    response = client.get("/api/notifications/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.json()["count"] == 2


def test_the_schema_documents_the_endpoints(world, client_for):
    response = client_for(world.user("staff")).get("/api/schema/", {"format": "json"})
    paths = response.json()["paths"]
    assert {"/api/notifications/", "/api/notifications/{notification_id}/read/",
            "/api/notifications/read-all/"} <= set(paths)
    assert paths["/api/notifications/"]["get"]["operationId"] == "notifications_list"

"""Notifications about score cards (kind "evaluation", written by the evaluations services):
the official finds them in their inbox and through the API, and opening one goes to the card
or the appeal it is about, which they may read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from thuocdo.evaluations import services as evaluations
from thuocdo.evaluations.models import Period, ScoreCard
from thuocdo.notifications.choices import NotificationKind
from thuocdo.notifications.models import Notification

pytestmark = pytest.mark.django_db

LABEL = "2026-10"


@pytest.fixture
def published(world):
    """2026-10 scored, reviewed, approved and published by the administrator."""
    admin = world.user("admin")
    period = evaluations.period_open(actor=admin, label=LABEL)
    evaluations.period_score(actor=admin, period=period)
    evaluations.period_start_review(actor=admin, period=period)
    for card in ScoreCard.objects.filter(period=period).select_related("official"):
        leader = ({"organising": 1, "uniting": 1}
                  if card.position in ("head", "deputy") else {})
        evaluations.assessment_set(actor=admin, period=period, official=card.official,
                                   general_points=30, **leader)
    for code in ("HN.CG.VP", "HN.CG", "HN.CG.DV", "HN.BD.VP"):
        evaluations.unit_review(actor=admin, period=period, unit=world.units[code])
    for code in ("HN.CG", "HN.CG.DV", "HN.BD"):
        evaluations.agency_approve(actor=admin, period=period, agency=world.units[code])
    # the notes of the procedure before (self-scoring, review, approval) are tested in
    # evaluations/tests/test_procedure_review2.py: here, the publication's and after
    Notification.objects.filter(kind=NotificationKind.EVALUATION).delete()
    evaluations.period_publish(actor=admin, period=Period.objects.get(pk=period.pk),
                               appeal_days=10, on=dt.date(2026, 11, 2))
    return Period.objects.get(pk=period.pk)


def test_the_grade_s_notification_opens_the_card(world, published, client_for):
    client = client_for(world.user("staff"))
    (note,) = client.get(reverse("notifications:inbox")).context["page"].object_list
    assert note.kind == NotificationKind.EVALUATION and note.task is None
    card = reverse("evaluations:card_detail", kwargs={"label": LABEL, "official": "CG.STAFF"})
    response = client.get(reverse("notifications:open", args=[note.pk]))
    assert response.status_code == 302 and response["Location"] == card
    assert client.get(card).status_code == 200
    assert Notification.objects.get(pk=note.pk).read_at is not None


def test_the_api_names_the_kind(world, published, client_for):
    rows = client_for(world.user("staff")).get("/api/notifications/").json()["results"]
    assert [(r["kind"], r["task"]) for r in rows] == [("evaluation", None)]
    assert rows[0]["kind_label"] == str(NotificationKind.EVALUATION.label)


def test_the_appeal_s_notification_opens_the_appeal_for_its_decider(world, published,
                                                                   client_for):
    card = ScoreCard.objects.get(period=published, official__code="CG.STAFF")
    appeal = evaluations.appeal_file(actor=world.user("staff"), card=card,
                                     reason="Chưa thỏa đáng", on=dt.date(2026, 11, 3))
    client = client_for(world.user("head"))
    note = Notification.objects.get(recipient=world.officials["CG.HEAD"],
                                    key__contains=f":appeal:{appeal.pk}:")
    response = client.get(reverse("notifications:open", args=[note.pk]))
    assert response["Location"] == reverse("evaluations:appeal_decide",
                                           kwargs={"pk": appeal.pk})
    page = client.get(response["Location"])
    assert page.status_code == 200 and page.context["form"] is not None

"""The evaluations API: periods with their filters; cards scoped as the pages scope them (an
official their own, a head their unit's subtree, never another unit's), each card exactly
the JSON of `thuocdo score --json`; the cards' filters; appeals filed and decided through
the services, refused outside the window, on someone else's card or a locked period, with
nothing written on a refusal; errors in the API's format and the caller's language."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from thuocdo.accounts import services as accounts
from thuocdo.core.models import AuditEntry
from thuocdo.core.testing import PASSWORD, assert_error, ok
from thuocdo.evaluations import services
from thuocdo.evaluations.models import Appeal, Period
from thuocdo.evaluations.serializers import PROCEDURE_KEYS
from thuocdo.notifications.models import Notification

from .helpers import quota_case_under_review
from .routes import PUBLISHED, REVIEW, _period

pytestmark = pytest.mark.django_db

#: the cards of the test world: HN.CG's six officials (the deputy, the head, two staff of
#: HN.CG.VP, the head of HN.CG.DV) and Ba Đình's one
CG_CARDS = {"CG.HEAD", "CG.DEP", "CG.STAFF", "CG.STAFF2", "DV.HEAD"}


def card_url(label, official, name="score-card-detail"):
    return reverse(f"api:{name}", kwargs={"period": label, "official": official})


def officials(response) -> list[str]:
    return [card["official"] for card in ok(response)["results"]]


def published(world, label="2026-08", *, until=10, status="published"):
    """The period scored, then published (its appeals open until `until` days from today),
    or in `status`; no appeal filed."""
    board = world.user("board")
    period = services.period_open(actor=board, label=label)
    services.period_score(actor=board, period=period)
    Period.objects.filter(pk=period.pk).update(
        status=status, appeal_until=timezone.localdate() + dt.timedelta(days=until))
    return Period.objects.get(pk=period.pk)


def written() -> tuple[int, int, int]:
    """What a refused appeal or decision must leave as it was."""
    return (Appeal.objects.count(), AuditEntry.objects.count(), Notification.objects.count())


# -- periods ------------------------------------------------------------------------------


def test_periods_list_and_filters(world, api):
    _period(world, REVIEW)
    _period(world, PUBLISHED)
    services.period_open(actor=world.user("board"), label="2026-Q3")
    services.period_open(actor=world.user("board"), label="2027-01")
    client = api("staff")

    def labels(**query):
        return [p["label"] for p in ok(client.get(reverse("api:evaluation-period-list"),
                                                  query))["results"]]

    assert labels() == ["2027-01", "2026-10", "2026-09", "2026-Q3"]  # latest start first
    assert labels(kind="quarter") == ["2026-Q3"]
    assert labels(status="published") == ["2026-09"]
    assert labels(status="review", kind="month") == ["2026-10"]
    assert labels(year=2027) == ["2027-01"]
    assert labels(year=2026, kind="month") == ["2026-10", "2026-09"]
    body = assert_error(client.get(reverse("api:evaluation-period-list"), {"kind": "week"}),
                        400, "invalid")
    assert set(body["errors"]) == {"kind"}
    assert set(assert_error(client.get(reverse("api:evaluation-period-list"),
                                       {"year": "năm"}), 400, "invalid")["errors"]) == {"year"}


def test_a_period_with_its_dates_and_the_callers_cards_by_status(world, api):
    _period(world, PUBLISHED)
    url = reverse("api:evaluation-period-detail", kwargs={"label": PUBLISHED})
    body = ok(api("head").get(url))
    until = timezone.localdate() + dt.timedelta(days=10)
    assert {k: body[k] for k in ("label", "kind", "start", "end", "status", "appeal_until")} \
        == {"label": "2026-09", "kind": "month", "start": "2026-09-01", "end": "2026-09-30",
            "status": "published", "appeal_until": until.isoformat()}
    assert body["name"] == "tháng 9/2026"
    assert body["accepting_appeals"] is True
    # as the period's page counts them: the cards the caller reads
    assert body["card_counts"] == {"draft": len(CG_CARDS), "reviewed": 0, "approved": 0}
    assert ok(api("staff").get(url))["card_counts"] == {"draft": 1, "reviewed": 0,
                                                         "approved": 0}
    assert ok(api("staff", "en").get(url))["name"] == "September 2026"
    assert_error(api(None).get(url), 403, "not_authenticated")
    assert_error(api("staff").get(reverse("api:evaluation-period-detail",
                                          kwargs={"label": "2030-01"})), 404, "not_found")


# -- cards: scope -------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "expected"), [
    ("staff", {"CG.STAFF"}),  # their own, not a colleague's
    ("outsider", {"BD.STAFF"}),
    ("head", CG_CARDS),  # their unit's subtree, their own card included
    ("deputy", CG_CARDS),
    ("board", CG_CARDS),
    ("inspector", CG_CARDS),
    ("admin", CG_CARDS | {"BD.STAFF"}),
])
def test_the_card_list_is_scoped_as_the_pages(world, api, role, expected):
    _period(world, REVIEW)
    assert set(officials(api(role).get(reverse("api:score-card-list")))) == expected


def test_an_official_reads_only_their_own_card_and_a_head_only_their_subtree(world, api):
    _period(world, REVIEW)
    staff, head = api("staff"), api("head")
    assert ok(staff.get(card_url(REVIEW, "CG.STAFF")))["official"] == "CG.STAFF"
    assert_error(staff.get(card_url(REVIEW, "CG.STAFF2")), 404, "not_found")
    assert ok(head.get(card_url(REVIEW, "CG.STAFF2")))["official"] == "CG.STAFF2"
    assert_error(head.get(card_url(REVIEW, "BD.STAFF")), 404, "not_found")
    assert_error(head.get(card_url(REVIEW, "NOBODY")), 404, "not_found")
    # the filters only narrow the scope
    assert officials(staff.get(reverse("api:score-card-list"),
                               {"official": "CG.STAFF2"})) == []
    body = assert_error(head.get(reverse("api:score-card-list"), {"official": "BD.STAFF"}),
                        400, "invalid")
    assert set(body["errors"]) == {"official"}
    body = assert_error(head.get(reverse("api:score-card-list"), {"unit": "HN.BD"}),
                        400, "invalid")
    assert body["errors"] == {"unit": ["Không tìm thấy đơn vị “HN.BD”."]}
    for anonymous in (api(None).get(reverse("api:score-card-list")),
                      api(None).get(card_url(REVIEW, "CG.STAFF"))):
        assert_error(anonymous, 403, "not_authenticated")


# -- cards: the CLI's JSON ----------------------------------------------------------------


def test_each_card_is_the_json_of_thuocdo_score(db):
    """Golden case 06 (deductions, the quota moving two candidates down), published: every
    card of the list, and the card of its detail, is the CLI's object for the same card,
    with the procedure's fields beside it."""
    period, admin = quota_case_under_review()
    Period.objects.filter(pk=period.pk).update(status="published")
    out = io.StringIO()
    call_command("score", "--period", "2026-10", "--json", stdout=out, stderr=io.StringIO())
    cli = {card["official"]: card for card in json.loads(out.getvalue())}
    assert len(cli) > 3 and any(card["deductions"] for card in cli.values())
    client = APIClient()
    client.force_authenticate(admin)
    listed = ok(client.get(reverse("api:score-card-list"),
                           {"period": "2026-10", "page_size": 500}))["results"]
    assert [card["official"] for card in listed] == sorted(cli)  # the CLI's order
    for card in listed:
        assert {key: card[key] for key in cli[card["official"]]} == cli[card["official"]]
        assert set(card) - set(cli[card["official"]]) == set(PROCEDURE_KEYS)
    moved = next(code for code, card in cli.items() if card["quota_applied"])
    detail = ok(client.get(card_url("2026-10", moved)))
    assert {key: detail[key] for key in cli[moved]} == cli[moved]
    assert detail["quota"]["reason"] and detail["deductions"] == cli[moved]["deductions"]
    assert set(detail) - set(cli[moved]) == {*PROCEDURE_KEYS, "appeals", "allowed_actions"}


def test_the_cards_filters(db):
    _scored, admin = quota_case_under_review()
    client = APIClient()
    client.force_authenticate(admin)

    def cards(**query):
        return ok(client.get(reverse("api:score-card-list"), query))["results"]

    everything = cards(period="2026-10")
    assert everything and {c["period"] for c in everything} == {"2026-10"}
    assert cards(period="2026-11") == [] and cards(period="2026-Q4") == []
    moved = cards(grade="moved")
    assert moved and all(c["quota_applied"] and c["grade"] == "HTT" for c in moved)
    assert len(moved) == sum(c["quota_applied"] for c in everything)
    assert [c["grade"] for c in cards(grade="HTXS")] == ["HTXS"]
    assert all(c["grade"] is None for c in cards(grade="none"))
    assert len(cards(status="draft")) == len(everything) and cards(status="approved") == []
    some = everything[0]
    assert [c["official"] for c in cards(official=some["official"])] == [some["official"]]
    assert [c["official"] for c in cards(official=some["official"].lower())] \
        == [some["official"]]  # typed in any case, as the other filters
    in_unit = cards(unit=some["unit"])
    assert some["official"] in [c["official"] for c in in_unit]
    assert {c["unit"] for c in in_unit} <= {c["unit"] for c in everything}
    assert {c["agency"] for c in cards(agency=some["agency"])} == {some["agency"]}
    for query, field in (({"period": "2026-13"}, "period"), ({"period": "10/2026"}, "period"),
                         ({"grade": "A"}, "grade"), ({"status": "done"}, "status"),
                         ({"unit": "NOWHERE"}, "unit"), ({"agency": "NOWHERE"}, "agency"),
                         ({"official": "NOBODY"}, "official")):
        body = assert_error(client.get(reverse("api:score-card-list"), query), 400,
                            "invalid")
        assert set(body["errors"]) == {field}, query


# -- appeals ------------------------------------------------------------------------------


def test_an_official_appeals_their_published_card(world, api):
    published(world)
    url = card_url("2026-08", "CG.STAFF")
    assert ok(api("staff").get(url))["allowed_actions"] == ["appeal"]
    assert ok(api("head").get(url))["allowed_actions"] == []  # not theirs
    response = api("staff").post(card_url("2026-08", "CG.STAFF", "score-card-appeal"),
                                 {"reason": "Chưa tính văn bản gia hạn"}, format="json")
    body = ok(response, 201)
    appeal = Appeal.objects.get()
    assert response["Location"] == reverse("api:appeal-detail",
                                           kwargs={"appeal_id": appeal.pk})
    assert (body["id"], body["official"], body["status"], body["reason"]) == (
        appeal.pk, "CG.STAFF", "pending", "Chưa tính văn bản gia hạn")
    assert body["filed_by"] == {"official": "CG.STAFF", "name": "Lê Văn Cường"}
    # those who decide it are told, as from the page
    assert Notification.objects.filter(recipient=world.officials["CG.HEAD"],
                                       url=f"/scores/appeals/{appeal.pk}/").exists()
    card = ok(api("staff").get(url))
    assert card["allowed_actions"] == [] and [a["id"] for a in card["appeals"]] == [appeal.pk]
    body = assert_error(api("staff").post(card_url("2026-08", "CG.STAFF", "score-card-appeal"),
                                          {"reason": "Lần nữa"}, format="json"),
                        400, "appeal_pending")
    assert Appeal.objects.count() == 1


@pytest.mark.parametrize(("until", "status", "code"), [
    (-1, "published", "appeal_window_closed"),  # the window closed yesterday
    (10, "locked", "period_locked"),
    (10, "approved", "period_status"),  # not published yet
])
def test_an_appeal_outside_the_window_is_refused_and_nothing_written(world, api, until,
                                                                     status, code):
    published(world, until=until, status=status)
    before = written()
    assert ok(api("staff").get(card_url("2026-08", "CG.STAFF")))["allowed_actions"] == []
    assert_error(api("staff").post(card_url("2026-08", "CG.STAFF", "score-card-appeal"),
                                   {"reason": "Chưa thỏa đáng"}, format="json"), 400, code)
    assert written() == before


def test_an_appeal_on_someone_elses_card_is_refused_and_nothing_written(world, api):
    published(world)
    accounts.user_create(email="cg.staff2@example.vn", password=PASSWORD,
                         official=world.officials["CG.STAFF2"])
    before = written()
    # the head reads their staff's card, but only its official appeals it
    body = assert_error(api("head").post(card_url("2026-08", "CG.STAFF", "score-card-appeal"),
                                         {"reason": "Thay mặt"}, format="json"),
                        403, "forbidden")
    assert body["message"] == "Chỉ cán bộ có phiếu điểm mới được kiến nghị về phiếu điểm " \
                              "của mình."
    # a colleague does not even read it
    colleague = APIClient()
    colleague.force_authenticate(world.officials["CG.STAFF2"].user)
    assert_error(colleague.post(card_url("2026-08", "CG.STAFF", "score-card-appeal"),
                                {"reason": "Thay mặt"}, format="json"), 404, "not_found")
    assert_error(api(None).post(card_url("2026-08", "CG.STAFF", "score-card-appeal"),
                                {"reason": "x"}, format="json"), 403, "not_authenticated")
    assert written() == before


@pytest.mark.parametrize(("language", "message"), [
    ("en", "Say why you appeal."),
    (None, "Hãy nêu lý do kiến nghị."),  # Vietnamese by default
])
def test_an_appeal_without_a_reason_names_the_field(world, api, language, message):
    published(world)
    before = written()
    body = assert_error(api("staff", language).post(
        card_url("2026-08", "CG.STAFF", "score-card-appeal"), {"reason": "  "},
        format="json"), 400, "reason_required")
    assert body["message"] == message and body["errors"] == {"reason": [message]}
    assert written() == before


def test_the_head_decides_an_appeal_and_the_appellant_is_told(world, api):
    published(world)
    appeal = services.appeal_file(actor=world.user("staff"), card=Period.objects.get(
        label="2026-08").cards.get(official__code="CG.STAFF"), reason="Chưa thỏa đáng")
    url = reverse("api:appeal-detail", kwargs={"appeal_id": appeal.pk})
    decide = reverse("api:appeal-decide", kwargs={"appeal_id": appeal.pk})
    assert ok(api("head").get(url))["can_decide"] is True
    assert ok(api("staff").get(url))["can_decide"] is False  # the appellant reads it
    assert_error(api("outsider").get(url), 404, "not_found")
    # waiting for the head, not for the deputy or the appellant
    waiting = reverse("api:appeal-list")
    assert [a["id"] for a in ok(api("head").get(waiting, {"waiting": "true"}))["results"]] \
        == [appeal.pk]
    for role in ("deputy", "staff"):
        assert ok(api(role).get(waiting, {"waiting": "true"}))["results"] == []
    assert [a["id"] for a in ok(api("staff").get(waiting))["results"]] == [appeal.pk]
    assert ok(api("outsider").get(waiting))["results"] == []
    assert ok(api("head").get(waiting, {"period": "2026-09"}))["results"] == []

    before = written()
    for role in ("staff", "deputy", "inspector"):
        assert_error(api(role).post(decide, {"accepted": False, "reason": "Không"},
                                    format="json"), 403, "forbidden")
    body = assert_error(api("head").post(decide, {"accepted": False}, format="json"), 400,
                        "reason_required")
    assert set(body["errors"]) == {"reason"}
    body = assert_error(api("head").post(decide, {"reason": "Không"}, format="json"), 400,
                        "invalid")
    assert set(body["errors"]) == {"accepted"}
    body = assert_error(api("head").post(decide, {"accepted": False, "reason": "Không",
                                                  "general_points": 29}, format="json"),
                        400, "appeal_points")
    assert set(body["errors"]) == {"general_points"}
    assert written() == before

    body = ok(api("head").post(decide, {"accepted": False, "reason": "Không có căn cứ"},
                               format="json"))
    assert (body["status"], body["decision"], body["can_decide"]) == (
        "rejected", "Không có căn cứ", False)
    assert body["decided_by"] == {"official": "CG.HEAD", "name": "Nguyễn Văn Đức"}
    assert Notification.objects.filter(recipient=world.officials["CG.STAFF"],
                                       key__contains=f":{appeal.pk}").exists()
    assert_error(api("head").post(decide, {"accepted": True, "reason": "Lại"},
                                  format="json"), 400, "appeal_decided")
    assert [a["status"] for a in ok(api("staff").get(
        card_url("2026-08", "CG.STAFF")))["appeals"]] == ["rejected"]


def test_no_decision_on_a_locked_period(world, api):
    period = published(world)
    appeal = services.appeal_file(actor=world.user("staff"),
                                  card=period.cards.get(official__code="CG.STAFF"),
                                  reason="Chưa thỏa đáng")
    Period.objects.filter(pk=period.pk).update(status="locked")
    before = written()
    assert_error(api("board").post(reverse("api:appeal-decide",
                                           kwargs={"appeal_id": appeal.pk}),
                                   {"accepted": True, "reason": "Đúng"}, format="json"),
                 400, "period_closed")
    assert written() == before
    assert Appeal.objects.get().status == "pending"


def test_the_api_honours_token_authentication(world):
    _period(world, REVIEW)
    token = ok(APIClient().post(reverse("api:auth-token"),
                                {"username": "CG.STAFF", "password": PASSWORD},
                                format="json"))["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert officials(client.get(reverse("api:score-card-list"))) == ["CG.STAFF"]


def test_the_card_list_costs_the_same_whatever_the_number_of_cards(db):
    """Who reviewed each card is read with it: a fixed number of queries per page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from thuocdo.org.models import Unit

    period, admin = quota_case_under_review()
    services.unit_review(actor=admin, period=period, unit=Unit.objects.get(code="HN.CG.VP"))
    client = APIClient()
    client.force_authenticate(admin)

    def cost(**query) -> tuple[int, list]:
        with CaptureQueriesContext(connection) as queries:
            cards = ok(client.get(reverse("api:score-card-list"), query))["results"]
        return len(queries), cards

    drafts_cost, drafts = cost(status="draft")
    reviewed_cost, reviewed = cost(status="reviewed")
    every_cost, cards = cost()
    assert len(cards) == len(drafts) + len(reviewed) and len(reviewed) > 1
    assert {card["reviewed_by"]["name"] for card in reviewed} == {"Quản trị"}
    assert every_cost == reviewed_cost == drafts_cost

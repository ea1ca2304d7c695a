"""Open311 GeoReport v2: the specification's fields, statuses and error format."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from thuocdo.citizens import services
from thuocdo.citizens.models import Feedback

from . import factories

pytestmark = pytest.mark.django_db

SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type",
                  "keywords", "group"}
REQUEST_FIELDS = {"service_request_id", "status", "status_notes", "service_name",
                  "service_code", "description", "agency_responsible", "service_notice",
                  "requested_datetime", "updated_datetime", "expected_datetime", "address",
                  "address_id", "zipcode", "lat", "long", "media_url"}


def test_services_json(client):
    services_list = client.get("/open311/v2/services.json").json()
    assert services_list and all(set(s) == SERVICE_FIELDS for s in services_list)
    assert {s["type"] for s in services_list} == {"realtime"}
    assert "urban" in {s["service_code"] for s in services_list}


def test_post_then_get_a_request(world, client):
    response = client.post("/open311/v2/requests.json", {
        "service_code": "urban", "jurisdiction_id": "HN.CG.DV", "lat": "21.03", "long": "105.79",
        "description": "Ổ gà lớn trước số 5 phố Dịch Vọng Hậu.", "email": "dan@example.vn",
        "first_name": "Nam", "last_name": "Trần"})
    assert response.status_code == 201
    [answer] = response.json()
    assert {"service_request_id", "service_notice", "account_id"} <= set(answer)
    code = answer["service_request_id"]
    stored = Feedback.objects.get(code=code)
    assert stored.via == "open311" and stored.contact == "dan@example.vn"
    assert services.access_key_matches(stored, answer["access_key"])
    [record] = client.get(f"/open311/v2/requests/{code}.json").json()
    assert set(record) == REQUEST_FIELDS
    assert record["status"] == "open" and record["service_code"] == "urban"
    assert record["agency_responsible"] == "UBND phường Dịch Vọng"
    assert record["description"] is None and record["lat"] is None  # nobody else's data
    assert record["requested_datetime"].endswith("+07:00")
    listed = client.get("/open311/v2/requests.json", {"service_request_id": code}).json()
    assert [r["service_request_id"] for r in listed] == [code]


def test_closed_status_and_forward_notes(world, client):
    feedback = factories.feedback(world, unit="HN.CG")
    services.feedback_forward(user=world.users["head"], feedback=feedback,
                              to_unit=world.units["HN.CG.VP"], reason="Văn phòng là đầu mối")
    [record] = client.get("/open311/v2/requests/PA-CG.json").json()
    assert "Văn phòng là đầu mối" in record["status_notes"]
    # the deadline the forward left, as the case's timeline says it
    due = feedback.events.get(kind="forward").data["reply_due"]
    assert record["status_notes"].endswith(
        f"Hạn trả lời mới: {dt.date.fromisoformat(due):%d/%m/%Y}.")
    feedback.refresh_from_db()
    services.feedback_reply(user=world.users["head"], feedback=feedback, answer="Đã xử lý xong.")
    services.feedback_close(user=world.users["head"], feedback=feedback)
    closed = client.get("/open311/v2/requests.json", {"status": "closed"}).json()
    assert [(r["service_request_id"], r["status"]) for r in closed] == [("PA-CG", "closed")]
    assert client.get("/open311/v2/requests.json", {"status": "open"}).json() == []


@pytest.mark.parametrize(("data", "status"), [
    ({"service_code": "nope", "jurisdiction_id": "HN.CG", "lat": "1", "long": "1",
      "description": "Một mô tả đủ dài."}, 400),
    ({"service_code": "urban", "jurisdiction_id": "NOPE", "lat": "1", "long": "1",
      "description": "Một mô tả đủ dài."}, 400),
    ({"service_code": "urban", "jurisdiction_id": "HN.CG", "description": "Một mô tả đủ dài."},
     400),
    ({"service_code": "urban", "jurisdiction_id": "HN.CG", "lat": "x", "long": "1",
      "description": "Một mô tả đủ dài."}, 400),
    ({"service_code": "urban", "jurisdiction_id": "HN.CG", "address_string": "Số 5",
      "description": "ngắn"}, 400),
])
def test_errors_are_code_and_description(world, client, data, status):
    response = client.post("/open311/v2/requests.json", data)
    assert response.status_code == status
    [error] = response.json()
    assert set(error) == {"code", "description"} and error["code"] == status
    assert not Feedback.objects.exists()


def test_unknown_request_is_404_in_the_error_format(client, db):
    response = client.get("/open311/v2/requests/PA-NOPE.json")
    assert response.status_code == 404
    assert response.json()[0]["code"] == 404


def test_rate_limit_is_429(world, client):
    data = {"service_code": "urban", "jurisdiction_id": "HN.CG", "address_string": "Số 5",
            "description": "Một mô tả đủ dài."}
    for _ in range(services.RATE_LIMIT_PER_HOUR):
        assert client.post("/open311/v2/requests.json", data).status_code == 201
    assert client.post("/open311/v2/requests.json", data).status_code == 429


# -- a second walk: half positions, parameter names, unknown filters, formats, the window --

POST = {"service_code": "urban", "jurisdiction_id": "HN.CG",
        "description": "Ổ gà lớn trước số 5 phố Dịch Vọng Hậu."}


def _error_of(response, status: int) -> str:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    [error] = response.json()
    assert set(error) == {"code", "description"} and error["code"] == status
    return error["description"]


@pytest.mark.parametrize(("given", "missing"), [("lat", "long"), ("long", "lat")])
def test_half_a_position_is_refused_naming_the_missing_parameter(world, client, given,
                                                                  missing):
    """lat without long (or the reverse) was a 201 storing lat with long NULL, even with an
    address_string beside it."""
    for extra in ({}, {"address_string": "Số 5 phố Dịch Vọng Hậu"}):
        response = client.post("/open311/v2/requests.json", {**POST, given: "21.03", **extra})
        description = _error_of(response, 400)
        assert description.startswith(f"{missing} ") and given in description
    assert not Feedback.objects.exists()


@pytest.mark.parametrize(("data", "parameter"), [
    ({"description": "ngắn", "address_string": "Số 5"}, "description"),
    ({"address_string": "x" * (services.ADDRESS_MAX + 1)}, "address_string"),
    ({"address_string": "Số 5", "first_name": "N" * (services.CONTACT_MAX + 1)},
     "first_name, last_name"),
])
def test_errors_name_the_request_parameter_never_the_field_of_the_database(
        world, client, data, parameter):
    description = _error_of(client.post("/open311/v2/requests.json", {**POST, **data}), 400)
    assert description.startswith(f"{parameter}: ")
    for field in ("text:", "address:", "contact_name:"):
        assert not description.startswith(field)
    assert not Feedback.objects.exists()


def test_get_refuses_an_unknown_jurisdiction_and_filters_by_a_known_one(world, client):
    """An unknown jurisdiction_id was ignored (every case): now a 400 naming it, on each
    address; a known one lists the cases now with that unit or a unit under it."""
    factories.feedback(world, "PA-CG", unit="HN.CG.VP")
    factories.feedback(world, "PA-BD", unit="HN.BD")
    for url in ("/open311/v2/requests.json", "/open311/v2/services.json",
                "/open311/v2/requests/PA-CG.json"):
        description = _error_of(client.get(url, {"jurisdiction_id": "NOPE"}), 400)
        assert description.startswith("jurisdiction_id")
    listed = client.get("/open311/v2/requests.json", {"jurisdiction_id": "HN.CG"}).json()
    assert [r["service_request_id"] for r in listed] == ["PA-CG"]
    assert len(client.get("/open311/v2/requests.json").json()) == 2
    assert client.get("/open311/v2/requests/PA-CG.json",
                      {"jurisdiction_id": "HN.CG"}).status_code == 200
    assert client.get("/open311/v2/requests/PA-CG.json",
                      {"jurisdiction_id": "HN.BD"}).status_code == 404


@pytest.mark.parametrize("codes", ["zzz", "urban,zzz"])
def test_get_refuses_an_unknown_service_code(world, client, codes):
    """service_code=zzz answered 200 [] (as if nothing had been reported)."""
    factories.feedback(world)
    description = _error_of(client.get("/open311/v2/requests.json", {"service_code": codes}),
                            400)
    assert description.startswith("service_code") and "zzz" in description
    assert client.get("/open311/v2/requests.json",
                      {"service_code": "procedure"}).status_code == 200


def test_get_refuses_a_start_date_after_the_end_date(world, client):
    factories.feedback(world)
    description = _error_of(client.get("/open311/v2/requests.json", {
        "start_date": "2026-10-10T00:00:00+07:00", "end_date": "2026-10-01T00:00:00+07:00"}),
        400)
    assert "start_date" in description and "end_date" in description


@pytest.mark.parametrize(("method", "url"), [
    ("get", "/open311/v2/services.xml"), ("get", "/open311/v2/requests.xml"),
    ("post", "/open311/v2/requests.xml"), ("get", "/open311/v2/requests/PA-CG.xml"),
    ("get", "/open311/v2/services.csv"),
])
def test_another_format_than_json_is_a_clear_error_in_the_error_format(world, client, method,
                                                                         url):
    """services.xml and requests/X.xml answered the site's HTML page of a missing address."""
    factories.feedback(world)
    response = getattr(client, method)(url, POST if method == "post" else None)
    assert "JSON" in _error_of(response, 400)
    assert not Feedback.objects.filter(via="open311").exists()


def test_get_without_dates_lists_the_last_90_days(world, client):
    """GeoReport v2's default window: the cases received in the last 90 days; a start_date
    reaches further back, an end_date alone gives the 90 days before it."""
    now = timezone.now()
    factories.feedback(world, "PA-OLD", submitted_at=now - dt.timedelta(days=100))
    factories.feedback(world, "PA-NEW", submitted_at=now - dt.timedelta(days=10))

    def listed(**query):
        return {r["service_request_id"]
                for r in client.get("/open311/v2/requests.json", query).json()}

    assert listed() == {"PA-NEW"}
    assert listed(start_date=(now - dt.timedelta(days=120)).isoformat()) == {"PA-OLD",
                                                                           "PA-NEW"}
    assert listed(end_date=(now - dt.timedelta(days=50)).isoformat()) == {"PA-OLD"}


def test_open311_answers_in_the_language_the_client_asks_for(world, client):
    """Like /api/, Open311 follows Accept-Language (the pages do not: only the language
    switch changes theirs); without it, Vietnamese."""
    english = client.get("/open311/v2/requests/NOPE.json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 404
    assert english["Content-Language"] == "en"
    assert english.json() == [{"code": 404, "description": "No service request has this id."}]
    default = client.get("/open311/v2/requests/NOPE.json")
    assert default["Content-Language"] == "vi"
    assert default.json()[0]["description"] != "No service request has this id."
    page = client.get("/phan-anh/", HTTP_ACCEPT_LANGUAGE="en")
    assert page["Content-Language"] == "vi", "a browser's language does not switch a page"

"""Open311 GeoReport v2: the specification's fields, statuses and error format."""

from __future__ import annotations

import pytest

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

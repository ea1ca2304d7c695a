"""Approved exceptions to the HTXS quota through the API (`/api/evaluations/quota-exceptions/`):
listed with their filters, read, recorded, changed and removed through the pages' services,
each write audited with its reason, each refusal a 400 with the service's code on its field
and nothing written. Who may use each route is in tests/api_routes.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from thuocdo.core.models import AuditEntry
from thuocdo.core.testing import assert_error, ok
from thuocdo.evaluations import services
from thuocdo.evaluations.models import QuotaException

from .routes import PUBLISHED, REVIEW, _period

pytestmark = pytest.mark.django_db

LIST = reverse("api:quota-exception-list")
REASON = "Đơn vị dẫn đầu phong trào thi đua năm 2026"


def detail(exception, name="quota-exception-detail") -> str:
    return reverse(f"api:{name}", kwargs={"exception_id": exception.pk})


def body(**more) -> dict:
    return {"agency": "HN.CG", "valid_from": "2026-12-01", "valid_to": "2026-12-31",
            "share": "0.3", "decision": "15/QĐ-UBND", "decided_on": "2026-09-15",
            "reason": REASON} | more


def record(world, code="HN.CG", **more) -> QuotaException:
    fields = {"valid_from": dt.date(2026, 12, 1), "valid_to": dt.date(2026, 12, 31),
              "share": "0.3", "decision": "15/QĐ-UBND", "decided_on": dt.date(2026, 9, 15),
              "reason": REASON} | more
    return services.quota_exception_record(actor=world.user("admin"),
                                           agency=world.units[code], **fields)


def written() -> tuple:
    """What a refusal must leave as it was."""
    return (list(QuotaException.objects.order_by("pk").values()),
            AuditEntry.objects.count())


def test_the_board_records_an_exception_and_the_audit_keeps_its_reason(world, api):
    _period(world, REVIEW)  # 2026-10, scored and under review
    response = api("board").post(LIST, body(valid_from="2026-10-01", valid_to="2026-10-31"),
                                 format="json")
    found = ok(response, 201)
    exception = QuotaException.objects.get()
    assert response["Location"] == detail(exception)
    assert found == {
        "id": exception.pk, "agency": "HN.CG", "agency_name": "UBND quận Cầu Giấy",
        "valid_from": "2026-10-01", "valid_to": "2026-10-31", "share": 0.3,
        "decision": "15/QĐ-UBND", "decided_on": "2026-09-15", "reason": REASON,
        "recorded_by": {"official": None, "name": "Ban Tổ chức"},
        "recorded_at": found["recorded_at"], "allowed_actions": ["change", "remove"],
        "to_score_again": ["2026-10"]}
    assert exception.share == Decimal("0.3")
    assert exception.recorded_by == world.user("board")
    entry = AuditEntry.objects.get(action="quota_exception.record")
    assert (entry.actor, entry.reason) == (world.user("board"), REASON)


def test_the_list_and_its_filters(world, api):
    cg = record(world)
    spring = record(world, valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 6, 30))
    bd = record(world, "HN.BD", share="0.25")
    client = api("admin")

    def ids(**query):
        return [e["id"] for e in ok(client.get(LIST, query))["results"]]

    assert ids() == [bd.pk, cg.pk, spring.pk]  # the latest in force first, in tree order
    assert ids(agency="HN.BD") == [bd.pk]
    assert ids(on="2026-12-15") == [bd.pk, cg.pk]
    assert ids(on="2026-03-01", agency="HN.CG") == [spring.pk]
    assert ids(on="2026-07-01") == []
    # the board reads only the agencies granted to it, and filters by nothing else
    board = api("board", "en")
    assert [e["id"] for e in ok(board.get(LIST))["results"]] == [cg.pk, spring.pk]
    refused = assert_error(board.get(LIST, {"agency": "HN.BD"}), 400, "invalid")
    assert "HN.BD" in refused["errors"]["agency"][0]
    assert "on" in assert_error(board.get(LIST, {"on": "2026-13-01"}), 400,
                                "invalid")["errors"]


def test_read_one_with_what_the_caller_may_do(world, api):
    exception = record(world)
    found = ok(api("board").get(detail(exception)))
    assert (found["agency"], found["share"], found["allowed_actions"]) == (
        "HN.CG", 0.3, ["change", "remove"])
    assert_error(api("board").get(detail(record(world, "HN.BD"))), 404, "not_found")
    assert_error(api("inspector").get(detail(exception)), 403, "forbidden")


@pytest.mark.parametrize(("changes", "code", "field"), [
    ({"agency": "HN.CG.VP"}, "exception_agency", "agency"),
    ({"agency": "HN.NOPE"}, "unknown_unit", "agency"),
    ({"share": "0.2"}, "exception_share", "share"),
    ({"share": "1.5"}, "exception_share", "share"),
    ({"share": "0.33333"}, "exception_share", "share"),
    ({"valid_to": "2026-11-30"}, "exception_span", "valid_to"),
    ({"decided_on": "2099-01-01"}, "exception_decided_on", "decided_on"),
    ({"decision": " "}, "exception_decision", "decision"),
    ({"decision": "x" * 65}, "exception_decision", "decision"),
    ({"reason": ""}, "reason_required", "reason"),
    ({"valid_from": "01/12/2026"}, "invalid", "valid_from"),
    ({"share": "ba mươi"}, "invalid", "share"),
])
def test_a_refusal_is_the_services_code_on_its_field_and_writes_nothing(world, api, changes,
                                                                        code, field):
    before = written()
    refused = assert_error(api("board", "en").post(LIST, body(**changes), format="json"),
                           400, code)
    assert list(refused["errors"]) == [field]
    assert written() == before


def test_overlaps_and_fixed_periods_are_refused_as_the_service_refuses_them(world, api):
    record(world)
    client = api("admin", "en")
    before = written()
    refused = assert_error(client.post(LIST, body(valid_from="2026-12-20",
                                                  valid_to="2027-01-10"), format="json"),
                           400, "exception_overlap")
    assert list(refused["errors"]) == ["valid_from"]
    _period(world, PUBLISHED)  # 2026-09, published
    refused = assert_error(client.post(LIST, body(valid_from="2026-09-01",
                                                  valid_to="2026-09-30"), format="json"),
                           400, "period_fixed")
    assert "September 2026" in refused["message"] or "09/2026" in refused["message"]
    assert written()[0] == before[0]


def test_a_change_says_why_and_the_audit_keeps_before_and_after(world, api):
    exception = record(world)
    client = api("board", "en")
    before = written()
    refused = assert_error(client.patch(detail(exception), {"share": "0.35"}, format="json"),
                           400, "reason_required")
    assert list(refused["errors"]) == ["why"]
    assert written() == before
    found = ok(client.patch(detail(exception), {"share": "0.35", "why": "Sửa tỷ lệ"},
                            format="json"))
    assert (found["share"], found["valid_from"], found["decision"]) == (
        0.35, "2026-12-01", "15/QĐ-UBND")
    entry = AuditEntry.objects.get(action="quota_exception.change")
    assert entry.reason == "Sửa tỷ lệ"
    assert entry.changes == {"share": ["0.3000", "0.3500"]}
    # PUT gives every field again; the agency may change (within the board's reach)
    found = ok(client.put(detail(exception), body(agency="HN.CG.DV", share="0.4",
                                                  why="Nhầm đơn vị"), format="json"))
    assert (found["agency"], found["share"]) == ("HN.CG.DV", 0.4)
    assert_error(client.put(detail(exception), {"share": "0.4", "why": "x"}, format="json"),
                 400, "invalid")  # PUT needs every field
    refused = assert_error(client.put(detail(exception), body(agency="HN.BD", why="x"),
                                      format="json"), 400, "unknown_unit")
    assert list(refused["errors"]) == ["agency"]
    # nothing changed: nothing written
    count = AuditEntry.objects.count()
    ok(client.patch(detail(exception), {"why": "Không đổi"}, format="json"))
    assert AuditEntry.objects.count() == count


def test_a_change_is_refused_for_a_fixed_period(world, api):
    _period(world, PUBLISHED)  # 2026-09, published
    exception = record(world, valid_from=dt.date(2026, 10, 1))
    before = written()
    assert_error(api("admin").patch(detail(exception),
                                    {"valid_from": "2026-09-01", "why": "Sớm hơn"},
                                    format="json"), 400, "period_fixed")
    assert written() == before


def test_a_removal_says_why_and_the_audit_keeps_the_content(world, api):
    _period(world, REVIEW)
    exception = record(world, valid_from=dt.date(2026, 10, 1))
    url = detail(exception, "quota-exception-remove")
    client = api("board", "en")
    before = written()
    refused = assert_error(client.post(url, {}, format="json"), 400, "reason_required")
    assert list(refused["errors"]) == ["why"]
    assert written() == before
    found = ok(client.post(url, {"why": "Quyết định đã bị thu hồi"}, format="json"))
    assert found == {"id": exception.pk, "to_score_again": ["2026-10"]}
    assert not QuotaException.objects.exists()
    entry = AuditEntry.objects.get(action="quota_exception.remove")
    assert entry.reason == "Quyết định đã bị thu hồi"
    assert entry.changes["decision"] == "15/QĐ-UBND"
    assert_error(client.post(url, {"why": "lần nữa"}, format="json"), 404, "not_found")


def test_a_removal_is_refused_for_a_fixed_period(world, api):
    exception = record(world, valid_from=dt.date(2026, 9, 1), valid_to=dt.date(2026, 9, 30))
    _period(world, PUBLISHED)  # 2026-09 published after the exception was recorded
    assert_error(api("admin").post(detail(exception, "quota-exception-remove"),
                                   {"why": "Thu hồi"}, format="json"), 400, "period_fixed")
    assert QuotaException.objects.filter(pk=exception.pk).exists()


def test_refusals_speak_the_callers_language(world, api):
    english = assert_error(api("board", "en").post(LIST, body(share="0.2"), format="json"),
                           400, "exception_share")
    vietnamese = assert_error(api("board").post(LIST, body(share="0.2"), format="json"),
                              400, "exception_share")
    assert english["message"] != vietnamese["message"]
    assert "HTXS" in vietnamese["message"]


def test_no_change_or_removal_is_offered_once_a_period_it_applies_to_is_fixed(world, api):
    """`allowed_actions` follows the service's refusal (`period_fixed`): empty for an
    exception that applies to a published month, as the board's page offers nothing."""
    exception = record(world, valid_from=dt.date(2026, 9, 1), valid_to=dt.date(2026, 9, 30))
    assert ok(api("admin").get(detail(exception)))["allowed_actions"] == ["change", "remove"]
    _period(world, PUBLISHED)  # 2026-09 published after the exception was recorded
    assert ok(api("admin").get(detail(exception)))["allowed_actions"] == []
    assert ok(api("board").get(detail(exception)))["allowed_actions"] == []

"""The tasks API: the issue's "done when" flow with API tokens, the hash chain seen from the
API, scope per role, filters, refusals (wrong person, wrong state, stale view, inspectors,
no official, out of scope), one endpoint per workflow action, directives, products, cost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from thuocdo.accounts import services as accounts
from thuocdo.core.testing import PASSWORD, assert_error, ok
from thuocdo.tasks import services
from thuocdo.tasks.audit import verify_chains
from thuocdo.tasks.models import Task, TaskEvent
from thuocdo.tasks.serializers import ACTIONS
from thuocdo.tasks.services import event_hash
from thuocdo.tasks.tests.api_routes import act, make_task
from thuocdo.tasks.workflow import TRANSITIONS

pytestmark = pytest.mark.django_db

CG_TASKS = {"T-CG", "T-DV"}


def today() -> dt.date:
    return timezone.localdate()


def iso(days: int) -> str:
    return (today() + dt.timedelta(days=days)).isoformat()


@pytest.fixture
def api(world):
    """`api(role)`: an API client authenticated as that role's user (None: anonymous)."""

    def make(role):
        client = APIClient()
        if role is not None:
            client.force_authenticate(world.user(role))
        return client

    return make


def token_client(username: str) -> APIClient:
    """A client that logs in through /api/auth/token/ and sends the token, no session."""
    response = APIClient().post(reverse("api:auth-token"),
                                {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def codes(response):
    return [row["code"] for row in ok(response)["results"]]


def url(name, code=None):
    return reverse(f"api:{name}", kwargs={"code": code} if code is not None else None)


def action_url(kind, code):
    return url(f"task-{kind.replace('_', '-')}", code)


# -- the issue's "done when", through the API --------------------------------------------


def test_the_whole_flow_through_the_api_with_tokens(world):
    """A head assigns; the official sees it first in "Việc của tôi", accepts, transfers to a
    colleague who returns it, accepts, asks for an extension; the head grants; submit; rework;
    resubmit; the head approves. The log shows every step, chained, and who held the work."""
    accounts.user_create(email="cg.staff2@example.vn", password=PASSWORD,
                         official=world.officials["CG.STAFF2"])
    services.product_create(code="BC", name="Báo cáo", coefficient="1.5")
    head, staff, colleague = (token_client(u) for u in ("CG.HEAD", "CG.STAFF", "CG.STAFF2"))

    created = ok(head.post(url("task-list"), {
        "title": "Báo cáo sơ kết 6 tháng thực hiện Chỉ thị 24", "product": "BC",
        "lead_unit": "HN.CG.VP", "lead_official": "CG.STAFF", "due": iso(10),
        "coordinating_units": [{"unit": "HN.CG.DV", "due": iso(5)}],
        "steps": [{"name": "Dự thảo", "allowance": 5}, {"name": "Trình ký", "allowance": 2}],
    }, format="json"), 201)
    code = created["code"]
    assert code.startswith(f"NV{today():%Y}-")
    assert (created["state"], created["holder"], created["coefficient"]) == (
        "assigned", {"unit": "HN.CG.VP", "official": "CG.STAFF"}, "1.500")
    assert created["coordinating_units"] == [{"unit": "HN.CG.DV", "due": iso(5)}]
    assert [s["name"] for s in created["steps"]] == ["Dự thảo", "Trình ký"]
    # Nothing to refuse or excuse yet: only what makes sense now is offered.
    assert created["allowed_actions"] == ["extension_grant", "remind", "cancel"]

    work = ok(staff.get(url("my-work")))
    assert [t["code"] for t in work["to_accept"]] == [code] and work["count"] == 1

    def step(client, kind, **data):
        return ok(client.post(action_url(kind, code), data, format="json"))

    task = step(staff, "accept", expected_version=created["version"])
    assert task["state"] == "in_progress" and "submit" in task["allowed_actions"]
    task = step(staff, "transfer", to_unit="HN.CG.VP", to_official="CG.STAFF2",
                reason="Đúng chuyên môn của đồng chí Dung")
    assert (task["state"], task["holder"]["official"]) == ("assigned", "CG.STAFF2")
    assert task["allowed_actions"] == []  # no longer the holder
    task = step(colleague, "return", to_unit="HN.CG.VP", to_official="CG.STAFF",
                reason="Thuộc lĩnh vực đồng chí Cường")
    assert task["holder"]["official"] == "CG.STAFF"
    step(staff, "accept")
    step(staff, "extension_request", new_due=iso(17), reason="Chờ số liệu của phường")
    task = step(head, "extension_grant", new_due=iso(17), reason="chờ số liệu")
    assert (task["due"], task["due_in_force"]) == (iso(10), iso(17))
    task = step(staff, "submit", note="Dự thảo kèm theo")
    assert (task["state"], task["holder"]["official"]) == ("submitted", "CG.HEAD")
    task = step(head, "rework", major_error=True, reason="Sai số liệu quý III")
    assert (task["state"], task["holder"]["official"]) == ("in_progress", "CG.STAFF")
    step(staff, "submit")
    task = step(head, "approve", note="Đồng ý")
    assert (task["state"], task["bucket"], task["done_late"]) == ("done", "done_on_time", False)
    assert task["done_at"] is not None

    events = ok(head.get(url("task-events", code)))["results"]
    assert [e["kind"] for e in events] == [
        "create", "accept", "transfer", "return", "accept", "extension_request",
        "extension_grant", "submit", "rework", "submit", "approve",
    ]
    assert [e["seq"] for e in events] == list(range(1, 12))
    assert [e["actor"] for e in events] == [
        "CG.HEAD", "CG.STAFF", "CG.STAFF", "CG.STAFF2", "CG.STAFF", "CG.STAFF", "CG.HEAD",
        "CG.STAFF", "CG.HEAD", "CG.STAFF", "CG.HEAD",
    ]
    transfer = events[2]
    assert transfer["holder_before"] == {"unit": "HN.CG.VP", "official": "CG.STAFF"}
    assert transfer["holder_after"] == {"unit": "HN.CG.VP", "official": "CG.STAFF2"}
    assert transfer["data"] == {"to_unit": "HN.CG.VP", "to_official": "CG.STAFF2",
                                "reason": "Đúng chuyên môn của đồng chí Dung"}
    assert events[0]["holder_before"] is None and events[0]["state_before"] == ""
    assert events[8]["data"] == {"major_error": True, "excused": False,
                                 "reason": "Sai số liệu quý III"}
    assert_chain_verifies(code, events)
    assert list(verify_chains()) == []

    detail = ok(staff.get(url("task-detail", code)))
    assert [(i["holder"]["official"], i["started_by"]) for i in detail["holder_intervals"]] == [
        ("CG.STAFF", None), ("CG.STAFF2", 3), ("CG.STAFF", 4), ("CG.HEAD", 8), ("CG.STAFF", 9),
    ]
    assert all(i["end"] is not None and i["workdays_overdue"] == 0
               for i in detail["holder_intervals"])
    assert ok(staff.get(url("my-work")))["count"] == 0


def assert_chain_verifies(code: str, events: list[dict]) -> None:
    """Recompute every hash from what the API shows, and check each link to the previous."""
    previous = ""
    for event in events:
        assert event["prev_hash"] == previous
        before = event["holder_before"] or {"unit": None, "official": None}
        payload = {
            "task": code, "seq": event["seq"], "kind": event["kind"],
            "at": dt.datetime.fromisoformat(event["at"]).astimezone(dt.UTC)
            .isoformat(timespec="microseconds"),
            "actor": event["actor"],
            "state": [event["state_before"], event["state_after"]],
            "holder_before": [before["unit"], before["official"]],
            "holder_after": [event["holder_after"]["unit"], event["holder_after"]["official"]],
            "data": event["data"], "prev": event["prev_hash"],
        }
        assert event_hash(payload) == event["hash"], event["seq"]
        previous = event["hash"]


# -- scope --------------------------------------------------------------------------------


@pytest.fixture
def tasks(world):
    """T-CG (CG.STAFF in HN.CG.VP), T-DV (DV.HEAD in HN.CG.DV), T-BD (BD.STAFF, Ba Đình)."""
    return {
        "T-CG": make_task(world),
        "T-DV": make_task(world, code="T-DV", unit="HN.CG.DV", lead="DV.HEAD"),
        "T-BD": make_task(world, code="T-BD", unit="HN.BD.VP", lead="BD.STAFF",
                          assigner="BD.HEAD"),
    }


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", CG_TASKS | {"T-BD"}),
        ("board", CG_TASKS),
        ("inspector", CG_TASKS),
        ("head", CG_TASKS),
        ("deputy", CG_TASKS),
        ("staff", {"T-CG"}),
        ("outsider", {"T-BD"}),
    ],
)
def test_task_list_is_the_callers_scope(api, tasks, role, expected):
    assert set(codes(api(role).get(url("task-list")))) == expected


def test_a_task_outside_the_scope_is_404_like_a_missing_one(api, tasks):
    staff = api("staff")
    for name in ("task-detail", "task-events"):
        outside = assert_error(staff.get(url(name, "T-DV")), 404, "not_found")
        assert outside == assert_error(staff.get(url(name, "T-NOPE")), 404, "not_found")
    # Even for POST, and before the body is looked at.
    assert_error(staff.post(action_url("accept", "T-DV"), {}, format="json"), 404, "not_found")
    assert_error(api("outsider").post(action_url("cancel", "T-CG"), {}, format="json"),
                 404, "not_found")
    assert not TaskEvent.objects.exclude(kind="create").exists()


def test_token_authentication_carries_the_scope(world, tasks):
    client = token_client("BD.STAFF")
    assert codes(client.get(url("task-list"))) == ["T-BD"]
    assert_error(client.get(url("task-detail", "T-CG")), 404, "not_found")


# -- list: filters, ordering, search, cost ----------------------------------------------------


def test_task_list_items(api, tasks):
    row = ok(api("head").get(url("task-list"), {"search": "T-CG"}))["results"][0]
    assert row == {
        "code": "T-CG", "title": "Báo cáo sơ kết 6 tháng", "product": "BC", "quantity": 1,
        "coefficient": "1.000", "lead_unit": "HN.CG.VP", "lead_official": "CG.STAFF",
        "holder": {"unit": "HN.CG.VP", "official": "CG.STAFF"}, "state": "assigned",
        "bucket": "open_within_deadline", "due": iso(30), "due_in_force": iso(30),
        "priority": "normal", "directive": None, "assigned_by": "CG.HEAD",
        "assigned_at": row["assigned_at"], "done_at": None, "done_late": None,
        "last_event_at": row["last_event_at"], "version": 1,
    }


def test_task_list_filters(api, world, tasks):
    directive = services.directive_create(code="24-CT/TU", title="Chỉ thị 24",
                                          issued_by=world.units["HN"],
                                          issued_on=dt.date(2023, 8, 7))
    late = services.task_assign(
        assigned_by=world.officials["CG.HEAD"], title="Rà soát thủ tục hành chính",
        product=tasks["T-CG"].product, lead_unit=world.units["HN.CG.VP"],
        lead_official=world.officials["CG.STAFF2"], due=today() - dt.timedelta(days=3),
        code="T-LATE", directive=directive, priority="urgent", allow_past_due=True,
        at=timezone.now() - dt.timedelta(days=10),
    )
    act(world, tasks["T-CG"], "accept", "CG.STAFF")
    head = api("head")
    get = lambda **query: set(codes(head.get(url("task-list"), query)))  # noqa: E731
    assert get(unit="HN.CG") == {"T-CG", "T-DV", "T-LATE"}
    assert get(unit="HN.CG", include_subunits="false") == set()
    assert get(unit="HN.CG.DV") == {"T-DV"}
    assert get(bucket="open_overdue") == {"T-LATE"}
    assert get(bucket="open_within_deadline") == {"T-CG", "T-DV"}
    assert get(state="in_progress") == {"T-CG"}
    assert get(directive="24-CT/TU") == {"T-LATE"}
    assert get(holder="CG.STAFF2") == {"T-LATE"}
    assert get(lead_official="DV.HEAD") == {"T-DV"}
    assert get(priority="urgent") == {"T-LATE"}
    assert get(due_to=iso(0)) == {"T-LATE"}
    assert get(due_from=iso(0)) == {"T-CG", "T-DV"}
    assert get(assigned_to=(today() - dt.timedelta(days=5)).isoformat()) == {"T-LATE"}
    assert get(assigned_from=iso(0)) == {"T-CG", "T-DV"}
    assert late.code == "T-LATE"


@pytest.mark.parametrize(
    ("search", "expected"),
    [("ra soat thu tuc", ["T-LATE"]), ("RÀ SOÁT", ["T-LATE"]), ("bao cao so ket", ["T-CG"]),
     ("t-late", ["T-LATE"]), ("nothing", [])],
)
def test_search_ignores_tones_and_matches_codes(api, world, search, expected):
    make_task(world)
    services.task_assign(
        assigned_by=world.officials["CG.HEAD"], title="Rà soát thủ tục hành chính",
        product=Task.objects.get(code="T-CG").product, lead_unit=world.units["HN.CG.VP"],
        lead_official=world.officials["CG.STAFF"], due=today(), code="T-LATE",
    )
    assert codes(api("head").get(url("task-list"), {"search": search})) == expected


def test_task_list_ordering(api, world):
    for i, (code, due_in) in enumerate([("B", 5), ("A", 9), ("C", 1)]):
        make_task(world, code=code, due_in=due_in, days_ago=3 - i)
    head = api("head")
    get = lambda ordering: codes(head.get(url("task-list"), {"ordering": ordering}))  # noqa: E731
    assert get("due") == ["C", "B", "A"] and get("-due") == ["A", "B", "C"]
    assert get("code") == ["A", "B", "C"] and get("-code") == ["C", "B", "A"]
    assert get("assigned") == ["B", "A", "C"] and get("-assigned") == ["C", "A", "B"]
    act(world, Task.objects.get(code="B"), "accept", "CG.STAFF")
    assert get("-last_event")[0] == "B" and get("last_event")[-1] == "B"
    assert get("title") == ["A", "B", "C"]  # same titles: then code


@pytest.mark.parametrize(
    ("query", "field"),
    [({"bucket": "late"}, "bucket"), ({"state": "open"}, "state"),
     ({"ordering": "holder"}, "ordering"), ({"unit": "HN.NOPE"}, "unit"),
     ({"unit": "HN.BD"}, "unit"), ({"directive": "NOPE"}, "directive"),
     ({"holder": "BD.STAFF"}, "holder"), ({"due_from": "15/10/2026"}, "due_from"),
     ({"priority": "asap"}, "priority")],
)
def test_bad_task_filters_are_400_with_the_field(api, query, field):
    body = assert_error(api("head").get(url("task-list"), query), 400, "invalid")
    assert list(body["errors"]) == [field]


def _list_queries(client, query) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url("task-list"), query)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_task_list_query_count_does_not_grow_with_rows(world, client_for,
                                                      django_assert_max_num_queries):
    """Set-based: the same few queries for 3 tasks or 33 (session, user, scope: memberships
    and grants, the member units' codes, count, page)."""
    for i in range(3):
        make_task(world, code=f"T{i:03d}")
    client = client_for(world.user("staff"))
    query = {"page_size": 100}
    small = _list_queries(client, query)
    for i in range(3, 33):
        make_task(world, code=f"T{i:03d}", lead="CG.STAFF2" if i % 2 else "CG.STAFF")
    with django_assert_max_num_queries(8):
        response = client.get(url("task-list"), query)
    assert response.json()["count"] == 33
    assert _list_queries(client, query) == small
    filtered = {**query, "unit": "HN.CG.VP", "holder": "CG.STAFF", "search": "bao cao"}
    with django_assert_max_num_queries(10):
        response = client.get(url("task-list"), filtered)
    assert response.json()["count"] == 18


# -- assignment ---------------------------------------------------------------------------


def test_assign_refusals(api, world):
    make_task(world)  # creates the product
    head = api("head")
    body = assert_error(head.post(url("task-list"), {}, format="json"), 400, "invalid")
    assert {"title", "product", "lead_unit", "lead_official", "due"} <= set(body["errors"])
    base = {"title": "x", "product": "BC", "lead_unit": "HN.CG.VP",
            "lead_official": "CG.STAFF", "due": iso(5)}
    body = assert_error(head.post(url("task-list"), {**base, "due": iso(-1)}, format="json"),
                        400, "task_due_past")
    assert list(body["errors"]) == ["due"]
    body = assert_error(head.post(url("task-list"), {**base, "product": "NOPE"}, format="json"),
                        400, "invalid")
    assert list(body["errors"]) == ["product"]
    # A unit outside the head's scope is an unknown unit.
    body = assert_error(head.post(url("task-list"), {**base, "lead_unit": "HN.BD.VP"},
                                  format="json"), 400, "invalid")
    assert list(body["errors"]) == ["lead_unit"]
    assert body["errors"]["lead_unit"] == ["Không có đơn vị “HN.BD.VP”."]  # in Vietnamese
    assert_error(head.post(url("task-list"), {**base, "lead_official": "DV.HEAD"},
                           format="json"), 400, "task_lead_not_member")
    assert_error(head.post(url("task-list"), {**base, "code": "T-CG"}, format="json"),
                 400, "task_code_taken")
    body = assert_error(head.post(url("task-list"), {**base, "coordinating_units": [
        {"unit": "HN.SNV", "due": iso(5)}, {"unit": "HN.CG.DV", "due": iso(9)}]},
        format="json"), 400, "task_coordination_due")
    assert body["errors"] == {"coordinating_units": [{}, {"due": [body["message"]]}]}
    body = assert_error(head.post(url("task-list"), {**base, "steps": [
        {"name": "Dự thảo", "allowance": 2}, {"name": "Trình ký", "allowance": 30}]},
        format="json"), 400, "task_step_after_due")
    assert body["errors"] == {"steps": [{}, {"allowance": [body["message"]]}]}
    # Staff lead nothing; DV.HEAD leads a commune and cannot even name the office above.
    assert_error(api("staff").post(url("task-list"), base, format="json"), 403,
                 "task_assigner_not_leader")
    dv = APIClient()
    dv.force_authenticate(accounts.user_create(email="dv@example.vn", password=PASSWORD,
                                               official=world.officials["DV.HEAD"]))
    body = assert_error(dv.post(url("task-list"), base, format="json"), 400, "invalid")
    assert set(body["errors"]) == {"lead_unit", "lead_official"}
    assert Task.objects.count() == 1


def test_values_out_of_any_calendar_or_bound_are_refused_on_their_field(api, world):
    """A deadline in year 9999 was written, then broke the task's page and the month's
    signals (no day follows it); a quantity past the database's integers answered 500;
    days of year 1 in a filter did too. Each is a 400 naming the field, nothing written."""
    from thuocdo.tasks.choices import QUANTITY_MAX

    task = make_task(world)
    act(world, task, "accept", "CG.STAFF")
    head = api("head")
    base = {"title": "x", "product": "BC", "lead_unit": "HN.CG.VP",
            "lead_official": "CG.STAFF", "due": iso(5)}
    body = assert_error(head.post(url("task-list"), {**base, "due": "9999-12-31"},
                                  format="json"), 400, "deadline_range")
    assert list(body["errors"]) == ["due"] and "1900" in body["message"]
    body = assert_error(head.post(url("task-list"), {**base, "coordinating_units": [
        {"unit": "HN.SNV", "due": "9999-12-31"}]}, format="json"), 400, "deadline_range")
    assert body["errors"] == {"coordinating_units": [{"due": [body["message"]]}]}
    for quantity in (QUANTITY_MAX + 1, 10**20):
        body = assert_error(head.post(url("task-list"), {**base, "quantity": quantity},
                                      format="json"), 400, "invalid")
        assert list(body["errors"]) == ["quantity"]
    staff = api("staff")
    for kind, data in (("extension_request", {"new_due": "9999-12-31", "reason": "x"}),
                       ("consult", {"to_unit": "HN.SNV", "reply_due": "9999-12-31",
                                    "question": "?"})):
        body = assert_error(staff.post(action_url(kind, "T-CG"), data, format="json"), 400,
                            "deadline_range")
        assert list(body["errors"]) == [next(iter(k for k in data if k.endswith("due")))]
    assert Task.objects.count() == 1
    assert TaskEvent.objects.filter(task=task).count() == 2  # assigned, accepted
    for query in ({"assigned_from": "0001-01-01"}, {"assigned_to": "9999-12-31"},
                  {"due_from": "0001-01-01"}):
        body = assert_error(head.get(url("task-list"), query), 400, "invalid")
        assert list(body["errors"]) == list(query)
    # a yes/no filter read "maybe" as no filter: the whole list, silently
    for name, query in (("task-list", {"include_subunits": "maybe"}),
                        ("official-list", {"include_subunits": "x"}),
                        ("appeal-list", {"waiting": "x"})):
        body = assert_error(head.get(reverse(f"api:{name}"), query), 400, "invalid")
        assert list(body["errors"]) == list(query)
    assert ok(head.get(url("task-list"), {"include_subunits": "false"}))
    assert ok(head.get(url("task-list"), {"include_subunits": "1"}))
    for year in ("99999", "0", "-1"):
        body = assert_error(head.get(reverse("api:evaluation-period-list"), {"year": year}),
                            400, "invalid")
        assert list(body["errors"]) == ["year"]


def test_a_rows_error_is_a_list_with_one_entry_per_row(api, world):
    """DRF answered `{"1": {...}}` for the second row of a list; the documented shape (as a
    service's refusal of a row) is a list, `{}` for the rows without errors."""
    make_task(world)
    body = assert_error(api("head").post(url("task-list"), {
        "title": "x", "product": "BC", "lead_unit": "HN.CG.VP", "lead_official": "CG.STAFF",
        "due": iso(5), "coordinating_units": [{"unit": "HN.SNV", "due": iso(3)},
                                              {"unit": "HN.NOPE", "due": iso(3)}]},
        format="json"), 400, "invalid")
    rows = body["errors"]["coordinating_units"]
    assert isinstance(rows, list) and len(rows) == 2 and rows[0] == {}
    assert list(rows[1]) == ["unit"]


def test_a_transfer_names_only_an_official_the_caller_may_read(api, world):
    """As the transfer form offers them: an official out of the caller's scope is answered
    as one that does not exist, so the answer tells nobody who works where."""
    make_task(world)
    act(world, Task.objects.get(code="T-CG"), "accept", "CG.STAFF")
    staff = api("staff")
    answers = [assert_error(staff.post(action_url("transfer", "T-CG"),
                                       {"to_unit": "HN.BD.VP", "to_official": code,
                                        "reason": "x"}, format="json"), 400, "invalid")
               for code in ("BD.STAFF", "NOPE")]
    assert [body["errors"]["to_official"] for body in answers] == [
        ["Không tìm thấy cán bộ “BD.STAFF”."], ["Không tìm thấy cán bộ “NOPE”."]]
    assert Task.objects.get(code="T-CG").holder_official == world.officials["CG.STAFF"]
    # to the unit, for its leaders to dispatch, it goes
    ok(staff.post(action_url("transfer", "T-CG"), {"to_unit": "HN.BD.VP", "reason": "x"},
                  format="json"))


def test_assign_with_a_directive_a_code_and_a_priority(api, world):
    make_task(world)
    services.directive_create(code="24-CT/TU", title="Chỉ thị 24", issued_by=world.units["HN"],
                              issued_on=dt.date(2023, 8, 7))
    response = api("deputy").post(url("task-list"), {
        "code": "12/KH-CG", "title": "Kế hoạch", "product": "BC", "quantity": 3,
        "lead_unit": "HN.CG.DV", "lead_official": "DV.HEAD", "due": iso(3),
        "priority": "urgent", "directive": "24-CT/TU", "description": "Việc gấp",
    }, format="json")
    task = ok(response, 201)
    assert response["Location"] == "/api/tasks/12/KH-CG/"
    assert (task["code"], task["quantity"], task["priority"], task["directive"],
            task["assigned_by"], task["assigner_unit"], task["description"]) == (
        "12/KH-CG", 3, "urgent", "24-CT/TU", "CG.DEP", "HN.CG", "Việc gấp")
    # A code with "/" is addressed whole, by detail, log and actions.
    assert ok(api("head").get(response["Location"]))["code"] == "12/KH-CG"
    assert ok(api("head").get(url("task-events", "12/KH-CG")))["count"] == 1
    dv = APIClient()
    dv.force_authenticate(accounts.user_create(email="dv@example.vn", password=PASSWORD,
                                               official=world.officials["DV.HEAD"]))
    assert ok(dv.post(action_url("accept", "12/KH-CG"), {}, format="json"))["state"] == (
        "in_progress")


# -- refusals -----------------------------------------------------------------------------


def _log(task: Task) -> list[tuple]:
    return list(task.events.order_by("seq").values_list("seq", "kind"))


@pytest.mark.parametrize(
    ("kind", "role", "data"),
    [("accept", "head", {}), ("accept", "deputy", {}), ("cancel", "staff", {"reason": "x"}),
     ("remind", "staff", {}),
     ("extension_grant", "staff", {"new_due": "2099-01-01", "reason": "chờ số liệu"})],
)
def test_the_wrong_person_is_403_and_nothing_is_written(api, world, kind, role, data):
    task = make_task(world)
    before = _log(task)
    assert_error(api(role).post(action_url(kind, task.code), data, format="json"), 403,
                 "not_allowed")
    task.refresh_from_db()
    assert _log(task) == before and task.version == 1 and task.state == "assigned"


def test_the_wrong_state_is_400_wrong_state(api, world):
    task = make_task(world)
    assert_error(api("staff").post(action_url("submit", task.code), {}, format="json"), 400,
                 "wrong_state")
    assert_error(api("head").post(action_url("approve", task.code), {}, format="json"), 400,
                 "wrong_state")
    assert _log(task) == [(1, "create")]


def test_a_stale_view_is_409_and_nothing_is_written(api, world):
    task = make_task(world)
    staff = api("staff")
    seen = ok(staff.get(url("task-detail", task.code)))["version"]
    ok(staff.post(action_url("accept", task.code), {"expected_version": seen}, format="json"))
    response = staff.post(action_url("transfer", task.code),
                          {"to_unit": "HN.CG.VP", "to_official": "CG.STAFF2", "reason": "x",
                           "expected_version": seen}, format="json")
    assert_error(response, 409, "task_changed")
    assert _log(task) == [(1, "create"), (2, "accept")]
    ok(staff.post(action_url("submit", task.code), {"expected_version": seen + 1},
                  format="json"))


def test_inspectors_get_403_on_every_post(api, world):
    task = make_task(world)
    inspector = api("inspector")
    assert ok(inspector.get(url("task-detail", task.code)))["allowed_actions"] == []
    assert_error(inspector.post(url("task-list"), {}, format="json"), 403, "read_only")
    for kind in TRANSITIONS:
        for code in (task.code, "T-NOPE"):
            assert_error(inspector.post(action_url(kind, code), {}, format="json"), 403,
                         "read_only")
    assert _log(task) == [(1, "create")]


@pytest.mark.parametrize("role", ["admin", "board"])
def test_users_without_an_official_get_403_no_official(api, world, role):
    task = make_task(world)
    client = api(role)
    assert ok(client.get(url("task-detail", task.code)))["allowed_actions"] == []
    assert_error(client.post(url("task-list"), {}, format="json"), 403, "no_official")
    assert_error(client.post(action_url("cancel", task.code), {"reason": "x"}, format="json"),
                 403, "no_official")
    assert _log(task) == [(1, "create")]


def test_an_action_body_is_checked_by_field(api, world):
    task = act(world, make_task(world), "accept", "CG.STAFF")
    staff = api("staff")
    body = assert_error(staff.post(action_url("transfer", task.code), {}, format="json"),
                        400, "invalid")
    assert set(body["errors"]) == {"to_unit", "reason"}
    body = assert_error(staff.post(action_url("extension_request", task.code),
                                   {"new_due": "soon", "reason": "x"}, format="json"),
                        400, "invalid")
    assert list(body["errors"]) == ["new_due"]
    body = assert_error(staff.post(action_url("transfer", task.code),
                                   {"to_unit": "HN.NOPE", "reason": "x"}, format="json"),
                        400, "unknown_to_unit")
    assert list(body["errors"]) == ["to_unit"]
    assert_error(staff.post(action_url("accept", task.code), {"expected_version": -1},
                            format="json"), 400, "invalid")
    assert _log(task) == [(1, "create"), (2, "accept")]


def test_the_detail_says_what_the_caller_may_do_now(api, world):
    task = act(world, make_task(world), "accept", "CG.STAFF")
    assert ok(api("staff").get(url("task-detail", task.code)))["allowed_actions"] == [
        "transfer", "extension_request", "guidance_request", "consult", "submit"]
    assert ok(api("head").get(url("task-detail", task.code)))["allowed_actions"] == [
        "extension_grant", "remind", "cancel"]


def test_overdue_days_are_attributed_to_the_holder(api, world):
    task = make_task(world, days_ago=20, due_in=-10)
    detail = ok(api("head").get(url("task-detail", task.code)))
    [interval] = detail["holder_intervals"]
    assert interval["holder"] == {"unit": "HN.CG.VP", "official": "CG.STAFF"}
    assert interval["end"] is None and interval["started_by"] is None
    assert 0 < interval["workdays_overdue"] < interval["workdays"]
    assert detail["bucket"] == "open_overdue"
    excused = ok(api("head").post(action_url("excuse_delay", task.code), {"reason": "bão"},
                                  format="json"))
    assert excused["version"] == 2


# -- one endpoint per action -----------------------------------------------------------------


def test_every_workflow_action_has_its_endpoint_and_request_serializer():
    for kind in TRANSITIONS:
        path = action_url(kind, "T/1")
        assert path == f"/api/tasks/T/1/{kind}/"
        match = resolve(path)
        assert match.url_name == f"task-{kind.replace('_', '-')}"
        assert match.kwargs == {"code": "T/1"}
        assert match.func.actions == {"post": f"act_{kind}"}
        serializer = ACTIONS[kind][0]
        fields = set(serializer().fields)
        assert set(TRANSITIONS[kind].required) <= fields, kind
        assert "expected_version" in fields
    assert set(ACTIONS) == set(TRANSITIONS)
    # A task's own routes are not mistaken for actions, and vice versa.
    assert resolve("/api/tasks/T/1/events/").url_name == "task-events"
    assert resolve("/api/tasks/T/1/").url_name == "task-detail"


def test_an_action_without_its_own_serializer_still_gets_its_fields(monkeypatch):
    """A kind added to the workflow table before ACTIONS documents it: its required fields
    become text fields of a generated request serializer."""
    from thuocdo.tasks import workflow
    from thuocdo.tasks.serializers import action_spec

    monkeypatch.setitem(workflow.TRANSITIONS, "escalate", workflow.Transition(
        "escalate", frozenset({"in_progress"}), None, "superior", ("to_official", "reason")))
    serializer, summary, _description, _example = action_spec("escalate")
    assert set(serializer().fields) == {"to_official", "reason", "expected_version"}
    assert serializer.__name__ == "TaskEscalateSerializer" and summary == "escalate"


def test_every_action_is_in_the_schema(api):
    schema = ok(api("staff").get(reverse("api:schema"), {"format": "json"}))
    operations = {op["operationId"]: op for path in schema["paths"].values()
                  for op in path.values()}
    for kind in TRANSITIONS:
        operation = operations[f"tasks_{kind}"]
        assert operation["summary"]
        assert {"200", "400", "403", "404", "409"} <= set(operation["responses"])
        assert operation["requestBody"]["content"]["application/json"]["examples"]
    for operation_id in ("tasks_list", "tasks_create", "tasks_retrieve", "tasks_events_list",
                         "my_work_retrieve", "directives_list", "directives_retrieve",
                         "products_list"):
        assert operations[operation_id]["summary"]


@pytest.mark.parametrize(
    ("setup", "kind", "role", "data", "state"),
    [
        (None, "accept", "staff", {}, "in_progress"),
        ("accept", "guidance_request", "staff", {"to_official": "CG.HEAD", "question": "?"},
         "waiting_guidance"),
        ("accept", "consult", "staff", {"to_unit": "HN.CG.DV", "reply_due": "2099-01-01"},
         "in_progress"),
        ("accept", "remind", "deputy", {"note": "Khẩn trương"}, "in_progress"),
        (None, "cancel", "head", {"reason": "Trùng việc"}, "cancelled"),
        (("extension_request", {"new_due": "2099-12-31", "reason": "Chờ số liệu"}),
         "extension_refuse", "head", {"reason": "Không"}, "assigned"),
    ],
)
def test_actions_through_their_endpoints(api, world, setup, kind, role, data, state):
    task = make_task(world)
    if setup:
        setup_kind, setup_data = (setup, {}) if isinstance(setup, str) else setup
        act(world, task, setup_kind, "CG.STAFF", **setup_data)
    response = ok(api(role).post(action_url(kind, task.code), data, format="json"))
    assert response["state"] == state
    event = task.events.order_by("-seq").first()
    assert event.kind == kind and event.recorded_by == world.user(role)


def test_guidance_and_consultation_replies(api, world):
    task = act(world, make_task(world), "accept", "CG.STAFF")
    act(world, task, "consult", "CG.STAFF", to_unit="HN.BD.VP", reply_due=iso(3))
    act(world, task, "guidance_request", "CG.STAFF", to_official="CG.HEAD", question="?")
    reply = ok(api("head").post(action_url("guidance_reply", task.code), {"answer": "Được"},
                                format="json"))
    assert (reply["state"], reply["holder"]["official"]) == ("in_progress", "CG.STAFF")
    outsider = api("outsider")
    assert "consult_reply" in ok(outsider.get(url("task-detail", task.code)))["allowed_actions"]
    ok(outsider.post(action_url("consult_reply", task.code),
                     {"unit": "HN.BD.VP", "clear_position": False, "answer": "Chưa rõ"},
                     format="json"))
    assert task.events.order_by("-seq").first().data == {
        "unit": "HN.BD.VP", "clear_position": False, "answer": "Chưa rõ"}


# -- my work, directives, products --------------------------------------------------------


def test_my_work_sections(api, world):
    late = make_task(world, code="LATE", days_ago=10, due_in=-2)
    doing = act(world, make_task(world, code="DOING"), "accept", "CG.STAFF")
    make_task(world, code="NEW")
    asking = act(world, make_task(world, code="ASK"), "accept", "CG.STAFF")
    act(world, asking, "guidance_request", "CG.STAFF", to_official="CG.HEAD", question="?")
    work = ok(api("staff").get(url("my-work")))
    sections = {name: [t["code"] for t in work[name]]
                for name in ("overdue", "to_accept", "in_progress", "to_review", "waiting")}
    assert sections == {"overdue": [late.code], "to_accept": ["NEW"],
                        "in_progress": [doing.code], "to_review": [], "waiting": ["ASK"]}
    assert work["count"] == 4
    assert [t["code"] for t in ok(api("head").get(url("my-work")))["to_review"]] == ["ASK"]
    assert ok(api("admin").get(url("my-work")))["count"] == 0


def test_directives_with_answering_plans_and_counts(api, world):
    top = services.directive_create(code="24-CT/TU", title="Chỉ thị 24",
                                    issued_by=world.units["HN"], issued_on=dt.date(2023, 8, 7))
    plan = services.directive_create(code="15/KH-CG", title="Kế hoạch thực hiện Chỉ thị 24",
                                     issued_by=world.units["HN.CG"],
                                     issued_on=dt.date(2023, 9, 1), answers=top)
    for code, unit, lead, directive in (("A", "HN.CG.VP", "CG.STAFF", top),
                                        ("B", "HN.CG.DV", "DV.HEAD", plan),
                                        ("C", "HN.CG.VP", "CG.STAFF", plan)):
        make_task(world, code=code, unit=unit, lead=lead, directive=directive)
    act(world, Task.objects.get(code="C"), "cancel", "CG.HEAD", reason="trùng")
    listed = ok(api("staff").get(url("directive-list")))["results"]
    assert [d["code"] for d in listed] == ["15/KH-CG", "24-CT/TU"]
    assert listed[0]["answers"] == "24-CT/TU"
    assert codes(api("staff").get(url("directive-list"), {"search": "KH"})) == ["15/KH-CG"]
    detail = ok(api("head").get(url("directive-detail", "24-CT/TU")))
    assert detail["task_counts"] == {"done_on_time": 0, "done_late": 0,
                                     "open_within_deadline": 1, "open_overdue": 0,
                                     "cancelled": 0, "total": 1}
    [answer] = detail["answered_by"]
    assert (answer["code"], answer["issued_by"]) == ("15/KH-CG", "HN.CG")
    assert answer["task_counts"]["total"] == 2 and answer["task_counts"]["cancelled"] == 1
    # Counts follow the caller's scope: staff do not see the commune's task.
    staff_view = ok(api("staff").get(url("directive-detail", "15/KH-CG")))
    assert staff_view["task_counts"]["total"] == 1
    assert_error(api("staff").get(url("directive-detail", "NOPE")), 404, "not_found")


def test_products_with_their_coefficients(api, world):
    product = services.product_create(code="BC", name="Báo cáo", coefficient=1)
    services.product_update(product=product, coefficient="1.2",
                            valid_from=today() - dt.timedelta(days=10), history=True)
    services.product_update(product=product, coefficient="1.5",
                            valid_from=today() + dt.timedelta(days=10))
    services.product_create(code="QD", name="Quyết định", coefficient=2)
    products = ok(api("outsider").get(url("product-list")))["results"]
    assert [p["code"] for p in products] == ["BC", "QD"]
    assert products[0]["coefficient"] == "1.200"
    assert [c["coefficient"] for c in products[0]["coefficients"]] == ["1.500", "1.200", "1.000"]
    assert codes(api("outsider").get(url("product-list"), {"search": "quyết"})) == ["QD"]


def test_anonymous_callers_get_403(world):
    client = APIClient()
    for name in ("task-list", "my-work", "directive-list", "product-list"):
        assert_error(client.get(url(name)), 403, "not_authenticated")
    assert_error(client.post(action_url("accept", "T-CG"), {}), 403, "not_authenticated")

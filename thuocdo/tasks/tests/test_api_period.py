"""The tasks API's `period` filter: the work list's period (a task belongs to the period of
its original deadline), by month, quarter or year; the same tasks as the work list page;
never more than the caller's scope; a bad value is a 400 naming the parameter, in the
caller's language; documented in the OpenAPI schema."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from thuocdo.core.scope import scope_for
from thuocdo.tasks import selectors, services
from thuocdo.tasks.selectors import TaskFilters
from thuocdo.tasks.tests.api_routes import _bd_head, _product

pytestmark = pytest.mark.django_db

TZ = timezone.get_fixed_timezone(7 * 60)
#: every role that can read tasks (the permission matrix's roles but anonymous)
READERS = ("admin", "board", "inspector", "head", "deputy", "staff", "outsider")


def at(month: int, day: int, year: int = 2025) -> dt.datetime:
    return dt.datetime(year, month, day, 8, 0, tzinfo=TZ)


@pytest.fixture
def dated(world):
    """Tasks of 2025 (and one of 2026), assigned on 03/03/2025, by original deadline:

    M03 20/03 (HN.CG.VP, CG.STAFF); M03X 31/03, extended to 15/04 (still March's);
    M04 01/04 (CG.STAFF2); DV03 14/03 (HN.CG.DV); BD03 14/03 (Ba Đình); Y12 10/12;
    N26 05/01/2026.
    """
    product = _product()

    def assign(code, due, unit="HN.CG.VP", lead="CG.STAFF", assigner=None):
        return services.task_assign(
            assigned_by=assigner or world.officials["CG.HEAD"],
            title=f"Việc {code}",
            product=product,
            lead_unit=world.units[unit],
            lead_official=world.officials[lead],
            due=due,
            code=code,
            at=at(3, 3),
            allow_past_due=True,
        )

    assign("M03", dt.date(2025, 3, 20))
    extended = assign("M03X", dt.date(2025, 3, 31))
    services.task_act(
        task=extended,
        kind="extension_grant",
        actor=world.officials["CG.HEAD"],
        data={"new_due": "2025-04-15", "reason": "Chờ số liệu của phường"},
        at=at(3, 25),
    )
    assign("M04", dt.date(2025, 4, 1), lead="CG.STAFF2")
    assign("DV03", dt.date(2025, 3, 14), unit="HN.CG.DV", lead="DV.HEAD")
    assign("BD03", dt.date(2025, 3, 14), unit="HN.BD.VP", lead="BD.STAFF", assigner=_bd_head(world))
    assign("Y12", dt.date(2025, 12, 10))
    assign("N26", dt.date(2026, 1, 5))


def api_client(world, role, language=None) -> APIClient:
    client = APIClient(headers={"accept-language": language} if language else None)
    if role is not None:
        client.force_authenticate(world.user(role))
    return client


def api_codes(world, role, **query) -> set[str]:
    response = api_client(world, role).get(reverse("api:task-list"), {"page_size": 500, **query})
    assert response.status_code == 200, response.content
    return {row["code"] for row in response.json()["results"]}


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("2025-03", {"M03", "M03X", "DV03", "BD03"}),
        ("2025-04", {"M04"}),
        ("2025-02", set()),
        ("2025-Q1", {"M03", "M03X", "DV03", "BD03"}),
        ("2025-Q2", {"M04"}),
        ("2025-Q4", {"Y12"}),
        ("2025", {"M03", "M03X", "M04", "DV03", "BD03", "Y12"}),
        ("2026", {"N26"}),
        ("2026-01", {"N26"}),
    ],
)
def test_period_keeps_the_tasks_whose_original_deadline_falls_in_it(world, dated, period, expected):
    """A month, a quarter or a year; an extension does not move a task out of its period
    (M03X is due in force in April, and stays March's)."""
    assert api_codes(world, "admin", period=period) == expected


def test_an_empty_period_filters_nothing(world, dated):
    assert api_codes(world, "head", period="") == api_codes(world, "head")


def test_period_combines_with_the_other_filters(world, dated):
    assert api_codes(world, "head", period="2025-03", unit="HN.CG.VP") == {"M03", "M03X"}
    assert api_codes(world, "head", period="2025-Q1", due_from="2025-04-01") == {"M03X"}


@pytest.mark.parametrize("role", READERS)
@pytest.mark.parametrize("period", ["2025-03", "2025-04", "2026-01"])
def test_api_and_work_list_agree_on_a_months_tasks(world, client_for, dated, role, period):
    """The API's period is the work list's: for every role, the same tasks as the list page
    with every unit the caller can see (`unit=`) and the same month, and the selector's."""
    page = client_for(world.user(role)).get(
        reverse("tasks:task_list"), {"unit": "", "period": period}
    )
    assert page.status_code == 200
    assert not page.context["form"].errors
    listed = {task.code for task in page.context["page"].object_list}
    assert api_codes(world, role, period=period) == listed
    year, month = (int(part) for part in period.split("-"))
    first = dt.date(year, month, 1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    selected = selectors.task_list(
        scope=scope_for(world.user(role)), filters=TaskFilters(period=(first, last))
    )
    assert listed == {task.code for task in selected}


@pytest.mark.parametrize("role", READERS)
@pytest.mark.parametrize("period", ["2025-03", "2025-Q1", "2025", "2026"])
def test_period_never_widens_the_scope(world, dated, role, period):
    """The filter narrows what the caller reads and nothing else: the tasks of the period
    among those the caller reads without it."""
    readable = api_codes(world, role)
    in_period = api_codes(world, "admin", period=period)
    assert api_codes(world, role, period=period) == readable & in_period


def test_period_within_a_narrow_scope(world, dated):
    """Staff read their unit's list, not the commune's nor Ba Đình's, in any period; the
    outsider reads Ba Đình's only; anonymous callers are refused before any filter."""
    assert api_codes(world, "staff", period="2025-03") == {"M03", "M03X"}
    assert api_codes(world, "outsider", period="2025-03") == {"BD03"}
    assert api_codes(world, "outsider", period="2025-04") == set()
    response = api_client(world, None).get(reverse("api:task-list"), {"period": "2025-03"})
    assert response.status_code == 403
    assert response.json()["code"] == "not_authenticated"


BAD_PERIODS = [
    "2025-13",
    "2025-00",
    "2025-Q5",
    "2025-q1",
    "2025-3",
    "03/2025",
    "25-03",
    "2025-03-01",
    "abc",
    "0000",
]


@pytest.mark.parametrize("value", BAD_PERIODS)
def test_a_bad_period_is_400_naming_the_parameter(world, dated, value):
    """ISO labels only (the work list's form also takes MM/YYYY, typed by hand); English
    when the request asks for it."""
    response = api_client(world, "head", "en").get(reverse("api:task-list"), {"period": value})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"] == {
        "period": [f"“{value}” is not a period: write YYYY-MM, YYYY-Qn or YYYY."]
    }


def test_a_bad_period_is_refused_in_vietnamese(world, dated):
    """Vietnamese when the request asks for it, and by default (THUOCDO_LANGUAGE)."""
    expected = {
        "period": ["“2025-13” không phải kỳ hợp lệ: hãy ghi theo dạng YYYY-MM, YYYY-Qn hoặc YYYY."]
    }
    for language in ("vi", None):
        response = api_client(world, "head", language).get(
            reverse("api:task-list"), {"period": "2025-13"}
        )
        assert response.status_code == 400, response.content
        assert response.json()["errors"] == expected, language


def test_the_schema_documents_the_period():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = {p["name"]: p for p in schema["paths"]["/api/tasks/"]["get"]["parameters"]}
    period = parameters["period"]
    assert period["in"] == "query"
    assert period["schema"] == {
        "type": "string",
        "pattern": r"^[0-9]{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$",
    }
    assert {e["value"] for e in period["examples"].values()} == {"2026-10", "2026-Q4", "2026"}
    assert (
        "original deadline" in period["description"]
        or "hạn xử lý ban đầu" in (period["description"])
    )


def test_the_api_takes_the_work_list_s_cancelled_choice(world, client_for):
    """The work list lists cancelled tasks beside the four buckets; the API refused the
    choice (400)."""
    from thuocdo.tasks.tests.api_routes import make_task

    task = make_task(world, code="T-HUY")
    services.task_act(task=task, kind="cancel", actor=world.officials["CG.HEAD"],
                      data={"reason": "trùng"})
    response = client_for(world.user("head")).get("/api/tasks/", {"bucket": "cancelled"})
    assert response.status_code == 200
    assert [t["code"] for t in response.json()["results"]] == ["T-HUY"]

"""The organisation's API: scope per role, filters, folded search, pagination, errors, cost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from thuocdo.core.testing import assert_error
from thuocdo.org import selectors, services
from thuocdo.org.filters import OfficialFilter

pytestmark = pytest.mark.django_db

CG_UNITS = {"HN.CG", "HN.CG.VP", "HN.CG.DV"}
CG_OFFICIALS = {"CG.HEAD", "CG.DEP", "CG.STAFF", "CG.STAFF2", "DV.HEAD"}


@pytest.fixture
def api(world):
    """`api(role)`: an API client authenticated as that role's user (None: anonymous)."""

    def make(role):
        client = APIClient()
        if role is not None:
            client.force_authenticate(world.user(role))
        return client

    return make


def codes(response, key="code"):
    assert response.status_code == 200, response.content
    return [row[key] for row in response.json()["results"]]


# -- scope ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", {"HN", "HN.SNV", "HN.SNV.TCCB", "HN.BD", "HN.BD.VP"} | CG_UNITS),
        ("board", CG_UNITS),
        ("inspector", CG_UNITS),
        ("head", CG_UNITS),
        ("deputy", CG_UNITS),
        ("staff", {"HN.CG.VP"}),
        ("outsider", {"HN.BD.VP"}),
    ],
)
def test_unit_list_is_the_callers_scope(api, role, expected):
    assert set(codes(api(role).get(reverse("api:unit-list")))) == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", CG_OFFICIALS | {"BD.STAFF"}),
        ("board", CG_OFFICIALS),
        ("inspector", CG_OFFICIALS),
        ("head", CG_OFFICIALS),
        ("deputy", CG_OFFICIALS),
        ("staff", {"CG.STAFF", "CG.STAFF2"}),
        ("outsider", {"BD.STAFF"}),
    ],
)
def test_official_list_is_the_callers_scope(api, role, expected):
    assert set(codes(api(role).get(reverse("api:official-list")))) == expected


def test_token_authentication_is_scoped_like_the_session(world):
    """A token identifies the user and carries their scope (no session involved)."""
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=world.user("staff"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert set(codes(client.get(reverse("api:official-list")))) == {"CG.STAFF", "CG.STAFF2"}
    response = client.get(reverse("api:unit-detail", kwargs={"code": "HN.BD.VP"}))
    assert_error(response, 404, "not_found")


def test_a_bad_token_is_refused(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert_error(client.get(reverse("api:unit-list")), 403, "authentication_failed")


# -- units ------------------------------------------------------------------------------


def test_unit_filters(api):
    admin = api("admin")
    url = reverse("api:unit-list")
    assert set(codes(admin.get(url, {"kind": "district"}))) == {"HN.CG", "HN.BD"}
    assert set(codes(admin.get(url, {"parent": "HN.CG"}))) == {"HN.CG.VP", "HN.CG.DV"}
    assert codes(admin.get(url, {"within": "HN.BD"})) == ["HN.BD", "HN.BD.VP"]
    assert codes(admin.get(url, {"within": "HN.CG", "kind": "commune"})) == ["HN.CG.DV"]


def test_unit_search_ignores_tones_and_matches_codes(api):
    admin = api("admin")
    url = reverse("api:unit-list")
    assert codes(admin.get(url, {"search": "cau giay"})) == ["HN.CG"]
    assert codes(admin.get(url, {"search": "DICH VONG"})) == ["HN.CG.DV"]
    assert codes(admin.get(url, {"search": "HN.BD"})) == ["HN.BD", "HN.BD.VP"]
    # Search stays inside the scope.
    assert codes(api("outsider").get(url, {"search": "cau giay"})) == []


def test_unit_ordering(api):
    admin = api("admin")
    url = reverse("api:unit-list")
    tree = codes(admin.get(url))
    assert tree[0] == "HN" and tree.index("HN.CG") < tree.index("HN.CG.VP")
    by_code = codes(admin.get(url, {"ordering": "code"}))
    assert by_code == sorted(by_code)
    assert codes(admin.get(url, {"ordering": "-code"})) == by_code[::-1]
    assert codes(admin.get(url, {"ordering": "name", "kind": "district"})) == ["HN.BD", "HN.CG"]


def test_staff_may_filter_by_a_parent_they_cannot_read(api):
    assert codes(api("staff").get(reverse("api:unit-list"), {"parent": "HN.CG"})) == ["HN.CG.VP"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"kind": "galaxy"}, "kind"),
        ({"ordering": "lft"}, "ordering"),
        ({"within": "HN.NOPE"}, "within"),
        ({"within": "HN.BD"}, "within"),  # exists, but outside the head's scope
    ],
)
def test_bad_unit_filters_are_400_with_the_field(api, query, field):
    body = assert_error(api("head").get(reverse("api:unit-list"), query), 400, "invalid")
    assert list(body["errors"]) == [field]


def test_unit_detail(api):
    body = api("head").get(reverse("api:unit-detail", kwargs={"code": "HN.CG.VP"})).json()
    assert body == {
        "code": "HN.CG.VP", "name": "Văn phòng HĐND và UBND quận", "kind": "division",
        "kind_label": body["kind_label"], "parent": "HN.CG", "depth": 2, "is_active": True,
        "agency": "HN.CG", "child_count": 0,
    }
    district = api("head").get(reverse("api:unit-detail", kwargs={"code": "HN.CG"})).json()
    assert (district["parent"], district["agency"], district["child_count"]) == ("HN", "HN.CG", 2)
    root = api("admin").get(reverse("api:unit-detail", kwargs={"code": "HN"})).json()
    assert (root["parent"], root["depth"], root["child_count"]) == (None, 0, 3)


def test_unit_detail_outside_the_scope_is_404_like_a_missing_unit(api):
    outside = api("staff").get(reverse("api:unit-detail", kwargs={"code": "HN.BD.VP"}))
    missing = api("staff").get(reverse("api:unit-detail", kwargs={"code": "HN.NOPE"}))
    assert assert_error(outside, 404, "not_found") == assert_error(missing, 404, "not_found")


def test_unit_children_and_members(api, world):
    head = api("head")
    children = head.get(reverse("api:unit-children", kwargs={"code": "HN.CG"}))
    assert codes(children) == ["HN.CG.DV", "HN.CG.VP"]
    # A membership that ended is not a current member.
    services.official_place(official=world.officials["CG.STAFF2"], unit=world.units["HN.CG.DV"],
                            position="staff", on=dt.date(2025, 6, 1))
    members = head.get(reverse("api:unit-members", kwargs={"code": "HN.CG.VP"}))
    assert codes(members, "official") == ["CG.STAFF"]
    assert members.json()["results"][0] == {
        "official": "CG.STAFF", "official_name": "Lê Văn Cường", "position": "staff",
        "position_label": members.json()["results"][0]["position_label"], "task_group": "CM",
        "start": "2025-01-01", "end": None,
    }
    leaders = head.get(reverse("api:unit-members", kwargs={"code": "HN.CG"}))
    assert set(codes(leaders, "official")) == {"CG.HEAD", "CG.DEP"}
    assert_error(api("staff").get(reverse("api:unit-children", kwargs={"code": "HN.CG"})),
                 404, "not_found")


# -- officials --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("nguyen van duc", ["CG.HEAD"]),
        ("NGUYỄN VĂN ĐỨC", ["CG.HEAD"]),
        ("  dang   thi giang ", ["BD.STAFF"]),
        ("thi", ["BD.STAFF", "CG.STAFF2", "CG.DEP"]),  # Đặng, Phạm, Trần Thị ...
        ("cg.staff", ["CG.STAFF", "CG.STAFF2"]),  # codes and e-mails match too
        ("nobody", []),
    ],
)
def test_official_search_ignores_tones_and_d(api, search, expected):
    response = api("admin").get(reverse("api:official-list"), {"search": search})
    assert codes(response) == expected


def test_official_filters_on_the_same_current_membership(api):
    admin = api("admin")
    url = reverse("api:official-list")
    assert set(codes(admin.get(url, {"unit": "HN.CG"}))) == CG_OFFICIALS
    assert set(codes(admin.get(url, {"unit": "HN.CG", "include_subunits": "false"}))) == {
        "CG.HEAD", "CG.DEP"}
    assert set(codes(admin.get(url, {"position": "head"}))) == {"CG.HEAD", "DV.HEAD"}
    assert set(codes(admin.get(url, {"task_group": "CM"}))) == {
        "CG.STAFF", "CG.STAFF2", "BD.STAFF"}
    assert set(codes(admin.get(url, {"task_group": "CM", "unit": "HN.CG"}))) == {
        "CG.STAFF", "CG.STAFF2"}
    # Nobody is staff in HN.CG itself: staff of its divisions do not count without subunits.
    assert codes(admin.get(url, {"unit": "HN.CG", "position": "staff",
                                 "include_subunits": "false"})) == []


def test_official_filter_by_unit_is_limited_to_the_scope(api):
    staff = api("staff")
    url = reverse("api:official-list")
    assert set(codes(staff.get(url, {"unit": "HN.CG.VP"}))) == {"CG.STAFF", "CG.STAFF2"}
    body = assert_error(staff.get(url, {"unit": "HN.CG"}), 400, "invalid")
    assert list(body["errors"]) == ["unit"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"position": "boss"}, "position"),
        ({"task_group": "NOPE"}, "task_group"),
        ({"unit": "HN.NOPE"}, "unit"),
        ({"active": "maybe"}, "active"),
        ({"ordering": "email"}, "ordering"),
    ],
)
def test_bad_official_filters_are_400_with_the_field(api, query, field):
    body = assert_error(api("admin").get(reverse("api:official-list"), query), 400, "invalid")
    assert list(body["errors"]) == [field]


def test_official_orderings_are_the_selectors(api):
    assert {key for key, _label in OfficialFilter.base_filters["ordering"].extra["choices"]} == (
        set(selectors.OFFICIAL_ORDERINGS))
    admin = api("admin")
    url = reverse("api:official-list")
    by_name = codes(admin.get(url, {"ordering": "name"}))
    # By folded full name: "Đặng" sorts as "dang", first, not after "z".
    assert by_name == ["BD.STAFF", "DV.HEAD", "CG.STAFF", "CG.HEAD", "CG.STAFF2", "CG.DEP"]
    assert codes(admin.get(url, {"ordering": "-name"})) == by_name[::-1]
    by_code = codes(admin.get(url, {"ordering": "code"}))
    assert by_code == sorted(by_code)
    assert codes(admin.get(url, {"ordering": "-code"})) == by_code[::-1]


def test_inactive_officials_are_hidden_unless_asked_for(api, world):
    services.official_update(official=world.officials["CG.STAFF2"], is_active=False,
                             reason="retired")
    head = api("head")
    url = reverse("api:official-list")
    assert "CG.STAFF2" not in codes(head.get(url))
    assert codes(head.get(url, {"active": "false"})) == ["CG.STAFF2"]
    assert "CG.STAFF2" in codes(head.get(url, {"active": "all"}))
    # The detail of an inactive official is still there.
    detail = head.get(reverse("api:official-detail", kwargs={"code": "CG.STAFF2"}))
    assert detail.json()["is_active"] is False


def test_pagination(api):
    admin = api("admin")
    url = reverse("api:official-list")
    first = admin.get(url, {"page_size": 4, "ordering": "code"}).json()
    assert first["count"] == 6 and len(first["results"]) == 4
    assert first["previous"] is None and "page=2" in first["next"]
    second = admin.get(first["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None
    all_codes = [row["code"] for row in first["results"] + second["results"]]
    assert all_codes == sorted(all_codes)
    assert_error(admin.get(url, {"page": 9}), 404, "not_found")


def test_official_detail_has_current_memberships(api):
    body = api("head").get(reverse("api:official-detail", kwargs={"code": "CG.STAFF"})).json()
    assert body["code"] == "CG.STAFF"
    assert body["name"] == "Lê Văn Cường"
    assert [(m["unit"], m["position"], m["task_group"], m["end"])
            for m in body["current_memberships"]] == [("HN.CG.VP", "staff", "CM", None)]
    assert "id" not in body and all("id" not in m for m in body["current_memberships"])


def test_membership_history_keeps_moves(api, world):
    services.official_place(official=world.officials["CG.STAFF"], unit=world.units["HN.CG.DV"],
                            position="staff", task_group=world.groups["TH"],
                            on=dt.date(2025, 6, 1))
    head = api("head")
    history = head.get(reverse("api:official-memberships", kwargs={"code": "CG.STAFF"})).json()
    assert [(m["unit"], m["start"], m["end"]) for m in history["results"]] == [
        ("HN.CG.DV", "2025-06-01", None),
        ("HN.CG.VP", "2025-01-01", "2025-05-31"),
    ]
    detail = head.get(reverse("api:official-detail", kwargs={"code": "CG.STAFF"})).json()
    assert [m["unit"] for m in detail["current_memberships"]] == ["HN.CG.DV"]
    # Staff of HN.CG.VP can still read the history of a colleague who moved out.
    assert api("staff").get(
        reverse("api:official-memberships", kwargs={"code": "CG.STAFF"})).status_code == 200


def test_official_outside_the_scope_is_404(api):
    for name in ("api:official-detail", "api:official-memberships"):
        assert_error(api("staff").get(reverse(name, kwargs={"code": "DV.HEAD"})), 404,
                     "not_found")
        assert_error(api("staff").get(reverse(name, kwargs={"code": "NOPE"})), 404, "not_found")


def test_task_groups(api):
    response = api("outsider").get(reverse("api:task-group-list"))
    assert response.json()["results"] == [
        {"code": "CM", "name": "Chuyên môn, nghiệp vụ"},
        {"code": "TH", "name": "Tổng hợp, tham mưu"},
    ]


# -- errors and methods -----------------------------------------------------------------


def test_anonymous_is_403_json(api):
    assert_error(api(None).get(reverse("api:official-list")), 403, "not_authenticated")


@pytest.mark.parametrize("role", ["admin", "board", "inspector", "head", "deputy", "staff"])
def test_the_api_is_read_only_for_every_role(api, role):
    """Inspectors only read, and so does everyone else here: writes are 405."""
    client = api(role)
    for name, kwargs in (("api:unit-list", {}), ("api:official-list", {}),
                         ("api:task-group-list", {}),
                         ("api:unit-detail", {"code": "HN.CG.VP"}),
                         ("api:official-detail", {"code": "CG.STAFF"}),
                         ("api:unit-members", {"code": "HN.CG.VP"}),
                         ("api:official-memberships", {"code": "CG.STAFF"})):
        url = reverse(name, kwargs=kwargs)
        for method in ("post", "put", "patch", "delete"):
            assert_error(getattr(client, method)(url, {}, format="json"), 405,
                         "method_not_allowed")


# -- cost -------------------------------------------------------------------------------


def _add_staff(world, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        official = services.official_create(code=f"CG.X{i:03d}", name=f"Nguyễn Văn Thử {i}")
        services.membership_start(official=official, unit=world.units["HN.CG.VP"],
                                  position="staff", task_group=world.groups["CM"],
                                  start=dt.date(2025, 1, 1))


def _count_list_queries(client, query: dict) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("api:official-list"), query)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_official_list_query_count_does_not_grow_with_rows(world, client_for,
                                                          django_assert_max_num_queries):
    """Set-based: the list costs the same few queries for 5 officials or 65 (session, user,
    scope, count, page, current memberships; plus the unit lookup when filtering by unit)."""
    client = client_for(world.user("head"))
    query = {"page_size": 100}
    small = _count_list_queries(client, query)
    _add_staff(world, 60)
    with django_assert_max_num_queries(7):
        response = client.get(reverse("api:official-list"), query)
    assert len(response.json()["results"]) == 65
    assert _count_list_queries(client, query) == small
    filtered = {**query, "unit": "HN.CG", "task_group": "CM", "search": "nguyen"}
    with django_assert_max_num_queries(9):
        response = client.get(reverse("api:official-list"), filtered)
    assert len(response.json()["results"]) == 60


def test_unit_members_query_count_does_not_grow_with_rows(world, client_for,
                                                         django_assert_max_num_queries):
    client = client_for(world.user("head"))
    _add_staff(world, 30)
    with django_assert_max_num_queries(7):
        response = client.get(reverse("api:unit-members", kwargs={"code": "HN.CG.VP"}))
    assert response.json()["count"] == 32

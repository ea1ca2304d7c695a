"""Testing helpers: a small organisation with one user per role, built through services.

    HN            city        Hà Nội
    ├── HN.SNV    department  Sở Nội vụ
    │   └── HN.SNV.TCCB  division
    ├── HN.CG     district    Quận Cầu Giấy      head: CG.HEAD, deputy: CG.DEP
    │   ├── HN.CG.VP     division   staff: CG.STAFF, CG.STAFF2
    │   └── HN.CG.DV     commune    head: DV.HEAD
    └── HN.BD     district    Quận Ba Đình
        └── HN.BD.VP     division   staff: BD.STAFF

Users (password `PASSWORD`): admin (superuser), board and inspector (granted over HN.CG),
head, deputy, staff (linked to the officials above), outsider (BD.STAFF).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

PASSWORD = "Thuocdo-test-2026"  # noqa: S105 - fixed password of test users
SINCE = dt.date(2025, 1, 1)

#: every role the permission matrix checks; "anonymous" is not logged in
ROLES = ("anonymous", "admin", "board", "inspector", "head", "deputy", "staff", "outsider")


@dataclass
class World:
    units: dict = field(default_factory=dict)
    officials: dict = field(default_factory=dict)
    groups: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)

    def user(self, role: str):
        return self.users.get(role)


def build_world() -> World:
    from thuocdo.accounts import services as accounts
    from thuocdo.org import services as org

    w = World()
    tree = [
        ("HN", "UBND Thành phố Hà Nội", "city", None),
        ("HN.SNV", "Sở Nội vụ", "department", "HN"),
        ("HN.SNV.TCCB", "Phòng Tổ chức cán bộ", "division", "HN.SNV"),
        ("HN.CG", "UBND quận Cầu Giấy", "district", "HN"),
        ("HN.CG.VP", "Văn phòng HĐND và UBND quận", "division", "HN.CG"),
        ("HN.CG.DV", "UBND phường Dịch Vọng", "commune", "HN.CG"),
        ("HN.BD", "UBND quận Ba Đình", "district", "HN"),
        ("HN.BD.VP", "Văn phòng HĐND và UBND quận Ba Đình", "division", "HN.BD"),
    ]
    for code, name, kind, parent in tree:
        w.units[code] = org.unit_create(
            code=code, name=name, kind=kind, parent=w.units.get(parent), rebuild=False
        )
    org.unit_tree_rebuild()
    for unit in w.units.values():
        unit.refresh_from_db()
    w.groups["TH"] = org.task_group_create(code="TH", name="Tổng hợp, tham mưu")
    w.groups["CM"] = org.task_group_create(code="CM", name="Chuyên môn, nghiệp vụ")
    people = [
        ("CG.HEAD", "Nguyễn Văn Đức", "HN.CG", "head", "TH"),
        ("CG.DEP", "Trần Thị Bình", "HN.CG", "deputy", "TH"),
        ("CG.STAFF", "Lê Văn Cường", "HN.CG.VP", "staff", "CM"),
        ("CG.STAFF2", "Phạm Thị Dung", "HN.CG.VP", "staff", "CM"),
        ("DV.HEAD", "Hoàng Văn Em", "HN.CG.DV", "head", "TH"),
        ("BD.STAFF", "Đặng Thị Giang", "HN.BD.VP", "staff", "CM"),
    ]
    for code, name, unit, position, group in people:
        official = org.official_create(code=code, name=name, email=f"{code.lower()}@example.vn")
        org.membership_start(official=official, unit=w.units[unit], position=position,
                             task_group=w.groups[group], start=SINCE)
        w.officials[code] = official
    w.users["admin"] = accounts.user_create(email="admin@example.vn", password=PASSWORD,
                                            full_name="Quản trị", is_superuser=True)
    w.users["board"] = accounts.user_create(email="board@example.vn", password=PASSWORD,
                                            full_name="Ban Tổ chức")
    accounts.scope_grant(user=w.users["board"], role="board", unit=w.units["HN.CG"], start=SINCE)
    w.users["inspector"] = accounts.user_create(email="inspector@example.vn", password=PASSWORD,
                                                full_name="Thanh tra")
    accounts.scope_grant(user=w.users["inspector"], role="inspector", unit=w.units["HN.CG"],
                         start=SINCE)
    for role, code in (("head", "CG.HEAD"), ("deputy", "CG.DEP"), ("staff", "CG.STAFF"),
                       ("outsider", "BD.STAFF")):
        official = w.officials[code]
        w.users[role] = accounts.user_create(email=official.email, password=PASSWORD,
                                             official=official)
    return w


# -- the permission matrix -------------------------------------------------------------
#
# Every named URL must be declared in some app's `tests/routes.py` (pages) or
# `tests/api_routes.py` (API endpoints) as
# `ROUTES = {"namespace:name": [RouteSpec(...), ...]}`. `core/tests/test_permissions.py`
# discovers every route from the URL configuration and fails for any route nobody declared,
# then requests each spec as each role and checks the status code.


@dataclass(frozen=True)
class RouteSpec:
    """How one URL answers each role.

    `kwargs(world)` builds the URL's keyword arguments (e.g. a unit code inside or outside
    someone's scope). `expect` maps every role in ROLES to the expected status code of a
    request with `method` (and `data`, for POST). `query` is appended as a query string.
    Use `page_expect(...)` / `api_expect(...)` to spell the usual cases briefly.
    """

    expect: dict
    kwargs: object = None  # callable World -> dict, or None
    method: str = "get"
    data: object = None  # callable World -> dict, or None
    query: str = ""
    note: str = ""


def page_expect(allowed: set[str] | str, *, denied: int = 404, ok: int = 200) -> dict:
    """Expected codes for a login-only page: anonymous is redirected to the login page (302),
    roles in `allowed` get `ok`, every other role gets `denied` ("all" allows every role)."""
    roles = set(ROLES[1:]) if allowed == "all" else set(allowed)
    return {role: (302 if role == "anonymous" else ok if role in roles else denied)
            for role in ROLES}


def api_expect(allowed: set[str] | str, *, denied: int = 404, ok: int = 200,
               anonymous: int = 403) -> dict:
    """Expected codes for an API endpoint: anonymous gets `anonymous` (403 with session
    authentication first), roles in `allowed` get `ok`, others `denied`."""
    roles = set(ROLES[1:]) if allowed == "all" else set(allowed)
    return {role: (anonymous if role == "anonymous" else ok if role in roles else denied)
            for role in ROLES}


# -- the REST API's answers ------------------------------------------------------------------


def ok(response, status=200):
    """The JSON of an answer with `status` (the body shown when it is another)."""
    assert response.status_code == status, response.content
    return response.json()


def assert_error(response, status, code):
    """An error answer in the API's format (`core.api`): `status`, `code`, a message."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "errors"}
    assert body["code"] == code, body
    assert body["message"]
    return body


def browser_login(browser, base_url: str, login: str, *, width: int = 1366,
                  height: int = 900, password: str = PASSWORD, **context):
    """A new page of `browser` (the Playwright fixture) `width` px wide (`context`: more
    options of its context, e.g. `locale`), logged in as `login` (an e-mail or an official
    code) through the Vietnamese login page, on the home page."""
    page = browser.new_context(viewport={"width": width, "height": height},
                               **context).new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.locator("#id_username").fill(login)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base_url}/")
    return page

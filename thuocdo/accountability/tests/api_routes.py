"""Permission specs of the signals API (see thuocdo.core.testing.RouteSpec): as the pages
(tests/routes.py), staff read only the signals naming them."""

from thuocdo.core.testing import RouteSpec, api_expect

from .helpers import colleague_signal, overdue_signal, requested_signal, s1_signal

READERS = {"admin", "board", "inspector", "head", "deputy"}
NAMED = READERS | {"staff"}


def _post(allowed: set[str], *, forbidden: set[str], ok: int = 200) -> dict:
    expect = api_expect(allowed, ok=ok)
    for role in forbidden:
        expect[role] = 403
    return expect


def _id(make):
    return lambda world: {"signal_id": make(world)["pk"]}


ROUTES = {
    "api:signal-list": [
        RouteSpec(expect=api_expect("all")),
        RouteSpec(expect=api_expect("all"), query="period=2026-10&status=undecided&code=S1"),
        RouteSpec(expect=api_expect("all", ok=400, denied=400), query="period=10-2026",
                  note="a bad month is a 400"),
    ],
    "api:signal-detail": [
        RouteSpec(kwargs=_id(s1_signal), expect=api_expect(NAMED)),
        RouteSpec(kwargs=_id(colleague_signal), expect=api_expect(READERS),
                  note="an S12 naming a colleague of the staff user, in the same unit"),
    ],
    "api:signal-request": [
        RouteSpec(kwargs=_id(s1_signal), method="post", data=lambda w: {"text": "Giải trình"},
                  expect=_post({"admin", "head", "deputy"},
                               forbidden={"board", "inspector", "staff"})),
        RouteSpec(kwargs=_id(s1_signal), method="post",
                  data=lambda w: {"text": "Giải trình", "due": "2020-01-02"},
                  expect=_post({"admin", "head", "deputy"},
                               forbidden={"board", "inspector", "staff"}, ok=400),
                  note="a due day already past is a 400"),
    ],
    "api:signal-explain": [
        RouteSpec(kwargs=_id(requested_signal), method="post",
                  data=lambda w: {"text": "Chờ số liệu"},
                  expect=_post({"staff"}, forbidden={"admin", "board", "inspector", "head",
                                                     "deputy"})),
    ],
    "api:signal-decide": [
        RouteSpec(kwargs=_id(overdue_signal), method="post",
                  data=lambda w: {"text": "Vi phạm", "decision": "confirm"},
                  expect=_post({"admin", "head", "deputy"},
                               forbidden={"board", "inspector", "staff"})),
    ],
}

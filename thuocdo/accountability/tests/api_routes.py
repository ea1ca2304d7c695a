"""Permission specs of the signals API (see thuocdo.core.testing.RouteSpec): as the pages
(tests/routes.py), staff read only the signals naming them; S14 and S15 are recorded (POST
on the list) by an inspector, the board or an administrator, a 403 for anyone else."""

from thuocdo.core.testing import RouteSpec, api_expect

from .helpers import colleague_signal, overdue_signal, requested_signal, s1_signal

READERS = {"admin", "board", "inspector", "head", "deputy"}
NAMED = READERS | {"staff"}


def _post(allowed: set[str], *, forbidden: set[str], ok: int = 200) -> dict:
    expect = api_expect(allowed, ok=ok)
    for role in forbidden:
        expect[role] = 403
    return expect


RECORDERS = {"admin", "board", "inspector"}


def _record_body(**changes):
    def data(world):
        from django.utils import timezone

        return {"code": "S15", "official": "CG.STAFF", "on": timezone.localdate().isoformat(),
                "text": "Đăng ký sáng kiến: một cửa liên thông", **changes}

    return data


def _id(make):
    return lambda world: {"signal_id": make(world)["pk"]}


def _recorded_s14(world) -> dict:
    """An S14 about CG.STAFF recorded by the inspector today, open."""
    from django.utils import timezone

    from thuocdo.accountability import services

    signal = services.signal_record(user=world.user("inspector"), code="S14",
                                    official=world.officials["CG.STAFF"],
                                    on=timezone.localdate(), text="Kết luận thanh tra")
    return {"pk": signal.pk}


ROUTES = {
    "api:signal-list": [
        RouteSpec(expect=api_expect("all")),
        RouteSpec(expect=api_expect("all"), query="period=2026-10&status=undecided&code=S1"),
        RouteSpec(expect=api_expect("all", ok=400, denied=400), query="period=10-2026",
                  note="a bad month is a 400"),
        RouteSpec(expect=api_expect("all", ok=400, denied=400), query="code=S99",
                  note="a code no signal has is a 400"),
        RouteSpec(expect=api_expect({"admin"}, ok=200, denied=400), query="unit=HN.BD",
                  note="a unit the caller may not read is a 400 on its field, as one that "
                       "does not exist"),
        RouteSpec(expect=api_expect("all", ok=400, denied=400), query="official=NOPE",
                  note="an unknown official is a 400 on its field"),
        RouteSpec(method="post", data=_record_body(),
                  expect=api_expect(RECORDERS, ok=201, denied=403),
                  note="an S15 recorded by hand"),
        RouteSpec(method="post", data=_record_body(text="", on="2999-01-01"),
                  expect=api_expect(RECORDERS, ok=400, denied=403),
                  note="no text, a day to come: a 400, nothing written"),
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
    "api:signal-withdraw": [
        RouteSpec(kwargs=_id(_recorded_s14), method="post",
                  data=lambda w: {"text": "Ghi nhầm người"},
                  expect=_post({"admin", "board", "inspector"},
                               forbidden={"head", "deputy", "staff"})),
        RouteSpec(kwargs=_id(s1_signal), method="post", data=lambda w: {"text": "Nhầm"},
                  expect=_post(set(), forbidden={"admin", "board", "inspector", "head",
                                                 "deputy", "staff"}),
                  note="a computed signal is never withdrawn"),
    ],
}

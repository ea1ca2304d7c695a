"""Permission specs of the accountability pages (see thuocdo.core.testing.RouteSpec).

The dashboard is for those who read a unit's whole subtree: administrators, boards,
inspectors, heads and deputies (HN.CG in the test world); staff and the outsider get 404.
The list behind a dashboard total is the dashboard's, by the same rule. Signals are read by
whoever reads their unit's whole subtree (leaders, board, inspector) and by the person
named: staff read only the signals naming them, not their colleagues' (a 404). A leader
of the unit asks and, once the explanation is given or its due day has passed, decides
(never the board or the inspector, who read), the person named explains. S14 and S15 are
recorded by hand by an inspector, the board (within HN.CG, granted to them) or an
administrator; anyone else gets 403 on the form.
"""

from thuocdo.core.testing import RouteSpec, page_expect

from .helpers import colleague_signal, overdue_signal, requested_signal, s1_signal

READERS = {"admin", "board", "inspector", "head", "deputy"}
NAMED = READERS | {"staff"}


def _post(allowed: set[str], *, forbidden: set[str], ok: int = 302) -> dict:
    """POST answer: `ok` (302) for `allowed`, 403 for `forbidden` (they see the signal but
    may not act), 404 for who cannot see it."""
    expect = page_expect(allowed, ok=ok)
    for role in forbidden:
        expect[role] = 403
    return expect


def _signal_act(action):
    return lambda world: {**s1_signal(world), "action": action}


def _requested_act(action):
    return lambda world: {**requested_signal(world), "action": action}


def _overdue_act(action):
    return lambda world: {**overdue_signal(world), "action": action}


def _recorded_act(action):
    """An S14 about CG.STAFF recorded by the inspector today, open."""
    def kwargs(world):
        from django.utils import timezone

        from thuocdo.accountability import services

        signal = services.signal_record(user=world.user("inspector"), code="S14",
                                        official=world.officials["CG.STAFF"],
                                        on=timezone.localdate(), text="Kết luận thanh tra")
        return {"pk": signal.pk, "action": action}

    return kwargs


def _made(make):
    """Make what `make` makes, for a URL whose parameters are in its query string."""
    def kwargs(world):
        make(world)
        return {}

    return kwargs


RECORDERS = {"admin", "board", "inspector"}


def _record_data(**changes):
    """A signal recorded by hand about CG.STAFF (typed in lower case), dated today."""
    def data(world):
        from django.utils import timezone

        return {"code": "S14", "official": "cg.staff", "on": timezone.localdate().isoformat(),
                "text": "Kết luận thanh tra số 12/KL-TTr: vi phạm quy chế", **changes}

    return data


def _directive(world):
    from thuocdo.tasks.tests.api_routes import _directive as make

    return {"code": make(world).code}


ROUTES = {
    "accountability:dashboard": [
        RouteSpec(expect=page_expect(READERS)),
        RouteSpec(expect=page_expect(READERS), query="unit=HN.CG.VP&period=2026-10",
                  note="a sub-unit, a month"),
        RouteSpec(expect=page_expect({"admin"}), query="unit=HN.BD",
                  note="outside the HN.CG readers' scope"),
    ],
    "accountability:dashboard_export": [
        RouteSpec(expect=page_expect(READERS), query="unit=HN.CG&period=2026-10"),
        RouteSpec(expect=page_expect({"admin"}), query="unit=HN.BD&period=2026-10",
                  note="outside the HN.CG readers' scope: 404, as the page"),
        RouteSpec(expect=page_expect(READERS, ok=302), query="unit=HN.CG&period=13/2026",
                  note="a month that is not valid: nothing exported, back to the dashboard"),
    ],
    "accountability:signal_list": [
        RouteSpec(expect=page_expect("all")),
        RouteSpec(expect=page_expect("all"), query="unit=HN.CG&status=undecided&code=S1",
                  note="filters"),
    ],
    "accountability:signal_export": [
        RouteSpec(expect=page_expect("all")),
        RouteSpec(expect=page_expect(READERS, denied=302),
                  query="unit=HN.CG&status=undecided&code=S1&sort=unit",
                  note="filters and order, as the list; HN.CG is not among the units staff "
                       "and the outsider may filter by: refused, back to the list, which "
                       "names the filter (as it does for a unit that does not exist)"),
    ],
    "accountability:signal_record": [
        RouteSpec(expect=page_expect(RECORDERS, denied=403)),
        RouteSpec(method="post", data=_record_data(),
                  expect=page_expect(RECORDERS, ok=302, denied=403),
                  note="recorded: the signal's page"),
        RouteSpec(method="post", data=_record_data(text=""),
                  expect=page_expect(RECORDERS, ok=400, denied=403),
                  note="no text: the form says so, nothing is written"),
        RouteSpec(method="post", data=_record_data(official="BD.STAFF"),
                  expect=page_expect({"admin"}, ok=302, denied=403) | {"board": 400,
                                                                        "inspector": 400},
                  note="an official outside the HN.CG grants"),
    ],
    "accountability:signal_detail": [
        RouteSpec(kwargs=s1_signal, expect=page_expect(NAMED)),
        RouteSpec(kwargs=colleague_signal, expect=page_expect(READERS),
                  note="an S12 naming a colleague of the staff user, in the same unit"),
    ],
    "accountability:signal_act": [
        RouteSpec(kwargs=_signal_act("request"), method="post",
                  data=lambda w: {"text": "Đề nghị giải trình"},
                  expect=_post({"admin", "head", "deputy"},
                               forbidden={"board", "inspector", "staff"})),
        RouteSpec(kwargs=_signal_act("request"), method="post",
                  data=lambda w: {"text": "Đề nghị giải trình", "due": "2020-01-02"},
                  expect=_post({"admin", "head", "deputy"},
                               forbidden={"board", "inspector", "staff"}, ok=400),
                  note="a due day already past: the form says so"),
        RouteSpec(kwargs=_requested_act("explain"), method="post",
                  data=lambda w: {"text": "Chờ số liệu của Sở"},
                  expect=_post({"staff"}, forbidden={"admin", "board", "inspector", "head",
                                                     "deputy"})),
        RouteSpec(kwargs=_overdue_act("decide"), method="post",
                  data=lambda w: {"text": "Không có lý do", "decision": "confirm"},
                  expect=_post({"admin", "head", "deputy"},
                               forbidden={"board", "inspector", "staff"})),
        RouteSpec(kwargs=_signal_act("decide"),
                  expect=page_expect(NAMED, ok=405, denied=405), note="POST only"),
        RouteSpec(kwargs=_recorded_act("withdraw"), method="post",
                  data=lambda w: {"text": "Ghi nhầm người"},
                  expect=_post(RECORDERS, forbidden={"head", "deputy", "staff"}),
                  note="an S14 recorded by hand, withdrawn by whoever may record it"),
        RouteSpec(kwargs=_signal_act("withdraw"), method="post",
                  data=lambda w: {"text": "Ghi nhầm người"},
                  expect=_post(set(), forbidden=READERS | {"staff"}),
                  note="a computed signal is never withdrawn"),
    ],
    "accountability:counted_tasks": [
        RouteSpec(expect=page_expect(READERS), query="unit=HN.CG&period=2026-10&subunits=1"),
        RouteSpec(expect=page_expect(READERS),
                  query="unit=HN.CG&period=2026-10&subunits=0&lead_official=CG.HEAD",
                  note="a person's work"),
        RouteSpec(expect=page_expect({"admin"}), query="unit=HN.BD&period=2026-10",
                  note="outside the HN.CG readers' scope"),
        RouteSpec(expect=page_expect(set(), denied=404), note="unit and period required"),
    ],
    "accountability:delay_list": [
        RouteSpec(expect=page_expect(READERS), query="unit=HN.CG&period=2026-10"),
        RouteSpec(expect=page_expect(set(), denied=404), note="unit and period required"),
    ],
    "accountability:delay_export": [
        RouteSpec(expect=page_expect(READERS), query="unit=HN.CG&period=2026-10"),
        RouteSpec(expect=page_expect({"admin"}), query="unit=HN.BD&period=2026-10",
                  note="outside the HN.CG readers' scope"),
        RouteSpec(expect=page_expect(set(), denied=404), note="unit and period required"),
        RouteSpec(expect=page_expect(READERS, ok=302), query="unit=HN.CG&period=13/2026",
                  note="a month that is not valid: nothing exported, back to the dashboard "
                       "(the page answers 404)"),
    ],
    "accountability:directive_cascade": [
        RouteSpec(kwargs=_directive, expect=page_expect("all")),
    ],
    "accountability:cascade_tasks": [
        RouteSpec(kwargs=_made(_directive), query="directive=24-CT%2FTU&unit=HN.CG",
                  expect=page_expect(READERS),
                  note="a lower unit's tasks: for who reads the unit (not its staff's units)"),
        RouteSpec(kwargs=_made(_directive), query="directive=24-CT%2FTU&unit=HN.BD",
                  expect=page_expect({"admin"}), note="outside the HN.CG readers' scope"),
        RouteSpec(expect=page_expect(set()), query="directive=NOPE&unit=HN.CG",
                  note="an unknown directive"),
    ],
}

"""Permission specs of the evaluations pages (see thuocdo.core.testing.RouteSpec).

Two periods are built when the URL is: 2026-10, scored and under review, and 2026-09,
published with an appeal of CG.STAFF pending. A card is read by its official, by whoever
reads its unit's subtree (leaders above, the board, inspectors) and the administrator; a
colleague or an outsider gets 404. Rankings and exports: those who read the subtree, not its
staff. Reviewing: those who may assess someone of the unit (403 for the board and the
inspector, who may not). Approving: the head of the agency and the administrator, and the
board over the agency for the cards of its heads (nobody approves their own card). An
appeal is read by whoever reads its card, the appellant included (read-only); deciding it:
the head of the agency, the board over it, the administrator. Period actions: the board and
the administrator.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from thuocdo.core.testing import ROLES, RouteSpec, page_expect

CG_SIDE = {"admin", "board", "inspector", "head", "deputy", "staff"}
READERS = {"admin", "board", "inspector", "head", "deputy"}
REVIEW = "2026-10"
PUBLISHED = "2026-09"


def _period(world, label: str):
    from thuocdo.evaluations import services
    from thuocdo.evaluations.models import Appeal, Period

    found = Period.objects.filter(label=label).first()
    if found is not None:
        return found
    board = world.user("board")
    period = services.period_open(actor=board, label=label)
    services.period_score(actor=board, period=period)
    if label == REVIEW:
        services.period_start_review(actor=board, period=period)
        services.assessment_set(actor=world.user("head"), period=period,
                                official=world.officials["CG.STAFF"], general_points=27,
                                reason="Chậm một báo cáo")
    else:
        Period.objects.filter(pk=period.pk).update(
            status="published", appeal_until=timezone.localdate() + dt.timedelta(days=10))
        card = period.cards.get(official__code="CG.STAFF")
        services.appeal_file(actor=world.user("staff"), card=card, reason="Chưa thỏa đáng")
        assert Appeal.objects.filter(card=card).exists()
    return Period.objects.get(pk=period.pk)


def period(label):
    return lambda world: {"label": _period(world, label).label}


def card(label, official):
    return lambda world: {"label": _period(world, label).label, "official": official}


def unit(label, code):
    return lambda world: {"label": _period(world, label).label, "code": code}


def act(label, action):
    return lambda world: {"label": _period(world, label).label, "action": action}


def appeal(world):
    _period(world, PUBLISHED)
    from thuocdo.evaluations.models import Appeal

    return {"pk": Appeal.objects.get(card__official__code="CG.STAFF").pk}


def seeded(world):
    _period(world, REVIEW)
    return {}


def codes(ok: set[str], ok_code: int = 200, *, forbidden: set[str] = frozenset(),
          anonymous: int = 302) -> dict:
    """`ok` get `ok_code`, `forbidden` 403, other logged-in roles 404."""
    return {role: anonymous if role == "anonymous" else ok_code if role in ok
            else 403 if role in forbidden else 404 for role in ROLES}


NO_OFFICIAL = {"admin", "board", "inspector"}

ROUTES = {
    "evaluations:period_list": [RouteSpec(kwargs=seeded, expect=page_expect("all"))],
    "evaluations:my_card": [
        RouteSpec(kwargs=seeded, note="an official goes to their card; others see a note",
                  expect={role: 302 if role not in NO_OFFICIAL else 200 for role in ROLES}
                  | {"anonymous": 302}),
    ],
    "evaluations:period_detail": [
        RouteSpec(kwargs=period(REVIEW), expect=page_expect("all")),
        RouteSpec(kwargs=period(PUBLISHED), expect=page_expect("all")),
        RouteSpec(kwargs=lambda world: {"label": "2030-01"}, expect=page_expect(set())),
    ],
    "evaluations:period_act": [
        RouteSpec(kwargs=act(REVIEW, "score"), expect=dict.fromkeys(ROLES, 405)
                  | {"anonymous": 302}, note="POST only"),
        RouteSpec(method="post", kwargs=act(REVIEW, "score"),
                  expect=page_expect({"admin", "board"}, ok=302, denied=403)),
        RouteSpec(method="post", kwargs=act(REVIEW, "nope"), expect=page_expect(set())),
    ],
    "evaluations:card_detail": [
        RouteSpec(kwargs=card(REVIEW, "CG.STAFF"), expect=page_expect(CG_SIDE)),
        RouteSpec(kwargs=card(REVIEW, "CG.STAFF2"), expect=page_expect(READERS),
                  note="a colleague does not read another's card"),
        RouteSpec(kwargs=card(REVIEW, "BD.STAFF"), expect=page_expect({"admin", "outsider"})),
    ],
    "evaluations:card_unit_tasks": [
        RouteSpec(kwargs=card(REVIEW, "CG.HEAD"), expect=page_expect(READERS),
                  note="the tasks behind d: the card's readers (as its page)"),
        RouteSpec(kwargs=card(REVIEW, "CG.STAFF"), expect=page_expect(set()),
                  note="a staff card has no d"),
    ],
    "evaluations:card_export": [
        RouteSpec(kwargs=card(REVIEW, "CG.STAFF"), expect=page_expect(CG_SIDE)),
        RouteSpec(kwargs=card(REVIEW, "CG.STAFF2"), expect=page_expect(READERS),
                  note="a colleague does not read another's card"),
        RouteSpec(kwargs=card(REVIEW, "BD.STAFF"), expect=page_expect({"admin", "outsider"})),
    ],
    "evaluations:card_self_score": [
        RouteSpec(method="post", kwargs=card(REVIEW, "CG.STAFF"),
                  data=lambda world: {"general_points": "28", "note": "Đủ việc"},
                  expect=codes({"staff"}, 302, forbidden=READERS)),
    ],
    "evaluations:appeal_create": [
        RouteSpec(kwargs=card(PUBLISHED, "CG.STAFF"), expect=codes({"staff"},
                                                                   forbidden=READERS)),
        RouteSpec(method="post", kwargs=card(PUBLISHED, "CG.STAFF2"),
                  data=lambda world: {"reason": "Không đồng ý"},
                  expect=codes(set(), forbidden=READERS),
                  note="only the card's official appeals"),
    ],
    "evaluations:appeal_decide": [
        RouteSpec(kwargs=appeal, expect=page_expect(CG_SIDE),
                  note="whoever reads the card reads its appeal; the appellant (staff), the "
                       "deputy and the inspector without the decision form"),
        RouteSpec(method="post", kwargs=appeal,
                  data=lambda world: {"accepted": "0", "reason": "Không có căn cứ"},
                  expect=codes({"admin", "board", "head"}, 302,
                               forbidden={"inspector", "deputy", "staff"}),
                  note="only the head of the agency, the board and the administrator decide; "
                       "never the appellant"),
    ],
    "evaluations:unit_ranking": [
        RouteSpec(kwargs=unit(REVIEW, "HN.CG.VP"), expect=page_expect(READERS)),
        RouteSpec(kwargs=unit(REVIEW, "HN.BD"), expect=page_expect({"admin"})),
        RouteSpec(kwargs=unit(REVIEW, "HN.CG"), query="agency=HN.BD&unit=HN.BD.VP&sort=name&page=9",
                  expect=page_expect(READERS),
                  note="filters naming units outside the ranking are ignored, never shown"),
    ],
    "evaluations:unit_review": [
        RouteSpec(kwargs=unit(REVIEW, "HN.CG.VP"),
                  expect=codes({"admin", "head", "deputy"}, forbidden={"board", "inspector"})),
    ],
    "evaluations:agency_approve": [
        RouteSpec(method="post", kwargs=unit(REVIEW, "HN.CG"),
                  expect=codes({"admin", "head", "board"}, 302,
                               forbidden={"inspector", "deputy"}),
                  note="the head of the agency, the board for the heads' cards; the service "
                       "refuses what is not reviewed"),
    ],
    "evaluations:unit_export": [
        RouteSpec(kwargs=unit(REVIEW, "HN.CG.VP"), expect=page_expect(READERS)),
        RouteSpec(kwargs=unit(REVIEW, "HN.CG"), query="grade=moved&task_group=none&sort=total",
                  expect=page_expect(READERS), note="the ranking's filters apply"),
    ],
}


# -- the organisation board's pages: opening a period, KHT grounds ------------------------
#
# Only the board and the administrator (`services.can_manage_periods`); others get 403.
# A ground about an official outside the board's reach (BD.STAFF) is read by the
# administrator only: the board gets 404, and recording one is refused on the field.

BOARD = {"admin", "board"}


def _ground(code: str):
    def build(world) -> dict:
        from thuocdo.evaluations import services
        from thuocdo.evaluations.models import Ground

        found = Ground.objects.filter(official__code=code).first()
        if found is None:
            found = services.ground_record(
                actor=world.user("admin"), official=world.officials[code],
                on=dt.date(2026, 10, 3), level="reprimand", reason="Quyết định số 12/QĐ-UBND")
        return {"pk": found.pk}

    return build


def _ground_data(code: str):
    return lambda world: {"kind": "discipline", "official": code.lower(), "on": "03/10/2026",
                          "level": "reprimand", "reason": "Quyết định số 12/QĐ-UBND"}


ROUTES |= {
    "evaluations:period_open": [
        RouteSpec(expect=dict.fromkeys(ROLES, 405) | {"anonymous": 302}, note="POST only"),
        RouteSpec(method="post", data=lambda world: {"kind": "month", "month": "11/2026"},
                  expect=page_expect(BOARD, ok=302, denied=403)),
        RouteSpec(method="post", data=lambda world: {"kind": "quarter", "year": "2026"},
                  expect=page_expect(BOARD, denied=403),
                  note="no quarter chosen: the list again with the error, nothing opened"),
    ],
    "evaluations:ground_list": [
        RouteSpec(kwargs=seeded, expect=page_expect(BOARD, denied=403)),
        RouteSpec(query="year=2026&kind=discipline&unit=HN.BD", expect=page_expect(BOARD,
                                                                                  denied=403),
                  note="a unit outside the reach is an invalid filter: nothing is listed"),
    ],
    "evaluations:ground_add": [
        RouteSpec(query="kind=degradation&official=CG.STAFF&on=2026-10-03&reason=x",
                  expect=page_expect(BOARD, denied=403), note="prefilled"),
        RouteSpec(method="post", data=_ground_data("CG.STAFF"),
                  expect=page_expect(BOARD, ok=302, denied=403)),
        RouteSpec(method="post", data=_ground_data("BD.STAFF"),
                  expect=page_expect(BOARD, ok=302, denied=403) | {"board": 200},
                  note="the board records only about officials it reads: refused on the "
                       "field"),
    ],
    "evaluations:ground_export": [
        RouteSpec(query="year=2026", expect=page_expect(BOARD, denied=403)),
    ],
    "evaluations:ground_reason": [
        RouteSpec(kwargs=_ground("CG.STAFF"), expect=page_expect(BOARD, denied=403)),
        RouteSpec(kwargs=_ground("BD.STAFF"), expect=page_expect({"admin"}, denied=403)
                  | {"board": 404}, note="outside the board's reach"),
        RouteSpec(method="post", kwargs=_ground("CG.STAFF"),
                  data=lambda world: {"reason": "Quyết định số 13/QĐ-UBND"},
                  expect=page_expect(BOARD, ok=302, denied=403)),
    ],
    "evaluations:ground_withdraw": [
        RouteSpec(kwargs=_ground("CG.STAFF"), expect=page_expect(BOARD, denied=403)),
        RouteSpec(kwargs=_ground("BD.STAFF"), expect=page_expect({"admin"}, denied=403)
                  | {"board": 404}, note="outside the board's reach"),
        RouteSpec(method="post", kwargs=_ground("CG.STAFF"),
                  data=lambda world: {"reason": "Ghi nhầm người"},
                  expect=page_expect(BOARD, ok=302, denied=403)),
    ],
}


# -- the organisation board's pages: approved exceptions to the HTXS quota ----------------
#
# Only the board and the administrator (`services.can_manage_periods`); others get 403. An
# exception of an agency outside the board's reach (HN.BD) is changed by the administrator
# only: the board gets 404 (it does not read it), and recording one is refused on the field.


def _exception(code: str):
    def build(world) -> dict:
        from thuocdo.evaluations import services
        from thuocdo.evaluations.models import QuotaException

        found = QuotaException.objects.filter(agency__code=code).first()
        if found is None:
            found = services.quota_exception_record(
                actor=world.user("admin"), agency=world.units[code],
                valid_from=dt.date(2026, 12, 1), valid_to=dt.date(2026, 12, 31), share="0.3",
                decision="15/QĐ-UBND", decided_on=dt.date(2026, 9, 15),
                reason="Đơn vị dẫn đầu phong trào thi đua")
        return {"pk": found.pk}

    return build


def _exception_data(code: str, **more):
    return lambda world: {"agency": code, "valid_from": "01/12/2026",
                          "valid_to": "31/12/2026", "share": "30", "decision": "15/QĐ-UBND",
                          "decided_on": "15/09/2026",
                          "reason": "Đơn vị dẫn đầu phong trào thi đua", **more}


ROUTES |= {
    "evaluations:quota_exception_list": [
        RouteSpec(kwargs=lambda world: _exception("HN.CG")(world) and {},
                  expect=page_expect(BOARD, denied=403), note="one exception listed"),
    ],
    "evaluations:quota_exception_add": [
        RouteSpec(expect=page_expect(BOARD, denied=403)),
        RouteSpec(method="post", data=_exception_data("HN.CG"),
                  expect=page_expect(BOARD, ok=302, denied=403)),
        RouteSpec(method="post", data=_exception_data("HN.BD"),
                  expect=page_expect(BOARD, ok=302, denied=403) | {"board": 200},
                  note="the board records only for the agencies granted to it: refused on "
                       "the field"),
    ],
    "evaluations:quota_exception_change": [
        RouteSpec(kwargs=_exception("HN.CG"), expect=page_expect(BOARD, denied=403)),
        RouteSpec(kwargs=_exception("HN.BD"), expect=page_expect({"admin"}, denied=403)
                  | {"board": 404}, note="outside the board's reach"),
        RouteSpec(method="post", kwargs=_exception("HN.CG"),
                  data=_exception_data("HN.CG", share="35", why="Sửa tỷ lệ theo quyết định"),
                  expect=page_expect(BOARD, ok=302, denied=403)),
    ],
    "evaluations:quota_exception_remove": [
        RouteSpec(kwargs=_exception("HN.CG"), expect=page_expect(BOARD, denied=403)),
        RouteSpec(kwargs=_exception("HN.BD"), expect=page_expect({"admin"}, denied=403)
                  | {"board": 404}, note="outside the board's reach"),
        RouteSpec(method="post", kwargs=_exception("HN.CG"),
                  data=lambda world: {"why": "Quyết định đã bị thu hồi"},
                  expect=page_expect(BOARD, ok=302, denied=403)),
    ],
}

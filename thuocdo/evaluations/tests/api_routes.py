"""Permission specs of the evaluations API (see thuocdo.core.testing.RouteSpec): as the
pages (tests/routes.py), with the same two periods built when the URL is: 2026-10, scored
and under review, and 2026-09, published with an appeal of CG.STAFF pending.

Periods: every logged-in user. A card: its official, whoever reads its unit's subtree
(leaders above, the board, inspectors) and the administrator; a colleague or an outsider
gets 404. A filter naming a unit the caller does not read is a 400. Appealing: only the
card's official (403 for the others who read it), and only on published grades, once (400
otherwise). An appeal is read by whoever reads its card, the appellant included; deciding
it: the head of the agency, the board over it, the administrator (403 for the others who
read it). Anonymous callers get 403.

The procedure's steps, as the pages: self-scoring, only the card's official (403 for the
others who read it), refused once their general criteria are assessed (400); assessing an
official, whoever assesses them (`services.can_assess`: leaders above, the board for a
leader no leader above reviews, the administrator; 403 for the others who read the card,
the official themself included). A unit's procedure is read by those who list its cards;
assessing its officials and confirming its review, by those who assess someone there (403
for the board and the inspector on a division's staff); approving, the head of the agency,
the board over it for its heads' cards and the administrator (403 for the inspector and the
deputy), refused while cards are not reviewed (400). The period's steps: the board and the
administrator (403 for everyone else, whatever the body), refused (400) where the period
does not stand for them.

Approved exceptions to the HTXS quota, as their pages (tests/routes.py): the board and the
administrator only, everyone else 403 before anything is read (a method the route does not
have included). An exception of an agency outside the board's reach (HN.BD) is read,
changed and removed by the administrator only: the board gets 404; recording one, or
filtering by it, names a unit the board does not read (400). A refusal of the service (a
share not above the rubric's, no reason) is a 400 for both.
"""

from __future__ import annotations

from thuocdo.core.testing import ROLES, RouteSpec, api_expect

from .routes import PUBLISHED, REVIEW, _exception, _period, appeal, period

CG_SIDE = {"admin", "board", "inspector", "head", "deputy", "staff"}
READERS = {"admin", "board", "inspector", "head", "deputy"}
NOT_ALLOWED = {role: 403 if role == "anonymous" else 405 for role in ROLES}


def seeded(world):
    _period(world, REVIEW)
    _period(world, PUBLISHED)
    return {}


def card(label: str, official: str):
    """A card's URL kwargs: its period's label and its official's code."""
    return lambda world: {"period": _period(world, label).label, "official": official}


def _post(ok: set[str], ok_code: int, *, forbidden: set[str]) -> dict:
    """`ok` get `ok_code`, `forbidden` 403, other logged-in roles 404, anonymous 403."""
    expect = api_expect(ok, ok=ok_code)
    for role in forbidden:
        expect[role] = 403
    return expect


def _reason(text: str):
    return lambda world: {"reason": text}


def appeal_id(world):
    return {"appeal_id": appeal(world)["pk"]}


def unit(label: str, code: str):
    """A unit's URL kwargs: its period's label and its code."""
    return lambda world: {"period": _period(world, label).label, "unit": code}


def label(value: str):
    return lambda world: {"label": _period(world, value).label}


def _data(**values):
    return lambda world: values


BOARD = {"admin", "board"}
#: the period's steps: the board and the administrator; every other logged-in role 403
BOARD_STEP = {"forbidden": CG_SIDE - BOARD | {"outsider"}}


ROUTES = {
    "api:evaluation-period-list": [
        RouteSpec(kwargs=seeded, expect=api_expect("all")),
        RouteSpec(kwargs=seeded, query="kind=month&status=review&year=2026",
                  expect=api_expect("all")),
        RouteSpec(query="status=done", expect=api_expect("all", ok=400, denied=400),
                  note="a status that does not exist is a 400"),
    ],
    "api:evaluation-period-detail": [
        RouteSpec(kwargs=period(REVIEW), expect=api_expect("all")),
        RouteSpec(kwargs=period(PUBLISHED), expect=api_expect("all")),
        RouteSpec(kwargs=lambda world: {"label": "2030-01"}, expect=api_expect(set()),
                  note="a period never opened"),
    ],
    "api:score-card-list": [
        RouteSpec(kwargs=seeded, expect=api_expect("all"),
                  note="everyone gets the cards they read (their own at least)"),
        RouteSpec(kwargs=seeded, query="period=2026-10&unit=HN.CG&grade=none&status=draft",
                  expect=api_expect(READERS, denied=400),
                  note="staff and the outsider do not read HN.CG: its code is a 400"),
        RouteSpec(query="period=2026-13", expect=api_expect("all", ok=400, denied=400),
                  note="not a period"),
    ],
    "api:score-card-detail": [
        RouteSpec(kwargs=card(REVIEW, "CG.STAFF"), expect=api_expect(CG_SIDE)),
        RouteSpec(kwargs=card(REVIEW, "CG.STAFF2"), expect=api_expect(READERS),
                  note="a colleague does not read another's card"),
        RouteSpec(kwargs=card(REVIEW, "BD.STAFF"), expect=api_expect({"admin", "outsider"}),
                  note="a head does not read another unit's card"),
    ],
    "api:score-card-appeal": [
        RouteSpec(kwargs=card(PUBLISHED, "CG.HEAD"), expect=NOT_ALLOWED, note="POST only"),
        RouteSpec(method="post", kwargs=card(PUBLISHED, "CG.HEAD"),
                  data=_reason("Chưa tính văn bản gia hạn"),
                  expect=_post({"head"}, 201, forbidden={"admin", "board", "inspector",
                                                        "deputy"}),
                  note="only the card's official appeals"),
        RouteSpec(method="post", kwargs=card(PUBLISHED, "CG.STAFF"),
                  data=_reason("Lần nữa"),
                  expect=_post({"staff"}, 400, forbidden=READERS),
                  note="an appeal of CG.STAFF is already pending: one per card"),
        RouteSpec(method="post", kwargs=card(REVIEW, "CG.STAFF"), data=_reason("Sớm quá"),
                  expect=_post({"staff"}, 400, forbidden=READERS),
                  note="the grades of 2026-10 are not published"),
    ],
    "api:appeal-list": [
        RouteSpec(kwargs=seeded, expect=api_expect("all")),
        RouteSpec(kwargs=seeded, query="waiting=true&period=2026-09&status=pending",
                  expect=api_expect("all")),
        RouteSpec(query="status=maybe", expect=api_expect("all", ok=400, denied=400)),
    ],
    "api:appeal-detail": [
        RouteSpec(kwargs=appeal_id, expect=api_expect(CG_SIDE),
                  note="whoever reads the card reads its appeal, the appellant too"),
    ],
    "api:appeal-decide": [
        RouteSpec(method="post", kwargs=appeal_id,
                  data=lambda world: {"accepted": "false", "reason": "Không có căn cứ"},
                  expect=_post({"admin", "board", "head"}, 200,
                               forbidden={"inspector", "deputy", "staff"}),
                  note="the head of the agency, the board over it, the administrator; "
                       "never the appellant"),
        RouteSpec(method="post", kwargs=appeal_id, data=lambda world: {"accepted": "true"},
                  expect=_post({"admin", "board", "head"}, 400,
                               forbidden={"inspector", "deputy", "staff"}),
                  note="no reason: a 400 for those who decide, still a 403 for the others"),
        RouteSpec(kwargs=appeal_id, expect=NOT_ALLOWED, note="POST only"),
    ],
    # -- the procedure ------------------------------------------------------------------
    "api:score-card-self-score": [
        RouteSpec(kwargs=card(REVIEW, "CG.STAFF"), expect=NOT_ALLOWED, note="POST only"),
        RouteSpec(method="post", kwargs=card(REVIEW, "CG.HEAD"),
                  data=_data(general_points="28", note="Đủ việc"),
                  expect=_post({"head"}, 200, forbidden={"admin", "board", "inspector",
                                                        "deputy"}),
                  note="only the card's official self-scores"),
        RouteSpec(method="post", kwargs=card(REVIEW, "CG.STAFF"),
                  data=_data(general_points="28"),
                  expect=_post({"staff"}, 400, forbidden=READERS),
                  note="CG.STAFF's general criteria are assessed: too late to self-score"),
    ],
    "api:score-card-assessment": [
        RouteSpec(kwargs=card(REVIEW, "CG.STAFF2"), expect=NOT_ALLOWED, note="POST only"),
        RouteSpec(method="post", kwargs=card(REVIEW, "CG.STAFF2"),
                  data=_data(general_points="28", reason="Chậm một báo cáo"),
                  expect=_post({"admin", "head", "deputy"}, 200,
                               forbidden={"board", "inspector"}),
                  note="the leaders above a staff member; not the board"),
        RouteSpec(method="post", kwargs=card(REVIEW, "CG.HEAD"),
                  data=_data(general_points="30", organising="0.9", uniting="1"),
                  expect=_post(BOARD, 200, forbidden={"inspector", "head", "deputy"}),
                  note="no leader above the head of HN.CG: the board over it assesses them; "
                       "never themself, nor their deputy"),
        RouteSpec(method="post", kwargs=card(REVIEW, "CG.STAFF2"),
                  data=_data(general_points="27"),
                  expect=_post({"admin", "head", "deputy"}, 400,
                               forbidden={"board", "inspector"}),
                  note="a deduction without a reason: 400 for those who assess, 403 for "
                       "the others"),
        RouteSpec(method="post", kwargs=card(PUBLISHED, "CG.STAFF2"),
                  data=_data(general_points="30"),
                  expect=_post({"admin", "head", "deputy"}, 400,
                               forbidden={"board", "inspector"}),
                  note="published: assessments no longer change"),
    ],
    "api:evaluation-unit-detail": [
        RouteSpec(kwargs=unit(REVIEW, "HN.CG.VP"), expect=api_expect(READERS)),
        RouteSpec(kwargs=unit(REVIEW, "HN.BD"), expect=api_expect({"admin"}),
                  note="another district"),
        RouteSpec(kwargs=lambda world: {"period": "2030-01", "unit": "HN.CG"},
                  expect=api_expect(set()), note="a period never opened"),
    ],
    "api:evaluation-unit-assessments": [
        RouteSpec(kwargs=unit(REVIEW, "HN.CG.VP"), expect=NOT_ALLOWED, note="POST only"),
        RouteSpec(method="post", kwargs=unit(REVIEW, "HN.CG.VP"),
                  expect=_post({"admin", "head", "deputy"}, 400,
                               forbidden={"board", "inspector"}),
                  note="no rows (a form body cannot hold them): 400 for those who assess "
                       "someone there, 403 for the others"),
    ],
    "api:evaluation-unit-review": [
        RouteSpec(kwargs=unit(REVIEW, "HN.CG.VP"), expect=NOT_ALLOWED, note="POST only"),
        RouteSpec(method="post", kwargs=unit(REVIEW, "HN.CG.VP"),
                  expect=_post({"admin", "head", "deputy"}, 400,
                               forbidden={"board", "inspector"}),
                  note="CG.STAFF2 is not assessed yet: 400 for those who review, 403 for "
                       "the others"),
        RouteSpec(method="post", kwargs=unit(PUBLISHED, "HN.CG.VP"),
                  expect=_post({"admin", "head", "deputy"}, 400,
                               forbidden={"board", "inspector"}),
                  note="published: not under review"),
    ],
    "api:evaluation-unit-approve": [
        RouteSpec(kwargs=unit(REVIEW, "HN.CG"), expect=NOT_ALLOWED, note="POST only"),
        RouteSpec(method="post", kwargs=unit(REVIEW, "HN.CG"),
                  expect=_post({"admin", "head", "board"}, 400,
                               forbidden={"inspector", "deputy"}),
                  note="the head of the agency, the board for the heads' cards; nothing is "
                       "reviewed yet"),
    ],
    "api:evaluation-period-score": [
        RouteSpec(kwargs=label(REVIEW), expect=NOT_ALLOWED, note="POST only"),
        RouteSpec(method="post", kwargs=label(REVIEW), expect=_post(BOARD, 200, **BOARD_STEP)),
        RouteSpec(method="post", kwargs=label(PUBLISHED), data=_data(note="x" * 2001),
                  expect=_post(BOARD, 400, **BOARD_STEP),
                  note="a note too long: 400 for the board, 403 for the others"),
    ],
    "api:evaluation-period-start-review": [
        RouteSpec(kwargs=label(REVIEW), expect=NOT_ALLOWED, note="POST only"),
        RouteSpec(method="post", kwargs=label(REVIEW), expect=_post(BOARD, 400, **BOARD_STEP),
                  note="already under review"),
    ],
    "api:evaluation-period-publish": [
        RouteSpec(kwargs=label(REVIEW), expect=NOT_ALLOWED, note="POST only"),
        RouteSpec(method="post", kwargs=label(REVIEW), data=_data(appeal_days="10"),
                  expect=_post(BOARD, 400, **BOARD_STEP), note="not approved yet"),
        RouteSpec(method="post", kwargs=label(REVIEW), data=_data(appeal_days="61"),
                  expect=_post(BOARD, 400, **BOARD_STEP),
                  note="too many days: 400 for the board, 403 for the others"),
    ],
    "api:evaluation-period-lock": [
        RouteSpec(kwargs=label(PUBLISHED), expect=NOT_ALLOWED, note="POST only"),
        RouteSpec(method="post", kwargs=label(PUBLISHED),
                  expect=_post(BOARD, 400, **BOARD_STEP),
                  note="the appeal window is open and an appeal pending"),
    ],
}


def exception_id(code: str):
    """An exception's URL kwargs: the one of agency `code` (recorded if needed)."""
    build = _exception(code)
    return lambda world: {"exception_id": build(world)["pk"]}


def _exception_body(code: str, **more):
    return lambda world: {"agency": code, "valid_from": "2026-12-01",
                          "valid_to": "2026-12-31", "share": "0.3", "decision": "15/QĐ-UBND",
                          "decided_on": "2026-09-15",
                          "reason": "Đơn vị dẫn đầu phong trào thi đua", **more}


#: quota exceptions: the board and the administrator; every other logged-in role 403
EXCEPTIONS = {"forbidden": CG_SIDE - BOARD | {"outsider"}}
#: the board does not reach HN.BD: 404 for an exception of it, 400 for its code in a body
BOARD_OUT = {"board": 404}


ROUTES |= {
    "api:quota-exception-list": [
        RouteSpec(kwargs=lambda world: exception_id("HN.CG")(world) and {},
                  expect=_post(BOARD, 200, **EXCEPTIONS)),
        RouteSpec(kwargs=lambda world: exception_id("HN.BD")(world) and {},
                  query="agency=HN.BD&on=2026-12-15",
                  expect=_post({"admin"}, 200, **EXCEPTIONS) | {"board": 400},
                  note="the board does not read HN.BD: its code is a 400"),
        RouteSpec(query="on=2026-13-01", expect=_post(BOARD, 400, **EXCEPTIONS),
                  note="not a day"),
        RouteSpec(method="post", data=_exception_body("HN.CG"),
                  expect=_post(BOARD, 201, **EXCEPTIONS)),
        RouteSpec(method="post", data=_exception_body("HN.BD"),
                  expect=_post({"admin"}, 201, **EXCEPTIONS) | {"board": 400},
                  note="the board records only for the agencies granted to it"),
        RouteSpec(method="post", data=_exception_body("HN.CG", share="0.2"),
                  expect=_post(BOARD, 400, **EXCEPTIONS),
                  note="a share not above the rubric's: the service's 400"),
    ],
    "api:quota-exception-detail": [
        RouteSpec(kwargs=exception_id("HN.CG"), expect=_post(BOARD, 200, **EXCEPTIONS)),
        RouteSpec(kwargs=exception_id("HN.BD"),
                  expect=_post({"admin"}, 200, **EXCEPTIONS) | BOARD_OUT,
                  note="outside the board's reach"),
        RouteSpec(method="put", kwargs=exception_id("HN.CG"),
                  data=_exception_body("HN.CG", share="0.35", why="Sửa tỷ lệ"),
                  expect=_post(BOARD, 200, **EXCEPTIONS)),
        RouteSpec(method="patch", kwargs=exception_id("HN.BD"),
                  data=_data(share="0.35", why="Sửa tỷ lệ"),
                  expect=_post({"admin"}, 200, **EXCEPTIONS) | BOARD_OUT,
                  note="outside the board's reach"),
        RouteSpec(method="patch", kwargs=exception_id("HN.CG"), data=_data(share="0.35"),
                  expect=_post(BOARD, 400, **EXCEPTIONS), note="no why: the service's 400"),
        RouteSpec(method="delete", kwargs=exception_id("HN.CG"),
                  expect=_post(BOARD, 405, **EXCEPTIONS),
                  note="removed with a reason: POST .../remove/"),
    ],
    "api:quota-exception-remove": [
        RouteSpec(kwargs=exception_id("HN.CG"), expect=_post(BOARD, 405, **EXCEPTIONS),
                  note="POST only (the others are refused first)"),
        RouteSpec(method="post", kwargs=exception_id("HN.CG"),
                  data=_data(why="Quyết định đã bị thu hồi"),
                  expect=_post(BOARD, 200, **EXCEPTIONS)),
        RouteSpec(method="post", kwargs=exception_id("HN.BD"),
                  data=_data(why="Quyết định đã bị thu hồi"),
                  expect=_post({"admin"}, 200, **EXCEPTIONS) | BOARD_OUT,
                  note="outside the board's reach"),
        RouteSpec(method="post", kwargs=exception_id("HN.CG"),
                  expect=_post(BOARD, 400, **EXCEPTIONS), note="no why: the service's 400"),
    ],
}

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
"""

from __future__ import annotations

from thuocdo.core.testing import ROLES, RouteSpec, api_expect

from .routes import PUBLISHED, REVIEW, _period, appeal, period

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
}

"""Permission specs of the citizens pages, the public portal and Open311
(see thuocdo.core.testing.RouteSpec).

Data (tests/factories.py): feedback PA-CG with HN.CG.VP and PA-BD with HN.BD.VP; procedure
P-CG (counter HN.CG.VP) and dossier D-CG held by CG.STAFF; D-BD held by BD.STAFF.

Staff pages: every logged-in user has the lists, their xlsx exports and the service index
(scoped, never refused); a case or dossier outside the scope is 404. Actions (POST):
anonymous is sent to log in; inspectors get 403 first; out of scope 404; an account without
an official, or a person the rules do not allow (the official a case is about, among
others), 403. The public portal and Open311 answer everyone alike.
"""

from __future__ import annotations

from django.core.cache import cache

from thuocdo.core.testing import ROLES, RouteSpec, page_expect

from . import factories

CG_SIDE = {"admin", "board", "inspector", "head", "deputy", "staff"}
BD_SIDE = {"admin", "outsider"}


def everyone(code: int) -> dict:
    return dict.fromkeys(ROLES, code)


def post_expect(ok: set[str], *, unseen: set[str], ok_code: int = 302) -> dict:
    codes = {}
    for role in ROLES:
        if role == "anonymous":
            codes[role] = 302
        elif role == "inspector":
            codes[role] = 403
        elif role in ok:
            codes[role] = ok_code
        elif role in unseen:
            codes[role] = 404
        else:
            codes[role] = 403
    return codes


def fb(code, unit="HN.CG.VP"):
    return lambda world: {"code": factories.feedback(world, code, unit=unit).code}


def about_head(world):
    """A complaint at HN.CG.VP naming the head (CG.HEAD): they take no part in it."""
    return {"code": factories.feedback(world, "PA-HEAD", kind="complaint",
                                       official="CG.HEAD").code}


def about_head_act(kind):
    return lambda world: {"kind": kind, **about_head(world)}


def dossier_about_staff(world):
    """D-CG, about which a complaint names CG.STAFF (who holds it)."""
    dossier = factories.dossier(world, "D-CG")
    factories.feedback(world, "PA-DS", kind="complaint", official="CG.STAFF", dossier=dossier)
    return {"code": dossier.code}


def fb_act(kind, code="PA-CG"):
    return lambda world: {"kind": kind, "code": factories.feedback(world, code).code}


def dossier(code):
    return lambda world: {"code": factories.dossier(world, code).code}


def dossier_act(kind, code="D-CG"):
    return lambda world: {"kind": kind, "code": factories.dossier(world, code).code}


def seeded(world):
    factories.feedback(world)
    factories.dossier(world)
    return {}


def receive_data(world):
    return {"procedure": factories.procedure(world).code, "applicant": "Trần Văn Nam",
            "applicant_contact": "0900000000", "channel": "online"}


def submit_data(world):
    return {"kind": "feedback", "category": "urban", "unit": "HN.CG.DV",
            "text": "Đèn đường ngõ 12 phố Trần Thái Tông bị hỏng hai tuần nay.",
            "contact": "0911111111", "website": ""}


def open311_data(world):
    return {"service_code": "urban", "jurisdiction_id": "HN.CG.DV",
            "description": "Ổ gà lớn trước số 5 phố Dịch Vọng Hậu.",
            "lat": "21.030000", "long": "105.790000"}


def no_failures_yet() -> None:
    """Forget the failed look-ups counted so far (Django's cache, per address): the cases of
    the portal's forms, run one after the other from the same address, would otherwise
    reach the limit (429) and test it instead of the route."""
    cache.clear()


def wrong_key(world):
    no_failures_yet()
    factories.feedback(world)
    return {"code": "PA-CG", "key": "WRONGKEY22"}


def dossier_wrong_key(world):
    no_failures_yet()
    factories.dossier(world)
    return {"code": "D-CG", "key": "WRONGKEY22"}


def dossier_right_key(world):
    return {**dossier_wrong_key(world), "key": factories.KEY}


ROUTES = {
    "citizens:feedback_inbox": [
        RouteSpec(kwargs=seeded, expect=page_expect("all")),
        RouteSpec(expect=page_expect("all"), query="status=received&mine=on"),
        RouteSpec(expect=page_expect("all"),
                  query="unit=HN.CG&subunits=1&received_from=2026-01-01&overdue=on"
                        "&sort=reply_due&page=2"),
    ],
    "citizens:feedback_detail": [
        RouteSpec(kwargs=fb("PA-CG"), expect=page_expect(CG_SIDE)),
        RouteSpec(kwargs=fb("PA-BD", "HN.BD.VP"), expect=page_expect(BD_SIDE)),
        RouteSpec(kwargs=lambda world: {"code": "PA-NOPE"}, expect=page_expect(set())),
    ],
    "citizens:feedback_receipt": [
        RouteSpec(kwargs=fb("PA-CG"), expect=page_expect(CG_SIDE),
                  note="the receipt to print; the key only right after it was issued again"),
        RouteSpec(kwargs=fb("PA-BD", "HN.BD.VP"), expect=page_expect(BD_SIDE)),
    ],
    "citizens:feedback_key": [
        RouteSpec(kwargs=fb("PA-CG"), expect=everyone(405), note="POST only"),
        RouteSpec(method="post", kwargs=fb("PA-CG"),
                  expect=post_expect({"head", "deputy"}, unseen={"outsider"}),
                  note="those who receive and handle it: the leaders of the unit responsible "
                       "and the official it is assigned to (not yet: staff may not)"),
        RouteSpec(method="post", kwargs=about_head,
                  expect=post_expect({"deputy"}, unseen={"outsider"}),
                  note="never the official the case is about, even a leader"),
        RouteSpec(method="post", kwargs=fb("PA-BD", "HN.BD.VP"),
                  expect=post_expect(set(), unseen={"head", "deputy", "staff", "board"}),
                  note="Ba Đình's staff see it but do not handle it until it is theirs"),
    ],
    "citizens:feedback_act": [
        RouteSpec(kwargs=fb_act("assign"), expect=everyone(405), note="POST only"),
        RouteSpec(method="post", kwargs=fb_act("assign"),
                  data=lambda world: {"assignee": "CG.STAFF", "workdays": "5"},
                  expect=post_expect({"head", "deputy"}, unseen={"outsider"}),
                  note="leaders of the unit assign; staff may not"),
        RouteSpec(method="post", kwargs=fb_act("forward"),
                  data=lambda world: {"to_unit": "HN.CG.DV",
                                      "reason": "Thuộc thẩm quyền UBND phường"},
                  expect=post_expect({"head", "deputy"}, unseen={"outsider"})),
        RouteSpec(method="post", kwargs=fb_act("close"),
                  expect=post_expect(set(), unseen={"outsider"}, ok_code=400) | {
                      "head": 400, "deputy": 400},
                  note="not answered yet: the form again with the reason (400)"),
        RouteSpec(method="post", kwargs=about_head_act("assign"),
                  data=lambda world: {"assignee": "CG.STAFF", "workdays": "5"},
                  expect=post_expect({"deputy"}, unseen={"outsider"}),
                  note="the official a case is about does not handle it"),
        RouteSpec(method="post", kwargs=about_head_act("verify"),
                  data=lambda world: {"result": "unfounded", "note": "Không có căn cứ"},
                  expect=post_expect({"deputy"}, unseen={"outsider"}),
                  note="nor verifies the complaint about them"),
        RouteSpec(method="post", kwargs=fb_act("nope"),
                  expect=post_expect(set(), unseen=set(ROLES) - {"inspector"}),
                  note="an unknown action is 404"),
    ],
    "citizens:finding_act": [
        RouteSpec(method="post", kwargs=lambda world: {"action": "answer",
                                                       "code": factories.feedback(world).code},
                  data=lambda world: {"key": "nope", "explanation": "Không phải lỗi của tôi"},
                  expect=post_expect({"head", "deputy", "staff"}, unseen={"outsider"}),
                  note="an unknown finding: back to the page, nothing recorded"),
    ],
    "citizens:feedback_export": [
        RouteSpec(kwargs=seeded, expect=page_expect("all"), note="scoped, never refused"),
        RouteSpec(expect=page_expect(set(ROLES) - {"anonymous", "staff", "outsider"},
                                     denied=302),
                  query="unit=HN.CG&subunits=0&status=received&received_from=2026-01-01"
                        "&received_to=2026-12-31&overdue=on&mine=on&sort=-submitted",
                  note="a unit the reader cannot see exports nothing: back to the list"),
    ],
    "citizens:dossier_list": [
        RouteSpec(kwargs=seeded, expect=page_expect("all")),
        RouteSpec(expect=page_expect("all"), query="status=processing&overdue=1&mine=1"),
        RouteSpec(expect=page_expect("all"),
                  query="unit=HN.BD.VP&received_from=2026-12-31&received_to=2026-01-01"
                        "&sort=nope",
                  note="a unit out of scope, a wrong range, an unknown order: reported on "
                       "their fields, nothing listed"),
    ],
    "citizens:dossier_export": [
        RouteSpec(kwargs=seeded, expect=page_expect("all"), note="scoped, never refused"),
        RouteSpec(expect=page_expect(set(ROLES) - {"anonymous", "staff", "outsider"},
                                     denied=302),
                  query="unit=HN.CG&status=processing&overdue=1&sort=-received",
                  note="a unit the reader cannot see exports nothing: back to the list"),
    ],
    "citizens:dossier_receive": [
        RouteSpec(kwargs=lambda world: factories.procedure(world) and {},
                  expect=page_expect({"head", "deputy", "staff"}, denied=403),
                  note="only who receives some procedure's dossiers (at its first step's "
                       "unit): not Ba Đình's staff, no procedure of theirs"),
        RouteSpec(method="post", data=receive_data,
                  expect=page_expect({"head", "deputy", "staff"}, denied=403, ok=302),
                  note="received at the procedure's counter unit only"),
    ],
    "citizens:dossier_detail": [
        RouteSpec(kwargs=dossier("D-CG"), expect=page_expect(CG_SIDE)),
        RouteSpec(kwargs=dossier("D-BD"), expect=page_expect(BD_SIDE)),
    ],
    "citizens:dossier_receipt": [
        RouteSpec(kwargs=dossier("D-CG"), expect=page_expect(CG_SIDE),
                  note="the receipt to print; the key only right after it was issued"),
        RouteSpec(kwargs=dossier("D-BD"), expect=page_expect(BD_SIDE)),
    ],
    "citizens:dossier_key": [
        RouteSpec(kwargs=dossier("D-CG"), expect=everyone(405), note="POST only"),
        RouteSpec(method="post", kwargs=dossier("D-CG"),
                  expect=post_expect({"staff", "head", "deputy"}, unseen={"outsider"}),
                  note="the receiving unit (the counter) or who may act on the dossier"),
        RouteSpec(method="post", kwargs=dossier_about_staff,
                  expect=post_expect({"head", "deputy"}, unseen={"outsider"}),
                  note="not an official named by a complaint about the dossier"),
        RouteSpec(method="post", kwargs=dossier("D-BD"),
                  expect=post_expect({"outsider"}, unseen={"head", "deputy", "staff", "board"})),
    ],
    "citizens:dossier_act": [
        RouteSpec(kwargs=dossier_act("move"), expect=everyone(405), note="POST only"),
        RouteSpec(method="post", kwargs=dossier_act("move"),
                  expect=post_expect({"staff", "head", "deputy"}, unseen={"outsider"}),
                  note="the holder or a leader of the holding unit"),
        RouteSpec(method="post", kwargs=dossier_act("supplement_request", "D-BD"),
                  data=lambda world: {"reason": "Thiếu bản sao giấy tờ đất"},
                  expect=post_expect({"outsider"}, unseen={"head", "deputy", "staff", "board"})),
        RouteSpec(method="post", kwargs=dossier_act("nope"),
                  expect=post_expect(set(), unseen=set(ROLES) - {"inspector"})),
    ],
    "citizens:service_index": [
        RouteSpec(kwargs=seeded, expect=page_expect("all")),
        RouteSpec(expect=page_expect(BD_SIDE, denied=400), query="unit=HN.BD.VP",
                  note="a unit outside the scope is a form error"),
    ],
    "citizens:service_index_export": [
        RouteSpec(kwargs=seeded, expect=page_expect("all")),
        RouteSpec(expect=page_expect(BD_SIDE, denied=302), query="unit=HN.BD.VP&start=2026-01-01",
                  note="a unit the reader cannot see exports nothing: back to the page, "
                       "which shows it as the form error it is there"),
    ],
    "portal:submit": [
        RouteSpec(expect=everyone(200)),
        RouteSpec(method="post", data=submit_data, expect=everyone(302),
                  note="a redirect to the receipt with the code and the key"),
        RouteSpec(method="post", data=lambda world: {**submit_data(world), "website": "x"},
                  expect=everyone(400), note="the honeypot refuses"),
    ],
    "portal:receipt": [
        RouteSpec(kwargs=fb("PA-CG"), expect=everyone(200),
                  note="no key kept for it in this session: says only that it was shown once"),
    ],
    "portal:lookup": [
        RouteSpec(expect=everyone(200)),
        RouteSpec(method="post", data=wrong_key, expect=everyone(400)),
        RouteSpec(method="post", data=lambda world: {**wrong_key(world), "key": factories.KEY},
                  expect=everyone(200)),
    ],
    "portal:rate": [
        RouteSpec(expect=everyone(405)),
        RouteSpec(method="post", data=lambda world: {**wrong_key(world), "rating": "satisfied"},
                  expect=everyone(400)),
    ],
    "portal:dossier_lookup": [
        RouteSpec(expect=everyone(200)),
        RouteSpec(method="post", data=dossier_wrong_key, expect=everyone(400)),
        RouteSpec(method="post", data=dossier_right_key, expect=everyone(200)),
    ],
    "portal:dossier_rate": [
        RouteSpec(expect=everyone(405)),
        RouteSpec(method="post", data=lambda world: {**dossier_wrong_key(world),
                                                     "rating": "satisfied"},
                  expect=everyone(400)),
        RouteSpec(method="post", data=lambda world: {**dossier_right_key(world),
                                                     "rating": "satisfied"},
                  expect=everyone(400), note="the result is not returned yet"),
    ],
    "open311:services": [RouteSpec(expect=everyone(200))],
    "open311:requests": [
        RouteSpec(kwargs=seeded, expect=everyone(200)),
        RouteSpec(method="post", data=open311_data, expect=everyone(201)),
    ],
    "open311:request": [
        RouteSpec(kwargs=fb("PA-CG"), expect=everyone(200)),
        RouteSpec(kwargs=lambda world: {"code": "PA-NOPE"}, expect=everyone(404)),
    ],
    # only JSON is served: any other format is a 400 in the error format
    "open311:services_format": [RouteSpec(kwargs=lambda world: {"fmt": "xml"},
                                          expect=everyone(400))],
    "open311:requests_format": [
        RouteSpec(kwargs=lambda world: {"fmt": "xml"}, expect=everyone(400)),
        RouteSpec(kwargs=lambda world: {"fmt": "xml"}, method="post", data=open311_data,
                  expect=everyone(400)),
    ],
    "open311:request_format": [
        RouteSpec(kwargs=lambda world: {**fb("PA-CG")(world), "fmt": "xml"},
                  expect=everyone(400)),
    ],
}

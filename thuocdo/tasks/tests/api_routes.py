"""Permission specs of the tasks API (see thuocdo.core.testing.RouteSpec).

The specs build their tasks through the services when the URL is built (`kwargs`), today,
in the test world: T-CG is led by CG.STAFF in HN.CG.VP and assigned by CG.HEAD (so the
assigning unit is HN.CG, whose head and deputy act as assigner); T-DV is led by DV.HEAD in
HN.CG.DV; T-BD is led by BD.STAFF in HN.BD.VP and assigned by BD.HEAD (added here).

Reads: board, inspector, head and deputy read HN.CG's tasks; staff read their own work and
their unit's list; the outsider (BD.STAFF) reads Ba Đình's; administrators read all.
Writes (POST): inspectors get 403 (read-only) before anything else; a task outside the
caller's scope is 404; users without an official (admin, board) get 403; then the workflow
decides: 200 for the person who may act, 403 for anyone else.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from thuocdo.core.testing import ROLES, SINCE, RouteSpec, api_expect

CG_READERS = {"admin", "board", "inspector", "head", "deputy"}
NOT_ALLOWED = {role: 403 if role == "anonymous" else 405 for role in ROLES}


def _today() -> dt.date:
    return timezone.localdate()


def _product():
    from thuocdo.tasks import services
    from thuocdo.tasks.models import Product

    return (Product.objects.filter(code="BC").first()
            or services.product_create(code="BC", name="Báo cáo", coefficient=1))


def _bd_head(world):
    """A head of Ba Đình (the test world has none), to assign work to the outsider."""
    from thuocdo.org import services as org
    from thuocdo.org.models import Official

    official = Official.objects.filter(code="BD.HEAD").first()
    if official is None:
        official = org.official_create(code="BD.HEAD", name="Vũ Văn Hải")
        org.membership_start(official=official, unit=world.units["HN.BD"], position="head",
                             task_group=world.groups["TH"], start=SINCE)
    return official


def make_task(world, *, code="T-CG", unit="HN.CG.VP", lead="CG.STAFF", assigner="CG.HEAD",
              days_ago=0, due_in=30, **extra):
    from thuocdo.tasks import services

    assigned_by = _bd_head(world) if assigner == "BD.HEAD" else world.officials[assigner]
    at = timezone.now() - dt.timedelta(days=days_ago) if days_ago else None
    return services.task_assign(
        assigned_by=assigned_by, title="Báo cáo sơ kết 6 tháng", product=_product(),
        lead_unit=world.units[unit], lead_official=world.officials[lead],
        due=_today() + dt.timedelta(days=due_in), code=code, at=at,
        allow_past_due=bool(days_ago), **extra,
    )


def act(world, task, kind, who, **data):
    from thuocdo.tasks import services

    services.task_act(task=task, kind=kind, actor=world.officials[who], data=data)
    return task


def _iso(days: int) -> str:
    return (_today() + dt.timedelta(days=days)).isoformat()


# -- tasks in a given situation (RouteSpec.kwargs) -------------------------------------


def cg_task(world):
    return {"code": make_task(world).code}


def slashed_task(world):
    return {"code": make_task(world, code="12/KH-UBND/T1").code}


def dv_task(world):
    return {"code": make_task(world, code="T-DV", unit="HN.CG.DV", lead="DV.HEAD").code}


def bd_task(world):
    return {"code": make_task(world, code="T-BD", unit="HN.BD.VP", lead="BD.STAFF",
                              assigner="BD.HEAD").code}


def missing_task(world):
    return {"code": "T-NOPE"}


def in_progress(world):
    return {"code": act(world, make_task(world), "accept", "CG.STAFF").code}


def extension_requested(world):
    task = act(world, make_task(world), "accept", "CG.STAFF")
    return {"code": act(world, task, "extension_request", "CG.STAFF",
                        new_due=_iso(40), reason="chờ số liệu").code}


def transferred_to_staff(world):
    """CG.STAFF2 led it and handed it to CG.STAFF, who may return it."""
    task = make_task(world, lead="CG.STAFF2")
    act(world, task, "transfer", "CG.STAFF2", to_unit="HN.CG.VP", to_official="CG.STAFF",
        reason="đúng chuyên môn")
    return {"code": task.code}


def waiting_for_head(world):
    task = act(world, make_task(world), "accept", "CG.STAFF")
    act(world, task, "guidance_request", "CG.STAFF", to_official="CG.HEAD", question="?")
    return {"code": task.code}


def consulting_ba_dinh(world):
    """Ba Đình's office is consulted: the outsider now reads the task and may reply."""
    task = act(world, make_task(world), "accept", "CG.STAFF")
    act(world, task, "consult", "CG.STAFF", to_unit="HN.BD.VP", reply_due=_iso(5))
    return {"code": task.code}


def submitted(world):
    task = act(world, make_task(world), "accept", "CG.STAFF")
    return {"code": act(world, task, "submit", "CG.STAFF").code}


def overdue(world):
    """Assigned 20 days ago, due 10 days ago, still open: a delay to excuse."""
    return {"code": make_task(world, days_ago=20, due_in=-10).code}


# -- request bodies (RouteSpec.data) ---------------------------------------------------


def assignment(world):
    _product()
    return {"title": "Báo cáo tình hình giải quyết TTHC", "product": "BC",
            "lead_unit": "HN.CG.VP", "lead_official": "CG.STAFF", "due": _iso(20)}


def body(**fields):
    return lambda world: {name: value() if callable(value) else value
                          for name, value in fields.items()}


def post_expect(ok: set[str], *, unseen: frozenset[str] = frozenset({"outsider"})) -> dict:
    """POST on a task: `ok` roles get 200; inspectors and anonymous 403; roles that cannot
    read the task (`unseen`) 404; everyone else (admin and board: no official) 403."""
    expected = {}
    for role in ROLES:
        if role in ("anonymous", "inspector"):
            expected[role] = 403
        elif role in unseen:
            expected[role] = 404
        else:
            expected[role] = 200 if role in ok else 403
    return expected


def action(situation, ok, data=None, *, unseen=frozenset({"outsider"}), note=""):
    return RouteSpec(method="post", kwargs=situation, data=data,
                     expect=post_expect(ok, unseen=unseen), note=note)


ASSIGNERS = {"head", "deputy"}
REASON = body(reason="lý do")

ROUTES = {
    "api:task-list": [
        RouteSpec(expect=api_expect("all"), note="each role gets its own scope's tasks"),
        RouteSpec(expect=api_expect("all"),
                  query="bucket=open_within_deadline&search=bao+cao&ordering=-due&state=assigned"),
        RouteSpec(kwargs=None, query="unit=HN.CG",
                  expect=api_expect(CG_READERS, denied=400),
                  note="a unit outside the scope is an unknown unit"),
        RouteSpec(method="post", data=assignment,
                  expect={**post_expect(ASSIGNERS, unseen=frozenset()),
                          "head": 201, "deputy": 201},
                  note="heads and deputies of HN.CG assign; staff and the outsider lead "
                       "nothing; admin and board are not officials; inspectors only read"),
    ],
    "api:task-detail": [
        RouteSpec(kwargs=cg_task, expect=api_expect(CG_READERS | {"staff"}),
                  note="staff's own work"),
        RouteSpec(kwargs=slashed_task, expect=api_expect(CG_READERS | {"staff"}),
                  note="a code with '/'"),
        RouteSpec(kwargs=dv_task, expect=api_expect(CG_READERS),
                  note="inside the district, outside staff's unit"),
        RouteSpec(kwargs=bd_task, expect=api_expect({"admin", "outsider"})),
        RouteSpec(kwargs=missing_task, expect=api_expect(set())),
        RouteSpec(kwargs=consulting_ba_dinh, expect=api_expect(CG_READERS | {"staff",
                                                                             "outsider"}),
                  note="a consulted unit's members read the task"),
        RouteSpec(kwargs=cg_task, method="put", expect=NOT_ALLOWED),
        RouteSpec(kwargs=cg_task, method="delete", expect=NOT_ALLOWED),
    ],
    "api:task-events": [
        RouteSpec(kwargs=cg_task, expect=api_expect(CG_READERS | {"staff"})),
        RouteSpec(kwargs=dv_task, expect=api_expect(CG_READERS)),
        RouteSpec(kwargs=bd_task, expect=api_expect({"admin", "outsider"})),
        RouteSpec(kwargs=cg_task, method="post", expect=NOT_ALLOWED),
    ],
    "api:task-accept": [
        action(cg_task, {"staff"}, note="the lead official accepts"),
        action(bd_task, {"outsider"},
               unseen=frozenset({"board", "head", "deputy", "staff"}),
               note="outside the district: 404 before anything else but read-only"),
        action(missing_task, set(),
               unseen=frozenset({"admin", "board", "head", "deputy", "staff", "outsider"})),
        RouteSpec(kwargs=cg_task, method="get", expect=NOT_ALLOWED),
    ],
    "api:task-transfer": [
        action(in_progress, {"staff"}, body(to_unit="HN.CG.VP", to_official="CG.STAFF2",
                                            reason="đúng chuyên môn")),
    ],
    "api:task-return": [
        action(transferred_to_staff, {"staff"},
               body(to_unit="HN.CG.VP", to_official="CG.STAFF2", reason="không đúng "
                                                                        "chuyên môn")),
    ],
    "api:task-extension-request": [
        action(in_progress, {"staff"}, body(new_due=lambda: _iso(40), reason="chờ số liệu")),
    ],
    "api:task-extension-grant": [
        action(in_progress, ASSIGNERS, body(new_due=lambda: _iso(40), reason="chờ số liệu")),
    ],
    "api:task-extension-refuse": [
        action(extension_requested, ASSIGNERS, REASON),
    ],
    "api:task-guidance-request": [
        action(in_progress, {"staff"}, body(to_official="CG.HEAD", question="Có cần lấy ý "
                                                                            "kiến phường?")),
    ],
    "api:task-guidance-reply": [
        action(waiting_for_head, {"head"}, body(answer="Có."),
               note="only the official asked replies"),
    ],
    "api:task-consult": [
        action(in_progress, {"staff"}, body(to_unit="HN.CG.DV", reply_due=lambda: _iso(5))),
    ],
    "api:task-consult-reply": [
        action(consulting_ba_dinh, {"outsider"}, body(unit="HN.BD.VP", clear_position="true"),
               unseen=frozenset(), note="the consulted unit's member replies"),
    ],
    "api:task-remind": [
        action(in_progress, ASSIGNERS, note="superiors remind; the holder does not"),
    ],
    "api:task-submit": [
        action(in_progress, {"staff"}),
    ],
    "api:task-approve": [
        action(submitted, ASSIGNERS),
    ],
    "api:task-rework": [
        action(submitted, ASSIGNERS, body(major_error="true", reason="sai số liệu")),
    ],
    "api:task-excuse-delay": [
        action(overdue, ASSIGNERS, body(reason="mưa bão")),
    ],
    "api:task-cancel": [
        action(cg_task, ASSIGNERS, REASON),
    ],
    "api:my-work": [
        RouteSpec(expect=api_expect("all"), note="empty for users who are not officials"),
        RouteSpec(method="post", expect=NOT_ALLOWED),
    ],
    "api:directive-list": [
        RouteSpec(expect=api_expect("all"), note="published documents"),
        RouteSpec(expect=api_expect("all"), query="search=24"),
        RouteSpec(method="post", expect=NOT_ALLOWED),
    ],
    "api:directive-detail": [
        RouteSpec(kwargs=lambda world: {"code": _directive(world).code},
                  expect=api_expect("all"), note="counts are per the caller's scope"),
        RouteSpec(kwargs=lambda world: {"code": "99-CT/NOPE"}, expect=api_expect(set())),
        RouteSpec(kwargs=lambda world: {"code": _directive(world).code}, method="delete",
                  expect=NOT_ALLOWED),
    ],
    "api:product-list": [
        RouteSpec(expect=api_expect("all"), note="a catalogue: every logged-in user"),
        RouteSpec(method="post", expect=NOT_ALLOWED),
    ],
}


def _directive(world):
    from thuocdo.tasks import services

    return services.directive_create(code="24-CT/TU", title="Chỉ thị 24",
                                     issued_by=world.units["HN"], issued_on=dt.date(2023, 8, 7))

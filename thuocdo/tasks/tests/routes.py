"""Permission specs of the task pages (see thuocdo.core.testing.RouteSpec).

Tasks are built through the services when the URL is built (`kwargs`): T-CG is led by
CG.STAFF in HN.CG.VP and assigned by CG.HEAD (read by everyone around Cầu Giấy, staff
included, not by the outsider); T-BD is led by BD.STAFF in HN.BD.VP and assigned by BD.HEAD
(added here; read by the administrator and the outsider only).

Pages: every logged-in user has "My work", the work list, its export and the directives
(lists are scoped, never refused); a task page outside the scope is 404. Assigning is for
those who lead a unit and administrators; everyone else gets 403 (the page exists, the
account may not use it). Actions (POST): inspectors get 403 before anything else; a task
outside the scope is 404; an account without an official, or a person the workflow does not
allow now, gets 403; a GET is 405.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from thuocdo.core.testing import ROLES, SINCE, RouteSpec, page_expect

CG_SIDE = {"admin", "board", "inspector", "head", "deputy", "staff"}
BD_SIDE = {"admin", "outsider"}
LEADERS = {"admin", "head", "deputy"}
DIRECTIVE = "24-CT/TU"


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


def _task(world, code: str):
    from thuocdo.tasks import services
    from thuocdo.tasks.models import Task

    found = Task.objects.filter(code=code).first()
    if found is not None:
        return found
    if code == "T-BD":
        who, unit, lead = _bd_head(world), "HN.BD.VP", "BD.STAFF"
    else:
        who, unit, lead = world.officials["CG.HEAD"], "HN.CG.VP", "CG.STAFF"
    return services.task_assign(
        assigned_by=who, title="Báo cáo sơ kết 6 tháng", product=_product(),
        lead_unit=world.units[unit], lead_official=world.officials[lead],
        due=_today() + dt.timedelta(days=30), code=code,
    )


def task(code):
    return lambda world: {"code": _task(world, code).code}


def seeded(code):
    """No URL arguments, but the task exists, so lists have a row to show."""

    def kwargs(world):
        _task(world, code)
        return {}

    return kwargs


def act(kind, code):
    return lambda world: {"kind": kind, "code": _task(world, code).code}


def version(code, **extra):
    def data(world):
        return {"expected_version": _task(world, code).version, **extra}

    return data


def directive(world):
    from thuocdo.tasks import services
    from thuocdo.tasks.models import Directive

    found = Directive.objects.filter(code=DIRECTIVE).first() or services.directive_create(
        code=DIRECTIVE, title="Chỉ thị về tăng cường kỷ luật, kỷ cương",
        issued_by=world.units["HN"], issued_on=dt.date(2023, 8, 7),
    )
    return {"code": found.code}


def directive_seeded(world):
    directive(world)
    return {}


def assign_data(world):
    return {
        "title": "Rà soát thủ tục hành chính", "product": _product().code, "quantity": "1",
        "lead_unit": "HN.CG.VP", "lead_official": "CG.STAFF",
        "due": (_today() + dt.timedelta(days=20)).isoformat(), "priority": "normal",
        "coord-TOTAL_FORMS": "0", "coord-INITIAL_FORMS": "0",
        "step-TOTAL_FORMS": "0", "step-INITIAL_FORMS": "0",
    }


def post_expect(ok: set[str], *, unseen: set[str], ok_code: int = 302) -> dict:
    """An action: anonymous is sent to log in; `ok` acts (redirect to the page); the roles in
    `unseen` do not see the task (404); the inspector and everyone else are refused (403)."""
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


ROUTES = {
    "tasks:my_work": [RouteSpec(kwargs=seeded("T-CG"), expect=page_expect("all"))],
    # The home page's card loads it with htmx; a plain visit goes to "My work" (302).
    "tasks:my_work_summary": [RouteSpec(expect=page_expect("all", ok=302))],
    "tasks:task_list": [
        RouteSpec(kwargs=seeded("T-CG"), expect=page_expect("all")),
        RouteSpec(expect=page_expect("all"),
                  query="unit=HN.BD.VP&bucket=open_overdue&q=bao+cao&sort=-due&holder=BD.STAFF",
                  note="a unit or official outside the scope is a form error, never a leak"),
    ],
    "tasks:task_export": [
        RouteSpec(kwargs=seeded("T-CG"), expect=page_expect("all")),
        RouteSpec(expect=page_expect("all"), query="unit=&state=assigned&sort=code"),
    ],
    "tasks:task_detail": [
        RouteSpec(kwargs=task("T-CG"), expect=page_expect(CG_SIDE)),
        RouteSpec(kwargs=task("T-BD"), expect=page_expect(BD_SIDE)),
        RouteSpec(kwargs=lambda world: {"code": "T-NOPE"}, expect=page_expect(set())),
    ],
    "tasks:task_act": [
        RouteSpec(kwargs=act("accept", "T-CG"), expect=dict.fromkeys(ROLES, 405),
                  note="POST only"),
        RouteSpec(method="post", kwargs=act("accept", "T-CG"), data=version("T-CG"),
                  expect=post_expect({"staff"}, unseen={"outsider"}),
                  note="only the holder accepts"),
        RouteSpec(method="post", kwargs=act("remind", "T-CG"),
                  data=version("T-CG", note="Đề nghị khẩn trương"),
                  expect=post_expect({"head", "deputy"}, unseen={"outsider"}),
                  note="superiors remind; the holder may not"),
        RouteSpec(method="post", kwargs=act("approve", "T-CG"), data=version("T-CG"),
                  expect=post_expect(set(), unseen={"outsider"}),
                  note="a forged action the state does not allow"),
        RouteSpec(method="post", kwargs=act("accept", "T-BD"), data=version("T-BD"),
                  expect=post_expect({"outsider"}, unseen=CG_SIDE - {"admin", "inspector"})),
        RouteSpec(method="post", kwargs=act("nope", "T-CG"), data=version("T-CG"),
                  expect=post_expect(set(), unseen=set(ROLES) - {"inspector"}),
                  note="an unknown action is 404"),
    ],
    "tasks:task_assign": [
        RouteSpec(expect=page_expect(LEADERS, denied=403)),
        RouteSpec(method="post", data=assign_data,
                  expect=page_expect({"head", "deputy"}, denied=403, ok=302),
                  note="an administrator without an official cannot assign (403)"),
    ],
    "tasks:official_options": [
        RouteSpec(expect=page_expect("all"), query="unit=HN.CG.VP"),
        RouteSpec(expect=page_expect("all"), query="to_unit=HN.BD.VP&purpose=transfer"),
    ],
    "tasks:directive_list": [
        RouteSpec(kwargs=directive_seeded, expect=page_expect("all")),
        RouteSpec(expect=page_expect("all"), query="q=24"),
    ],
    "tasks:directive_detail": [
        RouteSpec(kwargs=directive, expect=page_expect("all")),
        RouteSpec(kwargs=lambda world: {"code": "NO-SUCH"}, expect=page_expect(set())),
    ],
}

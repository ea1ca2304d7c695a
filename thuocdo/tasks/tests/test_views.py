"""The task pages: the issue's "done when" through the UI, and what each page promises.

The clock is set by hand (`clock`): the views and services read `timezone.now()`, so a flow
can take its steps on the days the working-day counts are about (October 2026: Monday 5,
12, 19 and 26; no holiday).
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from thuocdo.tasks import services
from thuocdo.tasks.models import Task, TaskEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HTMX = {"HTTP_HX_REQUEST": "true"}
TZ = timezone.get_fixed_timezone(7 * 60)
D = dt.date


class Clock:
    def __init__(self):
        self.now = dt.datetime(2026, 10, 1, 8, 0, tzinfo=TZ)

    def set(self, day: int, hour: int = 9, month: int = 10) -> None:
        self.now = dt.datetime(2026, month, day, hour, 0, tzinfo=TZ)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


@pytest.fixture
def product(db):
    return services.product_create(code="BC", name="Báo cáo", coefficient=1)


def assign(world, product, *, code, title="Báo cáo sơ kết 6 tháng", lead="CG.STAFF",
           unit="HN.CG.VP", due=None, day=1, **extra):
    due = due or D(2026, 10, 15)
    return services.task_assign(
        assigned_by=world.officials["CG.HEAD"], title=title, product=product,
        lead_unit=world.units[unit], lead_official=world.officials[lead], due=due, code=code,
        at=dt.datetime(2026, 10, day, 8, 0, tzinfo=TZ), allow_past_due=True, **extra,
    )


def act_as(world, task, kind, who, day, **data):
    return services.task_act(task=task, kind=kind, actor=world.officials[who], data=data,
                             at=dt.datetime(2026, 10, day, 10, 0, tzinfo=TZ))


def act_url(task, kind):
    return reverse("tasks:task_act", kwargs={"kind": kind, "code": task.code})


def post_act(client, task, kind, htmx=False, **data):
    task.refresh_from_db()
    payload = {"expected_version": task.version, **data}
    return client.post(act_url(task, kind), payload, **(HTMX if htmx else {}))


def action_kinds(response) -> list[str]:
    return [a["kind"] for a in response.context["actions"]]


def action(response, kind) -> dict:
    """One action of the page's actions panel: its kind, its form, whether it is open."""
    return next(a for a in response.context["actions"] if a["kind"] == kind)


def action_urls(page: str) -> set[str]:
    return set(re.findall(r'action="(/tasks/act/[^"]+)"', page))


# -- the "done when" -----------------------------------------------------------


def test_the_whole_flow_through_the_pages(world, client_for, product, clock):
    """A head assigns in the UI; the official sees it first in "My work", accepts, transfers
    to a colleague who returns it, accepts, asks for an extension the head grants, submits,
    is sent back for rework, resubmits, and the head approves. The timeline shows every step
    and who held the work for how many working days."""
    staff = world.user("staff")
    # 1/10: the head assigns.
    head = client_for(world.user("head"))
    assert head.get(reverse("tasks:task_assign")).status_code == 200
    response = head.post(reverse("tasks:task_assign"), {
        "title": "Báo cáo sơ kết 6 tháng thực hiện Chỉ thị 24",
        "description": "Tổng hợp số liệu các phường.", "product": "BC", "quantity": "2",
        "lead_unit": "HN.CG.VP", "lead_official": "CG.STAFF", "due": "2026-10-15",
        "priority": "urgent",
        "coord-TOTAL_FORMS": "2", "coord-INITIAL_FORMS": "0",
        "coord-0-unit": "HN.CG.DV", "coord-0-due": "2026-10-10",
        "coord-1-unit": "", "coord-1-due": "",
        "step-TOTAL_FORMS": "1", "step-INITIAL_FORMS": "0",
        "step-0-name": "Thu thập số liệu", "step-0-allowance": "3",
    })
    task = Task.objects.get()
    assert response.status_code == 302 and response["Location"] == task.get_absolute_url()
    assert (task.lead_official.code, task.due, task.priority, task.quantity) == (
        "CG.STAFF", D(2026, 10, 15), "urgent", 2)
    assert [(c.unit.code, c.due) for c in task.coordinations.all()] == [("HN.CG.DV",
                                                                          D(2026, 10, 10))]
    assert [(s.name, s.allowance) for s in task.steps.all()] == [("Thu thập số liệu", 3)]

    # 2/10: the official sees it first in "My work" and accepts it there (htmx).
    clock.set(2)
    client = client_for(staff)
    response = client.get(reverse("tasks:my_work"))
    sections = [(s["key"], [t.code for t in s["tasks"]]) for s in response.context["sections"]]
    assert [s for s in sections if s[1]] == [("to_accept", [task.code])]
    page = response.content.decode()
    assert act_url(task, "accept") in page
    response = post_act(client, task, "accept", htmx=True, return_to="my_work")
    fragment = response.content.decode()
    assert response.status_code == 200
    assert fragment.lstrip().startswith('<div id="my-work"')
    assert "You accepted the task (event #2)." in fragment
    in_progress = next(s for s in response.context["sections"] if s["key"] == "in_progress")
    assert [t.code for t in in_progress["tasks"]] == [task.code]

    # 5/10: transfer to a colleague (no JavaScript: redirect and a message).
    clock.set(5)
    response = post_act(client, task, "transfer", to_unit="HN.CG.VP",
                        to_official="CG.STAFF2", reason="Đúng chuyên môn của đồng chí Dung")
    assert response.status_code == 302 and response["Location"] == task.get_absolute_url()
    page = client.get(task.get_absolute_url()).content.decode()
    assert "Task transferred to " in page and "(CG.STAFF2) (event #3)." in page

    # 7/10: the colleague returns it (htmx: actions panel, status and timeline in place).
    clock.set(7)
    colleague = client_for(_user_for(world, "CG.STAFF2"))
    response = colleague.get(task.get_absolute_url())
    assert "return" in action_kinds(response)
    return_form = action(response, "return")["form"]
    assert return_form.initial["to_official"] == "CG.STAFF"  # the previous holder
    response = post_act(colleague, task, "return", htmx=True, to_unit="HN.CG.VP",
                        to_official="CG.STAFF", reason="Thuộc lĩnh vực đồng chí Cường")
    fragment = response.content.decode()
    assert response.status_code == 200
    assert fragment.lstrip().startswith('<section id="task-actions"')
    assert 'id="task-status" class="card status-card" aria-labelledby="status-heading" ' \
           'hx-swap-oob="true"' in fragment
    assert 'id="task-timeline" aria-labelledby="timeline-heading" hx-swap-oob="true"' in fragment
    assert "Task returned to " in fragment and "(CG.STAFF) (event #4)." in fragment

    # 7/10 accept again; 12/10 ask for an extension; 13/10 the head grants it.
    client = client_for(staff)
    assert post_act(client, task, "accept").status_code == 302
    clock.set(12)
    assert post_act(client, task, "extension_request", new_due="2026-10-22",
                    reason="Chờ số liệu của phường").status_code == 302
    clock.set(13)
    head = client_for(world.user("head"))
    response = head.get(task.get_absolute_url())
    grant = action(response, "extension_grant")["form"]
    assert grant.initial["new_due"] == "2026-10-22"  # what was asked for
    assert grant.label == "Grant an extension"  # it answers the request
    assert "<summary>Grant an extension</summary>" in response.content.decode()
    assert "An extension to 22/10/2026 was requested" in response.content.decode()
    assert "extension_refuse" in action_kinds(response)
    assert post_act(head, task, "extension_grant", new_due="2026-10-22",
                    reason="Phường gửi số liệu chậm").status_code == 302

    # 19/10 submit; 20/10 rework; 21/10 submit again; 22/10 approve.
    clock.set(19)
    client = client_for(staff)
    assert post_act(client, task, "submit", note="Dự thảo báo cáo").status_code == 302
    clock.set(20)
    head = client_for(world.user("head"))
    assert post_act(head, task, "rework", major_error="yes", excused="no",
                    reason="Sai số liệu quý III").status_code == 302
    clock.set(21)
    client = client_for(staff)
    assert post_act(client, task, "submit").status_code == 302
    clock.set(22)
    head = client_for(world.user("head"))
    assert post_act(head, task, "approve").status_code == 302

    task.refresh_from_db()
    assert task.state == "done" and task.due_in_force == D(2026, 10, 22)
    assert task.done_late is False
    assert [e.kind for e in task.events.order_by("seq")] == [
        "create", "accept", "transfer", "return", "accept", "extension_request",
        "extension_grant", "submit", "rework", "submit", "approve",
    ]
    rework = task.events.get(kind="rework")
    assert rework.data["major_error"] is True and rework.data["excused"] is False

    # 31/10: the timeline shows every step; who held it, in working days.
    clock.set(31)
    response = head.get(task.get_absolute_url())
    page = response.content.decode()
    assert [row["event"].seq for row in response.context["timeline"]] == list(range(1, 12))
    for label in ("Assigned", "Accepted", "Transferred", "Returned", "Extension requested",
                  "Extension granted", "Submitted", "Sent back for rework", "Approved"):
        assert f"</span> {label}</h3>" in page, label
    assert "Sai số liệu quý III" in page and "Chờ số liệu của phường" in page
    assert "22/10/2026" in page and "02/10/2026 09:00" in page
    assert [(i["official"], i["workdays"], i["workdays_overdue"])
            for i in response.context["intervals"]] == [
        ("Lê Văn Cường (CG.STAFF)", 2, 0), ("Phạm Thị Dung (CG.STAFF2)", 2, 0),
        ("Lê Văn Cường (CG.STAFF)", 8, 0), ("Nguyễn Văn Đức (CG.HEAD)", 1, 0),
        ("Lê Văn Cường (CG.STAFF)", 1, 0),
        # the review of the product accepted: who held the work until the approval, no
        # day of it a delay (the engine's intervals stop at the hand-in)
        ("Nguyễn Văn Đức (CG.HEAD)", 1, 0),
    ]
    final = response.context["intervals"][-1]
    assert final["review"] and final["event_seq"] == 10 and final["end"] is not None
    assert "review, not counted" in page
    assert action_kinds(response) == []  # done on time: nothing left to do


def test_the_extensions_say_what_moved_and_whether_the_grant_came_too_late(
        world, client_for, product, clock):
    """The page says each extension in words: what was asked for, the deadline moved from and
    to, and, for a grant after the deadline had passed, that missing it still counts."""
    on_time = assign(world, product, code="T1")
    late = assign(world, product, code="T2")
    for task in (on_time, late):
        act_as(world, task, "accept", "CG.STAFF", 2)
    act_as(world, on_time, "extension_request", "CG.STAFF", 12, new_due="2026-10-22",
           reason="Chờ số liệu của phường")
    act_as(world, on_time, "extension_grant", "CG.HEAD", 15, new_due="2026-10-22",
           reason="chờ số liệu")
    act_as(world, late, "extension_grant", "CG.HEAD", 16, new_due="2026-10-23",
           reason="chờ số liệu")
    clock.set(19)
    head = client_for(world.user("head"))

    response = head.get(on_time.get_absolute_url())
    rows = [(r["kind"], r["after_deadline"]) for r in response.context["extensions"]]
    assert rows == [("extension_request", False), ("extension_grant", False)]
    page = response.content.decode()
    assert "asked to move the deadline to 22/10/2026" in page
    assert "(Chờ số liệu của phường)" in page
    assert "deadline moved from 15/10/2026 to 22/10/2026" in page  # granted on its last day
    assert "granted late" not in page

    page = head.get(late.get_absolute_url()).content.decode()
    assert "deadline moved from 15/10/2026 to 23/10/2026" in page
    assert "granted after 15/10/2026 had passed: missing that deadline still counts" in page


def _user_for(world, code):
    from thuocdo.accounts import services as accounts
    from thuocdo.core.testing import PASSWORD

    official = world.officials[code]
    user = accounts.user_create(email=official.email, password=PASSWORD, official=official)
    world.users[code] = user
    return user


# -- refusals: stale pages, actions not allowed, inspectors, no official ---------------


def test_a_stale_form_is_refused_with_a_clear_message(world, client_for, product, clock):
    task = assign(world, product, code="T1")
    clock.set(2)
    client = client_for(world.user("staff"))
    stale = task.version
    act_as(world, task, "remind", "CG.HEAD", 2)  # someone acted after the page was shown
    before = TaskEvent.objects.count()
    response = client.post(act_url(task, "accept"), {"expected_version": stale})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "The task changed since you opened it; reload and try again." in page
    response = client.post(act_url(task, "accept"), {"expected_version": stale}, **HTMX)
    assert response.status_code == 200
    assert "The task changed since you opened it" in response.content.decode()
    assert TaskEvent.objects.count() == before
    task.refresh_from_db()
    assert task.state == "assigned"


def test_only_allowed_actions_are_shown_and_a_forged_post_is_refused(world, client_for,
                                                                     product, clock):
    task = assign(world, product, code="12/KH-UBND/T1")  # codes may hold "/"
    clock.set(2)
    staff = client_for(world.user("staff"))
    response = staff.get(task.get_absolute_url())
    kinds = action_kinds(response)
    assert kinds == ["accept", "transfer", "extension_request"]
    page = response.content.decode()
    assert action_urls(page) == {act_url(task, kind) for kind in kinds}
    before = TaskEvent.objects.count()
    for kind, data in (("approve", {}),
                       ("extension_grant", {"new_due": "2026-10-30", "reason": "chờ số liệu"}),
                       ("cancel", {"reason": "x"})):
        response = post_act(staff, task, kind, **data)
        assert response.status_code == 403, kind
    assert TaskEvent.objects.count() == before
    head = client_for(world.user("head"))
    response = head.get(task.get_absolute_url())
    kinds = action_kinds(response)
    assert kinds == ["extension_grant", "remind", "cancel"]  # no refusal without a request
    # the assigner may move the deadline unasked, but nobody asked: it is not "granting"
    page = response.content.decode()
    assert action(response, "extension_grant")["form"].label == "Extend the deadline"
    assert "<summary>Extend the deadline</summary>" in page
    assert "Grant an extension" not in page
    assert post_act(head, task, "accept").status_code == 403
    assert TaskEvent.objects.count() == before


def test_inspectors_see_no_forms_and_cannot_post(world, client_for, product, clock):
    task = assign(world, product, code="T1")
    clock.set(2)
    client = client_for(world.user("inspector"))
    response = client.get(task.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200 and response.context["actions"] == []
    assert "You read this task as an inspector" in page
    assert not action_urls(page)
    assert post_act(client, task, "remind").status_code == 403
    work = client.get(reverse("tasks:my_work")).content.decode()
    assert "Your account is not linked to an official" in work
    assert client.get(reverse("tasks:task_assign")).status_code == 403
    assert TaskEvent.objects.count() == 1


def test_an_account_without_an_official_reads_but_is_told_why_it_cannot_act(
        world, client_for, product, clock):
    task = assign(world, product, code="T1")
    clock.set(2)
    client = client_for(world.user("board"))
    page = client.get(task.get_absolute_url()).content.decode()
    assert "Your account is not linked to an official, so you cannot act on tasks." in page
    assert not action_urls(page)
    assert post_act(client, task, "remind").status_code == 403
    admin = client_for(world.user("admin"))
    page = admin.get(reverse("tasks:task_assign")).content.decode()
    assert "so you cannot assign tasks" in page and 'name="title"' not in page


def test_refusals_of_the_rules_show_next_to_the_field_and_write_nothing(world, client_for,
                                                                        product, clock):
    task = assign(world, product, code="T1")
    act_as(world, task, "accept", "CG.STAFF", 1)
    clock.set(2)
    client = client_for(world.user("staff"))
    before = TaskEvent.objects.count()
    # The form's own check: a reason is required.
    response = post_act(client, task, "transfer", to_unit="HN.CG.VP", to_official="CG.STAFF2")
    assert response.status_code == 400
    form = action(response, "transfer")
    assert form["open"] and "reason" in form["form"].errors
    # The workflow's check: the new deadline must be later than the one in force.
    response = post_act(client, task, "extension_request", htmx=True, new_due="2026-10-10",
                        reason="x")
    form = action(response, "extension_request")
    assert form["form"].errors["new_due"] == [
        "The new deadline must be later than the deadline in force, 15/10/2026, and not in the "
        "past."]
    fragment = response.content.decode()
    assert "deadline in force, 15/10/2026, and not in the past." in fragment
    assert "<details class=\"action\" open>" in fragment
    # Transfer to a unit with an official of another unit.
    response = post_act(client, task, "transfer", to_unit="HN.CG.DV", to_official="CG.STAFF2",
                        reason="x")
    form = action(response, "transfer")
    assert "to_official" in form["form"].errors
    assert TaskEvent.objects.count() == before


def test_guidance_and_consultation_forms(world, client_for, product, clock):
    """Guidance goes to a leader above the holder; the guide answers; a consulted unit's
    member replies with a clear position or not."""
    task = assign(world, product, code="T1")
    act_as(world, task, "accept", "CG.STAFF", 1)
    clock.set(2)
    staff = client_for(world.user("staff"))
    response = staff.get(task.get_absolute_url())
    guidance = action(response, "guidance_request")["form"]
    assert {o.code for o in guidance.fields["to_official"].queryset} == {"CG.HEAD", "CG.DEP"}
    # the whole tree is offered, each unit under its parent; the holder's own unit is
    # refused by the workflow, with its reason
    consult = action(response, "consult")["form"]
    assert {"HN.CG", "HN.CG.VP", "HN.CG.DV"} <= {
        u.code for u in consult.fields["to_unit"].queryset}
    refused = action(post_act(staff, task, "consult", to_unit="HN.CG.VP",
                              reply_due="2026-10-06", question="?"), "consult")["form"]
    assert refused.errors["to_unit"] == ["Consult another unit, not the one holding the work."]
    assert post_act(staff, task, "consult", to_unit="HN.CG.DV", reply_due="2026-10-06",
                    question="Số liệu phường?").status_code == 302
    # the timeline names the unit asked, not only its code
    timeline = staff.get(task.get_absolute_url()).context["timeline"]
    consult = next(row for row in timeline if row["event"].kind == "consult")
    assert {"label": "To unit", "value": "UBND phường Dịch Vọng", "is_date": False} in (
        consult["payload"])
    assert post_act(staff, task, "guidance_request", to_official="CG.DEP",
                    question="Phạm vi báo cáo?").status_code == 302
    deputy = client_for(world.user("deputy"))
    assert "guidance_reply" in action_kinds(deputy.get(task.get_absolute_url()))
    assert post_act(deputy, task, "guidance_reply", answer="Toàn quận").status_code == 302
    dv = client_for(_user_for(world, "DV.HEAD"))
    response = dv.get(task.get_absolute_url())
    assert "consult_reply" in action_kinds(response)
    assert post_act(dv, task, "consult_reply", unit="HN.CG.DV", clear_position="no",
                    answer="Đang tổng hợp").status_code == 302
    reply = task.events.get(kind="consult_reply")
    assert reply.data == {"unit": "HN.CG.DV", "clear_position": False,
                          "answer": "Đang tổng hợp"}
    task.refresh_from_db()
    assert task.state == "in_progress" and task.holder_official.code == "CG.STAFF"


# -- My work ---------------------------------------------------------------------------


def test_my_work_puts_overdue_first_with_working_days(world, client_for, product, clock):
    late = assign(world, product, code="LATE", due=D(2026, 10, 9))  # Friday
    act_as(world, late, "accept", "CG.STAFF", 2)
    assign(world, product, code="FRESH", due=D(2026, 10, 30))
    clock.set(14)  # Wednesday: 12, 13, 14 are working days after the 9th
    response = client_for(world.user("staff")).get(reverse("tasks:my_work"))
    sections = {s["key"]: s["tasks"] for s in response.context["sections"]}
    assert [t.code for t in sections["overdue"]] == ["LATE"]
    assert sections["overdue"][0].workdays_overdue == 3
    assert [t.code for t in sections["to_accept"]] == ["FRESH"]
    page = response.content.decode()
    assert page.index('id="section-overdue"') < page.index('id="section-to_accept"')
    assert "3 working days overdue" in page
    summary = client_for(world.user("staff")).get(reverse("tasks:my_work_summary"), **HTMX)
    # the opinions' section is left out when empty (staff answer for no unit here)
    assert summary.context["counts"] == {"opinions": 0,
                                         **{key: len(tasks) for key, tasks in sections.items()}}


def test_my_work_summary_for_the_home_page(world, client_for, product, clock):
    assign(world, product, code="A")
    clock.set(2)
    client = client_for(world.user("staff"))
    home = client.get(reverse("core:home"))
    # The card is rendered with the page (no JS needed); htmx refreshes it from the summary.
    assert home.context["my_work_counts"]["to_accept"] == 1
    assert reverse("tasks:my_work") in home.content.decode()
    response = client.get(reverse("tasks:my_work_summary"), **HTMX)
    assert response.context["counts"] == {"overdue": 0, "to_accept": 1, "in_progress": 0,
                                          "to_review": 0, "waiting": 0, "to_decide": 0,
                                          "opinions": 0}
    assert client.get(reverse("tasks:my_work_summary"))["Location"] == reverse("tasks:my_work")


def test_the_top_bar_links_to_the_task_pages(world, client_for):
    page = client_for(world.user("staff")).get(reverse("tasks:my_work")).content.decode()
    for name in ("tasks:my_work", "tasks:task_list", "tasks:directive_list"):
        assert f'href="{reverse(name)}"' in page
    assert 'aria-current="page">My work<' in page


# -- the work list and its export ------------------------------------------------------


@pytest.fixture
def mixed(world, product):
    """Four tasks of HN.CG.VP, one per bucket on 20/10, and one of HN.CG.DV."""
    on_time = assign(world, product, code="ONTIME", title="Kế hoạch cải cách hành chính")
    act_as(world, on_time, "accept", "CG.STAFF", 2)
    act_as(world, on_time, "submit", "CG.STAFF", 5)
    act_as(world, on_time, "approve", "CG.HEAD", 6)
    late = assign(world, product, code="LATE", title="Báo cáo quý III", due=D(2026, 10, 5))
    act_as(world, late, "accept", "CG.STAFF", 2)
    act_as(world, late, "submit", "CG.STAFF", 7)
    act_as(world, late, "approve", "CG.HEAD", 8)
    assign(world, product, code="OVERDUE", title="Rà soát hồ sơ tồn đọng", due=D(2026, 10, 9))
    assign(world, product, code="OPEN", title="Báo cáo sơ kết", due=D(2026, 10, 30),
           lead="CG.STAFF2", priority="urgent")
    assign(world, product, code="DV1", title="Báo cáo phường", unit="HN.CG.DV",
           lead="DV.HEAD", due=D(2026, 10, 30))


def codes(response) -> list[str]:
    return [t.code for t in response.context["page"].object_list]


def test_the_list_opens_on_the_led_unit_and_filters(world, client_for, mixed, clock):
    clock.set(20)
    client = client_for(world.user("head"))
    url = reverse("tasks:task_list")
    response = client.get(url)
    assert response.context["form"]["unit"].value() == "HN.CG"
    assert codes(response) == ["LATE", "OVERDUE", "ONTIME", "DV1", "OPEN"]  # by deadline
    assert codes(client.get(url, {"subunits": "0"})) == []
    assert codes(client.get(url, {"unit": "HN.CG.DV"})) == ["DV1"]
    assert codes(client.get(url, {"q": "bao cao", "sort": "code"})) == ["DV1", "LATE", "OPEN"]
    assert codes(client.get(url, {"holder": "CG.STAFF2"})) == ["OPEN"]
    assert codes(client.get(url, {"lead_official": "DV.HEAD"})) == ["DV1"]
    # codes as people type them, in any case
    assert codes(client.get(url, {"holder": " cg.staff2"})) == ["OPEN"]
    assert codes(client.get(url, {"lead_official": "dv.head"})) == ["DV1"]
    assert codes(client.get(url, {"priority": "urgent"})) == ["OPEN"]
    assert codes(client.get(url, {"state": "done", "sort": "-code"})) == ["ONTIME", "LATE"]
    assert codes(client.get(url, {"due_from": "2026-10-09", "due_to": "2026-10-15"})) == [
        "OVERDUE", "ONTIME"]
    assert codes(client.get(url, {"assigned_from": "2026-10-02"})) == []
    assert set(codes(client.get(url, {"assigned_to": "2026-10-01"}))) == {
        "LATE", "OVERDUE", "ONTIME", "OPEN", "DV1"}
    response = client.get(url, {"holder": "BD.STAFF", "unit": "HN.BD.VP"})
    assert "holder" in response.context["form"].errors
    assert "unit" in response.context["form"].errors
    # Staff open on their own unit and never see the commune's list.
    staff = client_for(world.user("staff"))
    response = staff.get(url)
    assert response.context["form"]["unit"].value() == "HN.CG.VP"
    assert "DV1" not in codes(staff.get(url, {"unit": ""}))


def test_bucket_counts_equal_the_rows_listed(world, client_for, mixed, clock):
    clock.set(20)
    client = client_for(world.user("head"))
    url = reverse("tasks:task_list")
    for query in ({}, {"unit": "HN.CG.VP"}, {"q": "bao cao"}, {"holder": "CG.STAFF"}):
        response = client.get(url, query)
        chips = {c["key"]: c["count"] for c in response.context["chips"]}
        assert sum(chips.values()) == response.context["page"].paginator.count
        for key, count in chips.items():
            listed = client.get(url, {**query, "bucket": key})
            assert listed.context["page"].paginator.count == count, (query, key)
    chips = {c["key"]: c["count"] for c in client.get(url).context["chips"]}
    assert chips == {"done_on_time": 1, "done_late": 1, "open_within_deadline": 2,
                     "open_overdue": 1}
    assert codes(client.get(url, {"bucket": "open_overdue"})) == ["OVERDUE"]
    page = client.get(url, {"bucket": "done_late"}).content.decode()
    assert 'aria-current="true"' in page


def test_the_list_refreshes_with_htmx(world, client_for, mixed, clock):
    clock.set(20)
    response = client_for(world.user("head")).get(reverse("tasks:task_list"),
                                                  {"q": "ra soat"}, **HTMX)
    fragment = response.content.decode()
    assert "<form" not in fragment and "<html" not in fragment
    assert "OVERDUE" in fragment and "ONTIME" not in fragment
    assert "1 task" in fragment


def test_the_export_has_the_listed_rows_with_real_dates(world, client_for, mixed, clock):
    clock.set(20)
    client = client_for(world.user("head"))
    response = client.get(reverse("tasks:task_export"), {"bucket": "done_late"})
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:2] == ("Code", "Title")
    assert [r[0] for r in rows[1:]] == ["LATE"]
    row = dict(zip(header, rows[1], strict=True))
    assert row["Title"] == "Báo cáo quý III"
    # Excel has no time zones: local (Vietnam) wall time, read back naive.
    assert row["Original deadline"] == dt.datetime(2026, 10, 5, tzinfo=TZ).replace(tzinfo=None)
    assert row["Done at"] == dt.datetime(2026, 10, 7, 10, 0, tzinfo=TZ).replace(tzinfo=None)
    assert row["Bucket"] == "Done late" and row["State"] == "Done"
    assert row["Held by"] is None  # work that is over is held by nobody, as the page says
    assert sheet.cell(row=2, column=header.index("Original deadline") + 1).number_format == \
        "DD/MM/YYYY"
    everything = load_workbook(io.BytesIO(client.get(reverse("tasks:task_export")).content))
    assert everything.active.max_row == 1 + 5
    listed = list(everything.active.iter_rows(values_only=True))
    held = header.index("Held by")
    assert all(r[held] for r in listed[1:] if r[header.index("State")] not in ("Done",
                                                                                "Cancelled"))


def test_the_list_counts_cancelled_tasks_beside_the_four_buckets(world, client_for, mixed,
                                                                  clock):
    """A cancelled task is listed but in no bucket: its chip (and filter) says so, the chips
    add up to the total, and the count says which total is which. Finished work is held by
    nobody."""
    cancelled = assign(world, mixed_product(), code="GONE", title="Việc đã hủy")
    act_as(world, cancelled, "cancel", "CG.HEAD", 3, reason="Không còn cần thiết")
    clock.set(20)
    client = client_for(world.user("head"))
    url = reverse("tasks:task_list")
    response = client.get(url)
    chips = {c["key"]: c["count"] for c in response.context["chips"]}
    assert chips == {"done_on_time": 1, "done_late": 1, "open_within_deadline": 2,
                     "open_overdue": 1, "cancelled": 1}
    assert sum(chips.values()) == response.context["page"].paginator.count == 6
    page = response.content.decode()
    assert "6 tasks · 5 in the four buckets + 1 cancelled (in no bucket)" in page
    assert 'class="chip chip--cancelled" href="?bucket=cancelled"' in page
    assert codes(client.get(url, {"bucket": "cancelled"})) == ["GONE"]
    assert "in the four buckets" not in client.get(url, {"bucket": "open_overdue"}) \
        .content.decode()
    # the holder column: a name for open work, a dash for finished work
    rows = re.findall(r'<tr>\s*<td class="nowrap"><a href="[^"]+">([^<]+)</a>.*?</tr>', page,
                      re.S)
    assert set(rows) == {"ONTIME", "LATE", "OVERDUE", "OPEN", "DV1", "GONE"}
    for code, finished in (("ONTIME", True), ("GONE", True), ("OPEN", False)):
        row = re.search(rf'<tr>\s*<td class="nowrap"><a href="[^"]+">{code}</a>.*?</tr>', page,
                        re.S).group(0)
        assert ("nobody: the work is finished" in row) is finished, code


def mixed_product():
    from thuocdo.tasks.models import Product

    return Product.objects.get(code="BC")


def test_a_finished_task_says_who_held_it_then_not_now(world, client_for, mixed, clock):
    """On a done task the timeline's first event says to whom the work was assigned, the
    holders table is headed "Holder", and the status names who held it last."""
    clock.set(20)
    page = client_for(world.user("head")).get(
        reverse("tasks:task_detail", kwargs={"code": "ONTIME"})).content.decode()
    assert "Assigned to Lê Văn Cường" in page
    assert "Held by Lê Văn Cường" not in page
    assert '<th scope="col">Holder</th>' in page
    status = " ".join(page[page.index('id="task-status"'):page.index('id="task-actions"')]
                      .split())
    assert "<dt>Last held by</dt><dd> Nguyễn Văn Đức" in status
    assert "<dt>Held by</dt>" not in status
    # open work keeps "Held by"
    page = client_for(world.user("head")).get(
        reverse("tasks:task_detail", kwargs={"code": "OPEN"})).content.decode()
    status = " ".join(page[page.index('id="task-status"'):page.index('id="task-actions"')]
                      .split())
    assert "<dt>Held by</dt><dd> Phạm Thị Dung" in status


def test_the_period_takes_mm_yyyy_like_the_dashboard(world, client_for, mixed, clock):
    """The period is the accountability dashboard's month field: MM/YYYY or YYYY-MM."""
    from thuocdo.core.forms import MonthField

    clock.set(20)
    client = client_for(world.user("head"))
    url = reverse("tasks:task_list")
    response = client.get(url, {"period": "10/2026"})
    assert isinstance(response.context["form"].fields["period"], MonthField)
    assert not response.context["form"].errors
    assert set(codes(response)) == {"ONTIME", "LATE", "OVERDUE", "OPEN", "DV1"}
    assert codes(client.get(url, {"period": "11/2026"})) == []
    assert codes(client.get(url, {"period": "2026-10"})) == codes(response)
    response = client.get(url, {"period": "13/2026"})
    assert "period" in response.context["form"].errors


def test_a_filter_that_is_not_valid_lists_nothing(world, client_for, mixed, clock):
    """An unknown unit narrows to nothing, never to everything (core/filters.py): the
    field says why, and the bucket chips count nothing either."""
    clock.set(20)
    client = client_for(world.user("head"))
    response = client.get(reverse("tasks:task_list"), {"unit": "NOPE"})
    assert "unit" in response.context["form"].errors
    assert codes(response) == []
    assert all(chip["count"] == 0 for chip in response.context["chips"])


def test_the_export_refuses_filters_that_are_not_valid(world, client_for, mixed, clock):
    """An export with a filter the list shows as wrong (a unit the reader cannot see, a
    period that is not a month) exports nothing: back to the list, with the errors."""
    clock.set(20)
    client = client_for(world.user("inspector"))
    for query, field in (({"unit": "HN.BD.VP"}, "Lead unit"),
                         ({"period": "abc"}, "Period (original deadline)")):
        response = client.get(reverse("tasks:task_export"), query)
        assert response.status_code == 302, query
        assert response["Location"].startswith(reverse("tasks:task_list") + "?")
        page = client.get(response["Location"])
        said = " ".join(str(m) for m in page.context["messages"])
        assert said.startswith("Nothing was exported") and field in said, said
        assert field.split(" (")[0] in page.content.decode()
    assert client.get(reverse("tasks:task_export"), {"unit": "HN.CG"}).status_code == 200


def test_the_export_reads_its_rows_in_a_fixed_number_of_queries(world, client_for, product,
                                                                clock, monkeypatch):
    """Set-based: the export's queries do not grow with its rows, and it builds no model
    instance per row (for a whole city, loading each task with its six related rows took a
    third of the time)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    loaded = []
    from_db = Task.from_db.__func__
    monkeypatch.setattr(Task, "from_db", classmethod(
        lambda cls, *args, **kwargs: loaded.append(1) or from_db(cls, *args, **kwargs)))

    directive = services.directive_create(code="24-CT/TU", title="Chỉ thị 24",
                                          issued_by=world.units["HN"], issued_on=D(2023, 8, 7))

    def export() -> tuple[int, int]:
        client = client_for(world.user("head"))
        loaded.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("tasks:task_export"))
        assert loaded == [], "the export built task instances"
        rows = load_workbook(io.BytesIO(response.content)).active.max_row - 1
        return rows, len(queries)

    assign(world, product, code="A1", directive=directive)
    clock.set(20)
    few = export()
    for number in range(2, 8):
        task = assign(world, product, code=f"A{number}", lead="CG.STAFF2")
        if number % 3 == 0:
            act_as(world, task, "accept", "CG.STAFF2", 2)
            act_as(world, task, "submit", "CG.STAFF2", 5)
            act_as(world, task, "approve", "CG.HEAD", 6)
    many = export()
    assert (few[0], many[0]) == (1, 7)
    assert many[1] == few[1]


# -- assigning -------------------------------------------------------------------------


def assign_form(**extra):
    data = {
        "title": "Rà soát", "product": "BC", "quantity": "1", "lead_unit": "HN.CG.VP",
        "lead_official": "CG.STAFF", "due": "2026-10-20", "priority": "normal",
        "coord-TOTAL_FORMS": "0", "coord-INITIAL_FORMS": "0",
        "step-TOTAL_FORMS": "0", "step-INITIAL_FORMS": "0",
    }
    data.update(extra)
    return data


def test_the_assign_form_offers_only_led_units_and_refuses_others(world, client_for, product,
                                                                  clock):
    clock.set(1)
    client = client_for(world.user("head"))
    response = client.get(reverse("tasks:task_assign"))
    form = response.context["form"]
    assert {u.code for u in form.fields["lead_unit"].queryset} == {"HN.CG", "HN.CG.VP",
                                                                  "HN.CG.DV"}
    assert {o.code for o in form.fields["lead_official"].queryset} == {"CG.HEAD", "CG.DEP"}
    response = client.post(reverse("tasks:task_assign"),
                           assign_form(lead_unit="HN.BD.VP", lead_official="BD.STAFF"))
    assert response.status_code == 400 and "lead_unit" in response.context["form"].errors
    response = client.post(reverse("tasks:task_assign"), assign_form(due="2026-09-30"))
    assert response.context["form"].errors["due"] == ["The deadline cannot be in the past."]
    response = client.post(reverse("tasks:task_assign"), assign_form(product=""))
    assert "product" in response.context["form"].errors
    response = client.post(reverse("tasks:task_assign"), assign_form(
        **{"coord-TOTAL_FORMS": "1", "coord-0-unit": "HN.CG.DV", "coord-0-due": "2026-10-25"}))
    assert response.status_code == 400
    assert "The deadline of coordinating unit UBND phường Dịch Vọng (25/10/2026) must fall " \
        "between the assignment" in response.content.decode()
    # on the row's deadline, not above the rows
    assert list(response.context["coordinations"].forms[0].errors) == ["due"]
    assert not response.context["coordinations"].non_form_errors()
    assert not Task.objects.exists()
    # a unit named twice: on the second row's unit
    response = client.post(reverse("tasks:task_assign"), assign_form(
        **{"coord-TOTAL_FORMS": "2", "coord-0-unit": "HN.CG.DV", "coord-0-due": "2026-10-09",
           "coord-1-unit": "HN.CG.DV", "coord-1-due": "2026-10-09"}))
    assert [list(row.errors) for row in response.context["coordinations"]] == [[], ["unit"]]
    assert not Task.objects.exists()
    admin = client_for(world.user("admin"))
    units = admin.get(reverse("tasks:task_assign")).context["form"].fields["lead_unit"].queryset
    assert units.count() == 8
    for role in ("staff", "board", "inspector", "outsider"):
        assert client_for(world.user(role)).get(reverse("tasks:task_assign")).status_code == 403


def test_the_lead_official_follows_the_lead_unit(world, client_for, product, clock):
    clock.set(1)
    client = client_for(world.user("head"))
    response = client.get(reverse("tasks:official_options"), {"lead_unit": "HN.CG.VP"}, **HTMX)
    options = response.content.decode()
    assert 'value="CG.STAFF"' in options and 'value="CG.STAFF2"' in options
    assert "CG.HEAD" not in options
    hidden = client.get(reverse("tasks:official_options"), {"to_unit": "HN.BD.VP",
                                                            "purpose": "transfer"})
    assert "BD.STAFF" not in hidden.content.decode()  # not in the head's scope
    assert "the unit&#x27;s leaders dispatch it" in hidden.content.decode()
    # Without JavaScript: the refresh button shows the chosen unit's officials, no errors.
    response = client.post(reverse("tasks:task_assign"),
                           assign_form(lead_unit="HN.CG.DV", lead_official="", _refresh="1"))
    assert response.status_code == 200 and not Task.objects.exists()
    form = response.context["form"]
    assert {o.code for o in form.fields["lead_official"].queryset} == {"DV.HEAD"}
    assert 'class="errorlist' not in response.content.decode()


# -- directives ------------------------------------------------------------------------


def test_a_directive_page_shows_its_tasks_and_the_plans_answering_it(world, client_for,
                                                                     product, clock):
    city = services.directive_create(code="24-CT/TU", title="Chỉ thị 24",
                                     issued_by=world.units["HN"], issued_on=D(2023, 8, 7))
    plan = services.directive_create(code="KH-CG/24", title="Kế hoạch của quận",
                                     issued_by=world.units["HN.CG"], issued_on=D(2023, 9, 1),
                                     answers=city)
    assign(world, product, code="C1", directive=city, due=D(2026, 10, 9))
    assign(world, product, code="P1", directive=plan)
    assign(world, product, code="P2", directive=plan, unit="HN.CG.DV", lead="DV.HEAD")
    clock.set(12)
    client = client_for(world.user("head"))
    response = client.get(reverse("tasks:directive_detail", kwargs={"code": "24-CT/TU"}))
    assert [t.code for t in response.context["tasks"]] == ["C1"]
    chips = {c["key"]: c["count"] for c in response.context["chips"]}
    assert chips["open_overdue"] == 1
    [answer] = response.context["answers"]
    assert answer["directive"].code == "KH-CG/24"
    assert answer["counts"]["total"] == 2 and answer["counts"]["open_within_deadline"] == 2
    staff = client_for(world.user("staff"))
    response = staff.get(reverse("tasks:directive_detail", kwargs={"code": "24-CT/TU"}))
    assert response.context["answers"][0]["counts"]["total"] == 1  # P2 is not theirs
    listing = staff.get(reverse("tasks:directive_list"), {"q": "KH-CG"})
    assert [r["directive"].code for r in listing.context["rows"]] == ["KH-CG/24"]
    assert client.get(reverse("tasks:directive_detail",
                              kwargs={"code": "NOPE"})).status_code == 404


# -- the user review of the demo -------------------------------------------------------


def test_a_pending_extension_request_waits_in_the_deciders_work(world, client_for, product,
                                                                 clock):
    """The head who assigned the task finds the request in "My work" (and its count on the
    home page card) until he grants or refuses it."""
    task = assign(world, product, code="EXT")
    act_as(world, task, "accept", "CG.STAFF", 2)
    act_as(world, task, "extension_request", "CG.STAFF", 5, new_due="2026-10-22",
           reason="Chờ số liệu")
    clock.set(6)
    head = client_for(world.user("head"))
    response = head.get(reverse("tasks:my_work"))
    sections = {s["key"]: [t.code for t in s["tasks"]] for s in response.context["sections"]}
    assert sections["to_decide"] == ["EXT"]
    assert "Extension requests to decide" in response.content.decode()
    summary = head.get(reverse("tasks:my_work_summary"), **HTMX)
    assert summary.context["counts"]["to_decide"] == 1
    text = summary.content.decode()  # one request: the singular
    assert "extension request to decide" in text and "requests to decide" not in text
    # the requester does not decide it
    staff = client_for(world.user("staff")).get(reverse("tasks:my_work"))
    assert not next(s for s in staff.context["sections"] if s["key"] == "to_decide")["tasks"]
    act_as(world, task, "extension_grant", "CG.HEAD", 6, new_due="2026-10-22", reason="chờ số liệu")
    response = client_for(world.user("head")).get(reverse("tasks:my_work"))
    assert not next(s for s in response.context["sections"] if s["key"] == "to_decide")["tasks"]


def test_work_handed_in_on_time_is_not_overdue_while_it_waits_for_review(
        world, client_for, product, clock):
    """Submitted on the deadline day and still under review after it: the list, the task
    page, "My work" and the home page say it was handed in on time, never "0 working days
    late"; the days of the review are nobody's delay."""
    task = assign(world, product, code="ONTIME", due=D(2026, 10, 15))
    act_as(world, task, "accept", "CG.STAFF", 2)
    act_as(world, task, "submit", "CG.STAFF", 15)
    late = assign(world, product, code="LATESUB", due=D(2026, 10, 9))
    act_as(world, late, "accept", "CG.STAFF", 2)
    act_as(world, late, "submit", "CG.STAFF", 13)
    clock.set(19)  # Monday: two working days after the deadline of ONTIME
    staff = client_for(world.user("staff"))
    page = staff.get(task.get_absolute_url())
    assert page.context["bucket"] == "open_within_deadline"
    assert page.context["delays"] == []
    text = page.content.decode()
    assert "Handed in on time (15/10/2026); waiting for review." in text
    assert "missed by 0" not in text
    assert all(i["workdays_overdue"] == 0 for i in page.context["intervals"])
    page = staff.get(late.get_absolute_url())
    assert page.context["bucket"] == "open_overdue"
    assert [d.workdays_late for d in page.context["delays"]] == [2]  # to the submit, not now
    assert "Handed in on 13/10/2026, after the deadline" in page.content.decode()
    listed = staff.get(reverse("tasks:task_list"), {"bucket": "open_overdue"})
    assert codes(listed) == ["LATESUB"]
    listed = staff.get(reverse("tasks:task_list"), {"bucket": "open_within_deadline"})
    assert codes(listed) == ["ONTIME"]
    # The head reviews both: his home page counts neither as overdue, and its list agrees.
    head = client_for(world.user("head"))
    home = head.get(reverse("core:home"))
    assert home.context["my_work_counts"]["overdue"] == 0
    urgent = {t.code: t for t in home.context["urgent"]}
    assert set(urgent) == {"ONTIME", "LATESUB"}
    assert not any(getattr(t, "workdays_overdue", 0) for t in urgent.values())
    text = home.content.decode()
    assert "Handed in on time, waiting for your review" in text
    assert "Handed in after the deadline, waiting for your review" in text
    assert "urgent-list__item--overdue" not in text


def test_a_deadline_passed_over_days_off_only_is_not_called_zero_days_late(
        world, client_for, product, clock):
    task = assign(world, product, code="FRI", due=D(2026, 10, 9))  # Friday
    act_as(world, task, "accept", "CG.STAFF", 2)
    clock.set(10)  # Saturday
    text = client_for(world.user("staff")).get(task.get_absolute_url()).content.decode()
    assert "Deadline 09/10/2026 passed; only days off since, so not yet a working day late" \
        in text
    assert "missed by 0" not in text


def test_the_task_page_names_people_with_their_codes(world, client_for, product, clock):
    task = assign(world, product, code="NAMES")
    act_as(world, task, "accept", "CG.STAFF", 2)
    act_as(world, task, "transfer", "CG.STAFF", 5, to_unit="HN.CG.VP", to_official="CG.STAFF2",
           reason="x")
    clock.set(6)
    response = client_for(world.user("head")).get(task.get_absolute_url())
    text = response.content.decode()
    assert "Assigned to Lê Văn Cường (CG.STAFF)" in text
    assert "by Nguyễn Văn Đức (CG.HEAD)" in text
    assert 'Lê Văn Cường <span class="muted">(CG.STAFF)</span>' in text  # the move
    assert 'Phạm Thị Dung <span class="muted">(CG.STAFF2)</span>' in text  # held by
    assert [i["official"] for i in response.context["intervals"]] == [
        "Lê Văn Cường (CG.STAFF)", "Phạm Thị Dung (CG.STAFF2)"]


def test_a_step_cannot_end_after_the_task_and_a_day_off_deadline_is_warned(
        world, client_for, product, clock):
    clock.set(1)
    client = client_for(world.user("head"))
    response = client.post(reverse("tasks:task_assign"), assign_form(
        due="2026-10-09", **{"step-TOTAL_FORMS": "2", "step-0-name": "Thu thập",
                             "step-0-allowance": "3", "step-1-name": "Tổng hợp",
                             "step-1-allowance": "5"}))
    assert response.status_code == 400 and not Task.objects.exists()
    steps = response.context["steps"]
    assert not steps.non_form_errors() and not steps.forms[0].errors
    errors = steps.forms[1].errors["allowance"]  # on the step that ends too late
    assert "Step “Tổng hợp” would end on 13/10/2026" in errors[0]
    assert "after the task's deadline 09/10/2026" in errors[0]
    response = client.post(reverse("tasks:task_assign"), assign_form(due="2026-10-11"),
                           follow=True)  # a Sunday
    assert Task.objects.count() == 1
    assert "The deadline 11/10/2026 falls on a day off (weekend or holiday): work handed in " \
        "on the next working day, 12/10/2026, will count as late." in response.content.decode()


def test_the_rework_form_names_the_unanswered_question(world, client_for, product, clock):
    task = assign(world, product, code="RW")
    act_as(world, task, "accept", "CG.STAFF", 2)
    act_as(world, task, "submit", "CG.STAFF", 5)
    clock.set(6)
    response = post_act(client_for(world.user("head")), task, "rework", reason="thiếu",
                        excused="no")
    assert response.status_code == 400
    form = action(response, "rework")["form"]
    assert form.errors["major_error"] == [
        "Answer the question “Does the product have a major error?”: choose yes or no."]


def test_the_coefficient_reads_as_the_score_card_writes_it(world, client_for, clock):
    """Stored with three places (0.500), it read "0.500" here and "0.5" on the card."""
    half = services.product_create(code="CV", name="Công văn", coefficient="0.5")
    task = assign(world, half, code="HALF")
    page = client_for(world.user("staff")).get(task.get_absolute_url()).content.decode()
    assert "<dd>0.5 <span" in page and "0.500" not in page


def test_the_first_event_of_the_timeline_names_the_coordinating_units_and_steps(
        world, client_for, product, clock):
    """The assignment's event records them (its hash covers them): the timeline said only
    the lead, the product and the deadline."""
    task = assign(world, product, code="FULL",
                  coordinating=[(world.units["HN.CG.DV"], D(2026, 10, 9))],
                  steps=[("Xây dựng dự thảo", 5), ("Trình ký", 1)])
    plain = assign(world, product, code="PLAIN")
    client = client_for(world.user("staff"))
    [first] = [row for row in client.get(task.get_absolute_url()).context["timeline"]
               if row["event"].seq == 1]
    shown = {row["label"]: row["value"] for row in first["payload"]}
    assert shown["Coordinating units"] == "UBND phường Dịch Vọng, input by 09/10/2026"
    assert shown["Steps"] == "Xây dựng dự thảo (5 working days); Trình ký (1 working day)"
    [bare] = [row for row in client.get(plain.get_absolute_url()).context["timeline"]
              if row["event"].seq == 1]
    assert {"Coordinating units", "Steps"}.isdisjoint(row["label"] for row in bare["payload"])

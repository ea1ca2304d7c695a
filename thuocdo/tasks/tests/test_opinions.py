"""Opinions asked of a unit and coordinating units: who may read the task, and the
"Việc của tôi" section of the leaders whose unit's opinion waits (page, summary, home
page, API)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from thuocdo.accounts import services as accounts
from thuocdo.core.scope import scope_for
from thuocdo.core.testing import PASSWORD
from thuocdo.org import services as org
from thuocdo.tasks import selectors, services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

D = dt.date
TZ = timezone.get_fixed_timezone(7 * 60)
TODAY = D(2026, 10, 6)


def at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, 10, day, hour, 0, tzinfo=TZ)


@pytest.fixture
def product(db):
    return services.product_create(code="BC", name="Báo cáo", coefficient=1)


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: at(TODAY.day, 10))
    return TODAY


@pytest.fixture
def ward_head(world):
    """A user for DV.HEAD, head of the ward HN.CG.DV."""
    return accounts.user_create(email="dv.head@example.vn", password=PASSWORD,
                                official=world.officials["DV.HEAD"])


def assign(world, product, code: str, **extra):
    return services.task_assign(
        assigned_by=world.officials["CG.HEAD"], title="Báo cáo sơ kết 6 tháng",
        product=product, lead_unit=world.units["HN.CG.VP"],
        lead_official=world.officials["CG.STAFF"], due=D(2026, 10, 15), at=at(1, 8),
        allow_past_due=True, code=code, **extra)


def act(world, task, kind: str, who: str, day: int, **data):
    return services.task_act(task=task, kind=kind, actor=world.officials[who], data=data,
                             at=at(day))


def consult(world, task, unit: str, due: D, day: int = 2):
    act(world, task, "consult", "CG.STAFF", day, to_unit=unit, reply_due=due,
        question="Ý kiến về số liệu?")


def accepted(world, product, code: str):
    task = assign(world, product, code)
    act(world, task, "accept", "CG.STAFF", 2)
    return task


def opinions(user) -> list[str]:
    return [t.code for t in selectors.my_work(scope=scope_for(user), on=TODAY).opinions]


def test_a_coordinating_units_members_read_the_task(world, product):
    """BD.STAFF, staff of HN.BD.VP, reads a task that unit coordinates, and no other."""
    assign(world, product, "COORD", coordinating=[(world.units["HN.BD.VP"], D(2026, 10, 9))])
    assign(world, product, "OTHER")
    readable = set(selectors.task_list(scope=scope_for(world.user("outsider")))
                   .values_list("code", flat=True))
    assert readable == {"COORD"}


def test_opinions_wait_for_the_consulted_units_leaders_until_given(world, product, ward_head):
    """The earliest reply deadline first; a reply takes the task off; asked again, it is
    back. The staff of a consulted unit with a head reads the task but has no such section:
    its leaders answer for the unit (and are told); in a unit with no head or deputy (HN.BD.VP)
    its members answer."""
    ward_staff = org.official_create(code="DV.STAFF", name="Ngô Văn Sáu")
    org.membership_start(official=ward_staff, unit=world.units["HN.CG.DV"], position="staff",
                         task_group=world.groups["CM"], start=D(2026, 1, 1))
    ward_staff_user = accounts.user_create(email="dv.staff@example.vn", password=PASSWORD,
                                           official=ward_staff)
    late = accepted(world, product, "LATER")
    consult(world, late, "HN.CG.DV", D(2026, 10, 12))
    soon = accepted(world, product, "SOONER")
    consult(world, soon, "HN.CG.DV", D(2026, 10, 8))
    consult(world, soon, "HN.BD.VP", D(2026, 10, 7))
    assert opinions(ward_head) == ["SOONER", "LATER"]
    work = selectors.my_work(scope=scope_for(ward_head), on=TODAY)
    first = work.opinions[0]
    assert (first.opinion_unit.code, first.opinion_due) == ("HN.CG.DV", D(2026, 10, 8))
    assert work.count == 2
    # staff of a consulted unit with a head: reads it, but the head answers
    assert opinions(ward_staff_user) == []
    assert selectors.task_list(scope=scope_for(ward_staff_user)).filter(
        code="SOONER").exists()
    # the only member of a unit with no head or deputy answers for it
    assert opinions(world.user("outsider")) == ["SOONER"]
    assert work.opinions[0].opinion_unit.code == "HN.CG.DV"
    # the other unit's reply does not answer the ward's question
    act(world, soon, "consult_reply", "BD.STAFF", 3, unit="HN.BD.VP", clear_position=True,
        answer="Đồng ý")
    assert opinions(ward_head) == ["SOONER", "LATER"]
    assert opinions(world.user("outsider")) == []
    act(world, soon, "consult_reply", "DV.HEAD", 4, unit="HN.CG.DV", clear_position=True,
        answer="Đồng ý")
    assert opinions(ward_head) == ["LATER"]
    consult(world, soon, "HN.CG.DV", D(2026, 10, 14), day=5)
    assert opinions(ward_head) == ["LATER", "SOONER"]
    assert selectors.my_work_counts(scope=scope_for(ward_head), on=TODAY)["opinions"] == 2


def test_closed_work_asks_no_opinion_and_a_deputy_that_day_is_asked(world, product, ward_head):
    task = accepted(world, product, "CANCELLED")
    consult(world, task, "HN.CG.DV", D(2026, 10, 8))
    act(world, task, "cancel", "CG.HEAD", 3, reason="Không còn cần")
    assert opinions(ward_head) == []
    open_one = accepted(world, product, "OPEN")
    consult(world, open_one, "HN.CG.DV", D(2026, 10, 8))
    deputy = org.official_create(code="DV.DEP", name="Vũ Thị Phó")
    org.membership_start(official=deputy, unit=world.units["HN.CG.DV"], position="deputy",
                         task_group=world.groups["TH"], start=D(2026, 10, 7))
    user = accounts.user_create(email="dv.dep@example.vn", password=PASSWORD, official=deputy)
    assert opinions(user) == []  # not yet a deputy on the 6th
    assert [t.code for t in selectors.my_work(scope=scope_for(user),
                                              on=D(2026, 10, 7)).opinions] == ["OPEN"]


def test_the_page_summary_home_and_api_show_the_opinion(world, product, ward_head,
                                                       client_for, today):
    task = accepted(world, product, "ASKED")
    consult(world, task, "HN.CG.DV", D(2026, 10, 9))
    client = client_for(ward_head)
    response = client.get(reverse("tasks:my_work"))
    sections = {s["key"]: [t.code for t in s["tasks"]] for s in response.context["sections"]}
    assert sections["opinions"] == ["ASKED"]
    page = response.content.decode()
    assert 'id="section-opinions"' in page
    assert "Opinion of UBND phường Dịch Vọng asked, reply by 09/10/2026" in page
    summary = client.get(reverse("tasks:my_work_summary"), HTTP_HX_REQUEST="true")
    assert summary.context["counts"]["opinions"] == 1
    assert "1</strong> opinion asked of your unit" in summary.content.decode()
    waiting = client.get(reverse("core:home")).context["waiting"]
    item = next(w for w in waiting if "opinion" in w.text)
    assert (item.count, item.url) == (1, reverse("tasks:my_work") + "#section-opinions")
    api = client.get(reverse("api:my-work"))
    assert [(t["code"], t["opinion_unit"], t["opinion_due"]) for t in api.json()["opinions"]] \
        == [("ASKED", "HN.CG.DV", "2026-10-09")]
    assert api.json()["count"] == 1
    # the page of the task opens for him, with the reply form
    detail = client.get(task.get_absolute_url())
    assert detail.status_code == 200
    assert "Give the unit&#x27;s opinion" in detail.content.decode()


def test_the_section_is_left_out_when_empty_and_a_late_reply_is_marked(
        world, product, ward_head, client_for, today):
    """Most officials answer for no unit: no empty section for them. A question whose reply
    deadline passed says so on its row."""
    page = client_for(world.user("staff")).get(reverse("tasks:my_work")).content.decode()
    assert 'id="section-opinions"' not in page
    late = accepted(world, product, "LATE-REPLY")
    consult(world, late, "HN.CG.DV", D(2026, 10, 5))  # today is the 6th
    fresh = accepted(world, product, "FRESH-REPLY")
    consult(world, fresh, "HN.CG.DV", D(2026, 10, 9))
    response = client_for(ward_head).get(reverse("tasks:my_work"))
    rows = {t.code: t.opinion_late for s in response.context["sections"]
            if s["key"] == "opinions" for t in s["tasks"]}
    assert rows == {"LATE-REPLY": True, "FRESH-REPLY": False}
    assert response.content.decode().count("reply overdue") == 1


def test_a_consultation_refused_says_every_wrong_field_at_once(world, product, client_for,
                                                               today):
    """The holder's own unit and a past day were said one after the other: the unit first,
    the day once the unit was right. Both now, each beside its input; nothing written."""
    from thuocdo.core.errors import ServiceError

    task = accepted(world, product, "BOTH")
    with pytest.raises(ServiceError) as refused:
        consult(world, task, "HN.CG.VP", D(2026, 10, 1), day=3)
    assert [p.field for p in refused.value.problems] == ["to_unit", "reply_due"]
    response = client_for(world.user("staff")).post(
        reverse("tasks:task_act", kwargs={"kind": "consult", "code": task.code}),
        {"expected_version": task.events.count(), "to_unit": "HN.CG.VP",
         "reply_due": "01/10/2026", "question": "?"})
    errors = next(a for a in response.context["actions"] if a["kind"] == "consult")["form"].errors
    assert errors == {"to_unit": ["Consult another unit, not the one holding the work."],
                      "reply_due": ["The reply deadline cannot be in the past."]}
    assert task.events.count() == 2  # created, accepted


def test_an_extension_request_says_a_wrong_day_and_a_missing_reason_together(world, product):
    from thuocdo.core.errors import ServiceError

    task = accepted(world, product, "EXT")
    with pytest.raises(ServiceError) as refused:
        act(world, task, "extension_request", "CG.STAFF", 3, new_due=D(2026, 10, 10),
            reason="")
    assert [p.service_code for p in refused.value.problems] == ["extension_not_later",
                                                                "missing_reason"]


# -- a coordinating unit's input ---------------------------------------------------------


def test_a_coordinating_units_input_waits_until_the_unit_gives_it(world, product, ward_head):
    """domain.md: coordinators give input by their own deadline. The ward, named to
    coordinate by the 9th, owes its input: its head sees the task in his section (marked
    as a coordinating unit's input) until the unit gives its opinion, once; a member of no
    coordinating unit cannot give it, nor can the ward twice."""
    from thuocdo.core.errors import PermissionDeniedError, ServiceError

    task = assign(world, product, "COORD",
                  coordinating=[(world.units["HN.CG.DV"], D(2026, 10, 9))])
    [row] = selectors.my_work(scope=scope_for(ward_head), on=TODAY).opinions
    assert (row.code, row.opinion_unit.code, row.opinion_due, row.opinion_coordinating,
            row.opinion_late) == ("COORD", "HN.CG.DV", D(2026, 10, 9), True, False)
    assert opinions(world.user("staff")) == []  # the lead unit's own staff owes nothing
    with pytest.raises((PermissionDeniedError, ServiceError)):
        act(world, task, "consult_reply", "BD.STAFF", 3, unit="HN.BD.VP",
            clear_position=True, answer="?")
    act(world, task, "consult_reply", "DV.HEAD", 3, unit="HN.CG.DV", clear_position=True,
        answer="Phường thống nhất số liệu.")
    assert opinions(ward_head) == []
    with pytest.raises((PermissionDeniedError, ServiceError)):
        act(world, task, "consult_reply", "DV.HEAD", 4, unit="HN.CG.DV",
            clear_position=True, answer="Lần nữa")
    assert task.events.count() == 2  # created, the input


def test_a_question_and_an_input_owed_by_one_unit_show_the_earliest(world, product,
                                                                     ward_head):
    """The ward coordinates (by the 12th) and is asked a question (by the 8th): one row, the
    question's deadline; consulted again after its input, it owes the answer only; one
    reply answers both when both wait."""
    task = assign(world, product, "BOTH",
                  coordinating=[(world.units["HN.CG.DV"], D(2026, 10, 12))])
    act(world, task, "accept", "CG.STAFF", 2)
    consult(world, task, "HN.CG.DV", D(2026, 10, 8))
    [row] = selectors.my_work(scope=scope_for(ward_head), on=TODAY).opinions
    assert (row.opinion_due, row.opinion_coordinating) == (D(2026, 10, 8), False)
    act(world, task, "consult_reply", "DV.HEAD", 3, unit="HN.CG.DV", clear_position=True,
        answer="Đồng ý")
    assert opinions(ward_head) == []


def test_the_task_page_and_api_say_the_input_owed_given_and_late(world, product, ward_head,
                                                                  client_for, today):
    """Today is the 6th. The ward's input was due on the 5th: overdue, on the page and in
    the section; the other unit's, due on the 9th, gave it on the 2nd."""
    task = assign(world, product, "PAGE",
                  coordinating=[(world.units["HN.CG.DV"], D(2026, 10, 5)),
                                (world.units["HN.BD.VP"], D(2026, 10, 9))])
    act(world, task, "consult_reply", "BD.STAFF", 2, unit="HN.BD.VP", clear_position=True,
        answer="Thống nhất")
    client = client_for(ward_head)
    page = client.get(reverse("tasks:my_work")).content.decode()
    assert "UBND phường Dịch Vọng coordinates: input by 05/10/2026" in page
    assert "input overdue" in page
    api = client.get(reverse("api:my-work")).json()["opinions"]
    assert [(t["code"], t["opinion_unit"], t["opinion_due"], t["opinion_coordinating"])
            for t in api] == [("PAGE", "HN.CG.DV", "2026-10-05", True)]
    detail = client.get(task.get_absolute_url())
    rows = {row["unit"].code: row for row in detail.context["coordinations"]}
    assert (rows["HN.CG.DV"]["input"], rows["HN.CG.DV"]["overdue"]) == (None, True)
    assert rows["HN.BD.VP"]["input"].seq == 2 and not rows["HN.BD.VP"]["late"]
    html = detail.content.decode()
    assert "given on 02/10/2026" in html and "input overdue" in html
    assert "Give the unit&#x27;s opinion" in html  # the ward's head may give it now
    # given late, on the 7th: marked late, no longer overdue
    act(world, task, "consult_reply", "DV.HEAD", 7, unit="HN.CG.DV", clear_position=True,
        answer="Muộn")
    rows = {row["unit"].code: row
            for row in client.get(task.get_absolute_url()).context["coordinations"]}
    assert rows["HN.CG.DV"]["late"] and not rows["HN.CG.DV"]["overdue"]


def test_an_old_first_event_naming_no_coordinating_unit_reads_the_tasks_rows(world, product,
                                                                             ward_head):
    """First events written before they named the coordinating units: the list (from the
    rows) and the workflow (from the log) must agree, or the unit is chased for an input it
    may not give."""
    from thuocdo.tasks.models import TaskEvent
    from thuocdo.tasks.workflow import TaskSnapshot

    task = assign(world, product, "OLD", coordinating=[(world.units["HN.CG.DV"], D(2026, 10, 9))])
    first = task.events.get(seq=1)
    TaskEvent.objects.filter(pk=first.pk).update(
        data={k: v for k, v in first.data.items() if k != "coordinating"})
    assert opinions(ward_head) == ["OLD"]
    assert set(TaskSnapshot.of(task).consults) == {"HN.CG.DV"}
    act(world, task, "consult_reply", "DV.HEAD", 3, unit="HN.CG.DV", clear_position=True,
        answer="Đồng ý")
    assert opinions(ward_head) == []


def test_the_input_given_from_the_page_redraws_the_coordinating_units(world, product,
                                                                      ward_head, client_for,
                                                                      today):
    """htmx swaps the actions, the status, the timeline and now the coordinating units: the
    row said "not given yet" until the page was reloaded."""
    task = assign(world, product, "HTMX", coordinating=[(world.units["HN.CG.DV"], D(2026, 10, 9))])
    response = client_for(ward_head).post(
        reverse("tasks:task_act", kwargs={"kind": "consult_reply", "code": task.code}),
        {"expected_version": task.events.count(), "unit": "HN.CG.DV", "clear_position": "yes",
         "answer": "Phường thống nhất số liệu."}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="task-coordinations" hx-swap-oob="true"' in html
    assert "given on 06/10/2026" in html and "not given yet" not in html

"""A deadline set on a day off (THUOCDO_DEADLINE_ON_DAY_OFF): a task's and its coordinating
units' at assignment, one asked for or granted in an extension, a consultation's reply
deadline. Refused by default, through the services, the pages and the API alike, with the
day, why it is off and the next working day; accepted with "accept"; and always accepted from
an import of history.

The clock is set to Monday 28/12/2026: Friday 1/1/2027 is New Year's Day (Tết Dương lịch),
Saturday 2 and Sunday 3 are the weekend, Monday 4/1/2027 is the next working day.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from thuocdo.core.errors import ServiceError
from thuocdo.core.models import CalendarOverride
from thuocdo.tasks import services
from thuocdo.tasks.models import Task, TaskCoordination, TaskEvent

pytestmark = pytest.mark.django_db

TZ = timezone.get_fixed_timezone(7 * 60)
D = dt.date
NEW_YEAR, SUNDAY, NEXT_WORKDAY = D(2027, 1, 1), D(2027, 1, 3), D(2027, 1, 4)


@pytest.fixture(autouse=True)
def refuse(settings):
    """The default of base.py (the test settings accept, see thuocdo.config.settings.test);
    messages in English, the msgids."""
    settings.THUOCDO_DEADLINE_ON_DAY_OFF = "refuse"
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    now = dt.datetime(2026, 12, 28, 8, 0, tzinfo=TZ)
    monkeypatch.setattr(timezone, "now", lambda: now)
    return now


@pytest.fixture
def product(db):
    return services.product_create(code="BC", name="Báo cáo", coefficient=1)


def assign(world, product, *, due, code="T1"):
    return services.task_assign(
        assigned_by=world.officials["CG.HEAD"],
        title="Báo cáo tổng kết năm",
        product=product,
        lead_unit=world.units["HN.CG.VP"],
        lead_official=world.officials["CG.STAFF"],
        due=due,
        code=code,
    )


def refusal(world, product, due) -> ServiceError:
    with translation.override("en"), pytest.raises(ServiceError) as caught:
        assign(world, product, due=due)
    assert not Task.objects.exists()
    assert (caught.value.service_code, caught.value.field) == ("deadline_day_off", "due")
    return caught.value


def test_the_setting_defaults_to_refuse_and_takes_only_its_two_values(monkeypatch):
    from thuocdo.config.settings import base

    monkeypatch.delenv("THUOCDO_DEADLINE_ON_DAY_OFF", raising=False)
    try:
        assert importlib.reload(base).THUOCDO_DEADLINE_ON_DAY_OFF == "refuse"
        monkeypatch.setenv("THUOCDO_DEADLINE_ON_DAY_OFF", "accept")
        assert importlib.reload(base).THUOCDO_DEADLINE_ON_DAY_OFF == "accept"
        monkeypatch.setenv("THUOCDO_DEADLINE_ON_DAY_OFF", "warn")
        with pytest.raises(ImproperlyConfigured, match="THUOCDO_DEADLINE_ON_DAY_OFF"):
            importlib.reload(base)
    finally:
        monkeypatch.undo()
        importlib.reload(base)


def test_a_deadline_on_a_holiday_is_refused_with_its_name_and_the_next_working_day(world, product):
    assert refusal(world, product, NEW_YEAR).service_message == (
        "01/01/2027 is a day off (New Year's Day), and a deadline must be a working day; "
        "the next working day: 04/01/2027."
    )


def test_the_refusal_is_in_vietnamese_with_the_holiday_s_vietnamese_name(world, product):
    with translation.override("vi"), pytest.raises(ServiceError) as caught:
        assign(world, product, due=NEW_YEAR)
    assert "01/01/2027" in caught.value.service_message
    assert "Tết Dương lịch" in caught.value.service_message
    assert "04/01/2027" in caught.value.service_message


def test_a_weekend_is_named_by_its_day(world, product):
    assert refusal(world, product, SUNDAY).service_message.startswith(
        "03/01/2027 is a day off (Sunday), "
    )


def test_the_administrator_s_day_off_is_named_by_its_note_or_not_at_all(world, product):
    CalendarOverride.objects.create(day=D(2027, 1, 5), kind="holiday", note="Nghỉ bù")
    CalendarOverride.objects.create(day=D(2027, 1, 6), kind="holiday")
    assert refusal(world, product, D(2027, 1, 5)).service_message == (
        "05/01/2027 is a day off (Nghỉ bù), and a deadline must be a working day; the next "
        "working day: 07/01/2027."
    )
    assert refusal(world, product, D(2027, 1, 6)).service_message == (
        "06/01/2027 is a day off, and a deadline must be a working day; the next working day: "
        "07/01/2027."
    )


def test_a_swapped_working_day_and_an_ordinary_one_are_accepted(world, product):
    CalendarOverride.objects.create(day=D(2027, 1, 9), kind="workday", note="Làm bù")
    assert assign(world, product, due=D(2027, 1, 9)).due == D(2027, 1, 9)  # a Saturday
    assert assign(world, product, due=NEXT_WORKDAY, code="T2").due == NEXT_WORKDAY


def test_accept_lets_a_deadline_on_a_day_off_through(world, product, settings):
    settings.THUOCDO_DEADLINE_ON_DAY_OFF = "accept"
    task = assign(world, product, due=NEW_YEAR)
    services.task_act(
        task=task,
        kind="extension_grant",
        actor=world.officials["CG.HEAD"],
        data={"new_due": SUNDAY.isoformat(), "reason": "chờ số liệu"},
    )
    task.refresh_from_db()
    assert (task.due, task.due_in_force) == (NEW_YEAR, SUNDAY)


def test_a_granted_extension_on_a_day_off_is_refused(world, product):
    task = assign(world, product, due=D(2026, 12, 31))
    with translation.override("en"), pytest.raises(ServiceError) as caught:
        services.task_act(
            task=task,
            kind="extension_grant",
            actor=world.officials["CG.HEAD"],
            data={"new_due": NEW_YEAR.isoformat(), "reason": "chờ số liệu"},
        )
    assert (caught.value.service_code, caught.value.field) == ("deadline_day_off", "new_due")
    assert "the next working day: 04/01/2027" in caught.value.service_message
    task.refresh_from_db()
    assert (task.version, task.due_in_force) == (1, D(2026, 12, 31))


# -- the pages ---------------------------------------------------------------------------


def assign_form(**extra):
    return {
        "title": "Rà soát",
        "product": "BC",
        "quantity": "1",
        "lead_unit": "HN.CG.VP",
        "lead_official": "CG.STAFF",
        "due": "2027-01-04",
        "priority": "normal",
        "coord-TOTAL_FORMS": "0",
        "coord-INITIAL_FORMS": "0",
        "step-TOTAL_FORMS": "0",
        "step-INITIAL_FORMS": "0",
        **extra,
    }


def test_the_assign_page_shows_the_refusal_on_the_deadline(world, client_for, product):
    client = client_for(world.user("head"))
    response = client.post(reverse("tasks:task_assign"), assign_form(due="2027-01-01"))
    assert response.status_code == 400 and not Task.objects.exists()
    assert response.context["form"].errors["due"] == [
        "01/01/2027 is a day off (New Year's Day), and a deadline must be a working day; "
        "the next working day: 04/01/2027."
    ]
    response = client.post(reverse("tasks:task_assign"), assign_form(due="2027-01-04"))
    assert response.status_code == 302 and Task.objects.get().due == NEXT_WORKDAY


def test_the_grant_form_shows_the_refusal_on_the_new_deadline(world, client_for, product):
    task = assign(world, product, due=D(2026, 12, 31))
    url = reverse("tasks:task_act", kwargs={"kind": "extension_grant", "code": task.code})
    response = client_for(world.user("head")).post(
        url, {"expected_version": task.version, "new_due": "2027-01-03", "reason": "chờ số liệu"}
    )
    assert response.status_code == 400
    form = next(a for a in response.context["actions"] if a["kind"] == "extension_grant")["form"]
    assert form.errors["new_due"] == [
        "03/01/2027 is a day off (Sunday), and a deadline must be a working day; the next "
        "working day: 04/01/2027."
    ]
    task.refresh_from_db()
    assert task.due_in_force == D(2026, 12, 31)


def test_the_grant_form_offers_the_working_day_after_a_day_off_asked_for(world, client_for,
                                                                        product, settings):
    """A request for a Sunday made while days off were accepted (or imported): the grant
    form offers the Monday (it offered the Sunday, which the grant then refused)."""
    task = assign(world, product, due=D(2026, 12, 31))
    services.task_act(task=task, kind="accept", actor=world.officials["CG.STAFF"])
    settings.THUOCDO_DEADLINE_ON_DAY_OFF = "accept"
    services.task_act(task=task, kind="extension_request", actor=world.officials["CG.STAFF"],
                      data={"new_due": SUNDAY.isoformat(), "reason": "chờ số liệu"})
    settings.THUOCDO_DEADLINE_ON_DAY_OFF = "refuse"
    page = client_for(world.user("head")).get(task.get_absolute_url())
    form = next(a for a in page.context["actions"] if a["kind"] == "extension_grant")["form"]
    assert form.initial["new_due"] == NEXT_WORKDAY.isoformat()


# -- the API -----------------------------------------------------------------------------


def api(world, role: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(world.user(role))
    return client


def test_the_api_refuses_a_deadline_on_a_day_off_with_the_field(world, product):
    body = {
        "title": "Rà soát",
        "product": "BC",
        "lead_unit": "HN.CG.VP",
        "lead_official": "CG.STAFF",
        "due": "2027-01-01",
    }
    response = api(world, "head").post(reverse("api:task-list"), body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "deadline_day_off"
    assert response.json()["errors"] == {
        "due": [
            "01/01/2027 is a day off (New Year's Day), and a deadline must be a working day; "
            "the next working day: 04/01/2027."
        ]
    }
    assert not Task.objects.exists()


def test_the_api_refuses_a_granted_extension_on_a_day_off(world, product, settings):
    task = assign(world, product, due=D(2026, 12, 31))
    url = reverse("api:task-extension-grant", kwargs={"code": task.code})
    body = {"new_due": "2027-01-02", "reason": "chờ số liệu"}
    response = api(world, "head").post(url, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "deadline_day_off"
    assert list(response.json()["errors"]) == ["new_due"]
    assert "02/01/2027 is a day off (Saturday)" in response.json()["errors"]["new_due"][0]
    settings.THUOCDO_DEADLINE_ON_DAY_OFF = "accept"
    response = api(world, "head").post(url, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["due_in_force"] == "2027-01-02"


# -- imports of history ------------------------------------------------------------------


def test_an_import_of_history_keeps_its_deadlines_on_days_off():
    """They record what happened elsewhere: a task due on a Saturday and its coordinating
    unit's input due on a Sunday, a consultation's reply due on a Saturday, an extension
    asked for and granted to a Sunday, imported under the default "refuse"."""
    from thuocdo.exchange.importer import import_document
    from thuocdo.exchange.tests.conftest import ON, load

    document = load("example.json")
    document["tasks"][0]["due"] = "2026-10-17"  # T1: a Saturday
    document["tasks"][0]["coordinating_units"][0]["due"] = "2026-10-11"  # a Sunday

    def event(kind):
        return next(e for e in document["events"] if (e["task"], e["kind"]) == ("T2", kind))

    event("consult")["reply_due"] = "2026-10-10"  # a Saturday
    event("extension_request")["new_due"] = "2026-10-25"  # a Sunday
    event("extension_grant")["new_due"] = "2026-10-25"
    import_document(document, on=ON)
    assert Task.objects.get(code="T1").due == D(2026, 10, 17)
    assert TaskCoordination.objects.get(task__code="T1").due == D(2026, 10, 11)
    t2 = Task.objects.get(code="T2")
    assert t2.due_in_force == D(2026, 10, 25)
    assert {e.kind: e.data.get("reply_due") or e.data.get("new_due")
            for e in t2.events.filter(kind__in=["consult", "extension_request"])} == {
        "consult": "2026-10-10", "extension_request": "2026-10-25"}


# -- the other deadlines: coordinating units, extension requests, consultations ----------

DV_NAME = "UBND phường Dịch Vọng"


def in_progress(world, product) -> Task:
    """A task due Thursday 31/12/2026, accepted by its lead official."""
    task = assign(world, product, due=D(2026, 12, 31))
    services.task_act(task=task, kind="accept", actor=world.officials["CG.STAFF"])
    task.refresh_from_db()
    return task


def act_refusal(task, kind, data, field) -> ServiceError:
    """`kind` refused on `field` as the task's lead official; nothing written."""
    events = TaskEvent.objects.filter(task=task).count()
    with translation.override("en"), pytest.raises(ServiceError) as caught:
        services.task_act(task=task, kind=kind, actor=task.lead_official, data=data)
    assert (caught.value.service_code, caught.value.field) == ("deadline_day_off", field)
    assert TaskEvent.objects.filter(task=task).count() == events
    assert Task.objects.get(pk=task.pk).version == task.version
    return caught.value


def test_a_coordinating_unit_s_deadline_on_a_day_off_is_refused_naming_the_unit(world,
                                                                                  product):
    coordinating = [(world.units["HN.SNV"], D(2026, 12, 31)),
                    (world.units["HN.CG.DV"], NEW_YEAR)]
    with translation.override("en"), pytest.raises(ServiceError) as caught:
        services.task_assign(
            assigned_by=world.officials["CG.HEAD"], title="Báo cáo tổng kết năm",
            product=product, lead_unit=world.units["HN.CG.VP"],
            lead_official=world.officials["CG.STAFF"], due=D(2027, 1, 5), code="T1",
            coordinating=coordinating,
        )
    assert (caught.value.service_code, caught.value.field, caught.value.path) == (
        "deadline_day_off", "coordinating_units", ("coordinating_units", 1, "due"))
    assert caught.value.service_message == (
        f"01/01/2027, the deadline of coordinating unit {DV_NAME}, is a day off (New Year's "
        "Day), and a deadline must be a working day; the next working day: 04/01/2027."
    )
    assert not Task.objects.exists() and not TaskCoordination.objects.exists()
    CalendarOverride.objects.create(day=D(2026, 12, 30), kind="holiday")
    with translation.override("en"), pytest.raises(ServiceError) as caught:
        services.task_assign(
            assigned_by=world.officials["CG.HEAD"], title="Báo cáo tổng kết năm",
            product=product, lead_unit=world.units["HN.CG.VP"],
            lead_official=world.officials["CG.STAFF"], due=D(2027, 1, 5), code="T1",
            coordinating=[(world.units["HN.CG.DV"], D(2026, 12, 30))],
        )
    assert caught.value.service_message == (
        f"30/12/2026, the deadline of coordinating unit {DV_NAME}, is a day off, and a "
        "deadline must be a working day; the next working day: 31/12/2026."
    )
    assert not Task.objects.exists() and not TaskCoordination.objects.exists()


def test_an_extension_request_for_a_day_off_is_refused_with_the_next_working_day(world,
                                                                                 product):
    task = in_progress(world, product)
    refused = act_refusal(task, "extension_request",
                          {"new_due": SUNDAY.isoformat(), "reason": "chờ số liệu"}, "new_due")
    assert refused.service_message == (
        "03/01/2027 is a day off (Sunday), and a deadline must be a working day; the next "
        "working day: 04/01/2027."
    )
    services.task_act(task=task, kind="extension_request", actor=task.lead_official,
                      data={"new_due": NEXT_WORKDAY.isoformat(), "reason": "chờ số liệu"})


def test_a_consultation_s_reply_deadline_on_a_day_off_is_refused(world, product):
    task = in_progress(world, product)
    refused = act_refusal(task, "consult", {"to_unit": "HN.CG.DV", "reply_due": "2027-01-01",
                                            "question": "Số liệu phường?"}, "reply_due")
    assert refused.service_message == (
        "01/01/2027 is a day off (New Year's Day), and a deadline must be a working day; the "
        "next working day: 04/01/2027."
    )
    services.task_act(task=task, kind="consult", actor=task.lead_official,
                      data={"to_unit": "HN.CG.DV", "reply_due": "2027-01-04"})


def test_accept_lets_every_other_deadline_on_a_day_off_through(world, product, settings):
    settings.THUOCDO_DEADLINE_ON_DAY_OFF = "accept"
    task = services.task_assign(
        assigned_by=world.officials["CG.HEAD"], title="Báo cáo tổng kết năm", product=product,
        lead_unit=world.units["HN.CG.VP"], lead_official=world.officials["CG.STAFF"],
        due=NEXT_WORKDAY, code="T1", coordinating=[(world.units["HN.CG.DV"], NEW_YEAR)],
    )
    assert task.coordinations.get().due == NEW_YEAR
    staff = world.officials["CG.STAFF"]
    services.task_act(task=task, kind="accept", actor=staff)
    services.task_act(task=task, kind="consult", actor=staff,
                      data={"to_unit": "HN.SNV", "reply_due": SUNDAY.isoformat()})
    services.task_act(task=task, kind="extension_request", actor=staff,
                      data={"new_due": "2027-01-09", "reason": "chờ số liệu"})  # a Saturday
    assert [(e.kind, e.data.get("reply_due") or e.data.get("new_due"))
            for e in task.events.order_by("seq")][2:] == [
        ("consult", "2027-01-03"), ("extension_request", "2027-01-09")]


def test_the_consult_form_shows_the_refusal_on_the_reply_deadline_in_vietnamese(
        world, client_for, product, settings):
    settings.LANGUAGE_CODE = "vi"
    task = in_progress(world, product)
    url = reverse("tasks:task_act", kwargs={"kind": "consult", "code": task.code})
    response = client_for(world.user("staff")).post(url, {
        "expected_version": task.version, "to_unit": "HN.CG.DV", "reply_due": "2027-01-01",
        "question": "Số liệu phường?"})
    assert response.status_code == 400
    form = next(a for a in response.context["actions"] if a["kind"] == "consult")["form"]
    message = ("01/01/2027 là ngày nghỉ (Tết Dương lịch), mọi thời hạn phải là ngày làm việc; "
               "ngày làm việc kế tiếp: 04/01/2027.")
    assert form.errors["reply_due"] == [message]
    assert message in response.content.decode()
    assert TaskEvent.objects.filter(task=task).count() == 2


def test_the_extension_request_form_shows_the_refusal_on_the_deadline_asked_for(
        world, client_for, product):
    task = in_progress(world, product)
    url = reverse("tasks:task_act", kwargs={"kind": "extension_request", "code": task.code})
    response = client_for(world.user("staff")).post(url, {
        "expected_version": task.version, "new_due": "2027-01-02", "reason": "chờ số liệu"})
    assert response.status_code == 400
    form = next(a for a in response.context["actions"]
                if a["kind"] == "extension_request")["form"]
    assert form.errors["new_due"] == [
        "02/01/2027 is a day off (Saturday), and a deadline must be a working day; the next "
        "working day: 04/01/2027."
    ]
    assert TaskEvent.objects.filter(task=task).count() == 2


COORDINATING_ROWS = {
    "coord-TOTAL_FORMS": "3",
    "coord-0-unit": "HN.SNV", "coord-0-due": "2027-01-04",
    "coord-1-unit": "", "coord-1-due": "",  # left empty: skipped, not counted by the service
    "coord-2-unit": "HN.CG.DV", "coord-2-due": "2027-01-03",  # a Sunday
}


def test_the_assign_page_shows_the_refusal_on_the_coordinating_unit_s_row(
        world, client_for, product, settings):
    """In Vietnamese, on the deadline input of the row it is about (the third row: the
    second one is empty), the other inputs without errors, the values entered kept, nothing
    written; the same rows with a working day assign the task."""
    settings.LANGUAGE_CODE = "vi"
    client = client_for(world.user("head"))
    response = client.post(reverse("tasks:task_assign"),
                           assign_form(due="2027-01-05", **COORDINATING_ROWS))
    assert response.status_code == 400
    assert not Task.objects.exists() and not TaskCoordination.objects.exists()
    message = (f"03/01/2027, hạn của đơn vị phối hợp {DV_NAME}, là ngày nghỉ (Chủ nhật), "
               "mọi thời hạn phải là ngày làm việc; ngày làm việc kế tiếp: 04/01/2027.")
    coordinations = response.context["coordinations"]
    assert [dict(row.errors) for row in coordinations] == [{}, {}, {"due": [message]}]
    assert not coordinations.non_form_errors() and not response.context["form"].errors
    html = response.content.decode()
    # the message sits in the field of the row's date input, which keeps the day entered
    row = re.search(r'<div class="field field--error">((?:(?!<div class="field).)*)</div>',
                    html, re.DOTALL)
    assert row is not None and message in row[1]
    assert 'name="coord-2-due"' in row[1] and 'value="03/01/2027"' in row[1]
    assert html.count('class="field field--error"') == 1
    assert 'name="coord-0-due" value="04/01/2027"' in html
    response = client.post(reverse("tasks:task_assign"), assign_form(
        due="2027-01-05", **{**COORDINATING_ROWS, "coord-2-due": "2027-01-04"}))
    assert response.status_code == 302
    assert sorted(TaskCoordination.objects.values_list("unit__code", "due")) == [
        ("HN.CG.DV", NEXT_WORKDAY), ("HN.SNV", NEXT_WORKDAY)]


def test_the_api_refuses_an_extension_request_for_a_day_off_with_the_field(world, product):
    task = in_progress(world, product)
    url = reverse("api:task-extension-request", kwargs={"code": task.code})
    response = api(world, "staff").post(url, {"new_due": "2027-01-03", "reason": "chờ số liệu"},
                                        format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "deadline_day_off"
    assert response.json()["errors"] == {"new_due": [
        "03/01/2027 is a day off (Sunday), and a deadline must be a working day; the next "
        "working day: 04/01/2027."
    ]}
    assert TaskEvent.objects.filter(task=task).count() == 2


def test_the_api_refuses_a_consultation_and_a_coordinating_unit_on_a_day_off(world, product):
    task = in_progress(world, product)
    url = reverse("api:task-consult", kwargs={"code": task.code})
    response = api(world, "staff").post(url, {"to_unit": "HN.CG.DV", "reply_due": "2027-01-01"},
                                        format="json")
    assert response.status_code == 400, response.content
    assert (response.json()["code"], list(response.json()["errors"])) == (
        "deadline_day_off", ["reply_due"])
    assert TaskEvent.objects.filter(task=task).count() == 2
    body = {"title": "Rà soát", "product": "BC", "lead_unit": "HN.CG.VP",
            "lead_official": "CG.STAFF", "due": "2027-01-05", "code": "T2",
            "coordinating_units": [{"unit": "HN.CG.DV", "due": "2027-01-02"}]}
    response = api(world, "head").post(reverse("api:task-list"), body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "deadline_day_off"
    assert response.json()["errors"] == {"coordinating_units": [{"due": [
        f"02/01/2027, the deadline of coordinating unit {DV_NAME}, is a day off (Saturday), "
        "and a deadline must be a working day; the next working day: 04/01/2027."
    ]}]}
    assert not Task.objects.filter(code="T2").exists()


@pytest.mark.parametrize("language", ["en", "vi"])
def test_the_api_nests_the_refusal_on_the_coordinating_unit_s_row(world, product, language):
    """As DRF nests a row's errors: one entry per row given, `{}` for the rows without
    errors, the message (naming the unit and the day) under the row's `due`; nothing
    written. The same rows with a working day assign the task."""
    rows = [{"unit": "HN.SNV", "due": "2027-01-04"}, {"unit": "HN.CG.DV", "due": "2027-01-01"},
            {"unit": "HN.CG", "due": "2027-01-05"}]
    body = {"title": "Rà soát", "product": "BC", "lead_unit": "HN.CG.VP",
            "lead_official": "CG.STAFF", "due": "2027-01-05", "coordinating_units": rows}
    client = api(world, "head")
    response = client.post(reverse("api:task-list"), body, format="json",
                           HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400, response.content
    message = {
        "en": f"01/01/2027, the deadline of coordinating unit {DV_NAME}, is a day off (New "
              "Year's Day), and a deadline must be a working day; the next working day: "
              "04/01/2027.",
        "vi": f"01/01/2027, hạn của đơn vị phối hợp {DV_NAME}, là ngày nghỉ (Tết Dương lịch), "
              "mọi thời hạn phải là ngày làm việc; ngày làm việc kế tiếp: 04/01/2027.",
    }[language]
    assert response.json() == {"code": "deadline_day_off", "message": message,
                               "errors": {"coordinating_units": [{}, {"due": [message]}, {}]}}
    assert not Task.objects.exists() and not TaskCoordination.objects.exists()
    rows[1]["due"] = "2027-01-04"
    response = client.post(reverse("api:task-list"), body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["coordinating_units"] == [
        {"unit": "HN.SNV", "due": "2027-01-04"}, {"unit": "HN.CG.DV", "due": "2027-01-04"},
        {"unit": "HN.CG", "due": "2027-01-05"}]

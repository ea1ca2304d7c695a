"""Assigning a task: every mistake at once, and only the directives the assigner may answer.

A refused assignment reports every refusal that can be found without writing: the page shows
the form's own errors and the service's (`services.task_assign_check`) together, each on its
input (a coordinating unit's deadline on its row) and all listed at the top, with links to
the inputs; the API lists them all in `errors`, nested per row as DRF nests them. A task
answers only a directive addressed to its assigning unit (issued by it or a unit above it):
the page offers no other (`selectors.directive_list_to_answer`), the service refuses any
other (`workflow.check_directive`).

The clock is Thursday 1/10/2026; Sunday 11/10/2026 is a day off.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from thuocdo.accounts import services as accounts
from thuocdo.core.errors import ServiceError
from thuocdo.core.scope import scope_for
from thuocdo.core.testing import PASSWORD, assert_error
from thuocdo.tasks import selectors, services
from thuocdo.tasks.models import Task

from .test_views import assign_form

pytestmark = pytest.mark.django_db

TZ = timezone.get_fixed_timezone(7 * 60)
D = dt.date
SUNDAY = "2026-10-11"


@pytest.fixture(autouse=True)
def setup(settings, monkeypatch):
    """English msgids; deadlines on a day off refused (the default of base.py); the clock."""
    settings.LANGUAGE_CODE = "en"
    settings.THUOCDO_DEADLINE_ON_DAY_OFF = "refuse"
    now = dt.datetime(2026, 10, 1, 8, 0, tzinfo=TZ)
    monkeypatch.setattr(timezone, "now", lambda: now)


@pytest.fixture
def product(db):
    return services.product_create(code="BC", name="Báo cáo", coefficient=1)


@pytest.fixture
def directives(world):
    """The city's directive, a plan of each district and one of the ward below Cầu Giấy."""
    made = {}
    for code, unit, answers in (("24-CT/TU", "HN", None), ("KH-CG", "HN.CG", "24-CT/TU"),
                                ("KH-BD", "HN.BD", "24-CT/TU"), ("KH-DV", "HN.CG.DV", "KH-CG"),
                                ("KH-SNV", "HN.SNV", "24-CT/TU")):
        made[code] = services.directive_create(
            code=code, title=f"Văn bản {code}", issued_by=world.units[unit],
            issued_on=D(2026, 9, 1), answers=made.get(answers))
    return made


def summary(html: str) -> list[tuple[str, str]]:
    """The error summary's entries: (the input it links to, or "", the text)."""
    found = re.search(r'<div class="form-errors error-summary" role="alert".*?</div>', html,
                      re.S)
    assert found, "no error summary"
    return [(href or "", re.sub(r"<[^>]+>", "", text).strip())
            for href, text in re.findall(r'<li>(?:<a href="#([^"]+)">)?(.*?)</li>',
                                         found.group(0), re.S)]


# -- every mistake at once --------------------------------------------------------------


def test_the_page_shows_the_form_s_and_the_service_s_mistakes_at_once(world, client_for,
                                                                       product):
    """A missing title (the form's), a row's deadline on a Sunday and a unit named twice
    (the service's): all three in one answer, each on its input, listed at the top."""
    client = client_for(world.user("head"))
    response = client.post(reverse("tasks:task_assign"), assign_form(title="", **{
        "coord-TOTAL_FORMS": "2",
        "coord-0-unit": "HN.CG.DV", "coord-0-due": SUNDAY,
        "coord-1-unit": "HN.CG.DV", "coord-1-due": "2026-10-09"}))
    assert response.status_code == 400 and not Task.objects.exists()
    form, rows = response.context["form"], response.context["coordinations"].forms
    assert form.errors == {"title": ["This field is required."]}  # not the service's again
    assert list(rows[0].errors) == ["due"]
    assert rows[0].errors["due"][0].startswith(
        "11/10/2026, the deadline of coordinating unit UBND phường Dịch Vọng, is a day off")
    assert rows[1].errors == {"unit": [
        "Coordinating unit UBND phường Dịch Vọng is named twice: name each coordinating unit "
        "once."]}
    html = response.content.decode()
    assert "There are 3 problems to fix:" in html
    entries = summary(html)
    assert [href for href, _text in entries] == ["id_title", "id_coord-0-due",
                                                 "id_coord-1-unit"]
    assert entries[0][1] == "Title: This field is required."
    assert entries[1][1].startswith("Coordinating units, row 1 — Its deadline: 11/10/2026, "
                                    "the deadline")
    assert entries[2][1].startswith("Coordinating units, row 2 — Coordinating unit: "
                                    "Coordinating unit UBND")
    for href, _text in entries:  # each link leads to an input of the page
        assert f'id="{href}"' in html


def test_a_refused_task_deadline_still_has_the_coordinating_deadlines_checked(
        world, client_for, product):
    """The walk's case: no title, the task's deadline in the past, one coordinating unit
    named twice, its first deadline after the task's and its second in the past. All five
    mistakes are shown: a task deadline refused does not hide the rows' deadlines."""
    client = client_for(world.user("head"))
    response = client.post(reverse("tasks:task_assign"), assign_form(
        title="", due="2026-09-25", **{
            "coord-TOTAL_FORMS": "2",
            "coord-0-unit": "HN.CG.DV", "coord-0-due": "2026-10-09",
            "coord-1-unit": "HN.CG.DV", "coord-1-due": "2026-09-30"}))
    assert response.status_code == 400 and not Task.objects.exists()
    form, rows = response.context["form"], response.context["coordinations"].forms
    assert form.errors == {"title": ["This field is required."],
                           "due": ["The deadline cannot be in the past."]}
    assert rows[0].errors == {"due": [
        "The deadline of coordinating unit UBND phường Dịch Vọng (09/10/2026) cannot be after "
        "the task's deadline (25/09/2026)."]}
    assert rows[1].errors == {
        "unit": ["Coordinating unit UBND phường Dịch Vọng is named twice: name each "
                 "coordinating unit once."],
        "due": ["The deadline of coordinating unit UBND phường Dịch Vọng (30/09/2026) cannot "
                "be in the past."]}
    html = response.content.decode()
    assert "There are 5 problems to fix:" in html
    assert [href for href, _text in summary(html)] == [
        "id_title", "id_due", "id_coord-0-due", "id_coord-1-unit", "id_coord-1-due"]


def test_a_malformed_task_deadline_leaves_only_the_past_to_check(world, client_for, product):
    """A deadline the form cannot read has no date: a row's deadline is still refused in the
    past, and not compared with a deadline nobody knows."""
    client = client_for(world.user("head"))
    response = client.post(reverse("tasks:task_assign"), assign_form(due="31/02/2026", **{
        "coord-TOTAL_FORMS": "2",
        "coord-0-unit": "HN.CG.DV", "coord-0-due": "2026-12-31",
        "coord-1-unit": "HN.SNV", "coord-1-due": "2026-09-30"}))
    assert response.status_code == 400 and not Task.objects.exists()
    rows = response.context["coordinations"].forms
    assert list(response.context["form"].errors) == ["due"]
    assert rows[0].errors == {}
    assert rows[1].errors == {"due": [
        "The deadline of coordinating unit Sở Nội vụ (30/09/2026) cannot be in the past."]}


def test_the_service_checks_coordinating_deadlines_without_a_sound_task_deadline(world,
                                                                                product):
    """No deadline: only the past is refused. A deadline in the past: a row's deadline after
    it is refused too. Named as the lead unit or named twice: each says which."""
    def check(due, coordinating):
        with pytest.raises(ServiceError) as caught:
            services.task_assign_check(
                assigned_by=world.officials["CG.HEAD"], title="Rà soát", product=product,
                lead_unit=world.units["HN.CG.VP"], lead_official=world.officials["CG.STAFF"],
                due=due, coordinating=[(world.units[code], day) for code, day in coordinating])
        return {(p.service_code, p.path, p.service_message) for p in caught.value.problems}

    dv = "UBND phường Dịch Vọng"
    assert check(None, [("HN.CG.DV", D(2026, 9, 30)), ("HN.SNV", D(2026, 12, 31))]) == {
        ("task_due", ("due",), "A task needs a deadline."),
        ("task_coordination_due", ("coordinating_units", 0, "due"),
         f"The deadline of coordinating unit {dv} (30/09/2026) cannot be in the past."),
    }
    assert check(D(2026, 9, 25), [("HN.CG.DV", D(2026, 10, 9))]) == {
        ("task_due_past", ("due",), "The deadline cannot be in the past."),
        ("task_coordination_due", ("coordinating_units", 0, "due"),
         f"The deadline of coordinating unit {dv} (09/10/2026) cannot be after the task's "
         "deadline (25/09/2026)."),
    }
    vp = world.units["HN.CG.VP"].name
    assert check(D(2026, 10, 20), [("HN.CG.VP", D(2026, 10, 9)), ("HN.CG.DV", D(2026, 10, 9)),
                                   ("HN.CG.DV", D(2026, 10, 9))]) == {
        ("task_coordination", ("coordinating_units", 0, "unit"),
         f"Coordinating unit {vp} is the lead unit: a coordinating unit must differ from the "
         "lead unit."),
        ("task_coordination", ("coordinating_units", 2, "unit"),
         f"Coordinating unit {dv} is named twice: name each coordinating unit once."),
    }


def test_with_a_valid_form_every_rule_of_the_service_is_reported(world, client_for, product):
    """The task's deadline on a Sunday, a coordinating unit's after it, a step ending after
    it: three refusals of the service in one answer, none written."""
    client = client_for(world.user("head"))
    response = client.post(reverse("tasks:task_assign"), assign_form(due=SUNDAY, **{
        "coord-TOTAL_FORMS": "1", "coord-0-unit": "HN.CG.DV", "coord-0-due": "2026-10-16",
        "step-TOTAL_FORMS": "1", "step-0-name": "Dự thảo", "step-0-allowance": "9"}))
    assert response.status_code == 400 and not Task.objects.exists()
    assert list(response.context["form"].errors) == ["due"]
    assert list(response.context["coordinations"].forms[0].errors) == ["due"]
    assert list(response.context["steps"].forms[0].errors) == ["allowance"]
    assert [href for href, _text in summary(response.content.decode())] == [
        "id_due", "id_coord-0-due", "id_step-0-allowance"]


def test_a_sound_submission_has_no_summary_and_assigns(world, client_for, product):
    client = client_for(world.user("head"))
    page = client.get(reverse("tasks:task_assign")).content.decode()
    assert "error-summary" not in page
    response = client.post(reverse("tasks:task_assign"), assign_form())
    assert response.status_code == 302 and Task.objects.count() == 1


def test_the_service_raises_every_refusal_together(world, product):
    with pytest.raises(ServiceError) as caught:
        services.task_assign(
            assigned_by=world.officials["CG.HEAD"], title=" ", product=product,
            lead_unit=world.units["HN.CG.VP"], lead_official=world.officials["DV.HEAD"],
            due=D(2026, 10, 20), quantity=0,
            coordinating=[(world.units["HN.CG.DV"], D(2026, 10, 11)),
                          (world.units["HN.CG.DV"], D(2026, 10, 9))])
    found = {(p.service_code, p.path) for p in caught.value.problems}
    assert found == {
        ("task_title", ("title",)), ("task_quantity", ("quantity",)),
        ("task_lead_not_member", ("lead_official",)),
        ("task_coordination", ("coordinating_units", 1, "unit")),
        ("deadline_day_off", ("coordinating_units", 0, "due")),
    }
    assert set(caught.value.message_dict) == {"title", "quantity", "lead_official",
                                              "coordinating_units"}
    assert not Task.objects.exists()


def test_the_api_lists_every_refusal_nested_per_row(world, product):
    client = APIClient()
    client.force_authenticate(world.user("head"))
    body = assert_error(client.post(reverse("api:task-list"), {
        "title": "Rà soát", "product": "BC", "lead_unit": "HN.CG.VP",
        "lead_official": "CG.STAFF", "due": SUNDAY,
        "coordinating_units": [{"unit": "HN.SNV", "due": "2026-10-09"},
                               {"unit": "HN.CG.DV", "due": "2026-10-16"}],
        "steps": [{"name": "Dự thảo", "allowance": 2}, {"name": "Trình", "allowance": 9}],
    }, format="json"), 400, "task_coordination_due")
    errors = body["errors"]
    assert set(errors) == {"due", "coordinating_units", "steps"}
    assert errors["due"][0].startswith("11/10/2026 is a day off (Sunday)")
    assert errors["coordinating_units"][0] == {}
    assert list(errors["coordinating_units"][1]) == ["due"]
    assert errors["coordinating_units"][1]["due"][0].startswith(
        "The deadline of coordinating unit UBND phường Dịch Vọng (16/10/2026) must fall")
    assert errors["steps"][0] == {} and list(errors["steps"][1]) == ["allowance"]
    # the message says them all
    for messages in (errors["due"], errors["coordinating_units"][1]["due"],
                     errors["steps"][1]["allowance"]):
        assert messages[0] in body["message"]
    assert not Task.objects.exists()


def test_one_refusal_answers_as_before(world, product):
    client = APIClient()
    client.force_authenticate(world.user("head"))
    body = assert_error(client.post(reverse("api:task-list"), {
        "title": "Rà soát", "product": "BC", "lead_unit": "HN.CG.VP",
        "lead_official": "CG.STAFF", "due": "2026-10-20",
        "coordinating_units": [{"unit": "HN.CG.DV", "due": SUNDAY}],
    }, format="json"), 400, "deadline_day_off")
    assert body["errors"] == {"coordinating_units": [{"due": [body["message"]]}]}


# -- the directives one may answer ------------------------------------------------------


def test_the_directives_offered_are_those_addressed_to_the_led_units(world, directives):
    def codes(user):
        return {d.code for d in selectors.directive_list_to_answer(scope=scope_for(user))}

    # the district head: the city's directive and the district's plan, not the other
    # district's, the department's, nor the plan of the ward below (the ward answers it)
    assert codes(world.user("head")) == {"24-CT/TU", "KH-CG"}
    ward_head = accounts.user_create(email="dv@example.vn", password=PASSWORD,
                                     official=world.officials["DV.HEAD"])
    assert codes(ward_head) == {"24-CT/TU", "KH-CG", "KH-DV"}
    assert codes(world.user("staff")) == set()  # leads nothing
    assert codes(world.user("admin")) == set(directives)


def test_the_assign_page_offers_only_those_and_refuses_another(world, client_for, product,
                                                              directives):
    client = client_for(world.user("head"))
    form = client.get(reverse("tasks:task_assign")).context["form"]
    assert {d.code for d in form.fields["directive"].queryset} == {"24-CT/TU", "KH-CG"}
    response = client.post(reverse("tasks:task_assign"), assign_form(directive="KH-BD"))
    assert list(response.context["form"].errors) == ["directive"]
    assert not Task.objects.exists()
    response = client.post(reverse("tasks:task_assign"), assign_form(directive="KH-CG"))
    assert response.status_code == 302
    assert Task.objects.get().directive == directives["KH-CG"]


def test_the_service_refuses_a_directive_not_addressed_to_the_assigning_unit(
        world, product, directives):
    def assign(directive, *, by="CG.HEAD", unit="HN.CG.VP", lead="CG.STAFF"):
        return services.task_assign(
            assigned_by=world.officials[by], title="Rà soát", product=product,
            lead_unit=world.units[unit], lead_official=world.officials[lead],
            due=D(2026, 10, 20), directive=directives[directive])

    for code, unit, lead in (("KH-BD", "HN.CG.VP", "CG.STAFF"),
                             ("KH-SNV", "HN.CG.VP", "CG.STAFF"),
                             ("KH-DV", "HN.CG.DV", "DV.HEAD")):
        with pytest.raises(ServiceError) as caught:
            assign(code, unit=unit, lead=lead)
        assert (caught.value.service_code, caught.value.field) == (
            "task_directive_not_addressed", "directive")
    assert caught.value.service_message == (
        "Directive KH-DV was issued by UBND phường Dịch Vọng, which is not UBND quận Cầu "
        "Giấy nor a unit above it: a task answers only the directives addressed to its "
        "assigning unit.")
    assert not Task.objects.exists()
    assert assign("24-CT/TU").directive.code == "24-CT/TU"
    assert assign("KH-CG", unit="HN.CG.DV", lead="DV.HEAD").directive.code == "KH-CG"
    # the ward's head answers the ward's plan
    assert assign("KH-DV", by="DV.HEAD", unit="HN.CG.DV", lead="DV.HEAD").directive.code \
        == "KH-DV"


def test_the_api_refuses_a_directive_not_addressed_to_the_assigning_unit(
        world, product, directives):
    client = APIClient()
    client.force_authenticate(world.user("head"))
    base = {"title": "Rà soát", "product": "BC", "lead_unit": "HN.CG.VP",
            "lead_official": "CG.STAFF", "due": "2026-10-20"}
    body = assert_error(client.post(reverse("api:task-list"), {**base, "directive": "KH-BD"},
                                    format="json"), 400, "task_directive_not_addressed")
    assert body["errors"] == {"directive": [body["message"]]}
    # with another mistake, both are reported
    body = assert_error(client.post(reverse("api:task-list"), {
        **base, "directive": "KH-BD", "due": SUNDAY}, format="json"),
        400, "task_directive_not_addressed")
    assert set(body["errors"]) == {"directive", "due"}
    assert not Task.objects.exists()
    response = client.post(reverse("api:task-list"), {**base, "directive": "24-CT/TU"},
                           format="json")
    assert response.status_code == 201, response.content

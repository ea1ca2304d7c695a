"""The tasks behind d: a head's or deputy's month card links d (the result of the unit they
lead) to the tasks it counts, listed as the card lists its own, with the sums and ratios the
card's formula shows; what changed since the card was computed is said."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from thuocdo.evaluations import selectors
from thuocdo.evaluations.models import ScoreCard
from thuocdo.tasks.models import Task

from .helpers import load_golden
from .test_card_acceptance import _case, _score, admin, admin_client  # noqa: F401
from .test_services import LABEL

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _url(official: str) -> str:
    return reverse("evaluations:card_unit_tasks", kwargs={"label": LABEL, "official": official})


@pytest.fixture
def leader_cards(db):
    """Golden case 5 scored: CB000 leads HN.CG.VP, whose six tasks give d = 0,8056."""
    load_golden(_case("05_leader_with_unit_result"))
    return _score(LABEL)


def test_the_tasks_behind_d_give_the_card_s_d_and_its_formula_s_numbers(leader_cards):
    """CB001 heads HN.CG.VP (its six tasks); CB000 heads the district above, without a task
    of his own: his d pools the same tasks, led below him."""
    card = ScoreCard.objects.get(period=leader_cards, official__code="CB001")
    found = selectors.unit_result_tasks(card=card)
    assert found.result == found.stored == Decimal("0.8056") and found.same
    assert [line.task for line in found.lines] == ["T1", "T2", "T3", "T4", "T5", "T6"]
    # the formula's d line: "d = kết quả của HN.CG.VP = (a + b + c) / 3 = 0,8056"
    shown = re.search(r"d = kết quả của HN\.CG\.VP = \(([\d,]+) \+ ([\d,]+) \+ ([\d,]+)\)"
                      r" / 3 = ([\d,]+)", card.data["formula"])
    assert shown, card.data["formula"]
    assert [Decimal(v.replace(",", ".")) for v in shown.groups()] == [*found.ratios,
                                                                      found.result]
    top = selectors.unit_result_tasks(card=ScoreCard.objects.get(
        period=leader_cards, official__code="CB000"))
    assert top.unit.code == "HN.CG" and top.same and top.result == Decimal("0.8056")
    assert top.lines == found.lines and set(top.leads.values()) == {"HN.CG.VP"}


def test_the_page_lists_them_and_the_card_links_to_it(admin_client, leader_cards):  # noqa: F811
    """The card links d's line, and d's deduction, to the tasks behind d."""
    card_page = admin_client.get(reverse("evaluations:card_detail",
                                         kwargs={"label": LABEL, "official": "CB000"}))
    assert f'href="{_url("CB000")}"' in card_page.content.decode()
    deputy = admin_client.get(reverse("evaluations:card_detail",
                                      kwargs={"label": LABEL, "official": "CB004"}))
    [d_line] = [x for x in deputy.context["deductions"] if x["kind"] == "unit_result"]
    assert d_line["unit_url"] == _url("CB004")
    assert f'<a href="{_url("CB004")}" title="HN.CG.VP">' in deputy.content.decode()
    response = admin_client.get(_url("CB000"))
    html = response.content.decode()
    assert response.status_code == 200
    for code in ("T1", "T2", "T3", "T4", "T5", "T6"):
        assert f'href="{reverse("tasks:task_detail", kwargs={"code": code})}"' in html
    assert "6 tasks counted" in html and "= 0.8056" in html
    assert "the card holds d" not in html, "the tasks give the card's d"


def test_a_change_since_the_card_was_computed_is_said(admin_client, leader_cards):  # noqa: F811
    """A task's quantity corrected after the scoring: the tasks now give another d, the
    card keeps its own until the period is scored again, and the page says both."""
    Task.objects.filter(code="T6").update(quantity=3)
    html = admin_client.get(_url("CB000")).content.decode()
    card = ScoreCard.objects.get(period=leader_cards, official__code="CB000")
    found = selectors.unit_result_tasks(card=card)
    assert not found.same and found.result != Decimal("0.8056")
    assert (f"The tasks and the calendar as they are now give d = {found.result}; the card "
            "holds d = 0.8056"
            in html)


def test_a_card_without_d_has_no_such_page(admin_client, leader_cards):  # noqa: F811
    staff = ScoreCard.objects.get(period=leader_cards, official__code="CB002")
    assert selectors.unit_result_tasks(card=staff) is None
    assert admin_client.get(_url("CB002")).status_code == 404
    assert _url("CB002") not in admin_client.get(reverse(
        "evaluations:card_detail", kwargs={"label": LABEL, "official": "CB002"})).content.decode()


def test_a_quarter_s_d_deduction_opens_its_month_s_tasks(admin_client, leader_cards):  # noqa: F811
    """A quarter has no d of its own: the d deduction it takes from a month opens that
    month's tasks behind d; the quarter itself has no such page."""
    _score("2026-Q4")
    response = admin_client.get(reverse("evaluations:card_detail",
                                        kwargs={"label": "2026-Q4", "official": "CB004"}))
    lines = [x for x in response.context["deductions"] if x["kind"] == "unit_result"]
    assert lines and {x["unit_url"] for x in lines} == {_url("CB004")}
    assert admin_client.get(reverse("evaluations:card_unit_tasks", kwargs={
        "label": "2026-Q4", "official": "CB004"})).status_code == 404


def test_a_quarter_s_d_deduction_has_no_link_without_its_month_s_card(admin_client, db):  # noqa: F811
    """Scoring a quarter does not store its months' cards: the d deduction it takes from a
    month names the unit without a link (the month's page would not exist)."""
    load_golden(_case("05_leader_with_unit_result"))
    _score("2026-Q4")
    response = admin_client.get(reverse("evaluations:card_detail",
                                        kwargs={"label": "2026-Q4", "official": "CB004"}))
    lines = [x for x in response.context["deductions"] if x["kind"] == "unit_result"]
    assert lines and {x["unit_url"] for x in lines} == {None}
    assert "unit-tasks" not in response.content.decode()


def test_more_tasks_than_a_page_computes_show_the_parts(admin_client, leader_cards,  # noqa: F811
                                                         monkeypatch):
    """Beyond the page's limit (a district's or a city's month) nothing is computed: the
    page counts the tasks of the unit itself and of each unit right below it, each part
    opening its tasks in the work list, and names the card's d."""
    from thuocdo.evaluations import views

    monkeypatch.setattr(views, "UNIT_RESULT_TASKS_MAX", 5)
    response = admin_client.get(_url("CB000"))  # HN.CG: its six tasks are led by HN.CG.VP
    html = response.content.decode()
    assert response.status_code == 200 and "rows" not in response.context
    assert [(p["unit"].code, p["count"], p["own"]) for p in response.context["parts"]] == [
        ("HN.CG", 0, True), ("HN.CG.VP", 6, False)]
    assert "d pools 6 tasks of the period" in html and "The card holds d = 0.8056" in html
    work_list = reverse("tasks:task_list")
    assert f'href="{work_list}?unit=HN.CG.VP&amp;subunits=1&amp;period={LABEL}"' in html
    assert f'href="{work_list}?unit=HN.CG&amp;subunits=0&amp;period={LABEL}"' in html


def test_the_page_reads_the_codes_of_its_tasks_only(leader_cards):
    """Not the whole city's officials: those who lead or assigned the tasks or recorded
    their events, and the units that lead and assigned them."""
    from thuocdo.evaluations.adapters import codes_of
    from thuocdo.tasks.models import TaskEvent

    t4 = Task.objects.filter(code="T4")
    units, officials = codes_of(t4)
    task = t4.get()
    actors = set(TaskEvent.objects.filter(task=task).exclude(actor=None)
                 .values_list("actor__code", flat=True))
    assert set(officials.values()) == {"CB003", "CB001"} | actors
    assert "CB004" not in officials.values(), "leads T6 only"
    assert set(units.values()) == {task.lead_unit.code, task.assigner_unit.code}


@pytest.fixture
def complaint_cards(db):
    """Golden case 11 scored: complaints verified about T1 and T4 in October (major
    errors), one unfounded (T2), one verified after the close (T3); CB001 heads HN.CG."""
    load_golden(_case("11_verified_complaint"))
    return _score(LABEL)


def test_the_complaints_behind_d_are_those_scoring_found(complaint_cards):
    """The page reads the complaints about its own tasks only, and finds on them the
    errors scoring found city-wide: the same d."""
    from thuocdo.evaluations.adapters import found_errors_for

    card = ScoreCard.objects.get(period=complaint_cards, official__code="CB001")
    found = selectors.unit_result_tasks(card=card)
    assert found.same and found.result == found.stored
    everywhere = found_errors_for(complaint_cards.start, complaint_cards.end)
    assert set(everywhere) == {"T1", "T4"}
    some = found_errors_for(complaint_cards.start, complaint_cards.end,
                            Task.objects.filter(code__in=["T2", "T4"]))
    assert some == {"T4": everywhere["T4"]}
    assert found_errors_for(complaint_cards.start, complaint_cards.end,
                            Task.objects.none()) == {}

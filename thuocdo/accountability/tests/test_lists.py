"""The signal list and the delays behind the dashboard: filters in the active language,
codes in any case, nothing listed for a filter that is not valid, sorting, and their xlsx
exports (the same filters, scope and order as the page, one query for all rows)."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext
from openpyxl import load_workbook

from thuocdo.accountability.choices import SIGNAL_NAMES, SignalStatus
from thuocdo.accountability.forms import SignalFilterForm
from thuocdo.accountability.models import SignalRecord
from thuocdo.core.scope import scope_for
from thuocdo.core.templatetags.periods import period_name
from thuocdo.measure.history import local_day
from thuocdo.tasks.tests.api_routes import make_task

from .helpers import month_of
from .test_pages import _delays, _sheet

LIST = "accountability:signal_list"
EXPORT = "accountability:signal_export"


def _signal(world, name, *, code, days_ago, unit, official=None, status="open", task=None):
    now = timezone.now()
    raised = local_day(now) - dt.timedelta(days=days_ago)
    return SignalRecord.objects.create(
        key=f"{code}|{name}", code=code, period=month_of(raised), raised_on=raised,
        subject_kind="task" if task else "person", subject=task.code if task else "",
        task=task, unit=world.units[unit], status=status,
        official=world.officials[official] if official else None,
        explanation=f"Thấy: {name}", first_seen=now, last_seen=now)


def _four(world) -> dict[str, SignalRecord]:
    """Four signals in HN.CG's subtree, each different in date, code, official, unit and
    status (S10 is after S8 and S9, not after S1)."""
    return {
        "a": _signal(world, "a", code="S2", days_ago=3, unit="HN.CG.VP", official="CG.STAFF",
                     task=make_task(world, code="T-A")),
        "b": _signal(world, "b", code="S10", days_ago=2, unit="HN.CG.VP",
                     official="CG.STAFF2", status=SignalStatus.REQUESTED,
                     task=make_task(world, code="T-B", lead="CG.STAFF2")),
        "c": _signal(world, "c", code="S9", days_ago=1, unit="HN.CG.DV", official="DV.HEAD",
                     status=SignalStatus.CONFIRMED,
                     task=make_task(world, code="T-C", unit="HN.CG.DV", lead="DV.HEAD")),
        "d": _signal(world, "d", code="S8", days_ago=1, unit="HN.CG",
                     status=SignalStatus.EXPLAINED),
    }


def _listed(client, **query) -> list[SignalRecord]:
    response = client.get(reverse(LIST), query)
    assert response.status_code == 200
    return list(response.context["page"].object_list)


@pytest.mark.django_db
def test_the_signal_choices_follow_the_active_language(world):
    """The signal filter names each signal in the language of the page, not in the one
    active when the form's module was imported."""
    scope = scope_for(world.user("head"))
    for language in ("en", "vi"):
        with translation.override(language):
            choices = {k: str(v) for k, v in SignalFilterForm(scope=scope)
                       .fields["code"].choices}
            assert choices["S1"] == f"S1 · {gettext('Work late')}"
            assert choices["S15"] == f"S15 · {gettext('Initiative proposed for protection')}"
            if language == "en":
                assert choices["S1"] == "S1 · Work late"


@pytest.mark.django_db
def test_the_official_filter_takes_codes_in_any_case(world, client_for):
    signals = _four(world)
    client = client_for(world.user("head"))
    for typed in ("CG.STAFF", "cg.staff", " Cg.Staff "):
        response = client.get(reverse(LIST), {"official": typed})
        assert not response.context["form"].errors, typed
        assert list(response.context["page"].object_list) == [signals["a"]], typed


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{"official": "nobody"}, {"period": "13/2026"},
                                   {"unit": "HN.NOPE"}, {"code": "S99"}])
def test_a_filter_that_is_not_valid_lists_nothing(world, client_for, query):
    """The error is shown next to the filter and nothing is listed, not every signal as if
    the filter were unset. Nor exported: the export answers with the list of the same query
    and a message naming the filter (core/filters.py), not with a sheet of headers only.
    A unit that does not exist is refused as one outside the scope is, in the same words
    (the list's unit filter offers the units the caller sees: no way to probe the rest)."""
    _four(world)
    client = client_for(world.user("head"))
    assert len(_listed(client)) == 4
    response = client.get(reverse(LIST), query)
    assert response.status_code == 200 and response.context["form"].errors
    assert response.context["page"].paginator.count == 0
    assert gettext("These filters cannot be applied, so nothing is listed:") in (
        response.content.decode())
    exported = client.get(reverse(EXPORT), query)
    assert exported.status_code == 302
    assert exported["Location"] == f"{reverse(LIST)}?{urlencode(query)}"
    page = client.get(exported["Location"])
    said = " ".join(str(m) for m in page.context["messages"])
    assert said.startswith(gettext("Nothing was exported: correct these filters first. "
                                   "%(problems)s") % {"problems": ""}), said
    (field,) = page.context["form"].errors
    assert f"{page.context['form'].fields[field].label}: " in said, said


@pytest.mark.django_db
@pytest.mark.parametrize(("sort", "order"), [
    (None, "dcba"), ("-raised", "dcba"), ("raised", "abdc"), ("code", "adcb"),
    ("-code", "bcda"), ("official", "cabd"), ("-official", "bacd"), ("unit", "cdba"),
    ("-unit", "badc"), ("status", "abdc"), ("-status", "cdba"),
])
def test_the_list_and_its_export_sort(world, client_for, sort, order):
    """By the day raised, the signal's number, the official (nobody named last), the unit or
    the status in the order of the answer; ties newest first. The export has the page's
    order."""
    signals = _four(world)
    client = client_for(world.user("head"))
    query = {"sort": sort} if sort else {}
    expected = [signals[key] for key in order]
    assert _listed(client, **query) == expected
    book = load_workbook(io.BytesIO(client.get(reverse(EXPORT), query).content))
    assert [row[12].rsplit("/", 2)[-2] for row in _sheet(book, 0)] == [
        str(s.pk) for s in expected]


@pytest.mark.django_db
def test_the_page_offers_its_export_and_sortable_columns(world, client_for):
    _four(world)
    client = client_for(world.user("head"))
    html = client.get(reverse(LIST), {"code": "S2", "page": "1"}).content.decode()
    assert f'href="{reverse(EXPORT)}?code=S2"' in html
    assert "?code=S2&amp;sort=code" in html and "?code=S2&amp;sort=status" in html


@pytest.mark.django_db
def test_the_export_has_each_signal_filtered_and_scoped_as_the_list(world, client_for):
    """One row per signal: code, name, task code and title, official, unit, month in words,
    the day raised as a date shown dd/mm/yyyy, status, what was seen, the signal's link.
    Staff export only the signals naming them, as they list them."""
    signals = _four(world)
    a = signals["a"]
    client = client_for(world.user("head"))
    response = client.get(reverse(EXPORT), {"unit": "HN.CG.VP", "sort": "code"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(min_row=2))
    assert [r[0].value for r in rows] == ["S2", "S10"]
    values = [c.value for c in rows[0]]
    with translation.override("vi"):
        assert values[:11] == [
            "S2", str(SIGNAL_NAMES["S2"]), "T-A", a.task.title, "CG.STAFF", "Lê Văn Cường",
            "Văn phòng HĐND và UBND quận", period_name(a.period), values[8],
            str(SignalStatus.OPEN.label), gettext("Yes")]
    assert values[11] == "Thấy: a"
    assert values[12] == f"http://testserver{a.get_absolute_url()}"
    raised = rows[0][8]
    assert raised.is_date and raised.value.date() == a.raised_on
    assert raised.number_format == "DD/MM/YYYY"
    staff = client_for(world.user("staff"))
    mine = load_workbook(io.BytesIO(staff.get(reverse(EXPORT)).content))
    assert [r[0] for r in _sheet(mine, 0)] == ["S2"]


@pytest.mark.django_db
def test_the_export_reads_all_signals_at_once(world, client_for):
    """The number of queries does not grow with the number of signals."""
    _four(world)
    client = client_for(world.user("head"))
    client.get(reverse(EXPORT))  # the session, once
    with CaptureQueriesContext(connection) as few:
        client.get(reverse(EXPORT))
    for n in range(6):
        _signal(world, f"more{n}", code="S1", days_ago=n, unit="HN.CG.DV",
                official="DV.HEAD", task=make_task(world, code=f"T-M{n}", unit="HN.CG.DV",
                                                   lead="DV.HEAD"))
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse(EXPORT))
    assert len(_sheet(load_workbook(io.BytesIO(response.content)), 0)) == 10
    assert len(many) == len(few)


@pytest.mark.django_db
def test_the_delays_export_has_each_row_of_the_page(world, client_for):
    """One row per task and holder, with the page's filters and order; the outsider of the
    unit gets nothing."""
    period = _delays(world)
    client = client_for(world.user("head"))
    query = {"unit": "HN.CG", "period": period}
    page = client.get(reverse("accountability:delay_list"), query).content.decode()
    assert f"{reverse('accountability:delay_export')}?unit=HN.CG&amp;period={period}" in page
    response = client.get(reverse("accountability:delay_export"), query)
    assert response.status_code == 200
    assert f"delays-HN.CG-{period}.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(min_row=2))
    assert [(r[0].value, r[4].value, r[9].value) for r in rows] == [
        ("T-DELAY", "CG.STAFF", 5), ("T-DELAY2", "CG.STAFF2", 3), ("T-DELAY2", None, 1)]
    with translation.override("vi"):
        assert rows[0][5].value == "Lê Văn Cường"
        assert rows[2][5].value == gettext("(nobody named)")
        # who held the work while it was late, not who holds it now
        assert [c.value for c in sheet[1]][5:8] == [
            pgettext("delay", "Held by"), gettext("Unit code"), gettext("Unit")]
        assert rows[0][8].value == period_name(period)
    assert rows[0][2].is_date and rows[0][2].number_format == "DD/MM/YYYY"
    assert rows[0][10].value.endswith(reverse("tasks:task_detail", kwargs={"code": "T-DELAY"}))
    one = client.get(reverse("accountability:delay_export"),
                     {**query, "holder_unit": "HN.CG.VP", "official": "CG.STAFF2"})
    assert [r[0] for r in _sheet(load_workbook(io.BytesIO(one.content)), 0)] == ["T-DELAY2"]
    assert client_for(world.user("staff")).get(reverse("accountability:delay_export"),
                                               query).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("changes", [
    {"unit": "HN.BD"}, {"unit": "HN.NOPE"}, {"unit": ""}, {"holder_unit": "HN.BD.VP"},
    {"holder_unit": "HN.NOPE"}, {"official": "BD.STAFF"}, {"official": "NOBODY"},
    {"official": "x" * 65, "period": "13/2026"},
])
def test_the_delays_export_answers_as_its_page_for_what_the_caller_cannot_see(
        world, client_for, changes):
    """A unit or official the caller cannot see (outside the scope, or that does not exist)
    answers 404, as the drill-down does, whatever else is wrong: the export is no way to
    probe them."""
    period = _delays(world)
    client = client_for(world.user("head"))
    query = {"unit": "HN.CG", "period": period, **changes}
    assert client.get(reverse("accountability:delay_list"), query).status_code == 404
    assert client.get(reverse("accountability:delay_export"), query).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("month", ["13/2026", "2026-13", "9999-12", ""])
def test_the_delays_export_of_a_month_that_is_not_valid_exports_nothing(world, client_for,
                                                                        month):
    """The drill-down has no field to show the error on: it and its export go back to the
    dashboard of the unit, with that month (whose field says what is wrong); the export
    with a message naming the month."""
    _delays(world)
    client = client_for(world.user("head"))
    query = {"unit": "HN.CG", "period": month, "holder_unit": "HN.CG.VP"}
    expected = {"unit": "HN.CG", "period": month} if month else {"unit": "HN.CG"}
    back = f"{reverse('accountability:dashboard')}?{urlencode(expected)}"
    for name in ("accountability:delay_list", "accountability:delay_export"):
        response = client.get(reverse(name), query)
        assert response.status_code == 302 and response["Location"] == back, name
    page = client.get(response["Location"])
    assert page.status_code == 200
    said = " ".join(str(m) for m in page.context["messages"])
    assert said.startswith(gettext("Nothing was exported: correct these filters first. "
                                   "%(problems)s") % {"problems": gettext("Month")}), said
    assert ("period" in page.context["form"].errors) is bool(month)
    if month:  # in the same words as the dashboard's own month field
        wrong = (gettext("Give a month of a year from %(first)s to %(last)s.")
                 % {"first": 1900, "last": 2999} if month == "9999-12"
                 else gettext("Write the month as MM/YYYY or YYYY-MM, e.g. 10/2026."))
        assert wrong in said, said
    if month:  # the counted tasks too, the same month in either way of writing it
        counted = client.get(reverse("accountability:counted_tasks"),
                             {"unit": "HN.CG", "period": month})
        assert counted.status_code == 302 and counted["Location"] == back
    assert client.get(reverse("accountability:counted_tasks"),
                      {"unit": "HN.CG", "period": "10/2026"}).status_code == 200

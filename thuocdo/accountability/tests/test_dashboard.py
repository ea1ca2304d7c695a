"""The dashboard: every number equals the list it links to; the cascade; the export."""

from __future__ import annotations

import datetime as dt
import io
import re
from html import unescape
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from thuocdo.core.templatetags.periods import period_name
from thuocdo.tasks.tests.api_routes import act, make_task

from .helpers import month_of


def _work(world):
    """A mix of buckets in HN.CG's subtree, all due this month or overdue."""
    late = make_task(world, code="T-OVERDUE", days_ago=20, due_in=-10)
    make_task(world, code="T-OPEN", due_in=1)
    done = make_task(world, code="T-DONE", unit="HN.CG.DV", lead="DV.HEAD", due_in=1)
    act(world, done, "accept", "DV.HEAD")
    act(world, done, "submit", "DV.HEAD")
    from thuocdo.tasks import services

    services.task_act(task=done, kind="approve", actor=world.officials["CG.HEAD"])
    return late


@pytest.mark.django_db
def test_every_dashboard_number_equals_its_list(world, client_for):
    """Each bucket number and each "all" total opens a list of exactly the tasks it counts:
    a cancelled task of the month is in no bucket, so in no total and in no list behind
    one."""
    late = _work(world)
    cancelled = make_task(world, code="T-CANCELLED", days_ago=20, due_in=-10)
    act(world, cancelled, "cancel", "CG.HEAD", reason="Không còn cần thiết")
    period = month_of(late.due)
    client = client_for(world.user("head"))
    response = client.get(reverse("accountability:dashboard"),
                          {"unit": "HN.CG", "period": period})
    assert response.status_code == 200
    board = response.context["board"]
    checked = totals = 0
    for row in [board.totals, *board.subunits, *board.people]:
        for bucket, count in row.counts.items():
            listed = client.get(row.links[bucket])
            assert listed.status_code == 200
            assert listed.context["page"].paginator.count == count, (row.code, bucket)
            checked += 1
        listed = client.get(row.link)
        assert listed.status_code == 200
        page = listed.context["page"]
        assert page.paginator.count == row.total, (row.code, "all")
        assert cancelled.code not in {t.code for t in page.object_list}
        totals += 1
    assert checked >= 12 and totals >= 4
    assert board.totals.total == sum(r.total for r in board.subunits)
    assert late in board.oldest
    # the trend's months read mm/yyyy, as dates do
    year, month = period.split("-")
    assert f">{month}/{year}</text>" in str(response.context["trend_chart"])


@pytest.mark.django_db
def test_signal_and_delay_numbers_equal_their_lists(world, client_for):
    from .helpers import refresh_for

    late = _work(world)
    refresh_for(late)
    period = month_of(late.due)
    client = client_for(world.user("head"))
    board = client.get(reverse("accountability:dashboard"),
                       {"unit": "HN.CG", "period": period}).context["board"]
    assert board.signals
    for row in board.signals:
        listed = client.get(reverse("accountability:signal_list"),
                            {"unit": "HN.CG", "period": period, "code": row["code"]})
        assert listed.context["page"].paginator.count == row["total"]
    for row in board.delays:
        listed = client.get(reverse("accountability:delay_list"), {
            "unit": "HN.CG", "period": period, "holder_unit": row["unit__code"],
            "official": row["official__code"] or ""})
        assert listed.context["total"] == row["days"]


def _stored_signal(world, *, code, task, unit, official=None, escalate_to=None, text=""):
    """A stored signal as the nightly computation leaves it (open, still raised)."""
    from thuocdo.accountability.models import SignalRecord

    now = timezone.now()
    return SignalRecord.objects.create(
        key=f"{code}|{task.code}", code=code, period=month_of(task.due),
        raised_on=task.due, subject_kind="task", subject=task.code, task=task,
        official=world.officials[official] if official else None, unit=world.units[unit],
        escalate_to=world.units[escalate_to] if escalate_to else None,
        explanation=text, first_seen=now, last_seen=now)


@pytest.mark.django_db
def test_the_page_shows_a_chart_and_the_export_has_the_tables(world, client_for):
    """The export holds every table and list of the page: the escalations (S9) and the work
    that bounced (S3) too; the oldest overdue work's deadlines are dates."""
    from django.utils.translation import gettext

    late = _work(world)
    _stored_signal(world, code="S9", task=late, unit="HN.CG.VP", official="CG.STAFF",
                   escalate_to="HN.CG", text="Còn quá hạn sau 3 lần nhắc")
    _stored_signal(world, code="S3", task=late, unit="HN.CG.VP", official="CG.STAFF",
                   text="=Chuyển qua lại 3 lần")
    client = client_for(world.user("head"))
    query = {"unit": "HN.CG", "period": month_of(late.due)}
    page = client.get(reverse("accountability:dashboard"), query).content.decode()
    assert page.count("<svg") == 2 and "role=\"img\"" in page
    assert re.search(r"T-OVERDUE", unescape(page))
    assert "Còn quá hạn sau 3 lần nhắc" in page
    assert "Lê Văn Cường (Văn phòng HĐND và UBND quận)" in unescape(page)  # sent it back
    response = client.get(reverse("accountability:dashboard_export"), query)
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 11
    about = {r[0]: r[1] for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert {"HN.CG", "UBND quận Cầu Giấy", period_name(month_of(late.due))} <= set(about.values())
    assert timezone.localdate() in {v.date() for v in about.values() if hasattr(v, "date")}
    first = list(book.worksheets[1].iter_rows(values_only=True))
    assert first[1][0] == "HN.CG"
    oldest = book.worksheets[6]
    assert [c.value for c in oldest[2][:2]] == ["T-OVERDUE", late.title]
    deadline = oldest[2][2]
    assert deadline.is_date and deadline.value.date() == late.due_in_force
    assert deadline.number_format == "DD/MM/YYYY"
    # who holds it, and in which unit, as the page says
    assert [c.value for c in oldest[2][3:5]] == ["Lê Văn Cường", "Văn phòng HĐND và UBND quận"]
    escalated, bounced = (list(ws.iter_rows(min_row=2)) for ws in book.worksheets[7:9])
    assert [(r[0].value, r[1].value) for r in escalated] == [("S9", "T-OVERDUE")]
    assert [(r[0].value, r[2].value) for r in bounced] == [("T-OVERDUE", 1)]
    values = [c.value for c in escalated[0]]
    said = next(c for c in escalated[0] if c.value == "Còn quá hạn sau 3 lần nhắc")
    assert said.data_type == "s"
    assert "Lê Văn Cường" in values and "Văn phòng HĐND và UBND quận" in values
    raised = next(c for c in escalated[0] if c.is_date)
    assert raised.value.date() == late.due and raised.number_format == "DD/MM/YYYY"
    # a signal stored without its events says who sent the work back, not to whom
    assert bounced[0][3].value == gettext("%(by)s sent it back") % {
        "by": "Lê Văn Cường (Văn phòng HĐND và UBND quận)"}


def _citizens_month(world):
    """October 2026 in HN.CG.VP: D1 returned on time and rated satisfied, D2 received
    online and still open past its deadline."""
    from thuocdo.citizens import services
    from thuocdo.citizens.tests import factories

    vn = dt.timezone(dt.timedelta(hours=7))
    staff, head = world.users["staff"], world.users["head"]
    d1 = factories.dossier(world, "D1", received_at=dt.datetime(2026, 10, 1, 9, tzinfo=vn))
    factories.dossier(world, "D2", received_at=dt.datetime(2026, 10, 1, 9, tzinfo=vn),
                      channel="online")
    day = dt.datetime(2026, 10, 9, 8, tzinfo=vn)
    services.dossier_move(user=staff, dossier=d1, at=day)
    services.dossier_move(user=staff, dossier=d1, to_official=world.officials["CG.HEAD"],
                          at=day + dt.timedelta(hours=1))
    services.dossier_return_result(user=head, dossier=d1, at=day + dt.timedelta(hours=2))
    services.dossier_rate(user=head, dossier=d1, rating="satisfied",
                          at=day + dt.timedelta(hours=3))


@pytest.mark.django_db
def test_the_export_has_the_service_index_the_page_shows(world, client_for):
    """The service index sheet holds the page's numbers: each group's points (or "no data")
    and maximum, the total, each rate in percent; and the overdue explanations sheet lists
    the signals behind the dashboard's number, with their due day."""
    from thuocdo.accountability import services

    from .helpers import let_due_day_pass, refresh_for

    _citizens_month(world)
    signal = refresh_for(_work(world))
    services.signal_request_explanation(signal=signal, user=world.user("head"), text="?")
    let_due_day_pass(signal)
    client = client_for(world.user("head"))
    query = {"unit": "HN.CG", "period": "2026-10"}
    page = client.get(reverse("accountability:dashboard"), query)
    index = page.context["service_index"]
    assert index.index.total is not None  # numbers to compare, not only "no data"
    book = load_workbook(io.BytesIO(
        client.get(reverse("accountability:dashboard_export"), query).content))
    sheet = book.worksheets[10]
    rows = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
    def shown(value):
        """A number as the sheet holds it; "no data" (text) where the page says so."""
        return str if value is None else float(value)

    def held(cell):
        return str if isinstance(cell, str) and cell else cell

    groups = index.groups
    assert [[held(r[1]), r[2]] for r in rows[:len(groups)]] == [
        [shown(g.points), g.maximum] for g in groups]
    assert str in [shown(g.points) for g in groups] and rows[0][0]  # "no data", labelled
    total = rows[len(groups)]
    assert total[1:3] == [float(index.index.total), index.index.total_maximum]
    rates = [held(r[1]) for r in rows[len(groups) + 3:] if r[0] is not None]
    assert rates == [shown(v) for _k, v in index.rate_rows()]
    assert 50.0 in rates  # the online rate: D2 of D1 and D2
    overdue = [list(r) for r in book.worksheets[9].iter_rows(min_row=2, values_only=True)]
    assert page.context["board"].explanations_overdue == len(overdue) == 1
    assert (overdue[0][0], overdue[0][1]) == ("S1", "T-OVERDUE")
    assert overdue[0][-1].date() == signal.explanation_due


@pytest.mark.django_db
def test_the_cascade_lists_who_answered_and_who_did_not(world, client_for):
    from thuocdo.tasks import services

    directive = services.directive_create(code="24-CT/TU", title="Chỉ thị 24",
                                          issued_by=world.units["HN"],
                                          issued_on=timezone.localdate() - dt.timedelta(days=14))
    services.directive_create(code="KH-CG", title="Kế hoạch của quận",
                              issued_by=world.units["HN.CG"],
                              issued_on=timezone.localdate() - dt.timedelta(days=7),
                              answers=directive)
    response = client_for(world.user("admin")).get(
        reverse("accountability:directive_cascade", kwargs={"code": directive.code}))
    rows = {r.unit.code: r for r in response.context["rows"]}
    assert rows["HN.CG"].answered_on is not None and rows["HN.CG"].workdays >= 4
    assert rows["HN.BD"].answered_on is None and rows["HN.SNV"].answered_on is None
    assert {r.unit.code for r in response.context["silent"]} == {"HN.SNV", "HN.BD"}


@pytest.mark.django_db
def test_a_cancelled_task_is_no_answer_to_a_directive(world, client_for):
    """Ba Đình's only task under the directive was assigned by mistake and cancelled: Ba
    Đình has not answered, and the count's list agrees."""
    from thuocdo.tasks import services

    directive = services.directive_create(code="24-CT/TU", title="Chỉ thị 24",
                                          issued_by=world.units["HN"],
                                          issued_on=timezone.localdate() - dt.timedelta(days=14))
    kept = make_task(world, code="T-CG", directive=directive)
    withdrawn = make_task(world, code="T-CG2", directive=directive)
    act(world, withdrawn, "cancel", "CG.HEAD", reason="giao nhầm")
    client = client_for(world.user("admin"))
    rows = {r.unit.code: r for r in client.get(reverse(
        "accountability:directive_cascade", kwargs={"code": directive.code})).context["rows"]}
    assert (rows["HN.CG"].tasks, rows["HN.CG"].readable) == (1, 1)
    listed = client.get(reverse("accountability:cascade_tasks"),
                        {"directive": directive.code, "unit": "HN.CG"}).context["page"]
    assert [t.code for t in listed] == [kept.code]
    assert listed[0].bucket_label  # the list's second line: where the work stands


@pytest.mark.django_db
def test_the_s9_sheet_names_the_signals_and_the_tasks_status_apart(world, client_for):
    """The escalations' sheet has the signal's status and the task's: two headers, each
    saying whose (both read "Trạng thái" before)."""
    from django.utils.translation import gettext

    late = _work(world)
    _stored_signal(world, code="S9", task=late, unit="HN.CG.VP", official="CG.STAFF",
                   escalate_to="HN.CG", text="Còn quá hạn")
    client = client_for(world.user("head"))
    response = client.get(reverse("accountability:dashboard_export"),
                          {"unit": "HN.CG", "period": month_of(late.due)})
    book = load_workbook(io.BytesIO(response.content))
    for sheet in book.worksheets:
        headers = [c.value for c in next(sheet.iter_rows(max_row=1))]
        assert len(set(headers)) == len(headers), (sheet.title, headers)
    escalated = [c.value for c in next(book.worksheets[7].iter_rows(max_row=1))]
    assert {gettext("Signal status"), gettext("Task status")} <= set(escalated)


@pytest.mark.django_db
def test_the_oldest_overdue_work_says_it_covers_every_month(world, client_for):
    """The month's dashboard lists overdue work of earlier months among the oldest, and
    says so, as the escalations' panel does."""
    from django.utils.translation import gettext

    earlier = make_task(world, code="T-EARLIER", days_ago=80, due_in=-60)
    period = month_of(timezone.localdate())
    assert month_of(earlier.due) != period
    client = client_for(world.user("head"))
    response = client.get(reverse("accountability:dashboard"),
                          {"unit": "HN.CG", "period": period})
    assert [t.code for t in response.context["board"].oldest] == ["T-EARLIER"]
    page = unescape(response.content.decode())
    assert gettext("Oldest overdue work, any month, and who holds it") in page
    assert gettext("Work still open and past its deadline in force today, whatever month it "
                   "belongs to (not only %(period)s), oldest deadline first, with who holds "
                   "it now.") % {"period": period_name(period)} in page


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "answer"), [
    ({"unit": "HN.BD", "period": "2026-10"}, 404),  # outside the head's scope
    ({"unit": "HN.NOPE", "period": "2026-10"}, 404),
    ({"unit": "HN.BD", "period": "13/2026"}, 404),  # the unit first: nothing to probe
    ({"unit": "HN.CG", "period": "13/2026"}, 302),
    ({"unit": "HN.CG", "period": "9999-12"}, 302),
    ({"period": "2026-13"}, 302),  # the caller's own unit
])
def test_the_dashboard_export_answers_as_the_page_or_refuses_the_month(world, client_for,
                                                                      query, answer):
    """A unit the caller may not see (or that does not exist) answers 404, as the page does:
    the export is no way to probe units. A month that is not valid exports nothing: back to
    the dashboard of the same query, whose month field says what is wrong, with a message
    naming the month (core/filters.py); never a workbook of headers only."""
    from django.utils.translation import gettext

    client = client_for(world.user("head"))
    page = client.get(reverse("accountability:dashboard"), query)
    assert page.status_code == (404 if answer == 404 else 200)
    response = client.get(reverse("accountability:dashboard_export"), query)
    assert response.status_code == answer
    if answer == 404:
        return
    assert "period" in page.context["form"].errors
    assert response["Location"] == f"{reverse('accountability:dashboard')}?{urlencode(query)}"
    shown = client.get(response["Location"])
    said = " ".join(str(m) for m in shown.context["messages"])
    assert said.startswith(gettext("Nothing was exported: correct these filters first. "
                                   "%(problems)s") % {"problems": gettext("Month")}), said

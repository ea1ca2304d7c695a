"""What a user-acceptance review of the demo found: the work that bounced (S3) names who sent
it back and to whom it came back, and counts the returns, not the signals; `thuocdo
signals --json` holds the signals recorded by hand too; an explanation is due on a working
day, not later than the setting allows; the directive cascade of a unit with none below it
says so; the signals by code show every status, so a row adds up; the export writes the
months as the page does and the month's totals."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from html import unescape

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from openpyxl import load_workbook

from thuocdo.accountability import services
from thuocdo.accountability.models import SignalRecord
from thuocdo.accountability.services import signals_refresh
from thuocdo.core.calendar import work_calendar
from thuocdo.core.errors import ServiceError
from thuocdo.core.models import CalendarOverride
from thuocdo.core.templatetags.periods import period_name
from thuocdo.measure.history import local_day
from thuocdo.tasks.tests.api_routes import act, make_task

from .helpers import late_task, month_of, refresh_for, today_month

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

#: who is who in the test world (thuocdo.core.testing)
STAFF = "Lê Văn Cường (Văn phòng HĐND và UBND quận)"  # CG.STAFF
STAFF2 = "Phạm Thị Dung (Văn phòng HĐND và UBND quận)"  # CG.STAFF2


def _today() -> dt.date:
    return local_day(timezone.now())


def _dmy(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


# -- 1. the work that bounced (S3) ------------------------------------------------------


def _ping_pong(world):
    """CG.STAFF leads T-PING and passes it to CG.STAFF2 (#3), who sends it back (#5); he
    passes it again (#7), she sends it back again (#9): three returns (#5 to him, #7 to her,
    #9 to him) and, at the third move (#7), the "handed on 3 times" signal: four S3 signals
    of this month."""
    task = make_task(world, code="T-PING", days_ago=3, due_in=20)
    to_staff2 = {"to_unit": "HN.CG.VP", "to_official": "CG.STAFF2", "reason": "Đúng lĩnh vực"}
    to_staff = {"to_unit": "HN.CG.VP", "to_official": "CG.STAFF", "reason": "Không phải việc tôi"}
    act(world, task, "accept", "CG.STAFF")  # 2
    act(world, task, "transfer", "CG.STAFF", **to_staff2)  # 3
    act(world, task, "accept", "CG.STAFF2")  # 4
    act(world, task, "return", "CG.STAFF2", **to_staff)  # 5
    act(world, task, "accept", "CG.STAFF")  # 6
    act(world, task, "transfer", "CG.STAFF", **to_staff2)  # 7
    act(world, task, "accept", "CG.STAFF2")  # 8
    act(world, task, "return", "CG.STAFF2", **to_staff)  # 9
    signals_refresh(period=today_month(), as_of=timezone.now())
    return task


def test_the_bounced_work_names_who_sent_it_back_to_whom_and_counts_the_returns(
        world, client_for):
    """Three returns and the count of moves make four S3 signals: the line says it came back
    3 times (not 4), each time who sent it back and to whom it came back (who had passed it
    on), with the moves' numbers; the count names nobody it came back to. The page and the
    export say the same."""
    task = _ping_pong(world)
    signals = SignalRecord.objects.filter(code="S3", task=task)
    assert signals.count() == 4
    # the engine's attribution is unchanged: each return names whoever sent it back
    assert sorted((s.official.code if s.official else None) for s in signals
                  if not s.key.endswith("|count")) == ["CG.STAFF", "CG.STAFF2", "CG.STAFF2"]
    client = client_for(world.user("head"))
    query = {"unit": "HN.CG", "period": today_month()}
    response = client.get(reverse("accountability:dashboard"), query)
    (work,) = response.context["board"].bounced
    assert work.bounces == 3
    assert [(r.sent_by, r.came_back_to, r.passed_on, r.returned) for r in work.returns] == [
        (STAFF2, STAFF, 3, 5), (STAFF, STAFF2, 5, 7), (STAFF2, STAFF, 7, 9)]
    assert work.handed_on == [3, 5, 7]
    said = [r.text for r in work.returns]
    assert said[0] == (f"{STAFF2} sent it back to {STAFF}, who had passed it on (#3 → #5)")
    page = unescape(response.content.decode())
    assert "came back 3 times" in page and "came back 4 times" not in page
    assert "reached the threshold of 3 moves (#3, #5, #7)" in page
    # one link says both, as the list it opens holds the four signals
    link = re.search(r'<a href="[^"]*code=S3&subject=' + task.code + r'">(.*?)</a>', page)
    assert link and link[1] == "came back 3 times; reached the threshold of 3 moves (#3, #5, #7)"
    for text in said:
        assert text in page
    assert "back to:" not in page
    book = load_workbook(io.BytesIO(client.get(
        reverse("accountability:dashboard_export"), query).content))
    sheet = book[gettext("Bounced (S3)")]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (gettext("About"), gettext("Task"), gettext("Times it came back"),
                       gettext("Who sent it back, to whom"), gettext("Threshold of moves reached"),
                       gettext("Moves up to the threshold"))
    assert rows[1] == (task.code, task.title, 3, "; ".join(said), 3, "#3, #5, #7")


def test_feedback_sent_back_names_the_unit_it_came_back_to(world, client_for):
    """Feedback forwarded by HN.CG to the ward and forwarded back: the ward sent it back to
    HN.CG, numbered as the feedback's events (#2 the first forward, #3 the one back)."""
    from thuocdo.accounts import services as accounts
    from thuocdo.citizens import services as citizens
    from thuocdo.citizens.tests import factories

    dv_head = accounts.user_create(email="dv@example.vn", password="x-Long-pass-123",
                                   official=world.officials["DV.HEAD"])
    now = timezone.now()
    case = factories.feedback(world, unit="HN.CG", submitted_at=now - dt.timedelta(hours=3))
    citizens.feedback_forward(user=world.users["head"], feedback=case,
                              to_unit=world.units["HN.CG.DV"], reason="Thuộc thẩm quyền phường",
                              now=now - dt.timedelta(hours=2))
    citizens.feedback_forward(user=dv_head, feedback=case, to_unit=world.units["HN.CG"],
                              reason="Vượt thẩm quyền phường", now=now - dt.timedelta(hours=1))
    signals_refresh(period=today_month(), as_of=timezone.now())
    board = client_for(world.user("head")).get(
        reverse("accountability:dashboard"),
        {"unit": "HN.CG", "period": today_month()}).context["board"]
    (work,) = board.bounced
    assert (work.subject, work.task, work.bounces, work.handed_on) == (case.code, None, 1, [])
    (back,) = work.returns
    assert (back.sent_by, back.came_back_to, back.passed_on, back.returned) == (
        "Hoàng Văn Em (UBND phường Dịch Vọng)", "UBND quận Cầu Giấy", 2, 3)


# -- 2. `thuocdo signals --json` and the signals recorded by hand -------------------------


def _cli(*args) -> list[dict]:
    out = io.StringIO()
    call_command("signals", *args, stdout=out)
    return json.loads(out.getvalue())


def test_the_command_gives_the_signals_recorded_by_hand_as_the_api_does(world, client_for):
    """An S14 recorded by an inspector is in `thuocdo signals --json` (with --unit of its
    unit and above, not of another), in the computed signals' shape; the command's signals
    are the API's for the month."""
    refresh_for(late_task(world))
    recorded = services.signal_record(user=world.user("board"), code="S14",
                                      official=world.officials["CG.STAFF"], on=_today(),
                                      text="Kết luận thanh tra số 12/KL-TTr")
    period = today_month()
    rows = _cli("--period", period, "--json")
    computed = [r for r in rows if r["code"] != "S14"]
    assert computed, "the late task's signals"
    (row,) = [r for r in rows if r["code"] == "S14"]
    assert list(row) == list(computed[0])
    assert row == {
        "code": "S14", "task": None, "subject_kind": "person", "subject": "",
        "official": "CG.STAFF", "unit": "HN.CG.VP",
        "period": period, "raised_on": _today().isoformat(), "events": [],
        "explanation": "Kết luận thanh tra số 12/KL-TTr", "needs_confirmation": False,
        "escalate_to": None, "key": recorded.key, "id": recorded.pk, "status": "open",
        "url": row["url"]}
    assert row["url"].endswith(recorded.get_absolute_url())
    assert "S14" in [r["code"] for r in _cli("--period", period, "--json", "--unit", "HN.CG")]
    assert "S14" not in [r["code"] for r in _cli("--period", period, "--json",
                                                 "--unit", "HN.BD")]
    # the same signals as the API gives the administrator for the month
    api = client_for(world.user("admin")).get("/api/signals/", {"period": period,
                                                                "page_size": 500}).json()
    listed = api["results"] if isinstance(api, dict) else api
    keys = ("code", "task", "official", "unit", "period", "events", "explanation", "status")
    assert (sorted(tuple(str(r[k]) for k in keys) for r in rows)
            == sorted(tuple(str(r[k]) for k in keys) for r in listed))
    out = io.StringIO()
    call_command("signals", "--period", period, stdout=out)
    assert "Kết luận thanh tra số 12/KL-TTr" in out.getvalue()
    assert "1 recorded by hand" in out.getvalue()


def test_a_withdrawn_record_stays_listed_with_its_status_and_a_later_one_is_not(
        world, client_for):
    """Withdrawn, an S14 is still on the dashboard and in the API, with its status: the
    command left it out, and gave one signal fewer. With `--as-of` before it was recorded,
    it is not there yet (the computed signals are read as of that moment too)."""
    refresh_for(late_task(world))
    recorded = services.signal_record(user=world.user("board"), code="S14",
                                      official=world.officials["CG.STAFF"], on=_today(),
                                      text="Kết luận thanh tra số 12/KL-TTr")
    services.signal_withdraw(signal=recorded, user=world.user("board"),
                             text="Ghi nhầm người")
    period = today_month()
    (row,) = [r for r in _cli("--period", period, "--json") if r["code"] == "S14"]
    assert (row["id"], row["status"]) == (recorded.pk, "withdrawn")
    api = client_for(world.user("admin")).get("/api/signals/", {"period": period,
                                                                "code": "S14"}).json()
    listed = api["results"] if isinstance(api, dict) else api
    assert [(r["id"], r["status"]) for r in listed] == [(recorded.pk, "withdrawn")]
    out = io.StringIO()
    call_command("signals", "--period", period, stdout=out)
    assert "Kết luận thanh tra số 12/KL-TTr [withdrawn — đã rút]" in out.getvalue()
    before = (recorded.first_seen - dt.timedelta(seconds=1)).isoformat()
    assert "S14" not in [r["code"] for r in _cli("--period", period, "--json",
                                                 "--as-of", before, "--no-store")]


# -- 3. the day an explanation is due by ----------------------------------------------------


def _calendar():
    today = _today()
    return work_calendar(years=range(today.year, today.year + 2))


def _post(client, signal, due: dt.date):
    return client.post(f"{signal.get_absolute_url()}request/",
                       {"text": "Vì sao chậm?", "due": due.isoformat(),
                        "version": signal.version})


def _api(client, signal, due: dt.date):
    return client.post(f"/api/signals/{signal.pk}/request/",
                       {"text": "Vì sao chậm?", "due": due.isoformat()},
                       content_type="application/json")


def test_a_due_day_on_a_sunday_is_refused_naming_the_next_working_day(world, client_for):
    """The service, the page and the API refuse a Sunday, naming it and the next working
    day; nothing is written."""
    signal = refresh_for(late_task(world))
    head = world.user("head")
    today = _today()
    sunday = today + dt.timedelta(days=(6 - today.weekday()) or 7)
    calendar = _calendar()
    monday = calendar.add_workdays(sunday, 1)
    with pytest.raises(ServiceError) as refused:
        services.signal_request_explanation(signal=signal, user=head, text="?", due=sunday)
    assert (refused.value.service_code, refused.value.field) == ("explanation_due_day_off",
                                                                 "due")
    message = refused.value.service_message
    assert _dmy(sunday) in message and _dmy(monday) in message and "Sunday" in message
    client = client_for(head)
    posted = _post(client, signal, sunday)
    assert posted.status_code == 400
    assert posted.context["forms"]["request"].errors["due"] == [message]
    api = _api(client, signal, sunday)
    assert api.status_code == 400 and api.json()["code"] == "explanation_due_day_off"
    signal.refresh_from_db()
    assert (signal.status, signal.explanation_due, signal.steps.count()) == ("open", None, 0)
    # the next working day is taken
    services.signal_request_explanation(signal=signal, user=head, text="?", due=monday)
    assert signal.explanation_due == monday


def test_a_due_day_past_the_most_working_days_is_refused(world, client_for):
    """31/12/9999 would park the signal for ever: refused, naming the latest day (20 working
    days after today by default), which is taken."""
    signal = refresh_for(late_task(world))
    head = world.user("head")
    latest = _calendar().add_workdays(_today(), 20)
    for too_late in (dt.date(9999, 12, 31), latest + dt.timedelta(days=1)):
        with pytest.raises(ServiceError) as refused:
            services.signal_request_explanation(signal=signal, user=head, text="?",
                                                due=too_late)
        assert refused.value.service_code == "explanation_due_too_late"
        assert _dmy(too_late) in refused.value.service_message
        assert _dmy(latest) in refused.value.service_message
    client = client_for(head)
    assert _post(client, signal, dt.date(9999, 12, 31)).status_code == 400
    api = _api(client, signal, dt.date(9999, 12, 31))
    assert api.status_code == 400 and api.json()["code"] == "explanation_due_too_late"
    signal.refresh_from_db()
    assert (signal.status, signal.explanation_due) == ("open", None)
    services.signal_request_explanation(signal=signal, user=head, text="?", due=latest)
    assert signal.explanation_due == latest


@override_settings(THUOCDO_EXPLANATION_MAX_WORKDAYS=8)
def test_the_most_working_days_is_a_setting(world, client_for):
    signal = refresh_for(late_task(world))
    calendar = _calendar()
    with pytest.raises(ServiceError) as refused:
        services.signal_request_explanation(signal=signal, user=world.user("head"), text="?",
                                            due=calendar.add_workdays(_today(), 9))
    assert _dmy(calendar.add_workdays(_today(), 8)) in refused.value.service_message
    page = client_for(world.user("head")).get(signal.get_absolute_url())
    assert "8 working days" in str(page.context["forms"]["request"]["due"].help_text)


@override_settings(THUOCDO_EXPLANATION_MAX_WORKDAYS=3, THUOCDO_EXPLANATION_WORKDAYS=5)
def test_a_most_below_the_default_is_a_wrong_setting(world):
    signal = refresh_for(late_task(world))
    with pytest.raises(ImproperlyConfigured, match="THUOCDO_EXPLANATION_MAX_WORKDAYS"):
        services.signal_request_explanation(signal=signal, user=world.user("head"), text="?",
                                            due=_calendar().add_workdays(_today(), 2))
    signal.refresh_from_db()
    assert signal.steps.count() == 0


def test_a_day_off_of_the_administrators_calendar_is_refused_with_its_name(world):
    """A day off the administrators added (with a note) is named by its note."""
    signal = refresh_for(late_task(world))
    day = _calendar().add_workdays(_today(), 2)
    CalendarOverride.objects.create(day=day, kind=CalendarOverride.Kind.HOLIDAY,
                                    note="Nghỉ bù")
    with pytest.raises(ServiceError) as refused:
        services.signal_request_explanation(signal=signal, user=world.user("head"), text="?",
                                            due=day)
    assert "Nghỉ bù" in refused.value.service_message
    assert _dmy(_calendar().add_workdays(day, 1)) in refused.value.service_message


# -- 4. the cascade of a unit with none below it ------------------------------------------


def test_a_directive_of_a_unit_with_none_below_says_so(world, client_for):
    """A directive issued by a division (no unit below it): even the administrator was told
    nothing below was in his view; now the page says the unit has none below it. A unit
    with units below that the caller cannot read still says "none in your view"."""
    from thuocdo.tasks import services as tasks

    leaf = tasks.directive_create(code="KH-VP", title="Kế hoạch của Văn phòng",
                                  issued_by=world.units["HN.CG.VP"],
                                  issued_on=_today() - dt.timedelta(days=7))
    none_in_view = gettext("No unit below the issuing unit is in your view, so this page "
                           "cannot say whether any has answered.")
    for role in ("admin", "head"):
        response = client_for(world.user(role)).get(
            reverse("accountability:directive_cascade", kwargs={"code": leaf.code}))
        page = unescape(response.content.decode())
        assert response.context["rows"] == [] and response.context["units_below"] == 0
        assert (gettext("%(unit)s has no units below it, so no lower unit has to answer "
                        "this directive with a plan or tasks.")
                % {"unit": "Văn phòng HĐND và UBND quận"}) in page
        assert none_in_view not in page
    city = tasks.directive_create(code="24-CT/TU", title="Chỉ thị 24",
                                  issued_by=world.units["HN"],
                                  issued_on=_today() - dt.timedelta(days=14))
    response = client_for(world.user("staff")).get(
        reverse("accountability:directive_cascade", kwargs={"code": city.code}))
    assert response.context["rows"] == [] and response.context["units_below"] > 0
    assert none_in_view in unescape(response.content.decode())


# -- 5. the signals by code: every status ----------------------------------------------------


def test_the_signals_by_code_show_every_status_and_add_up(world, client_for):
    """An accepted signal was in "All" and in no other column, so the row did not add up:
    now each status has its column, each opening the list of exactly those signals, on
    the page and in the export."""
    from .helpers import overdue_signal

    signal = SignalRecord.objects.get(pk=overdue_signal(world)["pk"])
    services.signal_decide(signal=signal, user=world.user("head"), decision="accept",
                           text="Lý do chính đáng")
    refresh_for(late_task(world, code="T-LATE-2"))
    client = client_for(world.user("head"))
    query = {"unit": "HN.CG", "period": signal.period}
    response = client.get(reverse("accountability:dashboard"), query)
    rows = {r["code"]: r for r in response.context["board"].signals}
    s1 = rows["S1"]
    assert s1["total"] == 2 and dict(s1["statuses"])["accepted"] == 1
    for row in rows.values():
        assert sum(n for _status, n in row["statuses"]) == row["total"], row["code"]
        for status, n in row["statuses"]:
            listed = client.get(reverse("accountability:signal_list"),
                                {**query, "code": row["code"], "status": status})
            assert listed.context["page"].paginator.count == n, (row["code"], status)
    page = unescape(response.content.decode())
    assert gettext("Accepted (S15: protected)") in page
    assert (f"{reverse('accountability:signal_list')}?unit=HN.CG&period={signal.period}"
            f"&code=S1&status=accepted\"") in page
    book = load_workbook(io.BytesIO(client.get(
        reverse("accountability:dashboard_export"), query).content))
    sheet = list(book[gettext("Signals")].iter_rows(values_only=True))
    assert sheet[0][2:] == (gettext("All"), gettext("Open"), gettext("Explanation requested"),
                            gettext("Explained"), gettext("Accepted (S15: protected)"),
                            gettext("Confirmed (S15: not protected)"),
                            gettext("Withdrawn (recorded by mistake)"))
    (s1_row,) = [r for r in sheet[1:] if r[0] == "S1"]
    assert s1_row[2] == 2 and sum(s1_row[3:]) == 2 and s1_row[6] == 1


# -- 6. the export's months and totals -----------------------------------------------------


def test_the_export_writes_the_months_as_the_page_and_the_months_totals(world, client_for):
    from .test_dashboard import _work

    late = _work(world)
    client = client_for(world.user("head"))
    query = {"unit": "HN.CG", "period": month_of(late.due)}
    board = client.get(reverse("accountability:dashboard"), query).context["board"]
    book = load_workbook(io.BytesIO(client.get(
        reverse("accountability:dashboard_export"), query).content))
    months = [r[0] for r in book[gettext("12 months")].iter_rows(min_row=2, values_only=True)]
    assert months == [period_name(t["period"]) for t in board.trend]
    assert months[-1] == period_name(month_of(late.due)) != month_of(late.due)
    subunits = list(book[gettext("Sub-units")].iter_rows(min_row=2, values_only=True))
    assert len(subunits) == len(board.subunits) + 1
    total = subunits[-1]
    assert total[1] == gettext("All of %(unit)s") % {"unit": "UBND quận Cầu Giấy"}
    assert list(total[2:]) == [*board.totals.counts.values(), board.totals.total]
    assert board.totals.total == 3


@pytest.mark.parametrize("period", ["9999-12", "0000-01", "0001-01", "3000-01"])
def test_a_month_outside_the_years_a_period_takes_is_refused_not_a_500(world, client_for,
                                                                       period):
    """A review found 500s (year 0 or 10000 out of range) on the dashboard, its export, the
    task drill-down and the API; such a month is now refused as any bad month is: by the
    pages with their error (a drill-down sends back to the dashboard, which shows it), by
    the exports with a redirect to
    their page and a message naming the month (core/filters.py), nothing exported."""
    client = client_for(world.user("head"))
    query = {"unit": "HN.CG", "period": period}
    for name in ("accountability:dashboard", "accountability:signal_list"):
        assert client.get(reverse(name), query).status_code in (200, 400), name
    # the drill-downs have no month field: back to the dashboard, which has
    for name in ("accountability:counted_tasks", "accountability:delay_list"):
        response = client.get(reverse(name), query)
        assert response.status_code == 302, name
        assert response["Location"] == f"{reverse('accountability:dashboard')}?" \
            f"unit=HN.CG&period={period}", name
    refused = gettext("Nothing was exported: correct these filters first. %(problems)s") % {
        "problems": gettext("Month")}
    for name, back in (("accountability:dashboard_export", "accountability:dashboard"),
                       ("accountability:delay_export", "accountability:dashboard"),
                       ("accountability:signal_export", "accountability:signal_list")):
        response = client.get(reverse(name), query)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse(back) + "?"), name
        shown = client.get(response["Location"])
        assert shown.status_code == 200, name
        said = " ".join(str(m) for m in shown.context["messages"])
        assert said.startswith(refused), (name, said)
    assert client.get("/api/signals/", {"period": period}).status_code == 400


def test_a_past_due_day_is_refused_naming_the_first_working_day(world):
    """On a holiday, "give today" named a day the request then refused: the refusal of a
    past day names the first working day from today."""
    from thuocdo.core.models import CalendarOverride

    signal = refresh_for(late_task(world))
    today = _today()
    CalendarOverride.objects.update_or_create(day=today, defaults={"kind": "holiday",
                                                                   "note": "Nghỉ"})
    first = work_calendar(years=range(today.year, today.year + 2)).add_workdays(today, 1)
    with pytest.raises(ServiceError) as refused:
        services.signal_request_explanation(signal=signal, user=world.user("head"), text="?",
                                            due=today - dt.timedelta(days=3))
    assert refused.value.service_code == "explanation_due_past"
    assert f"from {_dmy(first)} on" in refused.value.service_message

"""The explanation's due day and who decides: a request sets the day the explanation is due
by (the leader's, or THUOCDO_EXPLANATION_WORKDAYS working days of the work calendar); no
decision on a signal not explained before that day has passed; what came late says so;
overdue explanations are listed, counted on the dashboard and notified; nobody decides a
signal they answer for (a unit's is decided above it)."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from thuocdo.accountability import services
from thuocdo.accountability.jobs import refresh_signals
from thuocdo.accountability.models import SignalRecord
from thuocdo.core.calendar import work_calendar
from thuocdo.core.errors import PermissionDeniedError, ServiceError
from thuocdo.core.models import AuditEntry, CalendarOverride
from thuocdo.measure.history import local_day
from thuocdo.notifications.models import Notification

from .helpers import late_task, let_due_day_pass, member, refresh_for, unit_signal


def _today() -> dt.date:
    return local_day(timezone.now())


def _dmy(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _calendar():
    today = _today()
    return work_calendar(years=range(today.year, today.year + 2))


def _today_a_working_day() -> dt.date:
    """Today, made a working day if the calendar has it off (a due day is a working day:
    these tests give today as one, whatever day they run on)."""
    today = _today()
    if not _calendar().is_workday(today):
        CalendarOverride.objects.create(day=today, kind=CalendarOverride.Kind.WORKDAY)
    return today


# -- the due day ---------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(THUOCDO_EXPLANATION_WORKDAYS=3)
def test_the_default_due_day_counts_the_settings_working_days_of_the_calendar(world,
                                                                              client_for):
    """Without a date the explanation is due on the 3rd working day after the request, by
    the work calendar: a day off the administrators added is skipped."""
    today = _today()
    before = _calendar().add_workdays(today, 3)
    day_off = _calendar().add_workdays(today, 1)
    CalendarOverride.objects.create(day=day_off, kind=CalendarOverride.Kind.HOLIDAY)
    calendar = _calendar()
    signal = refresh_for(late_task(world))
    page = client_for(world.user("head")).get(signal.get_absolute_url())
    assert page.context["forms"]["request"]["due"].value() == calendar.add_workdays(today, 3)
    services.signal_request_explanation(signal=signal, user=world.user("head"),
                                        text="Vì sao chậm?")
    due = signal.explanation_due
    assert due == calendar.add_workdays(today, 3) > before
    assert calendar.workdays_between(today, due) == 3 and today < day_off < due
    asked = Notification.objects.get(kind="signal", recipient=world.officials["CG.STAFF"])
    assert _dmy(due) in asked.body
    entry = AuditEntry.objects.get(action="signal_request", object_code=signal.key)
    assert entry.changes["explanation_due"] == ["", due.isoformat()]


@pytest.mark.django_db
@override_settings(THUOCDO_EXPLANATION_WORKDAYS=0)
def test_a_wrong_setting_is_said_and_nothing_is_written(world):
    signal = refresh_for(late_task(world))
    with pytest.raises(ImproperlyConfigured, match="THUOCDO_EXPLANATION_WORKDAYS"):
        services.signal_request_explanation(signal=signal, user=world.user("head"),
                                            text="Vì sao chậm?")
    signal.refresh_from_db()
    assert (signal.status, signal.explanation_due, signal.steps.count()) == ("open", None, 0)


@pytest.mark.django_db
def test_the_leaders_due_day_is_kept_today_too(world):
    signal = refresh_for(late_task(world))
    services.signal_request_explanation(signal=signal, user=world.user("head"), text="?",
                                        due=_today_a_working_day())
    assert signal.explanation_due == _today()
    other = refresh_for(late_task(world, code="T-LATE-2"))
    later = _calendar().add_workdays(_today(), 8)
    services.signal_request_explanation(signal=other, user=world.user("head"), text="?",
                                        due=later)
    assert other.explanation_due == later


@pytest.mark.django_db
def test_a_due_day_already_past_is_refused_everywhere_and_nothing_is_written(world,
                                                                             client_for):
    signal = refresh_for(late_task(world))
    head = world.user("head")
    _today_a_working_day()  # the refusal names today, the first working day from today
    yesterday = _today() - dt.timedelta(days=1)
    with pytest.raises(ServiceError) as refused:
        services.signal_request_explanation(signal=signal, user=head, text="Vì sao chậm?",
                                            due=yesterday)
    assert refused.value.service_code == "explanation_due_past"
    assert refused.value.field == "due"
    assert _dmy(yesterday) in refused.value.service_message
    assert _dmy(_today()) in refused.value.service_message
    client = client_for(head)
    url = signal.get_absolute_url()
    posted = client.post(f"{url}request/", {"text": "Vì sao chậm?",
                                            "due": yesterday.isoformat(),
                                            "version": signal.version})
    assert posted.status_code == 400
    assert posted.context["forms"]["request"].errors["due"] == [refused.value.service_message]
    assert refused.value.service_message in unescape(posted.content.decode())
    typed = client.post(f"{url}request/", {"text": "Vì sao chậm?", "due": "31/02/2027"})
    assert typed.status_code == 400 and typed.context["forms"]["request"].errors["due"]
    api = client.post(f"/api/signals/{signal.pk}/request/",
                      {"text": "Vì sao chậm?", "due": yesterday.isoformat()},
                      content_type="application/json")
    assert api.status_code == 400
    assert api.json()["code"] == "explanation_due_past"
    assert api.json()["errors"] == {"due": [refused.value.service_message]}
    signal.refresh_from_db()
    assert (signal.status, signal.explanation_due, signal.version) == ("open", None, 0)
    assert signal.steps.count() == 0
    assert not Notification.objects.filter(kind="signal").exists()
    assert not AuditEntry.objects.filter(object_type="signal").exists()


@pytest.mark.django_db
def test_the_api_takes_the_due_day_and_shows_it(world, client_for):
    signal = refresh_for(late_task(world))
    client = client_for(world.user("head"))
    due = _calendar().add_workdays(_today(), 7)  # a working day: a day off is refused
    answer = client.post(f"/api/signals/{signal.pk}/request/",
                         {"text": "Vì sao chậm?", "due": due.isoformat()},
                         content_type="application/json")
    assert answer.status_code == 200
    assert answer.json()["explanation_due"] == due.isoformat()
    assert answer.json()["steps"][0]["late"] is False
    listed = client.get("/api/signals/").json()["results"]
    assert [s["explanation_due"] for s in listed if s["id"] == signal.pk] == [due.isoformat()]
    other = refresh_for(late_task(world, code="T-LATE-2"))
    default = client.post(f"/api/signals/{other.pk}/request/", {"text": "Vì sao chậm?"},
                          content_type="application/json")
    assert default.json()["explanation_due"] == services.explanation_due_default(
        on=_today()).isoformat()
    # a step taken on a stale view is a conflict, as a task's (409, read again and retry)
    stale = client.post(f"/api/signals/{other.pk}/request/",
                        {"text": "Vì sao chậm?", "version": 0},
                        content_type="application/json")
    assert stale.status_code == 409 and stale.json()["code"] == "signal_changed"


# -- deciding before, on and after the due day ---------------------------------------------


def _decision_refused_by_page_and_api(client, signal, *, decision, status, refused):
    """Posting the decision through the page and the API answers `status` with the
    service's refusal (its message on the page, its code in the API)."""
    url = signal.get_absolute_url()
    posted = client.post(f"{url}decide/", {"text": "Lý do", "decision": decision,
                                           "version": signal.version})
    assert posted.status_code == status
    assert refused.service_message in unescape(posted.content.decode())
    api = client.post(f"/api/signals/{signal.pk}/decide/",
                      {"text": "Lý do", "decision": decision},
                      content_type="application/json")
    assert api.status_code == status and api.json()["code"] == refused.service_code


@pytest.mark.django_db
def test_no_decision_while_the_person_named_still_has_time(world, client_for):
    """Requested, not explained, due day not passed: the service, the page and the API
    refuse the decision, naming the day; the page offers no decision form and says when."""
    signal = refresh_for(late_task(world))
    head = world.user("head")
    services.signal_request_explanation(signal=signal, user=head, text="Vì sao chậm?",
                                        due=_today_a_working_day())
    assert not services.can_decide(head, signal)
    with pytest.raises(ServiceError) as refused:
        services.signal_decide(signal=signal, user=head, decision="confirm", text="Vi phạm")
    assert refused.value.service_code == "explanation_not_due"
    assert not isinstance(refused.value, PermissionDeniedError)
    assert _dmy(_today()) in refused.value.service_message
    client = client_for(head)
    url = signal.get_absolute_url()
    page = client.get(url)
    assert not page.context["can_decide"] and page.context["waits_for_explanation"]
    content = page.content.decode()
    assert f"{url}decide/" not in content and _dmy(_today()) in content
    _decision_refused_by_page_and_api(client, signal, decision="confirm", status=400,
                                      refused=refused.value)
    signal.refresh_from_db()
    assert signal.status == "requested" and signal.steps.count() == 1


@pytest.mark.django_db
def test_an_explanation_in_time_may_be_decided_at_once_and_is_not_late(world):
    signal = refresh_for(late_task(world))
    head, staff = world.user("head"), world.user("staff")
    services.signal_request_explanation(signal=signal, user=head, text="Vì sao chậm?")
    services.signal_explain(signal=signal, user=staff, text="Chờ số liệu")
    assert services.can_decide(head, signal)
    services.signal_decide(signal=signal, user=head, decision="accept", text="Có lý do")
    assert list(signal.steps.values_list("action", "late")) == [
        ("request", False), ("explain", False), ("accept", False)]


@pytest.mark.django_db
def test_an_explanation_after_the_due_day_is_taken_and_marked_late(world, client_for):
    signal = refresh_for(late_task(world))
    head, staff = world.user("head"), world.user("staff")
    services.signal_request_explanation(signal=signal, user=head, text="Vì sao chậm?")
    let_due_day_pass(signal)
    services.signal_explain(signal=signal, user=staff, text="Chờ số liệu")
    services.signal_decide(signal=signal, user=head, decision="confirm", text="Quá hạn")
    assert list(signal.steps.values_list("action", "late")) == [
        ("request", False), ("explain", True), ("confirm", True)]
    entry = AuditEntry.objects.get(action="signal_confirm", object_code=signal.key)
    assert entry.changes["late"] is True
    page = client_for(head).get(signal.get_absolute_url()).content.decode()
    assert page.count("tag--done_late") == 2


# -- overdue: listed, counted, notified ------------------------------------------------------


def _three_requests(world):
    """Explanations requested of CG.STAFF: one overdue, one still in time, one given late
    (explained, so no longer overdue)."""
    head, staff = world.user("head"), world.user("staff")
    made = []
    for code in ("T-A", "T-B", "T-C"):
        signal = refresh_for(late_task(world, code=code))
        services.signal_request_explanation(signal=signal, user=head, text="Vì sao chậm?")
        made.append(signal)
    overdue, in_time, explained = made
    let_due_day_pass(overdue, days=3)
    let_due_day_pass(explained)
    services.signal_explain(signal=explained, user=staff, text="Chờ số liệu")
    return overdue, in_time, explained


@pytest.mark.django_db
def test_the_dashboards_overdue_explanations_equal_their_list(world, client_for):
    overdue, in_time, _explained = _three_requests(world)
    client = client_for(world.user("head"))
    response = client.get(reverse("accountability:dashboard"),
                          {"unit": "HN.CG", "period": overdue.period})
    number = response.context["board"].explanations_overdue
    assert number == 1
    url = response.context["overdue_url"]
    assert url.replace("&", "&amp;") in response.content.decode()
    listed = client.get(url)
    assert listed.context["page"].paginator.count == number
    assert [s.pk for s in listed.context["page"]] == [overdue.pk]
    assert _dmy(overdue.explanation_due) in listed.content.decode()
    # unfiltered, the list shows every due day and marks the overdue one
    content = client.get(reverse("accountability:signal_list")).content.decode()
    assert content.count("tag--open_overdue") == 1
    assert _dmy(overdue.explanation_due) in content and _dmy(in_time.explanation_due) in content
    # the sub-unit's dashboard counts the same signal; another district's does not
    sub = client.get(reverse("accountability:dashboard"), {"unit": "HN.CG.VP"})
    assert sub.context["board"].explanations_overdue == 1
    admin = client_for(world.user("admin")).get(reverse("accountability:dashboard"),
                                                {"unit": "HN.BD"})
    assert admin.context["board"].explanations_overdue == 0


@pytest.mark.django_db
def test_overdue_explanations_are_notified_once(world):
    """The nightly job tells the leader who asked and the person named, once."""
    overdue, _in_time, _explained = _three_requests(world)
    before = set(Notification.objects.values_list("pk", flat=True))
    refresh_signals.call()
    made = Notification.objects.exclude(pk__in=before)
    assert {(n.recipient.code, n.url) for n in made} == {
        ("CG.HEAD", overdue.get_absolute_url()), ("CG.STAFF", overdue.get_absolute_url())}
    assert all(n.kind == "signal" and _dmy(overdue.explanation_due) in n.body for n in made)
    assert services.explanations_overdue_notify() == 0
    assert Notification.objects.exclude(pk__in=before).count() == 2


# -- who decides -----------------------------------------------------------------------------


def _city_head(world):
    """A head of HN, the unit above HN.CG, with a user."""
    return member(world, "HN.HEAD", unit="HN", position="head")


@pytest.mark.django_db
def test_nobody_decides_a_signal_they_explained(world, client_for):
    """The city's head asks, the district's head explains for the district: neither the
    district's head nor its deputy decides (the unit does not judge itself); a leader of
    the unit above, the board over it or an administrator does. The head is told why, by
    the service, the page and the API."""
    signal = unit_signal(world)
    head, deputy = world.user("head"), world.user("deputy")
    services.signal_request_explanation(signal=signal, user=_city_head(world),
                                        text="Vì sao im lặng?")
    services.signal_explain(signal=signal, user=head, text="Thiếu người")
    assert signal.status == "explained"
    assert not services.can_decide(head, signal) and not services.can_decide(deputy, signal)
    with pytest.raises(PermissionDeniedError) as own:
        services.signal_decide(signal=signal, user=head, decision="accept", text="Có lý do")
    assert own.value.service_code == "cannot_decide_own"
    with pytest.raises(PermissionDeniedError) as same_unit:
        services.signal_decide(signal=signal, user=deputy, decision="accept", text="Có lý do")
    assert same_unit.value.service_code == "cannot_decide"
    client = client_for(head)
    url = signal.get_absolute_url()
    page = client.get(url)
    assert not page.context["can_decide"] and page.context["decides_elsewhere"]
    assert f"{url}decide/" not in page.content.decode()
    _decision_refused_by_page_and_api(client, signal, decision="accept", status=403,
                                      refused=own.value)
    signal.refresh_from_db()
    assert signal.status == "explained" and signal.steps.count() == 2
    for user in (world.user("board"), world.user("admin")):
        assert services.can_decide(user, signal), user
    for role in ("inspector", "staff", "outsider"):
        assert not services.can_decide(world.user(role), signal), role
    services.signal_decide(signal=signal, user=world.user("board"), decision="accept",
                           text="Có lý do khách quan")
    assert signal.status == "accepted"


@pytest.mark.django_db
def test_the_head_named_for_a_unit_does_not_decide_it_unexplained_either(world):
    """Asked and silent past the due day, the head who answers for the unit still may not
    decide its signal (else keeping quiet would let them judge themself)."""
    signal = unit_signal(world)
    head, city = world.user("head"), _city_head(world)
    services.signal_request_explanation(signal=signal, user=city, text="Giải trình")
    let_due_day_pass(signal)
    assert not services.can_decide(head, signal)
    with pytest.raises(PermissionDeniedError) as refused:
        services.signal_decide(signal=signal, user=head, decision="accept", text="Có lý do")
    assert refused.value.service_code == "cannot_decide_own"
    services.signal_decide(signal=signal, user=city, decision="confirm",
                           text="Không giải trình")
    assert list(signal.steps.values_list("action", "late")) == [("request", False),
                                                               ("confirm", True)]


@pytest.mark.django_db
@pytest.mark.parametrize(("named", "judges", "not_judges"), [
    # about the unit itself: above it only, the board included
    (None, ["HN.HEAD", "HN.DEP", "BOARD"], ["CG.HEAD", "CG.DEP"]),
    ("CG.DEP", ["CG.HEAD", "HN.HEAD"], ["CG.DEP", "CG.DEP2", "BOARD"]),
    ("CG.HEAD", ["HN.HEAD", "BOARD"], ["CG.HEAD", "CG.DEP", "CG.DEP2"]),
    ("CG.OFF", ["CG.HEAD", "CG.DEP", "CG.DEP2", "HN.HEAD"], ["CG.OFF", "BOARD"]),
], ids=["the-unit", "a-deputy", "the-head", "staff"])
def test_a_signal_is_asked_about_and_decided_by_someone_above_whoever_answers(
        world, named, judges, not_judges):
    """In the unit the signal is about, a leader judges only someone they rank above: the
    head a deputy or staff, a deputy staff; a signal about the unit itself, or naming its
    head, goes above the unit, where the organisation board judges too (it does not judge
    in the leaders' place otherwise). Asking and deciding follow the one rule; who is
    refused learns why, and nothing is written."""
    users = {"CG.HEAD": world.user("head"), "CG.DEP": world.user("deputy"),
             "BOARD": world.user("board"),
             "HN.HEAD": _city_head(world),
             "CG.DEP2": member(world, "CG.DEP2", unit="HN.CG", position="deputy"),
             "CG.OFF": member(world, "CG.OFF", unit="HN.CG", position="staff"),
             "HN.DEP": member(world, "HN.DEP", unit="HN", position="deputy")}
    signal = unit_signal(world, official=named)
    for code in judges:
        assert services.can_request(users[code], signal), code
    for code in not_judges:
        assert not services.can_request(users[code], signal), code
        with pytest.raises(PermissionDeniedError) as refused:
            services.signal_request_explanation(signal=signal, user=users[code], text="?")
        assert refused.value.service_code == "cannot_request"
    assert signal.steps.count() == 0
    services.signal_request_explanation(signal=signal, user=users[judges[0]], text="Vì sao?")
    let_due_day_pass(signal)
    for code in judges:
        assert services.can_decide(users[code], signal), code
    for code in not_judges:
        assert not services.can_decide(users[code], signal), code
        with pytest.raises(PermissionDeniedError):
            services.signal_decide(signal=signal, user=users[code], decision="confirm",
                                   text="Vi phạm")
    assert signal.steps.count() == 1


@pytest.mark.django_db
def test_a_unit_without_a_head_answers_through_its_deputies(world):
    """While HN.CG has no head, its deputy answers for the unit's signal: asked (and told),
    explains; the overdue job tells them too. Decided above the unit."""
    from thuocdo.org.models import Membership

    Membership.objects.filter(official=world.officials["CG.HEAD"], unit=world.units["HN.CG"]
                              ).update(end=_today() - dt.timedelta(days=1))
    signal = unit_signal(world)
    deputy, city = world.user("deputy"), _city_head(world)
    assert not services.can_request(deputy, signal)
    services.signal_request_explanation(signal=signal, user=city, text="Vì sao im lặng?")
    asked = Notification.objects.filter(kind="signal", recipient=world.officials["CG.DEP"])
    assert asked.count() == 1
    let_due_day_pass(signal)
    assert services.explanations_overdue_notify() == 2  # the city's head and the deputy
    assert asked.count() == 2
    assert services.can_explain(deputy, signal) and not services.can_decide(deputy, signal)
    services.signal_explain(signal=signal, user=deputy, text="Đơn vị chưa có người đứng đầu")
    assert signal.status == "explained"
    services.signal_decide(signal=signal, user=city, decision="accept", text="Có lý do")
    assert signal.status == "accepted"


@pytest.mark.django_db
def test_explanations_requested_before_due_days_existed_get_the_default(world):
    """The data migration: a request stored without a due day gets the setting's working
    days after the day it was made; one with a due day keeps it."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "thuocdo.accountability.migrations.0003_explanation_due_of_earlier_requests")
    old, kept = (refresh_for(late_task(world, code=code)) for code in ("T-OLD", "T-KEPT"))
    for signal in (old, kept):
        services.signal_request_explanation(signal=signal, user=world.user("head"), text="?")
    asked = dt.datetime(2026, 2, 11, 9, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    old.steps.update(at=asked)
    SignalRecord.objects.filter(pk=old.pk).update(explanation_due=None)
    kept_due = kept.explanation_due
    migration.forwards(apps, None)
    old.refresh_from_db()
    kept.refresh_from_db()
    # 11/02/2026, a Wednesday: Tết 2026 (14–22/02 off, the Government's calendar) is skipped
    assert old.explanation_due == work_calendar(years=[2026]).add_workdays(
        dt.date(2026, 2, 11), 5)
    assert old.explanation_due > dt.date(2026, 2, 22)
    assert kept.explanation_due == kept_due

"""Forwarding a case: a unit new to it gets a fresh reply deadline; a unit that already held
it does not (THUOCDO_FEEDBACK_FORWARD_BACK_FRESH_DEADLINE, default false), so sending a late
case back and forth never wipes out its lateness. The log records whether the case was
overdue at each forward, and the service index counts a late forward late."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from django.utils import timezone

from thuocdo.citizens import selectors, services
from thuocdo.citizens.choices import FeedbackEventKind
from thuocdo.core.scope import scope_for

from . import factories

pytestmark = pytest.mark.django_db
OCTOBER = {"period_start": dt.date(2026, 10, 1), "period_end": dt.date(2026, 10, 31)}


def _days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def at(day: str, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(f"{day}T{hour:02d}:00"))


def _forward(world, case, to: str, now: dt.datetime):
    return services.feedback_forward(
        user=None,
        actor=world.officials["CG.HEAD"],
        feedback=case,
        to_unit=world.units[to],
        reason="Không thuộc thẩm quyền",
        now=now,
    )


@pytest.fixture
def bounced(world):
    """Received 40 days ago by HN.CG.VP, forwarded to HN.CG.DV in time (a fresh deadline,
    21 days ago), and sent back to HN.CG.VP 5 days ago, long after DV's deadline."""
    case = factories.feedback(world, "PA-PP", unit="HN.CG.VP", submitted_at=_days_ago(40))
    case = _forward(world, case, "HN.CG.DV", _days_ago(35))
    dv_due = case.reply_due
    assert dv_due > timezone.localdate(_days_ago(35)), "a unit new to the case: fresh"
    assert dv_due < timezone.localdate(_days_ago(5))
    return _forward(world, case, "HN.CG.VP", _days_ago(5)), dv_due


def test_a_case_sent_back_to_a_unit_that_held_it_keeps_its_deadline_and_stays_late(
    world, client_for, bounced
):
    """The reviewer's bounce: the case came back overdue and its lateness vanished from the
    inbox (tag, filter). Now it keeps the deadline it had, and stays late."""
    case, dv_due = bounced
    assert case.reply_due == dv_due
    assert case.overdue_on(timezone.localdate())
    head = client_for(world.users["head"])
    assert "PA-PP" in head.get("/citizens/?overdue=1").content.decode()
    page = head.get("/citizens/feedback/PA-PP/").content.decode()
    assert "tag--open_overdue" in page


def test_the_forward_records_the_deadline_before_and_whether_it_had_passed(world, bounced):
    case, dv_due = bounced
    first, back = case.events.filter(kind=FeedbackEventKind.FORWARD).order_by("seq")
    assert (first.data["overdue"], first.data["fresh_deadline"]) == (False, True)
    assert first.data["reply_due"] == dv_due.isoformat()
    assert (back.data["overdue"], back.data["fresh_deadline"]) == (True, False)
    assert back.data["previous_reply_due"] == back.data["reply_due"] == dv_due.isoformat()


def test_the_setting_gives_a_unit_that_held_the_case_a_fresh_deadline(world, settings):
    settings.THUOCDO_FEEDBACK_FORWARD_BACK_FRESH_DEADLINE = True
    case = factories.feedback(world, "PA-PP", unit="HN.CG.VP", submitted_at=_days_ago(40))
    case = _forward(world, case, "HN.CG.DV", _days_ago(35))
    case = _forward(world, case, "HN.CG.VP", _days_ago(5))
    assert not case.overdue_on(timezone.localdate())
    back = case.events.filter(kind=FeedbackEventKind.FORWARD).order_by("seq").last()
    assert (back.data["overdue"], back.data["fresh_deadline"]) == (True, True)


def test_a_forward_to_the_unit_first_concerned_is_a_forward_back(world):
    """The unit first concerned held the case, though no forward went to it before."""
    case = factories.feedback(world, "PA-FC", unit="HN.CG.VP", submitted_at=_days_ago(40))
    case = _forward(world, case, "HN.CG.DV", _days_ago(35))
    case = _forward(world, case, "HN.CG", _days_ago(30))  # new: fresh
    fresh = case.reply_due
    case = _forward(world, case, "HN.CG.VP", _days_ago(2))
    assert case.reply_due == fresh


@pytest.fixture
def late_forward(world):
    """Received by HN.CG.VP on 01/09/2026, forwarded to HN.CG.DV on 01/10 (long after its
    reply deadline); DV answers on 05/10, within the fresh deadline it got, closes it and
    the submitter is satisfied."""
    case = factories.feedback(world, "PA-LF", unit="HN.CG.VP", submitted_at=at("2026-09-01"))
    missed = case.reply_due
    assert missed < dt.date(2026, 10, 1)
    case = _forward(world, case, "HN.CG.DV", at("2026-10-01"))
    dv_head = world.officials["DV.HEAD"]
    case = services.feedback_reply(
        user=None, actor=dv_head, feedback=case, answer="Đã xử lý xong.", now=at("2026-10-05")
    )
    case = services.feedback_close(user=None, actor=dv_head, feedback=case, now=at("2026-10-06"))
    services.feedback_rate(feedback=case, rating="satisfied", now=at("2026-10-07"))
    return world


def _rates(world, unit: str):
    return selectors.service_index(
        scope=scope_for(world.users["admin"]), unit=world.units[unit], **OCTOBER
    ).rates


def test_the_index_counts_a_case_forwarded_late_as_answered_late(late_forward):
    """The district's index: the case was late while its office held it; a forward inside
    the district does not make it on time (before: answered on time, 1/1)."""
    rates = _rates(late_forward, "HN.CG")
    assert rates.feedback_on_time == Fraction(0)
    assert rates.feedback_satisfaction == Fraction(0)  # late, though satisfied


def test_the_unit_that_forwarded_late_counts_the_case_as_handled_late(late_forward):
    """The office passed the case on after its deadline: handled late there (before: the
    case was in no index of the office at all)."""
    rates = _rates(late_forward, "HN.CG.VP")
    assert rates.feedback_on_time == Fraction(0)
    assert dict(rates.counts)["feedback_answered"] == 1
    assert rates.feedback_satisfaction is None  # it was not closed there


def test_the_unit_that_received_it_is_judged_on_its_fresh_deadline(late_forward):
    rates = _rates(late_forward, "HN.CG.DV")
    assert rates.feedback_on_time == Fraction(1)
    assert rates.feedback_satisfaction == Fraction(1)


def test_a_forward_in_time_leaves_nothing_with_the_unit_that_forwarded(world):
    case = factories.feedback(world, "PA-OK", unit="HN.CG.VP", submitted_at=at("2026-10-01"))
    _forward(world, case, "HN.CG.DV", at("2026-10-02"))
    assert _rates(world, "HN.CG.VP").feedback_on_time is None
    assert _rates(world, "HN.CG").feedback_on_time == Fraction(0)  # DV: open, past due


def test_the_forward_page_says_whether_the_deadline_is_fresh_or_kept(world, client_for,
                                                                      settings):
    """The walker's bounce was answered "Done." only: the page now says which deadline the
    receiving unit has, fresh for a unit new to the case, kept for one that held it."""
    from django.contrib.messages import get_messages
    from django.urls import reverse

    settings.LANGUAGE_CODE = "en"
    case = factories.feedback(world, "PA-MSG", unit="HN.CG.VP", submitted_at=_days_ago(40))
    client = client_for(world.user("head"))
    url = reverse("citizens:feedback_act", kwargs={"kind": "forward", "code": case.code})

    def forward(to: str) -> str:
        response = client.post(url, {"to_unit": to, "reason": "Không thuộc thẩm quyền"})
        assert response.status_code == 302
        return " ".join(str(m) for m in get_messages(response.wsgi_request))

    said = forward("HN.CG.DV")
    case.refresh_from_db()
    day = case.reply_due.strftime("%d/%m/%Y")
    assert "its reply deadline is " + day in said and "stays" not in said
    said = forward("HN.CG.VP")
    assert "which held the case before: the reply deadline stays " + day in said


def test_the_timeline_says_which_deadline_each_forward_left(world, client_for, client,
                                                            settings, bounced):
    """The forward page said whether the deadline was kept, the case's timeline did not:
    now each forward's line says so, on the staff page and on the public one, with the
    deadline (fresh for a unit new to the case, kept for one that held it before)."""
    settings.LANGUAGE_CODE = "en"
    case, dv_due = bounced
    day = dv_due.strftime("%d/%m/%Y")
    first, back = case.events.filter(kind=FeedbackEventKind.FORWARD).order_by("seq")
    assert first.forward_deadline == (True, dv_due)
    assert back.forward_deadline == (False, dv_due)
    fresh = f"New reply deadline: {day}."
    kept = f"Sent back to a unit that held it before: the reply deadline stays {day}."
    staff = client_for(world.users["head"]).get(f"/citizens/feedback/{case.code}/")
    public = client.post("/phan-anh/tra-cuu/", {"code": case.code, "key": factories.KEY})
    for page in (staff.content.decode(), public.content.decode()):
        assert page.count(fresh) == page.count(kept) == 1, page
        assert page.index(fresh) < page.index(kept), "each on its forward's line, in order"


def test_a_forward_logged_without_its_deadline_rule_says_nothing_of_it(world):
    """An event logged before forwards recorded `fresh_deadline` (or imported without
    it): no guess."""
    case = factories.feedback(world, "PA-OLD", unit="HN.CG.VP", submitted_at=_days_ago(10))
    event = _forward(world, case, "HN.CG.DV", _days_ago(5)).events.get(
        kind=FeedbackEventKind.FORWARD)
    del event.data["fresh_deadline"]
    assert event.forward_deadline is None
    assert case.events.exclude(kind=FeedbackEventKind.FORWARD).first().forward_deadline is None

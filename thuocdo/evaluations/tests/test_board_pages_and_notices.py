"""Findings of the user review of the pages and the notifications: the period page lists the
agency heads' cards waiting for the caller's approval; the ranking links to the review of
each unit below that the caller may review; the lock is offered only when the service
accepts it (else the page says when the appeal window ends), and the appeal only within
the window; the grades' publication, an appeal filed or decided, and a grade moved by the
quota after an accepted appeal notify those concerned, in the transaction of the change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from thuocdo.accounts import services as accounts
from thuocdo.core.errors import ServiceError
from thuocdo.core.models import AuditEntry
from thuocdo.core.scope import scope_for
from thuocdo.core.templatetags.periods import period_name
from thuocdo.evaluations import selectors, services
from thuocdo.evaluations.choices import PeriodStatus
from thuocdo.evaluations.models import Period, ScoreCard
from thuocdo.notifications import selectors as inbox
from thuocdo.notifications.choices import NotificationKind
from thuocdo.notifications.models import Notification
from thuocdo.org import services as org
from thuocdo.org.models import Membership, Official, Unit

from .helpers import quota_case_under_review
from .test_services import LABEL, _review_everything, card

PASSWORD = "Thuocdo-test-2026"


@pytest.fixture
def scored(world):
    period = services.period_open(actor=world.user("board"), label=LABEL)
    services.period_score(actor=world.user("board"), period=period)
    return Period.objects.get(pk=period.pk)


@pytest.fixture
def reviewed(world, scored):
    _review_everything(world, scored)
    return Period.objects.get(pk=scored.pk)


def _approve_all(world, period):
    for agency in ("HN.CG", "HN.CG.DV", "HN.BD"):
        services.agency_approve(actor=world.user("admin"), period=period,
                                agency=world.units[agency])


@pytest.fixture
def approved(world, reviewed):
    _approve_all(world, reviewed)
    reviewed.refresh_from_db()
    assert reviewed.status == PeriodStatus.APPROVED
    return reviewed


def _evaluation_notes(**filters):
    return Notification.objects.filter(kind=NotificationKind.EVALUATION, **filters)


# -- 1. the heads' cards waiting for approval on the period page ---------------------------


def _heads_cards(client, period) -> list[str]:
    response = client.get(period.get_absolute_url())
    assert response.status_code == 200
    return [row["card"].official.code for row in response.context["heads_cards"]]


def response_counts(client, period) -> tuple[int, int]:
    """The period page's count of the heads' cards waiting for their review, and for the
    caller's approval."""
    context = client.get(period.get_absolute_url()).context
    return context["heads_to_review"], context["heads_to_approve"]


def test_the_period_page_lists_the_heads_cards_for_whoever_approves_them(world, reviewed,
                                                                          client_for):
    """The board over HN.CG approves the cards of the heads of HN.CG and of the commune
    below; the head of HN.CG approves the commune head's card, not their own; staff and
    the deputy approve none: no list."""
    period = reviewed
    client = client_for(world.user("board"))
    assert _heads_cards(client, period) == ["CG.HEAD", "DV.HEAD"]
    page = client.get(period.get_absolute_url()).content.decode()
    for code in ("CG.HEAD", "DV.HEAD"):
        assert reverse("evaluations:card_detail",
                       kwargs={"label": LABEL, "official": code}) in page
    assert reverse("evaluations:unit_ranking", kwargs={"label": LABEL, "code": "HN.CG"}) in page
    assert 'id="heads-heading"' in page
    # reviewed: both wait for the board's approval (test_card_pages_review: the drafts)
    assert response_counts(client, period) == (0, 2), "counted by what they wait for"
    assert _heads_cards(client_for(world.user("head")), period) == ["DV.HEAD"]
    # and Ba Đình, which has neither head nor deputy: its cards are left for the level above
    assert _heads_cards(client_for(world.user("admin")), period) == [
        "BD.STAFF", "CG.HEAD", "DV.HEAD"]
    for role in ("deputy", "staff", "inspector", "outsider"):
        response = client_for(world.user(role)).get(period.get_absolute_url())
        assert response.context["heads_cards"] == []
        assert 'id="heads-heading"' not in response.content.decode()
    # each listed card is one the caller may approve, and only those
    board = scope_for(world.user("board"))
    assert all(selectors.can_approve(board, c)
               for c in selectors.heads_cards_to_approve(scope=board, period=period))


def test_the_list_empties_once_the_heads_cards_are_approved(world, reviewed, client_for):
    period = reviewed
    services.agency_approve(actor=world.user("board"), period=period,
                            agency=world.units["HN.CG"])
    assert card("CG.HEAD").status == card("DV.HEAD").status == "approved"
    response = client_for(world.user("board")).get(period.get_absolute_url())
    assert response.context["heads_cards"] == []
    assert 'id="heads-heading"' not in response.content.decode()


def test_no_heads_cards_are_listed_outside_the_review(world, scored, client_for):
    response = client_for(world.user("board")).get(scored.get_absolute_url())
    assert scored.status == PeriodStatus.SCORING
    assert response.context["heads_cards"] == []


# -- 2. the ranking links to the review of the units below --------------------------------


@pytest.mark.parametrize("role", ["admin", "head", "deputy", "board", "inspector"])
def test_the_ranking_links_to_the_reviews_the_caller_may_open(world, scored, client_for,
                                                              role):
    """A unit below is linked exactly when its review page opens for the caller (the same
    rule as the review screen): the head and deputy of HN.CG review the division and the
    commune's head; the board and the inspector review nobody: no link."""
    services.period_start_review(actor=world.user("board"), period=scored)
    client = client_for(world.user(role))
    response = client.get(reverse("evaluations:unit_ranking",
                                  kwargs={"label": LABEL, "code": "HN.CG"}))
    assert response.status_code == 200
    linked = [row["unit"].code for row in response.context["review_units"]]
    page = response.content.decode()
    opens = []
    for code in ("HN.CG.VP", "HN.CG.DV"):
        url = reverse("evaluations:unit_review", kwargs={"label": LABEL, "code": code})
        if client.get(url).status_code == 200:
            opens.append(code)
            assert f'href="{url}"' in page
        else:
            assert f'href="{url}"' not in page
    assert sorted(linked) == sorted(opens)
    expected = {"admin": {"HN.CG.VP", "HN.CG.DV"}, "head": {"HN.CG.VP", "HN.CG.DV"},
                "deputy": {"HN.CG.VP", "HN.CG.DV"}, "board": set(), "inspector": set()}
    assert set(linked) == expected[role]


def test_the_links_say_how_many_cards_wait_for_the_review(world, scored, client_for):
    services.period_start_review(actor=world.user("board"), period=scored)
    response = client_for(world.user("head")).get(reverse(
        "evaluations:unit_ranking", kwargs={"label": LABEL, "code": "HN.CG"}))
    counts = {row["unit"].code: row["to_review"] for row in response.context["review_units"]}
    assert counts == {"HN.CG.VP": 2, "HN.CG.DV": 1}


# -- 3. the lock is offered only when it is accepted ----------------------------------------


def _lock_url() -> str:
    return reverse("evaluations:period_act", kwargs={"label": LABEL, "action": "lock"})


def test_a_zero_day_window_runs_to_the_end_of_the_day(world, approved, client_for):
    """Published with 0 days for appeals: appeals are accepted to the end of today, so the
    lock is refused today and not offered; the page says when the window ends. The next
    day the lock is offered, and accepted."""
    period = services.period_publish(actor=world.user("board"), period=approved,
                                     appeal_days=0)
    today = timezone.localdate()
    assert period.appeal_until == today
    client = client_for(world.user("board"))
    response = client.get(period.get_absolute_url())
    page = response.content.decode()
    assert not response.context["can_lock"]
    assert _lock_url() not in page
    note = response.context["lock_note"]
    assert today.strftime("%d/%m/%Y") in note and "23:59" in note
    assert (today + dt.timedelta(days=1)).strftime("%d/%m/%Y") in note
    assert note in page
    with pytest.raises(ServiceError) as error:  # the service's refusal is unchanged
        services.period_lock(actor=world.user("board"), period=period)
    assert error.value.service_code == "appeal_window_open"
    # the window is over
    Period.objects.filter(pk=period.pk).update(appeal_until=today - dt.timedelta(days=1))
    response = client.get(period.get_absolute_url())
    assert response.context["can_lock"] and _lock_url() in response.content.decode()
    assert client.post(_lock_url()).status_code == 302
    assert Period.objects.get(pk=period.pk).status == PeriodStatus.LOCKED


def test_a_pending_appeal_keeps_the_lock_from_being_offered(world, approved, client_for):
    period = services.period_publish(actor=world.user("board"), period=approved,
                                     appeal_days=3)
    services.appeal_file(actor=world.user("staff"), card=card("CG.STAFF"), reason="Chưa đúng")
    Period.objects.filter(pk=period.pk).update(
        appeal_until=timezone.localdate() - dt.timedelta(days=1))
    response = client_for(world.user("board")).get(period.get_absolute_url())
    assert not response.context["can_lock"]
    refusal = services.lock_refusal(Period.objects.get(pk=period.pk))
    assert refusal.service_code == "appeals_pending"
    assert response.context["lock_note"] == refusal.service_message
    assert _lock_url() not in response.content.decode()


def test_the_appeal_is_offered_only_within_the_window(world, approved, client_for):
    period = services.period_publish(actor=world.user("board"), period=approved,
                                     appeal_days=0)
    url = reverse("evaluations:card_detail", kwargs={"label": LABEL, "official": "CG.STAFF"})
    appeal = reverse("evaluations:appeal_create",
                     kwargs={"label": LABEL, "official": "CG.STAFF"})
    client = client_for(world.user("staff"))
    response = client.get(url)
    assert response.context["can_appeal"] and appeal in response.content.decode()
    closed = timezone.localdate() - dt.timedelta(days=1)
    Period.objects.filter(pk=period.pk).update(appeal_until=closed)
    response = client.get(url)
    assert not response.context["can_appeal"]
    assert appeal not in response.content.decode()
    assert closed.strftime("%d/%m/%Y") in response.context["appeal_closed"]


# -- 4. notifications -----------------------------------------------------------------------


def test_publishing_tells_every_official_their_grade(world, approved):
    period = services.period_publish(actor=world.user("board"), period=approved,
                                     appeal_days=10, on=dt.date(2026, 11, 2))
    cards = list(ScoreCard.objects.filter(period=period).select_related("official"))
    notes = {n.recipient_id: n for n in _evaluation_notes(
        key__startswith=f"evaluation:published:{period.pk}:")}
    assert set(notes) == {c.official_id for c in cards}
    for c in cards:
        note = notes[c.official_id]
        assert note.url == reverse("evaluations:card_detail",
                                   kwargs={"label": LABEL, "official": c.official.code})
        # a card without a grade says why instead of "—" (test_procedure_review2)
        assert (c.grade in note.body if c.grade else "—" not in note.body)
        assert "12/11/2026" in note.body
        assert note.task_id is None and note.read_at is None
    # the official reads it through their user account
    staff = inbox.notification_list(scope=scope_for(world.user("staff")))
    published = notes[world.officials["CG.STAFF"].pk]
    assert published.pk in [n.pk for n in staff] and staff[0].url == published.url


def test_an_appeal_is_told_to_those_who_decide_it(world, approved):
    """The head of the agency and a member of the board over it whose account is an
    official's are told; not the appellant, the deputy or the board member without an
    official (who has no inbox)."""
    clerk = org.official_create(code="SNV.TC", name="Vũ Thị Hoa", email="snv.tc@example.vn")
    org.membership_start(official=clerk, unit=world.units["HN.SNV.TCCB"], position="staff",
                         start=dt.date(2026, 1, 1))
    board_clerk = accounts.user_create(email="tc@example.vn", password=PASSWORD,
                                       official=clerk)
    accounts.scope_grant(user=board_clerk, role="board", unit=world.units["HN.CG"],
                         start=dt.date(2026, 1, 1))
    period = services.period_publish(actor=world.user("board"), period=approved,
                                     appeal_days=10)
    Notification.objects.all().delete()  # the publication's
    appeal = services.appeal_file(actor=world.user("staff"), card=card("CG.STAFF"),
                                  reason="Báo cáo chậm do chờ số liệu")
    notes = list(_evaluation_notes().select_related("recipient"))
    assert {n.recipient.code for n in notes} == {"CG.HEAD", "SNV.TC"}
    url = reverse("evaluations:appeal_decide", kwargs={"pk": appeal.pk})
    assert all(n.url == url and n.body == "Báo cáo chậm do chờ số liệu" for n in notes)
    for user in (world.user("head"), board_clerk):  # the same rule as the decision
        assert services.can_decide_appeal(scope_for(user), card("CG.STAFF"))
    assert not services.can_decide_appeal(scope_for(world.user("deputy")), card("CG.STAFF"))
    assert period.status == PeriodStatus.PUBLISHED


@pytest.mark.parametrize("accepted", [True, False])
def test_the_appellant_is_told_the_decision(world, approved, accepted):
    services.period_publish(actor=world.user("board"), period=approved, appeal_days=10)
    appeal = services.appeal_file(actor=world.user("staff"), card=card("CG.STAFF"),
                                  reason="Tôi đã hoàn thành đủ việc")
    Notification.objects.all().delete()
    services.appeal_decide(actor=world.user("head"), appeal=appeal, accepted=accepted,
                           reason="Đã xem xét hồ sơ",
                           general_points=30 if accepted else None)
    (note,) = _evaluation_notes()
    assert note.recipient_id == world.officials["CG.STAFF"].pk
    assert note.url == reverse("evaluations:appeal_decide", kwargs={"pk": appeal.pk})
    assert "Đã xem xét hồ sơ" in note.body
    title = (gettext("Your appeal on %(p)s was accepted") if accepted
             else gettext("Your appeal on %(p)s was rejected")) % {"p": period_name(LABEL)}
    assert note.title == title
    recomputed = gettext("Your card was computed again: %(total)s points, grade %(grade)s.")
    assert (recomputed.split("%")[0] in note.body) is accepted, "the card after a correction"


def test_an_appeal_accepted_with_the_same_general_criteria_says_the_card_stays(world,
                                                                             approved):
    """Given again the general criteria the card had, it is no correction: nothing is
    written or computed again (re-scoring reads today's data and decides the quota again),
    and the appellant, told before "your card was computed again", is told it stays."""
    services.period_publish(actor=world.user("board"), period=approved, appeal_days=10)
    before = card("CG.STAFF")
    appeal = services.appeal_file(actor=world.user("staff"), card=before,
                                  reason="Tôi đã hoàn thành đủ việc")
    Notification.objects.all().delete()
    audited = AuditEntry.objects.filter(action="assessment.set").count()
    services.appeal_decide(actor=world.user("head"), appeal=appeal, accepted=True,
                           reason="Giữ nguyên", general_points=before.general_points)
    after = card("CG.STAFF")
    assert (after.total, after.grade, after.data) == (before.total, before.grade, before.data)
    assert AuditEntry.objects.filter(action="assessment.set").count() == audited
    (note,) = _evaluation_notes()
    recomputed = gettext("Your card was computed again: %(total)s points, grade %(grade)s.")
    stays = gettext("The general criteria stay as they were, and so does your card: "
                    "%(total)s points, grade %(grade)s.")
    assert recomputed.split("%")[0] not in note.body
    assert stays.split("%")[0] in note.body


def test_a_refused_decision_tells_nobody(world, approved):
    """The decision is refused inside its transaction (the re-scored card would be worse:
    the appellant's membership, corrected since, no longer places them in the period): no
    notification is left, as no decision is."""
    services.period_publish(actor=world.user("board"), period=approved, appeal_days=10)
    appeal = services.appeal_file(actor=world.user("staff"), card=card("CG.STAFF"),
                                  reason="Tôi đã hoàn thành đủ việc")
    Membership.objects.filter(official=world.officials["CG.STAFF"]).update(
        start=dt.date(2026, 12, 1))
    before = set(Notification.objects.values_list("pk", flat=True))
    with pytest.raises(ServiceError):
        services.appeal_decide(actor=world.user("head"), appeal=appeal, accepted=True,
                               reason="Chấp nhận", general_points=28)
    assert set(Notification.objects.values_list("pk", flat=True)) == before
    assert not AuditEntry.objects.filter(action="card.grade").exists()


@pytest.fixture
def quota_published(db):
    """Golden case 06 (three candidates for HTXS in HN.CG, CB201 keeps it), reviewed,
    approved and published by the administrator; CB105 (84, HTT) and CB201 can log in."""
    period, admin = quota_case_under_review()
    for c in ScoreCard.objects.filter(period=period, general_points__isnull=True):
        leader = {"organising": 1, "uniting": 1} if c.position == "head" else {}
        services.assessment_set(actor=admin, period=period, official=c.official,
                                general_points=30, **leader)
    units = Unit.objects.filter(pk__in=ScoreCard.objects.filter(period=period)
                                .values("unit")).order_by("-lft")
    for unit in units:
        services.unit_review(actor=admin, period=period, unit=unit)
    for unit in units:
        if unit.is_agency:
            services.agency_approve(actor=admin, period=period, agency=unit)
    period.refresh_from_db()
    assert period.status == PeriodStatus.APPROVED
    services.period_publish(actor=admin, period=period, appeal_days=10)
    users = {code: accounts.user_create(email=f"{code.lower()}@example.vn", password=PASSWORD,
                                        official=Official.objects.get(code=code))
             for code in ("CB105", "CB201")}
    return Period.objects.get(pk=period.pk), admin, users


def test_a_grade_moved_by_the_quota_after_an_appeal_is_told_and_recorded(quota_published):
    """CB105's appeal is accepted with the full general criteria: 100 points, HTXS, first of
    the candidates. The quota then moves CB201 from HTXS down to HTT: CB201 is told, and the
    audit trail has the change with the appeal as its reason. CB202 and CB203, HTT before and
    after, are not told."""
    _period, admin, users = quota_published
    grades = dict(ScoreCard.objects.values_list("official__code", "grade"))
    assert grades["CB201"] == "HTXS" and grades["CB105"] == "HTT"
    appeal = services.appeal_file(actor=users["CB105"],
                                  card=ScoreCard.objects.get(official__code="CB105"),
                                  reason="Tiêu chí chung chấm thiếu")
    Notification.objects.all().delete()
    services.appeal_decide(actor=admin, appeal=appeal, accepted=True,
                           reason="Đủ căn cứ", general_points=30)
    after = dict(ScoreCard.objects.values_list("official__code", "grade"))
    assert after["CB105"] == "HTXS" and after["CB201"] == "HTT"
    moved = {code for code in grades if code != "CB105" and grades[code] != after[code]}
    assert moved == {"CB201"}
    notes = list(_evaluation_notes().select_related("recipient"))
    assert {n.recipient.code for n in notes} == {"CB105", "CB201"}
    (note,) = [n for n in notes if n.recipient.code == "CB201"]
    assert "HTXS" in note.title and "HTT" in note.title
    assert note.url == reverse("evaluations:card_detail",
                               kwargs={"label": "2026-10", "official": "CB201"})
    assert "CB105" not in note.title + note.body, "the appellant is not named to others"
    assert [n.pk for n in inbox.notification_list(scope=scope_for(users["CB201"]))] \
        == [note.pk]
    (entry,) = AuditEntry.objects.filter(action="card.grade")
    assert entry.object_code == "2026-10/CB201" and entry.actor == admin
    assert entry.changes == {"grade": ["HTXS", "HTT"], "appeal": appeal.pk}
    assert str(appeal.pk) in entry.reason and "CB105" in entry.reason
    decision = AuditEntry.objects.get(action="appeal.decide")
    assert decision.changes["grades_moved"] == {"CB201": ["HTXS", "HTT"]}


def _appeal_of(user, code: str, reason: str = "Xin xem lại"):
    return services.appeal_file(actor=user, card=ScoreCard.objects.get(official__code=code),
                                reason=reason)


def test_a_grade_moved_by_an_appeal_may_be_appealed_after_the_window(quota_published):
    """CB105's appeal, accepted after the period's window closed, moves CB201 from HTXS to
    HTT: CB201 never had a say. CB201 may appeal the new grade for APPEAL_DAYS days from
    the decision (told so), even after an appeal of their own decided before the move;
    the period cannot be locked meanwhile, and can afterwards."""
    period, admin, users = quota_published
    rejected = _appeal_of(users["CB201"], "CB201", "Chấm thiếu")
    services.appeal_decide(actor=admin, appeal=rejected, accepted=False, reason="Không đủ")
    appeal = _appeal_of(users["CB105"], "CB105", "Tiêu chí chung chấm thiếu")
    today = timezone.localdate()
    Period.objects.filter(pk=period.pk).update(appeal_until=today - dt.timedelta(days=1))
    services.appeal_decide(actor=admin, appeal=appeal, accepted=True, reason="Đủ căn cứ",
                           general_points=30)
    appeal.refresh_from_db()
    moved = ScoreCard.objects.get(official__code="CB201")
    assert moved.grade == "HTT" and moved.regraded_at == appeal.decided_at
    until = today + dt.timedelta(days=services.APPEAL_DAYS)
    assert services.card_appeal_until(moved) == until
    (note,) = _evaluation_notes().filter(recipient__code="CB201", title__contains="HTT")
    assert until.strftime("%d/%m/%Y") in note.body
    period.refresh_from_db()
    # the period's window is over for everyone else, not for CB201
    assert services.appeal_refusal(period, card=ScoreCard.objects.get(
        official__code="CB202")).service_code == "appeal_window_closed"
    assert services.appeal_refusal(period, card=moved) is None
    assert services.second_appeal_refusal(moved) is None, "the new grade is not appealed yet"
    refused = services.lock_refusal(period)
    assert refused.service_code == "appeal_window_open"
    assert until.strftime("%d/%m/%Y") in str(refused)
    # the card's page offers CB201 the appeal
    client = Client()
    client.force_login(users["CB201"])
    page = client.get(reverse("evaluations:card_detail",
                              kwargs={"label": period.label, "official": "CB201"}))
    assert page.context["can_appeal"] and not page.context["appeal_closed"]
    again = _appeal_of(users["CB201"], "CB201", "Hạng bị hạ do kiến nghị của người khác")
    services.appeal_decide(actor=admin, appeal=again, accepted=False, reason="Đúng hạn mức")
    assert services.second_appeal_refusal(ScoreCard.objects.get(
        official__code="CB201")).service_code == "appeal_decided"
    later = until + dt.timedelta(days=1)
    assert services.appeal_refusal(period, card=moved, on=later).service_code == (
        "appeal_window_closed")
    assert until.strftime("%d/%m/%Y") in str(services.appeal_refusal(period, card=moved,
                                                                    on=later))
    assert services.lock_refusal(period, on=later) is None


def test_the_decider_is_told_whose_grade_moved_and_when_points_did_not_change(
        quota_published, client):
    """The decision's page says whose grade the quota moved (they may appeal it), and an
    acceptance with the general criteria the card already had does not say the card was
    computed again with corrected ones."""
    _period, admin, users = quota_published
    client.force_login(admin)
    appeal = _appeal_of(users["CB105"], "CB105", "Tiêu chí chung chấm thiếu")
    response = client.post(reverse("evaluations:appeal_decide", kwargs={"pk": appeal.pk}),
                           {"accepted": "1", "reason": "Đủ căn cứ", "general_points": "30"},
                           follow=True)
    (said,) = [str(m) for m in response.context["messages"]]
    name = Official.objects.get(code="CB201").name
    assert f"{name} (CB201): HTT" in said, said
    until = timezone.localdate() + dt.timedelta(days=services.APPEAL_DAYS)
    assert until.strftime("%d/%m/%Y") in said
    card202 = ScoreCard.objects.get(official__code="CB202")
    user202 = accounts.user_create(email="cb202@example.vn", password="x" * 12,
                                   official=card202.official)
    same = _appeal_of(user202, "CB202")
    response = client.post(reverse("evaluations:appeal_decide", kwargs={"pk": same.pk}),
                           {"accepted": "1", "reason": "Xem lại",
                            "general_points": str(card202.general_points)}, follow=True)
    (said,) = [str(m) for m in response.context["messages"]]
    assert gettext("The appeal was accepted; the general criteria given are those the card "
                   "had: the card stays as published.") == said


def test_an_appeal_changes_the_appellants_card_and_the_quota_only(quota_published):
    """After publication a discipline ground is recorded against CB202 and a new official
    joins HN.CG: neither is the appeal's business. Accepting CB105's appeal re-scores CB105
    and decides the quota again: CB202's card keeps its published content (it is not made
    KHT behind its back), no card is created or removed, every other card stays approved,
    and CB201's card changes only in the quota's outcome."""
    from thuocdo.org import services as org

    _period, admin, users = quota_published
    before = {c.official.code: (c.pk, c.data, c.status) for c in
              ScoreCard.objects.select_related("official")}
    services.ground_record(actor=admin, kind="discipline",
                           official=Official.objects.get(code="CB202"),
                           on=dt.date(2026, 10, 20), level="reprimand", reason="Khiển trách")
    newcomer = org.official_create(code="CB999", name="Người mới")
    org.membership_start(official=newcomer, unit=Unit.objects.get(code="HN.CG"),
                         position="staff", start=dt.date(2026, 10, 1))
    appeal = services.appeal_file(actor=users["CB105"],
                                  card=ScoreCard.objects.get(official__code="CB105"),
                                  reason="Tiêu chí chung chấm thiếu")
    services.appeal_decide(actor=admin, appeal=appeal, accepted=True, reason="Đủ căn cứ",
                           general_points=30)
    after = {c.official.code: (c.pk, c.data, c.status) for c in
             ScoreCard.objects.select_related("official")}
    assert set(after) == set(before)
    assert all(status == "approved" for _pk, _data, status in after.values())
    # CB202 is not made KHT behind its back (its quota decision is re-ranked: 4 candidates)
    assert after["CB202"][1]["grade"] == before["CB202"][1]["grade"] != "KHT"
    assert after["CB202"][1]["overrides"] == before["CB202"][1]["overrides"] == []
    quota_keys = {"grade", "quota_applied", "quota", "reasons"}
    for code in set(before) - {"CB105"}:
        old, new = before[code][1], after[code][1]
        assert {k: v for k, v in old.items() if k not in quota_keys} \
            == {k: v for k, v in new.items() if k not in quota_keys}, code
    assert after["CB201"][1]["grade"] == "HTT" and after["CB201"][1]["quota_applied"]
    assert after["CB105"][1]["general_points"] == 30


# -- the approval is offered only once every card it covers is reviewed -----------------------


def test_the_ranking_says_which_cards_wait_for_review_instead_of_offering_the_approval(
        world, scored, client_for, monkeypatch):
    """While a card the head would approve is still a draft, the approval is refused
    (`services.not_reviewed`): the page names those cards instead of offering it; once they
    are reviewed it offers the approval."""
    services.period_start_review(actor=world.user("board"), period=scored)
    url = reverse("evaluations:unit_ranking", kwargs={"label": LABEL, "code": "HN.CG"})
    approve = reverse("evaluations:agency_approve", kwargs={"label": LABEL, "code": "HN.CG"})
    client = client_for(world.user("head"))
    response = client.get(url)
    waits = response.context["approval_waits_for"]
    assert not response.context["can_approve"] and "CG.STAFF" in waits
    assert approve not in response.content.decode()
    with pytest.raises(ServiceError) as refused:
        services.agency_approve(actor=world.user("head"), period=scored,
                                agency=world.units["HN.CG"])
    assert refused.value.code == "not_reviewed"
    # the review already started: assess and review every unit, as the other tests do
    monkeypatch.setattr(services, "period_start_review", lambda **kwargs: None)
    _review_everything(world, Period.objects.get(pk=scored.pk))
    response = client.get(url)
    assert response.context["can_approve"] and not response.context["approval_waits_for"]
    assert approve in response.content.decode()

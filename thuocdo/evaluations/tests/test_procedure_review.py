"""Findings of the demo's review of the procedure: nobody approves their own card (the head's
is left for the level above or the board, and the page says so); an accepted appeal never
worsens the appellant's card; the appellant reads their own appeal; the card shows the
position in words and its points with two decimals; messages say when nothing was left to
review or approve, and whose review a re-scoring undid and why; a change of the quota's
outcome alone keeps a card's review (docs/scoring.md, "The procedure")."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.messages import constants as levels
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from thuocdo.accounts import services as accounts
from thuocdo.core.errors import PermissionDeniedError, ServiceError
from thuocdo.core.models import AuditEntry
from thuocdo.core.scope import scope_for
from thuocdo.evaluations import selectors, services, views
from thuocdo.evaluations.choices import AppealStatus, PeriodStatus
from thuocdo.evaluations.models import Appeal, Assessment, Period, ScoreCard
from thuocdo.org.choices import Position
from thuocdo.org.models import Membership, Official
from thuocdo.tasks.choices import EventKind

from .helpers import quota_case_under_review
from .test_services import LABEL, _review_everything, card

PASSWORD = "Thuocdo-test-2026"


@pytest.fixture
def reviewed(world):
    """2026-10 scored, every card assessed and reviewed (test_services' procedure)."""
    period = services.period_open(actor=world.user("board"), label=LABEL)
    services.period_score(actor=world.user("board"), period=period)
    _review_everything(world, period)
    return Period.objects.get(pk=period.pk)


def _messages(response) -> list[tuple[int, str]]:
    return [(m.level, str(m)) for m in response.context["messages"]]


def _ranking(label: str, code: str) -> str:
    return reverse("evaluations:unit_ranking", kwargs={"label": label, "code": code})


def _approve(label: str, code: str) -> str:
    return reverse("evaluations:agency_approve", kwargs={"label": label, "code": code})


# -- 1. nobody approves their own card ----------------------------------------------------


def test_nobody_approves_their_own_card(world, reviewed):
    """The head of HN.CG approves the agency's cards but their own, and the card of the
    head of the commune below; their own card is for the board over the agency (no head
    above in this world); the period is then approved."""
    period = reviewed
    services.agency_approve(actor=world.user("head"), period=period,
                            agency=world.units["HN.CG"])
    own = card("CG.HEAD")
    assert own.status == "reviewed" and own.approved_by is None
    assert card("CG.STAFF").approved_by == world.user("head")
    head, board, deputy = (scope_for(world.user(r)) for r in ("head", "board", "deputy"))
    assert not selectors.can_approve(head, card("CG.HEAD"))
    assert selectors.can_approve(head, card("CG.STAFF"))
    assert selectors.can_approve(head, card("DV.HEAD")), "the head of the level above"
    assert selectors.can_approve(board, card("CG.HEAD"))
    assert not selectors.can_approve(board, card("CG.STAFF")), "the board: heads' cards only"
    assert not selectors.can_approve(deputy, card("CG.STAFF"))
    assert card("DV.HEAD").approved_by == world.user("head")
    entry = AuditEntry.objects.filter(action="agency.approve").latest("pk")
    assert entry.changes["left_out"] == "CG.HEAD"
    assert "CG.HEAD" not in entry.changes["approved"]
    # again, nothing is left for the head: still not their own card
    assert services.agency_approve(actor=world.user("head"), period=period,
                                   agency=world.units["HN.CG"]) == 0
    assert card("CG.HEAD").status == "reviewed"
    with pytest.raises(PermissionDeniedError):
        services.agency_approve(actor=world.user("inspector"), period=period,
                                agency=world.units["HN.CG"])
    services.agency_approve(actor=world.user("admin"), period=period,
                            agency=world.units["HN.BD"])
    period.refresh_from_db()
    assert period.status == PeriodStatus.REVIEW, "the head's card is not approved yet"
    assert services.agency_approve(actor=world.user("board"), period=period,
                                   agency=world.units["HN.CG"]) == 1
    assert card("CG.HEAD").approved_by == world.user("board")
    period.refresh_from_db()
    assert period.status == PeriodStatus.APPROVED


def test_an_agency_whose_only_card_is_the_head_s_own(world, reviewed):
    """The head of a commune (made a user here) has only their own card in their agency:
    approving is refused with the reason, nothing written."""
    dv = accounts.user_create(email="dv.head@example.vn", password=PASSWORD,
                              official=world.officials["DV.HEAD"])
    with pytest.raises(ServiceError) as error:
        services.agency_approve(actor=dv, period=reviewed, agency=world.units["HN.CG.DV"])
    assert error.value.service_code == "own_card"
    assert card("DV.HEAD").status == "reviewed"


def test_the_ranking_says_the_own_card_is_left_out_and_for_whom(world, reviewed,
                                                               client_for):
    client = client_for(world.user("head"))
    page = client.get(_ranking(LABEL, "HN.CG"))
    note = views._own_left_out(card("CG.HEAD"))
    assert page.context["can_approve"] and page.context["own_left_out"] == note
    assert note in page.content.decode()
    with translation.override("en"):  # no head above HN.CG here: the board approves it
        assert "organisation board" in views._own_left_out(card("CG.HEAD"))
    response = client.post(_approve(LABEL, "HN.CG"), follow=True)
    said = _messages(response)
    assert (levels.SUCCESS, gettext("%(n)d cards approved.") % {"n": 4}) in said
    assert note not in [text for _level, text in said], "said once, by the banner"
    assert response.content.decode().count(note) == 1, "the page says whose card was left " \
        "out, for whom, once"
    after = client.get(_ranking(LABEL, "HN.CG"))
    assert not after.context["can_approve"], "nothing left to approve: no button"
    assert reverse("evaluations:agency_approve", kwargs={"label": LABEL, "code": "HN.CG"}) \
        not in after.content.decode()
    assert after.context["own_left_out"] == note, "the own card still waits"
    # the board sees the button for the heads' cards and approves the head's card
    board = client_for(world.user("board")).get(_ranking(LABEL, "HN.CG"))
    assert board.context["can_approve"] and not board.context["approves_agency"]
    client_for(world.user("board")).post(_approve(LABEL, "HN.CG"))
    assert card("CG.HEAD").status == "approved"


def test_the_name_of_the_head_above_is_given(world, reviewed):
    """With a head of the city, the note names them as the one who approves the district
    head's card."""
    from thuocdo.org import services as org

    mayor = org.official_create(code="HN.HEAD", name="Trần Văn Thành",
                                email="hn.head@example.vn")
    org.membership_start(official=mayor, unit=world.units["HN"], position="head",
                         start=dt.date(2025, 1, 1))
    note = views._own_left_out(card("CG.HEAD"))
    assert "Trần Văn Thành" in note and world.units["HN"].name in note
    user = accounts.user_create(email=mayor.email, password=PASSWORD, official=mayor)
    assert selectors.can_approve(scope_for(user), card("CG.HEAD"))
    assert not selectors.can_approve(scope_for(user), card("CG.STAFF"))


# -- 2. an accepted appeal never worsens the card ----------------------------------------


@pytest.fixture
def published(world, reviewed):
    period = reviewed
    for agency in ("HN.CG", "HN.CG.DV", "HN.BD"):
        services.agency_approve(actor=world.user("admin"), period=period,
                                agency=world.units[agency])
    period.refresh_from_db()
    assert period.status == PeriodStatus.APPROVED
    services.period_publish(actor=world.user("board"), period=period, appeal_days=10,
                            on=dt.date(2026, 11, 2))
    appeal = services.appeal_file(actor=world.user("staff"), card=card("CG.STAFF"),
                                  reason="Tôi đã hoàn thành đủ việc", on=dt.date(2026, 11, 3))
    return Period.objects.get(pk=period.pk), appeal


def _nothing_written(appeal: Appeal, before: list) -> None:
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.PENDING and not appeal.decision
    assert list(ScoreCard.objects.order_by("pk").values_list("data", "status")) == before
    assert not AuditEntry.objects.filter(action="appeal.decide").exists()


def test_accepting_an_appeal_cannot_lower_the_general_criteria(world, published):
    period, appeal = published
    assert card("CG.STAFF").general_points == 27
    before = list(ScoreCard.objects.order_by("pk").values_list("data", "status"))
    with pytest.raises(ServiceError) as error:
        services.appeal_decide(actor=world.user("head"), appeal=appeal, accepted=True,
                               reason="Chấp nhận một phần", general_points=26)
    assert (error.value.service_code, error.value.field) == ("appeal_worsens",
                                                              "general_points")
    assert "27,00" in error.value.service_message and "26,00" in error.value.service_message
    _nothing_written(appeal, before)
    assert Assessment.objects.get(period=period, official__code="CG.STAFF").general_points \
        == 27


def test_accepting_an_appeal_cannot_worsen_the_grade_on_re_scoring(world, published):
    """The appellant no longer placed in the period (their membership corrected since it
    was published) would have no card on re-scoring: the accepted appeal is refused, and
    nothing is written (the decision, the assessment, the cards)."""
    period, appeal = published
    Membership.objects.filter(official=world.officials["CG.STAFF"]).update(
        start=dt.date(2026, 12, 1))
    before = list(ScoreCard.objects.order_by("pk").values_list("data", "status"))
    with pytest.raises(ServiceError) as error:
        services.appeal_decide(actor=world.user("head"), appeal=appeal, accepted=True,
                               reason="Chấp nhận", general_points=28)
    assert (error.value.service_code, error.value.field) == ("appeal_worsens",
                                                              "general_points")
    _nothing_written(appeal, before)
    period.refresh_from_db()
    assert period.status == PeriodStatus.PUBLISHED


def _ground_after_publication(world):
    return services.ground_record(actor=world.user("board"),
                                  official=world.officials["CG.STAFF"],
                                  on=dt.date(2026, 10, 20), level="reprimand",
                                  reason="Vi phạm")


def _s14_after_publication(world):
    from .test_confirmed_signals import _s14

    return _s14(world, on=dt.date(2026, 10, 20))


@pytest.mark.parametrize("late", [_ground_after_publication, _s14_after_publication],
                         ids=["board-ground", "confirmed-s14"])
def test_an_appeal_re_scores_with_the_grounds_the_card_was_published_with(world, published,
                                                                           late):
    """A KHT ground dated in the period but recorded (or an S14 record confirmed) after
    publication is no business of the appeal: an approved period keeps its cards, so the
    re-scoring keeps the grounds the published card cites (none here) and only the
    correction changes the card: accepted, general criteria raised, not KHT."""
    period, appeal = published
    published_card = card("CG.STAFF")
    assert published_card.grade != "KHT" and published_card.data["overrides"] == []
    late(world)
    services.appeal_decide(actor=world.user("head"), appeal=appeal, accepted=True,
                           reason="Chấp nhận", general_points=29)
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.ACCEPTED
    after = card("CG.STAFF")
    assert after.general_points == 29 > published_card.general_points
    assert after.grade == published_card.grade != "KHT" and after.data["overrides"] == []
    period.refresh_from_db()
    assert period.status == PeriodStatus.PUBLISHED


def test_an_appeal_keeps_the_grounds_the_card_cites(world):
    """A ground the published card cites still applies on re-scoring: the card stays KHT,
    citing it, with the general criteria corrected."""
    ground = _ground_after_publication(world)  # recorded before scoring, here
    period = services.period_open(actor=world.user("board"), label=LABEL)
    services.period_score(actor=world.user("board"), period=period)
    _review_everything(world, period)
    for agency in ("HN.CG", "HN.CG.DV", "HN.BD"):
        services.agency_approve(actor=world.user("admin"), period=period,
                                agency=world.units[agency])
    services.period_publish(actor=world.user("board"), period=period, appeal_days=10,
                            on=dt.date(2026, 11, 2))
    assert [o["ref"] for o in card("CG.STAFF").data["overrides"]] == [f"ground:{ground.pk}"]
    appeal = services.appeal_file(actor=world.user("staff"), card=card("CG.STAFF"),
                                  reason="Tôi đã hoàn thành đủ việc", on=dt.date(2026, 11, 3))
    services.appeal_decide(actor=world.user("head"), appeal=appeal, accepted=True,
                           reason="Chấp nhận", general_points=29)
    after = card("CG.STAFF")
    assert after.general_points == 29 and after.grade == "KHT"
    assert [o["ref"] for o in after.data["overrides"]] == [f"ground:{ground.pk}"]


def test_the_decision_form_names_the_field(world, published, client_for):
    _period, appeal = published
    url = reverse("evaluations:appeal_decide", kwargs={"pk": appeal.pk})
    response = client_for(world.user("head")).post(
        url, {"accepted": "1", "reason": "Chấp nhận một phần", "general_points": "26"})
    assert response.status_code == 200
    assert response.context["form"].errors["general_points"]
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.PENDING


# -- 3. the appellant reads their own appeal ----------------------------------------------


def test_the_appellant_opens_their_own_appeal_read_only(world, published, client_for):
    period, appeal = published
    client = client_for(world.user("staff"))
    listed = client.get(period.get_absolute_url())
    url = reverse("evaluations:appeal_decide", kwargs={"pk": appeal.pk})
    assert list(listed.context["appeals"]) == [appeal]
    assert f'href="{url}"' in listed.content.decode()
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"] is None and page.context["own"]
    assert 'name="accepted"' not in page.content.decode()
    assert "Tôi đã hoàn thành đủ việc" in page.content.decode()
    assert client.post(url, {"accepted": "1", "reason": "Tự chấp nhận"}).status_code == 403
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.PENDING
    decider = client_for(world.user("head")).get(url)
    assert decider.context["form"] is not None


# -- 4 and 6. what the card and the export show ------------------------------------------


def test_the_card_shows_the_position_in_words_and_points_with_two_decimals(world, reviewed,
                                                                          client_for):
    page = client_for(world.user("head")).get(reverse(
        "evaluations:card_detail", kwargs={"label": LABEL, "official": "CG.DEP"}))
    html = page.content.decode()
    with translation.override("vi"):
        deputy = str(Position.DEPUTY.label)
    assert f"<dd>{deputy}" in html and "<dd>deputy" not in html
    assert "<strong>29,00</strong>/30" in html  # not 29,0


def test_the_export_shows_the_position_in_words(world, reviewed, client_for):
    response = client_for(world.user("head")).get(reverse(
        "evaluations:unit_export", kwargs={"label": LABEL, "code": "HN.CG"}))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    by_code = {r[1]: r for r in rows[5:] if r[0]}
    with translation.override("vi"):
        assert by_code["CG.STAFF"][4] == str(Position.STAFF.label) != "staff"
        assert by_code["CG.HEAD"][4] == str(Position.HEAD.label) != "head"


def test_the_approved_status_reads_as_a_state():
    """"Approved" of a period is a state ("Đã phê duyệt"), kept apart from the task's event
    and the button (the verb "Phê duyệt")."""
    with translation.override("vi"):
        assert str(PeriodStatus.APPROVED.label) != str(EventKind.APPROVE.label)
        assert str(PeriodStatus.OPEN.label) != gettext("Open")


def test_nothing_left_to_review_or_approve_is_not_a_success(world, reviewed, client_for):
    client = client_for(world.user("head"))
    review = reverse("evaluations:unit_review", kwargs={"label": LABEL, "code": "HN.CG.VP"})
    page = client.get(review)
    assert not page.context["to_confirm"], "everything reviewed: no confirm button"
    audited = AuditEntry.objects.filter(action="unit.review").count()
    response = client.post(review, {"action": "confirm"}, follow=True)
    # refused as the API refuses it (`nothing_to_review`), in the same words; not audited
    with translation.override("vi"):
        refusal = gettext("No card is left to review: every card of %(u)s you review is "
                          "already reviewed.") % {"u": world.units["HN.CG.VP"].name}
    assert _messages(response) == [(levels.ERROR, refusal)]
    assert AuditEntry.objects.filter(action="unit.review").count() == audited
    client.post(_approve(LABEL, "HN.CG"), follow=True)  # shows (and so clears) its messages
    response = client.post(_approve(LABEL, "HN.CG"), follow=True)
    said = _messages(response)
    assert levels.SUCCESS not in [level for level, _text in said]
    assert said[0][0] == levels.INFO


def test_the_review_screen_says_once_to_correct_the_errors(world, reviewed, client_for):
    client = client_for(world.user("head"))
    url = reverse("evaluations:unit_review", kwargs={"label": LABEL, "code": "HN.CG.VP"})
    page = client.get(url)
    data = {"action": "save"}
    for row in page.context["rows"]:
        data[f"c{row['card'].pk}-general_points"] = "30"
        data[f"c{row['card'].pk}-reason"] = ""
    staff = card("CG.STAFF")
    data[f"c{staff.pk}-general_points"] = "25"
    response = client.post(url, data)
    html = response.content.decode()
    with translation.override("vi"):
        generic = gettext("Please correct the errors below.")
    assert html.count(generic) == 1
    assert any("CG.STAFF" in text for _level, text in _messages(response))
    assert "CG.STAFF2" not in " ".join(text for _level, text in _messages(response))


# -- 7. a re-scoring undoes reviews only where the card's own content changed -------------


@pytest.fixture
def quota_reviewed(db):
    """Golden case 06 (three candidates for HTXS in HN.CG, one kept), under review, every
    card of HN.CG assessed and reviewed by the administrator."""
    period, admin = quota_case_under_review()
    services.assessment_set(actor=admin, period=period,
                            official=Official.objects.get(code="CB000"), general_points=30,
                            organising=1, uniting=1)
    from thuocdo.org.models import Unit

    for code in ("HN.CG.VP", "HN.CG"):
        services.unit_review(actor=admin, period=period, unit=Unit.objects.get(code=code))
    return Period.objects.get(pk=period.pk), admin


def _status(code: str) -> str:
    return ScoreCard.objects.get(official__code=code).status


def test_a_change_of_the_quota_s_outcome_alone_keeps_the_review(quota_reviewed):
    """CB105 (84, general criteria 14) assessed 30 becomes a candidate for HTXS: their card
    goes back to draft; the quota's outcome changes for CB201, CB202 and CB203, whose own
    content is the same: they stay reviewed. CB101…CB104 do not change."""
    period, admin = quota_reviewed
    quota_before = dict(ScoreCard.objects.values_list("official__code", "data__quota"))
    saved = services.assessments_save(actor=admin, period=period, rows=[services.AssessmentRow(
        Official.objects.get(code="CB105"), 30)])
    assert _status("CB105") == "draft"
    for code in ("CB201", "CB202", "CB203"):
        assert _status(code) == "reviewed"
        assert ScoreCard.objects.get(official__code=code).data["quota"] != quota_before[code]
    assert ScoreCard.objects.get(official__code="CB201").grade == "HTT", "moved down now"
    assert ScoreCard.objects.get(official__code="CB202").reviewed_by == admin, "kept"
    assert all(_status(f"CB10{n}") == "reviewed" for n in range(1, 5))
    result = saved.scored
    assert result.to_draft == ("CB105",)
    assert set(result.quota_only) == {"CB201", "CB202", "CB203"}
    assert not result.unapproved


def test_the_leader_whose_review_a_change_undid_is_told(db):
    """CB000's account reviews HN.CG's cards; the administrator's assessment of CB105 then
    changes CB105's card, which goes back to draft: CB000 is told, with a link to the card.
    A change the reviewer makes themselves tells nobody (they see it on the page)."""
    from thuocdo.core.testing import PASSWORD
    from thuocdo.notifications.models import Notification
    from thuocdo.org.models import Unit

    period, admin = quota_case_under_review()
    head = Official.objects.get(code="CB000")
    reviewer = accounts.user_create(email="reviewer@example.vn", password=PASSWORD,
                                    official=head, is_superuser=True)
    services.assessment_set(actor=admin, period=period, official=head, general_points=30,
                            organising=1, uniting=1)
    for code in ("HN.CG.VP", "HN.CG"):
        services.unit_review(actor=reviewer, period=period, unit=Unit.objects.get(code=code))
    period = Period.objects.get(pk=period.pk)

    def notes():
        return list(Notification.objects.filter(recipient=head,
                                                 key__startswith="evaluation:review_undone:"))

    services.assessments_save(actor=admin, period=period, rows=[
        services.AssessmentRow(Official.objects.get(code="CB105"), 30)])
    [note] = notes()
    assert note.url == reverse("evaluations:card_detail",
                               kwargs={"label": "2026-10", "official": "CB105"})
    assert "CB105" in note.body and "Quản trị" in note.body and "2026" in note.title
    services.unit_review(actor=reviewer, period=period, unit=Unit.objects.get(code="HN.CG.VP"))
    services.assessments_save(actor=reviewer, period=period, rows=[
        services.AssessmentRow(Official.objects.get(code="CB105"), 29, reason="Đi muộn")])
    assert _status("CB105") == "draft"
    assert len(notes()) == 1, "the reviewer's own change tells nobody"


def test_an_approval_is_undone_by_a_change_of_the_quota_s_outcome(quota_reviewed):
    """An approved card whose quota outcome changes goes back to reviewed (the agency
    approves grades after the quota), to be approved again."""
    period, admin = quota_reviewed
    from thuocdo.org.models import Unit

    services.agency_approve(actor=admin, period=period, agency=Unit.objects.get(code="HN.CG"))
    saved = services.assessments_save(actor=admin, period=period, rows=[
        services.AssessmentRow(Official.objects.get(code="CB105"), 30)])
    assert {_status(c) for c in ("CB201", "CB202", "CB203")} == {"reviewed"}
    assert _status("CB105") == "draft" and _status("CB101") == "approved"
    assert ScoreCard.objects.get(official__code="CB201").approved_by is None
    assert saved.scored.to_draft == ("CB105",)
    assert set(saved.scored.unapproved) == {"CB201", "CB202", "CB203"}
    services.unit_review(actor=admin, period=period, unit=Unit.objects.get(code="HN.CG.VP"))
    assert services.agency_approve(actor=admin, period=period,
                                   agency=Unit.objects.get(code="HN.CG")) == 4


def test_the_page_says_whose_review_was_undone_and_why(quota_reviewed, client):
    period, admin = quota_reviewed
    client.force_login(admin, backend="thuocdo.accounts.backends.EmailOrOfficialCodeBackend")
    url = reverse("evaluations:unit_review", kwargs={"label": "2026-10", "code": "HN.CG.VP"})
    page = client.get(url)
    data = {"action": "save"}
    for row in page.context["rows"]:
        stored = Assessment.objects.get(period=period, official=row["card"].official)
        points = 30 if row["card"].official.code == "CB105" else stored.general_points
        data[f"c{row['card'].pk}-general_points"] = str(points)
        data[f"c{row['card'].pk}-reason"] = stored.reason
    response = client.post(url, data, follow=True)
    said = _messages(response)
    warnings = [text for level, text in said if level == levels.WARNING]
    infos = [text for level, text in said if level == levels.INFO]
    assert len(warnings) == 1 and "CB105" in warnings[0]
    assert len(infos) == 1 and all(c in infos[0] for c in ("CB201", "CB202", "CB203"))


# -- 8. the review screen saves the rows given, never a self-score as the head's ----------


@pytest.fixture
def self_scored(world):
    """2026-10 scored and under review, nothing assessed; CG.STAFF self-scored 30."""
    period = services.period_open(actor=world.user("board"), label=LABEL)
    services.period_score(actor=world.user("board"), period=period)
    services.card_self_score(actor=world.user("staff"), card=card("CG.STAFF"),
                             general_points=30, note="Đủ việc")
    services.period_start_review(actor=world.user("board"), period=period)
    return Period.objects.get(pk=period.pk)


@pytest.mark.usefixtures("english")
def test_the_review_screen_shows_a_self_score_beside_the_row_never_in_it(
        world, self_scored, client_for):
    client = client_for(world.user("head"))
    url = reverse("evaluations:unit_review", kwargs={"label": LABEL, "code": "HN.CG.VP"})
    page = client.get(url)
    rows = {row["card"].official.code: row for row in page.context["rows"]}
    staff, other = rows["CG.STAFF"], rows["CG.STAFF2"]
    assert staff["form"]["general_points"].value() is None, "not put in the head's input"
    assert "Self-assessed: 30" in page.content.decode()
    # the screen saved as it came (every row empty): nothing saved, nothing assessed
    response = client.post(url, {"action": "save"}, follow=True)
    assert _messages(response) == [(levels.INFO, "Nothing was saved: give the general "
                                    "criteria of at least one official.")]
    assert not Assessment.objects.exists()
    # a row given, the other left empty: only the row given is saved
    prefix = f"c{other['card'].pk}"
    client.post(url, {"action": "save", f"{prefix}-general_points": "28",
                      f"{prefix}-reason": "Chậm báo cáo tuần"}, follow=True)
    assert list(Assessment.objects.values_list("official__code", "general_points")) == [
        ("CG.STAFF2", 28)]
    # the same again: nothing changed, and it says so
    response = client.post(url, {"action": "save", f"{prefix}-general_points": "28",
                                 f"{prefix}-reason": "Chậm báo cáo tuần"}, follow=True)
    assert _messages(response) == [
        (levels.INFO, "Nothing changed: the assessments are as they were.")]
    # a reason without the points is not dropped silently
    prefix = f"c{staff['card'].pk}"
    response = client.post(url, {"action": "save", f"{prefix}-reason": "Thiếu điểm"})
    form = {row["card"].official.code: row["form"] for row in response.context["rows"]}
    assert form["CG.STAFF"].errors["general_points"] == [
        "Give the general criteria, or leave the row empty to assess it later."]
    assert Assessment.objects.count() == 1
    # once assessed, a row may not be emptied: the stored value is required
    prefix = f"c{other['card'].pk}"
    response = client.post(url, {"action": "save", f"{prefix}-general_points": ""})
    form = {row["card"].official.code: row["form"] for row in response.context["rows"]}
    assert "general_points" in form["CG.STAFF2"].errors


def test_a_leader_s_ratings_changed_keep_their_old_values_in_the_trail(world, self_scored):
    period = self_scored
    head = world.officials["CG.HEAD"]
    services.assessment_set(actor=world.user("admin"), period=period, official=head,
                            general_points=30, organising="0.9", uniting="0.8")
    services.assessment_set(actor=world.user("admin"), period=period, official=head,
                            general_points=30, organising="0.85", uniting="0.8")
    entry = AuditEntry.objects.filter(action="assessment.set",
                                      object_code=f"{LABEL}/CG.HEAD").latest("pk")
    assert entry.changes["before"] == {"general_points": "30.00", "reason": "",
                                       "organising": "0.900", "uniting": "0.800"}
    assert entry.changes["organising"] == "0.85"

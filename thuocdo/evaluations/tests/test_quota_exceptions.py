"""Approved exceptions for outstanding units raise the HTXS cap (domain.md, "Quota";
docs/scoring.md, "Quota exceptions"; decision 0006): records entered by the organisation
board and administrators, checked and audited by the services, read by scoring for the
period scored, and cited by the cards.

Golden case 06 has five HTT and three candidates for HTXS in HN.CG, of whom one keeps it at
20% (1 ≤ 0.2 × 7); with HN.CG's quota raised to 40% two do (2 ≤ 0.4 × 6) and the third
moves down (3 ≤ 0.4 × 5 = 2 fails). Golden case 14 is the same worked by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from django.contrib.messages import constants as levels
from django.urls import reverse

from thuocdo.accounts import services as accounts
from thuocdo.core.errors import PermissionDeniedError, ServiceError
from thuocdo.core.models import AuditEntry
from thuocdo.core.templatetags.periods import period_name
from thuocdo.core.testing import PASSWORD
from thuocdo.core.tests.admin_forms import admin_form_data
from thuocdo.evaluations import adapters, selectors, services
from thuocdo.evaluations.choices import PeriodStatus
from thuocdo.evaluations.models import Period, QuotaException, ScoreCard
from thuocdo.measure.scoring import Period as EnginePeriod
from thuocdo.measure.scoring import QuotaException as EngineQuotaException
from thuocdo.org.models import Official, Unit

from .helpers import quota_case_under_review

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

REASON = "Đơn vị dẫn đầu phong trào thi đua năm 2026"


def _fields(agency: Unit, **more) -> dict:
    return {"agency": agency, "valid_from": dt.date(2026, 10, 1),
            "valid_to": dt.date(2026, 12, 31), "share": "0.4", "decision": "15/QĐ-UBND",
            "decided_on": dt.date(2026, 9, 15), "reason": REASON} | more


def _grades(period) -> dict[str, str]:
    return dict(ScoreCard.objects.filter(period=period, agency__code="HN.CG")
                .values_list("official__code", "grade"))


def _kept(period) -> int:
    return sum(grade == "HTXS" for grade in _grades(period).values())


# -- the exception changes how many keep HTXS -------------------------------------------------


def test_without_an_exception_the_cap_is_20_percent():
    period, _admin = quota_case_under_review()
    assert _kept(period) == 1


def test_an_exception_of_40_percent_lets_two_of_three_candidates_keep_htxs():
    """Recorded while the period is under review, then scored again: CB201 and CB202 keep
    HTXS, CB203 moves down; each candidate's quota decision cites the exception, and the
    ranking's quota line has its share and decision."""
    period, admin = quota_case_under_review()
    services.quota_exception_record(actor=admin,
                                    **_fields(Unit.objects.get(code="HN.CG")))
    services.period_score(actor=admin, period=period)
    assert _grades(period) | {"CB000": None} == {
        "CB000": None, "CB101": "HTT", "CB102": "HTT", "CB103": "HTT", "CB104": "HTT",
        "CB105": "HTT", "CB201": "HTXS", "CB202": "HTXS", "CB203": "HTT"}
    data = ScoreCard.objects.get(period=period, official__code="CB203").data
    assert data["quota"]["exception"] == {"share": 0.4, "decision": "15/QĐ-UBND",
                                          "decided_on": "2026-09-15"}
    assert data["quota"]["reason"].startswith(
        "hạn mức HTXS 40% số HTT cuối cùng theo Quyết định số 15/QĐ-UBND ngày 15/09/2026: "
        "ứng viên thứ 3/3")
    assert "3 ≤ 0,4 × 5 = 2 không đạt" in data["quota"]["reason"]
    # HN.BD has no exception: its candidate's decision cites none, at 20%
    other = ScoreCard.objects.get(period=period, official__code="CB301").data["quota"]
    assert "exception" not in other and other["reason"].startswith("hạn mức HTXS 20% số HTT")
    cards = list(ScoreCard.objects.filter(period=period).select_related("agency"))
    line = next(line for line in selectors.quota_lines(period=period, cards=cards)
                if line.agency.code == "HN.CG" and not line.task_group)
    assert line.share == Fraction(2, 5) and line.exception.decision == "15/QĐ-UBND"
    assert (line.kept, line.htt) == (2, 6)


def test_the_card_and_the_ranking_say_which_decision_set_the_quota(client_for):
    period, admin = quota_case_under_review()
    services.quota_exception_record(actor=admin,
                                    **_fields(Unit.objects.get(code="HN.CG")))
    services.period_score(actor=admin, period=period)
    client = client_for(admin)
    said = "quota of 40% of the final HTT under Decision No. 15/QĐ-UBND of 15/09/2026"
    html = client.get(reverse("evaluations:card_detail", kwargs={
        "label": period.label, "official": "CB202"})).content.decode()
    assert f'<p id="quota-exception">Q{said[1:]}.</p>' in html
    html = client.get(reverse("evaluations:unit_ranking", kwargs={
        "label": period.label, "code": "HN"})).content.decode()
    assert f"UBND quận Cầu Giấy (HN.CG): {said}." in html
    assert "HN.BD): quota" not in html
    # a card of HN.BD says nothing of an exception
    html = client.get(reverse("evaluations:card_detail", kwargs={
        "label": period.label, "official": "CB301"})).content.decode()
    assert 'id="quota-exception"' not in html


def test_an_accepted_appeal_decides_the_quota_with_the_exception():
    """Published with a 40% exception in HN.CG (CB201 and CB202 keep HTXS). CB105's appeal
    is accepted with the full general criteria: four candidates, CB105 and CB201 keep HTXS
    (2 ≤ 0.4 × 6), CB202 moves down (3 ≤ 0.4 × 5 = 2 fails); at 20% CB201 would have moved
    down too."""
    period, admin = quota_case_under_review()
    services.quota_exception_record(actor=admin,
                                    **_fields(Unit.objects.get(code="HN.CG")))
    services.period_score(actor=admin, period=period)
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
    services.period_publish(actor=admin, period=Period.objects.get(pk=period.pk))
    assert _grades(period)["CB202"] == "HTXS"
    user = accounts.user_create(email="cb105@example.vn", password=PASSWORD,
                                official=Official.objects.get(code="CB105"))
    appeal = services.appeal_file(actor=user, card=ScoreCard.objects.get(
        official__code="CB105"), reason="Tiêu chí chung chấm thiếu")
    services.appeal_decide(actor=admin, appeal=appeal, accepted=True, reason="Đủ căn cứ",
                           general_points=30)
    grades = _grades(period)
    assert (grades["CB105"], grades["CB201"], grades["CB202"], grades["CB203"]) == (
        "HTXS", "HTXS", "HTT", "HTT")
    data = ScoreCard.objects.get(official__code="CB202").data
    assert data["quota"]["exception"]["decision"] == "15/QĐ-UBND"


# -- which periods it applies to, read in one query --------------------------------------------


@pytest.mark.parametrize(("label", "applies"), [
    ("2026-10", False), ("2026-11", False), ("2026-12", True), ("2026-Q3", False),
    ("2026-Q4", True), ("2026", True), ("2027-01", False)])
def test_a_period_takes_the_exception_in_force_on_its_last_day(label, applies):
    """An exception in force from 01/12/2026 to 31/12/2026 (given for the year's grading)
    applies to December, the fourth quarter and the year, which end on one of its days, not
    to October or November."""
    exception = EngineQuotaException(share=Fraction(3, 10), decision="15/QĐ-UBND")
    rows = [adapters.DatedException("HN.CG", dt.date(2026, 12, 1), dt.date(2026, 12, 31),
                                    exception)]
    found = adapters.exceptions_for(rows, EnginePeriod.parse(label))
    assert found == ({"HN.CG": exception} if applies else {})


def test_scoring_reads_the_exceptions_of_the_period_in_one_query(world,
                                                                 django_assert_num_queries):
    board = world.user("board")
    services.quota_exception_record(actor=board, **_fields(world.units["HN.CG"]))
    services.quota_exception_record(actor=world.user("admin"), **_fields(
        world.units["HN.BD"], valid_from=dt.date(2027, 1, 1), valid_to=dt.date(2027, 12, 31)))
    with django_assert_num_queries(1):
        rows = adapters.quota_exceptions_between(dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert [(r.agency, r.exception.share) for r in rows] == [("HN.CG", Fraction(2, 5))]
    with django_assert_num_queries(1):
        assert set(adapters.quota_exceptions(EnginePeriod.parse("2027"))) == {"HN.BD"}


# -- who may record one ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "board"])
def test_the_board_and_the_administrator_record_an_exception(world, role):
    exception = services.quota_exception_record(actor=world.user(role),
                                                **_fields(world.units["HN.CG"]))
    assert exception.recorded_by == world.user(role)
    assert QuotaException.objects.count() == 1


@pytest.mark.parametrize("role", ["head", "deputy", "staff", "inspector", "outsider"])
def test_others_may_not_record_change_or_remove_one(world, role):
    with pytest.raises(PermissionDeniedError):
        services.quota_exception_record(actor=world.user(role),
                                        **_fields(world.units["HN.CG"]))
    exception = services.quota_exception_record(actor=world.user("admin"),
                                                **_fields(world.units["HN.CG"]))
    with pytest.raises(PermissionDeniedError):
        services.quota_exception_change(actor=world.user(role), exception=exception,
                                        why="x", **_fields(world.units["HN.CG"], share="0.5"))
    with pytest.raises(PermissionDeniedError):
        services.quota_exception_remove(actor=world.user(role), exception=exception, why="x")
    assert QuotaException.objects.get().share == exception.share


def test_the_board_records_only_for_the_agencies_granted_to_it(world):
    """The board is granted HN.CG: HN.BD is out of its reach, for a new exception and for
    one the administrator recorded."""
    board = world.user("board")
    with pytest.raises(PermissionDeniedError):
        services.quota_exception_record(actor=board, **_fields(world.units["HN.BD"]))
    exception = services.quota_exception_record(actor=world.user("admin"),
                                                **_fields(world.units["HN.BD"]))
    with pytest.raises(PermissionDeniedError):
        services.quota_exception_remove(actor=board, exception=exception, why="Nhầm")
    mine = services.quota_exception_record(actor=board, **_fields(world.units["HN.CG"]))
    with pytest.raises(PermissionDeniedError):  # not moved to an agency out of reach either
        services.quota_exception_change(actor=board, exception=mine, why="Nhầm cơ quan",
                                        **_fields(world.units["HN.BD"],
                                                  valid_from=dt.date(2027, 1, 1),
                                                  valid_to=dt.date(2027, 12, 31)))


# -- what is refused ------------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "code", "field"), [
    ({"agency": "HN.CG.VP"}, "exception_agency", "agency"),
    ({"share": "0.2"}, "exception_share", "share"),
    ({"share": "0.1"}, "exception_share", "share"),
    ({"share": "0"}, "exception_share", "share"),
    ({"share": "1.01"}, "exception_share", "share"),
    ({"share": "0.33333"}, "exception_share", "share"),
    ({"valid_to": dt.date(2026, 9, 30)}, "exception_span", "valid_to"),
    ({"decision": "  "}, "exception_decision", "decision"),
    ({"reason": " "}, "reason_required", "reason"),
    ({"decided_on": dt.date(2999, 1, 1)}, "exception_decided_on", "decided_on"),
])
def test_bad_content_is_refused_on_its_field_and_writes_nothing(world, changes, code, field):
    fields = _fields(world.units["HN.CG"]) | changes
    fields["agency"] = world.units[changes.get("agency", "HN.CG")]
    with pytest.raises(ServiceError) as refused:
        services.quota_exception_record(actor=world.user("board"), **fields)
    assert (refused.value.service_code, refused.value.field) == (code, field)
    assert not QuotaException.objects.exists()
    assert not AuditEntry.objects.filter(object_type="evaluations.quotaexception").exists()


def test_a_share_must_raise_the_rubric_s(world):
    with pytest.raises(ServiceError) as refused:
        services.quota_exception_record(actor=world.user("board"),
                                        **_fields(world.units["HN.CG"], share="0.2"))
    assert refused.value.service_message == (
        "An exception raises the HTXS quota: give a share above the rubric's 20% and at "
        "most 100%.")
    exception = services.quota_exception_record(
        actor=world.user("board"), **_fields(world.units["HN.CG"], share="1"))
    assert exception.percent == 100


def test_one_exception_per_agency_and_day(world):
    board = world.user("board")
    services.quota_exception_record(actor=board, **_fields(world.units["HN.CG"]))
    with pytest.raises(ServiceError) as refused:
        services.quota_exception_record(actor=board, **_fields(
            world.units["HN.CG"], valid_from=dt.date(2026, 12, 31),
            valid_to=dt.date(2027, 3, 31)))
    assert refused.value.service_code == "exception_overlap"
    assert "from 01/10/2026 to 31/12/2026 (Decision No. 15/QĐ-UBND of 15/09/2026)" \
        in refused.value.service_message
    # the next day, or another agency on the same days, is fine
    services.quota_exception_record(actor=board, **_fields(
        world.units["HN.CG"], valid_from=dt.date(2027, 1, 1), valid_to=dt.date(2027, 3, 31)))
    services.quota_exception_record(actor=board, **_fields(world.units["HN.CG.DV"]))
    assert QuotaException.objects.count() == 3


@pytest.fixture
def october(world):
    """2026-10 opened by the board."""
    return services.period_open(actor=world.user("board"), label="2026-10")


@pytest.mark.parametrize("status", [PeriodStatus.APPROVED, PeriodStatus.PUBLISHED,
                                    PeriodStatus.LOCKED])
def test_no_exception_is_added_changed_or_removed_for_a_fixed_period(world, october, status):
    """October 2026 approved or later: its cards are fixed. An exception whose days hold
    31/10/2026 is refused, naming the period; one in force only from December is not, but
    may not be moved onto October either."""
    board = world.user("board")
    cg = world.units["HN.CG"]
    exception = services.quota_exception_record(actor=board, **_fields(cg))
    december = services.quota_exception_record(actor=board, **_fields(
        world.units["HN.CG.DV"], valid_from=dt.date(2026, 12, 1)))
    Period.objects.filter(pk=october.pk).update(status=status)  # as the procedure leaves it
    name = period_name("2026-10")
    with pytest.raises(ServiceError) as refused:
        services.quota_exception_record(actor=board, **_fields(
            world.units["HN.CG.DV"], valid_to=dt.date(2026, 11, 30)))
    assert refused.value.service_code == "period_fixed"
    assert refused.value.service_message.startswith(name[0].upper() + name[1:])
    assert Period.objects.get(pk=october.pk).get_status_display().lower() \
        in refused.value.service_message
    for attempt in (
            lambda: services.quota_exception_change(actor=board, exception=exception,
                                                    why="Sửa", **_fields(cg, share="0.5")),
            lambda: services.quota_exception_remove(actor=board, exception=exception,
                                                    why="Nhầm"),
            lambda: services.quota_exception_change(
                actor=board, exception=december, why="Sửa",
                **_fields(world.units["HN.CG.DV"], valid_from=dt.date(2026, 10, 31)))):
        with pytest.raises(ServiceError) as refused:
            attempt()
        assert refused.value.service_code == "period_fixed"
    assert QuotaException.objects.get(pk=exception.pk).share == exception.share
    services.quota_exception_change(actor=board, exception=december, why="Theo quyết định "
                                    "sửa đổi", **_fields(world.units["HN.CG.DV"],
                                                         valid_from=dt.date(2026, 12, 1),
                                                         share="0.45"))
    services.quota_exception_remove(actor=board, exception=december, why="Thu hồi")


def test_a_period_still_scored_takes_a_change(world, october):
    """Under review, the period's cards are computed again with the change: allowed."""
    Period.objects.filter(pk=october.pk).update(status=PeriodStatus.REVIEW)
    exception = services.quota_exception_record(actor=world.user("board"),
                                                **_fields(world.units["HN.CG"]))
    services.quota_exception_remove(actor=world.user("board"), exception=exception,
                                    why="Nhầm")
    assert not QuotaException.objects.exists()


# -- the audit trail ------------------------------------------------------------------------


def test_every_write_is_audited_with_who_and_why(world):
    board = world.user("board")
    cg = world.units["HN.CG"]
    exception = services.quota_exception_record(actor=board, **_fields(cg))
    entry = AuditEntry.objects.get(action="quota_exception.record")
    assert (entry.actor, entry.object_type, entry.object_code, entry.reason) == (
        board, "evaluations.quotaexception", str(exception.pk), REASON)
    assert entry.changes == {"agency": "HN.CG", "valid_from": "2026-10-01",
                             "valid_to": "2026-12-31", "share": "0.4000",
                             "decision": "15/QĐ-UBND", "decided_on": "2026-09-15",
                             "reason": REASON}
    # a change: only what changed, before and after, with why
    services.quota_exception_change(actor=world.user("admin"), exception=exception,
                                    why="Quyết định sửa đổi số 20/QĐ-UBND",
                                    **_fields(cg, share="0.35", decision="20/QĐ-UBND"))
    entry = AuditEntry.objects.get(action="quota_exception.change")
    assert entry.actor == world.user("admin")
    assert entry.reason == "Quyết định sửa đổi số 20/QĐ-UBND"
    assert entry.changes == {"share": ["0.4000", "0.3500"],
                             "decision": ["15/QĐ-UBND", "20/QĐ-UBND"]}
    # nothing changed: nothing written
    services.quota_exception_change(actor=board, exception=exception, why="Xem lại",
                                    **_fields(cg, share="0.35", decision="20/QĐ-UBND"))
    assert AuditEntry.objects.filter(action="quota_exception.change").count() == 1
    # a removal keeps the content and why
    services.quota_exception_remove(actor=board, exception=exception,
                                    why="Quyết định bị thu hồi")
    assert not QuotaException.objects.exists()
    entry = AuditEntry.objects.get(action="quota_exception.remove")
    assert entry.reason == "Quyết định bị thu hồi" and entry.changes["share"] == "0.3500"
    assert entry.changes["decision"] == "20/QĐ-UBND"


@pytest.mark.parametrize("act", ["change", "remove"])
def test_a_change_or_a_removal_says_why(world, act):
    exception = services.quota_exception_record(actor=world.user("board"),
                                                **_fields(world.units["HN.CG"]))
    with pytest.raises(ServiceError) as refused:
        if act == "change":
            services.quota_exception_change(actor=world.user("board"), exception=exception,
                                            why=" ", **_fields(world.units["HN.CG"],
                                                               share="0.5"))
        else:
            services.quota_exception_remove(actor=world.user("board"), exception=exception,
                                            why="")
    assert (refused.value.service_code, refused.value.field) == ("reason_required", "why")
    assert QuotaException.objects.get().share == exception.share


# -- the board's pages ------------------------------------------------------------------------


def _messages(response) -> list[tuple[int, str]]:
    return [(m.level, str(m)) for m in response.context["messages"]]


def _post_data(**more) -> dict:
    return {"agency": "HN.CG", "valid_from": "01/10/2026", "valid_to": "31/12/2026",
            "share": "30", "decision": "15/QĐ-UBND", "decided_on": "15/09/2026",
            "reason": REASON} | more


def test_the_board_records_changes_and_removes_an_exception_on_its_pages(world, client_for):
    """The share is typed in percent; the list shows the exception with its decision; the
    change asks why; the removal too."""
    client = client_for(world.user("board"))
    html = client.get(reverse("evaluations:period_list")).content.decode()
    assert reverse("evaluations:quota_exception_list") in html
    response = client.post(reverse("evaluations:quota_exception_add"), _post_data(),
                           follow=True)
    exception = QuotaException.objects.get()
    assert exception.share == Decimal("0.3")
    assert exception.recorded_by == world.user("board")
    assert (levels.SUCCESS, "Recorded: in UBND quận Cầu Giấy, a quota of 30% of the final "
            "HTT under Decision No. 15/QĐ-UBND of 15/09/2026, in force from 01/10/2026 to "
            "31/12/2026.") in _messages(response)
    html = response.content.decode()
    assert "Decision No. 15/QĐ-UBND of 15/09/2026" in html and "30%" in html
    url = reverse("evaluations:quota_exception_change", kwargs={"pk": exception.pk})
    page = client.get(url)
    assert page.context["form"]["share"].value() == 30  # shown in percent
    response = client.post(url, _post_data(share="35"))
    assert response.status_code == 200
    assert "why" in response.context["form"].errors
    response = client.post(url, _post_data(share="35", why="Quyết định sửa đổi"))
    assert response.status_code == 302
    exception.refresh_from_db()
    assert exception.percent == 35
    url = reverse("evaluations:quota_exception_remove", kwargs={"pk": exception.pk})
    response = client.post(url, {"why": "Quyết định bị thu hồi"})
    assert response.status_code == 302 and not QuotaException.objects.exists()


def test_a_change_that_changes_nothing_says_so(world, client_for, october):
    """Sent as it stands (a reason given): nothing written, nothing to score again."""
    services.period_score(actor=world.user("board"), period=october)
    client = client_for(world.user("board"))
    client.post(reverse("evaluations:quota_exception_add"), _post_data(), follow=True)
    exception = QuotaException.objects.get()
    url = reverse("evaluations:quota_exception_change", kwargs={"pk": exception.pk})
    response = client.post(url, _post_data(why="Xem lại"), follow=True)
    assert _messages(response) == [
        (levels.INFO, "Nothing changed: the exception of UBND quận Cầu Giấy is as it was.")]
    assert not AuditEntry.objects.filter(action="quota_exception.change").exists()


def test_the_page_shows_a_refusal_on_its_field_and_names_the_period(world, client_for, october):
    client = client_for(world.user("board"))
    response = client.post(reverse("evaluations:quota_exception_add"), _post_data(share="20"))
    assert response.status_code == 200
    assert response.context["form"].errors["share"] == [
        "An exception raises the HTXS quota: give a share above the rubric's 20% and at "
        "most 100%."]
    Period.objects.filter(pk=october.pk).update(status=PeriodStatus.APPROVED)
    response = client.post(reverse("evaluations:quota_exception_add"), _post_data())
    (error,) = response.context["form"].errors["valid_from"]
    assert error.startswith("October 2026 is approved: its cards are fixed")
    assert not QuotaException.objects.exists()


def test_the_page_lists_the_periods_to_score_again(world, client_for, october):
    services.period_score(actor=world.user("board"), period=october)
    client = client_for(world.user("board"))
    response = client.post(reverse("evaluations:quota_exception_add"), _post_data(),
                           follow=True)
    assert (levels.INFO, "The cards show it once computed again: score these periods again "
            "from their pages: October 2026.") in _messages(response)


def test_the_administrator_records_and_changes_one_in_the_admin(world, client_for):
    client = client_for(world.user("admin"))
    page = client.get(reverse("admin:evaluations_quotaexception_add"))
    assert page.status_code == 200
    response = client.post(reverse("admin:evaluations_quotaexception_add"), admin_form_data(
        page, agency=str(world.units["HN.CG"].pk), valid_from="2026-10-01",
        valid_to="2026-12-31", share="30", decision="15/QĐ-UBND", decided_on="2026-09-15",
        reason=REASON))
    assert response.status_code == 302, response.context["adminform"].form.errors
    exception = QuotaException.objects.get()
    assert exception.percent == 30 and exception.recorded_by == world.user("admin")
    url = reverse("admin:evaluations_quotaexception_change", args=[exception.pk])
    page = client.get(url)
    response = client.post(url, admin_form_data(page, share="35"))
    assert response.status_code == 200
    assert "why" in response.context["adminform"].form.errors
    response = client.post(url, admin_form_data(page, share="35", why="Quyết định sửa đổi"))
    assert response.status_code == 302
    assert QuotaException.objects.get().percent == 35
    # a division is no agency: not offered, and refused if sent
    page = client.get(reverse("admin:evaluations_quotaexception_add"))
    response = client.post(reverse("admin:evaluations_quotaexception_add"), admin_form_data(
        page, agency=str(world.units["HN.CG.VP"].pk), valid_from="2027-01-01",
        valid_to="2027-12-31", share="30", decision="16/QĐ-UBND", decided_on="2026-09-15",
        reason=REASON))
    assert "agency" in response.context["adminform"].form.errors
    assert AuditEntry.objects.filter(object_type="evaluations.quotaexception").count() == 2


def test_the_page_offers_no_change_for_an_exception_of_a_fixed_period(world, client_for,
                                                                      october,
                                                                      django_assert_max_num_queries):
    """October 2026 approved: the list offers neither "Change" nor "Remove" on the
    exception that applies to it, and says why (one query for all the rows); the one in
    force only from December keeps its links. The change and remove pages, opened by URL,
    show the service's refusal instead of a form, and a form sent anyway writes nothing."""
    board = world.user("board")
    exception = services.quota_exception_record(actor=board, **_fields(world.units["HN.CG"]))
    december = services.quota_exception_record(actor=board, **_fields(
        world.units["HN.CG.DV"], valid_from=dt.date(2026, 12, 1)))
    Period.objects.filter(pk=october.pk).update(status=PeriodStatus.APPROVED)
    assert services.quota_exception_fixed_refusal(december) is None
    refusal = services.quota_exception_fixed_refusal(exception)
    assert refusal.service_code == "period_fixed"
    client = client_for(board)
    url = reverse("evaluations:quota_exception_list")
    client.get(url)
    with django_assert_max_num_queries(12):
        html = client.get(url).content.decode()
    for pk, offered in ((exception.pk, False), (december.pk, True)):
        for name in ("quota_exception_change", "quota_exception_remove"):
            assert (reverse(f"evaluations:{name}", kwargs={"pk": pk}) in html) is offered
    assert f'id="exception-{exception.pk}-fixed"' in html
    assert "Cannot be changed or removed: October 2026 is approved." in html
    assert f'id="exception-{december.pk}-fixed"' not in html
    for name, data in (("quota_exception_change", _post_data(share="45", why="Sửa")),
                       ("quota_exception_remove", {"why": "Nhầm"})):
        url = reverse(f"evaluations:{name}", kwargs={"pk": exception.pk})
        page = client.get(url)
        assert page.status_code == 200 and page.context["form"] is None
        assert page.context["refusal"] == refusal.service_message
        assert 'id="exception-refusal"' in page.content.decode()
        assert "<form" not in page.content.decode().split("<main", 1)[-1]
        response = client.post(url, data)
        assert response.status_code == 200 and response.context["refusal"]
    assert QuotaException.objects.get(pk=exception.pk).share == Decimal("0.4")
    page = client.get(reverse("evaluations:quota_exception_change",
                              kwargs={"pk": december.pk}))
    assert page.context["form"] is not None

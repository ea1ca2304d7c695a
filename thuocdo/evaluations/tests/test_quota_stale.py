"""Cards computed with other exceptions to the HTXS quota than those in force (recorded,
changed or removed after the period's last scoring, or while it was being scored): not
approved, shown as not applied, and never applied by an unrelated appeal
(docs/decisions/0006-quota-exceptions-are-records.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from thuocdo.accounts import services as accounts
from thuocdo.core.errors import ServiceError
from thuocdo.core.models import AuditEntry
from thuocdo.core.testing import PASSWORD
from thuocdo.core.tests.admin_forms import admin_form_data
from thuocdo.evaluations import adapters, services
from thuocdo.evaluations.choices import PeriodStatus
from thuocdo.evaluations.models import Period, QuotaException, ScoreCard
from thuocdo.org.models import Official, Unit

from .helpers import quota_case_under_review

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _grades(period) -> dict[str, str]:
    return dict(ScoreCard.objects.filter(period=period, agency__code="HN.CG")
                .values_list("official__code", "grade"))


def _fields(agency, **more) -> dict:
    return {"agency": agency, "valid_from": dt.date(2026, 10, 1),
            "valid_to": dt.date(2026, 12, 31), "share": "0.4", "decision": "15/QĐ-UBND",
            "decided_on": dt.date(2026, 9, 15), "reason": "Đơn vị dẫn đầu"} | more


def _assess_all(period, admin) -> None:
    for card in ScoreCard.objects.filter(period=period, general_points__isnull=True):
        leader = {"organising": 1, "uniting": 1} if card.position == "head" else {}
        services.assessment_set(actor=admin, period=period, official=card.official,
                                general_points=30, **leader)


def _review_and_approve(period, admin) -> None:
    units = Unit.objects.filter(pk__in=ScoreCard.objects.filter(period=period)
                                .values("unit")).order_by("-lft")
    for unit in units:
        try:
            services.unit_review(actor=admin, period=period, unit=unit)
        except ServiceError as exc:  # reviewed by an earlier call: nothing left to review
            if exc.code != "nothing_to_review":
                raise
    for unit in units:
        if unit.is_agency:
            services.agency_approve(actor=admin, period=period, agency=unit)


def _ranking(client, period) -> str:
    return client.get(reverse("evaluations:unit_ranking", kwargs={
        "label": period.label, "code": "HN"})).content.decode()


def _appeal_cb101(period, admin) -> None:
    user = accounts.user_create(email="cb101@example.vn", password=PASSWORD,
                                official=Official.objects.get(code="CB101"))
    card = ScoreCard.objects.get(period=period, official__code="CB101")
    appeal = services.appeal_file(actor=user, card=card, reason="Thiếu một sản phẩm")
    services.appeal_decide(actor=admin, appeal=appeal, accepted=True, reason="Đúng",
                           general_points=card.general_points)


def test_an_exception_recorded_after_scoring_is_flagged_and_blocks_the_approval(client_for):
    """The reviewer's case: every card assessed (which scored again), then an exception
    recorded without scoring again."""
    period, admin = quota_case_under_review()
    _assess_all(period, admin)
    services.quota_exception_record(actor=admin, **_fields(Unit.objects.get(code="HN.CG")))
    before = _grades(period)
    assert sum(g == "HTXS" for g in before.values()) == 1  # the rubric's 20% still
    html = _ranking(client_for(admin), period)
    # the share the cards were decided with, and the exception not applied yet
    assert "quota of 40% of the final HTT under Decision No. 15/QĐ-UBND of 15/09/2026, " \
           "not applied yet: the score cards must be computed again." in html
    assert "1 ≤ 0.2 × " in html
    with pytest.raises(ServiceError) as refused:
        _review_and_approve(period, admin)
    assert refused.value.code == "stale_cards"
    assert "HN.CG" in str(refused.value.message) and "Score the period again" in str(
        refused.value.message)
    assert Period.objects.get(pk=period.pk).status == PeriodStatus.REVIEW
    # scored again: applied, and the approval goes through
    services.period_score(period=period)
    assert sum(g == "HTXS" for g in _grades(period).values()) == 2
    assert "not applied yet" not in _ranking(client_for(admin), period)
    _review_and_approve(period, admin)
    assert Period.objects.get(pk=period.pk).status == PeriodStatus.APPROVED


@pytest.mark.parametrize("act", ["change", "remove"])
def test_a_change_or_removal_after_scoring_blocks_the_approval(client_for, act):
    period, admin = quota_case_under_review()
    exception = services.quota_exception_record(
        actor=admin, **_fields(Unit.objects.get(code="HN.CG")))
    _assess_all(period, admin)  # scores again: the exception applied
    assert services.stale_cards_refusal(period) is None
    if act == "change":
        services.quota_exception_change(actor=admin, exception=exception, why="Sửa",
                                        **_fields(Unit.objects.get(code="HN.CG"),
                                                  share="0.25"))
        note = "quota of 25% of the final HTT under Decision No. 15/QĐ-UBND"
    else:
        services.quota_exception_remove(actor=admin, exception=exception, why="Huỷ")
        note = "the exception was removed, not applied yet"
    html = _ranking(client_for(admin), period)
    assert note in html and "quota of 40% of the final HTT" in html
    with pytest.raises(ServiceError) as refused:
        _review_and_approve(period, admin)
    assert refused.value.code == "stale_cards"


def test_an_exception_recorded_while_the_cards_are_computed_is_not_taken_as_applied(
        monkeypatch):
    """`period_score` reads its inputs before its storing transaction: the period records
    the exceptions the cards were computed with, not those found when storing."""
    period, admin = quota_case_under_review()
    score = adapters.score

    def score_then_record(*args, **kwargs):
        scores = score(*args, **kwargs)
        if not QuotaException.objects.exists():
            services.quota_exception_record(actor=admin,
                                            **_fields(Unit.objects.get(code="HN.CG")))
        return scores

    monkeypatch.setattr(adapters, "score", score_then_record)
    services.period_score(period=period)
    assert Period.objects.get(pk=period.pk).quota_basis == {}
    assert sum(g == "HTXS" for g in _grades(period).values()) == 1
    refused = services.stale_cards_refusal(period)
    assert refused is not None and refused.code == "stale_cards"


def test_an_unrelated_appeal_keeps_the_exceptions_the_cards_were_computed_with():
    """A published period whose live exceptions differ from its cards' (a row written
    around the services): an accepted appeal of CB101, its points unchanged, moves no
    other official's grade (CB202 stayed HTT, not lifted by the 40% share)."""
    period, admin = quota_case_under_review()
    _assess_all(period, admin)
    _review_and_approve(period, admin)
    services.period_publish(actor=admin, period=Period.objects.get(pk=period.pk))
    published = _grades(period)
    QuotaException.objects.create(**_fields(Unit.objects.get(code="HN.CG")))
    _appeal_cb101(period, admin)
    assert _grades(period) == published
    assert not AuditEntry.objects.filter(action="card.grade").exists()


def test_a_period_scored_before_the_basis_was_recorded_takes_its_cards_exceptions():
    """`quota_basis` None (scored before it existed): the cards' quota decisions tell the
    exception they were computed with."""
    period, admin = quota_case_under_review()
    services.quota_exception_record(actor=admin, **_fields(Unit.objects.get(code="HN.CG")))
    services.period_score(period=period)
    Period.objects.filter(pk=period.pk).update(quota_basis=None)
    period.refresh_from_db()
    found = adapters.scored_exceptions(period)
    assert list(found) == ["HN.CG"] and found["HN.CG"].decision == "15/QĐ-UBND"
    assert services.stale_cards_refusal(period) is None


# -- the admin -------------------------------------------------------------------------------


def _admin_exception(world, client):
    page = client.get(reverse("admin:evaluations_quotaexception_add"))
    response = client.post(reverse("admin:evaluations_quotaexception_add"), admin_form_data(
        page, agency=str(world.units["HN.CG"].pk), valid_from="2026-10-01",
        valid_to="2026-12-31", share="27.5", decision="15/QĐ-UBND", decided_on="2026-09-15",
        reason="Đơn vị dẫn đầu"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    return QuotaException.objects.get()


def test_the_admin_shows_the_share_in_the_language_s_format(world, client_for, settings):
    client = client_for(world.user("admin"))
    _admin_exception(world, client)
    settings.LANGUAGE_CODE = "vi"
    html = client.get(reverse("admin:evaluations_quotaexception_changelist"),
                      HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "27,5%" in html and "27.5%" not in html


def test_saving_the_admin_form_unchanged_records_no_change_of_the_share(world, client_for):
    from django.contrib.admin.models import LogEntry

    client = client_for(world.user("admin"))
    exception = _admin_exception(world, client)
    url = reverse("admin:evaluations_quotaexception_change", args=[exception.pk])
    page = client.get(url)
    response = client.post(url, admin_form_data(page, reason="Đơn vị dẫn đầu toàn tỉnh",
                                                why="Sửa lý do"))
    assert response.status_code == 302
    entry = LogEntry.objects.filter(object_id=str(exception.pk)).latest("pk")
    assert "Reason" in entry.get_change_message()
    assert "HTXS quota" not in entry.get_change_message()
    changes = AuditEntry.objects.filter(action="quota_exception.change").get().changes
    assert set(changes) == {"reason"}


@pytest.mark.parametrize("share", ["0", "150"])
def test_the_admin_shows_the_service_s_message_for_a_share_out_of_range(world, client_for,
                                                                         share):
    client = client_for(world.user("admin"))
    page = client.get(reverse("admin:evaluations_quotaexception_add"))
    response = client.post(reverse("admin:evaluations_quotaexception_add"), admin_form_data(
        page, agency=str(world.units["HN.CG"].pk), valid_from="2026-10-01",
        valid_to="2026-12-31", share=share, decision="15/QĐ-UBND", decided_on="2026-09-15",
        reason="Đơn vị dẫn đầu"))
    assert response.status_code == 200
    html = response.content.decode()
    # the model's check constraint would say "Constraint … is violated" (guard)
    assert "is violated" not in html
    assert "An exception raises the HTXS quota" in html


def test_the_review_screen_says_who_the_quota_moved_down(client_for):
    """Found by a walk: the review screen showed "94,12 · HTT" without saying the quota
    moved the card down, which the ranking says."""
    period, admin = quota_case_under_review()
    moved = set(ScoreCard.objects.filter(period=period, quota_applied=True)
                .values_list("official__code", flat=True))
    assert moved
    units = set(ScoreCard.objects.filter(period=period, quota_applied=True)
                .values_list("unit__code", flat=True))
    html = "".join(client_for(admin).get(reverse("evaluations:unit_review", kwargs={
        "label": period.label, "code": code})).content.decode() for code in units)
    assert html.count("moved down by the quota") == len(moved)

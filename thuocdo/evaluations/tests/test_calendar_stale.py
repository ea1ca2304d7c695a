"""Cards computed with another working calendar than the one in force: a day of the period
corrected while it is under review (allowed then, docs/decisions/0007) holds the approval
back until the period is scored again, and the period's and the ranking's pages say so."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from thuocdo.core import services as core_services
from thuocdo.core.errors import ServiceError
from thuocdo.core.models import CalendarOverride
from thuocdo.evaluations import selectors, services
from thuocdo.evaluations.choices import PeriodStatus
from thuocdo.evaluations.models import Period

from .helpers import quota_case_under_review
from .test_quota_stale import _assess_all, _ranking, _review_and_approve

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

NOTE = "was corrected after"


@pytest.fixture
def assessed():
    """Golden case 06 under review, every card assessed (so scored again): (period, admin)."""
    period, admin = quota_case_under_review()
    _assess_all(period, admin)
    period.refresh_from_db()
    assert period.calendar_basis == {} and services.stale_cards_refusal(period) is None
    return period, admin


def _period_page(client, period) -> str:
    return client.get(reverse("evaluations:period_detail",
                              kwargs={"label": period.label})).content.decode()


def test_a_day_of_the_period_corrected_blocks_the_approval_until_scored_again(
        assessed, client_for):
    period, admin = assessed
    core_services.calendar_overrides_bulk_set(actor=admin,
                                              days={dt.date(2026, 10, 16): "holiday"})
    period.refresh_from_db()
    assert selectors.calendar_changes(period=period) == [dt.date(2026, 10, 16)]
    client = client_for(admin)
    for html in (_period_page(client, period), _ranking(client, period)):
        assert "The working calendar of 16/10/2026 was corrected after" in html
        assert "the cards cannot be approved before." in html
    with pytest.raises(ServiceError) as refused:
        _review_and_approve(period, admin)
    assert refused.value.code == "stale_cards"
    assert "16/10/2026" in refused.value.message
    assert refused.value.message.endswith("Score the period again, then approve.")
    assert Period.objects.get(pk=period.pk).status == PeriodStatus.REVIEW
    # scored again with the corrected calendar: nothing left to say, the approval goes through
    services.period_score(period=period)
    period.refresh_from_db()
    assert period.calendar_basis == {"2026-10-16": "holiday"}
    assert NOTE not in _period_page(client, period) and NOTE not in _ranking(client, period)
    _review_and_approve(period, admin)
    assert Period.objects.get(pk=period.pk).status == PeriodStatus.APPROVED


def test_a_switched_or_removed_override_counts_as_a_change(assessed):
    period, admin = assessed
    core_services.calendar_overrides_bulk_set(actor=admin,
                                              days={dt.date(2026, 10, 16): "holiday"})
    services.period_score(period=period)
    period.refresh_from_db()
    core_services.calendar_overrides_bulk_set(actor=admin,
                                              days={dt.date(2026, 10, 16): "workday"})
    assert selectors.calendar_changes(period=period) == [dt.date(2026, 10, 16)]
    CalendarOverride.objects.filter(day=dt.date(2026, 10, 16)).delete()
    assert selectors.calendar_changes(period=period) == [dt.date(2026, 10, 16)]
    CalendarOverride.objects.create(day=dt.date(2026, 10, 16), kind="holiday")
    assert selectors.calendar_changes(period=period) == []


def test_days_outside_the_period_change_nothing(assessed):
    """Before the period's first day, or after its last (its work is measured as it stood
    at its close), even before the day it was scored: no delay of its cards was counted on
    them."""
    period, admin = assessed
    scored_on = timezone.localdate(period.scored_at)
    core_services.calendar_overrides_bulk_set(actor=admin, days={
        dt.date(2026, 9, 30): "holiday", dt.date(2026, 11, 2): "holiday",
        scored_on + dt.timedelta(days=1): "holiday"})
    assert selectors.calendar_changes(period=period) == []
    assert services.stale_cards_refusal(period) is None


def test_a_period_scored_before_the_calendar_was_recorded_is_not_held(assessed):
    period, admin = assessed
    Period.objects.filter(pk=period.pk).update(calendar_basis=None)
    period.refresh_from_db()
    core_services.calendar_overrides_bulk_set(actor=admin,
                                              days={dt.date(2026, 10, 16): "holiday"})
    assert services.stale_cards_refusal(period) is None


@pytest.mark.parametrize("rollup", ["approved", "live"])
def test_a_quarter_leaves_out_the_days_of_the_approved_months_it_takes_as_they_are(
        assessed, settings, rollup):
    """With THUOCDO_ROLLUP_MONTHS=approved a quarter takes its approved months' cards as
    they are: scoring it again would not apply a correction of their days, so those days
    hold nothing back; with "live" it computes every month again, and they do."""
    settings.THUOCDO_ROLLUP_MONTHS = rollup
    _period, admin = assessed
    quarter = services.period_open(actor=admin, label="2026-Q3")
    services.period_score(actor=admin, period=quarter)
    quarter.refresh_from_db()
    core_services.calendar_overrides_bulk_set(actor=admin,
                                              days={dt.date(2026, 8, 10): "holiday"})
    assert selectors.calendar_changes(period=quarter) == [dt.date(2026, 8, 10)]
    Period.objects.create(label="2026-08", kind="month", start=dt.date(2026, 8, 1),
                          end=dt.date(2026, 8, 31), status=PeriodStatus.APPROVED)
    expected = [] if rollup == "approved" else [dt.date(2026, 8, 10)]
    assert selectors.calendar_changes(period=quarter) == expected

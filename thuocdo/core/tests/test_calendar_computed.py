"""A calendar override on a day something was computed with (a month whose signals are
stored, a period approved or later) is refused, naming the day and what is computed; with
THUOCDO_CALENDAR_COMPUTED_MONTHS = "warn" it is written, warned of and audited
(docs/decisions/0007)."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import translation

from thuocdo.core import services
from thuocdo.core.calendar import computed_on, work_calendar
from thuocdo.core.errors import ServiceError
from thuocdo.core.models import AuditEntry, CalendarOverride

pytestmark = pytest.mark.django_db

D = dt.date
OCTOBER_DAY = D(2026, 10, 15)  # a Thursday of a month whose signals are stored
NOVEMBER_DAY = D(2026, 11, 12)  # a Thursday of a month not computed


def store_signals(world, period: str) -> None:
    """A month's signals are stored (one is enough)."""
    from thuocdo.accountability.models import SignalRecord

    year, month = (int(part) for part in period.split("-"))
    moment = dt.datetime(year, month, 2, tzinfo=dt.UTC)
    SignalRecord.objects.create(
        key=f"S8|{period}|x", code="S8", period=period, raised_on=D(year, month, 1),
        subject_kind="task", unit=world.units["HN"], explanation="…", first_seen=moment,
        last_seen=moment, thresholds="2026.1")


def period_at(label: str, status: str):
    from thuocdo.evaluations.models import Period
    from thuocdo.evaluations.services import period_open

    period = period_open(label=label)
    Period.objects.filter(pk=period.pk).update(status=status)
    return period


def refusal(**kwargs) -> ServiceError:
    """The refusal of adding an override (English), nothing written."""
    before = CalendarOverride.objects.count(), AuditEntry.objects.count()
    with translation.override("en"), pytest.raises(ServiceError) as refused:
        services.calendar_override_add(**kwargs)
    assert refused.value.service_code == "calendar_computed"
    assert refused.value.field == "day"
    assert (CalendarOverride.objects.count(), AuditEntry.objects.count()) == before
    return refused.value


# -- the rule --------------------------------------------------------------------------


def test_the_setting_defaults_to_refuse_and_takes_only_its_two_values(monkeypatch):
    from thuocdo.config.settings import base

    monkeypatch.delenv("THUOCDO_CALENDAR_COMPUTED_MONTHS", raising=False)
    try:
        assert importlib.reload(base).THUOCDO_CALENDAR_COMPUTED_MONTHS == "refuse"
        monkeypatch.setenv("THUOCDO_CALENDAR_COMPUTED_MONTHS", "warn")
        assert importlib.reload(base).THUOCDO_CALENDAR_COMPUTED_MONTHS == "warn"
        monkeypatch.setenv("THUOCDO_CALENDAR_COMPUTED_MONTHS", "accept")
        with pytest.raises(ImproperlyConfigured, match="THUOCDO_CALENDAR_COMPUTED_MONTHS"):
            importlib.reload(base)
    finally:
        monkeypatch.undo()
        importlib.reload(base)


def test_a_day_of_a_month_whose_signals_are_stored_is_refused_and_a_later_one_taken(world):
    """October's signals are stored: a day of October, or of a month before it, would
    change their delays when computed again; November is not computed and is taken."""
    store_signals(world, "2026-10")
    for day in (OCTOBER_DAY, D(2026, 10, 30), D(2025, 3, 12)):
        message = refusal(day=day, kind="holiday").service_message
        assert message.startswith("Signals are computed up to 10/2026: the calendar of "
                                  f"{day:%d/%m/%Y} can no longer be changed")
    services.calendar_override_add(day=NOVEMBER_DAY, kind="holiday")
    assert not work_calendar(years=[2026]).is_workday(NOVEMBER_DAY)
    entry = AuditEntry.objects.get(action="calendar.add")
    assert entry.changes == {"kind": "holiday"}, "nothing computed: nothing to record"


def test_a_later_day_of_the_month_the_nightly_job_computes_is_taken(world, monkeypatch):
    """The current month's signals are computed as of today: a day after today is behind
    nothing computed yet (a day off announced at short notice for the end of the month),
    while today and the days before it are refused."""
    from django.utils import timezone

    store_signals(world, "2026-10")
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: D(2026, 10, 20))
    for day in (D(2026, 10, 15), D(2026, 10, 20)):
        refusal(day=day, kind="holiday")
    services.calendar_override_add(day=D(2026, 10, 29), kind="holiday")
    assert not work_calendar(years=[2026]).is_workday(D(2026, 10, 29))


def test_signals_recorded_by_hand_do_not_make_a_month_computed(world):
    """S14 and S15 are recorded, not computed with the calendar."""
    from thuocdo.accountability.models import SignalRecord

    store_signals(world, "2026-10")
    SignalRecord.objects.filter(period="2026-10").update(code="S14")
    services.calendar_override_add(day=OCTOBER_DAY, kind="holiday")


def test_a_change_of_kind_and_a_removal_are_refused_on_a_day_computed(world):
    """An override written before the month was computed stays as it is: neither switched
    to the other kind nor removed (each would change the month's working days)."""
    saturday = D(2026, 10, 17)
    services.calendar_override_add(day=saturday, kind="workday")
    override = CalendarOverride.objects.get(day=saturday)
    store_signals(world, "2026-10")
    with translation.override("en"):
        with pytest.raises(ServiceError) as changed:
            services.calendar_override_change(override=override, kind="holiday")
        with pytest.raises(ServiceError) as removed:
            services.calendar_override_remove(override=override)
    for refused in (changed.value, removed.value):
        assert refused.service_code == "calendar_computed"
        assert "17/10/2026" in refused.service_message
    override.refresh_from_db()
    assert override.kind == "workday"
    assert not AuditEntry.objects.filter(action__in=["calendar.change", "calendar.remove"]
                                         ).exists()
    # The same kind changes nothing, so nothing is refused.
    assert services.calendar_override_change(override=override, kind="workday") == override


@pytest.mark.parametrize(("status", "words"), [
    ("approved", "is approved"), ("published", "is published"), ("locked", "is locked")])
def test_a_day_of_a_month_approved_or_later_is_refused(world, status, words):
    period_at("2026-08", status)
    message = refusal(day=D(2026, 8, 12), kind="holiday").service_message
    assert message.startswith(f"The evaluation period August 2026 {words}: the calendar of "
                              "12/08/2026 can no longer be changed")
    services.calendar_override_add(day=D(2026, 9, 9), kind="holiday")  # September is open


@pytest.mark.parametrize("status", ["open", "scoring", "review"])
def test_a_day_of_a_period_still_scored_is_taken(world, status):
    """Under review the cards are computed again when the period is scored again (a card
    whose content changes goes back to draft): the calendar may still be corrected."""
    period_at("2026-08", status)
    services.calendar_override_add(day=D(2026, 8, 12), kind="holiday")


def test_a_day_of_a_quarter_or_a_year_approved_is_refused_naming_each(world):
    """The quarter holding the day is approved (its months are not periods of their own
    here); the year is locked: both are named, the shortest first."""
    period_at("2026-Q3", "approved")
    message = refusal(day=D(2026, 7, 15), kind="holiday").service_message
    assert message.startswith("The evaluation period Q3 2026 is approved: ")
    period_at("2026", "locked")
    store_signals(world, "2026-07")
    message = refusal(day=D(2026, 7, 15), kind="holiday").service_message
    assert message.startswith("Signals are computed up to 07/2026; the evaluation period "
                              "Q3 2026 is approved; the evaluation period 2026 is locked: ")
    with translation.override("en"):
        assert [item.key for item in computed_on([D(2026, 7, 15)])[D(2026, 7, 15)]] == [
            "signals:2026-07", "period:2026-Q3:approved", "period:2026:locked"]


def test_a_bulk_set_is_refused_as_a_whole_unless_the_day_is_given_as_stored(world):
    """An import's service: one day computed refuses all (nothing written); a day given
    with the kind it has changes nothing and is not refused."""
    services.calendar_overrides_bulk_set(days={OCTOBER_DAY: "holiday"})
    store_signals(world, "2026-10")
    with pytest.raises(ServiceError) as refused:
        services.calendar_overrides_bulk_set(days={NOVEMBER_DAY: "holiday",
                                                   OCTOBER_DAY: "workday"})
    assert refused.value.service_code == "calendar_computed"
    assert dict(CalendarOverride.objects.values_list("day", "kind")) == {OCTOBER_DAY: "holiday"}
    assert services.calendar_overrides_bulk_set(days={NOVEMBER_DAY: "holiday",
                                                      OCTOBER_DAY: "holiday"}) == (1, 0)


def test_warn_writes_the_override_and_its_audit_entry_names_what_is_computed(world, settings):
    settings.THUOCDO_CALENDAR_COMPUTED_MONTHS = "warn"
    store_signals(world, "2026-10")
    period_at("2026-10", "approved")
    override = services.calendar_override_add(day=OCTOBER_DAY, kind="holiday")
    computed = ["signals:2026-10", "period:2026-10:approved"]
    assert AuditEntry.objects.get(action="calendar.add").changes == {
        "kind": "holiday", "computed": computed}
    override = services.calendar_override_change(override=override, kind="workday")
    assert AuditEntry.objects.get(action="calendar.change").changes == {
        "kind": ["holiday", "workday"], "computed": computed}
    services.calendar_override_remove(override=override)
    assert AuditEntry.objects.get(action="calendar.remove").changes == {
        "kind": "workday", "note": "", "computed": computed}
    services.calendar_overrides_bulk_set(days={OCTOBER_DAY: "holiday",
                                               NOVEMBER_DAY: "holiday"})
    assert AuditEntry.objects.get(action="calendar.bulk_set").changes["computed"] == {
        "2026-10-15": computed}


# -- the admin -------------------------------------------------------------------------


def test_the_admin_refuses_a_day_computed_on_the_form_naming_what_is(world, client_for,
                                                                    settings):
    settings.LANGUAGE_CODE = "en"
    store_signals(world, "2026-10")
    client = client_for(world.user("admin"))
    response = client.post(reverse("admin:core_calendaroverride_add"),
                           {"day": "2026-10-15", "kind": "holiday"})
    assert response.status_code == 200
    error = response.context["adminform"].form.errors["day"][0]
    assert error.startswith("Signals are computed up to 10/2026: the calendar of 15/10/2026 "
                            "can no longer be changed")
    assert not CalendarOverride.objects.exists()


def test_the_admin_refuses_a_removal_before_its_confirmation(world, client_for, settings):
    """The delete page and the "delete selected" action say why at once and remove
    nothing (the service refuses too)."""
    from thuocdo.core.tests.admin_forms import admin_form_data

    settings.LANGUAGE_CODE = "en"
    services.calendar_overrides_bulk_set(days={OCTOBER_DAY: "holiday",
                                               NOVEMBER_DAY: "holiday"})
    override = CalendarOverride.objects.get(day=OCTOBER_DAY)
    store_signals(world, "2026-10")
    client = client_for(world.user("admin"))
    delete = reverse("admin:core_calendaroverride_delete", args=[override.pk])
    change = reverse("admin:core_calendaroverride_change", args=[override.pk])
    for response in (client.get(delete), client.post(delete, {"post": "yes"})):
        assert response.status_code == 302 and response.url == change
        message = list(get_messages(response.wsgi_request))[-1]
        assert message.level_tag == "error"
        assert str(message).startswith("Signals are computed up to 10/2026: the calendar of "
                                       "15/10/2026 can no longer be changed")
    response = client.post(reverse("admin:core_calendaroverride_changelist"), {
        "action": "delete_selected", "post": "yes",
        "_selected_action": [str(pk) for pk in CalendarOverride.objects.values_list(
            "pk", flat=True)]})
    assert response.status_code == 302
    assert "15/10/2026" in str(list(get_messages(response.wsgi_request))[-1])
    assert CalendarOverride.objects.count() == 2
    # A change of kind is refused on the form, on top (the day is read-only there).
    response = client.post(change, admin_form_data(client.get(change), kind="workday"))
    assert response.status_code == 200
    assert "can no longer be changed" in str(response.context["adminform"].form.non_field_errors())
    assert not AuditEntry.objects.filter(action__startswith="calendar.r").exists()


def test_with_warn_the_admin_writes_and_warns_naming_what_is_affected(world, client_for,
                                                                     settings):
    from thuocdo.core.tests.admin_forms import admin_form_data

    settings.LANGUAGE_CODE = "en"
    settings.THUOCDO_CALENDAR_COMPUTED_MONTHS = "warn"
    period_at("2026-10", "published")
    client = client_for(world.user("admin"))
    response = client.post(reverse("admin:core_calendaroverride_add"),
                           {"day": "2026-10-15", "kind": "holiday"})
    assert response.status_code == 302
    warnings = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert warnings == [
        "Warning: the evaluation period October 2026 is published, with the calendar of "
        "15/10/2026 as it was: computing them again follows the new calendar, while what is "
        "approved keeps the old one."]
    override = CalendarOverride.objects.get(day=OCTOBER_DAY)
    assert AuditEntry.objects.get(action="calendar.add").changes["computed"] == [
        "period:2026-10:published"]
    change = reverse("admin:core_calendaroverride_change", args=[override.pk])
    response = client.post(change, admin_form_data(client.get(change), kind="holiday"))
    assert not [m for m in get_messages(response.wsgi_request) if m.level_tag == "warning"], \
        "nothing changed: nothing to warn of"
    delete = reverse("admin:core_calendaroverride_delete", args=[override.pk])
    response = client.get(delete)
    assert response.status_code == 200
    assert "the evaluation period October 2026 is published" in response.content.decode()
    response = client.post(delete, {"post": "yes"})
    assert response.status_code == 302
    assert any("is published" in str(m) for m in get_messages(response.wsgi_request))
    assert not CalendarOverride.objects.exists()
    assert AuditEntry.objects.get(action="calendar.remove").changes["computed"] == [
        "period:2026-10:published"]

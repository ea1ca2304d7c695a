"""The audit trail is read-only in the admin; the calendar overrides are set and removed
through the services (audited), within the years a period may take; the mends of Django's
admin (autocomplete values that are no key, date hierarchies past year 9999)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from thuocdo.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_audit_trail_is_read_only(world, client_for):
    client = client_for(world.user("admin"))
    entry = AuditEntry.objects.first()
    assert client.get(reverse("admin:core_auditentry_changelist")).status_code == 200
    assert client.get(reverse("admin:core_auditentry_change", args=[entry.pk])).status_code == 200
    assert client.get(reverse("admin:core_auditentry_add")).status_code == 403
    response = client.post(reverse("admin:core_auditentry_change", args=[entry.pk]),
                           {"action": "tampered"})
    assert response.status_code == 403
    response = client.post(reverse("admin:core_auditentry_delete", args=[entry.pk]),
                           {"post": "yes"})
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.action != "tampered"


def test_the_audit_trail_is_read_by_who_acted(world, client_for):
    from thuocdo.org import services as org

    admin_user = world.user("admin")
    org.official_update(actor=admin_user, official=world.officials["CG.STAFF"],
                        phone="0900", reason="sửa số")
    client = client_for(admin_user)
    url = reverse("admin:core_auditentry_changelist")
    listed = client.get(url, {"actor__id__exact": admin_user.pk})
    assert listed.status_code == 200
    assert [e.actor for e in listed.context["cl"].result_list] == [admin_user]
    found = client.get(url, {"q": "admin@example.vn"}).context["cl"].result_list
    assert any(e.actor == admin_user and e.action == "official.update" for e in found)


def test_an_audit_entry_is_named_with_its_moment_in_vietnam_time(db):
    """The detail page's header read "2026-11-24 09:43" (UTC) while the list said
    24/11/2026 16:43."""
    from django.utils import timezone

    entry = AuditEntry(action="calendar.add", object_type="calendar", object_code="x",
                       at=dt.datetime(2026, 11, 24, 9, 43, tzinfo=dt.UTC))
    with timezone.override("Asia/Ho_Chi_Minh"):
        assert str(entry) == "24/11/2026 16:43 calendar.add calendar:x"


def test_calendar_overrides_are_set_through_the_service(world, client_for, settings):
    """Adding and changing an override are audited with the day and the kind (before and
    after for a change), as a removal is."""
    from thuocdo.core.models import CalendarOverride
    from thuocdo.core.tests.admin_forms import admin_form_data

    settings.LANGUAGE_CODE = "en"
    client = client_for(world.user("admin"))
    add = reverse("admin:core_calendaroverride_add")
    response = client.post(add, {"day": "2026-01-02", "kind": "holiday"})  # a Friday
    assert response.status_code == 302
    override = CalendarOverride.objects.get(day=dt.date(2026, 1, 2))
    assert override.kind == "holiday"
    entry = AuditEntry.objects.get(action="calendar.add")
    assert (entry.actor, entry.object_code, entry.changes) == (
        world.user("admin"), "2026-01-02", {"kind": "holiday"})

    response = client.post(add, {"day": "2026-01-02", "kind": "workday"})
    assert response.status_code == 200
    assert "already has an override" in response.context["adminform"].form.errors["day"][0]

    change = reverse("admin:core_calendaroverride_change", args=[override.pk])
    assert client.post(change, admin_form_data(client.get(change), kind="workday")
                       ).status_code == 302
    override.refresh_from_db()
    assert override.kind == "workday"
    entry = AuditEntry.objects.get(action="calendar.change")
    assert (entry.actor, entry.object_code, entry.changes) == (
        world.user("admin"), "2026-01-02", {"kind": ["holiday", "workday"]})
    assert not AuditEntry.objects.filter(action="calendar.bulk_set").exists()


def test_a_bulk_set_is_audited_with_its_days_and_kinds(world):
    from thuocdo.core import services

    services.calendar_overrides_bulk_set(days={dt.date(2026, 1, 2): "holiday"})
    entry = AuditEntry.objects.get(action="calendar.bulk_set")
    assert (entry.object_code, entry.changes) == (
        "2026-01-02", {"created": {"2026-01-02": "holiday"}, "changed": {}})
    services.calendar_overrides_bulk_set(days={dt.date(2026, 1, 2): "workday",
                                               dt.date(2026, 1, 10): "workday"})
    entry = AuditEntry.objects.filter(action="calendar.bulk_set").latest("pk")
    assert (entry.object_code, entry.changes) == (
        "2026-01-02..2026-01-10", {"created": {"2026-01-10": "workday"},
                                   "changed": {"2026-01-02": ["holiday", "workday"]}})


@pytest.mark.parametrize(("day", "kind", "says"), [
    ("2026-11-25", "workday", "25/11/2026 is already a working day (Wednesday)"),
    ("2026-11-28", "holiday", "28/11/2026 is already a day off (Saturday)"),
    ("2026-09-02", "holiday", "02/09/2026 is already a day off (National Day)"),
])
def test_an_override_that_changes_nothing_is_refused(world, client_for, settings, day, kind,
                                                     says):
    """A working day made a working day, a day off made a day off: refused, saying what
    the calendar already makes of the day; nothing written."""
    from thuocdo.core.models import CalendarOverride

    settings.LANGUAGE_CODE = "en"
    client = client_for(world.user("admin"))
    response = client.post(reverse("admin:core_calendaroverride_add"),
                           {"day": day, "kind": kind})
    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["day"]
    assert says in error and "would change nothing" in error
    assert not CalendarOverride.objects.exists()
    assert not AuditEntry.objects.filter(object_type="core.calendar").exists()


def test_an_override_that_changes_the_day_is_accepted(world, client_for):
    """A Saturday made a working day, a Friday made a day off; a swapped Saturday (an
    override) made a day off again: each changes what the calendar says of the day."""
    from thuocdo.core import services
    from thuocdo.core.calendar import work_calendar
    from thuocdo.core.models import CalendarOverride
    from thuocdo.core.tests.admin_forms import admin_form_data

    client = client_for(world.user("admin"))
    add = reverse("admin:core_calendaroverride_add")
    assert client.post(add, {"day": "2026-11-28", "kind": "workday"}).status_code == 302
    assert client.post(add, {"day": "2026-11-27", "kind": "holiday"}).status_code == 302
    calendar = work_calendar(years=[2026])
    assert calendar.is_workday(dt.date(2026, 11, 28))
    assert not calendar.is_workday(dt.date(2026, 11, 27))
    swapped = CalendarOverride.objects.get(day=dt.date(2026, 11, 28))
    change = reverse("admin:core_calendaroverride_change", args=[swapped.pk])
    assert client.post(change, admin_form_data(client.get(change), kind="holiday")
                       ).status_code == 302
    assert not work_calendar(years=[2026]).is_workday(dt.date(2026, 11, 28))
    # An import sets the days it lists, whatever the calendar said of them.
    assert services.calendar_overrides_bulk_set(days={dt.date(2026, 11, 25): "workday"}) == (
        1, 0)


def test_an_override_entered_by_mistake_is_removed_and_the_removal_audited(world,
                                                                          client_for):
    from thuocdo.core import services
    from thuocdo.core.calendar import work_calendar
    from thuocdo.core.models import CalendarOverride

    saturday = dt.date(2026, 2, 14)
    services.calendar_overrides_bulk_set(days={saturday: "workday"})
    assert work_calendar(years=[2026]).is_workday(saturday)
    override = CalendarOverride.objects.get(day=saturday)
    client = client_for(world.user("admin"))
    delete = reverse("admin:core_calendaroverride_delete", args=[override.pk])
    assert client.get(delete).status_code == 200
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not CalendarOverride.objects.filter(day=saturday).exists()
    assert not work_calendar(years=[2026]).is_workday(saturday)
    entry = AuditEntry.objects.get(action="calendar.remove")
    assert (entry.actor, entry.object_code, entry.changes["kind"]) == (
        world.user("admin"), "2026-02-14", "workday")

    services.calendar_overrides_bulk_set(days={saturday: "workday",
                                               dt.date(2026, 2, 21): "workday"})
    response = client.post(reverse("admin:core_calendaroverride_changelist"), {
        "action": "delete_selected", "post": "yes",
        "_selected_action": [str(pk) for pk in CalendarOverride.objects.values_list("pk",
                                                                                   flat=True)]})
    assert response.status_code == 302
    assert not CalendarOverride.objects.exists()
    assert AuditEntry.objects.filter(action="calendar.remove").count() == 3


@pytest.mark.parametrize("day", ["31/12/9999", "01/01/0001", "9999-12-31", "1899-12-31",
                                 "3000-01-01"])
def test_a_day_outside_the_years_a_period_may_take_is_refused(world, client_for, settings,
                                                              day):
    from thuocdo.core.models import CalendarOverride

    settings.LANGUAGE_CODE = "en"
    client = client_for(world.user("admin"))
    response = client.post(reverse("admin:core_calendaroverride_add"),
                           {"day": day, "kind": "holiday"})
    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["day"]
    assert "is outside the calendar: give a day of a year from 1900 to 2999" in error
    assert not CalendarOverride.objects.exists()


def test_the_service_refuses_such_a_day_for_an_import_too(world):
    from thuocdo.core import services
    from thuocdo.core.errors import ServiceError
    from thuocdo.core.models import CalendarOverride

    with pytest.raises(ServiceError) as refused:
        services.calendar_overrides_bulk_set(days={dt.date(2026, 5, 2): "workday",
                                                   dt.date(9999, 12, 31): "holiday"})
    assert (refused.value.service_code, refused.value.field) == ("calendar_day_range", "day")
    assert not CalendarOverride.objects.exists()


@pytest.mark.parametrize(("url", "query"), [
    ("admin:core_calendaroverride_changelist", "day__year=9999"),
    ("admin:core_calendaroverride_changelist", "day__year=9999&day__month=12"),
    ("admin:core_calendaroverride_changelist", "day__year=0"),
    ("admin:core_calendaroverride_changelist", "day__year=abc"),
    ("admin:core_auditentry_changelist", "at__year=9999"),
    ("admin:tasks_directive_changelist", "issued_on__year=9999"),
])
def test_a_date_hierarchy_year_out_of_range_shows_the_list_unfiltered(world, client_for, url,
                                                                       query):
    client = client_for(world.user("admin"))
    response = client.get(f"{reverse(url)}?{query}")
    assert response.status_code == 302 and response["Location"].endswith("?e=1")
    assert client.get(f"{reverse(url)}?{query.split('=')[0]}=2026").status_code == 200


def test_every_admin_page_of_ours_renders(world, client_for):
    """The index and each registered model's list and add pages answer an administrator."""
    from decimal import Decimal

    from django.contrib import admin

    from thuocdo.tasks import services as tasks

    tasks.product_create(code="BC", name="Báo cáo", coefficient=Decimal("1"))
    tasks.directive_create(code="24-CT/TU", title="Chỉ thị", issued_by=world.units["HN"],
                           issued_on=dt.date(2023, 8, 7))
    client = client_for(world.user("admin"))
    assert client.get(reverse("admin:index")).status_code == 200
    for model, model_admin in admin.site._registry.items():
        if not model.__module__.startswith("thuocdo."):
            continue
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert client.get(changelist).status_code == 200, changelist
        add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        expected = 200 if model_admin.has_add_permission(_request(world)) else 403
        assert client.get(add).status_code == expected, add
        obj = model._default_manager.first()
        if obj is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            assert client.get(change).status_code == 200, change


def _request(world):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = world.user("admin")
    return request


def test_an_override_is_named_with_its_day_and_kind_as_people_read_them():
    """The admin's delete page and messages name an override "31/12/2026 Ngày nghỉ", not
    "2026-12-31 holiday"."""
    from django.utils import translation

    from thuocdo.core.models import CalendarOverride

    override = CalendarOverride(day=dt.date(2026, 12, 31), kind="holiday")
    with translation.override("vi"):
        assert str(override) == "31/12/2026 Ngày nghỉ"


@pytest.mark.django_db
def test_the_library_s_swapped_saturday_works_unless_an_override_says_otherwise(world,
                                                                               client_for):
    """22/08/2026 is worked for Monday 31/08 off (the holiday library's swap): a working
    day with no override, so making it a working day changes nothing and is refused; an
    administrator may still give it off."""
    from thuocdo.core.calendar import work_calendar

    saturday = dt.date(2026, 8, 22)
    assert work_calendar(years=[2026]).is_workday(saturday)
    assert not work_calendar(years=[2026]).is_workday(dt.date(2026, 8, 31))
    client = client_for(world.user("admin"))
    add = reverse("admin:core_calendaroverride_add")
    assert client.post(add, {"day": "2026-08-22", "kind": "workday"}).status_code == 200
    assert client.post(add, {"day": "2026-08-22", "kind": "holiday"}).status_code == 302
    assert not work_calendar(years=[2026]).is_workday(saturday)


def test_a_change_of_kind_drops_the_imported_note_into_the_audit_trail(world):
    """An imported "Nghỉ bù Tết" stayed on a day made a working day; it goes, audited."""
    from thuocdo.core import services
    from thuocdo.core.models import CalendarOverride

    CalendarOverride.objects.create(day=dt.date(2026, 1, 2), kind="holiday",
                                    note="Nghỉ bù Tết")
    override = services.calendar_override_change(
        override=CalendarOverride.objects.get(day=dt.date(2026, 1, 2)), kind="workday")
    assert (override.kind, override.note) == ("workday", "")
    entry = AuditEntry.objects.get(action="calendar.change")
    assert entry.changes == {"kind": ["holiday", "workday"], "note": ["Nghỉ bù Tết", ""]}


def test_the_admin_pages_read_in_vietnamese(world, client_for, settings):
    """The texts Django's Vietnamese catalogue misses (core.django_strings) and the user's
    inline headings, which an alias of gettext_lazy kept out of the catalogue."""
    settings.LANGUAGE_CODE = "vi"
    client = client_for(world.user("admin"))
    index = client.get(reverse("admin:index")).content.decode()
    assert "Tên mục" in index and "Model name" not in index
    add_user = client.get(reverse("admin:accounts_user_add")).content.decode()
    assert "After you’ve created a user" not in add_user
    user = world.user("staff")
    change = client.get(reverse("admin:accounts_user_change", args=[user.pk])).content.decode()
    assert "set an end date to end one" not in change
    assert "phân quyền phạm vi (đặt ngày kết thúc để chấm dứt)" in change.lower()


def test_a_day_made_a_day_off_names_the_open_work_due_on_it(world, client_for, settings):
    """The deadlines stay where they were set; the administrator is told how much open
    work (tasks, dossiers, feedback cases) falls due on the day now off, and nothing when
    none does."""
    from django.contrib.messages import get_messages
    from django.utils import timezone

    from thuocdo.citizens.tests import factories
    from thuocdo.core.calendar import due_on
    from thuocdo.core.models import CalendarOverride
    from thuocdo.tasks import services as tasks
    from thuocdo.tasks.choices import TaskState
    from thuocdo.tasks.models import Task

    settings.LANGUAGE_CODE = "en"
    dossier = factories.dossier(world)
    case = factories.feedback(world)
    day = dossier.due_in_force
    product = tasks.product_create(code="BC", name="Báo cáo", coefficient=1)
    for title in ("Một", "Hai"):
        tasks.task_assign(assigned_by=world.officials["CG.HEAD"], title=title,
                          product=product, lead_unit=world.units["HN.CG.VP"],
                          lead_official=world.officials["CG.STAFF"], due=day)
    Task.objects.filter(title="Hai").update(state=TaskState.DONE)  # closed work is not named
    found = due_on([day, case.reply_due])
    assert [item.text for item in found[day]][:2] == [
        "1 open task", "1 dossier whose result is not returned"]
    assert "1 open feedback case" in [item.text for item in found[case.reply_due]]

    client = client_for(world.user("admin"))
    response = client.post(reverse("admin:core_calendaroverride_add"),
                           {"day": day.isoformat(), "kind": "holiday"})
    assert response.status_code == 302
    said = [str(m) for m in get_messages(response.wsgi_request)]
    shown = f"{day:%d/%m/%Y}"
    assert any(f"{shown} is now a day off, and the deadline in force of 1 open task; 1 "
               "dossier whose result is not returned" in message for message in said), said
    assert Task.objects.get(title="Một").due_in_force == day  # not moved
    client.get(response.url)  # the messages shown
    # a working day made so, or a day with nothing due, says nothing of the kind
    saturday = timezone.localdate() + dt.timedelta(days=(5 - timezone.localdate().weekday()) % 7
                                                   + 14)
    response = client.post(reverse("admin:core_calendaroverride_add"),
                           {"day": saturday.isoformat(), "kind": "workday"})
    assert not any("now a day off" in str(m) for m in get_messages(response.wsgi_request))
    assert CalendarOverride.objects.count() == 2

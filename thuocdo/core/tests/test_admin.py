"""The audit trail and the calendar overrides are read-only in the admin."""

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


def test_calendar_overrides_are_set_through_the_service(world, client_for, settings):
    from thuocdo.core.models import CalendarOverride
    from thuocdo.core.tests.admin_forms import admin_form_data

    settings.LANGUAGE_CODE = "en"
    client = client_for(world.user("admin"))
    add = reverse("admin:core_calendaroverride_add")
    response = client.post(add, {"day": "2026-02-14", "kind": "holiday"})
    assert response.status_code == 302
    override = CalendarOverride.objects.get(day=dt.date(2026, 2, 14))
    assert override.kind == "holiday"
    assert AuditEntry.objects.filter(action="calendar.bulk_set",
                                     actor=world.user("admin")).exists()

    response = client.post(add, {"day": "2026-02-14", "kind": "workday"})
    assert response.status_code == 200
    assert "already has an override" in response.context["adminform"].form.errors["day"][0]

    change = reverse("admin:core_calendaroverride_change", args=[override.pk])
    assert client.post(change, admin_form_data(client.get(change), kind="workday")
                       ).status_code == 302
    override.refresh_from_db()
    assert override.kind == "workday"
    response = client.post(reverse("admin:core_calendaroverride_delete", args=[override.pk]),
                           {"post": "yes"})
    assert response.status_code == 403


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

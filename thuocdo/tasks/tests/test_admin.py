"""The catalogue admin: products with versioned coefficients, directives, via services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from thuocdo.core.models import AuditEntry
from thuocdo.core.tests.admin_forms import admin_form_data
from thuocdo.tasks import services
from thuocdo.tasks.models import Directive, Product

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def admin_client(world, client_for):
    return client_for(world.user("admin"))


def test_a_product_is_created_with_its_coefficient(world, admin_client):
    response = admin_client.post(reverse("admin:tasks_product_add"), {
        "code": "BC", "name": "Báo cáo", "coefficient": "1.5", "valid_from": "",
    })
    assert response.status_code == 302
    product = Product.objects.get(code="BC")
    assert product.current_coefficient == Decimal("1.500")


def test_a_product_needs_a_positive_coefficient(world, admin_client):
    response = admin_client.post(reverse("admin:tasks_product_add"), {
        "code": "BC", "name": "Báo cáo", "coefficient": "0", "valid_from": "",
    })
    assert response.status_code == 200
    assert "greater than 0" in response.context["adminform"].form.errors["coefficient"][0]
    assert not Product.objects.filter(code="BC").exists()


def test_a_new_coefficient_adds_a_version(world, admin_client):
    product = services.product_create(code="TT", name="Tờ trình", coefficient=Decimal("1"))
    url = reverse("admin:tasks_product_change", args=[product.pk])
    start = timezone.localdate() + dt.timedelta(days=30)
    data = admin_form_data(admin_client.get(url), coefficient="2",
                           valid_from=start.isoformat(),
                           reason="Quyết định 15/QĐ-UBND điều chỉnh hệ số")
    assert admin_client.post(url, data).status_code == 302
    assert product.coefficient_on(start - dt.timedelta(days=1)) == Decimal("1")
    assert product.coefficient_on(start) == Decimal("2")
    assert product.coefficients.count() == 2
    # dated back, it would be the catalogue's for days whose tasks never had it: refused on
    # its field, nothing written
    data = admin_form_data(admin_client.get(url), coefficient="3", valid_from="2026-01-01",
                           reason="Quyết định 16/QĐ-UBND")
    response = admin_client.post(url, data)
    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["valid_from"]
    assert "applies from today" in error
    assert product.coefficients.count() == 2


def test_directives_are_created_and_codes_stay_unique(world, admin_client):
    url = reverse("admin:tasks_directive_add")
    data = {"code": "24-CT/TU", "title": "Chỉ thị về kỷ luật, kỷ cương",
            "issued_by": world.units["HN"].pk, "issued_on": "2023-08-07", "answers": ""}
    assert admin_client.post(url, data).status_code == 302
    assert Directive.objects.get(code="24-CT/TU").issued_on == dt.date(2023, 8, 7)
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "already used" in response.context["adminform"].form.errors["code"][0]


# -- a change states its reason, kept in the audit trail ---------------------------------

NO_REASON = "Say why you make this change: the reason is kept in the audit trail."


def test_a_product_change_without_a_reason_is_refused(world, admin_client):
    product = services.product_create(code="TT", name="Tờ trình", coefficient=Decimal("1"))
    url = reverse("admin:tasks_product_change", args=[product.pk])
    page = admin_client.get(url)
    assert page.context["adminform"].form.fields["reason"].required
    for reason in ("", "   "):
        data = admin_form_data(page, name="Tờ trình UBND", coefficient="2", reason=reason)
        response = admin_client.post(url, data)
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["reason"] == [NO_REASON]
    product.refresh_from_db()
    assert (product.name, product.current_coefficient) == ("Tờ trình", Decimal("1"))
    assert not AuditEntry.objects.filter(action="product.update").exists()


def test_a_product_change_is_audited_with_its_reason(world, admin_client):
    product = services.product_create(code="TT", name="Tờ trình", coefficient=Decimal("1"))
    url = reverse("admin:tasks_product_change", args=[product.pk])
    start = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    data = admin_form_data(admin_client.get(url), name="Tờ trình UBND", coefficient="2",
                           valid_from=start, reason="  Theo Quyết định 15/QĐ-UBND ")
    assert admin_client.post(url, data).status_code == 302
    entry = AuditEntry.objects.get(action="product.update", object_code="TT")
    assert entry.reason == "Theo Quyết định 15/QĐ-UBND"
    assert entry.actor == world.user("admin")
    assert entry.changes == {"name": ["Tờ trình", "Tờ trình UBND"],
                             "coefficient": ["1.000", "2", start]}


def test_the_add_pages_ask_no_reason(world, admin_client):
    """Creating is audited as such (`product.create`, `directive.create`), with no reason."""
    for name in ("admin:tasks_product_add", "admin:tasks_directive_add"):
        assert "reason" not in admin_client.get(reverse(name)).context["adminform"].form.fields
    admin_client.post(reverse("admin:tasks_product_add"), {
        "code": "BC", "name": "Báo cáo", "coefficient": "1.5", "valid_from": ""})
    assert AuditEntry.objects.get(action="product.create", object_code="BC").reason == ""


def test_a_directive_change_needs_a_reason_and_is_audited_with_it(world, admin_client):
    directive = services.directive_create(code="24-CT/TU", title="Chỉ thị về kỷ luật",
                                          issued_by=world.units["HN"],
                                          issued_on=dt.date(2023, 8, 7))
    url = reverse("admin:tasks_directive_change", args=[directive.pk])
    page = admin_client.get(url)
    response = admin_client.post(url, admin_form_data(page, title="Chỉ thị về kỷ cương"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["reason"] == [NO_REASON]
    directive.refresh_from_db()
    assert directive.title == "Chỉ thị về kỷ luật"
    assert not AuditEntry.objects.filter(action="directive.update").exists()

    data = admin_form_data(page, title="Chỉ thị về kỷ cương", reason="Sửa lỗi đánh máy")
    assert admin_client.post(url, data).status_code == 302
    directive.refresh_from_db()
    assert directive.title == "Chỉ thị về kỷ cương"
    entry = AuditEntry.objects.get(action="directive.update", object_code="24-CT/TU")
    assert (entry.reason, entry.actor) == ("Sửa lỗi đánh máy", world.user("admin"))
    assert entry.changes == {"title": ["Chỉ thị về kỷ luật", "Chỉ thị về kỷ cương"]}


def test_a_coefficient_version_reads_in_the_pages_language(world):
    """"1.000" reads as a thousand in Vietnamese."""
    from django.utils import translation

    product = services.product_create(code="TT", name="Tờ trình", coefficient=Decimal("1"))
    version = product.coefficients.get()
    with translation.override("vi"):
        assert str(version) == "1,000 từ 01/01/1900"
    with translation.override("en"):
        assert str(version) == "1.000 from 01/01/1900"

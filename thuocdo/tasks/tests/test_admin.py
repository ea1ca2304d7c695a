"""The catalogue admin: products with versioned coefficients, directives, via services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from thuocdo.core.tests.admin_forms import admin_form_data
from thuocdo.tasks import services
from thuocdo.tasks.models import Directive, Product

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


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
    data = admin_form_data(admin_client.get(url), coefficient="2", valid_from="2026-01-01")
    assert admin_client.post(url, data).status_code == 302
    assert product.coefficient_on(dt.date(2025, 12, 31)) == Decimal("1")
    assert product.coefficient_on(dt.date(2026, 1, 1)) == Decimal("2")
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

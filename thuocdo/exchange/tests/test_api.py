"""The exchange format's JSON Schema over the API."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_the_schema_is_served_to_any_logged_in_user(world):
    from thuocdo.exchange.schema import exchange_schema

    client = APIClient()
    client.force_authenticate(world.user("outsider"))
    response = client.get(reverse("api:exchange-schema"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == exchange_schema()
    assert response.json()["$schema"].startswith("https://json-schema.org/")


def test_the_schema_needs_a_login():
    response = APIClient().get(reverse("api:exchange-schema"))
    assert response.status_code == 403
    assert response.json()["code"] == "not_authenticated"

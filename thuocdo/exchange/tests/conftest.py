"""Fixtures of the exchange tests: documents from tests/data, and a fingerprint of the
database to prove that a refused import wrote nothing."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from django.apps import apps
from django.utils import translation

DATA = Path(__file__).with_name("data")
ON = dt.date(2026, 6, 1)


def load(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def table_counts() -> dict[str, int]:
    """Rows in every table of org, tasks, core and accounts."""
    return {
        model._meta.label: model._default_manager.count()
        for label in ("org", "tasks", "core", "accounts")
        for model in apps.get_app_config(label).get_models()
    }


def fingerprint() -> dict[str, object]:
    """Counts, plus the rows that an import could change in place."""
    from thuocdo.core.models import CalendarOverride
    from thuocdo.org.models import Membership, Official, TaskGroup, Unit
    from thuocdo.tasks.models import Directive, Product, ProductCoefficient

    return {
        "counts": table_counts(),
        "units": list(Unit.objects.order_by("code").values_list(
            "code", "name", "kind", "parent_id", "is_active", "lft", "rgt")),
        "groups": list(TaskGroup.objects.order_by("code").values_list("code", "name")),
        "officials": list(Official.objects.order_by("code").values_list(
            "code", "name", "email", "phone", "is_active")),
        "memberships": list(Membership.objects.order_by("pk").values_list(
            "official_id", "unit_id", "position", "task_group_id", "start", "end")),
        "products": list(Product.objects.order_by("code").values_list("code", "name")),
        "coefficients": list(ProductCoefficient.objects.order_by("pk").values_list(
            "product_id", "coefficient", "valid_from")),
        "directives": list(Directive.objects.order_by("code").values_list(
            "code", "title", "issued_by_id", "issued_on", "answers_id")),
        "calendar": list(CalendarOverride.objects.order_by("day").values_list("day", "kind")),
    }


@pytest.fixture
def example() -> dict:
    """The complete example of docs/exchange-format.md (a fresh copy)."""
    return copy.deepcopy(load("example.json"))


@pytest.fixture
def english():
    """Messages in English (the test settings default to Vietnamese)."""
    with translation.override("en"):
        yield

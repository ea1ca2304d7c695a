"""The generated city (thuocdo.exchange.generate) goes through the importer: a realistic
document of a few thousand records imports, re-imports as a no-op, exports back, and its
workbook imports to the same result."""

from __future__ import annotations

import pytest
from django.db import transaction

from thuocdo.core.models import AuditEntry
from thuocdo.exchange.exporter import export_document
from thuocdo.exchange.files import read_path, write_path
from thuocdo.exchange.generate import generate_city
from thuocdo.exchange.importer import import_document
from thuocdo.org.models import Membership

from .conftest import ON, fingerprint

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def city() -> dict:
    return generate_city(officials=1500, seed=7)


def by_code(records):
    return {r["code"]: r for r in records}


def test_a_generated_city_imports_exports_and_reimports_as_a_no_op(city):
    report = import_document(city, on=ON)
    assert report.counts["officials"].created == len(city["officials"])
    assert Membership.objects.count() == sum(1 for o in city["officials"] if o.get("unit"))
    exported = export_document()
    for key in ("units", "task_groups", "officials", "products", "directives"):
        assert by_code(exported[key]) == by_code(city[key]), key
    before, audit = fingerprint(), AuditEntry.objects.count()
    assert not import_document(city, on=ON).changed
    assert not import_document(exported, on=ON).changed
    assert (fingerprint(), AuditEntry.objects.count()) == (before, audit)


def test_the_generated_city_as_a_workbook_imports_to_the_same_result(city, tmp_path):
    write_path(city, tmp_path / "city.xlsx")
    with transaction.atomic():
        import_document(city, on=ON)
        from_json = export_document()
        transaction.set_rollback(True)
    import_document(read_path(tmp_path / "city.xlsx"), on=ON)
    assert export_document() == from_json

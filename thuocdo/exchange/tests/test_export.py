"""Export: deterministic, parents before children, and export → import → export is
the identity."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from thuocdo.core.testing import build_world
from thuocdo.exchange.exporter import export_document
from thuocdo.exchange.importer import import_document
from thuocdo.org import services as org
from thuocdo.org.models import Unit
from thuocdo.tasks import services as tasks

from .conftest import ON, fingerprint

pytestmark = pytest.mark.django_db


def test_the_example_exports_as_itself(example):
    import_document(example, on=ON)
    assert export_document() == example


def test_an_empty_database_exports_every_built_key():
    assert export_document() == {
        "format": "thuocdo-exchange/1", "calendar": {"holidays": [], "workdays": []},
        "units": [], "task_groups": [], "officials": [], "products": [], "directives": [],
        "tasks": [], "events": []}


def test_units_come_parents_first_whatever_the_codes(example):
    example["units"].append({"code": "A.FIRST", "name": "Đơn vị", "kind": "other",
                             "parent": "HN.SNV.CCHC"})
    import_document(example, on=ON)
    codes = [u["code"] for u in export_document()["units"]]
    assert codes.index("A.FIRST") > codes.index("HN.SNV.CCHC")
    seen: set[str] = set()
    for unit in export_document()["units"]:
        assert unit["parent"] is None or unit["parent"] in seen
        seen.add(unit["code"])


def test_export_import_export_round_trips():
    """A database built through the services (moves, a new coefficient, a deactivated
    official, calendar days) exports to a document that rebuilds an identical export."""
    with transaction.atomic():
        world = build_world()
        org.official_place(official=world.officials["CG.STAFF2"], unit=world.units["HN.BD.VP"],
                           position="deputy", on=dt.date(2026, 3, 1))
        org.official_update(official=world.officials["BD.STAFF"], is_active=False,
                            phone="0912 345 678")
        org.unit_update(unit=world.units["HN.SNV.TCCB"], is_active=False)
        product = tasks.product_create(code="BC", name="Báo cáo", coefficient=1)
        tasks.product_update(product=product, coefficient=2, valid_from=dt.date(2026, 1, 1),
                             history=True)
        directive = tasks.directive_create(code="24-CT/TU", title="Chỉ thị 24",
                                           issued_by=world.units["HN"],
                                           issued_on=dt.date(2023, 8, 7))
        tasks.directive_create(code="KH-CG", title="Kế hoạch", issued_by=world.units["HN.CG"],
                               issued_on=dt.date(2023, 9, 1), answers=directive)
        import_document({"calendar": {"holidays": ["2026-09-01"],
                                      "workdays": ["2026-01-10"]}}, on=ON)
        first = export_document()
        transaction.set_rollback(True)
    assert not Unit.objects.exists()
    import_document(first, on=ON)
    assert export_document() == first
    before = fingerprint()
    assert not import_document(first, on=ON + dt.timedelta(days=100)).changed
    assert fingerprint() == before
    assert first["officials"][-2]["code"] == "CG.STAFF2"
    assert first["officials"][-2]["since"] == "2026-03-01"
    assert first["products"] == [{"code": "BC", "name": "Báo cáo", "coefficient": 2.0,
                                  "coefficient_from": "2026-01-01"}]


def test_export_is_deterministic(example):
    import_document(example, on=ON)
    assert export_document() == export_document()

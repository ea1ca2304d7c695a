"""The bulk services the importer writes through (org, tasks, exchange): they check the
same rules as the per-row services, set-wise, before writing anything."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from thuocdo.core.errors import ServiceError
from thuocdo.core.models import AuditEntry
from thuocdo.core.services import calendar_overrides_bulk_set
from thuocdo.org import services as org
from thuocdo.org.models import Membership, Unit
from thuocdo.tasks import services as tasks

from .conftest import fingerprint

pytestmark = pytest.mark.django_db

D = dt.date


def refused(code: str, call, **kwargs) -> None:
    before = fingerprint()
    with pytest.raises(ServiceError) as caught:
        call(**kwargs)
    assert caught.value.service_code == code
    assert fingerprint() == before


def test_units_are_created_parents_first_and_numbered(world):
    rows = [org.UnitRow("X.C", "Con", "division", "X.B"), org.UnitRow("X.B", "Cha", "district",
                                                                     "HN"),
            org.UnitRow("X.A", "Gốc", "other")]
    assert org.units_bulk_create(rows=rows) == 3
    hn, child = Unit.objects.get(code="HN"), Unit.objects.get(code="X.C")
    assert hn.lft < child.lft < child.rgt < hn.rgt and child.depth == 2
    assert AuditEntry.objects.filter(action="unit.bulk_create").count() == 1


def test_unit_rows_are_refused_for_unknown_parents_cycles_and_taken_codes(world):
    refused("unit_parent", org.units_bulk_create,
            rows=[org.UnitRow("X.A", "A", "other", "NOPE")])
    refused("unit_cycle", org.units_bulk_create,
            rows=[org.UnitRow("X.A", "A", "other", "X.B"),
                  org.UnitRow("X.B", "B", "other", "X.A")])
    refused("unit_code_taken", org.units_bulk_create, rows=[org.UnitRow("HN.CG", "A", "other")])
    refused("unit_kind", org.units_bulk_create, rows=[org.UnitRow("X.A", "A", "galaxy")])
    refused("unit_cycle", org.units_bulk_update,
            rows=[org.UnitRow("HN", "Hà Nội", "city", "HN.CG.VP")])


def test_placing_officials_keeps_history_and_one_head_per_unit(world):
    on = D(2026, 6, 1)
    assert org.officials_bulk_place(rows=[
        org.PlaceRow("CG.STAFF", "HN.CG.VP", "staff", "CM", on)]) == 0  # already there
    refused("one_head_per_unit", org.officials_bulk_place,
            rows=[org.PlaceRow("CG.STAFF", "HN.CG", "head", None, on)])
    refused("membership_dates", org.officials_bulk_place,
            rows=[org.PlaceRow("CG.STAFF", "HN.BD.VP", "staff", None, D(2024, 1, 1))])
    # A handover in one call: the old head leaves the day before the new one starts.
    assert org.officials_bulk_place(rows=[
        org.PlaceRow("CG.HEAD", "HN.SNV", "staff", None, on),
        org.PlaceRow("CG.STAFF", "HN.CG", "head", "TH", on)]) == 2
    assert Membership.objects.get(official__code="CG.HEAD", unit__code="HN.CG").end == D(
        2026, 5, 31)
    assert Membership.objects.get(unit__code="HN.CG", position="head", end=None) \
        .official.code == "CG.STAFF"
    assert org.officials_bulk_place(rows=[org.PlaceRow("CG.STAFF", None, start=on)]) == 1
    assert Membership.objects.get(official__code="CG.STAFF", unit__code="HN.CG").end == on


def test_product_coefficients_are_versioned(db):
    tasks.products_bulk_create(rows=[tasks.ProductRow("BC", "Báo cáo", Decimal("1"))])
    assert tasks.products_bulk_update(rows=[
        tasks.ProductRow("BC", "Báo cáo", Decimal("1.5"), D(2026, 1, 1))]) == 1
    assert tasks.products_bulk_update(rows=[
        tasks.ProductRow("BC", "Báo cáo", Decimal("1.5"), D(2026, 3, 1))]) == 0
    refused("coefficient", tasks.products_bulk_update,
            rows=[tasks.ProductRow("BC", "Báo cáo", Decimal("2"), D(2025, 1, 1))])
    refused("coefficient", tasks.products_bulk_create,
            rows=[tasks.ProductRow("P0", "Không", Decimal("0"))])


def test_directives_may_answer_each_other_but_not_in_a_loop(world):
    tasks.directives_bulk_create(rows=[
        tasks.DirectiveRow("KH-1", "Kế hoạch", "HN.CG", D(2023, 9, 1), "24-CT/TU"),
        tasks.DirectiveRow("24-CT/TU", "Chỉ thị", "HN", D(2023, 8, 7))])
    refused("directive_cycle", tasks.directives_bulk_update, rows=[
        tasks.DirectiveRow("24-CT/TU", "Chỉ thị", "HN", D(2023, 8, 7), "KH-1")])
    refused("unit_unknown", tasks.directives_bulk_create, rows=[
        tasks.DirectiveRow("KH-2", "Kế hoạch", "NOPE", D(2023, 9, 1))])


def test_calendar_days_are_set_in_bulk(db):
    assert calendar_overrides_bulk_set(days={D(2026, 9, 1): "holiday"}) == (1, 0)
    assert calendar_overrides_bulk_set(days={D(2026, 9, 1): "workday"}) == (0, 1)
    refused("calendar_kind", calendar_overrides_bulk_set, days={D(2026, 9, 2): "party"})

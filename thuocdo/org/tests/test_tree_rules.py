"""The shape of the unit tree (docs/org.md): each kind of unit sits under the kinds its
`choices.PARENT_KINDS` allows, and a new unit's code is letters, digits and . - _ /. The
services refuse the rest, the admin shows it on the field, an import on the record's
path; nothing is written."""

from __future__ import annotations

import pytest
from django.urls import reverse

from thuocdo.core.errors import ServiceError
from thuocdo.core.models import AuditEntry
from thuocdo.org import services
from thuocdo.org.choices import AGENCY_KINDS, PARENT_KINDS, UnitKind
from thuocdo.org.models import Unit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def refused(call, **kwargs) -> ServiceError:
    units, audit = Unit.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ServiceError) as caught:
        call(**kwargs)
    assert (Unit.objects.count(), AuditEntry.objects.count()) == (units, audit)
    return caught.value


def test_every_kind_has_its_allowed_parents_and_a_division_always_an_agency_above():
    assert set(PARENT_KINDS) == set(UnitKind.values)
    assert None not in PARENT_KINDS[UnitKind.DIVISION]
    assert PARENT_KINDS[UnitKind.DIVISION] - {UnitKind.DIVISION} <= AGENCY_KINDS


# -- services ------------------------------------------------------------------------------


def test_a_division_needs_an_agency_above_it(world):
    error = refused(services.unit_create, code="HN.P", name="Phòng", kind="division")
    assert (error.service_code, error.field) == ("unit_parent_kind", "parent")
    assert "“HN.P” is of kind “Division”: a division belongs to an agency" in (
        error.service_message)
    error = refused(services.unit_create, code="HN.X.P", name="Phòng", kind="division",
                    parent=services.unit_create(code="HN.X", name="Ban", kind="other"))
    assert error.service_code == "unit_parent_kind"


def test_a_city_stands_at_the_top_and_a_district_under_a_city_or_a_province(world):
    error = refused(services.unit_create, code="HN.CG.TP", name="Thành phố", kind="city",
                    parent=world.units["HN.CG"])
    assert "“HN.CG.TP” is of kind “City”: it stands at the top of the tree" in (
        error.service_message)
    error = refused(services.unit_create, code="HN.CG.Q", name="Quận", kind="district",
                    parent=world.units["HN.CG"])
    assert error.service_message == (
        "“HN.CG.Q” is of kind “District”: it cannot be placed under “HN.CG”, of kind "
        "“District”; its parent must be of kind “City” or “Province”.")


def test_the_trees_of_the_demo_and_of_reformed_provinces_are_accepted(world):
    """What the generator and the test world build, and a commune directly under its
    province (two-tier local government), a division of a division, a unit of kind
    "other" anywhere."""
    province = services.unit_create(code="QN", name="UBND tỉnh Quảng Ninh", kind="province")
    commune = services.unit_create(code="QN.X01", name="UBND xã", kind="commune",
                                   parent=province)
    division = services.unit_create(code="QN.X01.VP", name="Văn phòng", kind="division",
                                    parent=commune)
    services.unit_create(code="QN.X01.VP.1", name="Tổ một cửa", kind="division",
                         parent=division)
    services.unit_create(code="QN.SYT", name="Sở Y tế", kind="department", parent=province)
    services.unit_create(code="BQL", name="Ban quản lý", kind="other")
    services.unit_create(code="QN.X01.TO-1/2026", name="Tổ dân phố", kind="other",
                         parent=commune)


@pytest.mark.parametrize("code", ["HN CG", "HN.CẦU-GIẤY", ".HN", "HN\tCG", "HN,CG"])
def test_a_code_with_spaces_or_other_signs_is_refused(world, code):
    error = refused(services.unit_create, code=code, name="Đơn vị", kind="other")
    assert (error.service_code, error.field) == ("unit_code_characters", "code")
    assert "letters without accents, digits and the signs . - _ / (no spaces)" in (
        error.service_message)
    error = refused(services.units_bulk_create, rows=[services.UnitRow(code, "Đơn vị",
                                                                       "other")])
    assert error.service_code == "unit_code_characters"


def test_a_move_or_a_new_kind_that_misplaces_a_unit_or_its_children_is_refused(world):
    cg, vp = world.units["HN.CG"], world.units["HN.CG.VP"]
    error = refused(services.unit_update, unit=vp, parent=None)
    assert (error.service_code, error.field) == ("unit_parent_kind", "parent")
    error = refused(services.unit_update, unit=vp, kind="city")
    assert (error.service_code, error.field) == ("unit_parent_kind", "kind")
    # a district made a division: its commune may not sit under a division
    error = refused(services.unit_update, unit=cg, kind="division")
    assert (error.service_code, error.field) == ("unit_parent_kind", "kind")
    assert "“HN.CG.DV” is of kind “Commune/ward”" in error.service_message
    cg.refresh_from_db()
    assert cg.kind == "district"
    services.unit_update(unit=world.units["HN.CG.DV"], parent=world.units["HN"])
    assert services.unit_update(unit=cg, kind="division").kind == "division"


def test_the_bulk_services_refuse_a_misplaced_unit(world):
    error = refused(services.units_bulk_create, rows=[
        services.UnitRow("X.D", "Quận", "district", "X.C"),
        services.UnitRow("X.C", "Thành phố", "city", "HN")])
    assert "“X.C” is of kind “City”" in error.service_message
    assert services.units_bulk_create(rows=[
        services.UnitRow("X.D", "Quận", "district", "X.C"),
        services.UnitRow("X.C", "Thành phố", "city")]) == 2
    error = refused(services.units_bulk_update,
                    rows=[services.UnitRow("X.D", "Quận", "division", None)])
    assert (error.service_code, error.field) == ("unit_parent_kind", "parent")
    error = refused(services.units_bulk_update,
                    rows=[services.UnitRow("HN.CG", "UBND quận Cầu Giấy", "division", "HN")])
    assert (error.service_code, error.field) == ("unit_parent_kind", "kind")
    assert "“HN.CG.DV” is of kind “Commune/ward”" in error.service_message
    assert Unit.objects.get(code="HN.CG").kind == "district"
    assert Unit.objects.get(code="X.D").parent.code == "X.C"


# -- the admin -----------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "parent", "field", "says"), [
    ("division", None, "parent", "a division belongs to an agency"),
    ("city", "HN.CG", "parent", "it stands at the top of the tree"),
    ("district", "HN.CG.VP", "parent", "its parent must be of kind “City” or “Province”"),
])
def test_the_admin_refuses_a_misplaced_unit_on_its_field(world, client_for, kind, parent,
                                                         field, says):
    client = client_for(world.user("admin"))
    count = Unit.objects.count()
    response = client.post(reverse("admin:org_unit_add"), {
        "code": "HN.NEW", "name": "Đơn vị mới", "kind": kind,
        "parent": world.units[parent].pk if parent else "", "is_active": "on"})
    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors[field]
    assert says in error
    assert Unit.objects.count() == count


def test_the_admin_refuses_a_code_with_spaces(world, client_for):
    client = client_for(world.user("admin"))
    response = client.post(reverse("admin:org_unit_add"), {
        "code": "HN CG 2", "name": "Đơn vị mới", "kind": "other", "parent": "",
        "is_active": "on"})
    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["code"]
    assert "Unit code “HN CG 2” may hold only" in error
    assert not Unit.objects.filter(code="HN CG 2").exists()


# -- an import -----------------------------------------------------------------------------


def problems(document: dict) -> list[tuple[str, str, str]]:
    from thuocdo.exchange.validation import validate_document

    return [(p.path, p.code, p.message) for p in validate_document(document)]


def test_an_import_applies_the_same_rules_on_the_records_paths(world):
    found = problems({"units": [
        {"code": "HN.P", "name": "Phòng", "kind": "division"},
        {"code": "HN.CG.TP", "name": "Thành phố", "kind": "city", "parent": "HN.CG"},
        {"code": "HN CG", "name": "Dấu cách", "kind": "other", "parent": "HN"},
        {"code": "HN.CG", "name": "UBND quận Cầu Giấy", "kind": "division", "parent": "HN"},
        {"code": "HN.Q", "name": "Quận", "kind": "district", "parent": "HN.NEW"},
        {"code": "HN.NEW", "name": "Mới", "kind": "city"},
    ]})
    messages = {path: (code, message) for path, code, message in found}
    assert set(messages) == {"units[0].parent", "units[1].parent", "units[2].code",
                             "units[3].kind"}, found
    assert messages["units[0].parent"][0] == "unit_parent_kind"
    assert "a division belongs to an agency" in messages["units[0].parent"][1]
    assert "it stands at the top of the tree" in messages["units[1].parent"][1]
    assert messages["units[2].code"][0] == "unit_code_characters"
    # a district made a division: its stored commune may not sit under it
    assert messages["units[3].kind"] == ("unit_parent_kind", (
        "“HN.CG.DV” is of kind “Commune/ward”: it cannot be placed under “HN.CG”, of kind "
        "“Division”; its parent must be of kind “City”, “Province” or “District”."))


def test_an_import_judges_the_tree_the_document_leaves(world):
    """A stored unit given a new kind in the same document as the units placed under it,
    a record that leaves its parent out keeping the stored one: imported."""
    from thuocdo.exchange.importer import import_document

    services.unit_create(code="HN.BQL", name="Ban", kind="other", parent=world.units["HN"])
    document = {"units": [
        {"code": "HN.BQL.P1", "name": "Phòng 1", "kind": "division", "parent": "HN.BQL"},
        {"code": "HN.BQL", "name": "Ban quản lý", "kind": "department"},
        {"code": "HN.CG.VP", "name": "Văn phòng", "kind": "division"},
    ]}
    assert problems(document) == []
    import_document(document)
    assert Unit.objects.get(code="HN.BQL.P1").parent.kind == "department"


def test_a_unit_in_a_cycle_is_reported_once(world):
    found = problems({"units": [
        {"code": "HN.A", "name": "A", "kind": "district", "parent": "HN.B"},
        {"code": "HN.B", "name": "B", "kind": "district", "parent": "HN.A"}]})
    assert [(path, code) for path, code, _message in found] == [("units[1].parent", "cycle")]


def test_a_unit_placed_before_the_rules_is_not_refused_until_it_moves(world):
    """A database whose tree was valid before the rules (a division at the top) exports and
    imports itself again unchanged, as the services leave such a unit until it is moved or
    given another kind; moving it under another division is judged."""
    legacy = Unit.objects.create(code="LEGACY", name="Phòng cũ", name_folded="phong cu",
                                 kind="division")
    services.unit_tree_rebuild()
    assert problems({"units": [{"code": "LEGACY", "name": "Phòng cũ (đổi tên)",
                                "kind": "division"}]}) == []
    found = problems({"units": [{"code": "LEGACY", "name": "Phòng cũ", "kind": "division",
                                 "parent": "HN.CG.VP"}]})
    assert found == [] and legacy.parent is None  # a division under a division: allowed
    found = problems({"units": [{"code": "LEGACY", "name": "Phòng cũ", "kind": "city",
                                 "parent": "HN.CG"}]})
    assert [(path, code) for path, code, _m in found] == [("units[0].parent",
                                                          "unit_parent_kind")]

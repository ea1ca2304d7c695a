"""The scope: each role reaches what the rules say and nothing else."""

from __future__ import annotations

import datetime as dt

import pytest

from thuocdo.core.scope import ANONYMOUS, scope_for
from thuocdo.org import selectors
from thuocdo.org.models import Official, Unit

pytestmark = pytest.mark.django_db


def codes(qs) -> set[str]:
    return set(qs.values_list("code", flat=True))


ALL_UNITS = {"HN", "HN.SNV", "HN.SNV.TCCB", "HN.CG", "HN.CG.VP", "HN.CG.DV", "HN.BD", "HN.BD.VP"}
CG_SUBTREE = {"HN.CG", "HN.CG.VP", "HN.CG.DV"}


@pytest.mark.parametrize(
    ("role", "units"),
    [
        ("admin", ALL_UNITS),
        ("board", CG_SUBTREE),
        ("inspector", CG_SUBTREE),
        ("head", CG_SUBTREE),
        ("deputy", CG_SUBTREE),
        ("staff", {"HN.CG.VP"}),
        ("outsider", {"HN.BD.VP"}),
    ],
)
def test_each_role_reads_its_units(world, role, units):
    """Heads/board/inspectors read a subtree; staff read only their own unit."""
    scope = scope_for(world.user(role))
    assert codes(Unit.objects.filter(scope.units_q())) == units


@pytest.mark.parametrize(
    ("role", "officials"),
    [
        ("head", {"CG.HEAD", "CG.DEP", "CG.STAFF", "CG.STAFF2", "DV.HEAD"}),
        ("inspector", {"CG.HEAD", "CG.DEP", "CG.STAFF", "CG.STAFF2", "DV.HEAD"}),
        ("staff", {"CG.STAFF", "CG.STAFF2"}),
        ("outsider", {"BD.STAFF"}),
    ],
)
def test_each_role_reads_its_officials(world, role, officials):
    scope = scope_for(world.user(role))
    assert codes(Official.objects.filter(scope.officials_q())) == officials


def test_anonymous_sees_nothing(world):
    assert ANONYMOUS.is_authenticated is False
    assert not Unit.objects.filter(ANONYMOUS.units_q()).exists()
    assert not Official.objects.filter(ANONYMOUS.officials_q()).exists()


def test_inspector_is_read_only_and_head_is_not(world):
    assert scope_for(world.user("inspector")).is_read_only
    assert not scope_for(world.user("head")).is_read_only
    assert not scope_for(world.user("board")).is_read_only


def test_lead_and_board_predicates(world):
    head = scope_for(world.user("head"))
    assert head.can_lead_unit(world.units["HN.CG.DV"])
    assert not head.can_lead_unit(world.units["HN.BD"])
    board = scope_for(world.user("board"))
    assert board.can_board_unit(world.units["HN.CG.VP"])
    assert not board.can_lead_unit(world.units["HN.CG.VP"])


def test_a_past_membership_gives_no_scope(world):
    """Scope follows memberships in force today: an ended head position leads nothing."""
    from thuocdo.org import services

    membership = world.officials["CG.HEAD"].memberships.get()
    services.membership_end(membership=membership, end=dt.date(2025, 6, 30))
    scope = scope_for(world.user("head"))
    assert scope.lead_ranges == ()
    assert not Unit.objects.filter(scope.units_q()).exists()


def test_official_detail_outside_scope_is_absent(world):
    scope = scope_for(world.user("staff"))
    with pytest.raises(Official.DoesNotExist):
        selectors.official_get(scope=scope, code="BD.STAFF")
    assert selectors.official_get(scope=scope, code="CG.STAFF2").code == "CG.STAFF2"

"""Selectors read within a scope; a typed code is found as people type it."""

from __future__ import annotations

import pytest

from thuocdo.core.scope import scope_for
from thuocdo.org import selectors
from thuocdo.org.models import Official

pytestmark = pytest.mark.django_db


def test_a_typed_code_is_found_in_any_case_unless_two_codes_differ_only_so(world):
    scope = scope_for(world.user("admin"))
    staff = world.officials["CG.STAFF"]
    assert selectors.official_typed(scope=scope, code="CG.STAFF") == staff
    assert selectors.official_typed(scope=scope, code="cg.Staff") == staff
    with pytest.raises(Official.DoesNotExist):
        selectors.official_typed(scope=scope, code="CG.NOBODY")
    # another official whose code differs only in case (the services refuse a new one now:
    # one stored before, or imported): the exact code still finds each, the ambiguous
    # spelling finds neither
    twin = Official.objects.create(code="cg.staff", name="Trùng mã", name_folded="trung ma")
    assert selectors.official_typed(scope=scope, code="cg.staff") == twin
    assert selectors.official_typed(scope=scope, code="CG.STAFF") == staff
    with pytest.raises(Official.DoesNotExist):
        selectors.official_typed(scope=scope, code="Cg.Staff")


def test_a_typed_code_outside_the_scope_is_not_found(world):
    """Ba Đình's staff do not see Cầu Giấy's officials, however the code is typed."""
    scope = scope_for(world.user("outsider"))
    for code in ("CG.STAFF", "cg.staff"):
        with pytest.raises(Official.DoesNotExist):
            selectors.official_typed(scope=scope, code=code)

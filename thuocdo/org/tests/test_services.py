"""Organisation rules: unique codes, no cycles, one head per unit at a time, history kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from thuocdo.core.errors import ServiceError
from thuocdo.core.models import AuditEntry
from thuocdo.org import selectors, services
from thuocdo.org.models import Membership, Unit

pytestmark = pytest.mark.django_db

D = dt.date


def test_unit_codes_are_unique(world):
    with pytest.raises(ServiceError) as caught:
        services.unit_create(code="HN.CG", name="Trùng", kind="district", parent=world.units["HN"])
    assert caught.value.service_code == "unit_code_taken"
    assert Unit.objects.filter(code="HN.CG").count() == 1


def test_unknown_kind_is_refused(world):
    with pytest.raises(ServiceError):
        services.unit_create(code="X", name="X", kind="galaxy")
    assert not Unit.objects.filter(code="X").exists()


def test_moving_a_unit_under_its_own_subtree_is_refused(world):
    cg = world.units["HN.CG"]
    with pytest.raises(ServiceError) as caught:
        services.unit_update(unit=cg, parent=world.units["HN.CG.VP"])
    assert caught.value.service_code == "unit_cycle"
    cg.refresh_from_db()
    assert cg.parent.code == "HN"


def test_moving_a_unit_renumbers_the_subtree(world):
    """After a move the nested-set ranges answer subtree queries for the new shape."""
    services.unit_update(unit=world.units["HN.CG.DV"], parent=world.units["HN.BD"])
    bd = Unit.objects.get(code="HN.BD")
    assert set(selectors.unit_subtree(unit=bd).values_list("code", flat=True)) == {
        "HN.BD", "HN.BD.VP", "HN.CG.DV"
    }
    cg = Unit.objects.get(code="HN.CG")
    assert set(selectors.unit_subtree(unit=cg).values_list("code", flat=True)) == {
        "HN.CG", "HN.CG.VP"
    }
    assert AuditEntry.objects.filter(action="unit.update", object_code="HN.CG.DV").exists()


def test_agency_of_a_division_is_its_district(world):
    assert selectors.unit_agency(unit=world.units["HN.CG.VP"]).code == "HN.CG"
    assert selectors.unit_agency(unit=world.units["HN.CG.DV"]).code == "HN.CG.DV"
    assert selectors.unit_agency(unit=world.units["HN.SNV.TCCB"]).code == "HN.SNV"


def test_a_second_current_head_is_refused(world):
    newcomer = services.official_create(code="NEW", name="Người Mới")
    with pytest.raises(ServiceError) as caught:
        services.membership_start(official=newcomer, unit=world.units["HN.CG"], position="head",
                                  start=D(2026, 1, 1))
    assert caught.value.service_code == "one_head_per_unit"
    assert not Membership.objects.filter(official=newcomer).exists()


def test_heads_may_follow_each_other(world):
    """A new head may start the day after the old one's last day, never overlapping."""
    old = world.officials["CG.HEAD"].memberships.get()
    newcomer = services.official_create(code="NEW", name="Người Mới")
    with pytest.raises(ServiceError):
        services.membership_start(official=newcomer, unit=world.units["HN.CG"], position="head",
                                  start=D(2025, 12, 1), end=D(2026, 3, 1))
    services.membership_end(membership=old, end=D(2026, 3, 31))
    with pytest.raises(ServiceError):
        services.membership_start(official=newcomer, unit=world.units["HN.CG"], position="head",
                                  start=D(2026, 3, 31))
    services.membership_start(official=newcomer, unit=world.units["HN.CG"], position="head",
                              start=D(2026, 4, 1))
    heads = Membership.objects.filter(unit=world.units["HN.CG"], position="head")
    assert heads.count() == 2


def test_the_database_also_refuses_two_current_heads(world):
    """The partial unique constraint backs the service for the current head."""
    newcomer = services.official_create(code="NEW", name="Người Mới")
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(official=newcomer, unit=world.units["HN.CG"], position="head",
                                  start=D(2026, 1, 1))


def test_moving_an_official_keeps_the_history(world):
    """A move ends the old membership the day before and starts a new one."""
    staff = world.officials["CG.STAFF"]
    services.official_place(official=staff, unit=world.units["HN.BD.VP"], position="staff",
                            task_group=world.groups["CM"], on=D(2026, 7, 1))
    history = list(selectors.membership_history(official=staff))
    assert [(m.unit.code, m.start, m.end) for m in history] == [
        ("HN.BD.VP", D(2026, 7, 1), None),
        ("HN.CG.VP", D(2025, 1, 1), D(2026, 6, 30)),
    ]
    # On a day in June they were still in Cầu Giấy; in July in Ba Đình.
    june = selectors.official_list(scope=_admin(world), unit=world.units["HN.CG"],
                                   on=D(2026, 6, 15))
    july = selectors.official_list(scope=_admin(world), unit=world.units["HN.CG"],
                                   on=D(2026, 7, 15))
    assert "CG.STAFF" in set(june.values_list("code", flat=True))
    assert "CG.STAFF" not in set(july.values_list("code", flat=True))


def test_placing_an_official_where_they_already_are_changes_nothing(world):
    staff = world.officials["CG.STAFF"]
    before = AuditEntry.objects.count()
    services.official_place(official=staff, unit=world.units["HN.CG.VP"], position="staff",
                            task_group=world.groups["CM"], on=D(2026, 7, 1))
    assert staff.memberships.count() == 1
    assert AuditEntry.objects.count() == before


def test_a_same_day_correction_amends_instead_of_ending_before_start(world):
    staff = world.officials["CG.STAFF2"]
    services.official_place(official=staff, unit=world.units["HN.BD.VP"], position="staff",
                            on=D(2026, 7, 1))
    services.official_place(official=staff, unit=world.units["HN.SNV.TCCB"], position="staff",
                            on=D(2026, 7, 1))
    history = [(m.unit.code, m.start, m.end) for m in selectors.membership_history(official=staff)]
    assert history == [
        ("HN.SNV.TCCB", D(2026, 7, 1), None),
        ("HN.CG.VP", D(2025, 1, 1), D(2026, 6, 30)),
    ]


def test_folded_search_finds_names_without_tones(world):
    found = selectors.official_list(scope=_admin(world), search="nguyen van duc")
    assert list(found.values_list("code", flat=True)) == ["CG.HEAD"]
    found = selectors.official_list(scope=_admin(world), search="ĐẶNG thi")
    assert list(found.values_list("code", flat=True)) == ["BD.STAFF"]


def _admin(world):
    from thuocdo.core.scope import scope_for

    return scope_for(world.user("admin"))


@st.composite
def forests(draw):
    """Random forests: each new unit's parent is None or an earlier unit."""
    n = draw(st.integers(min_value=1, max_value=25))
    parents = [None]
    for i in range(1, n):
        parents.append(draw(st.one_of(st.none(), st.integers(min_value=0, max_value=i - 1))))
    return parents


@settings(max_examples=25, deadline=None)
@given(parents=forests())
@pytest.mark.django_db(transaction=False)
def test_nested_sets_match_the_parent_links(parents):
    """For any forest, `lft`/`rgt` subtree queries equal walking the parent links."""
    with transaction.atomic():
        created = []
        for i, parent in enumerate(parents):
            created.append(services.unit_create(
                code=f"U{i:03d}", name=f"Đơn vị {i}", kind="other",
                parent=created[parent] if parent is not None else None, rebuild=False,
            ))
        services.unit_tree_rebuild()
        units = {u.pk: u for u in Unit.objects.all()}
        for unit in units.values():
            by_range = set(selectors.unit_subtree(unit=unit).values_list("pk", flat=True))
            by_links = {
                pk for pk, other in units.items()
                if _descends(other, unit.pk, units)
            }
            assert by_range == by_links
        transaction.set_rollback(True)


def _descends(unit, ancestor_pk, units) -> bool:
    node = unit
    while node is not None:
        if node.pk == ancestor_pk:
            return True
        node = units.get(node.parent_id)
    return False


def test_unit_members_list_heads_then_deputies_then_staff(world):
    """Not alphabetical by position value: the head leads the list whatever the names."""
    an = services.official_create(code="CG.DEP2", name="Âu Văn An")
    services.membership_start(official=an, unit=world.units["HN.CG"], position="deputy",
                              start=D(2025, 1, 1))
    zo = services.official_create(code="CG.Z", name="Vũ Văn Zô")
    services.membership_start(official=zo, unit=world.units["HN.CG"], position="staff",
                              start=D(2025, 1, 1))
    members = [m.official.code for m in selectors.unit_members(unit=world.units["HN.CG"])]
    assert members == ["CG.HEAD", "CG.DEP2", "CG.DEP", "CG.Z"]


# -- what an administrator's slip must not leave behind --------------------------------


def test_an_official_who_leaves_the_service_logs_in_no_more(world, client):
    """Their account is closed with them (audited), by the admin's service and by an
    import's bulk update alike; taken back, the account stays closed until reopened."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from thuocdo.core.testing import PASSWORD

    staff = world.officials["CG.STAFF"]
    client.force_login(world.user("staff"))
    services.official_update(official=staff, is_active=False, reason="nghỉ hưu")
    user = get_user_model().objects.get(official=staff)
    assert not user.is_active
    entry = AuditEntry.objects.get(action="user.update", object_code=user.email)
    assert entry.changes == {"is_active": [True, False]} and entry.reason == "nghỉ hưu"
    assert client.get("/").wsgi_request.user.is_anonymous  # the open session ends too
    login = client.post(reverse("accounts:login"),
                        {"username": staff.email, "password": PASSWORD})
    assert login.status_code == 200 and login.wsgi_request.user.is_anonymous
    services.official_update(official=staff, is_active=True)
    assert not get_user_model().objects.get(official=staff).is_active

    head = world.officials["CG.HEAD"]
    row = services.OfficialRow(code=head.code, name=head.name, email=head.email,
                               phone=head.phone, is_active=False)
    services.officials_bulk_update(rows=[row])
    assert not get_user_model().objects.get(official=head).is_active
    # an update of an official already out of service closes nothing again
    get_user_model().objects.filter(official=head).update(is_active=True)
    services.officials_bulk_update(rows=[row._replace(name="Nguyễn Văn Đức (cũ)")])
    assert get_user_model().objects.get(official=head).is_active


def test_a_head_ended_later_may_not_meet_the_next_head(world):
    old = world.officials["CG.HEAD"].memberships.get()
    services.membership_end(membership=old, end=D(2026, 6, 30))
    newcomer = services.official_create(code="NEW", name="Người Mới")
    services.membership_start(official=newcomer, unit=world.units["HN.CG"], position="head",
                              start=D(2026, 7, 1))
    with pytest.raises(ServiceError) as caught:
        services.membership_end(membership=old, end=D(2026, 12, 31))
    assert caught.value.service_code == "one_head_per_unit"
    old.refresh_from_db()
    assert old.end == D(2026, 6, 30)
    services.membership_end(membership=old, end=D(2026, 5, 31))  # earlier is fine


def test_the_same_place_is_not_held_twice_at_once(world):
    staff = world.officials["CG.STAFF"]
    with pytest.raises(ServiceError) as caught:
        services.membership_start(official=staff, unit=world.units["HN.CG.VP"],
                                  position="staff", start=D(2026, 11, 15))
    assert (caught.value.service_code, caught.value.field) == ("membership_held", "position")
    assert staff.memberships.count() == 1
    # another position in the unit, or the same one after the first ended, is a new record
    services.membership_end(membership=staff.memberships.get(), end=D(2026, 11, 14))
    services.membership_start(official=staff, unit=world.units["HN.CG.VP"], position="staff",
                              start=D(2026, 11, 15))
    assert staff.memberships.count() == 2


def test_a_unit_closes_once_nothing_is_left_in_it(world):
    cg = world.units["HN.CG"]
    with pytest.raises(ServiceError) as caught:
        services.unit_update(unit=cg, is_active=False)
    assert (caught.value.service_code, caught.value.field) == ("unit_close_children",
                                                               "is_active")
    dv = world.units["HN.CG.DV"]
    with pytest.raises(ServiceError) as caught:
        services.unit_update(unit=dv, is_active=False)
    assert caught.value.service_code == "unit_close_members"
    dv.refresh_from_db()
    assert dv.is_active
    services.membership_end(membership=world.officials["DV.HEAD"].memberships.get(),
                            end=timezone.localdate() - dt.timedelta(days=1))
    services.unit_update(unit=dv, is_active=False)
    with pytest.raises(ServiceError) as caught:
        services.membership_start(official=world.officials["CG.STAFF"], unit=dv,
                                  position="staff", start=timezone.localdate())
    assert caught.value.service_code == "unit_closed"
    with pytest.raises(ServiceError) as caught:
        services.unit_create(code="HN.CG.DV.T1", name="Tổ 1", kind="division", parent=dv)
    assert (caught.value.service_code, caught.value.field) == ("unit_closed", "parent")
    with pytest.raises(ServiceError) as caught:
        services.unit_update(unit=world.units["HN.BD.VP"], parent=dv)
    assert caught.value.service_code == "unit_closed"
    assert not Unit.objects.filter(code="HN.CG.DV.T1").exists()


def test_two_official_codes_differ_by_more_than_case(world):
    """People log in with their code in any case: "cg.staff" beside "CG.STAFF" would be
    one login for two people."""
    with pytest.raises(ServiceError) as caught:
        services.official_create(code="cg.staff", name="Người Khác")
    assert (caught.value.service_code, caught.value.field) == ("official_code_taken", "code")
    assert "“CG.STAFF”" in caught.value.service_message


def test_a_move_dated_before_the_current_place_began_is_refused(world):
    """Ending the current place the day before would end it before it began: two places
    at once (an import refuses the same)."""
    staff = world.officials["CG.STAFF"]
    with pytest.raises(ServiceError) as caught:
        services.official_place(official=staff, unit=world.units["HN.BD.VP"],
                                position="staff", on=D(2024, 6, 1))
    assert (caught.value.service_code, caught.value.field) == ("membership_dates", "on")
    assert staff.memberships.count() == 1
    # named by the place held now, not an earlier one that ended
    services.official_place(official=staff, unit=world.units["HN.BD.VP"], position="staff",
                            on=D(2025, 6, 1))
    with pytest.raises(ServiceError) as caught:
        services.official_place(official=staff, unit=world.units["HN.CG"], position="staff",
                                on=D(2024, 6, 1))
    assert "01/06/2025" in caught.value.service_message


def test_the_past_of_a_unit_closed_since_may_still_be_recorded(world):
    dv = world.units["HN.CG.DV"]
    head = world.officials["DV.HEAD"].memberships.get()
    today = timezone.localdate()
    services.membership_end(membership=head, end=today)  # their last day is today
    services.unit_update(unit=dv, is_active=False)  # a last day of today holds nothing
    staff = world.officials["BD.STAFF"]
    services.membership_start(official=staff, unit=dv, position="staff",
                              start=D(2024, 1, 1), end=D(2024, 12, 31))  # the past
    with pytest.raises(ServiceError) as caught:
        services.membership_start(official=staff, unit=dv, position="staff",
                                  start=D(2025, 1, 1), end=today)
    assert caught.value.service_code == "unit_closed"
    # corrected into a closed unit, the same
    with pytest.raises(ServiceError) as caught:
        services.membership_amend(membership=world.officials["CG.STAFF"].memberships.get(),
                                  unit=dv, position="staff", task_group=None)
    assert caught.value.service_code == "unit_closed"


def test_someone_arriving_later_holds_a_unit_open(world):
    dv = world.units["HN.CG.DV"]
    services.membership_end(membership=world.officials["DV.HEAD"].memberships.get(),
                            end=timezone.localdate() - dt.timedelta(days=1))
    services.membership_start(official=world.officials["BD.STAFF"], unit=dv,
                              position="staff",
                              start=timezone.localdate() + dt.timedelta(days=10))
    with pytest.raises(ServiceError) as caught:
        services.unit_update(unit=dv, is_active=False)
    assert caught.value.service_code == "unit_close_members"


def test_a_unit_is_reopened_only_under_an_open_unit(world):
    unit = services.unit_create(code="HN.CG.DV.T1", name="Tổ 1", kind="other",
                                parent=world.units["HN.CG.DV"])
    services.unit_update(unit=unit, is_active=False)
    services.membership_end(membership=world.officials["DV.HEAD"].memberships.get(),
                            end=timezone.localdate() - dt.timedelta(days=1))
    services.unit_update(unit=world.units["HN.CG.DV"], is_active=False)
    with pytest.raises(ServiceError) as caught:
        services.unit_update(unit=Unit.objects.get(code="HN.CG.DV.T1"), is_active=True)
    assert caught.value.service_code == "unit_closed"


def test_a_correction_does_not_make_a_place_held_twice(world):
    staff = world.officials["CG.STAFF"]
    services.membership_start(official=staff, unit=world.units["HN.CG"], position="staff",
                              start=D(2025, 6, 1))
    first = staff.memberships.get(unit=world.units["HN.CG.VP"])
    with pytest.raises(ServiceError) as caught:
        services.membership_amend(membership=first, unit=world.units["HN.CG"],
                                  position="staff", task_group=None)
    assert caught.value.service_code == "membership_held"

"""The organisation admin saves through services: their refusals are form errors and
nothing is written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from thuocdo.core.models import AuditEntry
from thuocdo.core.tests.admin_forms import admin_form_data
from thuocdo.org import services
from thuocdo.org.models import Membership, Official, Unit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def admin_client(world, client_for):
    return client_for(world.user("admin"))


def add_url(model: str) -> str:
    return reverse(f"admin:org_{model}_add")


def change_url(model: str, pk: int) -> str:
    return reverse(f"admin:org_{model}_change", args=[pk])


def test_creating_a_second_head_is_refused_and_nothing_is_written(world, admin_client):
    memberships, audit = Membership.objects.count(), AuditEntry.objects.count()
    response = admin_client.post(add_url("membership"), {
        "official": world.officials["CG.STAFF2"].pk,
        "unit": world.units["HN.CG"].pk,
        "position": "head",
        "task_group": "",
        "start": "2025-06-01",
        "end": "",
    })
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "already has a head" in errors["position"][0]
    assert "Nguyễn Văn Đức" in errors["position"][0]
    assert Membership.objects.count() == memberships
    assert AuditEntry.objects.count() == audit


def test_starting_a_membership_goes_through_the_service(world, admin_client):
    response = admin_client.post(add_url("membership"), {
        "official": world.officials["CG.STAFF2"].pk,
        "unit": world.units["HN.CG.DV"].pk,
        "position": "deputy",
        "task_group": world.groups["TH"].pk,
        "start": "2025-06-01",
        "end": "",
    })
    assert response.status_code == 302
    membership = Membership.objects.get(official=world.officials["CG.STAFF2"],
                                        unit=world.units["HN.CG.DV"])
    assert membership.start == dt.date(2025, 6, 1)
    entry = AuditEntry.objects.get(action="membership.start", object_code="CG.STAFF2",
                                   changes__unit="HN.CG.DV")
    assert entry.actor == world.user("admin")


def test_ending_a_membership_and_refusing_to_reopen_it(world, admin_client):
    membership = world.officials["CG.STAFF2"].memberships.get()
    url = change_url("membership", membership.pk)
    data = admin_form_data(admin_client.get(url), end="2025-12-31")
    refused = admin_client.post(url, data)  # no reason: the change must say why
    assert refused.status_code == 200
    assert "audit trail" in refused.context["adminform"].form.errors["reason"][0]
    membership.refresh_from_db()
    assert membership.end is None
    data = admin_form_data(admin_client.get(url), end="2025-12-31",
                           reason="Nghỉ hưu theo Quyết định 12/QĐ")
    assert admin_client.post(url, data).status_code == 302
    membership.refresh_from_db()
    assert membership.end == dt.date(2025, 12, 31)
    assert AuditEntry.objects.get(action="membership.end", object_code="CG.STAFF2").reason == (
        "Nghỉ hưu theo Quyết định 12/QĐ")

    data = admin_form_data(admin_client.get(url), end="", reason="mở lại")
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "cannot be reopened" in response.context["adminform"].form.errors["end"][0]
    membership.refresh_from_db()
    assert membership.end == dt.date(2025, 12, 31)


def test_amending_to_a_second_head_is_refused(world, admin_client):
    membership = world.officials["CG.DEP"].memberships.get()
    url = change_url("membership", membership.pk)
    data = admin_form_data(admin_client.get(url), position="head", reason="sửa")
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "already has a head" in response.context["adminform"].form.errors["position"][0]
    membership.refresh_from_db()
    assert membership.position == "deputy"


def test_creating_a_unit_renumbers_the_tree_and_is_audited(world, admin_client):
    parent = world.units["HN.SNV"]
    response = admin_client.post(add_url("unit"), {
        "code": "HN.SNV.VP", "name": "Văn phòng Sở", "kind": "division",
        "parent": parent.pk, "is_active": "on",
    })
    assert response.status_code == 302
    unit = Unit.objects.get(code="HN.SNV.VP")
    parent.refresh_from_db()
    assert parent.lft < unit.lft < unit.rgt < parent.rgt
    assert unit.name_folded == "van phong so"
    assert AuditEntry.objects.get(action="unit.create", object_code="HN.SNV.VP").actor == (
        world.user("admin"))


def test_a_duplicate_unit_code_is_refused_on_its_field(world, admin_client):
    count = Unit.objects.count()
    response = admin_client.post(add_url("unit"), {
        "code": "HN.CG", "name": "Trùng mã", "kind": "district", "parent": "",
        "is_active": "on",
    })
    assert response.status_code == 200
    assert "already used" in response.context["adminform"].form.errors["code"][0]
    assert Unit.objects.count() == count


def test_moving_a_unit_under_its_own_subtree_is_refused(world, admin_client):
    unit = world.units["HN.CG"]
    url = change_url("unit", unit.pk)
    data = admin_form_data(admin_client.get(url), parent=str(world.units["HN.CG.DV"].pk),
                           reason="sắp xếp lại")
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "own subtree" in response.context["adminform"].form.errors["parent"][0]
    unit.refresh_from_db()
    assert unit.parent == world.units["HN"]


def test_renaming_an_official_refolds_the_name(world, admin_client):
    official = world.officials["CG.STAFF"]
    url = change_url("official", official.pk)
    data = admin_form_data(admin_client.get(url), name="Lê Đình Cường", code="HACKED",
                           reason="Sửa họ tên theo CCCD")
    assert admin_client.post(url, data).status_code == 302
    official.refresh_from_db()
    assert official.name == "Lê Đình Cường"
    assert official.name_folded == "le dinh cuong"
    assert official.code == "CG.STAFF"  # codes are read-only once created
    assert AuditEntry.objects.get(action="official.update", object_code="CG.STAFF").reason == (
        "Sửa họ tên theo CCCD")


def test_creating_an_official(world, admin_client):
    response = admin_client.post(add_url("official"), {
        "code": "NEW.1", "name": "Vũ Thị Hạnh", "email": "hanh@example.vn", "phone": "",
    })
    assert response.status_code == 302
    official = Official.objects.get(code="NEW.1")
    assert official.name_folded == "vu thi hanh" and not official.is_active


def test_the_official_page_shows_memberships_read_only(world, admin_client):
    official = world.officials["CG.HEAD"]
    response = admin_client.get(change_url("official", official.pk))
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.total_form_count() == 1
    assert not formset.forms[0].fields.get("unit")  # shown, not editable


@pytest.mark.parametrize("model", ["unit", "official", "membership", "taskgroup"])
def test_deleting_is_not_offered(world, admin_client, model):
    obj = {"unit": world.units["HN.BD.VP"], "official": world.officials["BD.STAFF"],
           "membership": world.officials["BD.STAFF"].memberships.get(),
           "taskgroup": world.groups["CM"]}[model]
    response = admin_client.post(reverse(f"admin:org_{model}_delete", args=[obj.pk]),
                                 {"post": "yes"})
    assert response.status_code == 403
    assert type(obj).objects.filter(pk=obj.pk).exists()
    changelist = admin_client.get(reverse(f"admin:org_{model}_changelist"))
    assert "delete_selected" not in changelist.content.decode()


def test_admin_search_ignores_tones(world, admin_client):
    response = admin_client.get(reverse("admin:org_official_changelist"),
                                {"q": "Nguyen Van Duc"})
    assert [o.code for o in response.context["cl"].result_list] == ["CG.HEAD"]


def test_only_administrators_reach_the_admin(world, client_for):
    for role in ("board", "head", "staff"):
        response = client_for(world.user(role)).get(add_url("unit"))
        assert response.status_code == 302  # to the admin login page


def test_a_service_refusal_inside_the_dry_run_leaves_no_trace(world):
    """The form's validation runs the service for real and rolls it back."""
    from thuocdo.org.admin import UnitForm

    form = UnitForm(data={"code": "HN.TMP", "name": "Tạm", "kind": "division",
                          "parent": world.units["HN"].pk, "is_active": "on"})
    assert form.is_valid(), form.errors
    assert not Unit.objects.filter(code="HN.TMP").exists()
    assert not AuditEntry.objects.filter(object_code="HN.TMP").exists()
    unit = form.apply(actor=None)
    assert Unit.objects.get(code="HN.TMP") == unit
    services.unit_tree_rebuild()


def test_an_official_is_moved_in_one_step_and_told_what_they_still_hold(world, admin_client):
    """The move ends the current memberships the day before and starts the new place, with
    the reason in the audit trail; the page says the open work that stays with them."""
    from django.utils import timezone

    from thuocdo.tasks import services as tasks

    staff = world.officials["CG.STAFF"]
    product = tasks.product_create(code="BC", name="Báo cáo", coefficient=1)
    tasks.task_assign(assigned_by=world.officials["CG.HEAD"], title="Báo cáo", product=product,
                      lead_unit=world.units["HN.CG.VP"], lead_official=staff,
                      due=timezone.localdate() + dt.timedelta(days=30))
    change = change_url("official", staff.pk)
    assert "/move/" in admin_client.get(change).content.decode()
    url = reverse("admin:org_official_move", args=[staff.pk])
    # the form starts from the place held now (changing the unit only keeps the position)
    initial = admin_client.get(url).context["form"].initial
    assert (initial["position"], initial["task_group"]) == ("staff", world.groups["CM"].pk)
    # a move on the first day of the current place would rewrite that place: refused
    began = staff.memberships.get().start.strftime("%d/%m/%Y")
    same_day = admin_client.post(url, {"unit": world.units["HN.BD.VP"].pk,
                                       "position": "staff", "on": began, "reason": "x"})
    assert "Memberships" in same_day.context["form"].errors["on"][0]
    assert staff.memberships.get().unit == world.units["HN.CG.VP"]
    day = timezone.localdate()
    form = {"unit": world.units["HN.BD.VP"].pk, "position": "staff",
            "task_group": world.groups["CM"].pk, "on": day.strftime("%d/%m/%Y"), "reason": ""}
    refused = admin_client.post(url, form)
    assert refused.status_code == 200 and refused.context["form"].errors["reason"]
    assert staff.memberships.count() == 1
    response = admin_client.post(url, {**form, "reason": "Điều động theo QĐ 7/QĐ-UBND"},
                                 follow=True)
    said = [str(m) for m in response.context["messages"]]
    assert any("still holds 1 open task" in m for m in said), said
    old, new = staff.memberships.order_by("start")
    assert old.end == day - dt.timedelta(days=1) and new.unit == world.units["HN.BD.VP"]
    assert AuditEntry.objects.filter(action="membership.start", object_code="CG.STAFF",
                                     ).exists()
    for action in ("membership.end", "membership.start"):
        entry = AuditEntry.objects.filter(action=action, object_code="CG.STAFF").latest("pk")
        assert entry.reason == "Điều động theo QĐ 7/QĐ-UBND", action
    # a refusal of the service stands beside its field, nothing written
    closed = Unit.objects.create(code="HN.X", name="Đã giải thể", kind="district",
                                 parent=world.units["HN"], is_active=False)
    assert closed.pk  # offered nowhere: the list holds open units only
    refused = admin_client.post(url, {**form, "unit": closed.pk, "reason": "x"})
    assert refused.context["form"].errors["unit"]
    assert staff.memberships.count() == 2


def test_only_the_administrator_moves_officials(world, client_for):
    url = reverse("admin:org_official_move", args=[world.officials["CG.STAFF"].pk])
    assert client_for(world.user("board")).get(url).status_code == 302  # to the admin login


def test_a_move_to_the_place_held_says_nothing_changed_and_one_who_left_is_not_moved(
        world, admin_client):
    from django.utils import timezone

    staff = world.officials["CG.STAFF"]
    url = reverse("admin:org_official_move", args=[staff.pk])
    same = {"unit": world.units["HN.CG.VP"].pk, "position": "staff",
            "task_group": world.groups["CM"].pk,
            "on": timezone.localdate().strftime("%d/%m/%Y"), "reason": "x"}
    response = admin_client.post(url, same, follow=True)
    assert any("Nothing changed" in str(m) for m in response.context["messages"])
    assert staff.memberships.count() == 1
    services.official_update(official=staff, is_active=False, reason="nghỉ hưu")
    response = admin_client.post(url, {**same, "unit": world.units["HN.BD.VP"].pk},
                                 follow=True)
    assert any("no longer in service" in str(m) for m in response.context["messages"])
    assert staff.memberships.count() == 1

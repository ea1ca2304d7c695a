"""The user admin: users created with a hashed password by the service, grants given and
ended through services, passwords set through the service."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from thuocdo.accounts.models import ScopeGrant, User
from thuocdo.core.models import AuditEntry
from thuocdo.core.tests.admin_forms import admin_form_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

GOOD_PASSWORD = "Mot-mat-khau-dai-2026"


@pytest.fixture
def admin_client(world, client_for):
    return client_for(world.user("admin"))


def add_user(client, **fields):
    data = {"email": "", "full_name": "", "official": "", "password1": GOOD_PASSWORD,
            "password2": GOOD_PASSWORD, **fields}
    return client.post(reverse("admin:accounts_user_add"), data)


def test_creating_a_user_hashes_the_password(world, admin_client):
    response = add_user(admin_client, email="New.Person@Example.vn", full_name="Người Mới")
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.vn")
    assert user.password != GOOD_PASSWORD and user.check_password(GOOD_PASSWORD)
    assert not user.is_superuser and not user.is_staff
    assert AuditEntry.objects.get(action="user.create", object_code=user.email).actor == (
        world.user("admin"))


def test_creating_an_administrator(world, admin_client):
    assert add_user(admin_client, email="boss@example.vn", is_superuser="on").status_code == 302
    user = User.objects.get(email="boss@example.vn")
    assert user.is_superuser and user.is_staff


def test_a_weak_or_mismatched_password_is_refused(world, admin_client):
    count = User.objects.count()
    response = add_user(admin_client, email="weak@example.vn", password1="123",
                        password2="123")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["password2"]
    response = add_user(admin_client, email="weak@example.vn", password2="something-else")
    assert response.context["adminform"].form.errors["password2"]
    assert User.objects.count() == count


def test_an_official_with_an_account_is_refused_on_its_field(world, admin_client):
    count = User.objects.count()
    response = add_user(admin_client, email="again@example.vn",
                        official=world.officials["CG.STAFF"].pk)
    assert response.status_code == 200
    assert "already has an account" in response.context["adminform"].form.errors["official"][0]
    assert User.objects.count() == count


def test_a_taken_email_is_refused(world, admin_client):
    response = add_user(admin_client, email="ADMIN@example.vn")
    assert response.status_code == 200
    assert "already used" in response.context["adminform"].form.errors["email"][0]


def test_granting_and_ending_a_scope_through_the_inlines(world, admin_client):
    user = world.user("staff")
    url = reverse("admin:accounts_user_change", args=[user.pk])
    data = admin_form_data(admin_client.get(url), **{
        "grants-2-0-role": "inspector",
        "grants-2-0-unit": str(world.units["HN.BD"].pk),
        "grants-2-0-start": "2026-01-01",
    })
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context and [
        f.errors for f in response.context["inline_admin_formsets"][1].formset.forms]
    grant = ScopeGrant.objects.get(user=user, role="inspector")
    assert grant.unit == world.units["HN.BD"] and grant.start == dt.date(2026, 1, 1)
    assert AuditEntry.objects.filter(action="grant.create", object_code=user.email).exists()

    data = admin_form_data(admin_client.get(url), **{"grants-0-end": "2026-03-31"})
    assert admin_client.post(url, data).status_code == 302
    grant.refresh_from_db()
    assert grant.end == dt.date(2026, 3, 31)
    assert AuditEntry.objects.filter(action="grant.end", object_code=user.email).exists()


def test_saving_a_user_unchanged_writes_nothing(world, admin_client):
    user = world.user("board")
    url = reverse("admin:accounts_user_change", args=[user.pk])
    audit = AuditEntry.objects.count()
    assert admin_client.post(url, admin_form_data(admin_client.get(url))).status_code == 302
    assert AuditEntry.objects.count() == audit
    assert ScopeGrant.objects.filter(user=user).count() == 1


def test_an_administrator_sets_a_password_through_the_service(world, admin_client):
    user = world.user("staff")
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    page = admin_client.get(url).content.decode()
    assert "usable_password" not in page
    response = admin_client.post(url, {"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD,
                                       "set-password": "1"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(GOOD_PASSWORD)
    entry = AuditEntry.objects.get(action="user.set_password", object_code=user.email)
    assert entry.actor == world.user("admin")


def test_users_are_not_deleted(world, admin_client):
    user = world.user("staff")
    response = admin_client.post(reverse("admin:accounts_user_delete", args=[user.pk]),
                                 {"post": "yes"})
    assert response.status_code == 403
    assert User.objects.filter(pk=user.pk).exists()


@pytest.mark.parametrize("official", ["CB000135", "99999999999999999999999", "1.5"])
def test_an_official_given_by_code_not_by_id_is_refused_on_its_field(world, admin_client,
                                                                     official):
    """The reviewer's: a code typed where the autocomplete sends an id was a 500 while the
    refused form was shown again (`core.admin.KeyedAutocompleteMixin`)."""
    count = User.objects.count()
    response = add_user(admin_client, email="code@example.vn", official=official)
    assert response.status_code == 200
    assert "Select a valid choice" in response.context["adminform"].form.errors["official"][0]
    assert User.objects.count() == count


def test_a_grant_given_a_unit_that_is_no_id_is_refused_on_its_field(world, admin_client):
    user = world.user("staff")
    url = reverse("admin:accounts_user_change", args=[user.pk])
    data = admin_form_data(admin_client.get(url), **{
        "grants-2-0-role": "inspector", "grants-2-0-unit": "HN.BD",
        "grants-2-0-start": "2026-01-01"})
    response = admin_client.post(url, data)
    assert response.status_code == 200
    [form] = response.context["inline_admin_formsets"][1].formset.forms
    assert "Select a valid choice" in form.errors["unit"][0]
    assert not ScopeGrant.objects.filter(user=user, role="inspector").exists()


def test_a_grant_cannot_end_before_it_starts(world):
    from thuocdo.accounts import services
    from thuocdo.core.errors import ServiceError

    grant = ScopeGrant.objects.get(user=world.user("inspector"))
    with pytest.raises(ServiceError) as refused:
        services.scope_revoke(grant=grant, end=grant.start - dt.timedelta(days=1))
    assert (refused.value.service_code, refused.value.field) == ("grant_dates", "end")
    assert "before it starts (01/01/2025)" in refused.value.service_message
    grant.refresh_from_db()
    assert grant.end is None


def test_api_keys_are_not_made_in_the_admin(admin_client):
    """Each user asks for their own key, audited (`services.user_api_token`): DRF's admin,
    which made one for anybody with no record, is not offered."""
    assert "authtoken" not in admin_client.get(reverse("admin:index")).content.decode()
    assert admin_client.get("/admin/authtoken/tokenproxy/add/").status_code == 404

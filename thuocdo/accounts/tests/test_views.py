"""Logging in (e-mail or official code), locking after failed logins, passwords, logout."""

from __future__ import annotations

import pytest
from django.urls import reverse

from thuocdo.core.models import AuditEntry
from thuocdo.core.testing import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

NEW_PASSWORD = "Mat-khau-moi-2026!"


def login(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


def test_login_page_labels_the_identifier(world, client):
    page = client.get(reverse("accounts:login")).content.decode()
    assert "E-mail or official code" in page
    assert 'autocomplete="username"' in page and 'type="password"' in page


def test_login_with_email(world, client):
    response = login(client, "CG.Staff@Example.vn", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert logged_in_user_id(client) == str(world.user("staff").pk)


def test_login_with_official_code(world, client):
    response = login(client, "CG.STAFF", PASSWORD)
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(world.user("staff").pk)


def test_an_official_code_is_taken_in_any_case(world, client):
    """As e-mails are: "cg.staff" is CG.STAFF (and a code no one has is still refused)."""
    assert login(client, "cg.staff", PASSWORD).status_code == 302
    assert logged_in_user_id(client) == str(world.user("staff").pk)
    client.logout()
    assert login(client, "cg.staf", PASSWORD).status_code == 200


def test_login_follows_next(world, client):
    target = reverse("org:official_list")
    response = client.post(reverse("accounts:login") + f"?next={target}",
                           {"username": "CG.STAFF", "password": PASSWORD, "next": target})
    assert response["Location"] == target


def test_wrong_password_is_refused_with_a_message(world, client):
    response = login(client, "CG.STAFF", "wrong")
    assert response.status_code == 200
    assert "do not match" in response.content.decode()
    assert logged_in_user_id(client) is None


def test_inactive_official_account_cannot_log_in(world, client):
    user = world.user("staff")
    user.is_active = False
    user.save(update_fields=["is_active"])  # test setup: no service deactivates users yet
    assert login(client, "CG.STAFF", PASSWORD).status_code == 200
    assert logged_in_user_id(client) is None


def fail_five_times(client):
    """Five wrong passwords, typing the e-mail or the code: both count for one account."""
    responses = []
    for attempt in range(5):
        username = "CG.STAFF" if attempt % 2 else "cg.staff@example.vn"
        responses.append(login(client, username, "wrong"))
    return responses


def test_fifth_failed_login_shows_the_locked_page(world, client):
    *before, fifth = fail_five_times(client)
    assert [r.status_code for r in before] == [200, 200, 200, 200]
    assert fifth.status_code == 429
    assert "accounts/locked.html" in [t.name for t in fifth.templates]
    page = fifth.content.decode()
    assert "temporarily locked" in page and "contact an administrator" in page


def test_a_locked_account_refuses_even_the_right_password(world, client):
    fail_five_times(client)
    for username in ("cg.staff@example.vn", "CG.STAFF"):
        response = login(client, username, PASSWORD)
        assert response.status_code == 429
        assert logged_in_user_id(client) is None
    # Other accounts are not affected.
    assert login(client, "CG.DEP", PASSWORD).status_code == 302


def test_password_change_goes_through_the_service(world, client_for):
    user = world.user("staff")
    client = client_for(user)
    page = client.get(reverse("accounts:password_change")).content.decode()
    assert 'autocomplete="current-password"' in page
    response = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_change_done")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEntry.objects.filter(action="user.set_password", actor=user).exists()
    # Still logged in, and the done page says so.
    done = client.get(reverse("accounts:password_change_done"))
    assert "Password changed" in done.content.decode()
    client.logout()
    assert login(client, "CG.STAFF", NEW_PASSWORD).status_code == 302


def test_password_change_refuses_a_wrong_old_password(world, client_for):
    user = world.user("staff")
    response = client_for(user).post(reverse("accounts:password_change"), {
        "old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })
    assert response.status_code == 200
    assert response.context["form"].errors["old_password"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_logout_is_a_post(world, client_for):
    client = client_for(world.user("staff"))
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert client.get(reverse("core:home")).status_code == 302

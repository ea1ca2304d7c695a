"""Writes to accounts: users, their link to an official, scope grants, passwords."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from thuocdo.core.errors import ServiceError
from thuocdo.core.services import UNSET, Unset, audit_record
from thuocdo.org.models import Official, Unit

from .choices import GrantRole
from .models import ScopeGrant, User


@transaction.atomic
def user_create(
    *,
    actor: Any = None,
    email: str,
    password: str | None,
    full_name: str = "",
    official: Official | None = None,
    is_superuser: bool = False,
    validate: bool = True,
) -> User:
    """Create a user. Passwords are hashed by Django; `validate` applies the password rules."""
    email = email.strip().lower()
    if not email or "@" not in email:
        raise ServiceError(_("A user needs a valid e-mail address."), code="user_email",
                           field="email")
    if User.objects.filter(email__iexact=email).exists():
        raise ServiceError(_("E-mail “%(email)s” is already used.") % {"email": email},
                           code="user_email_taken", field="email")
    if official is not None and User.objects.filter(official=official).exists():
        raise ServiceError(
            _("Official %(code)s already has an account.") % {"code": official.code},
            code="user_official_taken", field="official",
        )
    if password and validate:
        validate_password(password)
    user = User(
        email=email, full_name=full_name or (official.name if official else ""),
        official=official, is_superuser=is_superuser, is_staff=is_superuser,
    )
    user.set_password(password)
    user.save()
    audit_record(actor=actor, action="user.create", object_type="accounts.user",
                 object_code=email,
                 changes={"official": official.code if official else None,
                          "is_superuser": is_superuser})
    return user


@transaction.atomic
def user_update(
    *,
    actor: Any = None,
    user: User,
    email: str | None = None,
    full_name: str | None = None,
    official: Official | Unset | None = UNSET,
    is_active: bool | None = None,
    is_superuser: bool | None = None,
    reason: str = "",
) -> User:
    """Change a user's e-mail, name, linked official, activity or administrator flag.

    Deactivating a user ends their sessions' use (Django refuses inactive users); the
    history of what they did stays attributed to them.
    """
    changes: dict[str, Any] = {}
    if email is not None and email.strip().lower() != user.email:
        email = email.strip().lower()
        if not email or "@" not in email:
            raise ServiceError(_("A user needs a valid e-mail address."), code="user_email",
                               field="email")
        if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            raise ServiceError(_("E-mail “%(email)s” is already used.") % {"email": email},
                               code="user_email_taken", field="email")
        changes["email"] = [user.email, email]
        user.email = email
    if full_name is not None and full_name.strip() != user.full_name:
        changes["full_name"] = [user.full_name, full_name.strip()]
        user.full_name = full_name.strip()
    if not isinstance(official, Unset) and (official.pk if official else None) != user.official_id:
        if official is not None and User.objects.filter(official=official).exclude(
            pk=user.pk
        ).exists():
            raise ServiceError(
                _("Official %(code)s already has an account.") % {"code": official.code},
                code="user_official_taken", field="official",
            )
        changes["official"] = [user.official.code if user.official else None,
                               official.code if official else None]
        user.official = official
    if is_active is not None and is_active != user.is_active:
        if not is_active and getattr(actor, "pk", None) == user.pk:
            raise ServiceError(_("You cannot deactivate your own account."),
                               code="user_self_deactivate", field="is_active")
        changes["is_active"] = [user.is_active, is_active]
        user.is_active = is_active
    if is_superuser is not None and is_superuser != user.is_superuser:
        if not is_superuser and getattr(actor, "pk", None) == user.pk:
            raise ServiceError(_("You cannot remove your own administrator rights."),
                               code="user_self_demote", field="is_superuser")
        changes["is_superuser"] = [user.is_superuser, is_superuser]
        user.is_superuser = user.is_staff = is_superuser
    if changes:
        user.save()
        audit_record(actor=actor, action="user.update", object_type="accounts.user",
                     object_code=user.email, changes=changes, reason=reason)
    return user


@transaction.atomic
def user_set_password(*, actor: Any = None, user: User, password: str) -> User:
    validate_password(password, user=user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(actor=actor, action="user.set_password", object_type="accounts.user",
                 object_code=user.email)
    return user


@transaction.atomic
def scope_grant(
    *,
    actor: Any = None,
    user: User,
    role: str,
    unit: Unit,
    start: dt.date | None = None,
    reason: str = "",
) -> ScopeGrant:
    """Grant `role` (board or inspector) over the subtree of `unit`."""
    if role not in GrantRole.values:
        raise ServiceError(_("Unknown role “%(role)s”.") % {"role": role}, code="grant_role",
                           field="role")
    start = start or timezone.localdate()
    existing = ScopeGrant.objects.filter(user=user, role=role, unit=unit, end__isnull=True).first()
    if existing:
        return existing
    grant = ScopeGrant.objects.create(user=user, role=role, unit=unit, start=start)
    audit_record(actor=actor, action="grant.create", object_type="accounts.user",
                 object_code=user.email, changes={"role": role, "unit": unit.code},
                 reason=reason)
    return grant


@transaction.atomic
def scope_revoke(
    *, actor: Any = None, grant: ScopeGrant, end: dt.date | None = None, reason: str = ""
) -> ScopeGrant:
    end = end or timezone.localdate()
    if end < grant.start:
        raise ServiceError(_("A grant cannot end before it starts (%(start)s).")
                           % {"start": grant.start.strftime("%d/%m/%Y")},
                           code="grant_dates", field="end")
    grant.end = end
    grant.save(update_fields=["end"])
    audit_record(actor=actor, action="grant.end", object_type="accounts.user",
                 object_code=grant.user.email,
                 changes={"role": grant.role, "unit": grant.unit.code,
                          "end": grant.end.isoformat()},
                 reason=reason)
    return grant


@transaction.atomic
def user_api_token(*, user: User):
    """The user's API token, created (and audited) on first use."""
    from rest_framework.authtoken.models import Token

    token, created = Token.objects.get_or_create(user=user)
    if created:
        audit_record(actor=user, action="user.api_token", object_type="accounts.user",
                     object_code=user.email)
    return token

"""Users and the roles granted to them."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import GrantRole


class UserManager(BaseUserManager["User"]):
    """Creates users; the services in `accounts.services` are the way the app does it."""

    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in. Linked to the official they are, if any.

    Logs in with their e-mail or their official code. What they may see is not stored
    here: `thuocdo.core.scope` computes it from memberships and `ScopeGrant`s.
    Administrators are superusers.
    """

    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("full name"), max_length=255, blank=True)
    official = models.OneToOneField(
        "org.Official", verbose_name=_("official"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="user",
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("can use the admin site"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name or self.email


class ScopeGrant(models.Model):
    """A role over a unit's subtree: organisation board (tổ chức cán bộ) or inspector (thanh tra).

    Inspectors read and never write. Ending a grant keeps it in the history.
    """

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="grants"
    )
    role = models.CharField(_("role"), max_length=16, choices=GrantRole.choices)
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="grants"
    )
    start = models.DateField(_("from"), default=timezone.localdate)
    end = models.DateField(_("to"), null=True, blank=True)

    class Meta:
        verbose_name = _("scope grant")
        verbose_name_plural = _("scope grants")
        ordering = ["user_id", "role"]

    def __str__(self) -> str:
        return f"{self.user.email}: {self.get_role_display()} @ {self.unit.code}"

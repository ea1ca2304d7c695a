"""Log in with an e-mail address or an official's code."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


def find_user(identifier: str):
    """The user whose e-mail or official code is `identifier` (in any case), or None."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    User = get_user_model()
    if "@" in identifier:
        return User.objects.filter(email__iexact=identifier).first()
    exact = User.objects.filter(official__code=identifier).first()
    if exact is not None:
        return exact
    # "cb000135" for CB000135, as e-mails are taken in any case; only when one account
    # answers (codes are unique as written, not always ignoring case)
    found = list(User.objects.filter(official__code__iexact=identifier)[:2])
    return found[0] if len(found) == 1 else None


def axes_username(request, credentials) -> str:
    """Count failed logins per account, whether the person typed the e-mail or the code."""
    typed = (credentials or {}).get("username") or ""
    user = find_user(typed)
    return user.email if user is not None else typed.strip().lower()


class EmailOrOfficialCodeBackend(ModelBackend):
    """Authenticate by e-mail or official code + password; inactive users are refused."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = find_user(username)
        if user is None:
            # Spend the same time as a real check, so timing does not reveal accounts.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

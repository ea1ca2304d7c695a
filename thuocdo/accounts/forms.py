"""Forms of the accounts pages. Passwords are set through `accounts.services` (audited)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordMixin
from django.utils.translation import gettext_lazy as _

from . import services


class LoginForm(AuthenticationForm):
    """Log in with an e-mail address or an official code."""

    username = forms.CharField(
        label=_("E-mail or official code"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        # Django's message names the model's USERNAME_FIELD ("email"); people may type a code.
        "invalid_login": _(
            "The e-mail or official code and the password do not match. Both may be "
            "case-sensitive."
        ),
    }


class ServicePasswordChangeForm(PasswordChangeForm):
    """Django's password change form, saved by `user_set_password` (so it is audited)."""

    def save(self, commit: bool = True):
        if not commit:
            self.user.set_password(self.cleaned_data["new_password1"])
            return self.user
        return services.user_set_password(
            actor=self.user, user=self.user, password=self.cleaned_data["new_password1"]
        )


class AdminSetPasswordForm(SetPasswordMixin, forms.Form):
    """An administrator sets another user's password (the admin's "password" page).

    Always sets a usable password: there is no service to disable password logins.
    `actor` is the administrator, recorded in the audit trail.
    """

    required_css_class = "required"
    password1, password2 = SetPasswordMixin.create_password_fields()

    def __init__(self, user, *args, actor=None, **kwargs):
        self.user = user
        self.actor = actor
        super().__init__(*args, **kwargs)
        self.fields["password1"].widget.attrs["autofocus"] = True

    def clean(self):
        self.validate_passwords()
        self.validate_password_for_user(self.user)
        cleaned = super().clean()
        # Django's admin view reads this key to tell "set" from "disable" submissions.
        cleaned["set_usable_password"] = True
        return cleaned

    def save(self, commit: bool = True):
        return services.user_set_password(
            actor=self.actor, user=self.user, password=self.cleaned_data["password1"]
        )

    @property
    def changed_data(self):
        return ["password"] if super().changed_data else []

"""Admin of users and their scope grants, saving through `accounts.services`.

Users are created with a hashed password by `user_create`; a password is set by
`user_set_password`; grants are added by `scope_grant` and ended by `scope_revoke`
(never deleted). A user's other fields are shown read-only: no service changes them yet.
"""

from __future__ import annotations

import copy
import functools

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import SetPasswordMixin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.authtoken.models import TokenProxy

from thuocdo.core.admin import (
    InlineServiceForm,
    KeyedAutocompleteMixin,
    ServiceAdmin,
    ServiceInlineFormSet,
    ServiceModelForm,
)
from thuocdo.core.errors import ServiceError

from . import services
from .forms import AdminSetPasswordForm
from .models import ScopeGrant, User

# An API key is asked for by its own user, and the first one is audited
# (`services.user_api_token`, /api/auth/token/). DRF's admin of keys would let an
# administrator make one for anybody, shown in clear and recorded nowhere: it is not offered
# (an account deactivated stops its key).
if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)

# -- scope grants ----------------------------------------------------------------------


class NewGrantFormSet(ServiceInlineFormSet):
    def apply_form(self, form, *, actor):
        data = form.cleaned_data
        return services.scope_grant(actor=actor, user=self.instance, role=data["role"],
                                    unit=data["unit"], start=data["start"])


class ExistingGrantFormSet(ServiceInlineFormSet):
    def apply_form(self, form, *, actor):
        grant = ScopeGrant.objects.select_related("user", "unit").get(pk=form.instance.pk)
        end = form.cleaned_data["end"]
        if end is None:
            raise ServiceError(_("An ended grant cannot be reopened: add a new one."),
                               code="grant_reopen", field="end")
        return services.scope_revoke(actor=actor, grant=grant, end=end)


class ExistingGrantInline(admin.TabularInline):
    """Grants given so far: only their end date can be set (ending keeps the history)."""

    model = ScopeGrant
    form = InlineServiceForm
    formset = ExistingGrantFormSet
    fields = ("role", "unit", "start", "end")
    readonly_fields = ("role", "unit", "start")
    extra = 0
    can_delete = False
    verbose_name_plural = gettext_lazy("scope grants (set an end date to end one)")

    def has_add_permission(self, request, obj=None):
        return False


class NewGrantInline(KeyedAutocompleteMixin, admin.TabularInline):
    """Give a role over a unit's subtree (a unit sent that is no key of a unit is refused by
    the field, not a 500: `KeyedAutocompleteMixin`)."""

    model = ScopeGrant
    form = InlineServiceForm
    formset = NewGrantFormSet
    fields = ("role", "unit", "start")
    autocomplete_fields = ("unit",)
    extra = 1
    can_delete = False
    verbose_name = gettext_lazy("new scope grant")
    verbose_name_plural = gettext_lazy("new scope grants")

    def get_queryset(self, request):
        return super().get_queryset(request).none()


# -- users -----------------------------------------------------------------------------


class UserAddForm(SetPasswordMixin, ServiceModelForm):
    """Create a user; the password is hashed by `user_create`."""

    password1, password2 = SetPasswordMixin.create_password_fields()

    class Meta:
        model = User
        fields = ("email", "full_name", "official", "is_superuser")

    def clean(self):
        # Password rules first, on the password field (the service would say it on top).
        self.validate_passwords()
        self.validate_password_for_user(
            User(email=self.cleaned_data.get("email", ""),
                 full_name=self.cleaned_data.get("full_name", ""))
        )
        return super().clean()

    def apply(self, *, actor):
        data = self.cleaned_data
        return services.user_create(
            actor=actor, email=data["email"], password=data["password1"],
            full_name=data["full_name"], official=data["official"],
            is_superuser=data["is_superuser"],
        )


class UserChangeForm(ServiceModelForm):
    """Edit a user through `user_update` (audited); grants are edited in the inlines."""

    class Meta:
        model = User
        fields = ("email", "full_name", "official", "is_active", "is_superuser")

    def apply(self, *, actor):
        data = self.cleaned_data
        return services.user_update(
            actor=actor, user=self.fresh(), email=data["email"], full_name=data["full_name"],
            official=data["official"], is_active=data["is_active"],
            is_superuser=data["is_superuser"],
        )


@admin.register(User)
class UserAdmin(ServiceAdmin, DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserAddForm
    change_password_form = AdminSetPasswordForm
    change_user_password_template = "admin/accounts/user/change_password.html"  # noqa: S105 - a template name
    add_fieldsets = (
        (None, {"classes": ("wide",),
                "fields": ("email", "full_name", "official", "is_superuser",
                           "password1", "password2")}),
    )
    fieldsets = (
        (None, {"fields": ("email", "full_name", "official", "password_link")}),
        (gettext_lazy("Permissions"), {"fields": ("is_active", "is_superuser", "is_staff")}),
        (gettext_lazy("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ("password_link", "is_staff", "last_login", "date_joined")
    list_display = ("email", "full_name", "official", "is_superuser", "is_active",
                    "last_login")
    list_filter = ("is_superuser", "is_active")
    search_fields = ("email", "full_name", "official__code")
    ordering = ("email",)
    filter_horizontal = ()
    autocomplete_fields = ("official",)
    list_select_related = ("official",)

    def get_inlines(self, request, obj):
        # Grants need the user to exist: they are given on the change page.
        return (ExistingGrantInline, NewGrantInline) if obj else ()

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    @admin.display(description=gettext_lazy("password"))
    def password_link(self, obj):
        url = reverse("admin:auth_user_password_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Set a new password"))

    def user_change_password(self, request, id, form_url=""):
        # Django's view builds the form itself; hand it the acting administrator through a
        # per-request copy of this admin, so nothing is shared between requests.
        per_request = copy.copy(self)
        per_request.change_password_form = functools.partial(
            AdminSetPasswordForm, actor=request.user
        )
        return DjangoUserAdmin.user_change_password(per_request, request, id, form_url)

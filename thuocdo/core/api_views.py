"""API endpoints of core: the API root (/api/), who the caller is (/api/me/) and API tokens
(/api/auth/token/)."""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from thuocdo.accounts.services import user_api_token
from thuocdo.org import selectors as org_selectors

from .api import ScopedAPIMixin, error_responses

# -- /api/ -----------------------------------------------------------------------------

#: The API's main endpoints as the root lists them: key → route name in the "api" namespace.
#: Each collection's list route (name ending in "-list") must be here
#: (test_the_api_root_lists_every_collection); records and actions are reached from them.
ROOT_ENDPOINTS = {
    "me": "api:me",
    "auth_token": "api:auth-token",
    "units": "api:unit-list",
    "officials": "api:official-list",
    "task_groups": "api:task-group-list",
    "tasks": "api:task-list",
    "my_work": "api:my-work",
    "directives": "api:directive-list",
    "products": "api:product-list",
    "signals": "api:signal-list",
    "notifications": "api:notification-list",
    "evaluation_periods": "api:evaluation-period-list",
    "score_cards": "api:score-card-list",
    "appeals": "api:appeal-list",
    "quota_exceptions": "api:quota-exception-list",
    "exchange_schema": "api:exchange-schema",
    "exchange_export": "api:exchange-export",
}
#: Where the API describes itself.
ROOT_DOCUMENTATION = {
    "schema": "api:schema",
    "docs": "api:docs",
    "redoc": "api:redoc",
}


class ApiRootSerializer(serializers.Serializer):
    endpoints = serializers.DictField(
        child=serializers.URLField(),
        help_text="The API's main endpoints by name (each collection, the caller's own "
                  "`me` and `my_work`, tokens, the exchange format).",
    )
    documentation = serializers.DictField(
        child=serializers.URLField(),
        help_text="The OpenAPI schema (`schema`), Swagger UI (`docs`) and Redoc (`redoc`).",
    )


class ApiRootView(APIView):
    """The API's entry point: its main endpoints and where its schema and documentation are.
    Like every endpoint but the token's, for logged-in callers only (anonymous: 403)."""

    @extend_schema(
        operation_id="api_root_retrieve",
        summary="The API's main endpoints and documentation",
        responses={200: ApiRootSerializer, **error_responses(403)},
        tags=["api"],
    )
    def get(self, request):
        def links(routes: dict[str, str]) -> dict[str, str]:
            return {key: request.build_absolute_uri(reverse(name))
                    for key, name in routes.items()}

        return Response(ApiRootSerializer({"endpoints": links(ROOT_ENDPOINTS),
                                           "documentation": links(ROOT_DOCUMENTATION)}).data)


# -- /api/me/ --------------------------------------------------------------------------


class ScopeUnitSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ScopeSerializer(serializers.Serializer):
    all_units = serializers.BooleanField(
        help_text="True for administrators, who read every unit."
    )
    read = ScopeUnitSerializer(many=True, help_text="Units whose whole subtree the caller reads.")
    lead = ScopeUnitSerializer(many=True, help_text="Units whose subtree the caller leads "
                                                    "(head or deputy).")
    board = ScopeUnitSerializer(many=True, help_text="Units whose subtree the caller manages "
                                                     "as organisation board.")
    member = ScopeUnitSerializer(many=True, help_text="Units the caller belongs to (staff see "
                                                      "these units' lists).")


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    full_name = serializers.CharField()
    official = serializers.CharField(allow_null=True,
                                     help_text="Code of the official the user is, if any.")
    roles = serializers.ListField(
        child=serializers.ChoiceField(
            choices=["admin", "board", "inspector", "head", "deputy", "staff"]
        )
    )
    read_only = serializers.BooleanField(help_text="True for inspectors: they only read.")
    scope = ScopeSerializer()


class MeView(ScopedAPIMixin, APIView):
    """The caller: user, official, roles and the units their scope is made of."""

    @extend_schema(
        operation_id="me_retrieve",
        summary="The caller and their scope",
        responses={200: MeSerializer, **error_responses(403)},
        examples=[OpenApiExample(
            "A head of a district",
            value={"email": "cg.head@example.vn", "full_name": "Nguyễn Văn Đức",
                   "official": "CG.HEAD", "roles": ["head"], "read_only": False,
                   "scope": {"all_units": False,
                             "read": [{"code": "HN.CG", "name": "UBND quận Cầu Giấy"}],
                             "lead": [{"code": "HN.CG", "name": "UBND quận Cầu Giấy"}],
                             "board": [],
                             "member": [{"code": "HN.CG", "name": "UBND quận Cầu Giấy"}]}},
            response_only=True,
        )],
        tags=["accounts"],
    )
    def get(self, request):
        user, scope = request.user, self.scope
        units = org_selectors.unit_scope_summary(scope=scope)
        data = {
            "email": user.email,
            "full_name": user.get_full_name(),
            "official": user.official.code if user.official_id else None,
            "roles": sorted(scope.roles),
            "read_only": scope.is_read_only,
            "scope": {"all_units": scope.is_admin, **units},
        }
        return Response(MeSerializer(data).data)


# -- /api/auth/token/ ------------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(
        label=gettext_lazy("E-mail or official code"), trim_whitespace=True,
        help_text="The e-mail address or the official code the user logs in with.",
    )
    password = serializers.CharField(
        label=gettext_lazy("Password"), trim_whitespace=False, style={"input_type": "password"}
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text="Send it as `Authorization: Token <token>` with every request."
    )


class TokenView(APIView):
    """Exchange login credentials for an API token.

    Authentication goes through `django.contrib.auth.authenticate`, so django-axes counts each
    failure and locks the account after AXES_FAILURE_LIMIT of them, exactly as the login page.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]

    @extend_schema(
        operation_id="auth_token_create",
        summary="Get an API token",
        description="Log in with e-mail or official code and password; the answer is the "
                    "user's token (the same one on every call). Repeated failures lock the "
                    "account for a while (429, code `account_locked`).",
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, **error_responses(400, 429)},
        examples=[
            OpenApiExample("By official code", value={"username": "CG.HEAD",
                                                      "password": "…"}, request_only=True),
            OpenApiExample("Wrong credentials", status_codes=["400"], response_only=True,
                           value={"code": "invalid_credentials",
                                  "message": "Unable to log in with the given e-mail or "
                                             "official code and password.", "errors": {}}),
        ],
        tags=["accounts"],
    )
    def post(self, request):
        body = TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # The DRF request, not the Django one: django-axes marks a lockout on the object it is
        # given, and AxesMiddleware would replace our JSON answer by the HTML lockout page if
        # the mark were on the Django request.
        user = authenticate(request=request, username=body.validated_data["username"],
                            password=body.validated_data["password"])
        if getattr(request, "axes_locked_out", False):
            return self._locked()
        if user is None:
            return Response(
                {"code": "invalid_credentials",
                 "message": _("Unable to log in with the given e-mail or official code and "
                              "password."),
                 "errors": {}},
                status=status.HTTP_400_BAD_REQUEST,
            )
        # A token login is a login: django-axes clears the failure count (AXES_RESET_ON_SUCCESS)
        # and Django records last_login.
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        return Response(TokenSerializer({"token": user_api_token(user=user).key}).data)

    @staticmethod
    def _locked() -> Response:
        from axes.helpers import get_cool_off

        cool_off = get_cool_off()
        minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else None
        if minutes:
            message = _(
                "Too many failed logins: this account is locked for %(minutes)s minutes. "
                "Try again later, or ask an administrator to unlock it."
            ) % {"minutes": minutes}
        else:
            message = _("Too many failed logins: this account is locked. Ask an administrator "
                        "to unlock it.")
        response = Response({"code": "account_locked", "message": message, "errors": {}},
                            status=getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429))
        if minutes:
            response["Retry-After"] = str(minutes * 60)
        return response

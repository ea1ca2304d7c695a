"""The organisation's REST API: units, officials and task groups, read-only and scoped.

Every read goes through `selectors` with the caller's scope (`ScopedAPIMixin.scope`, which
honours token authentication); a record outside the scope is a 404, exactly like a record
that does not exist. Records are addressed by `code`.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.decorators import action

from thuocdo.core.api import ScopedAPIMixin, error_responses

from . import selectors
from .filters import OfficialFilter, SelectorFilterBackend, UnitFilter
from .models import Official, Unit
from .serializers import (
    MembershipSerializer,
    OfficialSerializer,
    TaskGroupSerializer,
    UnitDetailSerializer,
    UnitMemberSerializer,
    UnitSerializer,
)

#: Codes contain dots (`HN.CG.VP`); DRF's default lookup pattern stops at a dot.
CODE_PATTERN = r"[^/]+"


def _code_parameter(what: str) -> OpenApiParameter:
    return OpenApiParameter("code", str, OpenApiParameter.PATH,
                            description=f"Code of the {what}.")


class _CodeLookupViewSet(ScopedAPIMixin, viewsets.GenericViewSet):
    lookup_field = "code"
    lookup_value_regex = CODE_PATTERN
    filter_backends = [SelectorFilterBackend]

    def paginated(self, queryset, serializer_class):
        page = self.paginate_queryset(queryset)
        serializer = serializer_class(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)


UNIT_EXAMPLE = OpenApiExample(
    "A division",
    value={"code": "HN.CG.VP", "name": "Văn phòng HĐND và UBND quận", "kind": "division",
           "kind_label": "Division", "parent": "HN.CG", "depth": 2, "is_active": True,
           "agency": "HN.CG", "child_count": 0},
    response_only=True,
)


@extend_schema_view(
    list=extend_schema(
        operation_id="units_list",
        summary="List units",
        description="Units the caller can read, in tree order unless `ordering` says otherwise.",
        responses={200: UnitSerializer(many=True), **error_responses(400, 403)},
        tags=["organisation"],
    ),
    retrieve=extend_schema(
        operation_id="units_retrieve",
        summary="One unit",
        description="A unit by code, with its parent, agency, depth and number of readable "
                    "children. 404 if it does not exist or is outside the caller's scope.",
        parameters=[_code_parameter("unit")],
        responses={200: UnitDetailSerializer, **error_responses(403, 404)},
        examples=[UNIT_EXAMPLE],
        tags=["organisation"],
    ),
)
class UnitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _CodeLookupViewSet):
    """Units of the organisation tree (đơn vị) the caller can read."""

    serializer_class = UnitSerializer
    filterset_class = UnitFilter

    def get_queryset(self):
        return selectors.unit_list(scope=self.scope)

    def get_serializer_class(self):
        return UnitDetailSerializer if self.action == "retrieve" else UnitSerializer

    def get_object(self) -> Unit:
        try:
            unit = selectors.unit_get(scope=self.scope, code=self.kwargs["code"])
        except Unit.DoesNotExist:
            raise Http404 from None
        if self.action == "retrieve":
            unit.agency = selectors.unit_agency(unit=unit)
            unit.child_count = selectors.unit_children(scope=self.scope, unit=unit).count()
        return unit

    @extend_schema(
        operation_id="units_children_list",
        summary="Children of a unit",
        description="The readable direct children of a readable unit, by code.",
        parameters=[_code_parameter("unit")],
        responses={200: UnitSerializer(many=True), **error_responses(403, 404)},
        tags=["organisation"],
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def children(self, request, code=None):
        unit = self.get_object()
        return self.paginated(selectors.unit_children(scope=self.scope, unit=unit),
                              UnitSerializer)

    @extend_schema(
        operation_id="units_members_list",
        summary="Current members of a unit",
        description="Memberships in force today in the unit itself (not its subunits), "
                    "heads first.",
        parameters=[_code_parameter("unit")],
        responses={200: UnitMemberSerializer(many=True), **error_responses(403, 404)},
        tags=["organisation"],
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def members(self, request, code=None):
        unit = self.get_object()
        return self.paginated(selectors.unit_members(unit=unit), UnitMemberSerializer)


@extend_schema_view(
    list=extend_schema(
        operation_id="officials_list",
        summary="List officials",
        description="Officials the caller can read, each with the memberships in force today. "
                    "`unit`, `position` and `task_group` apply to the same current membership.",
        responses={200: OfficialSerializer(many=True), **error_responses(400, 403)},
        tags=["organisation"],
    ),
    retrieve=extend_schema(
        operation_id="officials_retrieve",
        summary="One official",
        description="An official by code (active or not) with the memberships in force today. "
                    "404 if they do not exist or are outside the caller's scope.",
        parameters=[_code_parameter("official")],
        responses={200: OfficialSerializer, **error_responses(403, 404)},
        examples=[OpenApiExample(
            "A staff member",
            value={"code": "CG.STAFF", "name": "Lê Văn Cường", "email": "cg.staff@example.vn",
                   "phone": "", "is_active": True,
                   "current_memberships": [{
                       "unit": "HN.CG.VP", "unit_name": "Văn phòng HĐND và UBND quận",
                       "position": "staff", "position_label": "Staff", "task_group": "CM",
                       "start": "2025-01-01", "end": None}]},
            response_only=True,
        )],
        tags=["organisation"],
    ),
)
class OfficialViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _CodeLookupViewSet):
    """Officials (cán bộ, công chức, viên chức) the caller can read."""

    serializer_class = OfficialSerializer
    filterset_class = OfficialFilter

    def get_queryset(self):
        return selectors.official_list(scope=self.scope, active=None)

    def get_object(self) -> Official:
        try:
            return selectors.official_get(scope=self.scope, code=self.kwargs["code"])
        except Official.DoesNotExist:
            raise Http404 from None

    @extend_schema(
        operation_id="officials_memberships_list",
        summary="Membership history of an official",
        description="Every membership of a readable official, newest first: people move and "
                    "the history stays.",
        parameters=[_code_parameter("official")],
        responses={200: MembershipSerializer(many=True), **error_responses(403, 404)},
        tags=["organisation"],
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def memberships(self, request, code=None):
        official = self.get_object()
        return self.paginated(selectors.membership_history(official=official),
                              MembershipSerializer)


@extend_schema_view(
    list=extend_schema(
        operation_id="task_groups_list",
        summary="List task groups",
        description="Task groups (nhóm nhiệm vụ tương đồng): a catalogue every logged-in user "
                    "can read.",
        responses={200: TaskGroupSerializer(many=True), **error_responses(403)},
        tags=["organisation"],
    ),
)
class TaskGroupViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Task groups, by code."""

    serializer_class = TaskGroupSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.task_group_list()

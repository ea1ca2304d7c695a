"""The tasks REST API: scoped lists and details, assignment, and one endpoint per workflow action.

Reads go through `selectors` with the caller's scope (`ScopedAPIMixin.scope`, which honours
token authentication); a task outside the scope is a 404 exactly like a task that does not
exist, for GET and POST alike. Writes go through `services.task_assign` and
`services.task_act` only, as the caller's official.

Order of the checks on every POST: logged in (403 `not_authenticated`); not an inspector
(403 `read_only`); the task is readable (404); the user is an official (403 `no_official`)
and, to assign, leads some unit (403 `task_assigner_not_leader`); the body has the action's
fields (400 `invalid`); then the workflow itself: the task changed since `expected_version`
(409 `task_changed`), the action does not apply in this state (400 `wrong_state`), the caller
may not take it (403 `not_allowed`), a payload rule (400).
"""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from thuocdo.core.api import ErrorSerializer, ScopedAPIMixin, error_responses
from thuocdo.core.calendar import work_calendar
from thuocdo.core.errors import PermissionDeniedError
from thuocdo.measure.history import holder_intervals
from thuocdo.org.filters import SelectorFilterBackend

from . import selectors, services, workflow
from .adapters import history_for
from .filters import PERIOD_HELP, PERIOD_PATTERN, DirectiveFilter, ProductFilter, TaskFilter
from .models import Directive, Task
from .serializers import (
    DirectiveDetailSerializer,
    DirectiveSerializer,
    MyWorkSerializer,
    ProductSerializer,
    TaskAssignSerializer,
    TaskDetailSerializer,
    TaskEventSerializer,
    TaskSerializer,
    action_spec,
)

#: Codes may contain dots and "/" ("24-CT/TU"); api_urls.CodeRouter tries a record's
#: sub-routes before its detail route.
CODE_PATTERN = r".+"
TAGS = ["tasks"]


def _code_parameter(what: str) -> OpenApiParameter:
    return OpenApiParameter("code", str, OpenApiParameter.PATH,
                            description=f"Code of the {what}.")


CONFLICT = OpenApiResponse(
    ErrorSerializer,
    description="The task changed since `expected_version` (code `task_changed`): nothing "
                "was done; reload and try again.",
    examples=[OpenApiExample(
        "Stale view", status_codes=["409"], response_only=True,
        value={"code": "task_changed",
               "message": "The task changed since you opened it; reload and try again.",
               "errors": {}},
    )],
)

TASK_EXAMPLE = {
    "code": "NV2026-000123", "title": "Báo cáo sơ kết 6 tháng thực hiện Chỉ thị 24",
    "product": "BC", "quantity": 1, "coefficient": "1.000", "lead_unit": "HN.CG.VP",
    "lead_official": "CG.STAFF", "holder": {"unit": "HN.CG.VP", "official": "CG.STAFF"},
    "state": "in_progress", "bucket": "open_within_deadline", "due": "2026-10-15",
    "due_in_force": "2026-10-22", "priority": "normal", "directive": "24-CT/TU",
    "assigned_by": "CG.HEAD", "assigned_at": "2026-10-01T08:00:00+07:00", "done_at": None,
    "done_late": None, "last_event_at": "2026-10-13T09:00:00+07:00", "version": 7,
}
TASK_DETAIL_EXAMPLE = {
    **TASK_EXAMPLE,
    "description": "Tổng hợp kết quả 6 tháng, đề xuất giải pháp.",
    "assigner_unit": "HN.CG",
    "coordinating_units": [{"unit": "HN.CG.DV", "due": "2026-10-09"}],
    "steps": [{"order": 1, "name": "Dự thảo", "allowance": 5},
              {"order": 2, "name": "Lấy ý kiến", "allowance": 3}],
    "allowed_actions": ["transfer", "return", "extension_request", "guidance_request",
                        "consult", "submit"],
    "holder_intervals": [
        {"holder": {"unit": "HN.CG.VP", "official": "CG.STAFF"},
         "start": "2026-10-01T08:00:00+07:00", "end": "2026-10-05T09:00:00+07:00",
         "started_by": None, "workdays": 3, "workdays_overdue": 0},
        {"holder": {"unit": "HN.CG.VP", "official": "CG.STAFF2"},
         "start": "2026-10-05T09:00:00+07:00", "end": "2026-10-07T09:00:00+07:00",
         "started_by": 3, "workdays": 3, "workdays_overdue": 0},
        {"holder": {"unit": "HN.CG.VP", "official": "CG.STAFF"},
         "start": "2026-10-07T09:00:00+07:00", "end": None,
         "started_by": 4, "workdays": 5, "workdays_overdue": 0},
    ],
}


def _detail_examples() -> list[OpenApiExample]:
    return [OpenApiExample("A task in progress", value=TASK_DETAIL_EXAMPLE, response_only=True)]


class _CodeLookupViewSet(ScopedAPIMixin, viewsets.GenericViewSet):
    lookup_field = "code"
    lookup_value_regex = CODE_PATTERN
    filter_backends = [SelectorFilterBackend]

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["today"] = timezone.localdate()
        context["scope"] = self.scope
        return context

    def paginated(self, queryset, serializer_class):
        page = self.paginate_queryset(queryset)
        serializer = serializer_class(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)


@extend_schema_view(
    list=extend_schema(
        operation_id="tasks_list",
        summary="List tasks",
        description="Tasks the caller can read (administrators: all; heads, deputies, board "
                    "and inspectors: those led, held or assigned in their subtree; everyone: "
                    "the work they lead, hold, assigned or ever held, their units' lists, and "
                    "consultations of their units), filtered and ordered. Filters only "
                    "narrow that scope: `period` (like the work list's period) keeps the "
                    "tasks whose original deadline falls in the month, quarter or year.",
        parameters=[OpenApiParameter(
            "period", str, OpenApiParameter.QUERY, description=PERIOD_HELP,
            pattern=PERIOD_PATTERN,
            examples=[OpenApiExample("A month", value="2026-10"),
                      OpenApiExample("A quarter", value="2026-Q4"),
                      OpenApiExample("A year", value="2026")],
        )],
        responses={200: TaskSerializer(many=True), **error_responses(400, 403)},
        examples=[OpenApiExample("A task", value=TASK_EXAMPLE, response_only=True)],
        tags=TAGS,
    ),
    create=extend_schema(
        operation_id="tasks_create",
        summary="Assign a task",
        description="The caller (an official who leads the lead unit or a unit above it) "
                    "assigns a task with the five “rõ”: one lead unit and lead official, a "
                    "product, a deadline not in the past; optional coordinating units with "
                    "their own deadlines and steps with their allowances in working days. "
                    "The directive, if any, is one addressed to the assigning unit (issued "
                    "by it or a unit above it). Refusals are 400 with every rule broken at "
                    "once, each under its field, a row's nested on its row (e.g. "
                    "`task_due_past`, `task_lead_not_member`, "
                    "`task_directive_not_addressed`; `code` is the first's), or 403 "
                    "(`task_assigner_not_leader`, `no_official`, `read_only`).",
        request=TaskAssignSerializer,
        responses={201: TaskDetailSerializer, **error_responses(400, 403)},
        examples=[
            OpenApiExample(
                "Assign a report", request_only=True,
                value={"title": "Báo cáo sơ kết 6 tháng thực hiện Chỉ thị 24",
                       "description": "Tổng hợp kết quả 6 tháng, đề xuất giải pháp.",
                       "directive": "24-CT/TU", "product": "BC", "quantity": 1,
                       "lead_unit": "HN.CG.VP", "lead_official": "CG.STAFF",
                       "coordinating_units": [{"unit": "HN.CG.DV", "due": "2026-10-09"}],
                       "steps": [{"name": "Dự thảo", "allowance": 5},
                                 {"name": "Lấy ý kiến", "allowance": 3}],
                       "due": "2026-10-15", "priority": "normal"},
            ),
            *_detail_examples(),
        ],
        tags=TAGS,
    ),
    retrieve=extend_schema(
        operation_id="tasks_retrieve",
        summary="One task",
        description="A task by code with its coordinating units, steps, the actions the caller "
                    "may take now, and who held the work when (working days and overdue "
                    "working days of each interval, from the event log). 404 if it does not "
                    "exist or is outside the caller's scope.",
        parameters=[_code_parameter("task")],
        responses={200: TaskDetailSerializer, **error_responses(403, 404)},
        examples=_detail_examples(),
        tags=TAGS,
    ),
)
class TaskViewSet(mixins.ListModelMixin, _CodeLookupViewSet):
    """Tasks (nhiệm vụ) the caller can read, and the actions of their workflow."""

    serializer_class = TaskSerializer
    filterset_class = TaskFilter

    def get_queryset(self):
        return selectors.task_list(scope=self.scope)

    def get_serializer_class(self):
        if self.action == "create":
            return TaskAssignSerializer
        if self.action == "retrieve":
            return TaskDetailSerializer
        return super().get_serializer_class()

    # -- helpers -----------------------------------------------------------------------

    def _check_may_write(self) -> None:
        if self.scope.is_read_only:
            raise PermissionDeniedError(
                _("Your access is read-only: you may not change tasks."), code="read_only"
            )

    def _official(self):
        user = self.request.user
        if getattr(user, "official_id", None) is None:
            raise PermissionDeniedError(
                _("Your account is not linked to an official: only officials act on tasks."),
                code="no_official",
            )
        return user.official

    def _task(self) -> Task:
        try:
            return selectors.task_get(scope=self.scope, code=self.kwargs["code"])
        except Task.DoesNotExist:
            raise Http404 from None

    def _detail(self, task: Task) -> dict:
        """The task as TaskDetailSerializer shows it, with what the caller may do now and the
        holder intervals computed by the engine from its log."""
        now = timezone.now()
        today = timezone.localdate()
        events = list(selectors.task_events(task=task))
        logged = [e for e in events if e.kind != "create"]  # the engine's event indices
        calendar = work_calendar(years=range(min(task.assigned_at.year, today.year),
                                             max(today.year, task.due_in_force.year) + 1))
        task.holder_intervals = [
            {"holder": {"unit": i.holder.unit, "official": i.holder.official},
             "start": i.start, "end": i.end,
             "started_by": logged[i.started_by].seq if i.started_by is not None else None,
             "workdays": i.workdays, "workdays_overdue": i.workdays_overdue}
            for i in holder_intervals(history_for(task, events), calendar, now)
        ]
        official_id = getattr(self.request.user, "official_id", None)
        if self.scope.is_read_only or official_id is None:
            task.allowed_actions = []
        else:
            task.allowed_actions = [str(kind) for kind in workflow.allowed_actions(
                task, self.request.user.official, today)]
        return TaskDetailSerializer(task, context=self.get_serializer_context()).data

    # -- endpoints ---------------------------------------------------------------------

    def create(self, request):
        self._check_may_write()
        official = self._official()
        if not self.scope.is_admin and not self.scope.lead_ranges:
            # The service checks the lead unit precisely; this only spares a caller who leads
            # nothing a 400 about units they cannot read.
            raise PermissionDeniedError(
                _("Only the head or a deputy of a unit assigns tasks."),
                code="task_assigner_not_leader",
            )
        body = TaskAssignSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        task = services.task_assign(
            user=request.user,
            assigned_by=official,
            code=data.get("code") or None,
            title=data["title"],
            description=data.get("description", ""),
            directive=data.get("directive"),
            product=data["product"],
            quantity=data["quantity"],
            lead_unit=data["lead_unit"],
            lead_official=data["lead_official"],
            coordinating=[(row["unit"], row["due"])
                          for row in data.get("coordinating_units", [])],
            steps=[(row["name"], row["allowance"]) for row in data.get("steps", [])],
            due=data["due"],
            priority=data["priority"],
        )
        task = selectors.task_list(scope=self.scope).filter(pk=task.pk).first() or task
        location = reverse("api:task-detail", kwargs={"code": task.code})
        return Response(self._detail(task), status=status.HTTP_201_CREATED,
                        headers={"Location": location})

    def retrieve(self, request, code=None):
        return Response(self._detail(self._task()))

    @extend_schema(
        operation_id="tasks_events_list",
        summary="The event log of a task",
        description="Every event of a readable task in order: who acted, the state and the "
                    "holder before and after, the kind's fields (exchange-format names), and "
                    "the hash chaining it to the previous event (`prev_hash`), so a client can "
                    "verify the chain.",
        parameters=[_code_parameter("task")],
        responses={200: TaskEventSerializer(many=True), **error_responses(403, 404)},
        examples=[OpenApiExample(
            "An accept", response_only=True,
            value={"seq": 2, "kind": "accept", "at": "2026-10-01T09:00:00+07:00",
                   "actor": "CG.STAFF", "state_before": "assigned",
                   "state_after": "in_progress",
                   "holder_before": {"unit": "HN.CG.VP", "official": "CG.STAFF"},
                   "holder_after": {"unit": "HN.CG.VP", "official": "CG.STAFF"},
                   "data": {}, "hash": "9f2c…", "prev_hash": "41ab…"},
        )],
        tags=TAGS,
    )
    @action(detail=True, methods=["get"], filter_backends=[],
            serializer_class=TaskEventSerializer)
    def events(self, request, code=None):
        task = self._task()
        return self.paginated(selectors.task_events(task=task), TaskEventSerializer)

    def act(self, request, kind: str) -> Response:
        """Take workflow action `kind` on the task named in the URL as the caller."""
        self._check_may_write()
        task = self._task()
        official = self._official()
        serializer_class, *_rest = action_spec(kind)
        body = serializer_class(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        expected_version = data.pop("expected_version", None)
        data = {name: value for name, value in data.items() if value is not None}
        # a stale view is a 409 `task_changed` (core.api.CONFLICT_CODES)
        services.task_act(task=task, kind=kind, actor=official, user=request.user,
                          data=data, expected_version=expected_version)
        # Re-read through the scope (relations loaded); the caller may act on a task and
        # still read it, but fall back to the refreshed row just in case.
        task = selectors.task_list(scope=self.scope).filter(pk=task.pk).first() or task
        return Response(self._detail(task))


def _action_endpoint(kind: str):
    """POST /api/tasks/{code}/{kind}/ (route name `api:task-<kind with hyphens>`)."""
    serializer_class, summary, description, example = action_spec(kind)
    transition = workflow.TRANSITIONS[kind]
    states = ", ".join(f"`{state}`" for state in sorted(transition.sources))
    who = {
        "holder": "the official holding the work (or a leader of the holding unit when no "
                  "official holds it)",
        "assigner": "the assigner, or a head or deputy of the assigning unit",
        "superior": "the assigner, or a head or deputy of the holding unit or a unit above it",
        "guide": "the official the pending guidance request was sent to",
        "consulted": "a member of a consulted unit that has not replied yet",
    }.get(transition.actor, transition.actor)

    def endpoint(self, request, code=None):
        return self.act(request, kind)

    endpoint.__name__ = f"act_{kind}"
    endpoint.__doc__ = summary
    examples = [OpenApiExample(summary, value=example, request_only=True), *_detail_examples()]
    endpoint = action(
        detail=True, methods=["post"], url_path=kind, url_name=kind.replace("_", "-"),
        serializer_class=serializer_class, filter_backends=[],
    )(endpoint)
    return extend_schema(
        operation_id=f"tasks_{kind}",
        summary=summary,
        description=f"{description}\n\nAllowed from: {states}. Who: {who}. Answers the "
                    "updated task.",
        parameters=[_code_parameter("task")],
        request=serializer_class,
        responses={200: TaskDetailSerializer, **error_responses(400, 403, 404), 409: CONFLICT},
        examples=examples,
        tags=TAGS,
    )(endpoint)


#: One endpoint per kind of the workflow table: a new action gets its endpoint.
for _kind in workflow.TRANSITIONS:
    setattr(TaskViewSet, f"act_{_kind}", _action_endpoint(str(_kind)))


class MyWorkView(ScopedAPIMixin, APIView):
    """"Việc của tôi": the caller's open work by section, most pressing first."""

    @extend_schema(
        operation_id="my_work_retrieve",
        summary="My work (Việc của tôi)",
        description="The caller's open work: overdue first, then to accept, in progress, "
                    "submitted to them for review (or waiting for their guidance), their "
                    "work waiting on someone else, the extension requests they decide, and "
                    "the opinions asked of a unit they lead. "
                    "Empty for users who are not officials.",
        responses={200: MyWorkSerializer, **error_responses(403)},
        examples=[OpenApiExample(
            "One task to accept", response_only=True,
            value={"overdue": [], "to_accept": [{**TASK_EXAMPLE, "state": "assigned",
                                                 "version": 1}],
                   "in_progress": [], "to_review": [], "waiting": [], "to_decide": [],
                   "opinions": [], "count": 1},
        )],
        tags=TAGS,
    )
    def get(self, request):
        work = selectors.my_work(scope=self.scope)
        context = {"request": request, "today": timezone.localdate()}
        return Response(MyWorkSerializer(work, context=context).data)


DIRECTIVE_EXAMPLE = {"code": "24-CT/TU",
                     "title": "Chỉ thị về nâng cao kỷ luật, trách nhiệm trong xử lý công việc",
                     "issued_by": "HN", "issued_on": "2023-08-07", "answers": None}
COUNTS_EXAMPLE = {"done_on_time": 12, "done_late": 2, "open_within_deadline": 5,
                  "open_overdue": 1, "cancelled": 0, "total": 20}


@extend_schema_view(
    list=extend_schema(
        operation_id="directives_list",
        summary="List directives",
        description="Directives, plans and conclusions (published documents: every logged-in "
                    "user reads them), newest first.",
        responses={200: DirectiveSerializer(many=True), **error_responses(400, 403)},
        examples=[OpenApiExample("A directive", value=DIRECTIVE_EXAMPLE, response_only=True)],
        tags=TAGS,
    ),
    retrieve=extend_schema(
        operation_id="directives_retrieve",
        summary="One directive",
        description="A directive by code, its readable tasks counted by reporting bucket, and "
                    "the lower units' plans that answer it (each with its own counts).",
        parameters=[_code_parameter("directive (it may contain “/”, e.g. 24-CT/TU)")],
        responses={200: DirectiveDetailSerializer, **error_responses(403, 404)},
        examples=[OpenApiExample(
            "A directive with one answering plan", response_only=True,
            value={**DIRECTIVE_EXAMPLE, "task_counts": COUNTS_EXAMPLE,
                   "answered_by": [{"code": "KH-15/UBND-CG",
                                    "title": "Kế hoạch thực hiện Chỉ thị 24-CT/TU",
                                    "issued_by": "HN.CG", "issued_on": "2023-09-01",
                                    "answers": "24-CT/TU", "task_counts": COUNTS_EXAMPLE}]},
        )],
        tags=TAGS,
    ),
)
class DirectiveViewSet(mixins.ListModelMixin, _CodeLookupViewSet):
    """Directives (văn bản chỉ đạo), by code."""

    serializer_class = DirectiveSerializer
    filterset_class = DirectiveFilter

    def get_queryset(self):
        return selectors.directive_list(scope=self.scope)

    def get_serializer_class(self):
        return DirectiveDetailSerializer if self.action == "retrieve" else DirectiveSerializer

    def retrieve(self, request, code=None):
        try:
            directive = selectors.directive_get(scope=self.scope, code=self.kwargs["code"])
        except Directive.DoesNotExist:
            raise Http404 from None
        plans = list(selectors.directive_answers(directive=directive))
        counts = selectors.directive_task_counts(scope=self.scope,
                                                 directives=[directive, *plans])
        for item in (directive, *plans):
            item.task_counts = counts[item.pk]
        directive.answering_plans = plans
        return Response(DirectiveDetailSerializer(directive,
                                                  context=self.get_serializer_context()).data)


@extend_schema_view(
    list=extend_schema(
        operation_id="products_list",
        summary="List products",
        description="The product catalogue (sản phẩm) with the conversion coefficient in force "
                    "today and every version of it: a task keeps the coefficient in force when "
                    "it was assigned. Every logged-in user may read it.",
        responses={200: ProductSerializer(many=True), **error_responses(400, 403)},
        examples=[OpenApiExample(
            "A report", response_only=True,
            value={"code": "BC", "name": "Báo cáo", "coefficient": "1.200",
                   "coefficients": [{"coefficient": "1.200", "valid_from": "2026-07-01"},
                                    {"coefficient": "1.000", "valid_from": "1900-01-01"}]},
        )],
        tags=TAGS,
    ),
)
class ProductViewSet(mixins.ListModelMixin, _CodeLookupViewSet):
    """The product catalogue, by code."""

    serializer_class = ProductSerializer
    filterset_class = ProductFilter

    def get_queryset(self):
        return selectors.product_list(scope=self.scope)

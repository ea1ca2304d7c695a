"""The signals API: the signals the caller may read, and their answer.

`GET /api/signals/` (filters: period, code, status, unit, official), `POST /api/signals/`
(an S14 or S15 recorded by hand: `{"code", "official", "on", "text", "task", "unit"}`, by
an inspector, the organisation board or an administrator), `GET
/api/signals/{signal_id}/` (with its steps), and one POST per step of the answer:
`request` (`{"text", "due": "YYYY-MM-DD", "version"}`; without `due`, the default number
of working days after today), `explain`, `decide` (`{"text", "decision":
"accept"|"confirm", "version"}`), and `withdraw` (`{"text", "version"}`: an S14 or S15
recorded by mistake, before its decision, by whoever may record it there and does not
answer for it). A signal carries `explanation_due`, a step `late` (an
explanation given after that day, a decision taken without an explanation given by it).
Refusals are the services' (403 for who may not, 409 `signal_changed` for a step taken on
a stale view: a stale version, a signal answered or decided since; 400 for a missing
reason, a due day already past, on a day off or later than THUOCDO_EXPLANATION_MAX_WORKDAYS
working days after the request, a decision on a signal whose explanation was never
requested or is not due yet).
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from thuocdo.core.api import ScopedAPIMixin, error_responses
from thuocdo.core.errors import PermissionDeniedError, ServiceError
from thuocdo.core.periods import MONTH_REGEX
from thuocdo.measure.signals import KINDS as SIGNAL_KINDS
from thuocdo.measure.signals import event_number
from thuocdo.org import selectors as org_selectors
from thuocdo.tasks import selectors as task_selectors
from thuocdo.tasks.filters import readable_official, readable_unit

from . import selectors, services
from .choices import MANUAL_CODES
from .models import SignalRecord, SignalStep

TAGS = ["signals"]


class SignalStepSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.get_full_name")

    class Meta:
        model = SignalStep
        fields = ("action", "at", "by", "text", "late")
        read_only_fields = fields


class SignalSerializer(serializers.ModelSerializer):
    task = serializers.CharField(source="task.code", allow_null=True, default=None)
    official = serializers.CharField(source="official.code", allow_null=True, default=None)
    unit = serializers.CharField(source="unit.code")
    escalate_to = serializers.CharField(source="escalate_to.code", allow_null=True,
                                        default=None)
    events = serializers.SerializerMethodField()

    def get_events(self, signal: SignalRecord) -> list:
        """The events that raised it, numbered as on the task page and in `thuocdo signals
        --json` (the assignment is #1): a number, or [task code, number] for a signal over
        several tasks."""
        return [[e[0], event_number(e[1])] if isinstance(e, list | tuple) else event_number(e)
                for e in signal.events]

    class Meta:
        model = SignalRecord
        fields = ("id", "key", "code", "period", "raised_on", "subject_kind", "subject",
                  "task", "official", "unit", "escalate_to", "events", "explanation",
                  "needs_confirmation", "status", "explanation_due", "present", "version")
        read_only_fields = fields


class SignalDetailSerializer(SignalSerializer):
    steps = SignalStepSerializer(many=True, read_only=True)

    class Meta(SignalSerializer.Meta):
        fields = (*SignalSerializer.Meta.fields, "steps")
        read_only_fields = fields


class SignalQuerySerializer(serializers.Serializer):
    period = serializers.RegexField(MONTH_REGEX, required=False)
    code = serializers.ChoiceField(required=False, choices=list(SIGNAL_KINDS))
    status = serializers.ChoiceField(required=False, choices=[
        "open", "requested", "explained", "accepted", "confirmed", "withdrawn", "undecided"])
    unit = serializers.CharField(required=False)
    official = serializers.CharField(required=False)


class StepSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=4000)
    decision = serializers.ChoiceField(choices=["accept", "confirm"], required=False)
    version = serializers.IntegerField(required=False)


class RequestStepSerializer(StepSerializer):
    """A request for an explanation, due by `due` (a working day, from today to the
    setting THUOCDO_EXPLANATION_MAX_WORKDAYS working days after it; default: the setting
    THUOCDO_EXPLANATION_WORKDAYS working days after today)."""

    decision = None  # type: ignore[assignment]
    due = serializers.DateField(required=False, allow_null=True,
                                help_text="The day the explanation is due by, YYYY-MM-DD: "
                                          "a working day, today or later, at most "
                                          "THUOCDO_EXPLANATION_MAX_WORKDAYS working days "
                                          "after today.")


class SignalRecordSerializer(serializers.Serializer):
    """An S14 or S15 signal recorded by hand (`services.signal_record`)."""

    code = serializers.ChoiceField(choices=list(MANUAL_CODES))
    official = serializers.CharField(max_length=64, help_text="The official's code (any case).")
    on = serializers.DateField(help_text="The day of the record, YYYY-MM-DD (not later than "
                                         "today); the signal belongs to its month.")
    text = serializers.CharField(max_length=4000,
                                 help_text="S14: what the record found and its reference; "
                                           "S15: the initiative registered.")
    task = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                 help_text="A task's code (optional).")
    unit = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                 help_text="A unit's code (default: the official's unit on "
                                           "that day).")


FILTERS = [OpenApiParameter(name, str, OpenApiParameter.QUERY, description=text)
           for name, text in (("period", "Month, YYYY-MM."), ("code", "S1 … S15."),
                              ("status", "open, requested, explained, accepted, confirmed, "
                                         "withdrawn, or undecided."),
                              ("unit", "Unit code: signals about it and the units below."),
                              ("official", "Official code."))]


@extend_schema_view(
    list=extend_schema(operation_id="signals_list", summary="Signals the caller may read",
                       parameters=FILTERS, tags=TAGS,
                       responses={200: SignalSerializer(many=True),
                                  **error_responses(400, 403)}),
    retrieve=extend_schema(operation_id="signals_retrieve", summary="A signal and its answer",
                           parameters=[OpenApiParameter("signal_id", int,
                                                        OpenApiParameter.PATH)],
                           tags=TAGS,
                           responses={200: SignalDetailSerializer,
                                      **error_responses(403, 404)}),
)
class SignalViewSet(ScopedAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                    viewsets.GenericViewSet):
    """Signals of avoidance and buck-passing (dấu hiệu né tránh, đùn đẩy)."""

    serializer_class = SignalSerializer
    filter_backends: list = []
    lookup_url_kwarg = "signal_id"
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.signal_list(scope=self.scope)

    def _found(self, getter, **kwargs):
        try:
            return getter(**kwargs)
        except ObjectDoesNotExist:
            raise Http404 from None

    def list(self, request, *args, **kwargs):
        query = SignalQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        # a unit or an official the caller may not read is answered as an unknown one, on
        # its field, as the other lists' filters do
        unit = readable_unit(self.scope, "unit", data["unit"]) if data.get("unit") else None
        official = (readable_official(self.scope, "official", data["official"])
                    if data.get("official") else None)
        signals = selectors.signal_list(scope=self.scope, filters=selectors.SignalFilters(
            unit=unit, period=data.get("period"), code=data.get("code"),
            status=data.get("status"), official=official))
        page = self.paginate_queryset(signals)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(operation_id="signals_record", summary="Record an S14 or S15 signal",
                   description="By an inspector or the organisation board (within the units "
                               "granted to them) or an administrator. The signal is stored "
                               "open and answered like the computed ones; the nightly "
                               "recomputation never touches it.",
                   request=SignalRecordSerializer, tags=TAGS,
                   responses={201: SignalDetailSerializer, **error_responses(400, 403)})
    def create(self, request, *args, **kwargs):
        user = request.user
        if not services.may_record(user):
            raise PermissionDeniedError(
                _("Only an inspector, the organisation board or an administrator records "
                  "S14 and S15 signals."), code="cannot_record")
        body = SignalRecordSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            official = org_selectors.official_typed(scope=self.scope,
                                                    code=data["official"].strip())
        except ObjectDoesNotExist:
            raise ServiceError(_("Official: no official you can see has the code "
                                 "“%(code)s”.") % {"code": data["official"]},
                               code="unknown_official", field="official") from None
        task = unit = None
        if (data.get("task") or "").strip():
            try:
                task = task_selectors.task_get(scope=self.scope, code=data["task"].strip())
            except ObjectDoesNotExist:
                raise ServiceError(_("Task: no task you can see has the code “%(code)s”.")
                                   % {"code": data["task"]}, code="unknown_task",
                                   field="task") from None
        if (data.get("unit") or "").strip():
            unit = services.recording_units(user).filter(code=data["unit"].strip()).first()
            if unit is None:
                raise ServiceError(_("Unit: choose one of the units where you record "
                                     "signals."), code="unit_out_of_scope", field="unit")
        signal = services.signal_record(user=user, code=data["code"], official=official,
                                        on=data["on"], text=data["text"], task=task,
                                        unit=unit)
        signal = self._signal(signal.pk)
        location = reverse("api:signal-detail", kwargs={"signal_id": signal.pk})
        return Response(SignalDetailSerializer(signal).data, status=status.HTTP_201_CREATED,
                        headers={"Location": location})

    def _signal(self, signal_id):
        return self._found(selectors.signal_get, scope=self.scope, pk=int(signal_id))

    def retrieve(self, request, signal_id=None):
        return Response(SignalDetailSerializer(self._signal(signal_id)).data)

    def _step(self, request, signal_id, function, **extra):
        signal = self._signal(signal_id)
        requesting = function is services.signal_request_explanation
        body = (RequestStepSerializer if requesting else StepSerializer)(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if function is services.signal_decide:
            extra["decision"] = data.get("decision") or ""
        if requesting:
            extra["due"] = data.get("due")
        function(signal=signal, user=request.user, text=data["text"],
                 expected_version=data.get("version"), **extra)
        signal.refresh_from_db()
        return Response(SignalDetailSerializer(signal).data)

    @extend_schema(operation_id="signals_request", summary="Request an explanation",
                   request=RequestStepSerializer, tags=TAGS,
                   responses={200: SignalDetailSerializer,
                              **error_responses(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], url_path="request", url_name="request")
    def request_explanation(self, request, signal_id=None):
        return self._step(request, signal_id, services.signal_request_explanation)

    @extend_schema(operation_id="signals_explain", summary="Explain (the person named)",
                   request=StepSerializer, tags=TAGS,
                   responses={200: SignalDetailSerializer,
                              **error_responses(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def explain(self, request, signal_id=None):
        return self._step(request, signal_id, services.signal_explain)

    @extend_schema(operation_id="signals_decide",
                   summary="Accept the explanation or confirm the breach",
                   request=StepSerializer, tags=TAGS,
                   responses={200: SignalDetailSerializer,
                              **error_responses(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def decide(self, request, signal_id=None):
        return self._step(request, signal_id, services.signal_decide)

    @extend_schema(operation_id="signals_withdraw",
                   summary="Withdraw an S14 or S15 recorded by mistake, before its decision",
                   request=StepSerializer, tags=TAGS,
                   responses={200: SignalDetailSerializer,
                              **error_responses(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, signal_id=None):
        return self._step(request, signal_id, services.signal_withdraw)

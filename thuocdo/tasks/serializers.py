"""How tasks, their log, directives and products look in the API.

Records are named by `code`, never by database id, and payload fields keep the exchange
format's names (docs/exchange-format.md). Serializers here never save: the request
serializers only check the shape of a request, and the views hand the cleaned values to
`services.task_assign` / `services.task_act`, which apply the domain's rules.
"""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from thuocdo.measure.history import Bucket
from thuocdo.org.models import Official, Unit

from .choices import QUANTITY_MAX, EventKind, Priority
from .models import Directive, Product, Task, TaskCoordination, TaskEvent, TaskStep
from .workflow import TRANSITIONS

# -- reading ---------------------------------------------------------------------------


class HolderSerializer(serializers.Serializer):
    """Who holds the work: a unit and, when known, one official in it."""

    unit = serializers.CharField(help_text="Code of the holding unit.")
    official = serializers.CharField(allow_null=True,
                                     help_text="Code of the holding official (null: the unit "
                                               "as a whole, i.e. its head or deputy).")


def _holder(unit: Unit | None, official: Official | None) -> dict | None:
    if unit is None:
        return None
    return {"unit": unit.code, "official": official.code if official is not None else None}


def _code(obj) -> str | None:
    return obj.code if obj is not None else None


class TaskSerializer(serializers.ModelSerializer):
    """A task in a list: the five "rõ" at a glance, where it stands and who holds it."""

    product = serializers.SlugRelatedField(slug_field="code", read_only=True,
                                           help_text="Code of the product expected.")
    lead_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    lead_official = serializers.SlugRelatedField(slug_field="code", read_only=True)
    directive = serializers.SlugRelatedField(slug_field="code", read_only=True,
                                             help_text="Code of the directive (null: none).")
    assigned_by = serializers.SlugRelatedField(slug_field="code", read_only=True,
                                               help_text="Code of the assigning official.")
    holder = serializers.SerializerMethodField(help_text="Who holds the work now.")
    bucket = serializers.SerializerMethodField(
        help_text="Reporting bucket today (null: cancelled)."
    )

    class Meta:
        model = Task
        fields = ["code", "title", "product", "quantity", "coefficient", "lead_unit",
                  "lead_official", "holder", "state", "bucket", "due", "due_in_force",
                  "priority", "directive", "assigned_by", "assigned_at", "done_at",
                  "done_late", "last_event_at", "version"]
        read_only_fields = fields
        extra_kwargs = {
            "coefficient": {"help_text": "The product's coefficient in force when the task "
                                         "was assigned."},
            "due": {"help_text": "The original deadline."},
            "due_in_force": {"help_text": "The deadline after every extension granted."},
            "done_late": {"help_text": "Set when done: it counts a delay (handed in after the "
                                         "deadline in force, or a deadline passed before an "
                                         "extension moved it)."},
            "version": {"help_text": "Number of events so far; send it back as "
                                     "`expected_version` to refuse acting on a stale view."},
        }

    @extend_schema_field(HolderSerializer)
    def get_holder(self, task: Task) -> dict | None:
        return _holder(task.holder_unit, task.holder_official)

    @extend_schema_field(serializers.ChoiceField(choices=[b.value for b in Bucket],
                                                 allow_null=True))
    def get_bucket(self, task: Task) -> str | None:
        from .selectors import bucket_of

        found = bucket_of(task, on=self.context.get("today"))
        return found.value if found is not None else None


class CoordinationSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = TaskCoordination
        fields = ["unit", "due"]
        read_only_fields = fields


class StepSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaskStep
        fields = ["order", "name", "allowance"]
        read_only_fields = fields


class HolderIntervalSerializer(serializers.Serializer):
    """The work sat with `holder` from `start` to `end` (rõ trách nhiệm)."""

    holder = HolderSerializer()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(allow_null=True, help_text="null: still there.")
    started_by = serializers.IntegerField(
        allow_null=True, help_text="`seq` of the event that handed the work over (null: the "
                                   "assignment)."
    )
    workdays = serializers.IntegerField(help_text="Working days of the interval.")
    workdays_overdue = serializers.IntegerField(
        help_text="Working days of it after the deadline in force: the delay this step caused."
    )


class TaskDetailSerializer(TaskSerializer):
    """A task with its coordinators, steps, what the caller may do now, and who held it when.

    The view attaches `allowed_actions` and `holder_intervals` (computed by the engine).
    """

    assigner_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    coordinating_units = CoordinationSerializer(source="coordinations", many=True,
                                                read_only=True)
    steps = StepSerializer(many=True, read_only=True)
    allowed_actions = serializers.ListField(
        child=serializers.ChoiceField(choices=list(TRANSITIONS)), read_only=True,
        help_text="The actions the caller may take now (POST /api/tasks/{code}/{action}/).",
    )
    holder_intervals = HolderIntervalSerializer(many=True, read_only=True)

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "description", "assigner_unit",
                  "coordinating_units", "steps", "allowed_actions", "holder_intervals"]
        read_only_fields = fields


@extend_schema_field({
    "type": "string",
    "pattern": "^(" + "|".join(EventKind.values) + ")$",
    "description": "The event kind (exchange-format names, plus `create` for the "
                   "assignment): " + ", ".join(f"`{kind}`" for kind in EventKind.values) + ".",
})
class EventKindField(serializers.CharField):
    """An event kind. Documented by a pattern rather than an enum: other components have
    fields named "kind" with other choices, and enum components are named by field name."""


class TaskEventSerializer(serializers.ModelSerializer):
    """One event of the log, with the hash that chains it to the previous one.

    `hash` is the SHA-256 of the canonical JSON (sorted keys, no spaces) of
    {task, seq, kind, at (UTC, microseconds), actor, state: [before, after],
    holder_before: [unit, official], holder_after: [unit, official], data, prev}.
    """

    kind = EventKindField(read_only=True)
    actor = serializers.SlugRelatedField(slug_field="code", read_only=True,
                                         help_text="Code of the official who acted.")
    holder_before = serializers.SerializerMethodField(help_text="null for the assignment.")
    holder_after = serializers.SerializerMethodField()
    data = serializers.DictField(read_only=True,
                                 help_text="The kind's fields (exchange-format names).")

    class Meta:
        model = TaskEvent
        fields = ["seq", "kind", "at", "actor", "state_before", "state_after", "holder_before",
                  "holder_after", "data", "hash", "prev_hash"]
        read_only_fields = fields
        extra_kwargs = {
            "state_before": {"help_text": "Empty for the assignment."},
            "prev_hash": {"help_text": "`hash` of the previous event (empty for the first)."},
        }

    @extend_schema_field(HolderSerializer(allow_null=True))
    def get_holder_before(self, event: TaskEvent) -> dict | None:
        return _holder(event.holder_unit_before, event.holder_official_before)

    @extend_schema_field(HolderSerializer)
    def get_holder_after(self, event: TaskEvent) -> dict | None:
        return _holder(event.holder_unit_after, event.holder_official_after)


class OpinionTaskSerializer(TaskSerializer):
    """A task whose opinion was asked of the caller's unit, or that names it to coordinate:
    the task, the unit asked and the reply deadline (its earliest question or input not
    given, if several)."""

    opinion_unit = serializers.CharField(source="opinion_unit.code", read_only=True,
                                         help_text="Code of the unit asked.")
    opinion_due = serializers.DateField(read_only=True, help_text="The reply deadline.")
    opinion_coordinating = serializers.BooleanField(
        read_only=True, help_text="True: the unit's input as a coordinating unit named at "
        "assignment, due by its own deadline; false: a consultation's reply.")

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "opinion_unit", "opinion_due",
                  "opinion_coordinating"]
        read_only_fields = fields


class MyWorkSerializer(serializers.Serializer):
    """"Việc của tôi": the caller's open work, most pressing first."""

    overdue = TaskSerializer(many=True, help_text="Held by the caller, past the deadline.")
    to_accept = TaskSerializer(many=True, help_text="Waiting for the caller to accept.")
    in_progress = TaskSerializer(many=True)
    to_review = TaskSerializer(many=True, help_text="Submitted to the caller for approval, or "
                                                    "waiting for the caller's guidance.")
    waiting = TaskSerializer(many=True, help_text="The caller's work waiting on someone else.")
    to_decide = TaskSerializer(many=True, help_text="Extension requests waiting for the "
                                                    "caller's decision (they assigned the "
                                                    "task, or lead the assigning unit).")
    opinions = OpinionTaskSerializer(
        many=True, help_text="Open tasks whose opinion was asked of the caller's unit (one they "
                             "lead, or one with no head or deputy) and not yet given, the "
                             "earliest reply deadline first.")
    count = serializers.IntegerField()


class DirectiveSerializer(serializers.ModelSerializer):
    """A directive, plan or conclusion (văn bản chỉ đạo)."""

    issued_by = serializers.SlugRelatedField(slug_field="code", read_only=True,
                                             help_text="Code of the issuing unit.")
    answers = serializers.SlugRelatedField(slug_field="code", read_only=True,
                                           help_text="Code of the higher directive this plan "
                                                     "answers (null: none).")

    class Meta:
        model = Directive
        fields = ["code", "title", "issued_by", "issued_on", "answers"]
        read_only_fields = fields


class TaskCountsSerializer(serializers.Serializer):
    """Readable tasks by reporting bucket (today)."""

    done_on_time = serializers.IntegerField()
    done_late = serializers.IntegerField()
    open_within_deadline = serializers.IntegerField()
    open_overdue = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    total = serializers.IntegerField()


class AnsweringPlanSerializer(DirectiveSerializer):
    task_counts = TaskCountsSerializer(read_only=True)

    class Meta(DirectiveSerializer.Meta):
        fields = [*DirectiveSerializer.Meta.fields, "task_counts"]
        read_only_fields = fields


class DirectiveDetailSerializer(AnsweringPlanSerializer):
    """A directive with its tasks counted by bucket and the lower units' answering plans."""

    answered_by = AnsweringPlanSerializer(source="answering_plans", many=True, read_only=True,
                                          help_text="Plans of lower units answering it.")

    class Meta(AnsweringPlanSerializer.Meta):
        fields = [*AnsweringPlanSerializer.Meta.fields, "answered_by"]
        read_only_fields = fields


class CoefficientSerializer(serializers.Serializer):
    coefficient = serializers.DecimalField(max_digits=7, decimal_places=3)
    valid_from = serializers.DateField()


class ProductSerializer(serializers.ModelSerializer):
    """A product of the catalogue with its conversion coefficient (hệ số quy đổi)."""

    coefficient = serializers.SerializerMethodField(
        help_text="The coefficient in force today (null: none started yet)."
    )
    coefficients = CoefficientSerializer(many=True, read_only=True,
                                         help_text="Every version, newest first.")

    class Meta:
        model = Product
        fields = ["code", "name", "coefficient", "coefficients"]
        read_only_fields = fields

    @extend_schema_field(serializers.DecimalField(max_digits=7, decimal_places=3,
                                                  allow_null=True))
    def get_coefficient(self, product: Product) -> str | None:
        today = self.context.get("today") or timezone.localdate()
        for version in product.coefficients.all():  # prefetched, newest first
            if version.valid_from <= today:
                return f"{version.coefficient:.3f}"
        return None


# -- writing: assignment ---------------------------------------------------------------


class CodeField(serializers.SlugRelatedField):
    """A record named by code; `queryset` may be narrowed to the caller's scope by the
    request serializer, and unknown and unreadable codes then get the same error."""

    UNKNOWN = {
        "unit": gettext_lazy("Unknown unit “{value}”."),
        "official": gettext_lazy("Unknown official “{value}”."),
        "directive": gettext_lazy("Unknown directive “{value}”."),
        "product": gettext_lazy("Unknown product “{value}”."),
    }

    def __init__(self, what: str, **kwargs):
        kwargs.setdefault("error_messages", {
            "does_not_exist": self.UNKNOWN[what],
            "invalid": gettext_lazy("Give a code as text."),
        })
        super().__init__(slug_field="code", **kwargs)


class CoordinationInSerializer(serializers.Serializer):
    unit = CodeField("unit", queryset=Unit.objects.all(), help_text="Code of the unit.")
    due = serializers.DateField(help_text="Its own deadline for its input: between the "
                                          "assignment and the task's deadline, and a working "
                                          "day (`deadline_day_off` on this row's `due`: "
                                          '`{"coordinating_units": [{}, {"due": [...]}]}`, '
                                          "unless THUOCDO_DEADLINE_ON_DAY_OFF=accept).")


class StepInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    # At least one working day, refused with the assign form's message: Django's own
    # validator, as `forms.IntegerField(min_value=1)` of tasks.forms.StepForm uses it.
    allowance = serializers.IntegerField(max_value=32767, validators=[MinValueValidator(1)],
                                         help_text="Allowance in working days, at least 1.")


class TaskAssignSerializer(serializers.Serializer):
    """Assign a task with the five "rõ" (exchange-format names). The caller is the assigner:
    they must lead the lead unit or a unit above it."""

    code = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                 help_text="Optional; generated (NV<year>-<number>) if absent.")
    title = serializers.CharField(max_length=500)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    directive = CodeField("directive", queryset=Directive.objects.all(), required=False,
                          allow_null=True, help_text="Code of the directive it carries out.")
    product = CodeField("product", queryset=Product.objects.all(),
                        help_text="Code of the product expected (rõ hiệu quả).")
    quantity = serializers.IntegerField(min_value=1, max_value=QUANTITY_MAX, default=1)
    lead_unit = CodeField("unit", queryset=Unit.objects.none(),
                          help_text="Code of the one lead unit (a unit the caller can read).")
    lead_official = CodeField("official", queryset=Official.objects.none(),
                              help_text="Code of the lead official, a member of the lead unit.")
    coordinating_units = CoordinationInSerializer(many=True, required=False)
    steps = StepInSerializer(many=True, required=False)
    due = serializers.DateField(help_text="The deadline; not in the past, and a working day "
                                          "(`deadline_day_off`, unless the installation sets "
                                          "THUOCDO_DEADLINE_ON_DAY_OFF=accept).")
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scope = self.context.get("scope")
        if scope is not None:
            from thuocdo.org import selectors as org_selectors

            self.fields["lead_unit"].queryset = org_selectors.unit_list(scope=scope)
            self.fields["lead_official"].queryset = org_selectors.official_list(
                scope=scope, active=None
            )


# -- writing: workflow actions ---------------------------------------------------------


class TaskActionSerializer(serializers.Serializer):
    """Fields every action accepts."""

    expected_version = serializers.IntegerField(
        required=False, min_value=0,
        help_text="The task's `version` as the caller saw it: if the task changed since, "
                  "nothing is done and the answer is 409 with code `task_changed`.",
    )


def _unit_code(help_text: str, **kwargs) -> serializers.CharField:
    return serializers.CharField(max_length=64, help_text=help_text, **kwargs)


def _reason(help_text: str = "Why (required).") -> serializers.CharField:
    return serializers.CharField(help_text=help_text)


def _note() -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True,
                                 help_text="An optional note recorded with the event.")


class TaskAcceptSerializer(TaskActionSerializer):
    """The holder takes the work. No fields."""


class TaskTransferSerializer(TaskActionSerializer):
    """The holder hands the work to another unit or official."""

    to_unit = _unit_code("Code of the unit that gets the work.")
    to_official = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=64,
        help_text="Code of the official in `to_unit` who gets it (absent: the unit's leaders).",
    )
    reason = _reason()


    def validate_to_official(self, value):
        """The official named is one the caller may read, as the transfer form offers them
        (`forms.TransferForm`): anyone else is "unknown", whether the code exists or not, so
        the answer tells no one who works where. Absent, the unit's leaders dispatch."""
        from thuocdo.org import selectors as org_selectors

        code = (value or "").strip()
        scope = self.context.get("scope")  # the API's caller (ScopedAPIMixin), token or not
        if code and scope is not None and not org_selectors.official_list(
                scope=scope).filter(code=code).exists():
            raise serializers.ValidationError(
                gettext("Unknown official “%(code)s”.") % {"code": code}, code="unknown")
        return value


class TaskReturnSerializer(TaskTransferSerializer):
    """The holder sends the work back to someone who held it before."""

    def validate_to_official(self, value):
        # a previous holder, whoever may read them (the workflow checks it was one)
        return value


class TaskExtensionRequestSerializer(TaskActionSerializer):
    new_due = serializers.DateField(help_text="The deadline asked for; later than the one in "
                                              "force, and a working day (`deadline_day_off`, "
                                              "unless THUOCDO_DEADLINE_ON_DAY_OFF=accept).")
    reason = _reason()


class TaskExtensionGrantSerializer(TaskActionSerializer):
    new_due = serializers.DateField(help_text="The new deadline in force; later than the "
                                              "current one, not in the past, and a working "
                                              "day (`deadline_day_off`, unless "
                                              "THUOCDO_DEADLINE_ON_DAY_OFF=accept).")
    reason = serializers.CharField(
        help_text="Why the deadline moves (required; recorded in the event).",
        error_messages={key: gettext_lazy("A granted extension needs a reason: say why the "
                                          "deadline moves.") for key in ("required", "blank")},
    )


class TaskExtensionRefuseSerializer(TaskActionSerializer):
    reason = _reason()


class TaskGuidanceRequestSerializer(TaskActionSerializer):
    to_official = serializers.CharField(max_length=64,
                                        help_text="Code of the official asked for guidance.")
    question = serializers.CharField(help_text="What is asked.")


class TaskGuidanceReplySerializer(TaskActionSerializer):
    answer = serializers.CharField(required=False, allow_blank=True,
                                   help_text="The guidance given.")


class TaskConsultSerializer(TaskActionSerializer):
    to_unit = _unit_code("Code of the unit whose opinion is asked (not the holding unit).")
    reply_due = serializers.DateField(help_text="Deadline of the reply; not in the past, and "
                                                "a working day (`deadline_day_off`, unless "
                                                "THUOCDO_DEADLINE_ON_DAY_OFF=accept).")
    question = serializers.CharField(required=False, allow_blank=True,
                                     help_text="What is asked.")


class TaskConsultReplySerializer(TaskActionSerializer):
    unit = _unit_code("Code of the consulted unit replying (the caller's unit).")
    clear_position = serializers.BooleanField(
        help_text="Whether the reply takes a clear position (S6 flags replies that do not)."
    )
    answer = serializers.CharField(required=False, allow_blank=True,
                                   help_text="The opinion given.")


class TaskRemindSerializer(TaskActionSerializer):
    note = _note()


class TaskSubmitSerializer(TaskActionSerializer):
    note = _note()


class TaskApproveSerializer(TaskActionSerializer):
    note = _note()


class TaskReworkSerializer(TaskActionSerializer):
    major_error = serializers.BooleanField(help_text="Whether the product has a major error "
                                                     "(it lowers the quality score).")
    excused = serializers.BooleanField(required=False, default=False,
                                       help_text="Whether a competent level confirmed an "
                                                 "objective cause for the error.")
    reason = _reason("What must be fixed (required).")


class TaskExcuseDelaySerializer(TaskActionSerializer):
    reason = _reason("The objective cause confirmed (required).")


class TaskCancelSerializer(TaskActionSerializer):
    reason = _reason()


#: kind → (request serializer, summary, description, example request body)
ACTIONS: dict[str, tuple[type[TaskActionSerializer], str, str, dict]] = {
    EventKind.ACCEPT: (
        TaskAcceptSerializer, "Accept a task",
        "The holder takes the work (state `assigned` → `in_progress`).",
        {"expected_version": 1},
    ),
    EventKind.TRANSFER: (
        TaskTransferSerializer, "Transfer a task",
        "The holder hands the work to another unit or official, with a reason (the task "
        "waits to be accepted again). Repeated transfers raise the ping-pong signal (S3).",
        {"to_unit": "HN.CG.VP", "to_official": "CG.STAFF2",
         "reason": "Đúng chuyên môn của đồng chí Dung", "expected_version": 2},
    ),
    EventKind.RETURN: (
        TaskReturnSerializer, "Return a task",
        "The holder sends the work back to a unit or official that held it before.",
        {"to_unit": "HN.CG.VP", "to_official": "CG.STAFF",
         "reason": "Thuộc lĩnh vực đồng chí Cường", "expected_version": 3},
    ),
    EventKind.EXTENSION_REQUEST: (
        TaskExtensionRequestSerializer, "Ask for an extension",
        "The holder asks the assigner for a later deadline.",
        {"new_due": "2026-10-22", "reason": "Chờ số liệu của Chi cục Thống kê"},
    ),
    EventKind.EXTENSION_GRANT: (
        TaskExtensionGrantSerializer, "Grant an extension",
        "The assigner sets a new deadline in force, with a reason. Granted after the "
        "deadline was missed, the missed deadline still counts as a delay.",
        {"new_due": "2026-10-22", "reason": "Chờ số liệu của Chi cục Thống kê"},
    ),
    EventKind.EXTENSION_REFUSE: (
        TaskExtensionRefuseSerializer, "Refuse an extension",
        "The assigner refuses a requested extension, with a reason.",
        {"reason": "Thời hạn do UBND Thành phố ấn định"},
    ),
    EventKind.GUIDANCE_REQUEST: (
        TaskGuidanceRequestSerializer, "Ask a superior for guidance",
        "The holder asks an official for an opinion (state → `waiting_guidance`); the step is "
        "theirs until they answer.",
        {"to_official": "CG.HEAD", "question": "Có cần lấy ý kiến các phường không?"},
    ),
    EventKind.GUIDANCE_REPLY: (
        TaskGuidanceReplySerializer, "Give guidance",
        "The official asked answers; the work goes back to who asked.",
        {"answer": "Lấy ý kiến bằng văn bản, hạn 3 ngày làm việc."},
    ),
    EventKind.CONSULT: (
        TaskConsultSerializer, "Ask another unit for an opinion",
        "The holder consults another unit, which must reply by `reply_due` (S5 flags slow "
        "replies).",
        {"to_unit": "HN.CG.DV", "reply_due": "2026-10-09", "question": "Số liệu phường?"},
    ),
    EventKind.CONSULT_REPLY: (
        TaskConsultReplySerializer, "Reply to a consultation",
        "A member of the consulted unit gives its opinion, saying whether it takes a clear "
        "position.",
        {"unit": "HN.CG.DV", "clear_position": True, "answer": "Thống nhất với dự thảo."},
    ),
    EventKind.REMIND: (
        TaskRemindSerializer, "Remind",
        "A superior of the holder (or the assigner) chases the work (đôn đốc).",
        {"note": "Đề nghị hoàn thành trước 16 giờ thứ Sáu."},
    ),
    EventKind.SUBMIT: (
        TaskSubmitSerializer, "Submit the product",
        "The holder hands in the product (state → `submitted`); the assigner reviews it.",
        {"note": "Dự thảo báo cáo kèm theo.", "expected_version": 8},
    ),
    EventKind.APPROVE: (
        TaskApproveSerializer, "Approve the product",
        "The assigner accepts the product: the task is done, at the time of the accepted "
        "submit.",
        {"note": "Đồng ý ban hành."},
    ),
    EventKind.REWORK: (
        TaskReworkSerializer, "Send back for rework",
        "The assigner sends the product back to who submitted it, saying whether it had a "
        "major error and whether that error is excused.",
        {"major_error": True, "excused": False, "reason": "Sai số liệu quý III"},
    ),
    EventKind.EXCUSE_DELAY: (
        TaskExcuseDelaySerializer, "Excuse a delay",
        "The assigner confirms an objective cause for the earliest delay not yet excused "
        "(it then costs no progress points). Refused when there is no delay.",
        {"reason": "Mưa bão số 3, nghỉ làm theo chỉ đạo của Thành phố"},
    ),
    EventKind.CANCEL: (
        TaskCancelSerializer, "Cancel a task",
        "The assigner withdraws the task, with a reason (nothing is deleted).",
        {"reason": "Trùng với nhiệm vụ NV2026-000012"},
    ),
}


def action_spec(kind: str) -> tuple[type[TaskActionSerializer], str, str, dict]:
    """The request serializer, summary, description and example of action `kind`.

    A kind added to the workflow table before it gets its own entry in ACTIONS still gets an
    endpoint: its required fields (from the table) become text fields.
    """
    kind = str(kind)
    if kind in ACTIONS:
        return ACTIONS[kind]
    transition = TRANSITIONS[kind]
    fields = {name: serializers.CharField() for name in transition.required}
    name = "Task" + "".join(part.title() for part in kind.split("_")) + "Serializer"
    serializer = type(name, (TaskActionSerializer,), fields)
    label = str(EventKind(kind).label) if kind in EventKind.values else kind
    return serializer, label, f"Action `{kind}` of the workflow.", {}


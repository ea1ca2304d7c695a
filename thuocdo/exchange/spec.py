"""The exchange format, version 1, as data: its top-level keys and the fields of each record.

One table drives the validator (`validation.py`), the xlsx reader (`files.py`) and the JSON
Schema (`schema.py`), so the three cannot drift apart. The contract is
docs/exchange-format.md; fields marked `addition=True` are this project's optional additions
to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from thuocdo.org.choices import Position, UnitKind
from thuocdo.tasks.choices import QUANTITY_MAX, EventKind, Priority

FORMAT = "thuocdo-exchange/1"

#: Every top-level key of the contract, in the order documents are written.
KEYS = (
    "format", "calendar", "units", "task_groups", "officials", "products", "directives",
    "tasks", "events", "assessments", "discipline", "quota_exceptions", "peer_reviews",
    "votes", "feedback", "dossiers",
)

#: Keys whose part of the application exists: these are imported and exported.
BUILT_KEYS = ("calendar", "units", "task_groups", "officials", "products", "directives",
              "tasks", "events", "assessments", "discipline", "quota_exceptions", "feedback",
              "dossiers")

#: Keys checked, imported and exported by the evaluations app (`thuocdo.evaluations.exchange`).
EVALUATION_KEYS = ("assessments", "discipline", "quota_exceptions")

#: Keys checked, imported and exported by the citizens app (`thuocdo.citizens.exchange`).
CITIZEN_KEYS = ("feedback", "dossiers")

#: Keys of the contract whose part is not built yet: refused ("not supported yet").
NOT_YET_KEYS = tuple(k for k in KEYS if k not in BUILT_KEYS and k != "format")

#: Record lists that are matched by `code`, in the order they are imported.
RECORD_KEYS = ("units", "task_groups", "officials", "products", "directives")

#: The history keys: tasks (matched by code) and their events, replayed through the
#: workflow after the record lists above are written.
HISTORY_KEYS = ("tasks", "events")

CALENDAR_KINDS = ("holidays", "workdays")

#: The years a date or time may have: those of the rest of the product,
#: `core.periods.FIRST_YEAR`..`LAST_YEAR` (1900 to 2999); a day of year 1 or 9999 overflows
#: the calendar and the moments built around it.
YEAR_PATTERN = r"(19[0-9]{2}|2[0-9]{3})"
DATE_PATTERN = rf"^{YEAR_PATTERN}-[0-9]{{2}}-[0-9]{{2}}$"
#: ISO 8601 date and time with an offset: 2026-10-01T08:00:00+07:00 (seconds and a
#: fraction are optional; Z stands for +00:00).
DATETIME_PATTERN = (rf"^{YEAR_PATTERN}-[0-9]{{2}}-[0-9]{{2}}T[0-9]{{2}}:[0-9]{{2}}"
                    r"(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})$")
CODE_PATTERN = r"^\S(.*\S)?$"


@dataclass(frozen=True)
class Field:
    """One field of a record.

    `type` is one of: code (a non-empty string without surrounding spaces), text (a
    non-empty string), string (may be empty), email, date, datetime (ISO 8601 with an
    offset), number (a coefficient), integer (from `minimum` to `maximum`), boolean, enum,
    ref (the code of a record of `ref`), list (a list of objects whose fields are `items`).
    `nullable` lets the value be JSON null.
    """

    name: str
    type: str
    description: str
    required: bool = False
    nullable: bool = False
    max_length: int | None = None
    enum: tuple[str, ...] = ()
    ref: str | None = None
    addition: bool = False
    minimum: int | None = None
    maximum: int | None = None
    items: tuple[Field, ...] = ()


CODE_MAX = 64
#: PositiveIntegerField / PositiveSmallIntegerField bounds of the task tables
INT_MAX = 2_147_483_647
SMALL_INT_MAX = 32_767

#: Event kinds of the exchange format (the workflow's actions; the internal `create` event
#: is the task record itself).
EVENT_KINDS = tuple(kind for kind in EventKind.values if kind != EventKind.CREATE)


@dataclass(frozen=True)
class EventPayload:
    """The extra fields an event kind requires, and those it may carry."""

    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()

    @property
    def fields(self) -> tuple[str, ...]:
        return self.required + self.optional


#: For each event kind, its extra fields (docs/exchange-format.md, "events").
EVENT_PAYLOADS: dict[str, EventPayload] = {
    "accept": EventPayload((), ("note",)),
    "transfer": EventPayload(("to_unit", "reason"), ("to_official",)),
    "return": EventPayload(("to_unit", "reason"), ("to_official",)),
    "extension_request": EventPayload(("new_due", "reason")),
    "extension_grant": EventPayload(("new_due",), ("reason",)),
    "extension_refuse": EventPayload(("reason",)),
    "guidance_request": EventPayload(("to_official", "question")),
    "guidance_reply": EventPayload((), ("answer",)),
    "consult": EventPayload(("to_unit", "reply_due"), ("question",)),
    "consult_reply": EventPayload(("unit", "clear_position"), ("answer",)),
    "remind": EventPayload((), ("note",)),
    "submit": EventPayload((), ("note",)),
    "approve": EventPayload((), ("note",)),
    "rework": EventPayload(("major_error", "reason"), ("excused",)),
    "excuse_delay": EventPayload(("reason",)),
    "cancel": EventPayload(("reason",)),
}

#: The fields every event has.
EVENT_BASE = ("task", "kind", "at", "actor")

RECORDS: dict[str, tuple[Field, ...]] = {
    "units": (
        Field("code", "code", "Stable code of the unit.", required=True, max_length=CODE_MAX),
        Field("name", "text", "Name of the unit.", required=True, max_length=255),
        Field("kind", "enum", "What the unit is.", required=True, enum=tuple(UnitKind.values)),
        Field("parent", "ref", "Code of the parent unit; null or absent for a root.",
              nullable=True, ref="units", max_length=CODE_MAX),
        Field("active", "boolean", "False for a unit that no longer operates (default true).",
              addition=True),
    ),
    "task_groups": (
        Field("code", "code", "Stable code of the task group.", required=True,
              max_length=CODE_MAX),
        Field("name", "text", "Name of the task group.", required=True, max_length=255),
    ),
    "officials": (
        Field("code", "code", "Stable code of the official.", required=True,
              max_length=CODE_MAX),
        Field("name", "text", "Full name.", required=True, max_length=255),
        Field("unit", "ref", "Code of the unit the official works in now; null: works in no "
              "unit any more (current memberships end).", nullable=True, ref="units",
              max_length=CODE_MAX),
        Field("position", "enum", "Position in that unit (required with unit).",
              enum=tuple(Position.values)),
        Field("task_group", "ref", "Code of the official's task group, or null.",
              nullable=True, ref="task_groups", max_length=CODE_MAX),
        Field("since", "date", "First day in this place (default: the day of the import).",
              addition=True),
        Field("email", "email", "E-mail address (empty or null: none).", nullable=True,
              max_length=254),
        Field("phone", "string", "Telephone number (empty or null: none).", nullable=True,
              max_length=32, addition=True),
        Field("active", "boolean", "False for an official who has left the service "
              "(default true).", addition=True),
    ),
    "products": (
        Field("code", "code", "Stable code of the product.", required=True,
              max_length=CODE_MAX),
        Field("name", "text", "Name of the product.", required=True, max_length=255),
        Field("coefficient", "number", "Conversion coefficient in force: greater than 0, at "
              "most 3 decimal places, below 10000.", required=True),
        Field("coefficient_from", "date", "First day the coefficient is in force (default: "
              "from the beginning for a new product, the day of the import for a change).",
              addition=True),
    ),
    "directives": (
        Field("code", "code", "Stable code (number and symbol) of the directive.",
              required=True, max_length=CODE_MAX),
        Field("title", "text", "Title or summary.", required=True, max_length=500),
        Field("issued_by", "ref", "Code of the issuing unit.", required=True, ref="units",
              max_length=CODE_MAX),
        Field("issued_on", "date", "Day of issue.", required=True),
        Field("answers", "ref", "Code of the higher directive this one answers, or null.",
              nullable=True, ref="directives", addition=True, max_length=CODE_MAX),
    ),
    "tasks": (
        Field("code", "code", "Stable code of the task.", required=True, max_length=CODE_MAX),
        Field("title", "text", "What is to be done, in a line.", required=True,
              max_length=500),
        Field("description", "string", "What is to be done, in detail.", addition=True),
        Field("directive", "ref", "Code of the directive the task carries out, or null.",
              nullable=True, ref="directives", max_length=CODE_MAX),
        Field("lead_unit", "ref", "Code of the one lead unit.", required=True, ref="units",
              max_length=CODE_MAX),
        Field("lead_official", "ref", "Code of the one lead official (a member of the lead "
              "unit on the day of assignment).", required=True, ref="officials",
              max_length=CODE_MAX),
        Field("coordinating_units", "list", "Coordinating units, each with the deadline of "
              "its input.", items=(
                  Field("unit", "ref", "Code of the coordinating unit.", required=True,
                        ref="units", max_length=CODE_MAX),
                  Field("due", "date", "Deadline of its input.", required=True),
              )),
        Field("steps", "list", "The steps of the procedure and their allowances.",
              addition=True, items=(
                  Field("name", "text", "The step.", required=True, max_length=255),
                  Field("allowance", "integer", "Its allowance in working days, at least "
                        "1.", required=True, minimum=1, maximum=SMALL_INT_MAX),
              )),
        Field("product", "ref", "Code of the product the task must produce.", required=True,
              ref="products", max_length=CODE_MAX),
        Field("quantity", "integer", f"How many of the product (default 1; at most "
              f"{QUANTITY_MAX:,}).", minimum=1, maximum=QUANTITY_MAX),
        Field("assigned_by", "ref", "Code of the official who assigned the task.",
              required=True, ref="officials", max_length=CODE_MAX),
        Field("assigned_at", "datetime", "When it was assigned (ISO 8601 with an offset).",
              required=True),
        Field("due", "date", "The original deadline.", required=True),
        Field("priority", "enum", "normal, urgent, or collective (needs a collective "
              "decision); default normal.", enum=tuple(Priority.values)),
    ),
    "events": (
        Field("task", "ref", "Code of the task.", required=True, ref="tasks",
              max_length=CODE_MAX),
        Field("kind", "enum", "What happened.", required=True, enum=EVENT_KINDS),
        Field("at", "datetime", "When (ISO 8601 with an offset).", required=True),
        Field("actor", "ref", "Code of the official who acted.", required=True,
              ref="officials", max_length=CODE_MAX),
        Field("to_unit", "ref", "transfer, return: the unit the work goes to; consult: the "
              "unit asked.", ref="units", max_length=CODE_MAX),
        Field("to_official", "ref", "transfer, return: the official the work goes to (null "
              "or absent: the unit's leaders); guidance_request: the official asked.",
              nullable=True, ref="officials", max_length=CODE_MAX),
        Field("reason", "text", "Why (transfer, return, extension_request, "
              "extension_refuse, rework, excuse_delay, cancel; optional on extension_grant, "
              "an addition: why the deadline moves)."),
        Field("new_due", "date", "extension_request: the deadline asked for; "
              "extension_grant: the deadline in force from now."),
        Field("question", "text", "guidance_request (required), consult: what is asked."),
        Field("reply_due", "date", "consult: the deadline of the reply."),
        Field("unit", "ref", "consult_reply: the unit that replies.", ref="units",
              max_length=CODE_MAX),
        Field("clear_position", "boolean", "consult_reply: whether the reply takes a clear "
              "position."),
        Field("major_error", "boolean", "rework: whether the product had a major error."),
        Field("excused", "boolean", "rework: whether an objective cause excuses the error "
              "(default false)."),
        Field("answer", "text", "guidance_reply, consult_reply: the answer.", addition=True),
        Field("note", "text", "accept, remind, submit, approve: a note.", addition=True),
    ),
    "assessments": (
        Field("official", "ref", "Code of the official assessed.", required=True,
              ref="officials", max_length=CODE_MAX),
        Field("period", "code", "The period: YYYY-MM, YYYY-Qn or YYYY.", required=True,
              max_length=8),
        Field("general_points", "number", "General criteria, 0 to 30 (at most 2 decimals).",
              required=True, minimum=0, maximum=30),
        Field("assessor", "ref", "Code of the official who assessed.", nullable=True,
              ref="officials", max_length=CODE_MAX),
        Field("reason", "string", "Why points were deducted (required below 30)."),
        Field("organising", "number", "Heads and deputies: capacity to organise, 0 to 1.",
              nullable=True, minimum=0, maximum=1),
        Field("uniting", "number", "Heads and deputies: capacity to unite, 0 to 1.",
              nullable=True, minimum=0, maximum=1),
    ),
    "discipline": (
        Field("official", "ref", "Code of the official (every ground but corruption).",
              ref="officials", max_length=CODE_MAX),
        Field("unit", "ref", "corruption: the unit where corruption or waste was dealt "
              "with.", ref="units", max_length=CODE_MAX, addition=True),
        Field("on", "date", "Day of the decision or conclusion.", required=True),
        Field("level", "enum", "discipline: reprimand, warning, demotion or dismissal.",
              enum=("reprimand", "warning", "demotion", "dismissal")),
        Field("ground", "enum", "What the record is (default discipline): a discipline "
              "decision, a conclusion of degradation, corruption in a unit, a confirmed "
              "signal.", enum=("discipline", "degradation", "corruption", "signal"),
              addition=True),
        Field("signal", "code", "signal: the confirmed signal's code (S14).", max_length=8,
              addition=True),
        Field("reason", "string", "What it is about.", addition=True),
        Field("withdrawn", "boolean", "True for a ground withdrawn (recorded by mistake or "
              "annulled): kept, it no longer counts. An import withdraws a ground the "
              "document says is withdrawn; it never restores one (default false).",
              addition=True),
    ),
    "quota_exceptions": (
        Field("agency", "ref", "Code of the agency (a city, province, department, district "
              "or commune) whose HTXS quota the exception raises.", required=True,
              ref="units", max_length=CODE_MAX, addition=True),
        Field("valid_from", "date", "In force from this day: the exception applies to every "
              "period (month, quarter, year) ending from this day to valid_to.",
              required=True, addition=True),
        Field("valid_to", "date", "In force until this day, included.", required=True,
              addition=True),
        Field("share", "number", "The HTXS share that replaces the rubric's, a fraction of "
              "the final HTT (0.3 for 30%): above the rubric's, at most 1, at most 4 "
              "decimals.", required=True, minimum=0, maximum=1, addition=True),
        Field("decision", "text", "Number of the decision that approved the exception "
              "(15/QĐ-UBND).", required=True, max_length=64, addition=True),
        Field("decided_on", "date", "Date of that decision (not in the future).",
              required=True, addition=True),
        Field("reason", "text", "Why the unit is outstanding, as the decision says.",
              required=True, addition=True),
    ),
    "feedback": (
        Field("code", "code", "The tracking code.", required=True, max_length=32),
        Field("kind", "enum", "feedback or complaint (default feedback).",
              enum=("feedback", "complaint")),
        Field("category", "enum", "What it is about.", required=True,
              enum=("procedure", "conduct", "urban", "environment", "other")),
        Field("unit", "ref", "Code of the unit first concerned.", required=True, ref="units",
              max_length=CODE_MAX),
        Field("official", "ref", "Code of the official it is about, or null.", nullable=True,
              ref="officials", max_length=CODE_MAX),
        Field("dossier", "code", "Code of the dossier it is about, or null.", nullable=True,
              max_length=CODE_MAX),
        Field("text", "text", "What the citizen wrote.", required=True, max_length=5000),
        Field("contact_name", "string", "The citizen's name.", max_length=255),
        Field("contact", "string", "Their phone or e-mail.", max_length=255),
        Field("address", "string", "Where (Open311 address).", max_length=500),
        Field("submitted_at", "datetime", "When it was received.", required=True),
        Field("events", "list", "What happened after, in order of time.", items=(
            Field("kind", "enum", "assign, reply, forward, close, rate or verify.",
                  required=True,
                  enum=("assign", "reply", "forward", "close", "rate", "verify")),
            Field("at", "datetime", "When.", required=True),
            Field("actor", "ref", "Code of the official who acted (not for rate).",
                  nullable=True, ref="officials", max_length=CODE_MAX),
            Field("to_official", "ref", "assign: the official handling it.",
                  ref="officials", max_length=CODE_MAX),
            Field("workdays", "integer", "assign: the official's handling deadline in "
                  "working days (none: the case's reply deadline, which an assignment never "
                  "moves and the handling deadline never passes).", minimum=1, maximum=60),
            Field("answer", "text", "reply: the answer."),
            Field("to_unit", "ref", "forward: the unit responsible.", ref="units",
                  max_length=CODE_MAX),
            Field("reason", "text", "forward: why it is not the unit's responsibility "
                  "(shown publicly)."),
            Field("rating", "enum", "rate: satisfied, neutral or unsatisfied.",
                  enum=("satisfied", "neutral", "unsatisfied")),
            Field("result", "enum", "verify: verified or unfounded.",
                  enum=("verified", "unfounded")),
            Field("note", "text", "verify: the note."),
            Field("task", "code", "verify: code of the task whose work the complaint "
                  "concerns (a verified complaint counts as a major error on it).",
                  max_length=CODE_MAX, addition=True),
        )),
    ),
    "dossiers": (
        Field("code", "code", "Stable code of the dossier.", required=True,
              max_length=CODE_MAX),
        Field("procedure", "code", "Code of the administrative procedure.", required=True,
              max_length=CODE_MAX),
        Field("procedure_name", "text", "Name of the procedure (required for a procedure "
              "new to the database).", max_length=500),
        Field("processing_days", "integer", "Legal processing time in working days (with "
              "procedure_name).", minimum=1, maximum=365),
        Field("steps", "list", "The procedure's steps (with procedure_name): the first "
              "step's unit receives the dossier.", items=(
                  Field("name", "text", "The step.", required=True, max_length=255),
                  Field("unit", "ref", "Code of the unit that does it.", required=True,
                        ref="units", max_length=CODE_MAX),
                  Field("allowance", "integer", "Its allowance in working days, at least "
                        "1.", required=True, minimum=1, maximum=365),
              )),
        Field("applicant", "text", "The citizen or business applying.", required=True,
              max_length=255),
        Field("applicant_contact", "string", "Their phone or e-mail.", max_length=255),
        Field("channel", "enum", "counter or online.", required=True,
              enum=("counter", "online")),
        Field("received_at", "datetime", "When the dossier was received.", required=True),
        Field("received_by", "ref", "Code of the official who received it.", required=True,
              ref="officials", max_length=CODE_MAX),
        Field("due", "date", "The deadline (written on export; recomputed on import from "
              "the procedure and the calendar)."),
        Field("events", "list", "What happened after receipt, in order of time.", items=(
            Field("kind", "enum", "move, supplement_request, supplement_received, apology, "
                  "result or rate.", required=True,
                  enum=("move", "supplement_request", "supplement_received", "apology",
                        "result", "rate")),
            Field("at", "datetime", "When.", required=True),
            Field("actor", "ref", "Code of the official who acted; null only for a rate "
                  "the applicant gave on the public portal.", required=True, nullable=True,
                  ref="officials", max_length=CODE_MAX),
            Field("to_official", "ref", "move: the official of the next step's unit.",
                  nullable=True, ref="officials", max_length=CODE_MAX),
            Field("reason", "text", "supplement_request: what is missing; apology: why it "
                  "is late."),
            Field("new_date", "date", "apology: the new date promised."),
            Field("rating", "enum", "rate: satisfied, neutral or unsatisfied.",
                  enum=("satisfied", "neutral", "unsatisfied")),
            Field("note", "string", "move, result: a note."),
        )),
    ),
}

#: For each built record list: field name -> Field.
FIELDS: dict[str, dict[str, Field]] = {
    key: {f.name: f for f in fields} for key, fields in RECORDS.items()
}

#: Officials' place fields that only make sense together with `unit`.
PLACE_FIELDS = ("position", "task_group", "since")

KEY_DESCRIPTIONS = {
    "format": f'The format and its version: "{FORMAT}".',
    "calendar": "Corrections to the working-day calendar: extra days off and Saturdays "
                "swapped into working days.",
    "units": "The organisation tree: every unit with its parent.",
    "task_groups": "Groups of officials with similar duties.",
    "officials": "People and where they work now.",
    "products": "Kinds of output a task produces, with their conversion coefficient.",
    "directives": "Documents that give work.",
    "tasks": "Assigned pieces of work, each with one lead unit and official, a product and "
             "a deadline.",
    "events": "What happened to each task after its assignment, replayed through the "
              "workflow.",
    "assessments": "General criteria of officials per period, with the reason for any "
                   "deduction and, for leaders, their capacity to organise and to unite.",
    "discipline": "Discipline records and other grounds for the KHT grade.",
    "quota_exceptions": "Approved exceptions to the HTXS quota: in an agency, for the "
                        "periods ending on the days given, the share of the final HTT that "
                        "replaces the rubric's (an addition to the contract).",
    "peer_reviews": "Cross-evaluations between colleagues (not supported yet).",
    "votes": "Confidence votes (not supported yet).",
    "feedback": "Citizens' and businesses' feedback and complaints, with their handling.",
    "dossiers": "Administrative-procedure dossiers with their procedure and their log.",
}

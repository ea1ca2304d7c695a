"""The exchange format, version 1, as data: its top-level keys and the fields of each record.

One table drives the validator (`validation.py`), the xlsx reader (`files.py`) and the JSON
Schema (`schema.py`), so the three cannot drift apart. The contract is
docs/exchange-format.md; fields marked `addition=True` are this project's optional additions
to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from thuocdo.org.choices import Position, UnitKind

FORMAT = "thuocdo-exchange/1"

#: Every top-level key of the contract, in the order documents are written.
KEYS = (
    "format", "calendar", "units", "task_groups", "officials", "products", "directives",
    "tasks", "events", "assessments", "discipline", "peer_reviews", "votes", "feedback",
    "dossiers",
)

#: Keys whose part of the application exists: these are imported and exported.
BUILT_KEYS = ("calendar", "units", "task_groups", "officials", "products", "directives")

#: Keys of the contract whose part is not built yet: refused ("not supported yet").
NOT_YET_KEYS = tuple(k for k in KEYS if k not in BUILT_KEYS and k != "format")

#: Record lists that are matched by `code`, in the order they are imported.
RECORD_KEYS = ("units", "task_groups", "officials", "products", "directives")

CALENDAR_KINDS = ("holidays", "workdays")

DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
CODE_PATTERN = r"^\S(.*\S)?$"


@dataclass(frozen=True)
class Field:
    """One field of a record.

    `type` is one of: code (a non-empty string without surrounding spaces), text (a
    non-empty string), string (may be empty), email, date, number, boolean, enum, ref (the
    code of a record of `ref`). `nullable` lets the value be JSON null.
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


CODE_MAX = 64

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
    "tasks": "Assigned pieces of work (not supported yet).",
    "events": "What happened to each task (not supported yet).",
    "assessments": "Period assessments of officials (not supported yet).",
    "discipline": "Discipline records (not supported yet).",
    "peer_reviews": "Cross-evaluations between colleagues (not supported yet).",
    "votes": "Confidence votes (not supported yet).",
    "feedback": "Citizens' and businesses' feedback (not supported yet).",
    "dossiers": "Administrative-procedure dossiers (not supported yet).",
}

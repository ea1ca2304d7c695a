"""The JSON Schema (draft 2020-12) of the exchange format, version 1.

The schema is a file in this package (`exchange-format.schema.json`, copied verbatim to
docs/exchange-format.schema.json) built from the field table in `spec.py`. After changing
the table, regenerate both files:

    python -m thuocdo.exchange.schema

The schema checks the shape of a document (types, required fields, enums, date patterns,
unknown fields). The importer checks more: references between records and to the database,
cycles, one head per unit, duplicate codes.
"""

from __future__ import annotations

import copy
import functools
import json
import sys
from pathlib import Path
from typing import Any

from .spec import (
    CALENDAR_KINDS,
    CODE_PATTERN,
    DATE_PATTERN,
    DATETIME_PATTERN,
    EVENT_BASE,
    EVENT_PAYLOADS,
    FORMAT,
    KEY_DESCRIPTIONS,
    KEYS,
    NOT_YET_KEYS,
    RECORDS,
    Field,
)

SCHEMA_FILE = Path(__file__).with_name("exchange-format.schema.json")
DOCS_SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "exchange-format.schema.json"
SCHEMA_ID = "https://thuocdo.example/schemas/exchange-format-1.schema.json"


def exchange_schema() -> dict[str, Any]:
    """The JSON Schema of the exchange format (a fresh copy the caller may change)."""
    return copy.deepcopy(_load())


@functools.cache
def _load() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def _field_schema(field: Field) -> dict[str, Any]:
    schema: dict[str, Any]
    if field.type in {"code", "ref"}:
        schema = {"type": "string", "minLength": 1, "pattern": CODE_PATTERN}
    elif field.type == "text":
        schema = {"type": "string", "minLength": 1, "pattern": r"\S"}
    elif field.type in {"string", "email"}:
        schema = {"type": "string"}
        if field.type == "email":
            schema["format"] = "email"
    elif field.type == "date":
        schema = {"type": "string", "pattern": DATE_PATTERN, "format": "date"}
    elif field.type == "datetime":
        schema = {"type": "string", "pattern": DATETIME_PATTERN, "format": "date-time"}
    elif field.type == "number" and field.minimum is not None:
        schema = {"type": "number", "minimum": field.minimum, "maximum": field.maximum}
    elif field.type == "number":
        schema = {"type": "number", "exclusiveMinimum": 0, "maximum": 9999.999}
    elif field.type == "integer":
        schema = {"type": "integer"}
        if field.minimum is not None:
            schema["minimum"] = field.minimum
        if field.maximum is not None:
            schema["maximum"] = field.maximum
    elif field.type == "list":
        schema = {"type": "array", "items": _object_schema(field.items)}
    elif field.type == "boolean":
        schema = {"type": "boolean"}
    elif field.type == "enum":
        schema = {"type": "string", "enum": list(field.enum)}
    else:  # pragma: no cover - the table only uses the types above
        raise ValueError(field.type)
    if field.max_length is not None:
        schema["maxLength"] = field.max_length
    if field.nullable:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return {"description": field.description, **schema}


def _object_schema(fields: tuple[Field, ...]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {f.name: _field_schema(f) for f in fields},
        "required": [f.name for f in fields if f.required],
        "additionalProperties": False,
    }


def _record_schema(key: str) -> dict[str, Any]:
    schema = _object_schema(RECORDS[key])
    if key == "events":
        # Each kind requires its own extra fields and allows no others.
        schema["allOf"] = [
            {
                "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                "then": {
                    "required": list(payload.required),
                    "propertyNames": {"enum": [*EVENT_BASE, *payload.fields]},
                },
            }
            for kind, payload in EVENT_PAYLOADS.items()
        ]
    if key == "officials":
        # position, task_group and since only with a unit; a unit (not null) needs a position
        schema["dependentRequired"] = {
            "position": ["unit"], "task_group": ["unit"], "since": ["unit"],
        }
        schema["if"] = {"properties": {"unit": {"type": "string"}}, "required": ["unit"]}
        schema["then"] = {"required": ["position"]}
    return schema


def build_schema() -> dict[str, Any]:
    """The schema built from the field table (what the file must contain)."""
    date = {"type": "string", "pattern": DATE_PATTERN, "format": "date"}
    properties: dict[str, Any] = {
        "format": {"description": KEY_DESCRIPTIONS["format"], "const": FORMAT},
        "calendar": {
            "description": KEY_DESCRIPTIONS["calendar"],
            "type": "object",
            "properties": {
                kind: {"type": "array", "items": date, "uniqueItems": True}
                for kind in CALENDAR_KINDS
            },
            "additionalProperties": False,
        },
    }
    for key in RECORDS:
        properties[key] = {
            "description": KEY_DESCRIPTIONS[key],
            "type": "array",
            "items": {"$ref": f"#/$defs/{key}"},
        }
    for key in NOT_YET_KEYS:
        properties[key] = {
            "description": KEY_DESCRIPTIONS[key],
            "type": "array",
            "items": {"type": "object"},
        }
    properties = {key: properties[key] for key in KEYS}  # the contract's order
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Thước đo exchange format, version 1",
        "description": (
            "One JSON document that carries an organisation's data in and out of Thước đo. "
            "Every top-level key is optional; records refer to each other by code; dates are "
            "YYYY-MM-DD. Keys marked 'not supported yet' are part of the format but refused "
            "by this version of the importer. See docs/exchange-format.md."
        ),
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "$defs": {key: _record_schema(key) for key in RECORDS},
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def main() -> int:
    text = render(build_schema())
    for path in (SCHEMA_FILE, DOCS_SCHEMA_FILE):
        path.write_text(text, encoding="utf-8")
        sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

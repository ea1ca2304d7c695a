"""The published JSON Schema: one file in the package, the same in docs/, built from the
field table, and in agreement with the importer's validator."""

from __future__ import annotations

import json

import jsonschema
import pytest

from thuocdo.exchange import spec
from thuocdo.exchange.schema import DOCS_SCHEMA_FILE, SCHEMA_FILE, build_schema, exchange_schema

from .conftest import load

VALIDATOR = jsonschema.Draft202012Validator(exchange_schema())


def test_the_docs_copy_is_identical_to_the_package_file():
    assert DOCS_SCHEMA_FILE.read_bytes() == SCHEMA_FILE.read_bytes()


def test_the_file_is_built_from_the_field_table():
    """After changing spec.py, run `python -m thuocdo.exchange.schema` to rebuild both files."""
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == build_schema()


def test_it_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(exchange_schema())
    assert exchange_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_every_key_of_the_contract_is_described():
    schema = exchange_schema()
    assert list(schema["properties"]) == list(spec.KEYS)
    for key in spec.NOT_YET_KEYS:
        assert schema["properties"][key]["items"] == {"type": "object"}
    units = schema["$defs"]["units"]
    assert units["properties"]["kind"]["enum"] == [
        "city", "province", "department", "district", "commune", "division", "other"]
    assert schema["$defs"]["officials"]["properties"]["position"]["enum"] == [
        "head", "deputy", "staff"]
    assert schema["$defs"]["directives"]["properties"]["issued_on"]["pattern"] == (
        spec.DATE_PATTERN)
    assert units["additionalProperties"] is False


def test_callers_get_a_copy_they_may_change():
    exchange_schema()["title"] = "changed"
    assert exchange_schema()["title"] != "changed"


def test_the_example_is_valid_against_the_schema():
    VALIDATOR.validate(load("example.json"))


def test_an_official_leaving_needs_no_position():
    VALIDATOR.validate({"officials": [{"code": "CB1", "name": "An", "unit": None}]})
    assert not VALIDATOR.is_valid({"officials": [{"code": "CB1", "name": "An", "unit": "HN"}]})


@pytest.mark.parametrize("mutate", [
    lambda d: d["units"][0].update(kind="galaxy"),
    lambda d: d["units"][0].update(colour="red"),
    lambda d: d["units"][0].pop("name"),
    lambda d: d["products"][0].update(coefficient="1.0"),
    lambda d: d["products"][0].update(coefficient=0),
    lambda d: d["directives"][0].update(issued_on="7/8/2023"),
    lambda d: d["officials"][0].update(position="boss"),
    lambda d: d["officials"][0].pop("position"),
    lambda d: d.update(foo=[]),
    lambda d: d.update(format="thuocdo-exchange/2"),
    lambda d: d["calendar"].update(holidays=["2026-9-1"]),
])
def test_the_schema_refuses_what_the_validator_refuses_for_its_shape(mutate):
    document = load("example.json")
    mutate(document)
    assert not VALIDATOR.is_valid(document)


@pytest.mark.parametrize("mutate", [
    lambda d: d["tasks"][0].pop("lead_official"),
    lambda d: d["tasks"][0].update(assigned_at="2026-10-01 08:00"),
    lambda d: d["tasks"][0].update(assigned_at="2026-10-01T08:00:00"),  # no offset
    lambda d: d["tasks"][0].update(quantity=0),
    lambda d: d["tasks"][0].update(priority="asap"),
    lambda d: d["tasks"][0]["coordinating_units"][0].pop("due"),
    lambda d: d["tasks"][1]["steps"][0].update(allowance="5"),
    lambda d: d["events"][0].update(kind="create"),
    lambda d: d["events"][1].update(reason="a submit has no reason"),
    lambda d: d["events"][7].pop("new_due"),  # extension_grant
    lambda d: d["events"][5].pop("clear_position"),  # consult_reply
    lambda d: d["events"][0].pop("actor"),
])
def test_the_schema_knows_tasks_and_events(mutate):
    document = load("example.json")
    mutate(document)
    assert not VALIDATOR.is_valid(document)


def test_a_generated_history_is_valid_against_the_schema():
    from thuocdo.exchange.generate import generate_city

    VALIDATOR.validate(generate_city(officials=60, seed=1, months=1))

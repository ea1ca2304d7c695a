"""Properties over random documents: valid small organisations import and export back to
the same records; any single corruption of a valid document is refused with nothing
written, at the corrupted record's path."""

from __future__ import annotations

import copy
import datetime as dt
import os

import jsonschema
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thuocdo.exchange import spec
from thuocdo.exchange.exporter import export_document
from thuocdo.exchange.importer import ImportRejected, import_document
from thuocdo.exchange.schema import exchange_schema
from thuocdo.org.choices import PARENT_KINDS

from .conftest import ON, fingerprint

pytestmark = pytest.mark.django_db

SETTINGS = settings(max_examples=int(os.environ.get("EXCHANGE_EXAMPLES", "40")), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
VALIDATOR = jsonschema.Draft202012Validator(exchange_schema())

CODES = st.text(alphabet="ABCDHKLMNQRTV0123456789.-/", min_size=1, max_size=6)
NAMES = st.sampled_from(["Hà Nội", "Cầu Giấy", "Ba Đình", "Nguyễn Văn Đức", "Trần Thị Bình",
                         "Phòng Nội vụ", "Báo cáo", "Tờ trình", "Đề án", "Kế hoạch 24"])
DAYS = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31))
#: a unit's code: letters, digits and . - / starting with a letter or a digit (docs/org.md)
UNIT_CODES = CODES.filter(lambda code: code[0].isalnum())


def kinds_under(parent_kind: str | None) -> st.SearchStrategy[str]:
    """The kinds a unit may have under a unit of `parent_kind` (None: a root), docs/org.md."""
    return st.sampled_from([kind for kind in spec.FIELDS["units"]["kind"].enum
                            if parent_kind in PARENT_KINDS[kind]])


@st.composite
def documents(draw) -> dict:
    """A valid document: a random forest of units, officials with at most one head per
    unit, task groups, products and directives (some answering others), calendar days."""
    unit_codes = draw(st.lists(UNIT_CODES, min_size=1, max_size=7, unique=True))
    units: list[dict] = []
    for i, code in enumerate(unit_codes):
        parent = (None if i == 0 or draw(st.integers(0, 3)) == 0
                  else draw(st.sampled_from(range(i))))
        units.append({"code": code, "name": draw(NAMES),
                      "kind": draw(kinds_under(None if parent is None
                                               else units[parent]["kind"])),
                      "parent": None if parent is None else unit_codes[parent]})
    groups = [{"code": code, "name": draw(NAMES)}
              for code in draw(st.lists(CODES, max_size=3, unique=True))]
    officials, headed = [], set()
    for code in draw(st.lists(CODES, max_size=8, unique=True)):
        official = {"code": code, "name": draw(NAMES),
                    "email": draw(st.sampled_from(["", "a@example.vn", "b.c@so.gov.example"]))}
        if draw(st.booleans()):
            unit = draw(st.sampled_from(unit_codes))
            position = draw(st.sampled_from(["head", "deputy", "staff"]))
            if position == "head" and unit in headed:
                position = "deputy"
            headed.update([unit] if position == "head" else [])
            official.update(unit=unit, position=position, since=draw(DAYS).isoformat(),
                            task_group=draw(st.sampled_from([None] + [g["code"]
                                                                      for g in groups])))
        officials.append(official)
    products = [{"code": code, "name": draw(NAMES),
                 "coefficient": float(draw(st.decimals(min_value="0.001", max_value="9999.999",
                                                       places=3)))}
                for code in draw(st.lists(CODES, max_size=3, unique=True))]
    directive_codes = draw(st.lists(CODES, max_size=4, unique=True))
    directives = []
    for i, code in enumerate(directive_codes):
        directive = {"code": code, "title": draw(NAMES),
                     "issued_by": draw(st.sampled_from(unit_codes)),
                     "issued_on": draw(DAYS).isoformat()}
        if i and draw(st.booleans()):
            directive["answers"] = draw(st.sampled_from(directive_codes[:i]))
        directives.append(directive)
    days = draw(st.lists(DAYS, max_size=6, unique=True))
    split = draw(st.integers(0, len(days)))
    return {
        "format": spec.FORMAT,
        "calendar": {"holidays": [d.isoformat() for d in days[:split]],
                     "workdays": [d.isoformat() for d in days[split:]]},
        "units": draw(st.permutations(units)),
        "task_groups": groups,
        "officials": draw(st.permutations(officials)),
        "products": products,
        "directives": draw(st.permutations(directives)),
    }


def by_code(records: list[dict]) -> dict[str, dict]:
    return {r["code"]: r for r in records}


@SETTINGS
@given(document=documents())
def test_random_valid_documents_import_and_export_back(document):
    assert VALIDATOR.is_valid(document)
    with transaction.atomic():
        import_document(document, on=ON)
        exported = export_document()
        assert not import_document(document, on=ON).changed
        transaction.set_rollback(True)
    for key in spec.RECORD_KEYS:
        assert by_code(exported[key]) == by_code(document[key]), key
    for name in spec.CALENDAR_KINDS:
        assert exported["calendar"][name] == sorted(document["calendar"][name])
    seen: set[str] = set()
    for unit in exported["units"]:
        assert unit["parent"] is None or unit["parent"] in seen
        seen.add(unit["code"])
    with transaction.atomic():
        import_document(exported, on=ON)
        assert export_document() == exported
        transaction.set_rollback(True)


def _records(document: dict) -> list[tuple[str, int]]:
    return [(key, i) for key in spec.RECORD_KEYS for i in range(len(document[key]))]


@st.composite
def corruptions(draw) -> tuple[dict, dict, str, bool]:
    """(valid document, one corruption of it, the path a problem must name, whether the
    corruption is one of shape that the JSON Schema sees too)."""
    document = draw(documents())
    bad = copy.deepcopy(document)
    records = _records(bad)
    kinds = ["top-level"] + (["type", "missing", "unknown field", "reference", "duplicate"]
                             if records else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "top-level":
        key = draw(st.sampled_from(["foo", "peer_reviews", "votes", "format"]))
        bad[key] = "thuocdo-exchange/0" if key == "format" else []
        return document, bad, key, key in {"foo", "format"}
    key, index = draw(st.sampled_from(records))
    record = bad[key][index]
    path = f"{key}[{index}]"
    fields = spec.FIELDS[key]
    if kind == "type":
        name = draw(st.sampled_from(sorted(record)))
        record[name] = "x" if fields[name].type in {"number", "boolean"} else draw(
            st.sampled_from([12345, True, ["a"], {"a": 1}, "2023-02-30"]))
        if fields[name].type in {"code", "ref", "text", "string", "email", "enum"} \
                and record[name] == "2023-02-30":
            record[name] = 12345
        # an impossible day has a date's shape: the importer refuses it, the JSON Schema
        # (its pattern; formats are not checked) does not
        return document, bad, f"{path}.{name}", record[name] != "2023-02-30"
    if kind == "missing":
        name = draw(st.sampled_from([f.name for f in fields.values() if f.required]))
        del record[name]
        return document, bad, f"{path}.{name}", True
    if kind == "unknown field":
        record["colour"] = "đỏ"
        return document, bad, f"{path}.colour", True
    if kind == "reference":
        refs = [f.name for f in fields.values() if f.type == "ref"]
        if not refs or (key == "officials" and "unit" not in record):
            record["code"] = " " + record["code"]
            return document, bad, f"{path}.code", True
        name = draw(st.sampled_from(refs))
        record[name] = "NOPE!"
        if key == "officials" and "position" not in record:
            record["position"] = "staff"
        return document, bad, f"{path}.{name}", False
    bad[key].append(dict(record))
    return document, bad, f"{key}[{len(bad[key]) - 1}].code", False


@SETTINGS
@given(case=corruptions())
def test_any_single_corruption_is_refused_with_nothing_written(case):
    document, bad, path, shape = case
    with transaction.atomic():
        import_document(document, on=ON)
        before = fingerprint()
        with pytest.raises(ImportRejected) as caught:
            import_document(bad, on=ON)
        assert fingerprint() == before
        transaction.set_rollback(True)
    assert path in {p.path for p in caught.value.problems}, caught.value.lines()
    if shape:
        assert not VALIDATOR.is_valid(bad)

"""docs/exchange-format.md stays true: its complete example imports (and is the fixture the
other tests use), its sample problem listing is what the importer prints, and it documents
every field of the format."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from thuocdo.exchange import spec
from thuocdo.exchange.exporter import export_document
from thuocdo.exchange.importer import ImportRejected, import_document
from thuocdo.exchange.problems import summary

from .conftest import ON, load

DOC = Path(__file__).resolve().parents[3] / "docs" / "exchange-format.md"


def block_after(marker: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(re.escape(marker) + r"\s*```\w*\n(.*?)```", text, re.DOTALL)
    assert match, f"no code block after {marker} in {DOC}"
    return match.group(1)


def test_the_example_in_the_docs_is_the_fixture():
    example = json.loads(block_after("<!-- example: thuocdo/exchange/tests/data/example.json -->"))
    assert example == load("example.json")


@pytest.mark.django_db
def test_the_example_in_the_docs_imports_and_exports_as_itself():
    example = json.loads(block_after("<!-- example: thuocdo/exchange/tests/data/example.json -->"))
    import_document(example, on=ON)
    assert export_document() == example


@pytest.mark.django_db
@pytest.mark.usefixtures("english")
def test_the_sample_problems_are_what_the_importer_prints():
    expected = block_after("<!-- problems: thuocdo/exchange/tests/data/broken.json -->")
    with pytest.raises(ImportRejected) as caught:
        import_document(load("broken.json"), on=ON)
    printed = [*caught.value.lines(), summary(len(caught.value.problems))]
    assert printed == expected.strip().splitlines()


@pytest.mark.django_db
@pytest.mark.usefixtures("english")
def test_the_sample_replay_problems_are_what_the_importer_prints():
    """The marker says how the example is changed: `events[2].at=...` sets that field."""
    text = DOC.read_text(encoding="utf-8")
    marker = re.search(r"<!-- replay problems: (.*?) -->", text)
    assert marker, "no replay problems sample in the docs"
    document = load("example.json")
    for change in marker.group(1).split():
        target, value = change.split("=", 1)
        match = re.fullmatch(r"(\w+)\[(\d+)\]\.(\w+)", target)
        assert match, change
        key, index, name = match.groups()
        document[key][int(index)][name] = value
    expected = block_after(marker.group(0))
    with pytest.raises(ImportRejected) as caught:
        import_document(document, on=ON)
    assert caught.value.lines() == expected.strip().splitlines()


def test_every_key_and_field_is_documented():
    text = DOC.read_text(encoding="utf-8")
    for key in spec.KEYS:
        assert f"`{key}`" in text, key
    for key, fields in spec.RECORDS.items():
        section = text.split(f"### `{key}`", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
        for field in fields:
            assert f"| `{field.name}` |" in section, f"{key}.{field.name}"
            assert ("*addition*" in section.split(f"| `{field.name}` |", 1)[1]
                    .split("\n", 1)[0]) == field.addition, f"{key}.{field.name}"

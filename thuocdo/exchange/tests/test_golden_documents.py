"""The golden scenarios of the measuring engine (thuocdo/measure/tests/golden/) are exchange
documents: without their scenario keys (`scenario.SCENARIO_KEYS`) each one imports as it is
into an empty database, with no `on` day chosen, and importing it again changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from thuocdo.exchange.importer import ImportRejected, import_document
from thuocdo.measure.scenario import exchange_part

GOLDEN = Path(__file__).resolve().parents[2] / "measure" / "tests" / "golden"
#: the service index's case holds the index's facts per dossier and case, not a history
FACTS_ONLY = {"service_index.json"}
FILES = sorted(p for p in GOLDEN.rglob("*.json") if p.name not in FACTS_ONLY)


@pytest.mark.django_db
@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.stem}" for p in FILES])
def test_a_golden_scenario_imports_as_it_is(path):
    document = exchange_part(json.loads(path.read_text(encoding="utf-8")))
    try:
        first = import_document(document)
    except ImportRejected as refused:
        pytest.fail("\n".join(refused.lines()))
    assert first.created
    again = import_document(document)
    assert not again.changed, again.as_dict()

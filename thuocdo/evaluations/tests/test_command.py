"""`thuocdo score`: the JSON is the stored cards; a locked period is shown, never re-scored;
a bad period is a clear error."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils.translation import gettext

from thuocdo.core.templatetags.periods import period_name
from thuocdo.evaluations import services
from thuocdo.evaluations.models import Period, ScoreCard

from .helpers import CASES, load_golden, read

KEYS = {"official", "unit", "period", "assigned", "completed", "quantity", "quality",
        "progress", "task_points", "general_points", "total", "grade", "quota_applied",
        "deductions", "reasons"}


def run(*args) -> str:
    out = io.StringIO()
    call_command("score", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_score_json_lists_the_expected_cards():
    document = read(CASES[0])
    load_golden(document)
    rows = json.loads(run("--period", "2026-10", "--json"))
    expected = {c["official"]: c for c in document["expected"]["cards"]}
    assert {r["official"] for r in rows} == set(expected)
    for row in rows:
        assert set(row) >= KEYS
        assert row["total"] == expected[row["official"]]["total"]
        assert row["grade"] == expected[row["official"]]["grade"]
    stored = {c.official.code: c.data for c in ScoreCard.objects.select_related("official")}
    assert all({k: v for k, v in r.items() if k not in ("name", "status")} == stored[r["official"]]
               for r in rows)


@pytest.mark.django_db
def test_score_table_and_unit_filter():
    load_golden(read(CASES[0]))
    table = run("--period", "2026-10", "--unit", "HN.CG.VP")
    # the headers in the CLI's language (THUOCDO_LANGUAGE; the tests run in Vietnamese)
    assert table.splitlines()[0].startswith(gettext("Official code") + "  " + gettext("Unit"))
    assert "CB002" in table
    rows = json.loads(run("--period", "2026-10", "--unit", "HN.CG.VP", "--json"))
    assert rows and all(r["unit"] == "HN.CG.VP" for r in rows)
    with pytest.raises(CommandError, match="NOPE"):
        run("--period", "2026-10", "--unit", "NOPE")


@pytest.mark.django_db
def test_a_locked_period_is_shown_not_rescored():
    load_golden(read(CASES[0]))
    run("--period", "2026-10")
    Period.objects.filter(label="2026-10").update(status="locked")
    before = list(ScoreCard.objects.values_list("id", "data"))
    err = io.StringIO()
    call_command("score", "--period", "2026-10", stdout=io.StringIO(), stderr=err)
    assert period_name("2026-10") in err.getvalue()
    assert list(ScoreCard.objects.values_list("id", "data")) == before
    with pytest.raises(Exception, match=period_name("2026-10")):
        services.period_score(period=Period.objects.get(label="2026-10"))


@pytest.mark.django_db
@pytest.mark.parametrize("label", ["2026-13", "26-10", "2026-Q5", "oct"])
def test_a_bad_period_is_a_clear_error(label):
    with pytest.raises(CommandError, match="YYYY-MM"):
        run("--period", label)

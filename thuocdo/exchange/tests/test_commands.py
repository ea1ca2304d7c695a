"""`thuocdo import` and `thuocdo export`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from thuocdo.exchange.exporter import export_document
from thuocdo.exchange.files import read_path

from .conftest import DATA, fingerprint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_prints_the_counts():
    out, _err = run("import", str(DATA / "example.json"), "--on", "2026-06-01")
    assert "units: 6 created, 0 updated, 0 unchanged" in out
    assert "officials: 5 created, 0 updated, 0 unchanged" in out
    out, _err = run("import", str(DATA / "example.json"))
    assert "officials: 0 created, 0 updated, 5 unchanged" in out


def test_import_of_a_broken_file_prints_every_problem_and_fails():
    before = fingerprint()
    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import", str(DATA / "broken.json"), stdout=StringIO(), stderr=err)
    assert caught.value.returncode == 1
    assert str(caught.value).startswith("9 problems, nothing was imported")
    lines = err.getvalue().splitlines()
    assert len(lines) == 9
    assert any(line.startswith('units[5].parent: ') and "HN.NOPE" in line for line in lines)
    assert fingerprint() == before


def test_import_dry_run_writes_nothing():
    before = fingerprint()
    out, _err = run("import", str(DATA / "example.json"), "--dry-run")
    assert "units: 6 created" in out
    assert fingerprint() == before


def test_import_of_an_unreadable_file_fails(tmp_path):
    path = tmp_path / "city.csv"
    path.write_text("code,name\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import", str(path), stdout=StringIO(), stderr=StringIO())


def test_export_writes_json_to_stdout():
    run("import", str(DATA / "example.json"))
    out, _err = run("export")
    assert json.loads(out) == export_document()


@pytest.mark.parametrize("suffix", [".json", ".xlsx"])
def test_export_writes_a_file_by_its_suffix(tmp_path, suffix):
    run("import", str(DATA / "example.json"))
    path = tmp_path / f"city{suffix}"
    run("export", "--output", str(path))
    exported = read_path(path)
    assert [u["code"] for u in exported["units"]] == [
        u["code"] for u in export_document()["units"]]
    with pytest.raises(CommandError):
        run("export", "--output", str(tmp_path / "city.txt"))


def test_the_console_script_exits_non_zero_on_a_broken_file(tmp_path):
    """The real `thuocdo` entry point, in a fresh process with its own SQLite database."""
    env = {**os.environ, "THUOCDO_DATA_DIR": str(tmp_path),
           "THUOCDO_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "DJANGO_SETTINGS_MODULE": "thuocdo.config.settings.dev", "THUOCDO_LANGUAGE": "en"}

    def thuocdo(*args):
        return subprocess.run(  # noqa: S603 - our own console script, fixed arguments
            [sys.executable, "-m", "thuocdo.cli", *args], env=env, capture_output=True,
            text=True, timeout=300, check=False,
        )

    # a new data directory: the data commands say to migrate first (they printed a traceback)
    fresh = thuocdo("import", str(DATA / "example.json"))
    assert fresh.returncode == 2 and "run `thuocdo migrate` first" in fresh.stderr
    assert "Traceback" not in fresh.stderr
    assert thuocdo("migrate", "-v0").returncode == 0
    broken = thuocdo("import", str(DATA / "broken.json"))
    assert broken.returncode == 1
    assert 'units[5].parent: unknown unit "HN.NOPE"' in broken.stderr
    assert "9 problems, nothing was imported / không có gì được nhập" in broken.stderr
    good = thuocdo("import", str(DATA / "example.json"))
    assert good.returncode == 0, good.stderr
    assert "officials: 5 created" in good.stdout


def test_import_of_an_impossible_history_prints_each_problem_with_its_path(tmp_path):
    document = json.loads((DATA / "example.json").read_text(encoding="utf-8"))
    document["events"][2]["at"] = "2026-10-10T08:00:00+07:00"  # T1 approved before submitted
    document["events"][7]["actor"] = "CB002"  # T2's extension granted by its holder
    path = tmp_path / "history.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    before = fingerprint()
    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import", str(path), stdout=StringIO(), stderr=err)
    assert caught.value.returncode == 1
    lines = err.getvalue().splitlines()
    assert [line.split(": ")[:2] for line in lines] == [
        ["events[2]", "approve"], ["events[7]", "extension_grant"]]
    assert fingerprint() == before
    out, _err = run("import", str(DATA / "example.json"))
    assert "tasks: 3 created, 0 updated, 0 unchanged" in out
    assert "events: 18 created, 0 updated, 0 unchanged" in out

"""Every `thuocdo` command refuses a bad argument the same way (thuocdo.core.commands): one
message in the command line's language, the argument's name first, exit status 2, before
anything is written."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError

from thuocdo.core.commands import BAD_ARGUMENT

pytestmark = pytest.mark.usefixtures("english")


def refusal(*args) -> CommandError:
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(*args, stdout=out, stderr=out)
    assert out.getvalue() == "", "nothing done before the refusal"
    return caught.value


def written() -> dict[str, int]:
    from thuocdo.accountability.models import SignalRecord
    from thuocdo.core.models import AuditEntry
    from thuocdo.evaluations.models import Period, ScoreCard

    return {model.__name__: model.objects.count()
            for model in (SignalRecord, Period, ScoreCard, AuditEntry)}


BAD = [
    (("signals", "--period", "2026-10", "--unit", "NOPE"), "--unit: unknown unit “NOPE”"),
    (("signals", "--period", "2026-13"), "--period: not a month (YYYY-MM, e.g. 2026-10): 2026-13"),
    (("signals", "--period", "9999-01"),
     "--period: the year must be from 1900 to 2999: 9999-01"),
    (("signals", "--period", "2026-10", "--as-of", "yesterday"),
     "--as-of: not a date and time (ISO 8601, e.g. 2026-10-31T17:00+07:00): yesterday"),
    (("signals", "--period", "2026-10", "--workers", "-1"),
     "--workers: must be 0 or more, not -1"),
    (("score", "--period", "2026-10", "--unit", "NOPE"), "--unit: unknown unit “NOPE”"),
    (("score", "--period", "2026-13"),
     "--period: not a period (YYYY-MM, YYYY-Qn or YYYY, e.g. 2026-10, 2026-Q4, 2026): 2026-13"),
    (("score", "--period", "9999"), "--period: the year must be from 1900 to 2999: 9999"),
    (("score", "--period", "2026-10", "--workers", "-2"),
     "--workers: must be 0 or more, not -2"),
    (("export", "--unit", "NOPE"), "--unit: unknown unit “NOPE”"),
    (("export", "--unit", "HN", "--period", "9999-01"),
     "--period: the year must be from 1900 to 2999: 9999-01"),
    (("export", "--output", "city.csv"),
     "--output: expected a .json or .xlsx file name, not city.csv"),
    (("generate", "--officials", "2", "--output", "-"), "--officials: must be 6 or more, not 2"),
    (("generate", "--officials", "80", "--output", "city.csv"),
     "--output: expected a .json or .xlsx file name, not city.csv"),
    (("generate", "--officials", "80", "--output", "-", "--months", "-1"),
     "--months: must be 0 or more, not -1"),
    (("generate", "--officials", "80", "--output", "-", "--months", "1", "--start", "2026-13"),
     "--start: not a month (YYYY-MM, e.g. 2026-10): 2026-13"),
    (("generate", "--officials", "80", "--output", "-", "--months", "1", "--start", "2024-12"),
     "--start: a history starts in 2025-01 or later: 2024-12"),
    (("generate", "--officials", "80", "--output", "-", "--months", "1", "--start", "1899-12"),
     "--start: the year must be from 1900 to 2999: 1899-12"),
    (("generate", "--officials", "80", "--output", "-", "--months", "3", "--start", "2999-12"),
     "--months: a history from 2999-12 would end in 3000-02, but its last month may be "
     "2999-08 at the latest"),
    (("demo", "--no-serve", "--months", "-1"), "--months: must be 0 or more, not -1"),
    (("demo", "--no-serve", "--officials", "3"), "--officials: must be 6 or more, not 3"),
    (("demo", "--port", "70000"), "--port: must be from 1 to 65535, not 70000"),
    (("scheduler", "--run-now", "nope"), "--run-now: unknown job nope; known: "),
    (("serve", "--workers", "0"), "--workers: must be 1 or more, not 0"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a) for a, _m in BAD])
def test_a_bad_argument_is_named_in_one_message_and_nothing_is_written(world, args, message):
    before = written()
    error = refusal(*args)
    assert str(error).startswith(message), str(error)
    assert "\n" not in str(error) and "(bad_period)" not in str(error)
    assert error.returncode == BAD_ARGUMENT
    assert written() == before


@pytest.mark.django_db
def test_score_checks_the_unit_before_it_opens_or_scores_the_period(world):
    """Before, `score --unit NOPE` opened and scored the whole period, then said the unit
    was unknown."""
    from thuocdo.evaluations.models import Period

    refusal("score", "--period", "2026-10", "--unit", "NOPE")
    assert not Period.objects.exists()


@pytest.mark.django_db
def test_the_message_is_in_the_command_line_s_language_only(world, settings):
    settings.LANGUAGE_CODE = "vi"
    error = refusal("signals", "--period", "2026-10", "--unit", "NOPE")
    assert str(error) == "--unit: không tìm thấy đơn vị “NOPE”"
    error = refusal("score", "--period", "2026-10", "--unit", "NOPE")
    assert str(error) == "--unit: không tìm thấy đơn vị “NOPE”"


@pytest.mark.django_db
def test_a_service_s_refusal_is_its_message_after_the_argument(world):
    """No stable code glued on ("(bad_period)"), the argument named when the refused field
    is one (`export --period` without `--unit`)."""
    error = refusal("export", "--period", "2026-10")
    assert str(error) == "--unit: Choose the unit whose tasks of the month to export."


def test_the_scheduler_enqueues_nothing_when_one_job_is_unknown(monkeypatch):
    from thuocdo.core.management.commands import scheduler

    monkeypatch.setattr(scheduler, "enqueue", lambda name: pytest.fail(f"enqueued {name}"))
    refusal("scheduler", "--run-now", "core.housekeeping", "--run-now", "nope")


@pytest.mark.django_db
def test_the_command_line_prints_the_message_alone_and_exits_with_2(world, capsys):
    command = load_command_class("thuocdo.accountability", "signals")
    with pytest.raises(SystemExit) as exited:
        command.run_from_argv(["thuocdo", "signals", "--period", "9999-01"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.strip() == (
        "--period: the year must be from 1900 to 2999: 9999-01")

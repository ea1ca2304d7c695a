"""Our management commands: generate, demo, serve, scheduler, and the scheduled jobs."""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import socket
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_tasks import task

from thuocdo.core.management.commands import generate as generate_command
from thuocdo.core.management.commands import serve
from thuocdo.core.management.commands.demo import DEMO_PASSWORD, accounts_table, demo_accounts
from thuocdo.exchange.generate import generate_city

#: the opinions' notices of the morning run, none left to tell
QUIET = {"opinion_soon": 0, "opinion_late": 0}


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=out, **options)
    return out.getvalue()


# -- generate ----------------------------------------------------------------------------------


def test_generate_writes_the_city_as_json(tmp_path):
    """`thuocdo generate` writes the generator's document and says what and how long."""
    path = tmp_path / "out" / "city.json"
    output = run("generate", "--officials", "80", "--seed", "5", "--output", str(path))
    assert json.loads(path.read_text(encoding="utf-8")) == generate_city(officials=80, seed=5)
    assert "80 officials" in output and str(path) in output and "s" in output


def test_generate_refuses_an_unknown_extension_and_a_tiny_city(tmp_path):
    with pytest.raises(CommandError, match=r"--output: .*\.json.*\.xlsx"):
        run("generate", "--officials", "80", "--output", str(tmp_path / "city.csv"))
    with pytest.raises(CommandError, match=r"--officials: \D*6\D*2$"):
        run("generate", "--officials", "2", "--output", str(tmp_path / "city.json"))


def test_generate_xlsx_uses_the_exchange_writer_or_says_it_is_missing(tmp_path):
    path = tmp_path / "city.xlsx"
    if generate_command.file_writer() is None:
        with pytest.raises(CommandError, match="xlsx"):
            run("generate", "--officials", "40", "--output", str(path))
    else:
        run("generate", "--officials", "40", "--output", str(path))
        assert path.stat().st_size > 0


# -- demo ----------------------------------------------------------------------------------


def test_demo_accounts_come_from_one_district():
    """Head, deputy, inspector share a district; the staff member works in its division."""
    document = generate_city(officials=300, seed=2023)
    accounts = {a.role: a for a in demo_accounts(document)}
    assert set(accounts) == {"admin", "board", "inspector", "head", "deputy", "staff"}
    officials = {o["code"]: o for o in document["officials"]}
    district = accounts["inspector"].unit
    assert officials[accounts["head"].official_code]["unit"] == district
    assert officials[accounts["head"].official_code]["position"] == "head"
    assert officials[accounts["deputy"].official_code]["position"] == "deputy"
    staff = officials[accounts["staff"].official_code]
    assert staff["position"] == "staff" and staff["unit"].startswith(district + ".")
    assert accounts["board"].unit == "HN" and accounts["admin"].superuser
    # the board and the inspector are officials (so notifications reach them): of the
    # Department of Home Affairs' organisation division, of the City Inspectorate
    units = {u["code"]: u["name"] for u in document["units"]}
    board = officials[accounts["board"].official_code]
    assert board["unit"].startswith("HN.SNV.") and units[board["unit"]].startswith("Phòng Tổ chức")
    inspector = officials[accounts["inspector"].official_code]
    assert inspector["unit"].startswith("HN.TTTP.")
    table = accounts_table([(a, "created") for a in accounts.values()], DEMO_PASSWORD)
    assert DEMO_PASSWORD in table and accounts["head"].official_code in table


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_demo_no_serve_builds_the_city_and_accounts_twice(monkeypatch):
    """`demo --no-serve` imports the city and creates one account per role; a second run
    imports nothing new and resets the passwords."""
    pytest.importorskip("thuocdo.exchange.importer")
    from thuocdo.accounts.models import ScopeGrant, User
    from thuocdo.org.models import Official, Unit

    output = run("demo", "--no-serve", "--officials", "120")
    assert DEMO_PASSWORD in output
    users = {u.email: u for u in User.objects.select_related("official")}
    assert len(users) == 6
    document = generate_city(officials=120, seed=2023)
    accounts = {a.role: a for a in demo_accounts(document)}
    admin = users[accounts["admin"].email]
    assert admin.is_superuser and admin.check_password(DEMO_PASSWORD)
    head = users[accounts["head"].email]
    assert head.official.code == accounts["head"].official_code
    for role in ("board", "inspector"):
        assert users[accounts[role].email].official.code == accounts[role].official_code
    assert ScopeGrant.objects.filter(user__email=accounts["inspector"].email,
                                     role="inspector", unit__code=accounts["inspector"].unit,
                                     end__isnull=True).exists()
    assert ScopeGrant.objects.filter(user__email=accounts["board"].email, role="board",
                                     unit__code="HN").exists()
    counts = (Unit.objects.count(), Official.objects.count(), ScopeGrant.objects.count())
    assert counts[1] == 120
    # the staff account's card of the month in review waits for their self-score
    from thuocdo.evaluations.demo import demo_month
    from thuocdo.evaluations.models import ScoreCard
    from thuocdo.evaluations.services import self_score_refusal

    card = ScoreCard.objects.get(period__label=demo_month(), period__status="review",
                                 official__code=accounts["staff"].official_code)
    assert self_score_refusal(card) is None
    assert users[accounts["staff"].email].official_id == card.official_id
    # The demo's past is in the inboxes, not e-mailed, and the jobs do not notify it again
    # (a later `thuocdo serve` sent its whole history as e-mails): only what happens after.
    from thuocdo.notifications import services as notifications
    from thuocdo.notifications.models import Notification

    assert Notification.objects.exists()
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    assert notifications.notifications_from_events(max_age=None) == 0
    assert notifications.notifications_due_and_overdue(today=timezone.localdate()) == {
        "due_soon": 0, "overdue": 0, **QUIET}
    assert notifications.notifications_send_email() == 0

    head.set_password("something-else-entirely")
    head.save()
    output = run("demo", "--no-serve", "--officials", "120")
    assert DEMO_PASSWORD in output
    assert User.objects.count() == 6
    assert (Unit.objects.count(), Official.objects.count(), ScopeGrant.objects.count()) == counts
    head.refresh_from_db()
    assert head.check_password(DEMO_PASSWORD)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_demo_on_a_database_holding_another_city_says_so_and_changes_nothing():
    pytest.importorskip("thuocdo.exchange.importer")
    from thuocdo.accounts.models import User
    from thuocdo.org.models import Official

    run("demo", "--no-serve", "--officials", "60")
    names = dict(Official.objects.values_list("code", "name"))
    with pytest.raises(CommandError, match="conflicts with the demo city") as caught:
        run("demo", "--no-serve", "--officials", "200")
    assert "THUOCDO_DATA_DIR" in str(caught.value)
    assert dict(Official.objects.values_list("code", "name")) == names
    assert User.objects.count() == 6


# -- serve ----------------------------------------------------------------------------------


def test_serve_without_a_secret_key_has_a_clear_one_line_message():
    message = serve.secret_key_problem({})
    assert message is not None and "\n" not in message
    assert "THUOCDO_SECRET_KEY" in message and "Traceback" not in message
    assert serve.secret_key_problem({"THUOCDO_SECRET_KEY": "x" * 50}) is None
    assert serve.secret_key_problem({"THUOCDO_SECRET_KEY": "  "}) is not None
    # Other settings (a developer's DJANGO_SETTINGS_MODULE) do not need the variable.
    assert serve.secret_key_problem(
        {"DJANGO_SETTINGS_MODULE": "thuocdo.config.settings.dev"}) is None


def test_serve_command_stops_before_starting_anything_without_a_key(monkeypatch):
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", serve.PRODUCTION_SETTINGS)
    monkeypatch.delenv("THUOCDO_SECRET_KEY", raising=False)
    monkeypatch.setattr(serve, "run_children", lambda *a, **k: pytest.fail("started"))
    with pytest.raises(CommandError, match="THUOCDO_SECRET_KEY"):
        run("serve")


# `thuocdo serve` and the secret key `thuocdo demo` keeps in the data dir (thuocdo/cli.py)


def _data_dir_with_key(tmp_path, key: str = "demo-secret-key-0123456789") -> str:
    (tmp_path / "secret_key").write_text(key + "\n", encoding="utf-8")
    return str(tmp_path)


def test_serve_without_the_variable_refuses_and_shows_how_to_use_the_data_dir_s_key(
        tmp_path):
    """Production takes its key from the environment only: a `secret_key` file any earlier
    command (`thuocdo migrate`, `thuocdo demo`) wrote into the data dir is not adopted.
    The refusal says what that key is and gives the exact command to serve under it."""
    from thuocdo import cli

    env = {"THUOCDO_DATA_DIR": _data_dir_with_key(tmp_path)}
    err = StringIO()
    cli.serve_secret_key(env, err=err)
    assert "THUOCDO_SECRET_KEY" not in env and err.getvalue() == ""
    message = serve.secret_key_problem(env, ["--bind", "0.0.0.0:9000"])
    assert message is not None and "\n" not in message
    path = tmp_path / "secret_key"
    assert "THUOCDO_SECRET_KEY is not set" in message and "access keys" in message
    assert (f'THUOCDO_SECRET_KEY="$(cat {path})" thuocdo serve --bind 0.0.0.0:9000'
            in message)
    assert "demo-secret-key" not in message, "the key itself is never printed"


def test_serve_warns_when_the_variable_differs_from_the_data_dir_s_key(tmp_path):
    from thuocdo import cli

    data_dir = _data_dir_with_key(tmp_path)
    for given, warned in (("another-secret-key-9876543210", True),
                          ("demo-secret-key-0123456789", False)):
        env = {"THUOCDO_DATA_DIR": data_dir, "THUOCDO_SECRET_KEY": given}
        err = StringIO()
        cli.serve_secret_key(env, err=err)
        assert env["THUOCDO_SECRET_KEY"] == given  # the environment's key wins
        assert ("warning" in err.getvalue() and "will not match" in err.getvalue()) is warned
        assert bool(err.getvalue()) is warned
        assert serve.secret_key_problem(env) is None


def test_serve_help_needs_no_secret_key(tmp_path):
    """Asking how to serve is not serving: `thuocdo serve --help` prints the options without
    THUOCDO_SECRET_KEY (it refused before, naming the variable)."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"THUOCDO_SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    env["THUOCDO_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from thuocdo.cli import main; "
         "sys.exit(main(['thuocdo', 'serve', '--help']))"],
        env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "--bind" in done.stdout and "THUOCDO_SECRET_KEY is not set" not in done.stderr


def test_serve_without_the_variable_nor_a_key_file_still_refuses(tmp_path):
    from thuocdo import cli

    env = {"THUOCDO_DATA_DIR": str(tmp_path)}
    err = StringIO()
    cli.serve_secret_key(env, err=err)
    assert "THUOCDO_SECRET_KEY" not in env and err.getvalue() == ""
    assert not (tmp_path / "secret_key").exists()  # serve never makes one
    message = serve.secret_key_problem(env)
    assert message is not None and "$(cat" not in message
    assert "secrets.token_urlsafe" in message


@pytest.mark.django_db
def test_thuocdo_serve_runs_with_the_demo_s_key_only_when_given_it(tmp_path, monkeypatch,
                                                                  capsys):
    """`thuocdo demo` hashed access keys with its data dir's key. `thuocdo serve` without
    THUOCDO_SECRET_KEY refuses (nothing started) and says how to serve under that key;
    given it explicitly, it runs under it (what the children inherit)."""
    from thuocdo import cli

    monkeypatch.setenv("THUOCDO_DATA_DIR", _data_dir_with_key(tmp_path))
    monkeypatch.setenv("THUOCDO_SECRET_KEY", "")
    # serve's own settings (this process keeps the test settings it loaded)
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", serve.PRODUCTION_SETTINGS)
    started = []
    monkeypatch.setattr(serve, "run_children", lambda commands, **k: started.append(
        os.environ.get("THUOCDO_SECRET_KEY")) or 0)
    assert cli.main(["thuocdo", "serve", "--no-jobs", "--no-scheduler"]) == 2
    assert started == []
    said = capsys.readouterr().err
    assert (f'THUOCDO_SECRET_KEY="$(cat {tmp_path / "secret_key"})" thuocdo serve '
            f"--no-jobs --no-scheduler") in said
    monkeypatch.setenv("THUOCDO_SECRET_KEY", "demo-secret-key-0123456789")
    assert cli.main(["thuocdo", "serve", "--no-jobs", "--no-scheduler"]) == 0
    assert started == ["demo-secret-key-0123456789"]
    assert "warning" not in capsys.readouterr().err


def test_the_command_the_refusal_gives_loads_production_settings_with_the_key(tmp_path):
    """In a fresh shell, as an operator pastes it (a data dir whose path has a space): the
    refusal's `THUOCDO_SECRET_KEY="$(cat …)"` gives production settings the file's key;
    without it they do not load."""
    import re

    data_dir = tmp_path / "data dir"
    data_dir.mkdir()
    _data_dir_with_key(data_dir)
    env = {"THUOCDO_DATA_DIR": str(data_dir)}
    message = serve.secret_key_problem(env)
    [assignment] = re.findall(r'THUOCDO_SECRET_KEY="\$\(cat [^)]*\)"', message)
    script = (
        "import os, sys\n"
        "from thuocdo import cli\n"
        "cli.set_defaults('serve', os.environ)\n"
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "print(settings.SETTINGS_MODULE, settings.SECRET_KEY)\n"
    )
    run_env = {k: v for k, v in os.environ.items()
               if k not in ("DJANGO_SETTINGS_MODULE", "THUOCDO_SECRET_KEY")}
    run_env["THUOCDO_DATA_DIR"] = str(data_dir)
    command = f"{assignment} {shlex.quote(sys.executable)} -c {shlex.quote(script)}"
    done = subprocess.run(["bash", "-c", command], env=run_env,  # noqa: S603, S607 - ours
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [serve.PRODUCTION_SETTINGS, "demo-secret-key-0123456789"]
    bare = subprocess.run([sys.executable, "-c", script], env=run_env,  # noqa: S603 - ours
                          capture_output=True, text=True, timeout=120, check=False)
    assert bare.returncode != 0 and "demo-secret-key" not in bare.stdout


def test_serve_runs_gunicorn_a_worker_and_the_scheduler():
    commands = serve.child_commands(bind="0.0.0.0:9000", workers=3, jobs=True, scheduler=True)
    assert set(commands) == {"web", "worker", "scheduler"}
    web = commands["web"]
    assert "gunicorn" in web and "thuocdo.config.wsgi:application" in web
    assert web[web.index("--bind") + 1] == "0.0.0.0:9000"
    assert web[web.index("--workers") + 1] == "3"
    assert commands["worker"][-4:] == ["db_worker", "--no-reload", "--queue-name", "*"]
    assert commands["scheduler"][-1] == "scheduler"
    assert set(serve.child_commands(bind="x:1", workers=1, jobs=False, scheduler=False)) == {
        "web"}


@pytest.mark.django_db
def test_serve_gives_requests_time_for_a_city_s_exports(monkeypatch):
    """gunicorn's own 30 s would kill the worker of a large xlsx export: 120 s, or
    THUOCDO_REQUEST_TIMEOUT, or --timeout."""
    web = serve.child_commands(bind="x:1", workers=1, jobs=False, scheduler=False)["web"]
    assert web[web.index("--timeout") + 1] == str(serve.REQUEST_TIMEOUT) == "120"
    web = serve.child_commands(bind="x:1", workers=1, jobs=False, scheduler=False,
                               timeout=300)["web"]
    assert web[web.index("--timeout") + 1] == "300"
    assert serve.request_timeout({}) == 120
    assert serve.request_timeout({"THUOCDO_REQUEST_TIMEOUT": " 600 "}) == 600
    with pytest.raises(CommandError, match="THUOCDO_REQUEST_TIMEOUT"):
        serve.request_timeout({"THUOCDO_REQUEST_TIMEOUT": "2m"})
    started = {}
    monkeypatch.setenv("THUOCDO_SECRET_KEY", "x" * 50)
    monkeypatch.setenv("THUOCDO_REQUEST_TIMEOUT", "240")
    monkeypatch.setattr(serve, "ensure_static_root", lambda: None)
    monkeypatch.setattr(serve, "run_children",
                        lambda commands, **kwargs: started.update(commands) or 0)
    run("serve", "--no-jobs", "--no-scheduler")
    assert started["web"][started["web"].index("--timeout") + 1] == "240"
    run("serve", "--no-jobs", "--no-scheduler", "--timeout", "90")
    assert started["web"][started["web"].index("--timeout") + 1] == "90"
    with pytest.raises(CommandError, match="--timeout"):
        run("serve", "--timeout", "0")


@pytest.mark.django_db
def test_serve_names_the_variable_that_gave_a_wrong_timeout(monkeypatch):
    """THUOCDO_REQUEST_TIMEOUT=0 is refused naming the variable, not --timeout, which
    was not given."""
    monkeypatch.setenv("THUOCDO_SECRET_KEY", "x" * 50)
    monkeypatch.setenv("THUOCDO_REQUEST_TIMEOUT", "0")
    monkeypatch.setattr(serve, "run_children", lambda *a, **k: pytest.fail("started"))
    with pytest.raises(CommandError, match=r"^THUOCDO_REQUEST_TIMEOUT: ") as caught:
        run("serve", "--no-jobs", "--no-scheduler")
    assert "--timeout" not in str(caught.value)
    with pytest.raises(CommandError, match=r"^--timeout: "):
        run("serve", "--timeout", "0")


def test_serve_links_e_mails_to_the_address_it_binds():
    """Without THUOCDO_BASE_URL the children get the address of --bind, so the links in
    e-mails open the site served; a bind users cannot open (0.0.0.0) keeps the default with
    a warning; THUOCDO_BASE_URL set is kept."""
    assert serve.base_url_from_bind("127.0.0.1:8765") == "http://127.0.0.1:8765"
    assert serve.base_url_from_bind("tdo.example.vn:80") == "http://tdo.example.vn:80"
    assert serve.base_url_from_bind("[::1]:9000") == "http://[::1]:9000"
    assert serve.base_url_from_bind("localhost") == "http://localhost:8000"
    for bind in ("0.0.0.0:8000", "[::]:8000", ":8000", "unix:/run/thuocdo.sock", "::1"):
        assert serve.base_url_from_bind(bind) is None, bind
    env, line = serve.base_url_environ("127.0.0.1:8765", {"PATH": "/bin"})
    assert env == {"PATH": "/bin", "THUOCDO_BASE_URL": "http://127.0.0.1:8765"}
    assert "http://127.0.0.1:8765" in line and "--bind" in line
    env, line = serve.base_url_environ("0.0.0.0:9000", {"THUOCDO_BASE_URL": " "})
    assert not env["THUOCDO_BASE_URL"].strip()
    assert line.startswith("warning:") and "THUOCDO_BASE_URL" in line and "0.0.0.0:9000" in line
    given = {"THUOCDO_BASE_URL": "https://tdo.example.vn"}
    env, line = serve.base_url_environ("0.0.0.0:9000", given)
    assert env == given and "https://tdo.example.vn" in line


@pytest.mark.django_db
def test_serve_passes_the_base_url_to_its_children(monkeypatch):
    started = {}
    monkeypatch.setenv("THUOCDO_SECRET_KEY", "x" * 50)
    monkeypatch.delenv("THUOCDO_BASE_URL", raising=False)
    monkeypatch.setattr(serve, "ensure_static_root", lambda: None)
    monkeypatch.setattr(serve, "run_children",
                        lambda commands, **kwargs: started.update(kwargs) or 0)
    output = run("serve", "--bind", "127.0.0.1:8765", "--no-jobs", "--no-scheduler")
    assert started["env"]["THUOCDO_BASE_URL"] == "http://127.0.0.1:8765"
    assert "http://127.0.0.1:8765" in output
    output = run("serve", "--bind", "0.0.0.0:8765", "--no-jobs", "--no-scheduler")
    assert "THUOCDO_BASE_URL" not in started["env"]
    assert "warning: THUOCDO_BASE_URL is not set" in output


def test_run_children_gives_them_the_environment():
    script = "import os, sys; sys.exit(0 if os.environ['THUOCDO_BASE_URL'] == 'http://h:1' else 5)"
    env = {**os.environ, "THUOCDO_BASE_URL": "http://h:1"}
    lines: list[str] = []
    serve.run_children({"probe": [sys.executable, "-c", script]}, out=lines.append, env=env)
    assert "probe exited with code 0: stopping the others" in lines


def test_serve_stops_every_child_when_one_dies():
    """A child that exits takes the others down, and its exit code is returned."""
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    quitter = [sys.executable, "-c", "import sys, time; time.sleep(0.3); sys.exit(3)"]
    lines: list[str] = []
    started = timezone.now()
    code = serve.run_children({"sleeper": sleeper, "quitter": quitter}, out=lines.append)
    assert code == 3
    assert (timezone.now() - started).total_seconds() < 20
    assert any("quitter exited with code 3" in line for line in lines)


def test_stop_children_kills_what_ignores_sigterm():
    stubborn = subprocess.Popen([sys.executable, "-c", (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)")], stdout=subprocess.PIPE, text=True)
    assert stubborn.stdout.readline().strip() == "ready"
    serve.stop_children({"stubborn": stubborn}, out=lambda line: None, timeout=0.5)
    assert stubborn.returncode is not None


# -- scheduler and jobs --------------------------------------------------------------------


def test_scheduler_lists_the_registered_jobs():
    from thuocdo.core.jobs import load_schedule

    jobs = load_schedule()
    assert "core.housekeeping" in jobs
    assert jobs["core.housekeeping"].cron == "30 2 * * *"
    output = run("scheduler", "--list")
    assert "core.housekeeping" in output and "next:" in output


def test_scheduler_builds_one_cron_job_per_registered_job():
    from apscheduler.schedulers.background import BackgroundScheduler

    from thuocdo.core.jobs import load_schedule
    from thuocdo.core.management.commands.scheduler import build_scheduler

    jobs = load_schedule()
    scheduler = build_scheduler(jobs, BackgroundScheduler)
    assert {job.id for job in scheduler.get_jobs()} == set(jobs)


@task()
def weekly_example() -> None:  # pragma: no cover - never run
    """Weekly example."""


def test_scheduled_is_a_one_line_registration():
    from thuocdo.core import jobs

    registered = jobs.scheduled(cron="0 6 * * 1")(weekly_example)
    try:
        assert registered is weekly_example
        job = jobs.SCHEDULE["core.tests.test_commands.weekly_example"]
        assert (job.cron, job.description) == ("0 6 * * 1", "Weekly example.")
    finally:
        jobs.SCHEDULE.pop("core.tests.test_commands.weekly_example", None)


@pytest.mark.django_db
def test_housekeeping_prunes_old_results_and_clears_expired_lockouts_and_sessions():
    from axes.models import AccessAttempt
    from django_tasks_db.models import DBTaskResult

    from thuocdo.core.jobs import housekeeping

    now = timezone.now()

    def result(status: str, finished: dt.datetime | None) -> DBTaskResult:
        return DBTaskResult.objects.create(
            status=status, finished_at=finished, args_kwargs={"args": [], "kwargs": {}},
            task_path="thuocdo.core.jobs.housekeeping", backend_name="default", run_after=now,
        )

    old = result("SUCCESSFUL", now - dt.timedelta(days=40))
    old_failed = result("FAILED", now - dt.timedelta(days=31))
    recent = result("SUCCESSFUL", now - dt.timedelta(days=2))
    waiting = result("READY", None)

    def attempt(username: str, age: dt.timedelta) -> AccessAttempt:
        row = AccessAttempt.objects.create(
            username=username, user_agent="ua", ip_address="127.0.0.1", http_accept="*/*",
            path_info="/accounts/login/", get_data="", post_data="", failures_since_start=5,
        )
        AccessAttempt.objects.filter(pk=row.pk).update(attempt_time=now - age)
        return row

    expired = attempt("expired@example.vn", dt.timedelta(hours=2))
    locked = attempt("locked@example.vn", dt.timedelta(minutes=1))
    from django.contrib.sessions.models import Session

    Session.objects.create(session_key="old", session_data="", expire_date=now)
    Session.objects.create(session_key="live", session_data="",
                           expire_date=now + dt.timedelta(days=1))

    outcome = housekeeping.call()
    assert outcome == {"task_results_pruned": 2, "lockouts_cleared": 1, "sessions_cleared": 1}
    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
    remaining = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert remaining == {recent.pk, waiting.pk}
    assert old.pk not in remaining and old_failed.pk not in remaining
    assert set(AccessAttempt.objects.values_list("pk", flat=True)) == {locked.pk}
    assert expired.pk != locked.pk


def test_the_demo_links_its_emails_to_the_port_it_serves_on():
    """`demo --port 8765`: the worker and the scheduler (which send the e-mails) get
    THUOCDO_BASE_URL=http://127.0.0.1:8765, unless the environment sets a base URL."""
    from thuocdo.core.management.commands.demo import demo_environ

    env = demo_environ(8765, {"PATH": "/usr/bin", "THUOCDO_BASE_URL": ""})
    assert env["THUOCDO_BASE_URL"] == "http://127.0.0.1:8765" and env["PATH"] == "/usr/bin"
    chosen = {"THUOCDO_BASE_URL": "https://thuocdo.example.gov.vn"}
    assert demo_environ(8765, chosen)["THUOCDO_BASE_URL"] == chosen["THUOCDO_BASE_URL"]


def test_the_demo_writes_its_emails_to_files_in_the_data_dir(tmp_path):
    """The demo's jobs send a thousand notification e-mails: to files in the data dir's
    `mail` folder, not the terminal (where they would bury the logins), unless the
    environment chooses a backend; the demo says where in one line."""
    from thuocdo.core.management.commands.demo import (
        DEMO_EMAIL_BACKEND,
        demo_environ,
        email_destination,
    )

    env = demo_environ(8765, {"PATH": "/usr/bin", "THUOCDO_EMAIL_BACKEND": " "})
    assert env["THUOCDO_EMAIL_BACKEND"] == DEMO_EMAIL_BACKEND
    assert email_destination(env) == str(settings.EMAIL_FILE_PATH)
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    chosen = demo_environ(8765, {"THUOCDO_EMAIL_BACKEND": smtp})
    assert chosen["THUOCDO_EMAIL_BACKEND"] == smtp and smtp in email_destination(chosen)
    # what the worker does with that environment: one file in <data dir>/mail
    script = ("import django; django.setup()\n"
              "from django.conf import settings; from django.core.mail import send_mail\n"
              "send_mail('Thử', 'Nội dung', None, ['a@hanoi.gov.example'])\n"
              "print(settings.EMAIL_FILE_PATH)\n")
    run_env = {k: v for k, v in os.environ.items()
               if k not in ("DJANGO_SETTINGS_MODULE", "THUOCDO_EMAIL_BACKEND")}
    run_env.update(demo_environ(8765, {}), DJANGO_SETTINGS_MODULE="thuocdo.config.settings.dev",
                   THUOCDO_DATA_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", script], env=run_env,  # noqa: S603 - ours
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "mail")
    assert "Subject" not in done.stdout
    [written] = (tmp_path / "mail").iterdir()
    assert "a@hanoi.gov.example" in written.read_text(encoding="utf-8")


def test_serve_demo_starts_its_jobs_with_that_base_url(monkeypatch):
    from thuocdo.core.management.commands import demo

    started = []

    class FakeProcess:
        def __init__(self, argv, **kwargs):
            started.append(kwargs.get("env") or {})

        def poll(self):
            return 0

        def wait(self, timeout=None):
            return 0

    monkeypatch.delenv("THUOCDO_BASE_URL", raising=False)
    monkeypatch.setattr(demo.subprocess, "Popen", FakeProcess)
    monkeypatch.setattr(demo, "enqueue_now", lambda names: None)
    monkeypatch.setattr(demo, "call_command", lambda *args, **kwargs: None)
    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.delenv("THUOCDO_EMAIL_BACKEND", raising=False)
    lines: list[str] = []
    demo.serve_demo(port, out=lines.append)
    assert [env.get("THUOCDO_BASE_URL") for env in started] == [f"http://127.0.0.1:{port}"] * 2
    assert [env.get("THUOCDO_EMAIL_BACKEND") for env in started] == [
        demo.DEMO_EMAIL_BACKEND] * 2
    assert f"Thư điện tử / E-mails: {settings.EMAIL_FILE_PATH}" in lines


def test_the_demo_runs_with_debug_off_and_still_serves_its_static_files(tmp_path):
    """`thuocdo demo` defaults THUOCDO_DEBUG to off (an explicit value wins; other commands
    keep their default), so a missing page is the site's own Vietnamese 404 page, not
    Django's English debug page, and WhiteNoise still serves the static files."""
    from thuocdo import cli

    env: dict[str, str] = {}
    cli.set_defaults("demo", env)
    assert env == {"DJANGO_SETTINGS_MODULE": cli.DEV_SETTINGS, "THUOCDO_DEBUG": "0"}
    chosen = {"THUOCDO_DEBUG": "1"}
    cli.set_defaults("demo", chosen)
    assert chosen["THUOCDO_DEBUG"] == "1"
    other: dict[str, str] = {}
    cli.set_defaults("migrate", other)
    assert "THUOCDO_DEBUG" not in other
    script = (
        "import django; django.setup()\n"
        "from django.conf import settings; from django.test import Client\n"
        "client = Client(HTTP_HOST='127.0.0.1')\n"
        "missing = client.get('/no/such/page/')\n"
        "icon = client.get('/static/thuocdo/favicon.svg')\n"
        "print(settings.DEBUG, missing.status_code, 'Không tìm thấy trang' in "
        "missing.content.decode(), icon.status_code)\n"
    )
    run_env = {k: v for k, v in os.environ.items()
               if k not in ("DJANGO_SETTINGS_MODULE", "THUOCDO_DEBUG")}
    run_env.update(env, THUOCDO_DATA_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", script], env=run_env,  # noqa: S603 - ours
                          capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "404", "True", "200"]

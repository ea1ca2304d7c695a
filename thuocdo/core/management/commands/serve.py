"""`thuocdo serve`: run Thước đo for real use.

Starts, as child processes, gunicorn serving `thuocdo.config.wsgi` (static files through
whitenoise), one jobs worker (`thuocdo db_worker`) and the scheduler (`thuocdo scheduler`),
forwards SIGINT/SIGTERM to them, and stops them all if one dies (so a supervisor such as
systemd restarts the whole). Put it behind a reverse proxy that terminates TLS, and set
THUOCDO_BASE_URL to the address users reach it at; without it the links in e-mails point to
the address `--bind` names (`base_url_environ`), or, when that is every interface
(0.0.0.0), to the settings' default, with a warning.

It uses the production settings unless DJANGO_SETTINGS_MODULE says otherwise, so
THUOCDO_SECRET_KEY must be set; `secret_key_problem()` builds the one-line message shown
when it is not (with the command that serves under the data dir's key, when there is one).
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from thuocdo.core.commands import ThuocdoCommand, bad_argument, count_argument

PRODUCTION_SETTINGS = "thuocdo.config.settings.production"
STOP_TIMEOUT = 30  # seconds the children get to finish before they are killed


def kept_secret_key(environ: Mapping[str, str]) -> tuple[Path, str]:
    """The data dir's `secret_key` file for `environ` and the key it holds ("" when there is
    none, or it cannot be read): the key `thuocdo demo` and the other commands (development
    settings) generated when THUOCDO_SECRET_KEY was not set, and issued the public portal's
    access keys under. Read before any settings load."""
    from thuocdo.config.settings.base import SECRET_KEY_FILE, data_dir_from

    path = data_dir_from(environ) / SECRET_KEY_FILE
    try:
        return path, path.read_text(encoding="utf-8").strip()
    except OSError:  # no file (or not readable): nothing to offer or compare
        return path, ""


def secret_key_problem(environ: Mapping[str, str], args: Sequence[str] = ()) -> str | None:
    """The message to show if serving with `environ` cannot work for lack of a secret key.

    None when a key is set or the settings are not the production ones (which need it).
    Production takes its key from the environment only, never from a file a command wrote;
    when the data dir holds one (`kept_secret_key`), the message says that access keys were
    issued under it and gives the exact command (with `args`, serve's arguments) to serve
    with it.
    """
    settings_module = environ.get("DJANGO_SETTINGS_MODULE") or PRODUCTION_SETTINGS
    if settings_module != PRODUCTION_SETTINGS or environ.get("THUOCDO_SECRET_KEY", "").strip():
        return None
    path, kept = kept_secret_key(environ)
    if kept:
        command = shlex.join(["thuocdo", "serve", *args])
        return (
            f"thuocdo serve: THUOCDO_SECRET_KEY is not set. {path} holds the secret key "
            f"`thuocdo demo` or another command generated, under which they issued the "
            f"access keys of feedback and dossiers; to serve with it (those access keys "
            f"keep working): THUOCDO_SECRET_KEY=\"$(cat {shlex.quote(str(path))})\" "
            f"{command} "
            f"(Chưa đặt biến môi trường THUOCDO_SECRET_KEY. {path} chứa khóa bí mật mà "
            f"`thuocdo demo` hoặc lệnh khác đã tạo và dùng để cấp mã truy cập; để chạy với "
            f"khóa đó, dùng lệnh trên.)"
        )
    return (
        "thuocdo serve: THUOCDO_SECRET_KEY is not set. Set it to a long random value kept "
        "secret, e.g. export THUOCDO_SECRET_KEY=\"$(python3 -c 'import secrets; "
        "print(secrets.token_urlsafe(50))')\" "
        "(Chưa đặt biến môi trường THUOCDO_SECRET_KEY: hãy đặt một chuỗi ngẫu nhiên dài, "
        "giữ bí mật.)"
    )


def default_workers() -> int:
    """gunicorn's usual advice, 2 × CPUs + 1, capped: most time is spent in the database."""
    return min(2 * (os.cpu_count() or 1) + 1, 9)


def ensure_static_root() -> None:
    """Create STATIC_ROOT: whitenoise warns at every start when it is missing, although
    with WHITENOISE_USE_FINDERS the files are served from the installed packages."""
    from pathlib import Path

    from django.conf import settings

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


def thuocdo_command(*args: str) -> list[str]:
    """argv that runs `thuocdo ARGS` with this interpreter (no PATH lookup)."""
    return [sys.executable, "-m", "thuocdo.cli", *args]


def _gunicorn_major() -> int:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return int(version("gunicorn").split(".")[0])
    except (PackageNotFoundError, ValueError):
        return 0


#: seconds a request may take before gunicorn restarts its worker (gunicorn's own default,
#: 30, is shorter than a city's xlsx exports); THUOCDO_REQUEST_TIMEOUT or --timeout change it
REQUEST_TIMEOUT = 120


def request_timeout(environ: Mapping[str, str]) -> int:
    """`--timeout`'s default: THUOCDO_REQUEST_TIMEOUT when set, else `REQUEST_TIMEOUT`."""
    value = environ.get("THUOCDO_REQUEST_TIMEOUT", "").strip()
    if not value:
        return REQUEST_TIMEOUT
    try:
        return int(value)
    except ValueError:
        raise bad_argument("THUOCDO_REQUEST_TIMEOUT", _("expected a whole number")) from None


#: the address `--bind` listens on when it is not one users can open (every interface)
ANY_HOST = frozenset({"", "0.0.0.0", "::", "[::]", "*"})  # noqa: S104 - names, not a bind
#: THUOCDO_BASE_URL's default in the settings (thuocdo.config.settings.base)
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def base_url_from_bind(bind: str) -> str | None:
    """The address of the site served on gunicorn's `bind` (`host:port`, `[v6]:port`,
    `host`: port 8000), for the links in e-mails; None when it is no address to open
    (every interface, `0.0.0.0:8000`; a Unix socket; a file descriptor)."""
    bind = bind.strip()
    if bind.startswith(("unix:", "fd://")) or "/" in bind:
        return None
    if bind.startswith("["):
        host, _bracket, rest = bind[1:].partition("]")
        host, port = f"[{host}]", rest.removeprefix(":") or "8000"
    elif bind.count(":") == 1:
        host, port = bind.split(":")
    elif ":" not in bind:
        host, port = bind, "8000"
    else:  # a bare IPv6 address: gunicorn needs it in brackets
        return None
    if host in ANY_HOST or not port.isdigit():
        return None
    return f"http://{host}:{int(port)}"


def base_url_environ(bind: str, environ: Mapping[str, str]) -> tuple[dict[str, str], str]:
    """The children's environment and the line `serve` prints about the links in e-mails.

    THUOCDO_BASE_URL set: kept. Not set: the address of `--bind` (`base_url_from_bind`),
    so the links open the site being served; when `--bind` is no address users can open
    (0.0.0.0), the settings' default is kept and the line is a warning to set it."""
    env = dict(environ)
    given = env.get("THUOCDO_BASE_URL", "").strip()
    if given:
        return env, f"links in e-mails: {given} (THUOCDO_BASE_URL)"
    derived = base_url_from_bind(bind)
    if derived:
        env["THUOCDO_BASE_URL"] = derived
        return env, f"links in e-mails: {derived} (from --bind; set THUOCDO_BASE_URL to change)"
    return env, (
        f"warning: THUOCDO_BASE_URL is not set and --bind {bind} is no address users can "
        f"open: the links in e-mails will point to {DEFAULT_BASE_URL}. Set THUOCDO_BASE_URL "
        f"to the address users reach the site at (chưa đặt THUOCDO_BASE_URL: đường dẫn trong "
        f"thư điện tử sẽ trỏ tới {DEFAULT_BASE_URL}; hãy đặt địa chỉ mà người dùng truy cập)."
    )


def child_commands(*, bind: str, workers: int, jobs: bool, scheduler: bool,
                   threads: int = 1, timeout: int = REQUEST_TIMEOUT) -> dict[str, list[str]]:
    """The processes `thuocdo serve` runs, by name."""
    commands = {
        "web": [
            sys.executable, "-m", "gunicorn", "thuocdo.config.wsgi:application",
            "--bind", bind, "--workers", str(workers), "--threads", str(threads),
            "--access-logfile", "-", "--error-logfile", "-",
            "--timeout", str(timeout), "--graceful-timeout", str(STOP_TIMEOUT - 5),
        ],
    }
    if _gunicorn_major() >= 27:
        # gunicorn 27 opens a control socket at one fixed path in the home directory: two
        # instances on one machine would fight over it, and we do not use it.
        commands["web"].append("--no-control-socket")
    if jobs:
        commands["worker"] = thuocdo_command("db_worker", "--no-reload", "--queue-name", "*")
    if scheduler:
        commands["scheduler"] = thuocdo_command("scheduler")
    return commands


class Command(ThuocdoCommand):
    help = ("Serve Thước đo for real use: gunicorn + a jobs worker + the scheduler "
            "(production settings; needs THUOCDO_SECRET_KEY).")
    requires_system_checks: list = []  # gunicorn's workers load the project and check it

    def add_arguments(self, parser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000",
                            help="Address gunicorn listens on (default: %(default)s).")
        parser.add_argument("--workers", type=int, default=default_workers(),
                            help="gunicorn worker processes (default: %(default)s).")
        parser.add_argument("--threads", type=int, default=1,
                            help="Threads per gunicorn worker (default: %(default)s).")
        parser.add_argument("--timeout", type=int, default=None,
                            help="Seconds a request may take before its worker is restarted "
                                 "(default: THUOCDO_REQUEST_TIMEOUT, else "
                                 f"{REQUEST_TIMEOUT}).")
        parser.add_argument("--no-jobs", action="store_true",
                            help="Do not start a jobs worker (run `thuocdo db_worker` elsewhere).")
        parser.add_argument("--no-scheduler", action="store_true",
                            help="Do not start the scheduler (exactly one per database: use "
                                 "this on every machine but one).")

    def handle(self, *args, **options) -> None:
        count_argument(options["workers"], argument="--workers", minimum=1)
        count_argument(options["threads"], argument="--threads", minimum=1)
        timeout, source = options["timeout"], "--timeout"
        if timeout is None:
            timeout = request_timeout(os.environ)
            if os.environ.get("THUOCDO_REQUEST_TIMEOUT", "").strip():
                source = "THUOCDO_REQUEST_TIMEOUT"
        count_argument(timeout, argument=source, minimum=1)
        problem = secret_key_problem(os.environ)
        if problem:
            raise CommandError(problem)
        self._warn_unapplied_migrations()
        ensure_static_root()
        commands = child_commands(
            bind=options["bind"], workers=options["workers"], threads=options["threads"],
            timeout=timeout,
            jobs=not options["no_jobs"], scheduler=not options["no_scheduler"],
        )
        env, links = base_url_environ(options["bind"], os.environ)
        (self.stderr if links.startswith("warning") else self.stdout).write(links)
        code = run_children(commands, out=self.stdout.write, env=env)
        if code:
            raise CommandError(f"stopped: a child process exited with code {code}",
                               returncode=code)

    def _warn_unapplied_migrations(self) -> None:
        from django.db import DEFAULT_DB_ALIAS, connections
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            self.stderr.write(
                "warning: the database has unapplied migrations: run `thuocdo migrate` "
                "(cơ sở dữ liệu chưa được cập nhật: hãy chạy `thuocdo migrate`)."
            )


def run_children(commands: dict[str, list[str]], *, out=print,
                 env: Mapping[str, str] | None = None) -> int:
    """Start every command (with the environment `env`, default ours), forward
    SIGINT/SIGTERM to them, stop all when one ends.

    Returns 0 after a requested stop, else the exit code of the child that ended first.
    Children get their own process group so a Ctrl+C in the terminal reaches them once,
    through us, and not twice.
    """
    stopping: list[int] = []

    def on_signal(signum, frame) -> None:
        stopping.append(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    children: dict[str, subprocess.Popen] = {}
    first_code = 0
    try:
        for name, argv in commands.items():
            children[name] = subprocess.Popen(  # noqa: S603 - our own argv
                argv, process_group=0, env=None if env is None else dict(env))
            out(f"started {name} (pid {children[name].pid})")
        while not stopping:
            ended = [(name, p.returncode) for name, p in children.items() if p.poll() is not None]
            if ended:
                name, first_code = ended[0]
                out(f"{name} exited with code {first_code}: stopping the others")
                first_code = first_code or 1
                break
            time.sleep(0.5)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        stop_children(children, out=out)
    return 0 if stopping else first_code


def stop_children(children: dict[str, subprocess.Popen], *, out=print,
                  timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM every live child, wait up to `timeout` seconds, then SIGKILL the rest."""
    for process in children.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + timeout
    for name, process in children.items():
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            out(f"{name} did not stop in {timeout:.0f}s: killing it")
            process.kill()
            process.wait()

"""`thuocdo demo`: a working Thước đo on this machine, with nothing else to install.

Migrates the database (by default an SQLite file in the data dir), imports a generated city
with three months of task history ending today (`--months`) through the exchange importer,
creates or resets one account per role, prints their logins, then serves
http://127.0.0.1:PORT with a jobs worker beside it; the links in its e-mails point there
(unless THUOCDO_BASE_URL is set), and the e-mails are written to files in the data dir's
`mail` folder (unless THUOCDO_EMAIL_BACKEND is set), one line saying where. Its past
notifies nobody by e-mail (`settle_demo_notifications`): only what is done after the demo
was built, and the deadlines of later days, are e-mailed, by its server or a later
`thuocdo serve`. `--no-serve`
stops after printing the accounts (for CI and tests). `thuocdo demo` runs with debug off,
so pages show the site's own error pages (thuocdo.cli).

The history runs from the first day of the month two months back to the start of today, so
"open", "overdue" and "due soon" are true today. Running the demo again the same day changes
nothing; on a later day the same tasks' histories continue and the new days' tasks are
added (the importer appends them).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from thuocdo.core.commands import ThuocdoCommand, bad_argument, count_argument
from thuocdo.exchange.generate import CITY_CODE, EMAIL_DOMAIN, Shape, generate_city
from thuocdo.exchange.generate_history import EARLIEST_START, month_add

DEMO_SEED = 2023
DEMO_MONTHS = 3
DEMO_PASSWORD = "thuocdo-demo-2026"  # noqa: S105 - printed for everyone: it is a demo


@dataclass(frozen=True)
class DemoAccount:
    """One demo login: a role, the user's e-mail, the official they are (if any)."""

    role: str
    label: str  # Vietnamese / English
    email: str
    official_code: str = ""
    official_name: str = ""
    grant: str = ""  # ScopeGrant role, over `unit`
    unit: str = ""
    superuser: bool = False
    sees: str = ""


def demo_accounts(document: dict) -> list[DemoAccount]:
    """The accounts of the demo, chosen from the generated `document`.

    Head, deputy and inspector share the first district; the staff member works in one of
    that district's divisions; the organisation board covers the whole city.
    """
    units = {u["code"]: u for u in document["units"]}
    district = next(u for u in document["units"] if u["kind"] == "district")
    division = next(u for u in document["units"]
                    if u["parent"] == district["code"] and u["kind"] == "division")

    def first(unit: str, position: str) -> dict:
        for official in document["officials"]:
            if official["unit"] == unit and official["position"] == position:
                return official
        raise CommandError(f"the demo city has no {position} in {unit}: use more officials")

    head, deputy = first(district["code"], "head"), first(district["code"], "deputy")
    staff = first(division["code"], "staff")
    city = units[CITY_CODE]
    # The board and the inspector are officials too (of the Department of Home Affairs'
    # organisation division, of the City Inspectorate): linked, they get the notifications
    # that reach officials (appeals to decide, cards to approve, explanations answered).
    board = _member_of(document, f"{CITY_CODE}.SNV", prefer="Phòng Tổ chức")
    inspector = _member_of(document, f"{CITY_CODE}.TTTP", prefer="Phòng Thanh tra")
    return [
        DemoAccount("admin", "Quản trị hệ thống / Administrator", f"admin@{EMAIL_DOMAIN}",
                    superuser=True, sees="mọi thứ, trang quản trị / everything, /admin/"),
        DemoAccount("board", "Ban Tổ chức / Organisation board", f"tochuc@{EMAIL_DOMAIN}",
                    board.get("code", ""), board.get("name", ""),
                    grant="board", unit=city["code"],
                    sees=f"{city['name']} (toàn bộ / all of it)"),
        DemoAccount("inspector",
                    "Thanh tra / Inspector (xem, ghi nhận S14, S15 / reads, records S14, S15)",
                    f"thanhtra@{EMAIL_DOMAIN}", inspector.get("code", ""),
                    inspector.get("name", ""), grant="inspector", unit=district["code"],
                    sees=district["name"]),
        DemoAccount("head", "Người đứng đầu / Head", head["email"], head["code"], head["name"],
                    sees=f"{district['name']} (đơn vị mình lãnh đạo / the unit they lead)"),
        DemoAccount("deputy", "Cấp phó / Deputy head", deputy["email"], deputy["code"],
                    deputy["name"], sees=district["name"]),
        DemoAccount("staff", "Chuyên viên / Staff", staff["email"], staff["code"],
                    staff["name"],
                    sees=f"việc của mình, {division['name']} / own work, own unit's lists"),
    ]


def _member_of(document: dict, agency: str, *, prefer: str = "") -> dict:
    """A staff member (else anyone) of a division of `agency`, preferring a division whose
    name starts with `prefer`; {} when the generated city has no such agency (a small one)."""
    names = {u["code"]: u["name"] for u in document["units"]}
    members = [o for o in document["officials"] if o["unit"].startswith(agency + ".")]
    members.sort(key=lambda o: (not names[o["unit"]].startswith(prefer) if prefer else False,
                                o["position"] != "staff"))
    return members[0] if members else {}


@transaction.atomic
def ensure_accounts(accounts: list[DemoAccount], password: str) -> list[tuple[DemoAccount, str]]:
    """Create each account, or reset its password if it exists. Returns (account, action)."""
    from thuocdo.accounts import services as account_services
    from thuocdo.accounts.models import User
    from thuocdo.org.models import Official, Unit

    done = []
    for account in accounts:
        official = (Official.objects.filter(code=account.official_code).first()
                    if account.official_code else None)
        if account.official_code and official is None:
            raise CommandError(f"official {account.official_code} is missing after the import")
        user = (User.objects.filter(official=official).first() if official else None) or \
            User.objects.filter(email__iexact=account.email).first()
        if user is None:
            user = account_services.user_create(
                email=account.email, password=password, official=official,
                full_name="" if official else account.label.split(" / ")[0],
                is_superuser=account.superuser,
            )
            action = "created"
        else:
            account_services.user_set_password(user=user, password=password)
            action = "password reset"
        if account.grant:
            account_services.scope_grant(user=user, role=account.grant,
                                         unit=Unit.objects.get(code=account.unit),
                                         reason="thuocdo demo")
        _unlock(user.email, official.code if official else "")
        # An account made by an older demo may carry an older address: show the real one.
        done.append((dataclasses.replace(account, email=user.email), action))
    return done


def _unlock(*usernames: str) -> None:
    """Lift a login lockout left by an earlier demo session (django-axes)."""
    from axes.utils import reset

    for username in filter(None, usernames):
        reset(username=username)


def accounts_table(rows: list[tuple[DemoAccount, str]], password: str) -> str:
    """The demo logins as a plain-text table (Vietnamese / English)."""
    header = ("Vai trò / Role", "Đăng nhập / Login (e-mail)", "Mã CB / Code", "Họ tên / Name")
    lines = [(a.label, a.email, a.official_code or "-", a.official_name or "-")
             for a, _action in rows]
    widths = [max(len(str(row[i])) for row in [header, *lines]) for i in range(4)]

    def fmt(row) -> str:
        return "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))

    out = [
        "Tài khoản demo / Demo accounts",
        f"Mật khẩu chung / Password for all: {password}",
        "Đăng nhập bằng e-mail hoặc mã cán bộ / Log in with the e-mail or the official code.",
        "",
        fmt(header),
        "  ".join("-" * width for width in widths),
        *(fmt(line) for line in lines),
        "",
        "Phạm vi / What each sees:",
        *(f"  {a.label.split(' / ')[1].split(' (')[0]}: {a.sees}" for a, _ in rows),
    ]
    return "\n".join(line.rstrip() for line in out)


def import_city(document: dict):
    """Import `document` through the exchange importer (a no-op if it is already there)."""
    from thuocdo.exchange.importer import ImportRejected, import_document

    try:
        return import_document(document, actor=None, source="thuocdo demo")
    except ImportRejected as exc:
        shown = exc.lines()[:5]
        more = len(exc.problems) - len(shown)
        raise CommandError("\n".join([
            "The database already holds data that conflicts with the demo city (an earlier "
            "demo with another --officials, or an organisation imported there); nothing was "
            "changed. Run the demo on a database of its own, e.g. "
            "THUOCDO_DATA_DIR=/tmp/thuocdo-demo thuocdo demo",
            "(Cơ sở dữ liệu đã có dữ liệu khác, không khớp với thành phố demo; không có gì bị "
            "thay đổi. Hãy chạy demo trên một thư mục dữ liệu riêng.)",
            *shown,
            *([f"... and {more} more / và {more} vấn đề khác"] if more > 0 else []),
        ])) from exc


def demo_history_window(months: int, now: dt.datetime | None = None,
                        ) -> tuple[tuple[int, int], dt.datetime]:
    """The first month and the cut of a history of `months` months ending today: from the
    first day of the month `months - 1` before this one to the start of today (local time),
    so the same day always gives the same document."""
    today = timezone.localtime(now).date()
    start = max(month_add((today.year, today.month), -(max(months, 1) - 1)), EARLIEST_START)
    until = timezone.make_aware(dt.datetime.combine(today, dt.time(0)))
    return start, until


def demo_document(officials: int, months: int = DEMO_MONTHS) -> dict:
    """The demo city, with `months` months of history ending today, in which some lower
    units have not answered the plan above them (`leave_plans_unanswered`)."""
    start, until = demo_history_window(months)
    document = generate_city(officials=officials, seed=DEMO_SEED, months=months,
                             start=start, until=until)
    leave_plans_unanswered(document)
    return document


#: a unit with at least this many units below it (each with none below) that answer its
#: plan leaves one of them without an answer
SILENT_FROM = 3


def leave_plans_unanswered(document: dict) -> list[str]:
    """Leave some lower units without an answer to the plan above them, so that a head
    opening the directive cascade sees "units that have not answered" (issue 4; the
    generated city has every unit answer): in each unit with `SILENT_FROM` or more units
    below it that answer its plan and have none below them, one of those, chosen by the
    unit's code (the same on every run, so running the demo again changes nothing), issues
    no plan, and its tasks carry out neither its plan nor the one above. Changes `document`
    in place; returns the codes of the silent units, in the units' order."""
    parent = {unit["code"]: unit.get("parent") for unit in document["units"]}
    with_children = {code for code in parent.values() if code}
    plans = {d["issued_by"]: d for d in document["directives"] if d.get("answers")}
    below: dict[str, list[str]] = {}
    for code in parent:
        above = parent[code]
        if code in plans and code not in with_children and above in plans:
            below.setdefault(above, []).append(code)
    silent = [units[zlib.crc32(above.encode()) % len(units)]
              for above, units in below.items() if len(units) >= SILENT_FROM]
    dropped: dict[str, set[str]] = {
        code: {plans[code]["code"], plans[parent[code]]["code"]} for code in silent}
    document["directives"] = [d for d in document["directives"]
                              if not (d.get("answers") and d["issued_by"] in dropped)]
    for task in document.get("tasks", []):
        if task.get("directive") in dropped.get(task.get("lead_unit"), ()):
            del task["directive"]
    return silent


def describe_report(report) -> str:
    """What the import did, in one line."""
    if not report.changed:
        return "đã có, không thay đổi gì / already there, nothing changed"
    return "; ".join(report.lines())


class Command(ThuocdoCommand):
    help = ("Build the demo city in the local database, print the demo accounts and serve "
            "http://127.0.0.1:PORT with a jobs worker (Ctrl+C to stop).")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=8000,
                            help="Port to serve on (default: %(default)s).")
        parser.add_argument("--officials", type=int,
                            default=settings.THUOCDO.get("DEMO_OFFICIALS", 300),
                            help="How many officials the demo city has (default: %(default)s).")
        parser.add_argument("--months", type=int, default=DEMO_MONTHS,
                            help="Months of task history, ending today (default: "
                                 "%(default)s; 0: none).")
        parser.add_argument("--no-serve", action="store_true",
                            help="Stop after printing the accounts (for CI and tests).")

    def handle(self, *args, **options) -> None:
        # Every argument is checked before the database is touched.
        count_argument(options["port"], argument="--port", minimum=1, maximum=65535)
        count_argument(options["officials"], argument="--officials",
                       minimum=Shape.smallest().units)
        count_argument(options["months"], argument="--months")
        verbosity = options["verbosity"]
        database = settings.DATABASES["default"]
        self.stdout.write(f"Cơ sở dữ liệu / Database: {database['ENGINE'].rsplit('.', 1)[-1]} "
                          f"{database['NAME']}")
        call_command("migrate", interactive=False, verbosity=max(0, verbosity - 1))
        from thuocdo.notifications.services import last_notification_id

        notified_before = last_notification_id()
        document = demo_document(options["officials"], options["months"])
        report = import_city(document)
        self.stdout.write(f"Thành phố demo / Demo city: {describe_report(report)}")
        from thuocdo.citizens.demo import demo_citizens

        self.stdout.write(f"Công dân / Citizens: {demo_citizens()}")
        self.stdout.write(f"Dấu hiệu / Signals: {refresh_demo_signals(options['months'])}")
        if options["months"]:
            from thuocdo.evaluations.demo import demo_scores

            accounts = {a.role: a for a in demo_accounts(document)}
            scores = demo_scores(complained_about=accounts["staff"].official_code,
                                 district=accounts["inspector"].unit,
                                 spare=(accounts["head"].official_code,
                                        accounts["deputy"].official_code),
                                 self_scoring=accounts["staff"].official_code)
            self.stdout.write(f"Điểm / Scores: {scores}")
        self.stdout.write(f"Hộp thư / Inboxes: {settle_demo_notifications(notified_before)}")
        rows = ensure_accounts(demo_accounts(document), DEMO_PASSWORD)
        self.stdout.write("")
        self.stdout.write(accounts_table(rows, DEMO_PASSWORD))
        self.stdout.write("")
        if options["no_serve"]:
            return
        serve_demo(options["port"], out=self.stdout.write)


def settle_demo_notifications(after: int, now: dt.datetime | None = None) -> str:
    """The demo's past in the inboxes, not in e-mails: the importer passed its history's
    events (the event job will not notify them, only what happens after), the due-soon and
    overdue notices of today are written now, and they and the notifications the demo's
    signals and scores wrote (those with ids after `after`) are marked e-mailed without
    being sent. A later `thuocdo serve` (console e-mail) or the demo's own server then sends
    only the news of what is done from now on, and of the deadlines of later days."""
    from thuocdo.notifications.services import (
        notifications_due_and_overdue,
        notifications_not_to_email,
    )

    now = now or timezone.now()
    notifications_due_and_overdue(today=timezone.localdate(now), now=now)
    told = notifications_not_to_email(after=after, now=now)
    return (f"{told} thông báo của lịch sử demo, không gửi thư / notifications of the demo's "
            f"past, not e-mailed")


def refresh_demo_signals(months: int, now: dt.datetime | None = None) -> str:
    """Compute and store the signals (and delays) of each month of the demo's history, as
    the nightly job would have, so the accountability dashboard is filled."""
    from thuocdo.accountability.services import signals_refresh

    now = now or timezone.now()
    today = timezone.localdate(now)
    parts = []
    for back in range(max(months, 1) - 1, -1, -1):
        year, month = divmod(today.year * 12 + today.month - 1 - back, 12)
        result = signals_refresh(period=f"{year}-{month + 1:02d}", as_of=now)
        parts.append(f"{result.period}: {result.created + result.updated + result.unchanged}")
    return ", ".join(parts)


#: scheduled jobs the demo runs once when it starts (only those registered)
STARTUP_JOBS = ("notifications.notify_events", "notifications.notify_deadlines")


def enqueue_now(names) -> None:
    """Put one run of each registered job of `names` on the queue."""
    from thuocdo.core.jobs import load_schedule

    jobs = load_schedule()
    for name in names:
        if name in jobs:
            jobs[name].task.enqueue()


DEMO_HOST = "127.0.0.1"


#: the demo's e-mail backend: files in the data dir (settings.EMAIL_FILE_PATH), not the
#: terminal, where the notification e-mails would bury the logins
DEMO_EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


def demo_environ(port: int, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of the demo's worker and scheduler: `environ` (default: ours) with
    THUOCDO_BASE_URL set to the address the demo serves, so the links in the e-mails the
    jobs send open the demo, and THUOCDO_EMAIL_BACKEND set to write the e-mails to files
    in the data dir (`DEMO_EMAIL_BACKEND`), each unless `environ` sets it itself."""
    env = dict(os.environ if environ is None else environ)
    if not env.get("THUOCDO_BASE_URL", "").strip():
        env["THUOCDO_BASE_URL"] = f"http://{DEMO_HOST}:{port}"
    if not env.get("THUOCDO_EMAIL_BACKEND", "").strip():
        env["THUOCDO_EMAIL_BACKEND"] = DEMO_EMAIL_BACKEND
    return env


def email_destination(environ: Mapping[str, str]) -> str:
    """Where the e-mails of the demo's jobs go with `environ` (`demo_environ`'s): the
    folder of the file-based backend, else the backend chosen."""
    backend = environ.get("THUOCDO_EMAIL_BACKEND", "").strip()
    if backend == DEMO_EMAIL_BACKEND:
        return str(settings.EMAIL_FILE_PATH)
    return f"{backend} (THUOCDO_EMAIL_BACKEND)"


def serve_demo(port: int, *, out=print) -> None:
    """Run Django's server (no autoreloader) with a jobs worker and the scheduler until
    Ctrl+C or SIGTERM."""
    from thuocdo.core.management.commands.serve import (
        ensure_static_root,
        stop_children,
        thuocdo_command,
    )

    # runserver ends the whole process (os._exit) when the port is taken, which would leave
    # the worker behind: find out first.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((DEMO_HOST, port))
        except OSError as exc:
            raise bad_argument("--port", _("port %(port)s is not free (%(reason)s): choose "
                                           "another") % {"port": port,
                                                         "reason": exc.strerror}) from exc
    ensure_static_root()
    env = demo_environ(port)  # the jobs send the e-mails, with links to this server
    worker = subprocess.Popen(  # noqa: S603 - our own argv
        thuocdo_command("db_worker", "--no-reload", "--queue-name", "*", "--verbosity", "0"),
        process_group=0,  # Ctrl+C reaches us; we stop the worker ourselves
        env=env,
    )
    # The scheduler enqueues the scheduled jobs (notifications, housekeeping) on time; the
    # notification jobs also run once now, so the inboxes show something from the start.
    scheduler = subprocess.Popen(  # noqa: S603 - our own argv
        thuocdo_command("scheduler", "--verbosity", "0"), process_group=0,
        stdout=subprocess.DEVNULL, env=env,
    )

    def on_term(signum, frame) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, on_term) for sig in (signal.SIGINT, signal.SIGTERM)}
    out(f"Thư điện tử / E-mails: {email_destination(env)}")
    out(f"Mở / Open http://{DEMO_HOST}:{port}/  (Ctrl+C để dừng / to stop)")
    try:
        enqueue_now(STARTUP_JOBS)
        call_command("runserver", f"{DEMO_HOST}:{port}", use_reloader=False)
    except KeyboardInterrupt:
        pass
    except SystemExit as exc:  # runserver exits on Ctrl+C and on "address in use"
        if exc.code not in (0, None):
            raise CommandError(_("the server could not start on port %(port)s")
                               % {"port": port}) from exc
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        stop_children({"worker": worker, "scheduler": scheduler}, out=out, timeout=10)
    sys.stdout.flush()

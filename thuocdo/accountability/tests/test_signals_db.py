"""Signals from the database: the golden scenarios imported and computed through the adapter
give the engine's hand-computed answers; `thuocdo signals`; storage never duplicates nor
reopens; S9 escalates; the answer's steps and who may take them."""

from __future__ import annotations

import datetime as dt
import json
import re
from html import unescape
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from thuocdo.accountability import services
from thuocdo.accountability.compute import compute_month
from thuocdo.accountability.models import HolderDelay, SignalRecord, SignalStep
from thuocdo.core.errors import PermissionDeniedError, ServiceError
from thuocdo.core.inserts import insert_rows
from thuocdo.core.models import AuditEntry
from thuocdo.exchange.importer import import_document
from thuocdo.measure.scenario import exchange_part
from thuocdo.measure.signals import event_number
from thuocdo.notifications.models import Notification

from .helpers import late_task, let_due_day_pass, refresh_for, unit_signal

GOLDEN = Path(__file__).parents[2] / "measure" / "tests" / "golden" / "signals"
FILES = sorted(GOLDEN.glob("*.json"))


def load_golden(path: Path) -> dict:
    """Import the scenario's exchange document as it is (its memberships say their `since`)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    import_document(exchange_part(document))
    return document


def as_expected(signal) -> tuple:
    events = tuple((e[0], event_number(e[1])) if isinstance(e, tuple) else event_number(e)
                   for e in signal.events)
    return (signal.code, signal.task, signal.official, signal.unit, signal.period,
            signal.raised_on.isoformat(), events)


def from_expected(row: dict) -> tuple:
    events = tuple(tuple(e) if isinstance(e, list) else e for e in row["events"])
    return (row["code"], row["task"], row["official"], row["unit"], row["period"],
            row["raised_on"], events)


@pytest.mark.django_db
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_golden_scenarios_through_the_database(path):
    """Imported, read back by the set-based adapter: the same signals as computed by hand."""
    document = load_golden(path)
    result = compute_month(period=document["period"],
                           as_of=dt.datetime.fromisoformat(document["as_of"]))
    assert sorted(map(as_expected, result.signals), key=repr) == sorted(
        map(from_expected, document["expected"]), key=repr)


@pytest.mark.django_db
def test_the_command_prints_the_signals_as_json_and_stores_them():
    document = load_golden(GOLDEN / "s09_deaf_to_reminders.json")
    out = StringIO()
    call_command("signals", period="2026-10", json=True, as_of=document["as_of"], stdout=out)
    rows = json.loads(out.getvalue())
    assert [(r["code"], r["task"], r["official"], r["unit"]) for r in rows] == [
        (e["code"], e["task"], e["official"], e["unit"]) for e in document["expected"]]
    stored = dict(SignalRecord.objects.values_list("key", "pk"))
    for row, expected in zip(rows, document["expected"], strict=True):
        assert {"code", "task", "official", "unit", "period", "events", "explanation",
                "status", "id", "url"} <= set(row)
        assert row["status"] == "open"
        # numbered as the task page and the signal's page number them (#1: assignment)
        assert row["events"] == expected["events"]
        assert row["id"] == stored[row["key"]]
        assert row["url"].endswith(f"/accountability/signals/{row['id']}/")
    assert SignalRecord.objects.count() == len(rows)
    # the API numbers them the same way
    from django.test import Client

    from thuocdo.accounts import services as accounts

    admin = accounts.user_create(email="api-admin@example.vn", password="x" * 12,
                                 full_name="Quản trị", is_superuser=True)
    api = Client()
    api.force_login(admin)
    for row in rows:
        shown = api.get(f"/api/signals/{row['id']}/").json()
        assert shown["events"] == row["events"]
        assert [shown[k] for k in ("task", "subject_kind", "subject")] == [
            row[k] for k in ("task", "subject_kind", "subject")]
    out = StringIO()
    call_command("signals", period="2026-10", json=True, as_of=document["as_of"],
                 no_store=True, stdout=out)
    again = json.loads(out.getvalue())
    assert [(r["id"], r["status"]) for r in again] == [(r["id"], "open") for r in rows]
    s9 = next(r for r in rows if r["code"] == "S9")
    assert s9["escalate_to"] == "HN.CG"


@pytest.mark.django_db
def test_the_command_filters_by_unit_and_refuses_bad_input():
    document = load_golden(GOLDEN / "s01_late_work.json")
    out = StringIO()
    call_command("signals", period=document["period"], unit="HN.CG.VP", json=True,
                 no_store=True, as_of=document["as_of"], stdout=out)
    rows = json.loads(out.getvalue())
    assert rows and all(r["unit"] == "HN.CG.VP" for r in rows)
    assert SignalRecord.objects.count() == 0  # --no-store
    # never stored: the keys are there, null
    assert all(r["status"] is None and r["id"] is None and r["url"] is None for r in rows)
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("signals", period="2026-13", stdout=StringIO())
    with pytest.raises(CommandError, match=r"--unit: .*NOPE"):
        call_command("signals", period="2026-10", unit="NOPE", stdout=StringIO())
    with pytest.raises(CommandError, match="--workers: "):
        call_command("signals", period="2026-10", workers=-1, stdout=StringIO())
    out = StringIO()
    call_command("signals", period=document["period"], unit="HN.CG.VP", json=True,
                 no_store=True, as_of=document["as_of"], workers=2, stdout=out)
    assert json.loads(out.getvalue()) == rows  # the same, however many workers


@pytest.mark.django_db
def test_recomputing_never_duplicates_nor_reopens():
    document = load_golden(GOLDEN / "s01_late_work.json")
    as_of = dt.datetime.fromisoformat(document["as_of"])
    first = services.signals_refresh(period="2026-10", as_of=as_of)
    assert first.created == len(document["expected"]) == SignalRecord.objects.count()
    again = services.signals_refresh(period="2026-10", as_of=as_of)
    assert (again.created, again.updated, again.gone) == (0, 0, 0)
    assert SignalRecord.objects.count() == first.created
    # A decided signal stays decided, and is not duplicated, through later recomputations.
    from thuocdo.accounts.services import user_create

    admin = user_create(email="a@example.vn", password="x-Thuocdo-2026", is_superuser=True)
    signal = SignalRecord.objects.first()
    services.signal_request_explanation(signal=signal, user=admin, text="Vì sao chậm?")
    let_due_day_pass(signal)
    services.signal_decide(signal=signal, user=admin, decision="accept", text="Có lý do")
    services.signals_refresh(period="2026-10", as_of=as_of + dt.timedelta(days=30))
    signal.refresh_from_db()
    assert signal.status == "accepted"
    assert SignalRecord.objects.filter(key=signal.key).count() == 1


@pytest.mark.django_db
def test_recomputing_renews_an_open_signal_and_marks_what_is_no_longer_raised():
    """An open signal takes the newest explanation and events; a stored signal that is not
    raised any more is kept, marked not present; one raised again is present again."""
    document = load_golden(GOLDEN / "s01_late_work.json")
    as_of = dt.datetime.fromisoformat(document["as_of"])
    services.signals_refresh(period="2026-10", as_of=as_of)
    signal = SignalRecord.objects.first()
    explanation, events = signal.explanation, signal.events
    SignalRecord.objects.filter(pk=signal.pk).update(explanation="cũ", events=[], present=False)
    stale = SignalRecord.objects.get(pk=signal.pk)
    stale.pk, stale.key, stale.present = None, stale.key + "|cũ", True
    stale.save()
    again = services.signals_refresh(period="2026-10", as_of=as_of)
    assert (again.created, again.updated, again.gone) == (0, 1, 1)
    signal.refresh_from_db()
    assert (signal.explanation, signal.events, signal.present) == (explanation, events, True)
    stale.refresh_from_db()
    assert stale.present is False


@pytest.mark.django_db
def test_storing_part_by_part_stores_what_the_whole_month_gives():
    """A generated city's month stored as its parts come gives the same rows as its whole
    result stored at once."""
    from thuocdo.exchange.generate import write_city
    from thuocdo.exchange.generate_history import parse_month

    out = StringIO()
    write_city(out, officials=150, seed=3, months=1, start=parse_month("2026-08"))
    import_document(json.loads(out.getvalue()), on=dt.date(2026, 8, 1))
    as_of = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    by_parts = services.signals_refresh(period="2026-08", as_of=as_of)
    rows = stored_rows("2026-08")
    assert by_parts.created == len(rows[0]) > 0 and by_parts.delays == len(rows[1]) > 0
    SignalRecord.objects.all().delete()
    at_once = services.signals_refresh(
        period="2026-08", as_of=as_of, result=compute_month(period="2026-08", as_of=as_of))
    assert at_once == by_parts
    assert stored_rows("2026-08") == rows


def stored_rows(period: str) -> tuple[list[tuple], list[tuple]]:
    """The stored signals and delays of `period`, comparable across two refreshes."""
    signals = sorted(SignalRecord.objects.filter(period=period).values_list(
        "key", "code", "raised_on", "subject_kind", "subject", "task_id", "official_id",
        "unit_id", "escalate_to_id", "events", "explanation", "needs_confirmation",
        "status", "present"), key=repr)
    delays = sorted(HolderDelay.objects.filter(period=period).values_list(
        "task_id", "unit_id", "official_id", "workdays"), key=repr)
    return signals, delays


@pytest.mark.parametrize("batch", [5000, 2, 1])
@pytest.mark.django_db
def test_new_rows_are_stored_as_given_whatever_their_text(world, monkeypatch, batch):
    """The bulk writer of new signals (COPY's text format on PostgreSQL, written by hand,
    a batch of rows at a time, column by column) keeps what that format escapes: a
    backslash, a tab, a line end, the text of its NULL, in the rows and in the values every
    row shares; NULLs, booleans, dates and JSON alike; whether a batch holds only clean
    rows (written as they are), only rows to escape, or both."""
    from django.utils import timezone

    from thuocdo.core import inserts
    from thuocdo.org.models import Unit

    monkeypatch.setattr(inserts, "COPY_ROWS", batch)
    unit = Unit.objects.order_by("pk").first()
    now = timezone.now().replace(microsecond=123456)
    texts = ["a\\b", "tab\there", "line\nend\r", "\\N", "Trễ hạn 15/08/2026: “rõ”", ""]
    events = [[1, 2], [], [["T\\1", 3]], [5], [["T\t2", 0], ["\\N", 1]], [0]]
    rows = [(f"K{n}|{text}", "S1", "2099-01", dt.date(2099, 1, 15 + n), "task", text, None,
             None, unit.pk, unit.pk if n % 2 else None, found, text, n % 2 == 0)
            for n, (text, found) in enumerate(zip(texts, events, strict=True))]
    insert_rows(SignalRecord, services.NEW_SIGNAL_FIELDS, rows, status="open", present=True,
                first_seen=now, last_seen=now, thresholds="v\t1\\", authority="m\n2\\",
                version=0)
    stored = SignalRecord.objects.filter(period="2099-01").order_by("raised_on")
    assert [(s.key, s.raised_on, s.subject, s.task_id, s.official_id, s.unit_id,
             s.escalate_to_id, s.events, s.explanation, s.needs_confirmation)
            for s in stored] == [row[:1] + row[3:4] + row[5:] for row in rows]
    assert {(s.status, s.present, s.first_seen, s.last_seen, s.thresholds, s.authority,
             s.version) for s in stored} == {("open", True, now, now, "v\t1\\", "m\n2\\", 0)}


@pytest.mark.parametrize("dangling", ["task", "unit", "official", "escalated_to",
                                      "delay_task", "delay_unit", "delay_official"])
@pytest.mark.django_db
def test_a_refresh_naming_a_row_that_does_not_exist_stores_nothing(dangling):
    """The signals' and delays' references have no foreign-key constraint in the database
    (decision 0008): the refresh checks every task, unit and official it writes exists
    (a signal's task, official, unit and the unit an S9 is escalated to; a delay's task,
    unit and official, each named by no signal), and refuses the whole month if one does
    not (a row deleted after it was read)."""
    import dataclasses

    from django.db import IntegrityError

    from thuocdo.accountability.compute import DelayRow

    document = load_golden(GOLDEN / "s09_deaf_to_reminders.json")
    as_of = dt.datetime.fromisoformat(document["as_of"])
    result = compute_month(period="2026-10", as_of=as_of)
    signal = next(s for s in result.signals if s.official and s.task)
    units, officials = result.month.unit_ids, result.month.official_ids
    some_task = next(iter(result.task_ids.values()))
    if dangling == "task":
        result.task_ids[signal.key] = 10**12
    elif dangling == "unit":
        units[signal.unit] = 10**12
    elif dangling == "official":
        officials[signal.official] = 10**12
    elif dangling == "escalated_to":
        index, s9 = next((n, s) for n, s in enumerate(result.signals) if s.escalate_to)
        units["GONE"] = 10**12
        result.signals[index] = dataclasses.replace(s9, escalate_to="GONE")
    elif dangling == "delay_task":
        result.delays.append(DelayRow(10**12, signal.unit, None, 1))
    elif dangling == "delay_unit":
        units["GONE"] = 10**12
        result.delays.append(DelayRow(some_task, "GONE", None, 1))
    else:
        officials["GONE"] = 10**12
        result.delays.append(DelayRow(some_task, signal.unit, "GONE", 1))
    with pytest.raises(IntegrityError, match="10000000000"):
        services.signals_refresh(period="2026-10", as_of=as_of, result=result)
    assert not SignalRecord.objects.exists() and not HolderDelay.objects.exists()


@pytest.mark.django_db
def test_s9_is_escalated_to_the_head_of_the_unit_above_once():
    """The heads of the unit above are told once, and only while the work is still open
    and past its deadline: T1 was done after the reminders, so nobody is told of it; open
    again (as if it had not been approved), it is escalated, once."""
    from thuocdo.tasks.models import Task

    document = load_golden(GOLDEN / "s09_deaf_to_reminders.json")
    as_of = dt.datetime.fromisoformat(document["as_of"])
    result = services.signals_refresh(period="2026-10", as_of=as_of)
    assert SignalRecord.objects.filter(code="S9").count() == 1
    assert result.escalated == 0 and not Notification.objects.filter(kind="escalated")
    Task.objects.filter(code="T1").update(state="in_progress")
    result = services.signals_refresh(period="2026-10", as_of=as_of)
    assert result.escalated == 1
    note = Notification.objects.get(kind="escalated")
    assert note.recipient.code == "CB001"  # head of HN.CG, the level above HN.CG.TP
    assert note.task.code == "T1"
    services.signals_refresh(period="2026-10", as_of=as_of)
    assert Notification.objects.filter(kind="escalated").count() == 1


@pytest.mark.django_db
def test_holder_delays_are_stored_for_the_period(world):
    task = late_task(world)
    refresh_for(task)
    rows = list(HolderDelay.objects.filter(task=task))
    assert len(rows) == 1
    assert rows[0].official.code == "CG.STAFF"
    assert rows[0].workdays > 0


# -- the answer ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_request_explain_confirm(world):
    signal = refresh_for(late_task(world))
    head, staff = world.user("head"), world.user("staff")
    services.signal_request_explanation(signal=signal, user=head, text="Vì sao chậm?")
    assert signal.status == "requested"
    asked = Notification.objects.get(kind="signal", recipient=world.officials["CG.STAFF"])
    assert asked.url == signal.get_absolute_url()
    services.signal_explain(signal=signal, user=staff, text="Chờ số liệu của Sở Tài chính")
    assert signal.status == "explained"
    assert Notification.objects.filter(kind="signal", recipient=world.officials["CG.HEAD"])\
        .exists()
    services.signal_decide(signal=signal, user=head, decision="confirm",
                           text="Số liệu đã có từ trước hạn")
    assert signal.status == "confirmed"
    steps = list(SignalStep.objects.filter(signal=signal).values_list("action", "by__email"))
    assert steps == [("request", head.email), ("explain", staff.email),
                     ("confirm", head.email)]
    assert AuditEntry.objects.filter(object_type="signal", object_code=signal.key).count() == 3
    # decided already (a second tab): said so, with who and when, before who may decide
    with pytest.raises(ServiceError, match="Nguyễn Văn Đức") as refused:
        services.signal_decide(signal=signal, user=head, decision="accept", text="đổi ý")
    assert refused.value.service_code == "signal_changed"
    with pytest.raises(ServiceError) as refused:
        services.signal_explain(signal=signal, user=staff, text="thêm")
    assert refused.value.service_code == "signal_changed"
    with pytest.raises(ServiceError) as refused:
        services.signal_request_explanation(signal=signal, user=head, text="lại")
    assert refused.value.service_code == "signal_changed"
    # who may not read the signal learns nothing of it: the rule of who may act
    with pytest.raises(PermissionDeniedError) as refused:
        services.signal_decide(signal=signal, user=world.user("outsider"), decision="accept",
                               text="?")
    assert "Nguyễn Văn Đức" not in refused.value.service_message


@pytest.mark.django_db
def test_who_may_take_each_step(world):
    signal = refresh_for(late_task(world))
    for role in ("inspector", "staff", "outsider"):
        with pytest.raises(PermissionDeniedError):
            services.signal_request_explanation(signal=signal, user=world.user(role), text="?")
    for role in ("head", "deputy", "board", "inspector", "outsider"):
        with pytest.raises(PermissionDeniedError):
            services.signal_explain(signal=signal, user=world.user(role), text="!")
    with pytest.raises(PermissionDeniedError):
        services.signal_decide(signal=signal, user=world.user("staff"), decision="accept",
                               text="tự quyết")
    assert signal.steps.count() == 0


@pytest.mark.django_db
def test_a_leader_decides_only_after_asking_for_an_explanation(world, client_for):
    """Open → explanation requested → (explained) → accepted or confirmed: an open signal
    cannot be decided, by the service, the page or the API; once the explanation is
    requested and its due day has passed the leader may decide without an answer, and the
    decision records that it was not given in time."""
    signal = refresh_for(late_task(world))
    head = world.user("head")
    assert not services.can_decide(head, signal)
    for decision in ("confirm", "accept"):
        with pytest.raises(ServiceError) as refused:
            services.signal_decide(signal=signal, user=head, decision=decision,
                                   text="Không có lý do")
        assert refused.value.service_code == "explanation_not_requested"
        assert not isinstance(refused.value, PermissionDeniedError)
    client = client_for(head)
    page = client.get(signal.get_absolute_url())
    assert page.context["can_request"] and not page.context["can_decide"]
    assert f"{signal.get_absolute_url()}decide/" not in page.content.decode()
    posted = client.post(f"{signal.get_absolute_url()}decide/",
                         {"text": "x", "decision": "confirm", "version": signal.version})
    assert posted.status_code == 400  # e.g. from a page opened before: it says why
    assert refused.value.service_message in unescape(posted.content.decode())
    api = client.post(f"/api/signals/{signal.pk}/decide/",
                      {"text": "x", "decision": "confirm"}, content_type="application/json")
    assert api.status_code == 400 and api.json()["code"] == "explanation_not_requested"
    signal.refresh_from_db()
    assert signal.status == "open" and signal.steps.count() == 0
    services.signal_request_explanation(signal=signal, user=head, text="Vì sao chậm?")
    let_due_day_pass(signal)
    assert services.can_decide(head, signal)
    page = client.get(signal.get_absolute_url())
    assert page.context["can_decide"] and page.context["overdue"]
    assert f"{signal.get_absolute_url()}decide/" in page.content.decode()
    # the person named had the chance to answer: the leader may decide without an answer
    services.signal_decide(signal=signal, user=head, decision="confirm",
                           text="Không giải trình")
    assert signal.status == "confirmed"
    assert list(signal.steps.values_list("action", "late")) == [("request", False),
                                                               ("confirm", True)]


@pytest.mark.django_db
def test_a_blank_step_shows_its_one_error_on_the_page(world, client_for):
    """The head who answers for the unit is offered the explanation only (who answers never
    asks nor decides): a blank one is refused next to its own text box."""
    signal = unit_signal(world)
    client = client_for(world.user("head"))
    url = signal.get_absolute_url()
    page = client.get(url)
    assert page.context["can_explain"] and not page.context["can_request"]
    posted = client.post(f"{url}explain/", {"text": "", "version": signal.version})
    assert posted.status_code == 400
    assert posted.context["forms"]["explain"].errors
    content = posted.content.decode()
    assert content.count("field--error") == 1
    assert content.count('role="alert"') == 1
    # every control of the page has its own id, so each label names its own text box
    ids = re.findall(r'\sid="(id_[^"]+)"', content)
    assert len(ids) == len(set(ids))


@pytest.mark.django_db
def test_a_step_needs_a_reason_and_a_fresh_page(world):
    signal = refresh_for(late_task(world))
    with pytest.raises(ServiceError) as blank:
        services.signal_request_explanation(signal=signal, user=world.user("head"), text="  ")
    assert blank.value.service_code == "text_required"
    with pytest.raises(ServiceError) as stale:
        services.signal_request_explanation(signal=signal, user=world.user("head"),
                                            text="?", expected_version=signal.version + 1)
    assert stale.value.service_code == "signal_changed"
    with pytest.raises(ServiceError):
        services.signal_decide(signal=signal, user=world.user("head"), decision="maybe",
                               text="?")
    assert signal.steps.count() == 0


@pytest.mark.django_db
def test_the_signal_notification_opens_the_signal_page(world, client_for):
    signal = refresh_for(late_task(world))
    services.signal_request_explanation(signal=signal, user=world.user("head"),
                                        text="Vì sao chậm?")
    note = Notification.objects.get(kind="signal")
    client = client_for(world.user("staff"))
    inbox = client.get("/inbox/")
    assert "Vì sao chậm?" in inbox.content.decode()
    opened = client.get(f"/inbox/{note.pk}/open/")
    assert opened.status_code == 302 and opened["Location"] == signal.get_absolute_url()
    api = client.get("/api/notifications/").json()
    assert api["results"][0]["url"] == signal.get_absolute_url()


@pytest.mark.django_db
def test_the_signal_page_answers_through_forms(world, client_for):
    signal = refresh_for(late_task(world))
    head = client_for(world.user("head"))
    page = head.get(signal.get_absolute_url())
    assert page.status_code == 200 and page.context["can_request"]
    url = f"{signal.get_absolute_url()}request/"
    opened = signal.version
    blank = head.post(url, {"text": "", "version": opened})
    assert blank.status_code == 400
    done = head.post(url, {"text": "Giải trình giúp", "version": opened})
    assert done.status_code == 302
    let_due_day_pass(signal)
    stale = head.post(f"{signal.get_absolute_url()}decide/",
                      {"text": "x", "decision": "confirm", "version": opened})
    content = stale.content.decode()
    assert stale.status_code == 400
    assert "reload" in content.lower() or "tải lại" in content
    signal.refresh_from_db()
    assert signal.status == "requested"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_workers_find_the_same_signals_and_delays_as_one_process(forks_beside_the_live_server):
    """A generated city's month computed agency by agency in two worker processes, then in
    this one: the same signals, in the same order, and the same delays. Needs a database
    that new connections share (PostgreSQL here; SQLite in memory keeps the work in one
    process, see core.parallel)."""
    from django.db import connection

    from thuocdo.accountability import adapters
    from thuocdo.core import parallel
    from thuocdo.exchange.generate import write_city
    from thuocdo.exchange.generate_history import parse_month

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set THUOCDO_DATABASE_URL=postgres://... to run it "
                    "(SQLite's test database lives in one process's memory)")
    out = StringIO()
    write_city(out, officials=150, seed=3, months=1, start=parse_month("2026-08"))
    import_document(json.loads(out.getvalue()), on=dt.date(2026, 8, 1))
    as_of = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    world = adapters.load_world(on=dt.date(2026, 8, 31))
    assert len(adapters.chunk_ranges(world)) >= 2
    assert parallel.worker_count(10, requested=2) == 2
    shared = compute_month(period="2026-08", as_of=as_of, workers=2)
    alone = compute_month(period="2026-08", as_of=as_of, workers=1)
    assert shared.signals and shared.delays
    assert shared.signals == alone.signals
    assert shared.delays == alone.delays
    assert shared.task_ids == alone.task_ids and shared.kinds == alone.kinds
    # Stored as the workers' parts come, inside one transaction: what storing the whole
    # result computed in this process stores.
    stored = services.signals_refresh(period="2026-08", as_of=as_of, workers=2)
    rows = stored_rows("2026-08")
    SignalRecord.objects.all().delete()
    assert services.signals_refresh(period="2026-08", as_of=as_of, result=alone) == stored
    assert stored_rows("2026-08") == rows and stored.created == len(alone.signals)


@pytest.mark.django_db
def test_the_work_is_read_as_recorded_by_as_of():
    """The adapter reads only the events recorded by `as_of` (the detectors and the delays
    read no more; a month computed again later is not read with what came after)."""
    from thuocdo.accountability import adapters
    from thuocdo.measure.signals import period_bounds
    from thuocdo.tasks.models import TaskEvent

    load_golden(GOLDEN / "s01_late_work.json")
    moments = sorted(TaskEvent.objects.exclude(kind="create").values_list("at", flat=True))
    cut = moments[-1] - dt.timedelta(seconds=1)
    start, end = period_bounds("2026-10")
    world = adapters.load_world(on=end)

    def events(as_of: dt.datetime) -> list:
        return sorted(event.at for _label, ranges in adapters.chunk_ranges(world)
                      for history in adapters.read_part(world, ranges, period_start=start,
                                                        period_end=end,
                                                        as_of=as_of).histories.values()
                      for event in history.events)

    assert events(moments[-1]) == moments
    assert events(cut) == [at for at in moments if at <= cut] != moments

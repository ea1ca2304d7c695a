"""Test helpers: load a golden scoring scenario (thuocdo/measure/tests/golden/scoring) into
the database through the exchange importer, its assessments, KHT grounds and approved
exceptions to the HTXS quota through the services, and its signal records (`signals`, the
tests' own key) as the accountability app stores them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

GOLDEN = Path(__file__).resolve().parents[2] / "measure" / "tests" / "golden" / "scoring"
CASES = sorted(GOLDEN.glob("*.json"))


def event_places(document: dict) -> dict[str, tuple[str, int]]:
    """For each `events[n]` of the scenario, the (task code, seq) it gets in the database:
    seq 1 is the task's creation, its first event record is seq 2."""
    seq: dict[str, int] = {}
    where: dict[str, tuple[str, int]] = {}
    for n, event in enumerate(document.get("events", [])):
        code = event["task"]
        seq[code] = seq.get(code, 1) + 1
        where[f"events[{n}]"] = (code, seq[code])
    return where


def load_golden(document: dict, *, actor=None) -> dict[str, tuple[str, int]]:
    """Import the scenario's exchange document as it is (no `on` day: its memberships say
    their `since`, its events hold every step of the workflow); record its assessments,
    grounds and quota exceptions through the services, and its `signals`. Returns the map of
    its references (`event_places`, `discipline[n]`, `signals[n]`)."""
    from thuocdo.evaluations import services
    from thuocdo.exchange.importer import import_document
    from thuocdo.measure.scenario import exchange_part
    from thuocdo.org.models import Official, Unit

    plain = {k: v for k, v in exchange_part(document).items()
             if k not in ("assessments", "discipline", "quota_exceptions")}
    import_document(plain)
    where = event_places(document)
    periods = {}
    for record in document.get("assessments", []):
        label = record["period"]
        if label not in periods:
            periods[label] = services.period_open(label=label)
        official = Official.objects.get(code=record["official"])
        services.assessment_set(
            period=periods[label], official=official,
            general_points=record["general_points"], reason=record.get("reason", ""),
            organising=record.get("organising"), uniting=record.get("uniting"),
            rescore=False)
    for n, record in enumerate(document.get("discipline", [])):
        ground = services.ground_record(
            kind=record.get("ground", "discipline"),
            official=Official.objects.filter(code=record.get("official")).first(),
            unit=Unit.objects.filter(code=record.get("unit")).first(),
            on=dt.date.fromisoformat(record["on"]), level=record.get("level", ""),
            signal=record.get("signal", ""), reason=record.get("reason", ""))
        where[f"discipline[{n}]"] = ("", f"ground:{ground.pk}")
    for record in document.get("quota_exceptions", []):
        services.quota_exception_record(
            agency=Unit.objects.get(code=record["agency"]),
            valid_from=dt.date.fromisoformat(record["valid_from"]),
            valid_to=dt.date.fromisoformat(record["valid_to"]), share=str(record["share"]),
            decision=record["decision"],
            decided_on=dt.date.fromisoformat(record["decided_on"]), reason=record["reason"])
    where.update(record_signals(document))
    return where


#: a signal's status after each step of its answer (accountability `services._step`)
STATUS_AFTER = {"request": "requested", "explain": "explained", "accept": "accepted",
                "confirm": "confirmed"}


def record_signals(document: dict) -> dict[str, tuple[str, str]]:
    """The scenario's `signals` (golden case 12) stored as the accountability app leaves
    them once answered: recorded by hand by an inspector on their day, then each step of
    its answer by the official named (a user made for them, with their name), its status
    the last step's. The rows are written as its services write them, not through them:
    those refuse a day after today, and the scenario's steps have their own times. Returns
    `signals[n]` → ("", "signal:<id>"), the card's reference."""
    from django.utils import timezone

    from thuocdo.accountability.models import SignalRecord, SignalStep
    from thuocdo.accounts import services as accounts
    from thuocdo.accounts.models import User
    from thuocdo.core.testing import PASSWORD
    from thuocdo.org.models import Membership, Official

    records = document.get("signals", ())
    if not records:
        return {}
    zone = timezone.get_current_timezone()
    users: dict[str, User] = {}

    def user(code: str) -> User:
        if code not in users:
            official = Official.objects.get(code=code)
            users[code] = (User.objects.filter(official=official).first()
                           or accounts.user_create(email=f"{code.lower()}@golden.example",
                                                   password=PASSWORD, full_name=official.name,
                                                   official=official))
        return users[code]

    inspector = accounts.user_create(email="thanhtra@golden.example", password=PASSWORD,
                                     full_name="Thanh tra")
    where = {}
    for n, record in enumerate(records):
        on = dt.date.fromisoformat(record["on"])
        official = Official.objects.get(code=record["official"])
        unit = (Membership.objects.filter(official=official, start__lte=on)
                .order_by("-start").first().unit)
        recorded = dt.datetime.combine(on, dt.time(16), tzinfo=zone)
        steps = record.get("steps", ())
        last = max([recorded, *(dt.datetime.fromisoformat(s["at"]) for s in steps)])
        signal = SignalRecord.objects.create(
            key=f"{record['code']}|{on:%Y-%m}||{official.code}|{unit.code}|manual:golden{n}",
            code=record["code"], period=f"{on:%Y-%m}", raised_on=on, subject_kind="person",
            official=official, unit=unit, events=[], explanation=record["text"],
            status=STATUS_AFTER[steps[-1]["action"]] if steps else "open", present=True,
            first_seen=recorded, last_seen=last, version=len(steps))
        SignalStep.objects.create(signal=signal, action="record", at=recorded, by=inspector,
                                  text=record["text"])
        for step in steps:
            SignalStep.objects.create(signal=signal, action=step["action"],
                                      at=dt.datetime.fromisoformat(step["at"]),
                                      by=user(step["by"]), text=step["text"])
        where[f"signals[{n}]"] = ("", f"signal:{signal.pk}")
    return where


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def after_end(period):
    """The day after `period` ends: its cards may be computed (`services.ended_refusal`)."""
    import datetime as dt

    return period.end + dt.timedelta(days=1)


def quota_case_under_review():
    """Golden case 06 (three candidates for HTXS in HN.CG, one kept) loaded, scored and
    under review, with an administrator: (period, admin)."""
    from thuocdo.accounts import services as accounts
    from thuocdo.core.testing import PASSWORD
    from thuocdo.evaluations import services

    load_golden(read(next(p for p in CASES if p.stem == "06_quota_binding")))
    admin = accounts.user_create(email="admin@example.vn", password=PASSWORD,
                                 full_name="Quản trị", is_superuser=True)
    period = services.period_open(label="2026-10")
    services.period_score(period=period)
    services.period_start_review(period=period)
    return period, admin

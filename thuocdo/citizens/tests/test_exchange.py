"""The exchange keys `dossiers` and `feedback`: import all-or-nothing, replayed through the
services; export gives back what was imported; importing twice changes nothing."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from thuocdo.citizens.models import Dossier, Feedback, Procedure
from thuocdo.exchange.exporter import export_document
from thuocdo.exchange.importer import ImportRejected, import_document

pytestmark = pytest.mark.django_db
ON = dt.date(2026, 11, 2)

DOCUMENT = {
    "format": "thuocdo-exchange/1",
    "units": [
        {"code": "HN", "name": "UBND Thành phố Hà Nội", "parent": None, "kind": "city"},
        {"code": "HN.CG", "name": "UBND quận Cầu Giấy", "parent": "HN", "kind": "district"},
        {"code": "HN.CG.MC", "name": "Bộ phận một cửa", "parent": "HN.CG", "kind": "division"},
        {"code": "HN.CG.QLDT", "name": "Phòng Quản lý đô thị", "parent": "HN.CG",
         "kind": "division"},
    ],
    "officials": [
        {"code": "CB001", "name": "Nguyễn Văn An", "unit": "HN.CG", "position": "head",
         "since": "2025-01-01"},
        {"code": "CB010", "name": "Lê Thị Mai", "unit": "HN.CG.MC", "position": "staff",
         "since": "2025-01-01"},
        {"code": "CB011", "name": "Phạm Văn Tú", "unit": "HN.CG.QLDT", "position": "staff",
         "since": "2025-01-01"},
    ],
    "dossiers": [
        {"code": "HS-001", "procedure": "XD-01", "procedure_name": "Cấp giấy phép xây dựng",
         "processing_days": 7, "steps": [
             {"name": "Tiếp nhận", "unit": "HN.CG.MC", "allowance": 1},
             {"name": "Thẩm định", "unit": "HN.CG.QLDT", "allowance": 5},
             {"name": "Trả kết quả", "unit": "HN.CG.MC", "allowance": 1}],
         "applicant": "Trần Văn Nam", "applicant_contact": "0912000111", "channel": "online",
         "received_at": "2026-10-01T09:00:00+07:00", "received_by": "CB010",
         "due": "2026-10-12", "events": [
             {"kind": "move", "at": "2026-10-02T09:00:00+07:00", "actor": "CB010",
              "to_official": "CB011"},
             {"kind": "supplement_request", "at": "2026-10-05T09:00:00+07:00",
              "actor": "CB011", "reason": "Thiếu bản vẽ mặt bằng"},
             {"kind": "supplement_received", "at": "2026-10-07T09:00:00+07:00",
              "actor": "CB011"},
             {"kind": "apology", "at": "2026-10-13T09:00:00+07:00", "actor": "CB011",
              "reason": "Chờ ý kiến phòng Tài nguyên", "new_date": "2026-10-20"},
             {"kind": "move", "at": "2026-10-16T09:00:00+07:00", "actor": "CB011",
              "to_official": "CB010"},
             {"kind": "result", "at": "2026-10-16T15:00:00+07:00", "actor": "CB010"},
             {"kind": "rate", "at": "2026-10-16T15:30:00+07:00", "actor": "CB010",
              "rating": "neutral"}]},
    ],
    "feedback": [
        {"code": "PA-26-AAAAAA", "kind": "complaint", "category": "procedure",
         "unit": "HN.CG.MC", "official": None, "dossier": "HS-001",
         "text": "Hồ sơ của tôi bị yêu cầu bổ sung mà không nói rõ thiếu gì.",
         "contact_name": "Trần Văn Nam", "contact": "0912000111", "address": "",
         "submitted_at": "2026-10-06T10:00:00+07:00", "events": [
             {"kind": "forward", "at": "2026-10-06T14:00:00+07:00", "actor": "CB010",
              "to_unit": "HN.CG.QLDT", "reason": "Hồ sơ đang ở Phòng Quản lý đô thị"},
             {"kind": "assign", "at": "2026-10-07T08:00:00+07:00", "actor": "CB001",
              "to_official": "CB011", "workdays": 5},
             {"kind": "reply", "at": "2026-10-08T08:00:00+07:00", "actor": "CB011",
              "answer": "Đã liên hệ và hướng dẫn ông bổ sung bản vẽ."},
             {"kind": "close", "at": "2026-10-08T09:00:00+07:00", "actor": "CB011"},
             {"kind": "rate", "at": "2026-10-09T09:00:00+07:00", "rating": "satisfied"},
             {"kind": "verify", "at": "2026-10-10T09:00:00+07:00", "actor": "CB001",
              "result": "unfounded", "note": "Yêu cầu bổ sung đã ghi rõ"}]},
    ],
}


def test_import_replays_and_exports_back():
    report = import_document(copy.deepcopy(DOCUMENT), on=ON)
    assert (report.counts["dossiers"].created, report.counts["feedback"].created) == (1, 1)
    dossier = Dossier.objects.get(code="HS-001")
    # due 12/10; waited 5/10 → 7/10 (2 working days) → 14/10; returned 16/10: late
    assert dossier.due == dt.date(2026, 10, 12)
    assert dossier.due_in_force == dt.date(2026, 10, 14)
    assert dossier.done_late is True and dossier.rating == "neutral"
    assert Procedure.objects.get(code="XD-01").steps.count() == 3
    feedback = Feedback.objects.get(code="PA-26-AAAAAA")
    assert feedback.unit.code == "HN.CG.QLDT" and feedback.forwards == 1
    assert feedback.status == "closed" and feedback.verification == "unfounded"
    exported = export_document()
    assert exported["dossiers"] == DOCUMENT["dossiers"]
    assert exported["feedback"] == DOCUMENT["feedback"]


def test_importing_twice_changes_nothing_and_a_longer_log_is_appended():
    import_document(copy.deepcopy(DOCUMENT), on=ON)
    again = import_document(copy.deepcopy(DOCUMENT), on=ON)
    assert not again.changed
    assert again.counts["dossiers"].unchanged == 1
    shorter = copy.deepcopy(DOCUMENT)
    shorter["feedback"][0]["events"] = shorter["feedback"][0]["events"][:2]
    with pytest.raises(ImportRejected) as caught:
        import_document(shorter, on=ON)
    assert [p.path for p in caught.value.problems] == ["feedback[0].events"]


def test_problems_have_paths_and_nothing_is_written():
    broken = copy.deepcopy(DOCUMENT)
    broken["dossiers"][0]["steps"][1]["unit"] = "HN.NOPE"
    broken["dossiers"][0]["events"][1].pop("reason")
    broken["feedback"][0]["events"][0]["at"] = "2026-10-05T09:00:00+07:00"
    with pytest.raises(ImportRejected) as caught:
        import_document(broken, on=ON)
    paths = {p.path for p in caught.value.problems}
    assert paths == {"dossiers[0].steps[1].unit", "dossiers[0].events[1].reason",
                     "feedback[0].events[0].at"}
    assert not Dossier.objects.exists() and not Feedback.objects.exists()
    unknown = copy.deepcopy(DOCUMENT)
    unknown["feedback"][0]["colour"] = "red"
    with pytest.raises(ImportRejected) as caught:
        import_document(unknown, on=ON)
    assert [(p.path, p.code) for p in caught.value.problems] == [
        ("feedback[0].colour", "unknown_field")]


def test_a_procedure_step_of_no_working_day_is_refused_whole():
    """A step's allowance is at least one working day (the product has no step of none):
    0 is refused with the dossier's step and the field named, and nothing is written."""
    broken = copy.deepcopy(DOCUMENT)
    broken["dossiers"][0]["steps"][2]["allowance"] = 0
    with pytest.raises(ImportRejected) as caught:
        import_document(broken, on=ON)
    problems = [str(p) for p in caught.value.problems]
    assert "dossiers[0].steps[2].allowance: phải lớn hơn hoặc bằng 1: 0" in problems
    assert not Procedure.objects.exists() and not Dossier.objects.exists()
    assert not Feedback.objects.exists()


def test_a_rule_of_the_services_refuses_the_whole_document():
    broken = copy.deepcopy(DOCUMENT)
    events = broken["feedback"][0]["events"]
    events.insert(1, {"kind": "close", "at": "2026-10-06T15:00:00+07:00", "actor": "CB010"})
    with pytest.raises(ImportRejected) as caught:
        import_document(broken, on=ON)
    assert [(p.path, p.code) for p in caught.value.problems] == [("feedback[0]", "bad_state")]
    assert not Dossier.objects.exists() and not Procedure.objects.exists()


def test_the_golden_citizens_case_gives_the_engines_signals_through_the_database():
    """The engine's golden case for S10, S11 and S3 on feedback (measure/tests/golden/
    citizens), imported as it is and read back by the adapter: the same signals, events
    numbered alike (a dossier's receipt is its event 0)."""
    import json
    from pathlib import Path

    from thuocdo.citizens.adapters import citizen_signals
    from thuocdo.measure.scenario import exchange_part

    path = (Path(__file__).resolve().parents[2] / "measure" / "tests" / "golden" / "citizens"
            / "s10_s11_s3.json")
    document = json.loads(path.read_text(encoding="utf-8"))
    import_document(exchange_part(document))
    found = citizen_signals(period_start=dt.date(2026, 10, 1), period_end=dt.date(2026, 10, 31),
                            as_of=dt.datetime.fromisoformat(document["as_of"]))
    assert sorted((s.code, s.task, s.official or "", s.unit, s.raised_on.isoformat(),
                   list(s.events), s.anchor) for s in found) == sorted(
        (e["code"], e["task"], e["official"] or "", e["unit"], e["raised_on"], e["events"],
         e["anchor"]) for e in document["expected"])


@pytest.mark.django_db
def test_the_command_and_the_api_say_the_same_of_a_dossiers_signal():
    """`thuocdo signals --json` gave a dossier's code as `task`, where the API says no task
    and names the dossier as the subject: both now say `subject_kind` and `subject`."""
    import json
    from io import StringIO
    from pathlib import Path

    from django.core.management import call_command
    from django.test import Client

    from thuocdo.accounts import services as accounts
    from thuocdo.measure.scenario import exchange_part

    path = (Path(__file__).resolve().parents[2] / "measure" / "tests" / "golden" / "citizens"
            / "s10_s11_s3.json")
    document = json.loads(path.read_text(encoding="utf-8"))
    import_document(exchange_part(document))
    out = StringIO()
    call_command("signals", period="2026-10", json=True, as_of=document["as_of"], stdout=out)
    rows = json.loads(out.getvalue())
    dossiers = [r for r in rows if r["code"] in ("S10", "S11")]
    assert dossiers and all(r["task"] is None and r["subject_kind"] == "dossier"
                            and r["subject"] for r in dossiers)
    api = Client()
    api.force_login(accounts.user_create(email="a@example.vn", password="x" * 12,
                                         is_superuser=True))
    for row in rows:
        shown = api.get(f"/api/signals/{row['id']}/").json()
        assert [shown[k] for k in ("task", "subject_kind", "subject")] == [
            row[k] for k in ("task", "subject_kind", "subject")], row["code"]

"""Citizens' complaints and confirmed signals on the card (golden case 11): a complaint
verified as founded about a task is a major error on it unless the setting is off or a
leader accepted the official's explanation; the card page lists the findings and the
signals confirmed as breaches, and says how each counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from thuocdo.accountability.choices import SignalStatus, SubjectKind
from thuocdo.accountability.models import SignalRecord
from thuocdo.accounts import services as accounts
from thuocdo.citizens import adapters as citizens
from thuocdo.citizens import services as citizen_services
from thuocdo.evaluations import services
from thuocdo.evaluations.models import ScoreCard
from thuocdo.org.models import Official, Unit

from .helpers import CASES, load_golden, read

PASSWORD = "Thuocdo-test-2026"
CASE = next(p for p in CASES if p.stem == "11_verified_complaint")


@pytest.fixture
def complaints(db):
    load_golden(read(CASE))
    period = services.period_open(label="2026-10")
    users = {code: accounts.user_create(email=f"{code.lower()}@example.vn", password=PASSWORD,
                                        official=Official.objects.get(code=code))
             for code in ("CB001", "CB002")}
    return period, users


def _card(period) -> ScoreCard:
    services.period_score(period=period)
    return ScoreCard.objects.get(period=period, official__code="CB002")


def _findings(card: ScoreCard) -> list[str | None]:
    return [d.get("finding") for d in card.data["deductions"] if d["kind"] == "major_error"]


def test_verified_complaints_count_as_major_errors(complaints):
    period, _users = complaints
    card = _card(period)
    assert card.data["major_errors"] == 3
    assert _findings(card) == ["PA-T1", None, "PA-T4"]
    assert all(line["completed"] for line in card.data["tasks"]), "no work is reopened"


@override_settings(THUOCDO_COMPLAINT_IS_MAJOR_ERROR=False)
def test_the_setting_turns_complaints_off(complaints):
    period, _users = complaints
    card = _card(period)
    assert card.data["major_errors"] == 1
    assert _findings(card) == [None]
    assert str(card.total) == "88.54"  # b = 3.75 / 4: T = 70 × 2.9375 / 3 = 68.54


def test_an_accepted_explanation_takes_the_complaint_off(complaints):
    period, users = complaints
    finding = next(f for f in citizens.quality_findings(start=dt.date(2026, 10, 1),
                                                        end=dt.date(2026, 10, 31))
                   if f.feedback == "PA-T1")
    citizen_services.finding_answer(user=users["CB002"], finding=finding,
                                    explanation="Đơn nộp theo mẫu cũ, đã hướng dẫn bổ sung")
    citizen_services.finding_decide(user=users["CB001"], finding=finding,
                                    decision="accepted", note="Lý do khách quan, chấp nhận")
    card = _card(period)
    assert _findings(card) == [None, "PA-T4"]
    assert card.data["major_errors"] == 2


def test_the_card_lists_findings_and_confirmed_signals(client, complaints):
    period, users = complaints
    _card(period)
    official = Official.objects.get(code="CB002")
    moment = timezone.now()
    common = {"period": "2026-10", "raised_on": dt.date(2026, 10, 20),
              "subject_kind": SubjectKind.PERSON, "official": official,
              "unit": Unit.objects.get(code="HN.CG.VP"), "first_seen": moment,
              "last_seen": moment}
    SignalRecord.objects.create(key="S5|CB002|2026-10", code="S5", status=SignalStatus.CONFIRMED,
                                explanation="Im lặng sau 3 lần đôn đốc", **common)
    SignalRecord.objects.create(key="S4|CB002|2026-10", code="S4", status=SignalStatus.ACCEPTED,
                                explanation="Xin ý kiến không cần thiết", **common)
    client.force_login(users["CB002"],
                       backend="thuocdo.accounts.backends.EmailOrOfficialCodeBackend")
    response = client.get(reverse("evaluations:card_detail",
                                  kwargs={"label": "2026-10", "official": "CB002"}))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Im lặng sau 3 lần đôn đốc" in page, "a confirmed signal is shown"
    assert "Xin ý kiến không cần thiết" not in page, "an accepted one is not"
    detail = reverse("citizens:feedback_detail", kwargs={"code": "PA-T1"})
    assert page.count(f'href="{detail}"') == 2, "from the deduction and from the findings"
    assert "tính là sai sót lớn" in page
    assert "PA-T3" not in page, "verified in November: not a finding of October"


def test_the_task_of_a_verification_is_exported_and_checked(complaints):
    from thuocdo.exchange.exporter import export_document
    from thuocdo.exchange.importer import ImportRejected, import_document

    exported = {f["code"]: f for f in export_document()["feedback"]}
    assert exported["PA-T1"]["events"][-1]["task"] == "T1"
    document = {key: value for key, value in read(CASE).items()
                if key in ("format", "units", "officials", "feedback")}
    document["feedback"] = [dict(document["feedback"][0], code="PA-X1", events=[
        dict(document["feedback"][0]["events"][0], task="T404"),
        {"kind": "close", "at": "2026-10-23T10:00:00+07:00", "actor": "CB001", "task": "T1"},
    ])]
    with pytest.raises(ImportRejected) as caught:
        import_document(document, on=dt.date(2026, 1, 1))
    assert sorted((p.path, p.code) for p in caught.value.problems) == [
        ("feedback[0].events[0].task", "unknown_task"),
        ("feedback[0].events[1].task", "not_for_kind")]

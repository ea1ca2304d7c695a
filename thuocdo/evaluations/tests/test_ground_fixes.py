"""Two fixes of the KHT grounds (evaluations.Ground).

1. A ground identical to one that counts is refused (service and form), and the exchange
   import matches `discipline` records one to one with the stored grounds, never guessing:
   an export imported back changes nothing, even with identical grounds recorded before
   the refusal existed (one of them withdrawn); what cannot be told apart is refused with
   the record's path.
2. A ground of kind "signal" names one of the rubric's KHT signals (`kht_signals`, S14),
   in the service and the import (with the record's path); the board's form records none
   (a confirmed S14 record counts by itself).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.urls import reverse

from thuocdo.core.errors import ServiceError
from thuocdo.core.models import AuditEntry
from thuocdo.evaluations import services
from thuocdo.evaluations.models import Ground
from thuocdo.evaluations.rubrics import RUBRICS
from thuocdo.exchange.exporter import export_document
from thuocdo.exchange.importer import import_document
from thuocdo.exchange.problems import ImportRejected
from thuocdo.measure.scoring import RUBRIC_335_2025

ON = dt.date(2026, 10, 3)
ADD = reverse("evaluations:ground_add")


def _degradation(world, reason="Kết luận số 5/KL-UBKT", **more):
    return services.ground_record(actor=world.user("board"), kind="degradation",
                                  official=world.officials["CG.STAFF"], on=ON, reason=reason,
                                  **more)


def _twin(ground: Ground, reason: str) -> Ground:
    """A second identical ground, as recorded before the refusal existed."""
    return Ground.objects.create(kind=ground.kind, official=ground.official, unit=ground.unit,
                                 on=ground.on, level=ground.level, signal=ground.signal,
                                 reason=reason)


def _state() -> list[tuple]:
    return list(Ground.objects.order_by("id").values_list(
        "id", "kind", "official_id", "unit_id", "on", "level", "signal", "reason", "confirmed"))


def _problems(document) -> list[str]:
    with pytest.raises(ImportRejected) as rejected:
        import_document(document)
    return [f"{p.path}: {p.code}" for p in rejected.value.problems]


def _messages(document) -> dict[str, str]:
    with pytest.raises(ImportRejected) as rejected:
        import_document(document)
    return {p.path: p.message for p in rejected.value.problems}


# -- 1a. the same ground twice -------------------------------------------------------------


def test_a_ground_identical_to_one_that_counts_is_refused_naming_it(world):
    first = _degradation(world)
    with pytest.raises(ServiceError) as refused:
        _degradation(world, reason="Bấm gửi hai lần")
    assert refused.value.service_code == "ground_duplicate"
    message = refused.value.service_message
    assert "CG.STAFF" in message and "03/10/2026" in message
    assert "Kết luận số 5/KL-UBKT" in message, "the one recorded is named by its reason"
    assert Ground.objects.count() == 1
    assert AuditEntry.objects.filter(action="ground.record").count() == 1
    # another day, another kind or another official is another ground
    services.ground_record(actor=world.user("board"), kind="degradation",
                           official=world.officials["CG.STAFF"], on=ON - dt.timedelta(days=1))
    services.ground_record(actor=world.user("board"), official=world.officials["CG.STAFF"],
                           on=ON, level="reprimand")
    services.ground_record(actor=world.user("board"), kind="degradation",
                           official=world.officials["CG.STAFF2"], on=ON)
    # once withdrawn, it counts no more: it may be recorded again
    services.ground_withdraw(actor=world.user("board"), ground=first, reason="Ghi nhầm")
    again = _degradation(world, reason="Ghi lại đúng")
    assert again.confirmed and Ground.objects.count() == 5


def test_the_form_says_the_ground_is_recorded_already(world, client_for):
    client = client_for(world.user("board"))
    data = {"kind": "degradation", "official": "cg.staff", "on": "03/10/2026",
            "reason": "Kết luận số 5/KL-UBKT"}
    assert client.post(ADD, data).status_code == 302
    response = client.post(ADD, {**data, "reason": "Gửi lại"})
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert len(errors) == 1 and "CG.STAFF" in errors[0]
    assert "CG.STAFF" in response.content.decode()
    assert Ground.objects.count() == 1


# -- 1b. the import matches one to one -----------------------------------------------------


@pytest.mark.parametrize("withdrawn", ["first", "second"])
@pytest.mark.parametrize("reasons", [("Lý do A", "Lý do B"), ("Cùng lý do", "Cùng lý do")])
def test_identical_grounds_one_withdrawn_go_out_and_back_unchanged(world, withdrawn, reasons):
    """The reviewer's case: the same degradation twice (before the refusal), one withdrawn;
    export, then import the export: nothing changes, and a dry run says so again."""
    first = _degradation(world, reason=reasons[0])
    second = _twin(first, reasons[1])
    services.ground_withdraw(actor=world.user("board"),
                             ground=first if withdrawn == "first" else second,
                             reason="Ghi nhầm")
    before, audited = _state(), AuditEntry.objects.count()
    document = {"discipline": export_document()["discipline"]}
    assert [r.get("withdrawn", False) for r in document["discipline"]] == [
        withdrawn == "first", withdrawn == "second"]
    for dry_run in (True, False, True):
        report = import_document(document, dry_run=dry_run)
        assert not report.changed
        assert report.counts["discipline"].unchanged == 2
        assert (report.counts["discipline"].created, report.counts["discipline"].updated) \
            == (0, 0)
        assert _state() == before
    assert AuditEntry.objects.count() == audited


def test_the_import_pairs_by_reason_and_state_before_anything_else(world):
    """A document that names only the withdrawn one (its reason) leaves the other alone;
    one that withdraws the counting one by its reason withdraws that one, not its twin."""
    counting = _degradation(world, reason="Còn hiệu lực")
    gone = _twin(counting, "Đã hủy")
    services.ground_withdraw(actor=world.user("board"), ground=gone, reason="Hủy")
    record = export_document()["discipline"][1]
    assert record["reason"] == "Đã hủy" and record["withdrawn"] is True
    assert not import_document({"discipline": [record]}).changed
    assert Ground.objects.get(pk=counting.pk).confirmed
    assert Ground.objects.get(pk=counting.pk).reason == "Còn hiệu lực"
    says = {**export_document()["discipline"][0], "withdrawn": True}
    report = import_document({"discipline": [says]})
    assert report.counts["discipline"].updated == 1
    assert not Ground.objects.get(pk=counting.pk).confirmed
    assert Ground.objects.get(pk=gone.pk).reason == "Đã hủy", "its twin is untouched"


def test_a_changed_reason_of_one_ground_is_still_updated(world):
    ground = _degradation(world)
    record = {**export_document()["discipline"][0], "reason": "Kết luận sửa lại"}
    report = import_document({"discipline": [record]})
    assert report.counts["discipline"].updated == 1
    assert Ground.objects.get(pk=ground.pk).reason == "Kết luận sửa lại"


def test_which_twin_a_record_changes_is_not_guessed(world):
    """Two stored twins, a record of that ground with a third reason: which one it
    corrects cannot be told, so the import is refused with the record's path."""
    first = _degradation(world, reason="Lý do A")
    _twin(first, "Lý do B")
    before = _state()
    record = {**export_document()["discipline"][0], "reason": "Lý do C"}
    other = {"official": "CG.STAFF2", "on": "2026-10-03", "level": "reprimand"}
    assert _problems({"discipline": [other, record]}) == ["discipline[1]: ambiguous"]
    assert _state() == before, "nothing is written, not even the other record"


def test_a_document_may_not_give_a_counting_ground_twice(world):
    record = {"official": "CG.STAFF", "on": "2026-10-03", "ground": "degradation",
              "reason": "Lý do A"}
    twice = [record, {**record, "reason": "Lý do B"}]
    assert _problems({"discipline": twice}) == ["discipline[1]: duplicate"]
    assert "discipline[0]" in _messages({"discipline": twice})["discipline[1]"]
    assert not Ground.objects.exists()
    # one of them withdrawn: both are recorded, and imported again nothing changes
    twice[1] = {**twice[1], "withdrawn": True}
    report = import_document({"discipline": twice})
    assert report.counts["discipline"].created == 2
    assert sorted(Ground.objects.values_list("reason", "confirmed")) == [
        ("Lý do A", True), ("Lý do B", False)]
    assert AuditEntry.objects.filter(action="ground.withdraw").count() == 1
    assert not import_document({"discipline": twice}).changed
    assert not import_document({"discipline": export_document()["discipline"]}).changed


def test_a_record_may_not_repeat_a_stored_ground_that_counts(world):
    stored = _degradation(world, reason="Lý do A")
    records = [*export_document()["discipline"],
               {"official": "CG.STAFF", "on": "2026-10-03", "ground": "degradation",
                "reason": "Lý do B"}]
    assert _problems({"discipline": records}) == ["discipline[1]: duplicate"]
    assert "Lý do A" in _messages({"discipline": records})["discipline[1]"]
    # the document withdraws the stored one: the new one replaces it
    records[0] = {**records[0], "withdrawn": True}
    report = import_document({"discipline": records})
    assert (report.counts["discipline"].created, report.counts["discipline"].updated) == (1, 1)
    assert not Ground.objects.get(pk=stored.pk).confirmed
    assert Ground.objects.get(reason="Lý do B").confirmed


# -- 2. only the rubric's KHT signals ---------------------------------------------------------


def _signal(world, code):
    return services.ground_record(actor=world.user("board"), kind="signal", signal=code,
                                  official=world.officials["CG.STAFF"], on=ON, reason="x")


def test_a_signal_ground_names_a_kht_signal_of_the_rubric(world):
    with pytest.raises(ServiceError) as refused:
        _signal(world, "S1")
    assert refused.value.service_code == "ground_signal_unknown"
    assert refused.value.field == "signal"
    assert "S1" in refused.value.service_message and "S14" in refused.value.service_message
    assert not Ground.objects.exists()
    assert _signal(world, "S14").signal == "S14"


def test_the_signals_are_read_from_the_rubric_in_force(world, settings, monkeypatch):
    other = dataclasses.replace(RUBRIC_335_2025, version="TEST/1",
                                kht_signals=frozenset({"S9", "S14"}))
    monkeypatch.setitem(RUBRICS, other.version, other)
    settings.THUOCDO_SCORING_RUBRIC = other.version
    assert services.ground_signals(ON) == {"S9", "S14"}
    assert _signal(world, "S9").signal == "S9"
    with pytest.raises(ServiceError, match="S9, S14"):
        _signal(world, "S1")


def test_the_form_records_no_signal_ground_whatever_its_code(world, client_for):
    """Neither a signal that does not count nor S14: a confirmed S14 record counts by
    itself, so the board's form no longer offers the kind (the import still does)."""
    for code in ("s1", "S14"):
        response = client_for(world.user("board")).post(ADD, {
            "kind": "signal", "signal": code, "official": "cg.staff", "on": "03/10/2026",
            "reason": "Tín hiệu"})
        assert response.status_code == 200
        assert list(response.context["form"].errors) == ["kind"]
    assert not Ground.objects.exists()


def test_the_import_refuses_a_signal_that_does_not_count_with_its_path(world):
    records = [{"official": "CG.STAFF", "on": "2026-10-03", "level": "reprimand"},
               {"official": "CG.STAFF", "on": "2026-10-03", "ground": "signal",
                "signal": "S1"}]
    assert _problems({"discipline": records}) == ["discipline[1].signal: enum"]
    assert "S14" in _messages({"discipline": records})["discipline[1].signal"]
    assert not Ground.objects.exists()
    records[1]["signal"] = "S14"
    assert import_document({"discipline": records}).counts["discipline"].created == 2


def test_a_stored_ground_of_a_signal_the_rubric_no_longer_counts_goes_out_and_back(world):
    """A ground naming S1, recorded before the rule: the export imports back unchanged
    (the rule applies to grounds the import would record), and a withdrawn one too."""
    import datetime as dt

    Ground.objects.create(kind="signal", official=world.officials["CG.STAFF"],
                          on=dt.date(2026, 9, 1), signal="S1", reason="cũ")
    document = {"discipline": export_document()["discipline"]}
    report = import_document(document, dry_run=True)
    assert not report.changed and report.counts["discipline"].unchanged == 1
    new = {**document["discipline"][0], "on": "2026-09-02"}
    for record in (new, {**new, "withdrawn": True}):  # a new one is refused, with its path
        with pytest.raises(ImportRejected) as refused:
            import_document({"discipline": [record]}, dry_run=True)
        assert [p.path for p in refused.value.problems] == ["discipline[0].signal"]

"""Tasks and events in the exchange format: imported by replaying them through the workflow,
refused whole (with paths) when the history could not have happened, exported back as they
were, the same from JSON and from a workbook."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from thuocdo.core.models import AuditEntry
from thuocdo.core.testing import build_world
from thuocdo.exchange.exporter import export_document
from thuocdo.exchange.files import read_path, write_path
from thuocdo.exchange.importer import ImportRejected, import_document
from thuocdo.exchange.validation import validate_document
from thuocdo.tasks import services as tasks
from thuocdo.tasks.audit import verify_chains
from thuocdo.tasks.choices import TaskState
from thuocdo.tasks.models import Task, TaskEvent

from .conftest import ON, fingerprint

pytestmark = pytest.mark.django_db

TZ = dt.timezone(dt.timedelta(hours=7))


def problems_of(document) -> list[tuple[str, str]]:
    """(path, code) of every problem of a refused import; asserts nothing was written."""
    before = fingerprint()
    with pytest.raises(ImportRejected) as caught:
        import_document(document, on=ON)
    assert fingerprint() == before
    return [(p.path, p.code) for p in caught.value.problems]


def event_index(document, task: str, kind: str, nth: int = 0) -> int:
    found = [i for i, e in enumerate(document["events"]) if (e["task"], e["kind"]) == (task, kind)]
    return found[nth]


# -- a good history --------------------------------------------------------------------------


def test_tasks_and_events_import_through_the_workflow(example):
    report = import_document(example, on=ON)
    assert (report.counts["tasks"].created, report.counts["events"].created) == (3, 18)
    t1, t2, t3 = (Task.objects.get(code=c) for c in ("T1", "T2", "T3"))
    assert (t1.state, t1.done_late) == (TaskState.DONE, False)
    assert t1.done_at == dt.datetime(2026, 10, 14, 16, 0, tzinfo=TZ)
    assert [c.unit.code for c in t1.coordinations.all()] == ["HN.CG.DV"]
    assert (t2.state, t2.done_late, t2.due_in_force) == (TaskState.DONE, False,
                                                          dt.date(2026, 10, 27))
    assert [s.name for s in t2.steps.order_by("order")] == ["Xây dựng dự thảo",
                                                             "Lấy ý kiến, hoàn thiện"]
    assert t2.assigner_unit.code == "HN.CG" and t2.priority == "collective"
    assert (t3.state, t3.holder_official.code, t3.done_at) == (TaskState.IN_PROGRESS, "CB003",
                                                               None)
    # the internal creation event comes first in every log, then the document's events
    assert list(t3.events.order_by("seq").values_list("kind", flat=True)) == [
        "create", "transfer", "return", "accept", "guidance_request", "guidance_reply",
        "remind"]
    assert TaskEvent.objects.count() == 3 + 18
    assert list(verify_chains()) == []


def test_importing_the_same_history_twice_changes_nothing(example):
    import_document(example, on=ON)
    before, audit = fingerprint(), AuditEntry.objects.count()
    events = list(TaskEvent.objects.order_by("pk").values_list("pk", "hash"))
    report = import_document(example, on=ON + dt.timedelta(days=30))
    assert not report.changed
    assert (report.counts["tasks"].unchanged, report.counts["events"].unchanged) == (3, 18)
    assert (fingerprint(), AuditEntry.objects.count()) == (before, audit)
    assert list(TaskEvent.objects.order_by("pk").values_list("pk", "hash")) == events


def test_a_longer_history_appends_its_new_events(example):
    document = copy.deepcopy(example)
    document["events"] = [e for e in document["events"] if e["task"] != "T3"
                          or e["kind"] in {"transfer", "return"}]
    import_document(document, on=ON)
    report = import_document(example, on=ON)
    assert (report.counts["events"].created, report.counts["events"].unchanged) == (4, 14)
    assert (report.counts["tasks"].updated, report.counts["tasks"].unchanged) == (1, 2)
    assert Task.objects.get(code="T3").state == TaskState.IN_PROGRESS
    assert list(verify_chains()) == []


def test_events_alone_extend_stored_tasks(example):
    document = copy.deepcopy(example)
    document["events"] = [e for e in document["events"] if e["kind"] != "remind"]
    import_document(document, on=ON)
    remind = next(e for e in example["events"] if e["kind"] == "remind")
    stored = [e for e in example["events"] if e["task"] == "T3"]
    report = import_document({"events": stored}, on=ON)
    assert report.counts == {"events": report.counts["events"]}
    assert report.counts["events"].created == 1
    assert Task.objects.get(code="T3").events.order_by("-seq").first().kind == remind["kind"]


# -- histories that could not have happened --------------------------------------------------


def test_approve_before_submit_is_refused_with_its_path(example):
    i = event_index(example, "T1", "approve")
    example["events"][i]["at"] = "2026-10-10T08:00:00+07:00"  # before the submit of 14/10
    assert problems_of(example) == [(f"events[{i}]", "wrong_state")]


def test_an_action_by_someone_without_the_right_is_refused(example):
    i = event_index(example, "T1", "approve")
    example["events"][i]["actor"] = "CB004"  # heads another unit: not the assigner
    assert problems_of(example) == [(f"events[{i}]", "not_allowed")]
    j = event_index(example, "T3", "remind")
    example["events"][i]["actor"] = "CB001"
    example["events"][j]["actor"] = "CB002"  # staff below the holder: no superior
    assert problems_of(example) == [(f"events[{j}]", "not_allowed")]


def test_an_event_before_the_assignment_is_refused(example):
    i = event_index(example, "T1", "accept")
    example["events"][i]["at"] = "2026-09-30T16:00:00+07:00"  # T1 was assigned on 1/10
    assert problems_of(example) == [(f"events[{i}].at", "event_order")]


def test_an_event_of_an_unknown_task_is_refused(example):
    example["events"].append({"task": "T9", "kind": "accept",
                              "at": "2026-10-01T09:00:00+07:00", "actor": "CB002"})
    assert problems_of(example) == [(f"events[{len(example['events']) - 1}].task",
                                     "unknown_task")]


def test_every_illegal_event_of_a_document_is_listed_and_nothing_is_written(example):
    approve = event_index(example, "T1", "approve")
    example["events"][approve]["at"] = "2026-10-10T08:00:00+07:00"
    grant = event_index(example, "T2", "extension_grant")
    example["events"][grant]["actor"] = "CB002"  # the holder cannot grant itself time
    accept = event_index(example, "T3", "accept")
    example["events"][accept]["at"] = "2026-10-04T10:30:00+07:00"  # a Sunday before 5/10
    problems = problems_of(example)
    assert (f"events[{approve}]", "wrong_state") in problems
    assert (f"events[{grant}]", "not_allowed") in problems
    assert (f"events[{accept}].at", "event_order") in problems
    assert not Task.objects.exists()


def test_a_task_that_breaks_the_five_clear_rules_is_refused(example):
    example["tasks"][0]["lead_official"] = "CB004"  # not a member of HN.CG.VP
    example["tasks"][1]["due"] = "2026-09-30"  # before its assignment
    paths = [path for path, _code in problems_of(example)]
    assert "tasks[0].lead_official" in paths and "tasks[1].due" in paths


def test_the_shape_of_tasks_and_events_is_checked_with_paths(example):
    example["tasks"][0].pop("lead_official")
    example["tasks"][1]["assigned_at"] = "2026-10-02 09:30"
    example["tasks"][1]["steps"][0]["allowance"] = -1
    example["tasks"][2]["product"] = "NOPE"
    example["tasks"].append(dict(example["tasks"][2]))
    example["events"][0]["colour"] = "đỏ"
    example["events"][1]["reason"] = "a submit has no reason"
    example["events"][3]["actor"] = "CB999"
    example["events"][7].pop("new_due")  # the grant
    example["events"][8]["kind"] = "finish"
    example["events"][13]["to_official"] = None  # a return to the unit's leaders: fine
    assert problems_of(example) == [
        ("tasks[0].lead_official", "required"),
        ("tasks[1].steps[0].allowance", "integer"),
        ("tasks[1].assigned_at", "datetime"),
        ("tasks[2].product", "unknown_product"),
        ("tasks[3].product", "unknown_product"),
        ("tasks[3].code", "duplicate"),
        ("events[0].colour", "unknown_field"),
        ("events[1].reason", "not_for_kind"),
        ("events[3].actor", "unknown_official"),
        ("events[7].new_due", "required"),
        ("events[8].kind", "enum"),
    ]


def test_a_step_of_no_working_day_is_refused_whole(example):
    """A step's allowance is at least one working day, as the assign form and the API ask
    (tasks.forms.StepForm, tasks.serializers.StepInSerializer): 0 is refused with the
    task's step and the field named, and nothing of the document is written."""
    example["tasks"][1]["steps"][1]["allowance"] = 0
    before = fingerprint()
    with pytest.raises(ImportRejected) as caught:
        import_document(example, on=ON)
    assert fingerprint() == before and not Task.objects.exists()
    assert [str(p) for p in caught.value.problems] == [
        "tasks[1].steps[1].allowance: phải lớn hơn hoặc bằng 1: 0"]
    example["tasks"][1]["steps"][1]["allowance"] = 1
    assert validate_document(example, on=ON) == []


def test_validate_document_replays_without_writing(example):
    assert validate_document(example, on=ON) == []
    assert not Task.objects.exists()
    i = event_index(example, "T1", "approve")
    example["events"][i]["actor"] = "CB004"
    assert [(p.path, p.code) for p in validate_document(example, on=ON)] == [
        (f"events[{i}]", "not_allowed")]


def test_a_dry_run_counts_and_writes_nothing(example):
    before = fingerprint()
    report = import_document(example, on=ON, dry_run=True)
    assert (report.counts["tasks"].created, report.counts["events"].created) == (3, 18)
    assert fingerprint() == before


# -- JSON, workbook, export ----------------------------------------------------------------


def imported(document) -> dict:
    with transaction.atomic():
        import_document(document, on=ON)
        exported = export_document()
        transaction.set_rollback(True)
    return exported


def test_json_and_xlsx_of_a_history_import_to_the_same_result(example, tmp_path):
    write_path(example, tmp_path / "city.xlsx")
    write_path(example, tmp_path / "city.json")
    from_xlsx = read_path(tmp_path / "city.xlsx")
    assert from_xlsx["tasks"] == example["tasks"]
    assert from_xlsx["events"] == example["events"]
    assert imported(from_xlsx) == imported(read_path(tmp_path / "city.json")) == example


def test_a_workbook_date_and_time_cell_is_vietnam_time(example, tmp_path):
    from openpyxl import load_workbook

    write_path(example, tmp_path / "city.xlsx")
    workbook = load_workbook(tmp_path / "city.xlsx")
    sheet = workbook["tasks"]
    header = [cell.value for cell in sheet[1]]
    sheet.cell(row=2, column=header.index("assigned_at") + 1).value = dt.datetime(  # noqa: DTZ001
        2026, 10, 1, 8, 0)
    workbook.save(tmp_path / "city.xlsx")
    assert read_path(tmp_path / "city.xlsx")["tasks"][0]["assigned_at"] == (
        "2026-10-01T08:00:00+07:00")


def _build_history() -> None:
    """A world with a few tasks taken through the services (as the UI would)."""
    world = build_world()
    product = tasks.product_create(code="BC", name="Báo cáo", coefficient=1)
    o, u = world.officials, world.units

    def at(day: int, hour: int = 9) -> dt.datetime:
        return dt.datetime(2026, 10, day, hour, tzinfo=TZ)

    def act(task, kind, who, day, hour=10, **data):
        tasks.task_act(task=task, kind=kind, actor=o[who], data=data, at=at(day, hour))

    one = tasks.task_assign(assigned_by=o["CG.HEAD"], title="Báo cáo quý", product=product,
                            lead_unit=u["HN.CG.VP"], lead_official=o["CG.STAFF"],
                            due=dt.date(2026, 10, 15), at=at(1, 8), allow_past_due=True,
                            code="A-1", coordinating=[(u["HN.CG.DV"], dt.date(2026, 10, 9))],
                            steps=[("Dự thảo", 3)])
    act(one, "transfer", "CG.STAFF", 1, to_unit="HN.CG.VP", to_official="CG.STAFF2",
        reason="đúng chuyên môn")
    act(one, "return", "CG.STAFF2", 2, to_unit="HN.CG.VP", to_official="CG.STAFF",
        reason="không đúng")
    act(one, "accept", "CG.STAFF", 2, 11)
    act(one, "consult", "CG.STAFF", 5, to_unit="HN.CG.DV", reply_due="2026-10-08")
    act(one, "consult_reply", "DV.HEAD", 9, unit="HN.CG.DV", clear_position=False,
        answer="chưa rõ")
    act(one, "extension_request", "CG.STAFF", 14, new_due="2026-10-22", reason="chờ số liệu")
    act(one, "extension_refuse", "CG.HEAD", 14, 15, reason="không")
    act(one, "remind", "CG.DEP", 16)
    act(one, "submit", "CG.STAFF", 19, note="đã xong")
    act(one, "rework", "CG.HEAD", 20, major_error=True, reason="sai số liệu")
    act(one, "submit", "CG.STAFF", 21)
    act(one, "approve", "CG.HEAD", 21, 15)
    act(one, "excuse_delay", "CG.HEAD", 22, reason="mất điện")
    two = tasks.task_assign(assigned_by=o["CG.DEP"], title="Tờ trình", product=product,
                            lead_unit=u["HN.CG.VP"], lead_official=o["CG.STAFF2"],
                            due=dt.date(2026, 10, 20), at=at(2, 8), allow_past_due=True,
                            code="A-2", priority="urgent", description="Gấp")
    act(two, "transfer", "CG.STAFF2", 2, to_unit="HN.CG", reason="thuộc thẩm quyền quận")
    act(two, "return", "CG.HEAD", 5, to_unit="HN.CG.VP", to_official="CG.STAFF2",
        reason="văn phòng chủ trì")
    act(two, "accept", "CG.STAFF2", 5, 11)
    act(two, "guidance_request", "CG.STAFF2", 6, to_official="CG.HEAD", question="?")
    act(two, "guidance_reply", "CG.HEAD", 6, 15)
    act(two, "extension_request", "CG.STAFF2", 7, new_due="2026-10-27", reason="chờ")
    act(two, "extension_grant", "CG.DEP", 7, 15, new_due="2026-10-27", reason="chờ số liệu")
    three = tasks.task_assign(assigned_by=o["CG.HEAD"], title="Thông báo", product=product,
                              lead_unit=u["HN.CG.DV"], lead_official=o["DV.HEAD"],
                              due=dt.date(2026, 10, 9), at=at(5, 8), allow_past_due=True,
                              code="A-3")
    act(three, "cancel", "CG.HEAD", 6, reason="trùng")


def test_export_import_export_of_a_history_made_through_the_services_is_identical():
    with transaction.atomic():
        _build_history()
        first = export_document()
        transaction.set_rollback(True)
    assert not Task.objects.exists()
    assert [t["code"] for t in first["tasks"]] == ["A-1", "A-2", "A-3"]
    assert first["tasks"][0]["coordinating_units"] == [{"unit": "HN.CG.DV", "due": "2026-10-09"}]
    assert first["tasks"][1]["description"] == "Gấp"
    kinds = [(e["task"], e["kind"]) for e in first["events"]]
    assert kinds[0] == ("A-1", "transfer") and ("A-3", "cancel") in kinds
    assert all(e["kind"] != "create" for e in first["events"])
    unit_only = first["events"][kinds.index(("A-2", "transfer"))]
    assert "to_official" not in unit_only  # the work went to the unit's leaders
    assert first["events"][kinds.index(("A-1", "submit"))]["note"] == "đã xong"
    assert "note" not in first["events"][kinds.index(("A-1", "submit")) + 2]
    assert all(e["at"].endswith("+07:00") for e in first["events"])
    import_document(first, on=ON)
    assert export_document() == first
    before = fingerprint()
    assert not import_document(first, on=ON).changed
    assert fingerprint() == before
    assert list(verify_chains()) == []


def test_times_are_exported_in_vietnam_time_whatever_the_offset_given(example):
    example["tasks"][0]["assigned_at"] = "2026-10-01T01:00:00Z"
    example["events"][0]["at"] = "2026-10-01T03:00:00+01:00"
    import_document(example, on=ON)
    exported = export_document()
    assert exported["tasks"][0]["assigned_at"] == "2026-10-01T08:00:00+07:00"
    assert exported["events"][0]["at"] == "2026-10-01T09:00:00+07:00"
    # the same moments, written otherwise, are the same history
    assert not import_document(exported, on=ON).changed
    assert timezone.localtime(Task.objects.get(code="T1").assigned_at).hour == 8


# -- a coordinating unit's input --------------------------------------------------------------


def with_ward_head(example) -> dict:
    """The example with a head for HN.CG.DV, T1's coordinating unit (input due 09/10)."""
    example["officials"].append({"code": "CB009", "name": "Vũ Văn Chín", "unit": "HN.CG.DV",
                                 "position": "head", "task_group": "LD",
                                 "since": "2024-01-01"})
    return example


def test_a_coordinating_units_input_imports_as_its_opinion_and_comes_back(example):
    """domain.md: coordinators give input by their own deadline. The coordinating unit of
    T1 gives it as a `consult_reply` with no consultation before it; it is stored, exported
    as it came, and a second input of the same unit is refused with its path. Given a day
    late, it raises no S5: domain.md counts S5 for consultations."""
    from thuocdo.accountability.compute import compute_month

    document = with_ward_head(example)
    accept = event_index(document, "T1", "accept")
    reply = {"task": "T1", "kind": "consult_reply", "at": "2026-10-12T10:00:00+07:00",
             "actor": "CB009", "unit": "HN.CG.DV", "clear_position": True,
             "answer": "Phường thống nhất số liệu."}
    document["events"].insert(accept + 1, reply)
    twice = copy.deepcopy(document)
    twice["events"].insert(accept + 2, {**reply, "at": "2026-10-12T11:00:00+07:00"})
    assert problems_of(twice) == [(f"events[{accept + 2}]", "not_allowed")]
    import_document(document, on=ON)
    t1 = Task.objects.get(code="T1")
    assert list(t1.events.order_by("seq").values_list("kind", flat=True)) == [
        "create", "accept", "consult_reply", "submit", "approve"]
    exported = [e for e in export_document()["events"] if e["task"] == "T1"]
    assert {k: v for k, v in exported[1].items() if k in reply} == reply
    result = compute_month(period="2026-10",
                           as_of=dt.datetime(2026, 10, 31, 23, 0, tzinfo=TZ))
    assert "S5" not in {s.code for s in result.signals if s.task == "T1"}

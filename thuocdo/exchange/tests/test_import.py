"""Importing documents: all or nothing, every problem with its path, idempotent."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import pytest
from django.db import OperationalError

from thuocdo.core import inserts
from thuocdo.core.models import AuditEntry, CalendarOverride
from thuocdo.exchange.importer import ImportRejected, import_document
from thuocdo.exchange.validation import validate_document
from thuocdo.org.models import Membership, Official, Unit
from thuocdo.tasks.models import Directive, Product

from .conftest import ON, fingerprint, load

pytestmark = pytest.mark.django_db

D = dt.date


def lines_of(document, **kwargs) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        import_document(document, on=kwargs.pop("on", ON), **kwargs)
    return caught.value.lines()


# -- a good document -------------------------------------------------------------------


def test_a_good_document_imports(example):
    report = import_document(example, on=ON)
    assert {key: c.created for key, c in report.counts.items()} == {
        "calendar": 2, "units": 6, "task_groups": 2, "officials": 5, "products": 2,
        "directives": 2, "tasks": 3, "events": 18}
    cg = Unit.objects.get(code="HN.CG")
    assert cg.parent.code == "HN" and cg.kind == "district" and cg.depth == 1
    assert {u.code for u in Unit.objects.filter(lft__gte=cg.lft, rgt__lte=cg.rgt)} == {
        "HN.CG", "HN.CG.VP", "HN.CG.DV"}
    assert not Unit.objects.get(code="HN.SNV.CCHC").is_active
    head = Membership.objects.get(official__code="CB001")
    assert (head.unit.code, head.position, head.task_group.code, head.start, head.end) == (
        "HN.CG", "head", "LD", D(2024, 1, 1), None)
    assert Membership.objects.get(official__code="CB004").task_group is None
    binh = Official.objects.get(code="CB002")
    assert (binh.email, binh.phone, binh.name_folded) == (
        "binh@example.vn", "024 3833 0000", "tran thi binh")
    em = Official.objects.get(code="CB005")
    assert not em.is_active and not em.memberships.exists()
    assert Product.objects.get(code="BC").coefficient_on(D(2000, 1, 1)) == Decimal("1.000")
    qppl = Product.objects.get(code="QPPL")
    assert qppl.coefficient_on(D(2025, 12, 31)) is None
    assert qppl.coefficient_on(D(2026, 1, 1)) == Decimal("3.000")
    plan = Directive.objects.get(code="120/KH-UBND")
    assert plan.answers.code == "24-CT/TU" and plan.issued_by.code == "HN.CG"
    assert dict(CalendarOverride.objects.values_list("day", "kind")) == {
        D(2026, 9, 1): "holiday", D(2026, 1, 10): "workday"}


def test_one_audit_entry_per_run_with_the_counts(example):
    import_document(example, on=ON, source="example.json")
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.object_code) == ("exchange.import", "example.json")
    assert entry.changes["counts"]["officials"] == {"created": 5, "updated": 0,
                                                    "unchanged": 0}


def test_importing_the_same_document_twice_changes_nothing_the_second_time(example):
    import_document(example, on=ON)
    before = fingerprint()
    audit = AuditEntry.objects.count()
    report = import_document(example, on=ON + dt.timedelta(days=40))
    assert not report.changed
    assert all(c.created == c.updated == 0 for c in report.counts.values())
    assert report.counts["officials"].unchanged == 5
    assert fingerprint() == before
    assert AuditEntry.objects.count() == audit


def test_texts_are_read_in_composed_form_whatever_the_source(example):
    """"Nguyễn Văn An" written decomposed (a base letter and separate marks, as some
    software writes Vietnamese) is the same name: stored composed, and the composed
    document imported next changes nothing; two task codes that look the same are one code
    named twice."""
    import unicodedata

    decomposed = copy.deepcopy(example)
    decomposed["officials"][0]["name"] = unicodedata.normalize("NFD", "Nguyễn Văn An")
    assert decomposed["officials"][0]["name"] != example["officials"][0]["name"]
    import_document(decomposed, on=ON)
    assert Official.objects.get(code="CB001").name == "Nguyễn Văn An"
    assert len(Official.objects.get(code="CB001").name) == len("Nguyễn Văn An")
    report = import_document(example, on=ON)
    assert not report.changed

    twice = {"directives": [
        {"code": "KH-ĐỒ", "title": "Kế hoạch", "issued_by": "HN.CG", "issued_on": "2026-01-05"},
        {"code": unicodedata.normalize("NFD", "KH-ĐỒ"), "title": "Kế hoạch",
         "issued_by": "HN.CG", "issued_on": "2026-01-05"}]}
    assert any(line.startswith("directives[1].code") for line in lines_of(twice))
    assert not Directive.objects.filter(code__startswith="KH-").exists()


def test_a_nul_character_is_refused_at_its_path(example):
    """PostgreSQL keeps no NUL in a text (the forms refuse it): the import refuses it where
    it is, and writes nothing."""
    before = fingerprint()
    example["tasks"][0]["title"] = "Báo cáo\x00 sơ kết"
    example["events"][1]["reason"] = "x\x00"
    with pytest.raises(ImportRejected) as caught:
        import_document(example, on=ON)
    assert [(p.path, p.code) for p in caught.value.problems] == [
        ("tasks[0].title", "nul_character"), ("events[1].reason", "nul_character")]
    assert fingerprint() == before


def test_a_stored_tasks_other_fields_are_left_as_they_are_and_the_report_says_so(example):
    """A recorded task is not edited by a document: a changed title was counted
    "unchanged" and nothing said the document differed."""
    from thuocdo.tasks.models import Task

    import_document(example, on=ON)
    assert not import_document(example, on=ON).warnings  # the same document: nothing to say
    example["tasks"][0]["title"] = "Báo cáo sơ kết (sửa)"
    example["tasks"][1]["quantity"] = 3
    report = import_document(example, on=ON)
    assert not report.changed
    [warning] = report.warnings
    assert "tasks[0].title" in warning and "tasks[1].quantity" in warning
    assert Task.objects.get(code=example["tasks"][0]["code"]).title == "Báo cáo sơ kết"


def test_a_document_may_refer_to_what_the_database_holds(example):
    import_document(example, on=ON)
    report = import_document({"officials": [
        {"code": "CB010", "name": "Đỗ Văn Giang", "unit": "HN.CG.DV", "position": "head",
         "task_group": "TH"}]}, on=ON)
    assert report.counts["officials"].created == 1
    assert Membership.objects.get(official__code="CB010").start == ON


def test_fields_a_record_leaves_out_keep_their_stored_values(example):
    import_document(example, on=ON)
    report = import_document({"officials": [{"code": "CB002", "name": "Trần Thị Bình"}],
                              "units": [{"code": "HN.CG.VP", "name": "Văn phòng",
                                         "kind": "division"}]}, on=ON)
    assert report.counts["officials"].unchanged == 1
    assert report.counts["units"].updated == 1
    binh = Official.objects.get(code="CB002")
    assert binh.email == "binh@example.vn" and binh.phone == "024 3833 0000"
    assert binh.memberships.get().unit.code == "HN.CG.VP"
    assert Unit.objects.get(code="HN.CG.VP").parent.code == "HN.CG"


def test_dry_run_counts_and_writes_nothing(example):
    before = fingerprint()
    report = import_document(example, on=ON, dry_run=True)
    assert report.dry_run and report.counts["officials"].created == 5
    assert fingerprint() == before
    assert not AuditEntry.objects.exists()


# -- people move, coefficients change: history is kept -----------------------------------


def test_an_official_moving_unit_keeps_their_history(example):
    import_document(example, on=ON)
    moved = copy.deepcopy(example)
    moved["officials"][1].update(unit="HN.CG.DV", position="deputy")
    moved["officials"][1].pop("since")
    later = D(2026, 7, 1)
    report = import_document(moved, on=later)
    assert report.counts["officials"].updated == 1
    history = list(Membership.objects.filter(official__code="CB002").order_by("start")
                   .values_list("unit__code", "position", "start", "end"))
    assert history == [("HN.CG.VP", "staff", D(2025, 3, 15), D(2026, 6, 30)),
                       ("HN.CG.DV", "deputy", later, None)]
    assert not import_document(moved, on=later + dt.timedelta(days=3)).changed
    assert Membership.objects.filter(official__code="CB002").count() == 2


def test_since_dates_the_move_and_a_same_day_change_corrects_it(example):
    import_document(example, on=ON)
    example["officials"][1].update(unit="HN.CG.DV", since="2026-02-01")
    import_document(example, on=ON)
    example["officials"][1].update(unit="HN.SNV")  # a correction of that same move
    import_document(example, on=ON)
    history = list(Membership.objects.filter(official__code="CB002").order_by("start")
                   .values_list("unit__code", "start", "end"))
    assert history == [("HN.CG.VP", D(2025, 3, 15), D(2026, 1, 31)),
                       ("HN.SNV", D(2026, 2, 1), None)]


def test_a_head_may_hand_over_to_a_successor_in_one_document(example):
    import_document(example, on=ON)
    example["officials"][0].update(unit="HN.SNV", position="deputy", since="2026-06-01")
    example["officials"][2].update(position="head", since="2026-06-01")
    import_document(example, on=ON)
    assert Membership.objects.get(unit__code="HN.CG", position="head", end=None) \
        .official.code == "CB003"
    assert Membership.objects.get(official__code="CB001", end__isnull=False).end == D(
        2026, 5, 31)


def test_a_null_unit_ends_the_current_membership(example):
    import_document(example, on=ON)
    example["officials"][1].update(unit=None)
    for name in ("position", "task_group", "since"):
        example["officials"][1].pop(name)
    import_document(example, on=ON)
    assert Membership.objects.get(official__code="CB002").end == ON - dt.timedelta(days=1)


def test_a_changed_coefficient_adds_a_version(example):
    import_document(example, on=ON)
    example["products"][0]["coefficient"] = 1.25
    import_document(example, on=ON)
    bc = Product.objects.get(code="BC")
    assert list(bc.coefficients.order_by("valid_from").values_list("coefficient", "valid_from")) \
        == [(Decimal("1.000"), D(1900, 1, 1)), (Decimal("1.250"), ON)]
    assert not import_document(example, on=ON + dt.timedelta(days=1)).changed
    assert bc.coefficients.count() == 2


def test_calendar_days_are_set_and_kept(example):
    import_document(example, on=ON)
    report = import_document({"calendar": {"holidays": ["2026-01-10", "2026-09-02"]}}, on=ON)
    assert (report.counts["calendar"].created, report.counts["calendar"].updated) == (1, 1)
    assert dict(CalendarOverride.objects.values_list("day", "kind")) == {
        D(2026, 9, 1): "holiday", D(2026, 9, 2): "holiday", D(2026, 1, 10): "holiday"}


# -- bad documents ---------------------------------------------------------------------


def _append(key, record):
    return lambda d: d[key].append(record)


def _set(key, index, **values):
    return lambda d: d[key][index].update(values)


#: (what is wrong, how to break the example, the line the import prints, the problem code).
#: Each is imported into a database that already holds the example.
BAD = [
    ("unknown parent",
     _append("units", {"code": "HN.NEW", "name": "Mới", "kind": "division",
                       "parent": "HN.NOPE"}),
     'units[6].parent: unknown unit "HN.NOPE"', "unknown_unit"),
    ("cycle in the document", _set("units", 1, parent="HN.CG.VP"),
     "units[3].parent: cycle HN.CG → HN.CG.VP → HN.CG", "cycle"),
    ("cycle with stored units",
     lambda d: d.update(units=[{"code": "HN", "name": "Hà Nội", "kind": "city",
                                "parent": "HN.CG.DV"}]),
     "units[0].parent: cycle HN.CG.DV → HN.CG → HN → HN.CG.DV", "cycle"),
    ("duplicate code", lambda d: d["units"].append(dict(d["units"][1])),
     'units[6].code: duplicate code "HN.CG" (first given at units[1])', "duplicate"),
    ("wrong type", _set("products", 0, coefficient="1.0"),
     "products[0].coefficient: expected a number", "type"),
    ("bad date", _set("directives", 1, issued_on="2023-13-01"),
     'directives[1].issued_on: not a date (YYYY-MM-DD): "2023-13-01"', "date"),
    ("unknown key", lambda d: d.update(foo=[]), "foo: unknown key", "unknown_key"),
    ("key not supported yet", lambda d: d.update(peer_reviews=[{"official": "CB002"}]),
     "peer_reviews: not supported yet", "not_supported"),
    ("two heads",
     _append("officials", {"code": "CB009", "name": "Vũ Thị Hoa", "unit": "HN.CG",
                           "position": "head"}),
     'officials[5].position: unit "HN.CG" already has a head from 01/01/2024: "CB001"',
     "two_heads"),
    ("unknown unit of an official", _set("officials", 2, unit="X"),
     'officials[2].unit: unknown unit "X"', "unknown_unit"),
    ("unknown task group", _set("officials", 2, task_group="ZZ"),
     'officials[2].task_group: unknown task group "ZZ"', "unknown_task_group"),
    ("unknown directive", _set("directives", 0, answers="99-CT/TU"),
     'directives[0].answers: unknown directive "99-CT/TU"', "unknown_directive"),
    ("bad e-mail", _set("officials", 0, email="an(at)example.vn"),
     "officials[0].email: not an e-mail address", "email"),
    ("non-positive coefficient", _set("products", 0, coefficient=0),
     "products[0].coefficient: must be greater than 0: 0", "number"),
    ("unknown field", _set("units", 0, colour="red"), "units[0].colour: unknown field",
     "unknown_field"),
    ("missing field", lambda d: d["units"][2].pop("kind"),
     "units[2].kind: required field is missing", "required"),
    ("unknown kind", _set("units", 2, kind="galaxy"),
     'units[2].kind: the value "galaxy" is not allowed; allowed values: city, '
     'province, department, district, commune, division, other', "enum"),
    ("wrong format", lambda d: d.update(format="thuocdo-exchange/2"),
     'format: unsupported format "thuocdo-exchange/2" (this version reads '
     '"thuocdo-exchange/1")', "format"),
    ("place without unit", lambda d: d["officials"][4].update(position="staff"),
     "officials[4].position: only allowed together with a unit", "only_with_unit"),
    ("move dated before the current place",
     _set("officials", 0, unit="HN.CG.DV", since="2023-01-01"),
     'officials[0].since: the new place would start on 01/01/2023, before the current one '
     'in unit "HN.CG" started (01/01/2024)', "since"),
    ("coefficient dated before the current one",
     _set("products", 1, coefficient=4, coefficient_from="2025-01-01"),
     "products[1].coefficient_from: a new coefficient from 01/01/2025 would not replace the "
     "one in force since 01/01/2026", "coefficient_from"),
    ("calendar conflict", lambda d: d["calendar"]["workdays"].append("2026-09-01"),
     'calendar.workdays[1]: "2026-09-01" is listed as a holiday and as a working day',
     "calendar_conflict"),
    ("not an object", lambda d: d["units"].append("HN.Z"), "units[6]: expected an object",
     "type"),
    ("code with spaces", _set("task_groups", 0, code=" LD"),
     'task_groups[0].code: must not begin or end with spaces nor hold line breaks: " LD"',
     "spaces"),
]


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(("mutate", "line", "code"), [case[1:] for case in BAD],
                         ids=[case[0] for case in BAD])
def test_a_bad_document_names_the_problem_and_changes_nothing(example, mutate, line, code):
    import_document(load("example.json"), on=ON)
    before = fingerprint()
    audit = AuditEntry.objects.count()
    mutate(example)
    with pytest.raises(ImportRejected) as caught:
        import_document(example, on=ON + dt.timedelta(days=10))
    assert line in caught.value.lines()
    assert code in {p.code for p in caught.value.problems if str(p) == line}
    assert fingerprint() == before
    assert AuditEntry.objects.count() == audit


@pytest.mark.usefixtures("english")
def test_every_problem_is_reported_at_once():
    before = fingerprint()
    lines = lines_of(load("broken.json"))
    assert lines == [
        "units[3].code: duplicate code \"HN.CG\" (first given at units[1])",
        "units[4].parent: cycle HN.A → HN.B → HN.A",
        'units[5].parent: unknown unit "HN.NOPE"',
        "officials[0].email: not an e-mail address",
        'officials[1].position: unit "HN.CG" already has a head in this document: '
        'officials[0] "CB001"',
        'officials[2].unit: unknown unit "X"',
        "products[0].coefficient: expected a number",
        'directives[1].issued_on: not a date (YYYY-MM-DD): "2023-13-01"',
        "peer_reviews: not supported yet",
    ]
    assert fingerprint() == before


@pytest.mark.usefixtures("english")
def test_a_document_that_is_not_an_object_is_refused():
    assert lines_of([1, 2]) == ["the file: expected an object (a JSON document {...})"]
    assert lines_of({"units": {"code": "HN"}}) == ["units: expected a list"]
    assert lines_of({"calendar": ["2026-01-01"]}) == ["calendar: expected an object"]


def test_problems_carry_path_code_and_message(world):
    [problem] = validate_document({"officials": [
        {"code": "NEW", "name": "Người Mới", "unit": "HN.CG", "position": "head"}]}, on=ON)
    assert problem.path == "officials[0].position"
    assert problem.code == "two_heads"
    assert "CG.HEAD" in problem.message
    assert problem.as_dict()["path"] == "officials[0].position"


def test_path_stays_the_same_in_vietnamese():
    from django.utils import translation

    with translation.override("vi"):
        [problem] = validate_document({"units": [
            {"code": "X", "name": "X", "kind": "division", "parent": "HN.NOPE"}]})
    assert str(problem).startswith("units[0].parent: ")


def test_a_service_refusal_the_validator_missed_still_writes_nothing(example, monkeypatch):
    from thuocdo.core.errors import ServiceError
    from thuocdo.tasks import services as tasks

    def refuse(**kwargs):
        raise ServiceError("no", code="refused")

    monkeypatch.setattr(tasks, "directives_bulk_create", refuse)
    before = fingerprint()
    with pytest.raises(ImportRejected) as caught:
        import_document(example, on=ON)
    assert [(p.path, p.code) for p in caught.value.problems] == [("$", "refused")]
    assert fingerprint() == before


# -- a bulk load -----------------------------------------------------------------------


@pytest.fixture
def refreshed(monkeypatch) -> list[str]:
    """Each time the planner's statistics are refreshed; a load of 40 records is bulk."""
    calls: list[str] = []
    monkeypatch.setattr(inserts, "refresh_statistics", lambda: calls.append("analyze"))
    monkeypatch.setattr(inserts, "STATISTICS_AFTER_ROWS", 40)
    return calls


def test_a_bulk_load_refreshes_the_planner_statistics_once_committed(
        example, refreshed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        report = import_document(example, on=ON)
    assert report.created == 40 and refreshed == []
    for callback in callbacks:
        callback()
    assert refreshed == ["analyze"]


def test_a_smaller_load_a_dry_run_or_a_refused_one_leave_the_statistics(
        example, refreshed, monkeypatch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        import_document(example, on=ON, dry_run=True)
        monkeypatch.setattr(inserts, "STATISTICS_AFTER_ROWS", 41)
        import_document(example, on=ON)
        monkeypatch.setattr(inserts, "STATISTICS_AFTER_ROWS", 0)
        bad = copy.deepcopy(example)
        bad["units"][0]["code"] = ""
        with pytest.raises(ImportRejected):
            import_document(bad, on=ON)
    assert refreshed == []


def test_a_refresh_that_fails_leaves_the_import_committed_and_reported(
        example, monkeypatch, django_capture_on_commit_callbacks, caplog):
    """The statistics are refreshed after the commit: a failure there (the database busy)
    is logged and the import stands, reported as done."""
    def busy():
        raise OperationalError("database is locked")

    monkeypatch.setattr(inserts, "refresh_statistics", busy)
    monkeypatch.setattr(inserts, "STATISTICS_AFTER_ROWS", 40)
    with django_capture_on_commit_callbacks(execute=True):
        report = import_document(example, on=ON)
    assert report.created == 40 and Unit.objects.filter(code="HN.CG").exists()
    assert "database is locked" in caplog.text

"""One mistake, one line: a record that cannot be read is reported once, and the references
that may be meant for it are summarised in one problem instead of one "not found" each;
messages do not repeat the field their path names; the command, the page and the Python
API give the same problems."""

from __future__ import annotations

import copy
import json
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from thuocdo.accounts import services as accounts
from thuocdo.core.testing import PASSWORD
from thuocdo.exchange.importer import ImportRejected, import_document
from thuocdo.exchange.validation import validate_document

from .conftest import ON, fingerprint, load

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def refused(document: dict) -> ImportRejected:
    before = fingerprint()
    with pytest.raises(ImportRejected) as caught:
        import_document(document, on=ON)
    assert fingerprint() == before, "nothing written"
    return caught.value


# -- references to what could not be read -----------------------------------------------


def test_events_of_a_task_list_that_is_not_a_list_are_summarised_in_one_problem():
    document = load("example.json")
    document["tasks"] = {}
    problems = refused(document).problems
    assert [(p.path, p.code) for p in problems] == [
        ("tasks", "type"),
        ("events[0].task", "unknown_task"),
    ]
    assert problems[1].message == (
        'unknown task "T1"; 17 more references to tasks are not found either. They are not '
        "listed: tasks could not be read, and they may name records there."
    )


def test_references_to_a_unit_whose_code_cannot_be_read_are_summarised():
    """units[1] (HN.CG) has a number for a code: the units, officials, directives, tasks
    and events naming HN.CG are not each reported as naming an unknown unit."""
    document = load("example.json")
    references = json.dumps(document).count('"HN.CG"') - 1  # all but its own code
    document["units"][1]["code"] = 123
    refused_import = refused(document)
    assert [(p.path, p.code) for p in refused_import.problems] == [
        ("units[1].code", "type"),
        ("units[2].parent", "unknown_unit"),
    ]
    assert [str(p) for p in refused_import.problems] == [  # as docs/exchange-format.md says
        "units[1].code: expected a code (text)",
        f'units[2].parent: unknown unit "HN.CG"; {references - 1} more references to units '
        "are not found either. They are not listed: units[1] could not be read, and they "
        "may name records there.",
    ]
    assert references - 1 == 6
    # the tasks naming it are still left out of the workflow's check, and say so
    assert any("Not checked against the workflow" in note for note in refused_import.notes)


def test_one_reference_to_what_could_not_be_read_says_so():
    document = load("example.json")
    document["task_groups"][1] = {"code": " TH", "name": "Tổng hợp"}
    problems = refused(document).problems
    assert [str(p) for p in problems] == [
        'task_groups[1].code: must not begin or end with spaces nor hold line breaks: " TH"',
        'officials[1].task_group: unknown task group "TH" (task_groups[1] could not be read, '
        "and it may name a record there)",
    ]


def test_references_are_still_named_one_by_one_when_every_record_was_read():
    document = load("example.json")
    document["officials"][2]["unit"] = "X"
    document["officials"][3]["unit"] = "Y"
    assert [str(p) for p in refused(document).problems] == [
        'officials[2].unit: unknown unit "X"',
        'officials[3].unit: unknown unit "Y"',
    ]


def test_a_task_that_is_not_an_object_leaves_the_rest_of_the_history_checked():
    document = load("example.json")
    events_of_t1 = [j for j, e in enumerate(document["events"]) if e["task"] == "T1"]
    document["tasks"][0] = "T1"
    t2 = next(j for j, e in enumerate(document["events"]) if e["task"] == "T2" and j > 3)
    document["events"][t2]["at"] = "2026-09-01T08:00:00+07:00"  # before T2 was assigned
    refused_import = refused(document)
    paths = [p.path for p in refused_import.problems]
    assert paths[:2] == ["tasks[0]", f"events[{events_of_t1[0]}].task"]
    assert any(path.startswith(f"events[{t2}]") for path in paths[2:]), (
        "the workflow still checked the other tasks"
    )


def test_a_dossier_with_a_problem_is_still_known_to_what_names_it():
    """The dossier describing a procedure has a problem of its own: the feedback about it
    and the later dossiers of its procedure are not refused again for naming it."""
    from thuocdo.citizens.tests.test_exchange import DOCUMENT

    document = copy.deepcopy(DOCUMENT)
    second = copy.deepcopy(document["dossiers"][0])
    for name in ("procedure_name", "processing_days", "steps"):
        del second[name]
    second.update(code="HS-002", events=[])
    document["dossiers"].append(second)
    document["dossiers"][0]["channel"] = "fax"
    assert [(p.path, p.code) for p in refused(document).problems] == [
        ("dossiers[0].channel", "enum")
    ]


# -- messages that do not repeat the field ---------------------------------------------


def test_an_enum_problem_does_not_repeat_the_field_name():
    document = load("example.json")
    document["units"][1]["kind"] = "ward"
    [problem] = refused(document).problems
    assert str(problem) == (
        'units[1].kind: the value "ward" is not allowed; allowed values: city, province, '
        "department, district, commune, division, other"
    )


def test_nor_in_vietnamese():
    from django.utils import translation

    document = load("example.json")
    document["units"][1]["kind"] = "ward"
    with translation.override("vi"), pytest.raises(ImportRejected) as caught:
        import_document(document, on=ON)
    [problem] = caught.value.problems
    assert problem.path == "units[1].kind"
    assert "kind" not in problem.message


def test_discipline_ground_and_level_problems_do_not_name_their_field_again():
    document = load("example.json")
    document["discipline"] = [
        {"official": "CB002", "on": "2026-10-12", "ground": "rumour"},
        {"official": "CB002", "on": "2026-10-12", "level": "scolding"},
    ]
    assert [str(p) for p in refused(document).problems] == [
        'discipline[0].ground: the value "rumour" is not allowed; allowed values: '
        "discipline, degradation, corruption, signal",
        'discipline[1].level: the value "scolding" is not allowed; allowed values: '
        "reprimand, warning, demotion, dismissal",
    ]


def test_a_bad_contact_is_told_without_its_label():
    from thuocdo.citizens.tests.test_exchange import DOCUMENT

    document = copy.deepcopy(DOCUMENT)
    document["dossiers"][0]["applicant_contact"] = "gọi chị Hoa"
    [problem] = refused(document).problems
    assert str(problem) == (
        "dossiers[0].applicant_contact: “gọi chị Hoa” is neither a phone number nor an "
        "e-mail address."
    )


# -- the same problems everywhere ------------------------------------------------------


def test_the_command_the_page_and_the_api_give_the_same_problems(client, tmp_path):
    """In the page's language (Vietnamese), the lines of `thuocdo import`, of the import
    page and of `validate_document` are the same."""
    from django.utils import translation

    document = load("example.json")
    document["tasks"][0]["due"] = "9999-12-31"
    document["units"][1]["kind"] = "ward"
    document["task_groups"] = "LD, TH"
    data = json.dumps(document).encode()
    path = tmp_path / "city.json"
    path.write_bytes(data)
    err = StringIO()
    with translation.override("vi"):
        with pytest.raises(CommandError):
            call_command("import", str(path), "--on", ON.isoformat(), stdout=StringIO(), stderr=err)
        api = [str(p) for p in validate_document(document, on=ON)]
    admin = accounts.user_create(
        email="quantri@example.vn", password=PASSWORD, full_name="Quản trị", is_superuser=True
    )
    client.force_login(admin, backend="thuocdo.accounts.backends.EmailOrOfficialCodeBackend")
    response = client.post(
        reverse("exchange:import"),
        {"document": SimpleUploadedFile("city.json", data), "on": ON.strftime("%d/%m/%Y")},
    )
    assert response.status_code == 400
    page = [str(p) for p in response.context["run"].problems]
    notes = response.context["run"].notes
    assert err.getvalue().splitlines() == page + notes
    assert api == page
    assert [p.path for p in response.context["run"].problems] == [
        "units[1].kind",
        "task_groups",
        "officials[0].task_group",
        "tasks[0].due",
    ]

"""The import and export pages: a check that lists every problem and writes nothing, a
confirmation that imports exactly the file checked (all or nothing, in the audit trail under
the administrator's name), the size limit, CSRF, and an export that imports back unchanged.

(Who may open each page, role by role: tests/routes.py, run by core's permission matrix.)
"""

from __future__ import annotations

import datetime as dt
import json
from io import BytesIO

import pytest
from django.conf import settings
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from thuocdo.accounts import services as accounts
from thuocdo.core.models import AuditEntry
from thuocdo.core.testing import PASSWORD
from thuocdo.exchange.exporter import export_document
from thuocdo.exchange.files import dumps, read_bytes, write_workbook
from thuocdo.exchange.forms import Previewed, checksum
from thuocdo.exchange.services import document_import
from thuocdo.org.models import Official, Unit
from thuocdo.tasks.models import Task

from .conftest import DATA, ON, fingerprint, load

pytestmark = pytest.mark.django_db

IMPORT = reverse("exchange:import")
CONFIRM = reverse("exchange:import_confirm")
DOWNLOAD = reverse("exchange:export_download")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def admin():
    return accounts.user_create(email="quantri@example.vn", password=PASSWORD,
                                full_name="Quản trị", is_superuser=True)


@pytest.fixture
def site(client, admin):
    client.force_login(admin, backend="thuocdo.accounts.backends.EmailOrOfficialCodeBackend")
    return client


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def example_bytes() -> bytes:
    return (DATA / "example.json").read_bytes()


def workbook_bytes(document: dict) -> bytes:
    buffer = BytesIO()
    write_workbook(document, buffer)
    return buffer.getvalue()


def check(site, name: str, data: bytes, on: str = "01/06/2026"):
    return site.post(IMPORT, {"document": upload(name, data), "on": on})


def confirm(site, response, name: str, data: bytes):
    token = response.context["confirm"]["token"].value()
    return site.post(CONFIRM, {"document": upload(name, data), "token": token})


# -- import: the check -----------------------------------------------------------------


def test_a_good_document_is_previewed_without_writing_then_imported_on_confirmation(
        site, admin):
    before = fingerprint()
    data = example_bytes()
    response = check(site, "city.json", data)
    assert response.status_code == 200
    assert fingerprint() == before, "the check writes nothing"
    rows = {row.key: row for row in response.context["keys"]}
    assert (rows["units"].created, rows["officials"].created, rows["tasks"].created) == (6, 5, 3)
    html = response.content.decode()
    assert "HN.CG.DV" in html, "the records created are named"
    assert "city.json" in html and 'action="' + CONFIRM + '"' in html

    response = confirm(site, response, "city.json", data)
    assert response.status_code == 302 and response["Location"] == IMPORT
    assert Unit.objects.filter(code="HN.CG.DV").exists()
    assert Official.objects.count() == 5 and Task.objects.count() == 3
    entry = AuditEntry.objects.get(action="exchange.import")
    assert entry.actor == admin, "the administrator is recorded as the one who imported"
    assert entry.object_code == f"city.json sha256:{checksum(data)}"
    assert entry.changes["counts"]["units"]["created"] == 6
    assert entry.changes["on"] == "2026-06-01", "the day chosen at the check is kept"
    page = site.get(IMPORT).content.decode()
    assert "city.json" in page, "the result is said on the import page"


def test_the_preview_lists_updates_old_to_new_and_the_warnings(site, settings):
    settings.LANGUAGE_CODE = "en"
    document_import(read=lambda: (load("example.json"), None), on=ON)
    example = load("example.json")
    unit = {**example["units"][1], "name": "UBND quận Cầu Giấy (mới)"}
    official = {**example["officials"][1], "task_group": "LD"}  # same day: a same-day fix
    response = check(site, "city.json", dumps({"units": [unit], "officials": [official]}).encode())
    assert response.status_code == 200
    units = next(row for row in response.context["keys"] if row.key == "units")
    assert units.updated == 1
    [change] = units.changes
    assert change == 'HN.CG: name: "UBND quận Cầu Giấy" → "UBND quận Cầu Giấy (mới)"'
    html = response.content.decode()
    assert "UBND quận Cầu Giấy (mới)" in html
    [warning] = response.context["run"].report.warnings
    assert "CB002" in warning and "same-day fix" in warning
    assert "same-day fix" in html


def test_a_document_with_problems_lists_every_one_and_writes_nothing(site):
    before = fingerprint()
    data = (DATA / "broken.json").read_bytes()
    response = check(site, "broken.json", data)
    assert response.status_code == 400
    run = response.context["run"]
    expected = document_import(read=lambda: read_bytes(data, "broken.json"), dry_run=True)
    assert len(run.problems) == 9
    assert [str(p) for p in run.problems] == [str(p) for p in expected.problems], \
        "the same problems as thuocdo import, in the page's language"
    html = response.content.decode()
    assert "units[5].parent" in html and "HN.NOPE" in html
    assert "9 lỗi, không có gì được nhập" in html
    assert response.context.get("confirm") is None, "a refused document cannot be confirmed"
    assert fingerprint() == before
    site.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = check(site, "broken.json", data).content.decode()
    # the page's heading in its language only (the CLI's line says both)
    assert "9 problems, nothing was imported<" in html and "không có gì" not in html


def test_workbook_problems_name_the_sheet_row_and_column(site):
    data = workbook_bytes(load("broken.json"))
    before = fingerprint()
    response = check(site, "broken.xlsx", data)
    assert response.status_code == 400
    places = [p.place() for p in response.context["run"].problems]
    parent = next(p for p in response.context["run"].problems if p.path == "units[5].parent")
    assert parent.where and "units" in parent.where and "7" in parent.where
    assert all(places)
    assert fingerprint() == before


@pytest.mark.parametrize(("name", "data"), [
    ("city.csv", b"code,name\n"),
    ("city.xlsx", b"not a workbook"),
    ("city.json", b'{"units": [}'),
])
def test_an_unreadable_upload_is_a_problem_not_an_error(site, name, data):
    before = fingerprint()
    response = check(site, name, data)
    assert response.status_code == 400
    [problem] = response.context["run"].problems
    assert name in problem.message
    assert fingerprint() == before


def test_a_document_over_the_size_limit_is_refused_with_its_size(site, settings):
    settings.EXCHANGE_UPLOAD_MAX_BYTES = 1000
    settings.LANGUAGE_CODE = "en"
    before = fingerprint()
    response = check(site, "city.json", example_bytes())
    assert response.status_code == 400
    [error] = response.context["form"].errors["document"]
    assert "this page takes documents up to 1000\xa0bytes" in error
    assert "thuocdo import" in error
    assert fingerprint() == before


def test_no_file_is_a_form_error(site):
    response = site.post(IMPORT, {"on": "01/06/2026"})
    assert response.status_code == 400
    assert response.context["form"].errors["document"]


# -- import: the confirmation ----------------------------------------------------------


def test_the_confirmation_imports_only_the_file_that_was_checked(site, settings):
    settings.LANGUAGE_CODE = "en"
    data = example_bytes()
    checked = check(site, "city.json", data)
    before = fingerprint()
    other = load("example.json")
    other["units"][0]["name"] = "Thành phố khác"
    response = confirm(site, checked, "city.json", dumps(other).encode())
    assert response.status_code == 400
    assert "not the file you checked (city.json" in str(
        response.context["confirm"].errors["document"])
    assert fingerprint() == before, "another file is never imported on this confirmation"
    # the same check may still be confirmed with the right file
    response = confirm(site, checked, "city.json", data)
    assert response.status_code == 302
    assert Unit.objects.get(code="HN").name == "UBND Thành phố Hà Nội"


def test_a_workbook_is_confirmed_like_a_json_file(site):
    data = workbook_bytes(load("example.json"))
    response = check(site, "city.xlsx", data)
    assert response.status_code == 200
    assert confirm(site, response, "city.xlsx", data).status_code == 302
    assert Task.objects.count() == 3


def _token(site, data: bytes, **changes) -> str:
    response = check(site, "city.json", data)
    previewed = Previewed.from_token(response.context["confirm"]["token"].value())
    values = {**previewed.__dict__, **changes}
    return Previewed(**values).token()


def test_a_changed_or_foreign_token_imports_nothing(site, admin):
    data = example_bytes()
    other = accounts.user_create(email="khac@example.vn", password=PASSWORD, is_superuser=True)
    before = fingerprint()
    cases = {
        "tampered": _token(site, data)[:-3] + "abc",
        "another account": _token(site, data, user_id=other.pk),
    }
    for why, token in cases.items():
        response = site.post(CONFIRM, {"document": upload("city.json", data), "token": token})
        assert response.status_code == 400, why
        assert response.context["token_errors"], why
        assert fingerprint() == before, why


def test_an_expired_check_imports_nothing(site, monkeypatch):
    data = example_bytes()
    token = _token(site, data)
    before = fingerprint()

    class Later:
        @staticmethod
        def time() -> float:
            return real_time() + 2 * 60 * 60

    real_time = signing.time.time
    monkeypatch.setattr(signing, "time", Later)  # two hours after the check
    response = site.post(CONFIRM, {"document": upload("city.json", data), "token": token})
    assert response.status_code == 400
    assert response.context["token_errors"]
    assert fingerprint() == before


def test_a_confirmation_without_the_file_asks_for_it_and_keeps_the_check(site):
    data = example_bytes()
    checked = check(site, "city.json", data)
    token = checked.context["confirm"]["token"].value()
    response = site.post(CONFIRM, {"token": token})
    assert response.status_code == 400
    assert response.context["confirm"].errors["document"]
    assert response.context["confirm"]["token"].value() == token
    assert not Unit.objects.exists()


def test_when_the_data_changed_since_the_check_nothing_is_imported_and_it_is_checked_again(
        site):
    data = example_bytes()
    checked = check(site, "city.json", data)
    # meanwhile someone imports the units alone
    units_only = {"units": load("example.json")["units"]}
    document_import(read=lambda: (units_only, None), on=ON)
    before = fingerprint()
    response = confirm(site, checked, "city.json", data)
    assert response.status_code == 200
    assert response.context["notice"]
    assert fingerprint() == before, "nothing of the rest was imported"
    units = next(row for row in response.context["keys"] if row.key == "units")
    assert (units.created, units.unchanged) == (0, 6), "the new preview says what it does now"
    assert confirm(site, response, "city.json", data).status_code == 302
    assert Official.objects.count() == 5


def test_when_the_data_changed_so_that_the_document_is_refused_nothing_is_imported(site):
    data = example_bytes()
    checked = check(site, "city.json", data)
    # meanwhile task T1 is imported with another deadline: a recorded assignment is fixed
    other = load("example.json")
    other["tasks"][0]["due"] = "2026-10-16"
    assert document_import(read=lambda: (other, None), on=ON).report is not None
    before = fingerprint()
    response = confirm(site, checked, "city.json", data)
    assert response.status_code == 400
    assert response.context["notice"]
    assert [p.path for p in response.context["run"].problems] == ["tasks[0].due"]
    assert fingerprint() == before


def test_the_forms_keep_csrf(admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin, backend="thuocdo.accounts.backends.EmailOrOfficialCodeBackend")
    response = client.post(IMPORT, {"document": upload("city.json", example_bytes())})
    assert response.status_code == 403
    response = client.post(CONFIRM, {"document": upload("city.json", example_bytes()),
                                     "token": "x"})
    assert response.status_code == 403
    assert not Unit.objects.exists()


# -- export ----------------------------------------------------------------------------


def test_export_downloads_the_document_of_the_cli(site):
    document_import(read=lambda: (load("example.json"), None), on=ON)
    response = site.get(DOWNLOAD, {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    today = dt.date.today()  # noqa: DTZ011 - only the file name's date, compared loosely
    assert response["Content-Disposition"].startswith('attachment; filename="thuocdo-')
    assert str(today.year) in response["Content-Disposition"]
    assert json.loads(response.content) == export_document()
    response = site.get(DOWNLOAD, {"format": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    document, sheets = read_bytes(response.content, "x.xlsx")
    assert sheets is not None
    assert [u["code"] for u in document["units"]] == [u["code"] for u in export_document()["units"]]


@pytest.mark.parametrize(("fmt", "name"), [("json", "city.json"), ("xlsx", "city.xlsx")])
def test_an_export_imported_back_changes_nothing(site, fmt, name):
    document_import(read=lambda: (load("example.json"), None), on=ON)
    exported = site.get(DOWNLOAD, {"format": fmt}).content
    before = fingerprint()
    response = check(site, name, exported, on="")
    assert response.status_code == 200, response.context["run"].problems
    report = response.context["run"].report
    assert not report.changed, report.lines()
    assert all(row.created == row.updated == 0 for row in response.context["keys"])
    assert fingerprint() == before


def test_export_of_an_unknown_format_says_so(site):
    response = site.get(DOWNLOAD, {"format": "csv"})
    assert response.status_code == 400
    assert response.context["form"].errors["format"]


# -- the menu --------------------------------------------------------------------------


def test_the_menu_links_the_exchange_for_administrators_only(world, client_for):
    link = f'href="{IMPORT}"'
    assert link in client_for(world.user("admin")).get(reverse("core:home")).content.decode()
    for role in ("board", "head", "staff"):
        html = client_for(world.user(role)).get(reverse("core:home")).content.decode()
        assert link not in html, role


def test_others_are_told_why_they_may_not(world, client_for, settings):
    settings.LANGUAGE_CODE = "en"
    response = client_for(world.user("board")).get(IMPORT)
    assert response.status_code == 403
    assert "Only an administrator imports" in response.content.decode()
    # A head exports their own units (test_scoped_export.py), not the whole installation.
    response = client_for(world.user("head")).get(DOWNLOAD, {"format": "json"})
    assert response.status_code == 403
    assert "Only an administrator exports" in response.content.decode()


def test_the_same_counts_with_other_changes_is_not_what_was_checked(site):
    """Someone changes the record the document updates between the check and the
    confirmation: still "1 updated", but no longer the change shown (old → new)."""
    document_import(read=lambda: (load("example.json"), None), on=ON)
    renamed = load("example.json")
    renamed["units"][1]["name"] = "Tên mới"
    data = json.dumps(renamed).encode("utf-8")
    checked = check(site, "city.json", data)
    meanwhile = load("example.json")
    meanwhile["units"][1]["name"] = "Tên khác"
    document_import(read=lambda: (meanwhile, None), on=ON)
    before = fingerprint()
    response = confirm(site, checked, "city.json", data)
    assert response.status_code == 200 and response.context["notice"]
    assert fingerprint() == before, "nothing imported"
    assert confirm(site, response, "city.json", data).status_code == 302
    assert Unit.objects.get(code=renamed["units"][1]["code"]).name == "Tên mới"

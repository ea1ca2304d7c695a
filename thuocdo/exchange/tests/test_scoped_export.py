"""Scoped export: one unit's part (the unit and the units below it, the tasks they lead,
optionally of one month), from the command line, the API and the page; only for whoever
reads the unit whole; valid against the schema; and importable into an empty installation,
giving the same tasks and events with chains that verify.

The city: HN above HN.CG (with HN.CG.VP and HN.CG.DV) and HN.BD; HN.SNV is consulted.
HN.CG's tasks in October 2026 are CG-1 (consulted HN.SNV, whose head replied), CG-2
(assigned from HN by its head), CG-4 (open since September) and CG-6 (cancelled in September
but due in October); CG-3 was done in September and CG-5 assigned in November. BD-1 is led by
HN.BD and asks HN.CG's opinion: HN.CG's head sees it, but it is not HN.CG's part.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import jsonschema
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from thuocdo.core.scope import scope_for
from thuocdo.core.testing import SINCE, build_world
from thuocdo.exchange.files import read_path
from thuocdo.exchange.importer import import_document
from thuocdo.exchange.schema import exchange_schema
from thuocdo.exchange.selectors import exchange_document
from thuocdo.org import services as org
from thuocdo.org.models import Official, Unit
from thuocdo.tasks import services as tasks
from thuocdo.tasks.audit import verify_chains
from thuocdo.tasks.models import Task, TaskEvent

from .conftest import ON, fingerprint

pytestmark = pytest.mark.django_db

TZ = timezone.get_fixed_timezone(7 * 60)
DOWNLOAD = reverse("exchange:export_download")
OCTOBER = ["CG-1", "CG-2", "CG-4", "CG-6"]
EVERY_CG = ["CG-1", "CG-2", "CG-3", "CG-4", "CG-5", "CG-6"]


def at(month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=TZ)


def build_city():
    """The test world (thuocdo.core.testing), the heads of HN, HN.SNV and HN.BD, directives,
    a calendar day, and the tasks of the module's docstring, all through the services (every
    deadline on a working day)."""
    w = build_world()
    for code, name, unit in (("HN.HEAD", "Trần Sỹ Thanh", "HN"),
                             ("SNV.HEAD", "Vũ Thu Hà", "HN.SNV"),
                             ("BD.HEAD", "Ngô Văn Quý", "HN.BD")):
        w.officials[code] = org.official_create(code=code, name=name,
                                                email=f"{code.lower()}@example.vn")
        org.membership_start(official=w.officials[code], unit=w.units[unit], position="head",
                             task_group=w.groups["TH"], start=SINCE)
    import_document({"calendar": {"holidays": ["2026-09-01"], "workdays": []}}, on=ON)
    product = tasks.product_create(code="BC", name="Báo cáo", coefficient=Decimal(1))
    tasks.product_create(code="QPPL", name="Dự thảo văn bản", coefficient=Decimal(3))
    city = tasks.directive_create(code="24-CT/TU", title="Chỉ thị 24", issued_by=w.units["HN"],
                                  issued_on=dt.date(2023, 8, 7))
    plan = tasks.directive_create(code="KH-CG", title="Kế hoạch của quận",
                                  issued_by=w.units["HN.CG"], issued_on=dt.date(2023, 9, 1),
                                  answers=city)
    tasks.directive_create(code="KH-BD", title="Kế hoạch Ba Đình", issued_by=w.units["HN.BD"],
                           issued_on=dt.date(2023, 9, 2), answers=city)

    def assign(code, unit, lead, by, when, due, **more):
        return tasks.task_assign(code=code, title=f"Việc {code}", product=product,
                                 lead_unit=w.units[unit], lead_official=w.officials[lead],
                                 assigned_by=w.officials[by], at=when, due=due,
                                 allow_past_due=True, **more)

    def act(task, kind, who, when, **data):
        tasks.task_act(task=task, kind=kind, actor=w.officials[who], at=when, data=data)

    t1 = assign("CG-1", "HN.CG.VP", "CG.STAFF", "CG.HEAD", at(10, 1, 8), dt.date(2026, 10, 15),
                directive=plan, coordinating=[(w.units["HN.CG.DV"], dt.date(2026, 10, 9))])
    act(t1, "accept", "CG.STAFF", at(10, 1))
    act(t1, "consult", "CG.STAFF", at(10, 2), to_unit="HN.SNV", reply_due="2026-10-09",
        question="Cho ý kiến")
    act(t1, "consult_reply", "SNV.HEAD", at(10, 5), unit="HN.SNV", clear_position=True,
        answer="Thống nhất")
    act(t1, "submit", "CG.STAFF", at(10, 14))
    act(t1, "approve", "CG.HEAD", at(10, 15))
    t2 = assign("CG-2", "HN.CG", "CG.DEP", "HN.HEAD", at(10, 2), dt.date(2026, 10, 20),
                directive=city)
    act(t2, "accept", "CG.DEP", at(10, 2, 10))
    act(t2, "submit", "CG.DEP", at(10, 19))
    act(t2, "approve", "HN.HEAD", at(10, 20))
    t3 = assign("CG-3", "HN.CG.DV", "DV.HEAD", "CG.HEAD", at(9, 2), dt.date(2026, 9, 21))
    act(t3, "accept", "DV.HEAD", at(9, 2, 10))
    act(t3, "submit", "DV.HEAD", at(9, 18))
    act(t3, "approve", "CG.HEAD", at(9, 19))
    t4 = assign("CG-4", "HN.CG.VP", "CG.STAFF2", "CG.DEP", at(9, 10), dt.date(2026, 11, 30))
    act(t4, "accept", "CG.STAFF2", at(9, 10, 10))
    act(t4, "remind", "CG.HEAD", at(10, 20), note="Đôn đốc")
    assign("CG-5", "HN.CG.VP", "CG.STAFF", "CG.HEAD", at(11, 2), dt.date(2026, 11, 20))
    t6 = assign("CG-6", "HN.CG.VP", "CG.STAFF", "CG.HEAD", at(9, 4), dt.date(2026, 10, 9))
    act(t6, "cancel", "CG.HEAD", at(9, 8), reason="Không còn cần")
    b1 = assign("BD-1", "HN.BD.VP", "BD.STAFF", "BD.HEAD", at(10, 3), dt.date(2026, 10, 20))
    act(b1, "accept", "BD.STAFF", at(10, 3, 10))
    act(b1, "consult", "BD.STAFF", at(10, 5), to_unit="HN.CG", reply_due="2026-10-09")
    return w


@pytest.fixture
def city():
    return build_city()


def codes(records) -> list[str]:
    return [record["code"] for record in records]


def history(task_codes) -> dict:
    """What the round trip must keep: each task's state, holder, deadline in force and the
    end of its chain, and every event with its hash."""
    found = {code: (state, unit, official, due, version, last_hash, done_at)
             for code, state, unit, official, due, version, last_hash, done_at in
             Task.objects.filter(code__in=task_codes).values_list(
                 "code", "state", "holder_unit__code", "holder_official__code",
                 "due_in_force", "version", "last_hash", "done_at")}
    found["events"] = list(TaskEvent.objects.filter(task__code__in=task_codes).order_by(
        "task__code", "seq").values_list("task__code", "seq", "kind", "at", "actor__code",
                                         "data", "hash"))
    return found


def cli(*args) -> dict:
    out = StringIO()
    call_command("export", *args, stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


# -- what the part holds ---------------------------------------------------------------


def test_the_command_exports_exactly_the_units_tasks(city):
    document = cli("--unit", "HN.CG", "--period", "2026-10")
    assert codes(document["tasks"]) == OCTOBER
    assert {event["task"] for event in document["events"]} == set(OCTOBER)
    # Tasks go whole: CG-4's acceptance in September is there with its October reminder.
    assert [e["kind"] for e in document["events"] if e["task"] == "CG-4"] == ["accept",
                                                                              "remind"]
    assert codes(cli("--unit", "HN.CG")["tasks"]) == EVERY_CG
    assert codes(cli("--unit", "HN.CG.DV")["tasks"]) == ["CG-3"]
    assert codes(cli("--unit", "HN.CG.VP", "--period", "2026-11")["tasks"]) == ["CG-4", "CG-5"]
    assert set(document) == {"format", "calendar", "units", "task_groups", "officials",
                             "products", "directives", "tasks", "events"}


def test_the_part_carries_what_its_tasks_name_and_nothing_else(city):
    document = cli("--unit", "HN.CG", "--period", "2026-10")
    # The subtree, the consulted HN.SNV, and HN above both; not HN.BD nor HN.SNV.TCCB.
    assert codes(document["units"]) == ["HN", "HN.CG", "HN.CG.DV", "HN.CG.VP", "HN.SNV"]
    officials = {record["code"]: record for record in document["officials"]}
    assert sorted(officials) == ["CG.DEP", "CG.HEAD", "CG.STAFF", "CG.STAFF2", "DV.HEAD",
                                 "HN.HEAD", "SNV.HEAD"]
    # Those of the unit in full; the assigner above and the consulted head by their place.
    assert officials["CG.HEAD"]["email"] == "cg.head@example.vn"
    assert officials["HN.HEAD"] == {"code": "HN.HEAD", "name": "Trần Sỹ Thanh", "unit": "HN",
                                    "position": "head", "task_group": "TH",
                                    "since": SINCE.isoformat()}
    assert "email" not in officials["SNV.HEAD"]
    assert codes(document["task_groups"]) == ["CM", "TH"]
    assert codes(document["products"]) == ["BC"]
    # The unit's plan, and the city's directive it answers (which CG-2 carries out too).
    assert codes(document["directives"]) == ["24-CT/TU", "KH-CG"]
    assert document["calendar"] == {"holidays": ["2026-09-01"], "workdays": []}


def test_the_part_is_valid_against_the_schema(city):
    validator = jsonschema.Draft202012Validator(exchange_schema())
    for args in (("--unit", "HN.CG"), ("--unit", "HN.CG", "--period", "2026-10"),
                 ("--unit", "HN.BD"), ("--unit", "HN.SNV.TCCB")):
        document = cli(*args)
        assert not list(validator.iter_errors(document)), args


def test_a_unit_without_tasks_exports_its_officials_and_the_tree_above(city):
    document = cli("--unit", "HN.SNV.TCCB", "--period", "2026-10")
    assert document["tasks"] == document["events"] == []
    assert codes(document["units"]) == ["HN", "HN.SNV", "HN.SNV.TCCB"]
    assert document["officials"] == []


def test_the_export_reads_a_few_queries_whatever_the_number_of_tasks(city):
    def queries(unit: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            cli("--unit", unit)
        return len(captured.captured_queries)

    few, many = queries("HN.CG.DV"), queries("HN.CG")
    assert many == few <= 20


# -- round trip --------------------------------------------------------------------------


def test_a_part_imports_into_an_empty_installation_with_the_same_history():
    with transaction.atomic():
        build_city()
        document = cli("--unit", "HN.CG", "--period", "2026-10")
        before = history(OCTOBER)
        transaction.set_rollback(True)
    assert not Unit.objects.exists() and not Task.objects.exists()
    report = import_document(document, on=ON)
    assert report.counts["tasks"].created == len(OCTOBER)
    assert history(OCTOBER) == before
    assert sorted(Task.objects.values_list("code", flat=True)) == OCTOBER
    assert list(verify_chains()) == []
    # Exported again from there: the same document.
    assert cli("--unit", "HN.CG", "--period", "2026-10") == document


def test_a_workbook_of_the_part_imports_too(tmp_path):
    path = tmp_path / "cg.xlsx"
    with transaction.atomic():
        build_city()
        call_command("export", "--unit", "HN.CG", "-o", str(path), stdout=StringIO())
        before = history(EVERY_CG)
        transaction.set_rollback(True)
    import_document(read_path(path), on=ON)
    assert history(EVERY_CG) == before
    assert list(verify_chains()) == []


def test_a_part_imported_back_where_it_came_from_changes_nothing(city):
    """The officials from outside come without e-mail: their stored one stays."""
    document = cli("--unit", "HN.CG", "--period", "2026-10")
    before = fingerprint()
    assert not import_document(document, on=ON + dt.timedelta(days=200)).changed
    assert fingerprint() == before
    assert Official.objects.get(code="HN.HEAD").email == "hn.head@example.vn"


# -- who may -----------------------------------------------------------------------------


def test_leaders_the_board_and_inspectors_export_their_units(city):
    for role in ("head", "deputy", "board", "inspector"):
        document = exchange_document(scope=scope_for(city.user(role)), unit="HN.CG",
                                     period="2026-10")
        assert codes(document["tasks"]) == OCTOBER, role


@pytest.mark.usefixtures("english")
def test_a_head_may_not_export_another_unit_nor_staff_their_own(city):
    from thuocdo.core.errors import PermissionDeniedError, ServiceError

    head = scope_for(city.user("head"))
    with pytest.raises(PermissionDeniedError) as refused:
        exchange_document(scope=head, unit="HN.BD")
    assert refused.value.service_code == "exchange_export"
    assert "You may not export UBND quận Ba Đình (HN.BD)" in refused.value.service_message
    with pytest.raises(PermissionDeniedError):
        exchange_document(scope=head, unit="HN")  # the unit above
    with pytest.raises(PermissionDeniedError):
        exchange_document(scope=head)  # the whole installation
    with pytest.raises(PermissionDeniedError):
        exchange_document(scope=scope_for(city.user("staff")), unit="HN.CG.VP")
    with pytest.raises(ServiceError) as unknown:
        exchange_document(scope=head, unit="HN.NOPE")
    assert unknown.value.service_code == "unknown_unit"


# -- the command line ------------------------------------------------------------------


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(("args", "message"), [
    (("--unit", "HN.NOPE"), "unknown unit “HN.NOPE”"),
    (("--unit", "HN.CG", "--period", "2026-13"), "--period: not a month (YYYY-MM"),
    (("--period", "2026-10"), "Choose the unit"),
])
def test_the_command_says_what_is_wrong(city, args, message):
    with pytest.raises(CommandError) as caught:
        cli(*args)
    assert message in str(caught.value)


# -- the API -----------------------------------------------------------------------------


def api(user, **query):
    client = APIClient()
    client.force_authenticate(user)
    return client.get(reverse("api:exchange-export"), query)


def test_the_api_exports_the_part(city):
    response = api(city.user("head"), unit="HN.CG", period="2026-10")
    assert response.status_code == 200
    document = response.json()
    assert codes(document["tasks"]) == OCTOBER
    assert document == cli("--unit", "HN.CG", "--period", "2026-10")
    assert codes(api(city.user("admin")).json()["tasks"]) == sorted([*EVERY_CG, "BD-1"])


@pytest.mark.usefixtures("english")
def test_the_api_refuses_another_unit_with_the_reason(city):
    response = api(city.user("head"), unit="HN.BD")
    assert response.status_code == 403
    assert response.json()["code"] == "exchange_export"
    assert "HN.BD" in response.json()["message"]  # the refusal names the unit
    assert api(city.user("staff"), unit="HN.CG").status_code == 403
    assert api(city.user("head")).status_code == 403
    response = api(city.user("head"), unit="HN.CG", period="10-2026")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_period"


# -- the page ----------------------------------------------------------------------------


def test_the_page_offers_a_head_their_units_only(city, client_for, settings):
    settings.LANGUAGE_CODE = "en"
    response = client_for(city.user("head")).get(reverse("exchange:export"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="HN.CG"' in html and 'value="HN.CG.DV"' in html
    assert 'value="HN.BD"' not in html
    assert "The whole installation" not in html
    assert f'href="{reverse("exchange:import")}"' not in html
    assert f'href="{reverse("exchange:export")}"' in html  # in the menu and the tab
    html = client_for(city.user("admin")).get(reverse("exchange:export")).content.decode()
    assert "The whole installation" in html and 'value="HN.BD"' in html


def test_the_page_downloads_the_part(city, client_for):
    response = client_for(city.user("head")).get(
        DOWNLOAD, {"unit": "HN.CG", "period": "10/2026", "format": "json"})
    assert response.status_code == 200
    assert 'filename="thuocdo-HN.CG-2026-10-' in response["Content-Disposition"]
    assert json.loads(response.content) == cli("--unit", "HN.CG", "--period", "2026-10")
    response = client_for(city.user("board")).get(
        DOWNLOAD, {"unit": "HN.CG.VP", "format": "xlsx"})
    assert response.status_code == 200
    assert response.content.startswith(b"PK")


def test_the_page_refuses_another_unit_with_the_reason(city, client_for, settings):
    settings.LANGUAGE_CODE = "en"
    client = client_for(city.user("head"))
    response = client.get(DOWNLOAD, {"unit": "HN.BD", "format": "json"})
    assert response.status_code == 403
    assert "You may not export" in response.content.decode()
    response = client_for(city.user("staff")).get(reverse("exchange:export"))
    assert response.status_code == 403
    assert "Only an administrator, or a leader" in response.content.decode()


def test_the_page_says_what_is_wrong(city, client_for):
    client = client_for(city.user("admin"))
    response = client.get(DOWNLOAD, {"unit": "HN.CG", "period": "13/2026", "format": "json"})
    assert response.status_code == 400
    assert response.context["form"].errors["period"]
    response = client.get(DOWNLOAD, {"unit": "", "period": "10/2026", "format": "json"})
    assert response.status_code == 400
    assert response.context["form"].errors["unit"]
    response = client.get(DOWNLOAD, {"unit": "HN.NOPE", "format": "json"})
    assert response.status_code == 400
    assert response.context["form"].errors["unit"]

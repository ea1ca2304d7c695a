"""The staff lists of feedback and dossiers: filters by unit (with or without its sub-units),
received dates, overdue, status and mine, sort orders, an xlsx export that follows them, in
a number of queries that does not grow with the rows; actions offered only to those who may
take them; the service index's unit chosen from the caller's units."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext, pgettext
from openpyxl import load_workbook

from thuocdo.citizens import services
from thuocdo.citizens.choices import count_labels

from . import factories

VN = dt.timezone(dt.timedelta(hours=7))
pytestmark = pytest.mark.django_db


def at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=VN)


def codes(html: str, prefix: str) -> list[str]:
    """The codes linked from the list's rows, in the order shown."""
    return re.findall(rf'href="/citizens/{prefix}/([^/"]+)/">', html)


def sheet_rows(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return list(sheet.iter_rows(values_only=True))


@pytest.fixture
def cases(world):
    """PA-1 at HN.CG.VP (1/10, unanswered: overdue), PA-2 at HN.CG.DV (20/10, answered),
    PA-3 at HN.CG (today, a complaint naming CG.STAFF), PA-BD at Ba Đình."""
    factories.feedback(world, "PA-1", submitted_at=at("2026-10-01"))
    second = factories.feedback(world, "PA-2", unit="HN.CG.DV", submitted_at=at("2026-10-20"))
    services.feedback_reply(user=None, actor=world.officials["DV.HEAD"], feedback=second,
                            answer="Đã sửa xong đèn đường.", now=at("2026-10-21"))
    factories.feedback(world, "PA-3", unit="HN.CG", kind="complaint", official="CG.STAFF",
                       contact_name="Nguyễn Thị Hạnh")
    factories.feedback(world, "PA-BD", unit="HN.BD.VP", submitted_at=at("2026-10-05"))
    return world


def test_the_inbox_filters_by_unit_dates_and_overdue(cases, client_for):
    head = client_for(cases.users["head"])
    assert sorted(codes(head.get("/citizens/").content.decode(), "feedback")) == [
        "PA-1", "PA-2", "PA-3"]
    for query, expected in (
        ("unit=HN.CG", ["PA-1", "PA-2", "PA-3"]),
        ("unit=HN.CG&subunits=0", ["PA-3"]),
        ("unit=HN.CG.DV", ["PA-2"]),
        ("received_from=2026-10-02&received_to=2026-10-31", ["PA-2"]),
        ("received_to=2026-10-01", ["PA-1"]),
        ("overdue=on", ["PA-1"]),
        ("status=answered", ["PA-2"]),
        ("sort=-submitted", ["PA-3", "PA-2", "PA-1"]),
        ("sort=submitted", ["PA-1", "PA-2", "PA-3"]),
        ("sort=-code", ["PA-3", "PA-2", "PA-1"]),
    ):
        page = head.get(f"/citizens/?{query}").content.decode()
        found = codes(page, "feedback")
        assert (sorted(found) if "sort" not in query else found) == expected, query
    page = head.get("/citizens/?unit=HN.BD.VP").content.decode()
    assert 'value="HN.BD.VP"' not in page, "the units offered are the caller's"
    assert codes(page, "feedback") == [], "a unit out of scope lists nothing, never more"
    # and says why, as the other lists do (not only "0 cases", nor that there is none)
    assert gettext("These filters cannot be applied, so nothing is listed:") in page
    assert gettext("No feedback.") not in page


@pytest.mark.parametrize("url,listed", [("/citizens/export.xlsx", "/citizens/"),
                                        ("/citizens/dossiers/export.xlsx",
                                         "/citizens/dossiers/")])
def test_an_export_with_a_filter_that_is_not_valid_exports_nothing(cases, client_for, url,
                                                                    listed):
    """Back to the list, which names the wrong fields (core/filters.py)."""
    head = client_for(cases.users["head"])
    query = "unit=HN.BD.VP&received_from=2026-10-31&received_to=2026-10-01"
    response = head.get(f"{url}?{query}")
    assert response.status_code == 302 and response["Location"] == f"{listed}?{query}"
    page = head.get(response["Location"])
    said = " ".join(str(m) for m in page.context["messages"])
    assert said.startswith(gettext("Nothing was exported: correct these filters first. "
                                   "%(problems)s") % {"problems": ""})
    assert str(page.context["form"].fields["unit"].label) in said
    assert str(page.context["form"].fields["received_to"].label) in said


def test_the_inbox_export_follows_the_filters_without_the_submitters(cases, client_for):
    head = client_for(cases.users["head"])
    page = head.get("/citizens/?unit=HN.CG&sort=-submitted&page=1").content.decode()
    assert ('href="/citizens/export.xlsx?unit=HN.CG&amp;sort=-submitted"' in page)
    rows = sheet_rows(head.get("/citizens/export.xlsx?unit=HN.CG&sort=-submitted"))
    assert rows[0][:3] == (gettext("Tracking code"), gettext("Kind"), gettext("Category"))
    assert [row[0] for row in rows[1:]] == ["PA-3", "PA-2", "PA-1"]
    overdue = rows[0].index(gettext("Overdue"))
    assert [row[overdue] for row in rows[1:]] == [None, None, gettext("Yes")]
    assert rows[3][rows[0].index(gettext("Submitted at"))] == at("2026-10-01").replace(
        tzinfo=None), "a real date and time, local"
    text = str(rows)
    assert "Nguyễn Thị Hạnh" not in text and "0987654321" not in text
    rows = sheet_rows(head.get("/citizens/export.xlsx?overdue=on"))
    assert [row[0] for row in rows[1:]] == ["PA-1"]
    outsider = client_for(cases.users["outsider"])
    assert [row[0] for row in sheet_rows(outsider.get("/citizens/export.xlsx"))[1:]] == [
        "PA-BD"]


@pytest.fixture
def dossiers(world):
    """Received at HN.CG.VP: D-1 (1/10) and D-2 (15/10, online), both past their deadline;
    D-3 today, moved on to its last step at HN.CG. D-BD at Ba Đình."""
    factories.dossier(world, "D-1", received_at=at("2026-10-01"))
    factories.dossier(world, "D-2", received_at=at("2026-10-15"), channel="online")
    third = factories.dossier(world, "D-3")
    third = services.dossier_move(user=world.users["staff"], dossier=third)
    services.dossier_move(user=world.users["staff"], dossier=third,
                          to_official=world.officials["CG.HEAD"])
    factories.dossier(world, "D-BD", received_at=at("2026-10-05"))
    return world


def test_the_dossier_list_filters_and_sorts(dossiers, client_for):
    head = client_for(dossiers.users["head"])
    for query, expected in (
        ("", ["D-1", "D-2", "D-3"]),
        ("unit=HN.CG.VP", ["D-1", "D-2", "D-3"]),
        ("unit=HN.CG&subunits=0", ["D-3"]),
        ("unit=HN.CG.DV", []),
        ("received_from=2026-10-10&received_to=2026-10-31", ["D-2"]),
        ("received_to=2026-10-01", ["D-1"]),
        ("overdue=1", ["D-1", "D-2"]),
        ("status=done", []),
        ("mine=1", ["D-3"]),
        ("sort=-received", ["D-3", "D-2", "D-1"]),
        ("sort=-due", ["D-3", "D-2", "D-1"]),
        ("sort=-code&overdue=1", ["D-2", "D-1"]),
    ):
        page = head.get(f"/citizens/dossiers/?{query}").content.decode()
        assert codes(page, "dossier") == expected, query
    page = head.get("/citizens/dossiers/?received_from=2026-10-31&received_to=2026-10-01")
    assert gettext("The end is before the start.") in page.content.decode()
    assert (gettext("These filters cannot be applied, so nothing is listed:")
            in page.content.decode())


def test_the_dossier_export_follows_the_filters(dossiers, client_for):
    head = client_for(dossiers.users["head"])
    rows = sheet_rows(head.get("/citizens/dossiers/export.xlsx?overdue=1&sort=-received"))
    assert rows[0][:3] == (gettext("Code"), gettext("Procedure"), gettext("Applicant"))
    assert [row[0] for row in rows[1:]] == ["D-2", "D-1"]
    assert "0912345678" not in str(rows), "no applicant's contact"
    received = rows[0].index(pgettext("dossier channel", "Received"))
    assert rows[1][received] == gettext("Online")
    assert rows[2][rows[0].index(gettext("Deadline in force"))].date() == dt.date(2026, 10, 12)
    rows = sheet_rows(head.get("/citizens/dossiers/export.xlsx?unit=HN.CG&subunits=0"))
    assert [row[0] for row in rows[1:]] == ["D-3"]


@pytest.mark.parametrize("url", ["/citizens/", "/citizens/export.xlsx",
                                 "/citizens/dossiers/", "/citizens/dossiers/export.xlsx"])
def test_the_lists_read_in_a_number_of_queries_that_does_not_grow(world, client_for, url):
    head = client_for(world.users["head"])
    for n in range(2):
        factories.feedback(world, f"PA-{n}")
        factories.dossier(world, f"D-{n}")
    head.get(url)
    with CaptureQueriesContext(connection) as few:
        head.get(url)
    for n in range(2, 8):
        factories.feedback(world, f"PA-{n}", unit="HN.CG.DV")
        factories.dossier(world, f"D-{n}")
    with CaptureQueriesContext(connection) as many:
        head.get(url)
    assert len(many) == len(few), url


def test_reception_is_offered_only_to_who_receives(world, client_for):
    """The review's defect: the inspector was offered "Receive a dossier", which is 403."""
    factories.procedure(world)
    factories.procedure(world, "P-BD")
    for role, offered in (("staff", True), ("head", True), ("inspector", False),
                          ("board", False), ("admin", False), ("outsider", True)):
        page = client_for(world.users[role]).get("/citizens/dossiers/").content.decode()
        assert ("/citizens/dossiers/receive/" in page) is offered, role
    form = client_for(world.users["staff"]).get("/citizens/dossiers/receive/").content.decode()
    assert 'value="P-CG"' in form and 'value="P-BD"' not in form


def test_no_reception_without_a_procedure_of_ones_counter(world, client_for):
    factories.procedure(world)
    outsider = client_for(world.users["outsider"])
    assert "/citizens/dossiers/receive/" not in outsider.get(
        "/citizens/dossiers/").content.decode()
    assert outsider.get("/citizens/dossiers/receive/").status_code == 403


def test_a_finding_is_decided_only_by_who_may(world, client_for):
    """The page offered a decision on a finding to the leaders of the case's unit; the
    service lets only a leader of the official's unit decide. A complaint about CG.STAFF
    (HN.CG.VP) went to HN.CG.DV, whose head DV.HEAD verified it: the head of HN.CG decides,
    DV.HEAD is not offered."""
    from thuocdo.accounts import services as accounts
    from thuocdo.core.testing import PASSWORD

    complaint = factories.feedback(world, "PA-F", unit="HN.CG.VP", kind="complaint",
                                   official="CG.STAFF", submitted_at=at("2026-10-05"))
    complaint = services.feedback_forward(
        user=None, actor=world.officials["CG.HEAD"], feedback=complaint,
        to_unit=world.units["HN.CG.DV"], reason="Việc của phường", now=at("2026-10-06"))
    dv_head = world.officials["DV.HEAD"]
    services.feedback_verify(user=None, actor=dv_head, feedback=complaint, result="verified",
                             note="Đúng là hồ sơ bị giữ quá lâu", now=at("2026-10-08"))
    user = accounts.user_create(email=dv_head.email, password=PASSWORD, official=dv_head)
    page = client_for(user).get("/citizens/feedback/PA-F/").content.decode()
    assert "/citizens/finding/decide/PA-F/" not in page
    head = client_for(world.users["head"]).get("/citizens/feedback/PA-F/").content.decode()
    assert "/citizens/finding/decide/PA-F/" in head


def test_the_index_unit_is_chosen_from_the_callers_units(world, client_for):
    head = client_for(world.users["head"])
    page = head.get("/citizens/index/").content.decode()
    options = re.findall(r'<option value="([^"]+)"( selected)?>', page)
    assert options[0][0] == "HN.CG", "in tree order"
    assert sorted(code for code, _selected in options) == ["HN.CG", "HN.CG.DV", "HN.CG.VP"]
    assert dict(options)["HN.CG"] == " selected", "the default unit is shown chosen"
    assert 'name="unit"' in page and 'type="text" name="unit"' not in page
    chosen = head.get("/citizens/index/?unit=HN.CG.DV&start=2026-10-01&end=2026-10-31")
    assert '<option value="HN.CG.DV" selected>' in chosen.content.decode()
    # the period's days, sent as a link sends them, are shown as a person writes them
    assert 'name="start" value="01/10/2026"' in chosen.content.decode()
    assert 'name="end" value="31/10/2026"' in chosen.content.decode()
    assert head.get("/citizens/index/?unit=HN.BD&start=2026-10-01").status_code == 400


def test_the_index_export_names_its_figures_as_the_page_does(world, client_for):
    factories.dossier(world, "D-1", received_at=at("2026-10-01"))
    head = client_for(world.users["head"])
    query = "unit=HN.CG&start=2026-10-01&end=2026-10-31"
    page = head.get(f"/citizens/index/?{query}").content.decode()
    response = head.get(f"/citizens/index/export.xlsx?{query}")
    book = load_workbook(io.BytesIO(response.content))
    title = book.active.title
    assert title == pgettext("xlsx sheet", "Service index") and len(title) <= 31
    labels = count_labels()
    first = {row[0]: row[1] for row in book.active.iter_rows(values_only=True) if row}
    assert first[labels["dossiers_received"]] == 1
    for key, label in labels.items():
        assert label in first, key
        assert key not in first, f"{key}: an identifier, not a label"
        assert f"<td>{label}</td>" in page, key

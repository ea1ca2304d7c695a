"""One official's card as a sheet laid out like the form officials file (card_sheets): every
task, every deduction with its event, the components, the points and the grade, as the card
holds them; the names beside the codes read once for many cards."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import Workbook

from thuocdo.evaluations import services
from thuocdo.evaluations.card_sheets import SheetNames, sheet_title, write_card
from thuocdo.evaluations.models import ScoreCard

from .helpers import CASES, load_golden, read


@pytest.fixture
def late_cards(db):
    """Golden case 01 (on-time and late work), scored."""
    load_golden(read(CASES[0]))
    services.period_score(period=services.period_open(label="2026-10"))
    return {c.official.code: c for c in ScoreCard.objects.select_related(
        "official", "unit", "agency", "period", "reviewed_by", "approved_by")}


def _sheet(card: ScoreCard, names: SheetNames | None = None):
    book = Workbook()
    sheet = book.active
    with translation.override("en"):
        write_card(sheet, card, names or SheetNames.read([card]))
    return sheet


def _rows(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


def _value(rows: list[tuple], label: str):
    [row] = [r for r in rows if r and r[0] == label]
    return row[2]


def test_the_sheet_lists_every_task_and_deduction_with_the_cards_numbers(late_cards):
    card = late_cards["CB003"]  # two tasks, each handed in late: two delays
    rows = _rows(_sheet(card))
    assert rows[0][0] == "ASSESSMENT AND GRADING OF AN OFFICIAL"
    assert _value(rows, "Official code") == "CB003"
    tasks = [r for r in rows if isinstance(r[0], int) and r[1] in {"T5", "T6"}
             and r[8] in {"yes", "no"}]
    assert [r[1] for r in tasks] == [line["task"] for line in card.data["tasks"]]
    assert [r[7] for r in tasks] == [dt.date(2026, 10, 15), dt.date(2026, 10, 20)]
    sheet = _sheet(card)
    [deadline] = [c for c in sheet["H"] if c.value == dt.date(2026, 10, 15)]
    assert deadline.number_format == "DD/MM/YYYY", "shown dd/mm/yyyy"
    assert _value(rows, "c (progress)") == card.data["progress"] == 0.75
    assert _value(rows, "Task points") == float(card.task_points) == 64.17
    start = rows.index(next(r for r in rows if r[0] == "Deductions"))
    deductions = [r for r in rows[start + 2:] if isinstance(r[0], int)][:2]
    assert [(r[1], r[4], r[5]) for r in deductions] == [
        (d["task"], d["points"], f"#{d['event']}") for d in card.data["deductions"]
        if d["kind"] == "delay"]
    assert sum(r[4] for r in deductions) == pytest.approx(70 - 64.17)
    assert _value(rows, "Total (out of 100)") == (float(card.total) if card.total else None)
    assert _value(rows, "Grade") == (card.grade or "—")
    assert _value(rows, "Status") == "Draft"


def test_a_card_without_products_says_so(late_cards):
    rows = _rows(_sheet(late_cards["CB001"]))  # the head leads no task this month
    assert any("No product assigned in the period" in (r[1] or "") for r in rows if r)
    assert _value(rows, "Task points") is None and _value(rows, "Grade") == "—"


def test_names_are_read_once_for_all_cards(late_cards):
    cards = list(late_cards.values())
    with CaptureQueriesContext(connection) as one:
        SheetNames.read(cards[:1])
    with CaptureQueriesContext(connection) as every:
        names = SheetNames.read(cards)
    assert len(one) <= len(every) <= 3
    with CaptureQueriesContext(connection) as writing:
        book = Workbook()
        for card in cards:
            write_card(book.create_sheet(), card, names)
    assert len(writing) == 0, "nothing read per card"


def test_sheet_titles_are_valid_and_unique():
    class Card:
        def __init__(self, code):
            self.official = type("O", (), {"code": code})()

    taken: set[str] = set()
    titles = [sheet_title(Card(code), taken) for code in ("HN/VP:01", "hn-vp-01", "A" * 40)]
    assert titles[0] == "HN-VP-01" and titles[1] != titles[0]
    assert titles[1].lower() != titles[0].lower() and len(titles[2]) <= 31


# -- the downloads -------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, late_cards):
    from thuocdo.accounts import services as accounts

    admin = accounts.user_create(email="admin@example.vn", password="Thuocdo-test-2026",
                                 full_name="Quản trị", is_superuser=True)
    client.force_login(admin,
                       backend="thuocdo.accounts.backends.EmailOrOfficialCodeBackend")
    return client


def _book(response):
    import io

    from openpyxl import load_workbook

    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content))


def test_the_unit_export_adds_each_officials_form_after_the_summary(admin_client, late_cards):
    from django.urls import reverse

    card = late_cards["CB003"]
    unit = card.unit.code
    book = _book(admin_client.get(reverse("evaluations:unit_export",
                                          kwargs={"label": "2026-10", "code": unit})))
    summary = book.worksheets[0]
    listed = [r[1] for r in summary.iter_rows(min_row=6, values_only=True) if r[0]]
    assert listed and book.sheetnames[1:] == listed, "one form per card, in the table's order"
    form = book[card.official.code]
    with translation.override("vi"):  # the language the pages are served in
        assert form["A1"].value == translation.gettext("ASSESSMENT AND GRADING OF AN OFFICIAL")
    codes = [row[1] for row in form.iter_rows(values_only=True)]
    assert "T5" in codes and "T6" in codes
    # the filters narrow the forms too
    book = _book(admin_client.get(reverse("evaluations:unit_export",
                                          kwargs={"label": "2026-10", "code": unit}),
                                  {"grade": "none"}))
    assert book.sheetnames[1:] == [r[1] for r in book.worksheets[0].iter_rows(
        min_row=6, values_only=True) if r[0]]
    assert card.official.code not in book.sheetnames[1:]


def test_the_card_page_downloads_its_form(admin_client, late_cards):
    from django.urls import reverse

    url = reverse("evaluations:card_export", kwargs={"label": "2026-10", "official": "CB003"})
    page = admin_client.get(reverse("evaluations:card_detail",
                                    kwargs={"label": "2026-10", "official": "CB003"}))
    assert f'href="{url}"' in page.content.decode()
    response = admin_client.get(url)
    assert response["Content-Disposition"] == 'attachment; filename="phieu-2026-10-CB003.xlsx"'
    book = _book(response)
    assert book.sheetnames == ["CB003"]
    rows = list(book.active.iter_rows(values_only=True))
    assert ("CB003" in (r[2] for r in rows if r)), "the official's code"


def test_past_the_limit_the_export_says_where_the_forms_are(admin_client, late_cards,
                                                            monkeypatch):
    from django.urls import reverse

    from thuocdo.evaluations import views

    monkeypatch.setattr(views, "CARD_FORMS", 1)
    book = _book(admin_client.get(reverse("evaluations:unit_export", kwargs={
        "label": "2026-10", "code": late_cards["CB003"].unit.code})))
    assert len(book.sheetnames) == 1, "the summary alone"
    last = [r for r in book.active.iter_rows(values_only=True) if r and r[0]][-1][0]
    with translation.override("vi"):
        assert last == translation.gettext(
            "Each official's form: narrow the filters to at most %(n)d cards, or download it "
            "from the card's page.") % {"n": 1}

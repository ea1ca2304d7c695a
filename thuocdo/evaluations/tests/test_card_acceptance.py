"""Findings of a user-acceptance review of the demo's score cards (page and xlsx form):

1. a quarter's or a year's card lists the months it rolls up (each month's T, its card's
   status, whether it was taken as approved or computed afresh, a link to the month's card
   for whoever may read it) instead of a, b, c and converted products it does not have;
2. the xlsx form carries the appeal (reason, decision, who and when) and the period's status
   next to the card's;
3. the delays and major errors of a product not completed by the close are shown as not
   counted (the whole product is lost), so the task table explains why its columns add up
   to more than the card's deductions;
4. wording: an excused deduction is "not deducted", not "−0,00"; đ and e as the formula
   writes them; the appeal's line; the quota's reasoning with names; the CLI's headers in
   the CLI's language.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext
from openpyxl import load_workbook

from thuocdo.accounts import services as accounts
from thuocdo.core.scope import Scope
from thuocdo.core.templatetags.periods import period_name
from thuocdo.evaluations import selectors, services
from thuocdo.evaluations.card_sheets import SheetNames
from thuocdo.evaluations.choices import CardStatus, PeriodStatus
from thuocdo.evaluations.models import Appeal, Period, ScoreCard

from .helpers import CASES, after_end, load_golden, read
from .test_card_pages_review import _approve_everything
from .test_services import LABEL, card

PASSWORD = "Thuocdo-test-2026"
NOT_COUNTED = "not counted: not completed"


def _case(stem: str) -> dict:
    return read(next(p for p in CASES if p.stem == stem))


def _score(label: str) -> Period:
    period = services.period_open(label=label)
    services.period_score(period=period, on=after_end(period))
    return Period.objects.get(pk=period.pk)


@pytest.fixture
def admin(db):
    return accounts.user_create(
        email="admin@example.vn", password=PASSWORD, full_name="Quản trị", is_superuser=True
    )


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin, backend="thuocdo.accounts.backends.EmailOrOfficialCodeBackend")
    return client


def _card_page(client, label: str, official: str):
    response = client.get(
        reverse("evaluations:card_detail", kwargs={"label": label, "official": official})
    )
    assert response.status_code == 200
    return response


def _sheet_rows(client, label: str, official: str) -> list[tuple]:
    response = client.get(
        reverse("evaluations:card_export", kwargs={"label": label, "official": official})
    )
    assert response.status_code == 200
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def _value(rows: list[tuple], label: str):
    [row] = [r for r in rows if r and r[0] == label]
    return row[2]


class _Text(HTMLParser):
    """The page's text as a reader (or a screen reader, or a copy) gets it: text nodes
    joined by spaces."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data):
        if data.strip():
            self.parts.append(data.strip())


def _text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


# -- 1. a quarter lists its months --------------------------------------------------------


@pytest.fixture
def quarter(db):
    """Golden case 10 (2026-Q4): CB002 has T 67.08 in October (its card approved), 35 in
    November (a draft) and no product in December (no month card stored); November's R4,
    open at the close, was late."""
    load_golden(_case("10_quarter_roll_up"))
    _score("2026-10")
    _score("2026-11")
    ScoreCard.objects.filter(period__label="2026-10").update(status=CardStatus.APPROVED)
    return _score("2026-Q4")


def test_a_quarter_card_lists_its_months_instead_of_a_b_c(admin_client, quarter):
    response = _card_page(admin_client, "2026-Q4", "CB002")
    months = response.context["months"]
    assert [m["month"].name for m in months] == [
        capfirst(period_name(label)) for label in ("2026-10", "2026-11", "2026-12")
    ]
    assert [m["month"].points for m in months] == [67.08, 35, None]
    assert [m["month"].status for m in months] == [CardStatus.APPROVED, CardStatus.DRAFT, None]
    assert [m["month"].counted for m in months] == [
        gettext("taken as approved"),
        gettext("computed afresh"),
        gettext("computed afresh"),
    ]
    html = response.content.decode()
    for label in ("2026-10", "2026-11"):  # the stored month cards, linked
        url = reverse("evaluations:card_detail", kwargs={"label": label, "official": "CB002"})
        assert f'href="{url}"' in html
    december = reverse("evaluations:card_detail", kwargs={"label": "2026-12", "official": "CB002"})
    assert december not in html and months[2]["url"] is None
    assert gettext("no data") in html
    # what a quarter does not have is not shown empty
    assert (
        gettext("a (quantity) = converted products completed ÷ converted products assigned")
        not in html
    )
    assert gettext("Converted products assigned / completed") not in html
    # the formula names the months it averages
    assert "T = trung bình T các tháng có dữ liệu = (T tháng 10/2026 + T tháng 11/2026) / 2" in html


def test_a_month_card_keeps_a_b_c(admin_client, quarter):
    response = _card_page(admin_client, "2026-10", "CB002")
    assert response.context["months"] == [] and not response.context["rolled_up"]
    assert (
        gettext("a (quantity) = converted products completed ÷ converted products assigned")
        in response.content.decode()
    )


def test_the_month_links_are_for_whoever_reads_the_month_cards(quarter):
    stored = ScoreCard.objects.select_related("period").get(
        period__label="2026-Q4", official__code="CB002"
    )
    own = selectors.month_cards(scope=Scope(user_id=1, official_id=stored.official_id), card=stored)
    assert own == {"2026-10": (CardStatus.APPROVED, True), "2026-11": (CardStatus.DRAFT, True)}
    # a reader who may not read these cards (here: no subtree at all) gets no link
    stranger = selectors.month_cards(scope=Scope(user_id=1), card=stored)
    assert stranger == {
        "2026-10": (CardStatus.APPROVED, False),
        "2026-11": (CardStatus.DRAFT, False),
    }


def test_the_quarter_form_lists_its_months_instead_of_a_b_c(admin_client, quarter):
    rows = _sheet_rows(admin_client, "2026-Q4", "CB002")
    header = next(r for r in rows if r[0] == gettext("Month"))
    assert header[2:5] == (
        gettext("Task points (T)"),
        gettext("Card of the month"),
        gettext("Counted as"),
    )
    start = rows.index(header)
    assert [r[:5] for r in rows[start + 1 : start + 4]] == [
        (
            capfirst(period_name("2026-10")),
            None,
            67.08,
            str(CardStatus.APPROVED.label),
            gettext("taken as approved"),
        ),
        (
            capfirst(period_name("2026-11")),
            None,
            35,
            str(CardStatus.DRAFT.label),
            gettext("computed afresh"),
        ),
        (
            capfirst(period_name("2026-12")),
            None,
            gettext("no data"),
            gettext("no card stored"),
            gettext("computed afresh"),
        ),
    ]
    labels = {r[0] for r in rows if r}
    for absent in (
        "a (quantity)",
        "b (quality)",
        "c (progress)",
        "Converted products assigned",
        "Converted products completed",
    ):
        assert gettext(absent) not in labels
    assert _value(rows, gettext("Task points")) == 51.04


# -- 2. the form's procedure: the period's status and the appeal ---------------------------


@pytest.fixture
def appealed(world):
    """October scored, approved, published; CG.STAFF appealed, the administrator rejected
    the appeal; then the period was locked."""
    period = services.period_open(actor=world.user("board"), label=LABEL)
    services.period_score(actor=world.user("board"), period=period)
    _approve_everything(world, Period.objects.get(pk=period.pk))
    period = Period.objects.get(pk=period.pk)
    services.period_publish(
        actor=world.user("board"), period=period, appeal_days=10, on=timezone.localdate()
    )
    appeal = services.appeal_file(
        actor=world.user("staff"), card=card("CG.STAFF"), reason="Chưa tính đúng báo cáo"
    )
    services.appeal_decide(
        actor=world.user("admin"), appeal=appeal, accepted=False, reason="Không có căn cứ mới"
    )
    Period.objects.filter(pk=period.pk).update(status=PeriodStatus.LOCKED)
    return Appeal.objects.select_related("decided_by").get(pk=appeal.pk)


def test_the_form_carries_the_appeal_and_the_period_s_status(world, appealed, client_for):
    rows = _sheet_rows(client_for(world.user("admin")), LABEL, "CG.STAFF")
    assert _value(rows, gettext("Status")) == str(CardStatus.APPROVED.label)
    assert _value(rows, gettext("Status of the period")) == str(PeriodStatus.LOCKED.label)
    assert any(r and r[0] == gettext("APPEAL") for r in rows)
    filed = timezone.localtime(appealed.filed_at).replace(tzinfo=None)
    assert abs(_value(rows, gettext("Filed at")) - filed) < dt.timedelta(seconds=1)
    assert _value(rows, gettext("Reason")) == "Chưa tính đúng báo cáo"
    assert _value(rows, gettext("Decision")) == appealed.get_status_display()
    assert _value(rows, gettext("Reason for the decision")) == "Không có căn cứ mới"
    assert _value(rows, gettext("Decided by")) == world.user("admin").get_full_name()
    assert _value(rows, gettext("Decided on")).date() == timezone.localdate(appealed.decided_at)


def test_the_appeals_are_read_once_for_the_unit_s_forms(world, appealed):
    cards = list(ScoreCard.objects.filter(period__label=LABEL).select_related("period"))
    with CaptureQueriesContext(connection) as queries:
        names = SheetNames.read(cards)
    assert len(queries) <= 5
    [(card_id, [appeal])] = names.appeals.items()
    assert appeal.pk == appealed.pk and card_id == appealed.card_id


def test_the_card_page_s_appeal_line_reads_cleanly(world, appealed, client_for):
    response = _card_page(client_for(world.user("staff")), LABEL, "CG.STAFF")
    html = response.content.decode()
    section = html.split(f"<h2>{gettext('Appeals')}</h2>", 1)[1].split("</ul>", 1)[0]
    line = _text(section)
    assert " :" not in line, line
    assert "Chưa tính đúng báo cáo" in line and "Không có căn cứ mới" in line
    assert world.user("admin").get_full_name() in line, "who decided"
    assert timezone.localdate(appealed.decided_at).strftime("%d/%m/%Y") in line


# -- 3. the delays of a product not completed are not counted, and say so -----------------


def test_the_delays_of_a_product_not_completed_are_marked_not_counted(admin_client, quarter):
    response = _card_page(admin_client, "2026-Q4", "CB002")
    data = ScoreCard.objects.get(period__label="2026-Q4", official__code="CB002").data
    lines = {t["task"]: t for t in data["tasks"]}
    # R4 (not completed at November's close) was late: its delay is in the task's line,
    # not in the card's deductions (the whole product is lost instead)
    assert lines["R4"]["delays"] == 1 and not lines["R4"]["completed"]
    assert sum(t["delays"] for t in data["tasks"]) == 2 and data["delays"] == 1
    html = response.content.decode()
    row = html.split('href="/tasks/task/R4/"', 1)[1].split("</tr>", 1)[0]
    assert gettext(NOT_COUNTED) in row
    row = html.split('href="/tasks/task/R2/"', 1)[1].split("</tr>", 1)[0]
    assert gettext(NOT_COUNTED) not in row, "a completed product's delay is counted"
    note = response.context["not_counted_note"]
    assert note and note in html
    rows = _sheet_rows(admin_client, "2026-Q4", "CB002")
    by_task = {
        r[1]: r
        for r in rows
        if r and isinstance(r[0], int) and r[1] in lines and r[8] in (gettext("yes"), gettext("no"))
    }
    assert by_task["R4"][10] == f"1 ({gettext(NOT_COUNTED)})"
    assert by_task["R2"][10] == 1
    assert any(r[1] == note for r in rows if r)


def test_without_such_a_product_there_is_no_note(admin_client, quarter):
    response = _card_page(admin_client, "2026-10", "CB002")  # R1, R2 both completed
    assert response.context["not_counted_note"] == ""
    assert gettext(NOT_COUNTED) not in response.content.decode()


# -- 4. wording ----------------------------------------------------------------------------


def test_an_excused_deduction_is_not_shown_as_minus_zero(admin_client, db):
    load_golden(_case("03_excused_delays_and_errors"))
    _score(LABEL)
    official = next(
        c.official.code
        for c in ScoreCard.objects.select_related("official")
        if any(d.get("excused") and not d["points"] for d in c.data["deductions"])
    )
    html = _card_page(admin_client, LABEL, official).content.decode()
    assert "−0,00" not in html and "−0.00" not in html
    assert gettext("not deducted (excused)") in html


def test_the_ratings_are_written_as_the_formula_writes_them(admin_client, db):
    load_golden(_case("05_leader_with_unit_result"))
    _score(LABEL)
    head = _card_page(admin_client, LABEL, "CB004")  # đ = 0,8, e = 1
    assert (head.context["organising"], head.context["uniting"]) == ("0,8", "1")
    formula = head.context["d"]["formula"]
    assert "đ = 0,8;" in formula and "e = 1;" in formula
    html = head.content.decode()
    assert re.search(re.escape(gettext("e (uniting)")) + r": 1\s*<", html)
    deputy = _card_page(admin_client, LABEL, "CB001")  # đ = 0,9, e = 0,8
    assert (deputy.context["organising"], deputy.context["uniting"]) == ("0,9", "0,8")
    assert "đ = 0,9" in deputy.context["d"]["formula"]
    with translation.override("en"):
        from thuocdo.evaluations.views import _plain_number as _rating

        assert (_rating(0.9), _rating(1.0), _rating(0.85)) == ("0.9", "1", "0.85")


def test_the_quota_s_reasoning_names_the_agency_and_the_group(admin_client, db):
    load_golden(_case("06_quota_binding"))
    _score(LABEL)
    stored = ScoreCard.objects.get(period__label=LABEL, official__code="CB202")
    engine = stored.data["quota"]["reason"]
    assert "cơ quan HN.CG" in engine and "nhóm nhiệm vụ TH của HN.CG" in engine
    response = _card_page(admin_client, LABEL, "CB202")
    shown = response.context["quota_reason"]
    assert "cơ quan UBND quận Cầu Giấy" in shown
    assert "nhóm nhiệm vụ Tổng hợp, tham mưu của UBND quận Cầu Giấy" in shown
    assert "ở UBND quận Cầu Giấy (xếp theo" in shown
    assert not re.search(r"\bHN\.CG\b", shown) and " TH " not in shown
    assert shown in response.content.decode()
    notes = [
        r[2] for r in _sheet_rows(admin_client, LABEL, "CB202") if r and r[0] == gettext("Note")
    ]
    assert shown in notes and engine not in notes


def test_the_score_table_s_headers_follow_the_cli_s_language(db):
    load_golden(_case("01_on_time_and_late"))

    def table() -> str:
        out = io.StringIO()
        call_command("score", "--period", LABEL, stdout=out, stderr=io.StringIO())
        return out.getvalue().splitlines()[0]

    with translation.override("vi"):
        header = table()
        assert header.startswith(gettext("Official code"))
        assert gettext("Official code") == "Mã cán bộ", "the catalogue translates it"
        assert "task_points" not in header and "official" not in header
    with translation.override("en"):
        assert table().split("  ")[0] == "Official code"

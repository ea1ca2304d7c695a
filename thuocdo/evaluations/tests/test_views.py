"""The pages: a card explains itself (tasks with product and coefficient, each deduction
linked to the event behind it, the formula with its numbers, the quota decision); the
ranking warns when the quota binds; the review screen refuses a deduction without a
reason and writes nothing; the export is an xlsx laid out like the summary form."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from thuocdo.accounts import services as accounts
from thuocdo.evaluations import services
from thuocdo.evaluations.models import Assessment, Period
from thuocdo.org.models import Official

from .helpers import CASES, load_golden, read

PASSWORD = "Thuocdo-test-2026"


def _login(client, user):
    client.force_login(user, backend="thuocdo.accounts.backends.EmailOrOfficialCodeBackend")
    return client


@pytest.fixture
def quota_case(db):
    """Golden case 06 (the quota binds in HN.CG: 3 candidates, 1 kept), scored."""
    where = load_golden(read(CASES[5]))
    period = services.period_open(label="2026-10")
    services.period_score(period=period)
    admin = accounts.user_create(email="admin@example.vn", password=PASSWORD,
                                 full_name="Quản trị", is_superuser=True)
    return period, admin, where


@pytest.fixture
def late_case(db):
    """Golden case 01 (on-time and late work), scored; CB002 can log in."""
    where = load_golden(read(CASES[0]))
    period = services.period_open(label="2026-10")
    services.period_score(period=period)
    user = accounts.user_create(email="cb002@example.vn", password=PASSWORD,
                                official=Official.objects.get(code="CB002"))
    return period, user, where


def test_my_card_goes_to_the_latest_card(client, late_case):
    _period, user, _where = late_case
    response = _login(client, user).get(reverse("evaluations:my_card"))
    assert response.status_code == 302
    assert response["Location"] == reverse("evaluations:card_detail",
                                           kwargs={"label": "2026-10", "official": "CB002"})


def test_the_card_explains_every_point(client, late_case):
    _period, user, where = late_case
    document = read(CASES[0])
    expected = next(c for c in document["expected"]["cards"] if c["official"] == "CB002")
    response = _login(client, user).get(reverse(
        "evaluations:card_detail", kwargs={"label": "2026-10", "official": "CB002"}))
    page = response.content.decode()
    assert response.status_code == 200
    assert f"{expected['total']:.2f}".replace(".", ",") in page  # Vietnamese decimal comma
    for deduction in expected["deductions"]:
        if deduction.get("event"):
            task, seq = where[deduction["event"]]
            url = reverse("tasks:task_detail", kwargs={"code": task})
            assert f'{url}#event-{seq}"' in page, "the deduction links to its event"
    for line in (expected.get("formula") or "").split("; "):
        assert line.replace("→", "&rarr;") in page or line in page.replace("&gt;", ">")
    assert "T = 70 × (a + b + c) / 3" in page


def test_the_ranking_warns_when_the_quota_binds(client, quota_case):
    _period, admin, _where = quota_case
    response = _login(client, admin).get(reverse(
        "evaluations:unit_ranking", kwargs={"label": "2026-10", "code": "HN.CG"}))
    page = response.content.decode()
    assert response.status_code == 200
    # 3 proposed for HTXS, the quota allows 1 (1 ≤ 0.2 × 7; 2 > 0.2 × 6)
    assert "3 đề xuất HTXS, hạn mức cho phép 1" in page  # Vietnamese UI
    assert page.count("hạ loại do tỷ lệ khống chế") >= 2


def test_the_review_screen_refuses_a_deduction_without_reason(client, quota_case):
    period, admin, _where = quota_case
    services.period_start_review(period=period)
    card = period.cards.get(official__code="CB101")
    url = reverse("evaluations:unit_review", kwargs={"label": "2026-10", "code": "HN.CG.VP"})
    client = _login(client, admin)
    page = client.get(url)
    assert page.status_code == 200
    before = list(Assessment.objects.values_list("official_id", "general_points", "reason"))
    data = {"action": "save"}
    for row in page.context["rows"]:
        stored = Assessment.objects.get(period=period, official=row["card"].official)
        data[f"c{row['card'].pk}-general_points"] = str(stored.general_points)
        data[f"c{row['card'].pk}-reason"] = stored.reason
    data[f"c{card.pk}-general_points"] = "20"
    data[f"c{card.pk}-reason"] = ""
    response = client.post(url, data)
    assert response.status_code == 200
    assert "phải có lý do bằng văn bản" in response.content.decode()
    assert list(Assessment.objects.values_list("official_id", "general_points",
                                               "reason")) == before
    data[f"c{card.pk}-reason"] = "Hai báo cáo sai số liệu"
    response = client.post(url, data)
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.general_points == 20
    assert Assessment.objects.get(period=period, official=card.official).reason \
        == "Hai báo cáo sai số liệu"


def test_the_export_is_the_summary_form(client, quota_case):
    _period, admin, _where = quota_case
    response = _login(client, admin).get(reverse(
        "evaluations:unit_export", kwargs={"label": "2026-10", "code": "HN.CG"}))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[4]
    assert header[1] == "Mã cán bộ" and header[16] == "Xếp loại"
    body = [r for r in rows[5:] if r[0]]
    assert len(body) == 9  # HN.CG and HN.CG.VP
    by_code = {r[1]: r for r in body}
    assert by_code["CB201"][15] == 93 and by_code["CB201"][16] == "HTXS"
    assert by_code["CB202"][16] == "HTT" and by_code["CB202"][17] == "có"


def test_period_actions_from_the_page(client, quota_case):
    _period, admin, _where = quota_case
    client = _login(client, admin)
    url = reverse("evaluations:period_act", kwargs={"label": "2026-10", "action": "review"})
    assert client.post(url).status_code == 302
    assert Period.objects.get(label="2026-10").status == "review"
    # a refused step is a message, nothing changes
    url = reverse("evaluations:period_act", kwargs={"label": "2026-10", "action": "lock"})
    response = client.post(url, follow=True)
    assert Period.objects.get(label="2026-10").status == "review"
    assert "hiện chưa thể thực hiện bước này" in response.content.decode()


def test_a_card_leads_its_reviewer_to_the_unit_s_review_page(client, late_case):
    """Whoever may assess the card finds the review page from it; the official does not."""
    _period, user, _where = late_case
    card_url = reverse("evaluations:card_detail", kwargs={"label": "2026-10", "official": "CB002"})
    admin = accounts.user_create(email="admin@example.vn", password=PASSWORD,
                                 full_name="Quản trị", is_superuser=True)
    page = _login(client, admin).get(card_url)
    review = reverse("evaluations:unit_review",
                     kwargs={"label": "2026-10", "code": page.context["card"].unit.code})
    assert page.context["can_review"] and f'href="{review}"' in page.content.decode()
    own = _login(client, user).get(card_url)
    assert not own.context["can_review"] and f'href="{review}"' not in own.content.decode()


def test_task_lines_show_coefficients_as_the_tasks_behind_d_do(client, late_case):
    """The card's JSON holds a coefficient of 1 as 1.0: shown 1, as the tasks behind d
    (which read it from the task) show it, not "1,0"."""
    period, user, _where = late_case
    card = period.cards.get(official__code="CB002")
    lines = card.data["tasks"]
    assert lines and {type(line["coefficient"]) for line in lines} == {float}
    response = _login(client, user).get(reverse(
        "evaluations:card_detail", kwargs={"label": "2026-10", "official": "CB002"}))
    page = response.content.decode()
    for line in lines:
        shown = f"{line['coefficient']:g}".replace(".", ",")
        assert f'<td class="num">{shown}</td>' in page
    assert '<td class="num">1,0</td>' not in page


def test_the_card_s_converted_products_are_written_as_its_formula_writes_them(client,
                                                                            late_case):
    """The task table's footer read "12,0 / 10,0" (the JSON's floats) while the formula
    said 10 / 12: both write whole numbers whole."""
    period, _user, _where = late_case
    admin = accounts.user_create(email="admin@example.vn", password=PASSWORD,
                                 full_name="Quản trị", is_superuser=True)
    whole = [c for c in period.cards.all() if c.data.get("assigned") is not None
             and any(v == int(v) for v in (c.data["assigned"], c.data["completed"]))]
    assert whole, "a card whose converted products include a whole number (stored 2.0)"
    for card in whole:
        assigned, completed = card.data["assigned"], card.data["completed"]
        page = _login(client, admin).get(reverse(
            "evaluations:card_detail", kwargs={"label": "2026-10",
                                               "official": card.official.code})
        ).content.decode()
        shown = f"{assigned:g} / {completed:g}".replace(".", ",")
        assert f'<td class="num">{shown}</td>' in page, shown
        assert f"{assigned} / {completed}".replace(".", ",") not in page

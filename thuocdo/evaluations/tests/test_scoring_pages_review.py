"""Findings of a user review of the scoring pages: the quota table shows what each limit
allows (not the final count) and the warning says which limit moved candidates down; the
ranking has agency, task group and rank-in-agency columns, marks the cards the quota moved
down, filters, orders and pages on GET parameters, and its export follows the filters; the
card speaks in the third person to anyone but its official; periods are shown in words
("tháng 10/2026", "quý IV/2026", "năm 2026"); "my cards" shows task results awaiting the
general criteria instead of "no data"."""

from __future__ import annotations

import copy
import io
from fractions import Fraction
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from thuocdo.accounts import services as accounts
from thuocdo.core.templatetags.periods import period_name
from thuocdo.evaluations import selectors, services, views
from thuocdo.evaluations.models import ScoreCard
from thuocdo.org.models import Official

from .helpers import CASES, load_golden, read

PASSWORD = "Thuocdo-test-2026"
LABEL = "2026-10"


def _client(client, user, language: str | None = "en"):
    client.force_login(user, backend="thuocdo.accounts.backends.EmailOrOfficialCodeBackend")
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _admin():
    return accounts.user_create(email="admin@example.vn", password=PASSWORD,
                                full_name="Quản trị", is_superuser=True)


@pytest.fixture
def quota_case(db):
    """Golden case 06 scored: in HN.CG 5 HTT and 3 candidates (CB201 keeps HTXS, CB202 and
    CB203 are moved down); in HN.BD CB301 is moved down (no HTT to count)."""
    load_golden(read(CASES[5]))
    period = services.period_open(label=LABEL)
    services.period_score(period=period)
    return period, _admin()


def _ranking(code: str = "HN", **query) -> str:
    url = reverse("evaluations:unit_ranking", kwargs={"label": LABEL, "code": code})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _codes(response) -> list[str]:
    return [card.official.code for card in response.context["cards"]]


# -- 1. the quota: what each limit allows, and which one moved candidates down --------------


def _line(candidates: int, kept: int, htt: int, group: str = "") -> selectors.QuotaLine:
    agency = SimpleNamespace(code="HN.Q01", name="UBND quận Ba Đình")
    return selectors.QuotaLine(agency, group, Fraction(1, 5), candidates, kept, htt)


def test_allowed_is_what_the_limit_lets_keep_not_the_final_count():
    """The reviewer's agency: 29 candidates, 4 kept, 31 final HTT. Its own limit allows 5
    (5 ≤ 0.2 × 30 as the card says; a sixth would leave 29 HTT: 6 > 5.8), the cap on the
    final grades is 6 whole people; the task groups kept it at 4."""
    line = _line(29, 4, 31)
    assert line.allowed == 5
    assert line.whole_cap == 6 and line.cap == Fraction(31, 5)
    assert line.binds and line.bound_elsewhere and line.moved_down == 25
    # domain.md's example: 5 HTT and 3 candidates, one keeps HTXS (1 ≤ 0.2 × 7)
    example = _line(3, 1, 7)
    assert example.allowed == 1 and example.binds and not example.bound_elsewhere
    # a group with room, held back by its agency's limit
    held = _line(1, 0, 9, group="CM")
    assert held.allowed == 1 and not held.binds and held.bound_elsewhere
    # nobody moved down: nothing binds
    assert not _line(1, 1, 5).binds and not _line(1, 1, 5).bound_elsewhere


def test_the_limit_is_written_with_the_share_as_it_was_typed():
    """An exception of 30.5% of 27 final HTT: "0.305 × 27 = 8.235", not a share rounded to
    0.3 beside a product of 0.305 (the walk saw "0,3 × 28 = 8,54")."""
    agency = SimpleNamespace(code="HN.Q01", name="UBND quận Ba Đình")
    line = selectors.QuotaLine(agency, "", Fraction("0.305"), 9, 8, 27)
    assert (str(line.share_decimal), str(line.cap_decimal)) == ("0.305", "8.235")
    assert (str(_line(3, 1, 7).share_decimal), str(_line(3, 1, 30).cap_decimal)) == ("0.2", "6")
    third = selectors.QuotaLine(agency, "", Fraction(1, 3), 1, 1, 5)
    assert str(third.share_decimal) == "0.333333"


def _with_more_htt(document: dict, extra: int) -> dict:
    """Golden case 07 with `extra` more officials of group TH graded HTT (each a copy of
    CB101: one report on time, general criteria 15)."""
    document = copy.deepcopy(document)
    model = next(o for o in document["officials"] if o["code"] == "CB101")
    task = next(t for t in document["tasks"] if t["lead_official"] == "CB101")
    events = [e for e in document["events"] if e["task"] == task["code"]]
    assessment = next(a for a in document["assessments"] if a["official"] == "CB101")
    for n in range(extra):
        code = f"CB{111 + n}"
        document["officials"].append({**model, "code": code, "name": f"Cán bộ {111 + n}"})
        document["tasks"].append({**task, "code": f"G{111 + n}", "lead_official": code})
        document["events"] += [{**e, "task": f"G{111 + n}",
                                "actor": code if e["actor"] == "CB101" else e["actor"]}
                               for e in events]
        document["assessments"].append({**assessment, "official": code})
    return document


@pytest.fixture
def groups_bind(db):
    """Golden case 07 with 6 more HTT in group TH: HN.CG has 12 HTT and 2 candidates, so
    its own limit allows 2 (2 ≤ 0.2 × 12); but CB402's group CM has one HTT and allows
    none: CB402 is moved down by her group, CB401 keeps HTXS."""
    load_golden(_with_more_htt(read(CASES[6]), 6))
    period = services.period_open(label=LABEL)
    services.period_score(period=period)
    assert ScoreCard.objects.get(official__code="CB402").quota_applied
    assert ScoreCard.objects.get(official__code="CB401").grade == "HTXS"
    return period, _admin()


def test_the_quota_table_shows_each_limit_and_which_one_bound(client, groups_bind):
    _period, admin = groups_bind
    response = _client(client, admin).get(_ranking("HN.CG"))
    assert response.status_code == 200
    lines = {line.task_group: line for line in response.context["quota"]}
    agency, cm, th = lines[""], lines["CM"], lines["TH"]
    assert (agency.candidates, agency.allowed, agency.kept, agency.htt) == (2, 2, 1, 13)
    assert agency.whole_cap == 2 and agency.bound_elsewhere
    assert (cm.candidates, cm.allowed, cm.kept) == (1, 0, 0) and cm.binds
    assert (th.candidates, th.allowed, th.kept) == (1, 1, 1) and not th.moved_down
    warnings = response.context["warnings"]
    assert warnings == [
        "Agency UBND quận Cầu Giấy (HN.CG): 2 proposed for HTXS, the quota allows 2. The "
        "limits of its task groups, each counted apart, let 1 keep HTXS.",
        "Task group Chuyên môn tài chính of UBND quận Cầu Giấy (HN.CG): 1 proposed for HTXS, "
        "the quota allows 0.",
    ]
    # the review screen says the same while the head assesses: a save can bind the quota
    review = _client(client, admin).get(reverse("evaluations:unit_review",
                                                 kwargs={"label": LABEL, "code": "HN.CG"}))
    assert review.status_code == 200 and review.context["warnings"] == warnings
    assert warnings[1] in review.content.decode()
    page = response.content.decode()
    # task groups by name, the code in the tooltip (the table of limits and the cards)
    assert cm.group_name == "Chuyên môn tài chính"
    assert '<span title="CM">Chuyên môn tài chính</span>' in page
    assert '<span title="TH">Tổng hợp, tham mưu</span>' in page
    assert "the task groups' limits" in page and "this limit" in page
    assert "1 ≤ 0.2 × 13 = 2.6" in page, "the check on the final grades, as the engine's cap"
    # the cards' own quota reasons say the same: the agency had room, the group had none
    reason = ScoreCard.objects.get(official__code="CB402").data["quota"]["reason"]
    assert "cơ quan HN.CG: 1 ≤ 0,2 × 13 = 2,6 đạt" in reason
    assert "nhóm nhiệm vụ CM của HN.CG: 1 ≤ 0,2 × 1 = 0,2 không đạt" in reason


def test_the_warning_reads_as_the_reviewer_asked_in_vietnamese(client, quota_case):
    """Under review, in Vietnamese: "3 đề xuất HTXS, hạn mức cho phép 1" (1 ≤ 0.2 × 7)."""
    period, admin = quota_case
    services.period_start_review(period=period)
    page = _client(client, admin, None).get(_ranking("HN.CG")).content.decode()
    assert "3 đề xuất HTXS, hạn mức cho phép 1." in page


# -- 2. the ranking: columns, marks, filters, order, pages, export ---------------------------


def test_the_ranking_ranks_within_each_agency_and_marks_the_moved_down(client, quota_case):
    _period, admin = quota_case
    response = _client(client, admin).get(_ranking())
    cards = response.context["cards"]
    # the agencies in the tree's order (HN.BD before HN.CG), each ranked by total
    assert _codes(response) == ["CB301", "CB300", "CB201", "CB202", "CB203", "CB105",
                                "CB104", "CB103", "CB102", "CB101", "CB000"]
    ranks = {c.official.code: c.rank for c in cards}
    assert ranks["CB201"] == ranks["CB202"] == 1 and ranks["CB203"] == 3
    assert ranks["CB301"] == 1, "HN.BD is ranked apart"
    assert ranks["CB000"] is None, "no total, no rank"
    page = response.content.decode()
    for header in (">Rank</th>", ">Agency / unit</th>", 'title="Task group">Group</abbr>'):
        assert header in page
    assert page.count('class="quota-moved"') == 3
    assert "HTXS by score · candidate 2/3" in page
    for card in cards:
        assert reverse("evaluations:card_detail", kwargs={
            "label": LABEL, "official": card.official.code}) in page


def test_the_ranking_filters_on_get_parameters(client, quota_case):
    _period, admin = quota_case
    client = _client(client, admin)
    assert _codes(client.get(_ranking(agency="HN.BD"))) == ["CB301", "CB300"]
    assert _codes(client.get(_ranking(unit="HN.CG"))) == ["CB000"]
    assert _codes(client.get(_ranking(grade="moved"))) == ["CB301", "CB202", "CB203"]
    assert _codes(client.get(_ranking(grade="HTXS"))) == ["CB201"]
    assert _codes(client.get(_ranking(grade="none"))) == ["CB300", "CB000"]
    assert set(_codes(client.get(_ranking(task_group="none")))) == {"CB000", "CB300"}
    assert len(_codes(client.get(_ranking(task_group="TH")))) == 9
    assert _codes(client.get(_ranking(status="reviewed"))) == []
    assert len(_codes(client.get(_ranking(status="draft")))) == 11
    both = client.get(_ranking(agency="HN.CG", grade="moved"))
    assert _codes(both) == ["CB202", "CB203"]
    assert "Cards: 2 of 11" in both.content.decode()
    assert [line.agency.code for line in both.context["quota"]] == ["HN.CG", "HN.CG"]
    # nothing outside the ranked unit: a unit of another district is not offered
    outside = client.get(_ranking("HN.CG", agency="HN.BD"))
    assert not {"CB300", "CB301"} & set(_codes(outside)) and len(_codes(outside)) == 9


def test_the_ranking_orders_by_rank_total_or_name(client, quota_case):
    _period, admin = quota_case
    client = _client(client, admin)
    by_total = _codes(client.get(_ranking(sort="total")))
    assert by_total[:4] == ["CB301", "CB201", "CB202", "CB203"]
    assert by_total[-2:] == ["CB300", "CB000"], "no total last"
    by_name = [c.official.name for c in client.get(_ranking(sort="name")).context["cards"]]
    assert by_name == sorted(by_name)
    assert _codes(client.get(_ranking(sort="nonsense")))[:3] == ["CB301", "CB300", "CB201"]


def test_the_ranking_pages_long_lists(client, quota_case, monkeypatch):
    _period, admin = quota_case
    monkeypatch.setattr(views, "RANKING_PAGE_SIZE", 4)
    client = _client(client, admin)
    first = client.get(_ranking())
    assert len(first.context["cards"]) == 4 and "Cards: 11 · page 1 of 3" in \
        first.content.decode()
    third = client.get(_ranking(page=3))
    assert _codes(third) == ["CB102", "CB101", "CB000"]
    assert [c.rank for c in third.context["cards"]] == [7, 8, None], "ranks go on"
    assert "page=2" in third.content.decode()


def test_the_export_follows_the_filters_and_order(client, quota_case):
    _period, admin = quota_case
    client = _client(client, admin)
    page = client.get(_ranking(grade="moved", sort="total")).content.decode()
    export = reverse("evaluations:unit_export", kwargs={"label": LABEL, "code": "HN"})
    assert f"{export}?grade=moved&amp;sort=total" in page, "the link keeps the filters"
    response = client.get(export + "?grade=moved&sort=total")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[3][0] == "Filters: Grade: HTXS by score, moved down by the quota"
    assert rows[4][1] == "Official code" and rows[4][22:25] == (
        "Agency", "Task group", "Rank in the agency")
    body = [r for r in rows[5:] if r[0]]
    assert [r[1] for r in body] == ["CB301", "CB202", "CB203"]
    assert [(r[22], r[23], r[24]) for r in body] == [
        ("UBND quận Ba Đình", "Tổng hợp, tham mưu", 1),
        ("UBND quận Cầu Giấy", "Tổng hợp, tham mưu", 1),
        ("UBND quận Cầu Giấy", "Tổng hợp, tham mưu", 3)]
    whole = client.get(export)
    rows = list(load_workbook(io.BytesIO(whole.content)).active.iter_rows(values_only=True))
    assert set(rows[3]) == {None} and len([r for r in rows[5:] if r[0]]) == 11


# -- 3. the card speaks to its official only -------------------------------------------------


@pytest.fixture
def cb202(quota_case):
    user = accounts.user_create(email="cb202@example.vn", password=PASSWORD,
                                official=Official.objects.get(code="CB202"))
    return user


def _card_url(code: str = "CB202") -> str:
    return reverse("evaluations:card_detail", kwargs={"label": LABEL, "official": code})


def test_another_reader_reads_the_card_in_the_third_person(client, quota_case, cb202):
    _period, admin = quota_case
    page = _client(client, admin).get(_card_url()).content.decode()
    assert "Why did Cán bộ 202 get 93.00 points?" in page
    assert "Cán bộ 202 was proposed for HTXS and moved down to HTT by the quota." in page
    assert "No signal about Cán bộ 202 was confirmed" in page
    assert "No citizen's complaint or low rating was traced to Cán bộ 202" in page
    for first_or_second in ("Why did I get", "You were proposed", "about you", "to you"):
        assert first_or_second not in page
    vietnamese = _client(client, admin, "vi").get(_card_url()).content.decode()
    for first_or_second in ("Vì sao tôi", "Bạn được đề xuất", "gắn với đồng chí",
                            "về đồng chí"):
        assert first_or_second not in vietnamese


def test_the_official_reads_their_own_card_in_the_first_person(client, cb202):
    page = _client(client, cb202).get(_card_url()).content.decode()
    assert "Why did I get" in page and "You were proposed for HTXS" in page
    assert "Why did Cán bộ 202" not in page
    vietnamese = _client(client, cb202, "vi").get(_card_url()).content.decode()
    assert "Vì sao tôi được" in vietnamese and "Bạn được đề xuất HTXS" in vietnamese


# -- 5. periods in words; "my cards" shows what there is -------------------------------------


def test_period_names_in_english():
    with translation.override("en"):
        assert period_name("2026-10") == "October 2026"
        assert period_name("2026-01") == "January 2026"
        assert period_name("2026-Q4") == "Q4 2026"
        assert period_name("2026") == "2026"
        assert period_name("not a period") == "not a period"


def test_period_names_in_vietnamese():
    with translation.override("vi"):
        assert period_name("2026-10") == "tháng 10/2026"
        assert period_name("2026-01") == "tháng 1/2026"
        assert period_name("2026-Q4") == "quý IV/2026"
        assert period_name("2026-Q1") == "quý I/2026"
        assert period_name("2026") == "năm 2026"


def test_the_pages_and_the_export_name_the_period_in_words(client, quota_case, cb202):
    _period, admin = quota_case
    client = _client(client, admin)
    pages = {
        "list": client.get(reverse("evaluations:period_list")),
        "period": client.get(reverse("evaluations:period_detail", kwargs={"label": LABEL})),
        "ranking": client.get(_ranking()),
        "card": client.get(_card_url()),
    }
    for name, response in pages.items():
        page = response.content.decode()
        assert "October 2026" in page, name
        assert f">{LABEL}<" not in page and f" {LABEL}:" not in page, name
        assert f"/scores/{LABEL}/" in page, "URLs keep the ISO label"
    assert "Score card October 2026: Cán bộ 202" in pages["card"].content.decode()
    export = client.get(reverse("evaluations:unit_export", kwargs={"label": LABEL,
                                                                    "code": "HN.CG"}))
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows[1][0].endswith("period: October 2026")
    assert f"diem-{LABEL}-HN.CG.xlsx" in export["Content-Disposition"]


def test_my_cards_show_the_task_results_awaiting_the_general_criteria(client, cb202):
    ScoreCard.objects.filter(official__code="CB202").update(
        general_points=None, total=None, grade="", grade_before_quota="")
    card = ScoreCard.objects.get(official__code="CB202")
    assert card.task_points is not None
    page = _client(client, cb202).get(reverse("evaluations:period_list")).content.decode()
    assert "October 2026" in page
    assert (f"task results {card.task_points}/70; the total awaits the assessment of the "
            "general criteria") in page
    assert "no data" not in page


def test_a_deduction_s_details_are_joined_without_stray_separators():
    """Found by a walk: rows with no deadline began with "·", and a founded complaint ran
    into the share before it."""
    with translation.override("en"):
        late = views._deduction_details(
            {"deadline": "2026-10-15", "workdays_late": 3, "share": 0.25, "excused_by": 5,
             "reason": "Mưa bão"}, None, "/tasks/T1/#event-5")
        complaint = views._deduction_details({"share": 0.25, "finding": "PA-1"},
                                             "/citizens/PA-1/", None)
        general = views._deduction_details({"reason": "Chậm báo cáo"}, None, None)
    assert [p["text"] for p in late] == ["deadline 15/10/2026", "3 working days late",
                                         "share lost 0.25", "objective cause confirmed #5",
                                         "Mưa bão"]
    assert late[3]["url"] == "/tasks/T1/#event-5"
    assert [(p["text"], p.get("url")) for p in complaint] == [
        ("share lost 0.25", None), ("complaint PA-1 verified as founded", "/citizens/PA-1/")]
    assert [p["text"] for p in general] == ["Chậm báo cáo"]
    with translation.override("vi"):  # each part through the catalogue, numbers as written
        assert [p["text"] for p in views._deduction_details(
            {"deadline": "2026-10-15", "share": 0.25, "excused_by": 5}, None, "/t/")] == [
            "hạn xử lý 15/10/2026", "tỷ lệ bị trừ 0,25", "đã xác nhận nguyên nhân khách quan #5"]

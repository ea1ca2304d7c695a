"""A confirmed S14 makes the grade KHT by itself (issue 5, §5; docs/scoring.md, "KHT
grounds"): the signal records a leader confirmed as a breach are read with the period
(`adapters.signal_grounds`, one query) and cited on the card; one explained and accepted,
or not yet decided, changes nothing; the board's form no longer records a ground of kind
signal; the card never says "no confirmed S14" while one counts; the reasons write days
dd/mm/yyyy. Also the review screen of a period that no longer takes assessments: read-only,
saying why. Golden cases 12 and 13 work the rules out by hand."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from thuocdo.accountability import services as signals
from thuocdo.accountability.models import SignalRecord
from thuocdo.accountability.tests.helpers import let_due_day_pass
from thuocdo.accounts import services as accounts
from thuocdo.core.testing import PASSWORD
from thuocdo.evaluations import adapters, selectors, services
from thuocdo.evaluations.models import Ground, Period, ScoreCard
from thuocdo.measure.history import local_day
from thuocdo.measure.scoring import KhtGround
from thuocdo.measure.scoring import Period as EnginePeriod

from .helpers import CASES, after_end, load_golden, read
from .test_services import LABEL, _review_everything

FOUND = "Kết luận thanh tra số 15/KL-TTr: nhận quà của doanh nghiệp đang giải quyết hồ sơ"
NONE_TEXT = ("None applies to this period: no discipline, degradation conclusion, corruption "
             "in a managed unit or confirmed S14 signal dated in its year up to its end.")


def _case(stem: str) -> dict:
    return read(next(p for p in CASES if p.stem == stem))


def _admin():
    return accounts.user_create(email="admin@example.vn", password=PASSWORD,
                                full_name="Quản trị", is_superuser=True)


def _this_month() -> tuple[dt.date, str]:
    """A day of the month under way that has come (the services refuse a future day)."""
    day = local_day(timezone.now()).replace(day=1)
    return day, f"{day:%Y-%m}"


def _s14(world, *, on: dt.date, decision: str | None = "confirm", official="CG.STAFF"):
    """An S14 recorded by the inspector, explained when asked (by CG.STAFF; another
    official, without an account, lets the due day pass), and decided by the head of the
    district (`decision`: "confirm", "accept", or None: left undecided)."""
    signal = signals.signal_record(user=world.user("inspector"), code="S14",
                                   official=world.officials[official], on=on, text=FOUND)
    signals.signal_request_explanation(signal=signal, user=world.user("head"),
                                       text="Đề nghị giải trình")
    if official == "CG.STAFF":
        signals.signal_explain(signal=signal, user=world.user("staff"),
                               text="Đó là quà lưu niệm")
    else:
        let_due_day_pass(signal)
    if decision:
        signals.signal_decide(signal=signal, user=world.user("head"), decision=decision,
                              text="Vi phạm đã rõ" if decision == "confirm" else "Có căn cứ")
    signal.refresh_from_db()
    return signal


def _score(world, label: str) -> Period:
    period = services.period_open(actor=world.user("board"), label=label)
    services.period_score(actor=world.user("board"), period=period,
                          on=after_end(period))
    return Period.objects.get(pk=period.pk)


def _card(label: str, code: str = "CG.STAFF") -> ScoreCard:
    return ScoreCard.objects.get(period__label=label, official__code=code)


# -- scoring reads the confirmed records ----------------------------------------------------


@pytest.mark.django_db
def test_a_confirmed_s14_makes_the_card_kht_citing_the_decision(world):
    """Recorded, explained, confirmed through the accountability services: the month of its
    day is KHT, with no ground recorded; the card cites the record (its id) and the
    decision (who, the day, the reason), the day dd/mm/yyyy in its reason line."""
    on, label = _this_month()
    signal = _s14(world, on=on)
    _score(world, label)
    card = _card(label)
    assert card.grade == card.grade_before_quota == "KHT"
    assert not Ground.objects.exists()
    [override] = card.data["overrides"]
    today = local_day(timezone.now()).strftime("%d/%m/%Y")
    assert override == {
        "kind": "signal", "on": on.isoformat(), "ref": f"signal:{signal.pk}",
        "detail": f"dấu hiệu đã xác nhận S14 ({FOUND}; Nguyễn Văn Đức (CG.HEAD) xác nhận "
                  f"vi phạm ngày {today}: Vi phạm đã rõ)"}
    assert f"KHT không phụ thuộc điểm: {override['detail']}, {on:%d/%m/%Y}" in \
        card.data["reasons"]
    assert _card(label, "CG.STAFF2").grade != "KHT", "only the official named"


@pytest.mark.django_db
@pytest.mark.parametrize("decision", ["accept", None])
def test_an_s14_accepted_or_not_yet_decided_changes_nothing(world, decision):
    on, label = _this_month()
    _s14(world, on=on, decision=decision)
    _score(world, label)
    card = _card(label)
    assert card.data["overrides"] == [] and card.grade != "KHT"


@pytest.mark.django_db
def test_a_confirmation_undone_stops_counting(world):
    """Decisions are final in the app today; should one be undone (its status back to
    explained), the scoring reads the status as it stands and the S14 no longer counts."""
    on, label = _this_month()
    signal = _s14(world, on=on)
    period = _score(world, label)
    assert _card(label).grade == "KHT"
    SignalRecord.objects.filter(pk=signal.pk).update(status="explained")
    services.period_score(actor=world.user("board"), period=period, on=after_end(period))
    assert _card(label).data["overrides"] == []


@pytest.mark.django_db
def test_the_records_are_read_in_one_query_whatever_their_number(
        world, django_assert_num_queries):
    on, _label = _this_month()
    first = _s14(world, on=on)
    second = _s14(world, on=on, official="CG.STAFF2")
    codes = {o.pk: o.code for o in world.officials.values()}
    with django_assert_num_queries(1):
        grounds = adapters.signal_grounds(on.year, codes)
    assert sorted(g.ref for g in grounds) == [f"signal:{first.pk}", f"signal:{second.pk}"]
    assert {g.official for g in grounds} == {"CG.STAFF", "CG.STAFF2"}
    assert adapters.signal_grounds(on.year - 1, codes) == ()


@pytest.mark.django_db
def test_a_signal_ground_recorded_for_a_confirmed_record_counts_once(world):
    """A board that recorded the confirmed S14 as a ground (before it counted by itself):
    the same official, signal and day is the record again, cited once; a ground of
    another day (an import's, say) is another ground."""
    on, label = _this_month()
    signal = _s14(world, on=on)
    official = world.officials["CG.STAFF"]
    same = services.ground_record(actor=world.user("board"), kind="signal", signal="S14",
                                  official=official, on=on, reason="S14 đã xác nhận")
    _score(world, label)
    assert [o["ref"] for o in _card(label).data["overrides"]] == [f"signal:{signal.pk}"]
    other = services.ground_record(
        actor=world.user("board"), kind="signal", signal="S14", official=official,
        on=dt.date(on.year, 1, 1) if on.month > 1 else dt.date(on.year, 1, 2),
        reason="Hồ sơ khác")
    grounds = adapters.kht_grounds(on.year, {u.pk: u.code for u in world.units.values()},
                                   {o.pk: o.code for o in world.officials.values()})
    refs = sorted(str(g.ref) for g in grounds)
    assert refs == sorted([f"ground:{other.pk}", f"signal:{signal.pk}"])
    assert f"ground:{same.pk}" not in refs


# -- the card page and sheet ---------------------------------------------------------------


@pytest.fixture
def golden_12(db):
    """Golden case 12 scored: CB002 KHT by her confirmed S14; an administrator."""
    load_golden(_case("12_confirmed_s14"))
    period = services.period_open(label="2026-10")
    services.period_score(period=period, on=after_end(period))
    return Period.objects.get(pk=period.pk), _admin()


def _card_page(client_for, user, code="CB002"):
    return client_for(user).get(reverse("evaluations:card_detail",
                                        kwargs={"label": "2026-10", "official": code}))


def test_the_card_cites_the_signal_with_a_link_and_a_day_dd_mm_yyyy(golden_12, client_for):
    _period, admin = golden_12
    signal = SignalRecord.objects.get(official__code="CB002")
    response = _card_page(client_for, admin)
    [override] = response.context["overrides"]
    url = reverse("accountability:signal_detail", kwargs={"pk": signal.pk})
    assert override["url"] == url and override["on"] == "20/10/2026"
    html = response.content.decode()
    assert f'href="{url}"' in html
    assert "2026-10-20" not in html, "no ISO day anywhere on the page"
    assert ", 20/10/2026" in html
    assert response.context["kht_not_on_card"] == []
    with translation.override("vi"):
        assert gettext(NONE_TEXT) not in html


def test_the_unit_sheet_and_the_card_form_write_the_day_dd_mm_yyyy(golden_12, client_for):
    _period, admin = golden_12
    client = client_for(admin)
    response = client.get(reverse("evaluations:unit_export",
                                  kwargs={"label": "2026-10", "code": "HN.CG.VP"}))
    book = load_workbook(io.BytesIO(response.content))
    cells = [str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
             for c in row if c is not None]
    kht = [c for c in cells if "KHT không phụ thuộc điểm" in c]
    assert kht and all(c.endswith(", 20/10/2026") and "2026-10-20" not in c for c in kht)


def test_a_card_computed_before_the_confirmation_never_says_none(golden_12, client_for):
    """CB005's S14 is confirmed after her card was computed: the box names it and says the
    card takes it in when computed again (never "none"); once the period is approved, that
    its cards are kept. Computed again while it is scored, the card is KHT."""
    period, admin = golden_12
    signal = SignalRecord.objects.get(official__code="CB005")
    SignalRecord.objects.filter(pk=signal.pk).update(status="confirmed")
    signal.steps.create(action="confirm", at=timezone.now(), by=admin, text="Vi phạm")
    response = _card_page(client_for, admin, "CB005")
    [pending] = response.context["kht_not_on_card"]
    assert (pending["signal"], pending["on"]) == ("S14", dt.date(2026, 10, 15))
    assert response.context["scorable"]
    html = response.content.decode()
    with translation.override("vi"):
        assert gettext(NONE_TEXT) not in html
    assert f'href="{pending["url"]}"' in html
    Period.objects.filter(pk=period.pk).update(status="approved")
    response = _card_page(client_for, admin, "CB005")
    assert response.context["kht_not_on_card"] and not response.context["scorable"]
    Period.objects.filter(pk=period.pk).update(status="review")
    services.period_score(period=period, on=after_end(period))
    assert ScoreCard.objects.get(period=period, official__code="CB005").grade == "KHT"
    assert _card_page(client_for, admin, "CB005").context["kht_not_on_card"] == []


def test_a_confirmed_s14_dated_after_the_period_is_not_pending_on_its_card(golden_12,
                                                                           client_for):
    """CB004's S14 (5/11) reaches November on, not October: nothing to say on October."""
    _period, admin = golden_12
    response = _card_page(client_for, admin, "CB004")
    assert response.context["overrides"] == [] and response.context["kht_not_on_card"] == []


# -- links to a signal record only for those who may open it --------------------------------


def _signal_links(client_for, user, label: str) -> tuple[dict, str]:
    response = client_for(user).get(reverse("evaluations:card_detail",
                                            kwargs={"label": label, "official": "CG.STAFF"}))
    assert response.status_code == 200
    return response.context, response.content.decode()


@pytest.mark.django_db
def test_the_card_links_a_signal_only_for_a_reader_who_may_open_it(world, client_for):
    """CG.STAFF's confirmed S14 is recorded about a unit of another district (HN.BD.VP),
    escalated nowhere: the head of HN.CG reads the card (their subtree) but not the record
    (the accountability app answers 404), so the card names it without a link, in the KHT
    grounds and in the list of confirmed signals; the official it names and the
    administrator get the links, which open."""
    on, label = _this_month()
    signal = _s14(world, on=on)
    SignalRecord.objects.filter(pk=signal.pk).update(unit=world.units["HN.BD.VP"])
    _score(world, label)
    url = reverse("accountability:signal_detail", kwargs={"pk": signal.pk})
    head = world.user("head")
    assert client_for(head).get(url).status_code == 404
    context, html = _signal_links(client_for, head, label)
    [override] = context["overrides"]
    assert override["ref"] == f"signal:{signal.pk}" and override["url"] is None
    assert f'href="{url}"' not in html
    assert "<strong>S14</strong>" in html, "named in the list of confirmed signals"
    for who in ("staff", "admin"):
        assert client_for(world.user(who)).get(url).status_code == 200
        context, html = _signal_links(client_for, world.user(who), label)
        assert context["overrides"][0]["url"] == url
        assert html.count(f'href="{url}"') == 2, "the KHT ground and the list"


@pytest.mark.django_db
def test_the_not_on_card_box_links_a_signal_only_for_a_reader_who_may_open_it(
        world, client_for, django_assert_max_num_queries):
    """An S14 confirmed after the card was computed: the box names it for every reader of
    the card, with a link only for those who may open the record; which records are
    readable is one query, whatever their number."""
    on, label = _this_month()
    _score(world, label)
    first = _s14(world, on=on)
    second = _s14(world, on=on + dt.timedelta(days=1))
    SignalRecord.objects.filter(pk=second.pk).update(unit=world.units["HN.BD.VP"])
    context, html = _signal_links(client_for, world.user("head"), label)
    urls = {g["url"] for g in context["kht_not_on_card"]}
    first_url = reverse("accountability:signal_detail", kwargs={"pk": first.pk})
    assert urls == {first_url, None}
    assert f'href="{first_url}"' in html
    assert reverse("accountability:signal_detail", kwargs={"pk": second.pk}) not in html
    from thuocdo.core.scope import scope_for
    from thuocdo.evaluations import selectors

    scope = scope_for(world.user("head"))
    with django_assert_max_num_queries(1):
        assert selectors.readable_signals(scope=scope, ids=[first.pk, second.pk, None]) \
            == {first.pk}
    with django_assert_max_num_queries(0):
        assert selectors.readable_signals(scope=scope, ids=[None]) == set()


# -- the review screen of a period that takes no more assessments ---------------------------


@pytest.mark.parametrize("status", ["approved", "published", "locked"])
def test_the_review_screen_of_a_closed_period_is_read_only(world, client_for, status):
    period = services.period_open(actor=world.user("board"), label=LABEL)
    services.period_score(actor=world.user("board"), period=period)
    _review_everything(world, period)
    url = reverse("evaluations:unit_review", kwargs={"label": LABEL, "code": "HN.CG.VP"})
    client = client_for(world.user("head"))
    page = client.get(url)
    assert page.context["editable"] and 'name="action" value="save"' in page.content.decode()
    Period.objects.filter(pk=period.pk).update(status=status)
    page = client.get(url)
    html = page.content.decode()
    assert not page.context["editable"]
    assert "-general_points" not in html and "-reason" not in html
    assert "<textarea" not in html
    assert 'value="save"' not in html and 'value="confirm"' not in html
    period.refresh_from_db()
    with translation.override("vi"):
        said = gettext("Period %(p)s is %(s)s: assessments can no longer change.") % {
            "p": period.name, "s": period.get_status_display()}
    assert page.context["closed"] == said and said in html
    staff = next(row for row in page.context["rows"]
                 if row["card"].official.code == "CG.STAFF")
    assert staff["values"][0][1] != "—", "the stored general criteria are shown"


# -- helpers of the golden cases -------------------------------------------------------------


def test_the_golden_signals_are_only_the_tests_key():
    """`signals` is no key of the exchange format: the golden loaders take it out before
    importing (the importer refuses unknown keys) and store it themselves."""
    from thuocdo.exchange.spec import KEYS

    assert "signals" not in KEYS
    assert _case("12_confirmed_s14")["signals"] and _case("13_s14_explanation_accepted")


def test_the_engine_period_of_a_ground_is_its_year_to_its_end():
    """The card page's pending S14s use the engine's own reach (`ground_in_reach`)."""
    from thuocdo.measure.scoring import DEFAULT_RUBRIC, ground_in_reach

    ground = KhtGround("signal", dt.date(2026, 10, 20), official="CB1", signal="S14")
    assert ground_in_reach(ground, EnginePeriod.parse("2026-10"), DEFAULT_RUBRIC)
    assert not ground_in_reach(ground, EnginePeriod.parse("2026-09"), DEFAULT_RUBRIC)


# -- a card's KHT grounds against those in force now (`selectors.kht_grounds_since`) ----


def test_a_signal_ground_recorded_since_the_card_is_flagged(world):
    """A ground of kind "signal" recorded by the board (as an import may) after the card
    was computed is named as not on the card yet."""
    on, label = _this_month()
    _score(world, label)
    services.ground_record(actor=world.user("board"), kind="signal",
                           official=world.officials["CG.STAFF"], on=on, signal="S14",
                           reason="Kết luận thanh tra")
    added, gone = selectors.kht_grounds_since(card=_card(label))
    assert [o.kind for o in added] == ["signal"] and gone == set()


def test_a_cited_signal_ground_the_confirmed_record_repeats_is_not_withdrawn(world):
    """The card cites the board's ground of kind "signal"; the record of the same breach
    is confirmed since: the record counts in its place (`adapters.kht_grounds`), so the
    card's ground is not said to be withdrawn."""
    on, label = _this_month()
    services.ground_record(actor=world.user("board"), kind="signal",
                           official=world.officials["CG.STAFF"], on=on, signal="S14",
                           reason="Kết luận thanh tra")
    _score(world, label)
    card = _card(label)
    assert [o["ref"].split(":")[0] for o in card.data["overrides"]] == ["ground"]
    _s14(world, on=on)
    assert selectors.kht_grounds_since(card=card) == ([], set())

"""The home page's "waiting for you" panel: for the logged-in user, what waits for their
decision or answer, each with how many and a link to the list of exactly those items; no
panel for whoever has nothing waiting; a fixed number of queries whatever the data."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from thuocdo.accountability.tests.helpers import (
    let_due_day_pass,
    overdue_signal,
    requested_signal,
    unit_signal,
)
from thuocdo.core import views
from thuocdo.core.scope import scope_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

LABEL = "2026-10"


def _under_review(world):
    """2026-10 scored by the board and under review: every card a draft."""
    from thuocdo.evaluations import services

    board = world.user("board")
    period = services.period_open(actor=board, label=LABEL)
    services.period_score(actor=board, period=period)
    services.period_start_review(actor=board, period=period)
    return period


def _reviewed(world):
    """2026-10 under review, every card reviewed (none approved yet)."""
    from thuocdo.evaluations import services
    from thuocdo.evaluations.tests.test_services import _review_everything

    board = world.user("board")
    period = services.period_open(actor=board, label=LABEL)
    services.period_score(actor=board, period=period)
    _review_everything(world, period)
    return period


def _published_with_appeal(world):
    """2026-09 published, CG.STAFF's appeal pending (the evaluations' route fixtures)."""
    from thuocdo.evaluations.tests.routes import PUBLISHED, _period

    return _period(world, PUBLISHED)


def _panel(client):
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    return response, response.context["waiting"]


def _rows_behind(client, item) -> int:
    """How many items the list behind `item`'s link shows (every page of it)."""
    parts = urlsplit(item.url)
    response = client.get(f"{parts.path}?{parts.query}" if parts.query else parts.path)
    assert response.status_code == 200, item.url
    name = resolve(parts.path).view_name
    if name == "evaluations:period_detail":
        assert parts.fragment == "appeals-to-decide"
        assert 'id="appeals-to-decide"' in response.content.decode()
        return len(response.context["appeals_to_decide"])
    if name == "tasks:my_work":
        key = parts.fragment.removeprefix("section-")
        assert f'id="{parts.fragment}"' in response.content.decode()
        return next(len(section["tasks"]) for section in response.context["sections"]
                    if section["key"] == key)
    assert name in ("evaluations:unit_ranking", "accountability:signal_list",
                    "citizens:feedback_inbox"), name
    return response.context["page"].paginator.count


def _not_own(waiting) -> list:
    """The lines about others' work (not the caller's own card to self-score)."""
    return [w for w in waiting if "your self-assessment" not in w.text]


def _check_links(client, waiting) -> None:
    for item in waiting:
        if item.count is not None:
            assert _rows_behind(client, item) == item.count, item.text


def test_nothing_waiting_no_panel(world, client_for):
    """Staff, the deputy, an outsider and the administrator with nothing to act on see no
    panel."""
    for role in ("staff", "deputy", "outsider", "admin", "inspector", "board"):
        response, waiting = _panel(client_for(world.user(role)))
        assert waiting == []
        assert "Waiting for you" not in response.content.decode()


def test_the_head_reviews_the_cards_of_the_unit_and_the_leaders_below(world, client_for):
    """Under review, the head of HN.CG reviews the staff of its division without a leader,
    its deputy and the head of the commune below: four cards, not his own. The number opens
    the ranking of HN.CG filtered to the cards waiting for his review: the same four."""
    _under_review(world)
    client = client_for(world.user("head"))
    response, waiting = _panel(client)
    waiting = _not_own(waiting)
    assert [(w.count, w.text) for w in waiting] == [
        (4, "score cards of UBND quận Cầu Giấy for October 2026 waiting for your review")]
    item = waiting[0]
    assert item.url == reverse("evaluations:unit_ranking",
                               kwargs={"label": LABEL, "code": "HN.CG"}) + "?waiting=review"
    page = response.content.decode()
    assert page.index("Waiting for you") < page.index("Due first")
    assert f'href="{item.url}"' in page
    _check_links(client, waiting)
    listed = client.get(item.url).context["cards"]
    assert sorted(c.official.code for c in listed) == ["CG.DEP", "CG.STAFF", "CG.STAFF2",
                                                       "DV.HEAD"]
    # the deputy reviews nobody while the unit has a head; the board reviews the head of
    # HN.CG, whom no leader above reviews
    assert _not_own(_panel(client_for(world.user("deputy")))[1]) == []
    board = client_for(world.user("board"))
    _response, waiting = _panel(board)
    assert [w.count for w in waiting] == [1]
    assert [c.official.code for c in board.get(waiting[0].url).context["cards"]] == [
        "CG.HEAD"]
    _check_links(board, waiting)


def test_an_official_s_own_card_waits_for_their_self_assessment(world, client_for):
    """While the period is scored or under review and their general criteria are not
    assessed, the card waits for the official's self-assessment (advisory: no count, no
    alarm); once self-scored, or assessed, it no longer does."""
    from thuocdo.evaluations import services
    from thuocdo.evaluations.models import ScoreCard

    period = _under_review(world)
    staff = client_for(world.user("staff"))
    mine = [w for w in _panel(staff)[1] if "self-assessment" in w.text]
    card_url = reverse("evaluations:card_detail",
                       kwargs={"label": LABEL, "official": "CG.STAFF"})
    assert [(w.count, w.text, w.url, w.note) for w in mine] == [
        (None, "your self-assessment of your score card for October 2026",
         card_url + "#self-heading", "until your general criteria are assessed")]
    assert 'id="self-heading"' in staff.get(card_url).content.decode()
    services.card_self_score(actor=world.user("staff"),
                             card=ScoreCard.objects.get(period=period,
                                                        official__code="CG.STAFF"),
                             general_points=29)
    assert _panel(staff)[1] == []
    deputy = client_for(world.user("deputy"))
    assert len(_panel(deputy)[1]) == 1
    services.assessment_set(actor=world.user("head"), period=period,
                            official=world.officials["CG.DEP"], general_points=30,
                            organising="0.9", uniting="0.9")
    assert _panel(deputy)[1] == []


def test_the_agency_head_and_the_board_approve(world, client_for):
    """Once reviewed, the head of the agency HN.CG approves its cards and the card of the
    head of the commune below (left for the level above); the board approves the cards of
    both agencies' heads. Each number opens the ranking filtered to exactly those, the page
    where the approval is given."""
    _reviewed(world)
    head = client_for(world.user("head"))
    _response, waiting = _panel(head)
    assert [(w.count, w.text) for w in waiting] == [
        (4, "score cards of UBND quận Cầu Giấy for October 2026 waiting for your approval")]
    assert waiting[0].url.endswith("?waiting=approve")
    _check_links(head, waiting)
    ranking = head.get(waiting[0].url)
    assert sorted(c.official.code for c in ranking.context["cards"]) == [
        "CG.DEP", "CG.STAFF", "CG.STAFF2", "DV.HEAD"]
    assert ranking.context["can_approve"]
    board = client_for(world.user("board"))
    _response, waiting = _panel(board)
    assert [w.count for w in waiting] == [2]
    assert sorted(c.official.code for c in board.get(waiting[0].url).context["cards"]) == [
        "CG.HEAD", "DV.HEAD"]
    _check_links(board, waiting)


def test_appeals_and_the_boards_steps(world, client_for):
    """A pending appeal waits for the head of its agency and for the board over it, and
    opens the period's page at the appeals they decide; an open period that has ended waits
    for the board to compute its cards, an approved one to publish them."""
    from thuocdo.evaluations import services
    from thuocdo.evaluations.models import Period

    period = _published_with_appeal(world)
    for role in ("head", "board"):
        client = client_for(world.user(role))
        _response, waiting = _panel(client)
        appeals = [w for w in waiting if "appeal" in w.text]
        assert [(w.count, w.text) for w in appeals] == [
            (1, "appeal on the grades of September 2026 waiting for your decision")]
        assert appeals[0].url == period.get_absolute_url() + "#appeals-to-decide"
        _check_links(client, appeals)
    # the appellant's colleague who decides nothing sees no such line
    assert _panel(client_for(world.user("deputy")))[1] == []
    services.period_open(actor=world.user("board"), label="2026-08")
    Period.objects.filter(label="2026-09").update(status="approved")
    board = client_for(world.user("board"))
    steps = [w for w in _panel(board)[1] if w.count is None]
    assert [(w.text, w.url) for w in steps] == [
        ("August 2026 has ended: compute its cards",
         reverse("evaluations:period_detail", kwargs={"label": "2026-08"})),
        ("September 2026 is approved: publish its grades",
         reverse("evaluations:period_detail", kwargs={"label": "2026-09"})),
    ]
    # the steps are the board's
    assert [w for w in _panel(client_for(world.user("head")))[1] if w.count is None] == []


def test_an_official_asked_to_explain_and_the_head_who_decides(world, client_for):
    """The staff member asked to explain sees it, with the due day; once the day has passed
    the head may decide: each number opens the signal list filtered to the same signals.
    A signal about HN.CG with nobody named is explained by its head."""
    from thuocdo.accountability import services
    from thuocdo.accountability.models import SignalRecord

    signal = SignalRecord.objects.get(pk=requested_signal(world)["pk"])
    staff = client_for(world.user("staff"))
    _response, waiting = _panel(staff)
    due = signal.explanation_due.strftime("%d/%m/%Y")
    assert [(w.count, w.text, w.note) for w in waiting] == [
        (1, "explanation asked of you", f"the first due by {due}")]
    assert waiting[0].url == reverse("accountability:signal_list") + "?waiting=explain"
    _check_links(staff, waiting)
    # the head waits: the explanation is not due yet
    assert _panel(client_for(world.user("head")))[1] == []

    unit = unit_signal(world)
    services.signal_request_explanation(signal=unit, user=world.user("board"),
                                        text="Vì sao im lặng?")
    let_due_day_pass(signal, days=3)
    head = client_for(world.user("head"))
    _response, waiting = _panel(head)
    assert [(w.count, w.text) for w in waiting] == [
        (1, "explanation asked of you"), (1, "signal waiting for your decision")]
    _check_links(head, waiting)
    assert [s.pk for s in head.get(waiting[1].url).context["page"]] == [signal.pk]
    assert [s.pk for s in head.get(waiting[0].url).context["page"]] == [unit.pk]
    _response, waiting = _panel(client_for(world.user("staff")))
    assert "1 past its due day" in waiting[0].note and waiting[0].urgent


def test_the_inspector_follows_the_overdue_explanations(world, client_for):
    """An inspector decides nothing: what waits for them is the explanations overdue in the
    units they inspect, opening the signal list with the same filters."""
    overdue_signal(world)
    inspector = client_for(world.user("inspector"))
    _response, waiting = _panel(inspector)
    assert [(w.count, w.text) for w in waiting] == [
        (1, "explanation overdue in UBND quận Cầu Giấy, the units you inspect")]
    assert waiting[0].url == (reverse("accountability:signal_list")
                              + "?unit=HN.CG&overdue=on")
    _check_links(inspector, waiting)


def test_feedback_to_assign_and_to_answer(world, client_for):
    """Feedback received by HN.CG.VP waits for the head of HN.CG to assign it; assigned to
    CG.STAFF, it waits for his answer. Each number opens the inbox with the same filter."""
    from thuocdo.citizens import services
    from thuocdo.citizens.tests.factories import feedback

    case = feedback(world)
    feedback(world, "PA-ME", official="CG.HEAD")  # about the head: he takes no part in it
    head = client_for(world.user("head"))
    _response, waiting = _panel(head)
    assert [(w.count, w.text) for w in waiting] == [(1, "citizens' feedback case to assign")]
    _check_links(head, waiting)
    services.feedback_assign(user=world.user("head"), feedback=case,
                             assignee=world.officials["CG.STAFF"], workdays=5)
    staff = client_for(world.user("staff"))
    _response, waiting = _panel(staff)
    assert [(w.count, w.text) for w in waiting] == [
        (1, "citizens' feedback case assigned to you to answer")]
    _check_links(staff, waiting)


def test_work_waiting_comes_from_my_work(world, client_for):
    """A product handed in and an extension request wait for the head who assigned the
    work: the lines repeat the "My work" counts and open its sections."""
    from thuocdo.tasks.tests.api_routes import act, make_task

    handed = make_task(world, code="T-SUB", lead="CG.STAFF")
    act(world, handed, "accept", "CG.STAFF")
    act(world, handed, "submit", "CG.STAFF")
    extended = make_task(world, code="T-EXT", lead="CG.STAFF")
    act(world, extended, "accept", "CG.STAFF")
    act(world, extended, "extension_request", "CG.STAFF",
        new_due=(extended.due + dt.timedelta(days=5)).isoformat(), reason="Chờ số liệu")
    head = client_for(world.user("head"))
    response, waiting = _panel(head)
    counts = response.context["my_work_counts"]
    assert [(w.count, w.text) for w in waiting] == [
        (counts["to_review"], "product handed in or guidance request waiting for you"),
        (counts["to_decide"], "extension request waiting for your decision")]
    assert [w.count for w in waiting] == [1, 1]
    _check_links(head, waiting)


def _overdue(world, key: str, *, unit: str, official: str | None = None):
    """A signal about `unit` (naming `official`) whose explanation was due three days ago."""
    from django.utils import timezone

    from thuocdo.accountability.models import SignalRecord
    from thuocdo.accountability.tests.helpers import today_month
    from thuocdo.measure.history import local_day

    now = timezone.now()
    return SignalRecord.objects.create(
        key=key, code="S8", period=today_month(), raised_on=local_day(now),
        subject_kind="person", unit=world.units[unit],
        official=world.officials[official] if official else None, explanation="Im lặng",
        first_seen=now, last_seen=now, status="requested",
        explanation_due=local_day(now) - dt.timedelta(days=3))


def test_the_number_of_queries_does_not_grow_with_the_data(world):
    """The panel of a head who is also on the board and an inspector elsewhere reads the
    same number of queries with one of each thing waiting as with more units, cards,
    signals, appeals and feedback."""
    from thuocdo.accountability.tests.helpers import member
    from thuocdo.accounts import services as accounts
    from thuocdo.citizens.tests.factories import feedback
    from thuocdo.evaluations import services
    from thuocdo.evaluations.models import ScoreCard
    from thuocdo.org import services as org

    head = world.user("head")
    accounts.scope_grant(user=head, role="board", unit=world.units["HN.BD"],
                         start=dt.date(2025, 1, 1))
    accounts.scope_grant(user=head, role="inspector", unit=world.units["HN.SNV"],
                         start=dt.date(2025, 1, 1))
    period = _under_review(world)
    published = _published_with_appeal(world)
    _overdue(world, "S8|VP|CG.STAFF", unit="HN.CG.VP", official="CG.STAFF")
    _overdue(world, "S8|TCCB", unit="HN.SNV.TCCB")
    feedback(world)
    services.period_open(actor=world.user("board"), label="2026-08")

    def measure():
        scope = scope_for(head)
        with CaptureQueriesContext(connection) as queries:
            found = views.waiting_for(scope, my_work_counts={})
        return len(queries), {w.url: w.count for w in found}

    few, before = measure()
    # review, appeals, signals, feedback, a step, the inspection, the head's own self-score
    assert len(before) == 7
    # more of everything: two divisions with a head and staff each (their cards under
    # review), signals and feedback about them, a second appeal
    for n in (1, 2):
        world.units[f"HN.CG.P{n}"] = org.unit_create(
            code=f"HN.CG.P{n}", name=f"Phòng {n}", kind="division",
            parent=world.units["HN.CG"], rebuild=False)
    org.unit_tree_rebuild()
    for unit in world.units.values():
        unit.refresh_from_db()
    for n in (1, 2):
        code = f"HN.CG.P{n}"
        for who, position in ((f"P{n}.HEAD", "head"), (f"P{n}.S1", "staff"),
                              (f"P{n}.S2", "staff")):
            official = member(world, who, unit=code, position=position, user=False)
            ScoreCard.objects.create(
                period=period, official=official, unit=world.units[code],
                agency=world.units["HN.CG"], position=position, rubric_version="r",
                engine_version="e", data={})
            _overdue(world, f"S8|{who}", unit=code, official=who)
        feedback(world, f"PA-P{n}", unit=code)
    _overdue(world, "S8|TCCB|again", unit="HN.SNV.TCCB")
    staff2 = accounts.user_create(email="s2@example.vn", password="Thuocdo-test-2026",
                                  official=world.officials["CG.STAFF2"])
    services.appeal_file(actor=staff2, card=published.cards.get(official__code="CG.STAFF2"),
                         reason="Chưa thỏa đáng")
    many, after = measure()
    assert after.keys() == before.keys()
    assert all(after[url] > before[url] for url in before if before[url] is not None)
    assert many == few


def test_home_after_a_unit_moved_while_its_cards_wait_for_approval(world, client_for):
    """A reorganisation moves a unit out of the agency whose head approves its cards: the
    home page still opens, and counts only what the linked ranking lists."""
    from thuocdo.org import services as org

    _reviewed(world)
    org.unit_update(unit=world.units["HN.CG.VP"], parent=world.units["HN.BD"])
    response = client_for(world.user("head")).get(reverse("core:home"))
    assert response.status_code == 200

"""Rules of the procedure found by a user review: a period's cards are computed only once it
has ended; an accepted appeal re-scores the appellant's card and the quota only."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django.utils.translation import gettext

from thuocdo.core.errors import ServiceError
from thuocdo.core.templatetags.periods import period_name
from thuocdo.evaluations import services
from thuocdo.evaluations.models import Period, ScoreCard

from .helpers import CASES, load_golden, read


def _month_of(day: dt.date) -> str:
    return f"{day:%Y-%m}"


@pytest.mark.django_db
def test_a_period_not_ended_is_not_scored_and_says_when_it_can_be():
    """The current month (and so its quarter and year) counts open work as unfinished: no
    card is computed before the day after it ends; the day after, it is."""
    today = timezone.localdate()
    period = services.period_open(label=_month_of(today))
    with pytest.raises(ServiceError) as refused:
        services.period_score(period=period)
    assert refused.value.service_code == "period_not_ended"
    assert period.end.strftime("%d/%m/%Y") in refused.value.service_message
    period.refresh_from_db()
    assert period.status == "open" and not ScoreCard.objects.filter(period=period).exists()
    with pytest.raises(ServiceError):
        services.period_score(period=period, on=period.end)  # its last day still counts
    services.period_score(period=period, on=period.end + dt.timedelta(days=1))
    period.refresh_from_db()
    assert period.status == "scoring"


@pytest.mark.django_db
@pytest.mark.parametrize("label", ["next-month", "quarter", "year"])
def test_the_command_refuses_a_period_not_ended_and_writes_nothing(label):
    today = timezone.localdate()
    label = {"next-month": _month_of(today.replace(day=28) + dt.timedelta(days=7)),
             "quarter": f"{today.year}-Q{(today.month - 1) // 3 + 1}",
             "year": str(today.year)}[label]
    end = services.parse_period(label).end.strftime("%d/%m/%Y")
    with pytest.raises(CommandError, match=f"{period_name(label)}.*{end}"):
        call_command("score", "--period", label, stdout=io.StringIO(), stderr=io.StringIO())
    assert not Period.objects.filter(label=label).exists()


@pytest.mark.django_db
def test_the_command_scores_an_ended_period():
    load_golden(read(CASES[0]))
    out = io.StringIO()
    call_command("score", "--period", "2026-10", "--json", stdout=out, stderr=io.StringIO())
    assert Period.objects.get(label="2026-10").status == "scoring"
    assert ScoreCard.objects.filter(period__label="2026-10").exists()


# -- the test world's October, through the procedure -------------------------------------


def _published(world):
    """2026-10 of the test world scored, reviewed, approved and published on 02/11/2026 with
    5 days for appeals (as `test_services.test_the_whole_procedure`)."""
    from .test_services import _review_everything

    period = services.period_open(actor=world.user("board"), label="2026-10")
    services.period_score(actor=world.user("board"), period=period)
    _review_everything(world, period)
    services.agency_approve(actor=world.user("head"), period=period, agency=world.units["HN.CG"])
    services.agency_approve(actor=world.user("admin"), period=period,
                            agency=world.units["HN.BD"])
    services.agency_approve(actor=world.user("board"), period=period,
                            agency=world.units["HN.CG"])
    services.period_publish(actor=world.user("board"), period=period, appeal_days=5,
                            on=dt.date(2026, 11, 2))
    period.refresh_from_db()
    return period


def _card(code: str) -> ScoreCard:
    return ScoreCard.objects.select_related("official", "period").get(
        period__label="2026-10", official__code=code)


@pytest.mark.django_db
def test_a_locked_period_says_it_is_final(world):
    """After the lock an appeal is refused because the period is locked (not because the
    grades are unpublished), and no step says "not yet"."""
    period = _published(world)
    services.period_lock(actor=world.user("board"), period=period, on=dt.date(2026, 11, 9))
    period.refresh_from_db()
    refusal = services.appeal_refusal(period, on=dt.date(2026, 11, 9))
    assert refusal.service_code == "period_locked"
    assert refusal.service_message == gettext(
        "Period %(p)s is locked: its grades are final and no appeal is accepted any more."
    ) % {"p": period_name("2026-10")}
    with pytest.raises(ServiceError) as refused:
        services.appeal_file(actor=world.user("staff"), card=_card("CG.STAFF"), reason="x",
                             on=dt.date(2026, 11, 9))
    assert refused.value.service_code == "period_locked"
    for step in (services.period_start_review, services.period_publish):
        with pytest.raises(ServiceError) as refused:
            step(actor=world.user("board"), period=period)
        assert refused.value.service_message == gettext(
            "Period %(p)s is locked: its grades are final and it no longer changes."
        ) % {"p": period_name("2026-10")}


@pytest.mark.django_db
def test_self_scoring_closes_once_the_head_has_assessed(world):
    """The self-score informs the head's assessment: once the official is assessed, the
    service refuses it (and says since when)."""
    from .test_services import assess

    period = services.period_open(actor=world.user("board"), label="2026-10")
    services.period_score(actor=world.user("board"), period=period)
    staff = world.user("staff")
    assert services.self_score_refusal(_card("CG.STAFF")) is None
    services.card_self_score(actor=staff, card=_card("CG.STAFF"), general_points=29)
    assess(world, "head", "CG.STAFF", 27, "Chậm một báo cáo")
    with pytest.raises(ServiceError) as refused:
        services.card_self_score(actor=staff, card=_card("CG.STAFF"), general_points=30)
    assert refused.value.service_code == "already_assessed"
    assert _card("CG.STAFF").self_points == 29


@pytest.mark.django_db
def test_a_leaders_missing_rating_is_said_on_their_row(world, client_for):
    """On the review screen a leader's row without đ is refused next to that field, and the
    page names whose row; nothing is saved. The service names the leader too."""
    from thuocdo.evaluations.models import Assessment

    period = services.period_open(actor=world.user("board"), label="2026-10")
    services.period_score(actor=world.user("board"), period=period)
    services.period_start_review(actor=world.user("board"), period=period)
    card = _card("CG.DEP")
    client = client_for(world.user("head"))
    url = "/scores/2026-10/unit/HN.CG/review/"
    page = client.get(url)
    assert page.status_code == 200
    data = {"action": "save"}
    for row in page.context["rows"]:
        form = row["form"]
        data[f"{form.prefix}-general_points"] = "30"
        if "organising" in form.fields:
            data[f"{form.prefix}-uniting"] = "1"  # đ left blank
    posted = client.post(url, data)
    assert posted.status_code == 200
    (row,) = [r for r in posted.context["rows"] if r["card"].pk == card.pk]
    assert row["form"].errors["organising"] == [gettext("Rate this leader's capacity from 0 "
                                                         "to 1.")]
    assert "CG.DEP" in " ".join(str(m) for m in posted.context["messages"])
    assert not Assessment.objects.filter(period=period).exists()
    with pytest.raises(ServiceError) as refused:
        services.assessment_set(actor=world.user("head"), period=period,
                                official=world.officials["CG.DEP"], general_points=30,
                                uniting=1)
    assert refused.value.service_code == "leader_rating"
    assert "CG.DEP" in refused.value.service_message


@pytest.mark.django_db
def test_the_pages_offer_only_what_the_rules_allow(world, client_for):
    """The period page of a month not ended says why instead of offering to compute; the
    card page stops offering the self-score once the official is assessed."""
    from .test_services import assess

    board = client_for(world.user("board"))
    current = services.period_open(actor=world.user("board"),
                                   label=_month_of(timezone.localdate()))
    page = board.get(f"/scores/{current.label}/")
    assert page.context["not_ended"] == services.ended_refusal(current).service_message
    assert f"/scores/{current.label}/act/score/" not in page.content.decode()
    period = services.period_open(actor=world.user("board"), label="2026-10")
    services.period_score(actor=world.user("board"), period=period)
    assert board.get("/scores/2026-10/").context["not_ended"] == ""
    staff = client_for(world.user("staff"))
    assert staff.get("/scores/2026-10/card/CG.STAFF/").context["can_self_score"]
    assess(world, "head", "CG.STAFF", 27, "Chậm một báo cáo")
    assert not staff.get("/scores/2026-10/card/CG.STAFF/").context["can_self_score"]

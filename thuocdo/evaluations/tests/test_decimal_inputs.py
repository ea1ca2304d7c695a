"""Every decimal a person types on the scores pages (the quota share, the head's review, the
self-assessment, the appeal's corrected points) takes "30,5" as the pages write numbers in
Vietnamese, and "30.5" too; the fields are text inputs with the numeric keyboard, and show
stored values with a comma (core/forms.py, `DecimalNumberField`)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from thuocdo.evaluations import services
from thuocdo.evaluations.models import Assessment, QuotaException

from .test_board_pages_and_notices import approved, reviewed, scored  # noqa: F401
from .test_services import LABEL, card

pytestmark = pytest.mark.django_db

REASON = "Đơn vị dẫn đầu phong trào thi đua năm 2026"


def _decimal_input(html: str, name: str) -> str:
    """The <input> tag of the field `name` in the page."""
    start = html.index(f'name="{name}"')
    return html[html.rindex("<input", 0, start):html.index(">", start) + 1]


@pytest.mark.parametrize("typed", ["30,5", "30.5"])
def test_the_quota_share_takes_a_decimal_comma_or_dot(world, client_for, typed):
    """"30,5" was 305 in Chromium's number input in Vietnamese, refused by the services."""
    client = client_for(world.user("board"))
    url = reverse("evaluations:quota_exception_add")
    tag = _decimal_input(client.get(url).content.decode(), "share")
    assert 'type="text"' in tag and 'inputmode="decimal"' in tag
    response = client.post(url, {
        "agency": "HN.CG", "valid_from": "01/10/2026", "valid_to": "31/12/2026",
        "share": typed, "decision": "15/QĐ-UBND", "decided_on": "15/09/2026",
        "reason": REASON})
    assert response.status_code == 302, response.context["form"].errors
    exception = QuotaException.objects.get()
    assert exception.share == Decimal("0.305")
    page = client.get(reverse("evaluations:quota_exception_change",
                              kwargs={"pk": exception.pk})).content.decode()
    assert 'value="30,50"' in _decimal_input(page, "share")


def test_the_head_s_review_takes_decimal_commas_and_shows_them(world, client_for, scored):  # noqa: F811
    """A staff member's general criteria, a deputy's too with their đ and e ratings."""
    services.period_start_review(actor=world.user("board"), period=scored)
    client = client_for(world.user("head"))
    staff, colleague, deputy = card("CG.STAFF"), card("CG.STAFF2"), card("CG.DEP")

    def review(code):
        return reverse("evaluations:unit_review", kwargs={"label": LABEL, "code": code})

    page = client.get(review("HN.CG")).content.decode()
    for name in ("general_points", "organising", "uniting"):
        tag = _decimal_input(page, f"c{deputy.pk}-{name}")
        assert 'type="text"' in tag and 'inputmode="decimal"' in tag
    for code, data in (
        ("HN.CG.VP", {f"c{staff.pk}-general_points": "28,5",
                      f"c{staff.pk}-reason": "Chậm báo cáo",
                      f"c{colleague.pk}-general_points": "30"}),
        ("HN.CG", {f"c{deputy.pk}-general_points": "29.25",
                   f"c{deputy.pk}-reason": "Chưa đôn đốc",
                   f"c{deputy.pk}-organising": "0,8", f"c{deputy.pk}-uniting": "0.9"}),
    ):
        response = client.post(review(code), {"action": "save", **data})
        assert response.status_code == 302, [
            row["form"].errors for row in response.context["rows"] if row["form"].errors]
    assessed = {a.official.code: a for a in Assessment.objects.select_related("official")}
    assert assessed["CG.STAFF"].general_points == Decimal("28.5")
    assert (assessed["CG.DEP"].general_points, assessed["CG.DEP"].organising,
            assessed["CG.DEP"].uniting) == (Decimal("29.25"), Decimal("0.8"), Decimal("0.9"))
    page = client.get(review("HN.CG.VP")).content.decode()
    assert 'value="28,50"' in _decimal_input(page, f"c{staff.pk}-general_points")
    page = client.get(review("HN.CG")).content.decode()
    assert 'value="0,800"' in _decimal_input(page, f"c{deputy.pk}-organising")


def test_the_self_score_takes_a_decimal_comma(world, client_for, scored):  # noqa: F811
    services.period_start_review(actor=world.user("board"), period=scored)
    client = client_for(world.user("staff"))
    url = reverse("evaluations:card_self_score",
                  kwargs={"label": LABEL, "official": "CG.STAFF"})
    client.post(url, {"general_points": "28,5", "note": "Đủ việc"})
    assert card("CG.STAFF").self_points == Decimal("28.5")


@pytest.mark.parametrize("typed", ["27,5", "27.5"])
def test_the_appeal_s_corrected_points_take_a_decimal_comma_or_dot(world, client_for,
                                                                   approved, typed):  # noqa: F811
    """Over HTTP "22,5" was refused as "Enter a number."."""
    services.period_publish(actor=world.user("board"), period=approved, appeal_days=10)
    appeal = services.appeal_file(actor=world.user("staff"), card=card("CG.STAFF"),
                                  reason="Tôi đã hoàn thành đủ việc")
    client = client_for(world.user("head"))
    url = reverse("evaluations:appeal_decide", kwargs={"pk": appeal.pk})
    assert 'inputmode="decimal"' in _decimal_input(client.get(url).content.decode(),
                                                   "general_points")
    response = client.post(url, {"accepted": "1", "reason": "Đủ căn cứ",
                                 "general_points": typed})
    assert response.status_code == 302, response.context["form"].errors
    assert card("CG.STAFF").general_points == Decimal("27.5")


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(("typed", "error"), [
    ("31", "Ensure this value is less than or equal to 30."),
    ("-1", "Ensure this value is greater than or equal to 0."),
    ("abc", "Enter a number, e.g. 22.5 (a comma or a dot before the decimals)."),
    ("", "This field is required."),
])
def test_a_self_score_refused_shows_the_card_again_with_what_was_typed(
        world, client_for, scored, typed, error):  # noqa: F811
    """Found by a walk: every refusal sent back to the card with one message ("from 0 to
    30", "abc" included) and lost the score and the note typed."""
    services.period_start_review(actor=world.user("board"), period=scored)
    client = client_for(world.user("staff"))
    url = reverse("evaluations:card_self_score",
                  kwargs={"label": LABEL, "official": "CG.STAFF"})
    response = client.post(url, {"general_points": typed, "note": "Đủ việc"})
    assert response.status_code == 200
    form = response.context["self_form"]
    assert form.errors["general_points"] == [error]
    html = response.content.decode()
    assert "Đủ việc" in html and (f'value="{typed}"' in html if typed else True)
    assert card("CG.STAFF").self_points is None, "nothing written"


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(("decision", "said"), [
    ({"accepted": "1", "general_points": "29"},
     "The appeal was accepted: the card was computed again with the corrected general "
     "criteria."),
    ({"accepted": "1"}, "The appeal was accepted without a correction of the general "
                        "criteria: the card stays as published."),
    ({"accepted": "0"}, "The appeal was rejected; the card stays as published."),
])
def test_the_decision_says_what_became_of_the_card(world, client_for, approved,  # noqa: F811
                                                  decision, said):
    """Found by a walk: an appeal accepted without a correction read as any decision
    ("recorded") while the card did not change."""
    services.period_publish(actor=world.user("board"), period=approved, appeal_days=10)
    appeal = services.appeal_file(actor=world.user("staff"), card=card("CG.STAFF"),
                                  reason="Tôi đã hoàn thành đủ việc")
    client = client_for(world.user("head"))
    response = client.post(reverse("evaluations:appeal_decide", kwargs={"pk": appeal.pk}),
                           {"reason": "Đủ căn cứ", **decision}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [said]

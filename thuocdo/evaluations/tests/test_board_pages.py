"""The organisation board's pages: opening a period from the periods list (a month typed
YYYY-MM or MM/YYYY, a quarter, a year), and the KHT grounds (a list filtered by year, kind
and unit with who recorded each, its xlsx export, a form recording one with a prefill from
GET parameters, the correction of the written reason). Bad input is said on its field and
writes nothing; only the board and the administrator see these forms (routes.py: the
permission specs)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.messages import constants as levels
from django.urls import reverse
from openpyxl import load_workbook

from thuocdo.core.errors import PermissionDeniedError, ServiceError
from thuocdo.core.models import AuditEntry
from thuocdo.evaluations import services
from thuocdo.evaluations.models import Ground, Period, ScoreCard

LABEL = "2026-10"
ON = "03/10/2026"


def _messages(response) -> list[tuple[int, str]]:
    return [(m.level, str(m)) for m in response.context["messages"]]


def _errors(response) -> dict:
    return response.context["open_form"].errors if "open_form" in response.context \
        else response.context["form"].errors


@pytest.fixture
def scored(world):
    period = services.period_open(actor=world.user("board"), label=LABEL)
    services.period_score(actor=world.user("board"), period=period)
    return Period.objects.get(pk=period.pk)


def _card(code: str) -> ScoreCard:
    return ScoreCard.objects.get(period__label=LABEL, official__code=code)


# -- opening a period --------------------------------------------------------------------


OPEN = reverse("evaluations:period_open")


@pytest.mark.parametrize(("data", "label"), [
    ({"kind": "month", "month": "11/2026"}, "2026-11"),
    ({"kind": "month", "month": "2026-12"}, "2026-12"),
    ({"kind": "quarter", "quarter": "4", "year": "2026"}, "2026-Q4"),
    ({"kind": "year", "year": "2026", "month": "junk"}, "2026"),
])
def test_the_board_opens_a_month_a_quarter_or_a_year(world, client_for, data, label):
    """The month is typed either way; the fields of another kind are ignored. The period's
    page follows, with a message naming what was opened and its dates; the audit trail
    says who opened it."""
    response = client_for(world.user("board")).post(OPEN, data, follow=True)
    period = Period.objects.get(label=label)
    assert response.redirect_chain[-1][0] == period.get_absolute_url()
    [(level, text)] = _messages(response)
    assert level == levels.SUCCESS
    assert period.start.strftime("%d/%m/%Y") in text
    assert period.end.strftime("%d/%m/%Y") in text
    assert AuditEntry.objects.get(action="period.open", object_code=label).actor == \
        world.user("board")


def test_a_period_open_already_is_said_and_not_changed(world, client_for, scored):
    response = client_for(world.user("admin")).post(
        OPEN, {"kind": "month", "month": "10/2026"}, follow=True)
    assert response.redirect_chain[-1][0] == scored.get_absolute_url()
    [(level, _text)] = _messages(response)
    assert level == levels.INFO
    assert Period.objects.get(label=LABEL).status == scored.status
    assert AuditEntry.objects.filter(action="period.open", object_code=LABEL).count() == 1


@pytest.mark.parametrize(("data", "field"), [
    ({"kind": "month", "month": "13/2026"}, "month"),
    ({"kind": "month", "month": ""}, "month"),
    ({"kind": "month", "month": "12/2025"}, "month"),  # no rubric in force before 2026
    ({"kind": "quarter", "year": "2026"}, "quarter"),
    ({"kind": "quarter", "quarter": "5", "year": "2026"}, "quarter"),
    ({"kind": "quarter", "quarter": "1"}, "year"),
    ({"kind": "year", "year": "26"}, "year"),
    ({"kind": "week"}, "kind"),
])
def test_bad_input_is_said_on_its_field_and_opens_nothing(world, client_for, data, field):
    response = client_for(world.user("board")).post(OPEN, data)
    assert response.status_code == 200
    assert list(_errors(response)) == [field]
    assert 'id="period-open"' in response.content.decode()
    assert not Period.objects.exists()
    assert not AuditEntry.objects.filter(action="period.open").exists()


def test_only_the_board_and_the_administrator_see_the_form(world, client_for):
    url = reverse("evaluations:period_list")
    for role in ("board", "admin"):
        page = client_for(world.user(role)).get(url).content.decode()
        assert f'action="{OPEN}"' in page
        assert reverse("evaluations:ground_list") in page
    for role in ("inspector", "head", "deputy", "staff", "outsider"):
        response = client_for(world.user(role)).get(url)
        assert response.context["open_form"] is None
        page = response.content.decode()
        assert OPEN not in page
        assert reverse("evaluations:ground_list") not in page
        assert client_for(world.user(role)).post(OPEN, {"kind": "year", "year": "2026"}
                                                 ).status_code == 403
    assert not Period.objects.exists()


# -- recording a KHT ground ----------------------------------------------------------------


ADD = reverse("evaluations:ground_add")
LIST = reverse("evaluations:ground_list")


def _ground(**data) -> dict:
    return {"kind": "discipline", "official": "cg.staff", "on": ON, "level": "reprimand",
            "reason": "Quyết định số 12/QĐ-UBND ngày 03/10/2026", **data}


def test_a_recorded_ground_makes_the_card_kht_once_scored_again(world, client_for, scored):
    """The code is typed in any case; the message names the periods to score again; after
    scoring the open period again, the card is KHT with the ground among its reasons."""
    assert _card("CG.STAFF").grade != "KHT"
    client = client_for(world.user("board"))
    response = client.post(ADD, _ground(), follow=True)
    assert response.redirect_chain[-1][0] == f"{LIST}?year=2026"
    ground = Ground.objects.get()
    assert (ground.kind, ground.official.code, ground.on, ground.level) == (
        "discipline", "CG.STAFF", dt.date(2026, 10, 3), "reprimand")
    said = _messages(response)
    assert [level for level, _text in said] == [levels.SUCCESS, levels.INFO]
    assert "Lê Văn Cường (CG.STAFF)" in said[0][1] and ON in said[0][1]
    assert scored.name in said[1][1], "the period to score again is named"
    # the list names the official, the recorder and when
    page = response.content.decode()
    assert "Lê Văn Cường" in page and "CG.STAFF" in page
    assert "Ban Tổ chức" in page
    assert ground.recorded_at.astimezone(dt.UTC).strftime("%Y") in page
    client.post(reverse("evaluations:period_act", kwargs={"label": LABEL, "action": "score"}))
    card = _card("CG.STAFF")
    assert card.grade == "KHT"
    assert card.data["overrides"][0]["kind"] == "discipline"
    assert _card("CG.STAFF2").grade != "KHT", "only the official concerned"
    # the review screen says why the card is KHT, as the card does
    review = client_for(world.user("head")).get(reverse(
        "evaluations:unit_review", kwargs={"label": LABEL, "code": "HN.CG.VP"}))
    assert review.content.decode().count("KHT bất kể điểm số") == 1


@pytest.mark.usefixtures("english")
def test_the_card_says_a_ground_recorded_or_withdrawn_since_it_was_computed(
        world, client_for, scored):
    """Until the cards are computed again, the card's KHT box names a ground recorded since
    (never "none applies") and marks one withdrawn since as such."""
    board = client_for(world.user("board"))
    url = reverse("evaluations:card_detail", kwargs={"label": LABEL, "official": "CG.STAFF"})
    none_applies = "None applies to this period"
    recorded_since = "recorded since this card was computed"
    withdrawn_since = "withdrawn since this card was computed"
    assert none_applies in board.get(url).content.decode()
    board.post(ADD, _ground())
    page = board.get(url).content.decode()
    assert f"Discipline of 03/10/2026, {recorded_since}" in page
    assert none_applies not in page and "does not take it into account yet" in page
    assert recorded_since not in board.get(reverse("evaluations:card_detail", kwargs={
        "label": LABEL, "official": "CG.STAFF2"})).content.decode(), "only the one concerned"
    board.post(reverse("evaluations:period_act", kwargs={"label": LABEL, "action": "score"}))
    page = board.get(url).content.decode()
    assert recorded_since not in page and withdrawn_since not in page
    board.post(reverse("evaluations:ground_withdraw", kwargs={"pk": Ground.objects.get().pk}),
               {"reason": "Ghi nhầm người"})
    page = board.get(url).content.decode()
    assert withdrawn_since in page and "still takes it into account" in page
    board.post(reverse("evaluations:period_act", kwargs={"label": LABEL, "action": "score"}))
    page = board.get(url).content.decode()
    assert withdrawn_since not in page and none_applies in page


def test_a_degradation_and_corruption_in_a_unit_but_no_confirmed_signal(world, client_for,
                                                                        scored):
    """A conclusion of degradation is about an official; corruption or waste is about a
    unit, and makes its leaders KHT. A confirmed S14 is not recorded here (its record
    counts by itself): the form does not offer the kind."""
    client = client_for(world.user("admin"))
    page = client.get(ADD).content.decode()
    assert '<option value="degradation"' in page and '<option value="signal"' not in page
    assert 'name="signal"' not in page
    refused = client.post(ADD, _ground(kind="signal", signal="s14", level="",
                                       official="CG.STAFF2"))
    assert list(_errors(refused)) == ["kind"]
    assert client.post(ADD, _ground(kind="degradation", level="",
                                    official="CG.STAFF2")).status_code == 302
    assert client.post(ADD, _ground(kind="corruption", official="nobody", unit="HN.CG",
                                    level="junk")).status_code == 302, \
        "the fields a kind does not use are ignored"
    degradation, corruption = Ground.objects.order_by("pk")
    assert (degradation.kind, degradation.official.code, degradation.unit,
            degradation.signal) == ("degradation", "CG.STAFF2", None, "")
    assert (corruption.unit.code, corruption.official, corruption.level) == ("HN.CG", None, "")
    services.period_score(actor=world.user("board"), period=scored)
    assert _card("CG.STAFF2").grade == "KHT"
    assert _card("CG.HEAD").grade == "KHT"


@pytest.mark.parametrize(("data", "field"), [
    ({"reason": "   "}, "reason"),
    ({"official": "CG.NOBODY"}, "official"),
    ({"official": ""}, "official"),
    ({"official": "bd.staff"}, "official"),  # outside the board's reach
    ({"level": ""}, "level"),
    ({"on": ""}, "on"),
    ({"on": "31/02/2026"}, "on"),
    ({"on": "01/01/2100"}, "on"),  # in the future
    ({"kind": "corruption", "unit": ""}, "unit"),
    ({"kind": "corruption", "unit": "HN.BD"}, "unit"),  # outside the board's reach
    ({"kind": "signal", "signal": "S14"}, "kind"),  # a confirmed S14 counts by itself
    ({"kind": "amnesty"}, "kind"),
])
def test_bad_input_is_said_on_its_field_and_records_nothing(world, client_for, data, field):
    response = client_for(world.user("board")).post(ADD, _ground(**data))
    assert response.status_code == 200
    assert list(_errors(response)) == [field]
    assert not Ground.objects.exists()
    assert not AuditEntry.objects.filter(object_type="evaluations.ground").exists()


def test_the_form_is_prefilled_from_get_parameters(world, client_for):
    """Kind, official, date and reason arrive filled in; a date that does not parse, an
    unknown kind or one the form does not offer (a confirmed signal: its record counts by
    itself) is left out."""
    client = client_for(world.user("board"))
    response = client.get(ADD, {"kind": "degradation", "official": "CG.STAFF",
                                "on": "2026-10-03", "reason": "Kết luận số 5"})
    form = response.context["form"]
    assert form.initial == {"kind": "degradation", "official": "CG.STAFF",
                            "on": dt.date(2026, 10, 3), "reason": "Kết luận số 5"}
    page = response.content.decode()
    assert '<option value="degradation" selected>' in page
    assert 'value="03/10/2026"' in page and 'value="CG.STAFF"' in page
    assert "Kết luận số 5</textarea>" in page
    response = client.get(ADD, {"kind": "pardon", "on": "yesterday", "official": "CG.STAFF"})
    assert response.context["form"].initial == {"official": "CG.STAFF"}
    response = client.get(ADD, {"kind": "signal", "signal": "S14", "official": "CG.STAFF"})
    assert response.context["form"].initial == {"official": "CG.STAFF"}
    assert not Ground.objects.exists(), "a prefill records nothing"


# -- the list, its export, the correction of the reason ------------------------------------


@pytest.fixture
def grounds(world):
    admin = world.user("admin")
    made = {}
    for code, on in (("CG.STAFF", dt.date(2026, 10, 3)), ("BD.STAFF", dt.date(2026, 5, 2)),
                     ("CG.STAFF2", dt.date(2025, 11, 20))):
        made[code] = services.ground_record(actor=admin, official=world.officials[code],
                                            on=on, level="warning", reason=f"Vi phạm {code}")
    made["HN.CG.DV"] = services.ground_record(actor=admin, kind="corruption",
                                              unit=world.units["HN.CG.DV"],
                                              on=dt.date(2026, 8, 1), reason="Lãng phí")
    return made


def _listed(response) -> list[int]:
    return [g.pk for g in response.context["grounds"]]


def test_the_list_filters_by_year_kind_and_unit_within_the_reach(world, client_for, grounds):
    admin, board = client_for(world.user("admin")), None
    everything = _listed(admin.get(LIST))
    assert everything == [grounds[c].pk for c in ("CG.STAFF", "HN.CG.DV", "BD.STAFF",
                                                  "CG.STAFF2")], "newest first"
    assert _listed(admin.get(LIST, {"year": "2025"})) == [grounds["CG.STAFF2"].pk]
    assert _listed(admin.get(LIST, {"kind": "corruption"})) == [grounds["HN.CG.DV"].pk]
    assert _listed(admin.get(LIST, {"unit": "HN.BD"})) == [grounds["BD.STAFF"].pk]
    assert _listed(admin.get(LIST, {"unit": "HN.CG", "year": "2026"})) == [
        grounds["CG.STAFF"].pk, grounds["HN.CG.DV"].pk]
    board = client_for(world.user("board"))
    assert grounds["BD.STAFF"].pk not in _listed(board.get(LIST)), "outside the board's reach"
    response = board.get(LIST, {"unit": "HN.BD"})
    assert list(response.context["form"].errors) == ["unit"]
    assert _listed(response) == [], "an invalid filter lists nothing"
    response = board.get(LIST, {"year": "twenty"})
    assert list(response.context["form"].errors) == ["year"] and _listed(response) == []
    page = board.get(LIST).content.decode()
    assert "UBND phường Dịch Vọng" in page and "HN.CG.DV" in page
    assert "Quản trị" in page, "who recorded it"


def test_the_export_lists_what_the_filters_list(world, client_for, grounds):
    response = client_for(world.user("board")).get(reverse("evaluations:ground_export"),
                                                   {"year": "2026"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="kht-')
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "2026" in rows[0][0], "the filters are said"
    body = rows[2:]
    assert [row[4] for row in body] == ["CG.STAFF", None]
    assert body[0][0].date() == dt.date(2026, 10, 3)
    assert sheet.cell(row=3, column=1).number_format == "DD/MM/YYYY"
    assert body[1][6:8] == ("UBND phường Dịch Vọng", "HN.CG.DV")
    assert body[0][8] == "Vi phạm CG.STAFF" and body[0][9] == "Quản trị"


def test_the_reason_is_corrected_with_the_trail(world, client_for, grounds):
    ground = grounds["CG.STAFF"]
    url = reverse("evaluations:ground_reason", kwargs={"pk": ground.pk})
    client = client_for(world.user("board"))
    response = client.post(url, {"reason": "  "})
    assert list(response.context["form"].errors) == ["reason"]
    ground.refresh_from_db()
    assert ground.reason == "Vi phạm CG.STAFF", "nothing written"
    response = client.post(url, {"reason": "Quyết định số 13/QĐ-UBND"}, follow=True)
    ground.refresh_from_db()
    assert ground.reason == "Quyết định số 13/QĐ-UBND"
    entry = AuditEntry.objects.get(action="ground.reason", object_code=str(ground.pk))
    assert entry.changes == {"before": "Vi phạm CG.STAFF"}
    assert entry.actor == world.user("board")
    assert "Quyết định số 13/QĐ-UBND" in response.content.decode()
    assert client.get(reverse("evaluations:ground_reason",
                              kwargs={"pk": grounds["BD.STAFF"].pk})).status_code == 404


def test_a_ground_withdrawn_stays_listed_counts_no_more_and_says_who_and_why(
        world, client_for, scored):
    client = client_for(world.user("board"))
    client.post(ADD, _ground())
    client.post(reverse("evaluations:period_act", kwargs={"label": LABEL, "action": "score"}))
    assert _card("CG.STAFF").grade == "KHT"
    ground = Ground.objects.get()
    url = reverse("evaluations:ground_withdraw", kwargs={"pk": ground.pk})
    assert f'href="{url}"' in client.get(LIST, {"year": "2026"}).content.decode()
    # no reason: refused on the field, nothing written
    response = client.post(url, {"reason": " "})
    assert response.status_code == 200 and list(response.context["form"].errors) == ["reason"]
    assert Ground.objects.get().confirmed
    assert not AuditEntry.objects.filter(action="ground.withdraw").exists()
    response = client.post(url, {"reason": "Ghi nhầm người"}, follow=True)
    assert response.redirect_chain[-1][0] == f"{LIST}?year=2026"
    assert [level for level, _text in _messages(response)] == [levels.SUCCESS, levels.INFO]
    ground.refresh_from_db()
    assert not ground.confirmed
    entry = AuditEntry.objects.get(action="ground.withdraw", object_code=str(ground.pk))
    assert (entry.actor, entry.reason, entry.changes) == (
        world.user("board"), "Ghi nhầm người", {"confirmed": [True, False]})
    page = response.content.decode()
    assert "Ghi nhầm người" in page and f'href="{url}"' not in page, "listed, withdrawn"
    assert "đã rút: không được tính" in page and "chưa xác nhận" not in page
    # once withdrawn, there is nothing to withdraw: the page sends back to the list
    again = client.get(url)
    assert again.status_code == 302 and again["Location"] == f"{LIST}?year=2026"
    with pytest.raises(ServiceError) as refused:
        services.ground_withdraw(actor=world.user("board"), ground=ground, reason="Lần nữa")
    assert refused.value.service_code == "ground_withdrawn"
    # the export says it does not count, who withdrew it and why
    sheet = load_workbook(io.BytesIO(client.get(
        reverse("evaluations:ground_export"), {"year": "2026"}).content)).active
    [row] = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[4] == "CG.STAFF"]
    assert row[13] in {"không", "no"} and row[14] and row[16] == "Ghi nhầm người"
    # scored again, the card is no longer KHT
    client.post(reverse("evaluations:period_act", kwargs={"label": LABEL, "action": "score"}))
    assert _card("CG.STAFF").grade != "KHT"


def test_only_the_board_and_the_administrator_withdraw_a_ground(world, grounds):
    ground = grounds["CG.STAFF"]
    for role in ("head", "inspector", "staff"):
        with pytest.raises(PermissionDeniedError):
            services.ground_withdraw(actor=world.user(role), ground=ground, reason="x")
    ground.refresh_from_db()
    assert ground.confirmed


def test_the_board_changes_grounds_only_of_officials_working_in_its_reach(world, client_for):
    """BD.STAFF worked in HN.CG.VP years ago: the board over HN.CG reads them, but a ground
    about them changes a grade in another district, so it neither records, corrects nor
    withdraws one, and the list offers no link to."""
    from thuocdo.org.models import Membership

    official = world.officials["BD.STAFF"]
    Membership.objects.create(official=official, unit=world.units["HN.CG.VP"],
                              position="staff", start=dt.date(2020, 1, 1),
                              end=dt.date(2021, 1, 1))
    board = world.user("board")
    with pytest.raises(PermissionDeniedError):
        services.ground_record(actor=board, official=official, on=dt.date(2026, 10, 3),
                               level="reprimand", reason="QĐ 12")
    ground = services.ground_record(actor=world.user("admin"), official=official,
                                    on=dt.date(2026, 10, 3), level="reprimand",
                                    reason="QĐ 12")
    for change in (services.ground_withdraw, services.ground_reason_set):
        with pytest.raises(PermissionDeniedError):
            change(actor=board, ground=ground, reason="Không thuộc quận")
    client = client_for(board)
    for name in ("evaluations:ground_withdraw", "evaluations:ground_reason"):
        url = reverse(name, kwargs={"pk": ground.pk})
        assert client.get(url).status_code == 404
        assert client.post(url, {"reason": "Không thuộc quận"}).status_code == 404
    ground.refresh_from_db()
    assert ground.confirmed and ground.reason == "QĐ 12", "nothing written"
    page = client.get(LIST, {"year": "2026"}).content.decode()
    assert reverse("evaluations:ground_withdraw", kwargs={"pk": ground.pk}) not in page
    # the administrator may
    services.ground_withdraw(actor=world.user("admin"), ground=ground, reason="Nhầm")

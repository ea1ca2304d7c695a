"""The service index from the database (hand-computed scenario), its page, its partial for
the accountability dashboard, and its xlsx export."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from fractions import Fraction

import pytest
from django.template.loader import render_to_string
from openpyxl import load_workbook

from thuocdo.citizens import selectors, services
from thuocdo.citizens.choices import count_labels
from thuocdo.core.scope import scope_for

from . import factories

VN = dt.timezone(dt.timedelta(hours=7))
pytestmark = pytest.mark.django_db
OCTOBER = {"period_start": dt.date(2026, 10, 1), "period_end": dt.date(2026, 10, 31)}


def at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=VN)


@pytest.fixture
def scenario(world):
    """D1 on time, rated satisfied; D2 online, late, unsatisfied; D3 online, open past its
    deadline 26/10; a Ba Đình dossier that does not count. F1 answered on time, closed,
    satisfied; F2 unanswered past 15/10."""
    staff = world.users["staff"]
    d1 = factories.dossier(world, "D1", received_at=at("2026-10-01"))
    d2 = factories.dossier(world, "D2", received_at=at("2026-10-01"), channel="online")
    d3 = factories.dossier(world, "D3", received_at=at("2026-10-15"), channel="online")
    factories.dossier(world, "D-BD", received_at=at("2026-10-01"))
    assert d3.due == dt.date(2026, 10, 26)
    for dossier, day, rating in ((d1, "2026-10-09", "satisfied"),
                                 (d2, "2026-10-14", "unsatisfied")):
        services.dossier_move(user=staff, dossier=dossier, at=at(day, 8))
        services.dossier_move(user=staff, dossier=dossier,
                              to_official=world.officials["CG.HEAD"], at=at(day, 9))
        services.dossier_return_result(user=world.users["head"], dossier=dossier,
                                       at=at(day, 10))
        services.dossier_rate(user=world.users["head"], dossier=dossier, rating=rating,
                              at=at(day, 11))
    f1 = factories.feedback(world, "F1", submitted_at=at("2026-10-01"))
    factories.feedback(world, "F2", submitted_at=at("2026-10-01"))
    services.feedback_reply(user=world.users["head"], feedback=f1, answer="Đã giải quyết xong.",
                            now=at("2026-10-05"))
    services.feedback_close(user=world.users["head"], feedback=f1, now=at("2026-10-06"))
    services.feedback_rate(feedback=f1, rating="satisfied", now=at("2026-10-07"))
    return world


def test_service_index_of_a_hand_computed_month(scenario):
    """Done 2, on time 1 → 1/2. Late: (D3 open overdue + D2 late) ÷ 3 received → 2/3.
    Online 2/3. Feedback on time: F1 ÷ (F1 + F2 overdue) → 1/2; satisfaction with feedback
    1/1; with dossiers 1/2. Progress 20 × (1/2 + 1/3)/2 = 8.33; online 22 × 2/3 = 14.67;
    satisfaction 18 × (1/2 + 1 + 1/2)/3 = 12.00; total 35.00 of 60."""
    world = scenario
    result = selectors.service_index(scope=scope_for(world.users["head"]),
                                     unit=world.units["HN.CG"], **OCTOBER)
    r = result.rates
    assert (r.on_time, r.late, r.online) == (Fraction(1, 2), Fraction(2, 3), Fraction(2, 3))
    assert (r.feedback_on_time, r.feedback_satisfaction, r.dossier_satisfaction) == (
        Fraction(1, 2), Fraction(1), Fraction(1, 2))
    assert {g.key: g.points for g in result.groups} == {
        "transparency": None, "progress": Decimal("8.33"), "digitisation": None,
        "online": Decimal("14.67"), "satisfaction": Decimal("12.00")}
    assert result.index.total == Decimal("35.00")


def test_a_unit_outside_the_scope_is_not_found(scenario):
    from thuocdo.org.models import Unit

    with pytest.raises(Unit.DoesNotExist):
        selectors.service_index(scope=scope_for(scenario.users["outsider"]),
                                unit=scenario.units["HN.CG"], **OCTOBER)


def test_the_partial_shows_no_data_never_zero(scenario):
    result = selectors.service_index(scope=scope_for(scenario.users["head"]),
                                     unit=scenario.units["HN.CG"], **OCTOBER)
    html = render_to_string("citizens/_service_index.html", {"index": result})
    assert "14.67 / 22" in html.replace(",", ".")
    assert html.count("chưa có dữ liệu") >= 2


def test_page_and_xlsx_export(scenario, client_for):
    client = client_for(scenario.users["head"])
    query = "unit=HN.CG&start=2026-10-01&end=2026-10-31"
    page = client.get(f"/citizens/index/?{query}")
    assert page.status_code == 200
    assert "35" in page.content.decode()
    export = client.get(f"/citizens/index/export.xlsx?{query}")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = {row[0]: row[1:] for row in sheet.iter_rows(values_only=True) if row and row[0]}
    values = list(rows.values())
    assert any(v[0] == pytest.approx(14.67) for v in values)
    assert any(v[0] == pytest.approx(35.0) and v[1] == 60 for v in values)
    assert rows[count_labels()["dossiers_open_overdue"]][0] == 1, "named as on the page"

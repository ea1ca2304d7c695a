"""The words of a quarter's or a year's card (a user-acceptance review of the demo): the
formula names the months whose T it averages, and the months are written as the pages write
them ("tháng 9/2026", not "tháng 09/2026"), in the formula, the deductions' reasons and the
reasons of an unrated month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from thuocdo.measure.scoring import Assessment, OfficialInput, roll_up_quarter

from .test_scoring import UNITS, a_task, at, ev, score, staff


def on_time(code: str, official: str, due: dt.date, **kwargs):
    """Handed in the day before `due` and approved on it."""
    return a_task(
        code,
        official,
        ev("submit", at(due.day - 1, month=due.month)),
        ev("approve", at(due.day, month=due.month)),
        due=due,
        **kwargs,
    )


def _third_quarter():
    """August: one product on time (T = 70). September: one product a working day late
    (T = 70 × 2.75 / 3 = 64.17). July: nothing assigned."""
    people = [staff("CB1")]
    late = (ev("submit", at(16, month=9)), ev("approve", at(16, 15, month=9)))
    tasks = [
        on_time("T1", "CB1", due=dt.date(2026, 8, 14)),
        a_task("T2", "CB1", *late, due=dt.date(2026, 9, 15)),
    ]
    monthly = [
        c for m in ("2026-07", "2026-08", "2026-09") for c in score(people, tasks, period=m).cards
    ]
    return roll_up_quarter(
        period="2026-Q3",
        monthly=monthly,
        officials=people,
        units=UNITS,
        assessments={"CB1": Assessment(30)},
    ).card("CB1")


def test_the_formula_names_the_months_it_averages():
    card = _third_quarter()
    assert card.months == (
        ("2026-07", None),
        ("2026-08", Decimal("70.00")),
        ("2026-09", Decimal("64.17")),
    )
    assert card.formula.split("; ")[0] == (
        "T = trung bình T các tháng có dữ liệu = (T tháng 8/2026 + T tháng 9/2026) / 2 = "
        "(70,00 + 64,17) / 2 = 67,09"
    )  # 67.085 half-up


def test_one_month_with_data_is_named_too():
    people = [staff("CB1")]
    monthly = [
        c
        for m in ("2026-07", "2026-08", "2026-09")
        for c in score(people, [on_time("T1", "CB1", due=dt.date(2026, 9, 15))], period=m).cards
    ]
    card = roll_up_quarter(
        period="2026-Q3",
        monthly=monthly,
        officials=people,
        units=UNITS,
        assessments={"CB1": Assessment(30)},
    ).card("CB1")
    assert card.formula.split("; ")[0] == (
        "T = trung bình T các tháng có dữ liệu = T tháng 9/2026 = 70,00"
    )


def test_a_deduction_names_its_month_without_a_leading_zero():
    card = _third_quarter()
    [delay] = [d for d in card.deductions if d.kind == "delay"]
    assert delay.month == "2026-09"
    assert delay.reason.startswith("tháng 9/2026: 5,83 điểm của tháng ÷ 2 tháng có dữ liệu")
    assert "09/2026" not in card.formula + " ".join(card.reasons)


def test_an_unrated_month_is_named_without_a_leading_zero():
    head = OfficialInput("CB0", "HN.CG", "head", None)
    tasks = [
        on_time("T1", "CB0", unit="HN.CG", due=dt.date(2026, 8, 14)),
        a_task("T2", "CB0", unit="HN.CG", due=dt.date(2026, 9, 15)),
    ]
    monthly = [
        *score([head], tasks, {"CB0": Assessment(30, (), 1, 1)}, period="2026-08").cards,
        *score([head], tasks, {"CB0": Assessment(30)}, period="2026-09").cards,
    ]
    card = roll_up_quarter(
        period="2026-Q3",
        monthly=monthly,
        officials=[head],
        units=UNITS,
        assessments={"CB0": Assessment(30, (), 1, 1)},
    ).card("CB0")
    assert card.task_points is None
    assert card.reasons[0].startswith("tháng 9/2026 chưa có điểm nhiệm vụ")
    assert "T = chưa có dữ liệu (tháng 9/2026 có sản phẩm" in card.formula

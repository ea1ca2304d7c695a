"""Period labels (`core.periods.parse_period`): the three forms, and a clear refusal for
anything else, a year the calendar cannot hold included (it used to raise ValueError)."""

import pytest

from thuocdo.core.errors import ServiceError
from thuocdo.core.periods import parse_period


@pytest.mark.parametrize(("label", "kind"), [("2026-10", "month"), ("2026-Q4", "quarter"),
                                             ("2026", "year"), (" 2026-01 ", "month")])
def test_the_three_forms(label, kind):
    assert parse_period(label).kind == kind


@pytest.mark.parametrize("label", ["", "2026-13", "2026-Q5", "10/2026", "0000", "0000-01",
                                   "0000-Q1", "9999-12", "1899-12", "3000", None])
def test_anything_else_is_refused_naming_the_label(label):
    with pytest.raises(ServiceError) as refused:
        parse_period(label)
    assert refused.value.field == "period"
    assert (label or "").strip() in refused.value.service_message


@pytest.mark.parametrize(("value", "label"), [("11/2026", "2026-11"), ("2026-1", "2026-01"),
                                              ("1900-01", "1900-01"), ("12/2999", "2999-12"),
                                              ("0000-01", None), ("9999-12", None),
                                              ("13/2026", None), ("abc", None)])
def test_a_month_as_typed(value, label):
    from thuocdo.core.forms import month_label

    assert month_label(value) == label

"""The task forms' own rules: one message per wrong field, and ranges of days that say
when they are reversed."""

from __future__ import annotations

import pytest
from django.utils import translation

from thuocdo.core.scope import scope_for
from thuocdo.tasks.forms import CoordinationForm, StepForm, TaskFilterForm

NOT_A_DAY = "Nhập một ngày có thật, theo dạng dd/mm/yyyy."


@pytest.mark.django_db
def test_a_coordinating_row_with_a_day_that_is_none_says_that_only(world):
    """31/11/2026 is no day: the row said so, and also "give the coordinating unit its
    deadline", as if none had been typed."""
    with translation.override("vi"):
        form = CoordinationForm({"unit": "HN.CG.DV", "due": "31/11/2026"})
        assert not form.is_valid()
        assert form.errors == {"due": [NOT_A_DAY]}
        empty = CoordinationForm({"unit": "HN.CG.DV", "due": ""})
        assert not empty.is_valid()
        assert empty.errors == {"due": ["Hãy nhập hạn cho đơn vị phối hợp."]}


def test_a_step_with_an_allowance_refused_says_that_only():
    with translation.override("en"):
        form = StepForm({"name": "Thẩm định", "allowance": "0"})
        assert not form.is_valid()
        assert list(form.errors) == ["allowance"] and len(form.errors["allowance"]) == 1
        assert "Give the step its allowance." not in form.errors["allowance"]


@pytest.mark.django_db
@pytest.mark.parametrize(("start", "end"), [("due_from", "due_to"),
                                            ("assigned_from", "assigned_to")])
def test_a_reversed_range_of_days_on_the_work_list_is_said(world, start, end):
    """As every other list's: not "0 tasks" without a word."""
    scope = scope_for(world.user("head"))
    with translation.override("en"):
        form = TaskFilterForm({start: "30/11/2026", end: "01/11/2026"}, scope=scope)
        assert not form.is_valid()
        assert form.errors[end] == ["The end is before the start."]
        same_day = TaskFilterForm({start: "01/11/2026", end: "01/11/2026"}, scope=scope)
        assert same_day.is_valid(), same_day.errors

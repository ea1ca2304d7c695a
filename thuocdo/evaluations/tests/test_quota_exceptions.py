"""An approved exception for an outstanding unit raises the HTXS cap (domain.md, "Quota";
THUOCDO_QUOTA_EXCEPTIONS): golden case 06 has three candidates for HTXS in HN.CG, of whom
one keeps it under the 20% cap; with HN.CG's share raised to 50%, two do."""

from __future__ import annotations

from fractions import Fraction

import pytest

from thuocdo.evaluations import selectors
from thuocdo.evaluations.models import ScoreCard

from .helpers import quota_case_under_review

pytestmark = pytest.mark.django_db


def _kept(period) -> int:
    return ScoreCard.objects.filter(period=period, agency__code="HN.CG", grade="HTXS").count()


def test_without_an_exception_the_cap_is_20_percent():
    period, _admin = quota_case_under_review()
    assert _kept(period) == 1


def test_an_exception_raises_the_cap_for_its_agency(settings):
    settings.THUOCDO_QUOTA_EXCEPTIONS = {"HN.CG": "0.5"}
    period, _admin = quota_case_under_review()
    assert _kept(period) == 2
    cards = list(ScoreCard.objects.filter(period=period).select_related("agency"))
    line = next(line for line in selectors.quota_lines(period=period, cards=cards)
                if line.agency.code == "HN.CG" and not line.task_group)
    assert line.share == Fraction(1, 2)

"""The engine's side of an approved exception for an outstanding unit (domain.md, "Quota"):
it raises the HTXS share of one agency, and the candidates' quota decisions cite its
decision (golden case 14 is the worked example)."""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction

from thuocdo.measure.scoring import (
    DEFAULT_RUBRIC,
    QuotaException,
    card_from_dict,
    quota_share,
)

from .test_scoring import GOLDEN, load_inputs

CASE = json.loads((GOLDEN / "14_quota_exception.json").read_text(encoding="utf-8"))
FORTY = QuotaException(share=Fraction(2, 5), decision="15/QĐ-UBND",
                       decided_on=dt.date(2026, 9, 15))


def test_an_exception_sets_the_share_only_when_it_raises_the_rubric_s():
    assert quota_share("HN.CG", DEFAULT_RUBRIC, {"HN.CG": FORTY}) == (Fraction(2, 5), FORTY)
    assert quota_share("HN.BD", DEFAULT_RUBRIC, {"HN.CG": FORTY}) == (Fraction(1, 5), None)
    for share in (Fraction(1, 5), Fraction(1, 10)):
        low = QuotaException(share=share, decision="1/QĐ")
        assert quota_share("HN.CG", DEFAULT_RUBRIC, {"HN.CG": low}) == (Fraction(1, 5), None)


def test_a_share_given_alone_is_an_exception_without_a_decision():
    """The cards then say the share, and cite no decision."""
    scores = load_inputs(CASE).score("2026-10", quota_exceptions={"HN.CG": "0.4"})
    card = scores.card("CB202")
    assert card.grade.value == "HTXS"
    assert card.quota.exception == QuotaException(share=Fraction(2, 5))
    assert card.quota.reason.startswith("hạn mức HTXS 40% số HTT cuối cùng: ứng viên thứ 2/3")


def test_a_card_with_an_exception_reads_back_whole_and_one_without_reads_as_before():
    scores = load_inputs(CASE).score("2026-10", quota_exceptions={"HN.CG": FORTY})
    cited = scores.card("CB203").as_dict()
    assert cited["quota"]["exception"] == {"share": 0.4, "decision": "15/QĐ-UBND",
                                           "decided_on": "2026-09-15"}
    assert card_from_dict(cited).as_dict() == cited
    assert card_from_dict(cited).quota.exception == FORTY
    plain = scores.card("CB301").as_dict()  # HN.BD: the rubric's share
    assert set(plain["quota"]) == {"rank", "candidates", "kept", "scopes", "reason"}
    assert card_from_dict(plain).as_dict() == plain
    (state,) = [s for s in scores.quota if s.agency == "HN.CG" and s.task_group is None]
    assert state.exception == FORTY and state.as_dict()["exception"]["decision"] == "15/QĐ-UBND"

"""Which engine rubric scores a period.

The rubrics themselves (every weight, threshold, percentage and switch, with its legal basis
and effective date) are versioned in the engine (`thuocdo.measure.scoring.Rubric`): a change
of law is a new `Rubric` there, registered in `RUBRICS` here. The setting
`THUOCDO_SCORING_RUBRIC` pins a version; by default a period is scored with the latest
registered rubric in force on its first day. The version used is stored on the period and on
every card, so a re-run with the same data and rubric gives the same cards.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from thuocdo.core.errors import ServiceError
from thuocdo.core.templatetags.periods import period_name
from thuocdo.measure.scoring import RUBRIC_335_2025, Period, Rubric

RUBRICS: dict[str, Rubric] = {r.version: r for r in (RUBRIC_335_2025,)}


def rubric_for(period: Period) -> Rubric:
    """The rubric that scores `period` (refused when none is in force)."""
    pinned = getattr(settings, "THUOCDO_SCORING_RUBRIC", "") or ""
    if pinned:
        if pinned not in RUBRICS:
            raise ServiceError(_("Unknown scoring rubric “%(v)s”.") % {"v": pinned},
                               code="rubric_unknown")
        rubric = RUBRICS[pinned]
    else:
        in_force = [r for r in RUBRICS.values() if r.effective_from <= period.start]
        if not in_force:
            raise ServiceError(
                _("No scoring rubric is in force for %(p)s.") % {
                               "p": period_name(period.label)},
                code="rubric_not_in_force")
        rubric = max(in_force, key=lambda r: r.effective_from)
    if rubric.effective_from > period.start:
        raise ServiceError(_("No scoring rubric is in force for %(p)s.") % {
                               "p": period_name(period.label)},
                           code="rubric_not_in_force")
    return rubric

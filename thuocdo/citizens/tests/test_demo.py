"""The demo's citizens data: written through the services, realistic, and a no-op twice."""

from __future__ import annotations

import pytest

from thuocdo.citizens import services
from thuocdo.citizens.demo import DEMO_KEY, demo_citizens
from thuocdo.citizens.models import Dossier, Feedback, Procedure
from thuocdo.core.testing import SINCE

pytestmark = pytest.mark.django_db


def test_demo_citizens_fills_a_commune(world):
    from thuocdo.org import services as org

    for code, name in (("DV.S1", "Ngô Thị Hạnh"), ("DV.S2", "Lý Văn Phúc")):
        official = org.official_create(code=code, name=name)
        org.membership_start(official=official, unit=world.units["HN.CG.DV"], position="staff",
                             task_group=world.groups["CM"], start=SINCE)
    summary = demo_citizens()
    assert Procedure.objects.count() == 1
    assert Dossier.objects.exists() and Feedback.objects.count() == 5
    assert Dossier.objects.filter(status="done").exists()
    assert Feedback.objects.filter(forwards=1, unit__code="HN.CG").count() == 1
    assert "hồ sơ" in summary
    keyed = [d for d in Dossier.objects.all() if services.access_key_matches(d, DEMO_KEY)]
    assert keyed and len(keyed) <= 3
    assert DEMO_KEY in summary and all(d.code in summary for d in keyed)
    assert any(d.status == "done" and not d.rating for d in keyed)
    before = Dossier.objects.count()
    again = demo_citizens()
    assert Dossier.objects.count() == before
    assert all(d.code in again for d in keyed), "the keys are printed every time"

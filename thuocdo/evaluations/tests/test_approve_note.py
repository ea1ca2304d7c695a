"""The approval of an agency's cards from its ranking page takes an optional note, kept as
the approval's reason in the audit trail (docs/scoring.md, "The procedure")."""

from __future__ import annotations

import pytest
from django.contrib.messages import constants as levels
from django.urls import reverse

from thuocdo.core.models import AuditEntry
from thuocdo.evaluations import services
from thuocdo.evaluations.models import Period

from .test_services import LABEL, _review_everything, card

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

NOTE = "Đã đối chiếu kết quả với biên bản họp đánh giá ngày 05/11/2026"


@pytest.fixture
def reviewed(world):
    """2026-10 scored, every card assessed and reviewed."""
    period = services.period_open(actor=world.user("board"), label=LABEL)
    services.period_score(actor=world.user("board"), period=period)
    _review_everything(world, period)
    return Period.objects.get(pk=period.pk)


def _urls(code: str = "HN.CG") -> tuple[str, str]:
    kwargs = {"label": LABEL, "code": code}
    return (reverse("evaluations:unit_ranking", kwargs=kwargs),
            reverse("evaluations:agency_approve", kwargs=kwargs))


def test_the_approve_form_offers_an_optional_note(world, reviewed, client_for):
    ranking, approve = _urls()
    page = client_for(world.user("head")).get(ranking)
    form = page.context["approve_form"]
    assert "note" in form.fields and not form.fields["note"].required
    html = page.content.decode()
    assert f'action="{approve}"' in html and 'name="note"' in html


def test_the_note_is_recorded_with_the_approval(world, reviewed, client_for):
    _ranking, approve = _urls()
    response = client_for(world.user("head")).post(approve, {"note": f"  {NOTE} "})
    assert response.status_code == 302
    assert card("CG.STAFF").status == "approved"
    entry = AuditEntry.objects.get(action="agency.approve")
    assert entry.reason == NOTE
    assert entry.actor == world.user("head")
    assert entry.object_code == f"{LABEL}/HN.CG"
    assert "CG.STAFF" in entry.changes["approved"]


def test_an_approval_without_a_note_is_recorded_with_none(world, reviewed, client_for):
    _ranking, approve = _urls()
    assert client_for(world.user("head")).post(approve).status_code == 302
    assert card("CG.STAFF").status == "approved"
    assert AuditEntry.objects.get(action="agency.approve").reason == ""


def test_a_note_too_long_approves_nothing_and_says_why(world, reviewed, client_for):
    ranking, approve = _urls()
    response = client_for(world.user("head")).post(approve, {"note": "x" * 2001},
                                                   follow=True)
    assert response.redirect_chain[-1][0] == ranking
    said = [(m.level, str(m)) for m in response.context["messages"]]
    assert [level for level, _text in said] == [levels.ERROR]
    assert "2000" in said[0][1]
    assert card("CG.STAFF").status == "reviewed"
    assert not AuditEntry.objects.filter(action="agency.approve").exists()

"""The public case page tells a citizen when they may rate (once the unit closes the case,
`services.feedback_rate_refusal`) and thanks them once they have; the dossier page thanks
them too."""

from __future__ import annotations

import pytest

from thuocdo.citizens import services
from thuocdo.citizens.models import Feedback

from . import factories
from .test_dossier_portal import returned

pytestmark = pytest.mark.django_db
NOTE = "You can rate the handling once the unit closes the complaint."
THANKS = "Thank you for your rating."


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def _page(client, code: str = "PA-RATE") -> str:
    response = client.post("/phan-anh/tra-cuu/", {"code": code, "key": factories.KEY})
    assert response.status_code == 200
    return response.content.decode()


def test_an_answered_case_says_it_can_be_rated_once_closed(world, client):
    """The walker found an answered case with neither a form nor a word about rating."""
    case = factories.feedback(world, "PA-RATE", kind="complaint", official="CG.STAFF2")
    assert NOTE in _page(client), "received: not closed yet"
    case = services.feedback_reply(user=world.users["head"], feedback=case,
                                   answer="Đã xử lý xong hồ sơ.")
    page = _page(client)
    assert case.status == "answered"
    assert NOTE in page and 'id="rate-note"' in page and 'name="rating"' not in page
    services.feedback_close(user=world.users["head"], feedback=case)
    page = _page(client)
    assert NOTE not in page and 'name="rating"' in page


def test_the_note_names_the_kind_sent(world, client):
    factories.feedback(world, "PA-FB")
    assert "once the unit closes the feedback." in _page(client, "PA-FB")


def test_a_rating_taken_is_thanked_for_and_shown(world, client):
    case = factories.feedback(world, "PA-RATE")
    services.feedback_reply(user=world.users["head"], feedback=case, answer="Đã xử lý xong.")
    services.feedback_close(user=world.users["head"], feedback=case)
    assert THANKS not in _page(client)
    rated = client.post("/phan-anh/danh-gia/", {"code": "PA-RATE", "key": factories.KEY,
                                                "rating": "satisfied"})
    page = rated.content.decode()
    assert rated.status_code == 200
    assert THANKS in page and 'role="status"' in page
    assert "Your rating" in page and 'name="rating"' not in page and NOTE not in page
    assert Feedback.objects.get(pk=case.pk).rating == "satisfied"
    later = _page(client)
    assert THANKS not in later, "thanked once, when the rating is taken"
    again = client.post("/phan-anh/danh-gia/", {"code": "PA-RATE", "key": factories.KEY,
                                                "rating": "unsatisfied"})
    assert again.status_code == 400 and THANKS not in again.content.decode()


def test_a_refused_rating_is_not_doubled_by_the_note(world, client):
    factories.feedback(world, "PA-RATE")
    refused = client.post("/phan-anh/danh-gia/", {"code": "PA-RATE", "key": factories.KEY,
                                                  "rating": "satisfied"})
    page = refused.content.decode()
    assert refused.status_code == 400 and 'id="rate-refusal"' in page
    assert 'id="rate-note"' not in page and THANKS not in page


def test_a_dossier_rating_is_thanked_for(world, client):
    dossier = returned(world)
    rated = client.post("/phan-anh/ho-so/danh-gia/", {"code": dossier.code,
                                                      "key": factories.KEY,
                                                      "rating": "satisfied"})
    assert rated.status_code == 200
    assert THANKS in rated.content.decode()

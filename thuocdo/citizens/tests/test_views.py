"""Staff pages: acting from the feedback and dossier pages, field errors, scoped lists, the
apology-slip prompt on the page."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from thuocdo.citizens import services
from thuocdo.citizens.models import Dossier, Feedback

from . import factories

pytestmark = pytest.mark.django_db


def test_inbox_is_scoped(world, client_for):
    factories.feedback(world)
    factories.feedback(world, "PA-BD", unit="HN.BD.VP")
    content = client_for(world.users["staff"]).get("/citizens/").content.decode()
    assert "PA-CG" in content and "PA-BD" not in content
    content = client_for(world.users["outsider"]).get("/citizens/").content.decode()
    assert "PA-BD" in content and "PA-CG" not in content


def test_assign_then_answer_then_close_from_the_page(world, client_for):
    factories.feedback(world)
    head = client_for(world.users["head"])
    bad = head.post("/citizens/feedback-act/assign/PA-CG/", {"assignee": "BD.STAFF",
                                                             "workdays": "5"})
    assert bad.status_code == 400
    assert "Đặng Thị Giang" not in bad.content.decode()  # out of reach: named by nobody
    assert Feedback.objects.get(code="PA-CG").assignee is None
    assert head.post("/citizens/feedback-act/assign/PA-CG/",
                     {"assignee": "CG.STAFF", "workdays": "5"}).status_code == 302
    staff = client_for(world.users["staff"])
    page = staff.get("/citizens/feedback/PA-CG/").content.decode()
    assert "feedback-act/reply/PA-CG/" in page and "feedback-act/assign/" not in page
    assert staff.post("/citizens/feedback-act/reply/PA-CG/",
                      {"answer": "Đã trả lời công dân."}).status_code == 302
    assert staff.post("/citizens/feedback-act/close/PA-CG/").status_code == 302
    assert Feedback.objects.get(code="PA-CG").status == "closed"


def test_forward_requires_a_reason(world, client_for):
    factories.feedback(world)
    head = client_for(world.users["head"])
    response = head.post("/citizens/feedback-act/forward/PA-CG/", {"to_unit": "HN.CG.DV",
                                                                   "reason": ""})
    assert response.status_code == 400
    assert Feedback.objects.get(code="PA-CG").unit.code == "HN.CG.VP"


def test_receive_a_dossier_and_act_on_it(world, client_for):
    factories.procedure(world)
    staff = client_for(world.users["staff"])
    response = staff.post("/citizens/dossiers/receive/", {
        "procedure": "P-CG", "applicant": "Trần Văn Nam", "channel": "counter"})
    assert response.status_code == 302
    dossier = Dossier.objects.get()
    assert response["Location"] == f"/citizens/dossier-receipt/{dossier.code}/"
    receipt = staff.get(response["Location"]).content.decode()
    key = re.search(r'id="access-key">([A-Z0-9]+)<', receipt).group(1)
    assert services.access_key_matches(dossier, key)
    assert dossier.due.strftime("%d/%m/%Y") in receipt
    again = staff.get(response["Location"]).content.decode()
    assert 'id="access-key"' not in again and key not in again, "the key is shown once"
    page = staff.get(f"/citizens/dossier/{dossier.code}/").content.decode()
    assert "dossier-act/move/" in page and "dossier-act/apology/" in page
    bad = staff.post(f"/citizens/dossier-act/apology/{dossier.code}/",
                     {"reason": "Quá tải", "new_date": dossier.due.isoformat()})
    assert bad.status_code == 400
    assert staff.post(f"/citizens/dossier-act/supplement_request/{dossier.code}/",
                      {"reason": "Thiếu bản vẽ thiết kế"}).status_code == 302
    assert Dossier.objects.get().status == "waiting_supplement"


def test_the_holder_sees_the_apology_prompt(world, client_for):
    dossier = factories.dossier(world, received_at=dt.datetime(2026, 10, 1, 9, tzinfo=dt.UTC))
    staff = client_for(world.users["staff"])
    url = f"/citizens/dossier/{dossier.code}/"
    assert 'role="alert"' not in staff.get(url).content.decode()
    services.apology_prompts_create(today=dt.date(2026, 10, 9))
    assert 'role="alert"' in staff.get(url).content.decode()
    listing = staff.get("/citizens/dossiers/").content.decode()
    assert 'role="alert"' in listing and dossier.code in listing
    other = client_for(world.users["head"]).get("/citizens/dossiers/").content.decode()
    assert 'role="alert"' not in other  # prompts go to the holder


def test_the_dossier_log_shows_ratings_in_words_and_dates_as_dd_mm_yyyy(world, client,
                                                                          client_for):
    """The log's stored values (a rating's choice, the apology slip's ISO date) are shown as
    labels and dates, on the staff page and on the applicant's page."""
    from .test_dossier_portal import returned

    dossier = returned(world)  # apology slip: new date 2026-10-20
    services.dossier_rate(user=world.users["head"], dossier=dossier, rating="unsatisfied")
    staff = client_for(world.users["staff"]).get(f"/citizens/dossier/{dossier.code}/")
    public = client.post("/phan-anh/ho-so/", {"code": dossier.code, "key": factories.KEY})
    for page in (staff.content.decode(), public.content.decode()):
        assert "20/10/2026" in page and "2026-10-20" not in page
        assert "Không hài lòng" in page
        assert not re.search(r">\s*(unsatisfied|satisfied|neutral)\s*<", page)

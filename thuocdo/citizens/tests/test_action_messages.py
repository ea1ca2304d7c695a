"""What the staff pages say after an action: what was done (to whom, until when), never a
bare "Done." (`views.FEEDBACK_ACTIONS`, `views.DOSSIER_ACTIONS`); and the selects of units
and procedures say what to choose, as the other forms of the project do."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from thuocdo.citizens import services
from thuocdo.citizens.models import Dossier, Feedback

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def _said(response) -> str:
    """The message the action left (the last: earlier ones wait unread in the session)."""
    assert response.status_code == 302, response.content.decode()[:2000]
    return str(list(get_messages(response.wsgi_request))[-1])


def _feedback_act(client, kind: str, code: str, data: dict | None = None):
    return client.post(reverse("citizens:feedback_act", kwargs={"kind": kind, "code": code}),
                       data or {})


def _dossier_act(client, kind: str, code: str, data: dict | None = None):
    return client.post(reverse("citizens:dossier_act", kwargs={"kind": kind, "code": code}),
                       data or {})


def test_assigning_replying_and_closing_say_what_was_done(world, client_for):
    """The walker got "Done." for each: now the assignee and the handling deadline, the
    answer sent, and the case closed, named by its kind."""
    factories.feedback(world, "PA-MSG", kind="complaint", official="CG.STAFF2")
    head = client_for(world.users["head"])
    said = _said(_feedback_act(head, "assign", "PA-MSG",
                               {"assignee": "CG.STAFF", "workdays": "3"}))
    case = Feedback.objects.get(code="PA-MSG")
    day = case.handling_due.strftime("%d/%m/%Y")
    assert said == f"Assigned to Lê Văn Cường; handling deadline {day}."
    staff = client_for(world.users["staff"])
    said = _said(_feedback_act(staff, "reply", "PA-MSG", {"answer": "Đã xử lý xong hồ sơ."}))
    assert said == "The answer was sent to the submitter."
    said = _said(_feedback_act(staff, "close", "PA-MSG"))
    assert said == "The complaint was closed."
    assert "Done." not in said


def test_a_case_of_feedback_is_closed_as_feedback(world, client_for):
    case = factories.feedback(world, "PA-FB")
    head = client_for(world.users["head"])
    services.feedback_reply(user=world.users["head"], feedback=case, answer="Đã xử lý xong.")
    assert _said(_feedback_act(head, "close", "PA-FB")) == "The feedback was closed."


def test_verifying_a_complaint_says_the_result(world, client_for):
    factories.feedback(world, "PA-VER", kind="complaint", official="CG.STAFF2")
    head = client_for(world.users["head"])
    said = _said(_feedback_act(head, "verify", "PA-VER",
                               {"result": "unfounded", "note": "Không có căn cứ xác đáng."}))
    assert said == "The verification of the complaint was recorded: Unfounded."


def test_dossier_actions_say_what_was_done(world, client_for):
    dossier = factories.dossier(world, "D-MSG", received_at=dt.datetime(2026, 10, 1, 9,
                                                                        tzinfo=dt.UTC))
    staff = client_for(world.users["staff"])
    said = _said(_dossier_act(staff, "move", dossier.code, {"to_official": "cg.staff2"}))
    # the official named, with the code typed, as an assignment names its official
    assert said == ("Moved to step 2 (Thẩm định), to Phạm Thị Dung (CG.STAFF2) of "
                    "Văn phòng HĐND và UBND quận."), said
    head = client_for(world.users["head"])
    said = _said(_dossier_act(head, "supplement_request", dossier.code,
                              {"reason": "Thiếu bản vẽ thiết kế"}))
    assert said == "The applicant was asked to supplement the dossier."
    said = _said(_dossier_act(head, "supplement_received", dossier.code))
    dossier.refresh_from_db()
    assert said == ("Supplements received; the deadline in force is "
                    f"{dossier.due_in_force:%d/%m/%Y}.")
    new_date = dossier.due_in_force + dt.timedelta(days=10)
    said = _said(_dossier_act(head, "apology", dossier.code,
                              {"reason": "Chờ ý kiến phòng Tài nguyên",
                               "new_date": new_date.isoformat()}))
    assert said == f"Apology slip issued; the new date is {new_date:%d/%m/%Y}."
    said = _said(_dossier_act(head, "move", dossier.code))
    assert said == "Moved to step 3 (Ký duyệt), to UBND quận Cầu Giấy."
    said = _said(_dossier_act(head, "result", dossier.code))
    assert said.startswith("The result was returned to the applicant")
    assert said.endswith(", late.") == Dossier.objects.get(code="D-MSG").done_late
    said = _said(_dossier_act(head, "rate", dossier.code, {"rating": "satisfied"}))
    assert said == "The applicant's rating was recorded: Satisfied."


def test_the_unit_and_procedure_selects_say_what_to_choose(world, client, client_for):
    """Django's "---------" is gone from the portal's unit, the forward's unit and the
    counter's procedure: they read "Choose the unit", "Choose the procedure", as the other
    forms of the project do."""
    factories.feedback(world, "PA-SEL")
    factories.procedure(world)
    pages = [
        client.get("/phan-anh/").content.decode(),
        client_for(world.users["head"]).get("/citizens/feedback/PA-SEL/").content.decode(),
        client_for(world.users["staff"]).get("/citizens/dossiers/receive/").content.decode(),
    ]
    for page in pages:
        assert "---------" not in page
    assert '<option value="" selected>Choose the unit</option>' in pages[0]
    assert '<option value="" selected>Choose the unit</option>' in pages[1]
    assert '<option value="" selected>Choose the procedure</option>' in pages[2]

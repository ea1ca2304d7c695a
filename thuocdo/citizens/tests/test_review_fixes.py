"""Fixes from a review: an action the page no longer offers says why; the public rating
keeps to the look-up limit; the assign form names nobody the caller cannot see and takes
codes in any case; an empty POST shows the required fields."""

from __future__ import annotations

import html

import pytest

from thuocdo.citizens import portal, services
from thuocdo.citizens.models import Dossier, Feedback

from . import factories

pytestmark = pytest.mark.django_db


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _messages(content: str) -> str:
    """The page's messages list (empty when there is none)."""
    start = content.find('class="messages"')
    return "" if start < 0 else content[start:content.find("</ul>", start)]


# -- an action the page no longer offers ---------------------------------------------------


def test_closing_a_case_not_answered_says_why_and_writes_nothing(world, client_for):
    """A stale page (the case is only received): the service's reason is a message, since
    the page shows no close form to put it on."""
    factories.feedback(world)
    response = client_for(world.users["head"]).post("/citizens/feedback-act/close/PA-CG/")
    assert response.status_code == 400
    assert "Không thể thực hiện khi" in _messages(_page(response))
    assert "Đã tiếp nhận" in _messages(_page(response))
    feedback = Feedback.objects.get(code="PA-CG")
    assert feedback.status == "received" and feedback.closed_at is None
    assert not feedback.events.filter(kind="close").exists()


def test_verifying_feedback_that_is_no_complaint_says_why(world, client_for):
    factories.feedback(world)
    response = client_for(world.users["head"]).post(
        "/citizens/feedback-act/verify/PA-CG/",
        {"result": "unfounded", "note": "Không có căn cứ để xác minh"})
    assert response.status_code == 400
    assert "Chỉ khiếu nại mới được xác minh" in _messages(_page(response))
    assert Feedback.objects.get(code="PA-CG").verification == ""


def test_supplements_received_when_none_were_requested_says_why(world, client_for):
    dossier = factories.dossier(world)
    events = dossier.events.count()
    response = client_for(world.users["staff"]).post(
        f"/citizens/dossier-act/supplement_received/{dossier.code}/")
    assert response.status_code == 400
    assert "Chưa có yêu cầu bổ sung hồ sơ nào" in _messages(_page(response))
    dossier = Dossier.objects.get(pk=dossier.pk)
    assert dossier.status == "processing" and dossier.events.count() == events


def test_a_field_error_of_an_offered_action_stays_next_to_its_field(world, client_for):
    factories.feedback(world)
    response = client_for(world.users["head"]).post(
        "/citizens/feedback-act/forward/PA-CG/", {"to_unit": "HN.CG.DV", "reason": ""})
    assert response.status_code == 400
    content = _page(response)
    assert _messages(content) == ""
    assert "field--error" in content and 'id="forward-reason_error"' in content


# -- the public rating and the look-up limit -----------------------------------------------


def test_rating_after_too_many_failed_lookups_is_refused_as_a_lookup_is(world, client):
    feedback = factories.feedback(world)
    head = world.users["head"]
    services.feedback_reply(user=head, feedback=feedback, answer="Đã sửa đèn đường.")
    services.feedback_close(user=head, feedback=feedback)
    for _ in range(portal.LOOKUP_FAILURES_PER_HOUR):
        assert client.post("/phan-anh/tra-cuu/", {"code": "PA-CG", "key": "WRONG"}
                           ).status_code == 400
    response = client.post("/phan-anh/danh-gia/", {"code": "PA-CG", "key": factories.KEY,
                                                   "rating": "satisfied"})
    assert response.status_code == 429
    content = _page(response)
    assert "Tra cứu không thành công quá nhiều lần" in content
    assert "Không có vụ việc nào khớp" not in content
    assert Feedback.objects.get(pk=feedback.pk).rating == ""


# -- the assign form -----------------------------------------------------------------------


def test_assigning_to_an_official_out_of_reach_names_nobody(world, client_for):
    """Đặng Thị Giang works in Ba Đình, which Cầu Giấy's head cannot see."""
    factories.feedback(world)
    response = client_for(world.users["head"]).post(
        "/citizens/feedback-act/assign/PA-CG/", {"assignee": "BD.STAFF", "workdays": "5"})
    assert response.status_code == 400
    content = _page(response)
    assert "Đặng Thị Giang" not in content
    assert "“BD.STAFF”" in content  # the code, said to name nobody of the unit responsible
    assert Feedback.objects.get(code="PA-CG").assignee is None


def test_an_official_in_reach_but_elsewhere_is_still_named(world, client_for):
    factories.feedback(world)
    response = client_for(world.users["head"]).post(
        "/citizens/feedback-act/assign/PA-CG/", {"assignee": "DV.HEAD", "workdays": "5"})
    assert response.status_code == 400
    assert "Hoàng Văn Em không công tác tại" in _page(response)


def test_assign_takes_an_official_code_in_any_case(world, client_for):
    factories.feedback(world)
    response = client_for(world.users["head"]).post(
        "/citizens/feedback-act/assign/PA-CG/", {"assignee": "cg.staff", "workdays": "5"})
    assert response.status_code == 302
    assert Feedback.objects.get(code="PA-CG").assignee == world.officials["CG.STAFF"]


# -- an empty POST -------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/phan-anh/", "/phan-anh/tra-cuu/", "/phan-anh/ho-so/"])
def test_an_empty_post_to_a_public_form_shows_the_required_fields(world, client, url):
    response = client.post(url, {})
    assert response.status_code == 400
    assert "Trường này là bắt buộc" in _page(response)


def test_an_empty_post_to_receive_a_dossier_shows_the_required_fields(world, client_for):
    factories.procedure(world)
    response = client_for(world.users["staff"]).post("/citizens/dossiers/receive/", {})
    assert response.status_code == 400
    assert "Trường này là bắt buộc" in _page(response)
    assert not Dossier.objects.exists()


def test_moving_a_dossier_to_an_official_out_of_reach_names_nobody(world, client_for):
    dossier = factories.dossier(world)
    events = dossier.events.count()
    response = client_for(world.users["staff"]).post(
        f"/citizens/dossier-act/move/{dossier.code}/", {"to_official": "BD.STAFF"})
    assert response.status_code == 400
    content = _page(response)
    assert "Đặng Thị Giang" not in content and "“BD.STAFF”" in content
    assert Dossier.objects.get(pk=dossier.pk).events.count() == events


# -- one id per field on pages of several forms -------------------------------------------


def _repeated_ids(content: str) -> list[str]:
    import collections
    import re

    counts = collections.Counter(re.findall(r'\sid="([^"]+)"', content))
    return sorted(name for name, n in counts.items() if n > 1)


def test_the_action_forms_of_a_dossier_have_ids_of_their_own(world, client_for):
    """The dossier's holder is offered to move it, ask for supplements, issue an apology
    slip and return the result: each form's "reason" and "note" had the same id, so a
    label or an error's link led to another form's field."""
    dossier = factories.dossier(world)
    staff = client_for(world.users["staff"])
    content = _page(staff.get(dossier.get_absolute_url()))
    assert 'id="apology-reason"' in content and 'id="supplement_request-reason"' in content
    assert 'for="apology-reason"' in content
    assert _repeated_ids(content) == []
    # a refused form is shown again with the same ids, its error beside its own field
    response = staff.post(f"/citizens/dossier-act/apology/{dossier.code}/",
                          {"reason": "", "new_date": ""})
    assert response.status_code == 400
    content = _page(response)
    assert 'id="apology-reason_error"' in content
    assert _repeated_ids(content) == []


def test_the_forms_of_a_case_and_its_findings_have_ids_of_their_own(world, client_for):
    """A verified complaint: the head is offered the case's actions and a decision on each
    finding of it, a form per finding."""
    import datetime as dt

    from django.utils import timezone

    def at(day: int) -> dt.datetime:
        return dt.datetime(2026, 10, day, 9, 0, tzinfo=timezone.get_fixed_timezone(420))

    complaint = factories.feedback(world, "PA-F", unit="HN.CG.VP", kind="complaint",
                                   official="CG.STAFF", submitted_at=at(5))
    services.feedback_verify(user=None, actor=world.officials["CG.HEAD"], feedback=complaint,
                             result="verified", note="Đúng là hồ sơ bị giữ quá lâu",
                             now=at(8))
    content = _page(client_for(world.users["head"]).get("/citizens/feedback/PA-F/"))
    assert "/citizens/finding/decide/PA-F/" in content
    assert 'id="decide-1-note"' in content and 'id="reply-answer"' in content
    assert _repeated_ids(content) == []


def test_the_case_log_says_where_a_forward_sent_the_case(world, client_for):
    """The log's line under "forwarded" named the actor and a unit, which read as the
    actor's own; it now says the case went to that unit."""
    factories.feedback(world)
    head = client_for(world.users["head"])
    response = head.post("/citizens/feedback-act/forward/PA-CG/",
                         {"to_unit": "HN.CG.DV", "reason": "Việc của phường"})
    assert response.status_code == 302
    content = _page(head.get("/citizens/feedback/PA-CG/"))
    assert "do Nguyễn Văn Đức (CG.HEAD) thực hiện · chuyển đến UBND phường Dịch Vọng" in content
    assert "Đơn vị có trách nhiệm: Văn phòng HĐND và UBND quận" in content

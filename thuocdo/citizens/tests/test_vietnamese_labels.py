"""Words that read the same in English but not in Vietnamese get their own translation
(msgctxt): a case's status "Received" is "Đã tiếp nhận", not the inbox's "Thời điểm nhận";
a citizen's submission is "Đã gửi", not a task's "Trình"; the button that sends an
explanation is "Gửi trả lời", not the label "Nội dung trả lời". The pages are rendered in
Vietnamese (the test settings' language) and read as users read them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import translation

from thuocdo.citizens import services
from thuocdo.citizens.choices import FeedbackEventKind, FeedbackStatus

from . import factories

VN = dt.timezone(dt.timedelta(hours=7))
pytestmark = pytest.mark.django_db


def text_of(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert found, f"no #{element_id} on the page"
    return found.group(1).strip()


def timeline_titles(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", title).strip()
            for title in re.findall(r'class="timeline__title">(.*?)</div>', html, re.S)]


def test_the_labels_have_their_own_vietnamese():
    with translation.override("vi"):
        assert str(FeedbackStatus.RECEIVED.label) == "Đã tiếp nhận"
        assert str(FeedbackEventKind.SUBMIT.label) == "Đã gửi"
        assert translation.gettext("Received") == "Thời điểm nhận"  # the inbox's column
        assert translation.gettext("Submitted") == "Trình"  # a task's submission


def test_a_new_case_reads_received_and_sent_on_the_public_page(world, client):
    factories.feedback(world)
    html = client.post("/phan-anh/tra-cuu/", {"code": "PA-CG", "key": factories.KEY}
                       ).content.decode()
    assert text_of(html, "case-status") == "Đã tiếp nhận"
    assert timeline_titles(html)[0] == "Đã gửi"
    assert "Thời điểm nhận" not in html and "Trình" not in html


def test_the_staff_case_page_and_the_inbox_filter_read_received(world, client_for):
    factories.feedback(world)
    staff = client_for(world.users["staff"])
    page = staff.get("/citizens/feedback/PA-CG/").content.decode()
    assert "<dd>Đã tiếp nhận</dd>" in page
    assert timeline_titles(page)[0] == "Đã gửi"
    assert "Thời điểm nhận" not in page
    inbox = staff.get("/citizens/").content.decode()
    assert '<option value="received">Đã tiếp nhận</option>' in inbox


def test_a_dossier_is_received_not_a_time_of_receipt(world, client, client_for):
    factories.dossier(world)
    public = client.post("/phan-anh/ho-so/", {"code": "D-CG", "key": factories.KEY}
                         ).content.decode()
    assert timeline_titles(public)[0] == "Tiếp nhận hồ sơ"
    assert "Thời điểm nhận" not in public
    staff = client_for(world.users["staff"]).get("/citizens/dossier/D-CG/").content.decode()
    assert timeline_titles(staff)[0] == "#1 Tiếp nhận hồ sơ"
    assert "<dt>Tiếp nhận</dt>" in staff
    assert "Thời điểm nhận" not in staff
    form = client_for(world.users["staff"]).get("/citizens/dossiers/receive/").content.decode()
    assert "Hình thức tiếp nhận" in form


def test_the_official_sends_an_explanation_with_a_button_that_says_so(world, client_for):
    complaint = factories.feedback(world, "PA-K1", kind="complaint", official="CG.STAFF",
                                   submitted_at=dt.datetime(2026, 10, 5, 9, tzinfo=VN))
    services.feedback_verify(user=world.users["head"], feedback=complaint, result="verified",
                             note="Đúng là hồ sơ bị giữ quá lâu",
                             now=dt.datetime(2026, 10, 8, 9, tzinfo=VN))
    page = client_for(world.users["staff"]).get("/citizens/feedback/PA-K1/").content.decode()
    assert "finding/answer/PA-K1/" in page
    buttons = re.findall(r'<button type="submit">([^<]*)</button>', page)
    assert "Gửi trả lời" in buttons and "Nội dung trả lời" not in buttons


def test_the_actions_on_a_case_are_verbs(world, client_for):
    factories.feedback(world)
    page = client_for(world.users["head"]).get("/citizens/feedback/PA-CG/").content.decode()
    summaries = re.findall(r"<summary>([^<]*)</summary>", page)
    assert "Giao xử lý" in summaries and "Trả lời" in summaries
    assert "Giao nhiệm vụ" not in summaries and "Nội dung trả lời" not in summaries

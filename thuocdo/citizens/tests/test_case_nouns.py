"""Every sentence about one case names its kind (`Feedback.noun`): a complaint's staff
receipt, its staff page and the services' refusals say "khiếu nại", never "phản ánh" (the
word of feedback and proposals), and feedback still says "phản ánh, kiến nghị". The pages
are rendered in Vietnamese (the test settings' language) and read as users read them."""

from __future__ import annotations

import html
import re

import pytest
from django.utils import translation

from thuocdo.citizens import services
from thuocdo.core.errors import ServiceError

from . import factories

pytestmark = pytest.mark.django_db


def content(response) -> str:
    """The page's own text: its <main> without the breadcrumb, whose first link names the
    inbox of every kind, not this case."""
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    main = page[page.index("<main"):page.index("</main>")]
    return re.sub(r'<nav class="breadcrumb".*?</nav>', "", main, flags=re.S)


def pages(world, client_for, code: str) -> dict[str, str]:
    """The staff case page, its receipt, and the receipt with a new key, of `code`."""
    head = client_for(world.users["head"])
    return {
        "case": content(head.get(f"/citizens/feedback/{code}/")),
        "receipt": content(head.get(f"/citizens/feedback-receipt/{code}/")),
        "new key": content(head.post(f"/citizens/feedback-key/{code}/", follow=True)),
    }


def test_a_complaint_s_staff_pages_call_it_a_complaint(world, client_for):
    factories.feedback(world, "PA-K1", kind="complaint", official="CG.STAFF2")
    found = pages(world, client_for, "PA-K1")
    for name, text in found.items():
        assert "phản ánh" not in text.lower(), name
    assert "Người gửi theo dõi khiếu nại trên cổng công khai" in found["case"]
    assert "Tra cứu khiếu nại của người gửi" in found["case"]
    assert "Mã truy cập hiện tại của người gửi khiếu nại sẽ hết hiệu lực" in found["case"]
    assert "Theo dõi khiếu nại tại http://testserver/phan-anh/tra-cuu/" in found["receipt"]
    assert "Quay lại khiếu nại" in found["receipt"]
    assert "Theo dõi khiếu nại và đánh giá câu trả lời tại" in found["new key"]
    assert "đọc mã cho người gửi khiếu nại." in found["new key"]


def test_feedback_s_staff_pages_still_call_it_feedback(world, client_for):
    factories.feedback(world, "PA-F1")
    found = pages(world, client_for, "PA-F1")
    for name, text in found.items():
        assert "khiếu nại" not in text.lower(), name
    assert "Người gửi theo dõi phản ánh, kiến nghị trên cổng công khai" in found["case"]
    assert "Theo dõi phản ánh, kiến nghị tại" in found["receipt"]
    assert "Quay lại phản ánh, kiến nghị" in found["receipt"]
    assert "đọc mã cho người gửi phản ánh, kiến nghị." in found["new key"]


def refusal(call) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call()
    return caught.value


@pytest.mark.parametrize("kind", ["complaint", "feedback"])
def test_the_services_refusals_name_the_kind(world, kind):
    case = factories.feedback(world, f"PA-{kind}", kind=kind, official="CG.STAFF2")
    head, staff = world.users["head"], world.users["staff"]  # staff neither leads nor handles
    answer = "Đã xử lý xong, trả lời công dân."

    def forward_to(unit: str):
        return lambda: services.feedback_forward(user=head, feedback=case,
                                                 to_unit=world.units[unit],
                                                 reason="Thuộc thẩm quyền đơn vị.")

    said, unsaid = ("khiếu nại", "phản ánh") if kind == "complaint" else ("phản ánh", "khiếu")
    vietnamese = str(refusal(forward_to("HN.CG.VP")).service_message)
    assert said in vietnamese and unsaid not in vietnamese
    with translation.override("en"):
        assert str(refusal(forward_to("HN.CG.VP")).service_message) == (
            f"The {kind} is already with this unit.")
        concerned = refusal(lambda: services.feedback_assign(
            user=head, feedback=case, assignee=world.officials["CG.STAFF2"]))
        assert str(concerned.service_message).startswith(
            f"Phạm Thị Dung is the official this {kind} is about")
        not_leader = refusal(lambda: services.feedback_assign(
            user=staff, feedback=case, assignee=world.officials["CG.STAFF"]))
        assert str(not_leader.service_message) == (
            f"Only a leader of the unit responsible assigns this {kind}.")
        not_handler = refusal(lambda: services.feedback_reply(
            user=staff, feedback=case, answer=answer))
        assert str(not_handler.service_message).startswith(
            f"Only the official handling this {kind} ")
        services.feedback_reply(user=head, feedback=case, answer=answer)
        services.feedback_close(user=head, feedback=case)
        assert str(refusal(forward_to("HN.CG.DV")).service_message) == (
            f"Not possible while the {kind} is “Closed”.")


def test_a_code_taken_is_refused_without_naming_a_kind(world):
    """The tracking code may be taken by a case of either kind: the refusal says "a case"."""
    factories.feedback(world, "PA-K1", kind="complaint", official="CG.STAFF2")
    with translation.override("en"):
        taken = refusal(lambda: services.feedback_submit(
            kind="feedback", category="urban", unit=world.units["HN.CG.VP"], code="PA-K1",
            text="Đèn đường ngõ 12 phố Trần Thái Tông bị hỏng hai tuần nay."))
    assert str(taken.service_message) == "A case with the tracking code PA-K1 already exists."

"""A feedback case's access key issued again by staff, by the mechanism dossiers use
(`services.access_key_issue`, `selectors.may_issue_key`, `receipts`): the old key stops working, the
new one is shown once on a receipt, the audit trail says who (never the key), and only the
leaders of the unit responsible or the case's handler may do it, never the official the
case is about (who does not see who sent it either)."""

from __future__ import annotations

import re

import pytest

from thuocdo.citizens import selectors, services
from thuocdo.core.errors import PermissionDeniedError, ServiceError
from thuocdo.core.models import AuditEntry
from thuocdo.core.scope import scope_for

from . import factories

pytestmark = pytest.mark.django_db
LOOKUP = "/phan-anh/tra-cuu/"


def test_a_new_key_replaces_the_old_one_and_is_audited(world):
    feedback = factories.feedback(world)
    feedback, key = services.feedback_key_issue(user=world.users["head"], feedback=feedback)
    assert len(key) == services.KEY_LENGTH and key != factories.KEY
    assert selectors.feedback_public_get(code="PA-CG", key=factories.KEY) is None
    assert selectors.feedback_public_get(code="PA-CG", key=key) == feedback
    entry = AuditEntry.objects.get(action="feedback.key_issue")
    assert entry.actor == world.users["head"]
    assert (entry.object_type, entry.object_code) == ("citizens.feedback", "PA-CG")
    assert entry.changes == {"by": "CG.HEAD", "replaced": True}
    assert key not in str(entry.changes)
    assert feedback.events.count() == 1, "issuing a key is not an event of the case's log"


def test_only_the_unit_responsible_or_the_handler_issues_a_key(world):
    """A case of the district (HN.CG): its leaders may, the staff of one of its divisions
    may not until the case is assigned to them; once forwarded to Ba Đình, Cầu Giấy no
    longer does, and Ba Đình's staff only once it is theirs to handle."""
    feedback = factories.feedback(world, "PA-Q", unit="HN.CG")
    for role in ("staff", "outsider", "inspector", "admin", "board"):
        with pytest.raises(PermissionDeniedError):
            services.feedback_key_issue(user=world.users[role], feedback=feedback)
    services.feedback_key_issue(user=world.users["head"], feedback=feedback)
    services.feedback_assign(user=world.users["head"], feedback=feedback,
                             assignee=world.officials["CG.STAFF"], workdays=5)
    services.feedback_key_issue(user=world.users["staff"], feedback=feedback)
    services.feedback_forward(user=world.users["staff"], feedback=feedback,
                              to_unit=world.units["HN.BD.VP"], reason="Thuộc thẩm quyền Ba Đình")
    for role in ("staff", "head", "outsider"):
        with pytest.raises(PermissionDeniedError):
            services.feedback_key_issue(user=world.users[role], feedback=feedback)
    services.feedback_assign(user=None, actor=world.officials["BD.STAFF"], feedback=feedback,
                             assignee=world.officials["BD.STAFF"], workdays=5)
    feedback, key = services.feedback_key_issue(user=world.users["outsider"], feedback=feedback)
    assert selectors.feedback_public_get(code="PA-Q", key=key) == feedback
    assert AuditEntry.objects.filter(action="feedback.key_issue").count() == 3


def test_the_page_and_the_service_agree_on_who_may_issue(world):
    """One rule for pages and services: the counter of a dossier or who holds it; the
    leaders of a case's unit or its handler; an account without an official and an
    inspector never."""
    feedback = factories.feedback(world)
    dossier = factories.dossier(world)
    for role, case, file in (("staff", False, True), ("head", True, True),
                             ("deputy", True, True), ("outsider", False, False),
                             ("inspector", False, False), ("admin", False, False),
                             ("board", False, False)):
        scope = scope_for(world.users[role])
        assert selectors.may_issue_key(scope=scope, record=feedback) is case, role
        assert selectors.may_issue_key(scope=scope, record=dossier) is file, role


def test_the_official_a_complaint_is_about_never_gets_its_key(world, client, client_for):
    """The review's defect: a staff member named by a complaint, of the unit responsible,
    took a new key for it (the complainant's stopped working) and saw who complained. Now
    the page offers no key and hides the submitter, the service refuses (even once the case
    is assigned to her by mistake: the assignment is refused too), and the key still works."""
    complaint = factories.feedback(world, "PA-K", kind="complaint", official="CG.STAFF",
                                   contact_name="Nguyễn Thị Hạnh")
    staff = client_for(world.users["staff"])
    page = staff.get("/citizens/feedback/PA-K/").content.decode()
    assert "/citizens/feedback-key/PA-K/" not in page
    assert "Nguyễn Thị Hạnh" not in page and "0987654321" not in page
    assert "/citizens/feedback-key/PA-K/" not in staff.get(
        "/citizens/feedback-receipt/PA-K/").content.decode()
    assert staff.post("/citizens/feedback-key/PA-K/").status_code == 403
    with pytest.raises(PermissionDeniedError) as refused:
        services.feedback_key_issue(user=world.users["staff"], feedback=complaint)
    assert refused.value.service_code == "concerned"
    with pytest.raises(ServiceError) as refused:
        services.feedback_assign(user=world.users["head"], feedback=complaint,
                                 assignee=world.officials["CG.STAFF"], workdays=5)
    assert (refused.value.service_code, refused.value.field) == ("concerned", "assignee")
    assert client.post(LOOKUP, {"code": "PA-K", "key": factories.KEY}).status_code == 200
    assert not AuditEntry.objects.filter(action="feedback.key_issue").exists()
    # the head, who receives it, sees who sent it and may issue a key
    head = client_for(world.users["head"]).get("/citizens/feedback/PA-K/").content.decode()
    assert "Nguyễn Thị Hạnh" in head and "/citizens/feedback-key/PA-K/" in head


def test_a_leader_a_complaint_is_about_takes_no_part_in_it(world, client_for):
    """The head named by a complaint of their own unit: no key, no submitter, no action on
    the page, and the services refuse to let them assign, answer, forward or verify it;
    their deputy handles it."""
    complaint = factories.feedback(world, "PA-H", kind="complaint", official="CG.HEAD")
    head = world.users["head"]
    page = client_for(head).get("/citizens/feedback/PA-H/").content.decode()
    assert 'id="submitter"><span class="muted">' in page
    for url in ("feedback-key/", "feedback-act/assign/", "feedback-act/reply/",
                "feedback-act/forward/", "feedback-act/verify/"):
        assert f"/citizens/{url}PA-H/" not in page, url
    calls = [
        lambda: services.feedback_assign(user=head, feedback=complaint,
                                         assignee=world.officials["CG.STAFF"], workdays=5),
        lambda: services.feedback_reply(user=head, feedback=complaint,
                                        answer="Tôi không sai."),
        lambda: services.feedback_forward(user=head, feedback=complaint,
                                          to_unit=world.units["HN.CG.DV"],
                                          reason="Không thuộc thẩm quyền"),
        lambda: services.feedback_verify(user=head, feedback=complaint, result="unfounded",
                                         note="Không có căn cứ"),
        lambda: services.feedback_key_issue(user=head, feedback=complaint),
    ]
    for call in calls:
        with pytest.raises(PermissionDeniedError) as refused:
            call()
        assert refused.value.service_code == "concerned"
    deputy = client_for(world.users["deputy"]).get("/citizens/feedback/PA-H/").content.decode()
    for url in ("feedback-key/", "feedback-act/assign/", "feedback-act/verify/"):
        assert f"/citizens/{url}PA-H/" in deputy, url
    services.feedback_verify(user=world.users["deputy"], feedback=complaint,
                             result="unfounded", note="Không có căn cứ")


def test_an_official_named_about_a_dossier_gets_no_key_to_it(world, client_for):
    """The same for a dossier: its holder, named by a complaint about it, is offered no
    new key to it and is refused one; the head still may."""
    dossier = factories.dossier(world)
    staff = client_for(world.users["staff"])
    assert "/citizens/dossier-key/D-CG/" in staff.get("/citizens/dossier/D-CG/").content.decode()
    factories.feedback(world, "PA-D", kind="complaint", official="CG.STAFF", dossier=dossier)
    assert "/citizens/dossier-key/D-CG/" not in staff.get(
        "/citizens/dossier/D-CG/").content.decode()
    assert staff.post("/citizens/dossier-key/D-CG/").status_code == 403
    services.dossier_key_issue(user=world.users["head"], dossier=dossier)


def test_staff_issue_a_key_from_the_case_page_and_see_it_once(world, client, client_for):
    feedback = factories.feedback(world)
    staff = client_for(world.users["staff"])
    assert "/citizens/feedback-key/PA-CG/" not in staff.get(
        "/citizens/feedback/PA-CG/").content.decode(), "not theirs to handle yet"
    feedback = services.feedback_assign(user=world.users["head"], feedback=feedback,
                             assignee=world.officials["CG.STAFF"], workdays=5)
    page = staff.get("/citizens/feedback/PA-CG/").content.decode()
    assert "/citizens/feedback-key/PA-CG/" in page
    response = staff.post("/citizens/feedback-key/PA-CG/")
    assert response["Location"] == "/citizens/feedback-receipt/PA-CG/"
    # the staff member's key waits in its own slot: the public receipt does not show it
    assert 'id="access-key"' not in staff.get("/phan-anh/bien-nhan/PA-CG/").content.decode()
    receipt = staff.get(response["Location"]).content.decode()
    key = re.search(r'id="access-key">([A-Z0-9]+)<', receipt).group(1)
    assert feedback.reply_due.strftime("%d/%m/%Y") in receipt
    assert 'id="access-key"' not in staff.get(response["Location"]).content.decode()
    assert client.post(LOOKUP, {"code": "PA-CG", "key": key}).status_code == 200
    assert client.post(LOOKUP, {"code": "PA-CG", "key": factories.KEY}).status_code == 400
    # an inspector reads the case and the receipt but is offered no key, and may not take one
    inspector = client_for(world.users["inspector"])
    assert "feedback-key" not in inspector.get("/citizens/feedback/PA-CG/").content.decode()
    assert "feedback-key" not in inspector.get(response["Location"]).content.decode()
    assert inspector.post("/citizens/feedback-key/PA-CG/").status_code == 403


def test_the_lookup_says_where_to_get_a_new_key(world, client):
    assert 'id="lost-key"' in client.get(LOOKUP).content.decode()

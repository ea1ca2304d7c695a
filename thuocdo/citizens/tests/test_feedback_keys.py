"""A feedback case's access key issued again by staff, by the mechanism dossiers use
(`services.access_key_issue`, `may_issue_key`, `receipts`): the old key stops working, the
new one is shown once on a receipt, the audit trail says who (never the key), and only the
unit responsible or the case's handler may do it."""

from __future__ import annotations

import re

import pytest

from thuocdo.citizens import selectors, services
from thuocdo.core.errors import PermissionDeniedError
from thuocdo.core.models import AuditEntry
from thuocdo.core.scope import scope_for

from . import factories

pytestmark = pytest.mark.django_db
LOOKUP = "/phan-anh/tra-cuu/"


def test_a_new_key_replaces_the_old_one_and_is_audited(world):
    feedback = factories.feedback(world)
    feedback, key = services.feedback_key_issue(user=world.users["staff"], feedback=feedback)
    assert len(key) == services.KEY_LENGTH and key != factories.KEY
    assert selectors.feedback_public_get(code="PA-CG", key=factories.KEY) is None
    assert selectors.feedback_public_get(code="PA-CG", key=key) == feedback
    entry = AuditEntry.objects.get(action="feedback.key_issue")
    assert entry.actor == world.users["staff"]
    assert (entry.object_type, entry.object_code) == ("citizens.feedback", "PA-CG")
    assert entry.changes == {"by": "CG.STAFF", "replaced": True}
    assert key not in str(entry.changes)
    assert feedback.events.count() == 1, "issuing a key is not an event of the case's log"


def test_only_the_unit_responsible_or_the_handler_issues_a_key(world):
    """A case of the district (HN.CG): its leaders may, the staff of one of its divisions
    may not until the case is assigned to them; once forwarded to Ba Đình, that unit may
    and Cầu Giấy no longer does."""
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
    for role in ("staff", "head"):
        with pytest.raises(PermissionDeniedError):
            services.feedback_key_issue(user=world.users[role], feedback=feedback)
    feedback, key = services.feedback_key_issue(user=world.users["outsider"], feedback=feedback)
    assert selectors.feedback_public_get(code="PA-Q", key=key) == feedback
    assert AuditEntry.objects.filter(action="feedback.key_issue").count() == 3


def test_the_page_and_the_service_agree_on_who_may_issue(world):
    """One rule for both kinds of record: the counter of a dossier, the unit responsible
    for a case; an account without an official and an inspector never."""
    feedback = factories.feedback(world)
    dossier = factories.dossier(world)
    for role, allowed in (("staff", True), ("head", True), ("outsider", False),
                          ("inspector", False), ("admin", False), ("board", False)):
        user = world.users[role]
        scope = scope_for(user)
        for record in (feedback, dossier):
            assert services.may_issue_key(scope=scope, official_id=user.official_id,
                                          record=record) is allowed, (role, record)


def test_staff_issue_a_key_from_the_case_page_and_see_it_once(world, client, client_for):
    feedback = factories.feedback(world)
    staff = client_for(world.users["staff"])
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

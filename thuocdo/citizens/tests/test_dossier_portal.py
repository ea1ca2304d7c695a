"""The applicant's access to a dossier: the key issued on receipt (and re-issued by staff),
the public look-up by code and key (no other applicant's dossier, no official's name, the
failed look-ups counted with feedback's), and the applicant's rating, once, after the result,
through `services.dossier_rate` (so it feeds the findings and the index)."""

from __future__ import annotations

import copy
import datetime as dt
import re

import pytest
from django.utils import timezone

from thuocdo.citizens import adapters, portal, selectors, services
from thuocdo.citizens.models import Dossier
from thuocdo.core.errors import PermissionDeniedError, ServiceError
from thuocdo.core.models import AuditEntry

from . import factories

VN = dt.timezone(dt.timedelta(hours=7))
LOOKUP = "/phan-anh/ho-so/"
RATE = "/phan-anh/ho-so/danh-gia/"
pytestmark = pytest.mark.django_db


def at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=VN)


def returned(world, code: str = "D-CG") -> Dossier:
    """A dossier of Cầu Giấy taken through every public kind of event to its result."""
    staff, head = world.users["staff"], world.users["head"]
    dossier = factories.dossier(world, code, received_at=at("2026-10-01"))  # due 12/10
    services.dossier_move(user=staff, dossier=dossier, to_official=world.officials["CG.STAFF2"],
                          note="Ghi chú nội bộ: kiểm tra kỹ", at=at("2026-10-02"))
    services.dossier_request_supplement(user=head, dossier=dossier,
                                        reason="Bản sao giấy chứng nhận quyền sử dụng đất",
                                        at=at("2026-10-02", 15))
    services.dossier_receive_supplement(user=head, dossier=dossier, at=at("2026-10-05"))
    services.dossier_apology(user=head, dossier=dossier, reason="Chờ ý kiến phòng Tài nguyên",
                             new_date=dt.date(2026, 10, 20), at=at("2026-10-09"))
    services.dossier_move(user=head, dossier=dossier, to_official=world.officials["CG.DEP"],
                          at=at("2026-10-15"))
    return services.dossier_return_result(user=head, dossier=dossier,
                                          note="Ghi chú nội bộ: trả qua bưu điện",
                                          at=at("2026-10-16"))


# -- the key -------------------------------------------------------------------------------


def test_receiving_issues_a_key_that_opens_only_this_dossier(world):
    proc = factories.procedure(world)
    dossier, key = services.dossier_receive(user=world.users["staff"], procedure=proc,
                                            applicant="Trần Văn Nam", channel="counter")
    assert len(key) == services.KEY_LENGTH and key not in dossier.access_key_hash
    assert services.access_key_matches(dossier, key)
    assert services.access_key_matches(dossier, f" {key[:5].lower()}-{key[5:]} ")
    assert selectors.dossier_public_get(code=dossier.code, key=key) == dossier
    assert selectors.dossier_public_get(code=dossier.code.lower(), key=key) == dossier
    assert selectors.dossier_public_get(code=dossier.code, key="") is None
    other = factories.dossier(world)
    assert selectors.dossier_public_get(code=other.code, key=key) is None
    assert selectors.dossier_public_get(code=dossier.code, key=factories.KEY) is None
    entry = AuditEntry.objects.get(action="dossier.receive", object_code=dossier.code)
    assert entry.changes["access_key"] is True


def test_an_imported_dossier_has_no_key_until_staff_issue_one(world):
    proc = factories.procedure(world)
    dossier, key = services.dossier_receive(
        user=None, actor=world.officials["CG.STAFF"], procedure=proc, applicant="Trần Văn Nam",
        channel="online", issue_key=False)
    assert key == "" and dossier.access_key_hash == ""
    assert selectors.dossier_public_get(code=dossier.code, key="") is None
    dossier, key = services.dossier_key_issue(user=world.users["staff"], dossier=dossier)
    assert selectors.dossier_public_get(code=dossier.code, key=key) == dossier


def test_a_new_key_replaces_the_old_one_and_is_audited(world):
    dossier = factories.dossier(world)
    dossier, key = services.dossier_key_issue(user=world.users["staff"], dossier=dossier)
    assert key != factories.KEY
    assert selectors.dossier_public_get(code=dossier.code, key=factories.KEY) is None
    assert selectors.dossier_public_get(code=dossier.code, key=key) == dossier
    entry = AuditEntry.objects.get(action="dossier.key_issue")
    assert entry.actor == world.users["staff"] and entry.object_code == dossier.code
    assert entry.changes == {"by": "CG.STAFF", "replaced": True}
    assert key not in str(entry.changes)
    assert dossier.events.count() == 1, "issuing a key is not an event of the dossier's log"


def test_only_the_counter_or_who_may_act_issues_a_key(world):
    dossier = factories.dossier(world)
    for role in ("outsider", "inspector", "admin"):
        with pytest.raises(PermissionDeniedError):
            services.dossier_key_issue(user=world.users[role], dossier=dossier)
    # the dossier moved on to HN.CG: the counter (HN.CG.VP) still issues keys
    services.dossier_move(user=world.users["staff"], dossier=dossier,
                          to_official=world.officials["CG.STAFF2"])
    services.dossier_move(user=world.users["head"], dossier=dossier,
                          to_official=world.officials["CG.DEP"])
    services.dossier_key_issue(user=world.users["staff"], dossier=dossier)
    services.dossier_key_issue(user=world.users["deputy"], dossier=dossier)
    assert selectors.dossier_public_get(code=dossier.code, key=factories.KEY) is None


def test_staff_reissue_a_key_from_the_page_and_see_it_once(world, client_for):
    dossier = factories.dossier(world)
    staff = client_for(world.users["staff"])
    page = staff.get(f"/citizens/dossier/{dossier.code}/").content.decode()
    assert f"/citizens/dossier-key/{dossier.code}/" in page
    response = staff.post(f"/citizens/dossier-key/{dossier.code}/")
    assert response["Location"] == f"/citizens/dossier-receipt/{dossier.code}/"
    receipt = staff.get(response["Location"]).content.decode()
    key = re.search(r'id="access-key">([A-Z0-9]+)<', receipt).group(1)
    assert dossier.due.strftime("%d/%m/%Y") in receipt
    assert selectors.dossier_public_get(code=dossier.code, key=key) is not None
    assert selectors.dossier_public_get(code=dossier.code, key=factories.KEY) is None
    assert key not in staff.get(response["Location"]).content.decode()
    # an inspector reads the receipt but is offered no key
    inspector = client_for(world.users["inspector"])
    assert "dossier-key" not in inspector.get(response["Location"]).content.decode()
    assert inspector.post(f"/citizens/dossier-key/{dossier.code}/").status_code == 403


# -- the public look-up ----------------------------------------------------------------------


def test_the_lookup_shows_the_public_timeline_and_no_official(world, client):
    dossier = returned(world)
    response = client.post(LOOKUP, {"code": dossier.code, "key": factories.KEY})
    assert response.status_code == 200
    content = response.content.decode()
    for shown in ("Cấp giấy phép xây dựng nhà ở riêng lẻ", "Bản sao giấy chứng nhận quyền",
                  "Chờ ý kiến phòng Tài nguyên", "20/10/2026", "12/10/2026", "13/10/2026",
                  "UBND quận Cầu Giấy", "Văn phòng"):
        assert shown in content, shown
    officials = [o.name for o in world.officials.values()]
    for hidden in [*officials, "Ghi chú nội bộ", "0912345678", "CG.STAFF", "CG.DEP"]:
        assert hidden not in content, hidden
    assert 'name="rating"' in content


def test_an_open_dossier_shows_its_step_by_unit(world, client):
    dossier = factories.dossier(world, received_at=at("2026-10-01"))
    services.dossier_move(user=world.users["staff"], dossier=dossier,
                          to_official=world.officials["CG.STAFF2"], at=at("2026-10-02"))
    content = client.post(LOOKUP, {"code": dossier.code, "key": factories.KEY}
                          ).content.decode()
    step = re.search(r'id="dossier-step">([^<]+)<', content).group(1)
    assert "Thẩm định" in step and "2" in step
    assert "Phạm Thị Dung" not in content and 'name="rating"' not in content


def test_a_key_opens_only_its_own_dossier(world, client):
    mine = factories.dossier(world)
    other = factories.dossier(world, "D-CG-2")
    other, other_key = services.dossier_key_issue(user=world.users["staff"], dossier=other)
    wrong = client.post(LOOKUP, {"code": other.code, "key": factories.KEY})
    unknown = client.post(LOOKUP, {"code": "D-NOPE", "key": factories.KEY})
    feedback = factories.feedback(world)  # a feedback code with its key is not a dossier
    not_a_dossier = client.post(LOOKUP, {"code": feedback.code, "key": factories.KEY})
    answers = set()
    for response in (wrong, unknown, not_a_dossier):
        assert response.status_code == 400
        content = response.content.decode()
        answers.add(re.search(r'class="form-errors"[^>]*>(.*?)</div>', content, re.S).group(1))
        assert "Nguyễn Thị Hoa" not in content and "Cấp giấy phép" not in content
    assert len(answers) == 1, "the same answer for a wrong key, an unknown code, a feedback"
    assert client.post(LOOKUP, {"code": other.code, "key": other_key}).status_code == 200
    assert client.post(LOOKUP, {"code": mine.code, "key": other_key}).status_code == 400


def test_failed_lookups_count_with_feedback_and_block_the_rating_too(world, client):
    dossier = returned(world)
    half = portal.LOOKUP_FAILURES_PER_HOUR // 2
    for _ in range(half):
        assert client.post("/phan-anh/tra-cuu/", {"code": "PA-CG", "key": "WRONG"}
                           ).status_code == 400
    for _ in range(portal.LOOKUP_FAILURES_PER_HOUR - half):
        assert client.post(LOOKUP, {"code": dossier.code, "key": "WRONG"}).status_code == 400
    assert client.post(LOOKUP, {"code": dossier.code, "key": factories.KEY}).status_code == 429
    blocked = client.post(RATE, {"code": dossier.code, "key": factories.KEY,
                                 "rating": "satisfied"})
    assert blocked.status_code == 429
    assert Dossier.objects.get(pk=dossier.pk).rating == ""
    other = client.post(LOOKUP, {"code": dossier.code, "key": factories.KEY},
                        REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200, "the limit is per address"


# -- the applicant's rating ------------------------------------------------------------------


def test_the_applicant_rates_only_after_the_result(world, client):
    dossier = factories.dossier(world)
    response = client.post(RATE, {"code": dossier.code, "key": factories.KEY,
                                  "rating": "satisfied"})
    assert response.status_code == 400
    assert Dossier.objects.get(pk=dossier.pk).rating == ""
    with pytest.raises(ServiceError) as refused:
        services.dossier_rate(dossier=dossier, rating="satisfied", public=True)
    assert refused.value.service_code == "bad_state"


def test_the_applicant_rates_once_and_it_is_a_finding(world, client):
    dossier = returned(world)
    wrong = client.post(RATE, {"code": dossier.code, "key": "WRONGKEY22",
                               "rating": "unsatisfied"})
    assert wrong.status_code == 400 and Dossier.objects.get(pk=dossier.pk).rating == ""
    rated = client.post(RATE, {"code": dossier.code, "key": factories.KEY,
                               "rating": "unsatisfied"})
    assert rated.status_code == 200
    content = rated.content.decode()
    assert 'id="dossier-rating"' in content and 'name="rating"' not in content
    dossier.refresh_from_db()
    assert dossier.rating == "unsatisfied" and dossier.rated_at is not None
    event = dossier.events.get(kind="rate")
    assert event.actor is None and event.recorded_by is None
    assert event.data == {"rating": "unsatisfied", "via": "portal"}
    assert services.verify_dossier_chain(dossier)
    entry = AuditEntry.objects.get(action="dossier.rate", object_code=dossier.code)
    assert entry.actor is None
    assert entry.changes == {"rating": "unsatisfied", "by": "applicant", "via": "portal"}
    again = client.post(RATE, {"code": dossier.code, "key": factories.KEY,
                               "rating": "satisfied"})
    assert again.status_code == 400
    assert Dossier.objects.get(pk=dossier.pk).rating == "unsatisfied"
    with pytest.raises(ServiceError) as refused:
        services.dossier_rate(user=world.users["head"], dossier=dossier, rating="satisfied")
    assert refused.value.service_code == "already_rated"
    # late (due in force 13/10, returned 16/10): the holder at the deadline answers for it
    day = timezone.localdate(dossier.rated_at)
    found = adapters.quality_findings(start=day, end=day)
    assert [(f.kind, f.dossier, f.official) for f in found] == [
        ("low_rating", dossier.code, "CG.STAFF2")]


def test_a_rating_without_a_choice_shows_the_page_again(world, client):
    dossier = returned(world)
    response = client.post(RATE, {"code": dossier.code, "key": factories.KEY})
    assert response.status_code == 400 and 'name="rating"' in response.content.decode()


# -- the exchange ------------------------------------------------------------------------------


def test_a_portal_rating_exports_with_no_actor_and_imports_back(world):
    from thuocdo.citizens import exchange

    dossier = returned(world)
    services.dossier_rate(dossier=dossier, rating="neutral", public=True,
                          at=at("2026-10-17"))
    record = next(r for r in exchange.export_dossiers() if r["code"] == dossier.code)
    assert record["events"][-1] == {"kind": "rate", "at": "2026-10-17T09:00:00+07:00",
                                    "actor": None, "rating": "neutral"}
    problems: list = []

    def report(path, code, message):
        problems.append((path, code))

    document = {"dossiers": [dict(copy.deepcopy(record), code="D-CG-COPY")]}
    exchange.check(document, report, officials=set(), units=set())
    assert problems == []
    document["dossiers"][0]["events"][0]["actor"] = None
    exchange.check(document, report, officials=set(), units=set())
    assert problems == [("dossiers[0].events[0].actor", "required")]
    exchange.write({"dossiers": [dict(copy.deepcopy(record), code="D-CG-COPY")]})
    copied = Dossier.objects.get(code="D-CG-COPY")
    assert copied.rating == "neutral" and copied.access_key_hash == ""
    assert copied.events.get(kind="rate").data == {"rating": "neutral", "via": "portal"}

"""The official a case names (the one a founded complaint counts against) works in the
agency of the unit the case is sent to, or under it, on the day it is received; a code
nobody has and a code of someone elsewhere get the same answer on the portal, which counts
each refusal as a failed look-up. The import checks history against the memberships in
force then."""

from __future__ import annotations

import copy
import datetime as dt
import html

import pytest
from django.utils import timezone

from thuocdo.citizens import portal, services
from thuocdo.citizens.models import Feedback
from thuocdo.core.errors import ServiceError
from thuocdo.exchange.importer import ImportRejected, import_document
from thuocdo.org import services as org
from thuocdo.org.models import Membership, Official, Unit

from .test_exchange import DOCUMENT, ON

pytestmark = pytest.mark.django_db
REFUSAL = "No official with this code was found in the unit the case is sent to."


def at(day: str, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(f"{day}T{hour:02d}:00"))


def form(**extra):
    return {
        "kind": "complaint",
        "category": "conduct",
        "unit": "HN.BD",
        "text": "Cán bộ tiếp dân có thái độ hách dịch với người dân.",
        "contact": "0911111111",
        "website": "",
        **extra,
    }


def _official_errors(response) -> str:
    """The error list of the official field, as the page shows it."""
    page = html.unescape(response.content.decode())
    end = page.index('name="official"')
    return page[page.rindex('<div class="field', 0, end) : end]


def _post(client, **extra):
    client.cookies["django_language"] = "en"
    return client.post("/phan-anh/", form(**extra))


def test_a_code_of_someone_elsewhere_and_a_code_of_nobody_get_the_same_answer(world, client):
    """CG.STAFF works in Cầu Giấy, not Ba Đình: refused exactly as a code nobody has, so
    the portal does not tell which codes exist."""
    elsewhere = _post(client, official="CG.STAFF")
    nobody = _post(client, official="CB999999")
    assert elsewhere.status_code == nobody.status_code == 400
    assert REFUSAL in _official_errors(elsewhere)
    assert _official_errors(elsewhere) == _official_errors(nobody).replace("CB999999", "CG.STAFF")
    assert "No official has this code" not in nobody.content.decode()
    assert not Feedback.objects.exists()


def test_the_code_is_checked_only_once_the_rest_of_the_form_is_valid(world, client):
    """With another field wrong, the official's code is not looked at: a form left
    invalid on purpose tells nothing about codes either."""
    elsewhere = _post(client, official="CG.STAFF", text="")
    known = _post(client, official="BD.STAFF", text="")
    assert REFUSAL not in elsewhere.content.decode()
    assert _official_errors(elsewhere) == _official_errors(known).replace("BD.STAFF", "CG.STAFF")


@pytest.mark.parametrize(
    ("unit", "official"),
    [
        ("HN.BD", "BD.STAFF"),  # a division of the district the case goes to
        ("HN.CG.VP", "CG.HEAD"),  # the district head, on a case sent to the district's office
        ("HN.CG", "DV.HEAD"),  # a ward under the district
        ("HN.BD", "bd.staff"),  # any case
    ],
)
def test_an_official_of_the_agency_or_under_it_is_accepted(world, client, unit, official):
    response = _post(client, unit=unit, official=official)
    assert response.status_code == 302, _official_errors(response)
    assert Feedback.objects.get().official.code == official.upper()


def test_an_official_of_another_unit_is_refused(world, client):
    """A ward's case cannot name an official of the district above it, nor a department's."""
    for unit, official in (("HN.CG.DV", "CG.STAFF"), ("HN.CG", "BD.STAFF")):
        assert REFUSAL in _official_errors(_post(client, unit=unit, official=official))
    assert not Feedback.objects.exists()


def test_refused_codes_count_as_failed_look_ups(world, client):
    for _ in range(portal.LOOKUP_FAILURES_PER_HOUR):
        assert _post(client, official="CG.STAFF").status_code == 400
    stopped = _post(client, official="BD.STAFF")  # a right code too, past the limit
    assert stopped.status_code == 429
    assert "BD.STAFF" not in stopped.content.decode()
    assert not Feedback.objects.exists()
    assert _post(client, kind="feedback").status_code == 302  # naming nobody still works


def test_the_service_refuses_whoever_calls_it_by_the_memberships_of_the_day(world):
    """The rule is the service's: the day of receipt decides; an official whose place there
    ended before that day is refused, one who left after it is not."""
    staff = world.officials["BD.STAFF"]
    membership = Membership.objects.get(official=staff)
    org.membership_end(membership=membership, end=dt.date(2026, 10, 9))
    moment = at("2026-10-12")
    with pytest.raises(ServiceError) as refused:
        services.feedback_submit(
            category="conduct",
            kind="complaint",
            unit=world.units["HN.BD"],
            text="Cán bộ tiếp dân có thái độ hách dịch.",
            official=staff,
            now=moment,
        )
    assert (refused.value.service_code, refused.value.field) == ("official_not_found", "official")
    before = at("2026-10-09")
    case, _key = services.feedback_submit(
        category="conduct",
        kind="complaint",
        unit=world.units["HN.BD"],
        text="Cán bộ tiếp dân có thái độ hách dịch.",
        official=staff,
        now=before,
    )
    assert case.official == staff


def _with_department(document: dict) -> dict:
    document = copy.deepcopy(document)
    document["units"].append(
        {"code": "HN.SNV", "name": "Sở Nội vụ", "parent": "HN", "kind": "department"}
    )
    document["officials"].append(
        {
            "code": "CB030",
            "name": "Vũ Văn Hải",
            "unit": "HN.SNV",
            "position": "staff",
            "since": "2025-01-01",
        }
    )
    return document


def test_an_import_refuses_a_case_naming_an_official_of_another_agency_then():
    document = _with_department(DOCUMENT)
    document["feedback"][0]["official"] = "CB030"
    with pytest.raises(ImportRejected) as caught:
        import_document(document, on=ON)
    [problem] = caught.value.problems
    assert (problem.path, problem.code) == ("feedback[0].official", "official_not_in_unit")
    assert "CB030" in problem.message and "HN.CG" in problem.message
    assert "06/10/2026" in problem.message
    assert not Feedback.objects.exists()


def test_the_import_reports_the_official_with_the_other_problems_before_writing():
    """Checked with every other problem, not when the case is written: a document with a
    case naming an official of another agency and an unrelated mistake (a dossier's contact
    that is neither a phone number nor an e-mail address) is refused with both, at their
    paths, and nothing written. The document itself brings the official and their place."""
    document = _with_department(DOCUMENT)
    document["feedback"][0]["official"] = "CB030"
    document["dossiers"][0]["applicant_contact"] = "không có"
    with pytest.raises(ImportRejected) as caught:
        import_document(document, on=ON)
    found = {(p.path, p.code) for p in caught.value.problems}
    assert ("feedback[0].official", "official_not_in_unit") in found
    assert any(path == "dossiers[0].applicant_contact" for path, _code in found)
    assert len(found) == 2
    assert not Feedback.objects.exists() and not Official.objects.exists()


def test_the_check_follows_the_places_the_document_gives():
    """Where the document places an official (a new official, or a stored one moved as of a
    day before the case) is where the check looks, as the import will write it."""
    document = _with_department(DOCUMENT)
    document["officials"][-1]["unit"] = "HN.CG.QLDT"  # CB030 in Cầu Giấy after all
    document["feedback"][0]["official"] = "CB030"
    import_document(document, on=ON)
    assert Feedback.objects.get().official.code == "CB030"
    # CB011, stored in Cầu Giấy since 2025, moved by a document to the department from
    # 01/10/2026: a new case of 06/10/2026 in Cầu Giấy may not name them
    moved = {"format": DOCUMENT["format"],
             "officials": [{"code": "CB011", "name": "Phạm Văn Tú", "unit": "HN.SNV",
                            "position": "staff", "since": "2026-10-01"}],
             "feedback": [{**copy.deepcopy(DOCUMENT["feedback"][0]), "code": "PA-26-BBBBBB",
                           "official": "CB011", "dossier": None, "events": []}]}
    with pytest.raises(ImportRejected) as caught:
        import_document(moved, on=ON)
    assert [(p.path, p.code) for p in caught.value.problems] == [
        ("feedback[0].official", "official_not_in_unit")]
    assert Official.objects.get(code="CB011").memberships.get().unit.code == "HN.CG.QLDT"


def test_an_import_keeps_a_case_naming_an_official_who_has_moved_since():
    """History valid then is not refused: CB011 worked in Cầu Giấy on 06/10/2026, when the
    case was received, and has moved to the department since."""
    base = _with_department(DOCUMENT)
    import_document({k: v for k, v in base.items() if k not in ("dossiers", "feedback")}, on=ON)
    cb011 = Official.objects.get(code="CB011")
    org.membership_end(membership=Membership.objects.get(official=cb011), end=dt.date(2026, 10, 19))
    org.membership_start(
        official=cb011,
        unit=Unit.objects.get(code="HN.SNV"),
        position="staff",
        start=dt.date(2026, 10, 20),
    )
    document = copy.deepcopy(base)
    document.pop("officials")
    document["feedback"][0]["official"] = "CB011"
    import_document(document, on=ON)
    assert Feedback.objects.get().official == cb011


# -- the dossier a complaint names ------------------------------------------------------------


def test_a_complaint_may_name_only_a_dossier_received_in_the_agency(world, client):
    """A founded complaint about a dossier counts against whoever held it: a dossier of
    Cầu Giấy named in a case sent to Ba Đình let Ba Đình's head find Cầu Giấy's official
    responsible. Refused as a code no dossier has, each refusal a failed look-up; a
    dossier of Ba Đình is taken, and the service holds the rule for every caller."""
    from . import factories

    cau_giay = factories.dossier(world, code="D-CG")
    ba_dinh = factories.dossier(world, code="D-BD1")
    elsewhere = _post(client, dossier=cau_giay.code)
    nobody = _post(client, dossier="D-NONE")
    assert elsewhere.status_code == nobody.status_code == 400
    message = "No dossier with this code was found in the unit the case is sent to."
    assert elsewhere.context["form"].errors["dossier"] == [message]
    assert nobody.context["form"].errors["dossier"] == [message]
    from django.core.cache import cache

    assert cache.get(portal._lookup_key(elsewhere.wsgi_request)) == 2  # both counted
    assert not Feedback.objects.exists()
    with pytest.raises(ServiceError) as refused:
        services.feedback_submit(kind="complaint", category="conduct",
                                 unit=world.units["HN.BD"], dossier=cau_giay,
                                 text="Hồ sơ bị trả lại nhiều lần không rõ lý do.")
    assert (refused.value.field, refused.value.service_code) == ("dossier",
                                                                 "dossier_not_found")
    assert not Feedback.objects.exists()
    taken = _post(client, dossier=ba_dinh.code)
    assert taken.status_code == 302
    assert Feedback.objects.get().dossier == ba_dinh
    # a ward's dossier in a case sent to its district: the district's agency holds it
    assert services.dossier_may_be_named(dossier=cau_giay, unit=world.units["HN.CG"])


def test_the_import_refuses_a_case_naming_a_dossier_received_in_another_agency():
    """HS-001 is received by Cầu Giấy's one-stop office (its procedure's first step, as the
    document describes it): a complaint sent to the department of home affairs may not
    name it. Refused at its path, with every other problem, before writing; sent to the
    district (the agency above the office) it is taken."""
    document = _with_department(DOCUMENT)
    document["feedback"][0]["unit"] = "HN.SNV"
    with pytest.raises(ImportRejected) as caught:
        import_document(document, on=ON)
    found = {(p.path, p.code) for p in caught.value.problems}
    assert found == {("feedback[0].dossier", "dossier_not_in_unit")}
    assert not Feedback.objects.exists()
    document["feedback"][0]["unit"] = "HN.CG"
    import_document(document, on=ON)
    assert Feedback.objects.get().dossier.code == "HS-001"

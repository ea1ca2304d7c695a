"""A citizen's contact is a Vietnamese phone number or an e-mail address, checked by one rule
(`contacts.clean_contact`) on every way in: the portal, the counter, Open311, the services
and the exchange import; stored in its normal form. Contacts stored before stay readable."""

from __future__ import annotations

import copy

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from thuocdo.citizens import services
from thuocdo.citizens.contacts import clean_contact
from thuocdo.citizens.models import Dossier, Feedback
from thuocdo.core.errors import ServiceError
from thuocdo.exchange.importer import ImportRejected, import_document

from . import factories
from .test_exchange import DOCUMENT, ON
from .test_portal import form as portal_form

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    """Assert on the English msgids, whatever the Vietnamese catalogue says."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


# -- the rule ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "normal"),
    [
        ("0912345678", "0912345678"),
        ("0912 345 678", "0912345678"),
        ("0912.345.678", "0912345678"),
        ("+84 912-345-678", "0912345678"),
        ("+84 (0) 912 345 678", "0912345678"),
        ("912345678", "0912345678"),
        ("(024) 3825 1234", "02438251234"),  # a landline: area code 24, 11 digits with the 0
        ("+842438251234", "02438251234"),
        ("  dan@example.vn ", "dan@example.vn"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_accepted_contacts_and_their_normal_form(value, normal):
    assert clean_contact(value, label="The contact") == normal


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("0912 345 67", "bad_phone"),  # 8 digits after the 0
        ("091234567890", "bad_phone"),  # 11
        ("1900 1234", "bad_phone"),  # a short service number
        ("84912345678", "bad_phone"),  # a country code without its "+"
        ("00912345678", "bad_phone"),
        ("dan@", "bad_email"),
        ("dan@example", "bad_email"),
        ("gọi anh Nam", "bad_contact"),
        ("0912345678 hoặc dan@example.vn", "bad_email"),
    ],
)
def test_refused_contacts(value, code):
    with pytest.raises(ValidationError) as caught:
        clean_contact(value, label="The contact")
    assert caught.value.code == code
    assert caught.value.messages[0].startswith(f"The contact: “{value}” ")


def test_the_messages_name_the_field_and_say_what_is_expected():
    with pytest.raises(ValidationError) as caught:
        clean_contact("0912 345 67", label="The applicant's contact")
    assert caught.value.messages == [
        "The applicant's contact: “0912 345 67” is not a Vietnamese phone number: after +84 "
        "or 0 it has 9 or 10 digits (spaces, dots or dashes may separate them), e.g. "
        "0912 345 678."
    ]
    with pytest.raises(ValidationError) as caught:
        clean_contact("dan@", label="The contact")
    assert caught.value.messages == ["The contact: “dan@” is not a valid e-mail address."]
    with pytest.raises(ValidationError) as caught:
        clean_contact("gọi anh Nam", label="The contact")
    assert caught.value.messages == [
        "The contact: “gọi anh Nam” is neither a phone number nor an e-mail address."
    ]


# -- the services ------------------------------------------------------------------------


def test_the_services_refuse_a_bad_contact_and_store_the_normal_form(world):
    with pytest.raises(ServiceError) as caught:
        services.feedback_submit(
            category="urban",
            unit=world.units["HN.CG.DV"],
            text="Đèn đường ngõ 12 bị hỏng hai tuần nay.",
            contact="gọi anh Nam",
        )
    assert (caught.value.service_code, caught.value.field) == ("bad_contact", "contact")
    feedback, _key = services.feedback_submit(
        category="urban",
        unit=world.units["HN.CG.DV"],
        text="Đèn đường ngõ 12 bị hỏng hai tuần nay.",
        contact="+84 912.345.678",
    )
    assert feedback.contact == "0912345678"
    with pytest.raises(ServiceError) as caught:
        services.dossier_receive(
            user=None,
            actor=world.officials["CG.STAFF"],
            procedure=factories.procedure(world),
            applicant="Nguyễn Thị Hoa",
            applicant_contact="0912",
            channel="counter",
        )
    assert (caught.value.service_code, caught.value.field) == ("bad_phone", "applicant_contact")
    assert caught.value.service_message.startswith("The applicant's contact: “0912” ")
    assert not Dossier.objects.exists()


# -- the pages ---------------------------------------------------------------------------


def test_the_portal_shows_the_problem_on_the_contact(world, client):
    response = client.post("/phan-anh/", portal_form(contact="0912 345 67"))
    assert response.status_code == 400 and not Feedback.objects.exists()
    assert response.context["form"].errors["contact"] == [
        "The contact: “0912 345 67” is not a Vietnamese phone number: after +84 or 0 it has "
        "9 or 10 digits (spaces, dots or dashes may separate them), e.g. 0912 345 678."
    ]
    response = client.post("/phan-anh/", portal_form(contact="+84 911 111 111"))
    assert response.status_code == 302
    assert Feedback.objects.get().contact == "0911111111"


def test_the_counter_shows_the_problem_on_the_applicant_s_contact(world, client_for):
    factories.procedure(world)
    staff = client_for(world.users["staff"])
    data = {"procedure": "P-CG", "applicant": "Trần Văn Nam", "channel": "counter"}
    response = staff.post("/citizens/dossiers/receive/", {**data, "applicant_contact": "nam@"})
    assert response.status_code == 400 and not Dossier.objects.exists()
    assert response.context["form"].errors["applicant_contact"] == [
        "The applicant's contact: “nam@” is not a valid e-mail address."
    ]
    response = staff.post(
        "/citizens/dossiers/receive/", {**data, "applicant_contact": "024.3825.1234"}
    )
    assert response.status_code == 302
    assert Dossier.objects.get().applicant_contact == "02438251234"


def test_contacts_stored_before_the_rule_still_show(world, client_for):
    """No page re-checks a stored contact: it is shown to staff as it was written."""
    dossier, feedback = factories.dossier(world), factories.feedback(world)
    Dossier.objects.filter(pk=dossier.pk).update(applicant_contact="gọi chị Hoa giờ hành chính")
    Feedback.objects.filter(pk=feedback.pk).update(contact="anh Nam, tổ 5")
    head = client_for(world.users["head"])
    page = head.get(f"/citizens/dossier/{dossier.code}/")
    assert page.status_code == 200 and "gọi chị Hoa giờ hành chính" in page.content.decode()
    page = head.get(f"/citizens/feedback/{feedback.code}/")
    assert page.status_code == 200 and "anh Nam, tổ 5" in page.content.decode()


# -- Open311 -----------------------------------------------------------------------------


def open311(client, **extra):
    return client.post(
        "/open311/v2/requests.json",
        {
            "service_code": "urban",
            "jurisdiction_id": "HN.CG.DV",
            "lat": "21.03",
            "long": "105.79",
            "description": "Ổ gà lớn trước số 5 phố Dịch Vọng Hậu.",
            **extra,
        },
    )


def test_open311_checks_email_and_phone_each_as_what_it_is(world, client):
    response = open311(client, email="dan@example")
    assert response.status_code == 400
    assert response.json() == [
        {"code": 400, "description": "email: “dan@example” is not a valid e-mail address."}
    ]
    response = open311(client, phone="dan@example.vn")
    assert response.status_code == 400
    assert response.json()[0]["description"].startswith(
        "phone: “dan@example.vn” is not a Vietnamese phone number"
    )
    assert not Feedback.objects.exists()
    response = open311(client, phone="+84 987 654 321")
    assert response.status_code == 201
    assert Feedback.objects.get().contact == "0987654321"


# -- the exchange import -----------------------------------------------------------------


def test_an_import_with_a_bad_contact_is_refused_whole_with_its_path():
    broken = copy.deepcopy(DOCUMENT)
    broken["dossiers"][0]["applicant_contact"] = "0912"
    broken["feedback"][0]["contact"] = "nam@"
    with pytest.raises(ImportRejected) as caught:
        import_document(broken, on=ON)
    problems = {p.path: (p.code, p.message) for p in caught.value.problems}
    assert set(problems) == {"dossiers[0].applicant_contact", "feedback[0].contact"}
    assert problems["dossiers[0].applicant_contact"][0] == "bad_phone"
    assert problems["feedback[0].contact"] == (
        "bad_email",
        "“nam@” is not a valid e-mail address.",  # the path names the field: not again
    )
    assert not Dossier.objects.exists() and not Feedback.objects.exists()


def test_an_import_stores_the_normal_form_and_leaves_stored_contacts_alone():
    document = copy.deepcopy(DOCUMENT)
    document["feedback"][0]["contact"] = "+84 912 000 111"
    import_document(document, on=ON)
    assert Feedback.objects.get().contact == "0912000111"
    # A contact stored before the rule is not checked again: the record is not rewritten.
    Feedback.objects.update(contact="anh Nam")
    Dossier.objects.update(applicant_contact="chị Hoa")
    document["feedback"][0]["contact"] = "anh Nam"
    document["dossiers"][0]["applicant_contact"] = "chị Hoa"
    assert not import_document(document, on=ON).changed

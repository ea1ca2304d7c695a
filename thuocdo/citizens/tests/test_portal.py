"""The public portal: submit → code and key → look up → rate; no one reaches another
submitter's case; the honeypot, size limits and the rate limit answer with clear messages."""

from __future__ import annotations

import re

import pytest

from thuocdo.citizens import portal, services
from thuocdo.citizens.models import Feedback

from . import factories

pytestmark = pytest.mark.django_db


def form(**extra):
    return {"kind": "feedback", "category": "urban", "unit": "HN.CG.DV",
            "text": "Đèn đường ngõ 12 phố Trần Thái Tông bị hỏng hai tuần nay.",
            "contact_name": "Trần Văn Nam", "contact": "0911111111", "website": "", **extra}


def submit(client, **extra):
    """POST the form and follow the redirect to the receipt."""
    response = client.post("/phan-anh/", form(**extra), follow=True)
    content = response.content.decode()
    code = re.search(r'id="tracking-code">([^<]+)<', content)
    key = re.search(r'id="access-key">([^<]+)<', content)
    return response, code and code.group(1), key and key.group(1)


def test_submit_gives_a_code_and_a_key_and_the_lookup_shows_the_case(world, client):
    response, code, key = submit(client)
    assert response.status_code == 200
    assert code.startswith("PA-") and len(key) == services.KEY_LENGTH
    page = client.post("/phan-anh/tra-cuu/", {"code": code, "key": key})
    assert page.status_code == 200
    content = page.content.decode()
    assert "UBND phường Dịch Vọng" in content
    assert "0911111111" not in content  # the contact is never shown back


def test_a_key_opens_only_its_own_case(world, client):
    _r, first, first_key = submit(client)
    _r, second, _second_key = submit(client, text="Vỉa hè phố Duy Tân bị lấn chiếm làm bãi xe.")
    response = client.post("/phan-anh/tra-cuu/", {"code": second, "key": first_key})
    assert response.status_code == 400
    assert "Vỉa hè" not in response.content.decode()
    # the same answer as for a code that does not exist
    unknown = client.post("/phan-anh/tra-cuu/", {"code": "PA-00-NOPE", "key": first_key})
    assert unknown.status_code == 400
    assert first != second


def test_failed_lookups_are_limited_per_address(world, client):
    factories.feedback(world)
    for _ in range(portal.LOOKUP_FAILURES_PER_HOUR):
        assert client.post("/phan-anh/tra-cuu/", {"code": "PA-CG", "key": "WRONG"}
                           ).status_code == 400
    blocked = client.post("/phan-anh/tra-cuu/", {"code": "PA-CG", "key": factories.KEY})
    assert blocked.status_code == 429


def test_honeypot_and_size_limits_write_nothing(world, client):
    response, code, _key = submit(client, website="http://spam.example")
    assert response.status_code == 400 and code is None
    response, code, _key = submit(client, text="x" * (services.TEXT_MAX + 1))
    assert response.status_code == 400 and code is None
    assert not Feedback.objects.exists()


def test_rate_limit_answers_with_a_clear_message(world, client):
    for _ in range(services.RATE_LIMIT_PER_HOUR):
        assert submit(client)[1] is not None
    response, code, _key = submit(client)
    assert response.status_code == 400 and code is None
    assert "Gửi quá nhiều lần" in response.content.decode()
    assert Feedback.objects.count() == services.RATE_LIMIT_PER_HOUR


def test_forward_reason_is_public_and_a_closed_case_can_be_rated_once(world, client):
    feedback = factories.feedback(world, unit="HN.CG")
    services.feedback_forward(user=world.users["head"], feedback=feedback,
                              to_unit=world.units["HN.CG.DV"],
                              reason="Thuộc thẩm quyền UBND phường Dịch Vọng")
    page = client.post("/phan-anh/tra-cuu/", {"code": "PA-CG", "key": factories.KEY})
    content = page.content.decode()
    assert "Thuộc thẩm quyền UBND phường Dịch Vọng" in content
    assert 'name="rating"' not in content  # not closed yet
    Feedback.objects.filter(pk=feedback.pk).update(unit=world.units["HN.CG.VP"])
    feedback.refresh_from_db()
    services.feedback_reply(user=world.users["head"], feedback=feedback,
                            answer="Đã sửa đèn đường.")
    services.feedback_close(user=world.users["head"], feedback=feedback)
    page = client.post("/phan-anh/tra-cuu/", {"code": "PA-CG", "key": factories.KEY})
    assert 'name="rating"' in page.content.decode()
    rated = client.post("/phan-anh/danh-gia/", {"code": "PA-CG", "key": factories.KEY,
                                                "rating": "satisfied"})
    assert rated.status_code == 200
    assert Feedback.objects.get(pk=feedback.pk).rating == "satisfied"
    again = client.post("/phan-anh/danh-gia/", {"code": "PA-CG", "key": factories.KEY,
                                                "rating": "unsatisfied"})
    assert again.status_code == 400
    assert Feedback.objects.get(pk=feedback.pk).rating == "satisfied"
    wrong = client.post("/phan-anh/danh-gia/", {"code": "PA-CG", "key": "WRONGKEY22",
                                                "rating": "unsatisfied"})
    assert wrong.status_code == 400


def test_the_receipt_comes_after_a_redirect_so_a_reload_files_nothing(world, client):
    """POST/redirect/GET: the receipt's address holds the code only; the key waits in the
    session for that one page, so a reload neither files a second case nor shows the key
    again, and another browser opening the address sees nothing of the case."""
    response = client.post("/phan-anh/", form())
    assert response.status_code == 302
    feedback = Feedback.objects.get()
    assert response["Location"] == f"/phan-anh/bien-nhan/{feedback.code}/"
    receipt = client.get(response["Location"])
    content = receipt.content.decode()
    key = re.search(r'id="access-key">([^<]+)<', content).group(1)
    assert services.access_key_matches(feedback, key)
    assert key not in response["Location"]
    assert "UBND phường Dịch Vọng" in content
    assert "no-store" in receipt["Cache-Control"]
    again = client.get(response["Location"]).content.decode()
    assert key not in again and 'id="key-shown-once"' in again
    assert "UBND phường Dịch Vọng" not in again  # the code alone opens nothing
    assert Feedback.objects.count() == 1


def test_a_receipt_opened_elsewhere_shows_nothing_of_the_case(world, client):
    factories.feedback(world)
    content = client.get("/phan-anh/bien-nhan/PA-CG/").content.decode()
    assert factories.KEY not in content and 'id="key-shown-once"' in content
    assert "UBND" not in content


def test_the_form_says_before_sending_that_a_complaint_names_an_official_or_a_dossier(
        world, client):
    """The rule stays (the service refuses a complaint naming neither); the form says so
    above the two fields instead of calling them optional."""
    client.cookies["django_language"] = "en"
    page = client.get("/phan-anh/").content.decode()
    assert "optional)" not in re.search(r'<fieldset class="group" aria-describedby="'
                                        r'subject-help">.*?</fieldset>', page, re.S).group(0)
    assert ("Required for a complaint: give the official's code or the dossier's code (at "
            "least one of the two)") in page.replace("&#x27;", "'")
    fieldset = page.index('aria-describedby="subject-help"')
    assert fieldset < page.index('name="official"') < page.index('name="dossier"')
    refused = client.post("/phan-anh/", form(kind="complaint"))
    assert refused.status_code == 400
    assert not Feedback.objects.exists()
    named = client.post("/phan-anh/", form(kind="complaint", official="DV.HEAD"))
    assert named.status_code == 302


def test_a_complaint_naming_nobody_is_said_with_the_other_errors(world, client):
    """The rule was said only once every other field was right (the service's check, after
    the form's): a citizen fixed the text, sent again, and only then learnt it."""
    client.cookies["django_language"] = "en"
    refused = client.post("/phan-anh/", form(kind="complaint", text="ngắn"))
    assert refused.status_code == 400
    errors = refused.context["form"].errors
    assert "text" in errors
    assert errors["official"] == ["A complaint names the official or the dossier it is "
                                  "about."]
    # a code typed, right or wrong, is not called missing; like an official's, it is
    # checked once the rest of the form is right (a form left wrong on purpose tells
    # nothing about codes)
    typed = client.post("/phan-anh/", form(kind="complaint", text="ngắn", dossier="HS-NONE"))
    assert "official" not in typed.context["form"].errors
    assert "dossier" not in typed.context["form"].errors
    typed = client.post("/phan-anh/", form(kind="complaint", dossier="HS-NONE"))
    assert typed.context["form"].errors["dossier"] == [
        "No dossier with this code was found in the unit the case is sent to."]
    # feedback needs neither
    assert "official" not in client.post(
        "/phan-anh/", form(text="ngắn")).context["form"].errors
    assert not Feedback.objects.exists()

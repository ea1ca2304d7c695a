"""Steps (rõ quy trình) assigned through the API: an allowance of at least one working day,
refused below that with the assign form's own message, in the caller's language."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from thuocdo.tasks.forms import StepForm
from thuocdo.tasks.models import Task, TaskStep
from thuocdo.tasks.tests.api_routes import _product

pytestmark = pytest.mark.django_db


def assign_with_steps(world, steps, language="vi"):
    _product()
    client = APIClient(headers={"accept-language": language})
    client.force_authenticate(world.user("head"))
    due = timezone.localdate() + dt.timedelta(days=30)
    return client.post(
        reverse("api:task-list"),
        {
            "title": "Báo cáo sơ kết",
            "product": "BC",
            "lead_unit": "HN.CG.VP",
            "lead_official": "CG.STAFF",
            "due": due.isoformat(),
            "steps": steps,
        },
        format="json",
    )


def form_message(allowance: int, language: str) -> list[str]:
    """What the assign page says of this allowance (its step form's first error)."""
    with translation.override(language):
        form = StepForm({"name": "Dự thảo", "allowance": str(allowance)})
        assert not form.is_valid()
        return [str(form.errors["allowance"][0])]


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("allowance", [0, -1, -30])
def test_an_allowance_below_one_day_is_refused_like_the_form_does(world, allowance, language):
    response = assign_with_steps(
        world,
        [{"name": "Dự thảo", "allowance": 3}, {"name": "Trình ký", "allowance": allowance}],
        language,
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    # DRF names the refused item of the list by its index.
    assert body["errors"] == {"steps": [{}, {"allowance": form_message(allowance, language)}]}
    assert not Task.objects.exists() and not TaskStep.objects.exists()


def test_the_messages_are_the_forms_own_in_each_language():
    """The form's message, so the API's: Django's, translated by Django."""
    assert form_message(0, "en") == ["Ensure this value is greater than or equal to 1."]
    assert form_message(0, "vi") != form_message(0, "en")


def test_one_working_day_is_enough(world):
    response = assign_with_steps(
        world, [{"name": "Tiếp nhận", "allowance": 1}, {"name": "Dự thảo", "allowance": 4}]
    )
    assert response.status_code == 201, response.content
    assert [(s["name"], s["allowance"]) for s in response.json()["steps"]] == [
        ("Tiếp nhận", 1),
        ("Dự thảo", 4),
    ]

"""DRF's own messages in the caller's language (core/drf_messages.py): each listed msgid is
still DRF's word for word, and a Vietnamese request gets them in Vietnamese.

The Vietnamese test passes once the catalogue translates the listed msgids (see
core/tests/test_translations.py for how to regenerate it)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from thuocdo.core.drf_messages import DRF_MESSAGES

SITE_PACKAGES = Path(__import__("rest_framework").__file__).parent.parent
GETTEXT = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy"}


def _msgids_of(path: Path) -> set[str]:
    """The msgids a module marks for translation, or a template's {% trans %} strings."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        return {line.split('"')[1] for line in text.splitlines() if '{% trans "' in line}
    found = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in GETTEXT:
                found |= {
                    arg.value
                    for arg in node.args
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                }
    return found


@pytest.mark.parametrize("module", sorted(DRF_MESSAGES))
def test_each_listed_message_is_still_the_librarys(module):
    """A msgid that differs by one character is another msgid: an upgrade of DRF or
    django-filter that rewords a message shows here."""
    missing = set(DRF_MESSAGES[module]) - _msgids_of(SITE_PACKAGES / module)
    assert not missing, f"not in {module}: {sorted(missing)}"


@pytest.mark.django_db
def test_a_vietnamese_task_assignment_gets_drfs_messages_in_vietnamese(world):
    """A Vietnamese request to assign a task without a title, with a quantity that is not a
    number, gets DRF's "required" and "integer" messages in Vietnamese."""
    client = APIClient(headers={"accept-language": "vi"})
    client.force_authenticate(world.user("head"))
    response = client.post(reverse("api:task-list"), {"quantity": "abc"}, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert errors["title"] == ["Trường này là bắt buộc."]
    assert errors["quantity"] == ["Hãy nhập một số nguyên hợp lệ."]


@pytest.mark.django_db
def test_a_vietnamese_request_without_credentials_is_told_so_in_vietnamese():
    response = APIClient(headers={"accept-language": "vi"}).get(reverse("api:task-list"))
    assert response.status_code == 403
    assert response.json()["message"] == "Chưa cung cấp thông tin xác thực."

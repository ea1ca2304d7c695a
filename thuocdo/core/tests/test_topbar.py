"""The top bar: every page links the inbox, with the unread count; every route a template
names with `{% url … as … %}` (which renders nothing instead of failing) exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import get_resolver, reverse

import thuocdo
from thuocdo.notifications import services
from thuocdo.notifications.tests.helpers import assign

INBOX = reverse("notifications:inbox")


@pytest.mark.django_db
def test_every_page_links_the_inbox_with_the_unread_count(world, client_for, settings):
    settings.LANGUAGE_CODE = "en"
    assign(world)
    assert services.notifications_from_events(max_age=None) == 1
    html = client_for(world.user("staff")).get(reverse("tasks:my_work")).content.decode()
    assert f'<a href="{INBOX}">Inbox <span class="badge">1' in html
    # without an official (nothing to notify): the link, no badge
    html = client_for(world.user("board")).get(reverse("core:home")).content.decode()
    assert f'<a href="{INBOX}">Inbox</a>' in html


def _route_exists(name: str) -> bool:
    resolver = get_resolver()
    *namespaces, view = name.split(":")
    for namespace in namespaces:
        if namespace not in resolver.namespace_dict:
            return False
        resolver = resolver.namespace_dict[namespace][1]
    return bool(resolver.reverse_dict.getlist(view))


def test_every_url_a_template_keeps_aside_exists():
    """`{% url 'x:y' as var %}` swallows a wrong name (the inbox link hid so): each such
    name must be a route."""
    pattern = re.compile(r"{%\s*url\s+['\"]([\w:]+)['\"][^%]*\bas\s+\w+\s*%}")
    found = {}
    for template in Path(thuocdo.__file__).parent.rglob("*.html"):
        for name in pattern.findall(template.read_text(encoding="utf-8")):
            found.setdefault(name, template)
    assert found, "the pattern finds the templates' url-as tags"
    missing = {name: str(path) for name, path in found.items() if not _route_exists(name)}
    assert missing == {}

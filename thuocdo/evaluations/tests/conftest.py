"""Fixtures of the evaluations tests."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api(world):
    """`api(role, language)`: an API client authenticated as that role's user (None:
    anonymous), asking for `language` (None: the default, Vietnamese)."""

    def make(role, language=None):
        client = APIClient(headers={"accept-language": language} if language else None)
        if role is not None:
            client.force_authenticate(world.user(role))
        return client

    return make

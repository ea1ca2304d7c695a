"""Fixtures of the citizens' tests."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache():
    """The portal's rate limit counts look-ups in the cache: every test starts from none."""
    cache.clear()
    yield
    cache.clear()

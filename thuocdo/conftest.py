"""Fixtures shared by every app's tests."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from thuocdo.core.testing import World, build_world

# Properties are checked for what they state, not for speed: a loaded CI machine must not
# fail an example for taking longer than hypothesis's default 200 ms (benchmarks measure
# time, in bench/).
settings.register_profile("thuocdo", deadline=None)
settings.load_profile("thuocdo")


def pytest_report_header(config):
    url = os.environ.get("THUOCDO_DATABASE_URL", "")
    engine = "PostgreSQL" if url.startswith(("postgres", "postgresql")) else "SQLite"
    return f"thuocdo: database {engine} ({'THUOCDO_DATABASE_URL' if url else 'default'})"


@pytest.fixture
def world(db) -> World:
    """A small organisation with one user per role (see thuocdo.core.testing)."""
    return build_world()


@pytest.fixture
def client_for(client):
    """`client_for(user)`: the test client logged in as `user` (None: anonymous)."""

    def login(user):
        client.logout()
        if user is not None:
            client.force_login(user, backend="thuocdo.accounts.backends.EmailOrOfficialCodeBackend")
        return client

    return login


@pytest.fixture
def postgres_only(db):
    """Skip (with the reason printed) unless the tests run on PostgreSQL."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set THUOCDO_DATABASE_URL=postgres://... to run it")

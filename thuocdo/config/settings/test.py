"""Tests: SQLite in memory unless THUOCDO_DATABASE_URL points at PostgreSQL; fast hashing."""

from __future__ import annotations

import tempfile
from pathlib import Path

from .base import *  # noqa: F403

DATA_DIR = Path(tempfile.gettempdir()) / "thuocdo-test"
DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-use-anywhere-else-0123456789"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
WHITENOISE_AUTOREFRESH = True
LANGUAGE_CODE = "vi"
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None}}  # noqa: F405
# The tests build tasks with deadlines relative to today, which fall on any day of the week
# (or a holiday): a deadline on a day off is accepted here, so their outcome does not depend
# on the day they run. The tests of the rule set "refuse" (the default of base.py) themselves.
THUOCDO_DEADLINE_ON_DAY_OFF = "accept"

"""Development and demo: debug on by default, a secret key generated once into the data dir."""

from __future__ import annotations

import os
import secrets

from .base import *  # noqa: F403
from .base import DATA_DIR, SECRET_KEY_FILE, env_bool


def _generated_secret_key() -> str:
    """Read the data dir's secret key, creating it on first use (never in the repository)."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / SECRET_KEY_FILE
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


DEBUG = env_bool("THUOCDO_DEBUG", True)
SECRET_KEY = os.environ.get("THUOCDO_SECRET_KEY") or _generated_secret_key()

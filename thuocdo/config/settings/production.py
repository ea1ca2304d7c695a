"""Production: debug off, the secret key must come from the environment."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("THUOCDO_DEBUG", False)
SECRET_KEY = os.environ.get("THUOCDO_SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "THUOCDO_SECRET_KEY is not set: production needs a secret key from the environment "
        "(biến môi trường THUOCDO_SECRET_KEY chưa được đặt)."
    )
SESSION_COOKIE_SECURE = env_bool("THUOCDO_HTTPS", False)
CSRF_COOKIE_SECURE = env_bool("THUOCDO_HTTPS", False)
SECURE_SSL_REDIRECT = False  # the reverse proxy terminates TLS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

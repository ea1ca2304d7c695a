"""WSGI entry point for gunicorn (`thuocdo serve`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thuocdo.config.settings.production")
application = get_wsgi_application()

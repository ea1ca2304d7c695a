"""Settings shared by every environment, read from THUOCDO_* environment variables.

THUOCDO_DATABASE_URL   sqlite:////abs/path.sqlite3 or postgres://user@host:5432/name
                       (unset or empty: an SQLite file in the data dir)
THUOCDO_DATA_DIR       the SQLite file, the generated dev secret key (default: per-user dir)
THUOCDO_SECRET_KEY     Django's secret key (required by production settings)
THUOCDO_DEBUG          1/true to show debug pages (dev: on, production: off)
THUOCDO_ALLOWED_HOSTS  comma-separated host names (default: localhost, 127.0.0.1)
THUOCDO_LANGUAGE       default UI and CLI language, vi or en (default: vi)

The README's configuration table lists the rest.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import platformdirs

PACKAGE_DIR = Path(__file__).resolve().parent.parent.parent  # .../thuocdo


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    return value in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of `choices`, from the environment (`default` when unset or empty); any other
    value stops the start with a message naming the variable and the values it takes."""
    value = os.environ.get(name, "").strip() or default
    if value not in choices:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"{name} must be {' or '.join(repr(c) for c in choices)}, not {value!r}.")
    return value


def data_dir_from(environ) -> Path:
    """THUOCDO_DATA_DIR of `environ`, else the per-user data folder (also read by
    `thuocdo serve` for the secret key file, before any settings load: thuocdo/cli.py)."""
    return Path(
        environ.get("THUOCDO_DATA_DIR") or platformdirs.user_data_dir("thuocdo", appauthor=False)
    ).expanduser()


DATA_DIR = data_dir_from(os.environ)
#: the file in the data dir where development settings keep their generated secret key
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a key

DEBUG = env_bool("THUOCDO_DEBUG", False)
SECRET_KEY = os.environ.get("THUOCDO_SECRET_KEY", "")
ALLOWED_HOSTS = env_list("THUOCDO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("THUOCDO_CSRF_TRUSTED_ORIGINS", [])


def database_from_env(data_dir: Path) -> dict:
    """Return the default database from THUOCDO_DATABASE_URL (unset or empty: SQLite file)."""
    url = os.environ.get("THUOCDO_DATABASE_URL", "").strip()
    if not url:
        url = "sqlite:///" + str(data_dir / "thuocdo.sqlite3")
    config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["CONN_MAX_AGE"] = 0
        config["CONN_HEALTH_CHECKS"] = False
        config["OPTIONS"] = {
            # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock
            # at BEGIN so two writers queue instead of failing half-way with "database locked".
            "init_command": (
                "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;PRAGMA busy_timeout=10000;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    return config


DATABASES = {"default": database_from_env(DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "thuocdo.core.third_party.AxesConfig",
    "django_tasks",
    "thuocdo.core.third_party.TasksDbConfig",
    "thuocdo.core",
    "thuocdo.accounts",
    "thuocdo.org",
    "thuocdo.tasks",
    "thuocdo.exchange",
    "thuocdo.notifications",
    "thuocdo.accountability",
    "thuocdo.evaluations",
    "thuocdo.citizens",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "thuocdo.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "thuocdo.core.middleware.ScopeMiddleware",
    "thuocdo.core.middleware.MethodNotAllowedPage",
    # Last, as django-axes asks: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "thuocdo.config.urls"
WSGI_APPLICATION = "thuocdo.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "thuocdo.core.context_processors.scope",
                "thuocdo.notifications.context_processors.inbox",
            ],
        },
    }
]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "thuocdo.accounts.backends.EmailOrOfficialCodeBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lock an account after repeated failed logins (django-axes).
AXES_FAILURE_LIMIT = int(os.environ.get("THUOCDO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("THUOCDO_LOGIN_LOCK_HOURS", "0.25"))  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "thuocdo.accounts.backends.axes_username"
# The login form's field is "username" (it takes an e-mail or an official code), not the
# model's USERNAME_FIELD "email": without this axes would never find the typed login.
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# axes.W006 asks to lock by IP address too. Officials of one agency often share one NAT
# address, so locking an address would lock the whole agency out: we lock the account.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

LANGUAGE_CODE = os.environ.get("THUOCDO_LANGUAGE", "vi")
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
# Dates are shown dd/mm/yyyy in every language.
FORMAT_MODULE_PATH = ["thuocdo.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files straight from the installed packages: no collectstatic step, no CDN.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

EMAIL_BACKEND = (os.environ.get("THUOCDO_EMAIL_BACKEND", "").strip()
                 or "django.core.mail.backends.console.EmailBackend")
#: where the file-based backend (`thuocdo demo`'s) writes the e-mails, one file per batch
EMAIL_FILE_PATH = str(DATA_DIR / "mail")
DEFAULT_FROM_EMAIL = os.environ.get("THUOCDO_FROM_EMAIL", "thuocdo@localhost")

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "thuocdo.core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "thuocdo.core.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "600/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Thước đo API",
    "DESCRIPTION": "Scoped access to units, officials and the work they do.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The API description is for logged-in users of this internal system.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # No online validator badge: closed intranets cannot reach it.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A refused request (403) is one WARNING line (method, path, user), not a traceback; a
    # 500 keeps its traceback (core.log.RefusalFilter).
    "filters": {"refusals": {"()": "thuocdo.core.log.RefusalFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"filters": ["refusals"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("THUOCDO_LOG_LEVEL", "WARNING")},
}

# Product settings where the law leaves a choice (domain.md); each is documented in docs/.
THUOCDO = {
    # How many officials `thuocdo demo` generates.
    "DEMO_OFFICIALS": 300,
    # The site's address as users reach it, for links in e-mails (no trailing slash).
    "BASE_URL": os.environ.get("THUOCDO_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
}

# A complaint from a citizen, verified as founded and linked to work, counts as a major error
# on that work (issue 6; citizens.adapters.quality_findings).
THUOCDO_COMPLAINT_IS_MAJOR_ERROR = env_bool("THUOCDO_COMPLAINT_IS_MAJOR_ERROR", True)

# Worker processes for the long set-based computations (a month's signals, agency by
# agency; core.parallel): 0 = one per core, 1 = all in the calling process.
THUOCDO_WORKERS = int(os.environ.get("THUOCDO_WORKERS", "0"))

# Working days, after the day a leader asks, by which a signal's explanation is due when the
# leader gives no date (issue 4; accountability.services.explanation_due_default).
THUOCDO_EXPLANATION_WORKDAYS = int(os.environ.get("THUOCDO_EXPLANATION_WORKDAYS", "5"))
# The most working days after the request a leader may give for an explanation: a due day
# later than that (or on a day off) is refused, so no signal is parked out of reach of a
# decision (accountability.services.signal_request_explanation).
THUOCDO_EXPLANATION_MAX_WORKDAYS = int(os.environ.get("THUOCDO_EXPLANATION_MAX_WORKDAYS",
                                                      "20"))

# Who approves the cards of an agency whose head post (người đứng đầu) is vacant (domain.md
# names only "the head of the agency"; docs/scoring.md, "The procedure"): "deputies", its
# deputies in the head's place, their own cards left for the level above (default); or
# "above", the level above approves every card of the agency (the head of a unit above, or
# the organisation board over it).
THUOCDO_VACANT_HEAD_APPROVAL = env_choice("THUOCDO_VACANT_HEAD_APPROVAL", "deputies",
                                          ("deputies", "above"))

# What a quarter or year rolls up (domain.md, "Year: task result = mean of the monthly task
# results"; docs/scoring.md, "Quarter and year"): "approved", each month's card as its
# agency approved it, computed afresh only for months not yet approved (default); or "live",
# every month computed again from today's log, so a decision given after a month was
# approved (a late excuse, an S15) changes that month inside the period.
THUOCDO_ROLLUP_MONTHS = env_choice("THUOCDO_ROLLUP_MONTHS", "approved", ("approved", "live"))

# A deadline that falls on a day off (a weekend, a public holiday or a day off of the
# administrator's calendar; domain.md, "Working days") when a leader assigns a task or grants
# an extension, through the pages, the API or any caller of the services: "refuse" (default:
# the refusal names the day, why it is off and the next working day) or "accept".
# Imports of history always accept it: they record what happened (tasks.workflow).
THUOCDO_DEADLINE_ON_DAY_OFF = env_choice("THUOCDO_DEADLINE_ON_DAY_OFF", "refuse",
                                         ("refuse", "accept"))

# A calendar override (a day off, a swapped working day) added, changed or removed, in the
# admin or by an import, on a day something was computed with: a month whose signals are
# stored (or one before it), a period approved, published or locked (core.calendar;
# docs/decisions/0007): "refuse" (default: the refusal names the day and what is computed)
# or "warn" (written; the admin warns, naming what is affected, and the audit entry names it).
THUOCDO_CALENDAR_COMPUTED_MONTHS = env_choice("THUOCDO_CALENDAR_COMPUTED_MONTHS", "refuse",
                                              ("refuse", "warn"))

# A citizens' case forwarded ("not our responsibility") to a unit that already held it (the
# unit first concerned, or one it went to before): false (default) keeps the reply deadline
# the case has, so sending a case back and forth never wipes out its lateness; true gives
# that unit a fresh deadline, as a unit new to the case always gets (docs/citizens.md,
# "Feedback"; citizens.services.feedback_forward).
THUOCDO_FEEDBACK_FORWARD_BACK_FRESH_DEADLINE = env_bool(
    "THUOCDO_FEEDBACK_FORWARD_BACK_FRESH_DEADLINE", False)

# Approved exceptions for outstanding units (domain.md, "Quota") are records, not a setting:
# evaluations.QuotaException, entered by the organisation board and administrators
# (docs/decisions/0006-quota-exceptions-are-records.md).

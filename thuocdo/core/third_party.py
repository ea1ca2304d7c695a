"""Third-party apps in the language of the page: their admin names and strings.

Django looks a message up in every catalogue, the project's (LOCALE_PATHS) first. django-axes
and django-tasks-db ship no Vietnamese, DRF's authtoken and Django itself leave a few
strings out, and Django's own Vietnamese for the admin's "History" button ("Bản ghi nhớ")
reads wrongly. Naming the strings here with `gettext_noop` makes `makemessages` keep them in
thuocdo/locale, where they are translated like ours. A string a new version of those apps
adds shows up in English in the admin until it is listed here.

Django 5.2 also changed a msgid that its own Vietnamese catalogue still has in the old form:
the minimum password length's "at least %d characters" (a plural, listed with
`ngettext_lazy` in PLURAL_STRINGS, which `makemessages` reads as a plural msgid). Its other
password validators (similarity, common password, all digits) keep msgids that Django's
catalogue translates. Its Vietnamese for a value out of range has a space before the period
("… bằng với 30 ."), calls an integer "số tổng thể" and spells "kí tự" where the pages write
"ký tự": those msgids are listed too, to be translated here.

Two of them name themselves with words no catalogue translates ("Axes", from its label;
"Tasks Database Backend", a plain string): the settings install them through the
subclasses below, which only give them a translatable name.
"""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, ngettext_lazy
from django_tasks_db.apps import TasksAppConfig


class AxesConfig(AxesAppConfig):
    verbose_name = _("Login protection")


class TasksDbConfig(TasksAppConfig):
    verbose_name = _("Background jobs")


STRINGS = (
    # django.contrib.admin: the object history button and page
    gettext_noop("History"),
    # django.core.validators: a form value with a NUL character
    gettext_noop("Null characters are not allowed."),
    # django.core.validators: a value out of a field's range (Django's Vietnamese puts a
    # space before the period: "… bằng với 30 .")
    gettext_noop("Ensure this value is less than or equal to %(limit_value)s."),
    gettext_noop("Ensure this value is greater than or equal to %(limit_value)s."),
    # django.forms.IntegerField: Django's Vietnamese says "số tổng thể" (a "whole" number
    # as in "overall"), not "số nguyên"
    gettext_noop("Enter a whole number."),
    # rest_framework.authtoken
    gettext_noop("Auth Token"),
    gettext_noop("Token"),
    gettext_noop("Tokens"),
    # django-axes
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("Access Attempt"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("Locked Out"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Not set"),
    gettext_noop("Attempt Remaining"),
    # django-tasks-db
    gettext_noop("enqueued at"),
    gettext_noop("started at"),
    gettext_noop("finished at"),
    gettext_noop("args kwargs"),
    gettext_noop("task path"),
    gettext_noop("worker id"),
    gettext_noop("queue name"),
    gettext_noop("backend name"),
    gettext_noop("run after"),
    gettext_noop("return value"),
    gettext_noop("exception class path"),
    gettext_noop("traceback"),
    gettext_noop("Task Result"),
    gettext_noop("Task Results"),
)

#: Plural msgids, named for `makemessages` only (never formatted here).
PLURAL_STRINGS = (
    # django.contrib.auth.password_validation.MinimumLengthValidator (Django 5.2: %d)
    ngettext_lazy("This password is too short. It must contain at least %d character.",
                  "This password is too short. It must contain at least %d characters."),
    # django.core.validators: a text too short or too long; Django's Vietnamese spells
    # "kí tự" where the pages write "ký tự", and leaves out the closing period
    ngettext_lazy(
        "Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d)."),
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d)."),
)

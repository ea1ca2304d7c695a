from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "thuocdo.tasks"
    label = "tasks"
    verbose_name = _("Tasks")

    def ready(self) -> None:
        # The calendar's admin names the open work due on a day it makes a day off
        # (core.calendar.register_due); core does not import this app.
        from thuocdo.core.calendar import register_due

        from .selectors import calendar_due

        register_due(calendar_due)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationsConfig(AppConfig):
    name = "thuocdo.evaluations"
    label = "evaluations"
    verbose_name = _("Evaluations")

    def ready(self) -> None:
        # The calendar's services ask what was computed with a day before its override
        # changes (core.calendar, docs/decisions/0007); core does not import this app.
        from thuocdo.core.calendar import register_computed

        from .selectors import calendar_computed

        register_computed(calendar_computed)

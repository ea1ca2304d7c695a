from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountabilityConfig(AppConfig):
    name = "thuocdo.accountability"
    label = "accountability"
    verbose_name = _("Accountability")

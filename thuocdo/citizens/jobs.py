"""Background jobs of citizens (run by the workers, enqueued by the scheduler).

`prompt_apology_slips` tells the holder of each open dossier that will miss its deadline,
one working day before it, that an apology slip is owed (citizens.services
.apology_prompts_create): a notification of kind `dossier_due` in the holder's inbox, shown
on the dossier pages too, and e-mailed once by thuocdo.notifications.
"""

from __future__ import annotations

import logging

from django.utils import timezone
from django_tasks import task

from thuocdo.core.jobs import scheduled

from . import services

logger = logging.getLogger(__name__)


@scheduled(cron="0 7 * * *")
@task()
def prompt_apology_slips() -> dict[str, int]:
    """Prompt holders of dossiers that will be late tomorrow to issue an apology slip."""
    from thuocdo.notifications.services import notifications_send_email

    result = {"prompted": services.apology_prompts_create(today=timezone.localdate()),
              "emailed": notifications_send_email()}
    logger.info("prompt_apology_slips: %s", result)
    return result

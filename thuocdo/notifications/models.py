"""Notifications (thông báo) to officials about their work, and the jobs' fill state."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import NotificationKind


class Notification(models.Model):
    """One thing an official is told about a task: in the inbox, and once by e-mail.

    Written only by the jobs in `services` (never by hand). `key` names what is notified
    ("event:<event id>:<recipient id>", "due_soon:<task id>:<deadline>:<recipient id>",
    "overdue:<task id>:<deadline>:<recipient id>", "opinion_soon:<consult event id>:<recipient
    id>", "opinion_late:<consult event id>:<recipient id>", and the keys of the other apps'
    notices); it is unique, so the same event or the same deadline is never notified twice,
    however often a job runs. `title` and `body` are
    rendered when the notification is created, in the installation's language.
    """

    recipient = models.ForeignKey(
        "org.Official", verbose_name=_("recipient"), on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=NotificationKind.choices)
    #: the task concerned; empty for a notification about something else (a signal about
    #: a person across tasks, a dossier): `url` says where to go
    task = models.ForeignKey(
        "tasks.Task", verbose_name=_("task"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="notifications",
    )
    event = models.ForeignKey(
        "tasks.TaskEvent", verbose_name=_("event"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="notifications",
    )
    key = models.CharField(max_length=160, unique=True, editable=False)
    deadline = models.DateField(_("deadline"), null=True, blank=True,
                                help_text=_("The deadline the notice is about: the task's "
                                            "deadline in force when notified, or the reply "
                                            "or part deadline of a unit asked."))
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=255)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notif_recipient_created"),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True),
                         name="notif_recipient_unread"),
            models.Index(fields=["id"], condition=Q(emailed_at__isnull=True),
                         name="notif_not_emailed"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationFillState(models.Model):
    """How far the event job has read the task event log (one row, pk 1).

    Updated in the same transaction as the notifications it made, like Zulip's analytics
    fill state: a run that crashes writes neither, and the next run starts where the last
    successful one stopped.
    """

    last_event_id = models.BigIntegerField(_("last event read"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification fill state")
        verbose_name_plural = _("notification fill state")

    def __str__(self) -> str:
        return f"events read up to #{self.last_event_id}"


class PassedEvents(models.Model):
    """Task events that are history, not news: those an import wrote (`after` < id ≤
    `upto`), which the event job never notifies (`services.notifications_pass_events`).

    A range, not a single floor under the fill state: events people recorded before the
    import and the job has not read yet (ids up to `after`) are still notified, and the
    job's re-read margin (`services.RESCAN_EVENTS`) never reaches back into an import.
    """

    after = models.BigIntegerField(_("after event"))
    upto = models.BigIntegerField(_("up to event"))
    source = models.CharField(_("source"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("events not notified")
        verbose_name_plural = _("events not notified")

    def __str__(self) -> str:
        return f"events #{self.after + 1}–#{self.upto} not notified ({self.source})"

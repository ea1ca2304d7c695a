"""The inbox (hộp thư thông báo): an official's notifications, newest first.

Views are thin: they read through `selectors` (the caller's own notifications only; anyone
else's is a 404) and write through `services`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services
from .models import Notification

#: notifications per page of the inbox
PAGE_SIZE = 25


def _official(request):
    """The official the logged-in user is, or None."""
    return request.user.official if request.scope.official_id is not None else None


def _inbox_url(show: str) -> str:
    url = reverse("notifications:inbox")
    return f"{url}?show=unread" if show == "unread" else url


@login_required
@require_GET
def inbox(request):
    """The caller's notifications, all or only the unread ones, paged."""
    show = "unread" if request.GET.get("show") == "unread" else "all"
    notifications = selectors.notification_list(scope=request.scope,
                                                unread=True if show == "unread" else None)
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "nav": "inbox",
        "show": show,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
        "has_official": request.scope.official_id is not None,
    }
    return render(request, "notifications/inbox.html", context)


@login_required
@require_POST
def mark_all_read(request):
    """Mark every notification of the caller read, then show the inbox again."""
    count = services.notifications_mark_all_read(official=_official(request))
    if count:
        messages.success(request, ngettext(
            "%(count)s notification marked as read.",
            "%(count)s notifications marked as read.", count,
        ) % {"count": count})
    return redirect(_inbox_url(request.POST.get("show", "")))


@login_required
@require_GET
def open_notification(request, pk: int):
    """Mark one of the caller's notifications read and go where it points (its task, or the
    signal or dossier it is about)."""
    try:
        notification = selectors.notification_get(scope=request.scope, pk=pk)
    except Notification.DoesNotExist as exc:
        raise Http404(_("Not found.")) from exc
    services.notification_mark_read(official=_official(request), notification=notification)
    target = notification.url or services.task_url(notification.task.code)
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("notifications:inbox")  # pragma: no cover - our own paths only
    return redirect(target)

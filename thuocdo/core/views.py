"""Pages that belong to no single app: the home page, and /favicon.ico for browsers that ask
for it before reading the page's icon link."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.http import require_GET

from thuocdo.accounts.choices import Role
from thuocdo.core.calendar import work_calendar
from thuocdo.org import selectors as org_selectors
from thuocdo.tasks import selectors as tasks_selectors
from thuocdo.tasks.choices import TaskState


@login_required
@require_GET
def home(request):
    """The user's starting page: who they are, where they work, what they can see."""
    scope = request.scope
    official = None
    if scope.official_id is not None:
        try:
            official = org_selectors.official_get(scope=scope, code=request.user.official.code)
        except ObjectDoesNotExist:  # pragma: no cover - one's own official is always readable
            official = None
    summary = org_selectors.unit_scope_summary(scope=scope)
    lead_or_board = {unit.pk for unit in summary["lead"] + summary["board"]}
    context = {
        "nav": "home",
        "official": official,
        "memberships": official.current_memberships if official else [],
        "roles": [role.label for role in Role if role.value in scope.roles],
        "lead_units": summary["lead"],
        "board_units": summary["board"],
        # Subtrees read but neither led nor managed: an inspector's grants.
        "inspect_units": [u for u in summary["read"] if u.pk not in lead_or_board],
        # Units one belongs to without reading their subtree: staff see these units' lists.
        "member_units": [
            u for u in summary["member"]
            if not any(lft <= u.lft and u.rgt <= rgt for lft, rgt in scope.read_ranges)
        ],
        # The "my work" card renders without JS (htmx only refreshes it).
        "my_work_counts": (tasks_selectors.my_work_counts(scope=scope)
                           if scope.official_id is not None else None),
        "urgent": _urgent_work(scope),
    }
    return render(request, "core/home.html", context)


#: how many of the caller's tasks the home page names, most urgent first
URGENT_TASKS = 5


def _urgent_work(scope) -> list:
    """The few open tasks the caller holds that are due first (overdue first), each with
    the working days it is overdue: one query for the tasks, one for the calendar.

    "Overdue" is what the "My work" counter counts: work the caller holds past its deadline
    in force, except products submitted to them for review (the delay, if any, was counted
    when the product was handed in): those say whether they were handed in on time."""
    tasks = tasks_selectors.my_urgent_work(scope=scope, limit=URGENT_TASKS)
    today = timezone.localdate()
    for task in tasks:
        task.to_review = task.state == TaskState.SUBMITTED
        task.handed_in_on_time = tasks_selectors.handed_in_on_time(task)
    overdue = [task for task in tasks if task.due_in_force < today and not task.to_review]
    if overdue:
        years = range(min(t.due_in_force for t in overdue).year, today.year + 1)
        calendar = work_calendar(years=years)
        for task in overdue:
            task.workdays_overdue = calendar.workdays_between(task.due_in_force, today)
    return tasks


#: the site's icon (a ruler), linked from base.html
FAVICON = "thuocdo/favicon.svg"


@require_GET
def favicon(request):
    """/favicon.ico: the icon among the static files (no login, nothing behind it)."""
    return redirect(static(FAVICON))

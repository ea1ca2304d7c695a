"""Who may move exchange documents in and out, and the document a caller may export.

Import stays with administrators (superusers): the importer (`importer.import_document`)
writes any unit, official, task or case of the installation and checks no scope, so an
organisation board granted one district could otherwise rename the city or move officials of
another district.

Export comes in two sizes:

- the whole installation (`exporter.export_document`, `thuocdo export` without `--unit`):
  administrators only, since it holds every unit's officials, tasks, assessments and
  citizens' cases;
- one unit's part (`exporter.export_unit_document`, `--unit CODE [--period YYYY-MM]`): the
  unit, the units below it and the tasks they lead, for whoever reads that subtree whole,
  as for its accountability dashboard (`accountability.selectors.may_see_dashboard`:
  administrators, its heads and deputies, the board and inspectors granted it or a unit
  above). Staff, who read their own work and their unit's list but not the subtree, export
  nothing. The tasks are those of the work list (`tasks.selectors.task_list`, the caller's
  scope), so nobody receives a task they could not open.

The pages, the API and the command all go through `exchange_document`; these rules stay
here, in one place.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from thuocdo.accountability.compute import month_bounds
from thuocdo.accountability.selectors import dashboard_units, may_see_dashboard
from thuocdo.core.errors import PermissionDeniedError, ServiceError
from thuocdo.core.scope import Scope
from thuocdo.measure.history import end_of_day
from thuocdo.org.models import Unit
from thuocdo.tasks.choices import OPEN_STATES, TaskState
from thuocdo.tasks.models import Task
from thuocdo.tasks.selectors import TaskFilters, task_list

from .exporter import export_document, export_unit_document


def exchange_may_import(*, scope: Scope) -> bool:
    """Administrators only: the importer writes anywhere in the installation."""
    return scope.is_admin


def exchange_may_export(*, scope: Scope) -> bool:
    """Whether the caller may export anything: administrators, and whoever reads a subtree
    whole (leaders, the board, inspectors) for the units of that subtree."""
    return scope.is_admin or bool(scope.read_ranges)


def exchange_may_export_unit(*, scope: Scope, unit: Unit) -> bool:
    """Whether the caller may export `unit` and the units below it: they read it whole."""
    return may_see_dashboard(scope, unit)


def exchange_export_units(*, scope: Scope) -> QuerySet[Unit]:
    """The units the caller may export, in tree order."""
    return dashboard_units(scope=scope)


def exchange_import_check(*, scope: Scope) -> None:
    """Raise PermissionDeniedError, with the reason, unless the caller may import."""
    if not exchange_may_import(scope=scope):
        raise PermissionDeniedError(
            _("Only an administrator imports exchange documents: an import may change any "
              "unit, official or task of the installation."), code="exchange_import")


def exchange_export_check(*, scope: Scope) -> None:
    """Raise PermissionDeniedError, with the reason, unless the caller may export something
    (the export page)."""
    if not exchange_may_export(scope=scope):
        raise PermissionDeniedError(
            _("Only an administrator, or a leader, the board or an inspector for the units "
              "they read whole, exports exchange documents."), code="exchange_export")


def _whole_check(scope: Scope) -> None:
    if not scope.is_admin:
        raise PermissionDeniedError(
            _("Only an administrator exports the exchange document: it holds the whole "
              "installation, beyond the units you may see."), code="exchange_export")


def exchange_document(*, scope: Scope, unit: str | None = None,
                      period: str | None = None) -> dict[str, Any]:
    """The exchange document the caller asked for: the whole installation (no `unit`,
    administrators only), or the part of the unit coded `unit` (with the units below it),
    its tasks limited to the month `period` (YYYY-MM) when given (`period_q`).

    Raises PermissionDeniedError for a caller who may not export it, and ServiceError for
    an unknown unit, a period that is not a month, or a period without a unit."""
    unit = (unit or "").strip()
    period = (period or "").strip()
    if not unit:
        if period:
            raise ServiceError(_("Choose the unit whose tasks of the month to export."),
                               code="period_without_unit", field="unit")
        _whole_check(scope)
        return export_document()
    chosen = Unit.objects.filter(code=unit).first()
    if chosen is None:
        raise ServiceError(_("unknown unit “%(code)s”") % {"code": unit},
                           code="unknown_unit", field="unit")
    if not exchange_may_export_unit(scope=scope, unit=chosen):
        raise PermissionDeniedError(
            _("You may not export %(unit)s: you export the units you lead, or were granted "
              "as the board or an inspector, and the units below them.")
            % {"unit": f"{chosen.name} ({chosen.code})"}, code="exchange_export")
    return export_unit_document(unit=chosen, tasks=exchange_tasks(scope=scope, unit=chosen,
                                                                  period=period or None))


def exchange_tasks(*, scope: Scope, unit: Unit, period: str | None = None) -> QuerySet[Task]:
    """The tasks a scoped export holds: those of the caller's work list led by `unit` or a
    unit below it, and of the month `period` if given."""
    tasks = task_list(scope=scope, filters=TaskFilters(unit=unit, include_subunits=True))
    if period:
        tasks = tasks.filter(period_q(*month_bounds(period)))
    return tasks


def period_q(first: dt.date, last: dt.date) -> Q:
    """A filter on Task for the tasks of the days `first` to `last` (a month): due in them
    (the original deadline, as a period's tasks are counted), or open at some moment of
    them: assigned before the last day ended, and still open, or done (the submit its
    approval accepted) or cancelled after the first day began."""
    began, ended = end_of_day(first - dt.timedelta(days=1)), end_of_day(last)
    return Q(due__range=(first, last)) | (Q(assigned_at__lt=ended) & (
        Q(state__in=list(OPEN_STATES))
        | Q(state=TaskState.DONE, done_at__gte=began)
        | Q(state=TaskState.CANCELLED, last_event_at__gte=began)))

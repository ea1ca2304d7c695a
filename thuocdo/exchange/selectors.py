"""Who may move exchange documents in and out, and the document a caller may export.

Both stay with administrators (superusers), for the same reason each way:

- the importer (`importer.import_document`) writes any unit, official, task or case of the
  installation and checks no scope: an organisation board granted one district could
  otherwise rename the city or move officials of another district;
- the exporter (`exporter.export_document`) writes the whole installation, like
  `thuocdo export`, which has no option for a subtree or a period: a board or a head, who
  read only the subtree of their units (`thuocdo.core.scope`), would receive every other
  unit's officials, tasks, assessments and citizens' cases.

A scoped export (a subtree and a period) needs the exporter to select by unit and period,
with the references that leave the subtree kept resolvable; until it does, these rules
stay here, in one place, for the pages and anything else that offers the exchange.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from thuocdo.core.errors import PermissionDeniedError
from thuocdo.core.scope import Scope

from .exporter import export_document


def exchange_may_import(*, scope: Scope) -> bool:
    """Administrators only: the importer writes anywhere in the installation."""
    return scope.is_admin


def exchange_may_export(*, scope: Scope) -> bool:
    """Administrators only: the export holds the whole installation."""
    return scope.is_admin


def exchange_import_check(*, scope: Scope) -> None:
    """Raise PermissionDeniedError, with the reason, unless the caller may import."""
    if not exchange_may_import(scope=scope):
        raise PermissionDeniedError(
            _("Only an administrator imports exchange documents: an import may change any "
              "unit, official or task of the installation."), code="exchange_import")


def exchange_export_check(*, scope: Scope) -> None:
    """Raise PermissionDeniedError, with the reason, unless the caller may export."""
    if not exchange_may_export(scope=scope):
        raise PermissionDeniedError(
            _("Only an administrator exports the exchange document: it holds the whole "
              "installation, beyond the units you may see."), code="exchange_export")


def exchange_document(*, scope: Scope) -> dict[str, Any]:
    """The exchange document of the whole installation (what `thuocdo export` writes), for a
    caller who may export; PermissionDeniedError for anyone else."""
    exchange_export_check(scope=scope)
    return export_document()

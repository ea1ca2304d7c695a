"""Pages of the exchange format: import a document after previewing it, export it.

For administrators without a shell, the same as `thuocdo import` and `thuocdo export`
(docs/exchange-format.md); for leaders, the board and inspectors, the export of the units
they read whole (`thuocdo export --unit CODE [--period YYYY-MM]`). Who may is decided in
`selectors` (and why); anyone else gets 403 with the reason.

Import is two steps:

1. **Check** (`import_document_page`, POST): the upload goes through the path of
   `thuocdo import --dry-run` (`services.document_import` with `dry_run=True`): every
   problem in one run, each named by its JSON path or, in a workbook, its sheet, row and
   column; or the counts, the records created, the updated ones old → new, and the
   warnings. Nothing is written.
2. **Confirm** (`import_confirm`, POST): the same file is chosen again and imported, all or
   nothing, with the caller recorded in the audit trail as the one who imported (the
   command line records no one) and the file's SHA-256 beside its name.

Why the file is chosen again instead of kept on the server between the two steps: the
preview signs what it checked (the file's SHA-256 and size, the day changes take effect, the
account, what it would do; `forms.Previewed`), and the confirmation imports only a file with that
checksum. Nothing is stored, so there is nothing to clean up, no disk or session that
abandoned previews fill, and it works the same when several web processes on several
machines share the database behind a proxy (architecture.md, "Scale path"), where a file
kept in one machine's data folder would be missing on the machine that gets the
confirmation, and a document kept in the session would be loaded with every later page of
that administrator. The cost is choosing the file twice. If the database changed between
the two steps so that the import would now do something else than the preview said (other
counts, or other records named or changed), nothing is imported and the new preview is
shown to confirm again.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from thuocdo.core import xlsx
from thuocdo.core.errors import PermissionDeniedError, ServiceError
from thuocdo.core.scope import get_scope

from . import selectors
from .files import dumps, read_bytes, write_workbook
from .forms import (
    ConfirmForm,
    ExportForm,
    ImportForm,
    Previewed,
    checksum,
    outcome,
    upload_max_bytes,
)
from .importer import ImportReport
from .services import ImportRun, document_import

NAV = "exchange"
T = TypeVar("T")


def _user_id(request: HttpRequest) -> int:
    return request.user.pk or 0  # the views are login_required: always a stored user


def _allowed(selector: Callable[..., T], request: HttpRequest) -> T:
    """`selector(scope=…)` for the caller; its refusal is a 403 page with the reason."""
    try:
        return selector(scope=get_scope(request))
    except PermissionDeniedError as error:
        raise PermissionDenied(error.service_message) from error


def _require_import(request: HttpRequest) -> None:
    _allowed(selectors.exchange_import_check, request)


def _require_export(request: HttpRequest) -> None:
    _allowed(selectors.exchange_export_check, request)


# -- import ----------------------------------------------------------------------------


@dataclass
class KeyChanges:
    """One key's line of the preview: its counts and the records named."""

    key: str
    created: int
    updated: int
    unchanged: int
    created_codes: list[str] = field(default_factory=list)
    created_more: int = 0
    changes: list[str] = field(default_factory=list)
    changes_more: int = 0


def _key_changes(report: ImportReport) -> list[KeyChanges]:
    return [
        KeyChanges(key=key, created=c.created, updated=c.updated, unchanged=c.unchanged,
                   created_codes=c.created_codes,
                   created_more=max(0, c.created - len(c.created_codes)),
                   changes=c.changes, changes_more=max(0, c.updated - len(c.changes)))
        for key, c in report.counts.items()
    ]


def _context(**values: Any) -> dict[str, Any]:
    return {"nav": NAV, "limit": upload_max_bytes(), **values}


@login_required
@require_http_methods(["GET", "POST"])
def import_document_page(request: HttpRequest) -> HttpResponse:
    """The upload form (GET); the check of the document sent and its preview (POST)."""
    _require_import(request)
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            name, data = form.cleaned_data["document"]
            on = form.cleaned_data.get("on") or timezone.localdate()
            return _preview(request, name=name, data=data, on=on)
        status = 400
    else:
        form = ImportForm()
        status = 200
    return render(request, "exchange/import.html", _context(form=form), status=status)


def _preview(request: HttpRequest, *, name: str, data: bytes, on, notice: str = "",
             run: ImportRun | None = None) -> HttpResponse:
    """Check the document (a dry run, unless `run` is the outcome already had) and show
    what the import would do, with the form that confirms it; or every problem."""
    if run is None:
        run = document_import(read=lambda: read_bytes(data, name), actor=request.user, on=on,
                              dry_run=True, source=name)
    context = _context(name=name, size=len(data), on=on, run=run, notice=notice)
    if run.report is None:
        return render(request, "exchange/import_preview.html", context, status=400)
    previewed = Previewed(sha256=checksum(data), size=len(data), name=name, on=on,
                          user_id=_user_id(request), outcome=outcome(run.report))
    context.update(
        keys=_key_changes(run.report),
        confirm=ConfirmForm(initial={"token": previewed.token()}, user_id=_user_id(request)),
    )
    return render(request, "exchange/import_preview.html", context)


@login_required
@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    """Import the document previewed: the file chosen again must be the one checked (its
    SHA-256), and the import must do what the preview said; else nothing is written."""
    _require_import(request)
    form = ConfirmForm(request.POST, request.FILES, user_id=_user_id(request))
    if not form.is_valid():
        previewed = form.previewed
        if previewed is None:  # no sound token: start again from the upload form
            return render(request, "exchange/import.html", _context(
                form=ImportForm(), token_errors=form.errors.get("token")), status=400)
        return render(request, "exchange/import_preview.html", _context(
            name=previewed.name, size=previewed.size, on=previewed.on, run=None,
            confirm=form), status=400)
    previewed = form.previewed
    assert previewed is not None  # noqa: S101 - a valid form has read its token
    _name, data = form.cleaned_data["document"]
    source = f"{previewed.name[:150]} sha256:{previewed.sha256}"
    with transaction.atomic():
        run = document_import(read=lambda: read_bytes(data, previewed.name),
                              actor=request.user, on=previewed.on, source=source)
        moved = run.report is not None and outcome(run.report) != previewed.outcome
        if moved:
            transaction.set_rollback(True)
    if run.report is None:
        return _preview(request, name=previewed.name, data=data, on=previewed.on, run=run,
                        notice=_("The data changed since your check and the document is "
                                 "now refused. Nothing was imported."))
    if moved:
        return _preview(request, name=previewed.name, data=data, on=previewed.on,
                        notice=_("The data changed since your check, so the import would "
                                 "now do something else. Nothing was imported: here is "
                                 "what it would do now; confirm again if it is right."))
    report = run.report
    if report.changed:
        messages.success(request, _("Imported %(name)s: %(counts)s.") % {
            "name": previewed.name, "counts": "; ".join(report.lines())})
    else:
        messages.info(request, _("%(name)s: nothing to change, nothing was written.")
                      % {"name": previewed.name})
    for warning in report.warnings:
        messages.warning(request, warning)
    return redirect("exchange:import")


# -- export ----------------------------------------------------------------------------


def _export_form(request: HttpRequest, data: Any = None) -> ExportForm:
    scope = get_scope(request)
    return ExportForm(data, units=selectors.exchange_export_units(scope=scope),
                      whole=scope.is_admin)


def _export_page(request: HttpRequest, form: ExportForm, status: int = 200) -> HttpResponse:
    may_import = selectors.exchange_may_import(scope=get_scope(request))
    return render(request, "exchange/export.html",
                  _context(form=form, may_import=may_import), status=status)


@login_required
@require_GET
def export_page(request: HttpRequest) -> HttpResponse:
    """The choice of unit, month and format, and the download button."""
    _require_export(request)
    return _export_page(request, _export_form(request))


@login_required
@require_GET
def export_download(request: HttpRequest) -> HttpResponse:
    """The exchange document, as `thuocdo export` writes it: the installation, or with
    `?unit=CODE` (and `&period=YYYY-MM`) the unit's part; JSON (`?format=json`) or an
    Excel workbook (`?format=xlsx`). A unit the caller may not export is 403 with the
    reason."""
    _require_export(request)
    form = _export_form(request, request.GET)
    if not form.is_valid():
        return _export_page(request, form, status=400)
    unit, period = form.cleaned_data["unit"], form.cleaned_data["period"]
    try:
        document = _allowed(lambda scope: selectors.exchange_document(
            scope=scope, unit=unit, period=period), request)
    except ServiceError as error:
        form.add_error(error.field, error.service_message)
        return _export_page(request, form, status=400)
    stem = "-".join(["thuocdo", *(_safe(part) for part in (unit, period) if part),
                     f"{timezone.localdate():%Y-%m-%d}"])
    if form.cleaned_data["format"] == "xlsx":
        buffer = io.BytesIO()
        write_workbook(document, buffer)
        response = HttpResponse(buffer.getvalue(), content_type=xlsx.CONTENT_TYPE)
        filename = f"{stem}.xlsx"
    else:
        response = HttpResponse(dumps(document).encode("utf-8"),
                                content_type="application/json; charset=utf-8")
        filename = f"{stem}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _safe(text: str) -> str:
    """`text` fit for a file name in a header (a unit code may hold any character)."""
    return re.sub(r"[^A-Za-z0-9.-]+", "_", text)

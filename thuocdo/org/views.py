"""Pages of the organisation: the unit tree, a unit, the officials list and an official.

Views are thin: they read through `selectors` with the caller's scope, so anything outside
it does not exist (404).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook

from thuocdo.core import xlsx
from thuocdo.core.filters import refuse_export
from thuocdo.core.htmx import is_htmx, render_page

from . import selectors
from .choices import Position
from .forms import OfficialFilterForm

#: officials per page of the list
PAGE_SIZE = 25
#: units shown for a search in the tree browser (more: ask to narrow the search)
UNIT_SEARCH_LIMIT = 100


def _get_or_404(getter, **kwargs):
    """Call a selector's getter; out of scope and missing look the same: 404."""
    try:
        return getter(**kwargs)
    except ObjectDoesNotExist as exc:
        raise Http404(_("Not found.")) from exc


# -- units -----------------------------------------------------------------------------


@login_required
@require_GET
def unit_tree(request):
    """The caller's visible roots, expandable in place; or the units matching a search."""
    scope = request.scope
    query = request.GET.get("q", "").strip()[:200]
    context: dict = {"nav": "units", "query": query}
    if query:
        found = list(selectors.unit_list(scope=scope, search=query)[: UNIT_SEARCH_LIMIT + 1])
        context["results"] = found[:UNIT_SEARCH_LIMIT]
        context["more_results"] = len(found) > UNIT_SEARCH_LIMIT
    else:
        roots = list(selectors.unit_roots(scope=scope))
        nodes = [{"unit": root, "children": None} for root in roots]
        # A single root is opened, so the first level shows without a click.
        if len(roots) == 1 and roots[0].child_count:
            nodes[0]["children"] = list(selectors.unit_children(scope=scope, unit=roots[0]))
        context["nodes"] = nodes
    return render_page(request, "org/unit_tree.html", context, partial="results")


@login_required
@require_GET
def unit_node(request, code: str):
    """One node of the tree, opened (`?open=1`, with its children) or closed, for htmx.

    Without htmx the tree's toggles are plain links to the unit page; a direct visit here
    goes there too."""
    unit = _get_or_404(selectors.unit_node_get, scope=request.scope, code=code)
    if not is_htmx(request):
        return redirect(unit)
    children = None
    if request.GET.get("open") == "1":
        children = list(selectors.unit_children(scope=request.scope, unit=unit))
    return render(request, "org/includes/unit_node.html", {"unit": unit, "children": children})


@login_required
@require_GET
def unit_detail(request, code: str):
    scope = request.scope
    unit = _get_or_404(selectors.unit_get, scope=scope, code=code)
    agency = selectors.unit_agency(unit=unit)
    members = list(selectors.unit_members(unit=unit))
    groups = [
        (label, [m for m in members if m.position == value])
        for value, label in (
            (Position.HEAD, _("Head")),
            (Position.DEPUTY, _("Deputy heads")),
            (Position.STAFF, _("Staff")),
        )
    ]
    context = {
        "nav": "units",
        "unit": unit,
        # Breadcrumb names are shown to everyone who sees the unit; links only where readable.
        "ancestors": [(a, scope.can_read_unit(a)) for a in selectors.unit_ancestors(unit=unit)],
        "agency": agency,
        "agency_readable": scope.can_read_unit(agency),
        "children": selectors.unit_children(scope=scope, unit=unit),
        "member_groups": [(label, rows) for label, rows in groups if rows],
        "member_count": len(members),
    }
    return render(request, "org/unit_detail.html", context)


# -- officials -------------------------------------------------------------------------



def _officials_workbook(officials) -> Workbook:
    """One row per official and current membership (an official with none gets one row),
    so the sheet sorts and filters by unit. Dates are real dates shown dd/mm/yyyy."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Officials")[:31])
    headers = [
        (_("Code"), 14), (_("Full name"), 28), (_("E-mail"), 28), (_("Phone"), 14),
        (_("Active"), 8), (_("Unit code"), 16), (_("Unit"), 36), (_("Position"), 14),
        (_("Task group"), 24), (_("Since"), 12),
    ]
    xlsx.columns(sheet, headers)
    yes, no = _("Yes"), _("No")

    def text(value):
        return xlsx.text(sheet, value)

    def person(official) -> list:
        return [text(official.code), text(official.name), text(official.email),
                text(official.phone), yes if official.is_active else no]

    for official in officials.iterator(chunk_size=2000):
        if not official.current_memberships:
            sheet.append([*person(official), None, None, None, None, None])
        for membership in official.current_memberships:
            since = xlsx.date(sheet, membership.start)
            sheet.append([
                *person(official),
                text(membership.unit.code),
                text(membership.unit.name),
                str(membership.get_position_display()),
                text(membership.task_group.name) if membership.task_group else None,
                since,
            ])
    return workbook


@login_required
@require_GET
def official_list(request):
    """Search, filter, sort and page the readable officials; htmx refreshes the results."""
    form = OfficialFilterForm(request.GET, scope=request.scope)
    officials = selectors.official_list(scope=request.scope, **form.filters())
    if not form.is_valid():  # never more than was asked for (core/filters.py)
        officials = officials.none()
    page = Paginator(officials, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "nav": "officials",
        "form": form,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
        "sort": form.cleaned_data.get("sort") or "name",
    }
    return render_page(request, "org/official_list.html", context, partial="results")


@login_required
@require_GET
def official_export(request):
    """The filtered officials list as an xlsx workbook (the same filters as the page); with
    a filter that is not valid, nothing (core/filters.py)."""
    form = OfficialFilterForm(request.GET, scope=request.scope)
    if not form.is_valid():
        return refuse_export(request, form, list_url=reverse("org:official_list"))
    officials = selectors.official_list(scope=request.scope, **form.filters())
    return xlsx.response(_officials_workbook(officials),
                         f"officials-{timezone.localdate():%Y-%m-%d}.xlsx")


@login_required
@require_GET
def official_detail(request, code: str):
    scope = request.scope
    official = _get_or_404(selectors.official_get, scope=scope, code=code)
    today = timezone.localdate()
    history = [
        {"membership": m, "current": m.is_current_on(today),
         "unit_readable": scope.can_read_unit(m.unit)}
        for m in selectors.membership_history(official=official)
    ]
    context = {
        "nav": "officials",
        "official": official,
        "current": [row for row in history if row["current"]],
        "history": history,
    }
    return render(request, "org/official_detail.html", context)

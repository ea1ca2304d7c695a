"""Pages of evaluations: the periods, "my card", a card that explains itself ("Vì sao tôi
được X điểm?"), a unit's ranking with the quota's state, the head's review screen, the
agency's approval, appeals and their decision, and the xlsx export of a unit's cards.

Views are thin: reads through `selectors` with `request.scope` (outside it: 404), writes
through `services` (a refusal is a message or a field error; a forbidden act is 403).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from thuocdo.core import xlsx
from thuocdo.core.errors import PermissionDeniedError, ServiceError
from thuocdo.core.filters import FilterForm, refuse_export
from thuocdo.core.forms import TextField
from thuocdo.core.models import AuditEntry
from thuocdo.core.templatetags.periods import period_name
from thuocdo.core.text import plain_decimal
from thuocdo.org import selectors as org_selectors
from thuocdo.org.choices import LEADER_POSITIONS
from thuocdo.org.models import Membership, Official, Unit
from thuocdo.tasks.models import Product

from . import selectors, services
from .card_sheets import (
    DEDUCTION_LABELS,
    GROUND_LABELS,
    NOT_COUNTED,
    SheetNames,
    is_roll_up,
    month_rows,
    named_quota_reason,
    not_counted_note,
    sheet_title,
    write_card,
)
from .choices import SCORABLE, AppealStatus, CardStatus, PeriodStatus
from .forms import (
    AppealForm,
    ApproveForm,
    AssessmentForm,
    DecisionForm,
    GroundFilterForm,
    GroundForm,
    GroundReasonForm,
    PeriodOpenForm,
    PublishForm,
    QuotaExceptionForm,
    QuotaExceptionRemoveForm,
    SelfScoreForm,
)
from .models import Ground, Period, QuotaException, ScoreCard


def _get(getter, **kwargs):
    try:
        return getter(**kwargs)
    except ObjectDoesNotExist as exc:
        raise Http404(_("Not found.")) from exc


def _refused(request, exc: ServiceError) -> None:
    if isinstance(exc, PermissionDeniedError):
        raise PermissionDenied(exc.service_message) from exc
    messages.error(request, exc.service_message)


#: how many officials a message or a notice names before "… and N more"
NAMED = 10


def _listed(labels) -> str:
    """Labels for a message: the first `NAMED`, then a single "…" with how many more."""
    labels = list(labels)
    if len(labels) <= NAMED:
        return ", ".join(labels)
    more = len(labels) - NAMED
    return ngettext("%(first)s, … and %(n)d more", "%(first)s, … and %(n)d more", more) % {
        "first": ", ".join(labels[:NAMED]), "n": more}


def _codes(codes) -> str:
    """Officials named by their codes, for a message: names with codes (`_listed`)."""
    codes = list(codes)
    names = dict(Official.objects.filter(code__in=codes).values_list("code", "name"))
    return _listed(f"{names[code]} ({code})" if code in names else code for code in codes)


def _scored(request, result: services.ScoreResult | None) -> None:
    """Say whose review or approval a re-scoring undid or kept, and why (docs/scoring.md,
    "The procedure"): the cards back to draft must be reviewed again."""
    if result is None:
        return
    if result.to_draft:
        messages.warning(request, _(
            "These cards went back to draft because their content changed; confirm their "
            "review again: %(o)s.") % {"o": _codes(result.to_draft)})
    if result.unapproved:
        messages.warning(request, _(
            "The approval of these cards was undone because the HTXS quota changed their "
            "outcome; approve them again: %(o)s.") % {"o": _codes(result.unapproved)})
    if result.quota_only:
        messages.info(request, _(
            "The HTXS quota's outcome changed for %(o)s; their review still stands (the "
            "quota is decided for the whole agency and is not part of the review).")
            % {"o": _codes(result.quota_only)})


def _put_back(form, exc: ServiceError) -> None:
    if isinstance(exc, PermissionDeniedError):
        raise PermissionDenied(exc.service_message) from exc
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.service_message)


# -- periods -----------------------------------------------------------------------------


@login_required
@require_GET
def period_list(request):
    return _period_list_page(request)


def _period_list_page(request, open_form: PeriodOpenForm | None = None):
    """The periods; for the board and the administrator, the form opening one (`open_form`:
    the one sent back with its errors) and the link to the KHT grounds."""
    scope = request.scope
    can_manage = services.can_manage_periods(scope)
    return render(request, "evaluations/period_list.html", {
        "nav": "scores", "periods": selectors.period_list(scope=scope),
        "my_cards": selectors.my_cards(scope=scope)[:12],
        "can_manage": can_manage,
        "open_form": (open_form or PeriodOpenForm()) if can_manage else None,
    })


def _units_to_rank(scope) -> list[Unit]:
    """The units whose ranking the caller can open: the roots of their reach."""
    if scope.is_admin:
        return list(Unit.objects.filter(parent__isnull=True))
    found = []
    for lft, rgt in scope.read_ranges:
        unit = Unit.objects.filter(lft=lft, rgt=rgt).first()
        if unit is not None:
            found.append(unit)
    return found


def _lock_state(scope, period) -> tuple[bool, str]:
    """May the lock be offered on the period's page, and if not, why: the service's own
    rule (`services.lock_refusal`), so the button is offered only when the lock is
    accepted; while the appeal window runs, the page says when it ends."""
    if period.status != PeriodStatus.PUBLISHED or not services.can_manage_periods(scope):
        return False, ""
    refusal = services.lock_refusal(period)
    if refusal is None:
        return True, ""
    if refusal.service_code == "appeal_window_open":
        until = period.appeal_until
        return False, _("The appeal window ends at 23:59 on %(d)s: the period can be locked "
                        "from %(next)s.") % {
            "d": until.strftime("%d/%m/%Y"),
            "next": (until + dt.timedelta(days=1)).strftime("%d/%m/%Y")}
    return False, refusal.service_message


@login_required
@require_GET
def period_detail(request, label: str):
    scope = request.scope
    period = _get(selectors.period_get, scope=scope, label=label)
    counts = {}
    for status in ("draft", "reviewed", "approved"):
        counts[status] = selectors.card_list(scope=scope, period=period).filter(
            status=status).count()
    heads_cards = _heads_cards(scope, period)
    can_lock, lock_note = _lock_state(scope, period)
    to_decide = list(selectors.appeals_to_decide(scope=scope, period=period))
    return render(request, "evaluations/period_detail.html", {
        "nav": "scores", "period": period, "counts": counts,
        "units": _units_to_rank(scope),
        "own": selectors.my_cards(scope=scope).filter(period=period).first(),
        # the pending appeals the caller decides, then the others they read
        "appeals_to_decide": to_decide,
        "appeals": selectors.pending_appeals(scope=scope, period=period).exclude(
            pk__in=[appeal.pk for appeal in to_decide]),
        "decided_appeals": selectors.decided_appeals(scope=scope, period=period),
        "can_manage": services.can_manage_periods(scope),
        "publish_form": PublishForm(),
        # the cards of agency heads, which their agency cannot approve: for the caller,
        # each with what it waits for (the review first, then the caller's approval)
        "heads_cards": heads_cards,
        "vacant_by_deputies": selectors.vacant_by_deputies(),
        "heads_to_approve": sum(not row["to_review"] for row in heads_cards),
        "heads_to_review": sum(row["to_review"] for row in heads_cards),
        "can_lock": can_lock, "lock_note": lock_note,
        # the service's own rule: no card before the period has ended
        "not_ended": getattr(services.ended_refusal(period), "service_message", ""),
        "calendar_changed": _calendar_changed(period),
    })


def _calendar_changed(period) -> str:
    """The calendar corrected since the period was last scored, while scoring it again can
    still apply it (the approval waits for that: `services.stale_cards_refusal`)."""
    if period.status not in (PeriodStatus.SCORING, PeriodStatus.REVIEW):
        return ""
    days = selectors.calendar_changes(period=period)
    return services.calendar_changed_text(period, days) if days else ""


def _heads_cards(scope, period) -> list[dict]:
    """The agency heads' cards the caller approves (`selectors.heads_cards_to_approve`),
    each saying what it waits for: a draft waits for its review by a leader above the
    agency (`services.can_assess`: the caller, with a link to the review screen, or
    another leader; `services.unit_review`), a reviewed card for the caller's approval
    (`services.agency_approve` refuses drafts)."""
    rows = []
    for card in selectors.heads_cards_to_approve(scope=scope, period=period):
        to_review = card.status == CardStatus.DRAFT
        rows.append({"card": card, "to_review": to_review,
                     "can_review": to_review and services.can_assess(scope, card),
                     # no leader above: the organisation board reviews it
                     "by_board": to_review and services.reviewed_by_board(card),
                     "can_rank": selectors.can_read_unit_cards(scope, card.unit)})
    return rows


PERIOD_ACTIONS = {
    "score": lambda user, period, data: services.period_score(
        actor=user, period=period, reason=_("scored from the period page")),
    "review": lambda user, period, data: services.period_start_review(actor=user,
                                                                      period=period),
    "publish": lambda user, period, data: services.period_publish(
        actor=user, period=period, appeal_days=data["appeal_days"]),
    "lock": lambda user, period, data: services.period_lock(actor=user, period=period),
}


@login_required
@require_POST
def period_act(request, label: str, action: str):
    period = _get(selectors.period_get, scope=request.scope, label=label)
    if action not in PERIOD_ACTIONS:
        raise Http404(_("Not found."))
    if not services.can_manage_periods(request.scope):
        raise PermissionDenied
    data: dict = {}
    if action == "publish":
        form = PublishForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Enter the number of days for appeals (0–60)."))
            return redirect(period)
        data = form.cleaned_data
    try:
        result = PERIOD_ACTIONS[action](request.user, period, data)
    except ServiceError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _period_done(action, result))
        if isinstance(result, services.ScoreResult):
            _scored(request, result)
    return redirect(period)


def _period_done(action: str, result) -> str:
    """What a period action did, and how many officials were told."""
    if isinstance(result, services.ScoreResult):
        text = _("The cards were computed: %(new)d new, %(changed)d changed, %(same)d "
                 "unchanged.") % {"new": result.created, "changed": result.changed,
                                  "same": result.unchanged}
        if result.notified:
            text += " " + ngettext(
                "%(n)d official was told they can self-score.",
                "%(n)d officials were told they can self-score.",
                result.notified) % {"n": result.notified}
        return text
    if action == "review":
        n = services.notified_count(result, "review")
        return ngettext(
            "The review started; %(n)d leader was told which cards to review.",
            "The review started; %(n)d leaders were told which cards to review.",
            n) % {"n": n}
    if action == "publish":
        n = services.notified_count(result, "published")
        return ngettext(
            "The grades were published; %(n)d official was told their grade.",
            "The grades were published; %(n)d officials were told their grade.",
            n) % {"n": n}
    return _("The period was locked: its grades are final.")


# -- cards -------------------------------------------------------------------------------


@login_required
@require_GET
def my_card(request):
    """The latest card of the logged-in official."""
    card = selectors.my_cards(scope=request.scope).first()
    if card is not None:
        return redirect("evaluations:card_detail", label=card.period.label,
                        official=card.official.code)
    return render(request, "evaluations/my_card_none.html", {"nav": "my_card"})


def _day(value: str | None) -> str:
    """An ISO date of the card as dd/mm/yyyy."""
    if not value:
        return ""
    year, month, day = value[:10].split("-")
    return f"{day}/{month}/{year}"


def _plain_number(value: float | None) -> str:
    """A leader's rating đ or e, or a task's coefficient or converted product, as the
    formula writes it (the engine's `_vi`: as exact as it is, without trailing zeros: 1,
    0,9, 0,85; stored in the card's JSON as 2.0, shown 2 as on the tasks behind d), in the
    active language's decimal mark."""
    if value is None:
        return ""
    return formats.number_format(plain_decimal(Decimal(repr(value))))


def _explain(card: ScoreCard, readable: set[int], *, gone: set[str] = frozenset()) -> dict:
    """The card's data, with task titles, products and links for the page (to a signal
    record only among `readable`, those the reader may open); the KHT grounds it cites
    that no longer apply (`gone`, their refs: withdrawn since) marked."""
    data = card.data
    names = SheetNames.read([card], procedure=False)
    titles, products, units = names.tasks, names.products, names.units
    tasks = [{**line, "title": titles.get(line["task"], ""),
              "deadline": _day(line["deadline"]), "coefficient": _plain_number(line["coefficient"]),
              "converted": _plain_number(line["converted"]),
              "product_name": products.get(line["product"], line["product"]),
              "url": reverse("tasks:task_detail", kwargs={"code": line["task"]})}
             for line in data.get("tasks", [])]
    deductions = []
    # d's deduction opens the tasks behind d of the card it comes from (a quarter's or a
    # year's: its month's), where that card is stored and has a d of the same unit
    d_labels = {item.get("month") or card.period.label for item in data.get("deductions", [])
                if item["kind"] == "unit_result"}
    with_d = (selectors.cards_with_unit_result(official=card.official, labels=d_labels)
              if d_labels else set())
    for item in data.get("deductions", []):
        url = None
        d_label = item.get("month") or card.period.label  # the card of its d
        if item.get("task"):
            url = reverse("tasks:task_detail", kwargs={"code": item["task"]})
            if item.get("event") is not None:
                url += f"#event-{item['event']}"
        excused_url = None
        if item.get("task") and item.get("excused_by") is not None:
            excused_url = reverse("tasks:task_detail", kwargs={"code": item["task"]}) \
                + f"#event-{item['excused_by']}"
        finding_url = (reverse("citizens:feedback_detail", kwargs={"code": item["finding"]})
                       if item.get("finding") else None)
        deductions.append({**item, "deadline": _day(item.get("deadline")),
                           "label": DEDUCTION_LABELS.get(item["kind"], item["kind"]),
                           "title": titles.get(item.get("task") or "", ""), "url": url,
                           "unit_name": units.get(item.get("unit") or "", item.get("unit")),
                           "unit_url": reverse("evaluations:card_unit_tasks", kwargs={
                               "label": d_label, "official": card.official.code})
                           if (d_label, item.get("unit")) in with_d else None,
                           "details": _deduction_details(item, finding_url, excused_url)})
    overrides = [{**o, "on": _day(o["on"]), "label": GROUND_LABELS.get(o["kind"], o["kind"]),
                  "url": _signal_url(o.get("ref"), readable), "gone": str(o.get("ref")) in gone}
                 for o in data.get("overrides", [])]
    return {"tasks": tasks, "deductions": deductions, "overrides": overrides,
            "formula_lines": [p for p in (data.get("formula") or "").split("; ") if p],
            # a product not completed by the close loses its whole share: its delays and
            # major errors are not deducted, and the task table says so
            "not_counted": NOT_COUNTED, "not_counted_note": not_counted_note(data),
            "organising": _plain_number(data.get("organising")),
            "uniting": _plain_number(data.get("uniting"))}


def _deduction_details(item: dict, finding_url: str | None,
                       excused_url: str | None) -> list[dict]:
    """What the card's table says of a deduction, part by part (the page joins them with
    " · "): its deadline, the working days late, the share lost, the founded complaint and
    the confirmed objective cause (each linked), its reason."""
    parts: list[dict] = []
    if item.get("deadline"):
        parts.append({"text": _("deadline") + " " + _day(item["deadline"])})
    if item.get("workdays_late") is not None:
        n = item["workdays_late"]
        parts.append({"text": ngettext("%(n)s working day late", "%(n)s working days late",
                                       n) % {"n": n}})
    if item.get("share") is not None:
        parts.append({"text": _("share lost") + " " + str(formats.localize(item["share"]))})
    if finding_url:
        parts.append({"text": _("complaint %(c)s verified as founded") % {
            "c": item["finding"]}, "url": finding_url})
    if excused_url:
        parts.append({"text": _("objective cause confirmed") + f" #{item['excused_by']}",
                      "url": excused_url})
    if item.get("reason"):
        parts.append({"text": item["reason"]})
    return parts


def _signal_id(ref: Any) -> int | None:
    """The signal record a KHT ground of the card comes from ("signal:<id>",
    `adapters.signal_grounds`); None for a recorded ground."""
    kind, _sep, pk = str(ref or "").partition(":")
    return int(pk) if kind == "signal" and pk.isdigit() else None


def _signal_url(ref: Any, readable: set[int]) -> str | None:
    """The page of the signal record `ref` names, when the reader may open it (`readable`:
    `selectors.readable_signals`); None otherwise (a recorded ground, or a record outside
    the reader's scope, which the page names without a link)."""
    pk = _signal_id(ref)
    if pk is None or pk not in readable:
        return None
    return reverse("accountability:signal_detail", kwargs={"pk": pk})


def _kht_not_on_card(pending: list, readable: set[int]) -> list[dict]:
    """The confirmed signals that make the grade KHT but that the stored card does not cite
    (`selectors.kht_signals_not_on_card`), each with its day and page (when readable)."""
    return [{"signal": ground.signal, "on": ground.on,
             "url": _signal_url(ground.ref, readable)} for ground in pending]


def _months(scope, card: ScoreCard) -> list[dict]:
    """A quarter's or a year's months (`card_sheets.month_rows`), each with a link to the
    official's month card when it is stored and the caller may read it; [] for a month."""
    if not is_roll_up(card):
        return []
    stored = selectors.month_cards(scope=scope, card=card)
    rows = []
    for month in month_rows(card, {label: status for label, (status, _r) in stored.items()}):
        readable = stored.get(month.label, (None, False))[1]
        rows.append({"month": month, "url": reverse(
            "evaluations:card_detail", kwargs={"label": month.label,
                                               "official": card.official.code})
            if readable else None})
    return rows


def _findings(card: ScoreCard) -> list[dict]:
    """The citizens' findings about the card's official, each saying whether the card counts
    it as a major error (a verified complaint about one of the card's tasks, under the
    setting) or leaves it to the general criteria."""
    tasks = {line["task"] for line in card.data.get("tasks", [])}
    counted = {d.get("finding") for d in card.data.get("deductions", []) if d.get("finding")}
    result = []
    for finding in selectors.card_findings(card=card):
        code = finding.feedback or finding.dossier
        result.append({
            "finding": finding, "code": code, "on": finding.on,
            "url": reverse("citizens:feedback_detail", kwargs={"code": finding.feedback})
            if finding.feedback else reverse("citizens:dossier_detail",
                                             kwargs={"code": finding.dossier}),
            "counted": finding.feedback in counted and finding.task in tasks,
        })
    return result


@login_required
@require_GET
def card_export(request, label: str, official: str):
    """One card as the form its official files (`card_sheets.write_card`), for whoever reads
    the card."""
    from openpyxl import Workbook

    card = _get(selectors.card_get, scope=request.scope, label=label, official=official)
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title(card, set())
    write_card(sheet, card, SheetNames.read(
        [card], task_groups={card.task_group: _task_group_name(card.task_group)}))
    return xlsx.response(book, f"phieu-{card.period.label}-{card.official.code}.xlsx")


@login_required
@require_GET
def card_detail(request, label: str, official: str):
    card = _get(selectors.card_get, scope=request.scope, label=label, official=official)
    return _card_page(request, card)


#: tasks beyond which the page of the tasks behind d computes nothing and shows the parts
#: (a district's or a city's month: the whole month's scoring in one request)
UNIT_RESULT_TASKS_MAX = 5000


@login_required
@require_GET
def card_unit_tasks(request, label: str, official: str):
    """The tasks behind d on a head's or deputy's month card (`selectors.unit_result_tasks`:
    the unit's result, every task of its subtree the scoring counts), each as the card
    lists its own, with the sums and ratios the formula shows; readers of the card only,
    and each task named with its title and link where the reader may open it. 404 for a
    card without d."""
    from thuocdo.tasks import selectors as task_selectors

    card = _get(selectors.card_get, scope=request.scope, label=label, official=official)
    found = selectors.unit_result_tasks(card=card, limit=UNIT_RESULT_TASKS_MAX)
    if found is None:
        raise Http404(_("Not found."))
    context = {"nav": "my_card" if request.scope.official_id == card.official_id else "scores",
               "card": card, "period": card.period, "found": found, "limit":
               UNIT_RESULT_TASKS_MAX,
               "can_rank": selectors.can_read_unit_cards(request.scope, card.unit)}
    if found.lines is None:
        # too many to compute on a page: the parts, each with its tasks in the work list
        context["parts"] = [{"unit": unit, "count": count, "own": own, "url": (
            f"{reverse('tasks:task_list')}?"
            + urlencode({"unit": unit.code, "subunits": "0" if own else "1",
                         "period": card.period.label}))}
            for unit, count, own in found.parts]
        return render(request, "evaluations/card_unit_tasks.html", context)
    unit, period = found.unit, card.period
    # the tasks the reader may open, among those of the subtree and the period
    titles = dict(task_selectors.task_list(scope=request.scope).filter(
        due__gte=period.start, due__lte=period.end, lead_unit__lft__gte=unit.lft,
        lead_unit__lft__lte=unit.rgt).values_list("code", "title"))
    products = dict(Product.objects.filter(code__in={line.product for line in found.lines})
                    .values_list("code", "name"))
    units = dict(Unit.objects.filter(code__in=set(found.leads.values()))
                 .values_list("code", "name"))
    rows = [{"line": line, "title": titles.get(line.task),
             "url": (reverse("tasks:task_detail", kwargs={"code": line.task})
                     if line.task in titles else None),
             "product": products.get(line.product, line.product),
             "lead": units.get(found.leads[line.task], found.leads[line.task])}
            for line in found.lines]
    return render(request, "evaluations/card_unit_tasks.html", {
        **context, "rows": rows, "hidden": sum(row["url"] is None for row in rows)})


def _card_page(request, card: ScoreCard, *, self_form: SelfScoreForm | None = None):
    """The card's page; `self_form`: the official's self-score as they sent it, with its
    errors (else the stored one)."""
    scope = request.scope
    own = scope.official_id == card.official_id
    period = card.period
    appeal_refusal = services.appeal_refusal(period, card=card) if own else None
    self_refusal = services.self_score_refusal(card) if own else None
    second_appeal = services.second_appeal_refusal(card) if own else None
    quota_reason = (card.data.get("quota") or {}).get("reason")
    task_group_name = _task_group_name(card.task_group)
    signals = selectors.card_signals(card=card)
    pending = selectors.kht_signals_not_on_card(card=card)
    added, gone = selectors.kht_grounds_since(card=card)
    # the card's signal records the reader may open (the accountability app's scoping, one
    # query): the others are named without a link, which would answer 404
    readable = selectors.readable_signals(scope=scope, ids=[
        *(s.pk for s in signals), *(_signal_id(g.ref) for g in pending),
        *(_signal_id(o.get("ref")) for o in card.data.get("overrides", []))])
    context = {
        "nav": "my_card" if own else "scores", "card": card, "period": period, "own": own,
        "d": card.data, **_explain(card, readable, gone=gone),
        # as the formula writes them: 10 / 12, not the JSON's 10.0 / 12.0
        "products": (_plain_number(card.data.get("assigned")),
                     _plain_number(card.data.get("completed"))),
        "appeals": selectors.appeals_of(card=card),
        "signals": signals, "readable_signals": readable,
        # a confirmed S14 the stored card does not cite yet: the KHT box says so, never
        # "none"; computed again while the period is scored, kept once it is approved
        "kht_not_on_card": _kht_not_on_card(pending, readable),
        # the same for the grounds the board recorded, or withdrew, since it was computed
        "kht_added": [{"label": GROUND_LABELS.get(o.kind, o.kind), "on": o.on,
                       "detail": o.detail} for o in added],
        "kht_gone": bool(gone),
        "scorable": period.status in SCORABLE,
        "findings": _findings(card),
        # the service's own rule: scoring or review, before the assessment; else why not
        "can_self_score": own and self_refusal is None,
        "self_refusal": self_refusal.service_message if self_refusal is not None else "",
        # the service's own rule: published, within the window (`appeal_refusal`)
        # one appeal per card (`services.second_appeal_refusal`): a decided one stands,
        # and the card says so instead of offering another
        "can_appeal": own and appeal_refusal is None and second_appeal is None,
        "appeal_done": (second_appeal.service_message if second_appeal is not None
                        and second_appeal.service_code == "appeal_decided" else ""),
        # a card without a grade says why, in words (no product assigned, …)
        # (a quarter or year has no products of its own: its months' tasks stand for them)
        "no_grade": "" if card.grade else services.no_grade_reason(
            task_points=card.task_points, general_points=card.general_points,
            assigned=(card.data.get("tasks") or None) if is_roll_up(card)
            else card.data.get("assigned")),
        # a leader's card no leader above reviews: the organisation board does
        "by_board": services.reviewed_by_board(card),
        "appeal_closed": (own and appeal_refusal is not None
                          and appeal_refusal.service_code == "appeal_window_closed"
                          and appeal_refusal.service_message),
        "self_form": self_form or SelfScoreForm(initial={"general_points": card.self_points,
                                                         "note": card.self_note}),
        "can_rank": selectors.can_read_unit_cards(scope, card.unit),
        # a month's card of a head or deputy: d opens the tasks behind it
        "d_url": reverse("evaluations:card_unit_tasks", kwargs={
            "label": period.label, "official": card.official.code})
        if selectors.has_unit_result(card) else None,
        # the reviewer reads a card first: the review is done on the unit's review page
        "can_review": not own and services.can_assess(scope, card),
        "task_group_name": task_group_name,
        "quota_scopes": _card_quota_scopes(card),
        # the approved exception that set the quota in the card's agency, with its decision
        "quota_exception": _card_quota_exception(card),
        # the quota's reasoning with the names of the agency and task group for their codes
        "quota_reason": named_quota_reason(quota_reason, card, task_group_name),
        # a quarter or year: the months it rolls up instead of a, b, c of its own
        "rolled_up": is_roll_up(card),
        "months": _months(scope, card),
        "months_taken_as_approved": settings.THUOCDO_ROLLUP_MONTHS == "approved",
        # the quota's reasoning is shown with the quota, not again among the notes
        "notes": [r for r in card.data.get("reasons", []) if r != quota_reason],
        "quota_in_notes": bool(quota_reason) and quota_reason in card.data.get("reasons", []),
    }
    return render(request, "evaluations/card_detail.html", context)


def _task_group_name(code: str) -> str:
    """A task group's name (its code when it has none)."""
    return selectors.task_group_names([code]).get(code, "")


def _card_quota_scopes(card: ScoreCard) -> list[dict[str, str]]:
    """Where the HTXS quota counted the card, in words with names (the engine's reason
    names them by code; the codes go in a tooltip): its agency, and its task group in the
    agency when the rubric counts the quota by task group."""
    if not (card.data or {}).get("quota"):
        return []
    agency = card.agency
    scopes = [{"text": _("agency %(agency)s") % {"agency": agency.name}, "codes": agency.code}]
    if card.task_group and selectors.period_rubric(card.period).quota_by_task_group:
        scopes.append({"text": _("task group %(group)s of %(agency)s") % {
            "group": _task_group_name(card.task_group), "agency": agency.name},
            "codes": f"{card.task_group} · {agency.code}"})
    return scopes


@login_required
@require_POST
def card_self_score(request, label: str, official: str):
    """The official's self-score, from their card's page: recorded, or the page again with
    what they typed and each error on its field (nothing written)."""
    card = _get(selectors.card_get, scope=request.scope, label=label, official=official)
    form = SelfScoreForm(request.POST)
    if form.is_valid():
        try:
            services.card_self_score(actor=request.user, card=card,
                                     general_points=form.cleaned_data["general_points"],
                                     note=form.cleaned_data["note"])
        except ServiceError as exc:
            if exc.field not in form.fields:  # not the form's to show: who, or when
                _refused(request, exc)
                return redirect("evaluations:card_detail", label=label, official=official)
            _put_back(form, exc)
        else:
            messages.success(request, _("Your self-assessment was recorded."))
            return redirect("evaluations:card_detail", label=label, official=official)
    elif request.user.official_id != card.official_id:
        raise PermissionDenied
    return _card_page(request, card, self_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def appeal_create(request, label: str, official: str):
    card = _get(selectors.card_get, scope=request.scope, label=label, official=official)
    if request.user.official_id != card.official_id:
        raise PermissionDenied
    # the service's own rules (`services.appeal_file`): say why no appeal can be filed now
    # instead of offering a form that would be refused
    refusal = _appeal_refused(card)
    if refusal:
        return render(request, "evaluations/appeal_form.html",
                      {"nav": "my_card", "card": card, "form": None, "refusal": refusal})
    form = AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appeal_file(actor=request.user, card=card,
                                 reason=form.cleaned_data["reason"])
        except ServiceError as exc:
            _put_back(form, exc)
        else:
            messages.success(request, _("Your appeal was filed."))
            return redirect("evaluations:card_detail", label=label, official=official)
    return render(request, "evaluations/appeal_form.html",
                  {"nav": "my_card", "card": card, "form": form})


def _appeal_refused(card: ScoreCard) -> str:
    """Why the card's official cannot appeal it now, or "": the period's state and window
    (`services.appeal_refusal`), or an appeal of theirs already pending."""
    refusal = (services.appeal_refusal(card.period, card=card)
               or services.second_appeal_refusal(card))
    return refusal.service_message if refusal is not None else ""


@login_required
@require_http_methods(["GET", "POST"])
def appeal_decide(request, pk: int):
    """An appeal: whoever reads the card reads it (the appellant too, whose own appeal the
    period's page lists); the head of the agency or the board decides it here."""
    scope = request.scope
    appeal = _get(selectors.appeal_get, scope=scope, pk=pk)
    card = appeal.card
    can_decide = services.can_decide_appeal(scope, card)
    if request.method == "POST" and not can_decide:
        raise PermissionDenied
    form = DecisionForm(request.POST or None) if can_decide else None
    if request.method == "POST" and form is not None and form.is_valid():
        published_points = card.general_points
        try:
            decided = services.appeal_decide(actor=request.user, appeal=appeal,
                                             accepted=form.cleaned_data["accepted"],
                                             reason=form.cleaned_data["reason"],
                                             general_points=form.cleaned_data["general_points"])
        except ServiceError as exc:
            _put_back(form, exc)
        else:
            messages.success(request, _appeal_decided_message(
                decided, card=card, points=form.cleaned_data["general_points"],
                published_points=published_points))
            return redirect(card.period)
    own = scope.official_id == card.official_id
    return render(request, "evaluations/appeal_decide.html",
                  {"nav": "my_card" if own else "scores", "appeal": appeal, "card": card,
                   "form": form, "own": own})


def _appeal_decided_message(appeal, *, card: ScoreCard, points, published_points) -> str:
    """What the decider is told: the decision, whether the card changed, and whose grade
    the HTXS quota, decided again, moved (their cards' `regraded_at` is the decision's
    moment), since they may appeal it in turn."""
    if appeal.status != AppealStatus.ACCEPTED:
        return _("The appeal was rejected; the card stays as published.")
    if points is None:
        return _("The appeal was accepted without a correction of the general criteria: "
                 "the card stays as published.")
    if published_points is not None and points == published_points:
        return _("The appeal was accepted; the general criteria given are those the card "
                 "had: the card stays as published.")
    said = _("The appeal was accepted: the card was computed again with the corrected "
             "general criteria.")
    moved = list(ScoreCard.objects.filter(period_id=card.period_id,
                                          regraded_at=appeal.decided_at)
                 .select_related("official").order_by("official__code"))
    if moved:
        said += " " + _("The HTXS quota, decided again for the agency, changed the grade of "
                        "%(who)s; they were told, and may appeal the new grade until "
                        "%(d)s.") % {
            "who": "; ".join(f"{c.official.name} ({c.official.code}): {c.grade or '—'}"
                             for c in moved),
            "d": services.card_appeal_until(moved[0]).strftime("%d/%m/%Y")}
    return said


# -- a unit: ranking, review, approval, export --------------------------------------------


def _unit_context(request, label: str, code: str):
    scope = request.scope
    period = _get(selectors.period_get, scope=scope, label=label)
    unit = _get(selectors.unit_get, scope=scope, code=code)
    return scope, period, unit


#: rows of the ranking per page (a district with its wards has hundreds of officials)
RANKING_PAGE_SIZE = 100

ORDER_LABELS = {
    "rank": gettext_lazy("Rank in the agency"),
    "total": gettext_lazy("Total, highest first"),
    "name": gettext_lazy("Name"),
}
#: the ranking's filter of the cards waiting for the caller (`selectors.cards_waiting`)
WAITING_LABELS = {
    selectors.WAIT_REVIEW: gettext_lazy("Your review"),
    selectors.WAIT_APPROVE: gettext_lazy("Your approval"),
}
GRADE_FILTER_LABELS = {
    "HTXS": "HTXS", "HTT": "HTT", "HT": "HT", "KHT": "KHT",
    "none": gettext_lazy("No grade (no data)"),
    "moved": gettext_lazy("HTXS by score, moved down by the quota"),
}


class RankingFilterForm(FilterForm):
    """The ranking's filters and order, from the GET parameters; the choices are those of
    the ranked unit's cards (`selectors.ranking_choices`). A value that is not offered is
    ignored (and said beside its field)."""

    agency = forms.ChoiceField(label=gettext_lazy("Agency"), required=False)
    unit = forms.ChoiceField(label=gettext_lazy("Unit"), required=False)
    task_group = forms.ChoiceField(label=gettext_lazy("Task group"), required=False)
    grade = forms.ChoiceField(label=gettext_lazy("Grade"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("Card status"), required=False)
    waiting = forms.ChoiceField(label=gettext_lazy("Waiting for you"), required=False)
    sort = forms.ChoiceField(label=gettext_lazy("Order"), required=False)

    def __init__(self, data, choices: selectors.RankingChoices):
        super().__init__(data)
        every = [("", _("All"))]
        self.fields["agency"].choices = every + choices.agencies
        self.fields["unit"].choices = every + choices.units
        self.fields["task_group"].choices = every + [
            (code, f"{code} — {name}" if name != code else code)
            for code, name in choices.task_groups] + (
            [(selectors.NO_GROUP, _("No task group"))] if choices.without_group else [])
        self.fields["grade"].choices = every + list(GRADE_FILTER_LABELS.items())
        self.fields["status"].choices = every + list(CardStatus.choices)
        self.fields["waiting"].choices = every + list(WAITING_LABELS.items())
        self.fields["sort"].choices = list(ORDER_LABELS.items())

    def ranking_filter(self) -> selectors.RankingFilter:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return selectors.RankingFilter(
            agency=data.get("agency", ""), unit=data.get("unit", ""),
            task_group=data.get("task_group", ""), grade=data.get("grade", ""),
            status=data.get("status", ""), order=data.get("sort") or "rank",
            waiting=data.get("waiting", ""))

    def described(self) -> str:
        """The filters in force, in words (for the export's heading); "" when none."""
        found = []
        for name in ("agency", "unit", "task_group", "grade", "status", "waiting"):
            value = self.cleaned_data.get(name) if hasattr(self, "cleaned_data") else None
            if value:
                label = dict(self.fields[name].choices).get(value, value)
                found.append(f"{self.fields[name].label}: {label}")
        return "; ".join(found)


def _agency_name(unit: Unit) -> str:
    return f"{unit.name} ({unit.code})"


def _quota_scope(line: selectors.QuotaLine) -> str:
    """One scope of the quota in words, as the cards name it ("cơ quan …", "nhóm nhiệm vụ
    … của …")."""
    if line.task_group:
        return _("task group %(group)s of %(agency)s") % {
            "group": line.group_name or line.task_group, "agency": _agency_name(line.agency)}
    return _("agency %(agency)s") % {"agency": _agency_name(line.agency)}


def quota_exception_text(share: Any, decision: str, on: dt.date | None) -> str:
    """The quota an approved exception sets, and its decision, in words: "hạn mức 30% số
    HTT cuối cùng theo Quyết định số 15/QĐ-UBND ngày 02/11/2026"."""
    share = Fraction(str(share)) if isinstance(share, float | str) else Fraction(share)
    percent = plain_decimal((Decimal(share.numerator) * 100 / Decimal(share.denominator))
                            .quantize(Decimal("0.01")))
    return _("quota of %(share)s%% of the final HTT under Decision No. %(decision)s of "
             "%(on)s") % {"share": formats.number_format(percent), "decision": decision,
                          "on": on.strftime("%d/%m/%Y") if on else "—"}


def _card_quota_exception(card: ScoreCard) -> str:
    """What the card's quota decision says of the exception that set the share in its
    agency (stored with the card when it was computed), in words; "" for the rubric's."""
    exception = ((card.data or {}).get("quota") or {}).get("exception")
    if not exception:
        return ""
    on = exception.get("decided_on")
    return capfirst(quota_exception_text(
        exception["share"], exception.get("decision") or "—",
        dt.date.fromisoformat(on) if on else None)) + "."


def _quota_exception_notes(lines: list[selectors.QuotaLine]) -> list[str]:
    """A sentence for each agency of the ranking whose quota an approved exception sets
    (as its cards were computed), and for each whose exception was recorded, changed or
    removed since (`QuotaLine.unapplied`): not applied until the cards are scored again."""
    notes = []
    for line in lines:
        if line.task_group:
            continue
        agency = _agency_name(line.agency)
        if line.exception is not None:
            notes.append(_("%(agency)s: %(quota)s.") % {"agency": agency, "quota": (
                quota_exception_text(line.exception.share, line.exception.decision,
                                     line.exception.decided_on))})
        if line.unapplied and line.pending is not None:
            notes.append(_("%(agency)s: %(quota)s, not applied yet: the score cards must be "
                           "computed again.") % {"agency": agency, "quota": (
                quota_exception_text(line.pending.share, line.pending.decision,
                                     line.pending.decided_on))})
        elif line.unapplied:
            notes.append(_("%(agency)s: the exception was removed, not applied yet: the "
                           "score cards must be computed again.") % {"agency": agency})
    return notes


def _quota_warnings(lines: list[selectors.QuotaLine]) -> list[str]:
    """A sentence for each scope where the quota moved candidates down: how many were
    proposed, how many its own limit allows (`QuotaLine.allowed`), and when the other limit
    of its cards was the tighter one, that one."""
    warnings = []
    for line in lines:
        if not line.moved_down:
            continue
        text = _("%(scope)s: %(n)d proposed for HTXS, the quota allows %(allowed)d.") % {
            "scope": _quota_scope(line), "n": line.candidates, "allowed": line.allowed}
        if line.bound_elsewhere and line.task_group:
            text += " " + _("The agency's limit lets %(kept)d of this group keep HTXS.") % {
                "kept": line.kept}
        elif line.bound_elsewhere:
            text += " " + _("The limits of its task groups, each counted apart, let %(kept)d "
                            "keep HTXS.") % {"kept": line.kept}
        warnings.append(capfirst(text))
    return warnings


def _ranking_rows(cards, ranks: dict[int, int], groups: dict[str, str]) -> list[ScoreCard]:
    """The page's cards, each with its rank in its agency (`rank`), its task group's name
    (`task_group_name`) and, when the quota moved it down, its place among the agency's
    candidates (`quota_rank`, `quota_candidates`)."""
    for card in cards:
        card.rank = ranks.get(card.pk)
        card.task_group_name = groups.get(card.task_group, card.task_group)
        quota = (card.data or {}).get("quota") or {}
        card.quota_rank = quota.get("rank")
        card.quota_candidates = quota.get("candidates")
    return cards


@login_required
@require_GET
def unit_ranking(request, label: str, code: str):
    """The cards of a unit and the units below it, each with its agency, task group and rank
    in its agency; filtered, ordered and paged from the GET parameters (the export link
    keeps them); the quota's state in each agency and task group it touches."""
    scope, period, unit = _unit_context(request, label, code)
    cards = list(selectors.unit_cards(scope=scope, period=period, unit=unit)
                 .defer("data", "self_note"))
    choices = selectors.ranking_choices(cards)
    form = RankingFilterForm(request.GET, choices)
    filters = form.ranking_filter()
    agencies = {c.agency_id for c in cards}
    whole = selectors.agency_cards(period=period, agencies=agencies)
    lines = selectors.quota_lines(period=period, cards=whole)
    if filters.agency:
        lines = [line for line in lines if line.agency.code == filters.agency]
    shown = selectors.ranking_cards(scope=scope, period=period, unit=unit, filters=filters)
    page = Paginator(shown, RANKING_PAGE_SIZE).get_page(request.GET.get("page"))
    by_unit: dict[int, list[ScoreCard]] = {}
    for card in cards:
        by_unit.setdefault(card.unit_id, []).append(card)
    reviews = {unit_id: _reviewable(scope, unit_cards)
               for unit_id, unit_cards in by_unit.items()}
    reviewable = reviews.get(unit.pk, [])
    under_review = period.status == PeriodStatus.REVIEW
    # the units below whose review screen the caller may open, in the tree's order
    below = sorted(((mine[0].unit, mine) for unit_id, mine in reviews.items()
                    if mine and unit_id != unit.pk), key=lambda pair: pair[0].lft)
    review_units = [{"unit": sub, "to_review": sum(c.status == CardStatus.DRAFT for c in mine)}
                    for sub, mine in below]
    approvable, own = (selectors.approval_cards(scope=scope, period=period, unit=unit)
                       if under_review else ([], None))
    waiting = services.not_reviewed(approvable, unit)
    can_approve = not waiting and any(c.status == CardStatus.REVIEWED for c in approvable)
    return render(request, "evaluations/unit_ranking.html", {
        "nav": "scores", "period": period, "unit": unit,
        "cards": _ranking_rows(list(page.object_list), selectors.agency_ranks(whole),
                               dict(choices.task_groups)),
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
        "total_count": len(cards), "form": form, "filtered": filters.active,
        "quota": lines, "warnings": _quota_warnings(lines),
        "quota_exceptions": _quota_exception_notes(lines),
        "can_review": bool(reviewable) and under_review,
        "review_units": review_units,
        "can_approve": can_approve,
        "approve_form": ApproveForm(auto_id="approve-%s") if can_approve else None,
        "approval_waits_for": _codes(waiting),
        "calendar_changed": _calendar_changed(period),
        "approves_agency": unit.is_agency and selectors.approves_agency(scope, unit),
        # to whoever approves here, their own card being among the page's cards
        "own_left_out": _own_left_out(own) if approvable and own is not None
        and own.status != CardStatus.APPROVED else "",
        "agency_unit": unit.is_agency,
    })


def _own_left_out(card: ScoreCard) -> str:
    """Says that the caller's own card is left out of their approval, and who approves it:
    the head of the nearest unit above the card's agency, or the organisation board."""
    above = selectors.heads_above(unit=card.agency)
    if above:
        return _("Your own card is left out of this approval (nobody approves their own "
                 "card): it is for %(name)s, head of %(unit)s, or the organisation board to "
                 "approve.") % {"name": above[0].official.name, "unit": above[0].unit.name}
    return _("Your own card is left out of this approval (nobody approves their own card): "
             "it is for the organisation board to approve.")


def _reviewable(scope, cards) -> list[ScoreCard]:
    """The cards of a unit the review screen shows the caller: those they may assess. The
    screen opens when there is one (the ranking links to it only then)."""
    return services.assessable(scope, cards)


@login_required
@require_http_methods(["GET", "POST"])
def unit_review(request, label: str, code: str):
    """The head's review screen: the general criteria of each card they may assess, with a
    reason for every deduction; then "confirm the review"."""
    scope, period, unit = _unit_context(request, label, code)
    cards = _reviewable(scope, selectors.unit_cards(scope=scope, period=period, unit=unit)
                        .filter(unit=unit).order_by("official__code"))
    if not cards:
        raise PermissionDenied
    assessments = selectors.assessments_by_official(period=period,
                                                    officials=[c.official_id for c in cards])
    rows: list[dict[str, Any]] = []
    for card in cards:
        stored = assessments.get(card.official_id)
        # the official's self-score is shown beside the row, never put in it: saving the
        # screen would record it as the head's assessment
        # the reason as the form reads what is sent back (`core.forms.TextField`)
        initial = {"general_points": stored.general_points,
                   "reason": TextField().to_python(stored.reason),
                   "organising": stored.organising, "uniting": stored.uniting} if stored else {}
        # bound on "confirm" too: what was typed and not saved is kept, and said
        form = AssessmentForm(request.POST if request.method == "POST" and
                              request.POST.get("action") in ("save", "confirm") else None,
                              prefix=f"c{card.pk}", initial=initial,
                              leader=card.position in LEADER_POSITIONS, pending=stored is None)
        rows.append({"card": card, "form": form, "stored": stored})
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "save":
                valid = all(row["form"].is_valid() for row in rows)
                given = [row for row in rows if valid and row["form"].given]
                if valid and not given:
                    messages.info(request, _("Nothing was saved: give the general criteria of "
                                             "at least one official."))
                    return redirect("evaluations:unit_review", label=label, code=code)
                if valid:
                    saved = services.assessments_save(actor=request.user, period=period, rows=[
                        services.AssessmentRow(
                            row["card"].official, row["form"].cleaned_data["general_points"],
                            row["form"].cleaned_data["reason"],
                            row["form"].cleaned_data.get("organising"),
                            row["form"].cleaned_data.get("uniting"))
                        for row in given])
                    if not saved.changed:
                        messages.info(request, _("Nothing changed: the assessments are as "
                                                 "they were."))
                        return redirect("evaluations:unit_review", label=label, code=code)
                    messages.success(request, _("The assessments were saved and the cards "
                                                "computed again."))
                    _scored(request, saved.scored)
                    return redirect("evaluations:unit_review", label=label, code=code)
                # each row with an error says so above its fields: here, only whose rows
                messages.error(request, _("Nothing was saved: correct the rows of %(o)s.") % {
                    "o": _codes(row["card"].official.code for row in rows
                                if row["form"].errors)})
            elif action == "confirm" and (unsaved := [
                    row for row in rows if period.status in SCORABLE
                    and any(key.startswith(f"{row['form'].prefix}-") for key in request.POST)
                    and row["form"].has_changed()]):
                # confirming what the cards say now would drop what was just typed
                messages.error(request, _(
                    "Nothing was confirmed: the general criteria of %(o)s were changed and not "
                    "saved. Save them (the cards are computed again), then confirm the "
                    "review.") % {"o": _codes(row["card"].official.code for row in unsaved)})
            elif action == "confirm":
                # nothing left to review: refused (`nothing_to_review`), shown as an error
                n = services.unit_review(actor=request.user, period=period, unit=unit)
                messages.success(request, _("%(n)d cards reviewed.") % {"n": n})
                return redirect("evaluations:unit_ranking", label=label, code=code)
            else:
                raise Http404(_("Not found."))
        except ServiceError as exc:
            _refused(request, exc)
    editable = period.status in SCORABLE  # the service's rule (`assessments_save`)
    # the quota's warnings of the ranking, here too: a save can bind it
    whole = selectors.agency_cards(period=period, agencies={c.agency_id for c in cards})
    warnings = _quota_warnings(selectors.quota_lines(period=period, cards=whole))
    if not editable:  # the assessments as they stand, read-only
        for row in rows:
            row["values"] = _assessment_values(row["form"], row["stored"])
    return render(request, "evaluations/unit_review.html", {
        "nav": "scores", "period": period, "unit": unit, "rows": rows,
        "warnings": warnings,
        "to_confirm": bool(services.to_review(cards)),
        "editable": editable,
        # why nothing can be changed here any more, in the service's words
        "closed": "" if editable else _(
            "Period %(p)s is %(s)s: assessments can no longer change.")
        % {"p": period.name, "s": period.get_status_display()},
    })


def _assessment_values(form: AssessmentForm, stored: Any) -> list[tuple[str, str]]:
    """A row of the review screen read-only: each field of its form (a leader's đ and e
    too) with the stored assessment's value, "—" where there is none."""
    values = []
    for name, field in form.fields.items():
        value = getattr(stored, name, None) if stored is not None else None
        if value is None or value == "":
            shown = "—"
        elif name in ("organising", "uniting"):
            shown = _plain_number(float(value))
        elif isinstance(value, Decimal):
            shown = formats.number_format(value, 2)
        else:
            shown = str(value)
        values.append((str(field.label), shown))
    return values


@login_required
@require_POST
def agency_approve(request, label: str, code: str):
    """Approve the cards the caller may approve from the agency's ranking page, with the
    form's optional note as the approval's reason in the audit trail."""
    _scope, period, unit = _unit_context(request, label, code)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values()
                                         for e in errors))
        return redirect("evaluations:unit_ranking", label=label, code=code)
    try:
        n = services.agency_approve(actor=request.user, period=period, agency=unit,
                                    reason=form.cleaned_data["note"])
    except ServiceError as exc:
        _refused(request, exc)
    else:
        if n:
            messages.success(request, _("%(n)d cards approved.") % {"n": n})
        else:
            messages.info(request, _("No card was left for you to approve here: those you "
                                     "approve are already approved, and the others wait for "
                                     "whoever approves them (the head of the agency, or for "
                                     "a leader's card, the level above)."))
        # the caller's own card, left out, is named by the ranking's banner (`own_left_out`)
    return redirect("evaluations:unit_ranking", label=label, code=code)


EXPORT_HEADER = (
    gettext_lazy("No."), gettext_lazy("Official code"), gettext_lazy("Full name"),
    gettext_lazy("Unit"), gettext_lazy("Position"), gettext_lazy("Products assigned"),
    gettext_lazy("Products completed"), gettext_lazy("Quantity (a)"),
    gettext_lazy("Quality (b)"), gettext_lazy("Progress (c)"),
    gettext_lazy("Unit result (d)"), gettext_lazy("Organising (đ)"),
    gettext_lazy("Uniting (e)"), gettext_lazy("Task results (max 70)"),
    gettext_lazy("General criteria (max 30)"), gettext_lazy("Total (max 100)"),
    gettext_lazy("Grade"), gettext_lazy("Moved down by the quota"),
    gettext_lazy("Self-assessed general criteria"),
    gettext_lazy("Reason for the deduction of the general criteria (assessment)"),
    gettext_lazy("Notes on the grade: HTXS quota, KHT grounds, missing data"),
    gettext_lazy("Status"), gettext_lazy("Agency"), gettext_lazy("Task group"),
    gettext_lazy("Rank in the agency"),
)


#: the most cards whose forms the unit's export adds after its summary (one sheet each)
CARD_FORMS = 200


@login_required
@require_GET
def unit_export(request, label: str, code: str):
    """The unit's cards as an xlsx workbook laid out like Decree 335's forms: first the
    summary table, one row per official, the components, the points, the grade, the
    assessment's written reason for deducting the general criteria and, apart, the notes on
    the grade (the quota's reasoning, KHT grounds, missing data); then the agency, task group
    and rank in the agency. Then, for at most `CARD_FORMS` cards, one sheet per official,
    their own form (`card_sheets.write_card`: every task, every deduction with its event).
    The ranking's filters and order (its GET parameters) apply, and the summary says
    which."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    scope, period, unit = _unit_context(request, label, code)
    everyone = list(selectors.unit_cards(scope=scope, period=period, unit=unit)
                    .defer("data", "self_note"))
    choices = selectors.ranking_choices(everyone)
    groups = dict(choices.task_groups)
    form = RankingFilterForm(request.GET, choices)
    cards = list(selectors.ranking_cards(scope=scope, period=period, unit=unit,
                                         filters=form.ranking_filter())
                 .select_related("period", "reviewed_by", "approved_by"))
    ranks = selectors.agency_ranks(selectors.agency_cards(
        period=period, agencies={c.agency_id for c in everyone}))
    name = period_name(period.label)
    book = Workbook()
    sheet = book.active
    sheet.title = name.replace("/", "-")[:31]
    sheet.append([_("SUMMARY OF QUALITY ASSESSMENT AND GRADING OF OFFICIALS")])
    sheet.append(xlsx.row(sheet, [_("Unit: %(u)s — period: %(p)s")
                                  % {"u": unit.name, "p": name}]))
    sheet.append([_("(Decree 335/2025/NĐ-CP; rubric %(r)s)") % {"r": period.rubric_version}])
    described = form.described()
    sheet.append(xlsx.row(sheet, [_("Filters: %(f)s") % {"f": described}]) if described else [])
    sheet.append([str(h) for h in EXPORT_HEADER])
    for cell in sheet[1] + sheet[5]:
        cell.font = Font(bold=True)
    for n, card in enumerate(cards, start=1):
        d = card.data
        sheet.append(xlsx.row(sheet, [
            n, card.official.code, card.official.name, card.unit.name, card.position_label,
            d.get("assigned"), d.get("completed"), d.get("quantity"), d.get("quality"),
            d.get("progress"), d.get("unit_result"), d.get("organising"), d.get("uniting"),
            _num(card.task_points), _num(card.general_points), _num(card.total),
            card.grade or "—", _("yes") if card.quota_applied else "",
            _num(card.self_points), _general_reason(d), "\n".join(d.get("reasons", [])),
            card.get_status_display(), card.agency.name,
            groups.get(card.task_group, card.task_group),
            ranks.get(card.pk),
        ]))
    for row in sheet.iter_rows(min_row=6):
        for cell in row[19:21]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for column, width in zip("ABCDEFGHIJKLMNOPQRSTUVWXY", (5, 12, 26, 26, 10) + (10,) * 14
                             + (40, 60, 14, 26, 10, 10), strict=True):
        sheet.column_dimensions[column].width = width
    if len(cards) > CARD_FORMS:
        # a workbook of thousands of sheets takes longer than a request may
        sheet.append([])
        sheet.append([_("Each official's form: narrow the filters to at most %(n)d cards, "
                        "or download it from the card's page.") % {"n": CARD_FORMS}])
        return xlsx.response(book, f"diem-{period.label}-{unit.code}.xlsx")
    names = SheetNames.read(cards, task_groups=groups)
    taken = {sheet.title.lower()}
    for card in cards:
        write_card(book.create_sheet(sheet_title(card, taken)), card, names)
    return xlsx.response(book, f"diem-{period.label}-{unit.code}.xlsx")


def _general_reason(data: dict) -> str:
    """The written reason of the assessment for deducting the general criteria, as the card
    carries it (its `general` deduction); "" when nothing was deducted."""
    return "\n".join(d["reason"] for d in data.get("deductions", [])
                     if d.get("kind") == "general" and d.get("reason"))


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


# -- the organisation board: opening a period, KHT grounds --------------------------------


def _board_only(request) -> None:
    """Opening periods and the KHT grounds are the organisation board's and the
    administrator's (`services.can_manage_periods`): anyone else is refused (403)."""
    if not services.can_manage_periods(request.scope):
        raise PermissionDenied


@login_required
@require_POST
def period_open(request):
    """Open a month, a quarter or a year (`services.period_open`), then go to its page. A
    period that exists is not opened again: the message says so, with its status. A refusal
    is shown on the field of the period's kind, and nothing is written."""
    _board_only(request)
    form = PeriodOpenForm(request.POST)
    if form.is_valid():
        known = selectors.period_list(scope=request.scope).filter(label=form.label).first()
        try:
            period = services.period_open(actor=request.user, label=form.label)
        except ServiceError as exc:
            if isinstance(exc, PermissionDeniedError):
                raise PermissionDenied(exc.service_message) from exc
            form.add_error(form.field_of_kind(), exc.service_message)
        else:
            name = capfirst(period_name(period.label))
            if known is not None:
                messages.info(request, _("%(p)s was already open (status: %(s)s): nothing "
                                         "was changed.") % {
                    "p": name, "s": period.get_status_display()})
            else:
                messages.success(request, _("%(p)s was opened, from %(start)s to %(end)s.") % {
                    "p": name, "start": period.start.strftime("%d/%m/%Y"),
                    "end": period.end.strftime("%d/%m/%Y")})
            return redirect(period)
    return _period_list_page(request, open_form=form)


#: grounds per page of the list
GROUNDS_PAGE_SIZE = 50


def _ground_get(request, pk: int) -> Ground:
    """A ground the caller reads and may change (`services.ground_in_reach`; 404
    otherwise), for the board and the administrator."""
    _board_only(request)
    ground = _get(selectors.ground_list(scope=request.scope, filters={}).get, pk=pk)
    if not services.ground_in_reach(request.scope, official=ground.official, unit=ground.unit,
                                    on=ground.on):
        raise Http404(_("Not found."))
    return ground


def _ground_rows(grounds: list[Ground]) -> list[Ground]:
    """Each ground with who recorded it and when (`recorded`), the last correction of its
    reason (`corrected`), its withdrawal (`withdrawn`), all from the audit trail (None when
    it has none: an import, the demo), and the unit the official belonged to on its date
    (`member_of`)."""
    codes = [str(g.pk) for g in grounds]
    trail = (AuditEntry.objects.filter(object_type="evaluations.ground", object_code__in=codes,
                                       action__in=("ground.record", "ground.reason",
                                                   "ground.withdraw"))
             .select_related("actor").order_by("at", "pk"))
    recorded: dict[str, AuditEntry] = {}
    corrected: dict[str, AuditEntry] = {}
    withdrawn: dict[str, AuditEntry] = {}
    for entry in trail:
        if entry.action == "ground.record":
            recorded.setdefault(entry.object_code, entry)
        elif entry.action == "ground.withdraw":
            withdrawn[entry.object_code] = entry
        else:
            corrected[entry.object_code] = entry  # the latest
    memberships: dict[int, list[Membership]] = {}
    for membership in (Membership.objects.filter(
            official__in={g.official_id for g in grounds if g.official_id})
            .select_related("unit").order_by("-start")):
        memberships.setdefault(membership.official_id, []).append(membership)
    for ground in grounds:
        ground.recorded = recorded.get(str(ground.pk))
        ground.corrected = corrected.get(str(ground.pk))
        ground.withdrawn = withdrawn.get(str(ground.pk))
        ground.member_of = next(
            (m.unit for m in memberships.get(ground.official_id, ())
             if m.start <= ground.on and (m.end is None or m.end >= ground.on)), None)
        ground.label = GROUND_LABELS.get(ground.kind, ground.kind)
    return grounds


class _GroundsWithSignals:
    """The recorded grounds (a query, newest first) and the confirmed signal records that
    count by themselves (`selectors.signal_ground_list`, few, newest first) as one list for
    the paginator: a record comes after the recorded grounds of its day. Only the page's
    recorded grounds are read (two queries: where the records fall, then the slice)."""

    def __init__(self, grounds: QuerySet[Ground], signals: list[selectors.SignalGround]):
        self.grounds, self.signals = grounds, signals
        days = sorted({g.on for g in signals})
        counts = grounds.aggregate(total=Count("pk"), **{
            f"d{i}": Count("pk", filter=Q(on__gte=day)) for i, day in enumerate(days)})
        self.total = counts["total"] + len(signals)
        #: each record's place in the whole list
        self.places = [counts[f"d{days.index(g.on)}"] + i for i, g in enumerate(signals)]

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, part: slice) -> list:
        start, stop, _step = part.indices(self.total)
        before = lambda at: sum(place < at for place in self.places)  # noqa: E731
        grounds = iter(self.grounds[start - before(start):stop - before(stop)])
        placed = dict(zip(self.places, self.signals, strict=True))
        rows = [placed[at] if at in placed else next(grounds, None)
                for at in range(start, stop)]
        return [row for row in rows if row is not None]  # a ground removed meanwhile


def _repeated_records(scope, grounds: list[Ground]) -> None:
    """Each recorded ground that repeats a confirmed signal record
    (`selectors.grounds_repeating_records`) with that record's id (`repeats`) and page
    (`repeats_url`, when the reader may open it): it counts through the record, once."""
    repeats = selectors.grounds_repeating_records(grounds)
    readable = selectors.readable_signals(scope=scope, ids=repeats.values())
    for ground in grounds:
        ground.repeats = repeats.get(ground.pk)
        ground.repeats_url = (_signal_url(f"signal:{ground.repeats}", readable)
                              if ground.repeats else None)


def _signal_ground_rows(scope, grounds: list[selectors.SignalGround]) -> None:
    """Each confirmed signal record listed as a ground with its label, the unit its
    official belonged to on its day (`member_of`) and its signal's page (`url`, when the
    reader may open it: `selectors.readable_signals`)."""
    readable = selectors.readable_signals(scope=scope, ids=[g.signal_id for g in grounds])
    memberships: dict[int, list[Membership]] = {}
    for membership in (Membership.objects.filter(official__in={g.official.pk for g in grounds})
                       .select_related("unit").order_by("-start")):
        memberships.setdefault(membership.official_id, []).append(membership)
    for ground in grounds:
        ground.label = GROUND_LABELS["signal"]
        ground.member_of = next(
            (m.unit for m in memberships.get(ground.official.pk, ())
             if m.start <= ground.on and (m.end is None or m.end >= ground.on)), None)
        ground.url = _signal_url(f"signal:{ground.signal_id}", readable)


def _ground_units(scope):
    """The units a ground or a filter may name: those the caller reads, in tree order."""
    return (org_selectors.unit_list(scope=scope).select_related(None)
            .only("pk", "code", "name", "depth", "lft"))


@login_required
@require_GET
def ground_list(request):
    """The KHT grounds the caller reads, filtered by year, kind and unit (an invalid filter
    lists nothing), with who recorded each and when; the board and the administrator."""
    _board_only(request)
    scope = request.scope
    form = GroundFilterForm(request.GET, units=_ground_units(scope))
    filters = form.filters()
    # the confirmed signal records count by themselves: listed too, read-only
    signals = selectors.signal_ground_list(scope=scope, filters=filters)
    grounds = _GroundsWithSignals(selectors.ground_list(scope=scope, filters=filters),
                                  signals)
    page = Paginator(grounds, GROUNDS_PAGE_SIZE).get_page(request.GET.get("page"))
    listed = list(page.object_list)
    rows = _ground_rows([g for g in listed if not isinstance(g, selectors.SignalGround)])
    _repeated_records(scope, rows)
    # the corrections and the withdrawal are offered where the board may make them
    changeable = services.grounds_in_reach(scope, [(g.official, g.unit, g.on) for g in rows])
    for index, ground in enumerate(rows):
        ground.changeable = index in changeable
    from_signals = [g for g in listed if isinstance(g, selectors.SignalGround)]
    _signal_ground_rows(scope, from_signals)
    rows = listed
    return render(request, "evaluations/ground_list.html", {
        "nav": "scores", "form": form, "page": page, "grounds": rows,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
    })


def _to_score_again(on: dt.date) -> str:
    """The periods whose cards a ground dated `on` changes and that may still be scored
    (its year's periods ending on or after it), in words; "" when none."""
    periods = Period.objects.filter(end__year=on.year, end__gte=on, status__in=SCORABLE,
                                    scored_at__isnull=False).order_by("start", "kind")
    return ", ".join(period_name(p.label) for p in periods)


def _ground_saved(request, ground: Ground, text: str) -> None:
    messages.success(request, text)
    again = _to_score_again(ground.on)
    if again:
        messages.info(request, _("The cards show it once computed again: score these "
                                 "periods again from their pages: %(p)s.") % {"p": again})


@login_required
@require_http_methods(["GET", "POST"])
def ground_add(request):
    """Record a KHT ground (`services.ground_record`) of a kind the form offers (not a
    confirmed S14: its record counts by itself). GET parameters prefill the form."""
    _board_only(request)
    scope = request.scope
    units = _ground_units(scope)
    if request.method == "POST":
        form = GroundForm(request.POST, scope=scope, units=units)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ground = services.ground_record(
                    actor=request.user, kind=data["kind"], official=data["official"],
                    unit=data["unit"], on=data["on"], level=data["level"],
                    reason=data["reason"])
            except ServiceError as exc:
                _put_back(form, exc)
            else:
                subject = (f"{ground.unit.name} ({ground.unit.code})" if ground.unit
                           else f"{ground.official.name} ({ground.official.code})")
                _ground_saved(request, ground, _("Recorded: %(k)s, %(s)s, %(d)s.") % {
                    "k": GROUND_LABELS.get(ground.kind, ground.kind), "s": subject,
                    "d": ground.on.strftime("%d/%m/%Y")})
                return redirect(reverse("evaluations:ground_list") + f"?year={ground.on.year}")
    else:
        form = GroundForm(initial=GroundForm.initial_from(request.GET), scope=scope,
                          units=units)
    return render(request, "evaluations/ground_form.html", {"nav": "scores", "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def ground_reason(request, pk: int):
    """Correct the written reason of a recorded ground (`services.ground_reason_set`); the
    audit trail keeps the reason before."""
    ground = _ground_get(request, pk)
    return _ground_change(
        request, ground, initial=ground.reason, change=services.ground_reason_set,
        done=_("The reason was corrected."), texts={
            "title": _("Correct the reason"),
            "heading": _("Correct the reason of a KHT ground"),
            "note": _("Only the written reason can be corrected; the reason before is kept "
                      "in the audit trail."),
            "button": _("Save the reason")})


@login_required
@require_http_methods(["GET", "POST"])
def ground_withdraw(request, pk: int):
    """Withdraw a ground recorded by mistake or annulled (`services.ground_withdraw`): it
    stays listed as not counting, with the reason of the withdrawal."""
    ground = _ground_get(request, pk)
    if not ground.confirmed:
        messages.info(request, _("This ground does not count already: there is nothing to "
                                 "withdraw."))
        return redirect(reverse("evaluations:ground_list") + f"?year={ground.on.year}")
    return _ground_change(
        request, ground, initial="", change=services.ground_withdraw,
        done=_("The ground was withdrawn: it no longer counts."), texts={
            "title": _("Withdraw the ground"),
            "heading": _("Withdraw a KHT ground"),
            "note": _("A ground recorded by mistake, or whose decision was annulled, is "
                      "withdrawn: it stays in the list, marked as not counting, with who "
                      "withdrew it and why. Periods already approved keep their cards."),
            "button": _("Withdraw the ground")})


def _ground_change(request, ground: Ground, *, initial: str, change, done, texts: dict):
    """The page of one change to a ground with a written reason (`change(actor=, ground=,
    reason=)`): the form, its errors, or back to the list saying what was done."""
    form = GroundReasonForm(request.POST or None, initial={"reason": initial})
    if request.method == "POST" and form.is_valid():
        try:
            change(actor=request.user, ground=ground, reason=form.cleaned_data["reason"])
        except ServiceError as exc:
            _put_back(form, exc)
        else:
            _ground_saved(request, ground, done)
            return redirect(reverse("evaluations:ground_list") + f"?year={ground.on.year}")
    return render(request, "evaluations/ground_reason.html", {
        "nav": "scores", "form": form, "ground": _ground_rows([ground])[0], **texts})


@login_required
@require_GET
def ground_export(request):
    """The listed grounds (the same filters, the same rows: the confirmed signal records
    that count by themselves too) as an xlsx sheet, dates dd/mm/yyyy. A filter that is not
    valid exports nothing and says why, as every export does."""
    from openpyxl import Workbook

    _board_only(request)
    scope = request.scope
    form = GroundFilterForm(request.GET, units=_ground_units(scope))
    if not form.is_valid():
        return refuse_export(request, form, list_url=reverse("evaluations:ground_list"))
    filters = form.filters()
    signals = selectors.signal_ground_list(scope=scope, filters=filters)
    listed = _GroundsWithSignals(selectors.ground_list(scope=scope, filters=filters), signals)
    grounds = listed[0:len(listed)]
    _repeated_records(scope, _ground_rows(
        [g for g in grounds if not isinstance(g, selectors.SignalGround)]))
    _signal_ground_rows(scope, [g for g in grounds if isinstance(g, selectors.SignalGround)])
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=str(_("KHT grounds"))[:31])
    described = form.described() if form.is_valid() else ""
    if described:
        sheet.append(xlsx.row(sheet, [_("Filters: %(f)s") % {"f": described}]))
    headers = [
        (_("Date"), 12), (_("Ground"), 30), (_("Discipline level"), 16), (_("Signal"), 8),
        (_("Official code"), 14), (_("Full name"), 26), (_("Unit"), 30),
        (_("Unit code"), 14), (_("Written reason"), 60),
        (_("Recorded by"), 24), (_("Recorded at"), 16), (_("Reason corrected by"), 24),
        (_("Reason corrected at"), 16), (_("Counts"), 8), (_("Withdrawn by"), 24),
        (_("Withdrawn at"), 16), (_("Reason withdrawn"), 40),
    ]
    xlsx.columns(sheet, headers, freeze=not described)
    text, date = xlsx.text, xlsx.date
    for g in grounds:
        if isinstance(g, selectors.SignalGround):
            # decided on the signal's page: who confirmed it and when stand for the record
            unit = g.member_of
            sheet.append([
                date(sheet, g.on), str(g.label), None, g.signal,
                text(sheet, g.official.code), text(sheet, g.official.name),
                text(sheet, unit.name) if unit else None,
                text(sheet, unit.code) if unit else None,
                text(sheet, " — ".join(filter(None, (g.reason, g.decision)))),
                text(sheet, g.decided_by or ""), date(sheet, g.decided_on),
                None, None, str(_("yes")), None, None, None,
            ])
            continue
        unit = g.unit or g.member_of
        sheet.append([
            date(sheet, g.on), str(g.label), str(g.get_level_display()) if g.level else None,
            g.signal or None, text(sheet, g.official.code) if g.official else None,
            text(sheet, g.official.name) if g.official else None,
            text(sheet, unit.name) if unit else None, text(sheet, unit.code) if unit else None,
            text(sheet, g.reason),
            text(sheet, str(g.recorded.actor or _("the system"))) if g.recorded else None,
            date(sheet, g.recorded.at, xlsx.DATETIME) if g.recorded else None,
            text(sheet, str(g.corrected.actor or _("the system"))) if g.corrected else None,
            date(sheet, g.corrected.at, xlsx.DATETIME) if g.corrected else None,
            str(_("through the signal record") if g.repeats
                else _("yes") if g.confirmed else _("no")),
            text(sheet, str(g.withdrawn.actor or _("the system"))) if g.withdrawn else None,
            date(sheet, g.withdrawn.at, xlsx.DATETIME) if g.withdrawn else None,
            text(sheet, g.withdrawn.reason) if g.withdrawn else None,
        ])
    return xlsx.response(book, f"kht-{timezone.localdate():%Y-%m-%d}.xlsx")


# -- the organisation board: approved exceptions to the HTXS quota ------------------------


def _exception_get(request, pk: int) -> QuotaException:
    """An exception the caller reads and may change (`services.can_manage_quota_exception`;
    404 otherwise), for the board and the administrator."""
    _board_only(request)
    exception = _get(selectors.quota_exception_get, scope=request.scope, pk=pk)
    if not services.can_manage_quota_exception(request.scope, exception.agency):
        raise Http404(_("Not found."))
    return exception


def _exception_fields(form: QuotaExceptionForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {name: data[name] for name in ("agency", "valid_from", "valid_to", "share",
                                          "decision", "decided_on", "reason")}


def _exception_periods_to_score(*spans: tuple[dt.date, dt.date]) -> str:
    """The periods an exception's days reach that were scored and may be scored again
    (those ending on one of its days), in words; "" when none."""
    found: list[Period] = []
    for start, end in spans:
        found += Period.objects.filter(end__gte=start, end__lte=end, status__in=SCORABLE,
                                       scored_at__isnull=False)
    unique = {p.pk: p for p in found}.values()
    return ", ".join(period_name(p.label) for p in sorted(unique,
                                                            key=lambda p: (p.start, p.kind)))


def _exception_saved(request, text: str, *spans: tuple[dt.date, dt.date]):
    messages.success(request, text)
    again = _exception_periods_to_score(*spans)
    if again:
        messages.info(request, _("The cards show it once computed again: score these "
                                 "periods again from their pages: %(p)s.") % {"p": again})
    return redirect("evaluations:quota_exception_list")


def _exception_content(exception: QuotaException) -> tuple:
    """What a change of the exception may change (`services.EXCEPTION_FIELDS`)."""
    return tuple(getattr(exception, name) for name in services.EXCEPTION_FIELDS)


def _exception_words(exception: QuotaException) -> dict[str, str]:
    return {"agency": exception.agency.name, "share": formats.number_format(exception.percent),
            "decision": exception.decision,
            "on": exception.decided_on.strftime("%d/%m/%Y"),
            "from": exception.valid_from.strftime("%d/%m/%Y"),
            "to": exception.valid_to.strftime("%d/%m/%Y")}


def _exception_refused(request, exception: QuotaException, refusal: ServiceError):
    """The exception and why it may be neither changed nor removed (`period_fixed`), in
    place of a form the service would refuse (a form sent anyway is not read)."""
    return render(request, "evaluations/quota_exception_remove.html", {
        "nav": "scores", "form": None, "exception": exception,
        "refusal": refusal.service_message})


@login_required
@require_GET
def quota_exception_list(request):
    """The approved exceptions to the HTXS quota of the agencies the caller reads, with who
    recorded each and when; the board and the administrator (changes where in reach)."""
    _board_only(request)
    scope = request.scope
    exceptions = list(selectors.quota_exception_list(scope=scope))
    managed = [e for e in exceptions if services.can_manage_quota_exception(scope, e.agency)]
    fixed = services.quota_exception_fixed_periods(managed)
    for exception in managed:
        period = fixed.get(exception.pk)
        # why it cannot be changed, as the service would refuse it (`period_fixed`)
        exception.fixed_note = _("Cannot be changed or removed: %(p)s is %(s)s.") % {
            "p": period.name, "s": period.get_status_display().lower()} if period else ""
        exception.changeable = period is None
    return render(request, "evaluations/quota_exception_list.html", {
        "nav": "scores", "exceptions": exceptions,
        "can_add": selectors.quota_exception_agencies(scope=scope).exists(),
    })


@login_required
@require_http_methods(["GET", "POST"])
def quota_exception_add(request):
    """Record an approved exception (`services.quota_exception_record`)."""
    _board_only(request)
    agencies = selectors.quota_exception_agencies(scope=request.scope)
    form = QuotaExceptionForm(request.POST or None, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        try:
            exception = services.quota_exception_record(actor=request.user,
                                                        **_exception_fields(form))
        except ServiceError as exc:
            _put_back(form, exc)
        else:
            return _exception_saved(
                request, _("Recorded: in %(agency)s, a quota of %(share)s%% of the final HTT "
                           "under Decision No. %(decision)s of %(on)s, in force from %(from)s "
                           "to %(to)s.") % _exception_words(exception),
                (exception.valid_from, exception.valid_to))
    return render(request, "evaluations/quota_exception_form.html", {
        "nav": "scores", "form": form, "exception": None})


@login_required
@require_http_methods(["GET", "POST"])
def quota_exception_change(request, pk: int):
    """Correct a recorded exception (`services.quota_exception_change`), saying why; an
    exception the service would refuse to change shows why instead of the form."""
    exception = _exception_get(request, pk)
    if refusal := services.quota_exception_fixed_refusal(exception):
        return _exception_refused(request, exception, refusal)
    agencies = selectors.quota_exception_agencies(scope=request.scope)
    before = (exception.valid_from, exception.valid_to)
    initial = {"agency": exception.agency, "valid_from": exception.valid_from,
               "valid_to": exception.valid_to, "share": exception.share,
               "decision": exception.decision, "decided_on": exception.decided_on,
               "reason": exception.reason}
    form = QuotaExceptionForm(request.POST or None, initial=initial, agencies=agencies,
                              changing=True)
    if request.method == "POST" and form.is_valid():
        was = _exception_content(exception)
        try:
            exception = services.quota_exception_change(
                actor=request.user, exception=exception, why=form.cleaned_data["why"],
                **_exception_fields(form))
        except ServiceError as exc:
            _put_back(form, exc)
        else:
            if _exception_content(exception) == was:  # the service wrote nothing
                messages.info(request, _("Nothing changed: the exception of %(agency)s is as "
                                         "it was.") % _exception_words(exception))
                return redirect("evaluations:quota_exception_list")
            return _exception_saved(
                request, _("The exception of %(agency)s was changed.")
                % _exception_words(exception), before,
                (exception.valid_from, exception.valid_to))
    return render(request, "evaluations/quota_exception_form.html", {
        "nav": "scores", "form": form, "exception": exception})


@login_required
@require_http_methods(["GET", "POST"])
def quota_exception_remove(request, pk: int):
    """Remove an exception recorded by mistake or annulled
    (`services.quota_exception_remove`), saying why; an exception the service would
    refuse to remove shows why instead of the form."""
    exception = _exception_get(request, pk)
    if refusal := services.quota_exception_fixed_refusal(exception):
        return _exception_refused(request, exception, refusal)
    form = QuotaExceptionRemoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        words = _exception_words(exception)
        span = (exception.valid_from, exception.valid_to)
        try:
            services.quota_exception_remove(actor=request.user, exception=exception,
                                            why=form.cleaned_data["why"])
        except ServiceError as exc:
            _put_back(form, exc)
        else:
            return _exception_saved(
                request, _("The exception of %(agency)s (Decision No. %(decision)s of %(on)s) "
                           "was removed.") % words, span)
    return render(request, "evaluations/quota_exception_remove.html", {
        "nav": "scores", "form": form, "exception": exception})

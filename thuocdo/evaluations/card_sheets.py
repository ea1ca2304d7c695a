"""One official's score card as an xlsx sheet laid out like the form an official files
under Decree 335/2025 (phiếu đánh giá, xếp loại chất lượng): who and where, then I. the task
results (every task with its product and coefficient, a, b, c and for leaders d, đ, e, or
for a quarter or a year the months it rolls up, the task points, the formula and every
deduction with the event behind it), II. the general criteria with the written reason of any
deduction, III. the total and the grade (with the quota's and the KHT grounds' reasoning),
then where the card and its period stand in the procedure, and the appeal if there is one.

The unit's export (`views.unit_export`) adds one such sheet per card after its summary table;
the card's page downloads its own (`views.card_export`). Everything a sheet names beyond the
card's JSON (task titles, product and unit names, the appeals, the status of the month
cards a quarter or year rolls up) is read once for all the cards (`SheetNames.read`), never
a query per card.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from thuocdo.core import xlsx
from thuocdo.core.templatetags.periods import period_name
from thuocdo.measure.scoring import Period as EnginePeriod
from thuocdo.org.models import Unit
from thuocdo.tasks.models import Product, Task

from .choices import CardStatus, PeriodKind, PeriodStatus
from .models import Appeal, ScoreCard

DEDUCTION_LABELS = {
    "major_error": gettext_lazy("Major error"),
    "delay": gettext_lazy("Delay"),
    "not_completed": gettext_lazy("Not completed at period close"),
    "general": gettext_lazy("General criteria"),
    "unit_result": gettext_lazy("Unit's result (d)"),
    "organising": gettext_lazy("Capacity to organise (đ)"),
    "uniting": gettext_lazy("Capacity to unite (e)"),
}
GROUND_LABELS = {
    "discipline": gettext_lazy("Discipline"),
    "degradation": gettext_lazy("Conclusion of political or ethical degradation"),
    "corruption": gettext_lazy("Corruption or waste in a managed unit"),
    "signal": gettext_lazy("Confirmed signal"),
}

#: what the task table adds to the delays and major errors of a product not completed by
#: the close: they are not deducted (the whole product is lost as not completed)
NOT_COUNTED = gettext_lazy("not counted: not completed")
#: under the task table when a product not completed has delays or major errors
NOT_COUNTED_NOTE = gettext_lazy(
    "Delays deducted: %(delays)d; major errors deducted: %(errors)d (of the products "
    "completed by the close). Those of a product not completed are not deducted: the whole "
    "product is lost as not completed.")

#: the columns of the form: its widths (the task table is the widest part)
WIDTHS = (6, 14, 40, 26, 10, 9, 10, 12, 12, 10, 10)
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=13)
WRAP = Alignment(wrap_text=True, vertical="top")


@dataclass
class SheetNames:
    """The names a card (its page or its sheet) shows beside the codes of its JSON, read
    once for many cards: task titles, product names, unit names (a leader's d names a
    unit)."""

    tasks: dict[str, str] = field(default_factory=dict)
    products: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    task_groups: dict[str, str] = field(default_factory=dict)
    #: the sheet's procedure: each card's appeals (by card id), and the status of each
    #: month card a quarter or year rolls up (by official id and month label)
    appeals: dict[int, list[Appeal]] = field(default_factory=dict)
    months: dict[tuple[int, str], str] = field(default_factory=dict)

    @classmethod
    def read(cls, cards: Iterable[ScoreCard], task_groups: dict[str, str] | None = None, *,
             procedure: bool = True) -> SheetNames:
        """The names for `cards`; with `procedure` (the sheets) also their appeals (only a
        published or locked period has any) and their month cards' status (only quarters
        and years roll months up): at most five queries, whatever the number of cards."""
        cards = list(cards)
        tasks: set[str] = set()
        units: set[str] = set()
        for card in cards:
            data = card.data or {}
            tasks.update(line["task"] for line in data.get("tasks", []))
            tasks.update(d["task"] for d in data.get("deductions", []) if d.get("task"))
            units.update(d["unit"] for d in data.get("deductions", []) if d.get("unit"))
        names = cls(
            tasks=dict(Task.objects.filter(code__in=tasks).values_list("code", "title")),
            products=dict(Product.objects.values_list("code", "name")),
            units=dict(Unit.objects.filter(code__in=units).values_list("code", "name")),
            task_groups=task_groups or {})
        if not procedure:
            return names
        appealable = [c.pk for c in cards
                      if c.period.status in (PeriodStatus.PUBLISHED, PeriodStatus.LOCKED)]
        if appealable:
            for appeal in (Appeal.objects.filter(card_id__in=appealable)
                           .select_related("filed_by", "decided_by").order_by("filed_at", "pk")):
                names.appeals.setdefault(appeal.card_id, []).append(appeal)
        rolled = [c for c in cards if is_roll_up(c)]
        if rolled:
            labels = {m.label for c in rolled for m in EnginePeriod.parse(c.period.label).months()}
            names.months = {
                (official, label): status for official, label, status in
                ScoreCard.objects.filter(official_id__in={c.official_id for c in rolled},
                                         period__label__in=labels)
                .values_list("official_id", "period__label", "status")}
        return names


def is_roll_up(card: ScoreCard) -> bool:
    """A quarter's or a year's card: the mean of its months' T, without a, b, c of its own."""
    return card.period.kind != PeriodKind.MONTH


@dataclass
class MonthRow:
    """One month a quarter or year card rolls up: its T as the roll-up took it, and how it
    was taken (the month's card as its agency approved it, or computed afresh)."""

    label: str
    name: str
    points: float | None
    status: str | None
    status_label: str
    as_approved: bool

    @property
    def counted(self) -> str:
        return str(TAKEN_AS_APPROVED if self.as_approved else COMPUTED_AFRESH)


TAKEN_AS_APPROVED = gettext_lazy("taken as approved")
COMPUTED_AFRESH = gettext_lazy("computed afresh")


def month_rows(card: ScoreCard, statuses: dict[str, str]) -> list[MonthRow]:
    """The months of a quarter or year card (`months` of its JSON), each with the status of
    the official's stored month card now (`statuses`, by month label; a month without a
    stored card has none), and how the card counted it when it was computed: taken as
    approved if the card records it so (`months_approved`, `adapters.with_approved_months`),
    computed afresh otherwise (cards computed before it was recorded were all computed
    afresh: the roll-up then computed every month)."""
    taken = set((card.data or {}).get("months_approved", ()))
    rows = []
    for label, points in (card.data or {}).get("months", []):
        status = statuses.get(label)
        try:
            status_label = str(CardStatus(status).label) if status else _("no card stored")
        except ValueError:
            status_label = status
        rows.append(MonthRow(
            label=label, name=capfirst(period_name(label)), points=points, status=status,
            status_label=status_label,
            as_approved=label in taken))
    return rows


def named_quota_reason(reason: str, card: ScoreCard, group_name: str | None) -> str:
    """The quota's reasoning as the engine wrote it (with the codes of the card's agency and
    task group: "nhóm nhiệm vụ TC của HN.Q01", "ở HN.Q01 (xếp theo …)"), with their names
    in their place, as the ranking names them, for where the card is shown."""
    agency, name = card.agency.code, card.agency.name
    if not reason or not name:
        return reason
    if card.task_group:
        reason = reason.replace(f"nhóm nhiệm vụ {card.task_group} của {agency}",
                                f"nhóm nhiệm vụ {group_name or card.task_group} của {name}")
    return (reason.replace(f"cơ quan {agency}", f"cơ quan {name}")
            .replace(f"ở {agency} (", f"ở {name} ("))


def task_counts(line: dict[str, Any]) -> tuple[Any, Any]:
    """A task line's major errors and delays as the task table shows them: those of a
    product not completed by the close are not deducted, and say so."""
    if line.get("completed"):
        return line.get("major_errors"), line.get("delays")
    return tuple(f"{n} ({NOT_COUNTED})" if n else n
                 for n in (line.get("major_errors"), line.get("delays")))


def not_counted_note(card_data: dict[str, Any]) -> str:
    """The note under the task table when some product not completed has delays or major
    errors (so the columns add up to more than what was deducted); "" otherwise."""
    if not any(not line.get("completed") and (line.get("delays") or line.get("major_errors"))
               for line in card_data.get("tasks", [])):
        return ""
    return str(NOT_COUNTED_NOTE) % {"delays": card_data.get("delays", 0),
                                    "errors": card_data.get("major_errors", 0)}


def sheet_title(card: ScoreCard, taken: set[str]) -> str:
    """A sheet name for the card (its official's code; Excel allows 31 characters and no
    `[]:*?/\\`), unique in the workbook (`taken` is updated)."""
    base = "".join("-" if c in "[]:*?/\\" else c for c in card.official.code)[:28] or "card"
    title, n = base, 1
    while title.lower() in taken:
        n += 1
        title = f"{base[:27 - len(str(n))]}~{n}"
    taken.add(title.lower())
    return title


def _day(value: Any) -> Any:
    """An ISO date of the card's JSON as a date (shown dd/mm/yyyy), else as it is."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return value


def _number(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def _who(user: Any) -> str:
    return user.get_full_name() or str(user)


def _local(moment: dt.datetime) -> dt.datetime:
    """A stored moment as the local time Excel shows (it knows no time zones)."""
    return timezone.localtime(moment).replace(tzinfo=None)


def write_card(sheet: Any, card: ScoreCard, names: SheetNames) -> None:
    """Write `card` on `sheet` (an ordinary worksheet), laid out like the official's form."""
    data = card.data or {}
    leader = any(data.get(k) is not None for k in ("unit_result", "organising", "uniting"))
    rolled = is_roll_up(card)

    def put(values: list[Any], font: Font | None = None, wrap: bool = False) -> None:
        sheet.append(xlsx.row(sheet, [_number(v) for v in values]))
        for cell in sheet[sheet.max_row]:
            if font is not None:
                cell.font = font
            if wrap:
                cell.alignment = WRAP
            if isinstance(cell.value, dt.datetime):
                cell.number_format = xlsx.DATETIME
            elif isinstance(cell.value, dt.date):
                cell.number_format = xlsx.DATE

    def heading(text: str) -> None:
        sheet.append([])
        put([text], BOLD)

    put([_("ASSESSMENT AND GRADING OF AN OFFICIAL")], TITLE)
    put([_("(Decree 335/2025/NĐ-CP; rubric %(r)s, engine %(e)s)")
         % {"r": card.rubric_version, "e": card.engine_version}])
    put([_("Period"), None, period_name(card.period.label)])
    put([_("Full name"), None, card.official.name])
    put([_("Official code"), None, card.official.code])
    put([_("Position"), None, card.position_label])
    put([_("Unit"), None, f"{card.unit.name} ({card.unit.code})"])
    put([_("Agency (scope of the quota)"), None, f"{card.agency.name} ({card.agency.code})"])
    if card.task_group:
        put([_("Task group"), None, names.task_groups.get(card.task_group, card.task_group)])

    heading(_("I. TASK RESULTS (up to 70 points)"))
    put([_("No."), _("Task"), _("Title"), _("Product"), _("Coefficient"), _("Quantity"),
         _("Converted"), _("Deadline"), _("Completed"), _("Major errors"), _("Delays")], BOLD,
        wrap=True)
    lines = data.get("tasks", [])
    for n, line in enumerate(lines, start=1):
        put([n, line["task"], names.tasks.get(line["task"], ""),
             names.products.get(line.get("product") or "", line.get("product")),
             line.get("coefficient"), line.get("quantity"), line.get("converted"),
             _day(line.get("deadline")),
             _("yes") if line.get("completed") else _("no"), *task_counts(line)])
    if not lines:
        put([None, _("No product assigned in the period: no task points and no grade.")])
    note = not_counted_note(data)
    if note:
        put([None, note], wrap=True)
    sheet.append([])
    if rolled:
        # a quarter or a year has no a, b, c of its own: T is the mean of its months' T
        put([_("Month"), None, _("Task points (T)"), _("Card of the month"),
             _("Counted as")], BOLD, wrap=True)
        statuses = {label: status for (official, label), status in names.months.items()
                    if official == card.official_id}
        for month in month_rows(card, statuses):
            put([month.name, None, month.points if month.points is not None else _("no data"),
                 month.status_label, month.counted])
    else:
        put([_("Converted products assigned"), None, data.get("assigned")])
        put([_("Converted products completed"), None, data.get("completed")])
        put([_("a (quantity)"), None, data.get("quantity")])
        put([_("b (quality)"), None, data.get("quality")])
        put([_("c (progress)"), None, data.get("progress")])
    if leader:
        put([_("d (the unit's result)"), None, data.get("unit_result")])
        put([_("đ (capacity to organise)"), None, data.get("organising")])
        put([_("e (capacity to unite)"), None, data.get("uniting")])
    put([_("Task points"), None, card.task_points], BOLD)
    for line in [p for p in (data.get("formula") or "").split("; ") if p]:
        put([None, None, line], wrap=True)

    deductions = data.get("deductions", [])
    heading(_("Deductions"))
    if deductions:
        put([_("No."), _("Task"), _("Deduction"), _("Reason"), _("Points"), _("Event"),
             _("Deadline"), _("Working days late"), _("Excused")], BOLD, wrap=True)
        for n, item in enumerate(deductions, start=1):
            what = str(DEDUCTION_LABELS.get(item["kind"], item["kind"]))
            if item.get("unit"):
                what += f": {names.units.get(item['unit'], item['unit'])}"
            event = (f"#{item['event']}" if item.get("event") is not None
                     else item.get("finding"))
            put([n, item.get("task"), what, item.get("reason"), item.get("points"), event,
                 _day(item.get("deadline")), item.get("workdays_late"),
                 _("yes") if item.get("excused") else None], wrap=True)
    else:
        put([None, _("No deduction.")])

    heading(_("II. GENERAL CRITERIA (up to 30 points)"))
    put([_("Self-assessed"), None, card.self_points])
    if card.self_note:
        put([None, None, card.self_note], wrap=True)
    put([_("Assessed"), None, card.general_points], BOLD)
    for item in deductions:
        if item.get("kind") == "general" and item.get("reason"):
            put([_("Reason for the deduction"), None, item["reason"]], wrap=True)

    heading(_("III. TOTAL AND GRADE"))
    put([_("Total (out of 100)"), None, card.total], BOLD)
    put([_("Grade by the score"), None, data.get("grade_by_score") or "—"])
    put([_("Grade before the quota"), None, card.grade_before_quota or "—"])
    put([_("Grade"), None, card.grade or "—"], BOLD)
    put([_("Moved down by the quota"), None, _("yes") if card.quota_applied else _("no")])
    for ground in data.get("overrides", []):
        on = _day(ground.get("on"))
        when = f" ({on:%d/%m/%Y})" if isinstance(on, dt.date) else ""
        detail = f": {ground['detail']}" if ground.get("detail") else ""
        label = GROUND_LABELS.get(ground["kind"], ground["kind"])
        put([_("KHT ground"), None, f"{label}{when}{detail}"], wrap=True)
    quota_reason = (data.get("quota") or {}).get("reason")
    group_name = names.task_groups.get(card.task_group or "")
    for reason in data.get("reasons", []):
        if reason == quota_reason:  # named as the ranking names the agency and the group
            reason = named_quota_reason(reason, card, group_name)
        put([_("Note"), None, reason], wrap=True)

    heading(_("PROCEDURE"))
    put([_("Status"), None, card.get_status_display()])
    put([_("Status of the period"), None, card.period.get_status_display()])
    if card.reviewed_by_id:
        put([_("Reviewed by"), None, _who(card.reviewed_by)])
    if card.approved_by_id:
        put([_("Approved by"), None, _who(card.approved_by)])
    for appeal in names.appeals.get(card.pk, []):
        heading(_("APPEAL"))
        put([_("Filed at"), None, _local(appeal.filed_at)])
        put([_("Reason"), None, appeal.reason], wrap=True)
        put([_("Decision"), None, appeal.get_status_display()])
        if appeal.decision:
            put([_("Reason for the decision"), None, appeal.decision], wrap=True)
        if appeal.decided_by_id:
            put([_("Decided by"), None, _who(appeal.decided_by)])
        if appeal.decided_at:
            put([_("Decided on"), None, _local(appeal.decided_at)])

    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width

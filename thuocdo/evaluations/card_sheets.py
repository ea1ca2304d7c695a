"""One official's score card as an xlsx sheet laid out like the form an official files
under Decree 335/2025 (phiếu đánh giá, xếp loại chất lượng): who and where, then I. the task
results (every task with its product and coefficient, a, b, c and for leaders d, đ, e, the
task points, the formula and every deduction with the event behind it), II. the general
criteria with the written reason of any deduction, III. the total and the grade (with the
quota's and the KHT grounds' reasoning), then where the card stands in the procedure.

The unit's export (`views.unit_export`) adds one such sheet per card after its summary table;
the card's page downloads its own (`views.card_export`). Everything a sheet names beyond the
card's JSON (task titles, product and unit names) is read once for all the cards
(`SheetNames.read`), never a query per card.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from thuocdo.core import xlsx
from thuocdo.core.templatetags.periods import period_name
from thuocdo.org.models import Unit
from thuocdo.tasks.models import Product, Task

from .models import ScoreCard

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

    @classmethod
    def read(cls, cards: Iterable[ScoreCard], task_groups: dict[str, str] | None = None
             ) -> SheetNames:
        tasks: set[str] = set()
        units: set[str] = set()
        for card in cards:
            data = card.data or {}
            tasks.update(line["task"] for line in data.get("tasks", []))
            tasks.update(d["task"] for d in data.get("deductions", []) if d.get("task"))
            units.update(d["unit"] for d in data.get("deductions", []) if d.get("unit"))
        return cls(
            tasks=dict(Task.objects.filter(code__in=tasks).values_list("code", "title")),
            products=dict(Product.objects.values_list("code", "name")),
            units=dict(Unit.objects.filter(code__in=units).values_list("code", "name")),
            task_groups=task_groups or {})


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


def write_card(sheet: Any, card: ScoreCard, names: SheetNames) -> None:
    """Write `card` on `sheet` (an ordinary worksheet), laid out like the official's form."""
    data = card.data or {}
    leader = any(data.get(k) is not None for k in ("unit_result", "organising", "uniting"))

    def put(values: list[Any], font: Font | None = None, wrap: bool = False) -> None:
        sheet.append(xlsx.row(sheet, [_number(v) for v in values]))
        for cell in sheet[sheet.max_row]:
            if font is not None:
                cell.font = font
            if wrap:
                cell.alignment = WRAP
            if isinstance(cell.value, dt.date):
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
             _("yes") if line.get("completed") else _("no"),
             line.get("major_errors"), line.get("delays")])
    if not lines:
        put([None, _("No product assigned in the period: no task points and no grade.")])
    sheet.append([])
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
    for reason in data.get("reasons", []):
        put([_("Note"), None, reason], wrap=True)

    heading(_("PROCEDURE"))
    put([_("Status"), None, card.get_status_display()])
    if card.reviewed_by_id:
        put([_("Reviewed by"), None, card.reviewed_by.get_full_name() or str(card.reviewed_by)])
    if card.approved_by_id:
        put([_("Approved by"), None, card.approved_by.get_full_name() or str(card.approved_by)])

    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width

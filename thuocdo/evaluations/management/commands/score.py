"""`thuocdo score --period 2026-10 [--unit CODE] [--json]`: score a period and show its cards.

Periods: `YYYY-MM`, `YYYY-Qn`, `YYYY`. The period is opened if needed and scored (stored)
while it is open, self-scoring or under review; an approved, published or locked period is
never re-scored: its stored cards are shown (a note says so on stderr). `--unit` shows the
cards of that unit and the units below it (the whole period is scored either way: the quota
and a leader's unit result need it). `--json` prints a JSON list of cards (docs/scoring.md).
`--workers N` shares the agencies among N processes (0: one per core; by default the
setting THUOCDO_WORKERS); the cards do not depend on it.
"""

from __future__ import annotations

import json

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from thuocdo.core.commands import (
    ThuocdoCommand,
    count_argument,
    period_argument,
    refusal,
    unit_argument,
)
from thuocdo.core.errors import ServiceError
from thuocdo.evaluations import services
from thuocdo.evaluations.choices import SCORABLE
from thuocdo.evaluations.models import Period, ScoreCard
from thuocdo.evaluations.serializers import card_json  # the API's card too

COLUMNS = ("official", "unit", "assigned", "completed", "quantity", "quality", "progress",
           "task_points", "general_points", "total", "grade", "quota_applied")
#: the table's headers, in the CLI's language (setting THUOCDO_LANGUAGE), as the unit's
#: xlsx summary names the same columns; `--json` keeps the keys
HEADERS = (gettext_lazy("Official code"), gettext_lazy("Unit"),
           gettext_lazy("Products assigned"), gettext_lazy("Products completed"),
           gettext_lazy("Quantity (a)"), gettext_lazy("Quality (b)"),
           gettext_lazy("Progress (c)"), gettext_lazy("Task points"),
           gettext_lazy("General criteria"), gettext_lazy("Total (out of 100)"),
           gettext_lazy("Grade"), gettext_lazy("Moved down by the quota"))


class Command(ThuocdoCommand):
    help = "Score a period (YYYY-MM, YYYY-Qn or YYYY) and print its cards."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", required=True, help="YYYY-MM, YYYY-Qn or YYYY")
        parser.add_argument("--unit", help="only the cards of this unit and those below it")
        parser.add_argument("--json", action="store_true", help="print a JSON list of cards")
        parser.add_argument("--workers", type=int, default=None,
                            help="processes sharing the work, one agency at a time; 0 = one "
                            "per core (default: setting THUOCDO_WORKERS)")

    def handle(self, *args, **options) -> None:
        # Every argument is checked before the period is opened or scored.
        engine = period_argument(options["period"])
        workers = count_argument(options.get("workers"), argument="--workers")
        unit = unit_argument(options["unit"]) if options.get("unit") else None
        try:
            known = Period.objects.filter(label=engine.label).first()
            if known is None or known.status in SCORABLE:  # nothing written before it ends
                refused = services.ended_refusal(engine)
                if refused is not None:
                    raise refused
            period = services.period_open(label=engine.label)
            if period.status in SCORABLE:
                services.period_score(period=period, reason="thuocdo score", workers=workers)
            else:
                self.stderr.write(_("Period %(p)s is %(s)s: showing its stored cards.")
                                  % {"p": period.name, "s": period.get_status_display()})
        except ServiceError as error:
            raise refusal(error, arguments={"period": "--period"}) from None
        cards = (ScoreCard.objects.filter(period=period).select_related("official")
                 .order_by("official__code"))
        if unit is not None:
            cards = cards.filter(unit__lft__gte=unit.lft, unit__rgt__lte=unit.rgt)
        rows = [card_json(c) for c in cards.iterator(chunk_size=2000)]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1))
            return
        self.stdout.write(self._table(rows))

    @staticmethod
    def _table(rows: list[dict]) -> str:
        def cell(value) -> str:
            if value is None:
                return "—"
            if isinstance(value, bool):
                return "x" if value else ""
            return str(value)

        table = [[str(h) for h in HEADERS]] + [[cell(r.get(c)) for c in COLUMNS] for r in rows]
        widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
        lines = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
                 for row in table]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

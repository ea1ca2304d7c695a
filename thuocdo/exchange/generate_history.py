"""Realistic task histories for a generated city, in the exchange format (tasks and events).

`iter_history(city, months=M, start=(2026, 8), seed=S)` yields, month after month, each task
record with the list of its event records: about ten tasks per official per month, each
assigned by the head (or a deputy) of the official's unit, or of the unit above for heads,
with a deadline counted in working days (Vietnam's public holidays from the `holidays`
library). Most are accepted and done on time; some are late, transferred to a colleague who
sends them back, extended (before or after the deadline) or refused an extension, sent back
for rework (with or without a major error), reminded, held up by a guidance request or a
consultation of another unit, cancelled, or still open at the end.

Every history is legal under the workflow (thuocdo/tasks/workflow.py): each action is taken
in a state that allows it, by a person who may take it on that day (memberships of generated
officials start before 2025 and never end), after the task's previous event. A task's
history runs to its end, into the following month if need be, unless `until` cuts it:
nothing assigned or done at or after that moment is written, and what was under way stays
open (cutting a legal history anywhere leaves a legal history). Without `until`, a few tasks
in a hundred are still open at the end: never accepted, or accepted and left.

Deterministic: one `random.Random` per (seed, month), so a month's tasks are the same
whatever the other months, the start or `until` (a later `until` only adds events and
tasks: importing it over an earlier one appends).

Fast: one official's month is a few dozen random draws and small dicts; times and days are
precomputed strings. 100,000 officials x one month (~1,000,000 tasks) take about a minute.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import random
from collections.abc import Iterator
from dataclasses import dataclass

from thuocdo.measure.calendar import WorkCalendar

#: The first month of history when none is given (a constant, never today's month).
DEFAULT_START = (2026, 8)
#: The first month a history may start: generated memberships start by 31/12/2024.
EARLIEST_START = (2025, 1)
VIETNAM_OFFSET = dt.timezone(dt.timedelta(hours=7))
#: Working days generated beyond the last month, for work that runs late.
SPILL_WORKDAYS = 80

# -- what tasks are about --------------------------------------------------------------------

#: product code -> (weight, how titles of its tasks begin)
PRODUCT_TITLES = {
    "BC": (24, ["Báo cáo kết quả", "Báo cáo tình hình", "Báo cáo sơ kết", "Báo cáo đánh giá"]),
    "CV": (18, ["Công văn trả lời", "Công văn đôn đốc", "Công văn hướng dẫn"]),
    "TB": (7, ["Thông báo kết luận", "Thông báo"]),
    "TTR": (10, ["Tờ trình", "Tờ trình đề nghị phê duyệt"]),
    "KH": (8, ["Kế hoạch triển khai", "Kế hoạch kiểm tra"]),
    "QD": (8, ["Quyết định", "Dự thảo quyết định"]),
    "HSTTHC": (10, ["Giải quyết hồ sơ", "Thẩm định hồ sơ"]),
    "GQKN": (4, ["Giải quyết đơn", "Văn bản trả lời đơn"]),
    "KLTT": (3, ["Dự thảo kết luận kiểm tra", "Kết luận thanh tra"]),
    "QPPL": (2, ["Dự thảo văn bản quy phạm pháp luật"]),
    "DA": (2, ["Đề án"]),
}

TOPICS = [
    "thực hiện Chỉ thị số 24-CT/TU", "cải cách hành chính", "chuyển đổi số",
    "công tác cán bộ", "thu ngân sách", "giải ngân vốn đầu tư công",
    "quản lý trật tự xây dựng", "phòng chống thiên tai", "an toàn thực phẩm",
    "công tác tiếp công dân", "quản lý đất đai", "bảo vệ môi trường",
    "phòng cháy chữa cháy", "an sinh xã hội", "thi đua khen thưởng",
    "kiểm soát thủ tục hành chính", "quản lý tài sản công", "phòng chống tham nhũng",
    "chỉnh trang đô thị", "cấp giấy chứng nhận quyền sử dụng đất", "đăng ký kinh doanh",
    "xây dựng nông thôn mới", "giáo dục pháp luật", "dân số và gia đình",
]

REASONS = {
    "transfer": ["Đúng lĩnh vực đồng chí phụ trách", "Đồng chí nắm hồ sơ gốc",
                 "Đang tập trung việc cấp bách khác", "Theo phân công của lãnh đạo phòng"],
    "return": ["Không thuộc lĩnh vực được phân công", "Hồ sơ do đồng chí theo dõi từ đầu",
               "Đề nghị đồng chí chủ trì, tôi phối hợp"],
    "extension_request": ["Chờ số liệu của đơn vị phối hợp", "Cần thêm thời gian lấy ý kiến",
                          "Khối lượng công việc lớn hơn dự kiến", "Chờ ý kiến của cấp trên"],
    "extension_refuse": ["Nhiệm vụ cấp bách, không thể lùi thời hạn",
                         "Lý do chưa thuyết phục", "Đã gia hạn trước đó"],
    "extension_grant": ["Đơn vị phối hợp gửi số liệu chậm", "Cần thêm thời gian lấy ý kiến",
                        "Phát sinh nội dung mới theo chỉ đạo của cấp trên"],
    "rework": ["Số liệu chưa khớp với báo cáo tháng trước", "Thiếu căn cứ pháp lý",
               "Chưa đánh giá được nguyên nhân", "Thể thức văn bản chưa đúng quy định",
               "Chưa tiếp thu ý kiến của đơn vị phối hợp"],
    "cancel": ["Trùng với nhiệm vụ đã giao", "Cấp trên đã điều chỉnh kế hoạch",
               "Không còn cần thiết"],
}
QUESTIONS = ["Đề nghị cho ý kiến về phương án xử lý", "Xin ý kiến về căn cứ áp dụng",
             "Xin ý kiến về phạm vi báo cáo"]
ANSWERS = ["Thống nhất phương án đề xuất", "Áp dụng theo hướng dẫn mới nhất",
           "Bổ sung số liệu quý trước rồi trình lại"]
CONSULT_QUESTIONS = ["Đề nghị cho ý kiến vào dự thảo", "Đề nghị cung cấp số liệu liên quan"]
CONSULT_ANSWERS = ["Thống nhất với dự thảo", "Đề nghị bổ sung một số nội dung",
                   "Chưa đủ cơ sở để cho ý kiến"]
STEPS = ["Xây dựng dự thảo", "Lấy ý kiến, hoàn thiện", "Trình ký, ban hành"]

#: how the story of a task goes: (scenario, weight in thousandths)
SCENARIOS = (
    ("on_time", 505), ("late", 125), ("transfer", 60), ("extension_before", 40),
    ("extension_after", 20), ("extension_refused", 20), ("rework", 60), ("remind", 50),
    ("guidance", 30), ("consult", 40), ("cancel", 15), ("open", 28), ("unaccepted", 5),
)

# -- the organisation, seen from one official --------------------------------------------------


@dataclass(frozen=True)
class Lead:
    """One official who receives tasks, and the people around them."""

    code: str
    unit: str
    position: str
    #: who may assign to them (head or deputies of their unit, or of the unit above)
    assigners: tuple[str, ...]
    assigner_weights: tuple[float, ...]
    #: members of the same unit who are not its head (shared by the unit: may hold `code`)
    colleagues: tuple[str, ...]
    #: the head of their unit when that is someone else (reminds, answers questions)
    head: str | None
    deputies: tuple[str, ...]
    #: other units to consult or coordinate with, with a member who answers for each
    neighbours: tuple[tuple[str, str], ...]
    #: directives a task of theirs may carry out: those addressed to their assigners' unit
    directives: tuple[str, ...]

    @property
    def can_transfer(self) -> bool:
        """Someone else in the unit may take the work."""
        return any(c != self.code for c in self.colleagues)

    def colleague(self, random_) -> str:
        """A member of the unit other than the lead (see `can_transfer`)."""
        while True:
            other = self.colleagues[int(random_() * len(self.colleagues))]
            if other != self.code:
                return other


def leads_of(city: dict) -> list[Lead]:
    """Everyone who receives tasks (every official but the head of the root unit)."""
    parent = {u["code"]: u["parent"] for u in city["units"]}
    children: dict[str | None, list[str]] = {}
    for unit in city["units"]:
        children.setdefault(unit["parent"], []).append(unit["code"])
    members: dict[str, list[tuple[str, str]]] = {}
    for official in city["officials"]:
        if official.get("unit"):
            members.setdefault(official["unit"], []).append(
                (official["code"], official["position"]))
    head = {unit: next((c for c, p in people if p == "head"), None)
            for unit, people in members.items()}
    deputies = {unit: tuple(c for c, p in people if p == "deputy")
                for unit, people in members.items()}
    plans = {d["issued_by"]: d["code"] for d in city.get("directives", []) if d.get("answers")}
    general = tuple(d["code"] for d in city.get("directives", [])
                    if d["issued_by"] == parent_root(parent))

    # Shared by every member of a unit: a city of 100,000 has ~1,200 units, so per-person
    # copies of these tuples would cost hundreds of megabytes.
    @functools.cache
    def neighbours(unit: str) -> tuple[tuple[str, str], ...]:
        around = [u for u in children.get(parent[unit], []) if u != unit]
        if parent[unit] is not None:
            around.append(parent[unit])  # type: ignore[arg-type]
        return tuple((u, head[u]) for u in around if head.get(u))  # type: ignore[misc]

    @functools.cache
    def directives(unit: str) -> tuple[str, ...]:
        found = list(general)
        node: str | None = unit
        while node is not None:
            if node in plans:
                found.append(plans[node])
            node = parent[node]
        return tuple(found)

    @functools.cache
    def others(unit: str) -> tuple[str, ...]:
        return tuple(c for c, p in members[unit] if p != "head")

    @functools.cache
    def weights(count: int) -> tuple[float, ...]:
        shares = (0.6, *[0.4 / (count - 1)] * (count - 1)) if count > 1 else (1.0,)
        return tuple(_cumulative(shares))

    leads: list[Lead] = []
    for official in city["officials"]:
        unit, position, code = official.get("unit"), official.get("position"), official["code"]
        if not unit or head.get(unit) is None:
            continue
        # the directives addressed to the assigners' unit (`tasks.workflow.check_directive`)
        source = unit
        if position == "head":
            above = parent[unit]
            if above is None or head.get(above) is None:
                continue  # the head of the city: nobody above assigns to them
            givers = (head[above], *deputies.get(above, ()))
            source = above  # a head's work comes from the unit above
        elif position == "deputy":
            givers = (head[unit],)
        else:
            givers = (head[unit], *deputies[unit])
        colleagues = others(unit)
        leads.append(Lead(
            code=code, unit=unit, position=position,  # type: ignore[arg-type]
            assigners=givers, assigner_weights=weights(len(givers)),  # type: ignore[arg-type]
            colleagues=colleagues, head=None if position == "head" else head[unit],
            deputies=deputies.get(unit, ()), neighbours=neighbours(unit),
            directives=directives(source),
        ))
    return leads


def parent_root(parent: dict[str, str | None]) -> str | None:
    return next((code for code, up in parent.items() if up is None), None)


def _cumulative(weights) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


# -- days and times ------------------------------------------------------------------------------


def month_add(month: tuple[int, int], n: int) -> tuple[int, int]:
    index = month[0] * 12 + month[1] - 1 + n
    return index // 12, index % 12 + 1


class Days:
    """Working days from the first day of `start` on, as precomputed ISO strings."""

    def __init__(self, start: tuple[int, int], months: int) -> None:
        first = dt.date(start[0], start[1], 1)
        end_month = month_add(start, months)
        years = range(start[0], end_month[0] + 2)
        calendar = WorkCalendar.vietnam(years)
        self.calendar = calendar
        day = first if calendar.is_workday(first) else calendar.add_workdays(first, 1)
        last = dt.date(end_month[0], end_month[1], 1)
        days = []
        while day < last:
            days.append(day)
            day = calendar.add_workdays(day, 1)
        self.month_end = len(days)
        for _n in range(SPILL_WORKDAYS):
            days.append(day)
            day = calendar.add_workdays(day, 1)
        self.days = days
        self.iso = [d.isoformat() for d in days]
        self.times = [f"T{m // 60:02d}:{m % 60:02d}:00+07:00" for m in range(24 * 60)]

    @staticmethod
    def last(start: tuple[int, int], months: int) -> dt.date:
        """The last day a history of `months` months (1 or more) from `start` may write
        on, as `Days(start, months).days[-1]` without the days before: its last month's
        work runs up to `SPILL_WORKDAYS` working days into the months after."""
        end = month_add(start, months)
        calendar = WorkCalendar.vietnam(range(end[0], end[0] + 2))
        first = dt.date(end[0], end[1], 1)
        day = first if calendar.is_workday(first) else calendar.add_workdays(first, 1)
        return calendar.add_workdays(day, SPILL_WORKDAYS - 1)

    def month(self, month: tuple[int, int]) -> tuple[int, int]:
        """Indexes [first, last) of the working days of `month`."""
        first = dt.date(month[0], month[1], 1)
        nxt = month_add(month, 1)
        return (bisect.bisect_left(self.days, first),
                bisect.bisect_left(self.days, dt.date(nxt[0], nxt[1], 1)))

    def cut(self, until: dt.datetime | None) -> tuple[int, int]:
        """(day index, minute) of `until`: what happens at or after it is not written.
        None: nothing is cut (the last month's work runs to its end, in the next month)."""
        if until is None:
            return (len(self.days), 0)
        local = until.astimezone(VIETNAM_OFFSET)
        index = bisect.bisect_left(self.days, local.date())
        if index < len(self.days) and self.days[index] == local.date():
            return (index, local.hour * 60 + local.minute + (1 if local.second else 0))
        return (index, 0)


# -- one task ------------------------------------------------------------------------------------


class _Story:
    """The events of one task, with a clock that only moves forward (working days and
    minutes within office hours)."""

    __slots__ = ("d", "events", "m", "random")

    def __init__(self, rng: random.Random, day: int, minute: int) -> None:
        self.random = rng.random
        self.d, self.m = day, minute
        self.events: list[tuple[int, int, str, str, dict | None]] = []

    def rnd(self, low: int, high: int) -> int:
        return low + int(self.random() * (high - low + 1))

    def at(self, day: int) -> None:
        """Move the clock to a moment of working day `day` (not before now)."""
        if day <= self.d:
            minute = self.m + self.rnd(5, 90)
            if minute < 17 * 60:
                self.m = minute
                return
            day = self.d + 1
        self.d, self.m = day, self.rnd(7 * 60 + 30, 16 * 60 + 30)

    def add(self, day: int, kind: str, actor: str, extra: dict | None = None) -> None:
        self.at(day)
        self.events.append((self.d, self.m, kind, actor, extra))


def _pick(rng: random.Random, items):
    return items[int(rng.random() * len(items))]


class HistoryGenerator:
    """Tasks and events of a city, month by month."""

    def __init__(self, city: dict, *, months: int, start: tuple[int, int] = DEFAULT_START,
                 seed: int = 0, until: dt.datetime | None = None) -> None:
        if months < 0:
            raise ValueError("months must be 0 or more")
        if start < EARLIEST_START:
            raise ValueError(f"a history starts in {EARLIEST_START[0]}-{EARLIEST_START[1]:02d} "
                             f"or later (generated officials take their places by then)")
        if not 1 <= start[1] <= 12:
            raise ValueError(f"not a month: {start[0]}-{start[1]}")
        self.months, self.start, self.seed = months, start, seed
        self.leads = leads_of(city)
        self.days = Days(start, months)
        self.cut = self.days.cut(until)
        products = list(PRODUCT_TITLES)
        known = {p["code"] for p in city.get("products", [])}
        products = [p for p in products if p in known] or sorted(known)
        if not products:
            raise ValueError("a history needs products")
        self.products = products
        self.product_weights = _cumulative(PRODUCT_TITLES.get(p, (1, []))[0] for p in products)
        self.titles = {p: [f"{begin} {topic}" for begin in PRODUCT_TITLES.get(p, (1, [p]))[1]
                           for topic in TOPICS] for p in products}
        self.scenarios = [name for name, _w in SCENARIOS]
        self.scenario_weights = _cumulative(w for _n, w in SCENARIOS)

    def __iter__(self) -> Iterator[tuple[dict, list[dict]]]:
        for n in range(self.months):
            yield from self.month(month_add(self.start, n))

    def month(self, month: tuple[int, int]) -> Iterator[tuple[dict, list[dict]]]:
        """The tasks assigned in `month` (before the cut), each with its events."""
        rng = random.Random(f"thuocdo-history:{self.seed}:{month[0]}-{month[1]:02d}")  # noqa: S311
        first, last = self.days.month(month)
        if first >= last:
            return
        suffix = f" tháng {month[1]}/{month[0]}"
        prefix = f"NV{month[0]}{month[1]:02d}-"
        number = 0
        cut = self.cut
        iso, times = self.days.iso, self.days.times
        for lead in self.leads:
            for _n in range(8 + int(rng.random() * 5)):
                number += 1  # numbered before the cut, so codes do not depend on it
                task, story = self.task(rng, lead, first, last, suffix)
                if (task.pop("_day"), task.pop("_minute")) >= cut:
                    continue  # assigned after the cut: not (yet) there
                code = f"{prefix}{number:07d}"
                task["code"] = code
                events = []
                for day, minute, kind, actor, extra in story.events:
                    if (day, minute) >= cut:
                        break
                    event = {"task": code, "kind": kind, "at": iso[day] + times[minute],
                             "actor": actor}
                    if extra:
                        event.update(extra)
                    events.append(event)
                yield _ordered_task(task), events

    def task(self, rng: random.Random, lead: Lead, first: int, last: int,
             suffix: str) -> tuple[dict, _Story]:
        random_ = rng.random
        day = first + int(random_() * (last - first))
        minute = 7 * 60 + 30 + int(random_() * 240)
        assigner = lead.assigners[bisect.bisect(lead.assigner_weights, random_() *
                                                lead.assigner_weights[-1])]
        roll = random_()
        if roll < 0.12:
            priority, allowance = "urgent", 1 + int(random_() * 3)
        elif roll < 0.15:
            priority, allowance = "collective", 10 + int(random_() * 11)
        else:
            priority, allowance = "normal", 3 + int(random_() * 13)
        due = day + allowance
        product = self.products[bisect.bisect(self.product_weights,
                                              random_() * self.product_weights[-1])]
        quantity = 1
        if product == "HSTTHC":
            quantity = 1 + int(random_() * 8)
        elif product == "CV" and random_() < 0.3:
            quantity = 2 + int(random_() * 2)
        title = _pick(rng, self.titles[product])
        if product in {"BC", "KH"} and random_() < 0.5:
            title += suffix
        iso = self.days.iso
        task: dict = {"title": title}
        if lead.directives and random_() < 0.25:
            task["directive"] = _pick(rng, lead.directives)
        task["lead_unit"] = lead.unit
        task["lead_official"] = lead.code
        coordinating = None
        if lead.neighbours and random_() < 0.08:
            unit, answerer = _pick(rng, lead.neighbours)
            coordinating = (unit, answerer, day + max(1, allowance // 2))
            task["coordinating_units"] = [{"unit": unit, "due": iso[coordinating[2]]}]
        if allowance >= 3 and random_() < 0.08:
            one = max(1, allowance // 2)
            two = max(0, (allowance - one) // 2)
            task["steps"] = [{"name": STEPS[0], "allowance": one},
                             {"name": STEPS[1], "allowance": two},
                             {"name": STEPS[2], "allowance": allowance - one - two}]
        task.update(product=product, quantity=quantity, assigned_by=assigner,
                    assigned_at=iso[day] + self.days.times[minute], due=iso[due],
                    priority=priority, _day=day, _minute=minute)
        story = _Story(rng, day, minute)
        scenario = self.scenarios[bisect.bisect(self.scenario_weights,
                                                random_() * self.scenario_weights[-1])]
        self.tell(story, scenario, lead, assigner, day, due)
        if coordinating is not None:
            self.coordinate(story, *coordinating, lead=lead.code, day=day, minute=minute)
        return task, story

    def coordinate(self, s: _Story, unit: str, answerer: str, due: int, *, lead: str,
                   day: int, minute: int) -> None:
        """The coordinating unit's input (the unit's opinion, `consult_reply`, taking a clear
        position: whether S6 should read inputs is the domain's owner's question), given by
        its head: by its deadline mostly, a few working days late at times, now and then never;
        none once the work closed before it, nor where the story consulted the same unit
        (that reply gives the unit's input too: `workflow.coordination_asks`). Drawn from a
        generator of its own, so the story told (and every later task) stays what the seed
        made it."""
        if any(kind == "consult" and extra and extra.get("to_unit") == unit
               for _d, _m, kind, _a, extra in s.events):
            return
        rng = random.Random(  # noqa: S311 - test data
            f"thuocdo-coordination:{self.seed}:{self.days.iso[day]}:{minute}:{lead}:{unit}")
        roll = rng.random()
        if roll < 0.1:
            return
        given = due - int(rng.random() * 3) if roll < 0.8 else due + 1 + int(rng.random() * 3)
        moment = (max(given, day + 1), 7 * 60 + 30 + int(rng.random() * 9 * 60))
        if s.events and s.events[-1][2] in {"approve", "cancel"} and moment >= s.events[-1][:2]:
            return
        bisect.insort(s.events, (*moment, "consult_reply", answerer,
                                 {"unit": unit, "clear_position": True,
                                  "answer": _pick_r(rng.random, CONSULT_ANSWERS[:2])}),
                      key=lambda event: event[:2])

    def tell(self, s: _Story, scenario: str, lead: Lead, assigner: str, day: int,
             due: int) -> None:
        """Write the events of one task following `scenario`."""
        rnd, rng_random = s.rnd, s.random
        me = lead.code
        # Who chases the work: the head of the lead's unit, or (for a head) the assigner.
        chaser = lead.head or assigner

        def accept() -> None:
            s.add(day + (0 if rng_random() < 0.7 else 1), "accept", me)

        def submit_on_time() -> None:
            s.add(max(s.d, due - rnd(0, 2)), "submit", me)

        def submit_late(by: int = 0) -> None:
            # a few days, or (most of the time) weeks: work left late runs past the month
            late = rnd(1, 5) if rng_random() < 0.3 else rnd(6, 20)
            s.add(max(s.d, by or due) + late, "submit", me)

        def approve() -> None:
            s.add(s.d + (0 if rng_random() < 0.6 else rnd(1, 2)), "approve", assigner)

        if scenario == "unaccepted":
            if rng_random() < 0.5:
                s.add(due + rnd(1, 3), "remind", chaser)
            return
        if scenario == "cancel":
            if rng_random() < 0.5:
                accept()
            s.add(min(max(s.d, day + 1), due), "cancel", assigner,
                  {"reason": _pick_r(rng_random, REASONS["cancel"])})
            return
        if scenario == "transfer" and lead.can_transfer:
            other = lead.colleague(rng_random)
            if rng_random() < 0.5:
                accept()
            for _round in range(1 if rng_random() < 0.75 else 2):  # back and forth
                s.add(s.d + rnd(0, 1), "transfer", me,
                      {"to_unit": lead.unit, "to_official": other,
                       "reason": _pick_r(rng_random, REASONS["transfer"])})
                if rng_random() < 0.3:
                    s.add(s.d + rnd(0, 1), "accept", other)
                s.add(s.d + rnd(0, 2), "return", other,
                      {"to_unit": lead.unit, "to_official": me,
                       "reason": _pick_r(rng_random, REASONS["return"])})
                s.add(s.d + rnd(0, 1), "accept", me)
            if s.d <= due and rng_random() < 0.75:
                submit_on_time()
            else:
                submit_late(s.d)
            approve()
            return
        accept()
        if scenario == "open":
            if rng_random() < 0.5:
                s.add(due + rnd(1, 4), "remind", chaser)
            return
        if scenario == "late":
            if rng_random() < 0.5:
                for _n in range(1 if rng_random() < 0.7 else 3):
                    s.add(due + rnd(1, 2), "remind", chaser)
            submit_late()
        elif scenario == "remind":
            s.add(min(max(s.d, due - 1), due), "remind", chaser)
            submit_on_time()
        elif scenario in {"extension_before", "extension_after", "extension_refused"}:
            request = max(s.d, due - rnd(0, 2))
            wanted = due + rnd(3, 7)
            s.add(request, "extension_request", me,
                  {"new_due": self.days.iso[wanted],
                   "reason": _pick_r(rng_random, REASONS["extension_request"])})
            if scenario == "extension_refused":
                s.add(s.d + rnd(0, 1), "extension_refuse", assigner,
                      {"reason": _pick_r(rng_random, REASONS["extension_refuse"])})
                if s.d <= due and rng_random() < 0.5:
                    submit_on_time()
                else:
                    submit_late(s.d)
            else:
                if scenario == "extension_before":
                    grant = max(s.d, due - rnd(0, 1))
                    if grant > due:  # could not decide in time: ask for longer, grant late
                        wanted = max(wanted, grant + 2)
                else:
                    grant = due + rnd(1, 2)
                    wanted = max(wanted, grant + 2)
                # the grant's reason follows from its new deadline (its day of the month)
                # without drawing from the generator: the rest of the history stays what
                # the seed made it, whatever the start
                new_due, grant_reasons = self.days.iso[wanted], REASONS["extension_grant"]
                s.add(grant, "extension_grant", assigner,
                      {"new_due": new_due,
                       "reason": grant_reasons[int(new_due[-2:]) % len(grant_reasons)]})
                s.add(max(s.d, wanted - rnd(0, 2)), "submit", me)
        elif scenario == "rework":
            submit_on_time()
            major = rng_random() < 0.35
            s.add(s.d + rnd(0, 1), "rework", assigner,
                  {"major_error": major, "excused": major and rng_random() < 0.15,
                   "reason": _pick_r(rng_random, REASONS["rework"])})
            s.add(s.d + rnd(1, 3), "submit", me)
        elif scenario == "guidance":
            guide = lead.head or assigner
            if lead.position == "staff" and lead.deputies and rng_random() < 0.3:
                guide = _pick_r(rng_random, lead.deputies)
            s.add(s.d + rnd(0, 2), "guidance_request", me,
                  {"to_official": guide, "question": _pick_r(rng_random, QUESTIONS)})
            s.add(s.d + rnd(0, 2), "guidance_reply", guide,
                  {"answer": _pick_r(rng_random, ANSWERS)})
            if s.d <= due:
                submit_on_time()
            else:
                submit_late(s.d)
        elif scenario == "consult" and lead.neighbours:
            unit, answerer = _pick_r(rng_random, lead.neighbours)
            s.add(s.d + rnd(0, 1), "consult", me,
                  {"to_unit": unit, "reply_due": self.days.iso[s.d + rnd(2, 4)],
                   "question": _pick_r(rng_random, CONSULT_QUESTIONS)})
            s.add(s.d + rnd(1, 5), "consult_reply", answerer,
                  {"unit": unit, "clear_position": rng_random() < 0.85,
                   "answer": _pick_r(rng_random, CONSULT_ANSWERS)})
            if s.d <= due:
                submit_on_time()
            else:
                submit_late(s.d)
        else:
            submit_on_time()
        approve()


def _pick_r(random_, items):
    return items[int(random_() * len(items))]


#: the order of a task record's fields, as the exporter writes them
TASK_FIELD_ORDER = ("code", "title", "description", "directive", "lead_unit", "lead_official",
                    "coordinating_units", "steps", "product", "quantity", "assigned_by",
                    "assigned_at", "due", "priority")


def _ordered_task(task: dict) -> dict:
    return {name: task[name] for name in TASK_FIELD_ORDER if name in task}


def iter_history(city: dict, *, months: int, start: tuple[int, int] = DEFAULT_START,
                 seed: int = 0, until: dt.datetime | None = None,
                 ) -> Iterator[tuple[dict, list[dict]]]:
    """Each task of `months` months of history from `start`, with its events."""
    return iter(HistoryGenerator(city, months=months, start=start, seed=seed, until=until))


def parse_month(value: str) -> tuple[int, int]:
    """`2026-08` as (2026, 8)."""
    try:
        year, month = value.split("-")
        parsed = int(year), int(month)
    except ValueError:
        raise ValueError(f"not a month (YYYY-MM): {value}") from None
    if not 1 <= parsed[1] <= 12 or len(year) != 4:
        raise ValueError(f"not a month (YYYY-MM): {value}")
    return parsed

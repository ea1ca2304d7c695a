"""Generated task histories (thuocdo.exchange.generate_history): legal under the workflow,
deterministic, cut cleanly, streamed, and with the mix a real month has."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections import Counter, defaultdict
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from thuocdo.core.management.commands.demo import demo_history_window
from thuocdo.exchange.exporter import export_document
from thuocdo.exchange.generate import generate_city, write_city
from thuocdo.exchange.generate_history import Days, parse_month
from thuocdo.exchange.importer import import_document
from thuocdo.measure.calendar import WorkCalendar

from .conftest import ON, fingerprint

TZ = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture(scope="module")
def month() -> dict:
    """A city of 1,000 officials with one month of history (October 2026)."""
    return generate_city(officials=1_000, seed=11, months=1, start=(2026, 10))


def by_task(document: dict) -> dict[str, list[dict]]:
    events: dict[str, list[dict]] = defaultdict(list)
    for event in document["events"]:
        events[event["task"]].append(event)
    return events


def moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# -- deterministic, and cut cleanly ----------------------------------------------------------


def test_the_same_arguments_give_the_same_history():
    one = generate_city(officials=200, seed=3, months=2, start=(2026, 8))
    assert one == generate_city(officials=200, seed=3, months=2, start=(2026, 8))
    other = generate_city(officials=200, seed=4, months=2, start=(2026, 8))
    assert one["officials"] != other["officials"] and one["events"] != other["events"]
    assert generate_city(officials=200, seed=3) == {
        key: value for key, value in one.items() if key not in {"tasks", "events"}}


def test_a_month_is_the_same_whatever_the_start_and_the_number_of_months():
    both = generate_city(officials=150, seed=5, months=2, start=(2026, 8))
    august = generate_city(officials=150, seed=5, months=1, start=(2026, 8))
    september = generate_city(officials=150, seed=5, months=1, start=(2026, 9))
    assert both["tasks"] == august["tasks"] + september["tasks"]
    assert both["events"] == august["events"] + september["events"]
    # August's work runs into September
    assert max(e["at"] for e in august["events"]) > "2026-09"


def test_a_history_cut_at_a_moment_is_a_prefix_of_the_whole():
    until = dt.datetime(2026, 9, 16, 10, 30, tzinfo=TZ)
    whole = generate_city(officials=150, seed=5, months=2, start=(2026, 8))
    cut = generate_city(officials=150, seed=5, months=2, start=(2026, 8), until=until)
    assert all(moment(t["assigned_at"]) < until for t in cut["tasks"])
    assert all(moment(e["at"]) < until for e in cut["events"])
    assert [t for t in whole["tasks"] if moment(t["assigned_at"]) < until] == cut["tasks"]
    full = by_task(whole)
    for code, events in by_task(cut).items():
        assert full[code][:len(events)] == events
    assert len(cut["tasks"]) < len(whole["tasks"])


def test_a_history_cannot_start_before_the_officials_take_their_places():
    with pytest.raises(ValueError, match="2025-01"):
        generate_city(officials=100, months=1, start=(2024, 12))
    with pytest.raises(ValueError, match="month"):
        parse_month("2026-13")


# -- realistic --------------------------------------------------------------------------------


def test_about_ten_tasks_per_official_per_month(month):
    leads = Counter(t["lead_official"] for t in month["tasks"])
    assert len(leads) == len(month["officials"]) - 1  # all but the head of the city
    assert 9.5 <= len(month["tasks"]) / len(leads) <= 10.5
    assert min(leads.values()) >= 8 and max(leads.values()) <= 12
    assert {t["assigned_at"][:7] for t in month["tasks"]} == {"2026-10"}


def test_tasks_are_assigned_down_the_line_with_working_day_deadlines(month):
    units = {u["code"]: u for u in month["units"]}
    place = {o["code"]: (o["unit"], o["position"]) for o in month["officials"]}
    calendar = WorkCalendar.vietnam([2026, 2027])
    products = {p["code"] for p in month["products"]}
    for task in month["tasks"]:
        unit, position = place[task["lead_official"]]
        assert unit == task["lead_unit"]
        giver_unit, giver_position = place[task["assigned_by"]]
        assert giver_position in {"head", "deputy"}
        if position == "head":
            assert giver_unit == units[unit]["parent"]
        else:
            assert giver_unit == unit and task["assigned_by"] != task["lead_official"]
            if position == "deputy":
                assert giver_position == "head"
        assigned = moment(task["assigned_at"])
        assert calendar.is_workday(assigned.date()) and calendar.is_workday(day(task["due"]))
        allowance = calendar.workdays_between(assigned.date(), day(task["due"]))
        assert 1 <= allowance <= 20
        if task["priority"] == "urgent":
            assert allowance <= 3
        assert task["product"] in products and task["quantity"] >= 1
        for coordination in task.get("coordinating_units", []):
            assert coordination["unit"] != task["lead_unit"]
            assert assigned.date() <= day(coordination["due"]) <= day(task["due"])
        if "steps" in task:
            assert sum(s["allowance"] for s in task["steps"]) == allowance


def test_events_follow_each_other_on_working_days_in_office_hours(month):
    calendar = WorkCalendar.vietnam([2026, 2027])
    assigned = {t["code"]: moment(t["assigned_at"]) for t in month["tasks"]}
    for code, events in by_task(month).items():
        previous = assigned[code]
        for event in events:
            at = moment(event["at"])
            assert at > previous and calendar.is_workday(at.date())
            assert dt.time(7, 30) <= at.time() <= dt.time(17, 30)
            previous = at
    assert max(moment(e["at"]) for e in month["events"]) < dt.datetime(2027, 1, 1, tzinfo=TZ)


def _outcomes(document: dict) -> Counter:
    """How many tasks had each kind of story."""
    tasks = {t["code"]: t for t in document["tasks"]}
    seen: Counter = Counter()
    for code, events in by_task(document).items():
        kinds = [e["kind"] for e in events]
        due = day(tasks[code]["due"])
        in_force = due
        for event in events:
            if event["kind"] == "extension_grant":
                seen["extended before the deadline" if moment(event["at"]).date() <= due
                     else "extended after the deadline"] += 1
                in_force = day(event["new_due"])
        if "approve" in kinds:
            submitted = max(moment(e["at"]) for e in events if e["kind"] == "submit")
            seen["done late" if submitted.date() > in_force else "done on time"] += 1
        elif "cancel" in kinds:
            seen["cancelled"] += 1
        else:
            seen["open at the end"] += 1
        if "transfer" in kinds and "return" in kinds:
            seen["transferred and returned"] += 1
        if kinds.count("transfer") >= 2:
            seen["back and forth twice"] += 1
        seen["extension refused"] += "extension_refuse" in kinds
        reworks = [e for e in events if e["kind"] == "rework"]
        seen["reworked, major error"] += any(e["major_error"] for e in reworks)
        seen["reworked, no major error"] += any(not e["major_error"] for e in reworks)
        seen["reminded"] += "remind" in kinds
        seen["reminded 3 times"] += kinds.count("remind") >= 3
        seen["guidance asked and given"] += "guidance_reply" in kinds
        consults = {e["to_unit"]: day(e["reply_due"]) for e in events if e["kind"] == "consult"}
        coordinating = {c["unit"]: day(c["due"])
                        for c in tasks[code].get("coordinating_units", [])}
        replies = [e for e in events if e["kind"] == "consult_reply" and e["unit"] in consults]
        inputs = [e for e in events if e["kind"] == "consult_reply" and e["unit"] not in consults]
        assert all(e["unit"] in coordinating for e in inputs), (code, inputs)
        seen["consulted"] += bool(replies)
        seen["no clear position"] += any(not e["clear_position"] for e in replies)
        seen["slow opinion"] += any(moment(e["at"]).date() > consults[e["unit"]]
                                    for e in replies)
        seen["coordinating"] += bool(coordinating)
        seen["coordinating input given"] += bool(inputs)
        seen["coordinating input late"] += any(
            moment(e["at"]).date() > coordinating[e["unit"]] for e in inputs)
        seen["never accepted"] += "accept" not in kinds
    return seen


def test_the_mix_of_a_month(month):
    seen = _outcomes(month)
    total = len(month["tasks"])
    share = {key: count / total for key, count in seen.items()}
    assert share["done on time"] > 0.6, seen
    assert 0.04 < share["done late"] < 0.25, seen
    assert 0.01 < share["open at the end"] < 0.05, seen
    assert 0.005 < share["cancelled"] < 0.04, seen
    assert share["transferred and returned"] > 0.03, seen
    for story in ("back and forth twice", "extended before the deadline",
                  "extended after the deadline", "extension refused", "reworked, major error",
                  "reworked, no major error", "reminded 3 times", "guidance asked and given",
                  "consulted", "no clear position", "slow opinion", "never accepted"):
        assert share[story] > 0.001, (story, seen)
    assert share["reminded"] > 0.05, seen
    # most coordinating units give their input, a few late, some never (or the work closed)
    assert 0.03 < share["coordinating"] < 0.1, seen
    assert 0.5 < seen["coordinating input given"] / seen["coordinating"] < 0.95, seen
    assert 0.05 < seen["coordinating input late"] / seen["coordinating input given"] < 0.4, seen
    priorities = Counter(t["priority"] for t in month["tasks"])
    assert priorities["normal"] > priorities["urgent"] > priorities["collective"] > 0
    assert 2.5 < len(month["events"]) / total < 5


# -- legal: replayed by the importer, and by the services one action at a time -------------------


@pytest.mark.django_db
def test_generated_histories_import_through_the_workflow_and_export_as_generated():
    from thuocdo.tasks.audit import verify_chains

    document = generate_city(officials=120, seed=8, months=2, start=(2026, 9))
    report = import_document(document, on=ON)
    assert report.counts["tasks"].created == len(document["tasks"])
    assert report.counts["events"].created == len(document["events"])
    exported = export_document()
    assert exported["tasks"] == document["tasks"]
    assert exported["events"] == document["events"]
    assert list(verify_chains()) == []
    before = fingerprint()
    assert not import_document(document, on=ON).changed
    assert fingerprint() == before


@pytest.mark.django_db
def test_generated_histories_are_legal_action_by_action_through_the_services():
    """Independently of the bulk replay: every task assigned with `task_assign`, every
    event taken with `task_act`, as if people clicked through it."""
    from thuocdo.org.models import Official, Unit
    from thuocdo.tasks import services
    from thuocdo.tasks.models import Directive, Product, Task

    document = generate_city(officials=24, seed=2, months=1, start=(2026, 10))
    org = {key: value for key, value in document.items() if key not in {"tasks", "events"}}
    import_document(org, on=ON)
    officials = {o.code: o for o in Official.objects.all()}
    units = {u.code: u for u in Unit.objects.all()}
    products = {p.code: p for p in Product.objects.all()}
    directives = {d.code: d for d in Directive.objects.all()}
    made = {}
    for record in document["tasks"]:
        made[record["code"]] = services.task_assign(
            code=record["code"], assigned_by=officials[record["assigned_by"]],
            title=record["title"], product=products[record["product"]],
            lead_unit=units[record["lead_unit"]],
            lead_official=officials[record["lead_official"]], due=day(record["due"]),
            directive=directives.get(record.get("directive")),
            quantity=record["quantity"], priority=record["priority"],
            coordinating=[(units[c["unit"]], day(c["due"]))
                          for c in record.get("coordinating_units", [])],
            steps=[(s["name"], s["allowance"]) for s in record.get("steps", [])],
            at=moment(record["assigned_at"]), allow_past_due=True,
        )
    payload_skip = {"task", "kind", "at", "actor"}
    for event in document["events"]:
        services.task_act(
            task=made[event["task"]], kind=event["kind"], actor=officials[event["actor"]],
            data={k: v for k, v in event.items() if k not in payload_skip},
            at=moment(event["at"]),
        )
    assert Task.objects.count() == len(document["tasks"])
    assert export_document()["events"] == document["events"]


@pytest.mark.django_db
def test_the_cascade_of_a_generated_directive_is_answered_within_weeks():
    """The demo's directive pages: each unit below a directive's issuer answered it (with
    its plan, before the tasks of the history carried it out) a plausible number of
    working days after it was issued, not years later."""
    from thuocdo.accountability.selectors import directive_cascade
    from thuocdo.core.calendar import work_calendar
    from thuocdo.core.scope import Scope
    from thuocdo.tasks.models import Directive

    document = generate_city(officials=120, seed=8, months=1, start=(2026, 10))
    import_document(document, on=ON)
    calendar = work_calendar(years=range(2023, 2028))
    carried = {t["directive"] for t in document["tasks"] if t.get("directive")}
    rows = []
    for directive in Directive.objects.filter(code__in=carried):
        rows += directive_cascade(scope=Scope(is_admin=True), directive=directive,
                                  calendar=calendar)
    assert rows and all(row.answered_on is not None for row in rows)
    assert max(row.workdays for row in rows) <= 60
    assert any(row.tasks for row in rows)


# -- written to a file ------------------------------------------------------------------------


def test_write_city_streams_the_same_document():
    stream = io.StringIO()
    counts = write_city(stream, officials=150, seed=9, months=2, start=(2026, 7))
    document = generate_city(officials=150, seed=9, months=2, start=(2026, 7))
    assert json.loads(stream.getvalue()) == document
    assert counts == {key: len(value) for key, value in document.items()
                      if isinstance(value, list)}
    assert stream.getvalue().count("\n") > len(document["events"])  # one record a line
    assert write_city(io.StringIO(), officials=150, seed=9) == {
        "units": len(document["units"]), "task_groups": 6, "officials": 150, "products": 11,
        "directives": len(document["directives"])}


def test_write_city_refuses_bad_arguments_before_writing():
    stream = io.StringIO()
    with pytest.raises(ValueError, match="2025-01"):
        write_city(stream, officials=150, months=1, start=(2020, 1))
    assert stream.getvalue() == ""


def test_the_generate_command_writes_months_of_history(tmp_path):
    path = tmp_path / "city.json"
    out = StringIO()
    call_command("generate", "--officials", "90", "--seed", "2", "--months", "2",
                 "--start", "2026-09", "--output", str(path), stdout=out)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document == generate_city(officials=90, seed=2, months=2, start=(2026, 9))
    assert f"{len(document['tasks'])} tasks" in out.getvalue()
    assert "2 months from 2026-09" in out.getvalue()
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("generate", "--officials", "90", "--months", "1", "--start", "09-2026",
                     "--output", str(path), stdout=StringIO())


def test_the_last_day_a_history_may_write_is_that_of_its_days():
    for start, months in (((2026, 8), 3), ((2026, 12), 1), ((2999, 8), 1), ((2999, 9), 1)):
        assert Days.last(start, months) == Days(start, months).days[-1]


def test_generate_refuses_a_history_past_2999_and_the_latest_it_takes_imports(tmp_path):
    """`generate --start 2999-12 --months 3` wrote days of 3000, which an import refuses:
    the command refuses a history whose last month's late work would run past 2999, and
    writes nothing; the latest history it takes (ending 2999-08) has no day after 2999."""
    path = tmp_path / "city.json"
    for start, months in (("2999-12", "3"), ("2999-09", "1"), ("2999-07", "3")):
        with pytest.raises(CommandError, match=r"^--months: .* 2999-08[ :]") as caught:
            call_command("generate", "--officials", "30", "--months", months,
                         "--start", start, "--output", str(path), stdout=StringIO())
        assert caught.value.returncode == 2
        assert not path.exists()
    call_command("generate", "--officials", "30", "--months", "2", "--start", "2999-07",
                 "--output", str(path), stdout=StringIO())
    text = path.read_text(encoding="utf-8")
    years = {int(year) for year in re.findall(r'"([0-9]{4})-[0-9]{2}-[0-9]{2}', text)}
    assert max(years) == 2999


def test_the_demo_history_ends_at_the_start_of_today():
    now = dt.datetime(2026, 11, 23, 10, 15, tzinfo=TZ)
    start, until = demo_history_window(3, now)
    assert start == (2026, 9)
    assert until == dt.datetime(2026, 11, 23, 0, 0, tzinfo=TZ)
    assert demo_history_window(3, now + dt.timedelta(hours=5)) == (start, until)
    assert demo_history_window(1, now)[0] == (2026, 11)

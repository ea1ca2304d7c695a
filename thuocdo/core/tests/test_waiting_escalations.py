"""The home page's "waiting for you" panel lists the work escalated (S9) to the unit the
caller heads and still overdue, counted as the accountability dashboard counts it and
opening the list its panel opens; and the demo leaves some lower units without an answer
to the plan above them, so that a head sees "units that have not answered"."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from thuocdo.accountability.tests.helpers import late_task, month_of
from thuocdo.core.management.commands.demo import SILENT_FROM, leave_plans_unanswered
from thuocdo.exchange.generate import generate_city

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _escalated(world, task, key: str, *, status: str = "open"):
    """An S9 about `task` (held in HN.CG.VP) escalated to HN.CG, as the nightly job stores
    it."""
    from thuocdo.accountability.models import SignalRecord

    now = timezone.now()
    return SignalRecord.objects.create(
        key=key, code="S9", period=month_of(task.due), raised_on=task.due,
        subject_kind="task", subject=task.code, task=task, official=world.officials["CG.STAFF"],
        unit=world.units["HN.CG.VP"], escalate_to=world.units["HN.CG"], status=status,
        explanation="Còn quá hạn sau 3 lần nhắc", first_seen=now, last_seen=now)


def test_escalations_waiting_for_the_head_as_the_dashboard_counts_them(world, client_for):
    """Two escalations to HN.CG whose work is still overdue wait for its head; a decided
    one and one whose work was done since do not (the dashboard's rule). The number is the
    dashboard's and opens the list its panel opens; the deputy (the unit has a head) and
    staff are not waited for."""
    from thuocdo.tasks.tests.api_routes import act

    first = late_task(world, code="T-S9-1")
    second = late_task(world, code="T-S9-2")
    decided = late_task(world, code="T-S9-3")
    done = late_task(world, code="T-S9-4")
    for task in (first, second, decided, done):
        _escalated(world, task, f"S9|{task.code}",
                   status="confirmed" if task is decided else "open")
    act(world, done, "accept", "CG.STAFF")
    act(world, done, "submit", "CG.STAFF")
    act(world, done, "approve", "CG.HEAD")
    client = client_for(world.user("head"))
    response = client.get(reverse("core:home"))
    lines = [w for w in response.context["waiting"] if "(S9)" in w.text]
    assert [(w.count, w.text, w.urgent) for w in lines] == [
        (2, "escalations to UBND quận Cầu Giấy (S9) not decided, their work still overdue",
         True)]
    (line,) = lines
    assert f'href="{line.url.replace("&", "&amp;")}"' in response.content.decode()
    board = client.get(reverse("accountability:dashboard"),
                       {"unit": "HN.CG", "period": month_of(first.due)}).context["board"]
    assert board.escalated_total == line.count
    parts = urlsplit(line.url)
    assert parts.path == reverse("accountability:signal_list")
    listed = client.get(f"{parts.path}?{parts.query}").context["page"]
    assert sorted(s.subject for s in listed) == ["T-S9-1", "T-S9-2"]
    for role in ("deputy", "staff"):
        waiting = client_for(world.user(role)).get(reverse("core:home")).context["waiting"]
        assert not [w for w in waiting if "(S9)" in w.text], role


def test_the_demo_leaves_some_lower_units_without_an_answer():
    """In each district (five units below it, none below them, each answering its plan),
    one unit chosen by the district's code issues no plan and assigns no task under its
    district's plan; the same units on every run; the document stays consistent (no task
    carries out a plan that is gone)."""
    document = generate_city(officials=300, seed=2023, months=1, start=(2026, 9),
                             until=dt.datetime(2026, 9, 30, tzinfo=dt.UTC))
    again = generate_city(officials=300, seed=2023, months=1, start=(2026, 9),
                          until=dt.datetime(2026, 9, 30, tzinfo=dt.UTC))
    plans = {d["issued_by"]: d["code"] for d in document["directives"] if d.get("answers")}
    parent = {u["code"]: u.get("parent") for u in document["units"]}
    silent = leave_plans_unanswered(document)
    assert silent == leave_plans_unanswered(again) and document == again
    districts = {u["code"] for u in document["units"] if u["kind"] == "district"}
    assert {parent[code] for code in silent} == districts
    assert sum(1 for code in parent.values() if code in districts) >= SILENT_FROM * len(
        districts)
    left = {d["code"] for d in document["directives"]}
    issuers = {d["issued_by"] for d in document["directives"]}
    assert not issuers & set(silent)
    for code in silent:
        assert plans[code] not in left and plans[parent[code]] in left
        assert not [t for t in document["tasks"] if t["lead_unit"] == code
                    and t.get("directive") in (plans[code], plans[parent[code]])]
    assert {t["directive"] for t in document["tasks"] if t.get("directive")} <= left
    # the other units below a district still answer
    answering = [code for code, above in parent.items() if above in districts
                 and code not in silent]
    assert answering and all(code in issuers for code in answering)


def test_on_the_demo_a_district_head_sees_a_unit_that_has_not_answered(client_for):
    """Imported as the demo imports it, the cascade of a district's plan lists its silent
    unit as not answered, and only it."""
    from thuocdo.accounts import services as accounts
    from thuocdo.core.management.commands.demo import import_city
    from thuocdo.org.models import Official

    document = generate_city(officials=120, seed=2023)
    silent = leave_plans_unanswered(document)
    import_city(document)
    code = silent[0]
    district = next(u["parent"] for u in document["units"] if u["code"] == code)
    plan = next(d["code"] for d in document["directives"] if d["issued_by"] == district
                and d.get("answers"))
    head = next(o["code"] for o in document["officials"] if o.get("unit") == district
                and o["position"] == "head")
    user = accounts.user_create(email="head@example.vn", password="x-Long-pass-123",
                                official=Official.objects.get(code=head))
    response = client_for(user).get(reverse("accountability:directive_cascade",
                                            kwargs={"code": plan}))
    assert [r.unit.code for r in response.context["silent"]] == [code]
    assert len(response.context["rows"]) > 1
    assert "1 unit below has not answered with a plan or tasks." in response.content.decode()

"""A granted extension states why the deadline moves: the pages, the API and the service
refuse a grant without a reason (naming the field); the reason is kept in the event's data,
under the hash chain, and shown on the task's timeline. A log recorded elsewhere (an import
in the exchange format, whose grant has no reason) replays with or without one, and the
reason travels in the exchange document both ways (docs/workflow.md, "Payload rules")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from thuocdo.core.errors import ServiceError
from thuocdo.exchange.exporter import export_document
from thuocdo.exchange.importer import import_document
from thuocdo.tasks import services
from thuocdo.tasks.audit import verify_chains
from thuocdo.tasks.models import Task, TaskEvent
from thuocdo.tasks.replay import replay
from thuocdo.tasks.tests.api_routes import act, make_task
from thuocdo.tasks.tests.test_replay import TASK, ev
from thuocdo.tasks.workflow import DbDirectory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

TZ = dt.timezone(dt.timedelta(hours=7))
REFUSED = "A granted extension needs a reason: say why the deadline moves."
WHY = "Phường gửi số liệu chậm do mưa bão"


def iso(days: int) -> str:
    """The first working day `days` or more days from today (a deadline is one)."""
    calendar = DbDirectory().calendar()
    day = timezone.localdate() + dt.timedelta(days=days)
    while not calendar.is_workday(day):
        day += dt.timedelta(days=1)
    return day.isoformat()


@pytest.fixture
def requested(world):
    """T-CG (CG.STAFF's, assigned by CG.HEAD today, due in 30 days), accepted, with an
    extension to 40 days from today asked for."""
    task = act(world, make_task(world), "accept", "CG.STAFF")
    return act(world, task, "extension_request", "CG.STAFF", new_due=iso(40),
               reason="Chờ số liệu của phường")


def granted(task) -> dict:
    """The data of the grant of the extension asked for in `requested`, with WHY."""
    return {"new_due": iso(40), "old_due": task.due.isoformat(), "reason": WHY}


def _grants(task) -> list[dict]:
    return list(TaskEvent.objects.filter(task=task, kind="extension_grant")
                .values_list("data", flat=True))


# -- the service -------------------------------------------------------------------------


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_the_service_refuses_a_grant_without_a_reason(world, requested, reason):
    data = {"new_due": iso(40)} | ({} if reason is None else {"reason": reason})
    with pytest.raises(ServiceError) as caught:
        services.task_act(task=requested, kind="extension_grant",
                          actor=world.officials["CG.HEAD"], data=data)
    assert (caught.value.service_code, caught.value.field) == ("missing_reason", "reason")
    assert caught.value.service_message == REFUSED
    assert _grants(requested) == []
    requested.refresh_from_db()
    assert requested.due_in_force == requested.due


def test_the_reason_is_in_the_event_data_under_the_hash_chain(world, requested):
    event = services.task_act(task=requested, kind="extension_grant",
                              actor=world.officials["CG.HEAD"],
                              data={"new_due": iso(40), "reason": f"  {WHY} "})
    assert event.data == granted(requested)
    assert list(verify_chains()) == []
    # the hash covers it: a reason rewritten in the database breaks the chain there
    changed = {**event.data, "reason": "lý do khác"}
    TaskEvent.objects.filter(pk=event.pk).update(data=changed)
    broken = list(verify_chains())
    assert [(b.task, b.seq) for b in broken] == [(requested.code, event.seq)]


# -- the page ----------------------------------------------------------------------------


def test_the_page_refuses_a_grant_without_a_reason_next_to_the_field(world, requested,
                                                                     client_for):
    head = client_for(world.user("head"))
    url = reverse("tasks:task_act", kwargs={"kind": "extension_grant",
                                            "code": requested.code})
    page = head.get(requested.get_absolute_url())
    form = next(a for a in page.context["actions"] if a["kind"] == "extension_grant")["form"]
    assert "reason" in form.fields and form.fields["reason"].required
    assert 'name="reason"' in page.content.decode()

    response = head.post(url, {"expected_version": requested.version, "new_due": iso(40),
                               "reason": "  "})
    assert response.status_code == 400
    bound = next(a for a in response.context["actions"] if a["kind"] == "extension_grant")
    assert bound["open"] and bound["form"].errors == {"reason": [REFUSED]}
    assert REFUSED in response.content.decode()
    assert _grants(requested) == []


def test_the_reason_given_on_the_page_is_recorded_and_shown(world, requested, client_for):
    head = client_for(world.user("head"))
    url = reverse("tasks:task_act", kwargs={"kind": "extension_grant",
                                            "code": requested.code})
    response = head.post(url, {"expected_version": requested.version, "new_due": iso(40),
                               "reason": WHY})
    assert response.status_code == 302
    assert _grants(requested) == [granted(requested)]
    page = head.get(requested.get_absolute_url())
    grant = next(row for row in page.context["timeline"]
                 if row["event"].kind == "extension_grant")
    assert {"label": "Reason", "value": WHY, "is_date": False} in grant["payload"]
    extension = next(row for row in page.context["extensions"]
                     if row["kind"] == "extension_grant")
    assert extension["reason"] == WHY
    assert page.content.decode().count(WHY) == 2  # the timeline and the extensions


# -- the API -----------------------------------------------------------------------------


def _api(world, role: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(world.user(role))
    return client


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_the_api_refuses_a_grant_without_a_reason_naming_the_field(world, requested, body):
    url = reverse("api:task-extension-grant", kwargs={"code": requested.code})
    response = _api(world, "head").post(url, {"new_due": iso(40), **body}, format="json")
    assert response.status_code == 400, response.content
    answer = response.json()
    assert answer["code"] == "invalid"
    assert answer["errors"] == {"reason": [REFUSED]}
    assert _grants(requested) == []


def test_the_api_records_the_reason_in_the_event(world, requested):
    head = _api(world, "head")
    url = reverse("api:task-extension-grant", kwargs={"code": requested.code})
    response = head.post(url, {"new_due": iso(40), "reason": WHY}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["due_in_force"] == iso(40)
    events = head.get(reverse("api:task-events", kwargs={"code": requested.code})).json()
    grant = next(e for e in events["results"] if e["kind"] == "extension_grant")
    assert grant["data"] == granted(requested)


# -- recorded logs: replay and the exchange format ---------------------------------------


FLOW = [
    ev("accept", 2, "CG.STAFF"),
    ev("extension_request", 12, "CG.STAFF", new_due="2026-10-22", reason="chờ số liệu"),
]


def test_a_recorded_grant_replays_with_or_without_a_reason(world):
    services.product_create(code="BC", name="Báo cáo", coefficient=1)
    second = {**TASK, "code": "T2"}
    replay(tasks=[TASK, second], events=[
        *FLOW, ev("extension_grant", 13, "CG.HEAD", new_due="2026-10-22"),
        *({**e, "task": "T2"} for e in FLOW),
        {**ev("extension_grant", 13, "CG.HEAD", new_due="2026-10-22", reason=WHY),
         "task": "T2"},
    ])
    without, with_reason = (_grants(Task.objects.get(code=code))[0] for code in ("T1", "T2"))
    assert without == {"new_due": "2026-10-22", "old_due": "2026-10-15"}
    assert with_reason == {**without, "reason": WHY}
    assert list(verify_chains()) == []


def test_the_reason_travels_in_the_exchange_document_both_ways(world):
    """Exported with the grant, imported back into the same history: the same document, the
    same chain; a grant without one (the contract's) imports and exports without one."""
    services.product_create(code="BC", name="Báo cáo", coefficient=1)
    replay(tasks=[TASK], events=[*FLOW, ev("extension_grant", 13, "CG.HEAD",
                                           new_due="2026-10-22")])
    task = services.task_assign(
        assigned_by=world.officials["CG.HEAD"], title="Báo cáo quý", code="T3",
        product=Task.objects.get(code="T1").product, lead_unit=world.units["HN.CG.VP"],
        lead_official=world.officials["CG.STAFF"], due=dt.date(2026, 10, 15),
        at=dt.datetime(2026, 10, 1, 8, tzinfo=TZ),
        allow_past_due=True,
    )
    for kind, who, day, data in (
            ("accept", "CG.STAFF", 2, {}),
            ("extension_request", "CG.STAFF", 12, {"new_due": "2026-10-22",
                                                  "reason": "chờ số liệu"}),
            ("extension_grant", "CG.HEAD", 13, {"new_due": "2026-10-22", "reason": WHY})):
        services.task_act(task=task, kind=kind, actor=world.officials[who], data=data,
                          at=dt.datetime(2026, 10, day, 9, tzinfo=TZ))
    hashes = dict(TaskEvent.objects.values_list("hash", "task__code"))
    document = export_document()
    grants = {e["task"]: e for e in document["events"] if e["kind"] == "extension_grant"}
    assert grants["T3"]["reason"] == WHY
    assert "reason" not in grants["T1"]
    assert "old_due" not in grants["T3"]  # not a field of the format

    TaskEvent.objects.all().delete()
    Task.objects.all().delete()
    import_document(document, on=dt.date(2026, 6, 1))
    assert export_document() == document
    assert dict(TaskEvent.objects.values_list("hash", "task__code")) == hashes
    assert not import_document(document, on=dt.date(2026, 6, 1)).changed

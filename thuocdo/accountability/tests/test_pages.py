"""What the accountability pages show: escalations still overdue, who reads which signal,
the evidence of a signal across tasks, the whole delay table, one line per bounced task,
the cascade's links, a stale second tab, the month field."""

from __future__ import annotations

import datetime as dt
import io
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from thuocdo.accountability import selectors, services
from thuocdo.accountability.forms import this_month
from thuocdo.accountability.models import HolderDelay, SignalRecord
from thuocdo.tasks.tests.api_routes import act, make_task

from .helpers import colleague_signal, late_task, month_of, refresh_for, s1_signal
from .test_dashboard import _stored_signal, _work


def _sheet(book, index) -> list[list]:
    return [list(r) for r in book.worksheets[index].iter_rows(min_row=2, values_only=True)]


@pytest.mark.django_db
def test_escalations_show_only_work_still_open_and_overdue(world, client_for):
    """The S9 panel lists escalated work still open and past its deadline, with who holds
    it now; work done since is only counted among the month's escalations. Its link opens
    exactly those signals, and the export's sheet holds the same."""
    late = _work(world)
    done = make_task(world, code="T-DONE-LATE", days_ago=20, due_in=-10)
    for kind in ("accept", "submit"):
        act(world, done, kind, "CG.STAFF")
    act(world, done, "approve", "CG.HEAD")
    still = _stored_signal(world, code="S9", task=late, unit="HN.CG.VP", official="CG.STAFF",
                           escalate_to="HN.CG", text="Còn quá hạn")
    _stored_signal(world, code="S9", task=done, unit="HN.CG.VP", official="CG.STAFF",
                   escalate_to="HN.CG", text="Đã xong")
    client = client_for(world.user("head"))
    query = {"unit": "HN.CG", "period": month_of(late.due)}
    response = client.get(reverse("accountability:dashboard"), query)
    board = response.context["board"]
    assert board.escalated == [still] and board.escalated_total == 1
    assert board.escalated_in_month == 2
    page = unescape(response.content.decode())
    assert "Lê Văn Cường (Văn phòng HĐND và UBND quận)" in page  # who holds it now
    listed = client.get(reverse("accountability:signal_list"), {
        "unit": "HN.CG", "escalated": "on", "code": "S9", "status": "undecided",
        "work_overdue": "on"})
    assert list(listed.context["page"].object_list) == [still]
    assert "work_overdue=on" in page
    book = load_workbook(io.BytesIO(client.get(reverse("accountability:dashboard_export"),
                                               query).content))
    escalated = _sheet(book, 7)
    assert [r[1] for r in escalated] == ["T-OVERDUE"]
    assert escalated[0][-2:] == ["Lê Văn Cường", "Văn phòng HĐND và UBND quận"]


@pytest.mark.django_db
def test_staff_read_only_the_signals_naming_them(world, client_for):
    """A staff official reads the signals naming them, not those naming a colleague of
    their unit (an S12 not yet confirmed): neither in the list nor through the API; the
    head reads both."""
    own = s1_signal(world)["pk"]
    colleague = colleague_signal(world)["pk"]
    staff = client_for(world.user("staff"))
    mine = set(SignalRecord.objects.filter(official__code="CG.STAFF").values_list("pk",
                                                                                 flat=True))
    assert own in mine and colleague not in mine
    listed = staff.get(reverse("accountability:signal_list"))
    assert {s.pk for s in listed.context["page"].object_list} == mine
    api = staff.get("/api/signals/").json()
    assert {s["id"] for s in api["results"]} == mine
    assert staff.get(reverse("accountability:signal_detail", kwargs={"pk": colleague})
                     ).status_code == 404
    head = client_for(world.user("head"))
    listed = head.get(reverse("accountability:signal_list"))
    assert {s.pk for s in listed.context["page"].object_list} == mine | {colleague}


@pytest.mark.django_db
def test_a_signal_across_tasks_shows_its_events_with_links(world, client_for):
    """An S12 has no single task: its page lists each (task, event) behind it, linked to
    the event on the task's page."""
    pk = colleague_signal(world)["pk"]
    page = client_for(world.user("head")).get(
        reverse("accountability:signal_detail", kwargs={"pk": pk}))
    evidence = page.context["evidence"]
    assert [(e.code, e.number, e.event.seq) for e in evidence] == [("T-COL1", 2, 2),
                                                                   ("T-COL2", 2, 2)]
    html = page.content.decode()
    for code in ("T-COL1", "T-COL2"):
        assert f"{reverse('tasks:task_detail', kwargs={'code': code})}#event-2" in html


def _delays(world):
    """Three holders late on tasks of this month."""
    task = make_task(world, code="T-DELAY", days_ago=20, due_in=-10)
    other = make_task(world, code="T-DELAY2", days_ago=20, due_in=-10)
    period = month_of(task.due)
    for t, unit, official, days in ((task, "HN.CG.VP", "CG.STAFF", 5),
                                    (other, "HN.CG.VP", "CG.STAFF2", 3),
                                    (other, "HN.CG.DV", None, 1)):
        HolderDelay.objects.create(period=period, task=t, unit=world.units[unit],
                                   official=world.officials[official] if official else None,
                                   workdays=days)
    return period


@pytest.mark.django_db
def test_the_delay_table_says_it_is_cut_links_to_all_and_exports_all(world, client_for,
                                                                     monkeypatch):
    period = _delays(world)
    monkeypatch.setattr(selectors, "DELAY_ROWS", 2)
    client = client_for(world.user("head"))
    query = {"unit": "HN.CG", "period": period}
    response = client.get(reverse("accountability:dashboard"), query)
    board = response.context["board"]
    assert len(board.delays) == 2 and board.delay_holders == 3
    page = unescape(response.content.decode())
    assert (f"{reverse('accountability:delay_list')}?unit=HN.CG&period={period}\"") in page
    listed = client.get(reverse("accountability:delay_list"), query)
    assert listed.context["total"] == 9
    book = load_workbook(io.BytesIO(client.get(reverse("accountability:dashboard_export"),
                                               query).content))
    assert [r[4] for r in _sheet(book, 3)] == [5, 3, 1]
    # the delay tables' "held by" is who held the work when it was late, not where it is
    assert "Nơi đang xử lý" not in page
    assert "Nơi đang xử lý" not in listed.content.decode()


@pytest.mark.django_db
def test_bounced_work_is_one_line_per_task(world, client_for):
    late = _work(world)
    other = make_task(world, code="T-BOUNCE", days_ago=20, due_in=-10)
    now = timezone.now()
    for n, (official, unit) in enumerate((("CG.STAFF", "HN.CG.VP"), ("CG.STAFF2", "HN.CG.VP"),
                                          (None, "HN.CG.DV"))):
        SignalRecord.objects.create(
            key=f"S3|{late.code}|{n}", code="S3", period=month_of(late.due),
            raised_on=late.due, subject_kind="task", subject=late.code, task=late,
            official=world.officials[official] if official else None,
            unit=world.units[unit], explanation="Quay lại", first_seen=now, last_seen=now)
    _stored_signal(world, code="S3", task=other, unit="HN.CG.VP", official="CG.STAFF")
    client = client_for(world.user("head"))
    board = client.get(reverse("accountability:dashboard"),
                       {"unit": "HN.CG", "period": month_of(late.due)}).context["board"]
    assert [(w.subject, w.bounces) for w in board.bounced] == [(late.code, 3),
                                                               (other.code, 1)]
    assert board.bounced_total == 2
    # stored without their events: who sent it back each time, not to whom
    assert [(r.sent_by, r.came_back_to) for r in board.bounced[0].returns] == [
        ("Lê Văn Cường (Văn phòng HĐND và UBND quận)", ""),
        ("Phạm Thị Dung (Văn phòng HĐND và UBND quận)", ""), ("UBND phường Dịch Vọng", "")]
    listed = client.get(reverse("accountability:signal_list"), {
        "unit": "HN.CG", "period": month_of(late.due), "code": "S3", "subject": late.code})
    assert listed.context["page"].paginator.count == 3


@pytest.mark.django_db
def test_the_cascade_number_opens_its_tasks_and_an_empty_view_says_so(world, client_for):
    from thuocdo.tasks import services as tasks

    directive = tasks.directive_create(code="24-CT/TU", title="Chỉ thị 24",
                                       issued_by=world.units["HN"],
                                       issued_on=timezone.localdate() - dt.timedelta(days=14))
    make_task(world, code="T-CT24", directive=directive)
    url = reverse("accountability:directive_cascade", kwargs={"code": directive.code})
    client = client_for(world.user("head"))
    response = client.get(url)
    row = next(r for r in response.context["rows"] if r.unit.code == "HN.CG")
    assert row.tasks == row.readable == 1
    link = (f"{reverse('accountability:cascade_tasks')}?directive=24-CT%2FTU&unit=HN.CG")
    assert link in unescape(response.content.decode())
    listed = client.get(link)
    assert [t.code for t in listed.context["page"].object_list] == ["T-CT24"]
    # staff read no unit below the city: no "0 units have not answered"
    response = client_for(world.user("staff")).get(url)
    assert response.context["rows"] == []
    assert "0 đơn vị cấp dưới chưa triển khai" not in response.content.decode()


@pytest.mark.django_db
def test_a_second_tab_is_told_the_signal_was_decided(world, client_for):
    """Deciding a signal another leader decided meanwhile says it was done, by whom and
    when, not that the caller may not decide."""
    from .helpers import overdue_signal

    signal = SignalRecord.objects.get(pk=overdue_signal(world)["pk"])
    services.signal_decide(signal=signal, user=world.user("deputy"), decision="confirm",
                           text="Không giải trình")
    response = client_for(world.user("head")).post(
        reverse("accountability:signal_act", kwargs={"pk": signal.pk, "action": "decide"}),
        {"text": "Vi phạm", "decision": "accept", "version": 1})
    assert response.status_code == 400
    said = " ".join(str(m) for m in response.context["messages"])
    assert "Trần Thị Bình" in said and timezone.localdate().strftime("%d/%m/%Y") in said


@pytest.mark.django_db
def test_the_month_field_shows_the_month_and_takes_mm_yyyy(world, client_for):
    client = client_for(world.user("head"))
    response = client.get(reverse("accountability:dashboard"))
    shown = f"{this_month()[5:]}/{this_month()[:4]}"  # MM/YYYY, in a text box
    assert response.context["form"]["period"].value() == shown
    assert 'placeholder="mm/yyyy"' in response.content.decode()
    assert 'type="month"' not in response.content.decode()
    for written in ("11/2026", "2026-11"):
        response = client.get(reverse("accountability:dashboard"), {"period": written})
        assert response.context["board"].period == "2026-11"
        assert response.context["form"]["period"].value() == "11/2026"
    response = client.get(reverse("accountability:dashboard"), {"period": "13/2026"})
    assert "period" in response.context["form"].errors
    # written right, of a year no record may have: said so, not "write it as MM/YYYY"
    response = client.get(reverse("accountability:dashboard"), {"period": "9999-12"})
    [error] = response.context["form"].errors["period"]
    assert "1900" in error and "2999" in error and "MM/YYYY" not in error


@pytest.mark.django_db
@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(("asked", "label"), [(False, "Deadline extended"),
                                              (True, "Extension granted")])
def test_a_late_grant_behind_a_signal_is_named_as_the_task_page_names_it(
        world, client_for, asked, label):
    """A deadline moved after it passed settles an S1; the signal's page names that grant
    as the task's timeline does: "Deadline extended" when nobody asked for it."""
    task = late_task(world)
    task = act(world, task, "accept", "CG.STAFF")
    if asked:
        task = act(world, task, "extension_request", "CG.STAFF",
                   new_due=(task.due + dt.timedelta(days=30)).isoformat(), reason="chờ số liệu")
    act(world, task, "extension_grant", "CG.HEAD",
        new_due=(task.due + dt.timedelta(days=30)).isoformat(), reason="chờ số liệu")
    signal = refresh_for(task)
    page = client_for(world.user("head")).get(
        reverse("accountability:signal_detail", kwargs={"pk": signal.pk}))
    grants = [e for e in page.context["evidence"] if e.event.kind == "extension_grant"]
    assert [e.label for e in grants] == [label]
    assert f"{label} —" in unescape(page.content.decode())

"""Fixes from a walk through the demo: Open311's numbers and dates out of range are 400s, not
500s; assigning a case never moves its reply deadline (a late case stays late); a dossier or
a case that cannot be rated shows why without the rating form; a receipt names the kind
that was sent."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.utils import timezone

from thuocdo.citizens import selectors, services
from thuocdo.citizens.models import Feedback
from thuocdo.core.errors import ServiceError
from thuocdo.core.scope import scope_for

from . import factories

pytestmark = pytest.mark.django_db


def _page(response) -> str:
    return html.unescape(response.content.decode())


def at(day: str, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(f"{day}T{hour:02d}:00"))


# -- Open311: numbers and dates out of range -------------------------------------------------

OPEN311_POST = {"service_code": "urban", "jurisdiction_id": "HN.CG",
                "description": "Ổ gà lớn trước số 5 phố Dịch Vọng Hậu."}


@pytest.mark.parametrize(("lat", "long", "name"), [
    ("1e30", "105", "lat"), ("21", "1e50", "long"), ("-1E+999999", "105", "lat"),
    ("21", "-1e30", "long"), ("90.0000001", "105", "lat"), ("21", "180.5", "long"),
    ("-91", "105", "lat"), ("NaN", "105", "lat"), ("21", "sNaN", "long"),
    ("Infinity", "105", "lat"), ("21", "1" * 40, "long"), ("21", "x", "long"),
])
def test_open311_degrees_out_of_range_are_a_400_in_the_error_shape(world, client, lat, long,
                                                                    name):
    response = client.post("/open311/v2/requests.json",
                           {**OPEN311_POST, "lat": lat, "long": long})
    assert response.status_code == 400
    [error] = response.json()
    assert set(error) == {"code", "description"} and error["code"] == 400
    limit = "90" if name == "lat" else "180"
    assert error["description"].startswith(name) and f"-{limit}" in error["description"]
    assert not Feedback.objects.exists()


@pytest.mark.parametrize(("lat", "long", "stored"), [
    ("90", "-180", ("90.000000", "-180.000000")),
    ("21.0285111", "105.8048", ("21.028511", "105.804800")),
    ("2.1e1", " 1.05E2 ", ("21.000000", "105.000000")),
])
def test_open311_degrees_at_and_within_the_limits_are_kept(world, client, lat, long, stored):
    response = client.post("/open311/v2/requests.json",
                           {**OPEN311_POST, "lat": lat, "long": long})
    assert response.status_code == 201
    case = Feedback.objects.get()
    assert (str(case.lat), str(case.long)) == stored


@pytest.mark.parametrize(("query", "name"), [
    ({"end_date": "0001-01-01T00:00:00+00:00"}, "end_date"),
    ({"start_date": "9999-12-31T23:59:59-05:00"}, "start_date"),
    ({"start_date": "0001-01-01T00:00:00+07:00", "end_date": "2026-01-01T00:00:00Z"},
     "start_date"),
    ({"end_date": "9999-12-31T23:59:59+00:00"}, "end_date"),
])
def test_open311_dates_out_of_range_are_a_400(world, client, query, name):
    """The refusal names the parameter that is wrong, and only it."""
    response = client.get("/open311/v2/requests.json", query)
    assert response.status_code == 400
    [error] = response.json()
    assert error["code"] == 400 and error["description"].startswith(f"{name} ")
    other = "end_date" if name == "start_date" else "start_date"
    assert other not in error["description"]


def test_open311_nul_characters_are_a_400_not_a_database_error(world, client):
    """PostgreSQL refuses NUL in text: before, a NUL in any parameter reached the database
    there (a 500)."""
    for response in (
        client.get("/open311/v2/requests.json", {"service_request_id": "PA\x00X"}),
        client.get("/open311/v2/requests.json", {"service_code": "urban\x00"}),
        client.post("/open311/v2/requests.json", {**OPEN311_POST, "jurisdiction_id": "HN\x00",
                                                  "address_string": "Số 5"}),
        client.post("/open311/v2/requests.json", {**OPEN311_POST, "address_string": "Số\x005"}),
        client.get("/open311/v2/requests/PA%00X.json"),
    ):
        assert response.status_code == 400, response.content
        assert response.json()[0]["code"] == 400
    assert not Feedback.objects.exists()


@pytest.mark.parametrize("url", [
    "/citizens/?received_from=0001-01-01", "/citizens/?received_to=9999-12-31",
    "/citizens/dossiers/?received_from=0001-01-01", "/citizens/dossiers/?received_to=9999-12-31",
    "/citizens/export.xlsx?received_to=9999-12-31",
    "/citizens/index/?start=0001-01-01&end=0001-12-31",
    "/citizens/index/?start=9999-01-01&end=9999-12-31",
])
def test_staff_filters_with_a_day_of_no_record_are_refused_on_the_field(world, client_for, url):
    """Days of year 1 or 9999 overflowed when turned into moments (a 500); like a month, a
    day is one of a year a record may have (`core.periods`)."""
    response = client_for(world.users["head"]).get(url, follow=True)  # an export: its list
    assert response.status_code in (200, 400)  # a list shows nothing, the index no index
    assert "1900" in _page(response) and "2999" in _page(response)


def test_an_apology_slip_with_a_new_date_of_no_record_is_refused(world):
    dossier = factories.dossier(world)
    with pytest.raises(ServiceError) as refused:
        services.dossier_apology(user=world.users["staff"], dossier=dossier,
                                 reason="Chờ ý kiến của Sở Xây dựng", new_date=dt.date(9999, 1, 1))
    assert refused.value.field == "new_date"
    assert not dossier.events.filter(kind="apology").exists()


# -- an assignment never moves the case's reply deadline -------------------------------------


def _late_case(world) -> Feedback:
    """A case of Cầu Giấy's office, received 30 days ago and never answered: overdue."""
    received = timezone.now() - dt.timedelta(days=30)
    feedback = factories.feedback(world, code="PA-LATE", submitted_at=received)
    assert feedback.overdue_on(timezone.localdate())
    return feedback


def _answered_on_time(world) -> Feedback:
    received = timezone.now() - dt.timedelta(days=30)
    feedback = factories.feedback(world, code="PA-ONTIME", submitted_at=received)
    return services.feedback_reply(user=world.users["head"], feedback=feedback,
                                   answer="Đã xử lý, trả lời công dân.",
                                   now=received + dt.timedelta(days=1))


def _index(world):
    today = timezone.localdate()
    return selectors.service_index(scope=scope_for(world.users["head"]),
                                   unit=world.units["HN.CG"],
                                   period_start=today - dt.timedelta(days=60), period_end=today)


def test_assigning_an_overdue_case_leaves_it_late_everywhere(world, client_for, client):
    """The walk: a leader gave an overdue case 60 working days; its reply deadline moved, the
    overdue tag went and "feedback handled on time" rose from 50% to 55.56%."""
    late, _on_time = _late_case(world), _answered_on_time(world)
    reply_due = late.reply_due
    before = _index(world)
    assert dict(before.rate_rows())["feedback_on_time"] == 50
    [open311_before] = client.get("/open311/v2/requests/PA-LATE.json").json()
    head = client_for(world.users["head"])

    refused = head.post("/citizens/feedback-act/assign/PA-LATE/",
                        {"assignee": "CG.STAFF", "workdays": "60"})
    assert refused.status_code == 400
    assert reply_due.strftime("%d/%m/%Y") in _page(refused)
    assert Feedback.objects.get(code="PA-LATE").assignee is None

    assert head.post("/citizens/feedback-act/assign/PA-LATE/",
                     {"assignee": "CG.STAFF", "workdays": ""}).status_code == 302
    late = Feedback.objects.get(code="PA-LATE")
    assert late.assignee.code == "CG.STAFF" and late.status == "assigned"
    assert late.reply_due == late.handling_due == reply_due
    assert late.overdue_on(timezone.localdate())
    page = _page(head.get("/citizens/feedback/PA-LATE/"))
    shown = page[page.index('id="reply-due"'):page.index('id="handling-due"')]
    assert reply_due.strftime("%d/%m/%Y") in shown and "Quá hạn" in shown
    inbox = head.get("/citizens/", {"overdue": "on"})
    assert "PA-LATE" in {f.code for f in inbox.context["page"]}
    assert _index(world).index == before.index
    [open311_after] = client.get("/open311/v2/requests/PA-LATE.json").json()
    assert open311_after["expected_datetime"] == open311_before["expected_datetime"]


def test_an_imported_assignment_keeps_the_reply_deadline_and_is_brought_back_to_it(world):
    """History (an official recorded as the actor, no user) is kept, but its date cannot
    pass the reply deadline either: what the walk's 60 working days did to the index."""
    late, _on_time = _late_case(world), _answered_on_time(world)
    reply_due, before = late.reply_due, _index(world)
    late = services.feedback_assign(user=None, actor=world.officials["CG.HEAD"], feedback=late,
                                    assignee=world.officials["CG.STAFF"], workdays=60)
    assert late.reply_due == late.handling_due == reply_due
    assert _index(world).index == before.index
    event = late.events.get(kind="assign")
    assert event.data == {"to_official": "CG.STAFF", "workdays": 60,
                          "handling_due": reply_due.isoformat()}


def test_a_case_not_yet_late_gets_a_handling_deadline_up_to_its_reply_deadline(world):
    feedback = factories.feedback(world, submitted_at=at("2026-10-01"))
    assert feedback.reply_due == dt.date(2026, 10, 15)
    with pytest.raises(ServiceError) as refused:
        services.feedback_assign(user=world.users["head"], feedback=feedback,
                                 assignee=world.officials["CG.STAFF"], workdays=10,
                                 now=at("2026-10-02"))
    message = refused.value.service_message
    assert refused.value.field == "workdays" and "15/10/2026" in message and "9" in message
    feedback = services.feedback_assign(user=world.users["head"], feedback=feedback,
                                        assignee=world.officials["CG.STAFF"], workdays=9,
                                        now=at("2026-10-02"))
    assert (feedback.reply_due, feedback.handling_due) == (dt.date(2026, 10, 15),
                                                           dt.date(2026, 10, 15))
    feedback = services.feedback_assign(user=world.users["head"], feedback=feedback,
                                        assignee=world.officials["CG.STAFF2"], workdays=3,
                                        now=at("2026-10-05"))
    assert (feedback.reply_due, feedback.handling_due) == (dt.date(2026, 10, 15),
                                                           dt.date(2026, 10, 8))
    # due today: only the reply deadline itself
    with pytest.raises(ServiceError) as today:
        services.feedback_assign(user=world.users["head"], feedback=feedback,
                                 assignee=world.officials["CG.STAFF"], workdays=1,
                                 now=at("2026-10-15"))
    assert "15/10/2026" in today.value.service_message
    # a forward gives the new unit a new reply deadline and no handling deadline
    feedback = services.feedback_forward(user=world.users["head"], feedback=feedback,
                                         to_unit=world.units["HN.CG.DV"], reason="Việc của phường",
                                         now=at("2026-10-06"))
    assert feedback.handling_due is None and feedback.reply_due == dt.date(2026, 10, 20)


def test_cases_assigned_before_the_rule_get_their_reply_deadline_back(world):
    """Migration 0003: the reply deadline from the log (submission, forward), the old
    assignment's date as the handling deadline, never after it; the log untouched."""
    import importlib

    from django.apps import apps

    from thuocdo.citizens.models import FeedbackEvent

    migration = importlib.import_module(
        "thuocdo.citizens.migrations.0003_feedback_handling_due")
    late, fine = _late_case(world), factories.feedback(world, submitted_at=at("2026-10-01"))
    expected = late.reply_due
    for feedback, workdays in ((late, 60), (fine, 3)):
        services.feedback_assign(user=None, actor=world.officials["CG.HEAD"], feedback=feedback,
                                 assignee=world.officials["CG.STAFF"], workdays=workdays,
                                 now=feedback.submitted_at + dt.timedelta(hours=2))
    # as the old code left them: the assignment's date written over the reply deadline
    old_late = late.reply_due + dt.timedelta(days=90)
    FeedbackEvent.objects.filter(feedback=late, kind="assign").update(
        data={"to_official": "CG.STAFF", "workdays": 60, "reply_due": old_late.isoformat()})
    Feedback.objects.filter(code="PA-LATE").update(reply_due=old_late, handling_due=None)
    Feedback.objects.filter(code="PA-CG").update(reply_due=dt.date(2026, 10, 6),
                                                 handling_due=None)
    hashes = list(FeedbackEvent.objects.order_by("pk").values_list("hash", flat=True))
    migration.split_deadlines(apps, None)
    late, fine = Feedback.objects.get(code="PA-LATE"), Feedback.objects.get(code="PA-CG")
    assert late.reply_due == late.handling_due == expected
    assert late.reply_due < old_late
    assert (fine.reply_due, fine.handling_due) == (dt.date(2026, 10, 15), dt.date(2026, 10, 6))
    assert list(FeedbackEvent.objects.order_by("pk").values_list("hash", flat=True)) == hashes


def test_the_deadlines_migration_names_at_most_a_chunk_of_ids_per_query(world, monkeypatch):
    """Migration 0003 reads and writes the assigned cases a chunk at a time (SQLite refuses
    more variables than its build allows): with a chunk of 2, five cases are all given
    their reply deadline back, and no query names more than 2 ids."""
    import importlib
    import re

    from django.apps import apps
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from thuocdo.citizens.models import FeedbackEvent

    migration = importlib.import_module(
        "thuocdo.citizens.migrations.0003_feedback_handling_due")
    monkeypatch.setattr(migration, "CHUNK", 2)
    expected = {}
    for n in range(5):
        feedback = factories.feedback(world, code=f"PA-{n}", submitted_at=at("2026-10-01"))
        services.feedback_assign(user=None, actor=world.officials["CG.HEAD"],
                                 feedback=feedback, assignee=world.officials["CG.STAFF"],
                                 workdays=3, now=feedback.submitted_at + dt.timedelta(hours=2))
        feedback.refresh_from_db()
        expected[feedback.code] = (feedback.reply_due, feedback.handling_due)
    old = dt.date(2027, 1, 4)  # as the old code left them: the assignment's date over it
    FeedbackEvent.objects.filter(kind="assign").update(
        data={"to_official": "CG.STAFF", "workdays": 3, "reply_due": "2026-10-06"})
    Feedback.objects.update(reply_due=old, handling_due=None)
    with CaptureQueriesContext(connection) as queries:
        migration.split_deadlines(apps, None)
    assert dict(Feedback.objects.values_list("code", "reply_due")) == {
        code: reply_due for code, (reply_due, _handling) in expected.items()}
    assert set(Feedback.objects.values_list("handling_due", flat=True)) == {
        dt.date(2026, 10, 6)}
    ids = [len(re.findall(r"\d+", m)) for q in queries.captured_queries
           for m in re.findall(r'"(?:feedback_id|id)" IN \(([^()]*)\)', q["sql"])]
    assert ids and max(ids) <= 2


# -- a rating refused shows why, without the form --------------------------------------------

DOSSIER_RATE = "/phan-anh/ho-so/danh-gia/"


def _returned_dossier(world):
    dossier = factories.dossier(world, received_at=at("2026-10-01"))
    for _step in range(2):
        dossier = services.dossier_move(user=world.users["head"], dossier=dossier,
                                        at=at("2026-10-02"))
    return services.dossier_return_result(user=world.users["head"], dossier=dossier,
                                          at=at("2026-10-05"))


def _no_rating_form(page: str) -> None:
    assert 'name="rating"' not in page and "Gửi đánh giá" not in page
    assert 'id="rate-refusal"' in page


@pytest.mark.parametrize("rating", ["satisfied", ""])
def test_rating_a_dossier_again_says_so_without_the_form(world, client, rating):
    dossier = _returned_dossier(world)
    first = client.post(DOSSIER_RATE, {"code": dossier.code, "key": factories.KEY,
                                       "rating": "neutral"})
    assert first.status_code == 200 and 'name="rating"' not in _page(first)
    again = client.post(DOSSIER_RATE, {"code": dossier.code, "key": factories.KEY,
                                       "rating": rating})
    assert again.status_code == 400
    page = _page(again)
    _no_rating_form(page)
    assert "Hồ sơ này đã được đánh giá." in page
    assert 'href="/phan-anh/ho-so/"' in page  # the way to look up another dossier
    assert dossier.events.filter(kind="rate").count() == 1


def test_rating_a_dossier_not_returned_says_so_without_the_form(world, client):
    dossier = factories.dossier(world)
    response = client.post(DOSSIER_RATE, {"code": dossier.code, "key": factories.KEY,
                                          "rating": "satisfied"})
    assert response.status_code == 400
    page = _page(response)
    _no_rating_form(page)
    assert "Người nộp hồ sơ chỉ đánh giá hồ sơ sau khi đã được trả kết quả." in page


def test_a_rating_not_chosen_keeps_the_form_with_its_error(world, client):
    dossier = _returned_dossier(world)
    response = client.post(DOSSIER_RATE, {"code": dossier.code, "key": factories.KEY})
    assert response.status_code == 400
    page = _page(response)
    assert 'name="rating"' in page and 'id="rate-refusal"' not in page


def test_rating_a_case_again_says_so_without_the_form(world, client, settings):
    """Another rating is refused, naming the case as every sentence does (its kind's noun,
    not "vụ việc")."""
    settings.LANGUAGE_CODE = "en"
    feedback = factories.feedback(world)
    services.feedback_reply(user=world.users["head"], feedback=feedback,
                            answer="Đã xử lý xong, trả lời công dân.")
    services.feedback_close(user=world.users["head"], feedback=feedback)
    data = {"code": feedback.code, "key": factories.KEY, "rating": "satisfied"}
    assert client.post("/phan-anh/danh-gia/", data).status_code == 200
    again = client.post("/phan-anh/danh-gia/", {**data, "rating": "unsatisfied"})
    assert again.status_code == 400
    page = _page(again)
    assert 'name="rating"' not in page and 'id="rate-refusal"' in page
    feedback.refresh_from_db()
    assert feedback.rating == "satisfied"
    assert "This feedback has already been rated." in page
    assert str(services.feedback_rate_refusal(feedback).service_message) in page


def test_a_reloaded_rating_is_thanked_for_again(world, client, settings):
    """Reloading the page that thanked for a rating sends the same POST again (the page
    opens by code and key sent by POST, so there is no redirect to reload instead): the
    same rating is thanked for again, not refused; the rating recorded stays one."""
    settings.LANGUAGE_CODE = "en"
    feedback = factories.feedback(world)
    services.feedback_reply(user=world.users["head"], feedback=feedback,
                            answer="Đã xử lý xong, trả lời công dân.")
    services.feedback_close(user=world.users["head"], feedback=feedback)
    dossier = _returned_dossier(world)
    for url, record in (("/phan-anh/danh-gia/", feedback), (DOSSIER_RATE, dossier)):
        data = {"code": record.code, "key": factories.KEY, "rating": "neutral"}
        first = client.post(url, data)
        assert first.status_code == 200
        reloaded = client.post(url, data)
        page = _page(reloaded)
        assert reloaded.status_code == 200, page
        assert 'id="rate-thanks"' in page and "Thank you for your rating." in page
        assert 'id="rate-refusal"' not in page and 'name="rating"' not in page
        assert record.events.filter(kind="rate").count() == 1


# -- a receipt names the kind that was sent --------------------------------------------------


def test_every_kind_has_its_receipt_texts():
    from thuocdo.citizens.choices import (
        CASE_NOUNS,
        CASE_TITLES,
        RECEIPT_TITLES,
        RECEIVED_HEADINGS,
        FeedbackKind,
    )

    for texts in (RECEIVED_HEADINGS, RECEIPT_TITLES, CASE_TITLES, CASE_NOUNS):
        assert set(texts) == set(FeedbackKind.values)
        assert len({str(t) for t in texts.values()}) == len(texts)


def test_a_complaint_s_receipts_and_page_say_complaint(world, client, client_for):
    response = client.post("/phan-anh/", {
        "kind": "complaint", "category": "conduct", "unit": "HN.CG.VP", "official": "CG.STAFF",
        "text": "Cán bộ tiếp nhận hồ sơ gây khó khăn, yêu cầu giấy tờ không có trong quy định.",
        "contact": "0911111111", "website": ""}, follow=True)
    page = _page(response)
    complaint = Feedback.objects.get()
    assert complaint.kind == "complaint"
    heading = page[page.index('id="received-heading"'):]
    heading = heading[heading.index(">") + 1:heading.index("</h1>")]
    assert heading == complaint.received_heading != "Phản ánh, kiến nghị của bạn đã được tiếp nhận"
    assert "Khiếu nại" in page[page.index('id="kind"'):]
    assert "<title>" + complaint.received_heading in page.replace("\n", "")
    key = page.split('id="access-key">')[1].split("<")[0]
    case = _page(client.post("/phan-anh/tra-cuu/", {"code": complaint.code, "key": key}))
    assert f'id="case-heading">{complaint.public_title}<' in case
    assert complaint.public_title != f"Phản ánh, kiến nghị {complaint.code}"
    staff = _page(client_for(world.users["head"]).get(
        f"/citizens/feedback-receipt/{complaint.code}/"))
    assert f'id="receipt-heading">{complaint.receipt_title}<' in staff
    assert complaint.receipt_title != "Giấy tiếp nhận phản ánh, kiến nghị"


def test_feedback_s_receipt_still_says_feedback(world, client):
    page = _page(client.post("/phan-anh/", {
        "kind": "feedback", "category": "urban", "unit": "HN.CG.DV",
        "text": "Đèn đường ngõ 12 phố Trần Thái Tông bị hỏng hai tuần nay.", "website": ""},
        follow=True))
    assert 'id="received-heading">Phản ánh, kiến nghị của bạn đã được tiếp nhận<' in page


# -- an apology slip's new date is a working day --------------------------------------------


def _sunday_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(6 - day.weekday()) or 7)


def test_an_apology_slip_on_a_day_off_is_refused_naming_the_next_working_day(world, settings):
    """The applicant comes back on the new date: a Sunday is refused, as a task's deadline
    on a day off is (THUOCDO_DEADLINE_ON_DAY_OFF, "refuse" by default), with the day, why
    it is off and the next working day; nothing written. The Monday after is taken."""
    settings.THUOCDO_DEADLINE_ON_DAY_OFF = "refuse"
    dossier = factories.dossier(world)
    sunday = _sunday_after(dossier.due_in_force)
    with pytest.raises(ServiceError) as refused:
        services.dossier_apology(user=world.users["staff"], dossier=dossier,
                                 reason="Chờ ý kiến của Sở Xây dựng", new_date=sunday)
    assert (refused.value.field, refused.value.service_code) == ("new_date", "new_date_day_off")
    message = str(refused.value)
    assert sunday.strftime("%d/%m/%Y") in message and "Chủ nhật" in message
    monday = sunday + dt.timedelta(days=1)
    assert f"ngày làm việc kế tiếp: {monday.strftime('%d/%m/%Y')}" in message
    assert not dossier.events.filter(kind="apology").exists()
    dossier.refresh_from_db()
    assert dossier.apology_date is None
    services.dossier_apology(user=world.users["staff"], dossier=dossier,
                             reason="Chờ ý kiến của Sở Xây dựng", new_date=monday)
    dossier.refresh_from_db()
    assert dossier.apology_date == monday


def test_an_apology_slip_on_a_day_off_is_kept_when_accepted_or_imported(world, settings):
    """THUOCDO_DEADLINE_ON_DAY_OFF=accept takes it; a slip of an imported history keeps
    its day whatever the setting: it records what happened elsewhere."""
    settings.THUOCDO_DEADLINE_ON_DAY_OFF = "accept"
    dossier = factories.dossier(world)
    sunday = _sunday_after(dossier.due_in_force)
    services.dossier_apology(user=world.users["staff"], dossier=dossier,
                             reason="Chờ ý kiến của Sở Xây dựng", new_date=sunday)
    settings.THUOCDO_DEADLINE_ON_DAY_OFF = "refuse"
    other = factories.dossier(world, code="D-CG2")
    services.dossier_apology(user=world.users["staff"], dossier=other, history=True,
                             reason="Chờ ý kiến của Sở Xây dựng",
                             new_date=_sunday_after(other.due_in_force))
    assert other.events.filter(kind="apology").count() == 1


def test_the_apology_form_says_a_day_off_beside_the_new_date(world, client_for, settings):
    settings.THUOCDO_DEADLINE_ON_DAY_OFF = "refuse"
    dossier = factories.dossier(world)
    sunday = _sunday_after(dossier.due_in_force)
    response = client_for(world.users["staff"]).post(
        f"/citizens/dossier-act/apology/{dossier.code}/",
        {"reason": "Chờ ý kiến của Sở Xây dựng", "new_date": sunday.strftime("%d/%m/%Y")})
    assert response.status_code == 400
    content = _page(response)
    assert 'id="apology-new_date_error"' in content
    assert f"{sunday.strftime('%d/%m/%Y')} là ngày nghỉ" in content
    assert not dossier.events.filter(kind="apology").exists()


def test_a_short_reason_and_a_day_off_are_said_together(world, client_for, settings):
    """The day off was said only once the reason was long enough: two rounds."""
    settings.THUOCDO_DEADLINE_ON_DAY_OFF = "refuse"
    dossier = factories.dossier(world)
    sunday = _sunday_after(dossier.due_in_force)
    with pytest.raises(ServiceError) as refused:
        services.dossier_apology(user=world.users["staff"], dossier=dossier, reason="x",
                                 new_date=sunday)
    assert [p.field for p in refused.value.problems] == ["reason", "new_date"]
    response = client_for(world.users["staff"]).post(
        f"/citizens/dossier-act/apology/{dossier.code}/",
        {"reason": "x", "new_date": sunday.strftime("%d/%m/%Y")})
    assert response.status_code == 400
    content = _page(response)
    assert 'id="apology-reason_error"' in content and 'id="apology-new_date_error"' in content
    assert not dossier.events.filter(kind="apology").exists()

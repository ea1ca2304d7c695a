"""S14 and S15 recorded by hand: who records them (an inspector or the board within their
grants, an administrator), what is required (an error names its field and writes nothing),
how they are stored (open, the month of their day, a key no computation makes) and
answered (the same steps as the computed ones), that recomputing never touches them, the
form and its button on the signal list, and the link from a confirmed S14 to the
evaluations' KHT ground."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from thuocdo.accountability import services
from thuocdo.accountability.jobs import refresh_signals
from thuocdo.accountability.models import SignalRecord, SignalStep
from thuocdo.core.errors import PermissionDeniedError, ServiceError
from thuocdo.core.models import AuditEntry
from thuocdo.measure.history import local_day
from thuocdo.notifications.models import Notification

from .helpers import late_task, let_due_day_pass, month_of, refresh_for

TEXT = "Kết luận thanh tra số 12/KL-TTr ngày 02/11: nhận quà của doanh nghiệp"


def _today() -> dt.date:
    return local_day(timezone.now())


def _record(world, role="inspector", **changes):
    values = {"user": world.user(role), "code": "S14", "official": world.officials["CG.STAFF"],
              "on": _today(), "text": TEXT}
    values.update(changes)
    return services.signal_record(**values)


def _written() -> tuple[int, int, int]:
    return (SignalRecord.objects.count(), SignalStep.objects.count(),
            AuditEntry.objects.filter(action="signal_record").count())


# -- the service -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_inspector_records_an_s14_stored_open_in_the_month_of_its_day(world):
    day = _today().replace(day=1)
    signal = _record(world, on=day)
    assert (signal.code, signal.period, signal.raised_on) == ("S14", month_of(day), day)
    assert signal.status == "open" and signal.present
    assert signal.official == world.officials["CG.STAFF"]
    assert signal.unit == world.units["HN.CG.VP"]  # the official's unit on that day
    assert (signal.subject_kind, signal.subject, signal.task) == ("person", "", None)
    assert signal.explanation == TEXT and signal.events == []
    assert "manual:" in signal.key
    [step] = signal.steps.all()
    assert (step.action, step.by, step.text) == ("record", world.user("inspector"), TEXT)
    audit = AuditEntry.objects.get(action="signal_record", object_code=signal.key)
    assert (audit.actor, audit.reason) == (world.user("inspector"), TEXT)
    assert audit.changes["official"] == "CG.STAFF"
    told = Notification.objects.get(kind="signal", recipient=world.officials["CG.STAFF"])
    assert told.url == signal.get_absolute_url()


@pytest.mark.django_db
def test_the_board_records_an_s15_about_a_task_in_a_unit_it_chooses(world):
    from thuocdo.tasks.tests.api_routes import make_task

    task = make_task(world, code="T-SK", unit="HN.CG.VP", lead="CG.STAFF", days_ago=3,
                     due_in=10)
    signal = _record(world, "board", code="S15", task=task, unit=world.units["HN.CG.VP"],
                     text="Đăng ký sáng kiến: liên thông hồ sơ đất đai")
    assert (signal.code, signal.subject_kind, signal.subject, signal.task) == (
        "S15", "task", "T-SK", task)
    assert signal.steps.get().by == world.user("board")


@pytest.mark.django_db
def test_an_s15_about_a_task_names_its_lead_official_service_page_and_api(world, client_for):
    """docs/scoring.md, S15: protection applies only when the task's lead official is the
    one named. An S15 naming another official (CG.STAFF2, who neither leads nor holds
    T-SK) is refused on the task, naming its lead, by the service, the form and the API,
    and nothing is written; an S14 about the same task is not concerned."""
    from django.utils import translation

    from thuocdo.tasks.tests.api_routes import make_task

    task = make_task(world, code="T-SK", unit="HN.CG.VP", lead="CG.STAFF", days_ago=3,
                     due_in=10)
    other = world.officials["CG.STAFF2"]
    assert task.lead_official != other and task.holder_official != other
    before = _written()
    with translation.override("en"), pytest.raises(ServiceError) as refused:
        _record(world, code="S15", task=task, official=other, text="Sáng kiến")
    assert (refused.value.service_code, refused.value.field) == ("not_task_lead", "task")
    assert "T-SK is led by Lê Văn Cường (CG.STAFF)" in refused.value.service_message
    assert _written() == before
    page = client_for(world.user("inspector")).post(reverse("accountability:signal_record"), {
        "code": "S15", "official": "cg.staff2", "on": _today().isoformat(), "task": "T-SK",
        "text": "Sáng kiến"})
    assert page.status_code == 400
    assert list(page.context["form"].errors) == ["task"]
    assert "CG.STAFF" in page.context["form"].errors["task"][0]
    api = client_for(world.user("board")).post(
        reverse("api:signal-list"), {"code": "S15", "official": "CG.STAFF2", "task": "T-SK",
                                     "on": _today().isoformat(), "text": "Sáng kiến"},
        content_type="application/json")
    assert api.status_code == 400 and api.json()["code"] == "not_task_lead"
    assert list(api.json()["errors"]) == ["task"]
    assert _written() == before
    assert _record(world, task=task, official=other).task == task  # an S14: no such rule


@pytest.mark.django_db
def test_an_administrator_records_anywhere(world):
    signal = _record(world, "admin", official=world.officials["BD.STAFF"])
    assert signal.unit == world.units["HN.BD.VP"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["head", "deputy", "staff", "outsider"])
def test_leaders_and_staff_do_not_record(world, role):
    before = _written()
    with pytest.raises(PermissionDeniedError) as refused:
        _record(world, role)
    assert refused.value.service_code == "cannot_record"
    assert not services.may_record(world.user(role))
    assert _written() == before


@pytest.mark.django_db
def test_an_inspector_records_only_within_the_units_granted(world):
    before = _written()
    with pytest.raises(ServiceError) as refused:
        _record(world, official=world.officials["BD.STAFF"])
    assert (refused.value.service_code, refused.value.field) == ("official_out_of_scope",
                                                                 "official")
    with pytest.raises(ServiceError) as refused:
        _record(world, unit=world.units["HN.BD.VP"])
    assert (refused.value.service_code, refused.value.field) == ("unit_out_of_scope", "unit")
    assert _written() == before
    assert set(services.recording_units(world.user("inspector"))
               .values_list("code", flat=True)) == {"HN.CG", "HN.CG.VP", "HN.CG.DV"}


@pytest.mark.django_db
@pytest.mark.parametrize(("changes", "code", "field"), [
    ({"code": "S1"}, "not_manual", "code"),
    ({"official": None}, "official_required", "official"),
    ({"on": None}, "bad_date", "on"),
    ({"on": "2026-11-02"}, "bad_date", "on"),
    ({"text": "   "}, "text_required", "text"),
    ({"text": "x" * 4001}, "text_too_long", "text"),
])
def test_what_is_missing_or_wrong_is_named_and_nothing_is_written(world, changes, code,
                                                                  field):
    before = _written()
    with pytest.raises(ServiceError) as refused:
        _record(world, **changes)
    assert (refused.value.service_code, refused.value.field) == (code, field)
    assert refused.value.service_message
    assert _written() == before


@pytest.mark.django_db
def test_a_day_to_come_a_day_before_service_and_a_unit_never_belonged_to_are_refused(world):
    before = _written()
    with pytest.raises(ServiceError) as refused:
        _record(world, on=_today() + dt.timedelta(days=1))
    assert (refused.value.service_code, refused.value.field) == ("date_in_future", "on")
    with pytest.raises(ServiceError) as refused:  # the world's officials serve since 2025
        _record(world, on=dt.date(1990, 1, 1))
    assert (refused.value.service_code, refused.value.field) == ("date_before_service", "on")
    assert "01/01/2025" in refused.value.service_message
    with pytest.raises(ServiceError) as refused:
        _record(world, unit=world.units["HN.CG.DV"])
    assert (refused.value.service_code, refused.value.field) == ("not_a_member", "unit")
    assert _written() == before


@pytest.mark.django_db
def test_the_same_record_twice_is_refused(world):
    _record(world)
    with pytest.raises(ServiceError) as refused:
        _record(world, "board")
    assert refused.value.service_code == "already_recorded"
    assert SignalRecord.objects.count() == 1
    # another record the same day, with its own text, is another signal
    _record(world, text=TEXT + " (lần 2)")
    assert SignalRecord.objects.count() == 2


@pytest.mark.django_db
def test_a_recorded_signal_is_answered_as_the_computed_ones(world):
    signal = _record(world)
    head, staff = world.user("head"), world.user("staff")
    assert services.can_request(head, signal) and not services.can_request(staff, signal)
    services.signal_request_explanation(signal=signal, user=head, text="Đề nghị giải trình")
    services.signal_explain(signal=signal, user=staff, text="Đó là quà sinh nhật")
    services.signal_decide(signal=signal, user=head, decision="confirm", text="Vi phạm")
    assert signal.status == "confirmed"
    assert list(signal.steps.values_list("action", "by__email")) == [
        ("record", "inspector@example.vn"), ("request", head.email),
        ("explain", staff.email), ("confirm", head.email)]
    assert list(AuditEntry.objects.filter(object_type="signal", object_code=signal.key)
                .order_by("pk").values_list("action", flat=True)) == [
        "signal_record", "signal_request", "signal_explain", "signal_confirm"]


# -- recomputing -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_recomputing_never_deletes_reopens_duplicates_nor_hides_a_recorded_signal(world):
    """The month's computed signals (an S1 here) come and go with the log; the S14 and S15
    recorded by hand stay as they are, whatever their status, through the command's refresh
    and the nightly job, run again and again."""
    late = late_task(world)
    period = month_of(late.due)
    on = late.due
    confirmed = _record(world, on=on)
    services.signal_request_explanation(signal=confirmed, user=world.user("head"), text="?")
    let_due_day_pass(confirmed)
    services.signal_decide(signal=confirmed, user=world.user("head"), decision="confirm",
                           text="Vi phạm")
    open_one = _record(world, "board", code="S15", on=on, text="Sáng kiến")
    kept = {s.pk: (s.key, s.status, s.explanation, s.present, s.version)
            for s in SignalRecord.objects.filter(pk__in=[confirmed.pk, open_one.pk])}
    s1 = refresh_for(late)  # computes the month: the S1 is stored next to them
    for _ in range(2):
        result = services.signals_refresh(period=period, as_of=timezone.now())
        assert result.gone == 0
    refresh_signals.call()
    assert SignalRecord.objects.filter(code__in=["S14", "S15"]).count() == 2
    assert {s.pk: (s.key, s.status, s.explanation, s.present, s.version)
            for s in SignalRecord.objects.filter(pk__in=list(kept))} == kept
    assert SignalRecord.objects.filter(pk=s1.pk, present=True).exists()


# -- the pages ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "shown"), [("admin", True), ("board", True),
                                             ("inspector", True), ("head", False),
                                             ("staff", False)])
def test_the_button_on_the_signal_list_is_for_those_who_record(world, client_for, role,
                                                               shown):
    page = client_for(world.user(role)).get(reverse("accountability:signal_list"))
    assert page.status_code == 200
    assert (reverse("accountability:signal_record") in page.content.decode()) is shown


@pytest.mark.django_db
def test_the_form_records_with_an_official_typed_in_any_case(world, client_for):
    client = client_for(world.user("inspector"))
    form = client.get(reverse("accountability:signal_record"))
    assert form.status_code == 200 and form.context["form"]["on"].value() == _today()
    sent = client.post(reverse("accountability:signal_record"), {
        "code": "S14", "official": "cg.staff", "on": _today().isoformat(), "text": TEXT})
    signal = SignalRecord.objects.get(code="S14")
    assert sent.status_code == 302 and sent.url == signal.get_absolute_url()
    assert signal.official == world.officials["CG.STAFF"]
    page = client.get(sent.url)
    assert TEXT in page.content.decode()
    listed = client.get(reverse("accountability:signal_list"), {"code": "S14"})
    assert list(listed.context["page"].object_list) == [signal]


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "fields"), [
    ({}, {"code", "official", "on", "text"}),
    ({"code": "S1", "official": "NOPE", "on": "31/02/2026", "text": "x"},
     {"code", "official", "on"}),
    ({"official": "BD.STAFF"}, {"official"}),  # not an official the inspector can see
    ({"task": "NOPE"}, {"task"}),
    ({"unit": "HN.BD"}, {"unit"}),
    ({"unit": "HN.CG.DV"}, {"unit"}),  # never a member there: the service says so
    ({"on": "2999-01-01"}, {"on"}),
])
def test_the_form_names_each_field_in_error_and_writes_nothing(world, client_for, data,
                                                                fields):
    full = {"code": "S14", "official": "CG.STAFF", "on": _today().isoformat(), "text": TEXT}
    if data:
        full.update(data)
    else:
        full = {}
    before = _written()
    page = client_for(world.user("inspector")).post(reverse("accountability:signal_record"),
                                                    full)
    assert page.status_code == 400
    assert set(page.context["form"].errors) == fields
    for field in fields:
        assert all(page.context["form"].errors[field])
    assert _written() == before


@pytest.mark.django_db
def test_others_get_403_on_the_form(world, client_for):
    for role in ("head", "deputy", "staff", "outsider"):
        client = client_for(world.user(role))
        assert client.get(reverse("accountability:signal_record")).status_code == 403
        assert client.post(reverse("accountability:signal_record"), {
            "code": "S14", "official": "CG.STAFF", "on": _today().isoformat(),
            "text": TEXT}).status_code == 403
    assert SignalRecord.objects.count() == 0


# -- the KHT ground link -----------------------------------------------------------------------


def _confirmed_s14(world, text=TEXT):
    signal = _record(world, text=text)
    services.signal_request_explanation(signal=signal, user=world.user("head"), text="?")
    let_due_day_pass(signal)
    services.signal_decide(signal=signal, user=world.user("head"), decision="confirm",
                           text="Vi phạm")
    return signal


@pytest.mark.django_db
def test_an_s14_page_says_what_it_does_to_the_grade_and_links_to_no_ground_form(
        world, client_for):
    """A confirmed S14 makes its official's grade KHT by itself (evaluations reads the
    record): its page says so, from its day on, to whoever reads it, and no longer sends
    the board to record a ground; before the decision it says what a confirmation would
    do; an S14 whose explanation was accepted, or an S15, says nothing of the grade."""
    signal = _confirmed_s14(world)
    for role in ("board", "admin", "head", "inspector", "staff"):
        page = client_for(world.user(role)).get(signal.get_absolute_url())
        assert page.status_code == 200
        assert page.context["kht"] == "confirmed"
        assert "?kind=signal" not in page.content.decode(), "no link to record a ground"
    pending = _record(world, text="Khác")
    assert client_for(world.user("head")).get(pending.get_absolute_url()).context["kht"] == \
        "pending"
    SignalRecord.objects.filter(pk=pending.pk).update(status="accepted")
    assert client_for(world.user("head")).get(pending.get_absolute_url()).context["kht"] == ""
    s15 = _record(world, code="S15", text="Sáng kiến")
    assert client_for(world.user("head")).get(s15.get_absolute_url()).context["kht"] == ""


# -- the API -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_records_and_names_the_field_in_error(world, client_for):
    client = client_for(world.user("board"))
    url = reverse("api:signal-list")
    made = client.post(url, {"code": "S15", "official": "cg.staff",
                             "on": _today().isoformat(), "text": "Sáng kiến"},
                       content_type="application/json")
    assert made.status_code == 201
    body = made.json()
    assert (body["code"], body["official"], body["status"]) == ("S15", "CG.STAFF", "open")
    assert [s["action"] for s in body["steps"]] == ["record"]
    assert made["Location"] == reverse("api:signal-detail", kwargs={"signal_id": body["id"]})
    refused = client.post(url, {"code": "S15", "official": "NOPE",
                                "on": _today().isoformat(), "text": "x"},
                          content_type="application/json")
    assert refused.status_code == 400 and refused.json()["code"] == "unknown_official"
    assert list(refused.json()["errors"]) == ["official"]
    assert SignalRecord.objects.count() == 1


# -- the protected initiative (S15) -------------------------------------------------------------


def _decided_s15(world, decision: str, text: str = "Sáng kiến: liên thông hồ sơ đất đai"):
    signal = _record(world, code="S15", text=text)
    services.signal_request_explanation(signal=signal, user=world.user("head"),
                                        text="Báo cáo kết quả sáng kiến")
    services.signal_explain(signal=signal, user=world.user("staff"),
                            text="Chưa thành công do thay đổi quy định")
    services.signal_decide(signal=signal, user=world.user("head"), decision=decision,
                           text="Động cơ trong sáng" if decision == "accept" else "Vụ lợi")
    return signal


@pytest.mark.django_db
@pytest.mark.parametrize(("decision", "status", "title"), [
    ("accept", "Protected: motives sound", "Initiative protected: S15"),
    ("confirm", "Not protected: motives not sound", "Initiative not protected: S15"),
])
def test_an_s15_is_decided_as_protected_or_not_never_as_a_breach(world, decision, status,
                                                                  title):
    from django.utils import translation

    from thuocdo.accountability.choices import is_breach

    with translation.override("en"):
        signal = _decided_s15(world, decision)
        assert signal.get_status_display() == status
        assert signal.steps.order_by("at", "pk").last().get_action_display() == status
        told = Notification.objects.filter(kind="signal", recipient=world.officials["CG.STAFF"],
                                           title__startswith="Initiative").get()
        assert told.title.startswith(title)
        # an S14 keeps the words of a breach
        s14 = _confirmed_s14(world)
        assert s14.get_status_display() == "Breach confirmed"
    assert not is_breach(signal.code, signal.status) and is_breach(s14.code, s14.status)


@pytest.mark.django_db
def test_the_page_of_an_s15_offers_to_protect_it_and_of_an_s14_to_confirm(world, client_for):
    from django.utils import translation

    s15 = _record(world, code="S15", text="Sáng kiến")
    s14 = _record(world, text="Khác")
    head = client_for(world.user("head"))
    for signal in (s15, s14):
        services.signal_request_explanation(signal=signal, user=world.user("head"), text="?")
        services.signal_explain(signal=signal, user=world.user("staff"), text="Trả lời")
    with translation.override("vi"):  # the language the pages are served in
        protect = translation.gettext("Protect the initiative: the motives were sound, its "
                                      "failure is not held against the person")
        confirm = translation.gettext("Confirm the breach")
    pages = [head.get(s.get_absolute_url()).content.decode() for s in (s15, s14)]
    assert protect in pages[0] and confirm not in pages[0]
    assert confirm in pages[1] and protect not in pages[1]
    # the decision posted from the S15's page is recorded as protected
    page = head.post(reverse("accountability:signal_act", args=[s15.pk, "decide"]),
                     {"decision": "accept", "text": "Động cơ trong sáng",
                      "version": SignalRecord.objects.get(pk=s15.pk).version}, follow=True)
    assert page.status_code == 200
    assert SignalRecord.objects.get(pk=s15.pk).status == "accepted"


@pytest.mark.django_db
def test_the_card_lists_breaches_and_protected_initiatives_only(world):
    from types import SimpleNamespace

    from thuocdo.evaluations.selectors import card_signals

    protected = _decided_s15(world, "accept", "Sáng kiến A")
    _decided_s15(world, "confirm", "Sáng kiến B")  # not protected: neither
    breach = _confirmed_s14(world)
    accepted = _record(world, text="Khác")
    services.signal_request_explanation(signal=accepted, user=world.user("head"), text="?")
    services.signal_explain(signal=accepted, user=world.user("staff"), text="Trả lời")
    services.signal_decide(signal=accepted, user=world.user("head"), decision="accept",
                           text="Chấp nhận")
    card = SimpleNamespace(period=SimpleNamespace(label=breach.period),
                           official_id=world.officials["CG.STAFF"].pk)
    # breaches first, then the initiatives protected
    assert card_signals(card=card) == [breach, protected]


@pytest.mark.django_db
def test_a_day_that_is_none_is_called_so_as_on_every_other_form(world, client_for):
    """31/02/2026 is written as dd/mm/yyyy: the form says it is no real day, in the words
    of the shared day field (`core.forms.DayField`), not to write it as it was written."""
    page = client_for(world.user("inspector")).post(reverse("accountability:signal_record"), {
        "code": "S14", "official": "CG.STAFF", "on": "31/02/2026", "text": TEXT})
    assert page.status_code == 400
    assert page.context["form"].errors["on"] == [
        "Nhập một ngày có thật, theo dạng dd/mm/yyyy."]


# -- withdrawing a record made by mistake ------------------------------------------------


@pytest.mark.django_db
def test_a_record_made_by_mistake_is_withdrawn_with_its_reason_and_counts_nowhere(world):
    """Found by a walk: a mistaken S14 could only be "accepted" by a leader, which records
    a false "no breach". Whoever may record it withdraws it before it is decided: listed as
    withdrawn, with the step, the audit entry and the official told; no decision after."""
    from thuocdo.accountability.choices import SignalStatus, StepAction
    from thuocdo.evaluations.adapters import signal_grounds

    signal = _record(world)
    services.signal_request_explanation(signal=signal, user=world.user("head"),
                                        text="Đề nghị giải trình")
    told = Notification.objects.count()
    with pytest.raises(ServiceError) as refused:
        services.signal_withdraw(signal=signal, user=world.user("inspector"), text="  ")
    assert refused.value.service_code == "text_required"
    services.signal_withdraw(signal=signal, user=world.user("inspector"),
                             text="Ghi nhầm người: kết luận nói về CG.STAFF2")
    signal.refresh_from_db()
    assert signal.status == SignalStatus.WITHDRAWN
    step = signal.steps.order_by("at", "pk").last()
    assert (step.action, step.by, step.text) == (
        StepAction.WITHDRAW, world.user("inspector"), "Ghi nhầm người: kết luận nói về CG.STAFF2")
    entry = AuditEntry.objects.get(action="signal_withdraw")
    assert entry.changes["status"] == ["requested", "withdrawn"]
    assert Notification.objects.count() > told, "the official and the requester are told"
    assert not services.can_withdraw(world.user("inspector"), signal)
    with pytest.raises(ServiceError) as refused:
        services.signal_decide(signal=signal, user=world.user("head"), decision="confirm",
                               text="Vi phạm")
    assert refused.value.service_code == "signal_changed", "nothing happens after"
    assert signal_grounds(signal.raised_on.year, {world.officials["CG.STAFF"].pk: "CG.STAFF"}
                          ) == ()


@pytest.mark.django_db
def test_only_a_record_not_yet_decided_is_withdrawn_and_only_by_those_who_record(world):
    signal = _record(world)
    for role in ("head", "deputy", "staff"):
        assert not services.can_withdraw(world.user(role), signal), role
        with pytest.raises(PermissionDeniedError):
            services.signal_withdraw(signal=signal, user=world.user(role), text="Nhầm")
    computed = refresh_for(late_task(world))
    with pytest.raises(PermissionDeniedError):
        services.signal_withdraw(signal=computed, user=world.user("admin"), text="Nhầm")
    services.signal_request_explanation(signal=signal, user=world.user("head"), text="Vì sao?")
    let_due_day_pass(signal)
    services.signal_decide(signal=signal, user=world.user("head"), decision="confirm",
                           text="Vi phạm đã rõ")
    with pytest.raises(ServiceError) as refused:
        services.signal_withdraw(signal=signal, user=world.user("inspector"), text="Nhầm")
    assert refused.value.service_code == "signal_changed", "a decision stands"
    assert signal.steps.filter(action="withdraw").count() == 0


@pytest.mark.django_db
@pytest.mark.usefixtures("english")
def test_the_page_offers_the_withdrawal_to_those_who_record(world, client_for):
    signal = _record(world)
    url = reverse("accountability:signal_detail", kwargs={"pk": signal.pk})
    withdraw = reverse("accountability:signal_act", kwargs={"pk": signal.pk,
                                                            "action": "withdraw"})
    assert f'action="{withdraw}"' in client_for(world.user("inspector")).get(url).content.decode()
    assert f'action="{withdraw}"' not in client_for(world.user("head")).get(url).content.decode()
    client = client_for(world.user("inspector"))
    response = client.post(withdraw, {"text": ""})
    assert response.status_code == 400 and "text" in response.context["forms"]["withdraw"].errors
    response = client.post(withdraw, {"text": "Ghi nhầm ngày", "version": signal.version},
                           follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "The record was withdrawn: it makes no grade KHT and protects nothing."]
    page = response.content.decode()
    assert "Withdrawn" in page and f'action="{withdraw}"' not in page


@pytest.mark.django_db
@pytest.mark.usefixtures("english")
def test_an_s15_is_reported_on_not_explained(world, client_for):
    """Found by a walk: a protected initiative was "explained" as a breach is. Its steps,
    statuses, buttons and notifications speak of a report on the initiative; an S14 keeps
    the words of an explanation."""
    s15 = _record(world, code="S15", text="Sáng kiến")
    s14 = _record(world, text="Khác")
    head = client_for(world.user("head"))
    assert "Request a report on the initiative" in head.get(s15.get_absolute_url()).content \
        .decode()
    assert "Request an explanation" in head.get(s14.get_absolute_url()).content.decode()
    response = head.post(reverse("accountability:signal_act", args=[s15.pk, "request"]),
                         {"text": "Báo cáo kết quả sáng kiến"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "The report on the initiative was requested."]
    s15.refresh_from_db()
    assert s15.get_status_display() == "Report on the initiative requested"
    page = client_for(world.user("staff")).get(s15.get_absolute_url()).content.decode()
    assert "Send my report on the initiative" in page and "Report by " in page
    told = Notification.objects.filter(recipient=world.officials["CG.STAFF"],
                                       title__startswith="Report on the initiative requested")
    assert told.exists()
    services.signal_explain(signal=s15, user=world.user("staff"), text="Đã triển khai")
    s15.refresh_from_db()
    assert s15.get_status_display() == "Reported on the initiative"
    assert [s.get_action_display() for s in s15.steps.order_by("at", "pk")][-2:] == [
        "Report on the initiative requested", "Reported on the initiative"]
    services.signal_request_explanation(signal=s14, user=world.user("head"), text="?")
    s14.refresh_from_db()
    assert s14.get_status_display() == "Explanation requested"


@pytest.mark.django_db
def test_nobody_withdraws_a_record_about_themself_and_it_may_be_recorded_again(world):
    """A review found that a board member who is the official named could withdraw the S14
    about them. And a record withdrawn may be recorded again, rightly this time."""
    from thuocdo.accounts import services as accounts

    accounts.scope_grant(user=world.user("staff"), role="board", unit=world.units["HN.CG"],
                         start=dt.date(2025, 1, 1))
    signal = _record(world)
    assert not services.can_withdraw(world.user("staff"), signal)
    with pytest.raises(PermissionDeniedError):
        services.signal_withdraw(signal=signal, user=world.user("staff"), text="Nhầm")
    services.signal_withdraw(signal=signal, user=world.user("inspector"), text="Sai đơn vị")
    again = _record(world)
    assert again.pk != signal.pk and again.status == "open"

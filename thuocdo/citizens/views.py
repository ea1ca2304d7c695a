"""Staff pages of citizens' feedback and dossiers (under /citizens/), and the service index
with its xlsx export.

Views are thin: reads through `selectors` with `request.scope` (out of scope: 404), writes
through `services`, whose refusals are shown next to the field they name (400), as messages
when the page no longer offers the action (400), or are 403 when the person may not act.
Inspectors never act (403 on any POST).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, NamedTuple

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from openpyxl import Workbook
from openpyxl.styles import Font

from thuocdo.core import xlsx
from thuocdo.core.errors import PermissionDeniedError, ServiceError
from thuocdo.core.filters import refuse_export
from thuocdo.org.models import Unit

from . import adapters, forms, receipts, selectors, services
from .choices import (
    DossierStatus,
    FeedbackEventKind,
    FeedbackKind,
    FeedbackStatus,
    group_labels,
    rate_labels,
)
from .models import Dossier, Feedback

PAGE_SIZE = 25


def _get_or_404(getter, **kwargs):
    try:
        return getter(**kwargs)
    except ObjectDoesNotExist as exc:
        raise Http404(_("Not found.")) from exc


def _check_may_act(request) -> None:
    if request.scope.is_read_only or not request.user.official_id:
        raise PermissionDenied


def _apply(form, call):
    """Run the service; a refusal goes onto the form (None), a permission refusal is 403."""
    try:
        return call()
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.service_message) from exc
    except ServiceError as exc:
        for problem in exc.problems:  # each refusal beside its own input
            form.add_error(problem.field if problem.field in form.fields else None,
                           problem.service_message)
        return None


def _say_why_not_offered(request, form, kind: str, actions: list[dict]) -> None:
    """The page no longer offers `kind` (a stale page, another tab, another official acted
    first), so its form is not shown: its errors, the service's reason among them, become
    messages."""
    if any(action["kind"] == kind for action in actions):
        return
    for errors in form.errors.values():
        messages.error(request, " ".join(str(error) for error in errors))


# -- feedback ----------------------------------------------------------------------------


def _list_page(request, rows) -> dict:
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return {"page": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2)}


@login_required
@require_GET
def feedback_inbox(request):
    """The feedback of the caller's units: the inbox to assign, answer and close from, with
    filters and sort orders that the xlsx export follows."""
    form = forms.FeedbackFilterForm(request.GET, scope=request.scope)
    today = timezone.localdate()
    filters = form.filters(today=today)
    rows = selectors.feedback_inbox(scope=request.scope, **filters)
    if not form.is_valid():  # never more than was asked for (core/filters.py)
        rows = rows.none()
    return render(request, "citizens/feedback_inbox.html", {
        "nav": "citizens", "form": form, "today": today, "sort": filters["ordering"],
        **_list_page(request, rows),
        "prompts": selectors.apology_prompts_for(scope=request.scope),
    })


@login_required
@require_GET
def feedback_export(request):
    """The filtered inbox as an xlsx workbook (the same filters and order as the page). The
    submitters' names and contacts are not in it."""
    form = forms.FeedbackFilterForm(request.GET, scope=request.scope)
    if not form.is_valid():
        return refuse_export(request, form, list_url=reverse("citizens:feedback_inbox"))
    today = timezone.localdate()
    rows = selectors.feedback_inbox(scope=request.scope, **form.filters(today=today))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(_("Feedback"))[:31])
    headers = [
        (_("Tracking code"), 16), (_("Kind"), 18), (_("Category"), 26),
        (_("Unit responsible"), 32), (_("Handled by"), 24), (_("Official concerned"), 24),
        (_("Status"), 16), (_("Submitted at"), 16), (_("Reply deadline"), 12),
        (_("Overdue"), 9), (_field_label(Feedback, "answered_at"), 16),
        (_field_label(Feedback, "closed_at"), 16),
        (_("Satisfaction"), 14), (_("Times forwarded"), 10),
    ]
    xlsx.columns(sheet, headers)
    text, date = xlsx.text, xlsx.date
    yes = str(_("Yes"))
    for feedback in rows.iterator(chunk_size=2000):
        overdue = feedback.overdue_on(today)
        sheet.append([
            text(sheet, feedback.code), str(feedback.get_kind_display()),
            str(feedback.get_category_display()), text(sheet, feedback.unit.name),
            text(sheet, feedback.assignee.name) if feedback.assignee else None,
            text(sheet, feedback.official.name) if feedback.official else None,
            str(feedback.get_status_display()),
            date(sheet, feedback.submitted_at, xlsx.DATETIME), date(sheet, feedback.reply_due),
            yes if overdue else None, date(sheet, feedback.answered_at, xlsx.DATETIME),
            date(sheet, feedback.closed_at, xlsx.DATETIME),
            str(feedback.get_rating_display()) if feedback.rating else None,
            feedback.forwards,
        ])
    return xlsx.response(workbook, f"feedback-{today:%Y-%m-%d}.xlsx")


def _field_label(model, name: str) -> str:
    """A model field's name as a column title (its translated verbose name)."""
    return capfirst(str(model._meta.get_field(name).verbose_name))



class Action(NamedTuple):
    """One action of a staff page on a case or a dossier: its form, the service call that
    takes it (`take(user, record, data)`, the form's cleaned data; returns the record) and
    what the page then says was done (`said(record, data)`, the record as the service left
    it). `to_list`: the page that follows is the list, not the record's (a case forwarded
    leaves the caller's hands)."""

    form: type[django_forms.Form]
    take: Callable[[Any, Any, dict], Any]
    said: Callable[[Any, dict], str]
    to_list: bool = False


def _forms_of(actions: dict[str, Action]) -> dict[str, type[django_forms.Form]]:
    return {kind: action.form for kind, action in actions.items()}


def _day(day: dt.date) -> str:
    return date_format(day, "d/m/Y")


def _assigned(feedback, data) -> str:
    # an assignment always sets the handling deadline (`services.handling_due`)
    return _("Assigned to %(name)s; handling deadline %(day)s.") % {
        "name": feedback.assignee.name, "day": _day(feedback.handling_due)}


def _forwarded(feedback, data) -> str:
    # Whether the receiving unit got a fresh deadline (a unit that held the case before
    # keeps the one it has) is said as the forward recorded it, not left to guess.
    forward = feedback.events.filter(kind=FeedbackEventKind.FORWARD).latest("seq")
    values = {"unit": data["to_unit"].name, "day": _day(feedback.reply_due)}
    return (_("Forwarded to %(unit)s: its reply deadline is %(day)s.")
            if forward.data.get("fresh_deadline")
            else _("Forwarded to %(unit)s, which held the case before: the reply deadline "
                   "stays %(day)s.")) % values


FEEDBACK_ACTIONS = {
    "assign": Action(
        forms.AssignForm,
        lambda user, feedback, data: services.feedback_assign(
            user=user, feedback=feedback, assignee=data["assignee"],
            workdays=data["workdays"]),
        _assigned),
    "reply": Action(
        forms.ReplyForm,
        lambda user, feedback, data: services.feedback_reply(
            user=user, feedback=feedback, answer=data["answer"]),
        lambda feedback, data: _("The answer was sent to the submitter.")),
    "close": Action(
        forms.EmptyForm,
        lambda user, feedback, data: services.feedback_close(user=user, feedback=feedback),
        lambda feedback, data: _("The %(case)s was closed.") % {"case": feedback.noun}),
    "forward": Action(
        forms.ForwardForm,
        lambda user, feedback, data: services.feedback_forward(
            user=user, feedback=feedback, to_unit=data["to_unit"], reason=data["reason"]),
        _forwarded, to_list=True),
    "verify": Action(
        forms.VerifyForm,
        lambda user, feedback, data: services.feedback_verify(
            user=user, feedback=feedback, result=data["result"], note=data["note"],
            task=data.get("task")),
        lambda feedback, data: _("The verification of the %(case)s was recorded: "
                                 "%(result)s.")
        % {"case": feedback.noun, "result": feedback.get_verification_display()}),
}


def _feedback_actions(request, feedback) -> list[str]:
    """The actions offered on the page, by the rules the services apply
    (`selectors.feedback_leads`, `feedback_handles`; the services decide in the end)."""
    scope = request.scope
    if scope.is_read_only or not request.user.official_id:
        return []
    leads = selectors.feedback_leads(scope=scope, feedback=feedback)
    handler = selectors.feedback_handles(scope=scope, feedback=feedback)
    found = []
    if leads and feedback.status in (FeedbackStatus.RECEIVED, FeedbackStatus.ASSIGNED):
        found.append("assign")
    if handler and feedback.status != FeedbackStatus.CLOSED:
        found.append("reply")
    if handler and feedback.status in (FeedbackStatus.RECEIVED, FeedbackStatus.ASSIGNED):
        found.append("forward")
    if handler and feedback.status == FeedbackStatus.ANSWERED:
        found.append("close")
    if leads and feedback.kind == FeedbackKind.COMPLAINT and not feedback.verification:
        found.append("verify")
    return found


def _finding_rows(request, feedback) -> list[dict]:
    rows = []
    for number, finding in enumerate(adapters.findings_for_feedback(feedback=feedback), 1):
        answer = feedback.finding_answers.filter(key=finding.key).first()
        official = request.user.official if request.user.official_id else None
        rows.append({
            "finding": finding, "answer": answer,
            "may_answer": official is not None and official.code == finding.official
            and not (answer and answer.decision) and not request.scope.is_read_only,
            "may_decide": selectors.may_decide_finding(scope=request.scope,
                                                       official_code=finding.official),
            # ids of their own: a page holds a pair of forms per finding
            "answer_form": forms.FindingAnswerForm(initial={"key": finding.key},
                                                   auto_id=f"answer-{number}-%s"),
            "decide_form": forms.FindingDecideForm(initial={"key": finding.key},
                                                   auto_id=f"decide-{number}-%s"),
        })
    return rows


def _feedback_context(request, feedback, bound: dict | None = None) -> dict:
    bound = bound or {}
    actions = [{"kind": kind, "form": bound.get(kind)
                or FEEDBACK_ACTIONS[kind].form(auto_id=action_auto_id(kind)),
                "open": kind in bound}
               for kind in _feedback_actions(request, feedback)]
    today = timezone.localdate()
    return {
        "nav": "citizens", "feedback": feedback, "overdue": feedback.overdue_on(today),
        "events": selectors.feedback_events(feedback=feedback),
        "actions": actions, "findings": _finding_rows(request, feedback),
        "today": today, "may_issue_key": _may_issue_key(request, feedback),
        "submitter": selectors.feedback_submitter(scope=request.scope, feedback=feedback),
    }


@login_required
@require_GET
def feedback_detail(request, code: str):
    feedback = _get_or_404(selectors.feedback_get, scope=request.scope, code=code)
    return render(request, "citizens/feedback_detail.html", _feedback_context(request, feedback))


@login_required
@require_GET
@never_cache
def feedback_receipt(request, code: str):
    """The receipt to print or read out to the submitter after a new access key was issued:
    the tracking code, the unit responsible, the reply deadline and, right after issuing,
    the key, once (it is taken out of the session here)."""
    feedback = _get_or_404(selectors.feedback_get, scope=request.scope, code=code)
    key = receipts.take_key(request, slot=receipts.STAFF_FEEDBACK_SLOT, code=feedback.code)
    return render(request, "citizens/feedback_receipt.html", {
        "nav": "citizens", "feedback": feedback, "key": key,
        "portal_url": request.build_absolute_uri(reverse("portal:lookup")),
        "may_issue_key": _may_issue_key(request, feedback),
    })


@require_POST
@login_required
def feedback_key(request, code: str):
    """Issue a new access key to the submitter (the old one stops working) and show it on a
    receipt."""
    return _key_issue(request, getter=selectors.feedback_get, code=code,
                      slot=receipts.STAFF_FEEDBACK_SLOT, url_name="citizens:feedback_receipt")


def _action_form(request, *, getter, form_classes, kind: str, code: str,
                 form_kwargs: dict | None = None):
    """The record an action is taken on and the action's bound form (with `form_kwargs`):
    read-only callers are refused, an unknown record or action is a 404, then
    `_check_may_act`."""
    if request.scope.is_read_only:
        raise PermissionDenied
    record = _get_or_404(getter, scope=request.scope, code=code)
    form_class = form_classes.get(kind)
    if form_class is None:
        raise Http404(_("Not found."))
    _check_may_act(request)
    return record, form_class(request.POST, auto_id=action_auto_id(kind), **(form_kwargs or {}))


def action_auto_id(kind: str) -> str:
    """The ids of an action form's fields: each action's own, as a page shows several
    forms (their "note" or "reason" would otherwise share an id, and a label or an error's
    link would lead to another form's field). The fields' names stay the same."""
    return f"{kind}-%s"


@require_POST
@login_required
def feedback_act(request, kind: str, code: str):
    """assign, reply, close, forward ("not our responsibility"), verify a complaint
    (`FEEDBACK_ACTIONS`)."""
    feedback, form = _action_form(
        request, getter=selectors.feedback_get, form_classes=_forms_of(FEEDBACK_ACTIONS),
        kind=kind, code=code,
        form_kwargs={"scope": request.scope} if kind == "assign" else None)
    action = FEEDBACK_ACTIONS[kind]
    done = _take(request, form, action, feedback)
    if done is None:
        context = _feedback_context(request, feedback, bound={kind: form})
        _say_why_not_offered(request, form, kind, context["actions"])
        return render(request, "citizens/feedback_detail.html", context, status=400)
    messages.success(request, action.said(done, form.cleaned_data))
    if action.to_list:
        return redirect("citizens:feedback_inbox")
    return redirect(done.get_absolute_url())


def _take(request, form, action: Action, record):
    """Take `action` on `record` with the bound `form`: the record as the service left it,
    or None (the form's errors, the service's refusal among them, say why)."""
    if not form.is_valid():
        return None
    return _apply(form, lambda: action.take(request.user, record, form.cleaned_data))


@require_POST
@login_required
def finding_act(request, action: str, code: str):
    """The official concerned answers a finding of this feedback; a leader decides."""
    feedback, form = _action_form(
        request, getter=selectors.feedback_get, kind=action, code=code,
        form_classes={"answer": forms.FindingAnswerForm, "decide": forms.FindingDecideForm})
    findings = {f.key: f for f in adapters.findings_for_feedback(feedback=feedback)}
    if not form.is_valid() or form.cleaned_data["key"] not in findings:
        messages.error(request, _("Check the form: nothing was recorded."))
        return redirect(feedback.get_absolute_url())
    finding = findings[form.cleaned_data["key"]]
    if action == "answer":
        done = _apply(form, lambda: services.finding_answer(
            user=request.user, finding=finding, explanation=form.cleaned_data["explanation"]))
    else:
        done = _apply(form, lambda: services.finding_decide(
            user=request.user, finding=finding, decision=form.cleaned_data["decision"],
            note=form.cleaned_data["note"]))
    if done is None:
        for error in form.errors.values():
            messages.error(request, " ".join(error))
    else:
        messages.success(request, _("Recorded."))
    return redirect(feedback.get_absolute_url())


# -- dossiers ----------------------------------------------------------------------------


@login_required
@require_GET
def dossier_list(request):
    """The dossiers of the caller's units, with filters and sort orders that the xlsx export
    follows."""
    form = forms.DossierFilterForm(request.GET, scope=request.scope)
    today = timezone.localdate()
    filters = form.filters(today=today)
    rows = selectors.dossier_list(scope=request.scope, **filters)
    if not form.is_valid():  # never more than was asked for (core/filters.py)
        rows = rows.none()
    return render(request, "citizens/dossier_list.html", {
        "nav": "citizens", "form": form, "today": today, "sort": filters["ordering"],
        **_list_page(request, rows),
        "may_receive": selectors.procedures_received_by(scope=request.scope).exists(),
        "prompts": selectors.apology_prompts_for(scope=request.scope),
    })


@login_required
@require_GET
def dossier_export(request):
    """The filtered list of dossiers as an xlsx workbook (the same filters and order as the
    page). The applicants' contacts are not in it."""
    form = forms.DossierFilterForm(request.GET, scope=request.scope)
    if not form.is_valid():
        return refuse_export(request, form, list_url=reverse("citizens:dossier_list"))
    today = timezone.localdate()
    rows = selectors.dossier_list(scope=request.scope, **form.filters(today=today))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(_("Dossiers"))[:31])
    headers = [
        (_("Code"), 24), (_("Procedure"), 36), (_("Applicant"), 28),
        (_field_label(Dossier, "unit"), 32), (pgettext("dossier channel", "Received"), 14),
        (_field_label(Dossier, "received_at"), 16), (_("Deadline"), 12),
        (_("Deadline in force"), 12),
        (_("Held by"), 28), (_("Status"), 18), (_("Overdue"), 9),
        (_("Result returned at"), 16), (_("Done late"), 10), (_("Applicant's rating"), 14),
    ]
    xlsx.columns(sheet, headers)
    text, date = xlsx.text, xlsx.date
    yes, no = str(_("Yes")), str(_("No"))
    for dossier in rows.iterator(chunk_size=2000):
        holder = (dossier.holder_official.name if dossier.holder_official
                  else dossier.holder_unit.name)
        overdue = dossier.is_open and dossier.due_in_force < today
        sheet.append([
            text(sheet, dossier.code), text(sheet, dossier.procedure.name),
            text(sheet, dossier.applicant), text(sheet, dossier.unit.name),
            str(dossier.get_channel_display()),
            date(sheet, dossier.received_at, xlsx.DATETIME), date(sheet, dossier.due),
            date(sheet, dossier.due_in_force), text(sheet, holder),
            str(dossier.get_status_display()), yes if overdue else None,
            date(sheet, dossier.done_at, xlsx.DATETIME),
            None if dossier.done_late is None else (yes if dossier.done_late else no),
            str(dossier.get_rating_display()) if dossier.rating else None,
        ])
    return xlsx.response(workbook, f"dossiers-{today:%Y-%m-%d}.xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def dossier_receive(request):
    """Receive a dossier at the one-stop counter (or record one received online): offered
    the procedures whose counter is the caller's unit (`selectors.procedures_received_by`);
    nobody else may (403)."""
    procedures = selectors.procedures_received_by(scope=request.scope)
    if not procedures.exists():
        raise PermissionDenied
    form = forms.DossierReceiveForm(request.POST if request.method == "POST" else None,
                                    procedures=procedures)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = _apply(form, lambda: services.dossier_receive(
            user=request.user, procedure=data["procedure"], applicant=data["applicant"],
            applicant_contact=data["applicant_contact"], channel=data["channel"]))
        if done is not None:
            dossier, key = done
            messages.success(request, _("Dossier %(code)s received; due on %(due)s.")
                             % {"code": dossier.code, "due": dossier.due.strftime("%d/%m/%Y")})
            return _to_receipt(request, dossier, key)
    status = 400 if request.method == "POST" else 200
    return render(request, "citizens/dossier_receive.html", {"nav": "citizens", "form": form},
                  status=status)


def _to_receipt(request, dossier, key: str):
    """After the redirect, so reloading the receipt never receives a dossier twice."""
    return receipts.redirect_to_receipt(request, slot=receipts.DOSSIER_SLOT, code=dossier.code,
                                        key=key, url_name="citizens:dossier_receipt")


@login_required
@require_GET
@never_cache
def dossier_receipt(request, code: str):
    """The receipt to print and give the applicant (giấy tiếp nhận hồ sơ và hẹn trả kết
    quả): the code, the date of the appointment and, right after receiving the dossier or
    issuing a new key, the access key, once (it is taken out of the session here)."""
    dossier = _get_or_404(selectors.dossier_get, scope=request.scope, code=code)
    key = receipts.take_key(request, slot=receipts.DOSSIER_SLOT, code=dossier.code)
    return render(request, "citizens/dossier_receipt.html", {
        "nav": "citizens", "dossier": dossier, "key": key,
        "steps": list(dossier.procedure.steps.select_related("unit").order_by("order")),
        "portal_url": request.build_absolute_uri(reverse("portal:dossier_lookup")),
        "may_issue_key": _may_issue_key(request, dossier),
    })


def _may_issue_key(request, record) -> bool:
    """Whether the page offers a new access key to `record`, a dossier or a feedback case
    (`selectors.may_issue_key`; the service decides in the end)."""
    return selectors.may_issue_key(scope=request.scope, record=record)


def _key_issue(request, *, getter, code: str, slot: str, url_name: str):
    """Issue a new access key to the record `getter` finds in the caller's scope, a dossier
    or a feedback case (`services.access_key_issue`: the old key stops working), and show
    it once on its receipt `url_name` (`receipts`: POST, redirect, GET)."""
    record, form = _action_form(request, getter=getter, form_classes={"key": forms.EmptyForm},
                                kind="key", code=code)
    done = _apply(form, lambda: services.access_key_issue(user=request.user, record=record))
    if done is None:  # pragma: no cover - the service refuses with a permission error only
        messages.error(request, " ".join(form.non_field_errors()))
        return redirect(record.get_absolute_url())
    record, key = done
    messages.success(request, _("A new access key was issued; the old one no longer works."))
    return receipts.redirect_to_receipt(request, slot=slot, code=record.code, key=key,
                                        url_name=url_name)


@require_POST
@login_required
def dossier_key(request, code: str):
    """Issue a new access key to the applicant (the old one stops working) and show it on a
    new receipt."""
    return _key_issue(request, getter=selectors.dossier_get, code=code,
                      slot=receipts.DOSSIER_SLOT, url_name="citizens:dossier_receipt")


def _moved(dossier, data) -> str:
    step = dossier.procedure.steps.get(order=dossier.step)
    values = {"n": step.order, "step": step.name, "unit": dossier.holder_unit.name}
    if dossier.holder_official is None:
        return _("Moved to step %(n)s (%(step)s), to %(unit)s.") % values
    # named as the case assignment's message names the official, with the code typed
    return _("Moved to step %(n)s (%(step)s), to %(name)s (%(code)s) of %(unit)s.") % {
        **values, "name": dossier.holder_official.name, "code": dossier.holder_official.code}


def _result_returned(dossier, data) -> str:
    if dossier.done_late:
        return _("The result was returned to the applicant, late.")
    return _("The result was returned to the applicant.")


DOSSIER_ACTIONS = {
    "move": Action(
        forms.MoveForm,
        lambda user, dossier, data: services.dossier_move(
            user=user, dossier=dossier, to_official=data.get("to_official"),
            note=data.get("note", "")),
        _moved),
    "supplement_request": Action(
        forms.SupplementForm,
        lambda user, dossier, data: services.dossier_request_supplement(
            user=user, dossier=dossier, reason=data["reason"]),
        lambda dossier, data: _("The applicant was asked to supplement the dossier.")),
    "supplement_received": Action(
        forms.EmptyForm,
        lambda user, dossier, data: services.dossier_receive_supplement(
            user=user, dossier=dossier),
        lambda dossier, data: _("Supplements received; the deadline in force is %(day)s.")
        % {"day": _day(dossier.due_in_force)}),
    "apology": Action(
        forms.ApologyForm,
        lambda user, dossier, data: services.dossier_apology(
            user=user, dossier=dossier, reason=data["reason"], new_date=data["new_date"]),
        lambda dossier, data: _("Apology slip issued; the new date is %(day)s.")
        % {"day": _day(dossier.apology_date)}),
    "result": Action(
        forms.ResultForm,
        lambda user, dossier, data: services.dossier_return_result(
            user=user, dossier=dossier, note=data.get("note", "")),
        _result_returned),
    "rate": Action(
        forms.DossierRateForm,
        lambda user, dossier, data: services.dossier_rate(
            user=user, dossier=dossier, rating=data["rating"]),
        lambda dossier, data: _("The applicant's rating was recorded: %(rating)s.")
        % {"rating": dossier.get_rating_display()}),
}


def _dossier_actions(request, dossier) -> list[str]:
    scope = request.scope
    official_id = request.user.official_id
    if scope.is_read_only or not official_id:
        return []
    if not selectors.dossier_holds(scope=scope, dossier=dossier):
        return []
    if dossier.status == DossierStatus.PROCESSING:
        last = dossier.step >= dossier.procedure.steps.count()
        found = ["supplement_request", "apology", "result"]
        return (found if last else ["move", *found])
    if dossier.status == DossierStatus.WAITING_SUPPLEMENT:
        return ["supplement_received", "apology"]
    return [] if dossier.rating else ["rate"]


def _dossier_context(request, dossier, bound: dict | None = None) -> dict:
    bound = bound or {}
    today = timezone.localdate()
    events = list(dossier.events.select_related("actor", "unit", "official").order_by("seq"))
    calendar = selectors.calendar_for(today, dossier.due_in_force)
    late_by = (calendar.workdays_between(dossier.due_in_force, today)
               if dossier.is_open else 0)
    return {
        "nav": "citizens", "dossier": dossier, "events": events,
        "steps": list(dossier.procedure.steps.select_related("unit").order_by("order")),
        "actions": [{"kind": k,
                     "form": bound.get(k) or DOSSIER_ACTIONS[k].form(auto_id=action_auto_id(k)),
                     "open": k in bound} for k in _dossier_actions(request, dossier)],
        "late_by": late_by, "today": today,
        "prompted": selectors.dossier_prompted(dossier=dossier),
        "chain_ok": services.verify_dossier_chain(dossier),
        "may_issue_key": _may_issue_key(request, dossier),
        "holder_unit": selectors.dossier_holder_own_unit(dossier=dossier, on=today),
    }


@login_required
@require_GET
def dossier_detail(request, code: str):
    dossier = _get_or_404(selectors.dossier_get, scope=request.scope, code=code)
    return render(request, "citizens/dossier_detail.html", _dossier_context(request, dossier))


@require_POST
@login_required
def dossier_act(request, kind: str, code: str):
    """move, ask for and receive supplements, issue an apology slip, return the result,
    record the applicant's rating (`DOSSIER_ACTIONS`)."""
    dossier, form = _action_form(request, getter=selectors.dossier_get,
                                 form_classes=_forms_of(DOSSIER_ACTIONS), kind=kind, code=code)
    action = DOSSIER_ACTIONS[kind]
    done = _take(request, form, action, dossier)
    if done is None:
        context = _dossier_context(request, dossier, bound={kind: form})
        _say_why_not_offered(request, form, kind, context["actions"])
        return render(request, "citizens/dossier_detail.html", context, status=400)
    messages.success(request, action.said(done, form.cleaned_data))
    if not selectors.dossier_list(scope=request.scope).filter(pk=done.pk).exists():
        return redirect("citizens:dossier_list")  # moved out of the caller's units
    return redirect(done.get_absolute_url())


# -- the service index -------------------------------------------------------------------


def _index_request(request):
    """The unit (default: the shallowest in the caller's scope) and period (default: the
    current quarter) asked for; None when the form is wrong (its errors say why: a unit
    the caller may not see is one) or there is no unit to show."""
    default = Unit.objects.filter(request.scope.units_q()).order_by("depth", "lft").first()
    form = forms.IndexForm(request.GET or None, scope=request.scope, default_unit=default)
    today = timezone.localdate()
    quarter_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    unit = start = end = None
    if form.is_bound and form.is_valid():
        unit = form.cleaned_data["unit"]
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    elif form.is_bound:
        return form, None
    start = start or quarter_start
    end = end or today
    if end < start:
        end = start
    unit = unit or default
    if unit is None:
        return form, None
    try:
        result = selectors.service_index(scope=request.scope, unit=unit, period_start=start,
                                         period_end=end)
    except Unit.DoesNotExist:
        form.add_error("unit", _("You cannot see this unit."))
        return form, None
    return form, result


@login_required
@require_GET
def service_index(request):
    form, result = _index_request(request)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "citizens/service_index.html", {
        "nav": "citizens", "form": form, "index": result}, status=status)


@login_required
@require_GET
def service_index_export(request):
    """The index the page shows, as an xlsx sheet: the unit and period, each group's points,
    each rate, and the figures behind the rates, named as on the page. Wrong filters (a
    bad day, a period ending before it starts, a unit the caller may not see) go back to
    the page, which shows them on their fields, as the other exports do (`refuse_export`);
    with no unit at all to show it is a 404."""
    form, result = _index_request(request)
    if result is None and form.is_bound and form.errors:
        return refuse_export(request, form, list_url=reverse("citizens:service_index"))
    if result is None:
        raise Http404(_("Not found."))
    workbook = Workbook()
    sheet = workbook.active
    # a sheet's name is at most 31 characters: the short name, not the page's title
    sheet.title = pgettext("xlsx sheet", "Service index")[:31]
    bold = Font(bold=True)

    def heading(values: list) -> None:
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            cell.font = bold

    sheet.append(xlsx.row(sheet, [str(_("Unit")), result.unit.code, result.unit.name]))
    sheet.append([str(_("From")), result.period_start, str(_("To")), result.period_end])
    for row in (1, 2):
        sheet.cell(row=row, column=1).font = bold
    for cell in (sheet.cell(row=2, column=2), sheet.cell(row=2, column=4)):
        cell.number_format = xlsx.DATE
    sheet.append([])
    heading([str(_("Group")), str(_("Points")), str(_("Maximum"))])
    labels = group_labels()
    no_data = str(_("no data"))
    for group in result.groups:
        sheet.append([str(labels[group.key]),
                      float(group.points) if group.points is not None else no_data,
                      group.maximum])
    total = result.index.total
    sheet.append([str(_("Total")), float(total) if total is not None else no_data,
                  result.index.total_maximum])
    sheet.append([])
    heading([str(_("Rate")), str(_("Percent"))])
    names = rate_labels()
    for key, value in result.rate_rows():
        sheet.append([str(names[key]), float(value) if value is not None else no_data])
    sheet.append([])
    heading([str(_("Figures behind the rates")), str(_("Number"))])
    for label, value in result.count_rows():
        sheet.append([label, value])
    sheet.column_dimensions["A"].width = 52
    filename = f"service-index-{result.unit.code}-{result.period_start:%Y%m%d}-" \
               f"{result.period_end:%Y%m%d}.xlsx"
    return xlsx.response(workbook, filename)

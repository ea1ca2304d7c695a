"""Writes of citizens' feedback and dossiers: keyword-only, atomic, audited.

Each change appends one hash-chained event to the case's log and updates the row's caches.
Who may act is decided here from the acting user's scope (`thuocdo.core.scope.scope_for`):

- feedback: the leaders of the responsible unit (or above) assign, forward, verify; the
  official it is assigned to (or a leader) replies, forwards and closes; the official a
  case names does none of these, nor is it assigned to them (`selectors.feedback_concerns`);
- dossiers: the official holding the dossier, or a leader of the unit holding it, acts on
  it; a member of the unit of the procedure's first step (the one-stop counter) receives it.

The public (no login) submits and rates feedback (`feedback_submit`, `feedback_rate`) and
rates a returned dossier (`dossier_rate(public=True)`). Feedback and dossiers are opened on the
portal with their code and an access key, issued by `feedback_submit` and `dossier_receive`,
and issued again by staff for both alike (`access_key_issue`, `selectors.may_issue_key`);
only a keyed hash of it is stored (`access_key_hash`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from thuocdo.core.calendar import day_off_refusal, next_workday_if_off, work_calendar
from thuocdo.core.errors import PermissionDeniedError, Problems, ServiceError
from thuocdo.core.periods import FIRST_YEAR, LAST_YEAR, year_in_range
from thuocdo.core.scope import Scope, scope_for
from thuocdo.core.services import audit_record
from thuocdo.measure import dossiers as engine
from thuocdo.org.models import Membership, Official, Unit
from thuocdo.org.selectors import unit_agency

from . import contacts
from .choices import (
    Channel,
    DossierEventKind,
    DossierStatus,
    FeedbackCategory,
    FeedbackEventKind,
    FeedbackKind,
    FeedbackStatus,
    FindingDecision,
    Satisfaction,
    Verification,
)
from .models import (
    Dossier,
    DossierEvent,
    Feedback,
    FeedbackEvent,
    FindingAnswer,
    Procedure,
    ProcedureStep,
)
from .selectors import (
    dossier_holds,
    feedback_concerns,
    feedback_handles,
    feedback_leads,
    may_decide_finding,
    may_issue_key,
)

#: working days a unit has to answer feedback (from receipt, or from a forward)
REPLY_WORKDAYS = 10
#: the most working days an assignment may give the official handling a case (never past
#: the case's reply deadline, `feedback_assign`)
MAX_REPLY_WORKDAYS = 60
#: size limits of what the public may send
TEXT_MIN, TEXT_MAX = 10, 5000
CONTACT_MAX = 255
ADDRESS_MAX = 500
REASON_MIN = 5
#: submissions accepted from one address per hour (web and Open311 together)
RATE_LIMIT_PER_HOUR = 5
#: access keys: 10 characters of an alphabet without look-alikes (about 50 bits)
KEY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
KEY_LENGTH = 10
CODE_PREFIX = "PA"
#: the notification kind of apology-slip prompts (thuocdo.notifications)
PROMPT_KIND = "dossier_due"

#: what the public opens with a code and an access key
Keyed = TypeVar("Keyed", Feedback, Dossier)


# -- helpers ---------------------------------------------------------------------------


def _calendar(*days: dt.date):
    return work_calendar(years=range(min(days).year - 1, max(days).year + 2))


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _hash(payload: dict) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _keyed(value: str) -> str:
    """A keyed hash (HMAC-SHA256 with the secret key): addresses and access keys are never
    stored in clear."""
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


# -- access keys of the public portal (feedback and dossiers) ---------------------------


def _normal_key(key: str) -> str:
    """A key as typed: case, spaces and dashes do not matter."""
    return (key or "").strip().upper().replace(" ", "").replace("-", "")


def access_key_hash(key: str) -> str:
    """What is stored of an access key: a keyed hash of its normal form."""
    return _keyed(f"key:{_normal_key(key)}")


def access_key_matches(record: Feedback | Dossier, key: str) -> bool:
    """Whether `key` opens `record` (a feedback case or a dossier). A record without a key
    (an imported dossier) opens with none."""
    stored = record.access_key_hash
    if not stored or not _normal_key(key):
        return False
    return hmac.compare_digest(stored, access_key_hash(key))


def _new_key() -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))


def _issue_key(record: Feedback | Dossier, key: str | None = None) -> str:
    """Give `record` a new access key (drawn, or `key` for tests and the demo), replacing
    any old one; returns it in clear, to be shown once. The caller saves the record."""
    key = key or _new_key()
    record.access_key_hash = access_key_hash(key)
    return key


@transaction.atomic
def access_key_issue(*, user: Any, record: Keyed, access_key: str | None = None,
                     actor: Official | None = None) -> tuple[Keyed, str]:
    """Issue a new access key to the public for a dossier or a feedback case: for an
    imported dossier (which has none), or when the key was lost. The old key stops working.
    Who may: `selectors.may_issue_key` (`actor` is for the demo and imports: no user, no
    check).

    Audited as `dossier.key_issue` or `feedback.key_issue` (who, whether a key was
    replaced; never the key). It is not an event of the record's log: the key is not part
    of how the case was handled. Returns the record and the key, to be shown once on a new
    receipt (`receipts`)."""
    record = _lock_dossier(record) if isinstance(record, Dossier) else _lock(record)
    if actor is None:
        scope, actor = _actor(user)
        if isinstance(record, Feedback):
            _check_not_concerned(actor, record)
        if not may_issue_key(scope=scope, record=record):
            raise PermissionDeniedError(
                _("Only the unit in charge of it, or whoever handles it, may issue a new "
                  "access key; never the official it is about."), code="not_key_issuer")
    replaced = bool(record.access_key_hash)
    key = _issue_key(record, access_key)
    record.save(update_fields=["access_key_hash"])
    kind = record._meta.model_name  # "dossier" or "feedback"
    audit_record(actor=user, action=f"{kind}.key_issue", object_type=f"citizens.{kind}",
                 object_code=record.code, changes={"by": actor.code, "replaced": replaced})
    return record, key


def _actor(user: Any) -> tuple[Scope, Official]:
    """The user's scope and the official they act as; inspectors and accounts without an
    official may not act."""
    scope = scope_for(user)
    if scope.is_read_only:
        raise PermissionDeniedError(_("Inspectors read; they do not act."), code="read_only")
    official = getattr(user, "official", None) if getattr(user, "official_id", None) else None
    if official is None:
        raise PermissionDeniedError(_("Your account is not linked to an official."),
                                    code="no_official")
    return scope, official


def _acting(user: Any, actor: Official | None) -> tuple[Scope | None, Official]:
    """(scope, official) of a person acting from a page; an import passes `actor` (the
    official recorded in the document) and no scope: the rules of state still apply, the
    rules of who may act were the source system's."""
    if actor is not None:
        return None, actor
    return _actor(user)


def _is_member(official: Official, unit: Unit, day: dt.date) -> bool:
    return Membership.objects.filter(
        official=official, unit__lft__gte=unit.lft, unit__rgt__lte=unit.rgt,
        start__lte=day,
    ).exclude(end__lt=day).exists()


def official_refusal() -> ServiceError:
    """The one answer to an official a case may not name: the same whether no official has
    the code or the one who has it works elsewhere, so the public portal does not tell
    which codes exist (codes are sequential)."""
    return ServiceError(_("No official with this code was found in the unit the case is "
                          "sent to."), code="official_not_found", field="official")


def official_may_be_named(*, official: Official, unit: Unit, day: dt.date) -> bool:
    """Whether a case sent to `unit` on `day` may name `official` (the official it is
    about, whom a founded complaint counts against): the official held a place that day in
    the agency of `unit` (`org.selectors.unit_agency`: a division belongs to its district or
    department) or in a unit under it. Checked on the day the case is received, so an
    import of history asks the memberships in force then."""
    return _is_member(official, unit_agency(unit=unit), day)


def dossier_refusal() -> ServiceError:
    """The one answer to a dossier a case may not name: the same whether no dossier has the
    code or one received elsewhere has it, so the portal does not tell which codes exist."""
    return ServiceError(_("No dossier with this code was found in the unit the case is "
                          "sent to."), code="dossier_not_found", field="dossier")


def dossier_may_be_named(*, dossier: Dossier, unit: Unit) -> bool:
    """Whether a case sent to `unit` may name `dossier`: received by the agency of `unit` or
    a unit under it, the rule of an official named (`official_may_be_named`): a founded
    complaint about a dossier counts against whoever held it, whom only their own agency
    judges."""
    agency = unit_agency(unit=unit)
    received = dossier.unit
    return agency.lft <= received.lft and received.rgt <= agency.rgt


def feedback_dossier_find(*, code: str, unit: Unit) -> Dossier:
    """The dossier a person typed the code of, if a case sent to `unit` may name it;
    otherwise `dossier_refusal`, the same for a code no dossier has."""
    found = Dossier.objects.select_related("unit").filter(code=(code or "").strip()).first()
    if found is None or not dossier_may_be_named(dossier=found, unit=unit):
        raise dossier_refusal()
    return found


def feedback_official_find(*, code: str, unit: Unit, day: dt.date) -> Official:
    """The official a person typed the code of (exact, else the one code equal to it in any
    case), if a case sent to `unit` on `day` may name them; otherwise `official_refusal`,
    the same for a code nobody has."""
    code = (code or "").strip()
    found = Official.objects.filter(code=code).first()
    if found is None and code:
        matches = list(Official.objects.filter(code__iexact=code)[:2])
        found = matches[0] if len(matches) == 1 else None
    if found is None or not official_may_be_named(official=found, unit=unit, day=day):
        raise official_refusal()
    return found


def _text(value: str, *, field: str, minimum: int = 1, maximum: int = TEXT_MAX,
          label: str = "") -> str:
    value = (value or "").strip()
    if len(value) < minimum:
        raise ServiceError(
            _("%(label)s is too short (at least %(n)s characters).")
            % {"label": label or _("The text"), "n": minimum}, code="too_short", field=field)
    if len(value) > maximum:
        raise ServiceError(
            _("%(label)s is too long (at most %(n)s characters).")
            % {"label": label or _("The text"), "n": maximum}, code="too_long", field=field)
    return value


def _contact(value: str, *, field: str, label: str) -> str:
    """A phone number or e-mail address in its normal form (`contacts.clean_contact`)."""
    value = _text(value, field=field, minimum=0, maximum=CONTACT_MAX, label=label)
    try:
        return contacts.clean_contact(value, label=label)
    except ValidationError as error:
        raise ServiceError(error.messages[0], code=error.code or "bad_contact",
                           field=field) from None


# -- feedback ---------------------------------------------------------------------------


def _feedback_event(feedback: Feedback, *, kind: str, at: dt.datetime,
                    actor: Official | None = None, public: bool = True,
                    data: dict | None = None) -> FeedbackEvent:
    seq = (feedback.events.aggregate(m=Max("seq"))["m"] or 0) + 1
    data = data or {}
    event = FeedbackEvent(feedback=feedback, seq=seq, kind=kind, at=at, actor=actor,
                          unit=feedback.unit, public=public, data=data,
                          prev_hash=feedback.last_hash)
    event.hash = _hash({
        "feedback": feedback.code, "seq": seq, "kind": kind,
        "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor": actor.code if actor else None, "unit": feedback.unit.code,
        "public": public, "data": data, "prev": feedback.last_hash,
    })
    event.save()
    feedback.last_hash = event.hash
    feedback.last_event_at = at
    return event


def _new_code() -> str:
    year = timezone.localdate().strftime("%y")
    return f"{CODE_PREFIX}-{year}-" + "".join(secrets.choice(KEY_ALPHABET) for _ in range(6))


def _check_rate(source: str, now: dt.datetime) -> None:
    if not source:
        return
    recent = Feedback.objects.filter(source=source,
                                     submitted_at__gte=now - dt.timedelta(hours=1)).count()
    if recent >= RATE_LIMIT_PER_HOUR:
        raise ServiceError(
            _("Too many submissions from your connection: at most %(n)s an hour. Please try "
              "again later.") % {"n": RATE_LIMIT_PER_HOUR}, code="rate_limited")


def complaint_subject_error() -> ServiceError:
    """A complaint sent with neither the official nor the dossier it is about (the public
    form says it with the other errors of the form, `forms.FeedbackSubmitForm.clean`)."""
    return ServiceError(_("A complaint names the official or the dossier it is about."),
                        code="complaint_subject", field="official")


@transaction.atomic
def feedback_submit(
    *, category: str, unit: Unit, text: str, kind: str = FeedbackKind.FEEDBACK,
    contact_name: str = "", contact: str = "", official: Official | None = None,
    dossier: Dossier | None = None, address: str = "", lat: Decimal | None = None,
    long: Decimal | None = None, source_address: str = "", via: str = "web",
    now: dt.datetime | None = None, code: str | None = None, access_key: str | None = None,
) -> tuple[Feedback, str]:
    """Receive feedback from the public; returns it and its access key (shown once).

    The reply deadline is `REPLY_WORKDAYS` working days after the day of receipt. At most
    `RATE_LIMIT_PER_HOUR` submissions are accepted from one address an hour. The official a
    case names must hold a place in the agency of `unit` on the day of receipt
    (`official_may_be_named`), else `official_refusal`; the dossier it names must have been
    received there (`dossier_may_be_named`), else `dossier_refusal`.
    """
    now = _now(now)
    if kind not in FeedbackKind.values:
        raise ServiceError(_("Choose what you are sending."), code="kind", field="kind")
    if category not in FeedbackCategory.values:
        raise ServiceError(_("Choose a category."), code="category", field="category")
    if unit is None or not unit.is_active:
        raise ServiceError(_("Choose the unit concerned."), code="unit", field="unit")
    text = _text(text, field="text", minimum=TEXT_MIN, label=_("The content"))
    contact_name = _text(contact_name, field="contact_name", minimum=0, maximum=CONTACT_MAX,
                         label=_("The name"))
    contact = _contact(contact, field="contact", label=_("The contact"))
    address = _text(address, field="address", minimum=0, maximum=ADDRESS_MAX,
                    label=_("The address"))
    source = _keyed(f"ip:{source_address}") if source_address else ""
    _check_rate(source, now)
    if kind == FeedbackKind.COMPLAINT and official is None and dossier is None:
        raise complaint_subject_error()
    today = timezone.localdate(now)
    if official is not None and not official_may_be_named(official=official, unit=unit,
                                                          day=today):
        raise official_refusal()
    if dossier is not None and not dossier_may_be_named(dossier=dossier, unit=unit):
        raise dossier_refusal()
    due = _calendar(today).add_workdays(today, REPLY_WORKDAYS)
    for _attempt in range(5):
        candidate = code or _new_code()
        if not Feedback.objects.filter(code=candidate).exists():
            break
        if code:
            raise ServiceError(_("A case with the tracking code %(code)s already exists.")
                               % {"code": code}, code="duplicate", field="code")
    feedback = Feedback(
        code=candidate, kind=kind, category=category,
        first_unit=unit, unit=unit, official=official, dossier=dossier, text=text,
        contact_name=contact_name, contact=contact, address=address, lat=lat, long=long,
        via=via, source=source, submitted_at=now, reply_due=due, last_event_at=now,
    )
    key = _issue_key(feedback, access_key)
    try:
        with transaction.atomic():
            feedback.save()
    except IntegrityError as exc:  # pragma: no cover - a code drawn twice at once
        raise ServiceError(_("Please send again."), code="retry") from exc
    _feedback_event(feedback, kind=FeedbackEventKind.SUBMIT, at=now,
                    data={"unit": unit.code, "reply_due": due.isoformat()})
    feedback.save(update_fields=["last_hash", "last_event_at"])
    audit_record(action="feedback.submit", object_type="citizens.feedback",
                 object_code=feedback.code, changes={"unit": unit.code, "via": via})
    return feedback, key


def _lock(feedback: Feedback) -> Feedback:
    return (Feedback.objects.select_for_update(of=("self",)).select_related("unit")
            .get(pk=feedback.pk))


def _check_handler(scope: Scope | None, official: Official, feedback: Feedback) -> None:
    if scope is None:
        return
    _check_not_concerned(official, feedback)
    if not feedback_handles(scope=scope, feedback=feedback):
        raise PermissionDeniedError(
            _("Only the official handling this %(case)s or a leader of its unit may do this.")
            % {"case": feedback.noun}, code="not_handler")


def _check_leader(scope: Scope | None, official: Official, feedback: Feedback,
                  message: str) -> None:
    if scope is None:
        return
    _check_not_concerned(official, feedback)
    if not feedback_leads(scope=scope, feedback=feedback):
        raise PermissionDeniedError(message, code="not_leader")


def _check_not_concerned(official: Official, feedback: Feedback) -> None:
    if feedback_concerns(official_id=official.pk, feedback=feedback):
        raise PermissionDeniedError(
            _("This case is about you: another official handles it."), code="concerned")


def _check_open(feedback: Feedback, allowed: Sequence[str]) -> None:
    if feedback.status not in allowed:
        raise ServiceError(
            _("Not possible while the %(case)s is “%(status)s”.")
            % {"case": feedback.noun, "status": feedback.get_status_display()},
            code="bad_state")


@transaction.atomic
def feedback_assign(*, user: Any, feedback: Feedback, assignee: Official,
                    workdays: int | None = None, now: dt.datetime | None = None,
                    actor: Official | None = None) -> Feedback:
    """A leader of the responsible unit gives the case to an official of the unit.

    The case's reply deadline (`reply_due`, set when it was received or forwarded) is the
    one owed to the submitter: an assignment never moves it, so a late case stays late (in
    the inbox, the service index and Open311). The assignment has its own date, the
    official's handling deadline (`handling_due`): `workdays` working days from today, and
    never after the reply deadline; without `workdays`, the reply deadline itself (the only
    date a case already late can get). A person asking for more is refused, with the most
    working days left; an import of history (`actor`, no user) keeps what the source
    system recorded, its date brought back to the reply deadline."""
    now = _now(now)
    scope, actor = _acting(user, actor)
    feedback = _lock(feedback)
    _check_leader(scope, actor, feedback, _("Only a leader of the unit responsible assigns "
                                            "this %(case)s.") % {"case": feedback.noun})
    _check_open(feedback, (FeedbackStatus.RECEIVED, FeedbackStatus.ASSIGNED))
    today = timezone.localdate(now)
    if scope is not None and feedback_concerns(official_id=assignee.pk, feedback=feedback):
        raise ServiceError(_("%(name)s is the official this %(case)s is about: give it to "
                             "someone else.") % {"name": assignee.name, "case": feedback.noun},
                           code="concerned", field="assignee")
    if not _is_member(assignee, feedback.unit, today):
        raise ServiceError(_("%(name)s does not work in %(unit)s.")
                           % {"name": assignee.name, "unit": feedback.unit.name},
                           code="not_member", field="assignee")
    due = handling_due(feedback=feedback, today=today, workdays=workdays,
                       strict=scope is not None)
    feedback.assignee = assignee
    feedback.handling_due = due
    feedback.status = FeedbackStatus.ASSIGNED
    _feedback_event(feedback, kind=FeedbackEventKind.ASSIGN, at=now, actor=actor,
                    data={"to_official": assignee.code, "workdays": workdays,
                          "handling_due": due.isoformat()})
    feedback.save()
    audit_record(actor=user, action="feedback.assign", object_type="citizens.feedback",
                 object_code=feedback.code,
                 changes={"assignee": assignee.code, "handling_due": due.isoformat()})
    return feedback


def handling_due(*, feedback: Feedback, today: dt.date, workdays: int | None,
                 strict: bool = True) -> dt.date:
    """The handling deadline an assignment made `today` gives: `workdays` working days
    after today (1 to `MAX_REPLY_WORKDAYS`), or the case's reply deadline when `workdays`
    is None; never after the reply deadline. Asking for a later day is refused when
    `strict` (a person at a page), else brought back to the reply deadline (an import)."""
    reply_due = feedback.reply_due
    if workdays is None:
        return reply_due
    if not 1 <= workdays <= MAX_REPLY_WORKDAYS:
        raise ServiceError(_("The handling deadline is 1 to %(n)s working days.")
                           % {"n": MAX_REPLY_WORKDAYS}, code="workdays", field="workdays")
    calendar = _calendar(today, reply_due)
    due = calendar.add_workdays(today, workdays)
    if due <= reply_due:
        return due
    if not strict:
        return reply_due
    values = {"due": reply_due.strftime("%d/%m/%Y"),
              "n": calendar.workdays_between(today, reply_due)}
    if reply_due < today:
        raise ServiceError(
            _("The case's reply deadline (%(due)s) has passed and an assignment does not move "
              "it: leave the working days empty; the case stays late until it is answered.")
            % values, code="after_reply_due", field="workdays")
    if values["n"] < 1:
        raise ServiceError(
            _("The case's reply deadline is %(due)s and an assignment does not move it: "
              "leave the working days empty (the official has until that day).") % values,
            code="after_reply_due", field="workdays")
    raise ServiceError(
        _("The case's reply deadline is %(due)s and an assignment does not move it: give "
          "at most %(n)s working days, or leave the field empty (until that day).") % values,
        code="after_reply_due", field="workdays")


@transaction.atomic
def feedback_reply(*, user: Any, feedback: Feedback, answer: str,
                   now: dt.datetime | None = None,
        actor: Official | None = None) -> Feedback:
    """The handler answers; the answer is shown to the submitter."""
    now = _now(now)
    scope, actor = _acting(user, actor)
    feedback = _lock(feedback)
    _check_handler(scope, actor, feedback)
    _check_open(feedback, (FeedbackStatus.RECEIVED, FeedbackStatus.ASSIGNED,
                           FeedbackStatus.ANSWERED))
    answer = _text(answer, field="answer", minimum=REASON_MIN, label=_("The answer"))
    feedback.answer = answer
    if feedback.answered_at is None:
        feedback.answered_at = now
    feedback.status = FeedbackStatus.ANSWERED
    _feedback_event(feedback, kind=FeedbackEventKind.REPLY, at=now, actor=actor,
                    data={"answer": answer})
    feedback.save()
    audit_record(actor=user, action="feedback.reply", object_type="citizens.feedback",
                 object_code=feedback.code)
    return feedback


@transaction.atomic
def feedback_close(*, user: Any, feedback: Feedback, now: dt.datetime | None = None
                   ,
        actor: Official | None = None) -> Feedback:
    """Close an answered case: the submitter may now rate it."""
    now = _now(now)
    scope, actor = _acting(user, actor)
    feedback = _lock(feedback)
    _check_handler(scope, actor, feedback)
    _check_open(feedback, (FeedbackStatus.ANSWERED,))
    feedback.status = FeedbackStatus.CLOSED
    feedback.closed_at = now
    _feedback_event(feedback, kind=FeedbackEventKind.CLOSE, at=now, actor=actor)
    feedback.save()
    audit_record(actor=user, action="feedback.close", object_type="citizens.feedback",
                 object_code=feedback.code)
    return feedback


def feedback_units_held(feedback: Feedback) -> set[str]:
    """Codes of the units that have held the case: the unit first concerned and every unit
    it was forwarded to (from its log)."""
    held = {feedback.first_unit.code}
    for data in feedback.events.filter(kind=FeedbackEventKind.FORWARD).values_list(
            "data", flat=True):
        held.add(data.get("to_unit"))
    return held


@transaction.atomic
def feedback_forward(*, user: Any, feedback: Feedback, to_unit: Unit, reason: str,
                     now: dt.datetime | None = None,
        actor: Official | None = None) -> Feedback:
    """"Not our responsibility": the case goes to `to_unit`, with the reason, both shown
    publicly. Counts as a transfer for S3.

    A unit new to the case gets a fresh reply deadline (`REPLY_WORKDAYS` working days after
    today). A unit that already held it (the unit first concerned, or one it was forwarded
    to before) does not, unless `settings.THUOCDO_FEEDBACK_FORWARD_BACK_FRESH_DEADLINE`:
    the case keeps the reply deadline it has, so sending it back and forth never wipes out
    its lateness. The event records the deadline before the forward (`previous_reply_due`),
    whether it had passed (`overdue`: the service index counts such a case late,
    `selectors.service_index`) and whether the deadline is fresh (`fresh_deadline`)."""
    now = _now(now)
    scope, actor = _acting(user, actor)
    feedback = _lock(feedback)
    _check_handler(scope, actor, feedback)
    _check_open(feedback, (FeedbackStatus.RECEIVED, FeedbackStatus.ASSIGNED))
    if to_unit is None or not to_unit.is_active:
        raise ServiceError(_("Name the unit that is responsible."), code="to_unit",
                           field="to_unit")
    if to_unit.pk == feedback.unit_id:
        raise ServiceError(_("The %(case)s is already with this unit.")
                           % {"case": feedback.noun}, code="same_unit", field="to_unit")
    reason = _text(reason, field="reason", minimum=REASON_MIN, maximum=1000,
                   label=_("The reason"))
    today = timezone.localdate(now)
    from_unit = feedback.unit
    previous_due = feedback.reply_due
    fresh = (settings.THUOCDO_FEEDBACK_FORWARD_BACK_FRESH_DEADLINE
             or to_unit.code not in feedback_units_held(feedback))
    feedback.unit = to_unit
    feedback.assignee = None
    feedback.handling_due = None
    feedback.status = FeedbackStatus.RECEIVED
    if fresh:
        feedback.reply_due = _calendar(today).add_workdays(today, REPLY_WORKDAYS)
    feedback.forwards += 1
    _feedback_event(feedback, kind=FeedbackEventKind.FORWARD, at=now, actor=actor,
                    data={"from_unit": from_unit.code, "to_unit": to_unit.code,
                          "to_unit_name": to_unit.name, "reason": reason,
                          "reply_due": feedback.reply_due.isoformat(),
                          "previous_reply_due": previous_due.isoformat(),
                          "overdue": previous_due < today, "fresh_deadline": fresh})
    feedback.save()
    audit_record(actor=user, action="feedback.forward", object_type="citizens.feedback",
                 object_code=feedback.code, reason=reason,
                 changes={"from": from_unit.code, "to": to_unit.code})
    return feedback


@transaction.atomic
def feedback_rate(*, feedback: Feedback, rating: str, now: dt.datetime | None = None
                  ) -> Feedback:
    """The submitter rates a closed case, once."""
    now = _now(now)
    feedback = _lock(feedback)
    refusal = feedback_rate_refusal(feedback)
    if refusal is not None:
        raise refusal
    if rating not in Satisfaction.values:
        raise ServiceError(_("Choose a level of satisfaction."), code="rating",
                           field="rating")
    feedback.rating = rating
    feedback.rated_at = now
    _feedback_event(feedback, kind=FeedbackEventKind.RATE, at=now, data={"rating": rating})
    feedback.save()
    audit_record(action="feedback.rate", object_type="citizens.feedback",
                 object_code=feedback.code, changes={"rating": rating})
    return feedback


def feedback_rate_refusal(feedback: Feedback) -> ServiceError | None:
    """Why the case cannot be rated now (not closed yet, or rated already), or None: the
    one rule `feedback_rate` applies and the portal asks before offering its form."""
    if feedback.status != FeedbackStatus.CLOSED:
        return ServiceError(_("You can rate the handling once the case is closed."),
                            code="not_closed")
    if feedback.rating:
        return ServiceError(_("This %(case)s has already been rated.")
                            % {"case": feedback.noun}, code="already_rated")
    return None


@transaction.atomic
def feedback_verify(*, user: Any, feedback: Feedback, result: str, note: str,
                    task: Any = None, now: dt.datetime | None = None,
        actor: Official | None = None) -> Feedback:
    """A leader of the responsible unit records whether a complaint is founded, and may link
    the task whose work it concerns. A verified complaint is a quality finding against the
    official who held the work (`adapters.quality_findings`)."""
    now = _now(now)
    scope, actor = _acting(user, actor)
    feedback = _lock(feedback)
    _check_leader(scope, actor, feedback, _("Only a leader of the unit verifies a complaint."))
    if feedback.kind != FeedbackKind.COMPLAINT:
        raise ServiceError(_("Only complaints are verified."), code="not_complaint")
    if feedback.verification:
        raise ServiceError(_("This complaint has already been verified."),
                           code="already_verified")
    if result not in Verification.values:
        raise ServiceError(_("Choose the result of the verification."), code="result",
                           field="result")
    note = _text(note, field="note", minimum=REASON_MIN, maximum=2000, label=_("The note"))
    if task is not None:
        from thuocdo.tasks.models import Task

        tasks = Task.objects.filter(pk=task.pk)
        if scope is not None and not tasks.filter(scope.units_q("lead_unit__")).exists():
            raise ServiceError(_("No such task in your units."), code="task", field="task")
        feedback.task = task
    feedback.verification = result
    feedback.verified_at = now
    _feedback_event(feedback, kind=FeedbackEventKind.VERIFY, at=now, actor=actor,
                    public=False, data={"result": result, "note": note,
                                        "task": task.code if task is not None else None})
    feedback.save()
    audit_record(actor=user, action="feedback.verify", object_type="citizens.feedback",
                 object_code=feedback.code, reason=note, changes={"result": result})
    return feedback


# -- procedures and dossiers ------------------------------------------------------------


@transaction.atomic
def procedure_create(*, user: Any = None, code: str, name: str, processing_days: int,
                     steps: Sequence[tuple[str, Unit, int]]) -> Procedure:
    """Add a procedure to the catalogue with its steps (name, unit, allowance); the steps'
    allowances may not add up to more than the legal processing time."""
    code = _text(code, field="code", maximum=64, label=_("The code"))
    name = _text(name, field="name", maximum=500, label=_("The name"))
    if Procedure.objects.filter(code=code).exists():
        raise ServiceError(_("Procedure %(code)s already exists.") % {"code": code},
                           code="duplicate", field="code")
    if not 1 <= processing_days <= 365:
        raise ServiceError(_("The processing time is 1 to 365 working days."),
                           code="processing_days", field="processing_days")
    if not steps:
        raise ServiceError(_("A procedure has at least one step."), code="steps",
                           field="steps")
    if sum(allowance for _n, _u, allowance in steps) > processing_days:
        raise ServiceError(_("The steps' allowances add up to more than the processing "
                             "time."), code="allowances", field="steps")
    procedure = Procedure.objects.create(code=code, name=name,
                                         processing_days=processing_days)
    ProcedureStep.objects.bulk_create([
        ProcedureStep(procedure=procedure, order=i, name=step_name, unit=unit,
                      allowance=allowance)
        for i, (step_name, unit, allowance) in enumerate(steps, start=1)
    ])
    audit_record(actor=user, action="procedure.create", object_type="citizens.procedure",
                 object_code=code, changes={"processing_days": processing_days,
                                            "steps": len(steps)})
    return procedure


def _dossier_event(dossier: Dossier, *, kind: str, at: dt.datetime, actor: Official | None,
                   user: Any, data: dict | None = None) -> DossierEvent:
    if at < dossier.last_event_at:
        raise ServiceError(_("An event cannot be dated before the previous one."),
                           code="out_of_order", field="at")
    data = data or {}
    seq = dossier.version + 1
    event = DossierEvent(
        dossier=dossier, seq=seq, kind=kind, at=at, actor=actor,
        recorded_by=user if getattr(user, "is_authenticated", False) else None,
        unit=dossier.holder_unit, official=dossier.holder_official, step=dossier.step,
        data=data, prev_hash=dossier.last_hash,
    )
    event.hash = _hash({
        "dossier": dossier.code, "seq": seq, "kind": kind,
        "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor": actor.code if actor else None,
        "holder": [dossier.holder_unit.code,
                   dossier.holder_official.code if dossier.holder_official else None],
        "step": dossier.step, "data": data, "prev": dossier.last_hash,
    })
    event.save()
    dossier.version = seq
    dossier.last_hash = event.hash
    dossier.last_event_at = at
    return event


def verify_dossier_chain(dossier: Dossier) -> bool:
    """Recompute the dossier's hash chain: False if any event was edited or removed."""
    prev = ""
    for event in dossier.events.select_related("actor", "unit", "official").order_by("seq"):
        expected = _hash({
            "dossier": dossier.code, "seq": event.seq, "kind": event.kind,
            "at": event.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "actor": event.actor.code if event.actor else None,
            "holder": [event.unit.code, event.official.code if event.official else None],
            "step": event.step, "data": event.data, "prev": prev,
        })
        if event.prev_hash != prev or event.hash != expected:
            return False
        prev = event.hash
    return prev == dossier.last_hash


def _steps(dossier: Dossier) -> list[ProcedureStep]:
    return list(dossier.procedure.steps.select_related("unit").order_by("order"))


def dossier_history(dossier: Dossier, events: Sequence[DossierEvent] | None = None
                    ) -> engine.DossierHistory:
    """The engine's view of a dossier (`events` preloaded with unit and official, or read)."""
    if events is None:
        events = list(dossier.events.select_related("actor", "unit", "official")
                      .order_by("seq"))
    return engine.DossierHistory(
        code=dossier.code, unit=dossier.unit.code, received_at=dossier.received_at,
        due=dossier.due, online=dossier.channel == Channel.ONLINE,
        events=tuple(engine.CaseEvent(
            kind=e.kind, at=e.at, actor=e.actor.code if e.actor else None, unit=e.unit.code,
            official=e.official.code if e.official else None, data=e.data,
        ) for e in events),
    )


def _lock_dossier(dossier: Dossier) -> Dossier:
    return (Dossier.objects.select_for_update(of=("self",))
            .select_related("holder_unit", "holder_official", "procedure", "unit")
            .get(pk=dossier.pk))


def _check_holder(scope: Scope, official: Official, dossier: Dossier) -> None:
    if dossier_holds(scope=scope, dossier=dossier):
        return
    raise PermissionDeniedError(
        _("Only the official holding the dossier or a leader of its unit may do this."),
        code="not_holder")


def _new_dossier_code(procedure: Procedure, day: dt.date) -> str:
    prefix = f"{procedure.code}-{day:%y%m%d}-"
    for _attempt in range(10):
        code = prefix + "".join(secrets.choice(KEY_ALPHABET) for _ in range(4))
        if not Dossier.objects.filter(code=code).exists():
            return code
    raise ServiceError(_("Please try again."), code="retry")  # pragma: no cover


@transaction.atomic
def dossier_receive(*, user: Any, procedure: Procedure, applicant: str, channel: str,
                    applicant_contact: str = "", received_at: dt.datetime | None = None,
                    code: str | None = None, actor: Official | None = None,
                    issue_key: bool = True, access_key: str | None = None,
                    ) -> tuple[Dossier, str]:
    """Receive a dossier at the counter or online, at the unit of the procedure's first
    step; its deadline is the procedure's processing time in working days after the day of
    receipt (measure/dossiers.py). `actor` is for imports and the demo (no user).

    Returns the dossier and the applicant's access key, to be printed once on the receipt
    (giấy tiếp nhận hồ sơ và hẹn trả kết quả): with the code it opens the dossier on the
    public portal. An import passes `issue_key=False` (the key would be known to nobody);
    staff issue one later with `dossier_key_issue`. The key is then "".
    """
    received_at = _now(received_at)
    if actor is None:
        scope, actor = _actor(user)
    else:
        scope = None
    if not procedure.active:
        raise ServiceError(_("This procedure is no longer used."), code="inactive",
                           field="procedure")
    steps = list(procedure.steps.select_related("unit").order_by("order"))
    first = steps[0]
    day = timezone.localdate(received_at)
    if scope is not None and not (first.unit.pk in scope.member_unit_ids
                                  or scope.can_lead_unit(first.unit)):
        raise PermissionDeniedError(
            _("Dossiers of this procedure are received by %(unit)s.")
            % {"unit": first.unit.name}, code="not_receiver")
    applicant = _text(applicant, field="applicant", maximum=255, label=_("The applicant"))
    applicant_contact = _contact(applicant_contact, field="applicant_contact",
                                 label=_("The applicant's contact"))
    if channel not in Channel.values:
        raise ServiceError(_("Choose how the dossier was received."), code="channel",
                           field="channel")
    if code and Dossier.objects.filter(code=code).exists():
        raise ServiceError(_("Dossier %(code)s already exists.") % {"code": code},
                           code="duplicate", field="code")
    due = engine.dossier_due(_calendar(day), day, procedure.processing_days)
    dossier = Dossier.objects.create(
        code=code or _new_dossier_code(procedure, day), procedure=procedure,
        unit=first.unit, applicant=applicant, applicant_contact=applicant_contact,
        channel=channel, received_at=received_at, due=due, due_in_force=due,
        holder_unit=first.unit, holder_official=actor, step=1, last_event_at=received_at,
    )
    key = _issue_key(dossier, access_key) if issue_key else ""
    _dossier_event(dossier, kind=DossierEventKind.RECEIVE, at=received_at, actor=actor,
                   user=user, data={"step": first.name, "due": due.isoformat(),
                                    "channel": channel})
    dossier.save()
    audit_record(actor=user, action="dossier.receive", object_type="citizens.dossier",
                 object_code=dossier.code, changes={"procedure": procedure.code,
                                                    "due": due.isoformat(),
                                                    "access_key": bool(key)})
    return dossier, key


def dossier_key_issue(*, user: Any, dossier: Dossier, access_key: str | None = None,
                      actor: Official | None = None) -> tuple[Dossier, str]:
    """Issue the applicant a new access key (`access_key_issue`): members and leaders of
    the receiving unit (the counter), and whoever may act on the dossier."""
    return access_key_issue(user=user, record=dossier, access_key=access_key, actor=actor)


def feedback_key_issue(*, user: Any, feedback: Feedback, access_key: str | None = None,
                       actor: Official | None = None) -> tuple[Feedback, str]:
    """Issue the submitter a new access key (`access_key_issue`): members and leaders of
    the unit responsible, and the official handling the case."""
    return access_key_issue(user=user, record=feedback, access_key=access_key, actor=actor)


def _act_dossier(user: Any, dossier: Dossier, actor: Official | None
                 ) -> tuple[Dossier, Official]:
    dossier = _lock_dossier(dossier)
    if actor is None:
        scope, actor = _actor(user)
        _check_holder(scope, actor, dossier)
    return dossier, actor


@transaction.atomic
def dossier_move(*, user: Any, dossier: Dossier, to_official: Official | None = None,
                 note: str = "", at: dt.datetime | None = None,
                 actor: Official | None = None) -> Dossier:
    """Hand the dossier on to the next step of its procedure (its unit; `to_official`, a
    member of it, or the unit's leaders to dispatch)."""
    at = _now(at)
    dossier, actor = _act_dossier(user, dossier, actor)
    if dossier.status != DossierStatus.PROCESSING:
        raise ServiceError(_("Only a dossier being processed moves to the next step."),
                           code="bad_state")
    steps = _steps(dossier)
    if dossier.step >= len(steps):
        raise ServiceError(_("This is the last step: return the result."), code="last_step")
    nxt = steps[dossier.step]
    if to_official is not None and not _is_member(to_official, nxt.unit,
                                                  timezone.localdate(at)):
        # the code only: the clerk may not see who else holds it
        raise ServiceError(_("No official of %(unit)s has the code “%(code)s”.")
                           % {"code": to_official.code, "unit": nxt.unit.name},
                           code="not_member", field="to_official")
    dossier.step = nxt.order
    dossier.holder_unit = nxt.unit
    dossier.holder_official = to_official
    data = {"step": nxt.name, "to_unit": nxt.unit.code,
            "to_official": to_official.code if to_official else None}
    if note:
        data["note"] = _text(note, field="note", maximum=1000)
    _dossier_event(dossier, kind=DossierEventKind.MOVE, at=at, actor=actor, user=user,
                   data=data)
    dossier.save()
    audit_record(actor=user, action="dossier.move", object_type="citizens.dossier",
                 object_code=dossier.code, changes={"step": nxt.order})
    return dossier


@transaction.atomic
def dossier_request_supplement(*, user: Any, dossier: Dossier, reason: str,
                               at: dt.datetime | None = None,
                               actor: Official | None = None) -> Dossier:
    """Ask the applicant for more documents; the clock stops until they come. A second
    request is allowed (the applicant must not be blocked) but raises S10."""
    at = _now(at)
    dossier, actor = _act_dossier(user, dossier, actor)
    if dossier.status != DossierStatus.PROCESSING:
        raise ServiceError(_("Only a dossier being processed can ask for supplements."),
                           code="bad_state")
    reason = _text(reason, field="reason", minimum=REASON_MIN, maximum=2000,
                   label=_("The list of documents"))
    dossier.status = DossierStatus.WAITING_SUPPLEMENT
    dossier.supplement_requests += 1
    _dossier_event(dossier, kind=DossierEventKind.SUPPLEMENT_REQUEST, at=at, actor=actor,
                   user=user, data={"reason": reason})
    dossier.save()
    audit_record(actor=user, action="dossier.supplement_request",
                 object_type="citizens.dossier", object_code=dossier.code, reason=reason)
    return dossier


@transaction.atomic
def dossier_receive_supplement(*, user: Any, dossier: Dossier, at: dt.datetime | None = None,
                               actor: Official | None = None) -> Dossier:
    """The supplements came in: processing resumes, and the deadline in force moves by the
    working days the dossier waited."""
    at = _now(at)
    dossier, actor = _act_dossier(user, dossier, actor)
    if dossier.status != DossierStatus.WAITING_SUPPLEMENT:
        raise ServiceError(_("No supplements were requested."), code="bad_state")
    dossier.status = DossierStatus.PROCESSING
    _dossier_event(dossier, kind=DossierEventKind.SUPPLEMENT_RECEIVED, at=at, actor=actor,
                   user=user)
    history = dossier_history(dossier)
    dossier.due_in_force = engine.due_in_force(
        history, _calendar(dossier.due, timezone.localdate(at)))
    dossier.save()
    audit_record(actor=user, action="dossier.supplement_received",
                 object_type="citizens.dossier", object_code=dossier.code,
                 changes={"due_in_force": dossier.due_in_force.isoformat()})
    return dossier


def _apology_date_check(dossier: Dossier, new_date: dt.date | None, *,
                        history: bool) -> None:
    """An apology slip's new date: after the deadline in force, of a year a record may have,
    and (`history` aside) a working day."""
    if new_date is None or new_date <= dossier.due_in_force:
        raise ServiceError(_("The new date must be after the deadline in force (%(due)s).")
                           % {"due": dossier.due_in_force.strftime("%d/%m/%Y")},
                           code="new_date", field="new_date")
    if not year_in_range(new_date.year):  # 9999 overflows the calendar built around it
        raise ServiceError(_("Give a day of a year from %(first)s to %(last)s.")
                           % {"first": FIRST_YEAR, "last": LAST_YEAR},
                           code="new_date", field="new_date")
    if not history:
        calendar = work_calendar(years=[new_date.year, new_date.year + 1])
        refused = day_off_refusal(new_date, next_workday_if_off(calendar, new_date))
        if refused:
            raise ServiceError(refused, code="new_date_day_off", field="new_date")


@transaction.atomic
def dossier_apology(*, user: Any, dossier: Dossier, reason: str, new_date: dt.date,
                    at: dt.datetime | None = None, actor: Official | None = None,
                    history: bool = False) -> Dossier:
    """Issue an apology slip (phiếu xin lỗi và hẹn lại): the reason and a new date after
    the deadline in force, a working day (the applicant comes back that day) unless
    settings.THUOCDO_DEADLINE_ON_DAY_OFF is "accept"; `history`: a slip issued elsewhere,
    imported, keeps its day whatever it is, as imported tasks keep their deadlines. Issued
    after the deadline it is still given to the applicant, but it does not prevent S11 (it
    is marked `before_deadline: false`)."""
    at = _now(at)
    dossier, actor = _act_dossier(user, dossier, actor)
    if dossier.status == DossierStatus.DONE:
        raise ServiceError(_("The result was already returned."), code="bad_state")
    # the reason and the date are said together (`Problems`), each beside its field
    problems = Problems()
    with problems.check():
        reason = _text(reason, field="reason", minimum=REASON_MIN, maximum=2000,
                       label=_("The reason"))
    with problems.check():
        _apology_date_check(dossier, new_date, history=history)
    problems.raise_found()
    before = timezone.localdate(at) <= dossier.due_in_force
    dossier.apology_date = new_date
    _dossier_event(dossier, kind=DossierEventKind.APOLOGY, at=at, actor=actor, user=user,
                   data={"reason": reason, "new_date": new_date.isoformat(),
                         "before_deadline": before})
    dossier.save()
    audit_record(actor=user, action="dossier.apology", object_type="citizens.dossier",
                 object_code=dossier.code, reason=reason,
                 changes={"new_date": new_date.isoformat(), "before_deadline": before})
    return dossier


@transaction.atomic
def dossier_return_result(*, user: Any, dossier: Dossier, note: str = "",
                          at: dt.datetime | None = None,
                          actor: Official | None = None) -> Dossier:
    """Return the result to the applicant: the dossier is done, late if after the deadline
    in force."""
    at = _now(at)
    dossier, actor = _act_dossier(user, dossier, actor)
    if dossier.status != DossierStatus.PROCESSING:
        raise ServiceError(_("Only a dossier being processed can be completed."),
                           code="bad_state")
    dossier.status = DossierStatus.DONE
    dossier.done_at = at
    dossier.done_late = timezone.localdate(at) > dossier.due_in_force
    data = {"note": _text(note, field="note", maximum=1000)} if note else {}
    _dossier_event(dossier, kind=DossierEventKind.RESULT, at=at, actor=actor, user=user,
                   data=data)
    dossier.save()
    audit_record(actor=user, action="dossier.result", object_type="citizens.dossier",
                 object_code=dossier.code, changes={"late": dossier.done_late})
    return dossier


@transaction.atomic
def dossier_rate(*, user: Any = None, dossier: Dossier, rating: str,
                 at: dt.datetime | None = None, actor: Official | None = None,
                 public: bool = False) -> Dossier:
    """Record the applicant's rating of a returned dossier, once: staff record one given at
    the counter or on a paper form; with `public` the applicant rates on the portal (the
    caller checked the code and the key, `selectors.dossier_public_get`), so no official
    acts: the log's event has no actor and `"via": "portal"`, and the audit entry says the
    applicant rated. Either way a low rating is a quality finding
    (`adapters.quality_findings`) and counts in the service index."""
    at = _now(at)
    if public:
        dossier, actor = _lock_dossier(dossier), None
    else:
        dossier, actor = _act_dossier(user, dossier, actor)
    refusal = dossier_rate_refusal(dossier)
    if refusal is not None:
        raise refusal
    if rating not in Satisfaction.values:
        raise ServiceError(_("Choose a level of satisfaction."), code="rating",
                           field="rating")
    dossier.rating = rating
    dossier.rated_at = at
    data = {"rating": rating, "via": "portal"} if public else {"rating": rating}
    _dossier_event(dossier, kind=DossierEventKind.RATE, at=at, actor=actor,
                   user=None if public else user, data=data)
    dossier.save()
    changes = {"rating": rating, "by": "applicant", "via": "portal"} if public else {
        "rating": rating}
    audit_record(actor=None if public else user, action="dossier.rate",
                 object_type="citizens.dossier", object_code=dossier.code, changes=changes)
    return dossier


def dossier_rate_refusal(dossier: Dossier) -> ServiceError | None:
    """Why the dossier cannot be rated now (its result not returned yet, or rated already),
    or None: the one rule `dossier_rate` applies and the portal asks before offering its
    form."""
    if dossier.status != DossierStatus.DONE:
        return ServiceError(_("The applicant rates a dossier once its result is returned."),
                            code="bad_state")
    if dossier.rating:
        return ServiceError(_("This dossier has already been rated."), code="already_rated")
    return None


# -- apology-slip prompts ---------------------------------------------------------------


def prompt_key(dossier_id: int, due: dt.date, recipient_id: int) -> str:
    """The notification key of an apology-slip prompt (one per dossier, deadline, holder)."""
    return f"{PROMPT_KIND}:{dossier_id}:{due.isoformat()}:{recipient_id}"


@transaction.atomic
def apology_prompts_create(*, today: dt.date, now: dt.datetime | None = None) -> int:
    """Prompt the holder of every open dossier whose deadline in force is the next working
    day and that will miss it (`measure.dossiers.will_be_late`: steps still to come), and has
    no apology slip yet: a notification (thuocdo.notifications, kind `dossier_due`) that the
    notifications job e-mails. Each dossier, deadline and holder is prompted once. Returns
    how many prompts were made."""
    from django.conf import settings as django_settings
    from django.urls import reverse
    from django.utils import translation

    from thuocdo.notifications.models import Notification

    now = _now(now)
    calendar = _calendar(today)
    tomorrow = calendar.add_workdays(today, 1)
    rows = list(Dossier.objects.filter(
        status=DossierStatus.PROCESSING, due_in_force=tomorrow, apology_date__isnull=True,
        holder_official__isnull=False).select_related("procedure"))
    allowances: dict[int, list[tuple[int, int]]] = {}
    for procedure_id, order, allowance in ProcedureStep.objects.filter(
            procedure__in={row.procedure_id for row in rows}).values_list(
            "procedure_id", "order", "allowance"):
        allowances.setdefault(procedure_id, []).append((order, allowance))
    late = [d for d in rows if engine.will_be_late(
        due=d.due_in_force, today=today, calendar=calendar,
        later_allowance=sum(a for order, a in allowances.get(d.procedure_id, [])
                            if order > d.step))]
    keys = {d.pk: prompt_key(d.pk, d.due_in_force, d.holder_official_id) for d in late}
    known = set(Notification.objects.filter(key__in=list(keys.values()))
                .values_list("key", flat=True))
    notes = []
    with translation.override(django_settings.LANGUAGE_CODE):
        for dossier in late:
            if keys[dossier.pk] in known:
                continue
            values = {"code": dossier.code, "due": dossier.due_in_force.strftime("%d/%m/%Y"),
                      "procedure": dossier.procedure.name}
            notes.append(Notification(
                recipient_id=dossier.holder_official_id, kind=PROMPT_KIND, task=None,
                key=keys[dossier.pk], deadline=dossier.due_in_force, created_at=now,
                title=(_("Apology slip owed: dossier %(code)s") % values)[:255],
                body=_("Dossier %(code)s (%(procedure)s) is due on %(due)s and will be late. "
                       "Issue an apology slip (reason and new date) to the applicant before "
                       "the deadline.") % values,
                url=reverse("citizens:dossier_detail", kwargs={"code": dossier.code}),
            ))
    Notification.objects.bulk_create(notes, ignore_conflicts=True)
    return len(notes)


# -- answers to quality findings --------------------------------------------------------


@transaction.atomic
def finding_answer(*, user: Any, finding: Any, explanation: str,
                   now: dt.datetime | None = None) -> FindingAnswer:
    """The official a finding names explains it (once the leader has not decided yet)."""
    now = _now(now)
    _scope, actor = _actor(user)
    if actor.code != finding.official:
        raise PermissionDeniedError(_("Only the official concerned answers this finding."),
                                    code="not_concerned")
    explanation = _text(explanation, field="explanation", minimum=REASON_MIN, maximum=4000,
                        label=_("The explanation"))
    row = _finding_row(finding)
    if row.decision:
        raise ServiceError(_("A leader has already decided on this finding."),
                           code="decided")
    row.explanation = explanation
    row.answered_at = now
    row.save()
    audit_record(actor=user, action="finding.answer", object_type="citizens.finding",
                 object_code=finding.key)
    return row


@transaction.atomic
def finding_decide(*, user: Any, finding: Any, decision: str, note: str,
                   now: dt.datetime | None = None) -> FindingAnswer:
    """A leader of the official's unit accepts the explanation (the finding no longer
    counts) or confirms the finding, with a reason."""
    now = _now(now)
    scope, actor = _actor(user)
    if not may_decide_finding(scope=scope, official_code=finding.official):
        raise PermissionDeniedError(_("Only a leader of the official's unit decides."),
                                    code="not_leader")
    if decision not in FindingDecision.values:
        raise ServiceError(_("Choose a decision."), code="decision", field="decision")
    note = _text(note, field="note", minimum=REASON_MIN, maximum=2000, label=_("The reason"))
    row = _finding_row(finding)
    row.decision = decision
    row.decision_note = note
    row.decided_by = actor
    row.decided_at = now
    row.save()
    audit_record(actor=user, action="finding.decide", object_type="citizens.finding",
                 object_code=finding.key, reason=note, changes={"decision": decision})
    return row


def _finding_row(finding: Any) -> FindingAnswer:
    row = FindingAnswer.objects.select_for_update().filter(key=finding.key).first()
    if row is not None:
        return row
    return FindingAnswer(
        key=finding.key, kind=finding.kind, official=Official.objects.get(code=finding.official),
        feedback=Feedback.objects.filter(code=finding.feedback).first() if finding.feedback
        else None,
        dossier=Dossier.objects.filter(code=finding.dossier).first() if finding.dossier
        else None,
    )

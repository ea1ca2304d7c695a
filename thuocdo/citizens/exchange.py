"""The exchange keys `dossiers` and `feedback` (docs/exchange-format.md): their checks, their
import and their export, called by `thuocdo.exchange` (validation, importer, exporter).

`dossiers`: each dossier names its procedure by code; a procedure new to the database is
described on (at least) its first dossier: `procedure_name`, `processing_days`, `steps`.
The dossier is received through `services.dossier_receive` (the deadline is recomputed from
the procedure and the calendar) and its `events` replayed through the same services as the
pages, so the state rules hold (one cannot return a result while waiting for supplements).
An imported dossier has no access key (nobody would know it): staff issue one on its page
(`services.dossier_key_issue`) for the applicant to follow it on the portal. A `rate` with a
null `actor` is a rating the applicant gave on the portal.

`feedback`: a case with its `events` (assign, reply, forward, close, rate, verify), replayed
through the services. An imported case gets a new access key that nobody knows: access keys
are never exported (only their keyed hash is stored), so a case moved between installations
is followed on the portal only once staff issue its submitter a new key
(`services.feedback_key_issue`).

Both are matched by code: a record already in the database is unchanged when its log has as
many events as the document gives, extended when the document gives more (the same first
events), and refused when the document gives fewer.

The `official` a case to create names must have held a place, on the day it was received, in
the agency of its `unit` or a unit under it (`services.official_may_be_named`), as on the
portal: history is checked against the memberships in force then (as the replay of events
is), never against today's, so an official who has moved since is accepted. It is checked
with the others, before anything is written, in the organisation as the import leaves it
(`thuocdo.exchange.organisation`: the document may bring the official, their place or the
unit), and refused at the field's path (`feedback[3].official`, `official_not_in_unit`).

The contact of a record to create (`applicant_contact`, `contact`) must be a Vietnamese phone
number or an e-mail address, as on the pages (`contacts.clean_contact`; stored in its normal
form): otherwise the whole import is refused, with the path of the field (`feedback[3].contact`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from thuocdo.core.errors import ServiceError
from thuocdo.org.models import Official, Unit

from . import contacts, services
from .choices import DossierEventKind, FeedbackEventKind
from .models import Dossier, Feedback, Procedure, ProcedureStep

if TYPE_CHECKING:
    from thuocdo.exchange.organisation import Organisation
    from thuocdo.exchange.validation import Checked

KEYS = ("dossiers", "feedback")
Report = Callable[[str, str, str], None]

#: per event kind, the fields it requires (a dossier's `rate` has a null `actor` when the
#: applicant rated on the public portal)
DOSSIER_REQUIRED = {
    "move": ("actor",), "supplement_request": ("actor", "reason"),
    "supplement_received": ("actor",), "apology": ("actor", "reason", "new_date"),
    "result": ("actor",), "rate": ("rating",),
}
#: a feedback `assign` without `workdays` gives the official the case's reply deadline
#: (`services.handling_due`); with more working days than are left to it, the date is
#: brought back to it: an assignment never moves the case's reply deadline
FEEDBACK_REQUIRED = {
    "assign": ("actor", "to_official"), "reply": ("actor", "answer"),
    "forward": ("actor", "to_unit", "reason"), "close": ("actor",), "rate": ("rating",),
    "verify": ("actor", "result", "note"),
}


def _fields(key: str):
    from thuocdo.exchange.spec import FIELDS

    return FIELDS[key]


def _clean_object(item: Any, fields: dict, path: str, report: Report) -> dict | None:
    """The cleaned values of one object (None after reporting why it is not one)."""
    from thuocdo.exchange.validation import INVALID, clean_value

    if not isinstance(item, dict):
        report(path, "type", _("expected an object"))
        return None
    values: dict[str, Any] = {}
    ok = True
    for name, value in item.items():
        field = fields.get(name)
        if field is None:
            report(f"{path}.{name}", "unknown_field", _("unknown field"))
            ok = False
            continue
        cleaned = clean_value(field, value, f"{path}.{name}", report)
        if cleaned is INVALID:
            ok = False
        values[name] = cleaned
    for field in fields.values():
        if field.required and field.name not in item:
            report(f"{path}.{field.name}", "required", _("required field is missing"))
            ok = False
    return values if ok else None


def _check_list(items: Any, item_fields, path: str, report: Report) -> list[dict | None]:
    if items is None:
        return []
    return [_clean_object(item, {f.name: f for f in item_fields}, f"{path}[{i}]", report)
            for i, item in enumerate(items)]


def check(document: dict, report: Report, *, officials: set[str], units: set[str],
          tasks: set[str] | frozenset[str] = frozenset(), checked: Checked | None = None) -> None:
    """Report every problem of the document's `dossiers` and `feedback`. `officials`,
    `units` and `tasks` are the codes the document defines; the database's are looked up
    here. `checked` is the rest of the document as the validator read it (its units and
    officials' places: where an official worked; without it, the database's)."""
    cleaned: dict[str, list[tuple[int, dict]]] = {}
    for key in KEYS:
        if key not in document:
            continue
        items = document[key]
        if not isinstance(items, list):
            report(key, "type", _("expected a list"))
            continue
        fields = _fields(key)
        rows = []
        seen: set[str] = set()
        for index, item in enumerate(items):
            path = f"{key}[{index}]"
            values = _clean_object(item, fields, path, report)
            if values is None:
                continue
            if values["code"] in seen:
                report(f"{path}.code", "duplicate", _("duplicate code %(code)s")
                       % {"code": values["code"]})
                continue
            seen.add(values["code"])
            list_field = "events"
            events = _check_list(values.get(list_field), fields[list_field].items,
                                 f"{path}.{list_field}", report)
            if any(e is None for e in events):
                continue
            values[list_field] = events
            if key == "dossiers":
                steps = _check_list(values.get("steps"), fields["steps"].items,
                                    f"{path}.steps", report)
                if any(s is None for s in steps):
                    continue
                values["steps"] = steps
            rows.append((index, values))
        cleaned[key] = rows
    known_officials = officials | _stored("officials", cleaned)
    known_units = units | _stored("units", cleaned)
    # A dossier refused for a problem of its own is still what the others name: its code
    # for feedback, the procedure it describes for later dossiers. They are not refused
    # again for naming it (one problem is reported once).
    sound = {index for index, _values in cleaned.get("dossiers", [])}
    given = [(index, item) for index, item in enumerate(_list(document.get("dossiers")))
             if isinstance(item, dict)]
    procedures = set(Procedure.objects.values_list("code", flat=True)) | {
        item["procedure"] for index, item in given
        if index not in sound and "procedure_name" in item
        and isinstance(item.get("procedure"), str)}
    stored_dossiers = set(Dossier.objects.values_list("code", flat=True))
    dossiers = stored_dossiers | {item["code"] for _index, item in given
                                  if isinstance(item.get("code"), str)}
    for index, values in cleaned.get("dossiers", []):
        path = f"dossiers[{index}]"
        _check_dossier(values, path, report, procedures, known_officials, known_units)
        if values["code"] not in stored_dossiers:
            _check_contact(values, "applicant_contact", path, report)
    stored_feedback = set(Feedback.objects.filter(
        code__in=[values["code"] for _i, values in cleaned.get("feedback", [])]
    ).values_list("code", flat=True))
    named_tasks = {e["task"] for _i, values in cleaned.get("feedback", [])
                   for e in values["events"] if isinstance(e.get("task"), str)}
    known_tasks = set(tasks) | _stored_tasks(named_tasks - set(tasks))
    organisation: Organisation | None = None
    received_by = _receiving_units(cleaned, given)
    for index, values in cleaned.get("feedback", []):
        path = f"feedback[{index}]"
        _check_feedback(values, path, report, dossiers, known_officials, known_units,
                        known_tasks)
        if values["code"] not in stored_feedback:
            _check_contact(values, "contact", path, report)
            if values["unit"] not in known_units:
                continue
            from thuocdo.exchange.organisation import Organisation

            if values.get("official") in known_officials:
                organisation = organisation or Organisation(checked)
                _check_official(values, path, report, organisation)
            if received_by.get(values.get("dossier")) in known_units:
                organisation = organisation or Organisation(checked)
                _check_named_dossier(values, path, report, organisation,
                                     received_by[values["dossier"]])


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _check_official(values: dict, path: str, report: Report,
                    organisation: Organisation) -> None:
    """The official a case to create names held a place, on the day it was received, in the
    agency of its unit or a unit under it (`services.official_may_be_named`), in the
    organisation as the import leaves it: history as it was, by the memberships in force
    then."""
    day = timezone.localdate(values["submitted_at"])
    agency = organisation.agency(values["unit"])
    if not organisation.works_under(values["official"], agency, day):
        report(f"{path}.official", "official_not_in_unit",
               _("%(official)s held no place in %(agency)s (the agency of the unit %(unit)s) "
                 "or a unit under it on %(day)s, the day the case was received")
               % {"official": values["official"], "agency": agency, "unit": values["unit"],
                  "day": day.strftime("%d/%m/%Y")})


def _receiving_units(cleaned: dict, given: list[tuple[int, dict]]) -> dict[str, str]:
    """The unit that received each dossier the feedback to create names (code → unit code):
    a stored dossier's, else the first step's of its procedure, as `dossier_receive` sets
    it (described in the document, or stored)."""
    named = {values.get("dossier") for _i, values in cleaned.get("feedback", [])} - {None}
    if not named:
        return {}
    found = dict(Dossier.objects.filter(code__in=named).values_list("code", "unit__code"))
    firsts = dict(ProcedureStep.objects.filter(order=1).values_list("procedure__code",
                                                                     "unit__code"))
    for _index, item in given:
        code = item.get("code")
        if code not in named or code in found:
            continue
        steps = item.get("steps") if "procedure_name" in item else None
        unit = (steps[0].get("unit") if isinstance(steps, list) and steps
                and isinstance(steps[0], dict) else firsts.get(item.get("procedure")))
        if isinstance(unit, str):
            found[code] = unit
    return found


def _check_named_dossier(values: dict, path: str, report: Report,
                         organisation: Organisation, received: str) -> None:
    """The dossier a case to create names was received in the agency of its unit or a unit
    under it (`services.dossier_may_be_named`)."""
    agency = organisation.agency(values["unit"])
    if agency not in organisation.chain(received):
        report(f"{path}.dossier", "dossier_not_in_unit",
               _("dossier %(dossier)s was received by %(received)s, outside %(agency)s (the "
                 "agency of the unit %(unit)s)")
               % {"dossier": values["dossier"], "received": received, "agency": agency,
                  "unit": values["unit"]})


def _check_contact(values: dict, name: str, path: str, report: Report) -> None:
    """The contact of a record to create is a phone number or an e-mail address, as on the
    pages (`contacts.clean_contact`); one already stored is not written again, so an older
    contact of it is not checked. The path names the field: the message does not again."""
    try:
        contacts.clean_contact(values.get(name), label="")
    except ValidationError as error:
        report(f"{path}.{name}", error.code or "bad_contact", error.messages[0])


def _stored_tasks(codes: set[str]) -> set[str]:
    from thuocdo.tasks.models import Task

    return set(Task.objects.filter(code__in=codes).values_list("code", flat=True))


def _stored(kind: str, cleaned: dict) -> set[str]:
    """Codes of officials or units the records name that exist in the database."""
    names: set[str] = set()
    for rows in cleaned.values():
        for _index, values in rows:
            for name, value in values.items():
                if name in ("official", "received_by", "unit") and isinstance(value, str):
                    names.add(value)
            for event in values.get("events", []) + values.get("steps", []):
                for name in ("actor", "to_official", "to_unit", "unit"):
                    if isinstance(event.get(name), str):
                        names.add(event[name])
    model = Official if kind == "officials" else Unit
    return set(model.objects.filter(code__in=names).values_list("code", flat=True))


def _unknown() -> dict[str, tuple[str, str]]:
    """The problem of a reference to nothing, by what it names: the exchange format's codes
    (`unknown_unit`, ...), so that `thuocdo.exchange.validation` summarises those to records
    it could not read as it does for the other keys."""
    return {
        "unit": ("unknown_unit", _("unknown unit %(code)s")),
        "official": ("unknown_official", _("unknown official %(code)s")),
        "task": ("unknown_task", _("unknown task %(code)s")),
        "dossier": ("unknown_dossier", _("unknown dossier %(code)s")),
    }


def _ref(value: Any, known: set[str], path: str, report: Report, what: str) -> None:
    """Report `value` at `path` unless it is one of `known` (codes of `what`: "unit",
    "official", "task" or "dossier")."""
    if isinstance(value, str) and value not in known:
        code, message = _unknown()[what]
        report(path, code, message % {"code": f'"{value}"'})


def _check_order(values: dict, start_field: str, path: str, report: Report) -> None:
    previous = values.get(start_field)
    for i, event in enumerate(values.get("events", [])):
        if previous is not None and event["at"] < previous:
            report(f"{path}.events[{i}].at", "order",
                   _("before the previous event (events are in order of time)"))
        previous = event["at"]


def _check_dossier(values: dict, path: str, report: Report, procedures: set[str],
                   officials: set[str], units: set[str]) -> None:
    described = "procedure_name" in values
    if described:
        for name in ("processing_days", "steps"):
            if not values.get(name):
                report(f"{path}.{name}", "required_with_procedure_name",
                       _("required with procedure_name"))
        allowances = sum(s["allowance"] for s in values.get("steps", []))
        if values.get("processing_days") and allowances > values["processing_days"]:
            report(f"{path}.steps", "allowances",
                   _("the steps' allowances add up to more than processing_days"))
        procedures.add(values["procedure"])
    elif values["procedure"] not in procedures:
        report(f"{path}.procedure", "unknown_ref",
               _("unknown procedure %(code)s: describe it with procedure_name, "
                 "processing_days and steps") % {"code": f'"{values["procedure"]}"'})
    for i, step in enumerate(values.get("steps", [])):
        _ref(step["unit"], units, f"{path}.steps[{i}].unit", report, "unit")
    _ref(values["received_by"], officials, f"{path}.received_by", report, "official")
    for i, event in enumerate(values["events"]):
        here = f"{path}.events[{i}]"
        for name in DOSSIER_REQUIRED[event["kind"]]:
            if event.get(name) in (None, ""):
                report(f"{here}.{name}", "required", _("required for %(kind)s")
                       % {"kind": event["kind"]})
        _ref(event["actor"], officials, f"{here}.actor", report, "official")
        _ref(event.get("to_official"), officials, f"{here}.to_official", report, "official")
    _check_order(values, "received_at", path, report)


def _check_feedback(values: dict, path: str, report: Report, dossiers: set[str],
                    officials: set[str], units: set[str], tasks: set[str]) -> None:
    _ref(values["unit"], units, f"{path}.unit", report, "unit")
    _ref(values.get("official"), officials, f"{path}.official", report, "official")
    _ref(values.get("dossier"), dossiers, f"{path}.dossier", report, "dossier")
    for i, event in enumerate(values["events"]):
        here = f"{path}.events[{i}]"
        for name in FEEDBACK_REQUIRED[event["kind"]]:
            if event.get(name) in (None, ""):
                report(f"{here}.{name}", "required", _("required for %(kind)s")
                       % {"kind": event["kind"]})
        _ref(event.get("actor"), officials, f"{here}.actor", report, "official")
        _ref(event.get("to_official"), officials, f"{here}.to_official", report, "official")
        _ref(event.get("to_unit"), units, f"{here}.to_unit", report, "unit")
        if event.get("task") is not None:
            if event["kind"] != "verify":
                report(f"{here}.task", "not_for_kind", _("only for verify"))
            _ref(event["task"], tasks, f"{here}.task", report, "task")
    _check_order(values, "submitted_at", path, report)


# -- import ------------------------------------------------------------------------------


def write(document: dict, *, actor: Any = None) -> dict[str, tuple[int, int, int]]:
    """Write the checked `dossiers` and `feedback` (inside the importer's transaction);
    returns (created, updated, unchanged) per key. A refusal of a service raises
    ImportRejected with the path of the record."""
    from thuocdo.exchange.problems import ImportRejected, Problem
    from thuocdo.exchange.validation import INVALID, clean_value

    def clean(key: str, item: dict, list_fields=()) -> dict:
        fields = _fields(key)
        values = {name: clean_value(fields[name], value, "", _ignore)
                  for name, value in item.items()}
        for name in list_fields:
            items = {f.name: f for f in fields[name].items}
            values[name] = [{n: clean_value(items[n], v, "", _ignore) for n, v in e.items()}
                            for e in item.get(name) or []]
        assert INVALID not in values.values()  # noqa: S101 - checked before
        return values

    named: set[str] = set()
    for key in KEYS:
        for item in document.get(key) or []:
            named.update(v for v in item.values() if isinstance(v, str))
            for sub in (item.get("events") or []) + (item.get("steps") or []):
                named.update(v for v in sub.values() if isinstance(v, str))
    officials = {o.code: o for o in Official.objects.filter(code__in=named)}
    units = {u.code: u for u in Unit.objects.filter(code__in=named)}
    counts: dict[str, tuple[int, int, int]] = {}
    for key in KEYS:
        if key not in document:
            continue
        created = updated = unchanged = 0
        for index, item in enumerate(document[key]):
            path = f"{key}[{index}]"
            try:
                if key == "dossiers":
                    values = clean(key, item, ("events", "steps"))
                    outcome = _write_dossier(values, officials, units, actor)
                else:
                    values = clean(key, item, ("events",))
                    outcome = _write_feedback(values, officials, units, actor)
            except ServiceError as error:
                raise ImportRejected([Problem(path, error.service_code,
                                              error.service_message)]) from error
            except _Differs as error:
                raise ImportRejected([Problem(f"{path}.events", "history_differs",
                                              str(error))]) from error
            created += outcome == "created"
            updated += outcome == "updated"
            unchanged += outcome == "unchanged"
        counts[key] = (created, updated, unchanged)
    return counts


def _ignore(*_args) -> None:
    """Values were checked before writing; nothing to report."""


class _Differs(Exception):
    pass


def _todo(stored: int, events: list[dict]) -> list[dict]:
    """The events still to replay on a record whose log holds `stored` of them."""
    if len(events) < stored:
        raise _Differs(_("the database holds %(n)d events for this record, the document "
                         "fewer") % {"n": stored})
    return events[stored:]


def _write_dossier(values: dict, officials: dict, units: dict, user: Any) -> str:
    procedure = Procedure.objects.filter(code=values["procedure"]).first()
    if procedure is None:
        procedure = services.procedure_create(
            user=user, code=values["procedure"], name=values["procedure_name"],
            processing_days=values["processing_days"],
            steps=[(s["name"], units[s["unit"]], s["allowance"]) for s in values["steps"]])
    dossier = Dossier.objects.filter(code=values["code"]).first()
    outcome = "unchanged"
    if dossier is None:
        dossier, _key = services.dossier_receive(
            user=user, actor=officials[values["received_by"]], procedure=procedure,
            applicant=values["applicant"], applicant_contact=values.get("applicant_contact", ""),
            channel=values["channel"], received_at=values["received_at"], code=values["code"],
            issue_key=False)
        outcome = "created"
    todo = _todo(dossier.events.exclude(kind=DossierEventKind.RECEIVE).count(),
                 values["events"])
    for event in todo:
        kind = event["kind"]
        if kind == "rate" and not event.get("actor"):  # the applicant, on the portal
            dossier = services.dossier_rate(dossier=dossier, rating=event["rating"],
                                            at=event["at"], public=True)
            continue
        kwargs = {"user": user, "dossier": dossier, "at": event["at"],
                  "actor": officials[event["actor"]]}
        if kind == "move":
            dossier = services.dossier_move(
                to_official=officials.get(event.get("to_official") or ""),
                note=event.get("note", ""), **kwargs)
        elif kind == "supplement_request":
            dossier = services.dossier_request_supplement(reason=event["reason"], **kwargs)
        elif kind == "supplement_received":
            dossier = services.dossier_receive_supplement(**kwargs)
        elif kind == "apology":
            dossier = services.dossier_apology(reason=event["reason"],
                                               new_date=event["new_date"], history=True,
                                               **kwargs)
        elif kind == "result":
            dossier = services.dossier_return_result(note=event.get("note", ""), **kwargs)
        else:
            dossier = services.dossier_rate(rating=event["rating"], **kwargs)
    if todo and outcome == "unchanged":
        outcome = "updated"
    return outcome


def _write_feedback(values: dict, officials: dict, units: dict, user: Any) -> str:
    feedback = Feedback.objects.filter(code=values["code"]).first()
    outcome = "unchanged"
    if feedback is None:
        # the official it names was checked before writing (`_check_official`); the
        # service asks again, on the day of receipt
        official, unit = officials.get(values.get("official") or ""), units[values["unit"]]
        feedback, _key = services.feedback_submit(
            kind=values.get("kind", "feedback"), category=values["category"],
            unit=unit, text=values["text"],
            contact_name=values.get("contact_name", ""), contact=values.get("contact", ""),
            official=official,
            dossier=Dossier.objects.filter(code=values.get("dossier") or "").first(),
            address=values.get("address", ""), now=values["submitted_at"], via="import",
            code=values["code"])
        outcome = "created"
    todo = _todo(feedback.events.exclude(kind=FeedbackEventKind.SUBMIT).count(),
                 values["events"])
    for event in todo:
        kind, at = event["kind"], event["at"]
        actor = officials.get(event.get("actor") or "")
        common = {"user": user, "feedback": feedback, "now": at, "actor": actor}
        if kind == "assign":
            feedback = services.feedback_assign(assignee=officials[event["to_official"]],
                                                workdays=event.get("workdays"), **common)
        elif kind == "reply":
            feedback = services.feedback_reply(answer=event["answer"], **common)
        elif kind == "forward":
            feedback = services.feedback_forward(to_unit=units[event["to_unit"]],
                                                 reason=event["reason"], **common)
        elif kind == "close":
            feedback = services.feedback_close(**common)
        elif kind == "rate":
            feedback = services.feedback_rate(feedback=feedback, rating=event["rating"], now=at)
        else:
            from thuocdo.tasks.models import Task

            feedback = services.feedback_verify(
                result=event["result"], note=event["note"],
                task=Task.objects.filter(code=event.get("task") or "").first(), **common)
    if todo and outcome == "unchanged":
        outcome = "updated"
    return outcome


# -- export ------------------------------------------------------------------------------


def _iso(moment: dt.datetime) -> str:
    from thuocdo.exchange.exporter import iso

    return iso(moment)


def export_dossiers() -> list[dict]:
    """Every dossier with its procedure (described on the procedure's first dossier) and
    its log after receipt."""
    rows = []
    described: set[int] = set()
    dossiers = (Dossier.objects.select_related("procedure").order_by("received_at", "code")
                .prefetch_related("procedure__steps__unit", "events__actor", "events__official"))
    for dossier in dossiers:
        events = sorted(dossier.events.all(), key=lambda e: e.seq)
        receive = events[0]
        record: dict[str, Any] = {"code": dossier.code, "procedure": dossier.procedure.code}
        if dossier.procedure_id not in described:
            described.add(dossier.procedure_id)
            record.update({
                "procedure_name": dossier.procedure.name,
                "processing_days": dossier.procedure.processing_days,
                "steps": [{"name": s.name, "unit": s.unit.code, "allowance": s.allowance}
                          for s in sorted(dossier.procedure.steps.all(), key=lambda s: s.order)],
            })
        record.update({
            "applicant": dossier.applicant, "applicant_contact": dossier.applicant_contact,
            "channel": dossier.channel, "received_at": _iso(dossier.received_at),
            "received_by": receive.actor.code if receive.actor else None,
            "due": dossier.due.isoformat(), "events": [],
        })
        for event in events[1:]:
            item: dict[str, Any] = {"kind": event.kind, "at": _iso(event.at),
                                    "actor": event.actor.code if event.actor else None}
            data = event.data
            if event.kind == "move" and data.get("to_official"):
                item["to_official"] = data["to_official"]
            for name in ("reason", "new_date", "rating", "note"):
                if data.get(name):
                    item[name] = data[name]
            record["events"].append(item)
        rows.append(record)
    return rows


def export_feedback() -> list[dict]:
    """Every feedback case with its log after submission (never the access key, nor the
    hashed address)."""
    rows = []
    cases = (Feedback.objects.select_related("first_unit", "official", "dossier")
             .order_by("submitted_at", "code").prefetch_related("events__actor"))
    for feedback in cases:
        record: dict[str, Any] = {
            "code": feedback.code, "kind": feedback.kind, "category": feedback.category,
            "unit": feedback.first_unit.code,
            "official": feedback.official.code if feedback.official else None,
            "dossier": feedback.dossier.code if feedback.dossier else None,
            "text": feedback.text, "contact_name": feedback.contact_name,
            "contact": feedback.contact, "address": feedback.address,
            "submitted_at": _iso(feedback.submitted_at), "events": [],
        }
        for event in sorted(feedback.events.all(), key=lambda e: e.seq):
            if event.kind == FeedbackEventKind.SUBMIT:
                continue
            item: dict[str, Any] = {"kind": event.kind, "at": _iso(event.at)}
            if event.kind != FeedbackEventKind.RATE:
                item["actor"] = event.actor.code if event.actor else None
            data = event.data
            for name in ("to_official", "workdays", "answer", "to_unit", "reason", "rating",
                         "result", "note", "task"):
                if data.get(name) not in (None, ""):
                    item[name] = data[name]
            record["events"].append(item)
        rows.append(record)
    return rows

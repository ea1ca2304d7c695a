"""Writes of the tasks app: the product catalogue, directives, and tasks through their workflow."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from thuocdo.core.errors import PermissionDeniedError, ServiceError
from thuocdo.core.services import UNSET, Unset, audit_record
from thuocdo.core.text import fold
from thuocdo.org.choices import LEADER_POSITIONS
from thuocdo.org.models import Membership, Official, Unit

from .choices import EventKind, Priority, TaskState
from .models import (
    Directive,
    Product,
    ProductCoefficient,
    Task,
    TaskCoordination,
    TaskEvent,
    TaskStep,
)


def _check_coefficient(coefficient: Decimal) -> None:
    if coefficient <= 0:
        raise ServiceError(_("A coefficient must be greater than 0."), code="coefficient",
                           field="coefficient")


@transaction.atomic
def product_create(
    *, actor: Any = None, code: str, name: str, coefficient: Decimal,
    valid_from: dt.date | None = None,
) -> Product:
    code = code.strip()
    if not code:
        raise ServiceError(_("A product needs a code."), code="product_code", field="code")
    if Product.objects.filter(code=code).exists():
        raise ServiceError(_("Product code “%(code)s” is already used.") % {"code": code},
                           code="product_code_taken", field="code")
    coefficient = Decimal(str(coefficient))
    _check_coefficient(coefficient)
    product = Product.objects.create(code=code, name=name.strip())
    ProductCoefficient.objects.create(
        product=product, coefficient=coefficient, valid_from=valid_from or dt.date(1900, 1, 1)
    )
    audit_record(actor=actor, action="product.create", object_type="tasks.product",
                 object_code=code, changes={"name": product.name,
                                            "coefficient": str(coefficient)})
    return product


@transaction.atomic
def product_update(
    *, actor: Any = None, product: Product, name: str | None = None,
    coefficient: Decimal | None = None, valid_from: dt.date | None = None, reason: str = "",
) -> Product:
    """Rename a product, or give it a new coefficient from `valid_from` (default today).
    Tasks already assigned keep the coefficient that was in force for them."""
    changes: dict[str, Any] = {}
    if name is not None and name.strip() != product.name:
        changes["name"] = [product.name, name.strip()]
        product.name = name.strip()
        product.save(update_fields=["name"])
    if coefficient is not None:
        coefficient = Decimal(str(coefficient))
        _check_coefficient(coefficient)
        if coefficient != product.current_coefficient:
            start = valid_from or timezone.localdate()
            ProductCoefficient.objects.update_or_create(
                product=product, valid_from=start, defaults={"coefficient": coefficient}
            )
            changes["coefficient"] = [str(product.current_coefficient), str(coefficient),
                                      start.isoformat()]
    if changes:
        audit_record(actor=actor, action="product.update", object_type="tasks.product",
                     object_code=product.code, changes=changes, reason=reason)
    return product


@transaction.atomic
def directive_create(
    *, actor: Any = None, code: str, title: str, issued_by: Unit, issued_on: dt.date,
    answers: Directive | None = None,
) -> Directive:
    code = code.strip()
    if not code:
        raise ServiceError(_("A directive needs a code."), code="directive_code", field="code")
    if Directive.objects.filter(code=code).exists():
        raise ServiceError(_("Directive code “%(code)s” is already used.") % {"code": code},
                           code="directive_code_taken", field="code")
    if not title.strip():
        raise ServiceError(_("A directive needs a title."), code="directive_title",
                           field="title")
    directive = Directive.objects.create(code=code, title=title.strip(), issued_by=issued_by,
                                         issued_on=issued_on, answers=answers)
    audit_record(actor=actor, action="directive.create", object_type="tasks.directive",
                 object_code=code, changes={"issued_by": issued_by.code,
                                            "issued_on": issued_on.isoformat()})
    return directive


@transaction.atomic
def directive_update(
    *, actor: Any = None, directive: Directive, title: str | None = None,
    issued_by: Unit | None = None, issued_on: dt.date | None = None,
    answers: Directive | Unset | None = UNSET, reason: str = "",
) -> Directive:
    changes: dict[str, Any] = {}
    if title is not None and title.strip() != directive.title:
        changes["title"] = [directive.title, title.strip()]
        directive.title = title.strip()
    if issued_by is not None and issued_by.pk != directive.issued_by_id:
        changes["issued_by"] = [directive.issued_by.code, issued_by.code]
        directive.issued_by = issued_by
    if issued_on is not None and issued_on != directive.issued_on:
        changes["issued_on"] = [directive.issued_on.isoformat(), issued_on.isoformat()]
        directive.issued_on = issued_on
    if not isinstance(answers, Unset) and (answers.pk if answers else None) != directive.answers_id:
        changes["answers"] = [directive.answers.code if directive.answers else None,
                              answers.code if answers else None]
        directive.answers = answers
    if changes:
        directive.save()
        audit_record(actor=actor, action="directive.update", object_type="tasks.directive",
                     object_code=directive.code, changes=changes, reason=reason)
    return directive


# -- bulk writes (imports) -------------------------------------------------------------
#
# Like the bulk services of `thuocdo.org.services`: rows refer to records by code, the rules
# are checked set-wise before anything is written, and one audit entry is recorded per call
# (none with `audit=False`, when the caller records one for its whole run).

BULK_BATCH = 500
ALWAYS = dt.date(1900, 1, 1)  # the first coefficient of a product is in force from the start


class ProductRow(NamedTuple):
    """A product; `valid_from` is when `coefficient` starts (new product: ALWAYS; change:
    today)."""

    code: str
    name: str
    coefficient: Decimal
    valid_from: dt.date | None = None


class DirectiveRow(NamedTuple):
    """A directive; `issued_by` is a unit code, `answers` a directive code or None."""

    code: str
    title: str
    issued_by: str
    issued_on: dt.date
    answers: str | None = None


def _by_code(model: Any, codes: Sequence[str] | set[str]) -> dict[str, Any]:
    wanted = sorted(set(codes))
    found: dict[str, Any] = {}
    for i in range(0, len(wanted), 900):
        for obj in model.objects.filter(code__in=wanted[i:i + 900]):
            found[obj.code] = obj
    return found


def _check_bulk_codes(model: Any, codes: list[str], *, prefix: str) -> None:
    if any(not code for code in codes) or len(set(codes)) != len(codes):
        raise ServiceError(_("Every new record needs its own code."), code=f"{prefix}_code",
                           field="code")
    taken = _by_code(model, codes)
    if taken:
        raise ServiceError(_("Code “%(code)s” is already used.") % {"code": min(taken)},
                           code=f"{prefix}_code_taken", field="code")


@transaction.atomic
def products_bulk_create(
    *, actor: Any = None, rows: Sequence[ProductRow], audit: bool = True
) -> int:
    """Create many products, each with its first coefficient."""
    rows = [r._replace(code=r.code.strip(), name=r.name.strip(),
                       coefficient=Decimal(str(r.coefficient))) for r in rows]
    _check_bulk_codes(Product, [r.code for r in rows], prefix="product")
    for row in rows:
        _check_coefficient(row.coefficient)
    products = Product.objects.bulk_create([Product(code=r.code, name=r.name) for r in rows],
                                           batch_size=BULK_BATCH)
    ProductCoefficient.objects.bulk_create(
        [ProductCoefficient(product=p, coefficient=r.coefficient,
                            valid_from=r.valid_from or ALWAYS)
         for p, r in zip(products, rows, strict=True)],
        batch_size=BULK_BATCH,
    )
    if audit and rows:
        audit_record(actor=actor, action="product.bulk_create", object_type="tasks.product",
                     changes={"count": len(rows)})
    return len(rows)


@transaction.atomic
def products_bulk_update(
    *, actor: Any = None, rows: Sequence[ProductRow], audit: bool = True
) -> int:
    """Rename stored products and give them a new coefficient from `valid_from` (default
    today) when it differs from the one in force; returns how many changed. A change dated
    on the day the current coefficient started corrects it; one dated earlier is refused
    (it would never be in force)."""
    today = timezone.localdate()
    products = _by_code(Product, [r.code for r in rows])
    latest: dict[int, ProductCoefficient] = {}
    ids = sorted(p.pk for p in products.values())
    for i in range(0, len(ids), 900):
        for version in ProductCoefficient.objects.filter(product_id__in=ids[i:i + 900]):
            known = latest.get(version.product_id)
            if known is None or version.valid_from > known.valid_from:
                latest[version.product_id] = version
    renamed, corrected, added = [], [], []
    changed = set()
    for row in rows:
        product = products.get(row.code)
        if product is None:
            raise ServiceError(_("Unknown product “%(code)s”.") % {"code": row.code},
                               code="product_unknown")
        if product.name != row.name.strip():
            product.name = row.name.strip()
            renamed.append(product)
            changed.add(product.pk)
        coefficient = Decimal(str(row.coefficient))
        _check_coefficient(coefficient)
        current = latest.get(product.pk)
        if current is not None and current.coefficient == coefficient:
            continue
        start = row.valid_from or today
        if current is not None and start < current.valid_from:
            raise ServiceError(
                _("A new coefficient of “%(code)s” cannot start before the one in force.")
                % {"code": product.code}, code="coefficient", field="coefficient")
        if current is not None and start == current.valid_from:
            current.coefficient = coefficient
            corrected.append(current)
        else:
            added.append(ProductCoefficient(product=product, coefficient=coefficient,
                                            valid_from=start))
        changed.add(product.pk)
    Product.objects.bulk_update(renamed, ["name"], batch_size=BULK_BATCH)
    ProductCoefficient.objects.bulk_update(corrected, ["coefficient"], batch_size=BULK_BATCH)
    ProductCoefficient.objects.bulk_create(added, batch_size=BULK_BATCH)
    if audit and changed:
        audit_record(actor=actor, action="product.bulk_update", object_type="tasks.product",
                     changes={"count": len(changed), "new_coefficients": len(added)})
    return len(changed)


def _directive_links(rows: Sequence[DirectiveRow]) -> dict[str, Unit]:
    """The issuing units and the answered directives of `rows`, refusing unknown codes and
    cycles of `answers`."""
    units = _by_code(Unit, {r.issued_by for r in rows})
    missing = {r.issued_by for r in rows} - units.keys()
    if missing:
        raise ServiceError(_("Unknown unit “%(code)s”.") % {"code": min(missing)},
                           code="unit_unknown", field="issued_by")
    answers = dict(Directive.objects.filter(answers__isnull=False)
                   .values_list("code", "answers__code"))
    stored = set(Directive.objects.values_list("code", flat=True))
    for row in rows:
        answers.pop(row.code, None)
        if row.answers:
            answers[row.code] = row.answers
    known = stored | {r.code for r in rows}
    for row in rows:
        if row.answers and row.answers not in known:
            raise ServiceError(_("Unknown directive “%(code)s”.") % {"code": row.answers},
                               code="directive_unknown", field="answers")
        seen = {row.code}
        node = answers.get(row.code)
        while node is not None:
            if node in seen:
                raise ServiceError(_("Directive “%(code)s” would answer itself.")
                                   % {"code": row.code}, code="directive_cycle",
                                   field="answers")
            seen.add(node)
            node = answers.get(node)
    return units


@transaction.atomic
def directives_bulk_create(
    *, actor: Any = None, rows: Sequence[DirectiveRow], audit: bool = True
) -> int:
    """Create many directives; one may answer another of the same call."""
    rows = [r._replace(code=r.code.strip(), title=r.title.strip()) for r in rows]
    _check_bulk_codes(Directive, [r.code for r in rows], prefix="directive")
    if any(not r.title for r in rows):
        raise ServiceError(_("A directive needs a title."), code="directive_title",
                           field="title")
    units = _directive_links(rows)
    created = Directive.objects.bulk_create(
        [Directive(code=r.code, title=r.title, issued_by=units[r.issued_by],
                   issued_on=r.issued_on) for r in rows],
        batch_size=BULK_BATCH,
    )
    _set_answers(created, rows)
    if audit and rows:
        audit_record(actor=actor, action="directive.bulk_create",
                     object_type="tasks.directive", changes={"count": len(rows)})
    return len(rows)


def _set_answers(directives: list[Directive], rows: Sequence[DirectiveRow]) -> None:
    """Point each directive's `answers` at its row's code (after every row exists)."""
    targets = _by_code(Directive, {r.answers for r in rows if r.answers})
    changed = []
    for directive, row in zip(directives, rows, strict=True):
        answers_id = targets[row.answers].pk if row.answers else None
        if directive.answers_id != answers_id:
            directive.answers_id = answers_id
            changed.append(directive)
    Directive.objects.bulk_update(changed, ["answers"], batch_size=BULK_BATCH)


@transaction.atomic
def directives_bulk_update(
    *, actor: Any = None, rows: Sequence[DirectiveRow], audit: bool = True
) -> int:
    """Set title, issuer, date and answered directive of stored directives (matched by code)
    to the rows' values; returns how many changed."""
    rows = [r._replace(title=r.title.strip()) for r in rows]
    if any(not r.title for r in rows):
        raise ServiceError(_("A directive needs a title."), code="directive_title",
                           field="title")
    directives = _by_code(Directive, [r.code for r in rows])
    missing = {r.code for r in rows} - directives.keys()
    if missing:
        raise ServiceError(_("Unknown directive “%(code)s”.") % {"code": min(missing)},
                           code="directive_unknown")
    units = _directive_links(rows)
    targets = _by_code(Directive, {r.answers for r in rows if r.answers})
    changed = []
    for row in rows:
        directive = directives[row.code]
        new = (row.title, units[row.issued_by].pk, row.issued_on,
               targets[row.answers].pk if row.answers else None)
        if (directive.title, directive.issued_by_id, directive.issued_on,
                directive.answers_id) == new:
            continue
        (directive.title, directive.issued_by_id, directive.issued_on,
         directive.answers_id) = new
        changed.append(directive)
    Directive.objects.bulk_update(changed, ["title", "issued_by", "issued_on", "answers"],
                                  batch_size=BULK_BATCH)
    if audit and changed:
        audit_record(actor=actor, action="directive.bulk_update",
                     object_type="tasks.directive", changes={"count": len(changed)})
    return len(changed)


# -- tasks and their workflow ----------------------------------------------------------
#
# One mechanism: `task_act` locks the task row, checks the transition table (state and
# person), validates the payload, appends one hash-chained event and updates the task's
# caches. Each action is a named service that calls it (`task_accept`, `task_transfer`, ...).


def _local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _holder_of(official: Official, day: dt.date) -> Unit | None:
    """The unit an official works in on `day` (their first membership in force)."""
    membership = (
        Membership.objects.filter(Q(end__isnull=True) | Q(end__gte=day), official=official,
                                  start__lte=day)
        .select_related("unit").order_by("start", "pk").first()
    )
    return membership.unit if membership else None


def _is_member(official: Official, unit: Unit, day: dt.date) -> bool:
    return Membership.objects.filter(
        Q(end__isnull=True) | Q(end__gte=day), official=official, unit=unit, start__lte=day
    ).exists()


def _leading_unit_above(official: Official, unit: Unit, day: dt.date) -> Unit | None:
    """The nearest unit, `unit` itself or above it, that `official` leads on `day`."""
    membership = (
        Membership.objects.filter(
            Q(end__isnull=True) | Q(end__gte=day), official=official, start__lte=day,
            position__in=list(LEADER_POSITIONS),
            unit__lft__lte=unit.lft, unit__rgt__gte=unit.rgt,
        ).select_related("unit").order_by("-unit__lft").first()
    )
    return membership.unit if membership else None


def event_hash(payload: dict) -> str:
    """SHA-256 of an event's canonical JSON (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def event_payload(event: TaskEvent, *, task_code: str, codes: dict) -> dict:
    """What an event's hash covers. `codes` maps ("unit"|"official", pk) → code."""

    def code(kind: str, pk: int | None) -> str | None:
        return codes[(kind, pk)] if pk is not None else None

    return {
        "task": task_code,
        "seq": event.seq,
        "kind": event.kind,
        "at": event.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor": code("official", event.actor_id),
        "state": [event.state_before, event.state_after],
        "holder_before": [code("unit", event.holder_unit_before_id),
                          code("official", event.holder_official_before_id)],
        "holder_after": [code("unit", event.holder_unit_after_id),
                         code("official", event.holder_official_after_id)],
        "data": event.data,
        "prev": event.prev_hash,
    }


def _append_event(
    *, task: Task, kind: str, at: dt.datetime, actor: Official | None, user: Any,
    state_after: str, holder_unit: Unit, holder_official: Official | None, data: dict,
) -> TaskEvent:
    event = TaskEvent(
        task=task, seq=task.version + 1, kind=kind, at=at, actor=actor,
        recorded_by=user if getattr(user, "is_authenticated", False) else None,
        state_before=task.state if task.version else "", state_after=state_after,
        holder_unit_before=task.holder_unit if task.version else None,
        holder_official_before=task.holder_official if task.version else None,
        holder_unit_after=holder_unit, holder_official_after=holder_official,
        data=data, prev_hash=task.last_hash,
    )
    codes = {
        ("unit", u.pk): u.code for u in (event.holder_unit_before, holder_unit) if u is not None
    } | {
        ("official", o.pk): o.code
        for o in (actor, event.holder_official_before, holder_official) if o is not None
    }
    event.hash = event_hash(event_payload(event, task_code=task.code, codes=codes))
    event.save(force_insert=True)
    task.version = event.seq
    task.last_hash = event.hash
    task.last_event_at = at
    task.state = state_after
    task.holder_unit = holder_unit
    task.holder_official = holder_official
    return event


def _err(message: str, code: str, field: str | None = None) -> ServiceError:
    return ServiceError(message, code=code, field=field)


@transaction.atomic
def task_assign(
    *,
    user: Any = None,
    assigned_by: Official,
    title: str,
    product: Product | None,
    lead_unit: Unit | None,
    lead_official: Official | None,
    due: dt.date | None,
    code: str | None = None,
    description: str = "",
    directive: Directive | None = None,
    quantity: int = 1,
    priority: str = Priority.NORMAL,
    coordinating: Iterable[tuple[Unit, dt.date]] = (),
    steps: Iterable[tuple[str, int]] = (),
    at: dt.datetime | None = None,
    allow_past_due: bool = False,
) -> Task:
    """Assign a task with the five "rõ": one lead unit and official, a product, a deadline.

    A task without one lead, a deadline or a product is refused. The assigner must lead the
    lead unit or a unit above it on the day of assignment. The deadline may not be in the
    past (imports of history pass `allow_past_due`, but it may never precede assignment).
    """
    at = at or timezone.now()
    day = _local_day(at)
    title = (title or "").strip()
    if not title:
        raise _err(_("A task needs a title (rõ việc)."), "task_title", "title")
    if product is None:
        raise _err(_("A task needs a product (rõ hiệu quả)."), "task_product", "product")
    if lead_unit is None:
        raise _err(_("A task needs one lead unit (rõ người)."), "task_lead_unit", "lead_unit")
    if lead_official is None:
        raise _err(_("A task needs one lead official (rõ người)."), "task_lead_official",
                   "lead_official")
    if due is None:
        raise _err(_("A task needs a deadline."), "task_due", "due")
    if due < day:
        message = (_("The deadline cannot precede the assignment.") if allow_past_due
                   else _("The deadline cannot be in the past."))
        raise _err(message, "task_due_past", "due")
    if quantity < 1:
        raise _err(_("The quantity must be at least 1."), "task_quantity", "quantity")
    if priority not in Priority.values:
        raise _err(_("Unknown priority."), "task_priority", "priority")
    if not _is_member(lead_official, lead_unit, day):
        raise _err(
            _("%(official)s does not work in %(unit)s.")
            % {"official": lead_official.code, "unit": lead_unit.code},
            "task_lead_not_member", "lead_official",
        )
    assigner_unit = _leading_unit_above(assigned_by, lead_unit, day)
    if assigner_unit is None:
        raise PermissionDeniedError(
            _("%(official)s does not lead %(unit)s or a unit above it.")
            % {"official": assigned_by.code, "unit": lead_unit.code},
            code="task_assigner_not_leader",
        )
    coefficient = product.coefficient_on(day)
    if coefficient is None:
        raise _err(_("Product %(code)s has no coefficient in force.") % {"code": product.code},
                   "task_product_coefficient", "product")
    coordinating = list(coordinating)
    seen: set[int] = set()
    for unit, unit_due in coordinating:
        if unit.pk == lead_unit.pk or unit.pk in seen:
            raise _err(_("A coordinating unit must differ from the lead unit and be named once."),
                       "task_coordination", "coordinating_units")
        if unit_due > due or unit_due < day:
            raise _err(
                _("The deadline of coordinating unit %(unit)s must fall between the assignment "
                  "and the task's deadline.") % {"unit": unit.code},
                "task_coordination_due", "coordinating_units",
            )
        seen.add(unit.pk)
    code = (code or "").strip()
    if code and Task.objects.filter(code=code).exists():
        raise _err(_("Task code “%(code)s” is already used.") % {"code": code},
                   "task_code_taken", "code")
    task = Task(
        code=code or f"tmp-{uuid.uuid4().hex}", title=title, title_folded=fold(title),
        description=description.strip(), directive=directive, product=product,
        quantity=quantity, coefficient=coefficient, lead_unit=lead_unit,
        lead_official=lead_official, assigned_by=assigned_by, assigner_unit=assigner_unit,
        assigned_at=at, due=due, priority=priority, state=TaskState.ASSIGNED,
        due_in_force=due, holder_unit=lead_unit, holder_official=lead_official,
        last_event_at=at,
    )
    task.save(force_insert=True)
    if not code:
        task.code = f"NV{day:%Y}-{task.pk:06d}"
        Task.objects.filter(pk=task.pk).update(code=task.code)
    TaskCoordination.objects.bulk_create(
        TaskCoordination(task=task, unit=unit, due=unit_due) for unit, unit_due in coordinating
    )
    TaskStep.objects.bulk_create(
        TaskStep(task=task, order=i, name=name, allowance=allowance)
        for i, (name, allowance) in enumerate(steps, start=1)
    )
    data = {
        "lead_unit": lead_unit.code, "lead_official": lead_official.code,
        "due": due.isoformat(), "product": product.code, "quantity": quantity,
        "priority": priority,
    }
    _append_event(task=task, kind=EventKind.CREATE, at=at, actor=assigned_by, user=user,
                  state_after=TaskState.ASSIGNED, holder_unit=lead_unit,
                  holder_official=lead_official, data=data)
    task.save()
    return task


def _text(data: dict, name: str, label: str) -> str:
    value = str(data.get(name) or "").strip()
    if not value:
        raise _err(_("%(field)s is required.") % {"field": label}, f"missing_{name}", name)
    return value


def _date(data: dict, name: str) -> dt.date:
    value = data.get(name)
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise _err(_("Not a date (YYYY-MM-DD): “%(value)s”.") % {"value": value},
                   f"bad_{name}", name) from None


def _unit(data: dict, name: str) -> Unit:
    value = data.get(name)
    if isinstance(value, Unit):
        return value
    unit = Unit.objects.filter(code=str(value or "")).first()
    if unit is None:
        raise _err(_("Unknown unit “%(code)s”.") % {"code": value}, f"unknown_{name}", name)
    return unit


def _official(data: dict, name: str, *, required: bool) -> Official | None:
    value = data.get(name)
    if isinstance(value, Official):
        return value
    if value in (None, ""):
        if required:
            raise _err(_("An official is required."), f"missing_{name}", name)
        return None
    official = Official.objects.filter(code=str(value)).first()
    if official is None:
        raise _err(_("Unknown official “%(code)s”.") % {"code": value}, f"unknown_{name}", name)
    return official


def _prepare(task: Task, kind: str, data: dict, day: dt.date, at: dt.datetime):
    """Validate the payload of `kind`; return (clean data, new holder unit, new holder
    official, new deadline in force or None)."""
    unit, official = task.holder_unit, task.holder_official
    new_due: dt.date | None = None
    clean: dict[str, Any] = {}
    if kind in {EventKind.TRANSFER, EventKind.RETURN}:
        unit = _unit(data, "to_unit")
        official = _official(data, "to_official", required=False)
        if official is not None and not _is_member(official, unit, day):
            raise _err(_("%(official)s does not work in %(unit)s.")
                       % {"official": official.code, "unit": unit.code},
                       "holder_not_member", "to_official")
        if (unit.pk, official.pk if official else None) == (
            task.holder_unit_id, task.holder_official_id
        ):
            raise _err(_("The work is already there."), "same_holder", "to_unit")
        if kind == EventKind.RETURN and not task.events.filter(
            holder_unit_after=unit,
            **({"holder_official_after": official} if official else {}),
        ).exists():
            raise _err(_("Work can only be returned to someone who held it before."),
                       "return_not_previous_holder", "to_unit")
        clean = {"to_unit": unit.code, "to_official": official.code if official else None,
                 "reason": _text(data, "reason", _("A reason"))}
    elif kind == EventKind.EXTENSION_REQUEST:
        requested = _date(data, "new_due")
        if requested <= task.due_in_force:
            raise _err(_("The new deadline must be later than the deadline in force."),
                       "extension_not_later", "new_due")
        clean = {"new_due": requested.isoformat(), "reason": _text(data, "reason", _("A reason"))}
    elif kind == EventKind.EXTENSION_GRANT:
        new_due = _date(data, "new_due")
        if new_due <= task.due_in_force or new_due < day:
            raise _err(_("The new deadline must be later than the deadline in force and not "
                         "in the past."), "extension_not_later", "new_due")
        clean = {"new_due": new_due.isoformat(), "old_due": task.due_in_force.isoformat()}
    elif kind == EventKind.EXTENSION_REFUSE:
        clean = {"reason": _text(data, "reason", _("A reason"))}
    elif kind == EventKind.GUIDANCE_REQUEST:
        official = _official(data, "to_official", required=True)
        unit = _holder_of(official, day) if official is not None else None
        if unit is None or official is None or official.pk == task.holder_official_id:
            raise _err(_("Guidance must be asked of another official in service."),
                       "guidance_target", "to_official")
        clean = {"to_official": official.code, "to_unit": unit.code,
                 "question": _text(data, "question", _("The question"))}
    elif kind == EventKind.GUIDANCE_REPLY:
        request = task.events.filter(kind=EventKind.GUIDANCE_REQUEST).order_by("-seq").first()
        if request is None or request.holder_unit_before is None:
            raise _err(_("No guidance request is pending."), "no_guidance_request")
        unit, official = request.holder_unit_before, request.holder_official_before
        clean = {"answer": str(data.get("answer") or "").strip()}
    elif kind == EventKind.CONSULT:
        target = _unit(data, "to_unit")
        if target.pk == task.holder_unit_id:
            raise _err(_("Consult another unit, not the one holding the work."),
                       "consult_target", "to_unit")
        reply_due = _date(data, "reply_due")
        if reply_due < day:
            raise _err(_("The reply deadline cannot be in the past."), "consult_due", "reply_due")
        clean = {"to_unit": target.code, "reply_due": reply_due.isoformat(),
                 "question": str(data.get("question") or "").strip()}
    elif kind == EventKind.CONSULT_REPLY:
        target = _unit(data, "unit")
        clean = {"unit": target.code, "clear_position": bool(data.get("clear_position")),
                 "answer": str(data.get("answer") or "").strip()}
    elif kind == EventKind.SUBMIT:
        unit, official = task.assigner_unit, task.assigned_by
        clean = {"note": str(data.get("note") or "").strip()}
    elif kind == EventKind.APPROVE:
        clean = {"note": str(data.get("note") or "").strip()}
    elif kind == EventKind.REWORK:
        submit = task.events.filter(kind=EventKind.SUBMIT).order_by("-seq").first()
        if submit is None or submit.holder_unit_before is None:
            raise _err(_("Nothing was submitted."), "no_submission")
        unit, official = submit.holder_unit_before, submit.holder_official_before
        clean = {"major_error": bool(data.get("major_error")),
                 "excused": bool(data.get("excused")),
                 "reason": _text(data, "reason", _("A reason"))}
    elif kind in {EventKind.EXCUSE_DELAY, EventKind.CANCEL}:
        clean = {"reason": _text(data, "reason", _("A reason"))}
    elif kind == EventKind.REMIND:
        clean = {"note": str(data.get("note") or "").strip()}
    return clean, unit, official, new_due


@transaction.atomic
def task_act(
    *,
    task: Task,
    kind: str,
    actor: Official | None,
    user: Any = None,
    data: dict | None = None,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> TaskEvent:
    """Take action `kind` on `task` as `actor`: the one way a task changes after assignment.

    Locks the task row (two people acting at once are serialised; the second sees the new
    state and is refused if its action no longer applies), checks the transition table,
    validates the payload, appends one hash-chained event and updates the task.
    `expected_version` (from a form) refuses an action taken on a stale page.
    """
    from .adapters import history_for
    from .workflow import TRANSITIONS, may_act

    data = dict(data or {})
    at = at or timezone.now()
    # Lock the bare row: joined tables in a FOR UPDATE query would be re-checked against the
    # row's new version after a concurrent commit and make it vanish instead of wait.
    locked = Task.objects.select_for_update().get(pk=task.pk)
    transition = TRANSITIONS.get(kind)
    if transition is None:
        raise _err(_("Unknown action “%(kind)s”.") % {"kind": kind}, "unknown_action", "kind")
    if expected_version is not None and expected_version != locked.version:
        raise _err(_("The task changed since you opened it; reload and try again."),
                   "task_changed")
    if locked.state not in transition.sources:
        raise _err(
            _("“%(action)s” is not possible while the task is “%(state)s”.")
            % {"action": EventKind(kind).label, "state": TaskState(locked.state).label},
            "wrong_state",
        )
    if at < locked.last_event_at:
        raise _err(_("An action cannot be dated before the task's last event."), "event_order",
                   "at")
    day = _local_day(at)
    if kind == EventKind.CONSULT_REPLY:
        from .workflow import is_consulted

        allowed = actor is not None and is_consulted(locked, actor, day, str(data.get("unit")))
    else:
        allowed = may_act(locked, kind, actor, day)
    if not allowed:
        raise PermissionDeniedError(
            _("You may not “%(action)s” this task.") % {"action": EventKind(kind).label},
            code="not_allowed",
        )
    clean, unit, official, new_due = _prepare(locked, kind, data, day, at)
    if kind == EventKind.EXCUSE_DELAY:
        from thuocdo.core.calendar import work_calendar
        from thuocdo.measure.history import delays

        calendar = work_calendar(years=range(locked.assigned_at.year, day.year + 1))
        if not any(d.excused_by is None for d in delays(history_for(locked), calendar, at)):
            raise _err(_("There is no delay to excuse."), "no_delay")
    target = transition.target or locked.state
    event = _append_event(task=locked, kind=kind, at=at, actor=actor, user=user,
                          state_after=target, holder_unit=unit, holder_official=official,
                          data=clean)
    if new_due is not None:
        locked.due_in_force = new_due
    if kind == EventKind.APPROVE:
        from thuocdo.measure.history import deadline_in_force, done_at, end_of_day

        history = history_for(locked)
        finished = done_at(history)
        locked.done_at = finished
        locked.done_late = (
            finished >= end_of_day(deadline_in_force(history, finished)) if finished else None
        )
    locked.save()
    task.refresh_from_db()
    return event

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
from django.utils import timezone
from django.utils.translation import gettext as _

from thuocdo.core.errors import Problems, ServiceError
from thuocdo.core.services import UNSET, Unset, audit_record
from thuocdo.core.text import fold
from thuocdo.measure.history import Holder
from thuocdo.org.models import Official, Unit

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
from .workflow import (
    ACTION_DEADLINES,
    DbDirectory,
    TaskSnapshot,
    check_assignment,
    check_deadline_day,
    check_directive,
    check_steps,
    decide,
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
    history: bool = False,
) -> Product:
    """Rename a product, or give it a new coefficient from `valid_from` (default today, never
    earlier unless `history`: a record of the catalogue's past, as an import or a test
    writes it). Tasks already assigned keep the coefficient that was in force for them."""
    changes: dict[str, Any] = {}
    if name is not None and name.strip() != product.name:
        changes["name"] = [product.name, name.strip()]
        product.name = name.strip()
        product.save(update_fields=["name"])
    if coefficient is not None:
        coefficient = Decimal(str(coefficient))
        _check_coefficient(coefficient)
        old = product.current_coefficient
        if coefficient != old:
            today = timezone.localdate()
            start = valid_from or today
            if start < today and not history:
                # a task takes the coefficient in force on the day it is assigned: one dated
                # back would be the catalogue's for days whose tasks never had it
                raise ServiceError(
                    _("A new coefficient applies from today (%(today)s) or a later day: the "
                      "tasks assigned before keep the one in force on their day.")
                    % {"today": today.strftime("%d/%m/%Y")},
                    code="coefficient_backdated", field="valid_from")
            ProductCoefficient.objects.update_or_create(
                product=product, valid_from=start, defaults={"coefficient": coefficient}
            )
            # the coefficient before the change (read before the write, which may make the
            # new version the latest)
            changes["coefficient"] = [str(old), str(coefficient), start.isoformat()]
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
# One mechanism: `task_act` locks the task row, asks `workflow.decide` (the transition table,
# who may act, the payload rules), appends one hash-chained event and updates the task's
# caches. Each action is a named service that calls it (`task_accept`, `task_transfer`, ...).
# `replay.py` runs the same `decide` over whole histories in bulk.


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


def build_event(
    *, task: Task, snap: TaskSnapshot, kind: str, at: dt.datetime, actor: Official | None,
    user: Any, state_after: str, holder_unit: Unit, holder_official: Official | None,
    data: dict,
) -> TaskEvent:
    """The next event of `task` (not saved), hashed onto its chain, and folded into `snap`."""
    first = snap.version == 0
    event = TaskEvent(
        task=task, seq=snap.version + 1, kind=kind, at=at, actor=actor,
        recorded_by=user if getattr(user, "is_authenticated", False) else None,
        state_before="" if first else snap.state, state_after=state_after,
        holder_unit_before=None if first else snap.holder_unit,
        holder_official_before=None if first else snap.holder_official,
        holder_unit_after=holder_unit, holder_official_after=holder_official,
        data=data, prev_hash=snap.last_hash,
    )
    codes = {
        ("unit", u.pk): u.code for u in (event.holder_unit_before, holder_unit) if u is not None
    } | {
        ("official", o.pk): o.code
        for o in (actor, event.holder_official_before, holder_official) if o is not None
    }
    event.hash = event_hash(event_payload(event, task_code=task.code, codes=codes))
    guide = holder_official.pk if kind == EventKind.GUIDANCE_REQUEST and holder_official else None
    snap.fold(kind=kind, at=at, actor_code=actor.code if actor else None, data=data,
              state_after=state_after, holder_unit=holder_unit, holder_official=holder_official,
              hash_=event.hash, guide_id=guide)
    return event


def sync_task(task: Task, snap: TaskSnapshot) -> None:
    """Copy the snapshot's state onto the task row's caches (the caller saves)."""
    task.state = snap.state
    task.holder_unit = snap.holder_unit
    task.holder_official = snap.holder_official
    task.due_in_force = snap.due_in_force
    task.version = snap.version
    task.last_hash = snap.last_hash
    task.last_event_at = snap.last_event_at


def new_snapshot(task: Task) -> TaskSnapshot:
    """The snapshot of a task not yet created: its assignment only."""
    return TaskSnapshot(
        code=task.code, state=TaskState.ASSIGNED, holder_unit=task.lead_unit,
        holder_official=task.lead_official, assigned_by_id=task.assigned_by.pk,
        assigner_unit=task.assigner_unit,
        lead=Holder(task.lead_unit.code, task.lead_official.code),
        assigner=Holder(task.assigner_unit.code, task.assigned_by.code),
        assigned_at=task.assigned_at, due=task.due, due_in_force=task.due,
        last_event_at=task.assigned_at,
    )


def creation_data(task: Task, coordinating: Iterable[tuple[str, dt.date]] = (),
                  steps: Iterable[tuple[str, int]] = ()) -> dict:
    """What the task's first event records of the assignment, so that its hash covers
    every field fixed at assignment: the lead, the deadline, the product and its
    quantity, coefficient and priority, the title, what is to be done, the directive, the
    coordinating units (code, deadline; by code) and the steps (name, allowance; in order).
    `thuocdo audit verify` compares the task's row with it (`audit.assignment_changes`).
    First events written before the title and the rest were added hold only the lead,
    deadline, product, quantity and priority, and are compared on those."""
    return {
        "lead_unit": task.lead_unit.code, "lead_official": task.lead_official.code,
        "due": task.due.isoformat(), "product": task.product.code, "quantity": task.quantity,
        "priority": task.priority, "title": task.title, "description": task.description,
        "directive": task.directive.code if task.directive is not None else None,
        "coefficient": format(Decimal(task.coefficient), ".3f"),
        "coordinating": sorted([code, day.isoformat()] for code, day in coordinating),
        "steps": [[name, allowance] for name, allowance in steps],
    }


def _free_code(code: str) -> str:
    """`code`, the automatic code of a new task (NV<year>-<id>), or, when a code chosen
    earlier (the API, an import) already took it, the first of `code`-2, `code`-3, … that
    is free: the automatic code never collides (it would fail every later assignment)."""
    candidate, n = code, 1
    while Task.objects.filter(code=candidate).exists():
        n += 1
        candidate = f"{code}-{n}"
    return candidate


def task_assign_check(
    *,
    assigned_by: Official,
    title: str | None,
    product: Product | None,
    lead_unit: Unit | None,
    lead_official: Official | None,
    due: dt.date | None,
    code: str | None = None,
    directive: Directive | None = None,
    quantity: int | None = 1,
    priority: str | None = Priority.NORMAL,
    coordinating: Iterable[tuple[Unit, dt.date | None]] = (),
    steps: Iterable[tuple[str, int]] = (),
    at: dt.datetime | None = None,
    allow_past_due: bool = False,
) -> tuple[Unit, Decimal]:
    """Check an assignment without writing it: every rule of `task_assign`, each that the
    values given allow (a value missing, None, leaves out the rules that need it; a page
    whose form refused some inputs still learns what is wrong with the others). Raises one
    `ServiceError` with all the refusals found (`ServiceError.problems`; a refusal of
    permission alone, at once), else returns the assigning unit and the coefficient."""
    at = at or timezone.now()
    directory = DbDirectory()
    coordinating = list(coordinating)
    problems = Problems()
    assigner_unit, coefficient = check_assignment(
        d=directory, assigned_by=assigned_by, title=(title or "").strip(), product=product,
        lead_unit=lead_unit, lead_official=lead_official, due=due, quantity=quantity,
        priority=priority, coordinating=coordinating, at=at, allow_past_due=allow_past_due,
        problems=problems,
    )
    if directive is not None and assigner_unit is not None:
        with problems.check():
            check_directive(directive=directive, assigner_unit=assigner_unit)
    if due is not None:
        with problems.check():
            check_deadline_day(d=directory, day=due, field="due")
    for index, (unit, unit_due) in enumerate(coordinating):
        if unit_due is not None:
            with problems.check():
                check_deadline_day(d=directory, day=unit_due,
                                   field=("coordinating_units", index, "due"), coordinating=unit)
    if due is not None:
        with problems.check():
            check_steps(d=directory, steps=steps, at=at, due=due)
    code = (code or "").strip()
    if code and Task.objects.filter(code=code).exists():
        problems.add(ServiceError(_("Task code “%(code)s” is already used.") % {"code": code},
                                  code="task_code_taken", field="code"))
    problems.raise_found()
    assert assigner_unit is not None and coefficient is not None  # noqa: S101 - checked above
    return assigner_unit, coefficient


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
    past (imports of history pass `allow_past_due`, but it may never precede assignment),
    nor on a day off (`workflow.check_deadline_day`, THUOCDO_DEADLINE_ON_DAY_OFF), and
    neither may a coordinating unit's: that refusal names the row of `coordinating`
    (`ServiceError.path`, e.g. `("coordinating_units", 1, "due")`). The directive, if any,
    must be addressed to the assigning unit (`workflow.check_directive`).

    The rules are those of `task_assign_check`, which finds every refusal at once: they are
    raised together, as one `ServiceError` whose `problems` are each of them.
    """
    at = at or timezone.now()
    title = (title or "").strip()
    coordinating = list(coordinating)
    steps = list(steps)
    assigner_unit, coefficient = task_assign_check(
        assigned_by=assigned_by, title=title, product=product, lead_unit=lead_unit,
        lead_official=lead_official, due=due, code=code, directive=directive,
        quantity=quantity, priority=priority, coordinating=coordinating, steps=steps, at=at,
        allow_past_due=allow_past_due,
    )
    code = (code or "").strip()
    assert lead_unit is not None and lead_official is not None and due is not None  # noqa: S101 - checked above
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
        task.code = _free_code(f"NV{timezone.localtime(at):%Y}-{task.pk:06d}")
        Task.objects.filter(pk=task.pk).update(code=task.code)
    TaskCoordination.objects.bulk_create(
        TaskCoordination(task=task, unit=unit, due=unit_due) for unit, unit_due in coordinating
    )
    TaskStep.objects.bulk_create(
        TaskStep(task=task, order=i, name=name, allowance=allowance)
        for i, (name, allowance) in enumerate(steps, start=1)
    )
    snap = new_snapshot(task)
    build_event(task=task, snap=snap, kind=EventKind.CREATE, at=at, actor=assigned_by,
                user=user, state_after=TaskState.ASSIGNED, holder_unit=lead_unit,
                holder_official=lead_official,
                data=creation_data(task, [(unit.code, unit_due) for unit, unit_due in coordinating],
                                   steps)).save(force_insert=True)
    sync_task(task, snap)
    task.save()
    return task


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
    state and is refused if its action no longer applies), asks `workflow.decide`, appends
    one hash-chained event and updates the task. `expected_version` (from a form) refuses an
    action taken on a stale page. A deadline the action sets (an extension asked for or
    granted, a consultation's reply: `workflow.ACTION_DEADLINES`) may not fall on a day off
    (`workflow.check_deadline_day`; an import replays its history without this check).
    """
    at = at or timezone.now()
    # Lock the bare row: joined tables in a FOR UPDATE query would be re-checked against the
    # row's new version after a concurrent commit and make it vanish instead of wait.
    locked = Task.objects.select_for_update().get(pk=task.pk)
    if expected_version is not None and expected_version != locked.version:
        raise ServiceError(_("The task changed since you opened it; reload and try again."),
                           code="task_changed")
    snap = TaskSnapshot.of(locked)
    directory = DbDirectory()
    decision = decide(snap, kind=kind, actor=actor, data=dict(data or {}), at=at,
                      directory=directory)
    deadline_field = ACTION_DEADLINES.get(kind)
    if deadline_field is not None:
        check_deadline_day(d=directory, day=dt.date.fromisoformat(decision.data[deadline_field]),
                           field=deadline_field)
    event = build_event(task=locked, snap=snap, kind=kind, at=at, actor=actor, user=user,
                        state_after=decision.state_after, holder_unit=decision.holder_unit,
                        holder_official=decision.holder_official, data=decision.data)
    event.save(force_insert=True)
    sync_task(locked, snap)
    if kind == EventKind.APPROVE:
        locked.done_at, locked.done_late = decision.done_at, decision.done_late
    locked.save()
    task.refresh_from_db()
    return event

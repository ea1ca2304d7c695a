"""Writes to the product catalogue and directives."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from thuocdo.core.errors import ServiceError
from thuocdo.core.services import audit_record
from thuocdo.org.models import Unit

from .models import Directive, Product, ProductCoefficient


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
    answers: Directive | None | object = ..., reason: str = "",
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
    if answers is not ... and (answers.pk if answers else None) != directive.answers_id:  # type: ignore[union-attr]
        changes["answers"] = [directive.answers.code if directive.answers else None,
                              answers.code if answers else None]  # type: ignore[union-attr]
        directive.answers = answers  # type: ignore[assignment]
    if changes:
        directive.save()
        audit_record(actor=actor, action="directive.update", object_type="tasks.directive",
                     object_code=directive.code, changes=changes, reason=reason)
    return directive

"""Numbers as the pages write them: `{% load numbers %}` then `{{ value|plain_number }}`.

A coefficient stored as 0.500 reads 0,5 (in Vietnamese; 0.5 in English), and 1.000 reads 1,
as the score card and its export write it (`core.text.plain_decimal`)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils import formats

from thuocdo.core.text import plain_decimal

register = template.Library()


@register.filter
def plain_number(value) -> str:
    """`value` without trailing zeros, in the active language's decimal mark; anything that
    is not a number is returned as it is."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return value
    if not number.is_finite():
        return value
    return formats.number_format(plain_decimal(number))

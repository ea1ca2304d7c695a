"""Text helpers shared by every app."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Fold Vietnamese text for search: no tones or diacritics, đ→d, lower case, single spaces.

    >>> fold("  Nguyễn Văn   Đức ")
    'nguyen van duc'
    """
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip().lower()


def plain_decimal(number: Decimal) -> Decimal:
    """`number` as the pages write it: no trailing zeros, and a whole number as one (2.50 →
    2.5, 20.00 → 20, where `normalize()` alone writes 2E+1).

    >>> plain_decimal(Decimal("2.50")), plain_decimal(Decimal("20.00"))
    (Decimal('2.5'), Decimal('20'))
    """
    return number.quantize(Decimal(1)) if number == number.to_integral() else number.normalize()

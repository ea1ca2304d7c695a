"""Text helpers shared by every app."""

from __future__ import annotations

import re
import unicodedata

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

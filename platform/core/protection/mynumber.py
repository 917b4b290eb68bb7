"""Detect マイナンバー (個人番号) in free text so that it can be refused, never stored.

A My Number is 12 digits whose last digit is a check digit. Only numbers with a valid check
digit are flagged, so about nine in ten other 12-digit numbers (IDs, account numbers) pass;
one that happens to carry a valid check digit is refused too, which is the safe side of the
trade-off (the user can reformat it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from kasane.core.i18n import N_

MYNUMBER_MESSAGE = N_(
    "This looks like an Individual Number (My Number). Kasane never stores it: remove it."
)

_DIGIT = "[0-9０-９]"
# Hyphens and dashes people type between digit groups, including the katakana long-vowel
# mark ー (and its half-width form), which Japanese IMEs often produce instead of a hyphen.
_HYPHEN = "[-\u2010-\u2015\u2212\uff0d\u30fc\uff70]"
_SEPARATOR = f"(?:{_HYPHEN}|[ \u3000])"
# A candidate must not continue a longer number: no digit right before or after it, and no
# hyphen-joined digits either (``1234-5678-9012-3456`` is one 16-digit number, not a My
# Number followed by something). Spaces do not join numbers: they separate items in lists.
_CANDIDATE = re.compile(
    f"(?<!{_DIGIT})(?<!{_DIGIT}{_HYPHEN})"
    f"({_DIGIT}{{12}}|{_DIGIT}{{4}}{_SEPARATOR}{_DIGIT}{{4}}{_SEPARATOR}{_DIGIT}{{4}})"
    f"(?!{_DIGIT})(?!{_HYPHEN}{_DIGIT})"
)


def is_valid_mynumber(digits: str) -> bool:
    """True when ``digits`` is exactly 12 ASCII digits ending in a valid check digit.

    For n = 1..11 counting from the right of the first 11 digits, with Pn that digit and
    Qn = n + 1 (n ≤ 6) or n − 5 (n ≥ 7): r = Σ Pn × Qn mod 11, check = 0 if r ≤ 1 else 11 − r.
    """
    if len(digits) != 12 or not digits.isascii() or not digits.isdigit():
        return False
    body = digits[:11]
    total = sum(int(body[11 - n]) * (n + 1 if n <= 6 else n - 5) for n in range(1, 12))
    remainder = total % 11
    return int(digits[11]) == (0 if remainder <= 1 else 11 - remainder)


def find_mynumber(text: str) -> str | None:
    """The first My Number in ``text``, exactly as written there, or None.

    Accepts half- and full-width digits, written as 12 digits in a row or as 4-4-4 groups
    separated by a space, a full-width space or a hyphen/dash. Twelve digits inside a longer
    run of digits are not a My Number.
    """
    for found in _CANDIDATE.finditer(text):
        written = found.group(1)
        digits = "".join(ch for ch in unicodedata.normalize("NFKC", written) if ch.isdigit())
        if is_valid_mynumber(digits):
            return written
    return None


def check_no_mynumber(values: Mapping[str, object]) -> dict[str, str]:
    """``{field: MYNUMBER_MESSAGE}`` for each field whose text (or list of texts) holds one.

    Non-text values are ignored; an empty result means the values may be saved.
    """
    problems: dict[str, str] = {}
    for field, value in values.items():
        texts = value if isinstance(value, list | tuple) else [value]
        if any(isinstance(t, str) and find_mynumber(t) for t in texts):
            problems[field] = MYNUMBER_MESSAGE
    return problems

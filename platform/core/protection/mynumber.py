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

# Characters people put between digit groups: hyphens and dashes (the katakana long-vowel
# mark ー included: IMEs often produce it for a hyphen), dots and middle dots, commas,
# slashes, underscores and every kind of space. Text is NFKC-normalised first (full-width
# digits and punctuation become ASCII) and invisible format characters (zero-width spaces,
# joiners, soft hyphens: Unicode category Cf) are dropped, so none of them hides a number.
_TIGHT = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc.\u30fb\u00b7,/_")
_MAX_GAP = 3  # at most this many separator characters between two groups of one number
_MIN_GROUP = 3  # a group of one or two digits belongs to something else (a phone, a date)
_DIGITS = re.compile(r"[0-9]+")


def _is_separator(ch: str) -> bool:
    return ch in _TIGHT or ch.isspace()


def _normalised(text: str) -> tuple[str, list[int]]:
    """``text`` NFKC-normalised with format characters dropped and every decimal digit as
    ASCII, and for each character of the result the index of the original it came from."""
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if unicodedata.category(ch) == "Cf":
            continue
        for c in unicodedata.normalize("NFKC", ch):
            digit = unicodedata.decimal(c, None)
            out.append(str(digit) if digit is not None else c)
            origin.append(i)
    return "".join(out), origin


def _runs(norm: str) -> list[list[tuple[int, int, bool]]]:
    """Digit groups joined by short runs of separators: ``[(start, end, loose_before)]``.

    ``loose_before`` is True when the gap before the group holds a space: spaces separate
    list items, so a group joined by a hyphen or dot continues the same written number.
    """
    runs: list[list[tuple[int, int, bool]]] = []
    last_end = -1
    for m in _DIGITS.finditer(norm):
        gap = norm[last_end : m.start()] if last_end >= 0 else None
        if gap is not None and 0 < len(gap) <= _MAX_GAP and all(map(_is_separator, gap)):
            runs[-1].append((m.start(), m.end(), any(c.isspace() for c in gap)))
        else:
            runs.append([(m.start(), m.end(), True)])
        last_end = m.end()
    return runs


def _candidates(run: list[tuple[int, int, bool]]) -> list[tuple[int, int]]:
    """Spans of whole written numbers inside ``run`` that hold exactly 12 digits.

    A written number is a sequence of groups joined without spaces (``1234-5678-9018``);
    numbers joined by spaces may together spell one (``123456 789018``). A span never cuts
    a written number, so twelve digits inside a longer number are not a candidate.
    """
    numbers: list[list[tuple[int, int]]] = []
    for start, end, loose in run:
        if loose or not numbers:
            numbers.append([(start, end)])
        else:
            numbers[-1].append((start, end))
    found = []
    for i in range(len(numbers)):
        groups: list[tuple[int, int]] = []
        for number in numbers[i:]:
            groups += number
            digits = sum(e - s for s, e in groups)
            if digits > 12:
                break
            if digits == 12 and (len(groups) == 1 or all(e - s >= _MIN_GROUP for s, e in groups)):
                found.append((groups[0][0], groups[-1][1]))
    return found


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

    Finds twelve digits with a valid check digit however they were typed: half- or
    full-width (or any other script's) digits, in a row or in groups separated by hyphens,
    dashes, ー, dots, ・, commas, slashes or spaces (up to three in a row), with invisible
    characters anywhere in between. Twelve digits inside a longer number are not one.
    """
    norm, origin = _normalised(text)
    for run in _runs(norm):
        for start, end in _candidates(run):
            digits = "".join(_DIGITS.findall(norm[start:end]))
            if is_valid_mynumber(digits):
                return text[origin[start] : origin[end - 1] + 1]
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


# How a refused column is named to staff (the page never shows a table or column name).
FIELD_LABELS: dict[str, str] = {
    "name": N_("Name or title"),
    "kana": N_("Reading (kana)"),
    "address": N_("Address"),
    "title": N_("Title"),
    "place": N_("Place"),
    "note": N_("Note"),
    "notes": N_("Note"),
    "text": N_("Note"),
    "description": N_("Description"),
    "details": N_("Details"),
    "reason": N_("Reason"),
    "message": N_("Message"),
    "issue": N_("Issue"),
    "goal": N_("Goal"),
    "action": N_("Support to be given"),
    "data": N_("Form answers"),
    "sealed": N_("Form answers"),
}
OTHER_FIELD = N_("The text you entered")


def field_label(field: str) -> str:
    """The msgid that names ``field`` (``note``, ``data.narrative``, ``decline_reason``)."""
    base = field.split(".", 1)[0]
    for key in (base, base.rsplit("_", 1)[-1]):
        if key in FIELD_LABELS:
            return FIELD_LABELS[key]
    return OTHER_FIELD


class MyNumberRefused(ValueError):
    """A value about to be stored holds a My Number; nothing of the write is kept.

    The last line of defence: forms check their fields first (with the field's label);
    this is raised at seal and flush time for anything that reached storage unchecked.
    """

    def __init__(self, table: str, field: str) -> None:
        super().__init__(f"My Number refused in {table}.{field}")
        self.table, self.field = table, field


def refuse_mynumber(table: str, field: str, value: object) -> None:
    """Raise :class:`MyNumberRefused` when ``value`` (text, or JSON of lists and dicts)
    holds a My Number anywhere."""
    if isinstance(value, str):
        if find_mynumber(value):
            raise MyNumberRefused(table, field)
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_mynumber(table, f"{field}.{key}", item)
    elif isinstance(value, list | tuple):
        for item in value:
            refuse_mynumber(table, field, item)

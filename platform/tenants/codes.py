"""全国地方公共団体コード: five digits plus a check digit (総務省の検査数字)."""

from __future__ import annotations

from kasane.core.i18n import N_

WEIGHTS = (6, 5, 4, 3, 2)


def check_digit(first_five: str) -> int:
    """The check digit: 11 minus (Σ digit × 6,5,4,3,2 mod 11), last digit of the result."""
    total = sum(int(d) * w for d, w in zip(first_five, WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def municipality_code_problem(code: str) -> str | None:
    """None when ``code`` is a valid 6-digit code, else what is wrong (English msgid)."""
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return N_("The municipality code must be 6 digits")
    if check_digit(code[:5]) != int(code[5]):
        return N_("The municipality code's check digit does not match")
    return None

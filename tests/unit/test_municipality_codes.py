"""全国地方公共団体コード check digits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kasane.tenants.codes import check_digit, municipality_code_problem


@pytest.mark.parametrize("code", ["442062", "372021", "131016", "011002", "472018"])
def test_real_codes_are_valid(code: str) -> None:
    assert municipality_code_problem(code) is None


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("442063", "check digit"),
        ("44206", "6 digits"),
        ("4420６2", "6 digits"),
        ("abcdef", "6 digits"),
        ("", "6 digits"),
    ],
)
def test_bad_codes_say_what_is_wrong(code: str, why: str) -> None:
    problem = municipality_code_problem(code)
    assert problem is not None and why in problem


@given(st.text(alphabet="0123456789", min_size=5, max_size=5), st.integers(0, 9))
def test_exactly_one_check_digit_fits(first_five: str, digit: int) -> None:
    ok = municipality_code_problem(first_five + str(digit)) is None
    assert ok == (digit == check_digit(first_five))

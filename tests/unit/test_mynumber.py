"""マイナンバー detection: Kasane refuses text that holds an Individual Number."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kasane.core.protection.mynumber import (
    MYNUMBER_MESSAGE,
    check_no_mynumber,
    find_mynumber,
    is_valid_mynumber,
)

# Worked by hand for the first 11 digits 12345678901, from the right (n = 1..11):
#   P = 1 0 9 8 7 6 5 4 3 2 1,  Q = 2 3 4 5 6 7 2 3 4 5 6
#   Σ P×Q = 2+0+36+40+42+42+10+12+12+10+6 = 212;  212 mod 11 = 3;  check = 11 − 3 = 8
VALID = "123456789018"


def with_check_digit(first_eleven: str) -> str:
    """An independent implementation of the check digit, for generated numbers."""
    weights = [n + 1 if n <= 6 else n - 5 for n in range(1, 12)]
    total = sum(int(d) * q for d, q in zip(reversed(first_eleven), weights, strict=True))
    r = total % 11
    return first_eleven + str(0 if r <= 1 else 11 - r)


elevens = st.text(alphabet="0123456789", min_size=11, max_size=11)


def test_the_hand_worked_example_is_valid_and_no_other_last_digit_is() -> None:
    assert is_valid_mynumber(VALID)
    assert [d for d in "0123456789" if is_valid_mynumber(VALID[:11] + d)] == ["8"]


@given(elevens)
def test_a_number_with_its_check_digit_is_valid_and_found_in_text(first_eleven: str) -> None:
    # given a 12-digit number ending in its check digit, inside a sentence
    number = with_check_digit(first_eleven)
    # when it is checked and searched for
    # then it is valid and found exactly as written
    assert is_valid_mynumber(number)
    assert find_mynumber(f"本人の番号は{number}です") == number


@given(elevens, st.integers(1, 9))
def test_a_wrong_check_digit_is_not_flagged(first_eleven: str, shift: int) -> None:
    number = with_check_digit(first_eleven)
    wrong = number[:11] + str((int(number[11]) + shift) % 10)
    assert not is_valid_mynumber(wrong)
    assert find_mynumber(f"ID {wrong}") is None


@pytest.mark.parametrize(
    "written",
    [
        "１２３４５６７８９０１８",  # full-width digits
        "1234-5678-9018",
        "1234 5678 9018",
        "1234－5678－9018",  # full-width hyphen
        "1234ー5678ー9018",  # long-vowel mark typed as a dash
        "1234—5678—9018",  # em dash
        "1234　5678　9018",  # full-width space
        "１２３４－５６７８－９０１８",
        "1234・5678・9018",  # katakana middle dot
        "1234.5678.9018",
        "1234  5678  9018",  # double spaces
        "1234\u200b5678\u200b9018",  # zero-width spaces between the groups
        "1234\u200b-\u200b5678-9018",  # zero-width spaces around a hyphen
        "123456 789018",  # two groups of six
        "1234--5678-9018",  # a doubled separator is a typo, not another number
        "1234 ‐ 5678 ‐ 9018",  # spaces around a hyphen
        "１２３４・５６７８・９０１８",
        "1234/5678/9018",
        "12\u00ad3456789018",  # a soft hyphen inside the digits
    ],
)
def test_written_forms_are_found_as_written(written: str) -> None:
    # given a note where staff typed the number in one of the usual ways
    note = f"相談者：臼杵太郎（個人番号 {written}）。来所。"
    # when the note is searched
    # then the number is reported exactly as it appears in the note
    assert find_mynumber(note) == written


@pytest.mark.parametrize(
    "text",
    [
        "携帯 090-1234-5678",
        "市役所 0972-63-1111",
        "電話09012345678、0972631111",
        "1234567890180",  # 13 digits that start with a valid number
        "0123456789018",  # 13 digits that end with a valid number
        "1234-5678-9018-3456",  # a 16-digit card-style number
        "0972-63-1111 0972-63-2222",  # a list of phone numbers
        "2026/12/06 と 2027/01/10",  # dates
        "1234 5678 9012 3456",  # a card number written in four groups
        "123456789012",  # 12 digits with a wrong check digit
        "",
    ],
)
def test_other_numbers_are_not_flagged(text: str) -> None:
    assert find_mynumber(text) is None


def test_only_text_fields_holding_a_number_are_named() -> None:
    # given a submitted form with the number in one note and in one item of a list
    values = {
        "summary": f"マイナンバーカード {VALID[:4]}-{VALID[4:8]}-{VALID[8:]} を確認",
        "phone": "090-1234-5678",
        "contacts": ["0972-63-1111", f"番号{VALID}"],
        "visits": 3,
        "notes": None,
    }
    # when it is checked
    problems = check_no_mynumber(values)
    # then exactly those fields are refused, with the message that says why
    assert problems == {"summary": MYNUMBER_MESSAGE, "contacts": MYNUMBER_MESSAGE}
    assert "My Number" in MYNUMBER_MESSAGE


def test_clean_values_have_no_problems() -> None:
    assert check_no_mynumber({"summary": "特記事項なし", "phone": "090-1234-5678"}) == {}


separators = st.sampled_from(
    [" ", "  ", "-", "‐", "－", "ー", ".", "・", "\u3000", "\u200b", "- ", " / ", "\u2060"]
)


@given(elevens, separators, separators)
def test_any_separator_between_the_groups_is_seen_through(
    first_eleven: str, sep1: str, sep2: str
) -> None:
    # given a My Number written in three groups with any mix of separators
    number = with_check_digit(first_eleven)
    written = f"{number[:4]}{sep1}{number[4:8]}{sep2}{number[8:]}"
    # when a note holding it is searched, then it is found exactly as written
    assert find_mynumber(f"本人の番号：{written}。") == written

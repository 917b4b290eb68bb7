"""Duplicate matching: the same person typed differently is found; a namesake is not."""

from __future__ import annotations

from datetime import date

import pytest

from kasane.core.people.matching import (
    PersonKeys,
    is_candidate,
    match,
    normalize_kana,
    normalize_name,
    normalize_phone,
    search_keys,
)

BIRTH = date(1948, 5, 3)


@pytest.mark.parametrize(
    ("typed", "registered"),
    [
        ("髙橋 一郎", "高橋一郎"),
        ("山﨑　花子", "山崎 花子"),
        ("渡邊 守", "渡辺守"),
        ("渡邉 守", "渡辺守"),
        ("齋藤 光", "斎藤光"),
        ("𠮷田 茂", "吉田茂"),
        ("ｽﾐｽ ｼﾞｮﾝ", "スミス ジョン"),
        ("John SMITH", "john smith"),
    ],
)
def test_variant_spellings_of_a_name_compare_equal(typed: str, registered: str) -> None:
    assert normalize_name(typed) == normalize_name(registered)


def test_different_names_stay_different() -> None:
    assert normalize_name("佐藤 花子") != normalize_name("佐藤 一郎")


@pytest.mark.parametrize(
    "reading", ["ヤマザキ ハナコ", "やまざき　はなこ", "ﾔﾏｻﾞｷ ﾊﾅｺ", "ヤマザキ・ハナコ"]
)
def test_readings_in_any_kana_compare_equal(reading: str) -> None:
    assert normalize_kana(reading) == "やまざきはなこ"


def test_phone_numbers_keep_only_their_digits() -> None:
    assert (
        normalize_phone("０９０－１２３４－５６７８")
        == normalize_phone("090 1234 5678")
        == "09012345678"
    )


def test_search_keys_are_the_normalized_name_and_reading() -> None:
    assert search_keys("髙橋 一郎", "ﾀｶﾊｼ ｲﾁﾛｳ") == ("高橋一郎", "たかはしいちろう")


def test_the_same_person_registered_twice_is_a_candidate_with_reasons() -> None:
    # given the 地域包括 record and the one the 困窮 desk typed with variant characters
    existing = PersonKeys(
        name="山崎 花子", kana="ヤマザキ ハナコ", birth_date=BIRTH, phones=("0972-63-1111",)
    )
    typed = PersonKeys(
        name="山﨑花子", kana="ﾔﾏｻﾞｷ ﾊﾅｺ", birth_date=BIRTH, phones=("０９７２６３１１１１",)
    )
    # when they are matched
    m = match(typed, existing)
    # then every signal counts and staff see why
    assert m.score == 40 + 30 + 30 + 30
    assert m.reasons == (
        "Same name",
        "Same reading (kana)",
        "Same date of birth",
        "Same phone number",
    )
    assert is_candidate(m)


def test_same_birth_date_and_reading_is_a_candidate_even_with_another_kanji() -> None:
    # given a reading and birth date in common but the name written with other kanji
    m = match(
        PersonKeys(name="斉藤 光", kana="サイトウ ヒカル", birth_date=BIRTH),
        PersonKeys(name="西東 光", kana="さいとう ひかる", birth_date=BIRTH),
    )
    # then it is shown to staff as a possible duplicate
    assert m.reasons == ("Same reading (kana)", "Same date of birth")
    assert is_candidate(m)


def test_a_namesake_with_only_the_common_surname_is_not_a_candidate() -> None:
    # given two different people who share only the surname 佐藤
    m = match(
        PersonKeys(
            name="佐藤 花子", kana="サトウ ハナコ", birth_date=BIRTH, phones=("090-1234-5678",)
        ),
        PersonKeys(
            name="佐藤 一郎",
            kana="サトウ イチロウ",
            birth_date=date(1952, 1, 9),
            phones=("090-8765-4321",),
        ),
    )
    # then nothing matches and they are not offered as duplicates
    assert m.score == 0 and m.reasons == ()
    assert not is_candidate(m)


def test_one_strong_signal_alone_is_not_enough() -> None:
    # given only the same birth date (or only a shared family phone)
    by_birth = match(
        PersonKeys(name="臼杵 太郎", birth_date=BIRTH),
        PersonKeys(name="丸亀 次郎", birth_date=BIRTH),
    )
    by_phone = match(
        PersonKeys(name="臼杵 太郎", phones=("0972-63-1111",)),
        PersonKeys(name="臼杵 花子", phones=("0972-63-1111",)),
    )
    assert by_birth.reasons == ("Same date of birth",) and not is_candidate(by_birth)
    assert by_phone.reasons == ("Same phone number",) and not is_candidate(by_phone)


def test_empty_values_and_short_phone_numbers_never_match() -> None:
    # given two records with nothing filled in but an extension number
    m = match(
        PersonKeys(name=" ", kana="", phones=("内線123",)),
        PersonKeys(name="", kana="　", phones=("123",)),
    )
    assert m.score == 0 and not is_candidate(m)

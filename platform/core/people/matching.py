"""Duplicate matching of people: normalized keys and a transparent score (no database).

The same person is often registered twice — by the 地域包括 and by the 生活困窮 desk, with
髙橋 typed as 高橋, a reading in half-width katakana, a mobile number in full-width digits.
Staff see the candidates with the reasons they matched and decide; nothing merges itself.
Store :func:`search_keys` in indexed columns so the database pre-filters candidates by
normalized name, normalized kana or birth date before :func:`match` scores them here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from kasane.core.i18n import N_

SAME_NAME = N_("Same name")
SAME_KANA = N_("Same reading (kana)")
SAME_BIRTH_DATE = N_("Same date of birth")
SAME_PHONE = N_("Same phone number")

NAME_SCORE = 40
KANA_SCORE = 30
BIRTH_DATE_SCORE = 30
PHONE_SCORE = 30
CANDIDATE_SCORE = 60
MIN_PHONE_DIGITS = 6  # shorter digit strings (extensions, room numbers) say nothing

# 異体字 (and 旧字体) in names → the form most registers use. A match is only a suggestion for
# staff, so folding two officially distinct characters costs little; missing a duplicate
# costs a second, disconnected case file.
_VARIANTS = str.maketrans(
    {
        "髙": "高",
        "﨑": "崎",
        "嵜": "崎",
        "德": "徳",
        "邊": "辺",
        "邉": "辺",
        "齋": "斎",
        "齊": "斉",
        "澤": "沢",
        "濱": "浜",
        "濵": "浜",
        "櫻": "桜",
        "廣": "広",
        "國": "国",
        "眞": "真",
        "嶋": "島",
        "嶌": "島",
        "冨": "富",
        "槇": "槙",
        "曻": "昇",
        "𠮷": "吉",
        "桒": "桑",
        "舘": "館",
        "淵": "渕",
        "龜": "亀",
        "增": "増",
        "惠": "恵",
        "實": "実",
        "榮": "栄",
        "壽": "寿",
        "藏": "蔵",
        "靜": "静",
        "禮": "礼",
        # small ヶ/ヵ in names (八ヶ代, 一ヶ谷) are read け/か; after kana folding they would
        # otherwise become the rare ゖ/ゕ
        "ゖ": "け",
        "ゕ": "か",
    }
)
# Ideographic variation selectors (IVS) pick a glyph, not a different character.
_VARIATION_SELECTORS = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")
_WHITESPACE = re.compile(r"\s+")
_KATAKANA_START, _KATAKANA_END = 0x30A1, 0x30F6  # ァ..ヶ; their hiragana are 0x60 lower
_KANA_STRIP = re.compile(r"[\s・]+")


def _to_hiragana(s: str) -> str:
    return "".join(
        chr(ord(ch) - 0x60)
        if _KATAKANA_START <= ord(ch) <= _KATAKANA_END
        else {"ヽ": "ゝ", "ヾ": "ゞ"}.get(ch, ch)
        for ch in s
    )


def normalize_name(s: str) -> str:
    """The comparable form of a name: NFKC, no whitespace, katakana as hiragana, common
    異体字 folded (髙→高, 﨑→崎, 邊→辺 …), latin letters lower-case."""
    s = unicodedata.normalize("NFKC", s)
    s = _VARIATION_SELECTORS.sub("", _WHITESPACE.sub("", s))
    return _to_hiragana(s).translate(_VARIANTS).lower()


def normalize_kana(s: str) -> str:
    """The comparable form of a reading: NFKC (half-width katakana become full-width),
    katakana as hiragana, without whitespace or the middle dot ・."""
    s = unicodedata.normalize("NFKC", s)
    return _to_hiragana(_KANA_STRIP.sub("", s))


def normalize_phone(s: str) -> str:
    """The digits of a phone number (full-width digits included), nothing else."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", s) if "0" <= ch <= "9")


def search_keys(name: str, kana: str) -> tuple[str, str]:
    """``(normalized name, normalized kana)`` to store in indexed columns for pre-filtering."""
    return normalize_name(name), normalize_kana(kana)


@dataclass(frozen=True)
class PersonKeys:
    """What matching looks at; any field may be empty/unknown."""

    name: str = ""
    kana: str = ""
    birth_date: date | None = None
    phones: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    """A score and why: ``reasons`` are English msgids, translated where shown."""

    score: int
    reasons: tuple[str, ...]


def _phones(keys: PersonKeys) -> set[str]:
    return {p for p in map(normalize_phone, keys.phones) if len(p) >= MIN_PHONE_DIGITS}


def match(query: PersonKeys, candidate: PersonKeys) -> Match:
    """Score ``candidate`` against ``query``: name 40, kana 30, birth date 30, a shared
    phone number 30. Empty or unknown values never match each other."""
    score = 0
    reasons: list[str] = []
    name = normalize_name(query.name)
    if name and name == normalize_name(candidate.name):
        score += NAME_SCORE
        reasons.append(SAME_NAME)
    kana = normalize_kana(query.kana)
    if kana and kana == normalize_kana(candidate.kana):
        score += KANA_SCORE
        reasons.append(SAME_KANA)
    if query.birth_date is not None and query.birth_date == candidate.birth_date:
        score += BIRTH_DATE_SCORE
        reasons.append(SAME_BIRTH_DATE)
    if _phones(query) & _phones(candidate):
        score += PHONE_SCORE
        reasons.append(SAME_PHONE)
    return Match(score, tuple(reasons))


def is_candidate(m: Match) -> bool:
    """A possible duplicate worth showing: two strong signals — a score of at least 60, or
    the same birth date with the same name or reading."""
    if m.score >= CANDIDATE_SCORE:
        return True
    return SAME_BIRTH_DATE in m.reasons and (SAME_NAME in m.reasons or SAME_KANA in m.reasons)

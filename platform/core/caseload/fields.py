"""The fields a caseload row maps to, the headers towns use for them, and cell parsing.

Headers follow the national forms (相談受付票, 支援経過記録): 氏名, ふりがな, 生年月日, 性別,
住所, 電話, 相談日, 相談窓口, 相談経路, 相談内容, 段階, 主担当機関, 経過. A header is guessed
from these words (NFKC, spaces ignored); the admin corrects the guess in the browser.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from kasane.core.i18n import N_, translations


@dataclass(frozen=True)
class ImportField:
    key: str
    label: str  # msgid
    aliases: tuple[str, ...]
    required: bool = False


FIELDS: tuple[ImportField, ...] = (
    ImportField("name", N_("Name"), ("氏名", "名前", "本人氏名", "相談者氏名", "name"), True),
    ImportField("kana", N_("Furigana"), ("ふりがな", "フリガナ", "氏名かな", "氏名カナ", "kana")),
    ImportField("birth_date", N_("Date of birth"), ("生年月日", "誕生日", "birthdate")),
    ImportField("sex", N_("Sex"), ("性別", "sex")),
    ImportField("address", N_("Address"), ("住所", "現住所", "address")),
    ImportField("phone", N_("Telephone"), ("電話", "電話番号", "連絡先", "phone")),
    ImportField(
        "received_on", N_("Date of consultation"), ("相談日", "受付日", "相談受付日"), True
    ),
    ImportField("counter", N_("Counter"), ("相談窓口", "受付窓口", "窓口", "counter"), True),
    ImportField("channel", N_("Channel"), ("相談経路", "経路", "channel")),
    ImportField("topic", N_("Main topic"), ("主訴", "主な相談内容", "相談分類", "topic")),
    ImportField("narrative", N_("Details of the consultation"), ("相談内容", "相談概要")),
    ImportField("stage", N_("Stage"), ("段階", "支援段階", "stage")),
    ImportField("lead_agency", N_("Lead agency"), ("主担当機関", "主担当", "担当機関")),
    ImportField("progress", N_("Progress notes"), ("経過", "支援経過", "経過記録")),
)
FIELDS_BY_KEY = {f.key: f for f in FIELDS}
MAX_LENGTHS = {"name": 100, "kana": 100, "address": 200, "phone": 30, "narrative": 4000}


def squash(text: str) -> str:
    """The comparable form of a header or a choice: NFKC, lower case, no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """Header → field key, for headers that name a field (each field taken once)."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        key = squash(header)
        for f in FIELDS:
            if f.key not in taken and key in {squash(a) for a in f.aliases}:
                mapping[header] = f.key
                taken.add(f.key)
                break
    return mapping


def labels_of(msgid: str) -> set[str]:
    """The squashed forms of a label in every language shown (English msgid, Japanese)."""
    return {squash(msgid), squash(translations("ja").gettext(msgid))}


# ------------------------------------------------------------------ dates

ERAS = {"m": 1867, "明治": 1867, "t": 1911, "大正": 1911, "s": 1925, "昭和": 1925,
        "h": 1988, "平成": 1988, "r": 2018, "令和": 2018}  # fmt: skip
_WESTERN = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_ERA = re.compile(
    r"^(明治|大正|昭和|平成|令和|[mtshr])\.?(元|\d{1,2})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$"
)


class BadDate(ValueError):
    """``args[0]``: a msgid — not a date, or a date that does not exist."""


def parse_date(text: str) -> date | None:
    """2024-05-01, 2024/5/1, 2024年5月1日, R6.5.1, 令和6年5月1日, 昭和元年… (None if empty).

    Raises:
        BadDate: not a date in any of these forms, or one that does not exist (2月30日).
    """
    s = squash(text)
    if not s:
        return None
    if m := _WESTERN.match(s):
        y, mo, d = (int(x) for x in m.groups())
    elif m := _ERA.match(s):
        era, year, mo_s, d_s = m.groups()
        y = ERAS[era] + (1 if year == "元" else int(year))
        mo, d = int(mo_s), int(d_s)
    else:
        raise BadDate(N_("Not a date (write 2024-05-01 or 令和6年5月1日)"))
    try:
        return date(y, mo, d)
    except ValueError:
        raise BadDate(N_("This date does not exist")) from None


SEXES = {"男": "male", "男性": "male", "m": "male", "male": "male",
         "女": "female", "女性": "female", "f": "female", "female": "female",
         "その他": "other", "不明": "other", "other": "other"}  # fmt: skip
CHANNEL_WORDS = {"来所": "visit_counter", "来庁": "visit_counter", "窓口": "visit_counter",
                 "電話": "phone", "訪問": "home_visit", "家庭訪問": "home_visit",
                 "関係機関": "agency", "機関": "agency", "住民": "resident",
                 "民生委員": "resident", "近隣住民": "resident"}  # fmt: skip

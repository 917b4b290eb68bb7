"""ASSUMPTIONS for 臼杵市: every value here is plausible, not published. Correct it here.

What we hold on 臼杵市 (see the design's domain page) gives its name, code, the 2005 merger
of 臼杵市 and 野津町 (offices 臼杵庁舎 and 野津庁舎), that 18 地域振興協議会 sit on former
elementary-school districts, うすき石仏ねっと, and that 地域力創生課 presents the town's
重層的支援体制整備事業. It does NOT give the town's counters, agencies, area list, meeting
cadence, participation menus or the words its staff use. Those are stated here, in one
place, each constant marked ``# ASSUMPTION``, so that whoever learns the real value changes
one line and the plugin (``kasane_plugins.usuki``) follows: it takes these values as they are.

No phone numbers are stated: an invented number would send a resident to a stranger.
"""

from __future__ import annotations

from typing import Any

# ASSUMPTION: two 日常生活圏域, one per former municipality (the two offices), as parents
# of the 地域振興協議会 districts. The town's 介護保険事業計画 may draw them differently.
DAILY_LIFE_AREAS: list[dict[str, Any]] = [
    {"key": "usuki", "name": "臼杵地域", "kind": "日常生活圏域"},
    {"key": "nozu", "name": "野津地域", "kind": "日常生活圏域"},
]

# ASSUMPTION: the 18 地域振興協議会 districts, named after elementary-school districts.
# The 13 in 臼杵地域 are the 13 elementary schools a 2001 local paper lists for the old
# 臼杵市 (the 臼杵小 district is called 中央 after the 中央地区振興協議会 founded in 2015); the
# 5 in 野津地域 are the elementary schools of the old 野津町. Count 13 + 5 = 18 matches the
# published total, but the actual district names and boundaries are not confirmed.
DISTRICTS: list[dict[str, Any]] = [
    {"key": "chuo", "name": "中央", "parent": "usuki"},
    {"key": "sashiu", "name": "佐志生", "parent": "usuki"},
    {"key": "shitanoe", "name": "下ノ江", "parent": "usuki"},
    {"key": "umibe", "name": "海辺", "parent": "usuki"},
    {"key": "shimokita", "name": "下北", "parent": "usuki"},
    {"key": "kamikita", "name": "上北", "parent": "usuki"},
    {"key": "nakausuki", "name": "中臼杵", "parent": "usuki"},
    {"key": "minamitsuru", "name": "南津留", "parent": "usuki"},
    {"key": "shimonan", "name": "下南", "parent": "usuki"},
    {"key": "ichihama", "name": "市浜", "parent": "usuki"},
    {"key": "fukuragaoka", "name": "福良ヶ丘", "parent": "usuki"},
    {"key": "kamiura", "name": "上浦", "parent": "usuki"},
    {"key": "fukae", "name": "深江", "parent": "usuki"},
    {"key": "nozu-ichi", "name": "野津", "parent": "nozu"},
    {"key": "kawanobori", "name": "川登", "parent": "nozu"},
    {"key": "tano", "name": "田野", "parent": "nozu"},
    {"key": "togami", "name": "戸上", "parent": "nozu"},
    {"key": "minaminozu", "name": "南野津", "parent": "nozu"},
]

# ASSUMPTION: which agencies take part, their names and whether the city runs them itself
# (municipal) or contracts them out (contracted). Only 地域力創生課 appears in our sources.
AGENCIES: list[dict[str, Any]] = [
    {
        "key": "chiikiryoku",
        "name": "地域力創生課",
        "field": "general",
        "kind": "municipal",
        "coordinates": True,
    },
    {"key": "hoken", "name": "保健健康課", "field": "health", "kind": "municipal"},
    {"key": "kodomo", "name": "こども家庭センター", "field": "children", "kind": "municipal"},
    {
        "key": "hokatsu",
        "name": "臼杵市地域包括支援センター",
        "field": "elderly",
        "kind": "contracted",
    },
    {
        "key": "kikan",
        "name": "臼杵市基幹相談支援センター",
        "field": "disability",
        "kind": "contracted",
    },
    {"key": "shakyo", "name": "臼杵市社会福祉協議会", "field": "poverty", "kind": "contracted"},
    {
        "key": "ishibotoke",
        "name": "うすき石仏ねっと運営協議会",
        "field": "health",
        "kind": "partner",
    },
    {
        "key": "minsei",
        "name": "臼杵市民生委員児童委員協議会",
        "field": "general",
        "kind": "partner",
    },
    {"key": "kyogikai", "name": "地域振興協議会", "field": "general", "kind": "partner"},
]

# ASSUMPTION: the counters (相談窓口), who staffs them and where. The statutory four plus a
# general counter at 地域力創生課 (臼杵庁舎) and one at 野津庁舎 for 野津地域.
COUNTERS: list[dict[str, Any]] = [
    {
        "key": "general",
        "name": "地域力創生課 総合相談窓口",
        "field": "general",
        "agency": "chiikiryoku",
        "place": "臼杵庁舎",
    },
    {
        "key": "nozu-general",
        "name": "野津庁舎 総合相談窓口",
        "field": "general",
        "agency": "chiikiryoku",
        "area": "nozu",
        "place": "野津庁舎",
    },
    {
        "key": "hokatsu",
        "name": "臼杵市地域包括支援センター",
        "field": "elderly",
        "agency": "hokatsu",
    },
    {
        "key": "kikan",
        "name": "臼杵市基幹相談支援センター",
        "field": "disability",
        "agency": "kikan",
    },
    {
        "key": "kodomo",
        "name": "臼杵市こども家庭センター",
        "field": "children",
        "agency": "kodomo",
        "place": "臼杵庁舎",
    },
    {
        "key": "jiritsu",
        "name": "生活自立相談支援窓口（臼杵市社会福祉協議会）",
        "field": "poverty",
        "agency": "shakyo",
    },
    {"key": "kenko", "name": "保健健康課 健康相談", "field": "health", "agency": "hoken"},
]

# ASSUMPTION: the name of the 要綱 the consent-based 重層的支援会議 rests on.
JUSOTEKI_YOKO = "臼杵市重層的支援体制整備事業実施要綱"

# ASSUMPTION: the 重層的支援会議 meets monthly, 2nd Tuesday 14:00, for 90 minutes.
JUSOTEKI_CADENCE: dict[str, Any] = {
    "frequency": "monthly",
    "weekday": 1,
    "nth": 2,
    "time": "14:00",
    "duration_minutes": 90,
}

# ASSUMPTION: who sits on the 重層的支援会議.
JUSOTEKI_MEMBERS: list[str] = ["chiikiryoku", "hoken", "kodomo", "hokatsu", "kikan", "shakyo"]

# ASSUMPTION: who may be called to a 支援会議 (社会福祉法106条の6); 民生委員 are bound by the
# same confidentiality when they attend.
SHIEN_KAIGI_MEMBERS: list[str] = [
    "chiikiryoku",
    "hoken",
    "kodomo",
    "hokatsu",
    "kikan",
    "shakyo",
    "minsei",
]

# ASSUMPTION: the participation-support menus, their capacity and schedule.
PARTICIPATION_MENUS: list[dict[str, Any]] = [
    {
        "key": "noen",
        "name": "農園での就労体験",
        "category": "work_trial",
        "description": "有機栽培の畑で収穫・袋詰めなどを体験します。",
        "capacity": 3,
        "schedule": "毎週火・木 9:00-12:00",
        "area": "nozu",
    },
    {
        "key": "salon",
        "name": "ふれあいいきいきサロン",
        "category": "ibasho",
        "description": "地域振興協議会ごとのサロン。誰でも立ち寄れる居場所です。",
        "capacity": 15,
        "schedule": "毎月第1・第3水曜 10:00-12:00",
    },
    {
        "key": "takeyoi",
        "name": "うすき竹宵の準備ボランティア",
        "category": "volunteer",
        "description": "竹ぼんぼりづくりや会場設営を手伝います。",
        "capacity": 10,
        "schedule": "10月-11月 土曜 9:00-12:00",
        "area": "chuo",
    },
    {
        "key": "sumai",
        "name": "見守り付き住まい支援",
        "category": "housing_watch",
        "description": "空き家を活用した住まいと、週1回の見守り訪問。",
        "capacity": 4,
        "schedule": "随時",
    },
]

# ASSUMPTION: how 臼杵市's staff name the case stages (core stages, relabelled only).
STAGE_LABELS: dict[str, str] = {
    "reception": "相談の受け止め",
    "plan_draft": "支援プラン案",
    "decision": "支援方針の決定",
    "closed": "終結",
}

# ASSUMPTION: the town's words for core terms.
TERMINOLOGY: dict[str, str] = {
    "area": "地域振興協議会区域",
    "counter": "相談窓口",
    "lead_agency": "主担当機関",
    "participation_menu": "参加支援メニュー",
}

# ASSUMPTION: 地域力創生課 leads every case taken into 多機関協働 at intake (it presents the
# town's 重層的支援体制整備事業); other cases stay with the counter's agency.
COLLABORATION_LEAD = "chiikiryoku"

# ASSUMPTION: monitoring every two months; a fortnight for a high-risk case.
MONITORING_DAYS = {"normal": 60, "high": 14}

# ASSUMPTION: in 臼杵市 an 8050 household is first visited by 地域力創生課 (アウトリーチ),
# not put straight into 多機関協働.
PROMPT_8050 = "8050世帯です。地域力創生課による訪問（アウトリーチ）を検討してください。"

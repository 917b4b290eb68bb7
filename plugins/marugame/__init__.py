"""丸亀市 (Marugame, 香川県, 全国地方公共団体コード 372021): the city's Kasane configuration.

Sourced: 丸亀市重層的支援体制整備事業実施要綱 (令和7年3月28日告示第22号) article 5 sets up
three meetings — まるごと会議, 支援検討会議, 体制検討会議; since April 2025 福祉課 has a
地域共生社会推進室 that takes consultations whatever the person's age or attribute and
coordinates agencies, and 子育て支援課's 家庭児童相談室 became the こども家庭センター; the city
(about 110,000 people) was formed in 2005 from 丸亀市, 綾歌町 and 飯山町 and includes the
islands 本島, 広島, 手島, 小手島 and 牛島; 飯山 has a 市民総合センター.

OUR READING (not in what we hold of the 要綱, which we saw only up to article 5):
まるごと会議 is the 社会福祉法106条の6 支援会議 (information exchange and early detection,
no consent needed); 支援検討会議 is the consent-based 重層的支援会議 that decides support,
plan changes and closure; 体制検討会議 reviews the support system itself, which 106条の6
also covers, and discusses no individual case. Everything else marked ``# ASSUMPTION``.

Hooks return fresh data on each call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kasane.core.plugin_kit import (
    CaseSnapshot,
    MeetingSnapshot,
    RecordSnapshot,
    ReportRecords,
    TenantInfo,
    core_rules,
    hookimpl,
)

KASANE_HOOKS = (1, 1)
NAME = "丸亀市"
MUNICIPALITY_CODE = "372021"
PREFECTURE = "香川県"

YOKO = "丸亀市重層的支援体制整備事業実施要綱（令和7年告示第22号）"
HOST_SECTION = "福祉課 地域共生社会推進室"
FORM_VERSION = "marugame-2025.1"

# ASSUMPTION: 日常生活圏域 drawn by public junior-high-school district (東・西・南 in the
# former 丸亀市, 綾歌, 飯山), plus the islands as a 地区 of their own.
SCHOOL_DISTRICTS: list[tuple[str, str]] = [
    ("higashi", "東中学校区"),
    ("nishi", "西中学校区"),
    ("minami", "南中学校区"),
    ("ayauta", "綾歌中学校区"),
    ("hanzan", "飯山中学校区"),
]
ISLANDS = "島しょ部（本島・広島・手島・小手島・牛島）"


@hookimpl
def kasane_counters(tenant: TenantInfo) -> list[dict[str, Any]]:
    """丸亀市's consultation counters."""
    return [
        # Sourced: the 推進室 takes any consultation; the counter's name is ours.
        {
            "key": "kyosei",
            "name": "地域共生社会推進室 福祉総合相談",
            "field": "general",
            "agency": "kyosei",
            "place": "丸亀市役所 福祉課",
        },
        # Sourced: こども家庭センター in 子育て支援課 since 2025-04.
        {
            "key": "kodomo",
            "name": "丸亀市こども家庭センター",
            "field": "children",
            "agency": "kosodate",
            "place": "丸亀市役所 子育て支援課",
        },
        # ASSUMPTION: one city-wide 地域包括支援センター run by the city.
        {
            "key": "hokatsu",
            "name": "丸亀市地域包括支援センター",
            "field": "elderly",
            "agency": "hokatsu",
        },
        # ASSUMPTION: the disability core center is contracted out.
        {
            "key": "kikan",
            "name": "丸亀市障がい者基幹相談支援センター",
            "field": "disability",
            "agency": "kikan",
        },
        # ASSUMPTION: 自立相談支援 is run by the 社会福祉協議会.
        {
            "key": "jiritsu",
            "name": "自立相談支援窓口（丸亀市社会福祉協議会）",
            "field": "poverty",
            "agency": "shakyo",
        },
        # Sourced: 飯山市民総合センター exists; ASSUMPTION: it and 綾歌 take consultations.
        {
            "key": "ayauta-center",
            "name": "綾歌市民総合センター 相談窓口",
            "field": "general",
            "agency": "kyosei",
            "area": "ayauta",
            "place": "綾歌市民総合センター",
        },
        {
            "key": "hanzan-center",
            "name": "飯山市民総合センター 相談窓口",
            "field": "general",
            "agency": "kyosei",
            "area": "hanzan",
            "place": "飯山市民総合センター",
        },
    ]


@hookimpl
def kasane_areas(tenant: TenantInfo) -> list[dict[str, Any]]:
    """日常生活圏域 by junior-high-school district, and the islands (assumed)."""
    areas: list[dict[str, Any]] = [
        {"key": key, "name": name, "kind": "日常生活圏域"} for key, name in SCHOOL_DISTRICTS
    ]
    # ASSUMPTION: the islands belong to the 西中学校区 圏域 for care purposes.
    areas.append({"key": "islands", "name": ISLANDS, "kind": "地区", "parent": "nishi"})
    return areas


@hookimpl
def kasane_agencies(tenant: TenantInfo) -> list[dict[str, Any]]:
    """The agencies that take part in cases and meetings."""
    return [
        {
            "key": "kyosei",
            "name": HOST_SECTION,
            "field": "general",
            "kind": "municipal",
            "coordinates": True,
        },
        {
            "key": "kosodate",
            "name": "子育て支援課（こども家庭センター）",
            "field": "children",
            "kind": "municipal",
        },
        # ASSUMPTION: names and kinds below are ours.
        {"key": "korei", "name": "高齢者支援課", "field": "elderly", "kind": "municipal"},
        {"key": "kenko", "name": "健康課", "field": "health", "kind": "municipal"},
        {"key": "gakko", "name": "教育委員会 学校教育課", "field": "children", "kind": "municipal"},
        {
            "key": "hokatsu",
            "name": "丸亀市地域包括支援センター",
            "field": "elderly",
            "kind": "municipal",
        },
        {
            "key": "kikan",
            "name": "丸亀市障がい者基幹相談支援センター",
            "field": "disability",
            "kind": "contracted",
        },
        {"key": "shakyo", "name": "丸亀市社会福祉協議会", "field": "poverty", "kind": "contracted"},
        {
            "key": "minsei",
            "name": "丸亀市民生委員児童委員協議会",
            "field": "general",
            "kind": "partner",
        },
    ]


@hookimpl
def kasane_meeting_types(tenant: TenantInfo) -> list[dict[str, Any]]:
    """まるごと会議, 支援検討会議 and 体制検討会議 (legal bases are our reading).

    Long: the town's three meetings, declared as data.
    """
    return [
        {
            "key": "marugoto",
            "name": "まるごと会議",
            "legal_basis": "art106_6",
            "legal_basis_note": f"社会福祉法106条の6（{YOKO}第5条）",
            "host": HOST_SECTION,
            # ASSUMPTION: monthly, 1st Thursday 13:30.
            "cadence": {"frequency": "monthly", "weekday": 3, "nth": 1, "time": "13:30"},
            "members": [
                "kyosei",
                "kosodate",
                "korei",
                "kenko",
                "gakko",
                "hokatsu",
                "kikan",
                "shakyo",
                "minsei",
            ],
            "decisions": ["information_sharing", "role_assignment"],
            "purpose": "本人の同意がない段階でも、構成員の守秘義務のもとで気になる世帯の情報を"
            "共有し、早期の支援と役割分担につなげます。",
        },
        {
            "key": "shien_kento",
            "name": "支援検討会議",
            "legal_basis": "consent",
            "legal_basis_note": f"{YOKO}第5条",
            "host": HOST_SECTION,
            # ASSUMPTION: monthly, 3rd Tuesday 14:00, two hours.
            "cadence": {
                "frequency": "monthly",
                "weekday": 1,
                "nth": 3,
                "time": "14:00",
                "duration_minutes": 120,
            },
            "members": ["kyosei", "kosodate", "korei", "hokatsu", "kikan", "shakyo"],
            "decisions": [
                "support_decision",
                "plan_change",
                "closure",
                "suspension",
                "continuation",
                "role_assignment",
            ],
            "purpose": "本人の同意を得た事例について、支援プランの決定・見直し、終結・中断を"
            "話し合います。",
        },
        {
            "key": "taisei_kento",
            "name": "体制検討会議",
            "legal_basis": "art106_6",
            "legal_basis_note": f"社会福祉法106条の6（支援体制に関する検討）・{YOKO}第5条",
            "host": HOST_SECTION,
            # ASSUMPTION: quarterly (April, July, October, January), second Thursday. Without
            # a weekday a quarterly meeting is never scheduled (plugins check refuses it).
            "cadence": {"frequency": "quarterly", "weekday": 3, "nth": 2, "time": "10:00"},
            "members": ["kyosei", "kosodate", "korei", "kenko", "gakko", "shakyo"],
            "decisions": ["system_review", "resource_development"],
            "discusses_cases": False,
            "purpose": "個別の事例は扱わず、支援体制と社会資源の不足・開発を検討します。",
        },
    ]


@hookimpl
def kasane_participation_menus(tenant: TenantInfo) -> list[dict[str, Any]]:
    """Participation-support menus (all ASSUMPTION: names, capacity, schedule)."""
    return [
        {
            "key": "uchiwa",
            "name": "うちわ工房での作業体験",
            "category": "work_trial",
            "description": "丸亀うちわの部材づくりなど、短時間の作業から始めます。",
            "capacity": 2,
            "schedule": "毎週月・水 10:00-12:00",
            "area": "nishi",
        },
        {
            "key": "machinaka",
            "name": "まちなかの居場所",
            "category": "ibasho",
            "description": "予約なしで立ち寄れる、世代を問わない居場所です。",
            "capacity": 20,
            "schedule": "毎週金曜 13:00-16:00",
            "area": "higashi",
        },
        {
            "key": "gakushu",
            "name": "子どもの学習支援教室",
            "category": "learning",
            "description": "小・中学生の学習と居場所。大学生ボランティアが支えます。",
            "capacity": 15,
            "schedule": "毎週火・木 17:00-19:00",
        },
        {
            "key": "shima-mimamori",
            "name": "島しょ部の見守り・生活支援",
            "category": "housing_watch",
            "description": "島で暮らす一人暮らしの方を、定期船の日に合わせて訪問します。",
            "capacity": 8,
            "schedule": "毎月第2・第4金曜",
            "area": "islands",
        },
    ]


@hookimpl
def kasane_form_definitions(tenant: TenantInfo) -> list[dict[str, Any]]:
    """A local section added after the national intake fields."""
    return [
        {
            "key": "intake",
            "title": "相談受付票",
            "version": FORM_VERSION,
            "sections": [
                {
                    "key": "marugame",
                    "title": "丸亀市の項目",
                    "fields": [
                        {
                            "name": "school_district",
                            "label": "お住まいの中学校区",
                            "type": "select",
                            "choices": [{"value": k, "label": n} for k, n in SCHOOL_DISTRICTS],
                        },
                        {
                            "name": "island_resident",
                            "label": f"{ISLANDS}にお住まい",
                            "type": "boolean",
                        },
                        {
                            "name": "marugoto_referral",
                            "label": "まるごと会議での共有を検討する",
                            "type": "boolean",
                            "help": "本人の同意がなくても、社会福祉法106条の6に基づき、"
                            "守秘義務のある構成員の間で情報を共有できます。",
                        },
                    ],
                },
            ],
        },
    ]


@hookimpl
def kasane_stage_labels(tenant: TenantInfo) -> dict[str, str]:
    """Stage names as 丸亀市's staff say them (ASSUMPTION)."""
    return {
        "reception": "相談受付",
        "intake": "聞き取り",
        "plan_draft": "支援プラン（案）",
        "decision": "支援検討会議での決定",
        "closed": "支援終結",
    }


@hookimpl
def kasane_terminology(tenant: TenantInfo) -> dict[str, str]:
    """The city's words for core terms (ASSUMPTION)."""
    return {"area": "中学校区", "lead_agency": "主担当機関", "meeting": "会議"}


@hookimpl
def kasane_theme(tenant: TenantInfo) -> str:
    """丸亀市 uses the default theme."""
    return "default"


@hookimpl
def kasane_template_dir(tenant: TenantInfo) -> str:
    """Templates that override the core's (the staff home introduction)."""
    return str(Path(__file__).parent / "templates")


@hookimpl
def kasane_local_indicators(tenant: TenantInfo, records: ReportRecords) -> list[dict[str, Any]]:
    """まるごと会議で検討した事例: each case (or unnamed outreach record) once in the period.

    OUR READING: まるごと会議 is where cases are first put on the table across agencies, so
    the city follows how many distinct cases it has seen — a figure the core's meeting
    counts give only for all 106条の6 meetings together.
    """
    facts = []
    for meeting in records.meetings:
        if meeting.meeting_type != "marugoto":
            continue
        for ref in meeting.case_refs:
            facts.append({"unit": f"case:{ref}", "on": meeting.held_on, "by": {"kind": "case"}})
        for ref in meeting.outreach_refs:
            facts.append(
                {"unit": f"outreach:{ref}", "on": meeting.held_on, "by": {"kind": "outreach"}}
            )
    return [
        {
            "key": "marugoto-cases",
            "name": "まるごと会議で検討した事例数（実数）",
            "name_en": "Cases discussed at the まるごと会議 (distinct)",
            "definition": "開催したまるごと会議で検討した事例（氏名のないアウトリーチの記録を"
            "含む）を、期間中に何回検討しても1件と数えます。月の内訳では、検討した月ごとに"
            "数えます。",
            "definition_en": "Cases (and unnamed outreach records) discussed at the まるごと"
            "会議 held in the period, each once however often; by month, once in each month "
            "discussed.",
            "dimensions": [
                {
                    "key": "kind",
                    "name": "事例の種類",
                    "name_en": "Kind",
                    "values": {"case": "事例", "outreach": "アウトリーチ（氏名不詳）"},
                }
            ],
            "facts": facts,
        }
    ]


# ---------------------------------------------------------------- rules (pure functions)

# ASSUMPTION: a case new in the last 30 days goes to まるごと会議; one that has not moved
# stage for 90 days is "stalled" and goes to 支援検討会議.
NEW_CASE_DAYS = 30
STALLED_DAYS = 90


@hookimpl
def kasane_agenda_rules(
    tenant: TenantInfo, meeting: MeetingSnapshot, cases: tuple[CaseSnapshot, ...]
) -> list[dict[str, str]] | None:
    """まるごと会議 gets the new cases (早期把握, without consent under 106条の6);
    支援検討会議 gets the core's proposals plus the stalled cases; other meetings: the core's.
    """
    if meeting.meeting_type == "marugoto":
        return [
            {
                "case": c.ref,
                "kind": "new_collaboration" if c.collaboration else "early_detection",
            }
            for c in sorted(cases, key=lambda c: c.case_no)
            if (meeting.on - c.opened_on).days <= NEW_CASE_DAYS
            and c.stage in ("reception", "intake", "assessment")
        ]
    if meeting.meeting_type == "shien_kento":
        found = core_rules.agenda(meeting, cases)
        taken = {p["case"] for p in found}
        found += [
            {"case": c.ref, "kind": "other"}
            for c in sorted(cases, key=lambda c: c.case_no)
            if c.ref not in taken
            and c.stage in ("assessment", "plan_draft", "support", "monitoring")
            and c.days_in_stage >= STALLED_DAYS
        ]
        return found
    return None


@hookimpl
def kasane_monitoring_interval(tenant: TenantInfo, case: CaseSnapshot) -> int | None:
    """A case that began at a children's counter is monitored monthly (ASSUMPTION)."""
    return 30 if case.field == "children" else None


@hookimpl
def kasane_validate_record(tenant: TenantInfo, record: RecordSnapshot) -> list[dict[str, str]]:
    """A consultation shared at まるごと会議 names its 中学校区 (or the islands), so the
    meeting knows whose area it is (ASSUMPTION)."""
    v = record.values
    if (
        record.form == "intake"
        and v.get("marugoto_referral")
        and not v.get("school_district")
        and not v.get("island_resident")
    ):
        return [
            {
                "field": "school_district",
                "message": "まるごと会議で共有するときは、お住まいの中学校区を選んでください"
                "（島しょ部の方は「島しょ部にお住まい」に印を付けてください）。",
            }
        ]
    return []

"""臼杵市 (Usuki, 大分県, 全国地方公共団体コード 442062): the town's Kasane configuration.

Sourced facts (the design's domain page and the 臼杵市地域力創生課 FY2022 training deck)
live in this module: the town's name and code, its two offices 臼杵庁舎 and 野津庁舎 (the
2005 merger of 臼杵市 and 野津町), 地域力創生課 as the section behind the 重層的支援体制整備事業,
うすき石仏ねっと (a consent-first medical and care information network with an ID card), and
the 支援会議's footing in 社会福祉法106条の6. Everything the town has not published — counters,
areas, agencies, cadence, menus, wording — comes from :mod:`.assumptions`, one marked place.

Hooks return fresh copies, so no caller can change the module's data.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from kasane.core.plugin_kit import hookimpl

from . import assumptions

KASANE_HOOKS = (1, 1)
NAME = "臼杵市"
MUNICIPALITY_CODE = "442062"
PREFECTURE = "大分県"

# The two offices since the 2005 merger (sourced); the intake form asks where it happened.
OFFICES: list[tuple[str, str]] = [("usuki", "臼杵庁舎"), ("nozu", "野津庁舎")]
HOST_SECTION = "地域力創生課"
FORM_VERSION = "usuki-2026.1"


@hookimpl
def kasane_counters(tenant: Any) -> list[dict[str, Any]]:
    """臼杵市's consultation counters (assumed, see :mod:`.assumptions`)."""
    return copy.deepcopy(assumptions.COUNTERS)


@hookimpl
def kasane_areas(tenant: Any) -> list[dict[str, Any]]:
    """Two 日常生活圏域 and, inside them, the 18 地域振興協議会 districts."""
    districts = [{**d, "kind": "地域振興協議会"} for d in assumptions.DISTRICTS]
    return copy.deepcopy(assumptions.DAILY_LIFE_AREAS) + districts


@hookimpl
def kasane_agencies(tenant: Any) -> list[dict[str, Any]]:
    """The agencies that take part in cases and meetings (assumed)."""
    return copy.deepcopy(assumptions.AGENCIES)


@hookimpl
def kasane_meeting_types(tenant: Any) -> list[dict[str, Any]]:
    """The consent-based 重層的支援会議 (monthly) and the 106条の6 支援会議 (as needed)."""
    return [
        {
            "key": "jusoteki",
            "name": "重層的支援会議",
            "legal_basis": "consent",
            "legal_basis_note": assumptions.JUSOTEKI_YOKO,
            "host": HOST_SECTION,
            "cadence": dict(assumptions.JUSOTEKI_CADENCE),
            "members": list(assumptions.JUSOTEKI_MEMBERS),
            "decisions": [
                "support_decision",
                "plan_change",
                "closure",
                "suspension",
                "continuation",
                "role_assignment",
                "resource_development",
            ],
            "purpose": "本人の同意を得た事例について、プランの適切性、支援の進捗、終結・中断、"
            "社会資源の充足状況を協議します。",
        },
        {
            "key": "shien_kaigi",
            "name": "支援会議",
            "legal_basis": "art106_6",
            "legal_basis_note": "社会福祉法106条の6",
            "host": HOST_SECTION,
            "cadence": {"frequency": "as_needed"},
            "members": list(assumptions.SHIEN_KAIGI_MEMBERS),
            "decisions": ["information_sharing", "role_assignment", "system_review"],
            "purpose": "本人の同意がない段階でも、構成員の守秘義務のもとで情報を共有し、"
            "早期の支援につなげます。",
        },
    ]


@hookimpl
def kasane_participation_menus(tenant: Any) -> list[dict[str, Any]]:
    """Work trials, サロン, volunteering and watched housing (assumed)."""
    return copy.deepcopy(assumptions.PARTICIPATION_MENUS)


@hookimpl
def kasane_form_definitions(tenant: Any) -> list[dict[str, Any]]:
    """A local section added after the national intake fields."""
    return [
        {
            "key": "intake",
            "title": "相談受付票",
            "version": FORM_VERSION,
            "sections": [
                {
                    "key": "usuki",
                    "title": "臼杵市の項目",
                    "fields": [
                        {
                            "name": "reception_office",
                            "label": "受付庁舎",
                            "type": "radio",
                            "choices": [{"value": key, "label": label} for key, label in OFFICES]
                            + [{"value": "outreach", "label": "訪問・出張相談"}],
                        },
                        {
                            "name": "home_district",
                            "label": "お住まいの地域振興協議会",
                            "type": "select",
                            "choices": [
                                {"value": d["key"], "label": d["name"]}
                                for d in assumptions.DISTRICTS
                            ],
                            "help": "わからないときは空欄のままにしてください。",
                        },
                        {
                            "name": "ishibotoke_net",
                            "label": "うすき石仏ねっと加入（IDカード所持）",
                            "type": "boolean",
                            "help": "加入の有無だけを記録します。石仏ねっとの医療・介護情報を"
                            "参照するには、別に本人の同意が必要です。",
                        },
                    ],
                },
            ],
        },
    ]


@hookimpl
def kasane_stage_labels(tenant: Any) -> dict[str, str]:
    """Stage names as 臼杵市's staff say them (assumed)."""
    return dict(assumptions.STAGE_LABELS)


@hookimpl
def kasane_terminology(tenant: Any) -> dict[str, str]:
    """The town's words for core terms (assumed)."""
    return dict(assumptions.TERMINOLOGY)


@hookimpl
def kasane_theme(tenant: Any) -> str:
    """臼杵市's own theme."""
    return "usuki"


@hookimpl
def kasane_template_dir(tenant: Any) -> str:
    """Templates that override the core's (the staff home introduction)."""
    return str(Path(__file__).parent / "templates")


@hookimpl
def kasane_local_indicators(tenant: Any, records: Any) -> list[dict[str, Any]]:
    """うすき石仏ねっと加入者のつなぎ: consultations of card holders that were passed on.

    The intake form records 石仏ねっと membership (``ishibotoke_net``) and the office that
    received the consultation (``reception_office``); a consultation counts when the person
    holds the card and the counter referred them (つなぎ) or took them into 多機関協働 —
    the cases where the network's shared medical and care record can help, with consent.
    """
    offices = {key: label for key, label in OFFICES} | {"outreach": "訪問・出張相談"}
    facts = [
        {
            "unit": c.ref,
            "on": c.received_on,
            "by": {"office": c.fields.get("reception_office") or ""},
        }
        for c in records.consultations
        if c.fields.get("ishibotoke_net") and c.outcome in ("referral", "multi_agency")
    ]
    return [
        {
            "key": "ishibotoke-referred",
            "name": "石仏ねっと加入者のつなぎ件数",
            "name_en": "Ishibotoke-net members referred on",
            "definition": "相談受付票で「うすき石仏ねっと加入（IDカード所持）」とされた相談のうち、"
            "つなぎ（関係機関への紹介）または多機関協働へ進んだものを受付日で数えます。"
            "内訳は受付庁舎です。",
            "definition_en": "Consultations whose intake form records うすき石仏ねっと "
            "membership and that were referred on or taken into multi-agency collaboration, on "
            "the date received, by the office that received them.",
            "dimensions": [
                {"key": "office", "name": "受付庁舎", "name_en": "Office", "values": offices}
            ],
            "facts": facts,
        }
    ]


# ---------------------------------------------------------------- rules (pure functions)


@hookimpl
def kasane_intake_routing(tenant: Any, intake: Any) -> str | None:
    """地域力創生課 leads every case taken into 多機関協働 at intake; the rest: the core's."""
    if intake.outcome == "multi_agency":
        return assumptions.COLLABORATION_LEAD
    return None


@hookimpl
def kasane_monitoring_interval(tenant: Any, case: Any) -> int:
    """Every two months, a fortnight for a high-risk case (see ``assumptions``)."""
    return assumptions.MONITORING_DAYS["high" if case.risk == "high" else "normal"]


@hookimpl
def kasane_escalation_prompts(tenant: Any, case: Any) -> list[dict[str, str]]:
    """An 8050 household: 地域力創生課 visits first (replaces the core's 8050 suggestion)."""
    if "8050" in case.household.patterns:
        return [{"key": "8050", "suggest": "outreach", "message": assumptions.PROMPT_8050}]
    return []

"""The first-run setup's steps and the admin's checklist of what a town still lacks.

Pure over the effective configuration: what is missing is read from the counters, areas,
agencies and meetings the town has now (core defaults, plugin and its own settings), so a
town with a complete plugin has nothing to do and a new town sees exactly its gaps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kasane.core.config_types import TenantConfig
from kasane.core.i18n import N_, gettext

# (step, title msgid, what the step asks) in the order the setup walks them
STEPS: tuple[tuple[str, str, str], ...] = (
    (
        "agencies",
        N_("Agencies"),
        N_(
            "The agencies that take part in support: the municipal sections, the contracted "
            "centres (社協, 地域包括 …) and partners. Counters and meetings are tied to them, and "
            "staff work at one of them."
        ),
    ),
    (
        "counters",
        N_("Counters"),
        N_(
            "Where consultations are taken. The national counters are prefilled: tie each to "
            "the agency that staffs it (its cases are led there), and retire those the town "
            "does not have."
        ),
    ),
    (
        "areas",
        N_("Areas"),
        N_(
            "The town's areas, e.g. 日常生活圏域 and, inside them, 地区. "
            "A town without areas keeps the whole municipality as one."
        ),
    ),
    (
        "meetings",
        N_("Meetings"),
        N_(
            "The meetings the town runs, with their legal basis, host, cadence and member "
            "agencies. Only members see a meeting and its papers."
        ),
    ),
    (
        "staff",
        N_("Staff"),
        N_("Invite the staff, each with a role at one of the town's agencies."),
    ),
)
STEP_KEYS = tuple(s[0] for s in STEPS)


@dataclass(frozen=True)
class Missing:
    """One thing the town still lacks: a message (msgid and parameters) and where to fix it."""

    key: str
    msgid: str
    step: str
    params: dict[str, Any] = field(default_factory=dict)


def checklist(config: TenantConfig, *, staff: int | None = None) -> list[Missing]:
    """What the town still lacks, in the setup's order (empty when nothing does)."""
    found: list[Missing] = []
    if len(config.agencies) <= 1:
        found.append(Missing("agencies", N_("The town has no agencies of its own yet"), "agencies"))
    loose = [c for c in config.counters if not c.agency]
    if not config.counters:
        found.append(Missing("counters", N_("The town has no counter"), "counters"))
    elif len(loose) == len(config.counters):
        found.append(Missing("counter_agency", N_("No counter belongs to an agency"), "counters"))
    elif loose:
        found.append(
            Missing(
                "counter_agency",
                N_("%(n)s counters belong to no agency: %(names)s"),
                "counters",
                {"n": len(loose), "names": [c.name for c in loose]},
            )
        )
    if config.sources.get("area") == "core" and len(config.areas) <= 1:
        found.append(
            Missing("areas", N_("The town has no areas of its own (only the whole town)"), "areas")
        )
    if not config.meeting_types:
        found.append(Missing("meetings", N_("The town has no meeting"), "meetings"))
    for m in config.meeting_types:
        if not m.members:
            found.append(
                Missing(
                    f"members:{m.key}",
                    N_("The meeting %(name)s has no members"),
                    "meetings",
                    {"name": m.name},
                )
            )
    if staff is not None and staff <= 1:
        found.append(Missing("staff", N_("Nobody but the administrator has an account"), "staff"))
    return found


def missing_text(m: Missing) -> str:
    """The item's message in the page's language (names the core gives are msgids too)."""
    params = dict(m.params)
    if "name" in params:
        params["name"] = gettext(params["name"])
    if "names" in params:
        params["names"] = "、".join(gettext(n) for n in params["names"])
    return gettext(m.msgid, **params) if params else gettext(m.msgid)

"""The core's own rules: what applies when a town's plugin has no rule, or its rule fails.

Pure functions of their snapshots, like a plugin's. A plugin may call them (through
``plugin_kit``) to change one thing and keep the rest.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kasane.core.i18n import N_
from kasane.core.rules.snapshots import CaseSnapshot, IntakeSnapshot, MeetingSnapshot

AGENDA_KINDS = (
    "support_decision",
    "monitoring",
    "evaluation",
    "new_collaboration",
    "early_detection",
    "other",
)
NEW_COLLABORATION_DAYS = 60  # a 多機関協働 started this recently is "new" for a meeting
HIGH_RISK = frozenset({"dv_abuse", "no_food"})


def intake_routing(intake: IntakeSnapshot) -> str:
    """The counter's agency leads; a counter without one hands the case to the coordinator."""
    return intake.counter_agency or intake.coordinating_agency


def agenda(meeting: MeetingSnapshot, cases: tuple[CaseSnapshot, ...]) -> list[dict[str, str]]:
    """What the cases' state suggests for this meeting (the host then edits the agenda).

    Plans awaiting 支援決定, monitoring due by the meeting day, cases awaiting evaluation and
    closure — each only when the meeting may decide on it — and 多機関協働 started in the
    last 60 days; a meeting that needs no consent (支援会議) also gets early-detection cases.
    ``cases`` are the open cases a member agency takes part in.
    """
    decides = set(meeting.decisions)
    ordered = sorted(cases, key=lambda c: c.case_no)
    found: list[dict[str, str]] = []
    taken: set[str] = set()

    def add(kind: str, picked: Any) -> None:
        for case in picked:
            if case.ref not in taken:
                taken.add(case.ref)
                found.append({"case": case.ref, "kind": kind})

    if "support_decision" in decides:
        add("support_decision", (c for c in ordered if c.stage == "plan_draft" and c.has_plan))
    if decides & {"plan_change", "continuation", "support_decision"}:
        add(
            "monitoring",
            (
                c
                for c in ordered
                if c.stage in ("support", "monitoring")
                and c.next_monitoring_on is not None
                and c.next_monitoring_on <= meeting.on
            ),
        )
    if "closure" in decides:
        add("evaluation", (c for c in ordered if c.stage == "evaluation"))
    since = meeting.on - timedelta(days=NEW_COLLABORATION_DAYS)
    add(
        "new_collaboration",
        (
            c
            for c in ordered
            if c.collaboration_since is not None
            and c.collaboration_since >= since
            and c.stage in ("intake", "assessment")
        ),
    )
    if meeting.legal_basis != "consent":
        add("early_detection", (c for c in ordered if c.stage in ("reception", "intake")))
    return found


def monitoring_interval(case: CaseSnapshot) -> int:
    """Days to the next monitoring: a month for a high-risk case, else three months."""
    return 30 if case.risk == "high" else 90


def escalation_prompts(case: CaseSnapshot) -> list[dict[str, str]]:
    """Patterns one agency rarely resolves alone: suggest 多機関協働 (or アウトリーチ for a
    withdrawn member). Suggestions only; staff decide."""
    found: list[dict[str, str]] = []
    patterns = set(case.household.patterns)
    if not case.collaboration:
        if "8050" in patterns:
            found.append(
                {
                    "key": "8050",
                    "suggest": "collaboration",
                    "message": N_(
                        "An 8050 household: consider 多機関協働 with the agencies for older "
                        "people, disability and work."
                    ),
                }
            )
        if "young_carer" in patterns:
            found.append(
                {
                    "key": "young_carer",
                    "suggest": "collaboration",
                    "message": N_(
                        "A young carer lives here: consider 多機関協働 with the school and "
                        "the children's services."
                    ),
                }
            )
    if any(m.withdrawn for m in case.household.members) or "hikikomori" in case.categories:
        found.append(
            {
                "key": "withdrawn",
                "suggest": "outreach",
                "message": N_(
                    "Someone here has withdrawn from society: consider outreach "
                    "(アウトリーチ等を通じた継続的支援)."
                ),
            }
        )
    return found

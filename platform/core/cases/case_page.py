"""The case page's read model: everything the page shows, for the tenant and the reader.

Its forms are in :mod:`kasane.core.cases.page_forms`, its timeline's wording in
:mod:`kasane.core.cases.timeline_view`.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from litestar import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit_read
from kasane.core.auth.actor import ActorInfo
from kasane.core.cases.decisions import last_meeting_day
from kasane.core.cases.intake_view import intakes_of
from kasane.core.cases.models import Assessment, Case, CaseAgency, SupportPlan
from kasane.core.cases.page_forms import (
    CASE_DECISIONS,
    DECISION_LABELS,
    SOURCES,
    FormState,
    meetings_for,
    page_forms,
)
from kasane.core.cases.queries import timeline
from kasane.core.cases.record_reads import CaseRecords, case_records
from kasane.core.cases.services import (
    access_case,
    facts_from,
)
from kasane.core.cases.stages import NEXT_ACTIONS, CaseFacts, refusal, targets
from kasane.core.cases.timeline_view import timeline_view
from kasane.core.config_types import TenantConfig
from kasane.core.people.models import RELATIONS, Person
from kasane.core.people.patterns import PATTERN_LABELS
from kasane.core.people.services import MemberView, get_person, household_view
from kasane.core.rules.apply import Prompt, monitoring_days, page_snapshot, prompts_for
from kasane.core.rules.runner import Rules
from kasane.core.tenancy import TenantContext


def tenant_config(request: Request[Any, Any, Any]) -> TenantConfig:
    """The request's tenant configuration (its plugin's agencies, forms, labels …)."""
    tenant: TenantContext = request.scope["state"]["tenant"]
    return tenant.config


def tenant_rules(request: Request[Any, Any, Any]) -> Rules:
    """The request's tenant's rules (kasane.core.rules)."""
    return Rules.of(request.scope["state"]["tenant"])


async def page_case(
    session: AsyncSession, actor: ActorInfo, case_id: uuid.UUID
) -> tuple[Case, Person]:
    """The case (need-to-know) and its person, for a page that shows them: audits the read."""
    case = await access_case(session, actor, case_id)
    do_audit_read(session, actor.ref, "case.read", f"case:{case.id}")
    return case, await get_person(session, case.person_id)


async def versions(
    session: AsyncSession, model: type[Assessment] | type[SupportPlan], case_id: uuid.UUID
) -> list[Any]:
    """(version, created_at) of a case's assessments or plans, newest first."""
    return list(
        (
            await session.execute(
                select(model.version, model.created_at)
                .where(model.case_id == case_id)
                .order_by(model.version.desc())
            )
        ).all()
    )


def _versions(items: list[Assessment] | list[SupportPlan]) -> list[Any]:
    """The records themselves (``version``, ``created_at``), newest first, as
    :func:`versions` reads them."""
    return sorted(items, key=lambda i: i.version, reverse=True)


async def _rule_hints(
    session: AsyncSession,
    config: TenantConfig,
    case: Case,
    today: date,
    rules: Rules,
    parts: list[CaseAgency],
    records: CaseRecords,
    members: list[MemberView],
) -> tuple[list[Prompt], int]:
    """The town's prompts for the case (none once closed) and its monitoring interval, from
    the case's snapshot — made of what the page has read already."""
    snapshot = await page_snapshot(
        session,
        config,
        case,
        today,
        agencies=[p.agency_key for p in parts],
        categories=[c for r in records.consultations for c in r.categories or ()],
        entered=max((e.at for e in records.stage_events), default=None),
        has_plan=bool(records.plans),
        members=members,
    )
    prompts = await prompts_for(rules, snapshot) if case.stage not in ("closed",) else []
    return prompts, await monitoring_days(rules, snapshot)


def _decision_kind(case: Case, asked: str | None) -> str:
    """The decision the page's form records: the one asked for, else closure at the
    evaluation stage and a support decision before."""
    if asked in CASE_DECISIONS:
        return str(asked)
    return "closure" if case.stage == "evaluation" else "support_decision"


def _facts_of(case: Case, records: CaseRecords) -> CaseFacts:
    """What the state machine knows of the case, from the records the page read."""
    return facts_from(
        case,
        records.plans,
        records.assessments,
        records.decisions,
        records.stage_events,
        records.evaluations,
    )


async def _form_defaults(
    session: AsyncSession,
    config: TenantConfig,
    decision_kind: str,
    today: date,
    interval: int,
    decision_open: bool,
) -> dict[str, dict[str, Any]]:
    """What each page form proposes before anything is typed, by form key. The decision
    form's meeting day is looked up only when the page shows that form."""
    eligible = meetings_for(config, decision_kind)
    return {
        "decision": {
            "kind": decision_kind,
            "source": "meeting",
            "meeting": eligible[0].value if len(eligible) == 1 else None,
            # a meeting's decision is dated on its day: propose the last one held
            "decided_on": (
                await last_meeting_day(session, eligible[0].value, today)
                if len(eligible) == 1 and decision_open
                else None
            )
            or today,
        },
        "agency": {"basis": "consent"},
        "note": {"occurred_on": today},
        "monitoring": {"done_on": today, "next_on": today + timedelta(days=interval)},
        "evaluation": {"evaluated_on": today},
        "agreement": {"agreed_on": today},
    }


def _flow_context(
    actor: ActorInfo, case: Case, facts: CaseFacts, records: CaseRecords
) -> dict[str, Any]:
    """The page's flow: the moves, what the reader may do now, the decisions taken."""
    reachable = targets(facts)
    decisions = sorted(records.decisions, key=lambda d: (d.decided_on, d.at), reverse=True)
    can_write = actor.can("case:cases:write")
    return {
        # Only the moves the state machine allows now; the others say what they wait for.
        "allowed_moves": [t for t in reachable if refusal(facts, t) is None],
        "blocked_moves": [(t, r) for t in reachable if (r := refusal(facts, t)) is not None],
        "next_action": NEXT_ACTIONS.get(case.stage, ""),
        "can_write": can_write,
        "can_refer": actor.can("referral:referrals:write"),
        # a decision belongs where the flow expects one (支援決定, 終結, 中断/再開)
        "decision_open": can_write
        and case.stage in ("plan_draft", "decision", "monitoring", "evaluation", "suspended"),
        # matching ranks by the assessment's unmet needs: offered once there is one
        "matching_open": can_write and facts.has_assessment and case.stage != "reception",
        "decisions": decisions,
    }


async def case_context(
    session: AsyncSession,
    actor: ActorInfo,
    config: TenantConfig,
    case: Case,
    today: date,
    *,
    states: dict[str, FormState] | None = None,
    decision_kind: str | None = None,
    rules: Rules | None = None,
) -> dict[str, Any]:
    """Everything the case page shows; audits the read (the page shows a person's record).

    ``rules``: the town's; its escalation rule suggests 多機関協働 or アウトリーチ, its
    monitoring interval proposes the next monitoring's date (by default, the core's)."""
    # The household first: its query loads the person too (get_person then needs none).
    members, patterns = await household_view(session, case.household_id, today)
    person = await get_person(session, case.person_id)
    records = await case_records(session, case.id)
    parts = records.taking_part
    prompts, interval = await _rule_hints(
        session, config, case, today, rules or Rules.core(config), parts, records, members
    )
    facts = _facts_of(case, records)
    plan = records.latest_plan
    rows = records.rows_of(plan) if plan is not None else []
    decision_kind = _decision_kind(case, decision_kind)
    forms = page_forms(
        config, [p.agency_key for p in parts], decision_kind, case.lead_agency_key, rows
    )
    flow = _flow_context(actor, case, facts, records)
    defaults = await _form_defaults(
        session, config, decision_kind, today, interval, flow["decision_open"]
    )
    states = {k: FormState(values=dict(defaults.get(k, {}))) for k in forms} | (states or {})
    do_audit_read(session, actor.ref, "case.read", f"case:{case.id}")
    return {
        "case": case,
        **flow,
        "decision_labels": DECISION_LABELS,
        "sources": SOURCES,
        "intakes": await intakes_of(session, config, case.id, consultations=records.consultations),
        "person": person,
        "members": members,
        "patterns": [PATTERN_LABELS.get(p, p) for p in patterns],
        "prompts": prompts,
        "monitoring_interval": interval,
        "relations": RELATIONS,
        "parts": parts,
        "moves": targets(facts),
        "facts": facts,
        "plan": plan,
        "plan_rows": rows,
        "assessments": _versions(records.assessments),
        "plans": _versions(records.plans),
        "timeline": timeline_view(config, await timeline(session, case, records)),
        "forms": forms,
        "states": states,
        "today": today,
    }

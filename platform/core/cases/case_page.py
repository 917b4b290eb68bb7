"""The case page's read model and its small forms (move, decision, agencies, notes, …).

Each form on the page is a :class:`FormDefinition` built for the tenant (its agencies, its
meetings), so the shared field macro renders it and ``check_form`` validates it: the same
labels, ``(required)`` marks, マイナンバー refusal and messages as every other form.
Field names carry the form's prefix (``note-body``) so that ids stay unique on the page.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from litestar import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit_read
from kasane.core.auth.actor import ActorInfo
from kasane.core.cases.intake_view import intakes_of
from kasane.core.cases.models import Assessment, Case, PlanRow, SupportPlan
from kasane.core.cases.queries import TimelineItem, case_records, timeline
from kasane.core.cases.records import (
    EVALUATION_OUTCOMES,
    GOAL_OUTCOMES,
    NOTE_KINDS,
    plan_rows,
)
from kasane.core.cases.services import (
    access_case,
    active_agencies,
    facts_from,
    last_meeting_day,
)
from kasane.core.cases.stages import NEXT_ACTIONS, refusal, targets
from kasane.core.config_types import (
    Choice,
    FormDefinition,
    FormField,
    FormSection,
    TenantConfig,
    Validation,
)
from kasane.core.consent.models import CONSENT_METHODS
from kasane.core.forms.validation import Submission, check_form
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _
from kasane.core.people.models import RELATIONS, Person
from kasane.core.people.patterns import PATTERN_LABELS
from kasane.core.people.services import get_person, household_view
from kasane.core.referrals.models import STATUSES as REFERRAL_STATUSES
from kasane.core.rules.apply import case_snapshots, monitoring_days, prompts_for
from kasane.core.rules.runner import Rules
from kasane.core.tenancy import TenantContext
from kasane.core.web.templating import wareki_filter

DECISION_LABELS: dict[str, str] = {
    "support_decision": N_("Support decision"),
    "plan_change": N_("Plan change"),
    "closure": N_("Closure"),
    "suspension": N_("Suspension"),
    "continuation": N_("Continuation"),
    "role_assignment": N_("Role assignment"),
    "resource_development": N_("Resource development"),
    "information_sharing": N_("Information sharing"),
    "system_review": N_("Review of the support system"),
}
# The decisions staff record on the case page; the others belong to meetings.
CASE_DECISIONS = ("support_decision", "closure", "suspension", "continuation")
CONFIRM_CLOSE = N_(
    "Closing: I confirm that the case is closed (the other agencies' part ends; it can be "
    "reopened as a new support period)"
)
SOURCES = {"meeting": N_("Decided at a meeting"), "exception": N_("Recorded exception")}
BASES = {"consent": N_("The person's consent"), "other_law": N_("Another law allows it")}


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


def tr(message: str | None) -> str:
    """Translate a msgid or a plugin's own words; never ``gettext("")`` (the PO header)."""
    return _(message) if message else ""


def _choices(items: Mapping[str, str]) -> list[Choice]:
    return [Choice(value=k, label=v) for k, v in items.items()]


def _form(key: str, fields: list[FormField]) -> FormDefinition:
    return FormDefinition(
        key=key,
        title=key,
        version="page",
        sections=[FormSection(key=key, title=key, fields=fields)],
    )


def _date(name: str, label: str, required: bool = True, past_only: bool = True) -> FormField:
    """A date on the case page: what happened cannot be after today (a next date can)."""
    return FormField(
        name=name,
        label=label,
        type="date",
        required=required,
        validation=Validation(past_only=True) if past_only else None,
    )


def _text(name: str, label: str, required: bool = False, max_length: int = 4000) -> FormField:
    return FormField(
        name=name,
        label=label,
        type="textarea",
        required=required,
        validation=Validation(max_length=max_length),
    )


def meetings_for(config: TenantConfig, kind: str | None) -> list[Choice]:
    """The tenant's meeting types that may take ``kind`` (None: every meeting type)."""
    return [
        Choice(value=m.key, label=m.name)
        for m in config.meeting_types
        if kind is None or kind in m.decisions
    ]


def evaluation_fields(goals: list[PlanRow]) -> list[FormField]:
    """The evaluation form: each goal of the current plan judged on its own (評価 per
    目標), or — for a case that never had plan goals — one overall outcome."""
    if not goals:
        return [
            FormField(
                name="outcome",
                label=N_("Outcome"),
                type="select",
                required=True,
                choices=_choices(EVALUATION_OUTCOMES),
            )
        ]
    fields: list[FormField] = []
    for n, row in enumerate(goals, start=1):
        fields.append(
            FormField(
                name=f"goal{n}",
                label=_("Goal {n}: {goal}").format(n=n, goal=row.goal),
                type="select",
                required=True,
                choices=_choices(GOAL_OUTCOMES),
            )
        )
        fields.append(
            FormField(
                name=f"goal{n}_finding",
                label=_("Findings for goal {n}").format(n=n),
                type="textarea",
                validation=Validation(max_length=2000),
            )
        )
    return fields


def judged_goals(
    goals: list[PlanRow], values: Mapping[str, Any]
) -> dict[uuid.UUID, tuple[str, str]]:
    """The posted evaluation form's per-goal answers (``goal1``, ``goal1_finding`` …), by
    plan row, in plan order."""
    return {
        r.id: (values[f"goal{n}"], values.get(f"goal{n}_finding") or "")
        for n, r in enumerate(goals, start=1)
    }


def page_forms(
    config: TenantConfig,
    taking_part: list[str],
    decision_kind: str | None = None,
    lead: str | None = None,
    goals: list[PlanRow] | None = None,
) -> dict[str, FormDefinition]:
    """Every form of the case page, for this tenant and the agencies taking part now.

    The meeting list shows the meetings that may take ``decision_kind`` and the lead list
    leaves out the current ``lead``; parsing a post passes None for both (every meeting,
    every agency taking part), so that a mismatch gets the rule's own message. ``goals``
    are the current plan's rows, judged one by one in the evaluation form.

    Long: the declaration of every form of the page, one after another.
    """
    agencies = [Choice(value=a.key, label=a.name) for a in config.agencies]
    others = [c for c in agencies if c.value not in taking_part]
    parts = [c for c in agencies if c.value in taking_part and c.value != lead]
    return {
        "move": _form(
            "move",
            [
                _text("note", N_("Reason or note"), max_length=300),
                FormField(name="confirm", label=CONFIRM_CLOSE, type="boolean"),
            ],
        ),
        "decision": _form(
            "decision",
            [
                FormField(
                    name="kind",
                    label=N_("Decision"),
                    type="select",
                    required=True,
                    choices=[Choice(value=k, label=DECISION_LABELS[k]) for k in CASE_DECISIONS],
                ),
                FormField(
                    name="source",
                    label=N_("Decided by"),
                    type="radio",
                    required=True,
                    choices=_choices(SOURCES),
                ),
                FormField(
                    name="meeting",
                    label=N_("Meeting"),
                    type="select",
                    choices=meetings_for(config, decision_kind),
                    help=N_("Only meetings that may take this decision are listed."),
                ),
                _date("decided_on", N_("Decided on")),
                FormField(
                    name="note",
                    label=N_("Note, or the reason for the exception"),
                    type="textarea",
                    validation=Validation(max_length=2000),
                    help=N_("An exception needs its reason; a closure needs its reason too."),
                ),
                FormField(name="confirm", label=CONFIRM_CLOSE, type="boolean"),
            ],
        ),
        "agency": _form(
            "agency",
            [
                FormField(
                    name="agency", label=N_("Agency"), type="select", required=True, choices=others
                ),
                FormField(
                    name="basis",
                    label=N_("Basis for sharing"),
                    type="radio",
                    required=True,
                    choices=_choices(BASES),
                ),
                FormField(
                    name="law",
                    label=N_("Name of the law"),
                    type="text",
                    validation=Validation(max_length=200),
                    help=N_("Only when another law allows sharing without consent."),
                ),
            ],
        ),
        "lead": _form(
            "lead",
            [
                FormField(
                    name="agency",
                    label=N_("New lead agency"),
                    type="select",
                    required=True,
                    choices=parts,
                )
            ],
        ),
        "collab": _form("collab", [_text("reason", N_("Reason"), max_length=200)]),
        "note": _form(
            "note",
            [
                FormField(
                    name="kind",
                    label=N_("Kind of contact"),
                    type="select",
                    required=True,
                    choices=_choices(NOTE_KINDS),
                ),
                _date("occurred_on", N_("Date")),
                _text("body", N_("Progress note"), required=True),
            ],
        ),
        "monitoring": _form(
            "monitoring",
            [
                _date("done_on", N_("Monitoring date")),
                _text("summary", N_("Summary"), required=True),
                FormField(
                    name="plan_review_needed", label=N_("The plan needs review"), type="boolean"
                ),
                _date("next_on", N_("Next monitoring"), required=False, past_only=False),
            ],
        ),
        "evaluation": _form(
            "evaluation",
            [
                _date("evaluated_on", N_("Evaluated on")),
                *evaluation_fields(goals or []),
                _text("summary", N_("Overall findings"), required=True),
            ],
        ),
        "agreement": _form(
            "agreement",
            [
                _date("agreed_on", N_("Agreed on")),
                FormField(
                    name="method",
                    label=N_("How the person agreed"),
                    type="select",
                    required=True,
                    choices=_choices(CONSENT_METHODS),
                ),
            ],
        ),
    }


def parse(form: FormDefinition, data: Any) -> Submission:
    """Validate a posted page form (``data`` holds prefixed names, e.g. ``note-body``)."""
    prefix = f"{form.key}-"
    return check_form(form, {f.name: data.get(prefix + f.name) for f in form.all_fields()})


@dataclass
class FormState:
    """What one page form shows: the typed values, errors by field, and a form-level alert."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    alert: str = ""


# Kinds recorded with a date only (the timeline sorts them at 09:00 JST of that day).
DATED_KINDS = frozenset({"consultation", "note", "monitoring", "evaluation"})


@dataclass(frozen=True)
class TimelineEntry:
    at: Any
    kind: str
    title: str
    body: str
    details: list[str]
    goals: list[tuple[str, str, str]] = field(default_factory=list)  # goal, outcome, finding

    @property
    def dated(self) -> bool:
        """Show the day only: the time is not part of what was recorded."""
        return self.kind in DATED_KINDS


def timeline_view(config: TenantConfig, items: list[TimelineItem]) -> list[TimelineEntry]:
    """Timeline items in the reader's words (stage labels, agency and meeting names)."""
    out = []
    stage = config.stage_labels
    for i in items:
        details: list[str] = []
        goals: list[tuple[str, str, str]] = []
        if i.kind == "stage":
            before = i.extra.get("from")
            title = _("Stage: %(stage)s", stage=tr(stage.get(i.title, i.title)))
            if before:
                details.append(_("from %(stage)s", stage=tr(stage.get(before, before))))
        elif i.kind == "consultation":
            counter = config.counter(i.title)
            name = tr(counter.name) if counter else i.title
            title = _("Consultation at %(counter)s", counter=name)
        elif i.kind == "assessment":
            title = _("Assessment, version %(n)s", n=i.title)
        elif i.kind == "plan":
            title = _("Support plan, version %(n)s", n=i.title)
            if i.extra.get("agreed_on"):
                details.append(_("Agreed on %(d)s", d=wareki_filter(i.extra["agreed_on"])))
        elif i.kind == "note":
            title = tr(NOTE_KINDS.get(i.title, i.title))
            if i.extra.get("agency"):
                details.append(tr(config.agency_name(i.extra["agency"])))
        elif i.kind == "monitoring":
            title = _("Monitoring")
            if i.extra.get("review"):
                details.append(_("The plan needs review"))
            if i.extra.get("next_on"):
                details.append(_("Next monitoring: %(d)s", d=wareki_filter(i.extra["next_on"])))
        elif i.kind == "decision":
            title = tr(DECISION_LABELS.get(i.title, i.title))
            meeting = config.meeting_type(i.extra.get("meeting_type") or "")
            if meeting is not None:
                details.append(tr(meeting.name))
            elif i.extra.get("source") == "exception":
                details.append(_("Recorded exception"))
        elif i.kind == "evaluation":
            outcome = tr(EVALUATION_OUTCOMES.get(i.title, i.title))
            title = _("Evaluation: %(outcome)s", outcome=outcome)
            goals = [
                (
                    _("Goal {n}: {goal}").format(n=n, goal=j.row.goal),
                    tr(GOAL_OUTCOMES.get(j.outcome, j.outcome)),
                    j.finding,
                )
                for n, j in enumerate(i.extra.get("goals", []), start=1)
            ]
        elif i.kind == "referral":
            title = _("Referral to %(agency)s", agency=tr(config.agency_name(i.title)))
            status = i.extra.get("status") or ""
            if status:
                details.append(tr(REFERRAL_STATUSES.get(status, status)))
        else:
            title = i.title
        out.append(TimelineEntry(i.at, i.kind, title, i.body, details, goals))
    return out


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
    rules = rules or Rules.core(config)
    [snapshot] = await case_snapshots(session, config, [case], today)
    prompts = await prompts_for(rules, snapshot) if case.stage not in ("closed",) else []
    interval = await monitoring_days(rules, snapshot)
    # The household first: its query loads the person too (get_person then needs none).
    members, patterns = await household_view(session, case.household_id, today)
    person = await get_person(session, case.person_id)
    parts = await active_agencies(session, case.id)
    records = await case_records(session, case.id)
    facts = facts_from(
        case,
        records.plans,
        records.assessments,
        records.decisions,
        records.stage_events,
        records.evaluations,
    )
    plan = records.latest_plan
    rows = await plan_rows(session, plan) if plan is not None else []
    if decision_kind not in CASE_DECISIONS:
        decision_kind = "closure" if case.stage == "evaluation" else "support_decision"
    forms = page_forms(
        config, [p.agency_key for p in parts], decision_kind, case.lead_agency_key, rows
    )
    states = dict(states or {})
    eligible = meetings_for(config, decision_kind)
    defaults: dict[str, dict[str, Any]] = {
        "decision": {
            "kind": decision_kind,
            "source": "meeting",
            "meeting": eligible[0].value if len(eligible) == 1 else None,
            # a meeting's decision is dated on its day: propose the last one held
            "decided_on": (
                await last_meeting_day(session, eligible[0].value, today)
                if len(eligible) == 1
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
    for key in forms:
        states.setdefault(key, FormState(values=dict(defaults.get(key, {}))))
    do_audit_read(session, actor.ref, "case.read", f"case:{case.id}")
    reachable = targets(facts)
    decisions = sorted(records.decisions, key=lambda d: (d.decided_on, d.at), reverse=True)
    can_write = actor.can("case:cases:write")
    return {
        "case": case,
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

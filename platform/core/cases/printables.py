"""Printable case sheets (A4 PDF, issue 12 item 7): the プランシート with the person's
signature lines, the 評価シート (one row per plan goal) and the 相談受付・申込票 in two
versions — with the person's consent (everything recorded, and the consent's signature
lines) and without it (decision 0023: no name, contact, birth date, address or free text;
only the coded facts the scheme counts: when, where, how, age band, sex and the topics).

Every sheet is built only for a case ``access_case`` let the viewer see (the case page's
need-to-know rule; anyone else gets the 404 of a missing id) and every issue is audited
as ``case.print``. The PDF plumbing is the meeting papers' (``papers.render_pdf``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.actor import ActorInfo
from kasane.core.cases.intake_view import IntakeView, intakes_of
from kasane.core.cases.models import Case, Evaluation, PlanRow, SupportPlan
from kasane.core.cases.records import (
    EVALUATION_OUTCOMES,
    GoalJudgement,
    evaluation_goals,
    latest_plan,
)
from kasane.core.config_types import TenantConfig
from kasane.core.consent.models import CONSENT_METHODS
from kasane.core.errors import NotFound
from kasane.core.i18n import N_
from kasane.core.people.models import Person
from kasane.core.people.services import MemberView, get_person, household_view
from kasane.core.protection.sealing import unseal

SHEETS = {
    "plan": N_("Support plan sheet"),
    "evaluation": N_("Evaluation sheet"),
    "intake": N_("Consultation intake and application form"),
}
INTAKE_VERSIONS = {
    "consent": N_("With the person's consent"),
    "no-consent": N_("Without the person's consent"),
}
PLAN_CONSENT = N_(
    "I have been told about this plan, agree to it and will take part in the support."
)
INTAKE_CONSENT = N_(
    "I apply for support and agree that what I told here is shared, as far as needed for "
    "my support, with the agencies taking part."
)
NO_CONSENT_NOTE = N_(
    "The person has not consented to sharing: this version leaves out the name, contact "
    "details, date of birth, address and everything written in words."
)


@dataclass
class Sheet:
    """What a printed sheet shows about the case (msgids stay msgids)."""

    kind: str  # plan | evaluation | intake
    case: Case
    municipality: str
    today: date
    lead_agency: str
    person: Person | None  # None on the no-consent intake form
    age: int | None = None
    sex_label: str = ""
    version: str = ""  # intake: consent | no-consent
    plan: SupportPlan | None = None
    wishes: str = ""
    rows: list[PlanRow] = field(default_factory=list)
    agreement_method: str = ""  # msgid
    evaluations: list[tuple[Evaluation, str, str]] = field(default_factory=list)  # +label, text
    # the goals of the printed plan as its latest evaluation judged them, by plan row id
    judged: dict[uuid.UUID, GoalJudgement] = field(default_factory=dict)
    judgements: dict[uuid.UUID, list[GoalJudgement]] = field(default_factory=dict)  # by evaluation
    intakes: list[IntakeView] = field(default_factory=list)
    members: list[MemberView] = field(default_factory=list)

    @property
    def title(self) -> str:
        return SHEETS[self.kind]

    @property
    def filename(self) -> str:
        """ASCII and without personal data, e.g. ``case-12-plan.pdf``."""
        suffix = f"-{self.version}" if self.version else ""
        return f"case-{self.case.case_no}-{self.kind}{suffix}.pdf"

    @property
    def age_band(self) -> int | None:
        return None if self.age is None else self.age // 10 * 10


def _age(born: date | None, today: date) -> int | None:
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _sex_label(config: TenantConfig, value: str | None) -> str:
    form = config.forms.get("intake")
    sex = next((f for f in form.all_fields() if f.name == "sex"), None) if form else None
    return next((c.label for c in (sex.choices if sex else []) if c.value == value), value or "")


async def _fill_plan(session: AsyncSession, sheet: Sheet) -> None:
    """The case's latest plan on the sheet: its rows, the person's wishes, the agreement."""
    sheet.plan, sheet.rows = await latest_plan(session, sheet.case.id)
    if sheet.plan is not None:
        sheet.wishes = await unseal(
            session, "support_plans", sheet.plan.id, "wishes", sheet.plan.wishes_sealed
        )
        method = sheet.plan.agreement_method
        sheet.agreement_method = CONSENT_METHODS.get(method, method) if method else ""


async def _fill_evaluations(session: AsyncSession, sheet: Sheet) -> None:
    """Every evaluation of the case on the sheet, and the goals as judged (the table shows
    the latest evaluation of the printed plan)."""
    for ev in (
        await session.execute(
            select(Evaluation)
            .where(Evaluation.case_id == sheet.case.id)
            .order_by(Evaluation.evaluated_on, Evaluation.created_at)
        )
    ).scalars():
        text = await unseal(session, "evaluations", ev.id, "summary", ev.summary_sealed)
        sheet.evaluations.append((ev, EVALUATION_OUTCOMES.get(ev.outcome, ev.outcome), text))
    sheet.judgements = await evaluation_goals(session, [e.id for e, *_ in sheet.evaluations])
    for ev, *_rest in sheet.evaluations:  # the latest evaluation of this plan fills the table
        if sheet.plan is not None and ev.plan_version == sheet.plan.version:
            sheet.judged = {j.row.id: j for j in sheet.judgements[ev.id]}


async def case_sheet(
    session: AsyncSession,
    actor: ActorInfo,
    config: TenantConfig,
    case: Case,
    kind: str,
    *,
    municipality: str,
    today: date,
    version: str = "",
) -> Sheet:
    """The sheet ``kind`` of a case the actor was let into (``access_case``); audited."""
    if kind not in SHEETS or (kind == "intake") != bool(version):
        raise NotFound("sheet")
    if version and version not in INTAKE_VERSIONS:
        raise NotFound("sheet")
    person = await get_person(session, case.person_id)
    sheet = Sheet(
        kind=kind,
        case=case,
        municipality=municipality,
        today=today,
        lead_agency=config.agency_name(case.lead_agency_key),
        person=None if version == "no-consent" else person,
        age=_age(person.birth_date, today),
        sex_label=_sex_label(config, person.sex),
        version=version,
    )
    if kind in ("plan", "evaluation"):
        await _fill_plan(session, sheet)
    if kind == "evaluation":
        await _fill_evaluations(session, sheet)
    if kind == "intake":
        sheet.intakes = await intakes_of(session, config, case.id)
        if version == "consent":
            sheet.members, _patterns = await household_view(session, case.household_id, today)
    detail = {"sheet": kind, "output": "pdf"}
    if version:
        detail["version"] = version
    if sheet.plan is not None:
        detail["plan_version"] = str(sheet.plan.version)
    await do_audit(session, actor.ref, "case.print", f"case:{case.id}", **detail)
    return sheet

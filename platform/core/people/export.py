"""The per-person record for 開示請求 (a disclosure request under the personal information
protection rules): everything recorded about one person, sealed narratives opened.

Only the export pages call this, for the roles that answer such requests, and they audit
each export (``person.export``). Cases are those opened for the person; a household's
other members appear by name and 続柄 only, as recorded on the person's household.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.cases.models import (
    Assessment,
    Case,
    CaseDecision,
    Evaluation,
    Monitoring,
    PlanRow,
    ProgressNote,
    StageEvent,
    SupportPlan,
)
from kasane.core.cases.records import evaluation_goals
from kasane.core.consent.models import Disclosure
from kasane.core.consent.services import consents_of
from kasane.core.intake.models import Consultation
from kasane.core.japan_time import JST
from kasane.core.outreach.models import OutreachRecord
from kasane.core.people.models import Household, HouseholdMember, Person
from kasane.core.protection.sealing import unseal, unseal_json
from kasane.core.referrals.models import Referral
from kasane.core.referrals.services import answer_texts

EXPORT_FORMAT = "kasane-person-export/1"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _row(obj: Any, *names: str) -> dict[str, Any]:
    return {n: _plain(getattr(obj, n)) for n in ("id", *names)}


async def _all(session: AsyncSession, stmt: Any) -> list[Any]:
    return list((await session.execute(stmt)).scalars())


async def _case_record(session: AsyncSession, case: Case) -> dict[str, Any]:
    cid = case.id
    out = _row(
        case,
        "case_no",
        "stage",
        "lead_agency_key",
        "counter_key",
        "area_key",
        "collaboration",
        "opened_on",
        "closed_on",
    )
    out["stage_events"] = [
        _row(e, "from_stage", "to_stage", "at", "note")
        for e in await _all(
            session, select(StageEvent).where(StageEvent.case_id == cid).order_by(StageEvent.at)
        )
    ]
    out["decisions"] = [
        _row(d, "kind", "source", "meeting_type_key", "decided_on", "note")
        for d in await _all(session, select(CaseDecision).where(CaseDecision.case_id == cid))
    ]
    out["assessments"] = [
        {
            **_row(a, "version", "form_version", "data", "unmet_needs", "created_at"),
            "sealed": await unseal_json(session, "assessments", a.id, a.sealed),
        }
        for a in await _all(
            session,
            select(Assessment).where(Assessment.case_id == cid).order_by(Assessment.version),
        )
    ]
    out["plans"] = await _plans(session, cid)
    out["notes"] = [
        {
            **_row(n, "kind", "occurred_on", "agency_key"),
            "body": await unseal(session, "progress_notes", n.id, "body", n.body_sealed),
        }
        for n in await _all(
            session,
            select(ProgressNote)
            .where(ProgressNote.case_id == cid)
            .order_by(ProgressNote.occurred_on),
        )
    ]
    out["monitorings"] = [
        {
            **_row(m, "done_on", "plan_version", "plan_review_needed", "next_on"),
            "summary": await unseal(session, "monitorings", m.id, "summary", m.summary_sealed),
        }
        for m in await _all(session, select(Monitoring).where(Monitoring.case_id == cid))
    ]
    out["evaluations"] = await _evaluations(session, cid)
    return out


async def _plans(session: AsyncSession, case_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every version of the case's support plan, with its wishes opened and its rows."""
    plans = []
    for p in await _all(
        session,
        select(SupportPlan).where(SupportPlan.case_id == case_id).order_by(SupportPlan.version),
    ):
        rows = await _all(
            session, select(PlanRow).where(PlanRow.plan_id == p.id).order_by(PlanRow.position)
        )
        plans.append(
            {
                **_row(p, "version", "next_monitoring_on", "agreed_on", "agreement_method"),
                "wishes": await unseal(session, "support_plans", p.id, "wishes", p.wishes_sealed),
                "rows": [_row(r, "issue", "goal", "action", "agency_key", "period") for r in rows],
            }
        )
    return plans


async def _evaluations(session: AsyncSession, case_id: uuid.UUID) -> list[dict[str, Any]]:
    """The case's evaluations, their summaries opened and each goal's judgement."""
    evaluations = await _all(session, select(Evaluation).where(Evaluation.case_id == case_id))
    judged = await evaluation_goals(session, [v.id for v in evaluations])
    return [
        {
            **_row(v, "evaluated_on", "outcome", "plan_version"),
            "summary": await unseal(session, "evaluations", v.id, "summary", v.summary_sealed),
            "goals": [
                {"goal": j.row.goal, "outcome": j.outcome, "finding": j.finding}
                for j in judged[v.id]
            ],
        }
        for v in evaluations
    ]


async def _households(session: AsyncSession, person_id: uuid.UUID) -> list[dict[str, Any]]:
    """The households the person belongs to, with every member."""
    households = []
    for h in await _all(
        session,
        select(Household)
        .join(HouseholdMember, HouseholdMember.household_id == Household.id)
        .where(HouseholdMember.person_id == person_id),
    ):
        rows = (
            await session.execute(
                select(HouseholdMember, Person)
                .join(
                    Person,
                    (Person.id == HouseholdMember.person_id)
                    & (Person.tenant_id == HouseholdMember.tenant_id),
                )
                .where(HouseholdMember.household_id == h.id)
            )
        ).all()
        households.append(
            {
                **_row(h, "label", "address", "area_key"),
                "members": [
                    {
                        "person_id": str(p.id),
                        "name": p.name,
                        **_row(m, "relation", "is_carer", "needs_care", "withdrawn"),
                    }
                    for m, p in rows
                ],
            }
        )
    return households


async def _consultations(session: AsyncSession, person_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every consultation about the person, its sealed part opened."""
    return [
        {
            **_row(
                c,
                "received_on",
                "counter_key",
                "channel",
                "visitor_name",
                "visitor_phone",
                "visitor_relation",
                "categories",
                "main_category",
                "form_version",
                "data",
                "outcome",
                "referred_to",
                "case_id",
            ),
            "sealed": await unseal_json(session, "consultations", c.id, c.sealed),
        }
        for c in await _all(
            session,
            select(Consultation)
            .where(Consultation.person_id == person_id)
            .order_by(Consultation.received_on),
        )
    ]


async def _referrals(session: AsyncSession, person_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every referral (つなぎ) about the person, reason and answers opened."""
    return [
        {
            **_row(
                r,
                "case_id",
                "consultation_id",
                "from_agency_key",
                "to_agency_key",
                "status",
                "sent_at",
                "outcome_on",
            ),
            "reason": await unseal(session, "referrals", r.id, "reason", r.reason_sealed),
            **await answer_texts(session, r),  # decline_reason, outcome
        }
        for r in await _all(session, select(Referral).where(Referral.person_id == person_id))
    ]


async def _outreach(session: AsyncSession, person_id: uuid.UUID) -> list[dict[str, Any]]:
    """The outreach records linked to the person, descriptions opened."""
    return [
        {
            **_row(o, "title", "place", "agency_key", "started_on", "linked_on", "closed_on"),
            "description": await unseal(
                session, "outreach_records", o.id, "description", o.description_sealed
            ),
        }
        for o in await _all(
            session, select(OutreachRecord).where(OutreachRecord.person_id == person_id)
        )
    ]


async def _consents_and_disclosures(
    session: AsyncSession, person_id: uuid.UUID
) -> dict[str, list[dict[str, Any]]]:
    """The consent ledger and every disclosure made on it."""
    return {
        "consents": [
            _row(
                c,
                "agencies",
                "meeting_types",
                "purposes",
                "text_version",
                "obtained_on",
                "method",
                "expires_on",
                "withdrawn_on",
                "withdrawal_note",
            )
            for c in await consents_of(session, person_id)
        ],
        "disclosures": [
            _row(d, "case_id", "to_agency_key", "to_meeting_type", "basis", "basis_note", "at")
            for d in await _all(
                session, select(Disclosure).where(Disclosure.person_id == person_id)
            )
        ],
    }


async def person_record(session: AsyncSession, person: Person) -> dict[str, Any]:
    """Everything recorded about ``person`` (and people merged into them), sealed text
    opened, as plain JSON-able data. Only for the 開示請求 export: callers audit it."""
    pid = person.id
    cases = [
        await _case_record(session, case)
        for case in await _all(
            session, select(Case).where(Case.person_id == pid).order_by(Case.case_no)
        )
    ]
    merged = await _all(session, select(Person.id).where(Person.merged_into_id == pid))
    person_fields = _row(
        person,
        "name",
        "kana",
        "sex",
        "birth_date",
        "address",
        "phone_home",
        "phone_mobile",
        "email",
        "area_key",
        "created_at",
    )
    return {
        "format": EXPORT_FORMAT,
        "exported_at": datetime.now(JST).isoformat(timespec="seconds"),
        "person": {**person_fields, "merged_records": [str(m) for m in merged]},
        "households": await _households(session, pid),
        "consultations": await _consultations(session, pid),
        "cases": cases,
        **await _consents_and_disclosures(session, pid),
        "referrals": await _referrals(session, pid),
        "outreach": await _outreach(session, pid),
    }

"""Bulk seeding for the benchmark: tens of thousands of cases in seconds.

Rows go in with SQLAlchemy Core ``insert()`` executemany on SQLite, in chunks; on
PostgreSQL with ``COPY`` as the administrator (``COPY FROM`` is not allowed under RLS), the
foreign keys' triggers off for the transaction (``session_replication_role = replica``):
the rows are generated consistent, and checking each one cost two thirds of the
PostgreSQL run's seeding. Nothing goes through the services (the lot is audited as one
event): this is volume for measuring reads, not a demo. Narratives are still sealed with
the tenant's key so the case page pays the real cost of opening them.

Distribution (a mature municipality's archive): stages weighted towards support, monitoring
and closed; leads from the counter that took the case; the caseworker's agency (the elderly
counter's, ``hokatsu``) takes part in about 30% of cases; areas, counters, dates spread.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Table, insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.cases.models import (
    Assessment,
    Case,
    CaseAgency,
    CaseDecision,
    Monitoring,
    PlanRow,
    ProgressNote,
    StageEvent,
    SupportPlan,
)
from kasane.core.config_types import TenantConfig
from kasane.core.db import uuid7
from kasane.core.intake.models import Consultation
from kasane.core.people.matching import normalize_kana, normalize_name
from kasane.core.people.models import Household, HouseholdMember, Person
from kasane.core.protection.crypto import cipher_for

JST = timezone(timedelta(hours=9))
CHUNK = 5_000
STAGE_WEIGHTS = {
    "reception": 2,
    "intake": 5,
    "assessment": 6,
    "plan_draft": 5,
    "decision": 3,
    "support": 20,
    "monitoring": 15,
    "evaluation": 4,
    "closed": 35,
    "suspended": 5,
}
PATH = (
    "intake",
    "assessment",
    "plan_draft",
    "decision",
    "support",
    "monitoring",
    "evaluation",
    "closed",
)
FAMILY = ["架空", "見本", "試験", "仮名", "例示", "模擬", "想定", "検証"]
FAMILY_KANA = ["かくう", "みほん", "しけん", "かめい", "れいじ", "もぎ", "そうてい", "けんしょう"]
GIVEN = [("一郎", "いちろう"), ("花子", "はなこ"), ("健太", "けんた"), ("由美", "ゆみ")]
RELATIONS = ["spouse", "child", "parent", "child", "grandchild"]
CATEGORIES = ["care", "income", "hikikomori", "childcare", "health_disability", "debt", "family"]
CHANNELS = ["visit_counter", "phone", "home_visit", "agency", "resident"]
NOTE = (
    "訪問して近況を確認した。本人の表情は穏やかで、次回の面談を約束した"
    "（ベンチマーク用の架空の記録）。"
)


def _at(day: date, rng: random.Random, aware: bool) -> datetime:
    """A moment in office hours (09:00-17:00 JST = 00:00-08:00 UTC) of ``day``, in UTC.

    Naive on SQLite, which stores UTC naive anyway: it spares the per-row conversion."""
    moment = datetime(day.year, day.month, day.day) + timedelta(seconds=rng.random() * 28_800)
    return moment.replace(tzinfo=UTC) if aware else moment


class Rows:
    """Rows per table, flushed to the database a chunk at a time."""

    def __init__(self, session: AsyncSession, tenant_id: uuid.UUID) -> None:
        self.s, self.tenant_id = session, tenant_id
        self.copy = session.bind.dialect.name == "postgresql"  # type: ignore[union-attr]
        self.pending: dict[Table, list[dict[str, Any]]] = {}
        self.counts: dict[str, int] = {}

    def add(self, model: type, **values: Any) -> uuid.UUID:
        row_id = values.setdefault("id", uuid7())
        values["tenant_id"] = self.tenant_id
        self.pending.setdefault(model.__table__, []).append(values)  # type: ignore[attr-defined]
        return row_id  # type: ignore[no-any-return]

    async def flush(self, order: Iterable[type]) -> None:
        """Insert everything pending, parents before children."""
        for model in order:
            table: Table = model.__table__  # type: ignore[attr-defined]
            rows = self.pending.pop(table, [])
            if self.copy:
                await self._copy(table, rows)
            else:
                for i in range(0, len(rows), CHUNK):
                    await self.s.execute(insert(table), rows[i : i + CHUNK])
            self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)

    async def _copy(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """The rows through asyncpg's binary COPY, each value as SQLAlchemy would bind it
        (JSON as text, times in UTC), a column a row leaves out given its Python default."""
        if not rows:
            return
        connection = await self.s.connection()
        dialect = connection.dialect
        columns = list(table.columns)
        binders = [c.type.bind_processor(dialect) for c in columns]

        def value(row: dict[str, Any], column: Any, bind: Any) -> Any:
            if column.key in row:
                v = row[column.key]
            elif column.default is not None:
                d = column.default
                v = d.arg(None) if d.is_callable else d.arg
            else:
                v = None
            return bind(v) if bind is not None and v is not None else v

        records = [
            tuple(value(r, c, b) for c, b in zip(columns, binders, strict=True)) for r in rows
        ]
        raw = (await connection.get_raw_connection()).driver_connection
        await raw.copy_records_to_table(  # type: ignore[union-attr]
            table.name, records=records, columns=[c.name for c in columns]
        )


ORDER = (
    Household,
    Person,
    HouseholdMember,
    Case,
    CaseAgency,
    StageEvent,
    Consultation,
    Assessment,
    SupportPlan,
    PlanRow,
    CaseDecision,
    Monitoring,
    ProgressNote,
)


async def bulk_seed(
    session: AsyncSession,
    config: TenantConfig,
    n_cases: int,
    *,
    caseworker_agency: str,
    staff_id: uuid.UUID,
    rng: random.Random,
    first_no: int = 1,
    records: bool = True,
) -> dict[str, int]:
    """Insert ``n_cases`` cases with their households and records; return rows per table.
    ``first_no``: the first case number (a second batch continues the first); ``records``
    False: households, people, cases and participations only — what the case list reads —
    for the 200,000-case growth line, in a third of the time."""
    tenant_id = session.info["tenant_id"]
    aware = session.bind.dialect.name != "sqlite"  # type: ignore[union-attr]
    if aware:  # COPY as the administrator, the foreign keys' checks off (see the docstring)
        await session.execute(text("SET LOCAL session_replication_role = replica"))
    cipher = await cipher_for(session)
    rows = Rows(session, tenant_id)
    today = datetime.now(JST).date()
    stages, weights = list(STAGE_WEIGHTS), list(STAGE_WEIGHTS.values())
    counters = config.counters
    areas = [a.key for a in config.areas]
    coordinator = config.coordinating_agency().key
    agencies = [a.key for a in config.agencies]
    consent_meeting = next(
        (m.key for m in config.meeting_types if "support_decision" in m.decisions), None
    )
    lead_share = sum((c.agency or coordinator) == caseworker_agency for c in counters)
    lead_share /= len(counters)
    join = max(0.0, (0.30 - lead_share) / (1 - lead_share))  # → ~30% take part overall
    # search keys as kasane.core.people.matching computes them, per family and given name
    name_keys = [
        [
            (normalize_name(family + given), normalize_kana(f"{kana} {given_kana}"))
            for given, given_kana in GIVEN
        ]
        for family, kana in zip(FAMILY, FAMILY_KANA, strict=True)
    ]
    for n in range(first_no, first_no + n_cases):
        stage = rng.choices(stages, weights)[0]
        reached = PATH.index(stage) if stage in PATH else rng.choice((1, 4, 5))
        counter = rng.choice(counters)
        lead = counter.agency or coordinator
        area = counter.area or rng.choice(areas)
        early = reached <= PATH.index("decision")
        opened = today - timedelta(days=rng.randint(0, 90) if early else rng.randint(60, 1800))
        updated = opened + timedelta(days=rng.randint(0, (today - opened).days))
        f = rng.randrange(len(FAMILY))
        household_id = rows.add(
            Household,
            label=f"{FAMILY[f]} 世帯（架空）",
            address="（架空の住所）",
            area_key=area,
            created_at=_at(opened, rng, aware),
        )
        person_ids = []
        for k in range(rng.choice((1, 1, 2, 2, 3, 4))):
            g = rng.randrange(len(GIVEN))
            name = f"{FAMILY[f]} {GIVEN[g][0]}{n}（架空）"
            kana = f"{FAMILY_KANA[f]} {GIVEN[g][1]}"
            name_norm, kana_norm = f"{name_keys[f][g][0]}{n}(架空)", name_keys[f][g][1]
            birth = today - timedelta(days=rng.randint(3, 90) * 365 + rng.randint(0, 364))
            person_id = rows.add(
                Person,
                name=name,
                kana=kana,
                name_norm=name_norm,
                kana_norm=kana_norm,
                sex=rng.choice(("female", "male")),
                birth_date=birth,
                address="（架空の住所）",
                phone_home="",
                phone_mobile="",
                phone_norm="",
                email="",
                area_key=area,
                created_at=_at(opened, rng, aware),
                updated_at=_at(opened, rng, aware),
            )
            rows.add(
                HouseholdMember,
                household_id=household_id,
                person_id=person_id,
                relation="head" if k == 0 else rng.choice(RELATIONS),
                is_carer=False,
                needs_care=k > 0 and rng.random() < 0.2,
                withdrawn=k > 0 and rng.random() < 0.1,
                note="",
            )
            person_ids.append(person_id)
        closed = stage == "closed"
        ongoing = stage in ("support", "monitoring")
        case_id = rows.add(
            Case,
            case_no=n,
            household_id=household_id,
            person_id=person_ids[0],
            stage=stage,
            resume_stage=PATH[reached] if stage == "suspended" else None,
            lead_agency_key=lead,
            counter_key=counter.key,
            area_key=area,
            collaboration=rng.random() < 0.3 and not closed,
            opened_on=opened,
            closed_on=updated if closed else None,
            next_monitoring_on=today + timedelta(days=rng.randint(-60, 90)) if ongoing else None,
            updated_at=_at(updated, rng, aware),
        )
        taking_part = {lead}
        if lead != caseworker_agency and rng.random() < join:
            taking_part.add(caseworker_agency)
        taking_part.update(rng.sample(agencies, rng.choice((0, 0, 1, 2))))
        for agency in taking_part:
            rows.add(
                CaseAgency,
                case_id=case_id,
                agency_key=agency,
                role="lead" if agency == lead else "participant",
                started_on=opened,
                ended_on=updated if closed else None,
            )
        if not records:
            if n % 2_000 == 0:
                await rows.flush(ORDER)
            continue
        path = [*PATH[: reached + 1], *(["suspended"] if stage == "suspended" else [])]
        span = max(1, (updated - opened).days)
        days = sorted(opened + timedelta(days=rng.randint(0, span)) for _ in path)
        for i, (to, day) in enumerate(zip(path, days, strict=True)):
            rows.add(
                StageEvent,
                case_id=case_id,
                from_stage=path[i - 1] if i else None,
                to_stage=to,
                at=_at(day, rng, aware),
                by=staff_id,
                note="",
            )
        rows.add(
            Consultation,
            counter_key=counter.key,
            received_on=opened,
            received_by=staff_id,
            channel=rng.choice(CHANNELS),
            person_id=person_ids[0],
            visitor_name="",
            visitor_phone="",
            visitor_relation="",
            categories=rng.sample(CATEGORIES, 2),
            main_category=rng.choice(CATEGORIES),
            form_version="national-2021.1",
            data={},
            sealed="",
            outcome="multi_agency" if rng.random() < 0.4 else "continued",
            referred_to=None,
            case_id=case_id,
            created_at=_at(opened, rng, aware),
        )
        if reached >= 1:
            rows.add(
                Assessment,
                case_id=case_id,
                version=1,
                form_version="national-2021.1",
                data={"issues": rng.sample(["income", "isolation", "care_burden", "work"], 2)},
                sealed="",
                unmet_needs=[],
                created_by=staff_id,
                created_at=_at(days[1], rng, aware),
            )
        if reached >= 2:
            plan_id = uuid7()
            rows.add(
                SupportPlan,
                id=plan_id,
                case_id=case_id,
                version=1,
                wishes_sealed=cipher.seal("support_plans", plan_id, "wishes", "自宅で暮らしたい"),
                next_monitoring_on=None,
                agreed_on=days[2] if reached >= 4 else None,
                agreement_method="written" if reached >= 4 else "",
                created_by=staff_id,
                created_at=_at(days[2], rng, aware),
            )
            for position in range(2):
                rows.add(
                    PlanRow,
                    plan_id=plan_id,
                    position=position,
                    issue="生活の困りごと（架空）",
                    goal="安心して暮らせる",
                    action="定期的な訪問",
                    agency_key=rng.choice(sorted(taking_part)),
                    period="6か月",
                )
        if reached >= 3:
            rows.add(
                CaseDecision,
                case_id=case_id,
                kind="support_decision",
                source="meeting" if consent_meeting else "exception",
                meeting_type_key=consent_meeting,
                meeting_id=None,
                decided_on=days[3],
                note="",
                recorded_by=staff_id,
                at=_at(days[3], rng, aware),
            )
        if reached >= 5:
            for _ in range(rng.choice((1, 1, 2))):
                row_id = uuid7()
                rows.add(
                    Monitoring,
                    id=row_id,
                    case_id=case_id,
                    plan_version=1,
                    done_on=days[-1],
                    summary_sealed=cipher.seal("monitorings", row_id, "summary", "順調（架空）"),
                    plan_review_needed=False,
                    next_on=None,
                    created_by=staff_id,
                    created_at=_at(days[-1], rng, aware),
                )
        for _ in range(rng.choice((0, 1, 1, 2))):
            row_id = uuid7()
            day = opened + timedelta(days=rng.randint(0, span))
            rows.add(
                ProgressNote,
                id=row_id,
                case_id=case_id,
                kind=rng.choice(("interview", "visit", "phone")),
                occurred_on=day,
                body_sealed=cipher.seal("progress_notes", row_id, "body", NOTE),
                agency_key=lead,
                created_by=staff_id,
                created_at=_at(day, rng, aware),
            )
        if n % 2_000 == 0:
            await rows.flush(ORDER)
    await rows.flush(ORDER)
    # one audit event for the lot: what is counted until the next change (the list's
    # totals, the reports) is counted anew, as after any other change
    await do_audit(session, "bench", "bench.seed", "", cases=n_cases, first_no=first_no)
    return rows.counts

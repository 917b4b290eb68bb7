"""The case and everything recorded on it. Narratives are sealed (``*_sealed`` columns)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from kasane.core.db import Base, TenantScoped, UTCDateTime, tenant_fk, utcnow


class Case(TenantScoped, Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("tenant_id", "case_no"),
        tenant_fk("household_id", "households"),
        tenant_fk("person_id", "people"),
        Index("ix_cases_tenant_stage", "tenant_id", "stage", "updated_at"),
        Index("ix_cases_tenant_next_monitoring", "tenant_id", "next_monitoring_on"),
        Index("ix_cases_tenant_updated", "tenant_id", "updated_at"),
    )

    case_no: Mapped[int] = mapped_column(Integer, nullable=False)
    household_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    person_id: Mapped[uuid.UUID] = mapped_column(nullable=False)  # whom it started with
    stage: Mapped[str] = mapped_column(String(20), nullable=False, default="reception")
    resume_stage: Mapped[str | None] = mapped_column(String(20))  # where 再開 returns to
    lead_agency_key: Mapped[str] = mapped_column(String(64), nullable=False)
    counter_key: Mapped[str] = mapped_column(String(64), nullable=False)
    area_key: Mapped[str | None] = mapped_column(String(64))
    collaboration: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    opened_on: Mapped[date] = mapped_column(Date, nullable=False)
    closed_on: Mapped[date | None] = mapped_column(Date)
    next_monitoring_on: Mapped[date | None] = mapped_column(Date)
    import_id: Mapped[uuid.UUID | None] = mapped_column()  # the caseload import that made it
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


class CaseAgency(TenantScoped, Base):
    """An agency's part in a case. Need-to-know: while ``ended_on`` is empty it sees the case."""

    __tablename__ = "case_agencies"
    __table_args__ = (
        tenant_fk("case_id", "cases", ondelete="CASCADE"),
        Index("ix_case_agencies_tenant_agency", "tenant_id", "agency_key", "ended_on"),
        Index("ix_case_agencies_tenant_case", "tenant_id", "case_id"),
        # the list's count of the cases an agency takes part in now reads this index alone
        Index(
            "ix_case_agencies_active_agency_case",
            "tenant_id",
            "agency_key",
            "case_id",
            postgresql_where=text("ended_on IS NULL"),
            sqlite_where=text("ended_on IS NULL"),
        ),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    agency_key: Mapped[str] = mapped_column(String(64), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)  # lead | participant
    started_on: Mapped[date] = mapped_column(Date, nullable=False)
    ended_on: Mapped[date | None] = mapped_column(Date)


class CollaborationPeriod(TenantScoped, Base):
    """多機関協働 involvement: starts and ends on its own while the case goes on."""

    __tablename__ = "collaboration_periods"
    __table_args__ = (tenant_fk("case_id", "cases", ondelete="CASCADE"),)

    case_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    started_on: Mapped[date] = mapped_column(Date, nullable=False)
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str] = mapped_column(String(200), nullable=False, default="")


class StageEvent(TenantScoped, Base):
    """One move of the state machine, with who, why and on what basis."""

    __tablename__ = "stage_events"
    __table_args__ = (
        tenant_fk("case_id", "cases", ondelete="CASCADE"),
        Index("ix_stage_events_tenant_case", "tenant_id", "case_id"),
        Index("ix_stage_events_tenant_at", "tenant_id", "at"),  # the reports' closures by date
    )

    case_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    by: Mapped[uuid.UUID | None] = mapped_column()
    note: Mapped[str] = mapped_column(String(300), nullable=False, default="")


class CaseDecision(TenantScoped, Base):
    """A decision about a case: taken at a meeting, or an explicitly recorded exception."""

    __tablename__ = "case_decisions"
    __table_args__ = (
        tenant_fk("case_id", "cases", ondelete="CASCADE"),
        Index("ix_case_decisions_tenant_case", "tenant_id", "case_id"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)  # support_decision, closure …
    source: Mapped[str] = mapped_column(String(20), nullable=False)  # meeting | exception
    meeting_type_key: Mapped[str | None] = mapped_column(String(64))
    meeting_id: Mapped[uuid.UUID | None] = mapped_column()
    decided_on: Mapped[date] = mapped_column(Date, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    recorded_by: Mapped[uuid.UUID] = mapped_column(nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class Assessment(TenantScoped, Base):
    __tablename__ = "assessments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "case_id", "version"),
        tenant_fk("case_id", "cases", ondelete="CASCADE"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    form_version: Mapped[str] = mapped_column(String(80), nullable=False)
    data: Mapped[dict[str, object]] = mapped_column(JSON, nullable=False, default=dict)
    sealed: Mapped[str] = mapped_column(Text, nullable=False, default="")  # sensitive fields
    unmet_needs: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    created_by: Mapped[uuid.UUID] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class SupportPlan(TenantScoped, Base):
    __tablename__ = "support_plans"
    __table_args__ = (
        UniqueConstraint("tenant_id", "case_id", "version"),
        tenant_fk("case_id", "cases", ondelete="CASCADE"),
        Index("ix_support_plans_tenant_created", "tenant_id", "created_at"),  # reports by date
    )

    case_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    wishes_sealed: Mapped[str] = mapped_column(Text, nullable=False, default="")  # 本人の意向
    next_monitoring_on: Mapped[date | None] = mapped_column(Date)
    agreed_on: Mapped[date | None] = mapped_column(Date)  # the person's agreement
    agreement_method: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    created_by: Mapped[uuid.UUID] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class PlanRow(TenantScoped, Base):
    """課題 → 目標 → 支援内容 → 担当機関 → 期間."""

    __tablename__ = "plan_rows"
    __table_args__ = (
        tenant_fk("plan_id", "support_plans", ondelete="CASCADE"),
        Index("ix_plan_rows_tenant_plan", "tenant_id", "plan_id"),
    )

    plan_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    issue: Mapped[str] = mapped_column(Text, nullable=False)
    goal: Mapped[str] = mapped_column(Text, nullable=False)
    action: Mapped[str] = mapped_column(Text, nullable=False)
    agency_key: Mapped[str] = mapped_column(String(64), nullable=False)
    period: Mapped[str] = mapped_column(String(60), nullable=False, default="")


class PlanUnmetNeed(TenantScoped, Base):
    """A need the plan found no resource for: it rolls up into the gap list (``gap_id``).

    A need listed again in the next version keeps its gap (so the gap list keeps the date
    it was first recorded); a need a new version drops resolves it.
    """

    __tablename__ = "plan_unmet_needs"
    __table_args__ = (
        tenant_fk("plan_id", "support_plans", ondelete="CASCADE"),
        tenant_fk("gap_id", "resource_gaps"),
        Index("ix_plan_unmet_needs_tenant_plan", "tenant_id", "plan_id"),
    )

    plan_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    category: Mapped[str] = mapped_column(String(40), nullable=False)  # an UNMET_NEEDS key
    area_key: Mapped[str | None] = mapped_column(String(64))  # None: the whole town
    note: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    gap_id: Mapped[uuid.UUID | None] = mapped_column()


class ProgressNote(TenantScoped, Base):
    """支援経過: 面談, 訪問, 同行, 電話, 会議."""

    __tablename__ = "progress_notes"
    __table_args__ = (
        tenant_fk("case_id", "cases", ondelete="CASCADE"),
        Index("ix_progress_notes_tenant_case", "tenant_id", "case_id"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    occurred_on: Mapped[date] = mapped_column(Date, nullable=False)
    body_sealed: Mapped[str] = mapped_column(Text, nullable=False)
    agency_key: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[uuid.UUID] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class Monitoring(TenantScoped, Base):
    __tablename__ = "monitorings"
    __table_args__ = (
        tenant_fk("case_id", "cases", ondelete="CASCADE"),
        Index("ix_monitorings_tenant_case", "tenant_id", "case_id"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    plan_version: Mapped[int | None] = mapped_column(Integer)
    done_on: Mapped[date] = mapped_column(Date, nullable=False)
    summary_sealed: Mapped[str] = mapped_column(Text, nullable=False, default="")
    plan_review_needed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    next_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[uuid.UUID] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class Evaluation(TenantScoped, Base):
    """評価 before closure: were the issues organised, is the outlook set."""

    __tablename__ = "evaluations"
    __table_args__ = (
        tenant_fk("case_id", "cases", ondelete="CASCADE"),
        Index("ix_evaluations_tenant_case", "tenant_id", "case_id"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    evaluated_on: Mapped[date] = mapped_column(Date, nullable=False)
    # met | partly | not_met; with goals, what the goals' outcomes add up to
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)
    plan_version: Mapped[int | None] = mapped_column(Integer)  # the plan whose goals it judged
    summary_sealed: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by: Mapped[uuid.UUID] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class EvaluationGoal(TenantScoped, Base):
    """How far one goal of the plan was met (評価 per 目標), with what was found."""

    __tablename__ = "evaluation_goals"
    __table_args__ = (
        tenant_fk("evaluation_id", "evaluations", ondelete="CASCADE"),
        tenant_fk("plan_row_id", "plan_rows"),
        Index("ix_evaluation_goals_tenant_evaluation", "tenant_id", "evaluation_id"),
    )

    evaluation_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    plan_row_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)  # met | partly | not_met
    finding_sealed: Mapped[str] = mapped_column(Text, nullable=False, default="")

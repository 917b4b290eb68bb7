"""Unmet needs a support plan records (社会資源の不足), and their place in the gap list.

Each need has a category from the core's unmet-need list (the one assessments, the gap list
and participation matching use), an area (the case's by default; none: the whole town) and
a short note. Saving a plan version records each new need as a resource gap (source
"plan", the plan's id); a need the previous version already listed (same category and
area) keeps its open gap, so the gap list keeps the date it was first recorded; a need the
new version no longer lists has its gap resolved. The note stays with the plan (need-to-
know): the gap list is open to all staff, so the gap carries no description.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.actor import ActorInfo
from kasane.core.cases.models import Case, PlanUnmetNeed, SupportPlan
from kasane.core.config_types import Choice, FormField, TenantConfig, Validation
from kasane.core.defaults import UNMET_NEEDS
from kasane.core.forms.validation import field_problem
from kasane.core.gaps.models import ResourceGap
from kasane.core.gaps.services import do_record_gap, do_resolve_gap
from kasane.core.i18n import N_
from kasane.core.i18n import gettext as _

NEED_KEY = re.compile(r"^needs-(\d{1,2})-(category|area|note)$")
MAX_NEEDS = 20
NEED_LABELS: dict[str, str] = dict(UNMET_NEEDS)


@dataclass(frozen=True)
class PlanNeedInput:
    category: str
    area_key: str | None  # None: the whole town
    note: str = ""


def need_fields(config: TenantConfig) -> list[FormField]:
    """One need row: category, area, note (the area's empty choice is the whole town)."""
    return [
        FormField(
            name="category",
            label=N_("Unmet need"),
            type="select",
            choices=[Choice(value=k, label=v) for k, v in UNMET_NEEDS],
        ),
        FormField(
            name="area",
            label=N_("Area"),
            type="select",
            choices=[Choice(value=a.key, label=a.name) for a in config.areas],
        ),
        FormField(
            name="note",
            label=N_("Note"),
            type="text",
            validation=Validation(max_length=300),
        ),
    ]


def check_needs(
    config: TenantConfig, data: Any
) -> tuple[list[PlanNeedInput], list[dict[str, str]], list[dict[str, str]]]:
    """(needs to save, every posted need row as typed, problems per posted row).

    A row with neither category nor note is ignored (its area alone is only the default);
    a note without a category, an unknown area and a need listed twice are refused."""
    posted: dict[int, dict[str, str]] = {}
    for key in data.keys():
        if (m := NEED_KEY.match(key)) and len(posted) <= MAX_NEEDS:
            posted.setdefault(int(m.group(1)), {})[m.group(2)] = (data.get(key) or "").strip()
    fields = {f.name: f for f in need_fields(config)}
    needs: list[PlanNeedInput] = []
    rows: list[dict[str, str]] = []
    errors: list[dict[str, str]] = []
    seen: set[tuple[str, str | None]] = set()
    for n, index in enumerate(sorted(posted), start=1):
        raw = posted[index]
        problems: dict[str, str] = {}
        if raw.get("category") or raw.get("note"):
            for name, f in fields.items():
                _value, problem = field_problem(f, raw.get(name, ""))
                if name == "category" and not raw.get("category"):
                    problem = _("%(label)s is required", label=_(f.label))
                if problem:
                    problems[name] = _("Need %(n)s: %(problem)s", n=n, problem=problem)
            key = (raw.get("category", ""), raw.get("area") or None)
            if not problems and key in seen:
                problems["category"] = _(
                    "Need %(n)s: this need is already listed for this area", n=n
                )
            if not problems:
                seen.add(key)
                needs.append(PlanNeedInput(key[0], key[1], raw.get("note", "")))
        rows.append(raw)
        errors.append(problems)
    return needs, rows, errors


async def plan_needs(session: AsyncSession, plan_id: uuid.UUID) -> list[PlanUnmetNeed]:
    """The needs of one plan version, in the order they were written."""
    return list(
        (
            await session.execute(
                select(PlanUnmetNeed)
                .where(PlanUnmetNeed.plan_id == plan_id)
                .order_by(PlanUnmetNeed.position)
            )
        ).scalars()
    )


async def latest_plan_needs(session: AsyncSession, case_id: uuid.UUID) -> list[PlanUnmetNeed]:
    """The needs of the case's latest plan version (none without a plan)."""
    plan_id = (
        await session.execute(
            select(SupportPlan.id)
            .where(SupportPlan.case_id == case_id)
            .order_by(SupportPlan.version.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    return await plan_needs(session, plan_id) if plan_id else []


async def _previous_needs(session: AsyncSession, plan: SupportPlan) -> list[PlanUnmetNeed]:
    previous = (
        await session.execute(
            select(SupportPlan.id).where(
                SupportPlan.case_id == plan.case_id, SupportPlan.version == plan.version - 1
            )
        )
    ).scalar_one_or_none()
    return await plan_needs(session, previous) if previous else []


async def _open_gaps(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, ResourceGap]:
    if not ids:
        return {}
    rows = await session.execute(
        select(ResourceGap).where(ResourceGap.id.in_(ids), ResourceGap.resolved_on.is_(None))
    )
    return {g.id: g for g in rows.scalars()}


async def do_save_plan_needs(
    session: AsyncSession,
    actor: ActorInfo,
    case: Case,
    plan: SupportPlan,
    needs: list[PlanNeedInput],
    *,
    on: date,
) -> list[PlanUnmetNeed]:
    """Store ``needs`` with ``plan`` (a version just saved) and bring the gap list along:
    new needs record a gap, continued ones keep theirs, dropped ones resolve theirs."""
    before = await _previous_needs(session, plan)
    open_gaps = await _open_gaps(session, [n.gap_id for n in before if n.gap_id])
    carried: dict[tuple[str, str | None], uuid.UUID] = {
        (n.category, n.area_key): n.gap_id
        for n in before
        if n.gap_id is not None and n.gap_id in open_gaps
    }
    saved: list[PlanUnmetNeed] = []
    for position, need in enumerate(needs):
        gap_id = carried.pop((need.category, need.area_key), None)
        if gap_id is None:
            gap = await do_record_gap(
                session,
                actor,
                category=need.category,
                area_key=need.area_key,
                source="plan",
                source_id=plan.id,
                on=on,
            )
            gap_id = gap.id
        row = PlanUnmetNeed(
            plan_id=plan.id,
            position=position,
            category=need.category,
            area_key=need.area_key,
            note=need.note[:300],
            gap_id=gap_id,
        )
        session.add(row)
        saved.append(row)
    for gap_id in carried.values():  # listed before, not any more
        await do_resolve_gap(session, actor, open_gaps[gap_id], on=on)
    await session.flush()
    if needs or carried:
        await do_audit(
            session,
            actor.ref,
            "plan.needs",
            f"case:{case.id}",
            version=plan.version,
            needs=len(needs),
            resolved=len(carried),
        )
    return saved

"""The 実施計画's targets per indicator and fiscal year, and the pace to date against them.

The tenant admin sets a number (and may keep the plan's own wording); the report shows the
actual figure beside it, how much of the year has passed and, for a figure that grows
through the year, where the year would end at the present pace.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.actor import ActorInfo
from kasane.core.i18n import N_
from kasane.core.protection.mynumber import MYNUMBER_MESSAGE, find_mynumber
from kasane.core.reports.indicator import Indicator
from kasane.core.reports.models import WORDING_MAX, ReportTarget
from kasane.core.reports.periods import Period

TARGET_MAX = 10_000_000


@dataclass(frozen=True)
class TargetInput:
    """One indicator's row of the targets form, as typed."""

    key: str
    target: str
    wording: str


def check_target(row: TargetInput) -> tuple[int | None, str, str | None]:
    """(number, wording, problem msgid) for one row; the number may be left empty."""
    text = row.target.strip().translate(str.maketrans("０１２３４５６７８９，", "0123456789,"))
    text = text.replace(",", "")
    wording = row.wording.strip()
    if len(wording) > WORDING_MAX:
        return None, wording, N_("The plan's wording is at most 500 characters.")
    if find_mynumber(wording):
        return None, wording, MYNUMBER_MESSAGE
    if not text:
        return None, wording, None
    if not text.isdigit() or int(text) > TARGET_MAX:
        return None, wording, N_("A target is a whole number of 0 or more.")
    return int(text), wording, None


async def targets_for(session: AsyncSession, fiscal_year: int) -> dict[str, ReportTarget]:
    """The targets set for a fiscal year, by indicator key."""
    rows = await session.execute(
        select(ReportTarget).where(ReportTarget.fiscal_year == fiscal_year)
    )
    return {t.indicator_key: t for t in rows.scalars()}


async def do_set_targets(
    session: AsyncSession,
    actor: ActorInfo,
    fiscal_year: int,
    rows: list[TargetInput],
    known: Mapping[str, Indicator],
) -> dict[str, str]:
    """Save the targets of a fiscal year; each change is audited.

    Returns:
        Problems by indicator key (msgids); nothing is saved when there is any.
    """
    checked: dict[str, tuple[int | None, str]] = {}
    problems: dict[str, str] = {}
    for row in rows:
        if row.key not in known:
            continue
        number, wording, problem = check_target(row)
        if problem:
            problems[row.key] = problem
        checked[row.key] = (number, wording)
    if problems:
        return problems
    existing = await targets_for(session, fiscal_year)
    for key, (number, wording) in checked.items():
        saved = existing.get(key)
        if saved is None and number is None and not wording:
            continue
        if saved is not None and (saved.target, saved.wording) == (number, wording):
            continue
        old = saved.target if saved else None
        if saved is None:
            saved = ReportTarget(indicator_key=key, fiscal_year=fiscal_year)
            session.add(saved)
        saved.target, saved.wording, saved.updated_by = number, wording, actor.id
        await do_audit(
            session,
            actor.ref,
            "report.target",
            f"report_target:{fiscal_year}:{key}",
            old=old,
            new=number,
            wording=bool(wording),
        )
    return {}


@dataclass(frozen=True)
class Progress:
    """An actual figure beside its target for the fiscal year, as of a day."""

    actual: int
    target: int | None
    wording: str
    elapsed: float  # share of the fiscal year gone by (0.0 – 1.0)
    flow: bool  # the figure grows through the year (else: compare with the whole target)

    @property
    def achieved(self) -> float | None:
        """Actual ÷ target (None without a target, or a target of 0)."""
        return self.actual / self.target if self.target else None

    @property
    def expected(self) -> float | None:
        """What the target asks for by now: its share of the year so far (a stock: all)."""
        if self.target is None:
            return None
        return self.target * self.elapsed if self.flow else float(self.target)

    @property
    def projected(self) -> int | None:
        """The year-end figure at the present pace (a growing figure, once the year began)."""
        if not self.flow or self.elapsed <= 0:
            return None
        return round(self.actual / self.elapsed)

    @property
    def on_track(self) -> bool | None:
        expected = self.expected
        return None if expected is None else self.actual >= expected


def progress_of(
    indicator: Indicator, actual: int, target: ReportTarget | None, fiscal_year: int, today: date
) -> Progress:
    """The indicator's progress in ``fiscal_year`` as of ``today``."""
    return Progress(
        actual=actual,
        target=target.target if target else None,
        wording=target.wording if target else "",
        elapsed=Period.fiscal_year(fiscal_year).elapsed_share(today),
        flow=indicator.flow,
    )

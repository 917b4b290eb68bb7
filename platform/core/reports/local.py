"""Local indicators: a plugin counts over read-only copies of the period's records.

The core reads the records (:func:`records_for`), hands them to each implementation of
``kasane_local_indicators`` in a worker thread with a time limit, validates every answer
into :class:`~kasane.core.reports.snapshot.LocalIndicatorSpec` and tallies the facts exactly
as it tallies its own. An implementation that raises, overruns the limit or answers
nonsense is logged (plugin, hook, problem — never a record) and left out: the report
still shows every core figure.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

import msgspec
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.config_types import TenantConfig
from kasane.core.meetings.models import AgendaItem, Meeting
from kasane.core.referrals.models import Referral
from kasane.core.reports.counting import Figure, figure_of
from kasane.core.reports.dimensions import fields_of
from kasane.core.reports.facts import Scope, SharedReads, fact, jst_day, raw
from kasane.core.reports.indicator import LOCAL, Indicator
from kasane.core.reports.periods import Period
from kasane.core.reports.reads import consultation_rows, json_of
from kasane.core.reports.snapshot import (
    ConsultationRecord,
    LocalDimensionSpec,
    LocalIndicatorSpec,
    MeetingRecord,
    ReferralRecord,
    ReportRecords,
)
from kasane.core.tenancy import TenantContext

log = logging.getLogger("kasane.reports")
HOOK = "kasane_local_indicators"
TIME_LIMIT = 5.0  # seconds for all of a tenant's implementations together
_KEY = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,40}$")


@dataclass
class LocalFigures:
    """The local indicators' figures, the names of their dimensions, what went wrong."""

    figures: list[Figure] = field(default_factory=list)
    dimensions: dict[str, LocalDimensionSpec] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def implements(tenant: TenantContext) -> bool:
    """Whether the tenant's plugin implements the hook (else nothing is read for it)."""
    return bool(getattr(tenant.hooks, HOOK).get_hookimpls())


async def records_for(scope: Scope) -> ReportRecords:
    """Read-only copies of the period's consultations, referrals and meetings held."""
    return ReportRecords(
        start=scope.period.start,
        end=scope.period.end,
        today=scope.today,
        consultations=await _consultations(scope),
        referrals=await _referrals(scope),
        meetings=await _meetings_held(scope),
    )


async def _consultations(scope: Scope) -> tuple[ConsultationRecord, ...]:
    """The consultations received in the period, with the field of each one's counter (the
    rows the core's consultations source reads in the same count, :mod:`.reads`)."""
    fields = fields_of(scope.config)
    rows = await consultation_rows(scope, records=True)
    return tuple(
        ConsultationRecord(
            ref=str(c.id),
            person_ref=str(c.person_id),
            received_on=c.received_on,
            counter=c.counter_key,
            field=fields.get(c.counter_key, "other"),
            channel=c.channel,
            outcome=c.outcome,
            referred_to=c.referred_to,
            main_category=c.main_category,
            categories=tuple(json_of(c.categories) or ()),
            case_ref=str(c.case_id) if c.case_id else None,
            fields=MappingProxyType(json_of(c.data) or {}),
        )
        for c in rows
        if c.received_on >= scope.period.start
    )


async def _referrals(scope: Scope) -> tuple[ReferralRecord, ...]:
    """The referrals sent in the period."""
    lo, hi = scope.moments
    rows = await scope.session.execute(
        select(
            raw(Referral.id),
            raw(Referral.person_id),
            raw(Referral.case_id),
            Referral.sent_at,
            Referral.from_agency_key,
            Referral.to_agency_key,
            Referral.status,
        ).where(Referral.sent_at >= lo, Referral.sent_at < hi)
    )
    return tuple(
        ReferralRecord(
            ref=str(r.id),
            person_ref=str(r.person_id),
            case_ref=str(r.case_id) if r.case_id else None,
            sent_on=jst_day(r.sent_at),
            from_agency=r.from_agency_key,
            to_agency=r.to_agency_key,
            status=r.status,
        )
        for r in rows.all()
    )


async def _meetings_held(scope: Scope) -> tuple[MeetingRecord, ...]:
    """The meetings held in the period, with the cases and outreach on their agendas."""
    lo, hi = scope.moments
    held = (
        await scope.session.execute(
            select(raw(Meeting.id), Meeting.meeting_type_key, Meeting.starts_at).where(
                Meeting.status == "held", Meeting.starts_at >= lo, Meeting.starts_at < hi
            )
        )
    ).all()
    agenda = await _agendas(scope, [m.id for m in held]) if held else {}
    return tuple(
        MeetingRecord(
            ref=str(m.id),
            meeting_type=m.meeting_type_key,
            legal_basis=_basis(scope.config, m.meeting_type_key),
            held_on=jst_day(m.starts_at),
            case_refs=tuple(agenda[m.id][0]),
            outreach_refs=tuple(agenda[m.id][1]),
        )
        for m in held
    )


async def _agendas(scope: Scope, held: list[Any]) -> dict[Any, tuple[list[str], list[str]]]:
    """Meeting id → (case refs, outreach refs) on its agenda, for the meetings ``held``."""
    lo, hi = scope.moments
    agenda: dict[Any, tuple[list[str], list[str]]] = {m: ([], []) for m in held}
    for meeting_id, case_id, outreach_id in (
        await scope.session.execute(
            select(raw(AgendaItem.meeting_id), raw(AgendaItem.case_id), raw(AgendaItem.outreach_id))
            .join(
                Meeting,
                (Meeting.tenant_id == AgendaItem.tenant_id) & (Meeting.id == AgendaItem.meeting_id),
            )
            .where(
                Meeting.status == "held",
                Meeting.starts_at >= lo,
                Meeting.starts_at < hi,
                or_(AgendaItem.case_id.is_not(None), AgendaItem.outreach_id.is_not(None)),
            )
        )
    ).all():
        cases, outreach = agenda[meeting_id]
        if case_id:
            cases.append(str(case_id))
        else:
            outreach.append(str(outreach_id))
    return agenda


def _basis(config: TenantConfig, meeting_type: str) -> str:
    mt = config.meeting_type(meeting_type)
    return mt.legal_basis if mt else ""


def _call_all(tenant: TenantContext, records: ReportRecords) -> list[tuple[str, Any]]:
    """(plugin name, answer or the exception it raised) for every implementation."""
    out: list[tuple[str, Any]] = []
    for impl in getattr(tenant.hooks, HOOK).get_hookimpls():
        given = {"tenant": tenant.info, "records": records}
        try:
            answer = impl.function(**{name: given[name] for name in impl.argnames})
        except Exception as exc:  # a plugin's bug must not take the report down
            answer = exc  # logged by its type only: its message could quote a record
        out.append((impl.plugin_name, answer))
    return out


def _problem(result: LocalFigures, plugin: str, message: str) -> None:
    result.problems.append(f"{plugin}: {HOOK}: {message}")
    log.warning("local indicators skipped: %s: %s: %s", plugin, HOOK, message)


def _indicator_of(spec: LocalIndicatorSpec) -> Indicator:
    return Indicator(
        key=f"local.{spec.key}",
        section="local",
        name=(spec.name, spec.name_en or spec.name),
        definition=(spec.definition, spec.definition_en or spec.definition),
        unit=spec.unit,
        dimensions=(*(f"local.{d.key}" for d in spec.dimensions), "month"),
        flow=spec.flow,
        national=LOCAL,
        local=True,
    )


def _accept(result: LocalFigures, plugin: str, spec: LocalIndicatorSpec, period: Period) -> None:
    """Tally one valid local indicator, or record why it is not shown."""
    declared = {d.key for d in spec.dimensions}
    if not _KEY.match(spec.key) or any(not _KEY.match(k) for k in declared):
        return _problem(result, plugin, f"{spec.key!r}: keys are lower-case ascii, - or _")
    if any(f.key == f"local.{spec.key}" for f in result.figures):
        return _problem(result, plugin, f"{spec.key!r}: duplicate key")
    stray = {k for f in spec.facts for k in f.by} - declared
    if stray:
        return _problem(result, plugin, f"{spec.key!r}: facts name undeclared {sorted(stray)}")
    indicator = _indicator_of(spec)
    facts = [
        fact(f.unit, f.on, {f"local.{k}": v for k, v in f.by.items()})
        for f in spec.facts
        if f.on in period
    ]
    groupings: list[tuple[str, ...]] = [(d,) for d in indicator.dimensions]
    groupings += [(d, "month") for d in indicator.dimensions if d != "month"]
    result.figures.append(figure_of(indicator, period, facts, groupings))
    for d in spec.dimensions:
        result.dimensions.setdefault(f"local.{d.key}", d)


async def get_local_figures(
    session: AsyncSession,
    tenant: TenantContext,
    period: Period,
    today: date,
    shared: SharedReads | None = None,
) -> LocalFigures:
    """The figures of the tenant's local indicators for ``period`` (none when its plugin
    does not implement the hook, or every implementation failed — see ``problems``)."""
    result = LocalFigures()
    if not implements(tenant):
        return result
    scope = Scope(session, tenant.config, period, today, shared or SharedReads())
    records = await records_for(scope)
    try:
        answers = await asyncio.wait_for(
            asyncio.to_thread(_call_all, tenant, records), timeout=TIME_LIMIT
        )
    except TimeoutError:
        _problem(result, tenant.config.plugin, f"took longer than {TIME_LIMIT:.0f} s")
        return result
    for plugin, answer in answers:
        if isinstance(answer, Exception):
            _problem(result, plugin, f"raised {type(answer).__name__}")
            continue
        try:
            specs = msgspec.convert(answer or [], list[LocalIndicatorSpec])
        except msgspec.ValidationError as exc:
            _problem(result, plugin, f"answer is not valid: {exc}")
            continue
        for spec in specs:
            _accept(result, plugin, spec, period)
    return result

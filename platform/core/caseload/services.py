"""Upload, check (the dry run), import as one batch, and undo a caseload import.

The import is one transaction: every row or none. It writes with bulk INSERTs (one
statement per table and chunk) rather than a service call per row — 50,000 rows are
hundreds of thousands of records — so it does itself what the services would: search
keys, sealing of narratives with the tenant's key, case numbers, the lead agency, the
first stage event. The whole batch is audited as one event (``caseload.import``, with its
counts); each record it made carries the batch's id (``import_id``).

Undo deletes exactly what the batch made, and only while nothing has been added to or
changed on it since: the baseline taken right after the import must still hold.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Table as SATable
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.auth.actor import ActorInfo
from kasane.core.caseload.checking import (
    Checked,
    Duplicate,
    Existing,
    check_rows,
    find_duplicates,
)
from kasane.core.caseload.fields import FIELDS_BY_KEY
from kasane.core.caseload.making import BatchWriter
from kasane.core.caseload.models import CaseloadImport, CaseloadMapping
from kasane.core.caseload.reading import Table, read_table
from kasane.core.cases.models import Case, CaseAgency, ProgressNote, StageEvent
from kasane.core.config_types import TenantConfig
from kasane.core.db import Base, utcnow, uuid7
from kasane.core.db.claims import compare_and_set
from kasane.core.errors import NotFound
from kasane.core.i18n import N_
from kasane.core.intake.models import Consultation
from kasane.core.people.access import visible_people
from kasane.core.people.models import Household, HouseholdMember, Person
from kasane.core.protection.crypto import cipher_for
from kasane.core.protection.sealing import seal, unseal

CHUNK = 2000  # rows per INSERT statement and per progress step
Progress = Callable[[int, int], Awaitable[None]]


class ImportRefused(ValueError):
    """``args[0]``: a msgid the admin reads (why this batch cannot be imported or undone)."""


async def get_import(session: AsyncSession, import_id: uuid.UUID) -> CaseloadImport:
    found = await session.get(CaseloadImport, (session.info["tenant_id"], import_id))
    if found is None:
        raise NotFound("caseload_import")
    return found


async def list_imports(session: AsyncSession) -> list[CaseloadImport]:
    stmt = select(CaseloadImport).order_by(CaseloadImport.created_at.desc()).limit(20)
    return list((await session.execute(stmt)).scalars())


async def list_mappings(session: AsyncSession) -> list[CaseloadMapping]:
    stmt = select(CaseloadMapping).order_by(CaseloadMapping.name)
    return list((await session.execute(stmt)).scalars())


async def do_upload(
    session: AsyncSession, actor: ActorInfo, filename: str, raw: bytes
) -> CaseloadImport:
    """Read the file and keep its cells sealed until the import.

    Raises:
        UnreadableFile: see :func:`~.reading.read_table`.
    """
    table = read_table(filename, raw)
    table.blank_mynumbers()
    batch = CaseloadImport(
        id=uuid7(),
        filename=filename[:200],
        rows_total=len(table.rows),
        headers=table.headers,
        refused_cells=sorted([row, header] for row, header in table.refused),
        created_by=actor.id,
    )
    batch.data_sealed = await seal(
        session, "caseload_imports", batch.id, "data", json.dumps(table.rows, ensure_ascii=False)
    )
    session.add(batch)
    await session.flush()
    await do_audit(
        session, actor.ref, "caseload.upload", f"caseload_import:{batch.id}", rows=batch.rows_total
    )
    return batch


async def load_table(session: AsyncSession, batch: CaseloadImport) -> Table:
    if not batch.data_sealed:
        raise ImportRefused(N_("This file's contents are no longer kept; upload it again."))
    text = await unseal(session, "caseload_imports", batch.id, "data", batch.data_sealed)
    refused = {(int(row), str(header)) for row, header in batch.refused_cells}  # type: ignore[call-overload]
    return Table(batch.headers, [(n, cells) for n, cells in json.loads(text)], refused)


async def known_people(session: AsyncSession) -> list[Existing]:
    rows = await session.execute(
        select(
            Person.id, Person.name, Person.birth_date, Person.name_norm, Person.kana_norm,
            Person.phone_norm,
        ).where(Person.merged_into_id.is_(None))
    )  # fmt: skip
    return [Existing(str(r[0]), *r[1:]) for r in rows]


async def _visible_duplicates(
    session: AsyncSession, actor: ActorInfo, found: list[Duplicate]
) -> list[Duplicate]:
    """Only the proposed duplicates ``actor`` may see (the need-to-know every other
    duplicate check applies, ``people.access``), audited as a duplicate search."""
    ids = [uuid.UUID(d.existing.id) for d in found]
    visible = await visible_people(session, actor, ids)
    shown = [d for d in found if uuid.UUID(d.existing.id) in visible]
    if found:
        await do_audit(
            session,
            actor.ref,
            "person.duplicate_search",
            "",
            shown=sorted({d.existing.id for d in shown}),
            elsewhere=sorted({str(i) for i in ids if i not in visible}),
        )
    return shown


@dataclass
class CheckReport:
    checked: Checked
    duplicates: list[Duplicate] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def clean_mapping(headers: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """Only real headers and known fields, each field once (the first header wins)."""
    clean: dict[str, str] = {}
    for header in headers:
        key = mapping.get(header, "")
        if key in FIELDS_BY_KEY and key not in clean.values():
            clean[header] = key
    return clean


async def do_check(
    session: AsyncSession,
    actor: ActorInfo,
    config: TenantConfig,
    batch: CaseloadImport,
    mapping: dict[str, str],
    today: date,
    save_as: str = "",
) -> CheckReport:
    """The dry run: check every row with ``mapping``, find proposed duplicates, count what
    the import would make. Writes nothing but the batch's mapping and outcome (and the
    saved mapping when ``save_as`` names one)."""
    if batch.status not in ("uploaded", "checked"):
        raise ImportRefused(N_("This file has already been imported."))
    table = await load_table(session, batch)
    mapping = clean_mapping(table.headers, mapping)
    checked = check_rows(table, mapping, config, today)
    report = CheckReport(checked)
    if checked.ok:
        report.duplicates = await _visible_duplicates(
            session, actor, find_duplicates(checked.records, await known_people(session))
        )
        people = len({r.person_key for r in checked.records})
        report.counts = {
            "people": people,
            "consultations": len(checked.records),
            "cases": len(checked.records),
            "progress_notes": sum(1 for r in checked.records if r.progress),
        }
    batch.mapping, batch.status = mapping, "checked"
    batch.checked_ok, batch.problems_count = checked.ok, len(checked.problems)
    if save_as := save_as.strip()[:60]:
        saved = (
            await session.execute(select(CaseloadMapping).where(CaseloadMapping.name == save_as))
        ).scalar_one_or_none()
        if saved is None:
            session.add(CaseloadMapping(name=save_as, mapping=mapping))
        else:
            saved.mapping = mapping
        await do_audit(session, actor.ref, "caseload.mapping_saved", f"mapping:{save_as}")
    await do_audit(
        session,
        actor.ref,
        "caseload.check",
        f"caseload_import:{batch.id}",
        problems=len(checked.problems),
        duplicates=len(report.duplicates),
    )
    return report


# ------------------------------------------------------------------ the import


def _references() -> list[tuple[SATable, str, type[Base]]]:
    """Every (table, column) that points at a person, household or case."""
    targets = {"person_id": Person, "merged_into_id": Person, "household_id": Household,
               "case_id": Case}  # fmt: skip
    found = []
    for table in Base.metadata.sorted_tables:
        if "tenant_id" not in table.c:
            continue
        for column, model in targets.items():
            if column in table.c:
                found.append((table, column, model))
    return found


async def baseline_of(session: AsyncSession, import_id: uuid.UUID) -> dict[str, Any]:
    """How many rows of each table point at what the batch made, and when its people and
    cases last changed: undo requires exactly this state."""
    counts: dict[str, Any] = {}
    tenant_id = session.info["tenant_id"]
    for table, column, model in _references():
        # joined on (tenant_id, id): both sides use their (tenant_id, …) indexes
        made = model.__table__.alias("made")  # people → people too
        n = await session.scalar(
            select(func.count())
            .select_from(table)
            .join(made, (table.c.tenant_id == made.c.tenant_id) & (table.c[column] == made.c.id))
            .where(made.c.tenant_id == tenant_id, made.c.import_id == import_id)
        )
        if n:
            counts[f"{table.name}.{column}"] = n
    for model in (Person, Case):
        latest = await session.scalar(
            select(func.max(model.updated_at)).where(model.import_id == import_id)
        )
        counts[f"{model.__tablename__}.updated_at"] = latest.isoformat() if latest else None
    return counts


async def do_import(
    session: AsyncSession,
    actor: ActorInfo,
    config: TenantConfig,
    batch: CaseloadImport,
    today: date,
    link_rows: dict[int, uuid.UUID] | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Import the checked file as one batch (the caller's transaction: all or nothing).

    ``link_rows``: file row → an existing person the admin chose to use instead of a new
    one (a proposed duplicate they confirmed). Returns the counts of what was made.

    Raises:
        ImportRefused: not checked, or the check found problems (they are re-checked here).
    """
    if batch.status != "checked" or not batch.checked_ok:
        raise ImportRefused(
            N_("Run the check first; the file can be imported once it has no problems.")
        )
    table = await load_table(session, batch)
    checked = check_rows(table, batch.mapping, config, today)
    if not checked.ok:
        raise ImportRefused(N_("The file has problems; check it again."))
    link_rows = link_rows or {}
    maker = BatchWriter(session, actor, config, batch.id, await cipher_for(session))
    await maker.prepare()
    total = len(checked.records)
    for start in range(0, total, CHUNK):
        await maker.write(checked.records[start : start + CHUNK], link_rows)
        if progress:
            await progress(min(start + CHUNK, total), total)
    batch.status, batch.imported_at = "imported", utcnow()
    batch.made, batch.data_sealed = maker.made, ""
    await session.flush()
    batch.baseline = await baseline_of(session, batch.id)
    await do_audit(
        session, actor.ref, "caseload.import", f"caseload_import:{batch.id}", **maker.made
    )
    return maker.made


# ------------------------------------------------------------------ undo


async def do_undo_import(session: AsyncSession, actor: ActorInfo, batch: CaseloadImport) -> None:
    """Delete everything the batch made, leaving the tenant as it was before it.

    Raises:
        ImportRefused: not imported, or something was added to or changed on what it
            made since (a note, a plan, a referral, an edited person …).
    """
    if batch.status != "imported":
        raise ImportRefused(N_("Only an imported file can be undone."))
    if await baseline_of(session, batch.id) != batch.baseline:
        raise ImportRefused(
            N_("Staff have worked on these records since the import; it can no longer be undone.")
        )
    imp = batch.id
    # consumed atomically: of two undos sent at once, one changes the status, the other stops
    if not await compare_and_set(
        session, CaseloadImport, imp, "imported", "undone", undone_at=utcnow()
    ):
        raise ImportRefused(N_("Only an imported file can be undone."))
    cases = select(Case.id).where(Case.import_id == imp)
    households = select(Household.id).where(Household.import_id == imp)
    for model in (ProgressNote, StageEvent, CaseAgency):
        await session.execute(delete(model).where(model.case_id.in_(cases)))
    await session.execute(delete(Consultation).where(Consultation.import_id == imp))
    await session.execute(delete(Case).where(Case.import_id == imp))
    await session.execute(
        delete(HouseholdMember).where(HouseholdMember.household_id.in_(households))
    )
    await session.execute(delete(Household).where(Household.import_id == imp))
    await session.execute(delete(Person).where(Person.import_id == imp))
    await do_audit(session, actor.ref, "caseload.undo", f"caseload_import:{imp}", **batch.made)

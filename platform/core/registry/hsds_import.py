"""Import an HSDS 3.0 JSON dataset: collect every record, validate each one, then write.

Accepted shapes: the export's dataset object (``organizations`` with nested services and
locations, ``taxonomies``, ``taxonomy_terms``), any HSDS object type as a top-level array
(``services``, ``locations``, ``service_at_locations``, ``phones`` …), nested objects as in the
HSDS API (a service's ``organization``, a service at location's ``location``, an attribute's
``taxonomy_term`` and a term's ``taxonomy_detail``), a bare array of services, one record as
the API's ``/services/{id}`` answers it, or a page of a list endpoint (:mod:`.hsds_shapes`).

Every problem names its record (type, id or path) and field. By default nothing is written
when any record has a problem (one transaction, all or nothing); ``partial=True`` writes the
valid records and skips invalid ones and everything that depends on them; ``dry_run=True``
only reports. Ids are kept, so an export re-imports into an empty tenant unchanged; a record
whose id is already in the tenant's registry updates it (``updates=False`` leaves it as it
is). What Kasane has no column for is kept verbatim (:mod:`.extras`), never dropped. Every
import that writes is one :class:`~.models.ImportBatch` that :func:`.hsds_undo.undo_batch`
reverses (decision 0026).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.db import utcnow
from kasane.core.i18n import N_, gettext
from kasane.core.registry.extras import AS_GIVEN, extras_of, replace_extras
from kasane.core.registry.hsds import SPECS
from kasane.core.registry.hsds_checks import settle_link_entity, validate_record
from kasane.core.registry.hsds_records import Collector, ImportReport, Problem, Record
from kasane.core.registry.hsds_shapes import as_dataset
from kasane.core.registry.hsds_undo import WRITE_ORDER, fingerprint, rows_by_id, snapshot
from kasane.core.registry.models import ImportBatch
from kasane.core.registry.search_keys import stamp_org_keys, stamp_service_keys

# Links that may point outside the data without making it invalid: a fully nested service
# carries its terms but not their parent terms. Such a link is dropped with a warning.
LOOSE_LINKS = frozenset({("taxonomy_term", "parent_id")})


async def _existing(session: AsyncSession, type_: str, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these ids the tenant's registry already holds for an HSDS type."""
    model = SPECS[type_].model
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    rows = await session.execute(select(model.id).where(model.id.in_(wanted)))
    return set(rows.scalars())


async def check_dataset(
    session: AsyncSession, data: Any, area_keys: set[str]
) -> tuple[Collector, ImportReport]:
    """Collect and validate every record of ``data``; nothing is written."""
    c = Collector()
    data, untold = as_dataset(data)
    for path in untold:
        msg = N_("Cannot tell which HSDS object this is; put it in a dataset under its type")
        c.problems.append(Problem("dataset", path, "", gettext(msg)))
    if not isinstance(data, dict):
        c.problems.append(Problem("dataset", "$", "", gettext(N_("Expected a JSON object"))))
        return c, ImportReport(c.problems, c.warnings)
    _collect_tops(c, data)
    c.order = [rec for rec in c.order if settle_link_entity(c, rec)]
    for rec in c.order:
        validate_record(c, rec, area_keys)
    # references: inside the dataset, or already in this tenant's registry
    in_file = {t: {r.id for r in recs.values() if r.id} for t, recs in c.records.items()}
    await _check_links(session, c, in_file)
    for type_, recs in c.records.items():
        taken = await _existing(session, type_, in_file[type_])
        for rec in recs.values():
            rec.update = rec.id in taken
    report = ImportReport(c.problems, c.warnings, kept=c.kept)
    report.counts = {t: len(r) for t, r in c.records.items() if r}
    _plan(c, report, set(), updates=True)
    return c, report


def _collect_tops(c: Collector, data: dict[str, Any]) -> None:
    """Collect the records of each top-level array of the dataset object."""
    tops = {spec.plural: spec.type for spec in SPECS.values() if spec.plural}
    for key, value in data.items():
        if key in ("hsds_version", "profile"):
            continue
        if key not in tops:
            c.warnings.append(Problem("dataset", "$", key, gettext(N_("Unknown field; ignored"))))
            continue
        if not isinstance(value, list):
            c.problems.append(Problem("dataset", "$", key, gettext(N_("Expected a list"))))
            continue
        for i, item in enumerate(value):
            c.collect(tops[key], item, f"{key}[{i}]", {})


async def _check_links(
    session: AsyncSession, c: Collector, in_file: dict[str, set[uuid.UUID]]
) -> None:
    """Each link points into the file or the registry; a loose one that does not is kept
    as given without the link, any other is a problem."""
    wanted: dict[str, set[uuid.UUID]] = {t: set() for t in SPECS}
    for rec in c.order:
        for f in SPECS[rec.type].fks:
            target = rec.values.get(f.col)
            if isinstance(target, uuid.UUID) and target not in in_file[f.ref]:
                wanted[f.ref].add(target)
    known = {t: in_file[t] | await _existing(session, t, wanted[t]) for t in SPECS}
    for rec in c.order:
        for f in SPECS[rec.type].fks:
            target = rec.values.get(f.col)
            if isinstance(target, uuid.UUID) and target not in known[f.ref]:
                if (rec.type, f.name) in LOOSE_LINKS:
                    rec.values[f.col] = None
                    given = rec.data.get(f.name, str(target))
                    rec.extras[AS_GIVEN + f.name] = {"given": given, "stored": None}
                    msg = N_(
                        "Refers to a record that is neither in the file nor in the registry;"
                        " kept as given, without the link"
                    )
                    c.warnings.append(Problem(rec.type, rec.ref, f.name, gettext(msg)))
                    continue
                c.problem(
                    rec,
                    rec.type,
                    rec.ref,
                    f.name,
                    gettext(
                        N_("Refers to a %(type)s that is neither in the file nor in the registry"),
                        type=f.ref,
                    ),
                )


def _label(rec: Record) -> str:
    """A short name for the record in the preview's table."""
    for key in ("name", "number", "address_1", "description", "value", "link_type"):
        value = rec.data.get(key)
        if isinstance(value, str) and value:
            return value[:80]
    return ""


def _plan(c: Collector, report: ImportReport, skipped: set[int], *, updates: bool) -> None:
    """What writing would do: counts and one row per record (created, updated, left)."""
    report.created, report.updated, report.rows = {}, {}, []
    for rec in c.order:
        if rec.type not in c.records or c.records[rec.type].get(rec.ref) is not rec:
            continue
        if id(rec) in skipped:
            action = "skipped"
        elif rec.update:
            action = "update" if updates else "unchanged"
        else:
            action = "create"
        if action == "create":
            report.created[rec.type] = report.created.get(rec.type, 0) + 1
        elif action == "update":
            report.updated[rec.type] = report.updated.get(rec.type, 0) + 1
        report.rows.append((rec.type, rec.ref, _label(rec), action))


def _skip_dependents(c: Collector) -> set[int]:
    """Records to leave out in a partial import: invalid ones and all that depend on them."""
    bad_refs = {(p.record, p.ref) for p in c.problems}
    skipped = {id(r) for r in c.order if (r.type, r.ref) in bad_refs}
    skipped_ids = {(r.type, r.id) for r in c.order if id(r) in skipped}
    changed = True
    while changed:
        changed = False
        for rec in c.order:
            if id(rec) in skipped:
                continue
            for f in SPECS[rec.type].fks:
                if (f.ref, rec.values.get(f.col)) in skipped_ids:
                    skipped.add(id(rec))
                    skipped_ids.add((rec.type, rec.id))
                    changed = True
                    break
    return skipped


def _term_order(recs: list[Record]) -> list[Record]:
    """Parent terms before their children (the self-reference is checked at once)."""
    by_id = {r.id: r for r in recs}
    done: set[Any] = set()
    out: list[Record] = []

    def visit(r: Record, depth: int = 0) -> None:
        if r.id in done or depth > 50:
            return
        parent = by_id.get(r.values.get("parent_id"))
        if parent is not None:
            visit(parent, depth + 1)
        done.add(r.id)
        out.append(r)

    for r in recs:
        visit(r)
    return out


def _defaults(type_: str, row: Any, now: datetime) -> None:
    """Kasane's own columns an HSDS record may leave empty."""
    if type_ in ("organization", "service") and row.last_modified is None:
        row.last_modified = now
    if type_ == "service":
        row.public = bool(row.public)
        row.status = row.status or "active"
        stamp_service_keys(row)
    if type_ == "organization":
        row.description = row.description or ""
        stamp_org_keys(row)
    if type_ == "attribute":
        row.link_entity = row.link_entity or "service"
    if type_ in ("location", "service", "organization") and row.name_kana is None:
        row.name_kana = ""


@dataclass
class _Written:
    """What an import wrote: counts by type, and what undo needs (see :mod:`.hsds_undo`)."""

    counts: dict[str, int] = field(default_factory=dict)
    created: list[list[str]] = field(default_factory=list)
    updated: list[dict[str, Any]] = field(default_factory=list)
    after: dict[str, dict[str, Any]] = field(default_factory=dict)  # what undo expects to find


async def import_dataset(
    session: AsyncSession,
    data: Any,
    *,
    actor: str,
    area_keys: set[str],
    dry_run: bool = False,
    partial: bool = False,
    updates: bool = True,
    batch: ImportBatch | None = None,
) -> ImportReport:
    """Validate ``data`` and, unless there are problems (or ``dry_run``), write it as one
    batch (``batch``, a previewed one, or a new one) that :func:`.hsds_undo.undo_batch` can
    reverse. A record whose id is in the registry replaces its HSDS fields there (``updates``) or is
    left as it is."""
    c, report = await check_dataset(session, data, area_keys)
    if dry_run or (report.problems and not partial):
        return report
    skipped = _skip_dependents(c) if report.problems else set()
    _plan(c, report, skipped, updates=updates)
    now = utcnow()
    written = await _write_records(session, c, skipped, updates=updates, now=now)
    report.counts = written.counts
    report.skipped = len(skipped)
    report.imported = True
    batch = await _commit_batch(
        session, batch, written, report, actor=actor, partial=partial, now=now
    )
    report.batch_id = batch.id
    await do_audit(
        session,
        actor,
        "registry.import",
        f"import_batch:{batch.id}",
        partial=partial,
        skipped=len(skipped),
        created=sum(report.created.values()),
        updated=sum(report.updated.values()),
    )
    return report


async def _write_records(
    session: AsyncSession, c: Collector, skipped: set[int], *, updates: bool, now: datetime
) -> _Written:
    """Write every record not skipped, type by type in :data:`WRITE_ORDER`."""
    written = _Written()
    for type_ in WRITE_ORDER:
        recs = [r for r in c.records[type_].values() if id(r) not in skipped]
        if type_ == "taxonomy_term":
            recs = _term_order(recs)
        existing = await rows_by_id(session, type_, [r.id for r in recs if r.update])
        for rec in recs:
            if rec.id is None:  # every record was given its id when the file was read
                raise RuntimeError(f"an HSDS {type_} record without an id reached the write")
            row = existing.get(rec.id)
            if row is not None and not updates:
                continue
            await _write_record(session, rec, rec.id, row, written, now)
        # flush per type: there are no ORM relationships to order the inserts
        await session.flush()
    return written


async def _write_record(
    session: AsyncSession,
    rec: Record,
    rid: uuid.UUID,
    row: Any,
    written: _Written,
    now: datetime,
) -> None:
    """Update ``row`` (the record's row in the registry) or create it, noting what undo needs;
    ``rid`` is the record's id."""
    type_ = rec.type
    if row is not None:
        before = snapshot(row)
        old_extras = (await extras_of(session, type_, [rid])).get(rid, {})
        for col, value in rec.values.items():
            setattr(row, col, value)
        written.updated.append(
            {"type": type_, "id": str(rid), "before": before, "extras": old_extras}
        )
    else:
        row = SPECS[type_].model(id=rid, **rec.values)
        session.add(row)
        written.created.append([type_, str(rid)])
    _defaults(type_, row, now)
    await replace_extras(session, type_, rid, rec.extras)
    written.after[f"{type_}:{rid}"] = fingerprint(type_, row)
    written.counts[type_] = written.counts.get(type_, 0) + 1


async def _commit_batch(
    session: AsyncSession,
    batch: ImportBatch | None,
    written: _Written,
    report: ImportReport,
    *,
    actor: str,
    partial: bool,
    now: datetime,
) -> ImportBatch:
    """Mark the batch (the previewed one, or a new one) committed with what it changed."""
    if batch is None:
        batch = ImportBatch(created_by=actor[:80], partial=partial)
        session.add(batch)
    batch.status = "committed"
    batch.data = None
    batch.committed_at = now
    batch.summary = {"created": report.created, "updated": report.updated}
    batch.changes = {"created": written.created, "updated": written.updated, "after": written.after}
    await session.flush()
    return batch

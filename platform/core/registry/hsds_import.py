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
import that writes is one :class:`~.models.ImportBatch` that :func:`undo_batch` reverses
(decision 0026).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from kasane.core.audit.services import do_audit
from kasane.core.db import utcnow
from kasane.core.i18n import N_, gettext
from kasane.core.protection.mynumber import MYNUMBER_MESSAGE, find_mynumber
from kasane.core.registry.extras import AS_GIVEN, extras_of, replace_extras
from kasane.core.registry.hsds import SPECS, F, RecordSpec, json_value
from kasane.core.registry.hsds_shapes import as_dataset
from kasane.core.registry.models import ImportBatch
from kasane.core.registry.search_keys import stamp_org_keys, stamp_service_keys
from kasane.core.registry.sharing import row_from_json

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
TIME = re.compile(r"^\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")
BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
INTLIST = re.compile(r"^-?\d{1,3}(,-?\d{1,3})*$")
CODE_WEIGHTS = (6, 5, 4, 3, 2)
# HSDS fields and arrays Kasane does not store: reported as warnings, not problems.
NOT_STORED = frozenset(
    {
        "languages",
        "funding",
        "fundings",
        "cost_options",
        "program",
        "program_id",
        "programs",
        "required_documents",
        "metadata",
        "additional_urls",
        "additional_websites",
        "wait_time",
        "fees",
        "licenses",
        "tax_status",
        "tax_id",
        "organization_identifiers",
        "capacities",
        "taxonomy",  # a term's free-text taxonomy name (the object is taxonomy_detail)
        "attributes",  # on records other than services: Kasane classifies services only
    }
)
# Nested objects: key → (record type, the fk column the nesting record gets)
NESTED_OBJECTS = {
    "service": {"organization": ("organization", "organization_id")},
    "service_at_location": {
        "location": ("location", "location_id"),
        "service": ("service", "service_id"),
    },
    "attribute": {"taxonomy_term": ("taxonomy_term", "taxonomy_term_id")},
    "taxonomy_term": {
        "taxonomy_detail": ("taxonomy", "taxonomy_id"),
        "taxonomy": ("taxonomy", "taxonomy_id"),  # early 3.0 drafts nested the object here
    },
}
# Links that may point outside the data without making it invalid: a fully nested service
# carries its terms but not their parent terms. Such a link is dropped with a warning.
LOOSE_LINKS = frozenset({("taxonomy_term", "parent_id")})
# Records that must hang off something (one of these columns set).
NEEDS_ONE_OF = {
    "service": ("organization_id",),
    "address": ("location_id",),
    "accessibility": ("location_id",),
    "service_at_location": ("service_id",),
    "schedule": ("service_id", "service_at_location_id", "location_id"),
    "service_area": ("service_id", "service_at_location_id"),
    "attribute": ("link_id",),
    "contact": ("organization_id", "service_id", "service_at_location_id", "location_id"),
    "phone": (
        "location_id",
        "service_id",
        "organization_id",
        "contact_id",
        "service_at_location_id",
    ),
}
NEEDS_ALL = {"service_at_location": ("location_id",), "attribute": ("taxonomy_term_id",)}


@dataclass(frozen=True)
class Problem:
    """One problem (or warning) with one record: ``record`` is the HSDS type, ``ref`` its
    id (or its path in the file when it has no usable id), ``field`` the field name."""

    record: str
    ref: str
    field: str
    message: str


@dataclass
class Record:
    type: str
    ref: str  # id string, or path
    path: str
    data: dict[str, Any]
    implied: dict[str, str] = field(default_factory=dict)  # fk column → parent id
    values: dict[str, Any] = field(default_factory=dict)  # validated column values
    id: uuid.UUID | None = None
    extras: dict[str, Any] = field(default_factory=dict)  # kept verbatim (see .extras)
    update: bool = False  # the id is already in the registry


@dataclass
class ImportReport:
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    imported: bool = False
    skipped: int = 0
    # what the import will do (or did): type → count of records created / updated, and
    # (type, id, name, action) per record for the preview's table
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    kept: list[Problem] = field(default_factory=list)  # fields kept verbatim
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)
    batch_id: uuid.UUID | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def code_problem(code: str) -> str | None:
    """全国地方公共団体コード: 6 digits, the last a check digit (the rule
    ``kasane.tenants.codes`` applies to tenants; the core may not import it)."""
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return N_("The municipality code must be 6 digits")
    total = sum(int(d) * w for d, w in zip(code[:5], CODE_WEIGHTS, strict=True))
    if (11 - total % 11) % 10 != int(code[5]):
        return N_("The municipality code's check digit does not match")
    return None


class _Collector:
    def __init__(self) -> None:
        self.records: dict[str, dict[str, Record]] = {t: {} for t in SPECS}
        self.order: list[Record] = []
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.kept: list[Problem] = []

    def problem(self, rec: Record | None, type_: str, ref: str, fld: str, msg: str) -> None:
        self.problems.append(Problem(type_, rec.ref if rec else ref, fld, msg))

    def collect(self, type_: str, data: Any, path: str, implied: dict[str, str]) -> str | None:
        """Register one record and its nested ones; returns its id string (or None)."""
        if not isinstance(data, dict):
            self.problems.append(Problem(type_, path, "", gettext(N_("Expected an object"))))
            return None
        raw_id = data.get("id")
        ref = raw_id if isinstance(raw_id, str) and raw_id else path
        rec = Record(type_, ref, path, data, dict(implied))
        seen = self.records[type_].get(ref) if ref != path else None
        if seen is not None:
            if _own_fields(seen.data, type_) != _own_fields(data, type_):
                self.problem(
                    seen,
                    type_,
                    ref,
                    "id",
                    gettext(
                        N_("The same id is used by two different records (%(path)s)"), path=path
                    ),
                )
            for col, value in implied.items():
                seen.implied.setdefault(col, value)
            # a field only this copy carries (a location's languages under its
            # organization, not under the service) is kept too
            seen.data = {**data, **seen.data}
        else:
            self.records[type_][ref] = rec
            self.order.append(rec)
        spec = SPECS[type_]
        for key, child_type, fk_col in spec.nests:
            children = data.get(key)
            if children is None:
                continue
            if not isinstance(children, list):
                self.problem(rec, type_, ref, key, gettext(N_("Expected a list")))
                continue
            for i, child in enumerate(children):
                self.collect(child_type, child, f"{path}.{key}[{i}]", {fk_col: ref})
        for key, (child_type, fk_col) in NESTED_OBJECTS.get(type_, {}).items():
            if isinstance(data.get(key), dict):
                child_id = self.collect(child_type, data[key], f"{path}.{key}", {})
                if child_id:
                    (seen or rec).implied.setdefault(fk_col, child_id)
        return ref


def _own_fields(data: dict[str, Any], type_: str) -> dict[str, Any]:
    spec = SPECS[type_]
    return {f.name: data.get(f.name) for f in spec.fields}


def _check_value(f: F, value: Any, area_keys: set[str], max_len: int | None) -> tuple[Any, str]:
    """(column value, problem msgid or "") for one present, non-null value."""
    k = f.kind
    if k in ("str", "email", "uri", "time", "byday", "code", "area", "enum"):
        if not isinstance(value, str):
            return None, N_("Expected text")
        if max_len and len(value) > max_len:
            return None, N_("Too long")
        if find_mynumber(value):
            return None, MYNUMBER_MESSAGE
        if k == "email" and not EMAIL.match(value):
            return None, N_("Not an e-mail address")
        if k == "uri" and not URI.match(value):
            return None, N_("Not a URI (it needs a scheme such as https:)")
        if k == "time" and not TIME.match(value):
            return None, N_("Not a time like 09:30 or 09:30+09:00")
        if k == "byday" and not all(BYDAY.match(p) for p in value.split(",")):
            return None, N_("Not a list of weekdays like MO,WE or 2TU")
        if k == "code" and (msg := code_problem(value)):
            return None, msg
        if k == "area" and value not in area_keys:
            return None, N_("Not one of this municipality's areas")
        if k == "enum" and value not in f.choices:
            return None, N_("Not one of the allowed values")
        return value, ""
    if k in ("int", "num"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, N_("Expected a number")
        if k == "int":
            if isinstance(value, float) and not value.is_integer():
                return None, N_("Expected a whole number")
            return int(value), ""
        return float(value), ""
    if k == "intlist":
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(text, str) or not INTLIST.match(text):
            return None, N_("Expected numbers separated by commas")
        return text, ""
    if k == "bool":
        return (value, "") if isinstance(value, bool) else (None, N_("Expected true or false"))
    if k == "uuid":
        try:
            return uuid.UUID(value if isinstance(value, str) else ""), ""
        except ValueError:
            return None, N_("Not a UUID")
    if k == "date":
        try:
            return date.fromisoformat(value), ""
        except (ValueError, TypeError):
            return None, N_("Not a date like 2026-04-01")
    if k == "datetime":
        try:
            parsed = datetime.fromisoformat(value)
        except (ValueError, TypeError):
            return None, N_("Not a date and time like 2026-04-01T09:00:00Z")
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)), ""
    return value, ""


def _max_len(spec: RecordSpec, f: F) -> int | None:
    column = spec.model.__table__.c[f.col]
    return getattr(column.type, "length", None)


def _validate(c: _Collector, rec: Record, area_keys: set[str]) -> None:
    spec = SPECS[rec.type]
    try:
        rec.id = uuid.UUID(rec.data.get("id"))
    except (ValueError, AttributeError, TypeError):
        c.problem(rec, rec.type, rec.ref, "id", gettext(N_("The id must be a UUID")))
    known = {"id"} | {f.name for f in spec.fields} | {k for k, *_ in spec.nests}
    known |= {k for k in NESTED_OBJECTS.get(rec.type, {}) if isinstance(rec.data.get(k), dict)}
    for key, value in rec.data.items():
        if key in known or value is None:
            continue
        if _has_mynumber(value):
            c.problem(rec, rec.type, rec.ref, key, gettext(MYNUMBER_MESSAGE))
            continue
        rec.extras[key] = value
        msg = (
            N_("No column in Kasane; kept as given")
            if key in NOT_STORED
            else N_("Not an HSDS field; kept as given")
        )
        c.kept.append(Problem(rec.type, rec.ref, key, gettext(msg)))
    for f in spec.fields:
        value = rec.data.get(f.name)
        if f.ref and value is None and f.col in rec.implied:
            value = rec.implied[f.col]
        elif f.ref and value is not None and rec.implied.get(f.col) not in (None, value):
            c.problem(
                rec,
                rec.type,
                rec.ref,
                f.name,
                gettext(N_("Does not match the record it is nested in")),
            )
            continue
        if value is None:
            if f.required:
                c.problem(rec, rec.type, rec.ref, f.name, gettext(N_("Required")))
            rec.values[f.col] = None
            continue
        parsed, msg = _check_value(f, value, area_keys, _max_len(spec, f))
        if msg:
            c.problem(rec, rec.type, rec.ref, f.name, gettext(msg))
        rec.values[f.col] = parsed
        if not msg and f.name in rec.data:
            _keep_spelling(rec, f.name, value, json_value(parsed))
    for cols, need_all in (
        (NEEDS_ONE_OF.get(rec.type, ()), False),
        (NEEDS_ALL.get(rec.type, ()), True),
    ):
        present = [col for col in cols if rec.values.get(col) is not None]
        if cols and ((need_all and len(present) < len(cols)) or not present):
            missing = [col for col in cols if col not in present]
            c.problem(
                rec,
                rec.type,
                rec.ref,
                missing[0] if need_all else cols[0],
                gettext(N_("Required: the record it belongs to")),
            )


def _has_mynumber(value: Any) -> bool:
    """A My Number anywhere in a kept value (its strings, at any depth)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str) and find_mynumber(item):
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _keep_spelling(rec: Record, name: str, given: Any, stored: Any) -> None:
    """Keep a held field's given spelling when Kasane would write it differently
    (``.123Z`` vs ``.123000Z``, ``+09:00`` vs ``Z``, ``12.0`` vs ``12``)."""
    if given != stored or type(given) is not type(stored):
        rec.extras[AS_GIVEN + name] = {"given": given, "stored": stored}


def _settle_link_entity(c: _Collector, rec: Record) -> bool:
    """Kasane's attributes classify services. One listed under a service is that service's,
    whatever its ``link_entity`` says (Open Referral's example has the placeholder
    ``"link_entity"``); a top-level one of another entity is not stored. False: left out."""
    entity = rec.data.get("link_entity")
    if rec.type != "attribute" or entity in (None, "service"):
        return True
    if "link_id" in rec.implied:
        msg = N_("Kasane links the attribute to the service it is listed under")
        c.warnings.append(Problem(rec.type, rec.ref, "link_entity", gettext(msg)))
        rec.data = {**rec.data, "link_entity": "service"}
        rec.extras[AS_GIVEN + "link_entity"] = {"given": entity, "stored": "service"}
        return True
    msg = N_("Kasane keeps the attributes of services only; not imported")
    c.warnings.append(Problem(rec.type, rec.ref, "link_entity", gettext(msg)))
    c.records["attribute"].pop(rec.ref, None)
    return False


async def _existing(session: AsyncSession, type_: str, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    model = SPECS[type_].model
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    rows = await session.execute(select(model.id).where(model.id.in_(wanted)))
    return set(rows.scalars())


async def check_dataset(
    session: AsyncSession, data: Any, area_keys: set[str]
) -> tuple[_Collector, ImportReport]:
    """Collect and validate every record of ``data``; nothing is written."""
    c = _Collector()
    data, untold = as_dataset(data)
    for path in untold:
        msg = N_("Cannot tell which HSDS object this is; put it in a dataset under its type")
        c.problems.append(Problem("dataset", path, "", gettext(msg)))
    if not isinstance(data, dict):
        c.problems.append(Problem("dataset", "$", "", gettext(N_("Expected a JSON object"))))
        return c, ImportReport(c.problems, c.warnings)
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
    c.order = [rec for rec in c.order if _settle_link_entity(c, rec)]
    for rec in c.order:
        _validate(c, rec, area_keys)
    # references: inside the dataset, or already in this tenant's registry
    in_file = {t: {r.id for r in recs.values() if r.id} for t, recs in c.records.items()}
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
    for type_, recs in c.records.items():
        taken = await _existing(session, type_, in_file[type_])
        for rec in recs.values():
            rec.update = rec.id in taken
    report = ImportReport(c.problems, c.warnings, kept=c.kept)
    report.counts = {t: len(r) for t, r in c.records.items() if r}
    _plan(c, report, set(), updates=True)
    return c, report


def _label(rec: Record) -> str:
    for key in ("name", "number", "address_1", "description", "value", "link_type"):
        value = rec.data.get(key)
        if isinstance(value, str) and value:
            return value[:80]
    return ""


def _plan(c: _Collector, report: ImportReport, skipped: set[int], *, updates: bool) -> None:
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


def _skip_dependents(c: _Collector) -> set[int]:
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


WRITE_ORDER = (
    "organization",
    "taxonomy",
    "taxonomy_term",
    "service",
    "location",
    "address",
    "accessibility",
    "service_at_location",
    "schedule",
    "service_area",
    "attribute",
    "contact",
    "phone",
)


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
    batch (``batch``, a previewed one, or a new one) that :func:`undo_batch` can reverse.
    A record whose id is in the registry replaces its HSDS fields there (``updates``) or is
    left as it is."""
    c, report = await check_dataset(session, data, area_keys)
    if dry_run or (report.problems and not partial):
        return report
    skipped = _skip_dependents(c) if report.problems else set()
    _plan(c, report, skipped, updates=updates)
    now = utcnow()
    written: dict[str, int] = {}
    created: list[list[str]] = []
    updated: list[dict[str, Any]] = []
    after: dict[str, dict[str, Any]] = {}  # what undo expects to find
    for type_ in WRITE_ORDER:
        spec = SPECS[type_]
        recs = [r for r in c.records[type_].values() if id(r) not in skipped]
        if type_ == "taxonomy_term":
            recs = _term_order(recs)
        existing = await _rows_by_id(session, type_, [r.id for r in recs if r.update])
        for rec in recs:
            if rec.id is None:  # every record was given its id when the file was read
                raise RuntimeError(f"an HSDS {type_} record without an id reached the write")
            row = existing.get(rec.id)
            if row is not None:
                if not updates:
                    continue
                before = snapshot(row)
                old_extras = (await extras_of(session, type_, [rec.id])).get(rec.id, {})
                for col, value in rec.values.items():
                    setattr(row, col, value)
                updated.append(
                    {"type": type_, "id": str(rec.id), "before": before, "extras": old_extras}
                )
            else:
                row = spec.model(id=rec.id, **rec.values)
                session.add(row)
                created.append([type_, str(rec.id)])
            _defaults(type_, row, now)
            await replace_extras(session, type_, rec.id, rec.extras)
            after[f"{type_}:{rec.id}"] = fingerprint(type_, row)
            written[type_] = written.get(type_, 0) + 1
        # flush per type: there are no ORM relationships to order the inserts
        await session.flush()
    report.counts = written
    report.skipped = len(skipped)
    report.imported = True
    if batch is None:
        batch = ImportBatch(created_by=actor[:80], partial=partial)
        session.add(batch)
    batch.status = "committed"
    batch.data = None
    batch.committed_at = now
    batch.summary = {"created": report.created, "updated": report.updated}
    batch.changes = {"created": created, "updated": updated, "after": after}
    await session.flush()
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


# ------------------------------------------------------------------ undo


async def _rows_by_id(session: AsyncSession, type_: str, ids: list[Any]) -> dict[uuid.UUID, Any]:
    model = SPECS[type_].model
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = await session.execute(select(model).where(model.id.in_(wanted)))
    return {r.id: r for r in rows.scalars()}


def fingerprint(type_: str, row: Any) -> dict[str, Any]:
    """A record's HSDS fields as JSON: what undo compares to tell an edit since."""
    return {f.col: json_value(getattr(row, f.col)) for f in SPECS[type_].fields}


def snapshot(row: Any) -> dict[str, Any]:
    """Every column of a row but the tenant's, as JSON (what undo puts back)."""
    out = {}
    for col in row.__table__.columns:
        if col.key != "tenant_id":
            value = getattr(row, col.key)
            out[col.key] = (
                value.isoformat()
                if isinstance(value, date | datetime)
                else (str(value) if isinstance(value, uuid.UUID) else value)
            )
    return out


class UndoRefused(Exception):
    """Undo would lose work done since the import (the message says which)."""


async def latest_committed(session: AsyncSession) -> ImportBatch | None:
    stmt = (
        select(ImportBatch)
        .where(ImportBatch.status == "committed")
        .order_by(ImportBatch.committed_at.desc(), ImportBatch.id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def undo_batch(session: AsyncSession, batch: ImportBatch, *, actor: str) -> dict[str, int]:
    """Reverse a committed import: delete what it created, put back what it updated.

    Only the latest committed batch (a later one may build on it), and only while nothing
    added since belongs to a record it created (deleting would take it along: the foreign
    keys cascade). Audited as ``registry.import.undo``."""
    latest = await latest_committed(session)
    if batch.status != "committed" or latest is None or latest.id != batch.id:
        raise UndoRefused(gettext(N_("Only the latest import can be undone.")))
    changes: dict[str, Any] = batch.changes or {}
    created: dict[str, set[uuid.UUID]] = {t: set() for t in SPECS}
    for type_, rid in changes.get("created", []):
        created[type_].add(uuid.UUID(rid))
    touched = {t: set(ids) for t, ids in created.items()}  # updated ones are put back too
    for item in changes.get("updated", []):
        touched[item["type"]].add(uuid.UUID(item["id"]))
    for type_, spec in SPECS.items():
        for f in spec.fks:
            if not created[f.ref]:
                continue
            column = getattr(spec.model, f.col)
            stmt = select(spec.model.id).where(column.in_(sorted(created[f.ref])))
            since = set((await session.execute(stmt)).scalars()) - touched[type_]
            if since:
                msg = N_(
                    "%(num)s records added since the import belong to records it created;"
                    " undo would delete them. Remove or move them first."
                )
                raise UndoRefused(gettext(msg, num=len(since)))
    edited = 0
    for key, expected in (changes.get("after") or {}).items():
        type_, rid = key.split(":", 1)
        row = (await _rows_by_id(session, type_, [uuid.UUID(rid)])).get(uuid.UUID(rid))
        if row is not None and fingerprint(type_, row) != expected:
            edited += 1
    if edited:
        msg = N_("%(num)s records were changed since the import; undo would lose those changes.")
        raise UndoRefused(gettext(msg, num=edited))
    # consumed atomically: of two undos sent at once, one takes the batch, the other stops
    claimed = await session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch.id, ImportBatch.status == "committed")
        .values(status="undone")
        .execution_options(synchronize_session=False)
    )
    if not cast(CursorResult[Any], claimed).rowcount:
        raise UndoRefused(gettext(N_("Only the latest import can be undone.")))
    removed: dict[str, int] = {}
    for type_ in reversed(WRITE_ORDER):
        ids = created[type_]
        if not ids:
            continue
        rows = await _rows_by_id(session, type_, list(ids))
        for row in rows.values():
            await session.delete(row)
            await replace_extras(session, type_, row.id, {})
        removed[type_] = len(rows)
        await session.flush()
    restored = 0
    for item in changes.get("updated", []):
        type_ = item["type"]
        rows = await _rows_by_id(session, type_, [uuid.UUID(item["id"])])
        row = rows.get(uuid.UUID(item["id"]))
        if row is None:
            continue  # deleted since: nothing to put back into
        old = row_from_json(SPECS[type_].model, item["before"])
        for col in row.__table__.columns:
            if col.key not in ("tenant_id", "id"):
                setattr(row, col.key, getattr(old, col.key))
        await replace_extras(session, type_, row.id, item.get("extras") or {})
        restored += 1
    await session.flush()
    batch.status = "undone"
    batch.undone_by = actor[:80]
    batch.undone_at = utcnow()
    await do_audit(
        session,
        actor,
        "registry.import.undo",
        f"import_batch:{batch.id}",
        deleted=sum(removed.values()),
        restored=restored,
    )
    return {"deleted": sum(removed.values()), "restored": restored}

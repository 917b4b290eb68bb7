"""What an HSDS import reads a dataset into: one :class:`Record` per HSDS object (nested ones
included), the :class:`Problem` s found with them, and the :class:`ImportReport` that says
what the import found and did. :class:`Collector` walks the dataset and gathers the records.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from kasane.core.i18n import N_, gettext
from kasane.core.registry.hsds import SPECS

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
    """One HSDS object of the dataset, as given and as checked."""

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
    """What an import found (problems, warnings, fields kept) and will do or did."""

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


class Collector:
    """Every record of a dataset, by type and id, in the order they were read."""

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
    """The record's HSDS fields (what two copies of one record must agree on)."""
    spec = SPECS[type_]
    return {f.name: data.get(f.name) for f in spec.fields}

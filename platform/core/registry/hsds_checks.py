"""Check one record of an HSDS import: each field's value against its HSDS kind (text,
e-mail, URI, time, weekday list, municipality code, area, number, date …), what it must hang
off, and what Kasane keeps verbatim (fields it has no column for). A My Number anywhere is a
problem. Problems and warnings go to the :class:`~.hsds_records.Collector`.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from typing import Any

from kasane.core.i18n import N_, gettext
from kasane.core.protection.mynumber import MYNUMBER_MESSAGE, find_mynumber
from kasane.core.registry.extras import AS_GIVEN
from kasane.core.registry.hsds import SPECS, F, RecordSpec, json_value
from kasane.core.registry.hsds_records import NESTED_OBJECTS, Collector, Problem, Record

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


def code_problem(code: str) -> str | None:
    """全国地方公共団体コード: 6 digits, the last a check digit (the rule
    ``kasane.tenants.codes`` applies to tenants; the core may not import it)."""
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return N_("The municipality code must be 6 digits")
    total = sum(int(d) * w for d, w in zip(code[:5], CODE_WEIGHTS, strict=True))
    if (11 - total % 11) % 10 != int(code[5]):
        return N_("The municipality code's check digit does not match")
    return None


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


def validate_record(c: Collector, rec: Record, area_keys: set[str]) -> None:
    """Check one record: its id, what it carries besides HSDS fields, each field's value and
    what it must hang off; its column values go to ``rec.values``."""
    try:
        rec.id = uuid.UUID(rec.data.get("id"))
    except (ValueError, AttributeError, TypeError):
        c.problem(rec, rec.type, rec.ref, "id", gettext(N_("The id must be a UUID")))
    _keep_unknown_fields(c, rec)
    _check_fields(c, rec, area_keys)
    _check_belongs(c, rec)


def _keep_unknown_fields(c: Collector, rec: Record) -> None:
    """Keep what is not an HSDS field of the record verbatim (a My Number is a problem)."""
    spec = SPECS[rec.type]
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


def _check_fields(c: Collector, rec: Record, area_keys: set[str]) -> None:
    """Check each HSDS field of the record (a link it is nested under counts as given)."""
    spec = SPECS[rec.type]
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


def _check_belongs(c: Collector, rec: Record) -> None:
    """A record that must hang off another has the link(s) set."""
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


def settle_link_entity(c: Collector, rec: Record) -> bool:
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

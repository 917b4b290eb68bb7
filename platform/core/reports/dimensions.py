"""The dimensions figures break down by, their values in order, and how each value reads.

A value is a short key stored with the fact (``elderly``, a counter key, ``2026-11``); the
empty string means "not recorded". Labels are Babel msgids (English, translated at render
time) or the tenant's own names from its plugin (shown as they are).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kasane.core.auth.agencies import FIELDS
from kasane.core.community.services import GAP_LABELS, PLACE_KIND_LABELS, SOURCE_LABELS
from kasane.core.config_types import TenantConfig
from kasane.core.defaults import CHANNELS
from kasane.core.i18n import N_, current_locale
from kasane.core.i18n import gettext as _
from kasane.core.outreach.models import CONTACT_KINDS
from kasane.core.participation.services import CATEGORY_LABELS
from kasane.core.reports.periods import Period, month_label

NOT_RECORDED = N_("Not recorded")

DIMENSIONS: dict[str, str] = {
    "month": N_("Month"),
    "kind": N_("New or continued"),
    "field": N_("Field of support"),
    "channel": N_("Channel"),
    "counter": N_("Counter"),
    "area": N_("Area"),
    "agency": N_("Agency"),
    "from_agency": N_("Referring agency"),
    "to_agency": N_("Receiving agency"),
    "collaboration": N_("Multi-agency collaboration"),
    "decision_source": N_("Decided by"),
    "meeting_type": N_("Meeting"),
    "legal_basis": N_("Kind of meeting"),
    "contact_kind": N_("Kind of contact"),
    "category": N_("Kind of participation"),
    "age_band": N_("Age band"),
    "place_kind": N_("Kind of place"),
    "gap_category": N_("Missing resource"),
    "gap_source": N_("Found in"),
}

# The four fields of the national programmes; general, health and other counters are "other".
REPORT_FIELDS: dict[str, str] = {
    "elderly": FIELDS["elderly"],
    "disability": FIELDS["disability"],
    "children": FIELDS["children"],
    "poverty": FIELDS["poverty"],
    "other": N_("Other (general counters and more)"),
}
STATIC_VALUES: dict[str, dict[str, str]] = {
    "kind": {"new": N_("New"), "continued": N_("Continued")},
    "field": REPORT_FIELDS,
    "channel": dict(CHANNELS),
    "collaboration": {"yes": N_("Under multi-agency collaboration"), "no": N_("At the counter")},
    "decision_source": {"meeting": N_("At a meeting"), "exception": N_("Recorded exception")},
    "legal_basis": {
        "art106_6": N_("Support meetings (Art. 106-6)"),
        "consent": N_("Multi-layered support meetings (consent)"),
        "other_law": N_("Meetings under another law"),
    },
    "contact_kind": CONTACT_KINDS,
    "category": CATEGORY_LABELS,
    "age_band": {
        "children": N_("Children"),
        "youth": N_("Youth"),
        "working_age": N_("Working age"),
        "older": N_("Older people"),
    },
    "place_kind": PLACE_KIND_LABELS,
    "gap_category": GAP_LABELS,
    "gap_source": SOURCE_LABELS,
}


def fields_of(config: TenantConfig) -> dict[str, str]:
    """Counter key → its report field: its own when national, else ``other`` (a counter no
    longer configured is ``other`` too: look it up with ``.get(key, "other")``)."""
    return {c.key: c.field if c.field in REPORT_FIELDS else "other" for c in config.counters}


def field_of(config: TenantConfig, counter_key: str) -> str:
    """The report field of one counter (see :func:`fields_of` for many)."""
    return fields_of(config).get(counter_key, "other")


def _config_values(config: TenantConfig, dimension: str) -> list[tuple[str, str]]:
    """(value, name) pairs the tenant's configuration defines for a dimension, in its order."""
    if dimension == "counter":
        return [(c.key, c.name) for c in config.counters]
    if dimension == "area":
        return [(a.key, a.name) for a in config.areas]
    if dimension in ("agency", "from_agency", "to_agency"):
        return [(a.key, a.name) for a in config.agencies]
    if dimension == "meeting_type":
        return [(m.key, m.name) for m in config.meeting_types]
    return []


def values_of(
    config: TenantConfig, dimension: str, period: Period, found: Iterable[str] = ()
) -> list[str]:
    """Every value a table of ``dimension`` lists, in reading order: the known ones (months
    of the period, the fields, the tenant's counters …) even at zero, then any other value
    the records hold (a counter since removed), then "not recorded" when it occurs.

    Raises:
        ValueError: an unknown dimension.
    """
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    if dimension == "month":
        known = period.month_keys()
    elif dimension in STATIC_VALUES:
        known = list(STATIC_VALUES[dimension])
    else:
        known = [key for key, _name in _config_values(config, dimension)]
    seen = set(found)
    extra = sorted(v for v in seen if v and v not in known)
    return [*known, *extra, *([""] if "" in seen else [])]


def labeller(config: TenantConfig, dimension: str) -> Callable[[str], str]:
    """A function value → its label in the current language, for one dimension."""
    if dimension == "month":
        locale = current_locale.get()
        return lambda v: month_label(v, locale) if v else _(NOT_RECORDED)
    names = dict(STATIC_VALUES.get(dimension, {}))
    names.update(_config_values(config, dimension))
    if dimension in ("agency", "from_agency", "to_agency"):
        return lambda v: _(config.agency_name(v)) if v else _(NOT_RECORDED)
    return lambda v: _(names[v]) if v in names else (v or _(NOT_RECORDED))


def dimension_name(dimension: str) -> str:
    """The dimension's name in the current language."""
    return _(DIMENSIONS[dimension])

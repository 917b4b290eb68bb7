"""The rules a configuration's lists must keep between them, and the stricter checks a
plugin alone must pass; the same code checks the town's own settings (check_lists,
check_forms), so both say the same thing in the same words.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from kasane.core.config_types import (
    Agency,
    Area,
    Counter,
    FormDefinition,
    MeetingType,
    ParticipationMenu,
)
from kasane.core.i18n import N_
from kasane.core.plugin_answers import Collector, Problem, merge_forms, unique_keys


def _check_refs(
    c: Collector, hook: str, items: list[Any], attr: str, keys: set[str], target: str
) -> None:
    for i, item in enumerate(items):
        ref = getattr(item, attr)
        # an item refused on its own was reported where it is, not again at each reference
        if ref is not None and ref not in keys and ref not in c.refused.get(target, ()):
            c.problem(hook, f"{c.where(item, i)}.{attr}", N_("%(ref)r is not a known key"), ref=ref)


def check_references(
    c: Collector,
    counters: list[Counter],
    areas: list[Area],
    agencies: list[Agency],
    meetings: list[MeetingType],
    menus: list[ParticipationMenu],
) -> None:
    """The rules between lists (a counter's agency and area exist, a meeting's members are
    agencies, a monthly cadence has its day …): the plugin check's and the town settings'."""
    area_keys, agency_keys = {a.key for a in areas}, {a.key for a in agencies}
    _check_refs(c, "kasane_counters", counters, "agency", agency_keys, "kasane_agencies")
    _check_refs(c, "kasane_counters", counters, "area", area_keys, "kasane_areas")
    _check_refs(c, "kasane_areas", areas, "parent", area_keys, "kasane_areas")
    _check_refs(c, "kasane_participation_menus", menus, "area", area_keys, "kasane_areas")
    refused_agencies = c.refused.get("kasane_agencies", set())
    for i, m in enumerate(meetings):
        for member in m.members:
            if member not in agency_keys and member not in refused_agencies:
                c.problem(
                    "kasane_meeting_types",
                    f"{c.where(m, i)}.members",
                    N_("%(member)r is not an agency key from kasane_agencies"),
                    member=member,
                )
        if m.cadence.frequency == "monthly" and (m.cadence.weekday is None or not m.cadence.nth):
            c.problem(
                "kasane_meeting_types",
                f"{c.where(m, i)}.cadence",
                N_("a monthly cadence needs weekday and nth"),
            )
        if m.cadence.time and not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", m.cadence.time):
            c.problem(
                "kasane_meeting_types",
                f"{c.where(m, i)}.cadence.time",
                N_("%(time)r is not HH:MM"),
                time=m.cadence.time,
            )
    by_key = {x.key: x for x in areas}
    for i, a in enumerate(areas):
        seen, parent = {a.key}, a.parent
        while parent in by_key:
            if parent in seen:
                c.problem(
                    "kasane_areas",
                    f"{c.where(a, i)}.parent",
                    N_("%(key)r would be inside itself"),
                    key=a.key,
                )
                break
            seen.add(parent)
            parent = by_key[parent].parent


# Decisions a meeting takes about one case: none on a meeting about the system itself.
CASE_DECISIONS = frozenset(
    {"support_decision", "plan_change", "closure", "suspension", "continuation", "role_assignment"}
)
OFFICE_HOURS = ("07:00", "21:00")  # a meeting's start outside these is almost surely a typo
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def check_strictly(
    c: Collector,
    counters: list[Counter],
    agencies: list[Agency],
    meetings: list[MeetingType],
    menus: list[ParticipationMenu],
) -> None:
    """What a plugin must get right beyond the types (``plugins check``, tenants create and
    set-plugin): a town with no counter cannot take a consultation; a cadence the calendar
    cannot place, or a meeting on a closed day, never happens as written.

    Long: one check after another, each with the message that names the field; split,
    they would be read out of order.
    """
    if not counters and not c.refused.get("kasane_counters"):
        c.problem(
            "kasane_counters", "", N_("at least one counter is needed: intake happens at one")
        )
    hosts = {"municipality"} | {a.key for a in agencies} | {a.name for a in agencies}
    hosts |= c.refused.get("kasane_agencies", set())  # reported where it is
    for i, m in enumerate(meetings):
        at, cad = c.where(m, i), m.cadence
        hook = "kasane_meeting_types"
        if cad.frequency in ("weekly", "quarterly") and cad.weekday is None:
            c.problem(
                hook,
                f"{at}.cadence.weekday",
                N_("a %(frequency)s cadence needs a weekday, or it is never scheduled"),
                frequency=cad.frequency,
            )
        if cad.frequency == "quarterly" and not cad.nth:
            c.problem(hook, f"{at}.cadence.nth", N_("a quarterly cadence needs nth"))
        if cad.frequency == "weekly" and cad.nth is not None:
            c.problem(
                hook, f"{at}.cadence.nth", N_("a weekly meeting meets every week: leave out nth")
            )
        if cad.frequency == "as_needed" and (cad.weekday is not None or cad.nth is not None):
            c.problem(hook, f"{at}.cadence", N_("an as_needed meeting has no weekday or nth"))
        if cad.weekday is not None and cad.weekday >= 5:
            c.problem(
                hook,
                f"{at}.cadence.weekday",
                N_("%(day)s is not a working day: the meeting would always move to Monday"),
                day=WEEKDAYS[cad.weekday],
            )
        if cad.time and not OFFICE_HOURS[0] <= cad.time <= OFFICE_HOURS[1]:
            c.problem(
                hook,
                f"{at}.cadence.time",
                N_("%(time)s is outside %(start)s-%(end)s"),
                time=cad.time,
                start=OFFICE_HOURS[0],
                end=OFFICE_HOURS[1],
            )
        if not 1 <= cad.duration_minutes <= 480:
            c.problem(
                hook,
                f"{at}.cadence.duration_minutes",
                N_("%(minutes)s minutes: a meeting lasts 1 to 480 minutes"),
                minutes=cad.duration_minutes,
            )
        if not m.discusses_cases:
            for decision in sorted(CASE_DECISIONS & set(m.decisions)):
                c.problem(
                    hook,
                    f"{at}.decisions",
                    N_(
                        "%(decision)r is a decision about a case; this meeting does not discuss "
                        "cases (discusses_cases: false)"
                    ),
                    decision=decision,
                )
        if m.host not in hosts:
            c.problem(
                hook,
                f"{at}.host",
                N_('%(host)r is neither an agency\'s key or name nor "municipality"'),
                host=m.host,
            )
    for i, menu in enumerate(menus):
        if menu.capacity is not None and menu.capacity < 1:
            c.problem(
                "kasane_participation_menus",
                f"{c.where(menu, i)}.capacity",
                N_("capacity %(capacity)s: at least 1, or leave it out for no limit"),
                capacity=menu.capacity,
            )


def check_forms(
    source: str, forms: dict[str, FormDefinition], extra: list[dict[str, Any]]
) -> list[Problem]:
    """Validate form definitions added over ``forms`` (plain data, as a plugin's
    ``kasane_form_definitions`` answer) exactly as ``plugins check`` does: a field may not
    redefine one the form has, a choice field needs choices, a pattern must compile."""
    c = Collector(None, source, None)
    merge_forms(c, [extra, [msgspec.to_builtins(f) for f in forms.values()]])
    return c.found


def check_lists(
    source: str,
    *,
    counters: list[dict[str, Any]],
    areas: list[dict[str, Any]],
    agencies: list[Agency],
    meetings: list[dict[str, Any]],
    menus: list[dict[str, Any]],
) -> list[Problem]:
    """Validate counters, areas and meetings given as plain data exactly as ``plugins check``
    validates a plugin's answers (same messages, same field paths); ``source`` names who
    answered (the town's settings). Returns every problem found, none when valid."""
    c = Collector(None, source, None)

    def listed(hook: str, data: list[dict[str, Any]], typ: type) -> list[Any]:
        items = c.items(hook, data, typ)
        unique_keys(c, hook, items)
        return items

    check_references(
        c,
        listed("kasane_counters", counters, Counter),
        listed("kasane_areas", areas, Area),
        agencies,
        listed("kasane_meeting_types", meetings, MeetingType),
        listed("kasane_participation_menus", menus, ParticipationMenu),
    )
    return c.found

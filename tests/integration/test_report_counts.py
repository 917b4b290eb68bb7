"""The aggregation API counts the hand-worked caseload of ``tests.reports_fixture`` exactly,
in both towns, on SQLite and PostgreSQL (issue 10: "counts are exact and come from the
records")."""

from __future__ import annotations

from datetime import date

import pytest

from kasane.core.db import Database
from kasane.core.reports.catalogue import CATALOGUE
from kasane.core.reports.counting import get_figures
from kasane.core.reports.dimensions import values_of
from kasane.core.reports.periods import Period
from tests.conftest import Env
from tests.reports_fixture import Town, fixture_town

TOWNS = ("usuki", "marugame")
AS_OF = date(2026, 12, 6)

FY2025 = {
    "consultations.total": 7,  # A twice, B, C twice, D, E
    "consultations.new": 5,  # A, B, C, D, E: each one's first of the year
    "consultations.continued": 2,  # A at the general counter, C's second visit
    "consultations.persons": 5,
    "referrals.sent": 2,
    "referrals.accepted": 1,
    "referrals.declined": 1,  # B's
    "referrals.overdue": 1,  # C's, acknowledged two days late
    "collaboration.taken_in": 1,
    "collaboration.plans": 1,
    "collaboration.decisions": 1,
    "collaboration.closed": 0,
    "collaboration.suspended": 1,
    "collaboration.resumed": 1,
    "meetings.held": 1,
    "meetings.items": 1,
    "meetings.cases": 1,
    "outreach.persons": 1,
    "outreach.contacts": 2,
    "outreach.linked": 0,
    "participation.persons": 1,
    "participation.started": 1,
    "participation.retained": 1,
    "participation.hosts": 1,
    "community.places": 1,
    "community.participants": 12,
    "community.agencies": 2,
    "gaps.found": 1,
    "gaps.resolved": 1,
}


def _figures(env: Env, town: Town, period: Period, dims: tuple = ()):  # type: ignore[no-untyped-def, type-arg]
    async def go(db: Database):  # type: ignore[no-untyped-def]
        async with db.session(town.tenant_id) as s:
            return await get_figures(s, town.config, list(CATALOGUE), period, dims, today=AS_OF)

    return env.run(go)


@pytest.mark.parametrize("plugin", TOWNS)
def test_the_fiscal_year_figures_are_the_hand_counted_ones(any_env: Env, plugin: str) -> None:
    # given the hand-worked caseload of one town
    town = fixture_town(any_env, plugin)
    # when 令和7年度 is counted
    figures = _figures(any_env, town, Period.fiscal_year(2025), ("kind", "field", "counter"))
    # then every figure is the one worked out by hand
    assert {k: f.total for k, f in figures.items()} == FY2025
    # and the kinds add up: new + continued = all
    total = figures["consultations.total"]
    assert total.by("kind") == {"new": 5, "continued": 2}
    # a person at two counters is one person, but counts at each counter
    persons = figures["consultations.persons"].by("counter")
    cfg = town.config
    elderly, general = (
        next(c.key for c in cfg.counters if c.field == f) for f in ("elderly", "general")
    )
    assert persons[elderly] == 1 and persons[general] == 2  # A there, A and E here
    assert sum(persons.values()) == 6 > figures["consultations.persons"].total
    assert total.by("field") == {
        "elderly": 1,
        "other": 2,
        "poverty": 1,
        "children": 2,
        "disability": 1,
    }


@pytest.mark.parametrize("plugin", TOWNS)
def test_new_and_continued_follow_the_fiscal_year_not_the_period(any_env: Env, plugin: str) -> None:
    town = fixture_town(any_env, plugin)
    # 令和6年度: A's first consultation is new there
    fy2024 = _figures(any_env, town, Period.fiscal_year(2024))
    assert fy2024["consultations.new"].total == 1 and fy2024["consultations.continued"].total == 0
    # May 2025 alone: A's visit is continued (the year's first was in April), C's is new
    may = _figures(any_env, town, Period.month(2025, 5), ("kind", "month"))
    assert may["consultations.total"].by("kind") == {"new": 1, "continued": 1}
    assert may["referrals.sent"].total == 1 and may["referrals.overdue"].total == 1
    assert may["collaboration.taken_in"].total == 1
    # months of the year: new consultations fall where each person first came
    fy = _figures(any_env, town, Period.fiscal_year(2025), ("month",))
    assert fy["consultations.new"].by("month") == {
        "2025-04": 2,
        "2025-05": 1,
        "2025-06": 1,
        "2026-02": 1,
    }
    # people under way count once a month: outreach June 2025 to March 2026
    assert fy["outreach.persons"].by("month") == {
        f"{y}-{m:02d}": 1
        for y, m in [(2025, m) for m in range(6, 13)] + [(2026, 1), (2026, 2), (2026, 3)]
    }
    assert fy["participation.retained"].by("month") == {"2026-01": 1}


@pytest.mark.parametrize("plugin", TOWNS)
def test_a_cross_table_and_an_unknown_dimension(any_env: Env, plugin: str) -> None:
    town = fixture_town(any_env, plugin)
    figures = _figures(any_env, town, Period.fiscal_year(2025), [("field", "kind")])
    table = figures["consultations.total"].tables[("field", "kind")]
    assert table[("other", "continued")] == 1 and table[("children", "new")] == 1
    assert sum(table.values()) == 7
    # a grouping an indicator lacks is left out of that figure only
    assert ("field", "kind") not in figures["meetings.held"].tables
    with pytest.raises(ValueError, match="unknown dimension"):
        _figures(any_env, town, Period.fiscal_year(2025), ("colour",))


@pytest.mark.parametrize("plugin", TOWNS)
def test_the_channel_counter_and_area_breakdowns_are_the_hand_counted_ones(
    any_env: Env, plugin: str
) -> None:
    town = fixture_town(any_env, plugin)
    fy = Period.fiscal_year(2025)
    figures = _figures(any_env, town, fy, ("channel", "counter", "area"))
    total, new = figures["consultations.total"], figures["consultations.new"]
    # 相談経路: the fixture takes a first-time person's intake by phone and a returning
    # person's at the counter — by phone B, C (05-08), D and E; at the counter A twice
    # (04-15, 05-20: A came in FY2024 already) and C's return (06-02)
    assert total.by("channel") == {"phone": 4, "visit_counter": 3}
    # new: A's 04-15 (the year's first, though at the counter), B, C, D and E
    assert new.by("channel") == {"phone": 4, "visit_counter": 1}
    # per counter (the story uses each field's first counter): A at the elderly and the
    # general one, B poverty, C twice at children, D disability, E general
    counter = {c.field: c.key for c in reversed(town.config.counters)}  # the first wins
    assert total.by("counter") == {
        counter["elderly"]: 1,
        counter["general"]: 2,
        counter["poverty"]: 1,
        counter["children"]: 2,
        counter["disability"]: 1,
    }
    # new per counter: A's, B's, C's, D's first at theirs; E's at the general counter
    assert new.by("counter") == {
        counter[f]: 1 for f in ("elderly", "poverty", "children", "disability", "general")
    }
    # area: the person's, else the counter's — none of the story's counters is an area's
    # (usuki's 野津 and marugame's 綾歌/飯山 counters are not used) and only D has an area
    # (the town's first, recorded after the intake): D's one consultation, new, is counted
    # there and the other six are "not recorded"
    assert not [k for k in counter.values() if town.config.counter(k).area]  # type: ignore[union-attr]
    first_area = town.config.areas[0].key
    assert total.by("area") == {first_area: 1, "": 6}
    assert new.by("area") == {first_area: 1, "": 4}
    # and the table lists every area of the town (at zero) before "not recorded"
    areas = values_of(town.config, "area", fy, total.by("area"))
    assert areas == [a.key for a in town.config.areas] + [""] and len(areas) >= 3

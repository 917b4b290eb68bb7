"""The central comparison's noise (OpenDP's discrete Laplace) and its table catalogue.

OpenDP draws from the system's secure randomness and takes no seed, so the noise is tested
as a distribution over many draws, with bands wide enough never to fail by chance (five or
more standard errors) and narrow enough to catch a wrong scale (a scale off by 30 % moves
the variance by 70 %).
"""

from __future__ import annotations

import statistics

import pytest

from kasane.central.cells import exact_cells, noisy_table, pooled, shown, summed_margins
from kasane.central.noise import add_noise, check_privacy, noise_sd
from kasane.central.synthetic import synthetic_figures
from kasane.central.tables import (
    EPSILON,
    MARGIN,
    TABLES,
    TABLES_BY_KEY,
    check_catalogue,
    quarter_of,
    tables_for,
)
from kasane.core.reports.catalogue import CATALOGUE
from kasane.core.reports.periods import Period

DRAWS = 2_000


@pytest.mark.parametrize("scale", [1.0, 3.0])
def test_a_known_count_gets_unbiased_noise_of_the_stated_scale(scale: float) -> None:
    # given a count of 50 and the discrete Laplace at ``scale`` (variance 2q/(1-q)², q=e^-1/b)
    expected_var = noise_sd(scale) ** 2
    # when it is released 2,000 times
    draws = add_noise([50] * DRAWS, scale)
    # then every draw is a whole number, they are not all the count (there is noise) …
    assert all(isinstance(d, int) for d in draws)
    assert len(set(draws)) > 3
    # … the mean is the count (standard error √(var/n): 0.03 at scale 1, 0.09 at scale 3)
    assert abs(statistics.mean(draws) - 50) < 6 * (expected_var / DRAWS) ** 0.5
    # … and the variance is the stated scale's (its standard error is about 5 % here)
    assert 0.75 * expected_var < statistics.variance(draws) < 1.25 * expected_var
    # … symmetric around the count
    above, below = sum(d > 50 for d in draws), sum(d < 50 for d in draws)
    assert abs(above - below) < 0.12 * DRAWS


def test_the_stated_variance_is_the_discrete_laplace_and_not_the_continuous_one() -> None:
    # the continuous Laplace's variance is 2b²: at b=1 that is 2.0, the discrete one's 1.84
    assert noise_sd(1.0) ** 2 == pytest.approx(1.8415, abs=1e-3)
    assert noise_sd(50.0) ** 2 == pytest.approx(2 * 50.0**2, rel=1e-3)


@pytest.mark.parametrize("period", [Period.month(2026, 11), Period.fiscal_year(2025)])
def test_opendp_says_every_table_spends_exactly_its_epsilon(period: Period) -> None:
    for table in tables_for(period):
        # the scale is the table's L1 sensitivity over ε; OpenDP's own accounting agrees
        assert check_privacy(table.sensitivity(period), table.scale(period)) == pytest.approx(
            EPSILON
        )


def test_the_catalogue_is_sound_and_tables_have_at_most_three_dimensions() -> None:
    assert check_catalogue() == []
    for table in TABLES:
        assert len(table.dims) + 1 <= 3  # the measure is one of the three
        for m in table.measures:
            assert m.key in CATALOGUE  # one catalogue: the reports' indicator keys
    # a monthly release leaves out the quarter table; a fiscal year has all four
    assert [t.key for t in tables_for(Period.month(2026, 11))] == [
        "consultations",
        "participation",
        "community",
    ]
    assert len(tables_for(Period.fiscal_year(2025))) == 4
    # the participants' bound grows with the months released (a person comes every month)
    community = TABLES_BY_KEY["community"]
    assert community.sensitivity(Period.fiscal_year(2025)) == 12 * community.sensitivity(
        Period.month(2026, 11)
    )


def test_quarters_are_the_fiscal_years() -> None:
    assert [quarter_of(m) for m in ("2026-04", "2026-06", "2026-07", "2026-12", "2027-01")] == [
        "fy2026q1",
        "fy2026q1",
        "fy2026q2",
        "fy2026q3",
        "fy2026q4",
    ]
    assert quarter_of("2027-03") == "fy2026q4"


def test_margins_are_sums_of_noisy_cells_and_small_values_are_never_stored() -> None:
    # given a synthetic town's fiscal year of new consultations by field and month
    table = TABLES_BY_KEY["consultations"]
    period = Period.fiscal_year(2025)
    figures = synthetic_figures(
        "379999", 50_000, period, ["consultations.new"], [("field", "month")]
    )
    exact = exact_cells(table, period, figures, "consultations.new")
    assert len(exact) == 5 * 12 and sum(exact.values()) == figures["consultations.new"].total
    # when it is noised
    noisy = noisy_table(table, period, figures)
    # then every margin is the sum of the noisy cells it covers
    cells = {k: v for k, v in noisy.items() if MARGIN not in k[1:]}
    assert summed_margins(table, cells, "consultations.new") == {
        k: v for k, v in noisy.items() if MARGIN in k[1:]
    }
    # and a pool adds its members cell by cell
    assert (
        pooled([noisy, noisy])[("consultations.new", MARGIN, MARGIN)]
        == 2 * noisy[("consultations.new", MARGIN, MARGIN)]
    )
    # and what is stored of a value under 10 is nothing (「10未満」), never the value
    assert [shown(v) for v in (-3, 0, 9, 10, 57)] == [None, None, None, 10, 57]

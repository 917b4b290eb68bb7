"""Discrete-Laplace noise through OpenDP: the only place a released number gets its noise.

:func:`mechanism` is OpenDP's Laplace mechanism over a vector of integer counts with the L1
distance — on integers it is the discrete Laplace (geometric) mechanism, P(k) ∝
exp(-|k| / scale). A table's person-sensitive cells go through one mechanism whose scale
is the table's sensitivity divided by ε; :func:`check_privacy` asks OpenDP itself what ε
that spends, and the release refuses a table whose answer is above the ε it states.

OpenDP draws from the operating system's secure randomness and offers no seed, so the tests
check the distribution over many draws instead of fixed values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from typing import Any

import opendp.prelude as dp

dp.enable_features("contrib")  # OpenDP's mechanisms not yet vetted by its committee


@cache
def mechanism(scale: float) -> Any:
    """OpenDP's discrete-Laplace measurement over integer vectors (L1), at ``scale``."""
    space = dp.vector_domain(dp.atom_domain(T="i64")), dp.l1_distance(T="i64")
    return space >> dp.m.then_laplace(scale=scale)


def check_privacy(sensitivity: int, scale: float) -> float:
    """The ε OpenDP says one release at ``scale`` spends when one person changes the cells
    by at most ``sensitivity`` in L1 (0 when no person changes them)."""
    return float(mechanism(scale).map(sensitivity)) if sensitivity else 0.0


def add_noise(counts: Sequence[int], scale: float) -> list[int]:
    """``counts`` with independent discrete-Laplace noise at ``scale`` on each cell."""
    return [int(v) for v in mechanism(scale)([int(c) for c in counts])] if counts else []


def noise_sd(scale: float) -> float:
    """The standard deviation of the discrete Laplace at ``scale``: the variance is
    2·e^(−1/b) / (1 − e^(−1/b))² (about 2b² for a large b)."""
    q = math.exp(-1.0 / scale)
    return math.sqrt(2 * q / (1 - q) ** 2)

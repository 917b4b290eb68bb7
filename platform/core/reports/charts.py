"""Chart geometry for server-rendered SVG: columns over months, bar lists across categories.

The template (``reports/_chart.html``) draws what these functions lay out, with classes the
stylesheet colours — no script, no inline style, so the chart reads without JavaScript and
under a strict Content-Security-Policy. Every chart has its table beside it, which is what
screen readers read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH = 720


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str
    label_x: float  # where the category label is anchored
    label_y: float
    value_x: float  # where the value is written
    value_y: float


@dataclass(frozen=True)
class Tick:
    at: float  # x (bars) or y (columns) of the grid line
    text: str


@dataclass(frozen=True)
class Chart:
    kind: str  # "columns"
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    axis: tuple[float, float, float, float]  # the baseline x1, y1, x2, y2


def nice_max(value: int) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    power: int = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _ticks(top: int) -> list[int]:
    """Whole-number grid lines from 0 to ``top`` (a :func:`nice_max`), five steps at most."""
    steps = next(n for n in (5, 4, 2, 1) if top % n == 0)
    return [top // steps * i for i in range(steps + 1)]


def column_chart(points: list[tuple[str, int]]) -> Chart:
    """Vertical columns, one per point (months), with a y scale."""
    left, right, top, bottom, height = 48, 8, 20, 28, 220
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    scale = nice_max(max((v for _, v in points), default=0))
    slot = plot_w / max(len(points), 1)
    width = slot * 0.6
    bars = []
    for i, (label, value) in enumerate(points):
        h = plot_h * value / scale
        x = left + slot * i + (slot - width) / 2
        y = top + plot_h - h
        bars.append(
            Bar(x, y, width, h, value, label, x + width / 2, height - 8, x + width / 2, y - 4)
        )
    ticks = [Tick(top + plot_h - plot_h * t / scale, f"{t:,}") for t in _ticks(scale)]
    return Chart(
        "columns", WIDTH, height, bars, ticks, (left, top + plot_h, WIDTH - right, top + plot_h)
    )


@dataclass(frozen=True)
class Share:
    """One category of a bar list: its label, value and the bar's length (0–100)."""

    label: str
    value: int
    share: float


def bar_list(points: list[tuple[str, int]]) -> list[Share]:
    """Horizontal bars as rows (HTML label, an SVG bar scaled to its row, the value): they
    read at a phone's width as well as a desktop's, unlike a scaled-down drawing."""
    top = max((v for _, v in points), default=0)
    return [
        Share(label, value, round(100 * value / top, 1) if top else 0.0) for label, value in points
    ]

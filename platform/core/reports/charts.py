"""Chart geometry for server-rendered SVG: columns over months, bars across categories.

The template (``reports/_chart.html``) draws what these functions lay out, with classes the
stylesheet colours — no script, no inline style, so the chart reads without JavaScript and
under a strict Content-Security-Policy. Every chart has its table beside it, which is what
screen readers read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH = 720
FONT = 12
LABEL_CHARS = 18  # a category label longer than this is shortened on the chart (not the table)


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
    kind: str  # "columns" | "bars"
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    axis: tuple[float, float, float, float]  # the baseline x1, y1, x2, y2


def nice_max(value: int) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _ticks(top: int) -> list[int]:
    step = top / 4
    return [round(step * i) for i in range(5)] if top >= 4 else list(range(top + 1))


def short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


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


def bar_chart(points: list[tuple[str, int]]) -> Chart:
    """Horizontal bars, one per category, labels on the left."""
    label_w, right, top, row = 250, 56, 8, 26
    height = top * 2 + row * max(len(points), 1)
    plot_w = WIDTH - label_w - right
    scale = nice_max(max((v for _, v in points), default=0))
    bars = []
    for i, (label, value) in enumerate(points):
        w = plot_w * value / scale
        y = top + row * i + 4
        bars.append(
            Bar(
                label_w,
                y,
                w,
                row - 8,
                value,
                short(label),
                label_w - 8,
                y + (row - 8) / 2 + FONT / 2 - 2,
                label_w + w + 6,
                y + (row - 8) / 2 + FONT / 2 - 2,
            )
        )
    return Chart("bars", WIDTH, height, bars, [], (label_w, top, label_w, height - top))

"""The accept -> settled chart as server-drawn SVG (no script, no inline style): two
lines, p50 and p99 per 5-minute bucket over the last hour, on a time axis that always
spans the hour so an empty stretch shows as a gap."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from shunfuri.services.operations.queue_view import LATENCY_WINDOW, Point
from web.filters import jst

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 36


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    p50: str  # polyline points
    p99: str
    dots: list[tuple[float, float, float, str]]  # x, y of p50, y of p99, what it says
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str]]
    top: float
    bottom: float
    left: float
    right: float


def _nice_ceiling(value: float) -> float:
    if value <= 1:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def chart(points: list[Point], *, now: datetime) -> Chart:
    since = now - LATENCY_WINDOW
    top_value = _nice_ceiling(max((p.p99 for p in points), default=1.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(at: datetime) -> float:
        return round(LEFT + plot_w * (at - since) / LATENCY_WINDOW, 1)

    def y(seconds: float) -> float:
        return round(TOP + plot_h * (1 - min(seconds, top_value) / top_value), 1)

    centre = LATENCY_WINDOW / 24  # half a 5-minute bucket
    dots = [
        (x(p.start + centre), y(p.p50), y(p.p99),
         f"{jst(p.start)}から5分間：{p.count}件、中央値 {p.p50:.1f}秒、p99 {p.p99:.1f}秒")
        for p in points
    ]
    return Chart(
        WIDTH, HEIGHT,
        p50=" ".join(f"{d[0]},{d[1]}" for d in dots),
        p99=" ".join(f"{d[0]},{d[2]}" for d in dots),
        dots=dots,
        y_ticks=[(y(top_value * k / 4), f"{top_value * k / 4:g}秒") for k in range(5)],
        x_ticks=[(x(since + LATENCY_WINDOW * k / 4), jst(since + LATENCY_WINDOW * k / 4)[-5:])
                 for k in range(5)],
        top=TOP, bottom=HEIGHT - BOTTOM, left=LEFT, right=WIDTH - RIGHT,
    )

"""Accessible charts drawn on the server: SVG with <title> and <desc>, and the data table.

No JavaScript and no chart library: a bar or line chart is a few rectangles and lines.
The geometry is computed here; templates/public/_chart.html draws it. Right-to-left
pages mirror the x axis so the series reads in the reader's direction.
"""
import math
import textwrap
from dataclasses import dataclass, field
from decimal import Decimal

from babel.numbers import format_decimal, format_percent

WIDTH, HEIGHT = 640, 340
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 64


@dataclass
class Mark:
    x: float
    y: float
    w: float = 0
    h: float = 0
    series: int = 0
    label: str = ""
    lines: list = field(default_factory=list)  # a label wrapped to fit its slot


def format_value(value, unit, locale):
    if unit == "%":
        # Decimal, so 41.6 shows as 41.6%, not 41.600000000000004%
        return format_percent(Decimal(str(value)) / 100, locale=locale, decimal_quantization=False)
    return format_decimal(value, locale=locale)


def _nice_ceiling(value):
    """A round axis maximum a little above the largest value (1, 2, 2.5, 5 x 10^n)."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def layout(chart, locale, rtl=False):
    """Everything the template needs to draw one chart."""
    categories = [str(c) for c in chart["categories"]]
    series = chart["series"]
    unit = chart.get("unit", "")
    top_value = _nice_ceiling(max(max(s["values"]) for s in series))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y_of(v):
        return TOP + plot_h - (v / top_value) * plot_h

    def mirror(x):
        return WIDTH - x if rtl else x

    ticks = [Mark(x=mirror(LEFT - 8), y=y_of(top_value * i / 5),
                  label=format_value(round(top_value * i / 5, 6), unit, locale)) for i in range(6)]
    slot = plot_w / len(categories)
    # About 7.5px a character at 14px: wrap long category names onto up to three lines.
    per_line = max(6, int(slot / 7.5))
    x_labels = [Mark(x=mirror(LEFT + slot * (i + 0.5)), y=HEIGHT - BOTTOM + 20, label=c,
                     lines=textwrap.wrap(c, per_line)[:3] or [c])
                for i, c in enumerate(categories)]
    bars, lines = [], []
    if chart.get("type", "bar") == "bar":
        inner = slot * 0.8
        bar_w = inner / len(series)
        for s_index, s in enumerate(series):
            for c_index, v in enumerate(s["values"]):
                x = LEFT + slot * c_index + slot * 0.1 + bar_w * s_index
                if rtl:
                    x = WIDTH - x - bar_w
                bars.append(Mark(x=x, y=y_of(v), w=bar_w, h=y_of(0) - y_of(v), series=s_index,
                                 label=f"{s['name']}, {categories[c_index]}: {format_value(v, unit, locale)}"))
    else:
        for s_index, s in enumerate(series):
            points = [Mark(x=mirror(LEFT + slot * (i + 0.5)), y=y_of(v), series=s_index,
                           label=f"{s['name']}, {categories[i]}: {format_value(v, unit, locale)}")
                      for i, v in enumerate(s["values"])]
            lines.append({"series": s_index, "points": points,
                          "path": " ".join(f"{p.x:.1f},{p.y:.1f}" for p in points)})
    table = [[format_value(v, unit, locale) for v in s["values"]] for s in series]
    return {
        "width": WIDTH, "height": HEIGHT, "ticks": ticks, "x_labels": x_labels,
        "bars": bars, "lines": lines, "table": table, "categories": categories,
        "series": series, "axis_x": (mirror(LEFT), mirror(WIDTH - RIGHT)),
        "axis_y": (TOP, TOP + plot_h), "y_axis_at": mirror(LEFT),
        "tick_anchor": "start" if rtl else "end",
    }

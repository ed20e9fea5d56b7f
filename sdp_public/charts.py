"""Accessible charts drawn on the server: SVG with <title> and <desc>, and the data table.

No JavaScript and no chart library: a bar or line chart is a few rectangles and lines.
The geometry is computed here; templates/public/_chart.html draws it.

Each chart is laid out twice: a wide drawing (640 units across) and a narrow one (300
units, bars drawn sideways one category under another) that the stylesheet shows when
the chart's box is under 560 CSS px. Labels are 14 units high, so neither drawing puts
a label on screen smaller than 12 CSS px at any width from 258 px up.

Direction is a parameter: a chart follows the text it belongs to (English fallback
content is left to right even on an Arabic page). A right-to-left chart is mirrored as a
whole: value axis on the right, first category on the right, bars growing leftwards in
the narrow drawing. The SVG carries the same direction, so text-anchor "start"/"end"
are logical (start is the right-hand edge in a right-to-left chart).
"""
import math
import textwrap
from dataclasses import dataclass, field
from decimal import Decimal

from babel.numbers import format_decimal, format_percent

WIDTH, HEIGHT = 640, 340
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 64
NARROW_WIDTH = 300
FONT = 14          # label size in SVG units (templates use this; the stylesheet sets it too)
LINE = 18          # one line of label text, in SVG units
CHAR = 7.5         # about one character's advance at 14 units


@dataclass
class Mark:
    x: float
    y: float
    w: float = 0
    h: float = 0
    series: int = 0
    label: str = ""
    lines: list = field(default_factory=list)  # a label wrapped to fit its slot
    anchor: str = "middle"


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


def _direction(direction, rtl):
    if rtl is not None:  # the older keyword, still accepted
        direction = "rtl" if rtl else "ltr"
    if direction not in ("ltr", "rtl"):
        raise ValueError(f"direction must be 'ltr' or 'rtl', not {direction!r}")
    return direction


def layout(chart, locale, direction="ltr", *, rtl=None):
    """Everything the template needs to draw one chart, in the given text direction."""
    direction = _direction(direction, rtl)
    categories = [str(c) for c in chart["categories"]]
    series = chart["series"]
    unit = chart.get("unit", "")
    top_value = _nice_ceiling(max(max(s["values"]) for s in series))
    geometry = _vertical(chart, categories, series, unit, top_value, locale, direction == "rtl")
    if chart.get("type", "bar") == "bar":
        narrow = _sideways(categories, series, unit, top_value, locale, direction == "rtl")
    else:  # a line over time stays upright, just narrower
        narrow = _vertical(chart, categories, series, unit, top_value, locale, direction == "rtl",
                           width=NARROW_WIDTH)
    geometry.update(
        dir=direction, narrow=narrow, categories=categories, series=series,
        table=[[format_value(v, unit, locale) for v in s["values"]] for s in series],
    )
    return geometry


def _vertical(chart, categories, series, unit, top_value, locale, rtl, width=WIDTH):
    """Categories along the bottom, values up the side (the value axis on the reading start)."""
    tick_labels = [format_value(round(top_value * i / 5, 6), unit, locale) for i in range(6)]
    left = max(LEFT, 16 + CHAR * max(len(t) for t in tick_labels)) if width != WIDTH else LEFT
    slot_guess = (width - left - RIGHT) / len(categories)
    per_line = max(6, int(slot_guess / CHAR))
    wrapped = [textwrap.wrap(c, per_line) or [c] for c in categories]
    # room under the axis for the longest wrapped label (the wide drawing keeps its 64)
    bottom = max(BOTTOM, 28 + LINE * max(len(w) for w in wrapped))
    height = (HEIGHT - BOTTOM) + bottom
    plot_w, plot_h = width - left - RIGHT, height - TOP - bottom
    slot = plot_w / len(categories)

    def y_of(v):
        return TOP + plot_h - (v / top_value) * plot_h

    def mirror(x):
        return width - x if rtl else x

    # "end": the label's end touches the axis (its right edge in ltr, its left edge in rtl)
    ticks = [Mark(x=mirror(left - 8), y=y_of(top_value * i / 5), label=tick_labels[i], anchor="end")
             for i in range(6)]
    x_labels = [Mark(x=mirror(left + slot * (i + 0.5)), y=height - bottom + 20, label=c, lines=wrapped[i])
                for i, c in enumerate(categories)]
    bars, lines = [], []
    if chart.get("type", "bar") == "bar":
        inner = slot * 0.8
        bar_w = inner / len(series)
        for s_index, s in enumerate(series):
            for c_index, v in enumerate(s["values"]):
                x = left + slot * c_index + slot * 0.1 + bar_w * s_index
                if rtl:
                    x = width - x - bar_w
                bars.append(Mark(x=x, y=y_of(v), w=bar_w, h=y_of(0) - y_of(v), series=s_index,
                                 label=f"{s['name']}, {categories[c_index]}: {format_value(v, unit, locale)}"))
    else:
        for s_index, s in enumerate(series):
            points = [Mark(x=mirror(left + slot * (i + 0.5)), y=y_of(v), series=s_index,
                           label=f"{s['name']}, {categories[i]}: {format_value(v, unit, locale)}")
                      for i, v in enumerate(s["values"])]
            lines.append({"series": s_index, "points": points,
                          "path": " ".join(f"{p.x:.1f},{p.y:.1f}" for p in points)})
    return {
        "kind": "vertical", "width": width, "height": height, "ticks": ticks, "x_labels": x_labels,
        "bars": bars, "lines": lines, "grid": [("h", t.y) for t in ticks],
        "axis_x": (mirror(left), mirror(width - RIGHT)), "axis_y": (TOP, TOP + plot_h),
        "y_axis_at": mirror(left), "tick_anchor": "end",
    }


def _sideways(categories, series, unit, top_value, locale, rtl, width=NARROW_WIDTH):
    """Bars drawn across, each category's name on its own line(s) above its bars.

    For a narrow screen: names are never squeezed into a slot a few characters wide."""
    pad = 8
    plot_l, plot_r = pad + 1, width - pad - 12  # room for the top tick's label to end
    plot_w = plot_r - plot_l
    per_line = int((width - 2 * pad - 4) / CHAR)
    bar_h, bar_gap, group_gap = 20, 4, 14

    def mirror(x):
        return width - x if rtl else x

    def x_of(v):
        return plot_l + (v / top_value) * plot_w

    y = 6
    x_labels, bars = [], []
    for c_index, c in enumerate(categories):
        wrapped = textwrap.wrap(c, per_line) or [c]
        x_labels.append(Mark(x=mirror(plot_l + 4), y=y + FONT, label=c, lines=wrapped, anchor="start"))
        y += LINE * len(wrapped) + 4
        for s_index, s in enumerate(series):
            v = s["values"][c_index]
            w = x_of(v) - plot_l
            x = mirror(plot_l) - w if rtl else plot_l
            bars.append(Mark(x=x, y=y, w=w, h=bar_h, series=s_index,
                             label=f"{s['name']}, {c}: {format_value(v, unit, locale)}"))
            y += bar_h + bar_gap
        y += group_gap - bar_gap
    plot_bottom = y
    # three ticks under the bars: 0 at the start, the middle, the top at the end
    ticks = [Mark(x=mirror(x_of(top_value * i / 2)), y=plot_bottom + 4 + FONT,
                  label=format_value(round(top_value * i / 2, 6), unit, locale),
                  anchor=("start", "middle", "end")[i]) for i in range(3)]
    return {
        "kind": "sideways", "width": width, "height": plot_bottom + 4 + FONT + 8,
        "ticks": ticks, "x_labels": x_labels, "bars": bars, "lines": [],
        "grid": [("v", t.x) for t in ticks],
        "axis_x": (mirror(plot_l), mirror(plot_r)), "axis_y": (0, plot_bottom),
        "y_axis_at": mirror(plot_l), "tick_anchor": "end",
    }

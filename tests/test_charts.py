"""The chart renderer: direction is a parameter, and both drawings keep labels whole."""
import pytest

from sdp_public import charts

BARS = {"type": "bar", "unit": "%", "categories": ["First", "Second", "Released on bail pending further investigation"],
        "series": [{"name": "A", "values": [10, 20, 30]}, {"name": "B", "values": [5, 15, 25]}]}
LINE = {"type": "line", "unit": "", "categories": ["2015/16", "2016/17", "2017/18", "2018/19"],
        "series": [{"name": "All", "values": [2861, 3214, 3353, 3605]}]}


@pytest.mark.parametrize("chart", [BARS, LINE])
def test_left_to_right_puts_the_first_category_and_the_value_axis_on_the_left(chart):
    g = charts.layout(chart, "en_GB", direction="ltr")
    assert g["dir"] == "ltr"
    xs = [m.x for m in g["x_labels"]]
    assert xs == sorted(xs) and g["y_axis_at"] < g["width"] / 2
    assert all(t.x < g["y_axis_at"] and t.anchor == "end" for t in g["ticks"])


@pytest.mark.parametrize("chart", [BARS, LINE])
def test_right_to_left_mirrors_the_whole_chart(chart):
    ltr, rtl = charts.layout(chart, "ar", direction="ltr"), charts.layout(chart, "ar", direction="rtl")
    assert rtl["dir"] == "rtl"
    xs = [m.x for m in rtl["x_labels"]]
    assert xs == sorted(xs, reverse=True)  # first category on the right
    assert rtl["y_axis_at"] > rtl["width"] / 2  # value axis on the right
    # tick labels beyond the axis, on the outside: "end" is their left edge in an rtl SVG
    assert all(t.x > rtl["y_axis_at"] and t.anchor == "end" for t in rtl["ticks"])
    for a, b in zip(ltr["bars"], rtl["bars"]):  # every bar is the mirror image of its ltr twin
        assert b.x == pytest.approx(ltr["width"] - a.x - a.w) and b.h == a.h and b.label == a.label
    assert [m.label for m in ltr["x_labels"]] == [m.label for m in rtl["x_labels"]]


def test_the_older_rtl_keyword_still_works_and_a_bad_direction_is_refused():
    assert charts.layout(BARS, "ar", rtl=True)["dir"] == "rtl"
    with pytest.raises(ValueError):
        charts.layout(BARS, "en_GB", direction="up")


@pytest.mark.parametrize("direction", ["ltr", "rtl"])
def test_the_narrow_drawing_of_a_bar_chart_is_sideways_and_mirrors_too(direction):
    g = charts.layout(BARS, "en_GB", direction=direction)["narrow"]
    assert g["kind"] == "sideways" and g["width"] == charts.NARROW_WIDTH
    # categories one under another, each name whole (wrapped, never cut short)
    ys = [m.y for m in g["x_labels"]]
    assert ys == sorted(ys)
    assert [" ".join(m.lines) for m in g["x_labels"]] == BARS["categories"]
    starts = {round(b.x + b.w, 1) if direction == "rtl" else round(b.x, 1) for b in g["bars"]}
    assert len(starts) == 1  # every bar grows from the same baseline...
    baseline = starts.pop()
    assert (baseline > g["width"] / 2) == (direction == "rtl")  # ...on the reading start side
    assert g["ticks"][0].label == "0%" and g["ticks"][0].anchor == "start"


def test_long_category_names_are_never_cut_short_in_the_wide_drawing():
    chart = {**BARS, "categories": ["Charged", "Released without charge",
                                    "Released on bail pending further investigation", "Alternative action",
                                    "Pending when the data was provided"],
             "series": [{"name": "Arrests", "values": [102, 99, 23, 17, 32]}]}
    g = charts.layout(chart, "en_GB")
    assert [" ".join(m.lines) for m in g["x_labels"]] == chart["categories"]
    lowest = max(m.y + 18 * (len(m.lines) - 1) for m in g["x_labels"])
    assert lowest < g["height"]

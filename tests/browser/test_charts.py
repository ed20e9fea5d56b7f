"""Charts and data tables on a phone and a desktop, in English and right-to-left.

One browser context for the module; the viewport changes between measurements (the
stylesheet picks a chart drawing by the figure's own width, so no reload is needed).
"""
import pytest
from flask import g, render_template

from sdp_public import charts, languages

pytestmark = [pytest.mark.browser, pytest.mark.db]

CHART_PAGES = ["alcohol-and-substance-misuse", "cyber-crime", "prevent", "protecting-victims",
               "reducing-reoffending", "safe-communities"]
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 800}

# Each visible chart label: its font size times the SVG's scale on screen, and its box.
LABEL_SIZES = """() => [...document.querySelectorAll('figure.sdp-chart')].map(figure => {
  const shown = [...figure.querySelectorAll('svg')].filter(svg => svg.checkVisibility());
  const texts = shown.flatMap(svg => [...svg.querySelectorAll('text')]);
  return {id: figure.id, drawings: shown.length, labels: texts.map(t => {
    const m = t.getScreenCTM();
    return {text: t.textContent.trim(), size: parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b),
            height: t.getBoundingClientRect().height};
  })};
})"""

TABLES = """() => [...document.querySelectorAll('main table')].map(table => {
  const region = table.closest('.sdp-table-scroll');
  const hint = table.closest('.sdp-table')?.querySelector('.sdp-table__hint');
  const box = hint && hint.getBoundingClientRect();
  return {
    width: table.getBoundingClientRect().width,
    region: region && {role: region.getAttribute('role'), tabindex: region.getAttribute('tabindex'),
                       label: region.getAttribute('aria-label') || region.getAttribute('aria-labelledby'),
                       overflows: region.scrollWidth > region.clientWidth,
                       scrolls: getComputedStyle(region).overflowX},
    hint: Boolean(hint && hint.checkVisibility() && box.height >= 12 && box.width > 0),
  };
})"""

CAPTION_IN_VIEW = """figure => {
  const caption = figure.querySelector('caption'), region = caption.closest('.sdp-table-scroll');
  const range = document.createRange(); range.selectNodeContents(caption);
  const text = range.getBoundingClientRect(), box = region.getBoundingClientRect();
  return region.scrollWidth > region.clientWidth && text.width > 0
    && text.left >= box.left - 1 && text.right <= box.right + 1;
}"""
NEXT_FRAME = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


@pytest.fixture(scope="module")
def tab(browser):
    context = browser.new_context(viewport=PHONE)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_every_chart_label_is_drawn_at_12px_or_more_on_a_phone_and_a_desktop(tab, live_server, lang):
    small = []
    for slug in CHART_PAGES:
        tab.set_viewport_size(PHONE)
        tab.goto(f"{live_server}/{lang}/plan/{slug}")
        for viewport in (PHONE, DESKTOP):
            tab.set_viewport_size(viewport)
            figures = tab.evaluate(LABEL_SIZES)
            assert figures, slug
            for figure in figures:
                assert figure["drawings"] == 1, (slug, figure["id"], viewport)  # one drawing shown
                assert len(figure["labels"]) >= 3, (slug, figure["id"])
                small += [(slug, viewport["width"], label["text"], round(label["size"], 1))
                          for label in figure["labels"] if label["size"] < 12 or label["height"] < 12]
    assert small == []


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_wide_tables_scroll_in_a_labelled_region_with_a_cue_and_the_page_never_does(tab, live_server, lang):
    overflowing_tables = 0
    for width in (320, 390):
        tab.set_viewport_size({"width": width, "height": 800})
        for slug in ["", *CHART_PAGES]:
            tab.goto(f"{live_server}/{lang}/plan/{slug}")
            tab.evaluate(NEXT_FRAME)  # scroll timelines (which open the hint) start on a frame
            assert tab.evaluate("document.documentElement.scrollWidth <= innerWidth"), (slug, width)
            for table in tab.evaluate(TABLES):
                region = table["region"]
                assert region and region["role"] == "region" and region["tabindex"] == "0", (slug, width)
                assert region["label"] and region["scrolls"] == "auto", (slug, width)
                # the cue is there exactly when there is more table to scroll to
                assert table["hint"] == region["overflows"], (slug, width, table)
                overflowing_tables += region["overflows"]
    assert overflowing_tables  # the plan's three-column tables do not fit 320px


def test_english_fallback_charts_on_an_arabic_page_read_left_to_right(tab, live_server):
    tab.set_viewport_size(DESKTOP)
    tab.goto(f"{live_server}/ar/plan/reducing-reoffending")
    assert tab.evaluate("document.documentElement.dir") == "rtl"
    figure = tab.locator("figure.sdp-chart").first
    assert figure.get_attribute("dir") == "ltr" and figure.get_attribute("lang") == "en"
    assert figure.evaluate("f => getComputedStyle(f.querySelector('table')).direction") == "ltr"
    assert _positions(figure) == {"first_category_left": True, "axis_left": True}
    # the data table's first column (the series names) is on the left, numbers aligned right
    row = figure.locator("tbody tr").first
    assert row.locator("th").bounding_box()["x"] < row.locator("td").first.bounding_box()["x"]
    assert figure.evaluate("f => getComputedStyle(f.querySelector('tbody td')).textAlign") in ("end", "right")
    tab.set_viewport_size(PHONE)  # the narrow drawing: bars start from the left
    assert _sideways(figure) == {"labels_left": True, "bars_from_left": True}
    # the table's Arabic caption is in view where the (left-to-right) table starts
    assert figure.evaluate(CAPTION_IN_VIEW)


def test_a_chart_in_right_to_left_content_is_mirrored_as_a_whole(tab, live_server, app):
    chart = {"title": "t", "description": "d", "type": "bar", "unit": "%",
             "categories": ["أول", "ثان", "ثالث"],
             "series": [{"name": "أ", "values": [10, 20, 30]}, {"name": "ب", "values": [5, 15, 25]}]}
    with app.test_request_context("/ar/plan/"):
        g.lang = languages.get("ar")
        html = render_template("public/_chart.html", chart=chart, chart_id="rtl", chart_lang="ar",
                               geometry=charts.layout(chart, "ar", direction="rtl"))
    tab.set_viewport_size(DESKTOP)
    tab.goto(f"{live_server}/ar/plan/")  # genuinely Arabic content, right-to-left stylesheet
    tab.evaluate("html => document.querySelector('.sdp-content').insertAdjacentHTML('afterbegin', html)", html)
    figure = tab.locator("figure#chart-rtl")
    assert figure.get_attribute("dir") == "rtl"
    assert _positions(figure) == {"first_category_left": False, "axis_left": False}
    # the key reads right to left too: first series on the right
    keys = figure.locator(".sdp-chart__key li")
    assert keys.nth(0).bounding_box()["x"] > keys.nth(1).bounding_box()["x"]
    # within each category the first series' bar is to the right of the second's
    bars = figure.locator("svg.sdp-chart__svg--wide rect")
    assert bars.nth(0).bounding_box()["x"] > bars.nth(3).bounding_box()["x"]
    # the data table: the series names on the right of the numbers
    row = figure.locator("tbody tr").first
    assert row.locator("th").bounding_box()["x"] > row.locator("td").first.bounding_box()["x"]
    tab.set_viewport_size(PHONE)
    assert _sideways(figure) == {"labels_left": False, "bars_from_left": False}


def _positions(figure):
    """Where the first category and the value axis are, in the wide drawing on screen."""
    svg = figure.locator("svg.sdp-chart__svg--wide")
    categories = svg.locator("text.sdp-chart__category")
    first, last = categories.first.bounding_box(), categories.last.bounding_box()
    axis, box = svg.locator(".sdp-chart__value-axis").bounding_box(), svg.bounding_box()
    ticks = [t.bounding_box() for t in svg.locator("text.sdp-chart__tick").all()]
    axis_left = axis["x"] < box["x"] + box["width"] / 2
    # tick labels sit outside the plot, beside the axis, never over the bars
    if axis_left:
        assert all(t["x"] + t["width"] <= axis["x"] + 1 for t in ticks)
    else:
        assert all(t["x"] >= axis["x"] - 1 for t in ticks)
    assert first["x"] != last["x"]
    return {"first_category_left": first["x"] < last["x"], "axis_left": axis_left}


def _sideways(figure):
    svg = figure.locator("svg.sdp-chart__svg--narrow")
    assert svg.is_visible() and not figure.locator("svg.sdp-chart__svg--wide").is_visible()
    box = svg.bounding_box()
    label = svg.locator("text.sdp-chart__category").first.bounding_box()
    bar = svg.locator("rect").first.bounding_box()
    middle = box["x"] + box["width"] / 2
    return {"labels_left": label["x"] < middle, "bars_from_left": bar["x"] < middle}

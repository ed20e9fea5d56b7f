"""Arabic and Urdu pages read right to left: document, form controls, back link, Exit this page."""
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.db]


def geometry(page, selector):
    return page.eval_on_selector(selector, "e => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right} }")


@pytest.mark.parametrize("code, direction", [("ar", "rtl"), ("ur", "rtl"), ("en", "ltr"), ("pl", "ltr")])
def test_layout_follows_the_reading_direction(browser, live_server, code, direction):
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    rtl = direction == "rtl"

    page.goto(f"{live_server}/{code}/support/")
    assert page.evaluate("document.documentElement.dir") == direction
    assert page.evaluate("getComputedStyle(document.body).direction") == direction
    # Exit this page sits at the reading end of the line: the right in English, the left in Arabic
    button = geometry(page, ".govuk-exit-this-page__button")
    assert (button["left"] < 512) if rtl else (button["right"] > 512)
    # checkboxes: the box comes before its label in reading order
    box = geometry(page, ".govuk-checkboxes__item:first-child .govuk-checkboxes__input")
    label = geometry(page, ".govuk-checkboxes__item:first-child .govuk-checkboxes__label")
    assert (box["left"] > label["left"]) if rtl else (box["left"] < label["left"])

    page.goto(f"{live_server}/{code}/business/cyber-essentials/check")
    with page.expect_navigation():  # wait for the question page, not just the click
        page.click("main a.govuk-button--start")
    radio = geometry(page, ".govuk-radios__item:first-child .govuk-radios__input")
    radio_label = geometry(page, ".govuk-radios__item:first-child .govuk-radios__label")
    assert (radio["left"] > radio_label["left"]) if rtl else (radio["left"] < radio_label["left"])
    assert page.eval_on_selector(".govuk-radios__input", "e => getComputedStyle(e).direction") == direction
    # the back link's chevron points the way back: to the right in a right-to-left page
    padding = page.eval_on_selector(".govuk-back-link", "e => [getComputedStyle(e).paddingLeft, getComputedStyle(e).paddingRight]")
    left, right = (float(p.removesuffix("px")) for p in padding)
    assert (right > left) if rtl else (left > right)
    main_column = geometry(page, "main h1")
    assert (main_column["right"] > 512) if rtl else (main_column["left"] < 512)
    context.close()


@pytest.mark.parametrize("code, mirrored", [("ar", True), ("ur", True), ("en", False)])
def test_the_start_buttons_arrow_points_the_way_the_reader_reads(page, live_server, code, mirrored):
    page.goto(f"{live_server}/{code}/report/hate-incident/")
    transform = page.eval_on_selector(".govuk-button__start-icon", "e => getComputedStyle(e).transform")
    assert (transform.startswith("matrix(-1")) is mirrored, transform

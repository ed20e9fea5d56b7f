"""At 320 CSS pixels wide (400% zoom) and 640 (200% zoom) no page scrolls sideways."""
import pytest

from sdp_public import languages

pytestmark = [pytest.mark.browser, pytest.mark.db]


@pytest.mark.parametrize("width", [320, 640])
@pytest.mark.parametrize("code", [lang.code for lang in languages.LANGUAGES])
def test_no_horizontal_scrolling(browser, live_server, public_paths, code, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    overflowing = {}
    for path in public_paths[code]:
        page.goto(live_server + path)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            overflowing[path] = scroll_width
    context.close()
    assert overflowing == {}

"""Every script we publish renders in a font that has its glyphs: Chromium reports which
platform fonts drew each element's text, so a page that fell back to a font without
Gurmukhi (empty boxes) or drew Urdu in Naskh rather than Nastaliq fails here."""
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.db]

EXPECTED = {
    "ar": "Noto Naskh Arabic",
    "ur": "Noto Nastaliq Urdu",
    "pa": "Noto Sans Gurmukhi",
    "bn": "Noto Sans Bengali",
    "hi": "Noto Sans Devanagari",
    "zh-hant": "Noto Sans CJK TC",
}
PAGES = ["/", "/report/hate-incident/"]


def fonts_for(cdp, selector):
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    assert node, selector
    return {f["familyName"]: f["glyphCount"] for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]}


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_the_page_is_drawn_in_a_font_for_its_script(page, live_server, code, path):
    page.goto(f"{live_server}/{code}{path}")
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    for selector in ("h1", ".sdp-content p", ".sdp-languages__list"):
        fonts = fonts_for(cdp, selector)
        if selector == ".sdp-languages__list":
            # the switcher names each language in its own script: all of them must render
            for family in set(EXPECTED.values()) - {"Noto Nastaliq Urdu"}:
                assert any(name.startswith(family.rsplit(" ", 1)[0]) for name in fonts), (family, fonts)
            continue
        main_font = max(fonts, key=fonts.get)
        assert main_font == EXPECTED[code], (selector, fonts)

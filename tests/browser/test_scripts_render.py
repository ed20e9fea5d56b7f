"""Every script we publish renders in a font that has its glyphs: Chromium reports which
platform fonts drew each element's text, so a page whose Gurmukhi fell back to a font
without it (empty boxes), or whose Urdu was drawn in Naskh rather than Nastaliq, fails."""
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
SCRIPT = {  # the Unicode blocks of each language's script
    "ar": [(0x0600, 0x06FF), (0x0750, 0x077F), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)],
    "pa": [(0x0A00, 0x0A7F)], "bn": [(0x0980, 0x09FF)], "hi": [(0x0900, 0x097F)],
    "zh-hant": [(0x3000, 0x303F), (0x4E00, 0x9FFF), (0xFF00, 0xFFEF)],
}
SCRIPT["ur"] = SCRIPT["ar"]
PAGES = ["/", "/report/hate-incident/"]


def script_characters(text, code):
    return sum(any(low <= ord(ch) <= high for low, high in SCRIPT[code]) for ch in text)


def drawn_by(cdp, selector):
    """{font family: glyphs drawn} for the element's own text, and that text."""
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    if not node:
        return None, ""
    fonts = {f["familyName"]: f["glyphCount"] for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]}
    object_id = cdp.send("DOM.resolveNode", {"nodeId": node})["object"]["objectId"]
    text = cdp.send("Runtime.callFunctionOn", {"objectId": object_id, "returnByValue": True,
                                               "functionDeclaration": "function () { return this.textContent }"})
    return fonts, text["result"]["value"]


def assert_script_font(fonts, text, code, where):
    wanted = script_characters(text, code)
    if not wanted:
        return
    # Every character of the script is drawn by the script's font (shaping can merge or
    # split glyphs, so compare loosely); Latin words (names of services) may use another.
    assert fonts.get(EXPECTED[code], 0) >= 0.3 * wanted, (where, wanted, fonts)
    others = {name: n for name, n in fonts.items() if name != EXPECTED[code]}
    latin = sum(ch.isascii() for ch in text)  # letters, digits, spaces and punctuation
    assert sum(others.values()) <= latin + 5, (where, fonts)


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_the_page_is_drawn_in_a_font_for_its_script(page, live_server, code, path):
    page.goto(f"{live_server}/{code}{path}")
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    for selector in ("h1", ".sdp-content p", ".govuk-inset-text p"):
        fonts, html = drawn_by(cdp, selector)
        assert fonts is not None, selector
        assert_script_font(fonts, html, code, f"{code}{path} {selector}")
    # the language switcher names every language in its own script: all of them render
    page.click(".sdp-languages__toggle")  # (a closed disclosure draws nothing)
    for other in EXPECTED:
        fonts, html = drawn_by(cdp, f'.sdp-languages__list [lang="{other}"]')
        assert fonts, other
        assert_script_font(fonts, html, other, f"switcher on {code}{path}: {other}")

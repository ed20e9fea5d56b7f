"""The page furniture stays out of the way: the first heading is on a phone's first screen in
every language, no two lines of header text collide (Urdu Nastaliq included), the header
does not move when a page has "Exit this page", and the language control works without
JavaScript.

One browser context per language, shared by the tests of this module (the viewport is
changed in place), so the whole file runs in well under a minute.
"""
import pytest

from sdp_public import languages

pytestmark = [pytest.mark.browser, pytest.mark.db]
CODES = [lang.code for lang in languages.LANGUAGES]
PHONE = {"width": 390, "height": 844}
# the home page, a content page with Exit this page, a report's start page
FIRST_SCREEN_PATHS = ["/", "/campaigns/hate-hurts", "/report/hate-incident/"]

# Every visible line of text in the header, as one rect per line box fragment, with the
# index of the text node it belongs to. Hidden text is left out: the closed list of languages
# (checkVisibility) and the visually hidden search label (a 1 px box its text overflows).
# A rect is the font's whole ascent-to-descent box, not the ink: Nastaliq's is 2.5 em tall.
HEADER_TEXT_RECTS = """() => {
  const walker = document.createTreeWalker(document.querySelector('header'), NodeFilter.SHOW_TEXT);
  const rects = [];
  let index = 0;
  for (let node = walker.nextNode(); node; node = walker.nextNode(), index++) {
    const parent = node.parentElement, box = parent.getBoundingClientRect();
    if (!node.textContent.trim() || !parent.checkVisibility() || box.width <= 1 || box.height <= 1) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.width > 1 && r.height > 1) {
        rects.push({node: index, text: node.textContent.trim().slice(0, 30),
                    left: r.left, right: r.right, top: r.top, bottom: r.bottom});
      }
    }
  }
  return rects;
}"""


@pytest.fixture(scope="module")
def language_page(browser):
    """A page per language code, opened once for the module."""
    contexts = {}

    def get(code):
        if code not in contexts:
            contexts[code] = browser.new_context(viewport=PHONE).new_page()
        return contexts[code]
    yield get
    for page in contexts.values():
        page.context.close()


def collisions(rects):
    """Pairs of text rects from different text nodes that overlap by more than 1 px both ways."""
    found = []
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            if a["node"] == b["node"]:
                continue
            across = min(a["right"], b["right"]) - max(a["left"], b["left"])
            down = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
            if across > 1 and down > 1:
                found.append((a["text"], b["text"], round(across), round(down)))
    return found


@pytest.mark.parametrize("code", CODES)
def test_the_first_heading_is_on_a_phones_first_screen(language_page, live_server, code):
    page = language_page(code)
    page.set_viewport_size(PHONE)
    tops = {}
    for path in FIRST_SCREEN_PATHS:
        page.goto(f"{live_server}/{code}{path}")
        tops[path] = page.eval_on_selector("main h1", "e => e.getBoundingClientRect().top")
    assert all(top < 400 for top in tops.values()), tops
    # the thirteen language names are behind one control, not on the first screen
    assert not page.is_visible(".sdp-languages__list")


@pytest.mark.parametrize("code", CODES)
def test_no_two_lines_of_header_text_overlap(language_page, live_server, code):
    page = language_page(code)
    url = f"{live_server}/{code}/report/hate-incident/"
    if page.url != url:  # (the first-screen test has usually just loaded it)
        page.goto(url)
    for width in (320, 390, 1280):
        page.set_viewport_size({"width": width, "height": 844})
        rects = page.evaluate(HEADER_TEXT_RECTS)
        texts = {r["text"] for r in rects}
        assert len({r["node"] for r in rects}) >= 4, (width, texts)  # tagline, name, search, Language at least
        assert collisions(rects) == [], (code, width)
    # and opened, the thirteen names (each in its own script) do not collide either
    page.set_viewport_size(PHONE)
    page.click(".sdp-languages__toggle")
    try:
        rects = page.evaluate(HEADER_TEXT_RECTS)
        assert len({r["node"] for r in rects}) >= 4 + 12
        assert collisions(rects) == [], (code, "open")
    finally:
        page.click(".sdp-languages__toggle")


@pytest.mark.parametrize("code, body, headings", [("ur", 1.8, 1.7), ("ar", 1.5, 1.3)])
def test_arabic_script_lines_have_room(language_page, live_server, code, body, headings):
    """Nastaliq's tall ascenders and deep descenders touch at Latin line spacing."""
    page = language_page(code)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/{code}/campaigns/hate-hurts")
    ratio = "e => parseFloat(getComputedStyle(e).lineHeight) / parseFloat(getComputedStyle(e).fontSize)"
    for selector, least in (("main .sdp-content p", body), (".sdp-header__tagline", body), ("main h1", headings)):
        assert page.eval_on_selector(selector, ratio) >= least, selector


def test_the_header_does_not_move_for_exit_this_page(language_page, live_server):
    page = language_page("en")
    geometry = """() => {
      const box = s => { const r = document.querySelector(s).getBoundingClientRect();
                         return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
      const exit = document.querySelector('.govuk-exit-this-page');
      return {inner: box('.sdp-header__inner'), header: box('header'),
              exit: exit && box('.govuk-exit-this-page'),
              next: exit && exit.nextElementSibling.getBoundingClientRect().top};
    }"""
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 844})
        page.goto(f"{live_server}/en/")
        without = page.evaluate(geometry)
        page.goto(f"{live_server}/en/report/hate-incident/")
        with_exit = page.evaluate(geometry)
        assert without["exit"] is None and with_exit["exit"] is not None
        for part in ("inner", "header"):
            assert with_exit[part]["left"] == without[part]["left"], (width, part)
            assert with_exit[part]["right"] == without[part]["right"], (width, part)
        # no band between the red strip and the header: the next element starts where it ends
        assert abs(with_exit["next"] - with_exit["exit"]["bottom"]) < 0.5, width
        assert with_exit["exit"]["top"] == 0, width


def test_the_language_control_works_without_javascript(page_without_js, live_server):
    page = page_without_js
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/en/campaigns/hate-hurts")
    polski = page.locator(".sdp-languages a[hreflang=pl]")
    assert polski.get_attribute("lang") == "pl"
    assert not polski.is_visible()
    page.click(".sdp-languages__toggle")
    assert polski.is_visible()
    with page.expect_navigation():
        page.click("text=Polski")
    assert page.url == f"{live_server}/pl/campaigns/hate-hurts"
    assert page.evaluate("document.documentElement.lang") == "pl"
    # search engines still find every version from the head
    hreflangs = page.eval_on_selector_all("head link[rel=alternate]", "els => els.map(e => e.hreflang)")
    assert set(hreflangs) == set(CODES) | {"x-default"}

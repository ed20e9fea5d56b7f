"""A reader in any of the thirteen languages reaches every public page, laid out for it."""
import pytest
from bs4 import BeautifulSoup

from sdp_public import languages
from sdp_public.public.pages import public_endpoints

ALL_CODES = [lang.code for lang in languages.LANGUAGES]


def public_urls(app, code):
    with app.test_request_context():
        from flask import url_for
        return [url_for(endpoint, lang=code, **args) for endpoint, args in public_endpoints()]


@pytest.mark.parametrize("code", ALL_CODES)
def test_every_public_page_is_served_in_every_language_with_lang_and_dir(app, get, code):
    lang = languages.get(code)
    urls = public_urls(app, code)
    assert len(urls) == 24  # DESIGN.md's table plus /request/awareness-session/
    for url in urls:
        page = get(url)
        assert page.html_attr("lang") == code, url
        assert page.html_attr("dir") == lang.dir, url
        hreflangs = {link["hreflang"] for link in page.soup.select('link[rel="alternate"][hreflang]')}
        assert hreflangs == set(ALL_CODES) | {"x-default"}, url
        assert page.h1, url
        assert page.soup.find("main", id="main-content"), url


def test_the_design_url_table_is_served(get):
    for url in ["/en/", "/en/plan/", "/en/plan/safe-communities", "/en/plan/protecting-victims", "/en/plan/prevent",
                "/en/plan/reducing-reoffending", "/en/plan/alcohol-and-substance-misuse", "/en/plan/cyber-crime",
                "/en/campaigns/hate-hurts", "/en/campaigns/friends-against-scams", "/en/staying-safe-online",
                "/en/business/cyber-essentials", "/en/business/cyber-essentials/check", "/en/support/",
                "/en/report/hate-incident/", "/en/report/scam-or-cyber-fraud/",
                "/en/request/translation-or-format/", "/en/track", "/en/accessibility", "/en/privacy",
                "/en/cookies", "/en/leave-this-site-safely", "/healthz", "/sitemap.xml", "/robots.txt"]:
        get(url)


@pytest.mark.parametrize("header, expected", [
    ("ar,en;q=0.5", "/ar/"),
    ("zh-TW,zh;q=0.9", "/zh-hant/"),
    ("zh-Hant-HK", "/zh-hant/"),
    ("pa-IN", "/pa/"),
    ("ur-PK,ur;q=0.9,en;q=0.8", "/ur/"),
    ("ms-MY", "/ms/"),
    ("ja-JP", "/en/"),
    ("", "/en/"),
    ("\u00ff\u00fe;;;q=abc,,", "/en/"),
    ("x" * 5000, "/en/"),
])
def test_the_root_picks_a_language_from_the_browser(client, header, expected):
    response = client.get("/", headers={"Accept-Language": header})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(expected)
    assert "Accept-Language" in response.headers["Vary"]


@pytest.mark.parametrize("prefix", ["xx", "EN", "zh", "zh-hans", "en-gb", "..", "%F0%9F%98%80", "%ff%fe"])
def test_an_unknown_language_is_a_404_that_lists_the_languages(get, prefix):
    page = get(f"/{prefix}/plan/", status=404)
    listed = {a.get("hreflang") for a in page.soup.select("main a[hreflang]")}
    assert listed == set(ALL_CODES)
    for lang in languages.LANGUAGES:
        assert lang.name in page.text


def test_the_language_switcher_names_each_language_in_itself_and_keeps_the_page(get):
    page = get("/en/plan/prevent")
    switcher = page.soup.select_one("details.sdp-languages nav")  # a disclosure, so it opens without JavaScript
    current = switcher.find(attrs={"aria-current": "true"})
    assert current.get_text(strip=True) == "English"
    links = {a["hreflang"]: a for a in switcher.find_all("a")}
    assert links["ar"]["href"] == "/ar/plan/prevent"
    assert links["ar"].get_text(strip=True) == "العربية" and links["ar"]["dir"] == "rtl"
    assert links["zh-hant"].get_text(strip=True) == "中文（繁體）"
    assert links["pa"].get_text(strip=True) == "ਪੰਜਾਬੀ"


@pytest.mark.parametrize("code", [c for c in ALL_CODES if c != "en"])
def test_the_interface_is_in_the_readers_language(get, code):
    page = get(f"/{code}/")
    english = get("/en/")
    for selector in ("a.govuk-skip-link", ".sdp-emergency", "footer .govuk-footer__inline-list", "h2"):
        ours, theirs = page.soup.select_one(selector), english.soup.select_one(selector)
        assert ours.get_text(" ", strip=True) != theirs.get_text(" ", strip=True), (code, selector)
    assert "999" in page.soup.select_one(".sdp-emergency").get_text()


def test_right_to_left_pages_load_the_mirrored_stylesheet(get):
    for code in ("ar", "ur"):
        page = get(f"/{code}/")
        assert "/app.rtl." in page.soup.find("link", rel="stylesheet")["href"]
    assert "/app.rtl." not in get("/en/").soup.find("link", rel="stylesheet")["href"]


def test_phone_numbers_and_addresses_keep_their_order_in_right_to_left_pages(get):
    """Without dir="ltr", 03000 260 000 shows as 000 260 03000 in Arabic and Urdu."""
    page = get("/ar/request/translation-or-format/")
    # links that show the number or address itself (not "tell us about a mistake")
    links = [a for a in page.soup.select('a[href^="tel:"], a[href^="mailto:"]')
             if any(ch.isdigit() or ch == "@" for ch in a.get_text())]
    assert len(links) >= 4  # footer and content
    assert all(a.get("dir") == "ltr" for a in links)
    support = get("/ur/support/")
    assert all(a.get("dir") == "ltr" for a in support.soup.select('main a[href^="tel:"], main a[href^="https:"]'))


def test_a_page_under_a_path_offers_itself_in_every_language_with_its_own_address(make_app, monkeypatch):
    monkeypatch.setenv("SDP_SITE_URL", "https://localhost/safe-durham")
    site = make_app()
    client = site.test_client()
    page = BeautifulSoup(client.get("/safe-durham/ur/report/hate-incident/", base_url="https://localhost").data,
                         "html.parser")
    links = {link["hreflang"]: link["href"] for link in page.select('link[rel="alternate"][hreflang]')}
    assert links["ar"] == "/safe-durham/ar/report/hate-incident/"
    assert links["zh-hant"] == "/safe-durham/zh-hant/report/hate-incident/"
    assert links["x-default"] == "/safe-durham/en/report/hate-incident/"
    footer = [a["href"] for a in page.select("footer a.govuk-footer__link") if a["href"].startswith("/")]
    assert footer and all(href.startswith("/safe-durham/ur/") for href in footer), footer
    assert page.select_one(".govuk-exit-this-page a")["href"] == "/safe-durham/ur/exit"
    missing = BeautifulSoup(client.get("/safe-durham/pl/no-such-page", base_url="https://localhost").data, "html.parser")
    assert {a["hreflang"]: a["href"] for a in missing.select("details.sdp-languages a")}["de"] == "/safe-durham/de/"


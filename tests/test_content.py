"""The plan, campaigns and guidance: faithful, safe, and every contact from one file."""
import re
from pathlib import Path

import frontmatter
import pytest
from bs4 import BeautifulSoup

from sdp_public.content import ContentStore
from sdp_public.public.pages import PRIORITIES

CONTENT = Path(__file__).resolve().parent.parent / "content"
PAGES = sorted(CONTENT.glob("*/**/*.md"))
CONTACT_LIKE = re.compile(r"@|https?:|www\.|\b\d[\d ]{6,}\d\b")


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(CONTENT)))
def test_pages_never_write_out_a_contact_detail(path):
    """Every phone, email and web address comes from contacts.toml, where its source is."""
    body = frontmatter.load(path).content
    assert not CONTACT_LIKE.search(body), CONTACT_LIKE.search(body).group(0)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(CONTENT)))
def test_pages_have_the_front_matter_the_site_needs(path):
    meta = frontmatter.load(path).metadata
    assert meta.get("title") and meta.get("summary") and meta.get("updated")


def test_every_contact_records_its_source_and_whether_to_confirm(app):
    contacts = app.extensions["sdp_contacts"]
    assert contacts["council"].phone == "03000 260 000"
    assert contacts["council"].email == "help@durham.gov.uk"
    for contact in contacts.values():
        assert contact.source, contact.id
        assert isinstance(contact.confirm, bool), contact.id
        if contact.url:
            assert contact.url.startswith("https://"), contact.id
        if contact.phone:
            assert re.fullmatch(r"[0-9 ]+", contact.phone), contact.id


def test_the_plan_page_gives_the_vision_partners_and_six_priorities(get):
    page = get("/en/plan/")
    assert "Durham is a county where every adult and child will feel and be safe" in page.text
    for member in ("Durham County Council", "Durham Constabulary", "HMP Durham"):
        assert member in page.text
    links = page.links()
    for slug in PRIORITIES:
        assert any(link and link.rstrip("/").endswith(slug) for link in links), slug
    assert page.soup.select("table.govuk-table")  # members and plan alignment are tables


@pytest.mark.parametrize("slug", PRIORITIES)
def test_each_priority_page_explains_why_it_matters_and_what_we_will_do(get, slug):
    page = get(f"/en/plan/{slug}")
    headings = [h.get_text(" ", strip=True).casefold() for h in page.soup.find_all(["h2", "h3"])]
    assert any("why" in h for h in headings)
    assert any("case study" in h for h in headings)
    assert any("what we will do" in h for h in headings)


def test_series_are_drawn_as_accessible_charts_with_their_data_beside_them(get):
    page = get("/en/plan/alcohol-and-substance-misuse")
    figures = page.soup.select("figure.sdp-chart")
    assert figures
    for figure in figures:
        svg = figure.find("svg")
        assert svg["role"] == "img"
        title, desc = svg.find("title"), svg.find("desc")
        assert title.get_text(strip=True) and desc.get_text(strip=True)
        assert set(svg["aria-labelledby"].split()) == {title["id"], desc["id"]}
        assert figure.find("table")
    # the drug-related incidents series from the plan, in the table beside the chart
    assert "2,861" in page.text and "3,605" in page.text


def test_charts_follow_the_direction_of_the_text_they_are_in(get):
    # /ar/plan/<priority> is English fallback: its charts read left to right, like its text
    for lang in ("en", "ar", "ur"):
        figure = get(f"/{lang}/plan/alcohol-and-substance-misuse").soup.select_one("figure.sdp-chart")
        assert figure["dir"] == "ltr" and figure["lang"] == "en", lang
        tick = figure.select_one("svg text.sdp-chart__tick")
        assert tick["text-anchor"] == "end" and float(tick["x"]) < 320, lang


def test_numbers_in_charts_are_formatted_for_the_readers_locale(get):
    tables = " ".join(t.get_text(" ") for t in get("/de/plan/alcohol-and-substance-misuse").soup.select("figure.sdp-chart table"))
    assert "3.605" in tables and "8,5" in tables  # German: . groups thousands, , marks decimals


def test_a_missing_translation_falls_back_to_english_with_a_notice_in_the_readers_language(get):
    page = get("/pl/plan/prevent")
    notice = page.soup.select_one("main .govuk-inset-text")
    assert notice is not None and notice["lang"] == "pl"
    assert notice.find("a")["href"] == "/pl/request/translation-or-format/"
    assert "This page is not yet available" not in notice.get_text()  # it is in Polish
    assert page.soup.find("h1")["lang"] == "en"


def test_links_inside_content_stay_in_the_readers_language(get):
    page = get("/fr/campaigns/hate-hurts")
    internal = [a["href"] for a in page.soup.select("main a[href]") if a["href"].startswith("/")]
    assert internal and all(href.startswith("/fr/") or href.startswith("/static/") for href in internal)


def test_contact_placeholders_become_links_from_the_contacts_file(get):
    page = get("/en/request/translation-or-format/")
    assert page.soup.find("a", href="tel:03000260000")
    assert page.soup.find("a", href="mailto:help@durham.gov.uk")
    assert "[[" not in page.html


def test_content_html_is_sanitised_and_placeholders_fail_loudly(app, tmp_path):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "evil.md").write_text(
        "---\ntitle: Evil\nsummary: x\nupdated: 2026-11-25\n---\n"
        "<script>alert(1)</script>\n\n[x](javascript:alert(1)) [y](lang:plan/)\n\n"
        "| a | b |\n|---|--:|\n| 1 | 2 |\n", encoding="utf-8")
    (tmp_path / "en" / "broken.md").write_text(
        "---\ntitle: Broken\nsummary: x\nupdated: 2026-11-25\n---\n[[contact:nobody]]\n", encoding="utf-8")
    with app.test_request_context():
        store = ContentStore(tmp_path, app.extensions["sdp_contacts"],
                             lambda name, **ctx: app.jinja_env.get_template(name).render(**ctx))
        html = str(store.page("de", "evil").html)
        soup = BeautifulSoup(html, "html.parser")
        assert soup.find("script") is None and "&lt;script&gt;" in html  # shown as text, never run
        assert all(not a["href"].startswith("javascript") for a in soup.find_all("a"))
        assert 'href="/de/plan/"' in html
        assert "style=" not in html and "govuk-table__cell--numeric" in html
        assert store.page("de", "../../etc/passwd") is None
        assert store.page("de", "evil/../evil") is None
        with pytest.raises(Exception, match="nobody"):
            store.page("en", "broken")


def test_the_support_directory_filters_by_need_without_javascript(get):
    everything = get("/en/support/")
    all_cards = everything.soup.select("main .sdp-card")
    assert len(all_cards) >= 10
    names = " ".join(c.get_text(" ") for c in all_cards)
    for service in ("Harbour", "Victim Care and Advice Service", "Friends Against Scams"):
        assert service in names
    filtered = get("/en/support/?need=scams-and-fraud")
    cards = filtered.soup.select("main .sdp-card")
    assert 0 < len(cards) < len(all_cards)
    assert filtered.soup.find("input", attrs={"value": "scams-and-fraud"}).has_attr("checked")
    urdu = get("/ur/support/")  # descriptions from content/ur/support.md, names in English
    assert not urdu.soup.select("main .sdp-card p[lang=en]")
    assert "Victim Care and Advice Service" in urdu.text
    assert any("\u0600" <= ch <= "\u06ff" for ch in urdu.soup.select_one("main .sdp-card p").get_text())
    junk = get("/en/support/?need=<script>&need=nonsense")
    assert len(junk.soup.select("main .sdp-card")) == len(all_cards)
    assert junk.html.count("<script>") == 1  # only our own "JavaScript is on" line: the query is not echoed


def test_search_finds_pages_in_the_readers_language_with_english_as_fallback(get):
    page = get("/en/search?q=Harbour")
    results = page.soup.select("main ul.govuk-list li a")
    assert results
    nothing = get("/en/search?q=zzzqqqxxx")
    assert "No pages matched" in nothing.text
    french = get("/fr/search?q=hate")
    hrefs = [a["href"] for a in french.soup.select("main ul.govuk-list li a")]
    assert hrefs and all(h.startswith("/fr/") for h in hrefs)


def test_a_very_long_or_odd_search_is_shortened_not_refused(get):
    page = get("/en/search?q=" + "a%20" * 2000)
    assert page.soup.find("input", id="q")["value"].__len__() <= 200
    get("/en/search?q=%00%ff%fe%25")
    get("/en/search?q=&q=x")


def test_a_returning_reader_gets_a_304_for_a_page_that_has_not_changed(client):
    first = client.get("/en/plan/")
    etag = first.headers["ETag"]
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-cache"
    again = client.get("/en/plan/", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert "Content-Security-Policy" in again.headers  # the same policy as the page it revalidates
    assert client.get("/ar/plan/").headers["ETag"] != etag  # each language is its own page
    assert client.get("/en/plan/", headers={"If-None-Match": '"something-else"'}).status_code == 200


@pytest.mark.parametrize("lang, hours, name", [
    ("pl", "24 godziny na dobę, 7 dni w tygodniu", "True Vision (zgłaszanie przestępstw z nienawiści na policję)"),
    ("ar", "على مدار 24 ساعة، 7 أيام في الأسبوع", "True Vision (الإبلاغ عن جرائم الكراهية للشرطة)"),
])
def test_contact_cards_show_hours_and_descriptive_names_in_the_readers_language(get, lang, hours, name):
    page = get(f"/{lang}/campaigns/hate-hurts")
    cards = [card.get_text(" ", strip=True) for card in page.soup.select("main .sdp-card")]
    victim_support = next(text for text in cards if text.startswith("Victim Support"))
    assert hours in victim_support
    assert "hours a day" not in " ".join(cards) and "days a week" not in " ".join(cards)
    assert any(name in text for text in cards)
    assert "police hate crime reporting" not in " ".join(cards)
    # The number itself still comes from contacts.toml, unchanged.
    assert page.soup.select_one('main .sdp-card a[href="tel:08081689111"]')


def test_every_hours_and_descriptive_name_on_a_card_is_translatable(app):
    """A new opening time in contacts.toml must be added to CARD_WORDS (and translated)."""
    from sdp_public.contacts import CARD_WORDS
    for contact in app.extensions["sdp_contacts"].values():
        if contact.hours:
            assert contact.hours in CARD_WORDS, contact.id
    assert {"Emergency services", "Police non-emergency", "Report scam texts"} <= CARD_WORDS
    assert {s.name for s in app.extensions["sdp_services"]} & CARD_WORDS


def test_support_directory_shows_descriptive_service_names_translated(get):
    page = get("/pl/support/")
    names = [h.get_text(strip=True) for h in page.soup.select("main .sdp-card h3")]
    assert "Służby ratunkowe" in names and "Emergency services" not in names
    assert "Samaritans" in names  # an organisation's own name stays in English


@pytest.mark.parametrize("lang, query", [("en", "domestic abuse"), ("pl", "przemoc domowa"),
                                         ("pl", "domestic abuse")])
def test_search_finds_the_support_directorys_services_and_links_to_their_cards(get, lang, query):
    page = get(f"/{lang}/search?q={query}")
    links = {a["href"]: a.get_text(strip=True) for a in page.soup.select("main ul.govuk-list li a")}
    for service in ("harbour", "domestic-abuse-helpline", "mens-advice-line"):
        assert f"/{lang}/support/#service-{service}" in links, links
    assert links[f"/{lang}/support/#service-harbour"] == "Harbour Support Services"
    directory = get(f"/{lang}/support/")
    card = directory.soup.select_one("#service-harbour")
    assert card is not None and "Harbour Support Services" in card.get_text()
    if lang == "pl":  # the result's summary is the Polish description, not the English one
        assert "Wspiera osoby w County Durham" in page.text

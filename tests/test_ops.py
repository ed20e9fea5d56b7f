"""Operations: health, readiness, sitemap with hreflang alternates, robots.txt."""
import xml.etree.ElementTree as ET

import pytest

from sdp_public import create_app, languages


def test_healthz_says_the_process_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


@pytest.mark.db
def test_readyz_checks_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json["database"] == "ok"


def test_readyz_is_503_when_the_database_is_gone(tmp_path, monkeypatch):
    monkeypatch.setenv("SDP_INSTANCE_PATH", str(tmp_path))
    app = create_app({"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "unavailable"}
    # content pages do not need the database: the site stays readable
    assert app.test_client().get("/en/plan/").status_code == 200


def test_the_sitemap_lists_every_page_in_every_language_with_alternates(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.data)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    urls = root.findall("s:url", ns)
    locs = [u.find("s:loc", ns).text for u in urls]
    assert any(loc.endswith("/ar/plan/prevent") for loc in locs)
    assert len(locs) == len(set(locs)) and len(locs) % len(languages.LANGUAGES) == 0
    for url in urls:
        hreflangs = {link.get("hreflang") for link in url.findall("x:link", ns)}
        assert hreflangs == {lang.code for lang in languages.LANGUAGES} | {"x-default"}


def test_robots_points_to_the_sitemap_and_keeps_crawlers_out_of_the_partner_inbox(client):
    body = client.get("/robots.txt").get_data(as_text=True)
    assert "Disallow: /partners/" in body and "Sitemap: http" in body

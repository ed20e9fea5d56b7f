"""Hostile or broken requests get a translated 4xx page: never a 500, never a stack trace."""
import pytest


def assert_our_error_page(response, status):
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert "Traceback" not in html and "werkzeug" not in html.lower()
    assert '<main class="govuk-main-wrapper"' in html
    return html


@pytest.mark.parametrize("url", [
    "/en/nope", "/en/plan/nope", "/en/plan/../../etc/passwd", "/en/plan/..%2F..%2Fetc%2Fpasswd",
    "/en/plan/%2e%2e", "/en/plan/prevent%00", "/en/%ff%fe/", "/en/plan/%C0%AE%C0%AE",
    "/en/campaigns/hate-hurts/extra", "/static/../wsgi.py", "/static/build/../../__init__.py",
    "/en/plan/" + "a" * 5000, "/en/plan/\u202eevil", "/en/support/%0d%0aSet-Cookie:x=1",
])
def test_unknown_or_hostile_paths_are_translated_404s(client, url):
    html = assert_our_error_page(client.get(url), 404)
    assert "Page not found" in html


def test_the_404_page_is_in_the_readers_language(client):
    english = assert_our_error_page(client.get("/en/nope"), 404)
    polish = assert_our_error_page(client.get("/pl/nope"), 404)
    assert 'lang="pl"' in polish and "Page not found" not in polish and english != polish


def test_wrong_methods_are_405_with_allow(client):
    response = client.post("/en/plan/")
    assert_our_error_page(response, 405)
    assert "GET" in response.headers["Allow"]
    assert client.delete("/en/").status_code == 405


def test_oversized_bodies_are_refused_with_a_clear_page(client):
    html = assert_our_error_page(client.post("/en/business/cyber-essentials/check/firewalls",
                                             data="x" * 100_000, content_type="application/x-www-form-urlencoded"), 413)
    assert "too big" in html


@pytest.mark.parametrize("headers", [
    {"Accept-Language": "\x00\x01"}, {"Accept-Language": "ar;q=NaN"}, {"Host": "evil.example"},
    {"Content-Type": "multipart/form-data; boundary="}, {"Cookie": "sdp_session=%%%garbage"},
    {"Accept-Language": "en;q=" + "9" * 400},
])
def test_odd_headers_never_cause_a_500(client, headers):
    for url in ("/", "/en/", "/en/search?q=x", "/nope"):
        assert client.get(url, headers=headers).status_code < 500


def test_an_unexpected_error_shows_our_500_page_without_details(tmp_path, monkeypatch):
    from sdp_public import create_app
    monkeypatch.setenv("SDP_INSTANCE_PATH", str(tmp_path))
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})

    @app.get("/__boom_for_test")
    def boom():  # pragma: no cover - exercised below
        raise RuntimeError("secret internals")
    response = app.test_client().get("/__boom_for_test", headers={"Accept-Language": "de"})
    html = assert_our_error_page(response, 500)
    assert "secret internals" not in html and 'lang="de"' in html

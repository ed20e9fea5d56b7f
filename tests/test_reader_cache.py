"""A reader with no cookie is sent a content page without Flask running again, and gets
exactly what Flask would send: the same bytes (or their gzip twin), a 304 when they have
it, HSTS over HTTPS, and nothing stored that was meant for one person."""
import gzip

import pytest

from sdp_public.reader_cache import SHAREABLE, ReaderCache

PAGE = "/en/plan/"


@pytest.fixture
def site(make_app):
    """An app of its own (its own cache), counting the requests that reach Flask."""
    app = make_app()
    reached = []
    app.before_request(lambda: reached.append(1) and None)
    return app, reached


def test_a_second_reader_with_no_cookie_is_answered_without_flask(site):
    app, reached = site
    first = app.test_client().get(PAGE)
    second = app.test_client().get(PAGE)
    assert first.status_code == second.status_code == 200
    assert second.data == first.data
    assert len(reached) == 1  # the first reader's request only
    for name in ("Content-Security-Policy", "X-Frame-Options", "Referrer-Policy", "ETag", "Cache-Control"):
        assert second.headers[name] == first.headers[name], name


def test_readers_with_a_cookie_or_a_query_always_reach_flask(site):
    app, reached = site
    app.test_client().get(PAGE)
    with_cookie = app.test_client()
    with_cookie.set_cookie("sdp_session", "anything")
    assert with_cookie.get(PAGE).status_code == 200
    assert app.test_client().get(PAGE + "?utm_source=leaflet").status_code == 200
    assert app.test_client().head(PAGE).status_code == 200
    assert len(reached) == 4


def test_a_browser_that_accepts_gzip_gets_the_same_page_compressed(site):
    app, _reached = site
    plain = app.test_client().get(PAGE)
    zipped = app.test_client().get(PAGE, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert len(zipped.data) < len(plain.data) / 3
    assert int(zipped.headers["Content-Length"]) == len(zipped.data)
    assert zipped.headers["Vary"] == "Accept-Encoding"
    assert plain.headers["Vary"] == "Accept-Encoding"  # Flask's own answer says so too: caches keep them apart
    assert zipped.headers["ETag"] != plain.headers["ETag"]  # another representation, another tag
    refused = app.test_client().get(PAGE, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers and refused.data == plain.data


def test_a_browser_that_has_the_page_gets_304_for_either_representation(site):
    app, _reached = site
    app.test_client().get(PAGE)
    for encoding in ("identity", "gzip"):
        fresh = app.test_client().get(PAGE, headers={"Accept-Encoding": encoding})
        again = app.test_client().get(PAGE, headers={"Accept-Encoding": encoding,
                                                     "If-None-Match": fresh.headers["ETag"]})
        assert again.status_code == 304, encoding
        assert again.data == b"" and again.headers["ETag"] == fresh.headers["ETag"]
        stale = app.test_client().get(PAGE, headers={"Accept-Encoding": encoding, "If-None-Match": '"old"'})
        assert stale.status_code == 200


def test_hsts_goes_with_https_only_outside_production(site):
    app, _reached = site
    app.test_client().get(PAGE)
    assert "Strict-Transport-Security" not in app.test_client().get(PAGE).headers
    assert "max-age" in app.test_client().get(PAGE, base_url="https://localhost").headers["Strict-Transport-Security"]


def test_each_language_and_page_is_kept_apart(site):
    app, _reached = site
    for path in ("/en/plan/", "/ar/plan/", "/en/privacy"):
        app.test_client().get(path)
    english, arabic, privacy = (app.test_client().get(p) for p in ("/en/plan/", "/ar/plan/", "/en/privacy"))
    assert b'lang="en"' in english.data and b'lang="ar"' in arabic.data and b'dir="rtl"' in arabic.data
    assert privacy.data != english.data


def test_a_host_flask_refuses_is_refused_even_for_a_cached_page(make_app):
    app = make_app(TRUSTED_HOSTS=["safedurham.example"])
    assert app.test_client().get(PAGE, base_url="http://safedurham.example").status_code == 200
    assert app.test_client().get(PAGE, base_url="http://evil.example").status_code == 400


def test_question_pages_and_other_answers_for_one_person_are_never_kept(site):
    app, reached = site
    for _ in range(2):
        assert app.test_client().get("/en/report/hate-incident/who").status_code == 200
    assert len(reached) == 2
    assert "/en/report/hate-incident/who" not in app.extensions["sdp_reader_cache"].pages


def _wsgi(status="200 OK", headers=(), shareable=True, body=b"<p>page</p>"):
    calls = []

    def app(environ, start_response):
        calls.append(1)
        if shareable:
            environ[SHAREABLE] = {"route": "/x", "endpoint": "x", "lang": "en"}
        start_response(status, [("Content-Type", "text/html"), *headers])
        return [body]
    return app, calls


def _get(layer, path="/x"):
    sent = {}

    def start_response(status, headers, exc_info=None):
        sent["status"], sent["headers"] = status, dict(headers)
    body = b"".join(layer({"REQUEST_METHOD": "GET", "PATH_INFO": path, "wsgi.url_scheme": "http"}, start_response))
    return sent["status"], sent["headers"], body


@pytest.mark.parametrize("why, kwargs", [
    ("it sets a cookie", {"headers": [("Set-Cookie", "sdp_session=for-one-person")]}),
    ("it is not a 200", {"status": "404 NOT FOUND"}),
    ("its view did not say it is the same for everyone", {"shareable": False}),
])
def test_a_response_is_not_kept_when(why, kwargs):
    app, calls = _wsgi(**kwargs)
    layer = ReaderCache(app, {"SDP_ENV": "embedded", "TRUSTED_HOSTS": None})
    for _ in range(2):
        _status, headers, _body = _get(layer)
    assert len(calls) == 2, why
    assert layer.pages == {}


def test_a_kept_page_drops_what_belonged_to_its_first_response():
    app, calls = _wsgi(headers=[("Date", "Mon, 01 Jan 2024 00:00:00 GMT"), ("Strict-Transport-Security", "max-age=1")])
    layer = ReaderCache(app, {"SDP_ENV": "embedded", "TRUSTED_HOSTS": None})
    _get(layer)
    status, headers, body = _get(layer)
    assert len(calls) == 1 and status == "200 OK" and body == b"<p>page</p>"
    assert "Date" not in headers and "Strict-Transport-Security" not in headers  # the server adds its own Date
    assert headers["Content-Length"] == str(len(body))


def test_a_kept_page_sent_again_and_again_carries_each_security_header_once(site):
    app, _reached = site
    https = "https://localhost"
    app.test_client().get(PAGE, base_url=https)  # Flask's, kept
    first_kept = app.test_client().get(PAGE, base_url=https)
    for _ in range(5):
        again = app.test_client().get(PAGE, base_url=https)
    assert sorted(again.headers.keys()) == sorted(first_kept.headers.keys())
    names = [name.lower() for name, _value in again.headers]
    for name in ("content-security-policy", "x-frame-options", "referrer-policy", "x-content-type-options",
                 "permissions-policy", "cross-origin-opener-policy", "strict-transport-security"):
        assert names.count(name) == 1, (name, names)


def test_a_response_with_a_policy_of_its_own_keeps_it_and_is_not_given_a_second(make_app):
    from flask import make_response
    app = make_app()

    @app.get("/sandboxed")
    def sandboxed():
        response = make_response("file")
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
    headers = app.test_client().get("/sandboxed").headers
    assert headers.getlist("Content-Security-Policy") == ["sandbox; default-src 'none'"]
    assert headers.getlist("X-Content-Type-Options") == ["nosniff"]
    assert headers["X-Frame-Options"] == "DENY"


def test_hsts_follows_the_scheme_a_trusted_proxy_reports(make_app):
    app = make_app(TRUSTED_PROXIES=["127.0.0.1"])
    proxied = app.test_client().get("/en/", headers={"X-Forwarded-Proto": "https"},
                                    environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert "max-age" in proxied.headers["Strict-Transport-Security"]
    stranger = app.test_client().get("/en/", headers={"X-Forwarded-Proto": "https"},
                                     environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert "Strict-Transport-Security" not in stranger.headers

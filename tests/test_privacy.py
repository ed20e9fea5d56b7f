"""No page asks another host for anything; headers keep readers private; logs hold no answers."""
import json
import logging

import pytest

SAMPLE = ["/en/", "/ar/plan/", "/ur/plan/cyber-crime", "/zh-hant/support/", "/en/search?q=hate",
          "/en/business/cyber-essentials/check", "/en/report/hate-incident/", "/pa/nope"]


@pytest.mark.parametrize("url", SAMPLE)
def test_no_page_loads_anything_from_another_host(get, url):
    page = get(url, status=404 if url.endswith("nope") else 200)
    for tag, attr in (("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"),
                      ("source", "src"), ("form", "action")):
        for element in page.soup.find_all(tag):
            value = element.get(attr)
            if value is None or (tag == "link" and element.get("rel") == ["alternate"]):
                continue
            assert value.startswith("/") and not value.startswith("//"), (url, tag, value)
    for style in page.soup.find_all("style"):
        assert "url(" not in style.get_text()


def test_privacy_headers_on_every_response(client):
    for url in ("/en/", "/nope", "/healthz"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "form-action 'self'" in csp
        assert "unsafe-inline" not in csp
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "camera=()" in headers["Permissions-Policy"]


def test_inline_script_carries_the_responses_nonce(get):
    page = get("/en/")
    nonce = page.response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    for script in page.soup.find_all("script"):
        if not script.get("src"):
            assert script["nonce"] == nonce


def test_request_logs_carry_no_search_terms_or_addresses(client, caplog):
    caplog.set_level(logging.INFO, logger="sdp_public.requests")
    client.get("/en/search?q=my+neighbour+Jane+Doe", environ_base={"REMOTE_ADDR": "203.0.113.9"},
               headers={"User-Agent": "SecretBrowser/1.0"})
    lines = [r.getMessage() for r in caplog.records if r.name == "sdp_public.requests"]
    assert lines
    record = json.loads(lines[-1])
    assert record["route"] == "/<lang>/search" and record["status"] == 200 and record["lang"] == "en"
    text = "\n".join(lines)
    for secret in ("Jane", "neighbour", "203.0.113.9", "SecretBrowser"):
        assert secret not in text


def test_the_only_cookie_is_the_essential_session_cookie(client, get):
    response = client.get("/en/")
    assert "Set-Cookie" not in response.headers  # reading pages sets no cookie at all
    page = get("/en/business/cyber-essentials/check")
    url = page.soup.select_one("main a.govuk-button--start")["href"]
    cookie = client.get(url).headers.get("Set-Cookie", "")
    assert cookie.startswith("sdp_session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie

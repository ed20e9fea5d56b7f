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


@pytest.mark.parametrize("url", ["/en/", "/ar/report/hate-incident/who", "/partners/sign-in"])
def test_the_only_inline_script_is_the_one_the_policy_allows_by_hash(get, url):
    import base64
    import hashlib
    page = get(url)
    policy = page.response.headers["Content-Security-Policy"]
    inline = [s for s in page.soup.find_all("script") if not s.get("src")]
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].string.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy
    assert "unsafe-inline" not in policy and "nonce-" not in policy
    assert not page.soup.find("style") and not page.soup.select("[style]")


def test_static_files_carry_the_same_protections_and_a_years_cache(client, app):
    import json
    from pathlib import Path
    manifest = json.loads((Path(app.static_folder) / "build" / "manifest.json").read_text())
    hashed = client.get(f"/static/build/{manifest['app.css']}", headers={"Accept-Encoding": "gzip"})
    assert hashed.status_code == 200
    assert hashed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in hashed.headers["Vary"]
    assert hashed.headers["Cache-Control"] == "max-age=31536000, public, immutable"
    plain = client.get("/static/build/app.css")
    assert "max-age=300" in plain.headers["Cache-Control"] and "Content-Encoding" not in plain.headers
    for response in (hashed, plain):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_request_logs_carry_no_search_terms_or_addresses(client, caplog):
    caplog.set_level(logging.INFO, logger="sdp_public.requests")
    client.get("/en/search?q=my+neighbour+Jane+Doe", environ_base={"REMOTE_ADDR": "203.0.113.9"},
               headers={"User-Agent": "SecretBrowser/1.0"})
    lines = [r.getMessage() for r in caplog.records if r.name == "sdp_public.requests"]
    assert lines
    record = json.loads(lines[-1])
    assert record["route"] == "/<lang>/search" and record["status"] == 200 and record["lang"] == "en"
    assert record["method"] == "GET" and record["endpoint"] == "public.search" and record["ms"] > 0
    client.open("/nowhere\"}", method='GET"}')  # an unknown path and a hostile method: still one JSON line
    record = json.loads([r.getMessage() for r in caplog.records if r.name == "sdp_public.requests"][-1])
    assert record["route"] is None and record["method"] == 'GET"}' and record["status"] in (400, 404, 405)
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


FORMS = [("report/hate-incident", "HATE_ANSWERS"), ("report/scam-or-cyber-fraud", "SCAM_ANSWERS"),
         ("request/translation-or-format", "TRANSLATION_ANSWERS"), ("request/awareness-session", "AWARENESS_ANSWERS")]


@pytest.mark.db
@pytest.mark.parametrize("flow, answer_set", FORMS)
def test_no_answer_reaches_a_log_a_url_or_an_email(app, smtp, caplog, flow, answer_set):
    """Every free-text answer (anything with a space, an @ or a digit in it) is looked for
    in every log record at every level, every URL the journey visited or was sent to,
    and every email sent, partners' and the reporter's acknowledgement alike."""
    import copy

    import sdp_test_helpers
    from sdp_test_helpers import deliver, send_report, walk_report
    answers = copy.deepcopy(getattr(sdp_test_helpers, answer_set))
    secrets = sorted({value for fields in answers.values() for value in fields.values()
                      if isinstance(value, str) and len(value) >= 5 and any(c in value for c in " @0123456789")})
    assert len(secrets) >= 3
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    visited = []
    original_open = client.open

    def recording_open(*args, **kwargs):
        response = original_open(*args, **kwargs)
        visited.append(str(args[0] if args else kwargs.get("path")))
        visited.append(response.headers.get("Location", ""))
        return response
    client.open = recording_open
    check, _ = walk_report(client, "en", answers, flow=flow)
    reference, _ = send_report(client, "en", check, flow=flow)
    deliver(app)
    # everything our process logged; not the test's own SMTP server ("mail.log"), which
    # stands in for the partner's mail system and sees the recipient as any would
    logs = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records if r.name != "mail.log")
    assert reference in logs or "submitted" in logs  # the logs do record what happened
    # every mail about the report names it in the subject: the partners' and the acknowledgement
    mails = [m for m in smtp.parsed() if reference in str(m["Subject"])]
    assert mails and all(reference in m.get_content() for m in mails)
    for secret in secrets:
        assert secret not in logs, secret
        assert not any(secret in url for url in visited), secret
        for mail in mails:
            headers = {k: v for k, v in mail.items() if k.lower() != "to"}
            assert secret not in mail.get_content() and secret not in str(headers), secret


@pytest.mark.db
def test_production_responses_carry_hsts_and_secure_cookies(app, migrated_database, tmp_path, monkeypatch):
    from sdp_public import create_app
    from sdp_test_helpers import SAFE
    monkeypatch.setenv("SDP_ENV", "production")
    for name, value in ({**SAFE, "SDP_INSTANCE_PATH": str(tmp_path), "SDP_DATABASE_URL": migrated_database,
                         "SDP_REDIS_URL": "redis://127.0.0.1:6379/15"}).items():
        monkeypatch.setenv(name, value)
    for partner in app.extensions["sdp_router"].partners.values():
        monkeypatch.setenv(partner.mailbox_env, f"{partner.slug}@partners.example")
    from sdp_public.extensions import limiter
    kept = limiter._storage, limiter._limiter  # the limiter is one object for every app: give it back after
    monkeypatch.setattr(limiter, "_storage", kept[0])
    monkeypatch.setattr(limiter, "_limiter", kept[1])
    application = create_app()
    client = application.test_client()
    response = client.get("/en/", base_url="https://safedurham.example")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert application.config["SESSION_COOKIE_SECURE"] is True
    response = client.get("/en/report/hate-incident/who", base_url="https://safedurham.example")
    cookie = response.headers.get("Set-Cookie", "")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert flag in cookie, cookie
    application.extensions["sdp_engine"].dispose()


@pytest.mark.parametrize("url", ["/en/report/hate-incident/who", "/en/track", "/partners/sign-in"])
def test_pages_that_hold_answers_are_never_cached(client, url):
    assert client.get(url).headers.get("Cache-Control") == "no-store"


ADDRESSES = {"203.0.113.77": ["203.0.113.77"],
             "2001:db8:77:77::77": ["2001:db8:77:77", "2001:0db8:0077", "2001:db8:77:77::77"]}


@pytest.mark.db
@pytest.mark.parametrize("address", sorted(ADDRESSES))
def test_no_client_address_reaches_a_log(app, caplog, monkeypatch, address):
    """From a distinctive address: every form walked and sent, a report tracked, a wrong
    partner password, then every limit breached (step, new draft, send, track, sign-in).
    No log record at any level, from any logger, names the address or its /64."""
    import uuid

    from bs4 import BeautifulSoup

    import sdp_test_helpers
    from sdp_test_helpers import csrf_of, send_report, walk_report
    caplog.set_level(logging.DEBUG)

    def browser():
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return client

    def post(client, url, **data):
        page = BeautifulSoup(client.get(url).data, "html.parser")
        return client.post(url, data={"csrf_token": csrf_of(page), **data})

    client = browser()
    sent = []
    for flow, answer_set in FORMS:
        check, _ = walk_report(client, "en", getattr(sdp_test_helpers, answer_set), flow=flow)
        sent.append(send_report(client, "en", check, flow=flow))
    reference, receipt = sent[0]
    assert post(browser(), "/en/track", reference=reference, receipt=receipt).status_code == 303
    wrong = post(browser(), "/partners/sign-in", email=f"{uuid.uuid4().hex}@partners.example", password="wrong")
    assert wrong.status_code == 200
    submitters = [browser(), browser()]
    for submitter in submitters:  # two reports ready to send, to breach the send limit with
        walk_report(submitter, "en", sdp_test_helpers.HATE_ANSWERS)

    def breach(name, attempt):
        monkeypatch.setitem(app.config, name, "1 per hour")
        statuses = [attempt(i) for i in range(2)]
        monkeypatch.setitem(app.config, name, "1000 per minute")
        assert statuses[-1] == 429, (name, statuses)

    first = sdp_test_helpers.HATE_ANSWERS["who"]
    breach("DRAFT_START_LIMIT", lambda i: post(browser(), "/en/report/hate-incident/who", **first).status_code)
    stepper = browser()
    breach("STEP_RATE_LIMIT", lambda i: post(stepper, "/en/report/hate-incident/who", **first).status_code)
    breach("SUBMIT_RATE_LIMIT", lambda i: post(submitters[i], "/en/report/hate-incident/check-answers").status_code)
    breach("TRACK_RATE_LIMIT", lambda i: post(browser(), "/en/track", reference=reference, receipt="x").status_code)
    breach("PARTNER_SIGN_IN_LIMIT", lambda i: post(browser(), "/partners/sign-in", email="a@partners.example",
                                                   password="wrong").status_code)
    submitters[1].get("/en/exit")  # its report was never sent: leave no answers behind
    logs = "\n".join(f"{r.name} {r.levelname} {r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
    assert logs.count("exceeded at endpoint") >= 4 and "DRAFT_START_LIMIT reached" in logs  # each breach logged
    for needle in ADDRESSES[address]:
        assert needle not in logs, needle


def test_any_library_logging_an_address_has_it_masked(caplog):
    caplog.set_level(logging.DEBUG)
    from sdp_public.request_log import mask_addresses
    mask_addresses()
    library = logging.getLogger("some.library")
    library.warning("connection from %s and [%s]:443 refused", "203.0.113.77", "2001:db8::77")
    try:
        raise ConnectionError("peer 198.51.100.7 went away")
    except ConnectionError:
        library.exception("lost ::ffff:192.0.2.1 at 20:37:47")
    text = "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text}" for r in caplog.records if r.name == "some.library")
    for address in ("203.0.113.77", "2001:db8::77", "198.51.100.7", "192.0.2.1"):
        assert address not in text
    assert text.count("[address]") >= 4 and "20:37:47" in text  # a time is not an address

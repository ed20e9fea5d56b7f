"""A real server on 127.0.0.1 for the session, and Debian's Chromium driven by Playwright.

The app is served by werkzeug's threaded server on a free port; "Exit this page" points
at a second tiny local server standing in for the neutral site (the tests have no
internet, and must not depend on someone else's page).
"""
import threading

import pytest
from flask import url_for
from werkzeug.serving import make_server

from sdp_public import languages
from sdp_public.public.pages import public_endpoints

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
NEUTRAL_PAGE = b"<!DOCTYPE html><html lang='en'><title>Weather</title><main><h1>Weather</h1></main></html>"


def _neutral_site(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    return [NEUTRAL_PAGE]


def _serve(wsgi_app):
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture(scope="session")
def neutral_site():
    server = _serve(_neutral_site)
    yield f"http://127.0.0.1:{server.server_port}/weather"
    server.shutdown()


@pytest.fixture(scope="session")
def live_server(app, neutral_site):
    """The session's app served on a free port, "Exit this page" pointing at the neutral
    site for as long as it serves (put back when the session ends)."""
    with pytest.MonkeyPatch.context() as session_patch:
        session_patch.setitem(app.config, "EXIT_URL", neutral_site)
        server = _serve(app)
        yield f"http://127.0.0.1:{server.server_port}"
        server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


@pytest.fixture
def page_without_js(browser):
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def public_paths(app):
    """Every public page's path, per language code."""
    with app.test_request_context():
        return {lang.code: [url_for(endpoint, lang=lang.code, **args) for endpoint, args in public_endpoints()]
                for lang in languages.LANGUAGES}

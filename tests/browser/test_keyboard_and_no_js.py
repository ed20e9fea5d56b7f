"""Journeys by keyboard alone (Tab, Shift+Tab, Space, Enter) and with JavaScript off.

Forms added by later issues (hate incident, scam, request) join these journeys here.
"""
import pytest
from sqlalchemy import select

from sdp_public.models import Draft
from sdp_test_helpers import FOCUS_VISIBLE, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.db]


def test_the_readiness_checker_by_keyboard_alone(page, live_server):
    page.goto(f"{live_server}/en/business/cyber-essentials/check")
    tab_to(page, "el.classList.contains('govuk-button--start')")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # Continue with nothing chosen: focus lands on the error summary
    tab_to(page, "!!el.closest('main form') && el.type === 'submit'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement !== document.body")
    assert page.evaluate("document.activeElement.classList.contains('govuk-error-summary')")
    # Shift+Tab works too: back from the summary into the page header
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(FOCUS_VISIBLE)

    steps = 0
    while "/result" not in page.url:
        steps += 1
        groups = page.eval_on_selector_all("main input[type=radio]", "els => [...new Set(els.map(e => e.name))]")
        for name in groups:
            tab_to(page, f"el.name === '{name}'")
            page.keyboard.press("Space")
            assert page.evaluate("document.activeElement.checked")
        tab_to(page, "!!el.closest('main form') && el.type === 'submit'")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert steps <= 5
    assert steps == 5
    assert page.locator("main h1").inner_text() == "Your Cyber Essentials readiness"


def test_the_readiness_checker_without_javascript(page_without_js, live_server):
    page = page_without_js
    page.goto(f"{live_server}/ar/business/cyber-essentials/check")
    with page.expect_navigation():
        page.click("main a.govuk-button--start")
    page.click("main form button[type=submit]")
    assert page.locator(".govuk-error-summary").is_visible()
    while "/result" not in page.url:
        for name in page.eval_on_selector_all("main input[type=radio]", "els => [...new Set(els.map(e => e.name))]"):
            page.check(f"main input[name='{name}'][value='yes']")
        page.click("main form button[type=submit]")
    assert page.locator("strong.govuk-tag--green").count() == 5


def drafts_in(app):
    with app.extensions["sdp_sessionmaker"]() as db:
        return set(db.scalars(select(Draft.id)))


def start_a_draft(app, page, live_server):
    """Answer the checker's first page; returns the id of the draft this browser made."""
    existing = drafts_in(app)
    page.goto(f"{live_server}/en/business/cyber-essentials/check")
    with page.expect_navigation():
        page.click("main a.govuk-button--start")
    for name in page.eval_on_selector_all("main input[type=radio]", "els => [...new Set(els.map(e => e.name))]"):
        page.check(f"main input[name='{name}'][value='yes']")
    page.click("main form button[type=submit]")
    (mine,) = drafts_in(app) - existing
    return mine


@pytest.mark.parametrize("how", ["button", "shift three times"])
def test_exit_this_page_leaves_for_a_neutral_site_and_deletes_the_draft(app, page, live_server, neutral_site, how):
    draft = start_a_draft(app, page, live_server)
    page.goto(f"{live_server}/en/")
    page.goto(f"{live_server}/en/support/")
    if how == "button":
        page.click(".govuk-exit-this-page__button")
    else:
        page.locator("main h1").click()
        for _ in range(3):
            page.keyboard.press("Shift")
    page.wait_for_url(neutral_site)
    assert draft not in drafts_in(app)
    # the page left is replaced in history: Back goes to the page before it, not to support
    page.go_back()
    assert "/support/" not in page.url


def test_exit_this_page_without_javascript(app, page_without_js, live_server, neutral_site):
    page = page_without_js
    draft = start_a_draft(app, page, live_server)
    page.goto(f"{live_server}/ur/support/")
    page.click(".govuk-exit-this-page__button")
    page.wait_for_url(neutral_site)
    assert draft not in drafts_in(app)

"""The danger interruptions in a real browser: each one continued and each one left with
Exit this page; by keyboard alone and without JavaScript; axe on every new page in all
thirteen languages; and the urgent flag a partner sees in the inbox and in the email."""
import copy

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from sdp_public import languages
from sdp_public.models import Draft
from sdp_public.services import outbox, staff, totp
from sdp_test_helpers import HATE_ANSWERS, SCAM_ANSWERS, Inbox, csrf_of, smtp_server

from .axe import violations
from .test_keyboard_and_no_js import tab_to
from .test_report_journeys import fill_step

pytestmark = [pytest.mark.browser, pytest.mark.db]
HATE = "report/hate-incident"
SCAM = "report/scam-or-cyber-fraud"
# Online only, nobody known, still happening, anonymous but asking for support: every
# new page of the hate incident report in one journey.
HATE_EVERY_NEW_PAGE = {**copy.deepcopy(HATE_ANSWERS), "what": {"what": ["online"]},
                       "people": {"offender": "", "witnesses": ""}, "contact": {"contact": "anonymous"}}
BUSINESS_ATTACK = {**copy.deepcopy(SCAM_ANSWERS), "victim": {"victim": "business"},
                   "kind": {"kind": "business-attack"}, "attack-now": {"attack_now": "yes"}}


def answer_until(app, lang, flow, answers, stop_at):
    """Answer the questions in a test client up to the page `stop_at`; returns the
    session cookie, for a browser to carry on from that page."""
    client = app.test_client()
    start = BeautifulSoup(client.get(f"/{lang}/{flow}/").data, "html.parser")
    url = start.select_one("main a.govuk-button--start")["href"]
    for _ in range(30):
        step = url.rsplit("/", 1)[1].split("?")[0]
        if step == stop_at:
            return client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
        soup = BeautifulSoup(client.get(url).data, "html.parser")
        response = client.post(url, data={"csrf_token": csrf_of(soup), **answers[step]})
        assert response.status_code == 302, (step, response.status_code)
        url = response.headers["Location"]
    raise AssertionError(f"never reached {stop_at}")


def carry_on(page, app, live_server, lang, flow, answers, stop_at):
    cookie = answer_until(app, lang, flow, answers, stop_at)
    page.context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": cookie, "url": live_server}])
    page.goto(f"{live_server}/{lang}/{flow}/{stop_at}")
    assert page.url.endswith(f"/{flow}/{stop_at}"), page.url


def drafts(app):
    with app.extensions["sdp_sessionmaker"]() as db:
        return set(db.scalars(select(Draft.id)))


# (flow, answers, interruption page, its primary button, the page after it)
INTERRUPTIONS = {
    "in danger now": (HATE, HATE_EVERY_NEW_PAGE, "in-danger", "Continue your report", "where"),
    "attack under way": (SCAM, BUSINESS_ATTACK, "call-now", "Continue your report", "method"),
    "nobody to reach": (HATE, HATE_EVERY_NEW_PAGE, "no-way-to-reach-you", "Continue anonymously", "consent"),
}


@pytest.mark.parametrize("which", INTERRUPTIONS)
def test_each_interruption_can_be_continued(app, page, live_server, which):
    flow, answers, slug, button, after = INTERRUPTIONS[which]
    carry_on(page, app, live_server, "en", flow, answers, slug)
    assert page.locator("main h1").count() == 1
    primary = page.locator("main form button[type=submit]")
    assert primary.count() == 1 and primary.inner_text() == button
    with page.expect_navigation():
        primary.click()
    assert page.url.endswith(f"/{after}")


@pytest.mark.parametrize("which", INTERRUPTIONS)
def test_each_interruption_can_be_left_at_once(app, page, live_server, neutral_site, which):
    flow, answers, slug, _button, _after = INTERRUPTIONS[which]
    before = drafts(app)
    carry_on(page, app, live_server, "en", flow, answers, slug)
    mine = drafts(app) - before
    page.click(".govuk-exit-this-page__button")
    page.wait_for_url(neutral_site)
    assert mine and not (mine & drafts(app))  # the answers so far are gone too


def test_the_true_vision_choice_goes_on_whatever_is_chosen_and_can_be_left(app, page, live_server, neutral_site):
    carry_on(page, app, live_server, "en", HATE, HATE_EVERY_NEW_PAGE, "true-vision")
    assert page.locator("main a[href='https://www.report-it.org.uk']").count() == 1
    page.check("input[name='true_vision'][value='no']")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url.endswith("/outcome")
    page.go_back()
    page.click(".govuk-exit-this-page__button")
    page.wait_for_url(neutral_site)


def test_anonymous_reporter_can_go_back_and_give_a_way_to_be_contacted(app, page, live_server):
    carry_on(page, app, live_server, "en", HATE, HATE_EVERY_NEW_PAGE, "no-way-to-reach-you")
    with page.expect_navigation():
        page.click("main a:text('Give a way to contact you')")
    assert page.url.endswith("/contact")
    page.check("input[name='contact'][value='details']")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url.endswith("/contact-details")


@pytest.mark.parametrize("which", INTERRUPTIONS)
def test_each_interruption_by_keyboard_alone(app, page, live_server, which):
    flow, answers, slug, button, after = INTERRUPTIONS[which]
    carry_on(page, app, live_server, "ar", flow, answers, slug)
    tab_to(page, "!!el.closest('main form') && el.type === 'submit'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/{after}")


def test_the_in_danger_page_is_left_by_keyboard_with_shift_three_times(app, page, live_server, neutral_site):
    carry_on(page, app, live_server, "en", HATE, HATE_EVERY_NEW_PAGE, "in-danger")
    page.locator("main h1").click()
    for _ in range(3):
        page.keyboard.press("Shift")
    page.wait_for_url(neutral_site)


@pytest.mark.parametrize("which", INTERRUPTIONS)
def test_each_interruption_without_javascript_continued_and_left(app, browser, live_server, neutral_site, which):
    flow, answers, slug, _button, after = INTERRUPTIONS[which]
    for leave in (False, True):
        context = browser.new_context(java_script_enabled=False)
        page = context.new_page()
        carry_on(page, app, live_server, "ur", flow, answers, slug)
        if leave:
            page.click(".govuk-exit-this-page__button")
            page.wait_for_url(neutral_site)
        else:
            page.click("main form button[type=submit]")
            page.wait_for_url(f"**/{after}")
        context.close()


def test_a_whole_urgent_report_without_javascript_from_the_start(page_without_js, live_server):
    """From the start page, through the interruption, to the confirmation, with no script."""
    page = page_without_js
    page.goto(f"{live_server}/en/{HATE}/")
    page.click("main a.govuk-button--start")
    seen = []
    while "/check-answers" not in page.url:
        step = page.url.rsplit("/", 1)[1]
        seen.append(step)
        fill_step(page, HATE_EVERY_NEW_PAGE[step])
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        assert page.locator(".govuk-error-summary").count() == 0, step
    assert {"in-danger", "true-vision", "no-way-to-reach-you"} <= set(seen)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/confirmation")
    assert page.locator(".sdp-recipients li").count() == 2


# -- axe on every new page, in every language -----------------------------------------------------

@pytest.mark.parametrize("code", [lang.code for lang in languages.LANGUAGES])
def test_every_new_page_has_no_axe_violations(app, page, live_server, code):
    problems = {}

    def check(name):
        found = violations(page)
        if found:
            problems[name] = found

    for slug in ("in-danger", "true-vision", "no-way-to-reach-you", "consent"):
        carry_on(page, app, live_server, code, HATE, HATE_EVERY_NEW_PAGE, slug)
        check(slug)
        if slug == "true-vision":  # and its error state
            with page.expect_navigation():
                page.click("main form button[type=submit]")
            assert page.locator(".govuk-error-summary").is_visible()
            check("true-vision (errors)")
        if slug == "consent":  # the police and the Victim Care and Advice Service, no one else
            assert page.locator(".sdp-recipients li").count() == 2
    carry_on(page, app, live_server, code, HATE, HATE_EVERY_NEW_PAGE, "check-answers")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    page.wait_for_url("**/confirmation")
    assert page.locator(".sdp-recipients li").count() == 2
    check("confirmation")

    for slug in ("attack-now", "call-now"):
        carry_on(page, app, live_server, code, SCAM, BUSINESS_ATTACK, slug)
        check(slug)
        if slug == "attack-now":
            with page.expect_navigation():
                page.click("main form button[type=submit]")
            assert page.locator(".govuk-error-summary").is_visible()
            check("attack-now (errors)")
    assert problems == {}, problems


# -- the urgent flag, as a partner sees it ------------------------------------------------------------

def test_an_urgent_report_sent_in_the_browser_is_first_in_the_inbox_and_urgent_in_the_subject(app, page, live_server):
    # sent by a reporter in the browser, through the interruption
    carry_on(page, app, live_server, "en", HATE, HATE_ANSWERS, "in-danger")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/where")
    page.goto(f"{live_server}/en/{HATE}/check-answers")
    while "/check-answers" not in page.url:  # anything still to answer
        fill_step(page, HATE_ANSWERS[page.url.rsplit("/", 1)[1]])
        with page.expect_navigation():  # page.url is only the next step's once it has loaded
            page.click("main form button[type=submit]")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/confirmation")
    reference = page.locator(".govuk-panel__body strong").inner_text()

    inbox = Inbox()
    previous = app.config["SMTP_URL"]
    with smtp_server(inbox):
        app.config["SMTP_URL"] = f"smtp://127.0.0.1:{inbox.port}"
        try:
            while True:
                with app.app_context(), app.extensions["sdp_sessionmaker"]() as db:
                    if outbox.deliver(db, app.config, app.extensions["sdp_router"],
                                      app.extensions["sdp_sealer"]) == (0, 0):
                        break
        finally:
            app.config["SMTP_URL"] = previous
    subjects = {m["Subject"] for m in inbox.parsed() if reference in m["Subject"]
                and str(m["To"]).endswith("@partners.invalid")}
    assert subjects == {f"Urgent: new report {reference}"}

    with app.extensions["sdp_sessionmaker"]() as db:
        _user, password, secret = staff.create(db, app.extensions["sdp_sealer"], "urgent.browser@police.example",
                                               "police-hate-crime", "caseworker")
        db.commit()
    page.goto(f"{live_server}/partners/sign-in")
    page.fill("#email", "urgent.browser@police.example")
    page.fill("#password", password)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/sign-in/code")
    page.fill("#code", totp.code_at(secret, totp.current_step()))
    page.click("main form button[type=submit]")
    page.wait_for_url("**/partners/password/new")  # the printed password works once
    page.fill("#new_password", "an urgent reader's own long password")
    page.fill("#confirm_password", "an urgent reader's own long password")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/partners/")
    first = page.locator("main tbody tr").first
    assert first.locator(".govuk-tag--red").inner_text() == "Urgent"
    row = page.locator("main tbody tr", has_text=reference)
    assert row.locator(".sdp-urgent").inner_text() == "Urgent"
    tags = page.eval_on_selector_all("main tbody tr", "rows => rows.map(r => !!r.querySelector('.sdp-urgent'))")
    assert tags == sorted(tags, reverse=True)
    assert violations(page) == []

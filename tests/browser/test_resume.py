"""Save and come back later, and keeping the receipt code, in Chromium: a resume in a
second browser context with a fresh cookie jar, an expired and a wrong code, the receipt
check, the pasted-receipt refusal on /track, axe on every new page in all 13 languages,
and a resume journey with JavaScript off and by keyboard alone."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import update

from sdp_public import languages
from sdp_public.models import ResumeCode
from sdp_public.services import codes
from sdp_test_helpers import HATE_ANSWERS, csrf_of, walk_report

from .axe import violations

pytestmark = [pytest.mark.browser, pytest.mark.db]
CODE = re.compile(r"^[2-9A-HJKMNP-TV-Z]{4}(-[2-9A-HJKMNP-TV-Z]{4}){4}$")
FOCUS_VISIBLE = """() => {
  const el = document.activeElement
  if (!el || el === document.body) return false
  const s = getComputedStyle(el)
  return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || (s.boxShadow && s.boxShadow !== 'none')
         || s.backgroundColor === 'rgb(255, 221, 0)'
}"""


def tab_to(page, predicate_js, limit=80):
    """Press Tab until the focused element matches; focus is visible at every stop."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUS_VISIBLE), page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return {predicate_js} }})()"):
            return
    raise AssertionError(f"never reached {predicate_js}")


@pytest.fixture(autouse=True)
def generous_limits(app, monkeypatch):
    # the axe pass posts many wrong codes from one address; the limit itself is in tests/test_resume.py
    monkeypatch.setitem(app.config, "RESUME_RATE_LIMIT", "10000 per minute")


def draft_until(app, live_server, context, stop, lang="en"):
    """Answer the hate incident questions up to `stop` (with the test client, quickly), then
    hand the browser context that session's cookie: the browser is on `stop` with a draft."""
    client = app.test_client()
    url = BeautifulSoup(client.get(f"/{lang}/report/hate-incident/").data, "html.parser") \
        .select_one("main a.govuk-button--start")["href"]
    while not url.endswith("/" + stop):
        step = url.rsplit("/", 1)[1]
        soup = BeautifulSoup(client.get(url).data, "html.parser")
        response = client.post(url, data={"csrf_token": csrf_of(soup), **HATE_ANSWERS[step]})
        assert response.status_code == 302, step
        url = response.headers["Location"]
    context.add_cookies([{"name": "sdp_session", "value": client.get_cookie("sdp_session").value, "url": live_server}])
    return live_server + url


def sent_in_browser(app, live_server, context, lang="en"):
    """A whole report answered with the test client; the browser presses Send. Returns
    (page on the confirmation, reference, receipt)."""
    client = app.test_client()
    check, _ = walk_report(client, lang, HATE_ANSWERS)
    context.add_cookies([{"name": "sdp_session", "value": client.get_cookie("sdp_session").value, "url": live_server}])
    page = context.new_page()
    page.goto(f"{live_server}/{lang}/report/hate-incident/check-answers")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/confirmation")
    reference = page.inner_text(".govuk-panel__body strong").strip()
    receipt = page.inner_text(".sdp-receipt").strip()
    return page, reference, receipt


def save_in(page):
    page.click("main button[name=save_later]")
    page.wait_for_selector(".sdp-resume-code")
    code = page.inner_text(".sdp-resume-code").strip()
    assert CODE.match(code), code
    return code


def enter_code(page, live_server, code, lang="en"):
    page.goto(f"{live_server}/{lang}/report/resume")
    page.fill("#code", code)
    page.click("main form button[type=submit]")


def error_text(page):
    return page.inner_text(".govuk-error-summary__list").strip()


def test_saved_on_one_browser_carried_on_in_another_with_a_fresh_cookie_jar(app, browser, live_server):
    first = browser.new_context()
    page = first.new_page()
    page.goto(draft_until(app, live_server, first, "description"))
    page.fill("#description", HATE_ANSWERS["description"]["description"])
    code = save_in(page)
    assert "headscarf" not in page.content()
    # the first browser no longer opens the answers
    page.goto(f"{live_server}/en/report/hate-incident/people")
    assert page.url.endswith("/hate-incident/?expired=1")
    first.close()

    second = browser.new_context()  # another device: a fresh cookie jar
    assert second.cookies() == []
    other = second.new_page()
    enter_code(other, live_server, code.lower(), lang="ur")
    other.wait_for_url("**/ur/report/hate-incident/evidence")
    assert other.get_attribute("html", "dir") == "rtl" and other.get_attribute("html", "lang") == "ur"
    other.goto(f"{live_server}/ur/report/hate-incident/description")
    assert other.input_value("#description") == HATE_ANSWERS["description"]["description"]

    # the same code a second time, anywhere: used
    third = browser.new_context()
    enter_code(third.new_page(), live_server, code)
    assert "already been used" in error_text(third.pages[0])
    second.close()
    third.close()


def test_an_expired_code_and_a_wrong_code_say_so(app, browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(draft_until(app, live_server, context, "people"))
    code = save_in(page)
    with app.extensions["sdp_sessionmaker"]() as db:
        db.execute(update(ResumeCode).where(ResumeCode.code_hash == codes.hash_resume(code))
                   .values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
        db.commit()
    other = browser.new_context()
    page = other.new_page()
    enter_code(page, live_server, code)
    assert error_text(page) == "This code has expired. Saved answers are deleted after 7 days, so you need to start again."
    assert page.evaluate("document.activeElement.classList.contains('govuk-error-summary')")
    enter_code(page, live_server, codes.new_resume_code())
    assert error_text(page) == "This code does not match any saved answers. Check it and try again."
    context.close()
    other.close()


def test_the_receipt_check_and_the_pasted_receipt_refusal(app, browser, live_server):
    context = browser.new_context()
    page, reference, receipt = sent_in_browser(app, live_server, context)
    assert "copy it into your phone's notes or write it down" in page.inner_text("main")
    # printed: the reference and receipt code, not the check link, the exit button or any answer
    page.emulate_media(media="print")
    assert not page.is_visible("main a[href$='/receipt-check']") and not page.is_visible(".govuk-exit-this-page")
    assert page.is_visible(".sdp-receipt") and "headscarf" not in page.inner_text("body")
    page.emulate_media(media="screen")

    page.click("main a[href$='/receipt-check']")
    page.wait_for_url("**/receipt-check")
    assert receipt not in page.content()
    page.fill("#last_four", "2222")
    page.click("main form button:has-text('Check')")
    assert "These are not the last 4 characters" in error_text(page)
    page.fill("#last_four", receipt[-4:])
    page.click("main form button:has-text('Check')")
    page.wait_for_url("**/receipt-check?checked=1")
    assert page.inner_text("h1") == "You have saved your receipt code"

    page.goto(f"{live_server}/en/track")
    page.fill("#reference", reference)
    page.fill("#receipt", receipt)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/track/report")
    page.fill("#information", receipt)
    page.click("main form button:has-text('Add to my report')")
    assert error_text(page).startswith("Your message includes your receipt code.")
    assert page.input_value("#information") == receipt  # kept, to edit
    context.close()


@pytest.mark.parametrize("code", [lang.code for lang in languages.LANGUAGES])
def test_every_new_page_has_no_axe_violations(app, browser, live_server, code):
    problems = {}

    def check(page, label):
        found = violations(page)
        if found:
            problems[label] = found

    context = browser.new_context()
    page = context.new_page()
    page.goto(draft_until(app, live_server, context, "description", lang=code))
    check(page, "question with Save and come back later")
    resume_code = save_in(page)
    check(page, "saved")
    page.goto(f"{live_server}/{code}/report/resume")
    check(page, "resume")
    enter_code(page, live_server, codes.new_resume_code(), lang=code)
    check(page, "resume (wrong code)")
    enter_code(page, live_server, resume_code, lang=code)
    page.wait_for_url(f"**/{code}/report/hate-incident/description")
    enter_code(page, live_server, resume_code, lang=code)
    check(page, "resume (used code)")
    context.close()

    context = browser.new_context()
    page, _reference, receipt = sent_in_browser(app, live_server, context, lang=code)
    check(page, "confirmation")
    page.goto(f"{live_server}/{code}/report/hate-incident/receipt-check")
    check(page, "receipt check")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    check(page, "receipt check (error)")
    page.fill("#last_four", receipt[-4:])
    page.click("main form button[type=submit]")
    page.wait_for_url("**checked=1")
    check(page, "receipt check (saved)")
    context.close()
    assert problems == {}, problems


def test_a_resume_with_javascript_off(app, browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(draft_until(app, live_server, context, "outcome"))
    code = save_in(page)
    context.close()
    other = browser.new_context(java_script_enabled=False)
    page = other.new_page()
    enter_code(page, live_server, code)
    page.wait_for_url("**/report/hate-incident/outcome")
    page.check("main input[name=outcome][value=police]")
    page.click("main form button:has-text('Continue')")
    page.wait_for_url("**/report/hate-incident/support")
    other.close()


def test_a_resume_by_keyboard_alone(app, browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(draft_until(app, live_server, context, "people"))
    tab_to(page, "el.name === 'save_later'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    code = page.inner_text(".sdp-resume-code").strip()
    tab_to(page, "el.matches('main a[href$=\"/report/resume\"]')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    context.close()

    other = browser.new_context()
    page = other.new_page()
    page.goto(f"{live_server}/en/report/resume")
    tab_to(page, "el.id === 'code'")
    page.keyboard.type(code)
    page.keyboard.press("Enter")  # Enter in the field submits the form
    # the people page is optional, so saving there answered it: on to the next question
    page.wait_for_url("**/report/hate-incident/outcome")
    tab_to(page, "el.name === 'outcome'")
    page.keyboard.press("Space")
    tab_to(page, "!!el.closest('main form') && el.type === 'submit' && el.name !== 'save_later'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/report/hate-incident/" in page.url and not page.url.endswith("/outcome")
    other.close()

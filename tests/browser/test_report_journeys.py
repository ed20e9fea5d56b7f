"""Every report and request form in a real browser: axe on every page and error state,
by keyboard alone, and with JavaScript off, from the start page to the confirmation."""
import copy

import pytest

from sdp_public import languages
from sdp_test_helpers import AWARENESS_ANSWERS, HATE_ANSWERS, SCAM_ANSWERS, TRANSLATION_ANSWERS, tab_to

from .axe import violations

pytestmark = [pytest.mark.browser, pytest.mark.db]
HATE = ("/report/hate-incident/", HATE_ANSWERS, "HC-")
FLOWS = {
    "hate-incident": HATE,
    "scam": ("/report/scam-or-cyber-fraud/", SCAM_ANSWERS, "SC-"),
    "format": ("/request/translation-or-format/", TRANSLATION_ANSWERS, "RQ-"),
    "session": ("/request/awareness-session/", AWARENESS_ANSWERS, "AS-"),
}
# Error states are checked in English and both right-to-left languages; every page of
# every form is checked in all thirteen.
ERROR_STATE_LANGUAGES = ("en", "ar", "ur")


def fill_step(page, answers):
    """Answer one question page with the mouse-free Playwright helpers (no JS needed)."""
    for name, value in answers.items():
        if name == "website":
            continue
        # a locator waits for the field to be in the page: a click's navigation may have
        # committed the new URL before its form is parsed
        kind = page.locator(f"[name='{name}']").first.evaluate("e => e.type || e.tagName.toLowerCase()")
        if kind == "radio":
            page.check(f"input[name='{name}'][value='{value}']")
        elif kind == "checkbox":
            for v in (value if isinstance(value, list) else [value]):
                page.check(f"input[name='{name}'][value='{v}']")
        elif value:
            page.fill(f"[name='{name}']", value)


def walk(page, base, lang, answers, on_page=None, start=HATE[0]):
    page.goto(f"{base}/{lang}{start}")
    if on_page:
        on_page("start")
    with page.expect_navigation():
        page.click("main a.govuk-button--start")
    steps = 0
    while "/check-answers" not in page.url:
        step = page.url.rsplit("/", 1)[1].split("?")[0]
        if on_page:
            on_page(step)
        fill_step(page, answers[step])
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        assert page.locator(".govuk-error-summary").count() == 0, step
        steps += 1
        assert steps < 20
    if on_page:
        on_page("check-answers")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    page.wait_for_url("**/confirmation")
    if on_page:
        on_page("confirmation")
    return page.locator(".govuk-panel__body strong").inner_text()


@pytest.mark.parametrize("flow", FLOWS)
@pytest.mark.parametrize("code", [lang.code for lang in languages.LANGUAGES])
def test_every_page_and_error_state_of_every_form_has_no_axe_violations(page, live_server, code, flow):
    start, base_answers, prefix = FLOWS[flow]
    problems = {}

    def check(step):
        found = violations(page)
        if found:
            problems[step] = found
        if code in ERROR_STATE_LANGUAGES and step not in (
                "start", "check-answers", "confirmation", "outside", "people", "scammer", "access-needs", "already-here",
                "in-danger", "call-now", "no-way-to-reach-you"):
            # the error state: send the page empty, check it, then carry on from a clean page
            with page.expect_navigation():
                page.click("main form button[type=submit]")
            assert page.locator(".govuk-error-summary").is_visible(), step
            found = violations(page)
            if found:
                problems[f"{step} (errors)"] = found
            page.goto(page.url)

    answers = copy.deepcopy(base_answers)
    if flow == "hate-incident":
        answers["where"] = {"place": "Station", "area": "outside"}  # include the interruption page
    if flow == "format":
        answers["language"] = {"language": "Polish"}  # include the "already here" page
    reference = walk(page, live_server, code, answers, on_page=check, start=start)
    assert reference.startswith(prefix)
    assert problems == {}, problems


@pytest.mark.parametrize("flow", FLOWS)
def test_each_form_by_keyboard_alone(page, live_server, flow):
    start, answers, prefix = FLOWS[flow]
    page.goto(f"{live_server}/en{start}")
    tab_to(page, "el.classList.contains('govuk-button--start')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    submit = "!!el.closest('main form') && el.type === 'submit'"
    # nothing chosen: focus goes to the error summary
    tab_to(page, submit)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement !== document.body")
    assert page.evaluate("document.activeElement.classList.contains('govuk-error-summary')")

    steps = 0
    while "/check-answers" not in page.url:
        step = page.url.rsplit("/", 1)[1].split("?")[0]
        for name, value in answers[step].items():
            kind = page.locator(f"[name='{name}']").first.evaluate("e => e.type || e.tagName.toLowerCase()")
            if kind == "radio":
                tab_to(page, f"el.name === '{name}'")
                # within a radio group Tab lands on the first option; Space picks it. Other
                # options are reached with the arrow keys, which GOV.UK radios support too.
                options = page.eval_on_selector_all(f"input[name='{name}']", "els => els.map(e => e.value)")
                for _ in range(options.index(value)):
                    page.keyboard.press("ArrowDown")
                page.keyboard.press("Space")
                assert page.evaluate("document.activeElement.value") == value
            elif kind == "checkbox":
                for v in (value if isinstance(value, list) else [value]):
                    tab_to(page, f"el.name === '{name}' && el.value === '{v}'")
                    page.keyboard.press("Space")
            elif value:
                tab_to(page, f"el.name === '{name}'")
                page.keyboard.type(value)
        tab_to(page, submit)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator(".govuk-error-summary").count() == 0, step
        steps += 1
        assert steps < 20
    tab_to(page, submit)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".govuk-panel__body strong").inner_text().startswith(prefix)


@pytest.mark.parametrize("flow", FLOWS)
@pytest.mark.parametrize("code", ["en", "ur"])
def test_each_form_without_javascript(page_without_js, live_server, code, flow):
    start, answers, prefix = FLOWS[flow]
    reference = walk(page_without_js, live_server, code, answers, start=start)
    assert reference.startswith(prefix)
    assert page_without_js.locator(".sdp-receipt").count() == 1

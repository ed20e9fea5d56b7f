"""axe-core finds no WCAG 2.2 A or AA violation on any public page, in any language,
nor on the checker's question, error and result pages."""
import pytest

from sdp_public import languages

from .axe import violations

pytestmark = [pytest.mark.browser, pytest.mark.db]
CHECKED = {}


def _check(page, url, problems):
    found = violations(page)
    CHECKED[url] = len(found)
    if found:
        problems[url] = found


@pytest.mark.parametrize("code", [lang.code for lang in languages.LANGUAGES])
def test_every_public_page_has_no_axe_violations(page, live_server, public_paths, code):
    problems = {}
    for path in public_paths[code] + [f"/{code}/not-a-page", f"/{code}/search?q=support"]:
        page.goto(live_server + path)
        _check(page, path, problems)
    # the checker: a question page, its error state, then the result
    page.goto(f"{live_server}/{code}/business/cyber-essentials/check")
    with page.expect_navigation():
        page.click("main a.govuk-button--start")
    _check(page, page.url + " (question)", problems)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    _check(page, page.url + " (errors)", problems)
    while "/result" not in page.url:
        for name in page.eval_on_selector_all("main input[type=radio]", "els => [...new Set(els.map(e => e.name))]"):
            page.check(f"main input[name='{name}'][value='no']")
        with page.expect_navigation():
            page.click("main form button[type=submit]")
    _check(page, page.url + " (result)", problems)
    assert problems == {}, problems


def test_a_deliberately_broken_page_fails_the_check(page):
    """The check can fail: an image without alt text and an input without a label."""
    page.set_content("<!DOCTYPE html><html lang='en'><head><title>Broken</title></head><body><main>"
                     "<h1>Broken</h1><img src='data:image/gif;base64,R0lGODlhAQABAAAAACw='>"
                     "<input type='text' name='x'></main></body></html>")
    rules = {v["id"] for v in violations(page)}
    assert {"image-alt", "label"} <= rules


def test_the_partner_pages_have_no_axe_violations(app, page, live_server, monkeypatch):
    from sqlalchemy import select

    from sdp_public.models import StaffUser
    from sdp_public.services import staff, totp
    from sdp_test_helpers import HATE_ANSWERS, send_report, walk_report
    client = app.test_client()
    for _ in range(2):  # two at least, for a second page of the inbox
        reference, _ = send_report(client, "en", walk_report(client, "en", HATE_ANSWERS)[0])
    with app.extensions["sdp_sessionmaker"]() as db:
        _user, password, secret = staff.create(db, app.extensions["sdp_sealer"], "axe@police.example",
                                               "police-hate-crime", "caseworker")
        db.commit()
    problems = {}
    page.goto(f"{live_server}/partners/sign-in")
    _check(page, "sign-in", problems)
    page.fill("#email", "axe@police.example")
    page.fill("#password", "wrong")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    _check(page, "sign-in (error)", problems)
    page.fill("#email", "axe@police.example")
    page.fill("#password", password)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/sign-in/code")
    _check(page, "code", problems)
    with app.extensions["sdp_sessionmaker"]() as db:
        last = db.scalar(select(StaffUser.last_totp_step).where(StaffUser.email == "axe@police.example")) or 0
    page.fill("#code", totp.code_at(secret, max(totp.current_step(), last + 1)))
    page.click("main form button[type=submit]")
    page.wait_for_url("**/partners/password/new")
    _check(page, "choose a new password", problems)
    page.fill("#new_password", "short")
    page.fill("#confirm_password", "short")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    _check(page, "choose a new password (error)", problems)
    page.fill("#new_password", "axe chooses a long password")
    page.fill("#confirm_password", "axe chooses a long password")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/partners/")
    _check(page, "inbox", problems)
    from sdp_public.partners import inbox
    monkeypatch.setattr(inbox, "PAGE", 1)  # the pagination, on a page between others
    page.goto(f"{live_server}/partners/?page=2")
    assert page.locator(".govuk-pagination__prev").count() == 1
    _check(page, "inbox, page 2", problems)
    page.goto(f"{live_server}/partners/password")
    _check(page, "change your password", problems)
    page.goto(f"{live_server}/partners/reports/{reference}")
    _check(page, "report", problems)
    for email, role, landing, paths in (
            ("axe.admin@sdp.example", "admin", "**/partners/routing",
             ("/partners/routing", "/partners/statistics", "/partners/audit")),
            ("axe.lead@sdp.example", "lead", "**/partners/", ("/partners/users",))):
        with app.extensions["sdp_sessionmaker"]() as db:
            _user, password, secret = staff.create(db, app.extensions["sdp_sealer"], email, "council-community-safety", role)
            db.commit()
        other = page.context.browser.new_page()
        other.goto(f"{live_server}/partners/sign-in")
        other.fill("#email", email)
        other.fill("#password", password)
        other.click("main form button[type=submit]")
        other.fill("#code", totp.code_at(secret, totp.current_step()))
        other.click("main form button[type=submit]")
        other.wait_for_url("**/partners/password/new")
        other.fill("#new_password", f"{role} chooses a long password")
        other.fill("#confirm_password", f"{role} chooses a long password")
        other.click("main form button[type=submit]")
        other.wait_for_url(landing)
        for path in paths:
            other.goto(live_server + path)
            _check(other, path, problems)
        if role == "lead":
            other.click("main form button[type=submit] >> text=Add account")
            _check(other, "users (error)", problems)
        other.close()
    assert problems == {}, problems

"""Evidence in Chromium: two photos and a PDF chosen with the file input (set_input_files)
into a hate incident report and a scam report, with JavaScript off and on; the files page
empty, with its list, and with an error, checked with axe in all 13 languages; and the
whole upload by keyboard alone."""
import copy
import io

import pytest
from PIL import Image

from evidence_samples import jpeg_with_gps, pdf_bytes
from sdp_public import languages
from sdp_public.services import evidence, reports
from sdp_test_helpers import HATE_ANSWERS, SCAM_ANSWERS, walk_report

from .axe import violations
from .test_resume import tab_to

pytestmark = [pytest.mark.browser, pytest.mark.db]
FLOWS = {"hate-incident": HATE_ANSWERS, "scam-or-cyber-fraud": SCAM_ANSWERS}


def png(colour="white"):
    out = io.BytesIO()
    Image.new("RGB", (50, 40), colour).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def evidence_files(tmp_path):
    files = {"door.jpg": jpeg_with_gps(), "screenshot.png": png("navy"), "letter.pdf": pdf_bytes(pages=2)}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return {name: str(tmp_path / name) for name in files}


def on_files_page(app, live_server, context, flow="hate-incident", lang="en"):
    """Every question answered with the test client (quickly), Yes to "Do you have photos,
    screenshots or documents?" and no file yet; the browser gets that session's cookie
    and the files page's address (as the Change link on check answers leads there)."""
    client = app.test_client()
    answers = copy.deepcopy(FLOWS[flow])
    answers.update({"evidence": {"evidence": "yes"}, "files": {}})
    walk_report(client, lang, answers, flow=f"report/{flow}")
    context.add_cookies([{"name": "sdp_session", "value": client.get_cookie("sdp_session").value, "url": live_server}])
    return f"{live_server}/{lang}/report/{flow}/files"


def choose_and_upload(page, path):
    page.set_input_files("#file", path)
    with page.expect_navigation():
        page.click("main form[enctype='multipart/form-data'] button[type=submit]")


@pytest.mark.parametrize("flow", FLOWS)
@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_two_photos_and_a_pdf_go_into_the_report(app, browser, live_server, evidence_files, flow, javascript):
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(on_files_page(app, live_server, context, flow))
    for name in ("door.jpg", "screenshot.png", "letter.pdf"):
        choose_and_upload(page, evidence_files[name])
        assert f"{name} has been uploaded" in page.inner_text(".govuk-notification-banner")
    assert page.locator(".sdp-file-name").all_inner_texts() == ["door.jpg", "screenshot.png", "letter.pdf"]
    # Remove one, add it again: the list follows
    with page.expect_navigation():
        page.locator("form[action$='/remove'] button").nth(1).click()
    assert page.locator(".sdp-file-name").all_inner_texts() == ["door.jpg", "letter.pdf"]
    choose_and_upload(page, evidence_files["screenshot.png"])
    with page.expect_navigation():
        page.click("main form:not([enctype]):has(button[name=save_later]) button:not([name])")
    assert page.url.endswith("/check-answers")  # every other question was answered before
    summary = page.inner_text(".govuk-summary-list")
    assert "door.jpg" in summary and "letter.pdf" in summary and "screenshot.png" in summary
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    reference = page.inner_text(".govuk-panel__body strong").strip()
    with app.extensions["sdp_sessionmaker"]() as db:
        report = reports.find(db, reference)
        names = [evidence.open_file(app.extensions["sdp_sealer"], f, report).meta["name"] for f in report.files]
    assert sorted(names) == ["door.jpg", "letter.pdf", "screenshot.png"]
    context.close()


@pytest.mark.parametrize("code", [lang.code for lang in languages.LANGUAGES])
def test_the_files_page_has_no_axe_violations_empty_listed_or_in_error(app, browser, live_server, evidence_files, code):
    context = browser.new_context()
    page = context.new_page()
    page.goto(on_files_page(app, live_server, context, lang=code))
    problems = {"empty": violations(page)}
    assert page.get_attribute("html", "lang") == code
    choose_and_upload(page, evidence_files["door.jpg"])
    assert page.locator(".govuk-notification-banner--success").is_visible()
    problems["listed"] = violations(page)
    svg = evidence_files["door.jpg"].replace("door.jpg", "drawing.svg")
    open(svg, "w").write("<svg xmlns='http://www.w3.org/2000/svg'/>")
    choose_and_upload(page, svg)
    assert page.locator(".govuk-error-summary").is_visible() and page.locator("#file-error").is_visible()
    problems["error"] = violations(page)
    assert {state: found for state, found in problems.items() if found} == {}
    context.close()


def test_a_file_is_added_by_keyboard_alone(app, browser, live_server, evidence_files):
    context = browser.new_context()
    page = context.new_page()
    page.goto(on_files_page(app, live_server, context))
    tab_to(page, "el.id === 'file'")  # the file input takes focus, visibly, with its label
    assert page.evaluate("document.activeElement.labels[0].textContent.trim()") == "Upload a file"
    # The file itself is picked in the system's own dialog, outside the page (and headless
    # Chromium opens it only sometimes): hand the focused input its file, then go on by keyboard.
    page.set_input_files("#file", evidence_files["letter.pdf"])
    tab_to(page, "el.tagName === 'BUTTON' && el.closest('form').enctype === 'multipart/form-data'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".sdp-file-name").all_inner_texts() == ["letter.pdf"]
    tab_to(page, "el.tagName === 'BUTTON' && !el.name && el.closest('form').querySelector('[name=save_later]')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/check-answers")
    context.close()

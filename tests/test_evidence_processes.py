"""Evidence through the real processes: nginx in front of gunicorn (deploy/), a real clamd,
and the evidence worker run as its command (`flask evidence process --once`).

A photo of several megabytes goes through nginx and gunicorn whole; one over the limit is
refused with the site's own page in the reader's language, the answers kept; the worker
finds the EICAR file and quarantines it."""
import copy
import io
import os
import subprocess

import pytest
import requests
from bs4 import BeautifulSoup
from sqlalchemy import select

from clamd import EICAR, Clamd
from sdp_public.models import EvidenceFile
from sdp_test_helpers import HATE_ANSWERS, PYTHON, ROOT, Instance, csrf, environment, walk

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def clamd():
    with Clamd() as running:
        yield running


@pytest.fixture(scope="module")
def site(app, migrated_database, tmp_path_factory, clamd):
    folder = tmp_path_factory.mktemp("evidence-site")
    env = environment(app, migrated_database, folder, SDP_CLAMD_ADDRESS=clamd.address,
                      SDP_UPLOAD_MAX_BYTES=str(8 * 1024 * 1024))
    instance = Instance(env, folder, "evidence")
    instance.start()
    yield instance, env
    instance.stop()


def to_files_page(session, base, lang="en"):
    answers = copy.deepcopy(HATE_ANSWERS)
    answers.update({"evidence": {"evidence": "yes"}, "files": {}})
    walk(session, [base], answers, lang=lang)
    return session.get(f"{base}/{lang}/report/hate-incident/files", timeout=10).text


def post_file(session, base, page, name, data, lang="en"):
    action = BeautifulSoup(page, "html.parser").find("form", enctype="multipart/form-data")["action"]
    return session.post(base + action, data={"csrf_token": csrf(page)}, files={"file": (name, io.BytesIO(data))},
                        timeout=60, allow_redirects=False)


def test_a_large_photo_goes_through_nginx_and_an_oversize_one_gets_our_page_in_polish(site):
    instance, _env = site
    session = requests.Session()
    page = to_files_page(session, instance.url, lang="pl")
    big_but_allowed = b"%PDF-1.4\n" + os.urandom(5 * 1024 * 1024)
    response = post_file(session, instance.url, page, "statement.pdf", big_but_allowed, lang="pl")
    assert response.status_code == 303, response.status_code
    too_big = post_file(session, instance.url, page, "video.pdf", b"%PDF-1.4\n" + os.urandom(9 * 1024 * 1024), lang="pl")
    assert too_big.status_code == 413
    soup = BeautifulSoup(too_big.text, "html.parser")
    assert soup.find("html")["lang"] == "pl" and soup.select_one(".govuk-error-summary") is not None
    assert "statement.pdf" in soup.get_text()  # the list so far, and the answers, are kept
    # far over nginx's own limit: refused before gunicorn reads it, still with our page
    huge = post_file(session, instance.url, page, "huge.pdf", b"%PDF-1.4\n" + bytes(22 * 1024 * 1024), lang="pl")
    assert huge.status_code == 413 and BeautifulSoup(huge.text, "html.parser").find("html")["lang"] == "pl"
    assert session.get(f"{instance.url}/pl/report/hate-incident/check-answers", timeout=10).status_code == 200


def test_the_worker_command_quarantines_the_eicar_file_with_a_real_clamd(app, site):
    instance, env = site
    session = requests.Session()
    page = to_files_page(session, instance.url)
    assert post_file(session, instance.url, page, "invoice.txt", EICAR).status_code == 303
    check = session.get(f"{instance.url}/en/report/hate-incident/check-answers", timeout=10).text
    sent = session.post(f"{instance.url}/en/report/hate-incident/check-answers", data={"csrf_token": csrf(check)},
                        timeout=20, allow_redirects=False)
    assert sent.status_code == 303
    run = subprocess.run([PYTHON, "-m", "flask", "--app", "wsgi", "evidence", "process", "--once"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "infected" in run.stdout
    with app.extensions["sdp_sessionmaker"]() as db:
        statuses = db.scalars(select(EvidenceFile.scan_status).where(EvidenceFile.report_id.is_not(None))).all()
    assert "infected" in statuses


def test_two_tabs_uploading_the_last_file_at_once_store_one(app, site):
    import concurrent.futures
    import threading
    instance, _env = site
    session = requests.Session()
    page = to_files_page(session, instance.url)
    for number in range(9):  # the site's limit is 10 files
        assert post_file(session, instance.url, page, f"note {number}.txt", b"words").status_code == 303
    barrier = threading.Barrier(2)

    def press(name):
        barrier.wait()
        return post_file(session, instance.url, page, name, b"the last one").status_code

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(press, ["tab one.txt", "tab two.txt"]))
    assert statuses == [303, 400], statuses
    names = BeautifulSoup(session.get(f"{instance.url}/en/report/hate-incident/files", timeout=10).text,
                          "html.parser").select(".sdp-file-name")
    assert len(names) == 10

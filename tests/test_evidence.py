"""A reporter gives their evidence: photos, screenshots and documents, sealed from the first
byte, scanned by a real clamd, cleaned of location metadata, and opened safely by the
partner the report went to.

The pages are walked with the test client (the browser suite walks them in Chromium);
files are made in code (tests/evidence_samples.py)."""
import copy
import io
import re
import uuid

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select, text

from clamd import EICAR, Clamd
from evidence_samples import jpeg_with_gps, pdf_bytes
from sdp_public.evidence import inspect, worker
from sdp_public.models import AuditEntry, EvidenceFile, Report
from sdp_public.services import evidence, reports
from sdp_test_helpers import HATE_ANSWERS, SCAM_ANSWERS, csrf_of, new_account, send_report, sign_in, walk_report

pytestmark = pytest.mark.db

HATE = "report/hate-incident"
SCAM = "report/scam-or-cyber-fraud"


def with_files(answers):
    changed = copy.deepcopy(answers)
    changed["evidence"] = {"evidence": "yes"}
    changed["files"] = {}
    return changed


def files_page(client, flow=HATE, lang="en", query=""):
    page = client.get(f"/{lang}/{flow}/files{query}")
    assert page.status_code == 200, page.status_code
    return BeautifulSoup(page.data, "html.parser")


def upload(client, name, data, flow=HATE, lang="en"):
    """Choose a file and press "Upload file", as the page's own form does it."""
    form = files_page(client, flow, lang).find("form", enctype="multipart/form-data")
    assert form is not None, "no upload form on the files page"
    return client.post(form["action"], data={"csrf_token": csrf_of(form), "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def listed_names(client, flow=HATE):
    return [dt.get_text(strip=True) for dt in files_page(client, flow).select(".sdp-file-name")]


def error_of(response):
    soup = BeautifulSoup(response.data, "html.parser")
    summary = soup.select_one(".govuk-error-summary")
    return summary.get_text(" ", strip=True) if summary else None


def stored_report(app, reference):
    with app.extensions["sdp_sessionmaker"]() as db:
        report = reports.find(db, reference)
        files = []
        for item in report.files:
            opened = evidence.open_file(app.extensions["sdp_sealer"], item, report)
            files.append((item.id, opened.meta, evidence.read_all(db, item.id, opened.key)))
        return report, files


def process(app, scanner=None):
    with app.extensions["sdp_sessionmaker"]() as db:
        return worker.process_pending(db, app.extensions["sdp_sealer"], scanner)


@pytest.fixture(scope="module")
def clamd():
    with Clamd() as running:
        yield running


def test_a_victim_adds_a_photo_and_a_pdf_and_the_police_see_clean_copies(fresh_app):
    app = fresh_app
    client = app.test_client()
    check, asked = walk_report(client, "en", with_files(HATE_ANSWERS))
    assert "evidence" in asked and "files" in asked
    photo, document = jpeg_with_gps(), pdf_bytes(pages=2)
    response = upload(client, "graffiti on my door.jpg", photo)
    assert response.status_code == 303
    banner = files_page(client, query="?" + response.headers["Location"].split("?", 1)[1])
    assert "graffiti on my door.jpg has been uploaded" in banner.get_text()
    assert upload(client, "letter.pdf", document).status_code == 303
    assert listed_names(client) == ["graffiti on my door.jpg", "letter.pdf"]
    summary = BeautifulSoup(client.get(f"/en/{HATE}/check-answers").data, "html.parser")
    row = next(r for r in summary.select(".govuk-summary-list__row") if "Add your files" in r.get_text())
    assert "graffiti on my door.jpg" in row.get_text() and "letter.pdf" in row.get_text()
    assert row.select_one("a")["href"].endswith("/files?change=1")
    reference, _receipt = send_report(client, "en", summary)

    report, files = stored_report(app, reference)
    assert [meta["name"] for _id, meta, _data in files] == ["graffiti on my door.jpg", "letter.pdf"]
    assert [data for _id, _meta, data in files] == [photo, document]  # the originals, byte for byte
    import hashlib
    assert [meta["sha256"] for _id, meta, _data in files] == [hashlib.sha256(photo).hexdigest(),
                                                             hashlib.sha256(document).hexdigest()]
    assert process(app) == {"unscanned": 2}  # the embedded default has no scanner

    police = sign_in(app, *new_account(app, "police-hate-crime"))
    page = BeautifulSoup(police.get(f"/partners/reports/{reference}").data, "html.parser")
    text_of_page = page.get_text(" ", strip=True)
    assert hashlib.sha256(photo).hexdigest() in text_of_page and "Not scanned" in text_of_page
    previews = [img["src"] for img in page.select("img.sdp-file-preview")]
    assert len(previews) == 3  # the photo's clean copy and the PDF's two pages
    clean_preview = police.get(previews[0])
    assert clean_preview.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in clean_preview.headers["Content-Security-Policy"]
    assert inspect.metadata_names(clean_preview.data) == set()

    links = {a.get_text(strip=True): a["href"] for a in page.select("a.govuk-link") if "/files/" in a["href"]}
    clean = police.get(links["Download the clean copy"])
    assert clean.status_code == 200 and clean.headers["Content-Disposition"].startswith("attachment")
    assert "gps" not in inspect.metadata_names(clean.data) and "exif" not in inspect.metadata_names(clean.data)
    pdf = police.get(links["Download the file"])
    assert pdf.data == document and pdf.headers["Content-Disposition"].startswith("attachment")
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.headers["X-Content-Type-Options"] == "nosniff"

    warning = police.get(links["Download the original (may show where the reporter is)"])
    assert warning.status_code == 200 and b"could show where the reporter lives" in warning.data
    original = police.post(links["Download the original (may show where the reporter is)"],
                           data={"csrf_token": csrf_of(BeautifulSoup(warning.data, "html.parser"))})
    assert original.data == photo and "gps" in inspect.metadata_names(original.data)
    with app.extensions["sdp_sessionmaker"]() as db:
        actions = db.scalars(select(AuditEntry.action).where(AuditEntry.reference == reference)).all()
    assert actions.count("downloaded-file") == 2 and actions.count("downloaded-original") == 1
    import csv
    rows = list(csv.DictReader(io.StringIO(police.get("/partners/export.csv").get_data(as_text=True))))
    row = next(r for r in rows if r["reference"] == reference)
    assert row["files"] == "2" and "graffiti" not in str(row)  # the number of files only


def test_a_scam_victim_adds_a_screenshot_to_their_report(fresh_app):
    client = fresh_app.test_client()
    walk_report(client, "en", with_files(SCAM_ANSWERS), flow=SCAM)
    assert upload(client, "text message.png", _png(), flow=SCAM).status_code == 303
    summary = BeautifulSoup(client.get(f"/en/{SCAM}/check-answers").data, "html.parser")
    reference, _ = send_report(client, "en", summary, flow=SCAM)
    _report, files = stored_report(fresh_app, reference)
    assert [meta["kind"] for _id, meta, _data in files] == ["png"]


def _png():
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("name, data, problem", [
    ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "must be a"),
    ("photo.jpg", b"<html><script>alert(document.cookie)</script></html>", "must be a"),
    ("setup.exe", b"MZ\x90\x00" + bytes(300), "must be a"),
    ("empty.jpg", b"", "is empty"),
    ("notes.txt", b"caf\xe9 \xff\xfe not utf-8", "must be a"),
    ("huge.png", None, "too big to open"),
    ("broken.jpg", b"\xff\xd8\xff\xe0" + bytes(40), "could not be opened"),
])
def test_a_file_we_do_not_take_is_refused_on_the_same_page_with_the_answers_kept(fresh_app, name, data, problem):
    from evidence_samples import png_header_only
    data = png_header_only(30000, 30000) if data is None else data
    client = fresh_app.test_client()
    walk_report(client, "en", with_files(HATE_ANSWERS))
    response = upload(client, name, data)
    assert response.status_code == 400
    assert problem in error_of(response)
    if problem == "must be a":
        assert "JPG, PNG, WebP, GIF or HEIC photo, PDF or plain text file" in error_of(response)
    assert listed_names(client) == []
    with fresh_app.extensions["sdp_sessionmaker"]() as db:
        assert db.scalar(select(text("count(*)")).select_from(EvidenceFile)) == 0
        assert db.scalar(select(text("count(*)")).select_from(text("evidence_chunk"))) == 0
    assert client.get(f"/en/{HATE}/check-answers").status_code == 200  # the answers are kept


def test_more_files_than_allowed_and_a_file_too_big_are_refused(make_app, fresh_database):
    app = make_app(DATABASE_URL=fresh_database, UPLOAD_MAX_FILES=2, UPLOAD_MAX_BYTES=50_000)
    client = app.test_client()
    walk_report(client, "en", with_files(HATE_ANSWERS))
    assert upload(client, "one.png", _png()).status_code == 303
    too_big = upload(client, "big.txt", b"a" * 60_000)
    assert too_big.status_code == 413 and "must be smaller than 49 KB" in error_of(too_big)
    assert upload(client, "two.png", _png()).status_code == 303
    page = files_page(client)
    assert page.find("form", enctype="multipart/form-data") is None  # the limit: no more uploads offered
    third = client.post(f"/en/{HATE}/files/upload", data={"csrf_token": csrf_of(page), "file": (io.BytesIO(_png()), "3.png")},
                        content_type="multipart/form-data")
    assert third.status_code == 400 and "up to 2 files" in error_of(third)
    assert listed_names(client) == ["one.png", "two.png"]


def test_an_upload_without_its_token_keeps_nothing(fresh_app):
    client = fresh_app.test_client()
    walk_report(client, "en", with_files(HATE_ANSWERS))
    response = client.post(f"/en/{HATE}/files/upload", data={"csrf_token": "forged", "file": (io.BytesIO(_png()), "a.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and listed_names(client) == []
    not_multipart = client.post(f"/en/{HATE}/files/upload", data="file=abc", content_type="application/x-www-form-urlencoded")
    assert not_multipart.status_code == 400 and "Select a file" in error_of(not_multipart)


@pytest.mark.parametrize("given, shown", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("Pictures/2026/photo.jpg", "photo.jpg"),
    ("photo\u202egpj.exe", "photogpj.exe"),
    ("tab\tand\x07bell.txt", "tabandbell.txt"),
    ("<img src=x onerror=alert(1)>.txt", "<img src=x onerror=alert(1)>.txt"),
])
def test_a_file_name_is_for_display_only(fresh_app, given, shown):
    client = fresh_app.test_client()
    walk_report(client, "en", with_files(HATE_ANSWERS))
    assert upload(client, given, b"plain words").status_code == 303
    assert listed_names(client) == [shown]
    raw = client.get(f"/en/{HATE}/files").data
    assert b"<img src=x" not in raw  # escaped wherever it is shown


def test_a_file_can_be_removed_and_exit_this_page_deletes_every_file(fresh_app):
    client = fresh_app.test_client()
    walk_report(client, "en", with_files(HATE_ANSWERS))
    upload(client, "first.txt", b"one")
    upload(client, "second.txt", b"two")
    remove = files_page(client).select("form[action$='/remove']")[0]
    removed = client.post(remove["action"], data={"csrf_token": csrf_of(remove)})
    assert removed.status_code == 303 and "The file has been removed" in files_page(client, query="?removed=1").get_text()
    assert listed_names(client) == ["second.txt"]
    client.get("/en/exit")
    with fresh_app.extensions["sdp_sessionmaker"]() as db:
        assert db.scalar(select(text("count(*)")).select_from(EvidenceFile)) == 0
        assert db.scalar(select(text("count(*)")).select_from(text("evidence_chunk"))) == 0


def test_no_file_byte_is_kept_in_the_clear(fresh_app):
    marker = f"evidence-marker-{uuid.uuid4().hex}".encode()
    client = fresh_app.test_client()
    walk_report(client, "en", with_files(HATE_ANSWERS))
    upload(client, f"{marker.decode()}.txt", b"The message said: " + marker * 3)
    with fresh_app.extensions["sdp_engine"].connect() as conn:
        draft_rows = b"".join(bytes(r[0]) for r in conn.execute(text("SELECT data FROM evidence_chunk")))
        names = " ".join(str(r) for r in conn.execute(text("SELECT * FROM evidence_file")))
    assert draft_rows and marker not in draft_rows and marker.decode() not in names
    reference, _ = send_report(client, "en", BeautifulSoup(client.get(f"/en/{HATE}/check-answers").data, "html.parser"))
    with fresh_app.extensions["sdp_engine"].connect() as conn:
        sent_rows = b"".join(bytes(r[0]) for r in conn.execute(text("SELECT data FROM evidence_chunk")))
    assert marker not in sent_rows
    if fresh_app.config["DATABASE_URL"].startswith("sqlite"):
        path = fresh_app.config["DATABASE_URL"].removeprefix("sqlite:///")
        for suffix in ("", "-wal"):
            try:
                assert marker not in open(path + suffix, "rb").read()
            except FileNotFoundError:
                pass
    _report, files = stored_report(fresh_app, reference)
    assert marker in files[0][2]  # and yet the partner's copy opens


def test_the_eicar_file_is_quarantined_and_never_downloadable(fresh_app, clamd):
    client = fresh_app.test_client()
    walk_report(client, "en", with_files(HATE_ANSWERS))
    assert upload(client, "invoice.txt", EICAR).status_code == 303
    assert upload(client, "photo.jpg", jpeg_with_gps()).status_code == 303
    reference, _ = send_report(client, "en", BeautifulSoup(client.get(f"/en/{HATE}/check-answers").data, "html.parser"))
    from sdp_public.evidence.scanner import Scanner
    assert process(fresh_app, Scanner(clamd.address)) == {"infected": 1, "clean": 1}
    police = sign_in(fresh_app, *new_account(fresh_app, "police-hate-crime"))
    page = BeautifulSoup(police.get(f"/partners/reports/{reference}").data, "html.parser")
    assert page.select_one(".sdp-scan-infected") is not None and "Withheld: malware found" in page.get_text()
    assert page.select_one(".sdp-scan-clean") is not None
    with fresh_app.extensions["sdp_sessionmaker"]() as db:
        infected = db.scalar(select(EvidenceFile).where(EvidenceFile.scan_status == "infected"))
        assert infected.scan_signature and infected.processing == "waiting"
        infected_id = infected.id
    for path in ("download", "original", "preview/clean"):
        response = police.get(f"/partners/reports/{reference}/files/{infected_id}/{path}")
        assert response.status_code in (403, 404) and EICAR not in response.data
    _report, files = stored_report(fresh_app, reference)
    assert EICAR in [data for _id, _meta, data in files]  # kept, sealed, as evidence


def test_a_scanner_that_cannot_be_reached_leaves_files_waiting_then_failed(fresh_app, tmp_path):
    from sdp_public.evidence.scanner import Scanner
    client = fresh_app.test_client()
    walk_report(client, "en", with_files(HATE_ANSWERS))
    upload(client, "notes.txt", b"what they said")
    send_report(client, "en", BeautifulSoup(client.get(f"/en/{HATE}/check-answers").data, "html.parser"))
    nowhere = Scanner(f"unix:{tmp_path}/no-clamd.ctl", timeout=1)
    assert process(fresh_app, nowhere) == {"waiting": 1}
    with fresh_app.extensions["sdp_sessionmaker"]() as db:
        item = db.scalar(select(EvidenceFile))
        assert item.scan_status == "waiting" and item.attempts == 1
        item.attempts, item.next_attempt_at = worker.MAX_ATTEMPTS - 1, item.created_at
        db.commit()
    assert process(fresh_app, nowhere) == {"failed": 1}


def test_files_are_resealed_by_rotation_verified_in_a_backup_and_deleted_by_the_purge(fresh_app, make_app, tmp_path):
    from datetime import datetime, timedelta, timezone

    from sdp_public import backup
    from sdp_public.services import keys
    from sdp_public.services.sealing import Sealer, new_key_spec, parse_keys
    client = fresh_app.test_client()
    walk_report(client, "en", with_files(HATE_ANSWERS))
    upload(client, "photo.jpg", jpeg_with_gps())
    reference, _ = send_report(client, "en", BeautifulSoup(client.get(f"/en/{HATE}/check-answers").data, "html.parser"))
    other = fresh_app.test_client()  # a draft's file, not yet sent
    walk_report(other, "en", with_files(HATE_ANSWERS))
    upload(other, "draft photo.jpg", jpeg_with_gps())
    process(fresh_app)

    new_spec = f"{new_key_spec()},{fresh_app.config['SEALING_KEYS']}"
    rotated = Sealer(parse_keys(new_spec))
    with fresh_app.extensions["sdp_sessionmaker"]() as db:
        keys.rotate(db, rotated)
    only_new = Sealer(parse_keys(new_spec.split(",")[0]))
    with fresh_app.extensions["sdp_sessionmaker"]() as db:
        for item in db.scalars(select(EvidenceFile)):
            evidence.verify(db, only_new, item)  # every key re-sealed: the old key is no longer needed
    target = tmp_path / "backup.db"
    backup.create(fresh_app.config["DATABASE_URL"], str(target))
    found = backup.verify(fresh_app.config["DATABASE_URL"], str(target), only_new)
    assert found["files_opened"] == 1

    with fresh_app.extensions["sdp_sessionmaker"]() as db:
        report = reports.find(db, reference)
        report.status, report.closed_at = "closed", datetime.now(timezone.utc) - timedelta(days=400)
        db.commit()
        assert reports.purge_closed(db, datetime.now(timezone.utc) - timedelta(days=365)) == 1
        assert db.scalar(select(text("count(*)")).select_from(EvidenceFile).where(EvidenceFile.report_id.is_not(None))) == 0
        remaining = db.scalars(select(EvidenceFile.id)).all()
        assert len(remaining) == 1  # the other reporter's draft file is untouched
        assert db.execute(text("SELECT count(*) FROM evidence_chunk WHERE file_id NOT IN (:keep)"),
                          {"keep": remaining[0]}).scalar() == 0


def test_a_resumed_draft_keeps_its_files(fresh_app):
    client = fresh_app.test_client()
    walk_report(client, "en", with_files(HATE_ANSWERS))
    upload(client, "screenshot.png", _png())
    page = files_page(client)
    continue_form = page.find("form", action=re.compile(r"/files$"))
    saved = client.post(continue_form["action"], data={"csrf_token": csrf_of(continue_form), "save_later": "1"})
    code = BeautifulSoup(saved.data, "html.parser").select_one(".sdp-resume-code").get_text(strip=True)
    elsewhere = fresh_app.test_client()
    resume_page = BeautifulSoup(elsewhere.get("/en/report/resume").data, "html.parser")
    elsewhere.post("/en/report/resume", data={"csrf_token": csrf_of(resume_page), "code": code})
    assert listed_names(elsewhere) == ["screenshot.png"]
    reference, _ = send_report(elsewhere, "en", BeautifulSoup(elsewhere.get(f"/en/{HATE}/check-answers").data, "html.parser"))
    _report, files = stored_report(fresh_app, reference)
    assert [meta["name"] for _id, meta, _data in files] == ["screenshot.png"]


def test_after_sending_a_reporter_adds_a_file_from_the_track_page_within_the_limit(make_app, fresh_database):
    app = make_app(DATABASE_URL=fresh_database, UPLOAD_MAX_FILES=2)
    client = app.test_client()
    walk_report(client, "en", with_files(HATE_ANSWERS))
    upload(client, "first.png", _png())
    reference, receipt = send_report(client, "en", BeautifulSoup(client.get(f"/en/{HATE}/check-answers").data,
                                                                 "html.parser"))
    later = app.test_client()  # another day, another device: the reference and receipt code
    page = BeautifulSoup(later.get("/en/track").data, "html.parser")
    assert later.post("/en/track", data={"csrf_token": csrf_of(page), "reference": reference,
                                         "receipt": receipt}).status_code == 303
    status = BeautifulSoup(later.get("/en/track/report").data, "html.parser")
    form = status.find("form", enctype="multipart/form-data")
    assert "Your report has 1 file." in status.get_text()
    refused = later.post(form["action"], data={"csrf_token": csrf_of(form), "file": (io.BytesIO(b"<svg/>"), "x.svg")},
                         content_type="multipart/form-data")
    assert refused.status_code == 400 and "must be a" in error_of(refused)
    added = later.post(form["action"], data={"csrf_token": csrf_of(form), "file": (io.BytesIO(b"more words"), "more.txt")},
                       content_type="multipart/form-data")
    assert added.status_code == 303
    status = BeautifulSoup(later.get(added.headers["Location"]).data, "html.parser")
    assert "We have added your file" in status.get_text() and status.find("form", enctype="multipart/form-data") is None
    forced = later.post(form["action"], data={"csrf_token": csrf_of(form), "file": (io.BytesIO(b"one more"), "3.txt")},
                        content_type="multipart/form-data")
    assert forced.status_code == 400 and "up to 2 files" in error_of(forced)
    report, files = stored_report(app, reference)
    assert [meta["name"] for _id, meta, _data in files] == ["first.png", "more.txt"]
    with app.extensions["sdp_sessionmaker"]() as db:
        item = db.get(EvidenceFile, files[1][0])
        assert item.added_after_sending and item.report_id == report.id
        sent = reports.find(db, reference)
        kinds = [e.kind for e in sent.events]
        from sdp_public.models import OutboxMessage
        updates = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "partner-update")).all()
        assert "reporter-file" in kinds and len(updates) == len(sent.routes)


def test_the_draft_purge_deletes_an_abandoned_drafts_files(fresh_app):
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import update

    from sdp_public import drafts
    from sdp_public.models import Draft
    keep, abandon = fresh_app.test_client(), fresh_app.test_client()
    for client in (keep, abandon):
        walk_report(client, "en", with_files(HATE_ANSWERS))
        upload(client, "photo.png", _png())
    with abandon.session_transaction() as session:
        abandoned = session["drafts"]["hate-incident"]
    with fresh_app.app_context(), fresh_app.extensions["sdp_sessionmaker"]() as db:
        db.execute(update(Draft).where(Draft.id == abandoned)
                   .values(expires_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
        db.commit()
        assert drafts.purge_expired(db) == 1
        left = db.scalars(select(EvidenceFile.draft_id)).all()
        assert left and abandoned not in left
        assert db.execute(text("SELECT count(DISTINCT file_id) FROM evidence_chunk")).scalar() == len(left)
    assert listed_names(keep) == ["photo.png"]


def test_an_iphone_photo_and_a_pdf_with_scripts_reach_the_partner_safely(fresh_app):
    import pillow_heif
    from PIL import Image
    from evidence_samples import gps_exif, two_tone
    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    two_tone((80, 60)).save(out, format="HEIF", exif=gps_exif().tobytes())
    heic = out.getvalue()
    scripted = pdf_bytes(pages=1, catalog_extra=b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> ")
    client = fresh_app.test_client()
    walk_report(client, "en", with_files(HATE_ANSWERS))
    assert upload(client, "IMG_0042.HEIC", heic).status_code == 303
    assert upload(client, "form.pdf", scripted).status_code == 303
    reference, _ = send_report(client, "en", BeautifulSoup(client.get(f"/en/{HATE}/check-answers").data, "html.parser"))
    assert process(fresh_app) == {"unscanned": 2}
    police = sign_in(fresh_app, *new_account(fresh_app, "police-hate-crime"))
    page = BeautifulSoup(police.get(f"/partners/reports/{reference}").data, "html.parser")
    assert "This PDF contains scripts" in page.get_text()
    clean = police.get(page.select("img.sdp-file-preview")[0]["src"])
    assert Image.open(io.BytesIO(clean.data)).format == "JPEG" and inspect.metadata_names(clean.data) == set()

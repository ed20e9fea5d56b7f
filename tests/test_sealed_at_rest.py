"""Nothing a reporter types is readable at rest: not in a draft, not in the row that waits
for the confirmation page, not in SQLite's WAL or free pages, not in a mail file or a
backup, and nothing in the instance folder is readable by anyone but its owner."""
import copy
import json
import os
import stat
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import create_engine, select, text
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from sdp_public import create_app, drafts, mail
from sdp_public.cli import upgrade
from sdp_public.models import Draft, ReportEvent, ReportRoute
from sdp_public.report.common import valid_email, valid_phone
from sdp_public.report.registry import FLOWS
from sdp_public.services import codes, outbox
from sdp_public.services.sealing import Sealer, SealingError, new_key_spec, parse_keys
from sdp_public.services.reports import find
from sdp_test_helpers import (AWARENESS_ANSWERS, HATE_ANSWERS, SCAM_ANSWERS, TRANSLATION_ANSWERS, csrf_of,
                              new_account, post_form, send_report, sign_in, walk_report)

OWN_APP = {"TESTING": True, "SUBMIT_RATE_LIMIT": "1000 per minute", "REPORT_MINIMUM_SECONDS": 0,
           "TRACK_RATE_LIMIT": "1000 per minute"}


def free_text_fields(flow):
    """(step, field) for every free-text answer: a text box with a length limit and no format
    check (emails, phone numbers, amounts and date parts cannot carry a marker)."""
    found = []
    for step in flow.steps:
        for name in step.answers:
            unbound = getattr(step.form, name)
            checks = unbound.kwargs.get("validators", [])
            if (unbound.field_class in (StringField, TextAreaField) and not hasattr(step.form, f"validate_{name}")
                    and any(isinstance(check, Length) for check in checks)
                    and not any(check in (valid_email, valid_phone) for check in checks)):
                found.append((step.slug, name))
    return found


def flow_of(slug):
    return next(flow for (_kind, s), (flow, _c) in FLOWS.items() if s == slug)


def marked(slug, answers, markers, prefix):
    """`answers` with a unique marker in every free-text field of the flow."""
    answers = copy.deepcopy(answers)
    for step, name in free_text_fields(flow_of(slug)):
        if step in answers:
            marker = f"{prefix}{len(markers):03d}Mk"
            answers[step][name] = marker
            markers[marker] = (slug, step, name)
    return answers


def walk_until(client, flow_path, answers, stop):
    """Answer questions in order, leaving before `stop`: a form given up half way."""
    response = client.get(f"/en/{flow_path}/")
    url = BeautifulSoup(response.data, "html.parser").select_one("main a.govuk-button--start")["href"]
    asked = []
    while not url.endswith("/" + stop):
        soup = BeautifulSoup(client.get(url).data, "html.parser")
        step = url.rsplit("/", 1)[1].split("?")[0]
        asked.append(step)
        response = client.post(url, data={"csrf_token": csrf_of(soup), **answers[step]})
        assert response.status_code == 302, step
        url = response.headers["Location"]
    return asked


def files_under(folder):
    return sorted(p for p in Path(folder).rglob("*") if p.is_file())


def everything_at_rest(folder, snapshot):
    """Every file's bytes, the live database's WAL included. Copied by another process: a
    descriptor of the database opened and closed here would drop this process's SQLite locks."""
    subprocess.run(["cp", "-a", str(folder), str(snapshot)], check=True)
    return {path: path.read_bytes() for path in files_under(snapshot)}


@pytest.fixture
def own_app(tmp_path, monkeypatch):
    """A fresh app with its own instance folder (embedded defaults: SQLite file, keys, mail
    files all made there) and its own migrated database."""
    instance = tmp_path / "instance"
    monkeypatch.setenv("SDP_INSTANCE_PATH", str(instance))
    application = create_app(OWN_APP)
    upgrade(application.config["DATABASE_URL"])
    yield application
    application.extensions["sdp_engine"].dispose()


def test_nothing_typed_into_any_form_nor_any_receipt_is_readable_in_the_database_its_wal_or_the_instance_folder(own_app, tmp_path):
    instance = Path(own_app.config["INSTANCE_PATH"])
    assert own_app.config["DATABASE_URL"] == f"sqlite:///{instance / 'sdp_public.db'}"
    assert own_app.config["SMTP_URL"] == f"file://{instance / 'mail'}"
    markers, covered = {}, set()
    hate = copy.deepcopy(HATE_ANSWERS)
    hate["why"] = {"why": ["race", "other"], "why_other": "x"}
    scam = copy.deepcopy(SCAM_ANSWERS)
    scam["kind"] = {"kind": "other"}
    formats = copy.deepcopy(TRANSLATION_ANSWERS)
    formats["need"] = {"need": "other-format"}
    formats["document"] = {"document": "leaflet"}
    journeys = [("report/hate-incident", hate), ("report/scam-or-cyber-fraud", scam),
                ("request/translation-or-format", TRANSLATION_ANSWERS), ("request/translation-or-format", formats),
                ("request/awareness-session", AWARENESS_ANSWERS)]

    # Given up half way: the draft stays in the table until it expires.
    quitter = own_app.test_client()
    asked = walk_until(quitter, "report/hate-incident", marked("hate-incident", hate, markers, "Zq7wQ"), "outcome")
    covered |= {("hate-incident", step, name) for step, name in free_text_fields(flow_of("hate-incident")) if step in asked}

    # Saved for later: one code left unused, one resumed in another browser (a draft moved
    # to a new id, re-sealed): neither the answers nor either code readable anywhere.
    resume_codes = []
    for resumed in (False, True):
        saver = own_app.test_client()
        walk_until(saver, "report/hate-incident", marked("hate-incident", hate, markers, "Zq7wR"), "outcome")
        page = BeautifulSoup(saver.get("/en/report/hate-incident/outcome").data, "html.parser")
        saved = saver.post("/en/report/hate-incident/outcome", data={"csrf_token": csrf_of(page), "save_later": "1"})
        resume_codes.append(BeautifulSoup(saved.data, "html.parser").select_one(".sdp-resume-code").get_text(strip=True))
        if resumed:
            finder = own_app.test_client()
            page = BeautifulSoup(finder.get("/en/report/resume").data, "html.parser")
            response = finder.post("/en/report/resume", data={"csrf_token": csrf_of(page), "code": resume_codes[-1]})
            assert response.headers["Location"] == "/en/report/hate-incident/outcome"

    receipts, waiting = [], []
    for flow_path, answers in journeys:
        slug = flow_path.split("/")[1]
        client = own_app.test_client()
        check, asked = walk_report(client, "en", marked(slug, answers, markers, "Zq7wS"), flow=flow_path)
        covered |= {(slug, step, name) for step, name in free_text_fields(flow_of(slug)) if step in asked}
        if slug == "awareness-session":
            # Sent, but the confirmation not yet shown: the receipt waits on the server.
            response = client.post(f"/en/{flow_path}/check-answers", data={"csrf_token": csrf_of(check)})
            assert response.status_code == 303
            waiting.append((client, response.headers["Location"]))
        else:
            receipts.append(send_report(client, "en", check, flow=flow_path)[1])

    every = {(slug, step, name) for (_k, slug), (flow, _c) in FLOWS.items() for step, name in free_text_fields(flow)}
    assert covered == every, every - covered  # a marker in every free-text field of all four forms

    with own_app.app_context():
        with own_app.extensions["sdp_sessionmaker"]() as db:
            while sum(outbox.deliver(db, own_app.config, own_app.extensions["sdp_router"],
                                     own_app.extensions["sdp_sealer"])):
                pass
    assert list((instance / "mail").glob("*.eml")), "the file transport wrote the notifications"
    result = own_app.test_cli_runner().invoke(args=["db", "backup", str(instance / "backup.db")])
    assert result.exit_code == 0, result.output

    at_rest = everything_at_rest(instance, tmp_path / "snapshot")
    assert {p.name for p in at_rest} >= {"sdp_public.db", "sdp_public.db-wal", "secret_key", "sealing_keys", "backup.db"}
    client, location = waiting[0]
    confirmation = BeautifulSoup(client.get(location).data, "html.parser")
    receipts.append(confirmation.select_one(".sdp-receipt").get_text(strip=True))
    assert len(receipts) == len(journeys) and all(receipts)
    for path, data in at_rest.items():
        for secret in [*markers, *receipts, *resume_codes, *map(codes.normalise, resume_codes)]:
            assert secret.encode() not in data, f"{secret} ({markers.get(secret, 'a code')}) readable in {path.name}"

    # Freed space is zeroed (Debian's SQLite is built with this on; python.org's and most
    # others are not, hence the pragma), and the hourly purge leaves no old page image in the WAL.
    with own_app.extensions["sdp_engine"].connect() as connection:
        assert connection.execute(text("PRAGMA secure_delete")).scalar() == 1
    result = own_app.test_cli_runner().invoke(args=["drafts", "purge"])
    assert result.exit_code == 0, result.output
    wal = instance / "sdp_public.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0

    # Owner only: the folder 0700, every file in it 0600 (database, WAL, keys, mail, backup).
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    assert stat.S_IMODE((instance / "mail").stat().st_mode) == 0o700
    for path in files_under(instance):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, f"{path.name} is {oct(path.stat().st_mode)}"


def test_an_existing_instance_folder_and_database_are_made_private_at_start(tmp_path, monkeypatch):
    instance = tmp_path / "old"
    instance.mkdir(mode=0o755)
    os.chmod(instance, 0o755)
    database = instance / "sdp_public.db"
    database.touch(mode=0o644)
    os.chmod(database, 0o644)
    monkeypatch.setenv("SDP_INSTANCE_PATH", str(instance))
    application = create_app(OWN_APP)
    application.extensions["sdp_engine"].dispose()
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


@pytest.mark.db
def test_a_drafts_answers_are_not_readable_in_its_row_and_open_only_for_that_draft(app, client):
    marker = f"Zq7wD{uuid.uuid4().hex[:8]}"
    answers = copy.deepcopy(HATE_ANSWERS)
    answers["description"] = {"description": f"Said {marker} to me"}
    answers["where"] = {"place": f"{marker} Street", "area": "easington"}
    walk_until(client, "report/hate-incident", answers, "people")
    with client.session_transaction() as session:
        draft_id = session["drafts"]["hate-incident"]
    with app.extensions["sdp_sessionmaker"]() as db:
        row = db.execute(text("SELECT * FROM draft WHERE id = :id"), {"id": draft_id}).one()
        other = db.execute(text("SELECT id FROM draft WHERE id != :id"), {"id": draft_id}).first()
        sealed = db.get(Draft, draft_id).sealed
    assert marker not in repr(tuple(row)) and "easington" not in repr(tuple(row))
    assert sealed.startswith("v1.")
    sealer = app.extensions["sdp_sealer"]
    assert sealer.unseal(sealed, drafts.context(draft_id))["description"] == f"Said {marker} to me"
    with pytest.raises(SealingError):  # bound to its draft: copied onto another row it does not open
        sealer.unseal(sealed, drafts.context(other[0] if other else "another-draft"))
    page = client.get("/en/report/hate-incident/description")  # the form still shows what was typed
    assert marker in page.get_data(as_text=True)


@pytest.mark.db
def test_an_oversize_answer_is_refused_on_the_same_page_with_the_answers_kept(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "DRAFT_MAX_BYTES", 1500)
    walk_until(client, "report/hate-incident", HATE_ANSWERS, "description")
    long_answer = "Word " * 400  # 2,000 characters: within the field's 5,000, over the draft's 1,500 bytes
    for lang, message in (("en", "Your answers are too long for us to keep"), ("de", "Ihre Antworten sind zu lang")):
        page = client.get(f"/{lang}/report/hate-incident/description")
        response = client.post(f"/{lang}/report/hate-incident/description",
                               data={"csrf_token": csrf_of(BeautifulSoup(page.data, "html.parser")),
                                     "description": long_answer})
        assert response.status_code == 200
        soup = BeautifulSoup(response.data, "html.parser")
        assert message in soup.select_one(".govuk-error-summary").get_text()
        assert soup.select_one("textarea[name=description]").get_text().strip() == long_answer.strip()
    with client.session_transaction() as session:
        draft_id = session["drafts"]["hate-incident"]
    with app.extensions["sdp_sessionmaker"]() as db:
        kept = app.extensions["sdp_sealer"].unseal(db.get(Draft, draft_id).sealed, drafts.context(draft_id))
    assert "description" not in kept and kept["place"] == HATE_ANSWERS["where"]["place"]
    monkeypatch.setitem(app.config, "DRAFT_MAX_BYTES", 64 * 1024)
    page = client.get("/en/report/hate-incident/description")
    response = client.post("/en/report/hate-incident/description",
                           data={"csrf_token": csrf_of(BeautifulSoup(page.data, "html.parser")), "description": long_answer})
    assert response.status_code == 302  # the default holds any real answer


@pytest.mark.db
def test_the_confirmation_shows_the_reference_once(app, client):
    check, _ = walk_report(client, "en", HATE_ANSWERS)
    reference, receipt = send_report(client, "en", check)
    assert reference and receipt
    later = client.get("/en/report/hate-incident/confirmation")
    assert later.status_code == 200
    html = later.get_data(as_text=True)
    assert reference not in html and receipt not in html
    assert "This was sent from this browser earlier" in html
    german = client.get("/de/report/hate-incident/confirmation").get_data(as_text=True)
    assert reference not in german and "Dies wurde vorhin von diesem Browser gesendet" in german


@pytest.mark.db
def test_a_referral_keeps_its_reason_sealed_and_only_fixed_text_in_the_route(app):
    police = sign_in(app, *new_account(app, "police-hate-crime"))
    client = app.test_client()
    answers = {**copy.deepcopy(HATE_ANSWERS), "outcome": {"outcome": "police"}, "support": {"support": "no"}}
    reference, _ = send_report(client, "en", walk_report(client, "en", answers)[0])
    marker = f"Zq7wR{uuid.uuid4().hex[:8]}"
    response = post_form(police, f"/partners/reports/{reference}", f"/partners/reports/{reference}/refer",
                         {"partner": "council-community-safety", "reason": f"Neighbour {marker} dispute"})
    assert response.status_code == 302
    with app.extensions["sdp_sessionmaker"]() as db:
        report = find(db, reference)
        routes = db.execute(text("SELECT * FROM report_route WHERE report_id = :id"), {"id": report.id}).all()
        referral = db.scalar(select(ReportRoute).where(ReportRoute.report_id == report.id,
                                                       ReportRoute.partner == "council-community-safety"))
        assert referral.reason == "Referred by Durham Constabulary hate crime team"
        assert marker not in repr(routes)
        event = db.scalar(select(ReportEvent).where(ReportEvent.report_id == report.id, ReportEvent.kind == "referred"))
        assert marker not in (event.sealed_body or "")
        assert marker in json.dumps(report.open(app.extensions["sdp_sealer"], "event", event.sealed_body))


def test_the_migration_deletes_plain_drafts_and_referral_words_and_leaves_no_bytes_behind(tmp_path):
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    upgrade(url, "0004")
    marker, words = f"Zq7wM{uuid.uuid4().hex[:8]}", f"Zq7wW{uuid.uuid4().hex[:8]}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("PRAGMA journal_mode=WAL"))
        conn.execute(text("INSERT INTO draft (id, form, answers, created_at, updated_at, expires_at) VALUES "
                          "('d1', 'hate-incident', :answers, '2026-12-01', '2026-12-01', '2026-12-02')"),
                     {"answers": json.dumps({"description": f"{marker} " * 50})})
        conn.execute(text("INSERT INTO report (id, reference, form, lang, status, anonymous, sealed_answers, "
                          "receipt_hash, created_at, updated_at) VALUES (1, 'HC-AAAA-AAAA', 'hate-incident', 'en', "
                          "'referred', 0, 'v1.x.y', 'h', '2026-12-01', '2026-12-01')"))
        conn.execute(text("INSERT INTO report_route (report_id, partner, reason, created_at) VALUES "
                          "(1, 'police-hate-crime', 'The rule says so.', '2026-12-01'), "
                          "(1, 'council-community-safety', :reason, '2026-12-01')"),
                     {"reason": f"Referred by Durham Constabulary hate crime team: {words} " * 20})
    engine.dispose()
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM draft")).scalar() == 0
        assert [r for (r,) in conn.execute(text("SELECT reason FROM report_route ORDER BY id"))] == [
            "The rule says so.", "Referred by Durham Constabulary hate crime team"]
    engine.dispose()
    for name in ("old.db", "old.db-wal"):
        if (tmp_path / name).exists():
            data = (tmp_path / name).read_bytes()
            assert marker.encode() not in data and words.encode() not in data, name


def _keys_app(tmp_path, monkeypatch, keys):
    monkeypatch.setenv("SDP_INSTANCE_PATH", str(tmp_path / "instance"))
    return create_app({**OWN_APP, "DATABASE_URL": f"sqlite:///{tmp_path / 'keys.db'}", "SEALING_KEYS": keys})


def test_keys_rotate_reseals_drafts_with_the_new_key_and_back_again(tmp_path, monkeypatch):
    old, new = new_key_spec(), new_key_spec()
    first = _keys_app(tmp_path, monkeypatch, old)
    upgrade(first.config["DATABASE_URL"])
    client = first.test_client()
    walk_until(client, "report/hate-incident", HATE_ANSWERS, "people")
    with client.session_transaction() as session:
        draft_id = session["drafts"]["hate-incident"]

    def draft_opens_with(spec):
        with first.extensions["sdp_sessionmaker"]() as db:
            sealed = db.get(Draft, draft_id).sealed
        assert sealed.startswith(f"v1.{spec.split(':')[0]}.")
        return Sealer(parse_keys(spec)).unseal(sealed, drafts.context(draft_id))["description"]

    assert draft_opens_with(old) == HATE_ANSWERS["description"]["description"]
    for keys, current in ((f"{new},{old}", new), (f"{old},{new}", old)):
        rotating = _keys_app(tmp_path, monkeypatch, keys)
        result = rotating.test_cli_runner().invoke(args=["keys", "rotate"])
        assert result.exit_code == 0 and "re-sealed 1 values" in result.output, result.output
        rotating.extensions["sdp_engine"].dispose()
        assert draft_opens_with(current) == HATE_ANSWERS["description"]["description"]
    # a draft no configured key opens (its key retired) cannot be resumed: rotation deletes it
    retired = _keys_app(tmp_path, monkeypatch, new_key_spec())
    result = retired.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0 and "deleted 1 drafts no configured key opens" in result.output, result.output
    retired.extensions["sdp_engine"].dispose()
    with first.extensions["sdp_sessionmaker"]() as db:
        assert db.get(Draft, draft_id) is None
    first.extensions["sdp_engine"].dispose()


@pytest.mark.db
def test_mail_files_are_private_and_deleted_after_their_days(app, tmp_path, monkeypatch):
    folder = tmp_path / "mail"
    monkeypatch.setitem(app.config, "SMTP_URL", f"file://{folder}")
    monkeypatch.setitem(app.config, "MAIL_FILE_DAYS", 7)
    message = mail.build("sdp@localhost", "reporter@example.org", "Your report", "Thank you")
    old = mail.send(app.config["SMTP_URL"], message)
    fresh = mail.send(app.config["SMTP_URL"], message)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in (old, fresh)} == {0o600}
    eight_days_ago = time.time() - 8 * 86400
    os.utime(old, (eight_days_ago, eight_days_ago))
    result = app.test_cli_runner().invoke(args=["drafts", "purge"])
    assert result.exit_code == 0, result.output
    assert not old.exists() and fresh.exists()
    assert "deleted 1 mail files older than 7 days" in result.output

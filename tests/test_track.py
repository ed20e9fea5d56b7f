"""Following up a report with the reference and receipt code, without an account or a name."""
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from sdp_public import create_app
from sdp_public.cli import upgrade
from sdp_public.models import OutboxMessage, Report, ReportEvent
from sdp_public.services import codes
from sdp_test_helpers import HATE_ANSWERS, csrf_of, send_report, walk_report

pytestmark = pytest.mark.db


def track(client, reference, receipt, lang="en"):
    page = BeautifulSoup(client.get(f"/{lang}/track").data, "html.parser")
    return client.post(f"/{lang}/track", data={"csrf_token": csrf_of(page), "reference": reference, "receipt": receipt})


def test_the_reporter_sees_the_status_and_adds_information(app, client):
    reference, receipt = send_report(client, "en", walk_report(client, "en", HATE_ANSWERS)[0])
    other = app.test_client()  # later, on another device
    response = track(other, reference.lower().replace("-", " "), receipt.lower())
    assert response.status_code == 303
    status = BeautifulSoup(other.get(response.headers["Location"]).data, "html.parser")
    assert reference in status.h1.get_text() and "Received" in status.get_text()
    response = other.post(response.headers["Location"], data={"csrf_token": csrf_of(status),
                                                               "information": "He came back today."})
    assert response.status_code == 303
    done = BeautifulSoup(other.get(response.headers["Location"]).data, "html.parser")
    assert "We have added your information" in done.get_text()
    with app.extensions["sdp_sessionmaker"]() as db:
        report = db.scalar(select(Report).where(Report.reference == reference))
        event = db.scalar(select(ReportEvent).where(ReportEvent.report_id == report.id, ReportEvent.kind == "reporter-information"))
        assert "He came back" not in event.sealed_body
        sealer = app.extensions["sdp_sealer"]
        assert sealer.unseal(event.sealed_body, report.sealing_context("event")) == {"text": "He came back today."}
        updates = db.scalars(select(OutboxMessage).where(OutboxMessage.report_id == report.id,
                                                         OutboxMessage.kind == "partner-update")).all()
        assert {u.partner for u in updates} == {r.partner for r in report.routes}


@pytest.mark.parametrize("reference_of, receipt_of", [
    (lambda ref: ref, lambda rc: "AAAA-BBBB-CCCC-DDDD-EEEE"),
    (lambda ref: "HC-ZZZZ-ZZZZ", lambda rc: rc),
    (lambda ref: "<script>alert(1)</script>", lambda rc: "' OR 1=1 --"),
])
def test_a_wrong_reference_or_code_is_refused_with_the_same_message(app, client, reference_of, receipt_of):
    reference, receipt = send_report(client, "en", walk_report(client, "en", HATE_ANSWERS)[0])
    response = track(app.test_client(), reference_of(reference), receipt_of(receipt))
    assert response.status_code == 200
    page = BeautifulSoup(response.data, "html.parser")
    assert "do not match a report" in page.select_one(".govuk-error-summary").get_text()
    assert "<script>alert" not in response.get_data(as_text=True)


def test_guessing_is_rate_limited_with_a_translated_page(tmp_path, monkeypatch):
    monkeypatch.setenv("SDP_INSTANCE_PATH", str(tmp_path))
    url = f"sqlite:///{tmp_path}/t.db"
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "TRACK_RATE_LIMIT": "3 per minute"})
    client = app.test_client()
    statuses = [track(client, "HC-2222-2222", "x", lang="pl").status_code for _ in range(4)]
    assert statuses[:3] == [200, 200, 200] and statuses[3] == 429
    page = track(client, "HC-2222-2222", "x", lang="pl").get_data(as_text=True)
    assert 'lang="pl"' in page and "999" in page and "101" in page


def test_submissions_are_rate_limited_per_client(tmp_path, monkeypatch):
    monkeypatch.setenv("SDP_INSTANCE_PATH", str(tmp_path))
    url = f"sqlite:///{tmp_path}/s.db"
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "SUBMIT_RATE_LIMIT": "2 per hour", "REPORT_MINIMUM_SECONDS": 0})
    client = app.test_client()
    for _ in range(2):
        send_report(client, "en", walk_report(client, "en", HATE_ANSWERS)[0])
    check, _ = walk_report(client, "en", HATE_ANSWERS)
    response = client.post("/en/report/hate-incident/check-answers", data={"csrf_token": csrf_of(check)})
    assert response.status_code == 429
    assert "999" in response.get_data(as_text=True)
    # the answers are still there to send later
    assert client.get("/en/report/hate-incident/check-answers").status_code == 200


def test_receipt_codes_are_random_long_and_stored_only_as_a_salted_hash():
    code = codes.new_receipt_code()
    assert len(code.replace("-", "")) == 20 and all(c in codes.ALPHABET for c in code.replace("-", ""))
    stored = codes.hash_receipt(code)
    assert code not in stored and stored.startswith("sha256$")
    assert stored != codes.hash_receipt(code)  # salted: the same code never hashes the same twice
    assert codes.check_receipt(code.lower().replace("-", " "), stored)
    assert not codes.check_receipt(codes.new_receipt_code(), stored)
    assert not codes.check_receipt(code, None)


def test_receipt_codes_hashed_with_scrypt_before_still_work():
    import hashlib
    code, salt = "ABCD-EFGH-JKMN-PQRS-TVWX", bytes(range(16))
    digest = hashlib.scrypt(codes.normalise(code).encode(), salt=salt, dklen=32, n=2 ** 14, r=8, p=1)
    stored = f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"
    assert codes.check_receipt(code.lower(), stored)
    assert not codes.check_receipt("ABCD-EFGH-JKMN-PQRS-TVWY", stored)

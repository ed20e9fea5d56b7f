"""Four Send presses from one draft at once, against a real gunicorn (deploy/gunicorn.conf.py,
two workers): exactly one report is stored, every press is answered with the confirmation
and the reporter sees the one reference that was stored."""
import concurrent.futures
import copy
import threading
import uuid

import pytest
import requests
from sqlalchemy import func, select

from sdp_public.models import Report
from sdp_test_helpers import HATE_ANSWERS, Instance, csrf, environment, local_path, send_report, walk, walk_report

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def server(app, migrated_database, tmp_path_factory):
    folder = tmp_path_factory.mktemp("double-send")
    instance = Instance(environment(app, migrated_database, folder), folder, "double-send")
    instance.start()
    yield instance
    instance.stop()


def stored_with(app, after_id, description):
    """The reports stored since `after_id` whose description is `description`."""
    sealer = app.extensions["sdp_sealer"]
    with app.extensions["sdp_sessionmaker"]() as db:
        return [report for report in db.scalars(select(Report).where(Report.id > after_id))
                if report.answers(sealer).get("description") == description]


def test_four_concurrent_sends_from_one_draft_store_one_report(app, server):
    marker = f"Double send {uuid.uuid4().hex}"
    answers = copy.deepcopy(HATE_ANSWERS)
    answers["description"] = {"description": marker}
    session = requests.Session()
    check = walk(session, [server.url], answers)
    token = csrf(check)
    with app.extensions["sdp_sessionmaker"]() as db:
        before = db.scalar(select(func.max(Report.id))) or 0

    barrier = threading.Barrier(4)

    def press():
        barrier.wait()  # all four leave together
        return session.post(f"{server.url}/en/report/hate-incident/check-answers", data={"csrf_token": token},
                            timeout=30, allow_redirects=False)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(lambda _: press(), range(4)))
    stored = stored_with(app, before, marker)
    assert len(stored) == 1, f"{len(stored)} reports stored from one draft"
    assert [r.status_code for r in responses] == [303] * 4, [r.status_code for r in responses]
    assert {local_path(r.headers["Location"]) for r in responses} == {"/en/report/hate-incident/confirmation"}

    page = session.get(f"{server.url}/en/report/hate-incident/confirmation", timeout=10)
    assert stored[0].reference in page.text  # the first (and only) reference, shown once
    again = session.post(f"{server.url}/en/report/hate-incident/check-answers", data={"csrf_token": token},
                         timeout=30, allow_redirects=False)
    assert again.status_code == 303  # a later repeat stores nothing either
    later = session.get(f"{server.url}/en/report/hate-incident/confirmation", timeout=10)
    assert stored[0].reference not in later.text and "sent from this browser earlier" in later.text
    assert len(stored_with(app, before, marker)) == 1


def test_a_reference_that_is_taken_already_is_replaced_and_the_confirmation_shows_the_one_stored(app, monkeypatch):
    from sdp_public.services import codes
    client = app.test_client()
    first, _ = send_report(client, "en", walk_report(client, "en", HATE_ANSWERS)[0])
    other = app.test_client()
    check, _ = walk_report(other, "en", HATE_ANSWERS)
    made = iter([first])  # the next Send draws the taken reference once, then a new one
    new_reference = codes.new_reference
    monkeypatch.setattr(codes, "new_reference", lambda prefix: next(made, None) or new_reference(prefix))
    second, _ = send_report(other, "en", check)
    assert second != first and second.startswith("HC-")  # the confirmation shows what was stored
    with app.app_context():
        from sdp_public.db import get_session
        assert get_session().scalar(select(Report.reference).where(Report.reference == second)) == second

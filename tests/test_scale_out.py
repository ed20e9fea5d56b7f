"""Two app instances (gunicorn, separate ports) share one database and one Redis, as they
would behind a load balancer: limits hold across both, a form started on one continues
on the other, and two outbox workers never send a message twice."""
import concurrent.futures
import copy
from collections import Counter

import pytest
import requests

from sdp_test_helpers import HATE_ANSWERS, Inbox, Instance, Redis, csrf, deliver_once, environment, smtp_server, submit, walk

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def mail():
    with smtp_server(Inbox()) as inbox:
        yield inbox


@pytest.fixture(scope="module")
def deployment(app, migrated_database, tmp_path_factory, mail):
    redis = Redis()
    redis.start()
    folder = tmp_path_factory.mktemp("scale-out")
    env = environment(app, migrated_database, folder, SDP_REDIS_URL=redis.url, SDP_TRACK_RATE_LIMIT="4 per minute",
                      SDP_SMTP_URL=f"smtp://127.0.0.1:{mail.port}")
    servers = [Instance(env, folder, "a"), Instance(env, folder, "b")]
    for server in servers:
        server.start()
    yield {"env": env, "servers": servers, "redis": redis}
    for server in servers:
        server.stop()
    redis.stop()


def track_attempt(base, session):
    page = session.get(f"{base}/en/track", timeout=10)
    return session.post(f"{base}/en/track", data={"csrf_token": csrf(page.text), "reference": "HC-AAAA-AAAA",
                                                   "receipt": "x" * 24}, timeout=10, allow_redirects=False)


def test_a_rate_limit_reached_on_one_instance_holds_on_the_other(deployment):
    a, b = (server.url for server in deployment["servers"])
    session = requests.Session()
    statuses = [track_attempt(a if i % 2 else b, session).status_code for i in range(4)]
    assert 429 not in statuses, statuses
    assert track_attempt(a, session).status_code == 429
    assert track_attempt(b, session).status_code == 429  # the other instance counts the same client


def test_a_form_started_on_one_instance_continues_on_the_other(deployment):
    a, b = (server.url for server in deployment["servers"])
    session = requests.Session()
    check = walk(session, [a, b], HATE_ANSWERS)  # every request alternates between the two
    assert "They spat at my door" in check
    reference, status = submit(session, b, check)
    assert status == 303 and reference.startswith("HC-")


def test_two_outbox_workers_running_together_send_each_message_exactly_once(deployment, mail, migrated_database):
    a, b = (server.url for server in deployment["servers"])
    references = []
    for index in range(6):
        session = requests.Session()
        answers = copy.deepcopy(HATE_ANSWERS)
        answers["description"] = {"description": f"Report number {index} for the two workers"}
        reference, status = submit(session, [a, b][index % 2], walk(session, [a, b], answers))
        assert status == 303
        references.append(reference)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(lambda _: deliver_once(deployment["env"]), range(4)))
    assert all(run.returncode == 0 for run in runs), [run.stderr[-500:] for run in runs]
    sent = Counter()
    for message in mail.parsed():
        for reference in references:
            if reference in message.get_content():
                sent[(reference, message["To"])] += 1
    assert sent and all(count == 1 for count in sent.values()), sent
    assert {reference for reference, _to in sent} == set(references)
    from sqlalchemy import create_engine, text
    engine = create_engine(migrated_database)
    with engine.connect() as conn:
        placeholders = ", ".join(f"'{r}'" for r in references)
        pending = conn.execute(text(
            "SELECT count(*) FROM outbox_message m JOIN report r ON r.id = m.report_id "
            f"WHERE r.reference IN ({placeholders}) AND m.status != 'sent'")).scalar()
    engine.dispose()
    assert pending == 0

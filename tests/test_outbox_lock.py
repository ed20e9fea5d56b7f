"""Two outbox workers and a slow mail relay: a batch that outlasts the lock is not sent twice.

A real SMTP server (aiosmtpd) that takes a second over each message, a 2.5-second lock
(SDP_OUTBOX_LOCK_SECONDS) and two `flask outbox deliver` processes: the first claims the
whole batch, its locks run out while it is still sending, the second claims what is left.
Each worker renews its claim (compare-and-set) just before each send, so every message is
sent exactly once and carries one stable Message-ID."""
import asyncio
import subprocess
import time
from collections import Counter
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from sdp_public.models import OutboxMessage, Report
from sdp_test_helpers import HATE_ANSWERS, PYTHON, ROOT, environment, send_report, smtp_server, wait_for, walk_report

pytestmark = pytest.mark.db
SLOW = 1.0          # seconds the relay takes over each message of this test's report
LOCK = 2.5          # seconds an outbox claim lasts
EXTRA = 6           # queued messages added to the report's own


class SlowRelay:
    """Accepts everything; a message about `reference` takes SLOW seconds to accept."""

    def __init__(self):
        self.reference, self.messages = None, []

    async def handle_DATA(self, server, session, envelope):
        if self.reference and self.reference.encode() in envelope.content:
            await asyncio.sleep(SLOW)
            self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def relay():
    with smtp_server(SlowRelay()) as handler:
        yield handler


def my_messages(app, report_id):
    with app.extensions["sdp_sessionmaker"]() as db:
        return db.scalars(select(OutboxMessage).where(OutboxMessage.report_id == report_id)).all()


def worker(env, log):
    return subprocess.Popen([PYTHON, "-m", "flask", "--app", "wsgi", "outbox", "deliver", "--interval", "0.3"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def test_a_slow_relay_and_two_workers_send_no_message_twice(fresh_app, relay, tmp_path):
    """On a database of its own: the workers' batch is this report's messages and nothing else."""
    app = fresh_app
    from email import message_from_bytes
    from email.policy import default
    client = app.test_client()
    reference, _ = send_report(client, "en", walk_report(client, "en", HATE_ANSWERS)[0])
    relay.reference = reference
    with app.extensions["sdp_sessionmaker"]() as db:
        report = db.scalar(select(Report).where(Report.reference == reference))
        now = datetime.now(timezone.utc)
        for _ in range(EXTRA):
            db.add(OutboxMessage(report_id=report.id, kind="partner-update", partner=report.routes[0].partner,
                                 next_attempt_at=now, created_at=now, status="pending", attempts=0))
        db.commit()
        report_id = report.id
    queued = len(my_messages(app, report_id))
    assert queued >= EXTRA + 2 and queued * SLOW > 2 * LOCK  # the batch outlasts the lock
    env = environment(app, app.config["DATABASE_URL"], tmp_path, SDP_SMTP_URL=f"smtp://127.0.0.1:{relay.port}",
                      SDP_OUTBOX_LOCK_SECONDS=str(LOCK))
    workers = []
    try:
        with open(tmp_path / "workers.log", "ab") as log:
            workers.append(worker(env, log))
            # the first worker holds the whole batch before the second starts
            wait_for(lambda: all(m.lock_token for m in my_messages(app, report_id) if m.status == "pending")
                     and any(m.lock_token for m in my_messages(app, report_id)), timeout=30, what="first claim")
            workers.append(worker(env, log))
            wait_for(lambda: all(m.status == "sent" for m in my_messages(app, report_id)),
                     timeout=queued * SLOW + 30, what="every message sent")
            time.sleep(LOCK + 1)  # anything sent twice would arrive by now
    finally:
        for process in workers:
            process.terminate()
        for process in workers:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
    log_text = (tmp_path / "workers.log").read_text(errors="replace")
    assert "Traceback" not in log_text, log_text[-2000:]
    received = [message_from_bytes(m.content, policy=default) for m in relay.messages]
    assert len(received) == queued, (len(received), queued)
    ids = Counter(m["Message-ID"] for m in received)
    assert len(ids) == queued and set(ids.values()) == {1}, ids
    assert "claimed by another worker" in log_text  # the second worker did take part of the batch

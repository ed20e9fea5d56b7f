"""Faults during a run of submissions and deliveries: the mail server stops, Redis stops,
PostgreSQL restarts. Every report a reporter was given a reference for is stored, every
report a reporter was told had not been sent is sent when they try again, and every
notification is delivered exactly once when the fault clears."""
import copy
import glob
import subprocess
import threading
import time
from collections import Counter

import pytest
import requests
from sqlalchemy import create_engine, text

from sdp_test_helpers import HATE_ANSWERS, Inbox, Instance, Redis, deliver_once, environment, submit, walk

pytestmark = pytest.mark.db


class Mail:
    """aiosmtpd on a fixed port that can be stopped and started again."""

    def __init__(self):
        from sdp_test_helpers import free_port
        self.inbox, self.port, self.controller = Inbox(), free_port(), None

    def start(self):
        from aiosmtpd.controller import Controller
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        self.controller.stop()


class Run:
    """Submissions through two instances, tallied as the reporter saw them."""

    def __init__(self, servers):
        self.bases = [s.url for s in servers]
        self.shown = []         # references shown to reporters
        self.not_sent = []      # (session, check page) the reporter was told to try again
        self.count = 0
        self.told_to_retry = 0

    def report(self):
        self.count += 1
        session = requests.Session()
        answers = copy.deepcopy(HATE_ANSWERS)
        answers["description"] = {"description": f"Fault run report {self.count}"}
        for attempt in range(40):  # a reporter whose page failed to load tries again
            try:
                check = walk(session, self.bases, answers)
                break
            except (AssertionError, requests.RequestException):
                time.sleep(0.25)
        else:
            raise AssertionError("could not fill in the form")
        reference, status = submit(session, self.bases[self.count % 2], check)
        if reference:
            self.shown.append(reference)
        else:
            assert status == 503, status  # "not sent, try again": never a 500
            self.not_sent.append((session, check))
            self.told_to_retry += 1

    def retry_not_sent(self):
        while self.not_sent:
            session, check = self.not_sent.pop()
            reference, status = submit(session, self.bases[0], check)
            assert reference, status
            self.shown.append(reference)


def due_now(database_url):
    """Let time pass for the outbox's backoff (rather than sleep through it)."""
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE outbox_message SET next_attempt_at = :now WHERE status = 'pending'"),
                     {"now": "2000-01-01 00:00:00"})
    engine.dispose()


def restart_postgresql():
    version = sorted(glob.glob("/etc/postgresql/*"))[-1].rsplit("/", 1)[1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart", "-m", "fast"],
                   check=True, capture_output=True, timeout=60)


def test_no_report_is_lost_and_no_notification_is_sent_twice_through_faults(fresh_app, tmp_path):
    # real processes on a database of their own: what is stored and sent is this run's only
    app, database = fresh_app, fresh_app.config["DATABASE_URL"]
    mail, redis = Mail(), Redis()
    mail.start()
    redis.start()
    env = environment(app, database, tmp_path, SDP_REDIS_URL=redis.url, SDP_SMTP_URL=f"smtp://127.0.0.1:{mail.port}")
    servers = [Instance(env, tmp_path, "a"), Instance(env, tmp_path, "b")]
    for server in servers:
        server.start()
    run = Run(servers)
    faults = []
    try:
        for _ in range(3):
            run.report()
        assert deliver_once(env).returncode == 0

        # 1. the mail server stops: reports still stored; deliveries fail and wait
        mail.stop()
        faults.append("smtp stopped")
        for _ in range(3):
            run.report()
        assert deliver_once(env).returncode == 0
        mail.start()
        due_now(database)
        assert deliver_once(env).returncode == 0

        # 2. Redis stops: the limiter cannot count, reports still go through, and it is logged
        redis.stop()
        faults.append("redis stopped")
        for _ in range(3):
            run.report()
        logs = servers[0].log() + servers[1].log()
        assert "storage" in logs.lower() and ("unreachable" in logs.lower() or "error" in logs.lower()), logs[-2000:]
        redis.start()
        for _ in range(2):
            run.report()

        # 3. PostgreSQL restarts while reports are being sent
        if database.startswith("postgresql"):
            faults.append("postgresql restarted")
            restarter = threading.Thread(target=restart_postgresql)
            restarter.start()
            for _ in range(6):
                run.report()
            restarter.join()
            for _ in range(2):
                run.report()
        run.retry_not_sent()
        for _ in range(3):
            due_now(database)
            assert deliver_once(env).returncode == 0
    finally:
        for server in servers:
            server.stop()
        redis.stop()
        try:
            mail.stop()
        except Exception:  # noqa: BLE001 - already stopped
            pass

    engine = create_engine(database)
    with engine.connect() as conn:
        stored = {r for (r,) in conn.execute(text("SELECT reference FROM report"))}
        placeholders = ", ".join(f"'{r}'" for r in run.shown)
        messages = conn.execute(text(
            "SELECT r.reference, m.status FROM outbox_message m JOIN report r ON r.id = m.report_id "
            f"WHERE r.reference IN ({placeholders})")).all()
    engine.dispose()
    assert set(run.shown) <= stored, set(run.shown) - stored          # every reference shown is stored
    assert len(run.shown) == run.count                                  # every report was sent in the end
    assert messages and all(status == "sent" for _ref, status in messages)
    delivered = Counter()
    for message in mail.inbox.parsed():
        for reference in run.shown:
            if reference in message.get_content():
                delivered[(reference, message["To"])] += 1
    assert sum(delivered.values()) == len(messages)                     # each outbox row arrived...
    assert all(count == 1 for count in delivered.values()), delivered  # ...exactly once
    print(f"\nfaults: {', '.join(faults)}; reports submitted {run.count}, stored {len(set(run.shown) & stored)}, "
          f"told 'not sent, try again' {run.told_to_retry}, notifications {len(messages)}, sent twice {sum(c - 1 for c in delivered.values())}")

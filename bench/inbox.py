"""Benchmark: the partner inbox's first page (GET /partners/) with many reports routed to
one partner: server CPU per request, requests/s and p50/p99 latency.

Seeds N reports (10,000 by default) for one partner straight into a scratch database, in
bulk but with the shape services/reports.submit gives them (answers and contact details
sealed to the report, a route, the "submitted" event; some urgent, anonymous, in other
languages, with an interpreter asked for, assigned, in every status), makes a caseworker
and signs them in through the pages (password, TOTP code, the forced new password), then
serves the site under the production gunicorn settings (deploy/gunicorn.conf.py, one sync
worker) and fetches the inbox sequentially. CPU is read from /proc as bench/draft_cpu.py
does (utime + stime of gunicorn and its worker; the least of several rounds); with
--postgres the PostgreSQL server's own processes are read too and shown apart.

    .venv/bin/python bench/inbox.py [--reports 10000] [--requests 50] [--rounds 5] [--postgres]

To compare with an earlier build, run this script from an export of that commit
(git archive REV | tar -x -C DIR; cp bench/inbox.py bench/run.py DIR/bench/).

`measure(url_or_None, reports=..., requests=..., rounds=...)` returns
{"rps", "p50", "p99", "cpu_ms"} (p50, p99 and cpu_ms in ms) for other scripts; None means
SQLite in a scratch instance folder, a URL means that (empty) database.
"""
import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
from bench.content_page import free_port  # noqa: E402
from bench.run import TICK, per_request_ms, start, stop  # noqa: E402
from bench.submission import CSRF, Client, drop_database, postgres_database  # noqa: E402
from sdp_test_helpers import HATE_ANSWERS, SCAM_ANSWERS  # noqa: E402

PARTNER = "victim-care"  # gets both hate incident and scam reports (content/partners.toml)
STATUS_WEIGHTS = {"new": 15, "acknowledged": 15, "in-progress": 25, "referred": 5, "closed": 40}
AREAS = ("chester-le-street", "derwentside", "durham", "easington", "sedgefield", "teesdale", "wear-valley",
         "not-sure")
LANGS = ("en",) * 12 + ("ur", "ar", "pl", "pa", "bn", "zh-hant", "tr")
CONTACT = {"contact-details", "contact"}


def _flat(answers):
    return {k: v for step, values in answers.items() if step not in CONTACT for k, v in values.items()}


def report_rows(count, sealer, partner=PARTNER, assignee_id=None, now=None, seed=18):
    """`count` reports as submit() stores them: (report rows, route rows by reference,
    event rows by reference), plain dicts for a bulk insert."""
    from sdp_public import languages
    from sdp_public.models import Report
    from sdp_public.services import codes
    rng = random.Random(seed)
    now = now or datetime.now(timezone.utc)
    hate, scam = _flat(HATE_ANSWERS), _flat(SCAM_ANSWERS)
    plain_interpreter = hasattr(Report, "interpreter")
    receipt_hash = codes.hash_receipt(codes.new_receipt_code())  # one hash for all: hashing is not what is measured
    statuses = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()), k=count)
    reports, references = [], set()
    for n in range(count):
        form = "hate-incident" if rng.random() < 0.7 else "scam-or-cyber-fraud"
        while (reference := codes.new_reference("HC" if form == "hate-incident" else "SC")) in references:
            pass
        references.add(reference)
        created = now - timedelta(minutes=n * 105 + rng.randrange(100))  # about two years of reports
        status = statuses[n]
        lang = rng.choice(LANGS)
        anonymous = rng.random() < 0.3
        report = Report(form=form, reference=reference)
        if form == "hate-incident":
            answers = {**hate, "area": rng.choice(AREAS), "ongoing": "yes" if rng.random() < 0.05 else "no"}
            area, urgent = answers["area"], answers["ongoing"] == "yes"
        else:
            answers = {**scam, "attack_now": "yes" if rng.random() < 0.02 else "no"}
            area, urgent = None, answers["attack_now"] == "yes"
        contact = None
        if not anonymous:
            contact = {"name": f"Reporter {n}", "email": f"reporter{n}@example.org", "safe_times": "Evenings",
                       "leave_message": "no", "interpreter": "no", "acknowledge": "y"}
            if lang != "en" and rng.random() < 0.6:
                contact["interpreter"] = "yes"
                if rng.random() < 0.2:
                    contact["interpreter_language"] = rng.choice(LANGS[12:])
        reports.append({
            "reference": reference, "form": form, "lang": lang, "status": status, "anonymous": anonymous,
            "sealed_answers": report.seal(sealer, "answers", answers),
            "sealed_contact": report.seal(sealer, "contact", contact) if contact else None,
            "area": area, "urgent": urgent, "receipt_hash": receipt_hash, "created_at": created,
            "updated_at": created, "closed_at": created + timedelta(days=3) if status == "closed" else None,
            "assigned_to_id": assignee_id if status == "in-progress" and rng.random() < 0.3 else None,
            "purged_at": None,
        })
        if plain_interpreter:  # as submit keeps it (migration 0010); absent from older builds
            reports[-1]["interpreter"], reports[-1]["interpreter_language"] = languages.interpreter_request(contact)
    return reports


def seed(url, sealer, count, partner=PARTNER, assignee_id=None):
    """Insert `count` reports routed to `partner` (and their routes and "submitted"
    events) in one transaction; returns the seconds it took."""
    from sqlalchemy import create_engine, insert
    from sdp_public.models import Report, ReportEvent, ReportRoute
    started = time.perf_counter()
    rows = report_rows(count, sealer, partner, assignee_id)
    engine = create_engine(url)
    with engine.begin() as conn:
        ids = conn.execute(insert(Report).returning(Report.id, sort_by_parameter_order=True), rows).scalars().all()
        conn.execute(insert(ReportRoute), [
            {"report_id": report_id, "partner": partner, "created_at": row["created_at"],
             "reason": "They asked for support from Victim Care and Advice Service."}
            for report_id, row in zip(ids, rows)])
        conn.execute(insert(ReportEvent), [
            {"report_id": report_id, "kind": "submitted", "actor": "reporter", "created_at": row["created_at"]}
            for report_id, row in zip(ids, rows)])
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")  # as autovacuum would have, long before a partner had 10,000 reports
    engine.dispose()
    return time.perf_counter() - started


def caseworker(url, sealer, partner=PARTNER):
    """A new caseworker account: (id, email, one-time password, TOTP secret)."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session
    from sdp_public.services import staff
    engine = create_engine(url)
    with Session(engine) as db:
        user, password, secret = staff.create(db, sealer, f"bench@{partner}.example", partner, "caseworker")
        db.commit()
        user_id, email = user.id, user.email
    engine.dispose()
    return user_id, email, password, secret


def _form(client, path, fields):
    _status, _location, page = client.request("GET", path)
    status, location, _ = client.request("POST", path, urlencode({"csrf_token": CSRF.search(page).group(1).decode(),
                                                                  **fields}))
    assert status == 302, (path, status)
    return location


def sign_in(port, email, password, secret):
    """A client signed in through the pages, as a person does it the first time."""
    from sdp_public.services import totp
    client = Client(port)
    assert _form(client, "/partners/sign-in", {"email": email, "password": password}).endswith("/sign-in/code")
    location = _form(client, "/partners/sign-in/code", {"code": totp.code_at(secret, totp.current_step())})
    assert location.endswith("/partners/password/new"), location
    chosen = "a bench caseworker's own long passphrase"
    _form(client, "/partners/password/new", {"new_password": chosen, "confirm_password": chosen})
    status, _location, page = client.request("GET", "/partners/")
    assert status == 200 and b"Reports for" in page, status
    return client


def _process_cpu(pids):
    """utime + stime of these processes, in seconds (those that cannot be read count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def _postgres_backends(url):
    """The PostgreSQL server processes serving the site's connections to this database
    (found on this machine's /proc): their CPU is not gunicorn's, so it is read apart."""
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    with engine.connect() as conn:
        pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND pid <> pg_backend_pid()")).scalars().all()
    engine.dispose()
    return [pid for pid in pids if Path(f"/proc/{pid}/stat").exists()]


def measure(url=None, reports=10000, requests=50, rounds=5, report=print):
    """Seed `reports` into the database at `url` (None: SQLite in a scratch folder), serve
    the site and measure GET /partners/: {"rps", "p50", "p99", "cpu_ms"}."""
    result = _measure(url, reports, requests, rounds, report)
    return {key: result[key] for key in ("rps", "p50", "p99", "cpu_ms")}


def _measure(url, reports, requests, rounds, report):
    """measure()'s figures, and "db_cpu_ms": the PostgreSQL server's CPU per request
    (its own processes, not gunicorn's; None on SQLite, which runs inside gunicorn)."""
    from sdp_public.services.sealing import Sealer, new_key_spec, parse_keys
    instance = tempfile.mkdtemp(prefix="sdp-bench-inbox-")
    keys = new_key_spec()
    url = url or f"sqlite:///{instance}/bench.db"
    env = {**os.environ, "SDP_INSTANCE_PATH": instance, "PYTHONPATH": str(ROOT), "SDP_WORKERS": "1",
           "SDP_DATABASE_URL": url, "SDP_SEALING_KEYS": keys, "SDP_SECRET_KEY": os.urandom(32).hex()}
    try:
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        sealer = Sealer(parse_keys(keys))
        user_id, email, password, secret = caseworker(url, sealer)
        seconds = seed(url, sealer, reports, assignee_id=user_id)
        report(f"seeded {reports} reports for {PARTNER} in {seconds:.1f} s")
        site, _ = start("wsgi:app", port := free_port(), env)
        try:
            client = sign_in(port, email, password, secret)
            backends = _postgres_backends(url) if url.startswith("postgresql") else []
            latencies, database_cpu = [], []

            def get():
                if len(latencies) == min(200, requests):  # per_request_ms has warmed up: the rounds begin
                    database_cpu.append(_process_cpu(backends))
                started = time.perf_counter()
                status, _location, page = client.request("GET", "/partners/")
                latencies.append(time.perf_counter() - started)
                assert status == 200 and b"Reports for" in page, status
            cpu_ms = per_request_ms(site, get, requests, rounds)
            database_cpu.append(_process_cpu(backends))
        finally:
            stop(site)
    finally:
        shutil.rmtree(instance, ignore_errors=True)
    timed = sorted(latencies[min(200, requests):])  # per_request_ms warms up first: not counted
    return {"rps": len(timed) / sum(timed), "p50": statistics.median(timed) * 1000,
            "p99": timed[max(0, int(len(timed) * 0.99) - 1)] * 1000, "cpu_ms": cpu_ms,
            "db_cpu_ms": (database_cpu[1] - database_cpu[0]) * 1000 / len(timed) if backends else None}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=10000)
    parser.add_argument("--requests", type=int, default=50, help="requests per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL database, not SQLite")
    args = parser.parse_args()
    admin = pg_name = None
    try:
        url = None
        if args.postgres:
            admin, pg_name, url = postgres_database()
        result = _measure(url, args.reports, args.requests, args.rounds, print)
    finally:
        if admin is not None:
            drop_database(admin, pg_name)
    database = "PostgreSQL" if args.postgres else "SQLite"
    print(f"GET /partners/ with {args.reports} reports ({database}; gunicorn, 1 sync worker; "
          f"{args.rounds} rounds of {args.requests} sequential requests)")
    print(f"  server CPU per request (least of the rounds) {result['cpu_ms']:8.1f} ms")
    if result["db_cpu_ms"] is not None:
        print(f"  PostgreSQL server CPU per request (mean)     {result['db_cpu_ms']:8.1f} ms  (not in the line above)")
    print(f"  requests/s (one client)                      {result['rps']:8.1f}")
    print(f"  latency p50 / p99                            {result['p50']:8.1f} / {result['p99']:.1f} ms")


if __name__ == "__main__":
    main()

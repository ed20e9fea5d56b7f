"""Benchmark: full form submissions per second (hate incident, scam, format request,
awareness session), on SQLite and on PostgreSQL,
beside a Flask "hello world" under the same gunicorn settings, in one run.

A submission is the whole journey a person makes: the start page, every question
page (GET and POST), check answers, the final POST (seal, route, queue in one
transaction) and the confirmation. The same Python load generator drives both servers,
so the ratio of request rates is fair:

    ratio = (requests/s while submitting) / (hello world requests/s)

    .venv/bin/python bench/submission.py [--duration 10] [--clients 8] [--workers 2]
"""
import argparse
import http.client
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
from bench.content_page import free_port, start  # noqa: E402
from sdp_test_helpers import AWARENESS_ANSWERS, HATE_ANSWERS, SCAM_ANSWERS, TRANSLATION_ANSWERS  # noqa: E402

FLOWS = {
    "hate incident": ("/en/report/hate-incident/", "who", HATE_ANSWERS),
    "scam": ("/en/report/scam-or-cyber-fraud/", "victim", SCAM_ANSWERS),
    "format request": ("/en/request/translation-or-format/", "document", TRANSLATION_ANSWERS),
    "awareness session": ("/en/request/awareness-session/", "organisation-type", AWARENESS_ANSWERS),
}

CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')


class Client:
    """A tiny cookie-keeping HTTP client: one connection per request, like a browser tab."""

    def __init__(self, port, headers=None):
        self.port, self.cookie, self.requests, self.headers = port, None, 0, headers or {}

    def request(self, method, path, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {**self.headers, **({"Cookie": self.cookie} if self.cookie else {})}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        conn.close()
        self.requests += 1
        return response.status, response.getheader("Location"), data


def answer_steps(client, flow, until="check-answers"):
    """From the start page, ask and answer each question (GET, then POST) until the page
    whose URL ends with `until`, or check answers; returns that page's URL."""
    base, first, answers = FLOWS[flow]
    client.request("GET", base)
    url = base + first
    while not url.endswith("check-answers") and not url.endswith("/" + until):
        _status, _loc, page = client.request("GET", url)
        fields = [("csrf_token", CSRF.search(page).group(1).decode())]
        for name, value in answers[url.rsplit("/", 1)[1]].items():
            fields.extend((name, v) for v in (value if isinstance(value, list) else [value]))
        status, location, _ = client.request("POST", url, urlencode(fields))
        assert status == 302, (url, status)
        url = location
    return url


def journey(client, flow):
    url = answer_steps(client, flow)
    _s, _l, page = client.request("GET", url)
    status, location, _ = client.request("POST", url, urlencode({"csrf_token": CSRF.search(page).group(1).decode()}))
    assert status == 303, status
    client.request("GET", location)


def _load(port, kind, duration, out, flow=None):
    client = Client(port)
    deadline = time.perf_counter() + duration
    done, latencies = 0, []
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        if kind == "hello":
            client.request("GET", "/")
        else:
            client.cookie = None
            journey(client, flow)
        latencies.append(time.perf_counter() - started)
        done += 1
    out.put((done, client.requests, latencies))


def load(port, kind, duration, clients, flow=None):
    queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_load, args=(port, kind, duration, queue, flow)) for _ in range(clients)]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    done = sum(r[0] for r in results)
    requests = sum(r[1] for r in results)
    latencies = sorted(x for r in results for x in r[2])
    return {"done": done / duration, "rps": requests / duration,
            "p50": statistics.median(latencies) * 1000, "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000}


def postgres_database():
    from sqlalchemy import create_engine, text
    admin_url = os.environ.get("SDP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    name = f"sdp_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return admin, name, f"{admin_url.rsplit('/', 1)[0]}/{name}"


def drop_database(admin, name):
    """Drop a database postgres_database() made, and let its admin engine go."""
    from sqlalchemy import text
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="sdp-bench-")
    env = {**os.environ, "SDP_INSTANCE_PATH": instance, "PYTHONPATH": str(ROOT),
           "SDP_REPORT_MINIMUM_SECONDS": "0", "SDP_SUBMIT_RATE_LIMIT": "100000 per minute",
           "SDP_STEP_RATE_LIMIT": "1000000 per minute", "SDP_DRAFT_START_LIMIT": "1000000 per minute"}
    admin, pg_name, pg_url = postgres_database()
    rows = []
    try:
        hello, _ = start("bench.hello:app", hello_port := free_port(), args.workers, env)
        load(hello_port, "hello", 2, args.clients)
        rows.append(("hello world", load(hello_port, "hello", args.duration, args.clients)))
        hello.terminate()
        hello.wait()
        for database, url in (("SQLite", f"sqlite:///{instance}/bench.db"), ("PostgreSQL", pg_url)):
            site_env = {**env, "SDP_DATABASE_URL": url}
            subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=site_env,
                           check=True, capture_output=True)
            site, _ = start("wsgi:app", port := free_port(), args.workers, site_env)
            load(port, "journey", 2, args.clients, "hate incident")
            for flow in FLOWS:
                rows.append((f"{flow}, {database}", load(port, "journey", args.duration, args.clients, flow)))
            site.terminate()
            site.wait()
    finally:
        drop_database(admin, pg_name)
        shutil.rmtree(instance, ignore_errors=True)
    base = rows[0][1]["rps"]
    print(f"gunicorn sync, {args.workers} workers; {args.clients} client processes; {args.duration}s each")
    print(f"{'':30} {'journeys/s':>10} {'req/s':>8} {'p50 ms':>9} {'p99 ms':>9} {'ratio':>6}")
    for label, r in rows:
        journeys = "" if label == "hello world" else f"{r['done']:.1f}"
        print(f"{label:30} {journeys:>10} {r['rps']:8.0f} {r['p50']:9.1f} {r['p99']:9.1f} {r['rps'] / base:6.2f}")
    print("(p50/p99: one hello request; one whole journey, start page to confirmation, for the forms)")


if __name__ == "__main__":
    main()

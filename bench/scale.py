"""Benchmark: the site against Flask's own floor, in one run, one table.

Starts a Flask "hello world" and the site under the same production gunicorn settings
(deploy/gunicorn.conf.py, --workers N), the site once on SQLite and once on PostgreSQL,
and measures on loopback:

- content page (/en/plan/, the heaviest) and question page (a mid-journey question, its
  draft read from the database each time): wrk, fixed duration, 32 connections;
  the floor is hello world under wrk;
- submission (the final "Send" POST: seal, route and queue in one transaction) and a whole
  journey (start page to confirmation, 25 to 30 requests): a Python client in N
  processes; the floor is hello world under the same Python client;
- cold start: process start to first 200;
- the heaviest page's first-visit weight, gzipped, with its CSS and JS.

    .venv/bin/python bench/scale.py [--duration 10] [--workers 2] [--connections 32] [--clients 8]

Needs wrk (Debian package) and PostgreSQL on 127.0.0.1 (SDP_TEST_POSTGRES_URL to change).
"""
import argparse
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
from bench.content_page import free_port, page_weight, wrk  # noqa: E402
from bench.submission import CSRF, Client, load, postgres_database  # noqa: E402
from sdp_test_helpers import HATE_ANSWERS  # noqa: E402

QUESTION = "description"  # asked after who, what, why, when and where: a draft with answers


def start(app, port, env):
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "--log-level", "warning", app],
        cwd=ROOT, env={**env, "SDP_BIND": f"127.0.0.1:{port}"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/" + ("" if app.startswith("bench.") else "en/")
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return proc, time.perf_counter() - started
        except Exception:  # noqa: BLE001 - not up yet
            if proc.poll() is not None:
                raise SystemExit(f"{app} failed to start")
            time.sleep(0.02)


def stop(proc):
    proc.terminate()
    proc.wait()


def answer(client, steps_until):
    """Walk the hate incident report until the page `steps_until` (or check answers)."""
    client.request("GET", "/en/report/hate-incident/")
    url = "/en/report/hate-incident/who"
    while not url.endswith("check-answers") and not url.endswith("/" + steps_until):
        _status, _loc, page = client.request("GET", url)
        fields = [("csrf_token", CSRF.search(page).group(1).decode())]
        for name, value in HATE_ANSWERS[url.rsplit("/", 1)[1]].items():
            fields.extend((name, v) for v in (value if isinstance(value, list) else [value]))
        status, location, _ = client.request("POST", url, urlencode(fields))
        assert status == 302, (url, status)
        url = location
    return url


def _prepare(port, count, out):
    """Drafts at check answers, ready to send: (cookie, CSRF token)."""
    ready = []
    for _ in range(count):
        client = Client(port)
        url = answer(client, "check-answers")
        _s, _l, page = client.request("GET", url)
        ready.append((client.cookie, CSRF.search(page).group(1).decode()))
    out.put(ready)


def _send(port, ready, out):
    latencies = []
    for cookie, token in ready:
        client = Client(port)
        client.cookie = cookie
        started = time.perf_counter()
        status, _location, _ = client.request("POST", "/en/report/hate-incident/check-answers",
                                              urlencode({"csrf_token": token}))
        latencies.append(time.perf_counter() - started)
        assert status == 303, status
    out.put(latencies)


def in_parallel(target, argument_lists):
    queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=target, args=(*args, queue)) for args in argument_lists]
    for proc in procs:
        proc.start()
    results = [queue.get() for _ in procs]
    for proc in procs:
        proc.join()
    return results


def summary(latencies, seconds, requests=None):
    latencies = sorted(latencies)
    return {"rps": (requests if requests is not None else len(latencies)) / seconds,
            "p50": statistics.median(latencies) * 1000, "p99": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000}


def submissions(port, clients, per_client):
    prepared = in_parallel(_prepare, [(port, per_client)] * clients)
    started = time.perf_counter()
    results = in_parallel(_send, [(port, ready) for ready in prepared])
    return summary([x for r in results for x in r], time.perf_counter() - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--submissions", type=int, default=40, help="final POSTs per client process")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    instance = tempfile.mkdtemp(prefix="sdp-bench-")
    env = {**os.environ, "SDP_INSTANCE_PATH": instance, "PYTHONPATH": str(ROOT), "SDP_WORKERS": str(args.workers),
           "SDP_REPORT_MINIMUM_SECONDS": "0", "SDP_SUBMIT_RATE_LIMIT": "1000000 per minute",
           "SDP_STEP_RATE_LIMIT": "1000000 per minute", "SDP_DRAFT_START_LIMIT": "1000000 per minute"}
    rows, cold, weight = [], {}, None
    admin, pg_name, pg_url = postgres_database()
    try:
        hello, cold["hello world"] = start("bench.hello:app", port := free_port(), env)
        wrk(f"http://127.0.0.1:{port}/", 2, args.connections)
        floor_wrk = wrk(f"http://127.0.0.1:{port}/", args.duration, args.connections)
        load(port, "hello", 2, args.clients)  # the same Python client as bench/submission.py
        floor_python = load(port, "hello", args.duration, args.clients)
        stop(hello)
        rows.append(("hello world (wrk)", floor_wrk, floor_wrk))
        rows.append(("hello world (Python client)", floor_python, floor_python))
        for database, url in (("SQLite", f"sqlite:///{instance}/bench.db"), ("PostgreSQL", pg_url)):
            site_env = {**env, "SDP_DATABASE_URL": url}
            subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=site_env,
                           check=True, capture_output=True)
            site, cold[f"site, {database}"] = start("wsgi:app", port := free_port(), site_env)
            base = f"http://127.0.0.1:{port}"
            if weight is None:
                weights = page_weight(base)
                weight = max(weights.items(), key=lambda item: item[1])
            wrk(base + "/en/plan/", 2, args.connections)
            rows.append((f"content page, {database}", wrk(base + "/en/plan/", args.duration, args.connections), floor_wrk))
            client = Client(port)
            question = answer(client, QUESTION)
            cookie_header = ["-H", f"Cookie: {client.cookie}"]
            wrk(base + question, 2, args.connections, cookie_header)
            rows.append((f"question page, {database}", wrk(base + question, args.duration, args.connections,
                                                           cookie_header), floor_wrk))
            rows.append((f"submission (Send), {database}", submissions(port, args.clients, args.submissions), floor_python))
            rows.append((f"whole journey, {database}", load(port, "journey", args.duration, args.clients, "hate incident"),
                         floor_python))
            stop(site)
    finally:
        from sqlalchemy import text
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
        admin.dispose()
        shutil.rmtree(instance, ignore_errors=True)

    print(f"gunicorn (deploy/gunicorn.conf.py), {args.workers} sync workers; wrk 2 threads, {args.connections} "
          f"connections, {args.duration}s; Python client {args.clients} processes")
    print(f"{'':34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6}")
    for label, result, floor in rows:
        print(f"{label:34} {result['rps']:8.0f} {result['p50']:8.2f} {result['p99']:8.2f} {result['rps'] / floor['rps']:6.2f}")
    print("(submission: final POSTs; whole journey: requests/s and per-journey p50/p99)")
    print("cold start (process start to first 200): " + ", ".join(f"{k} {v:.2f} s" for k, v in cold.items()))
    print(f"heaviest page, first visit, gzipped with its CSS and JS: {weight[0]} {weight[1] / 1024:.1f} KB")


if __name__ == "__main__":
    main()

"""Benchmark: the site against Flask's own floor, in one run, one table (`make bench`).

Starts a Flask "hello world" and the site under the same production gunicorn settings
(deploy/gunicorn.conf.py, --workers N), the site once on SQLite and once on PostgreSQL,
and measures each row two ways on loopback:

- throughput and latency under load: wrk (2 threads, --connections) for the GET rows
  (hello world, a content page, a question page with its draft), the Python client in
  --clients processes for the Send and the whole journey; each row's req/s ratio is
  against hello world under the same load tool;
- server CPU per request: utime + stime of the gunicorn master and its workers, read from
  /proc before and after --requests sequential requests. This barely moves with other load
  on a shared machine, but the machine's own speed drifts (hello world's CPU per request
  was seen at 0.30 ms and at 0.62 ms on one day): so hello world keeps running beside the
  site, every round of a row is measured between two rounds of hello world, and the row's
  CPU ratio is the median over --rounds rounds of hello world's CPU per request (the mean
  of the rounds either side) over the row's (1.00 = as cheap as hello). A whole journey's
  is also given as hello requests of CPU. The CPU ms printed is the median round's.

Also: what one Send sends the database (read off the driver's trace in-process: the round
trips on PostgreSQL) and the partner inbox first page with 10,000 reports (bench/inbox.py).

    .venv/bin/python bench/run.py [--duration 10] [--requests 3000] [--rounds 3] [--sqlite-only]

Needs wrk (Debian package) and PostgreSQL on 127.0.0.1 (SDP_TEST_POSTGRES_URL to change).
"""
import argparse
import multiprocessing
import os
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
from bench.content_page import free_port, wrk  # noqa: E402
from bench.submission import CSRF, Client, answer_steps, drop_database, journey, load, postgres_database  # noqa: E402
from sdp_test_helpers import HATE_ANSWERS, csrf_of, walk_report  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
QUESTION = "description"  # asked after who, what, why, when and where: a draft with answers

CONTENT = "/en/plan/"  # the heaviest content page
HATE = "/en/report/hate-incident/"
# Limits counted in Redis, as in production (SDP_BENCH_REDIS_URL to change), but never reached.
UNLIMITED = {"SDP_REDIS_URL": os.environ.get("SDP_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
             "SDP_REPORT_MINIMUM_SECONDS": "0", "SDP_SUBMIT_RATE_LIMIT": "1000000 per minute",
             "SDP_STEP_RATE_LIMIT": "1000000 per minute", "SDP_DRAFT_START_LIMIT": "1000000 per minute"}


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
    return answer_steps(client, "hate incident", steps_until)


def _prepare(port, count, out):
    out.put(ready_to_send(port, count))


def send(port, cookie, token):
    """Press Send on a draft at check answers (a browser's cookie and the page's token)."""
    client = Client(port)
    client.cookie = cookie
    status, _location, _ = client.request("POST", HATE + "check-answers", urlencode({"csrf_token": token}))
    assert status == 303, status


def _send(port, ready, out):
    latencies = []
    for cookie, token in ready:
        started = time.perf_counter()
        send(port, cookie, token)
        latencies.append(time.perf_counter() - started)
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


def cpu_seconds(master):
    """utime + stime of the gunicorn master and every process it started, in seconds."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(entry) == master or int(fields[1]) == master:  # fields[1]: the parent's pid
            total += int(fields[11]) + int(fields[12])          # utime, stime
    return total / TICK


def per_request_ms(proc, send, count, rounds):
    """Server CPU ms per request in the least disturbed of several rounds (for the scripts
    that measure one server alone; bench/run.py pairs each round with hello world's)."""
    warm(send, count)
    return min(round_ms(proc, send, count) for _ in range(rounds))


def warm(send, count):
    for _ in range(min(200, count)):
        send()  # first requests compile templates and fill caches


def round_ms(proc, send, count):
    before = cpu_seconds(proc.pid)
    for _ in range(count):
        send()
    return (cpu_seconds(proc.pid) - before) * 1000 / count


class Floor:
    """Hello world, kept running beside the site: each round of a row is measured between
    two rounds of hello world, so a drift of the machine's speed moves both alike."""

    def __init__(self, proc, send, count):
        self.proc, self.send, self.count = proc, send, count
        warm(send, count)

    def ms(self):
        return round_ms(self.proc, self.send, self.count)

    def compare(self, measure, rounds):
        """measure() gives one round's CPU ms; returns (median ms, median ratio) with each
        round's ratio hello world's ms (the mean of the rounds either side) over its ms."""
        ms, ratios = [], []
        for _ in range(rounds):
            before = self.ms()
            taken = measure()
            ratios.append((before + self.ms()) / 2 / taken)
            ms.append(taken)
        return statistics.median(ms), statistics.median(ratios)

    def requests(self, proc, send, count, rounds):
        warm(send, count)
        return self.compare(lambda: round_ms(proc, send, count), rounds)


def ready_to_send(port, count):
    """`count` drafts at check answers: (cookie, CSRF token) each."""
    ready = []
    for _ in range(count):
        client = Client(port)
        url = answer(client, "check-answers")
        _s, _l, page = client.request("GET", url)
        ready.append((client.cookie, CSRF.search(page).group(1).decode()))
    return ready


def send_cpu_ms(floor, proc, port, count, rounds):
    """Server CPU per Send: drafts prepared first, then only the Send POSTs are counted."""
    def measure():
        ready = ready_to_send(port, count)
        before = cpu_seconds(proc.pid)
        for cookie, token in ready:
            send(port, cookie, token)
        return (cpu_seconds(proc.pid) - before) * 1000 / count
    return floor.compare(measure, rounds)


def journey_cpu_ms(floor, proc, port, count, rounds):
    """Server CPU of one whole hate incident journey, and its number of requests."""
    client = Client(port)
    made = []

    def measure():
        before, requests_before = cpu_seconds(proc.pid), client.requests
        for _ in range(count):
            client.cookie = None
            journey(client, "hate incident")
        made.append((client.requests - requests_before) // count)
        return (cpu_seconds(proc.pid) - before) * 1000 / count
    ms, ratio = floor.compare(measure, rounds)
    return ms, ratio, made[-1]


def send_round_trips(database_url, instance):
    """What one Send sends the database, read off the driver's own trace in-process
    (tests/database_trace.py): on PostgreSQL the round trips (each wait for the server's
    ReadyForQuery) and the statements; on SQLite the statements SQLite ran (sqlite3's own
    BEGIN and COMMIT included; no network)."""
    import logging

    from database_trace import database_trace
    logging.disable(logging.INFO)  # the app's request log would fill the table's output
    os.environ.update({"SDP_DATABASE_URL": database_url, "SDP_INSTANCE_PATH": instance, **UNLIMITED})
    from sdp_public import create_app
    app = create_app()
    client = app.test_client()
    token = csrf_of(walk_report(client, "en", HATE_ANSWERS)[0])
    engine = app.extensions["sdp_engine"]
    with database_trace(engine) as trace:
        response = client.post(HATE + "check-answers", data={"csrf_token": token})
    assert response.status_code == 303, response.status_code
    engine.dispose()
    return {"round trips": trace.round_trips, "statements": len(trace.statements)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of each load run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=3000,
                        help="sequential requests per CPU round (/proc counts 10 ms ticks: 3,000 hello worlds are 75)")
    parser.add_argument("--rounds", type=int, default=5, help="CPU rounds per row, each between two of hello world")
    parser.add_argument("--sends", type=int, default=40, help="Send POSTs per client process, and per CPU round")
    parser.add_argument("--journeys", type=int, default=20, help="whole journeys per CPU round")
    parser.add_argument("--inbox-reports", type=int, default=10000)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--skip-inbox", action="store_true", help="leave out the inbox rows (bench/inbox.py alone)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    instance = tempfile.mkdtemp(prefix="sdp-bench-")
    env = {**os.environ, "SDP_INSTANCE_PATH": instance, "PYTHONPATH": str(ROOT), "SDP_WORKERS": str(args.workers),
           **UNLIMITED}
    rows, trips, notes = [], {}, []
    admin = pg_name = hello = None
    databases = [("SQLite", f"sqlite:///{instance}/bench.db")]
    try:
        if not args.sqlite_only:
            admin, pg_name, pg_url = postgres_database()
            databases.append(("PostgreSQL", pg_url))
        hello, _ = start("bench.hello:app", port := free_port(), env)
        wrk(f"http://127.0.0.1:{port}/", 2, args.connections)
        floor_wrk = wrk(f"http://127.0.0.1:{port}/", args.duration, args.connections)
        floor_python = load(port, "hello", args.duration, args.clients)
        client = Client(port)
        floor = Floor(hello, lambda: client.request("GET", "/"), args.requests)  # runs to the end, beside the site
        floor_cpu = statistics.median(floor.ms() for _ in range(args.rounds))
        rows.append(("hello world (wrk)", floor_wrk, floor_wrk, (floor_cpu, 1.0)))
        rows.append(("hello world (Python client)", floor_python, floor_python, (floor_cpu, 1.0)))
        for database, url in databases:
            site_env = {**env, "SDP_DATABASE_URL": url}
            subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=site_env,
                           check=True, capture_output=True)
            site, _ = start("wsgi:app", port := free_port(), site_env)
            base = f"http://127.0.0.1:{port}"

            # an anonymous reader: no cookie, ever; gzip accepted, as every browser does
            reader = Client(port, {"Accept-Encoding": "gzip, deflate, br"})
            content_cpu = floor.requests(site, lambda: reader.request("GET", CONTENT), args.requests, args.rounds)
            gzip_ok = ["-H", "Accept-Encoding: gzip, deflate, br"]
            wrk(base + CONTENT, 2, args.connections, gzip_ok)
            rows.append((f"content page {CONTENT}, {database}",
                         wrk(base + CONTENT, args.duration, args.connections, gzip_ok), floor_wrk, content_cpu))

            reporter = Client(port)
            question = answer(reporter, QUESTION)
            question_cpu = floor.requests(site, lambda: reporter.request("GET", question), args.requests, args.rounds)
            cookie = ["-H", f"Cookie: {reporter.cookie}"]
            wrk(base + question, 2, args.connections, cookie)
            rows.append((f"question page GET, {database}", wrk(base + question, args.duration, args.connections, cookie),
                         floor_wrk, question_cpu))

            rows.append((f"Send, {database}", submissions(port, args.clients, args.sends), floor_python,
                         send_cpu_ms(floor, site, port, args.sends, args.rounds)))
            journey_ms, journey_ratio, journey_requests = journey_cpu_ms(floor, site, port, args.journeys, args.rounds)
            rows.append((f"whole journey, {database}", load(port, "journey", args.duration, args.clients, "hate incident"),
                         floor_python, (journey_ms, journey_ratio)))
            notes.append(f"whole journey, {database}: {journey_requests} requests, {journey_ms:.1f} ms of CPU = "
                         f"{1 / journey_ratio:.0f} hello requests (median of the rounds, each against its own hello rounds)")
            stop(site)
            trips[database] = send_round_trips(url, instance)
        if not args.skip_inbox:
            from bench import inbox
            for database, url in databases:
                result = inbox.measure(None if database == "SQLite" else url, reports=args.inbox_reports)
                rows.append((f"inbox, {args.inbox_reports} reports, {database}", result, floor_python,
                             (result["cpu_ms"], None)))
    finally:
        if hello is not None:
            stop(hello)
        if admin is not None:
            drop_database(admin, pg_name)
        shutil.rmtree(instance, ignore_errors=True)

    print(f"gunicorn (deploy/gunicorn.conf.py), {args.workers} sync workers; wrk 2 threads, {args.connections} "
          f"connections, {args.duration}s; Python client {args.clients} processes; CPU: median of {args.rounds} "
          f"rounds of sequential requests, each between two rounds of hello world")
    print(f"{'':40} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} {'CPU ms':>8} {'CPU ratio':>9}"
          "  (a whole journey: in hello requests of CPU)")
    for label, result, floor_load, (cpu, cpu_ratio) in rows:
        shown = "" if not cpu_ratio else f"{cpu_ratio:9.2f}" if cpu_ratio >= 0.05 else f"{1 / cpu_ratio:5.0f} hello"
        print(f"{label:40} {result['rps']:8.0f} {result['p50']:8.2f} {result['p99']:8.2f} "
              f"{result['rps'] / floor_load['rps']:6.2f} {cpu:8.3f} {shown}")
    print("(Send: the final POST only; whole journey: req/s of its requests, p50/p99 of one journey, CPU per journey;"
          " inbox: one signed-in caseworker, sequential)")
    for note in notes:
        print(note)
    for database, counts in trips.items():
        print(f"one Send, {database}: {counts['statements']} statements"
              + (f", {counts['round trips']} round trips" if database == "PostgreSQL" else " (no network)"))


if __name__ == "__main__":
    main()

"""Benchmark: a content page of the site against Flask "hello world", in one run.

Starts both apps under identical gunicorn settings on loopback, warms them, loads each
with wrk for a fixed duration, and prints requests per second, latency percentiles and
the ratio site/hello. Also prints the gzipped weight of the heaviest page with its CSS and
JS, and the cold start time (process start to first 200).

    .venv/bin/python bench/content_page.py [--duration 10] [--connections 32] [--workers 2]

Needs wrk (Debian package `wrk`). Uses the embedded SQLite default in a temporary
instance directory; content pages never touch the database.
"""
import argparse
import gzip
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["/en/plan/", "/en/plan/alcohol-and-substance-misuse", "/ar/plan/reducing-reoffending",
         "/en/support/", "/en/campaigns/hate-hurts", "/en/"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(app, port, workers, env):
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "sync",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", app],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    while True:
        try:
            urllib.request.urlopen(url + ("en/" if app == "wsgi:app" else ""), timeout=1).read()
            return proc, time.perf_counter() - started
        except Exception:
            if proc.poll() is not None:
                raise SystemExit(f"{app} failed to start")
            time.sleep(0.02)


def wrk(url, duration, connections, extra=()):
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", *extra, url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": pct(50), "p99": pct(99), "errors": int(errors.group(1)) if errors else 0}


def page_weight(base):
    """Gzipped bytes of each page plus the CSS and JS it loads (what a first visit costs)."""
    weights = {}
    for path in PAGES:
        html = urllib.request.urlopen(base + path).read()
        total = len(gzip.compress(html, 9))
        for asset in re.findall(rb'(?:href|src)="(/static/[^"]+)"', html):
            total += len(gzip.compress(urllib.request.urlopen(base + asset.decode().replace("&amp;", "&")).read(), 9))
        weights[path] = total
    return weights


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    instance = tempfile.mkdtemp(prefix="sdp-bench-")
    env = {**os.environ, "SDP_INSTANCE_PATH": instance, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    hello_port, site_port = free_port(), free_port()
    hello, hello_cold = start("bench.hello:app", hello_port, args.workers, env)
    site, site_cold = start("wsgi:app", site_port, args.workers, env)
    try:
        results = {}
        for name, url in (("hello world", f"http://127.0.0.1:{hello_port}/"),
                          ("content page /en/plan/", f"http://127.0.0.1:{site_port}/en/plan/"),
                          ("priority page with charts", f"http://127.0.0.1:{site_port}/en/plan/alcohol-and-substance-misuse")):
            wrk(url, 2, args.connections)  # warm up: caches filled, workers forked
            results[name] = wrk(url, args.duration, args.connections)
        weights = page_weight(f"http://127.0.0.1:{site_port}")
    finally:
        for proc in (hello, site):
            proc.terminate()
            proc.wait()
        shutil.rmtree(instance, ignore_errors=True)

    base = results["hello world"]["rps"]
    print(f"gunicorn sync, {args.workers} workers; wrk 2 threads, {args.connections} connections, {args.duration}s each")
    print(f"{'':28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'ratio':>7}")
    for name, r in results.items():
        print(f"{name:28} {r['rps']:9.0f} {r['p50']:8.2f} {r['p99']:8.2f} {r['errors']:7d} {r['rps'] / base:7.2f}")
    heaviest = max(weights, key=weights.get)
    print(f"cold start (process start to first 200): hello {hello_cold:.2f}s, site {site_cold:.2f}s")
    print("gzipped page + CSS + JS: " + ", ".join(f"{p} {w / 1024:.1f} KB" for p, w in weights.items()))
    print(f"heaviest: {heaviest} {weights[heaviest] / 1024:.1f} KB")


if __name__ == "__main__":
    main()

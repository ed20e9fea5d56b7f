"""Benchmark: server CPU per request of a question page (GET and POST, its draft opened and,
on POST, sealed and stored), beside hello world, and the direct cost of sealing and
opening a typical draft.

CPU time is read from /proc (utime + stime of the gunicorn master and its workers, in
clock ticks) before and after N sequential requests from one client, so it counts what the
server spends, not what the client waits. One sync worker (deploy/gunicorn.conf.py),
SQLite in a scratch instance folder; --postgres to use a throwaway PostgreSQL database.
To compare with an earlier build, run the same script from an export of that commit
(git archive REV | tar -x -C DIR; cp bench/draft_cpu.py DIR/bench/), alternately.

    .venv/bin/python bench/draft_cpu.py [--requests 1000] [--rounds 7] [--postgres]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
from bench.run import QUESTION, UNLIMITED, answer, per_request_ms, start, stop  # noqa: E402
from bench.content_page import free_port  # noqa: E402
from bench.submission import CSRF, Client, drop_database, postgres_database  # noqa: E402
from sdp_test_helpers import HATE_ANSWERS  # noqa: E402

def question_page(port):
    """A client part way through the hate incident report, on the description question."""
    client = Client(port)
    url = answer(client, QUESTION)
    _s, _l, page = client.request("GET", url)
    body = urlencode({"csrf_token": CSRF.search(page).group(1).decode(), **HATE_ANSWERS[QUESTION]})

    def get():
        status, _loc, _data = client.request("GET", url)
        assert status == 200, status

    def post():
        status, _loc, _data = client.request("POST", url, body)
        assert status == 302, status  # saved, on to the next question

    return get, post


def direct_seal_cost(iterations=20000):
    """Microseconds to seal and to open the draft a reporter has at check answers."""
    from sdp_public.services.sealing import Sealer, new_key_spec, parse_keys
    sealer = Sealer(parse_keys(new_key_spec()))
    answers = {name: value for step in HATE_ANSWERS.values() for name, value in step.items()}
    answers.update({"started_at": time.time(), "seen:outside": True})
    context = "draft:" + "x" * 43
    size = len(json.dumps(answers, ensure_ascii=False, separators=(",", ":")).encode())
    started = time.process_time()
    for _ in range(iterations):
        token = sealer.seal(answers, context)
    sealed = time.process_time()
    for _ in range(iterations):
        sealer.unseal(token, context)
    opened = time.process_time()
    return size, (sealed - started) / iterations * 1e6, (opened - sealed) / iterations * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="sdp-bench-cpu-")
    env = {**os.environ, "SDP_INSTANCE_PATH": instance, "PYTHONPATH": str(ROOT), "SDP_WORKERS": "1", **UNLIMITED}
    admin = pg_name = None
    try:
        hello, _ = start("bench.hello:app", port := free_port(), env)
        client = Client(port)
        floor = per_request_ms(hello, lambda: client.request("GET", "/"), args.requests, args.rounds)
        stop(hello)
        if args.postgres:
            admin, pg_name, url = postgres_database()
        else:
            url = f"sqlite:///{instance}/bench.db"
        site_env = {**env, "SDP_DATABASE_URL": url}
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=site_env,
                       check=True, capture_output=True)
        site, _ = start("wsgi:app", port := free_port(), site_env)
        get, post = question_page(port)
        get_ms = per_request_ms(site, get, args.requests, args.rounds)
        post_ms = per_request_ms(site, post, args.requests, args.rounds)
        stop(site)
    finally:
        if admin is not None:
            drop_database(admin, pg_name)
        shutil.rmtree(instance, ignore_errors=True)
    size, seal_us, open_us = direct_seal_cost()
    database = "PostgreSQL" if args.postgres else "SQLite"
    print(f"server CPU per request (gunicorn, 1 sync worker, {database}; least of {args.rounds} rounds "
          f"of {args.requests} sequential requests)")
    print(f"  hello world GET                      {floor:6.3f} ms")
    print(f"  question page GET ({QUESTION})    {get_ms:6.3f} ms")
    print(f"  question page POST ({QUESTION})   {post_ms:6.3f} ms")
    print(f"direct cost, a complete hate incident draft ({size} bytes of JSON): "
          f"seal {seal_us:.1f} us, open {open_us:.1f} us, both {(seal_us + open_us) / 1000:.3f} ms")


if __name__ == "__main__":
    main()

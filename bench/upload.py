"""Benchmark: an evidence upload's memory and CPU in the web worker, beside hello world.

A 20 MB file is uploaded to one sync gunicorn worker (deploy/gunicorn.conf.py) on a draft's
files page. The worker reads the body as a stream and seals it in 1 MB pieces, so its peak
resident memory (VmHWM in /proc/<pid>/status) should grow by much less than the file: the
issue's figure is under 50 MB. Also prints the server CPU per request of the files page
(GET) and of the upload, against hello world under the same server, read from /proc
(utime + stime of the master and its workers), which barely moves with the machine's load.

    .venv/bin/python bench/upload.py [--megabytes 20] [--requests 300] [--rounds 5] [--postgres]
"""
import argparse
import copy
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
from bench.content_page import free_port  # noqa: E402
from bench.run import cpu_seconds, per_request_ms, start, stop  # noqa: E402
from bench.submission import drop_database, postgres_database  # noqa: E402
from sdp_test_helpers import HATE_ANSWERS, csrf, walk  # noqa: E402


def worker_pid(master):
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(fields[1]) == master:
                return int(entry)
    raise SystemExit("no gunicorn worker found")


def memory_kb(pid, field):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def files_page_session(base):
    session = requests.Session()
    answers = copy.deepcopy(HATE_ANSWERS)
    answers.update({"evidence": {"evidence": "yes"}, "files": {}})
    walk(session, [base], answers)
    page = session.get(f"{base}/en/report/hate-incident/files", timeout=10).text
    return session, page


def upload(session, base, page, data, name="statement.pdf"):
    response = session.post(f"{base}/en/report/hate-incident/files/upload", data={"csrf_token": csrf(page)},
                            files={"file": (name, data)}, timeout=120, allow_redirects=False)
    assert response.status_code == 303, response.status_code


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=20)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="sdp-bench-upload-")
    env = {**os.environ, "SDP_INSTANCE_PATH": instance, "PYTHONPATH": str(ROOT), "SDP_WORKERS": "1",
           "SDP_REPORT_MINIMUM_SECONDS": "0", "SDP_STEP_RATE_LIMIT": "1000000 per hour",
           "SDP_UPLOAD_MAX_FILES": "1000", "SDP_UPLOAD_MAX_BYTES": str((args.megabytes + 1) * 1024 * 1024)}
    admin = pg_name = None
    try:
        hello, _ = start("bench.hello:app", port := free_port(), env)
        plain = requests.Session()
        floor = per_request_ms(hello, lambda: plain.get(f"http://127.0.0.1:{port}/", timeout=5), args.requests,
                               args.rounds)
        stop(hello)
        if args.postgres:
            admin, pg_name, url = postgres_database()
        else:
            url = f"sqlite:///{instance}/bench.db"
        site_env = {**env, "SDP_DATABASE_URL": url}
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=site_env,
                       check=True, capture_output=True)
        site, _ = start("wsgi:app", port := free_port(), site_env)
        base = f"http://127.0.0.1:{port}"
        session, page = files_page_session(base)
        page_ms = per_request_ms(site, lambda: session.get(f"{base}/en/report/hate-incident/files", timeout=5),
                                 args.requests, args.rounds)
        small = b"%PDF-1.4\n" + os.urandom(64 * 1024)
        upload(session, base, page, small)  # warm the upload path itself
        worker = worker_pid(site.pid)
        rss_before, peak_before = memory_kb(worker, "VmRSS"), memory_kb(worker, "VmHWM")
        data = b"%PDF-1.4\n" + os.urandom(args.megabytes * 1024 * 1024 - 9)
        before = cpu_seconds(site.pid)
        upload(session, base, page, data)
        upload_ms = (cpu_seconds(site.pid) - before) * 1000
        peak_after = memory_kb(worker, "VmHWM")
        stop(site)
    finally:
        if admin is not None:
            drop_database(admin, pg_name)
        shutil.rmtree(instance, ignore_errors=True)
    database = "PostgreSQL" if args.postgres else "SQLite"
    grew = (max(peak_after, rss_before) - max(peak_before, rss_before)) / 1024
    print(f"evidence upload, gunicorn 1 sync worker, {database}")
    print(f"  hello world GET, CPU per request          {floor:8.3f} ms   1.00")
    print(f"  files page GET, CPU per request           {page_ms:8.3f} ms   {page_ms / floor:5.2f} x hello")
    print(f"  {args.megabytes} MB upload, CPU                       {upload_ms:8.1f} ms   "
          f"{upload_ms / args.megabytes:.1f} ms per MB")
    print(f"  worker peak memory before / after         {peak_before / 1024:8.1f} / {peak_after / 1024:.1f} MB")
    print(f"  peak grew by                              {grew:8.1f} MB   (must stay under 50 MB: "
          f"{'met' if grew < 50 else 'MISSED'})")


if __name__ == "__main__":
    main()

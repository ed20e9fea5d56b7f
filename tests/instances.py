"""Real processes for scale-out and fault tests: gunicorn app instances on loopback ports,
each behind its own nginx (deploy/nginx.conf, as in production), a private Redis, and
`flask outbox deliver` workers, all sharing one database."""
import getpass
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from bs4 import BeautifulSoup

from sdp_test_helpers import free_port

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def wait_for(check, timeout=20.0, what="service"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what} did not come up within {timeout} s")


class Redis:
    """A redis-server of our own, so stopping it disturbs nothing else."""

    def __init__(self):
        self.port = free_port()
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import socket
        wait_for(lambda: socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close() or True, what="redis")

    def stop(self):
        if self.process:
            self.process.kill()
            self.process.wait()
            self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"


def nginx_binary():
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
    if not found:
        raise AssertionError("nginx is not installed: .ci/run installs Debian's nginx (apt-get install nginx)")
    return found


class Proxy:
    """nginx with the production config (deploy/nginx.conf, rendered by deploy/nginx_conf.py)
    on its own loopback port, in front of one upstream address."""

    def __init__(self, upstream, run_dir, name, behind=None):
        self.upstream, self.port, self.name, self.behind = upstream, free_port(), name, behind
        self.run_dir = Path(run_dir) / f"{name}-nginx"
        self.process = None

    def start(self):
        sys.path.insert(0, str(ROOT / "deploy"))
        try:
            from nginx_conf import render
        finally:
            sys.path.remove(str(ROOT / "deploy"))
        config = self.run_dir / "nginx.conf"
        user = getpass.getuser() if os.geteuid() == 0 else None  # as root, workers would run as nobody
        self.run_dir.mkdir(parents=True, exist_ok=True)
        config.write_text(render(f"127.0.0.1:{self.port}", self.upstream, self.run_dir, user, self.behind))
        self.process = subprocess.Popen([nginx_binary(), "-p", str(self.run_dir), "-c", str(config), "-g", "daemon off;"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        import socket
        wait_for(lambda: socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close() or True,
                 what=f"{self.name} nginx")

    def stop(self):
        if self.process:
            self.process.terminate()  # nginx's fast shutdown: the master stops its workers
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # its own session: the master and its workers
                self.process.wait()
            self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def log(self):
        path = self.run_dir / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


class Instance:
    """One app server as in production: gunicorn with deploy/gunicorn.conf.py (two workers)
    on a loopback port, behind its own nginx (`proxied`, the default), logging to a file.
    `url` is nginx's address; `direct_url` is gunicorn's."""

    def __init__(self, env, log_dir, name, proxied=True, workers=2):
        self.env, self.port, self.name, self.workers = env, free_port(), name, workers
        self.log_path = Path(log_dir) / f"{name}.log"
        self.process = None
        self.proxy = Proxy(f"127.0.0.1:{self.port}", log_dir, name) if proxied else None
        if proxied:  # the app trusts X-Forwarded-* from nginx only
            self.env = {**env, "SDP_TRUSTED_PROXIES": "127.0.0.1"}

    def start(self):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "--graceful-timeout", "2", "wsgi:app"],
            cwd=ROOT, env={**self.env, "SDP_BIND": f"127.0.0.1:{self.port}", "SDP_WORKERS": str(self.workers)},
            stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: requests.get(f"{self.direct_url}/healthz", timeout=1).status_code == 200, what=self.name)
        if self.proxy and self.proxy.process is None:
            self.proxy.start()
            wait_for(lambda: requests.get(f"{self.url}/healthz", timeout=1).status_code == 200,
                     what=f"{self.name} through nginx")

    def stop(self):
        if self.process:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None
        if self.proxy:
            self.proxy.stop()

    @property
    def url(self):
        return self.proxy.url if self.proxy else self.direct_url

    @property
    def direct_url(self):
        return f"http://127.0.0.1:{self.port}"

    def log(self):
        return self.log_path.read_text(errors="replace")


def environment(app, database_url, instance_path, **extra):
    """What every process of one deployment shares: database, keys, Redis, mail. The
    sealing keys are the test session's, so every test can read what these processes wrote."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SDP_")}
    env.update({"SDP_DATABASE_URL": database_url, "SDP_INSTANCE_PATH": str(instance_path),
                "SDP_SECRET_KEY": "s" * 64, "SDP_SEALING_KEYS": app.config["SEALING_KEYS"],
                "SDP_REPORT_MINIMUM_SECONDS": "0", "SDP_SUBMIT_RATE_LIMIT": "1000 per minute",
                "SDP_STEP_RATE_LIMIT": "100000 per minute", "SDP_DRAFT_START_LIMIT": "10000 per minute",
                "PYTHONPATH": str(ROOT)})
    env.update(extra)
    return env


def deliver_once(env):
    """One outbox worker pass, as cron or a systemd timer runs it."""
    return subprocess.run([PYTHON, "-m", "flask", "--app", "wsgi", "outbox", "deliver", "--once"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def csrf(html):
    field = BeautifulSoup(html, "html.parser").find("input", attrs={"name": "csrf_token"})
    return field["value"] if field else ""


def local_path(location):
    """A redirect's path, whether the server sent it relative or absolute."""
    return location if location.startswith("/") else "/" + location.split("/", 3)[3]


def walk(session, bases, answers, flow="report/hate-incident", lang="en"):
    """Answer a form over HTTP, each request to the next server in `bases` in turn (a load
    balancer without sticky sessions). Returns the check-answers HTML."""
    turn = [0]

    def base():
        turn[0] += 1
        return bases[turn[0] % len(bases)]

    start = session.get(f"{base()}/{lang}/{flow}/", timeout=10)
    path = BeautifulSoup(start.text, "html.parser").select_one("main a.govuk-button--start")["href"]
    for _ in range(30):
        page = session.get(base() + path, timeout=10, allow_redirects=False)
        assert page.status_code == 200, (path, page.status_code)
        if path.endswith("/check-answers"):
            return page.text
        step = path.rsplit("/", 1)[1].split("?")[0]
        response = session.post(base() + path, data={"csrf_token": csrf(page.text), **answers[step]},
                                timeout=10, allow_redirects=False)
        assert response.status_code == 302, (step, response.status_code)
        path = local_path(response.headers["Location"])
    raise AssertionError("never reached check answers")


def submit(session, base, check_html, flow="report/hate-incident", lang="en"):
    """Press Send; returns the reference shown, or None if the server said it was not sent."""
    response = session.post(f"{base}/{lang}/{flow}/check-answers", data={"csrf_token": csrf(check_html)},
                            timeout=20, allow_redirects=False)
    if response.status_code != 303:
        return None, response.status_code
    page = session.get(base + local_path(response.headers["Location"]), timeout=10)
    reference = BeautifulSoup(page.text, "html.parser").select_one(".govuk-panel__body strong")
    return reference.get_text(strip=True), 303

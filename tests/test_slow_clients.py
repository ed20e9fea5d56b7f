"""Slow clients (slow loris) against the production setup: gunicorn's sync workers behind
nginx (deploy/nginx.conf), as tests/instances.py starts them.

gunicorn 27 has no read timeout for a request's header or body: each sync worker reads its
request itself and blocks, so a few connections trickling bytes hold every worker. nginx
reads every request whole before gunicorn sees it, so while more trickling connections than
there are workers stay open, a normal reader still gets pages promptly and no worker is
killed for timing out. gunicorn refuses a public address, so it cannot be reached past nginx."""
import importlib.util
import socket
import subprocess
import threading
import time

import pytest
import requests

from sdp_test_helpers import PYTHON, ROOT, Instance, environment, free_port

pytestmark = pytest.mark.db
WORKERS = 2
ATTACKERS = 3 * WORKERS   # more slow connections than gunicorn has workers
ATTACK_SECONDS = 8        # bounded: the attack stops by itself
PROMPT = 2.0              # seconds: what "promptly" means for one page here


def slow_loris(port, stop, opened):
    """Half the connections trickle a header, half a POST body, one byte every 0.3 s."""
    sockets = []
    for n in range(ATTACKERS):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        if n % 2:
            sock.sendall(b"GET /en/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        else:
            sock.sendall(b"POST /en/track HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 4000\r\n\r\nreference=")
        sockets.append(sock)
    opened.set()
    deadline = time.monotonic() + ATTACK_SECONDS
    try:
        while not stop.is_set() and time.monotonic() < deadline:
            for sock in sockets:
                try:
                    sock.send(b"a")
                except OSError:
                    pass  # cut off by the server: fine
            time.sleep(0.3)
    finally:
        for sock in sockets:
            sock.close()


@pytest.fixture(scope="module")
def proxied(app, migrated_database, tmp_path_factory):
    folder = tmp_path_factory.mktemp("slow-clients")
    server = Instance(environment(app, migrated_database, folder), folder, "slow", workers=WORKERS)
    server.start()
    yield server
    server.stop()


def read_pages(base, count=6):
    """Fetch a few pages (a fresh connection each); returns the slowest time."""
    slowest = 0.0
    for path in ["/en/", "/en/track", "/healthz", "/en/support/", "/en/", "/en/track"][:count]:
        started = time.monotonic()
        response = requests.get(base + path, timeout=PROMPT * 3, headers={"Connection": "close"})
        assert response.status_code == 200, (path, response.status_code)
        slowest = max(slowest, time.monotonic() - started)
    return slowest


def test_slow_connections_beyond_the_worker_count_do_not_delay_a_normal_reader(proxied):
    read_pages(proxied.url)  # warm every page once
    stop, opened = threading.Event(), threading.Event()
    attack = threading.Thread(target=slow_loris, args=(proxied.proxy.port, stop, opened), daemon=True)
    attack.start()
    try:
        assert opened.wait(10)
        time.sleep(1.0)  # every slow connection has started its request
        slowest = read_pages(proxied.url)
    finally:
        stop.set()
        attack.join(ATTACK_SECONDS + 5)
    print(f"slowest page with {ATTACKERS} slow clients on {WORKERS} workers: {slowest:.3f} s")
    assert slowest < PROMPT, f"a page took {slowest:.2f} s while {ATTACKERS} slow clients were connected"
    assert "WORKER TIMEOUT" not in proxied.log()


def gunicorn_conf():
    spec = importlib.util.spec_from_file_location("sdp_gunicorn_conf", ROOT / "deploy" / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_only_loopback_and_unix_sockets_count_as_private():
    conf = gunicorn_conf()
    for address in ("127.0.0.1:8000", "127.0.0.2:80", "[::1]:8000", "localhost:8000", "unix:/run/sdp.sock", "fd://3"):
        assert conf.private_address(address), address
    for address in ("0.0.0.0:8000", "[::]:8000", "10.0.0.5:8000", "192.168.1.2:80", "www.example.org:80", ":8000"):
        assert not conf.private_address(address), address


def test_gunicorn_refuses_a_public_address_without_the_explicit_override(app, migrated_database, tmp_path):
    env = environment(app, migrated_database, tmp_path, SDP_BIND=f"0.0.0.0:{free_port()}", SDP_WORKERS="1")
    for args in ([], ["--bind", f"0.0.0.0:{free_port()}"]):  # the config's bind, and one given on the command line
        run = subprocess.run([PYTHON, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", *args, "wsgi:app"], cwd=ROOT,
                             env={**env, **({"SDP_BIND": "127.0.0.1:1"} if args else {})},
                             capture_output=True, text=True, timeout=60)
        assert run.returncode != 0
        assert "refusing to listen on 0.0.0.0" in run.stderr + run.stdout

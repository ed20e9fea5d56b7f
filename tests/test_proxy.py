"""deploy/nginx.conf as rendered by deploy/nginx_conf.py, in front of an upstream that
echoes what it receives: the X-Forwarded-* headers the app trusts are nginx's own (a
client's are replaced, no prefix reaches the app), and a request reaches the upstream
only once its whole body has arrived."""
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from sdp_test_helpers import Proxy

SPOOFED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example",
           "X-Forwarded-Prefix": "/evil", "X-Forwarded-Port": "444", "X-Script-Name": "/evil",
           "Forwarded": "for=203.0.113.9;proto=https"}


class Echo(BaseHTTPRequestHandler):
    arrivals = []

    def do_GET(self):
        self.answer(b"")

    def do_POST(self):
        self.arrivals.append(time.monotonic())  # the request line and headers are here
        self.answer(self.rfile.read(int(self.headers.get("Content-Length", 0))))

    def answer(self, body):
        payload = json.dumps({"headers": {k.lower(): v for k, v in self.headers.items()},
                              "body": body.decode(errors="replace")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def echo():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(echo, tmp_path, request):
    proxy = Proxy(echo, tmp_path, "echo", behind=getattr(request, "param", None))
    proxy.start()
    yield proxy
    proxy.stop()


def test_a_clients_forwarded_headers_are_replaced_and_no_prefix_reaches_the_app(proxy):
    seen = requests.get(proxy.url + "/", headers=SPOOFED, timeout=5).json()["headers"]
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert seen["x-forwarded-proto"] == "http"
    assert seen["x-forwarded-host"] == seen["host"] == f"127.0.0.1:{proxy.port}"
    for name in ("x-forwarded-prefix", "x-forwarded-port", "x-script-name", "forwarded", "script_name"):
        assert name not in seen, name


@pytest.mark.parametrize("proxy", ["127.0.0.1"], indirect=True)
def test_behind_a_load_balancer_its_client_address_and_scheme_are_passed_on(proxy):
    seen = requests.get(proxy.url + "/", headers=SPOOFED, timeout=5).json()["headers"]
    assert seen["x-forwarded-for"] == "203.0.113.9"  # the address the load balancer names
    assert seen["x-forwarded-proto"] == "https"
    assert "x-forwarded-prefix" not in seen


@pytest.mark.parametrize("proxy", ["10.255.255.1"], indirect=True)
def test_behind_a_load_balancer_nobody_else_may_connect(proxy):
    assert requests.get(proxy.url + "/", timeout=5).status_code == 403


def test_the_upstream_sees_a_request_only_once_its_whole_body_has_arrived(proxy):
    Echo.arrivals.clear()
    body = b"information=" + b"x" * 988
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(b"POST /en/track/report HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n")
        for start in range(0, 1000, 250):
            sock.sendall(body[start:start + 250])
            last_chunk = time.monotonic()
            if start + 250 < 1000:
                time.sleep(0.5)
                assert not Echo.arrivals, "the upstream was handed a request still being sent"
        response = b""
        while chunk := sock.recv(65536):
            response += chunk
    assert b" 200 " in response.split(b"\r\n", 1)[0]
    assert len(Echo.arrivals) == 1 and Echo.arrivals[0] >= last_chunk
    assert json.loads(response.split(b"\r\n\r\n", 1)[1])["body"] == body.decode()

"""The evidence scanner against a real clamd (tests/clamd.py: Debian's clamd with a local
EICAR database) and against fake servers that misbehave: every failure is a FAILED result,
never an exception, and never a clean one."""
import random
import shutil
import socket
import struct
import tempfile
import threading
import time
from pathlib import Path

import pytest

from clamd import EICAR, Clamd
from sdp_public.evidence.scanner import CLEAN, FAILED, INFECTED, MAX_PIECE, ScanResult, Scanner, parse_address
from sdp_test_helpers import free_port

MiB = 1024 * 1024
# Ample for a real clamd here (20 MB scans in well under a second); a hang fails in seconds.
TIMEOUT = 10


# The integrator moves these to conftest.py.
@pytest.fixture(scope="module")
def clamd():
    with Clamd() as running:
        yield running


@pytest.fixture(scope="module")
def small_clamd():
    with Clamd(stream_max_length="1M") as running:
        yield running


def uneven(data, seed=1):
    """`data` in pieces of random sizes from 1 byte to 3 MiB (some larger than MAX_PIECE)."""
    rng = random.Random(seed)
    start = 0
    while start < len(data):
        size = rng.choice([1, 7, 4095, 65536, 700_001, 3 * MiB])
        yield data[start:start + size]
        start += size


# --- a real clamd

def test_ping(clamd):
    assert Scanner(clamd.address, timeout=TIMEOUT).ping() is True


def test_clean_text(clamd):
    text = ("Someone keeps leaving rubbish by the back lane. " * 100).encode()
    result = Scanner(clamd.address, timeout=TIMEOUT).scan([text])
    assert (result.status, result.signature, result.detail) == (CLEAN, None, None)


def test_clean_large_random_payload_in_uneven_chunks(clamd):
    payload = random.Random(5).randbytes(5 * MiB)
    assert Scanner(clamd.address, timeout=TIMEOUT).scan(uneven(payload)).status == CLEAN


def test_twenty_megabytes_fit_the_configured_limit(clamd):
    payload = random.Random(20).randbytes(20 * MiB)
    assert Scanner(clamd.address, timeout=TIMEOUT).scan([payload]).status == CLEAN


def test_eicar_is_infected(clamd):
    result = Scanner(clamd.address, timeout=TIMEOUT).scan([EICAR])
    assert result.status == INFECTED
    assert result.signature and "UNOFFICIAL" in result.signature


@pytest.mark.parametrize("size", [1, 7, 33])
def test_eicar_split_across_chunks_is_infected(clamd, size):
    pieces = [EICAR[i:i + size] for i in range(0, len(EICAR), size)]
    pieces.insert(1, b"")  # an empty chunk is skipped, not taken as the end of the stream
    result = Scanner(clamd.address, timeout=TIMEOUT).scan(iter(pieces))
    assert result.status == INFECTED
    assert result.signature == "eicar.txt.UNOFFICIAL"


def test_eicar_as_bytearray_and_memoryview(clamd):
    assert Scanner(clamd.address, timeout=TIMEOUT).scan([bytearray(EICAR[:30]), memoryview(EICAR)[30:]]).status == INFECTED


def test_nearly_eicar_is_clean(clamd):
    # The local database holds EICAR's hash: one byte more is another file.
    assert Scanner(clamd.address, timeout=TIMEOUT).scan([EICAR, b"\n"]).status == CLEAN


def test_stream_over_the_limit_fails_and_clamd_still_serves(small_clamd):
    started = time.monotonic()
    result = Scanner(small_clamd.address, timeout=TIMEOUT).scan(uneven(bytes(2 * MiB)))
    assert (result.status, result.signature, result.detail) == (FAILED, None, "size limit exceeded")
    assert time.monotonic() - started < 5
    assert Scanner(small_clamd.address, timeout=TIMEOUT).scan([EICAR]).status == INFECTED


def test_stream_over_the_limit_in_one_chunk_fails(small_clamd):
    result = Scanner(small_clamd.address, timeout=TIMEOUT).scan([bytes(2 * MiB)])
    assert result.status == FAILED and result.detail == "size limit exceeded"


def test_chunks_that_raise_propagate(clamd):
    # Unsealing failing is not a scan result: the worker sees the exception.
    def chunks():
        yield b"part"
        raise KeyError("seal")
    with pytest.raises(KeyError):
        Scanner(clamd.address, timeout=TIMEOUT).scan(chunks())
    assert Scanner(clamd.address, timeout=TIMEOUT).ping()


# --- nothing listening

def test_missing_socket_fails_at_once():
    directory = tempfile.mkdtemp(prefix="noclamd-", dir="/tmp")
    try:
        scanner = Scanner(f"unix:{directory}/clamd.ctl", timeout=5)
        started = time.monotonic()
        result = scanner.scan([EICAR])
        assert (result.status, result.signature, result.detail) == (FAILED, None, "clamd unreachable")
        assert scanner.ping() is False
        assert time.monotonic() - started < 1
    finally:
        shutil.rmtree(directory)


def test_closed_tcp_port_fails_at_once():
    scanner = Scanner(f"tcp:127.0.0.1:{free_port()}", timeout=5)
    started = time.monotonic()
    result = scanner.scan([EICAR])
    assert (result.status, result.detail) == (FAILED, "clamd unreachable")
    assert scanner.ping() is False
    assert time.monotonic() - started < 1


# --- fake servers that misbehave

class FakeClamd:
    """A unix socket served by a thread: `behaviour(connection)` handles each connection."""

    def __init__(self, behaviour, tcp=False):
        self.dir = Path(tempfile.mkdtemp(prefix="fake-", dir="/tmp"))
        if tcp:
            self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.listener.bind(("127.0.0.1", 0))
            self.address = f"tcp:127.0.0.1:{self.listener.getsockname()[1]}"
        else:
            self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.listener.bind(str(self.dir / "clamd.ctl"))
            self.address = f"unix:{self.dir / 'clamd.ctl'}"
        self.listener.listen(8)
        self.behaviour = behaviour
        self.received = []
        self.closing = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection:
                try:
                    self.behaviour(self, connection)
                except OSError:
                    pass

    def close(self):
        self.closing.set()
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.thread.join(5)
        shutil.rmtree(self.dir)


@pytest.fixture
def fake():
    servers = []

    def start(behaviour, tcp=False):
        servers.append(FakeClamd(behaviour, tcp))
        return servers[-1]
    yield start
    for server in servers:
        server.close()


def read_exactly(connection, size):
    data = b""
    while len(data) < size:
        got = connection.recv(size - len(data))
        if not got:
            raise ConnectionResetError
        data += got
    return data


def instream(server, connection, answer=b"stream: OK\0"):
    """Reads a whole INSTREAM like clamd, noting the piece lengths, then answers."""
    assert read_exactly(connection, 10) == b"zINSTREAM\0"
    while True:
        (length,) = struct.unpack(">I", read_exactly(connection, 4))
        server.received.append(length)
        if length == 0:
            break
        read_exactly(connection, length)
    connection.sendall(answer)


def test_pieces_are_at_most_one_mebibyte_and_end_with_zero(fake):
    server = fake(instream)
    result = Scanner(server.address, timeout=TIMEOUT).scan([bytes(2 * MiB + 5), b"", b"abc"])
    assert result.status == CLEAN
    assert server.received == [MAX_PIECE, MAX_PIECE, 5, 3, 0]
    assert MAX_PIECE == MiB


def test_over_tcp(fake):
    server = fake(lambda server, connection: instream(server, connection, b"stream: Eicar FOUND\0"), tcp=True)
    scanner = Scanner(server.address, timeout=TIMEOUT)
    assert scanner.scan([EICAR]) == ScanResult(INFECTED, signature="Eicar")
    assert server.received == [len(EICAR), 0]


@pytest.mark.parametrize("answer, status, signature, detail", [
    (b"stream: OK\0", CLEAN, None, None),
    (b"stream: Win.Test.EICAR_HDB-1 FOUND\0", INFECTED, "Win.Test.EICAR_HDB-1", None),
    (b"stream: OK", FAILED, None, "unparseable answer"),  # no terminator, then closed
    (b"INSTREAM size limit exceeded. ERROR\0", FAILED, None, "size limit exceeded"),
    (b"stream: lstat() failed: No such file. ERROR\0", FAILED, None, "clamd error"),
    (b"UNKNOWN COMMAND\0", FAILED, None, "unparseable answer"),
    (b"stream: OK and more\0", FAILED, None, "unparseable answer"),
    (b"stream: two words FOUND\0", FAILED, None, "unparseable answer"),
    (b"stream: \x1b[2J FOUND\0", FAILED, None, "unparseable answer"),
    (b"\0", FAILED, None, "unparseable answer"),
    (b"x" * 10000, FAILED, None, "unparseable answer"),
], ids=lambda value: repr(value)[:40] if isinstance(value, bytes) else None)
def test_answers(fake, answer, status, signature, detail):
    server = fake(lambda server, connection: instream(server, connection, answer))
    result = Scanner(server.address, timeout=1).scan([EICAR])
    assert (result.status, result.signature, result.detail) == (status, signature, detail)


def closes_at_once(server, connection):
    pass


def never_answers(server, connection):
    while connection.recv(65536):
        pass


def reads_nothing(server, connection):
    server.closing.wait(10)


def garbage(server, connection):
    connection.recv(100)
    connection.sendall(bytes(range(1, 256)) * 40)


def ok_after_a_part(server, connection):
    # Says clean before the stream is whole and hangs up: what was not sent was not scanned.
    read_exactly(connection, 1000)
    connection.sendall(b"stream: OK\0")


@pytest.mark.parametrize("behaviour, payload", [
    (closes_at_once, EICAR),
    (closes_at_once, bytes(3 * MiB)),
    (never_answers, EICAR),
    (never_answers, bytes(3 * MiB)),
    (reads_nothing, bytes(3 * MiB)),
    (garbage, EICAR),
    (ok_after_a_part, bytes(3 * MiB)),
], ids=lambda value: value.__name__ if callable(value) else f"{len(value)}B")
def test_misbehaving_server_fails_quickly(fake, behaviour, payload):
    server = fake(behaviour)
    started = time.monotonic()
    result = Scanner(server.address, timeout=1).scan([payload])
    assert result.status == FAILED and result.signature is None
    assert result.detail in {"closed without an answer", "connection reset", "timed out", "unparseable answer"}
    assert time.monotonic() - started < 3.5


@pytest.mark.parametrize("behaviour", [closes_at_once, never_answers, garbage])
def test_ping_false_from_misbehaving_server(fake, behaviour):
    server = fake(behaviour)
    started = time.monotonic()
    assert Scanner(server.address, timeout=1).ping() is False
    assert time.monotonic() - started < 2


# --- addresses

@pytest.mark.parametrize("text, parsed", [
    ("unix:/run/clamav/clamd.ctl", ("unix", "/run/clamav/clamd.ctl")),
    ("/run/clamav/clamd.ctl", ("unix", "/run/clamav/clamd.ctl")),
    (" /run/clamav/clamd.ctl\n", ("unix", "/run/clamav/clamd.ctl")),
    ("tcp:127.0.0.1:3310", ("tcp", ("127.0.0.1", 3310))),
    ("127.0.0.1:3310", ("tcp", ("127.0.0.1", 3310))),
    ("tcp:clamav.internal:3310", ("tcp", ("clamav.internal", 3310))),
    ("clamav:3310", ("tcp", ("clamav", 3310))),
    ("tcp:[::1]:3310", ("tcp", ("::1", 3310))),
])
def test_parse_address_accepts(text, parsed):
    assert parse_address(text) == parsed


@pytest.mark.parametrize("text", [
    "", None, "clamd.ctl", "unix:clamd.ctl", "unix:", "tcp:", "tcp:host", "host", "host:",
    ":3310", "tcp::3310", "host:0", "host:65536", "host:port", "host:-1", "tcp:host:33 10",
])
def test_parse_address_refuses(text):
    with pytest.raises(ValueError, match="clamd address"):
        parse_address(text)


def test_scanner_refuses_a_bad_address():
    with pytest.raises(ValueError):
        Scanner("localhost")

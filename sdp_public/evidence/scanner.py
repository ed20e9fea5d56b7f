"""Malware scanning of evidence files by ClamAV's clamd, over its socket.

    unix:/run/clamav/clamd.ctl     a unix socket (a bare absolute path means the same)
    tcp:127.0.0.1:3310             TCP (`127.0.0.1:3310` and `tcp:[::1]:3310` too)

The background worker unseals a file chunk by chunk and hands the chunks to
Scanner.scan(), which streams them to clamd with INSTREAM and says clean, infected or
failed. Failed means "not scanned": clamd refused the stream (its StreamMaxLength), could
not be reached, timed out or answered something we do not understand. scan() returns that
as a result instead of raising, so the worker records it and retries later; a failed file
is never treated as clean. Only an exception from the chunks themselves (unsealing)
propagates.

Hand-written on purpose: the Python clients on PyPI (`clamd`, `pyclamd`) are years
without a release, and the protocol we need (PING and INSTREAM) is a few lines.
"""
import re
import socket
import struct
from dataclasses import dataclass

CLEAN = "clean"
INFECTED = "infected"
FAILED = "failed"

# clamd's INSTREAM takes chunks of any length up to its StreamMaxLength; smaller pieces keep
# the buffers small on both sides.
MAX_PIECE = 1024 * 1024
# A reply is one short line; anything longer is not clamd.
MAX_REPLY = 4096
_FOUND = re.compile(r"stream: ([!-~]{1,255}) FOUND")


@dataclass(frozen=True, slots=True)
class ScanResult:
    status: str
    signature: str | None = None
    # Why a scan failed, one of a few fixed phrases (never text from the socket, so it is
    # safe to log and to count).
    detail: str | None = None


def parse_address(text):
    """("unix", path) or ("tcp", (host, port)) for a clamd address; ValueError otherwise."""
    text = (text or "").strip()
    if text.startswith("unix:"):
        path = text[len("unix:"):]
        if not path.startswith("/"):
            raise ValueError(f"clamd address {text!r}: a unix socket needs an absolute path (unix:/run/clamav/clamd.ctl)")
        return "unix", path
    if text.startswith("/"):
        return "unix", text
    rest = text[len("tcp:"):] if text.startswith("tcp:") else text
    host, sep, port = rest.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(
            f"clamd address {text!r} is neither unix:/absolute/path.ctl, /absolute/path.ctl, "
            "tcp:host:port nor host:port"
        )
    return "tcp", (host, int(port))


class _Failed(Exception):
    def __init__(self, detail):
        super().__init__(detail)
        self.detail = detail


class Scanner:
    def __init__(self, address, timeout=60):
        self.address = address
        self.kind, self.target = parse_address(address)
        # Seconds for each connect, send and receive; clamd answers a large file only after
        # scanning it, so this bounds the scan of one file, not the whole upload.
        self.timeout = timeout

    def ping(self):
        try:
            with self._connect() as sock:
                sock.sendall(b"zPING\0")
                return self._reply(sock) == "PONG"
        except (OSError, _Failed):
            return False

    def scan(self, chunks):
        try:
            with self._connect() as sock:
                return self._instream(sock, chunks)
        except _Failed as failed:
            return ScanResult(FAILED, detail=failed.detail)
        except OSError as error:
            return ScanResult(FAILED, detail=_os_detail(error))

    def _connect(self):
        try:
            if self.kind == "unix":
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    sock.settimeout(self.timeout)
                    sock.connect(self.target)
                except BaseException:
                    sock.close()
                    raise
                return sock
            sock = socket.create_connection(self.target, timeout=self.timeout)
            sock.settimeout(self.timeout)
            return sock
        except OSError as error:
            raise _Failed("timed out" if isinstance(error, TimeoutError) else "clamd unreachable") from error

    def _instream(self, sock, chunks):
        try:
            sock.sendall(b"zINSTREAM\0")
            for chunk in chunks:
                view = memoryview(chunk).cast("B")
                # An empty piece would be the zero length that ends the stream: skip it.
                for start in range(0, len(view), MAX_PIECE):
                    piece = view[start:start + MAX_PIECE]
                    sock.sendall(struct.pack(">I", len(piece)))
                    sock.sendall(piece)
            sock.sendall(struct.pack(">I", 0))
        except OSError as error:
            # clamd closes the connection when the stream passes StreamMaxLength, after
            # saying so: read what it said. The stream was not sent whole, so whatever the
            # answer, this file was not scanned.
            return ScanResult(FAILED, detail=self._early_answer(sock) or _os_detail(error))
        return _result(self._reply(sock))

    def _early_answer(self, sock):
        try:
            sock.settimeout(min(self.timeout, 2))
            answer = self._reply(sock)
        except (OSError, _Failed):
            return None
        return _error_detail(answer) if answer.endswith(" ERROR") else None

    def _reply(self, sock):
        """The answer up to its NUL terminator, as text; _Failed if there is none."""
        data = b""
        while b"\0" not in data:
            try:
                got = sock.recv(MAX_REPLY)
            except OSError as error:
                raise _Failed(_os_detail(error)) from error
            if not got:
                raise _Failed("closed without an answer" if not data else "unparseable answer")
            data += got
            if len(data) > MAX_REPLY:
                raise _Failed("unparseable answer")
        return data.split(b"\0", 1)[0].decode("ascii", "replace").strip()


def _result(answer):
    if answer == "stream: OK":
        return ScanResult(CLEAN)
    found = _FOUND.fullmatch(answer)
    if found:
        return ScanResult(INFECTED, signature=found.group(1))
    if answer.endswith(" ERROR"):
        return ScanResult(FAILED, detail=_error_detail(answer))
    return ScanResult(FAILED, detail="unparseable answer")


def _error_detail(answer):
    return "size limit exceeded" if "size limit exceeded" in answer else "clamd error"


def _os_detail(error):
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, (ConnectionResetError, BrokenPipeError)):
        return "connection reset"
    if isinstance(error, (ConnectionRefusedError, FileNotFoundError)):
        return "clamd unreachable"
    return "socket error"

"""A real clamd for the tests: Debian's /usr/sbin/clamd in a temporary directory, with a
signature database made here that holds only the EICAR test file (freshclam cannot reach
its servers, and the official database takes many seconds to load; this one loads in
about a second).

    with Clamd() as clamd:
        Scanner(clamd.address).scan([EICAR])

The fixture that starts one lives in the test module for now (tests/test_scanner.py).
"""
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from sdp_public.evidence.scanner import Scanner

CLAMD = "/usr/sbin/clamd"
SIGTOOL = "/usr/bin/sigtool"
# The standard 68-byte EICAR anti-virus test file, in two pieces so this source file is not
# itself the test file for scanners on developers' machines.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
assert len(EICAR) == 68


class Clamd:
    """clamd on a unix socket of its own; `address` is what Scanner takes. Starts on
    construction, waits until it answers PING; stop() (or leaving the with block) ends it
    and removes its directory."""

    def __init__(self, stream_max_length="30M", start_timeout=60):
        for tool in (CLAMD, SIGTOOL):
            assert Path(tool).exists(), f"{tool} is missing: .ci/run installs Debian's clamav-daemon (and clamav)"
        # Unix socket paths are limited to about 107 bytes: keep the directory short.
        self.dir = Path(tempfile.mkdtemp(prefix="clamd-", dir="/tmp"))
        self.socket = self.dir / "clamd.ctl"
        self.address = f"unix:{self.socket}"
        self.log = self.dir / "clamd.log"
        self.process = None
        try:
            self._make_database()
            self.conf = self._write_conf(stream_max_length)
            self.process = subprocess.Popen(
                [CLAMD, "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            )
            self._wait(start_timeout)
        except BaseException:
            self.stop()
            raise

    def _make_database(self):
        db = self.dir / "db"
        db.mkdir()
        eicar = self.dir / "eicar.txt"
        eicar.write_bytes(EICAR)
        with open(db / "local.hdb", "wb") as out:
            subprocess.run([SIGTOOL, "--md5", str(eicar)], stdout=out, check=True, cwd=self.dir)

    def _write_conf(self, stream_max_length):
        conf = self.dir / "clamd.conf"
        # No TCPSocket and no User: a private unix socket, clamd running as the caller.
        conf.write_text("\n".join([
            "Foreground yes",
            f"LocalSocket {self.socket}",
            f"DatabaseDirectory {self.dir / 'db'}",
            f"PidFile {self.dir / 'clamd.pid'}",
            f"LogFile {self.log}",
            f"TemporaryDirectory {self.dir}",
            f"StreamMaxLength {stream_max_length}",
            "MaxFileSize 30M",
            "MaxScanSize 100M",
            "ConcurrentDatabaseReload no",
            # Never re-check the database while a test runs (it does not change).
            "SelfCheck 0",
            "MaxThreads 4",
            "",
        ]))
        return conf

    def _wait(self, start_timeout):
        scanner = Scanner(self.address, timeout=1)
        deadline = time.monotonic() + start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"clamd exited with {self.process.returncode}:\n{self._log_text()}")
            if self.socket.exists() and scanner.ping():
                return
            time.sleep(0.05)
        raise AssertionError(f"clamd did not answer PING within {start_timeout} s:\n{self._log_text()}")

    def _log_text(self):
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return "(no log)"

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

"""Backups a person can trust: make one, restore one, and prove one restores.

SQLite: the sqlite3 online backup API (a consistent copy while the site serves).
PostgreSQL: pg_dump's custom format and pg_restore, the standard tools; a managed
database's own snapshots are better still, and `verify` works on a dump from either.

`verify` restores the backup into a scratch database (a temporary file, or a temporary
PostgreSQL database dropped afterwards), counts what is there and opens every sealed
value of every report not purged with the current keys: a backup whose keys are lost is not a backup.
"""
import os
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from .models import OutboxMessage, Report


class BackupError(RuntimeError):
    pass


def _libpq(url):
    """A SQLAlchemy URL as the libpq URI pg_dump and pg_restore understand."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_path(url):
    return make_url(url).database


def _sqlite_copy(source, target):
    """SQLite's online backup API: a consistent copy even while the source is written to."""
    origin, copy = sqlite3.connect(source), sqlite3.connect(target)
    try:
        with copy:
            origin.backup(copy)
    finally:
        copy.close()
        origin.close()


def _run(args):
    if shutil.which(args[0]) is None:
        raise BackupError(f"{args[0]} is not installed (Debian: postgresql-client)")
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{args[0]} failed: {done.stderr.strip()[:500]}")


def _private_file(target):
    """Create (or truncate) the backup file readable by its owner only, before anything is
    written: a backup holds every report (sealed) and every route, audit entry and account."""
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    os.chmod(target, 0o600)


def create(database_url, target):
    target = Path(target)
    _private_file(target)
    if database_url.startswith("sqlite"):
        _sqlite_copy(_sqlite_path(database_url), target)
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target), _libpq(database_url)])
    return target


def restore(database_url, source):
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    if database_url.startswith("sqlite"):
        _sqlite_copy(source, _sqlite_path(database_url))
    else:
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              "--dbname", _libpq(database_url), str(source)])


def _summary(database_url, sealer):
    from .services import reports
    engine = create_engine(database_url)
    try:
        with Session(engine) as db:
            found = {"reports": db.scalar(select(func.count()).select_from(Report)),
                     "purged_reports": db.scalar(select(func.count()).select_from(Report)
                                                 .where(Report.purged_at.is_not(None))),
                     "outbox_messages": db.scalar(select(func.count()).select_from(OutboxMessage))}
            found.update(reports.verify_all(db, sealer))
        return found
    finally:
        engine.dispose()


def verify(database_url, source, sealer):
    """Restore `source` into a scratch database and check it; returns what it found."""
    if database_url.startswith("sqlite"):
        with tempfile.TemporaryDirectory() as scratch:
            scratch_url = f"sqlite:///{Path(scratch) / 'verify.db'}"  # created by the copy
            restore(scratch_url, source)
            return _summary(scratch_url, sealer)
    name = f"sdp_verify_{uuid.uuid4().hex[:12]}"
    admin = create_engine(make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        scratch_url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
        try:
            restore(scratch_url, source)
            return _summary(scratch_url, sealer)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()

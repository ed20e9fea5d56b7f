"""A backup is only a backup if it restores: make one, prove it, restore it elsewhere."""
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sdp_public.services.sealing import new_key_spec
from sdp_test_helpers import HATE_ANSWERS, send_report, walk_report

pytestmark = pytest.mark.db
ROOT = Path(__file__).resolve().parent.parent


def flask(env, *args):
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def empty_database(migrated_database, tmp_path):
    """A second, empty database of the same kind, to restore into."""
    if migrated_database.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"sdp_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(migrated_database).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(migrated_database).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_backup_verifies_and_restores_with_every_report_readable(app, client, tmp_path, empty_database):
    reference, _ = send_report(client, "en", walk_report(client, "en", HATE_ANSWERS)[0])
    env = {"SDP_DATABASE_URL": app.config["DATABASE_URL"], "SDP_SEALING_KEYS": app.config["SEALING_KEYS"],
           "SDP_INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    backup = tmp_path / "sdp.backup"
    made = flask(env, "db", "backup", str(backup))
    assert made.returncode == 0, made.stderr[-1000:]
    assert backup.stat().st_size > 0

    verified = flask(env, "db", "verify-backup", str(backup))
    assert verified.returncode == 0, verified.stdout + verified.stderr[-1000:]
    counts = dict(part.rsplit(" ", 1) for part in verified.stdout.strip().removeprefix("backup ok: ").split(", "))
    assert int(counts["reports"]) >= 1 and counts["reports_opened"] == counts["reports"]

    # with the wrong keys, the same backup is declared unusable
    wrong = flask({**env, "SDP_SEALING_KEYS": new_key_spec()}, "db", "verify-backup", str(backup))
    assert wrong.returncode == 1 and "BACKUP NOT USABLE" in wrong.stdout

    restored = flask({**env, "SDP_DATABASE_URL": empty_database}, "db", "restore", "--yes", str(backup))
    assert restored.returncode == 0, restored.stderr[-1000:]
    engine = create_engine(empty_database)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM report WHERE reference = :r"), {"r": reference}).scalar() == 1
    engine.dispose()

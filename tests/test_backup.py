"""A backup is only a backup if it restores: make one, prove it, restore it elsewhere."""
import uuid

import pytest
from sqlalchemy import create_engine, text

from sdp_public.services.sealing import new_key_spec
from sdp_test_helpers import ENGINE, HATE_ANSWERS, POSTGRES_ADMIN_URL, send_report, walk_report

pytestmark = pytest.mark.db


@pytest.fixture
def empty_database(request, tmp_path):
    """A second, empty database of the same kind (not even migrated), to restore into."""
    if ENGINE == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    admin = request.getfixturevalue("postgres_admin")
    name = f"sdp_restore_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def count_reports(url):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(text("SELECT reference, form FROM report")).all())
    finally:
        engine.dispose()


def test_a_backup_verifies_and_restores_with_every_report_readable(fresh_app, make_app, tmp_path, empty_database):
    # Two reports on a database of their own: the backup must hold exactly these.
    client = fresh_app.test_client()
    references = {send_report(client, "en", walk_report(client, "en", HATE_ANSWERS)[0])[0] for _ in range(2)}
    backup = tmp_path / "sdp.backup"
    made = fresh_app.test_cli_runner().invoke(args=["db", "backup", str(backup)])
    assert made.exit_code == 0, made.output
    assert backup.stat().st_size > 0

    verified = fresh_app.test_cli_runner().invoke(args=["db", "verify-backup", str(backup)])
    assert verified.exit_code == 0, verified.output
    counts = dict(part.rsplit(" ", 1) for part in verified.output.strip().removeprefix("backup ok: ").split(", "))
    assert counts["reports"] == counts["reports_opened"] == "2", counts

    # with the wrong keys, the same backup is declared unusable
    wrong_keys = make_app(DATABASE_URL=fresh_app.config["DATABASE_URL"], SEALING_KEYS=new_key_spec())
    wrong = wrong_keys.test_cli_runner().invoke(args=["db", "verify-backup", str(backup)])
    assert wrong.exit_code == 1 and "BACKUP NOT USABLE" in wrong.output, wrong.output

    elsewhere = make_app(DATABASE_URL=empty_database, SEALING_KEYS=fresh_app.config["SEALING_KEYS"])
    restored = elsewhere.test_cli_runner().invoke(args=["db", "restore", "--yes", str(backup)])
    assert restored.exit_code == 0, restored.output
    assert count_reports(empty_database) == {reference: "hate-incident" for reference in references}

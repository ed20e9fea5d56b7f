"""The models and the Alembic migrations agree, on SQLite and on PostgreSQL."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from sdp_public.cli import alembic_config, upgrade
from sdp_public.db import Base

pytestmark = pytest.mark.db


def test_migrations_produce_exactly_the_models(migrated_database):
    engine = create_engine(migrated_database)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_migrations_go_down_and_up_again(database_url):
    from alembic import command
    cfg = alembic_config(database_url)
    command.downgrade(cfg, "base")
    engine = create_engine(database_url)
    assert "draft" not in inspect(engine).get_table_names()
    upgrade(database_url)
    assert "draft" in inspect(engine).get_table_names()
    engine.dispose()


def test_the_sqlite_database_runs_in_wal_mode(app):
    engine = app.extensions["sdp_engine"]
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_migration_0010_fills_the_interpreter_request_of_stored_reports(fresh_database, make_app):
    """Reports stored before 0010 get their interpreter request from their sealed contact
    details, opened with the app's keys under `flask db upgrade`."""
    from datetime import datetime, timezone

    import sqlalchemy as sa
    from alembic import command

    from sdp_public.services.sealing import Sealer, new_key_spec, parse_keys
    command.downgrade(alembic_config(fresh_database), "0009")
    keys = new_key_spec()
    sealer = Sealer(parse_keys(keys))
    report = sa.table("report", *(sa.column(name) for name in (
        "reference", "form", "lang", "status", "anonymous", "sealed_answers", "sealed_contact", "urgent",
        "receipt_hash", "created_at", "updated_at")))
    now = datetime.now(timezone.utc)
    contacts = {"HC-AAAA-2222": {"name": "A", "interpreter": "yes", "interpreter_language": "pl"},
                "HC-AAAA-3333": {"name": "B", "interpreter": "yes"},
                "HC-AAAA-4444": {"name": "C", "interpreter": "no"},
                "HC-AAAA-5555": None}  # anonymous
    engine = create_engine(fresh_database)
    with engine.begin() as conn:
        for reference, contact in contacts.items():
            context = f"hate-incident:{reference}:"
            conn.execute(report.insert().values(
                reference=reference, form="hate-incident", lang="ur", status="new", anonymous=contact is None,
                sealed_answers=sealer.seal({"area": "durham"}, context + "answers"),
                sealed_contact=sealer.seal(contact, context + "contact") if contact else None, urgent=False,
                receipt_hash="sha256$00$00", created_at=now, updated_at=now))
    app = make_app(DATABASE_URL=fresh_database, SEALING_KEYS=keys)
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        filled = {reference: (bool(wanted), language) for reference, wanted, language in conn.execute(
            sa.text("SELECT reference, interpreter, interpreter_language FROM report"))}
    engine.dispose()
    assert filled == {"HC-AAAA-2222": (True, "pl"), "HC-AAAA-3333": (True, None), "HC-AAAA-4444": (False, None),
                      "HC-AAAA-5555": (False, None)}


def test_migration_0010_changes_nothing_when_a_contact_will_not_open(fresh_database, make_app):
    """With the wrong keys the upgrade stops before the table changes, so it can be run
    again with the right ones."""
    from datetime import datetime, timezone

    import sqlalchemy as sa
    from alembic import command

    from sdp_public.services.sealing import Sealer, SealingError, new_key_spec, parse_keys
    command.downgrade(alembic_config(fresh_database), "0009")
    keys = new_key_spec()
    context = "hate-incident:HC-AAAA-2222:"
    now = datetime.now(timezone.utc)
    engine = create_engine(fresh_database)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO report (reference, form, lang, status, anonymous, sealed_answers, sealed_contact, urgent, "
            "receipt_hash, created_at, updated_at) VALUES ('HC-AAAA-2222', 'hate-incident', 'en', 'new', :no, :answers, "
            ":contact, :no, 'sha256$00$00', :now, :now)"),
            {"no": False, "now": now, "answers": Sealer(parse_keys(keys)).seal({}, context + "answers"),
             "contact": Sealer(parse_keys(keys)).seal({"interpreter": "yes"}, context + "contact")})
    wrong = make_app(DATABASE_URL=fresh_database, SEALING_KEYS=new_key_spec())
    result = wrong.test_cli_runner().invoke(args=["db", "upgrade"])
    assert isinstance(result.exception, SealingError)
    assert "interpreter" not in {c["name"] for c in inspect(engine).get_columns("report")}
    right = make_app(DATABASE_URL=fresh_database, SEALING_KEYS=keys)
    assert right.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT interpreter FROM report")).scalar() in (True, 1)
    engine.dispose()

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

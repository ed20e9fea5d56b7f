"""Alembic environment: the URL comes from the caller (sdp_public.cli) or SDP_DATABASE_URL."""
from alembic import context
from sqlalchemy import engine_from_config, pool

from sdp_public import models  # noqa: F401  (registers the tables on Base.metadata)
from sdp_public.config import load_config
from sdp_public.db import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or load_config()["DATABASE_URL"]
target_metadata = Base.metadata


def run_migrations_offline():
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    connectable = engine_from_config({"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

"""The database: one SQLAlchemy 2.x engine per app, one session per request.

SQLite (WAL, foreign keys on, a busy timeout) is the embedded default; PostgreSQL is
production. Services take a Session as an argument and never reach for Flask's globals.
"""
import contextlib
import os

from flask import current_app, g, request
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, sessionmaker


class Base(DeclarativeBase):
    pass


def private_sqlite_file(url):
    """Make the SQLite file (if it is a file) readable by its owner only, before SQLite
    opens it: SQLite gives its -wal and -shm files the database file's mode."""
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    if not os.path.exists(path):
        # Never open (and close) an existing database file here: closing any descriptor of
        # it drops every POSIX lock this process's SQLite connections hold on it.
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    for name in (path, path + "-wal", path + "-shm"):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            os.chmod(name, 0o600)  # an existing deployment's 0644 files too


def scrub(connection):
    """After deleting or re-sealing data: on SQLite, copy the WAL into the database and
    truncate it, so no old page image (a deleted draft, an answer sealed with a retired key)
    stays in it; secure_delete has already zeroed the freed space in the pages themselves.
    On PostgreSQL nothing: what the app deletes there is sealed, dead tuples included."""
    if connection.dialect.name == "sqlite":
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def make_engine(url, pool_size=5, max_overflow=5, pool_timeout=10):
    if url.startswith("sqlite"):
        private_sqlite_file(url)
        engine = create_engine(url, connect_args={"timeout": 15})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # WAL lets readers carry on while a report is written; NORMAL sync is
            # durable across application crashes, which is what WAL is for.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # Deleted rows and the free space of rewritten ones are overwritten with
            # zeros, not left for anyone with the file to read back.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        return engine
    # pool_pre_ping: a PostgreSQL restart costs one reconnect, not a 500.
    # pool_timeout: a request waits at most this long for a connection, then gets our 503
    # page rather than hanging while the load balancer's own timeout runs out.
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow,
                         pool_timeout=pool_timeout, pool_recycle=1800)


def init_app(app):
    engine = make_engine(app.config["DATABASE_URL"], app.config.get("DB_POOL_SIZE", 5),
                         app.config.get("DB_MAX_OVERFLOW", 5), app.config.get("DB_POOL_TIMEOUT", 10))
    app.extensions["sdp_engine"] = engine
    # For a request's lone reads (a question page's draft): on PostgreSQL no transaction
    # around them (it would add a BEGIN and a ROLLBACK round trip); SQLite has no round
    # trips to save, and switching its isolation level would only cost more.
    app.extensions["sdp_lone_read_engine"] = (engine.execution_options(isolation_level="AUTOCOMMIT")
                                              if engine.dialect.name == "postgresql" else engine)
    app.extensions["sdp_sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def read_one(statement, parameters):
    """The first row of one read, for a value whose writers compare it again (drafts.Claim)
    or that only this browser writes. A GET (which writes nothing after it) reads outside
    the request's Session: on PostgreSQL outside any transaction too (one round trip, not
    BEGIN, SELECT and ROLLBACK); on SQLite over a plain connection (no Session to open and
    close: a twentieth of a question page). Anywhere else in the request's Session, whose
    transaction the write that follows belongs to."""
    if request.method in ("GET", "HEAD") and "db_session" not in g:
        with current_app.extensions["sdp_lone_read_engine"].connect() as connection:
            return connection.execute(statement, parameters).first()
    return get_session().connection().execute(statement, parameters).first()


def get_session():
    """The request's Session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["sdp_sessionmaker"]()
    return g.db_session


def _close_session(_exc):
    session = g.pop("db_session", None)
    if session is not None:
        session.close()

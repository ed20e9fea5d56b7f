"""The database: one SQLAlchemy 2.x engine per app, one session per request.

SQLite (WAL, foreign keys on, a busy timeout) is the embedded default; PostgreSQL is
production. Services take a Session as an argument and never reach for Flask's globals.
"""
import contextlib
import os
import select

from flask import current_app, g
from sqlalchemy import create_engine, event, exc, text
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
    # pool_timeout: a request waits at most this long for a connection, then gets our 503
    # page rather than hanging while the load balancer's own timeout runs out.
    engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=pool_timeout,
                           pool_recycle=1800)
    event.listen(engine, "checkout", _ping_if_the_server_spoke(engine.dialect))
    return engine


def _ping_if_the_server_spoke(dialect):
    """A PostgreSQL restart costs one reconnect, not a 500: what pool_pre_ping does, but
    without its round trip on every request. A pooled connection is idle, so the server has
    nothing to say on it unless it is going away: when PostgreSQL stops or ends a backend it
    sends the error and closes the socket, which then reads as ready. Only then is the
    connection pinged (anything else the server may have sent is read by the ping, and the
    connection kept); if the ping fails, every pooled connection is replaced, as pre-ping
    does (a restart ends them all). A link cut without a word from the server (a network
    partition) is not seen here: pre-ping would only have waited out TCP's timeout on it."""
    def on_checkout(dbapi_connection, _record, _proxy):
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLPRI)
        if not poller.poll(0):
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.InvalidatePoolError("the database server closed this connection") from error
            raise exc.DisconnectionError("this connection failed its ping") from error
    return on_checkout


def init_app(app):
    engine = make_engine(app.config["DATABASE_URL"], app.config.get("DB_POOL_SIZE", 5),
                         app.config.get("DB_MAX_OVERFLOW", 5), app.config.get("DB_POOL_TIMEOUT", 10))
    app.extensions["sdp_engine"] = engine
    app.extensions["sdp_sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


class Lean:
    """A statement a question page runs on every request (a draft's read, an answer's
    save), run on the DB-API cursor itself when it is the request's only work with the
    database. SQLAlchemy's execute (the compiled-cache key, the execution context, the
    result's wrapping, the events) cost more than SQLite takes to run the statement, and
    on PostgreSQL as much again as psycopg's own exchange with the server (310 of a
    question page's 1,400 Python calls there). What it does not skip: the SQL and the type handling are
    SQLAlchemy's (compiled once per dialect with the column types' own bind and result
    processors: SQLite's datetimes as text), the connection comes from the engine's pool
    (its checkout listener still pings a connection the server has spoken on), and a
    failure is raised as SQLAlchemy's own error (a lost connection invalidated, the 503
    page), with the parameters hidden: a draft's id is a bearer secret."""

    def __init__(self, statement):
        self.statement = statement
        self._compiled = {}  # dialect name -> _Compiled

    def compiled(self, dialect):
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = _Compiled(self.statement, dialect)
        return found


class _Compiled:
    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        # (rendered name, the caller's key, bind processor) in the order the SQL takes them
        names = compiled.positiontup if compiled.positional else list(compiled.binds)
        binds = [compiled.binds[name] for name in names]
        self.binds = [(name, bind.key, bind.type.dialect_impl(dialect).bind_processor(dialect))
                      for name, bind in zip(names, binds)]
        self.positional = compiled.positional
        self.results = ([column.type.dialect_impl(dialect).result_processor(dialect, None)
                         for column in statement.selected_columns] if statement.is_select else None)

    def arguments(self, parameters):
        values = [(name, process(parameters[key]) if process else parameters[key]) for name, key, process in self.binds]
        return tuple(value for _name, value in values) if self.positional else dict(values)

    def row(self, found):
        if found is None:
            return None
        return tuple(process(value) if process else value for process, value in zip(self.results, found))


def read_one(lean, parameters):
    """The first row of one read, for a value whose every writer either compares it again
    (drafts.Claim: a compare-and-set) or is the last word by design (a browser's own draft
    answers). Before the request has opened its Session the read runs outside it, on the
    request's lone connection and outside any transaction (SQLite begins none for a read;
    PostgreSQL in autocommit: one round trip, not BEGIN, SELECT and ROLLBACK). Once the
    Session is open, inside it, so the read sees its writes."""
    if "db_session" not in g:
        return _lone(lean, parameters, commit=False)
    return get_session().connection().execute(lean.statement, parameters).first()


def write_one(lean, parameters):
    """Run one write that is a whole transaction by itself (a draft's answers saved, a
    compare-and-set), commit it, and give the number of rows it changed. Before the request
    has opened its Session it needs none: on PostgreSQL the statement runs in autocommit,
    one round trip where BEGIN, the statement and COMMIT were three (the server still makes
    it durable before answering); on SQLite on the request's lone connection (sqlite3
    begins before the write; committed at once). Once the Session is open, in its
    transaction, committed with it now."""
    if "db_session" not in g:
        return _lone(lean, parameters, commit=True)
    db = get_session()
    changed = db.connection().execute(lean.statement, parameters).rowcount
    db.commit()
    return changed


def _lone(lean, parameters, commit):
    """Run one statement on the request's lone connection (checked out of the pool once per
    request, returned at teardown) and end its transaction at once: nothing is held between
    statements (a SQLite write lock, a snapshot); on PostgreSQL, in autocommit, ending it
    sends nothing. A read gives its first row, a write the number of rows it changed."""
    engine = current_app.extensions["sdp_engine"]
    dialect = engine.dialect
    pooled = g.get("db_lone")
    compiled = lean.compiled(dialect)
    arguments = compiled.arguments(parameters)
    cursor = None
    try:
        if pooled is None:
            pooled = g.db_lone = engine.raw_connection()  # kept first: teardown returns it, whatever follows
            if dialect.name == "postgresql":
                pooled.dbapi_connection.autocommit = True  # set back before it returns to the pool
        connection = pooled.dbapi_connection
        cursor = connection.cursor()
        cursor.execute(compiled.sql, arguments)
        done = compiled.row(cursor.fetchone()) if compiled.results is not None else cursor.rowcount
        if commit:
            connection.commit()
        return done
    except dialect.loaded_dbapi.Error as error:
        lost = dialect.is_disconnect(error, pooled.dbapi_connection if pooled else None, cursor)
        if pooled is not None and lost:
            g.pop("db_lone", None)
            pooled.invalidate(error)
        elif pooled is not None:
            with contextlib.suppress(dialect.loaded_dbapi.Error):
                pooled.dbapi_connection.rollback()
        raise _translated(dialect, compiled.sql, arguments, error, lost) from error
    finally:
        if cursor is not None:
            with contextlib.suppress(dialect.loaded_dbapi.Error):
                cursor.close()


def _translated(dialect, sql, arguments, error, lost):
    return exc.DBAPIError.instance(sql, arguments, error, dialect.loaded_dbapi.Error, hide_parameters=True,
                                   connection_invalidated=lost, dialect=dialect)


def get_session():
    """The request's Session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["sdp_sessionmaker"]()
    return g.db_session


def _close_session(_exc):
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
    lone = g.pop("db_lone", None)
    if lone is not None:
        try:
            if getattr(lone.dbapi_connection, "autocommit", None) is True:
                lone.dbapi_connection.autocommit = False  # psycopg: as the pool lent it (sqlite3 has no such flag)
        except Exception as error:  # noqa: BLE001 - a connection that broke unseen: never back into the pool
            lone.invalidate(error)
        lone.close()

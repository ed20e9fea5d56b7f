"""What the database itself was sent while a block runs, read off the driver's own trace,
not SQLAlchemy's events (db.Lean runs a question page's statements on the DB-API cursor,
where no engine event fires): SQLite's trace callback sees every statement SQLite runs,
the BEGIN and COMMIT sqlite3 issues on its own included; on PostgreSQL libpq's protocol
trace sees every message, so a round trip is counted where it is one: each time the
client waits for the server's ReadyForQuery.

    with database_trace(engine) as trace:
        ...
    trace.statements   # ["SELECT ... FROM draft ...", "BEGIN", "UPDATE ...", "COMMIT", ...]
    trace.exchanges    # PostgreSQL: the statements sent in each round trip (a pipeline's together)
    trace.round_trips  # PostgreSQL: len(exchanges); 0 on SQLite (no network)

Used by the request-cost tests and by bench/run.py (the round trips of one Send).
"""
import contextlib
import os
import re
import tempfile

from sqlalchemy import event

_SENT = re.compile(r'^F\t\d+\t(?:Query|Parse)\t (?:"[^"]*" )?"(.*)"', re.S)  # Parse's first field: the statement name


class Trace:
    def __init__(self):
        self.statements, self.exchanges = [], []

    @property
    def round_trips(self):
        return len(self.exchanges)

    def _read_postgresql(self, text):
        sent = []
        for line in _messages(text):
            if line.startswith("B\t") and "\tReadyForQuery\t" in line:
                self.exchanges.append(sent)
                sent = []
                continue
            found = _SENT.match(line)
            if found:
                sent.append(" ".join(found.group(1).split()))
                self.statements.append(sent[-1])


def _messages(text):
    """The trace's messages, one each (a statement's text may span lines)."""
    messages = []
    for line in text.splitlines():
        if line[:2] in ("F\t", "B\t") or not messages:
            messages.append(line)
        else:
            messages[-1] += "\n" + line
    return messages


@contextlib.contextmanager
def database_trace(engine):
    trace = Trace()
    traced = {}  # id(DB-API connection) -> (connection, its prepare threshold): untraced at the end
    postgresql = engine.dialect.name == "postgresql"
    if postgresql:
        import psycopg
        log = tempfile.TemporaryFile()
        # one file for every connection, appended to message by message: the order kept
        shared = os.open(f"/proc/self/fd/{log.fileno()}", os.O_WRONLY | os.O_APPEND)

    def on_checkout(dbapi_connection, _record, _proxy):
        if id(dbapi_connection) in traced:
            return
        traced[id(dbapi_connection)] = (dbapi_connection, getattr(dbapi_connection, "prepare_threshold", None))
        if postgresql:
            # psycopg prepares a statement run often and then sends only its name: while
            # traced, each statement's text is sent (the round trips are the same either way)
            dbapi_connection.prepare_threshold = None
            dbapi_connection.pgconn.trace(os.dup(shared))  # libpq closes its copy at untrace
            dbapi_connection.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS | psycopg.pq.Trace.REGRESS_MODE)
        else:
            dbapi_connection.set_trace_callback(lambda sql: trace.statements.append(" ".join(sql.split())))

    event.listen(engine, "checkout", on_checkout)
    try:
        yield trace
    finally:
        event.remove(engine, "checkout", on_checkout)
        for dbapi_connection, threshold in traced.values():
            with contextlib.suppress(Exception):  # a connection the block saw invalidated
                if postgresql:
                    dbapi_connection.pgconn.untrace()
                    dbapi_connection.prepare_threshold = threshold
                else:
                    dbapi_connection.set_trace_callback(None)
        if postgresql:
            os.close(shared)
            log.seek(0)
            trace._read_postgresql(log.read().decode("utf-8", "replace"))
            log.close()

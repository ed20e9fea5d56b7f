"""A question page's statements run on the DB-API cursor (db.Lean): the same SQL and types
as SQLAlchemy's, and when they fail, SQLAlchemy's own errors (so the error pages are the
same), with the draft's id and answers kept out of the message, and the connection either
ready for the next statement or, if the server has gone, replaced."""
import time
from datetime import datetime, timedelta, timezone

import pytest
from flask import g
from sqlalchemy import bindparam, column, exc, select, table, text

from sdp_public import db, drafts
from sdp_test_helpers import ENGINE, HATE_ANSWERS, csrf

pytestmark = pytest.mark.db

SECRET = "a-draft-id-no-log-may-hold"


def test_a_lone_read_gives_the_columns_as_their_types_and_none_when_nothing_is_found(fresh_app):
    expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=2)
    with fresh_app.app_context():
        with fresh_app.extensions["sdp_engine"].begin() as conn:
            conn.execute(drafts.Draft.__table__.insert(), {"id": "d1", "form": "hate-incident", "sealed": "x",
                                                           "created_at": expires, "updated_at": expires,
                                                           "expires_at": expires})
    with fresh_app.test_request_context():
        found = db.read_one(drafts._READ, {"id": "d1"})
        assert "db_session" not in g and g.db_lone is not None  # on the lone connection, no Session opened
        assert found[:3] == ("d1", "hate-incident", "x")
        assert drafts._aware(found[3]) == expires  # a datetime, as SQLAlchemy gives it (SQLite stores text)
        assert db.read_one(drafts._READ, {"id": "nobody"}) is None


def test_a_failed_lone_statement_is_sqlalchemys_error_without_its_parameters_and_the_next_one_runs(app):
    broken = db.Lean(select(column("x")).select_from(table("no_such_table")).where(column("x") == bindparam("id")))
    with app.test_request_context():
        with pytest.raises(exc.DBAPIError) as failed:
            db.read_one(broken, {"id": SECRET})
        assert SECRET not in str(failed.value)
        assert not failed.value.connection_invalidated
        assert db.read_one(drafts._READ, {"id": "nobody"}) is None  # the same connection, rolled back, still good


@pytest.mark.skipif(ENGINE != "postgresql", reason="SQLite has no server to go away")
def test_when_the_server_ends_the_lone_connection_the_page_is_a_503_and_the_next_one_is_served(fresh_app, request):
    admin = request.getfixturevalue("postgres_admin")
    client = fresh_app.test_client()
    page = client.get("/en/report/hate-incident/who")
    client.post("/en/report/hate-incident/who", data={"csrf_token": csrf(page.data), **HATE_ANSWERS["who"]})
    with fresh_app.test_request_context():
        db.read_one(drafts._READ, {"id": "nobody"})
        backend = g.db_lone.dbapi_connection.info.backend_pid
        with admin.connect() as conn:  # ended while the request holds it: no checkout ping can see it
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        for _ in range(100):
            with admin.connect() as conn:
                if not conn.execute(text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"), {"pid": backend}).first():
                    break
            time.sleep(0.05)
        with pytest.raises(exc.OperationalError) as failed:  # errors.py answers it with the 503 page
            db.read_one(drafts._READ, {"id": SECRET})
        assert failed.value.connection_invalidated and "db_lone" not in g
        assert SECRET not in str(failed.value)
    page = client.get("/en/report/hate-incident/what")  # a new connection: the draft is still there
    assert page.status_code == 200 and b'name="what"' in page.data


def test_the_lone_connection_goes_back_to_the_pool_as_it_came(app):
    with app.test_request_context():
        db.read_one(drafts._READ, {"id": "nobody"})
        connection = g.db_lone.dbapi_connection
        if ENGINE == "postgresql":
            assert connection.autocommit is True
    assert getattr(connection, "autocommit", None) in (False, None)  # psycopg: as the pool lent it
    if ENGINE == "postgresql":
        assert connection.info.transaction_status == 0  # idle: nothing left open
    else:
        assert not connection.in_transaction

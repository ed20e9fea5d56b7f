"""Fixtures: apps on a real database (SQLite file, or throwaway PostgreSQL databases when
SDP_TEST_DATABASE=postgresql), clients, and a helper that parses pages.

Two kinds of app:
- `app`: one per session on one shared database, for the many HTTP-level tests that look
  only at what they themselves made (a reference, a page). Never count rows through it.
- `fresh_app` / `fresh_db`: a new app on a new migrated database per test, for every test
  that counts rows, rotates keys, purges, or relies on what is (not) in the database.
  SQLite copies one migrated template file; PostgreSQL creates the database from a
  migrated template database (CREATE DATABASE ... TEMPLATE) and drops it afterwards.

Tests that touch the database are marked `db`; `make test` runs them on both engines.
Settings a test needs changed go through monkeypatch (undone after it) or `make_app`.
"""
import os
import sqlite3
import uuid

import pytest
from bs4 import BeautifulSoup

from sdp_public import create_app
from sdp_public.cli import upgrade
from sdp_test_helpers import ENGINE, POSTGRES_ADMIN_URL, Inbox, free_port

# What every test app runs with: limits no test run reaches, no minimum time to answer.
TEST_SETTINGS = {"TESTING": True, "SUBMIT_RATE_LIMIT": "1000 per minute", "TRACK_RATE_LIMIT": "1000 per minute",
                 "REPORT_MINIMUM_SECONDS": 0, "PARTNER_SIGN_IN_LIMIT": "1000 per minute",
                 "STEP_RATE_LIMIT": "100000 per minute", "DRAFT_START_LIMIT": "10000 per minute",
                 "RESUME_EMAIL_LIMIT": "1000 per minute"}


@pytest.fixture(scope="session")
def postgres_admin():
    """An engine on the server's `postgres` database, to create and drop test databases."""
    from sqlalchemy import create_engine
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)  # survives the restart test
    yield admin
    admin.dispose()


def _create_postgres_database(admin, prefix, template=None):
    from sqlalchemy import text
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    return name, f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def _drop_postgres_database(admin, name):
    from sqlalchemy import text
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory):
    if ENGINE == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    admin = request.getfixturevalue("postgres_admin")
    name, url = _create_postgres_database(admin, "sdp_test")
    yield url
    _drop_postgres_database(admin, name)


@pytest.fixture(scope="session")
def migrated_database(database_url):
    upgrade(database_url)
    return database_url


@pytest.fixture(scope="session")
def app(migrated_database, tmp_path_factory):
    """The session's shared app. Its instance folder is also SDP_INSTANCE_PATH for the
    session (create_app makes its keys there), put back when the session ends."""
    instance = tmp_path_factory.mktemp("instance")
    with pytest.MonkeyPatch.context() as session_patch:
        session_patch.setenv("SDP_INSTANCE_PATH", str(instance))
        application = create_app({**TEST_SETTINGS, "DATABASE_URL": migrated_database, "INSTANCE_PATH": str(instance)})
        yield application
        application.extensions["sdp_engine"].dispose()


@pytest.fixture(scope="session")
def template_database(request, tmp_path_factory):
    """A database migrated once per session, that each fresh database is copied from:
    a SQLite file, or the name of a PostgreSQL database nobody connects to."""
    if ENGINE == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.db"
        upgrade(f"sqlite:///{path}")
        with sqlite3.connect(path) as conn:  # everything in the main file, nothing left in a WAL
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        yield path
        return
    admin = request.getfixturevalue("postgres_admin")
    name, url = _create_postgres_database(admin, "sdp_template")
    upgrade(url)  # alembic's engine uses no pool: no connection stays open on the template
    yield name
    _drop_postgres_database(admin, name)


@pytest.fixture
def fresh_database(request, template_database, tmp_path):
    """A new migrated database of the configured engine, for this test only."""
    if ENGINE == "sqlite":
        from sdp_public.backup import _sqlite_copy  # the online backup API, as `db backup` uses it
        target = tmp_path / "fresh.db"
        _sqlite_copy(template_database, target)
        os.chmod(target, 0o600)
        yield f"sqlite:///{target}"
        return
    admin = request.getfixturevalue("postgres_admin")
    name, url = _create_postgres_database(admin, "sdp_fresh", template=template_database)
    yield url
    _drop_postgres_database(admin, name)


@pytest.fixture
def make_app(tmp_path_factory, monkeypatch):
    """Build an app with the test settings and `changes`, in an instance folder of its own
    (its own keys unless given); every app made is disposed of after the test. The rate
    limiter is one object shared by every app: it is handed back to the session's after."""
    from sdp_public.extensions import limiter
    monkeypatch.setattr(limiter, "_storage", getattr(limiter, "_storage", None))
    monkeypatch.setattr(limiter, "_limiter", getattr(limiter, "_limiter", None))
    made = []

    def build(**changes):
        instance = changes.pop("INSTANCE_PATH", None) or str(tmp_path_factory.mktemp("instance"))
        with monkeypatch.context() as patch:  # create_app makes the embedded keys in SDP_INSTANCE_PATH
            patch.setenv("SDP_INSTANCE_PATH", instance)
            application = create_app({**TEST_SETTINGS, "INSTANCE_PATH": instance, **changes})
        made.append(application)
        return application
    yield build
    for application in made:
        application.extensions["sdp_engine"].dispose()


@pytest.fixture
def fresh_app(fresh_database, make_app):
    """An app of its own on a database of its own: what a test counts there, it made."""
    return make_app(DATABASE_URL=fresh_database)


@pytest.fixture
def fresh_db(fresh_app):
    """A SQLAlchemy session on the fresh database."""
    with fresh_app.extensions["sdp_sessionmaker"]() as session:
        yield session


@pytest.fixture
def client(app):
    return app.test_client()


class Page:
    """A fetched page: status, headers and parsed HTML, with the assertions tests need."""

    def __init__(self, response):
        self.response = response
        self.status = response.status_code
        self.html = response.get_data(as_text=True)
        self.soup = BeautifulSoup(self.html, "html.parser")

    @property
    def h1(self):
        h1 = self.soup.find("h1")
        return h1.get_text(" ", strip=True) if h1 else None

    @property
    def text(self):
        return self.soup.get_text(" ", strip=True)

    def html_attr(self, name):
        return self.soup.find("html").get(name)

    def links(self):
        return [a.get("href") for a in self.soup.find_all("a")]


@pytest.fixture
def get(client):
    def fetch(url, status=200, **kwargs):
        response = client.get(url, **kwargs)
        assert response.status_code == status, f"{url}: {response.status_code}"
        return Page(response)
    return fetch


@pytest.fixture
def mailbox():
    """A real SMTP server on loopback (aiosmtpd) for this test; `url` is its SMTP_URL."""
    from aiosmtpd.controller import Controller
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    inbox.url = f"smtp://127.0.0.1:{controller.port}"
    yield inbox
    controller.stop()


@pytest.fixture
def smtp(app, mailbox, monkeypatch):
    """The session app's mail goes to a real SMTP server for this test."""
    monkeypatch.setitem(app.config, "SMTP_URL", mailbox.url)
    return mailbox

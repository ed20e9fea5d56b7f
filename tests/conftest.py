"""Fixtures: an app on a real database (SQLite file, or a throwaway PostgreSQL database
when SDP_TEST_DATABASE=postgresql), a client, and a helper that parses pages.

Tests that touch the database are marked `db`; `make test` runs them on both engines.
"""
import os
import uuid

import pytest
from bs4 import BeautifulSoup

from sdp_public import create_app
from sdp_public.cli import upgrade
from sdp_test_helpers import Inbox, free_port

ENGINE = os.environ.get("SDP_TEST_DATABASE", "sqlite")
POSTGRES_ADMIN_URL = os.environ.get("SDP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if ENGINE == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    from sqlalchemy import create_engine, text
    name = f"sdp_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)  # survives the restart test
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def migrated_database(database_url):
    upgrade(database_url)
    return database_url


@pytest.fixture(scope="session")
def app(migrated_database, tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    os.environ["SDP_INSTANCE_PATH"] = str(instance)
    application = create_app({"DATABASE_URL": migrated_database, "INSTANCE_PATH": str(instance),
                              "TESTING": True, "SUBMIT_RATE_LIMIT": "1000 per minute",
                              "TRACK_RATE_LIMIT": "1000 per minute", "REPORT_MINIMUM_SECONDS": 0,
                              "PARTNER_SIGN_IN_LIMIT": "1000 per minute",
                              "STEP_RATE_LIMIT": "100000 per minute", "DRAFT_START_LIMIT": "10000 per minute"})
    yield application
    application.extensions["sdp_engine"].dispose()


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
def smtp(app):
    """A real SMTP server on loopback; the app's mail goes to it for this test."""
    from aiosmtpd.controller import Controller
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    previous = app.config["SMTP_URL"]
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{controller.port}"
    inbox.port = controller.port
    yield inbox
    app.config["SMTP_URL"] = previous
    controller.stop()

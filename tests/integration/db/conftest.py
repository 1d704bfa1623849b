"""Fixtures shared by the database-level tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from consult.mail.sink import EmlSink
from consult.settings import CONFIG_ENV, Settings, load_settings
from consult.wiring import App, open_app
from models.db import Database
from tests.conftest import write_config


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A Database on the migrated test schema (SQLite file or PostgreSQL schema)."""
    database = Database(database_url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def app(settings: Settings) -> Iterator[App]:
    """The wired application (database, templates, taxonomy) on the test database."""
    with open_app(settings) as wired:
        yield wired


@pytest.fixture
def mail_app(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[App, EmlSink]]:
    """The wired app on the test database, sending to a real SMTP server writing .eml files."""
    with EmlSink(tmp_path / "mail") as sink:
        config = write_config(tmp_path, database_url, smtp_port=sink.port)
        monkeypatch.setenv(CONFIG_ENV, str(config))
        with open_app(load_settings()) as app:
            yield app, sink

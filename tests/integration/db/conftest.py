"""Fixtures shared by the database-level tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from consult.settings import Settings
from consult.wiring import App, open_app
from models.db import Database


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

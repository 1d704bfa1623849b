"""Fixtures shared by the database-level tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from models.db import Database


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A Database on the migrated test schema (SQLite file or PostgreSQL schema)."""
    database = Database(database_url)
    try:
        yield database
    finally:
        database.dispose()

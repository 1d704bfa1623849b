"""Alembic environment: migrates the database named in the config's sqlalchemy.url."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection

import models
from models.db import make_engine

config = context.config
target_metadata = models.Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = make_engine(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode copies a table and drops the original; with foreign keys on, that drop
            # fails when rows refer to it (or cascades into them). The pragma only takes effect
            # outside a transaction, hence on the driver's connection before ours begins; the
            # references are checked once all migrations ran.
            _driver(connection).execute("PRAGMA foreign_keys=OFF")
        # Batch mode lets later ALTERs work on SQLite, which cannot alter columns in place.
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"the migration broke foreign keys: {broken[:10]}")
        if sqlite:
            _driver(connection).execute("PRAGMA foreign_keys=ON")
    engine.dispose()


def _driver(connection: Connection) -> Any:
    return connection.connection.dbapi_connection


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

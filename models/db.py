"""Engine, sessions and the unit of work. Built by the caller from settings; nothing at import."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT (a nested rollback could leave an
    # outbox row committed); let SQLAlchemy emit BEGIN itself instead, as its docs recommend.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the web app read while a flow writes; busy_timeout waits instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


# Execution option of Database.read_engine's connections: transactions that never write.
READ_ONLY = "consult_read_only"


def _sqlite_begin(connection: Connection) -> None:
    if connection.get_execution_options().get(READ_ONLY):
        # A reader needs no write lock: in WAL mode it reads its snapshot while a writer works.
        # With IMMEDIATE every page view would queue behind every answer being saved.
        connection.exec_driver_sql("BEGIN")
        return
    # IMMEDIATE takes the write lock up front: a deferred transaction that reads and then
    # writes fails at once with "database is locked" when another writer got in between,
    # whereas IMMEDIATE waits for busy_timeout. Readers are not blocked in WAL mode.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True)


class _WriterQueue:
    """The threads of one process queue for SQLite's single write lock on a Python lock, which
    is handed over the moment it is free. SQLite's own busy handler polls for it instead,
    sleeping up to 100 ms between tries, so under load a waiting writer mostly sleeps while
    the lock is free. Other processes still meet busy_timeout; a thread that waits longer than
    that goes ahead anyway (and then meets it too), so a thread that needs a second writer
    while it holds one fails as it always did."""

    def __init__(self) -> None:
        # Reentrant: a unit of work inside another on the same thread behaves as without it.
        self._lock = threading.RLock()

    @contextmanager
    def turn(self) -> Iterator[None]:
        got = self._lock.acquire(timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            yield
        finally:
            if got:
                self._lock.release()


class Database:
    """One engine and its session factory; a unit of work commits on success, else rolls back."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._writers = _WriterQueue() if self.engine.dialect.name == "sqlite" else None
        # The same pool; for sessions that only read (see READ_ONLY).
        self.read_engine = self.engine.execution_options(**{READ_ONLY: True})
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        if self._writers is None:
            with self._unit_of_work() as session:
                yield session
            return
        with self._writers.turn(), self._unit_of_work() as session:
            yield session

    @contextmanager
    def _unit_of_work(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()

"""Engine, sessions and the unit of work. Built by the caller from settings; nothing at import."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 10_000

T = TypeVar("T")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT (a nested rollback could leave an
    # outbox row committed); let SQLAlchemy emit BEGIN itself instead, as its docs recommend.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the web app read while a flow writes; busy_timeout waits instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL never corrupts the file; it only lets a power cut (not a crash of the
    # process) lose the last commits. FULL waited ~12 ms for the disk on every answer, which
    # capped the embedded database at well under a hundred answers a second. Installations
    # that cannot lose a commit run on PostgreSQL.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # Deleted rows are overwritten, not left in free pages: an erased person or a round whose
    # retention ended must not be readable from the file afterwards.
    cursor.execute("PRAGMA secure_delete=ON")
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


class LockSpace(IntEnum):
    """What a transaction-long lock of `hold_lock` is about; the key says which one."""

    SCHEDULE_ROUND = 1


def hold_lock(session: Session, space: LockSpace, key: int) -> None:
    """Wait for, then hold until the transaction ends, the lock named (space, key): work of
    different processes under the same name runs one after the other, each seeing what the one
    before it committed.

    On PostgreSQL a transaction-level advisory lock: it locks no row, so other writers (an
    invitee's answer, the outbox) go on while it is held. SQLite needs nothing: every
    transaction begins IMMEDIATE (see `_sqlite_begin`), so it already holds the database's
    single write lock from its first statement on.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(int(space), key)))
        # Rows loaded before the lock may have been changed by the transaction that held it;
        # read them again instead of deciding on what was there before.
        session.expire_all()


def insert_or_get(session: Session, row: T, existing: Callable[[], T | None]) -> T:
    """Add `row`, or when a concurrent transaction committed a row with the same unique key
    first, return that one (found by `existing`). The insert runs in a savepoint, so the
    conflict leaves the rest of the transaction as it was."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        found = existing()
        if found is None:
            raise
        return found
    return row

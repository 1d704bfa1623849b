"""SQLite used by many threads of one process, as the web app does: a reader does not wait for
a writer, and writers take turns without "database is locked"."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from models.db import Database


def _database(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'turns.db'}")
    with db.unit_of_work() as session:
        session.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        session.execute(text("INSERT INTO counter VALUES (0)"))
    return db


def test_a_reader_sees_the_last_commit_while_a_writer_holds_the_lock(tmp_path: Path) -> None:
    db = _database(tmp_path)
    try:
        with db.unit_of_work() as writing:
            writing.execute(text("UPDATE counter SET n = 1"))
            started = time.monotonic()
            with Session(db.read_engine) as reading:
                seen = reading.execute(text("SELECT n FROM counter")).scalar_one()
                reading.rollback()
            # A write transaction (BEGIN IMMEDIATE) would have waited busy_timeout (10 s).
            assert time.monotonic() - started < 2
            assert seen == 0
    finally:
        db.dispose()


def test_writers_on_many_threads_all_get_their_turn(tmp_path: Path) -> None:
    db = _database(tmp_path)
    errors: list[BaseException] = []

    def add(times: int) -> None:
        try:
            for _ in range(times):
                with db.unit_of_work() as session:
                    n = session.execute(text("SELECT n FROM counter")).scalar_one()
                    session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(25,)) for _ in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        with db.unit_of_work() as session:
            assert session.execute(text("SELECT n FROM counter")).scalar_one() == 8 * 25
    finally:
        db.dispose()

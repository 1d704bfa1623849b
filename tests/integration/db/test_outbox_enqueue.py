"""enqueue_many: the batched enqueue gives what enqueue per message gives, races included."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consult.mail import outbox
from consult.mail.outbox import NewMessage, Recipient, enqueue, enqueue_many
from consult.templating import RenderedEmail
from models import OutboxKind, OutboxMessage
from models.db import Database

DOMAIN = "wiz.example"
COLUMNS = (
    "kind",
    "idempotency_key",
    "message_id",
    "round_id",
    "person_id",
    "invitation_id",
    "recipient_email",
    "recipient_name",
    "subject",
    "text_body",
    "html_body",
    "calendar_ics",
    "calendar_method",
    "status",
    "attempts",
)


def _message(key: str, subject: str = "Uitnodiging") -> NewMessage:
    return NewMessage(
        key=key,
        kind=OutboxKind.INVITATION,
        recipient=Recipient(f"{key.replace(':', '.')}@example.org", f"Bestuurder {key}"),
        rendered=RenderedEmail(subject=subject, text="Beste,\n", html="<p>Beste,</p>"),
        round_id=None,
    )


def _rows(db: Database) -> dict[str, tuple[object, ...]]:
    with db.unit_of_work() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return {
            row.idempotency_key: tuple(getattr(row, column) for column in COLUMNS) for row in rows
        }


def _enqueue_one(db: Database, message: NewMessage) -> bool:
    with db.unit_of_work() as session:
        return enqueue(
            session,
            key=message.key,
            kind=message.kind,
            recipient=message.recipient,
            rendered=message.rendered,
            domain=DOMAIN,
            round_id=message.round_id,
        )


def test_enqueue_many_skips_queued_keys_and_repeats_like_enqueue(database_url: str) -> None:
    db = Database(database_url)
    try:
        assert _enqueue_one(db, _message("a:0"))
        batch = [
            _message("a:0", "changed"),
            _message("a:1"),
            _message("a:2"),
            _message("a:1", "second"),
        ]
        with db.unit_of_work() as session:
            assert enqueue_many(session, batch, DOMAIN) == 2
        with db.unit_of_work() as session:
            assert enqueue_many(session, batch, DOMAIN) == 0
            assert enqueue_many(session, [], DOMAIN) == 0
        batched = _rows(db)
    finally:
        db.dispose()

    assert list(batched) == ["a:0", "a:1", "a:2"]
    assert batched["a:0"][COLUMNS.index("subject")] == "Uitnodiging", "queued rows are kept"
    assert batched["a:1"][COLUMNS.index("subject")] == "Uitnodiging", "the first of duplicates"


def test_enqueue_many_writes_the_rows_enqueue_writes(database_url: str) -> None:
    db = Database(database_url)
    try:
        assert _enqueue_one(db, _message("one:0"))
        with db.unit_of_work() as session:
            assert enqueue_many(session, [_message("many:0")], DOMAIN) == 1
        rows = _rows(db)
    finally:
        db.dispose()
    key_columns = {"idempotency_key", "message_id", "recipient_email", "recipient_name"}
    one, many = rows["one:0"], rows["many:0"]
    for index, column in enumerate(COLUMNS):
        if column not in key_columns:
            assert one[index] == many[index], column


def test_enqueue_many_after_a_concurrent_enqueue_adds_only_the_rest(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another worker queued `r:1` between this worker's check and its INSERT."""
    db = Database(database_url)
    try:
        assert _enqueue_one(db, _message("r:1", "theirs"))
        checked: list[set[str]] = []

        def check_missed_it(session: object, keys: set[str]) -> set[str]:
            checked.append(set(keys))
            return set()

        monkeypatch.setattr(outbox, "queued_keys", check_missed_it)
        batch = [_message("r:0"), _message("r:1", "ours"), _message("r:2")]
        with db.unit_of_work() as session:
            assert enqueue_many(session, batch, DOMAIN) == 2
        assert checked, "the batch was checked before the INSERT"
        rows = _rows(db)
    finally:
        db.dispose()
    assert sorted(rows) == ["r:0", "r:1", "r:2"]
    assert rows["r:1"][COLUMNS.index("subject")] == "theirs"

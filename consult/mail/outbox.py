"""The outbox: enqueue in the caller's transaction; claim, send and record in short ones.

A message is written once per idempotency key. A sender claims rows with a lease; a sender that
dies leaves its rows to be claimed again when the lease runs out. The only window for a second
delivery is a crash after the server accepted a message and before the row was marked sent; the
resend then carries the same Message-ID, so mail clients show it once.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consult.mail.mime import OutgoingMail, build_message, make_message_id
from consult.mail.smtp import DeliveryResult, deliver
from consult.settings import Organiser, SmtpSettings
from consult.templating import RenderedEmail
from models import OutboxKind, OutboxMessage, OutboxStatus
from models.base import utcnow
from models.db import Database

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    person_id: int | None = None
    invitation_id: int | None = None


def already_queued(session: Session, key: str) -> bool:
    return (
        session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key))
        is not None
    )


def enqueue(
    session: Session,
    *,
    key: str,
    kind: OutboxKind,
    recipient: Recipient,
    rendered: RenderedEmail,
    domain: str,
    round_id: int | None,
    calendar_ics: bytes | None = None,
    calendar_method: str | None = None,
) -> bool:
    """Add a message unless one with this key exists. Returns True if it was added."""
    if already_queued(session, key):
        return False
    row = OutboxMessage(
        kind=kind,
        idempotency_key=key,
        message_id=make_message_id(domain, key),
        round_id=round_id,
        person_id=recipient.person_id,
        invitation_id=recipient.invitation_id,
        recipient_email=recipient.email,
        recipient_name=recipient.name,
        subject=rendered.subject,
        text_body=rendered.text,
        html_body=rendered.html,
        calendar_ics=calendar_ics,
        calendar_method=calendar_method,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # Another worker enqueued the same purpose between our check and insert.
        return False
    return True


def claim(session: Session, limit: int, now: datetime) -> list[OutboxMessage]:
    """Lease up to `limit` due messages to this sender.

    The lease is taken by one UPDATE that checks again that each row is still due, so two
    senders never hold the same row. On PostgreSQL, SKIP LOCKED already keeps them apart; SQLite
    has no row locks, but its single writer makes a second sender's UPDATE wait until the first
    one commits, after which the rows the first one leased no longer match.
    """
    due = and_(
        OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
    )
    candidates = list(
        session.scalars(
            select(OutboxMessage.id)
            .where(due)
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not candidates:
        return []
    leased = session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates), due)
        .values(
            status=OutboxStatus.SENDING,
            claimed_until=now + LEASE,
            attempts=OutboxMessage.attempts + 1,
        )
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).all()
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(leased))
            .order_by(OutboxMessage.id)
            .execution_options(populate_existing=True)
        )
    )


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter, so throttled relays are not hit in lockstep."""
    base = min(60.0 * 2 ** (attempts - 1), 3600.0)
    return timedelta(seconds=base * random.uniform(0.5, 1.0))


def record(row: OutboxMessage, result: DeliveryResult, now: datetime) -> None:
    if result.ok:
        row.status = OutboxStatus.SENT
        row.sent_at = now
        row.claimed_until = None
        row.last_error = None
    elif result.permanent or row.attempts >= MAX_ATTEMPTS:
        row.status = OutboxStatus.FAILED
        row.last_error = result.reply
        row.claimed_until = None
    else:
        row.status = OutboxStatus.PENDING
        row.last_error = result.reply
        row.claimed_until = now + retry_delay(row.attempts)


def to_outgoing(row: OutboxMessage) -> OutgoingMail:
    return OutgoingMail(
        message_id=row.message_id,
        recipient_email=row.recipient_email,
        recipient_name=row.recipient_name,
        subject=row.subject,
        text=row.text_body,
        html=row.html_body,
        calendar_ics=row.calendar_ics,
        calendar_method=row.calendar_method,
    )


@dataclass
class SendCounts:
    sent: int = 0
    failed: int = 0
    retry_later: int = 0


async def send_due(
    db: Database, smtp: SmtpSettings, organiser: Organiser, batch_size: int | None = None
) -> SendCounts:
    """Send every due message, one claimed batch at a time, until none is due."""
    counts = SendCounts()
    size = batch_size or smtp.batch_size
    while True:
        with db.unit_of_work() as session:
            rows = claim(session, size, utcnow())
            mails = [(row.id, to_outgoing(row)) for row in rows]
        if not mails:
            return counts
        now = utcnow()
        messages = []
        unbuildable: dict[int, DeliveryResult] = {}
        for row_id, mail in mails:
            try:
                messages.append((row_id, build_message(mail, organiser, date=now)))
            except ValueError as exc:
                # A row that can never become a valid message fails alone, not its batch.
                unbuildable[row_id] = DeliveryResult(ok=False, permanent=True, reply=str(exc))
        results = await deliver(messages, smtp) if messages else {}
        _record_all(db, {**results, **unbuildable}, counts)


def _record_all(db: Database, results: dict[int, DeliveryResult], counts: SendCounts) -> None:
    with db.unit_of_work() as session:
        now = utcnow()
        rows: Sequence[OutboxMessage] = session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(results))
        ).all()
        for row in rows:
            record(row, results[row.id], now)
            if row.status == OutboxStatus.SENT:
                counts.sent += 1
            elif row.status == OutboxStatus.FAILED:
                counts.failed += 1
            else:
                counts.retry_later += 1

"""What an operator needs to see and do about outgoing mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class Failure:
    id: int
    kind: str
    recipient: str
    reply: str
    attempts: int
    at: datetime


@dataclass(frozen=True)
class OutboxOverview:
    counts: dict[str, int]
    oldest_pending: datetime | None
    recent_failures: tuple[Failure, ...]


def overview(session: Session, round_id: int | None = None, failures: int = 10) -> OutboxOverview:
    scope = [OutboxMessage.round_id == round_id] if round_id is not None else []
    counts = {status.value: 0 for status in OutboxStatus}
    for status, n in session.execute(
        select(OutboxMessage.status, func.count(OutboxMessage.id))
        .where(*scope)
        .group_by(OutboxMessage.status)
    ):
        counts[status.value] = n
    oldest = session.scalar(
        select(func.min(OutboxMessage.created_at)).where(
            *scope, OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
        )
    )
    failed = session.scalars(
        select(OutboxMessage)
        .where(*scope, OutboxMessage.status == OutboxStatus.FAILED)
        .order_by(OutboxMessage.id.desc())
        .limit(failures)
    )
    return OutboxOverview(
        counts=counts,
        oldest_pending=oldest,
        recent_failures=tuple(
            Failure(
                m.id, m.kind.value, m.recipient_email, m.last_error or "", m.attempts, m.created_at
            )
            for m in failed
        ),
    )


def retry_failed(session: Session, round_id: int | None = None) -> int:
    """Put failed messages back in the queue with a fresh count of attempts. The server's last
    reply is kept until the next attempt replaces it."""
    scope = [OutboxMessage.round_id == round_id] if round_id is not None else []
    result = session.execute(
        update(OutboxMessage)
        .where(*scope, OutboxMessage.status == OutboxStatus.FAILED)
        .values(status=OutboxStatus.PENDING, attempts=0, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

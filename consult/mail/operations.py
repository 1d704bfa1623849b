"""What an operator needs to see and do about outgoing mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from consult.i18n import _
from models import OutboxMessage, OutboxStatus, SuppressedAddress


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


def retry_failed(session: Session, round_id: int | None = None) -> tuple[int, int]:
    """Put failed messages back in the queue with a fresh count of attempts. The server's last
    reply is kept until the next attempt replaces it. Messages to suppressed addresses stay
    failed: they would only be held back (see `unsuppress`).

    Returns (queued again, left failed because their address is suppressed)."""
    scope = [OutboxMessage.round_id == round_id] if round_id is not None else []
    suppressed = func.lower(OutboxMessage.recipient_email).in_(select(SuppressedAddress.email))
    result = session.execute(
        update(OutboxMessage)
        .where(*scope, OutboxMessage.status == OutboxStatus.FAILED, ~suppressed)
        .values(status=OutboxStatus.PENDING, attempts=0, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    left = session.scalar(
        select(func.count(OutboxMessage.id)).where(
            *scope, OutboxMessage.status == OutboxStatus.FAILED, suppressed
        )
    )
    return int(result.rowcount or 0), left or 0  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Suppression:
    email: str
    reply: str  # the server's reply to the first bounce
    at: datetime
    held: int  # messages waiting for the address to be fixed


def suppressions(session: Session) -> list[Suppression]:
    address = func.lower(OutboxMessage.recipient_email)
    held: dict[str, int] = {
        email: n
        for email, n in session.execute(
            select(address, func.count(OutboxMessage.id))
            .where(OutboxMessage.status == OutboxStatus.SUPPRESSED)
            .group_by(address)
        )
    }
    return [
        Suppression(s.email, s.reason, s.created_at, held.get(s.email, 0))
        for s in session.scalars(select(SuppressedAddress).order_by(SuppressedAddress.email))
    ]


class UnknownSuppression(LookupError):
    pass


def unsuppress(session: Session, email: str, new_email: str | None = None) -> int:
    """Take an address off the suppression list and queue again what did not reach it: the
    messages held back and those that failed. With `new_email` (the address was wrong) they,
    and those still waiting, go to that address instead. Returns how many are queued again.

    Without `new_email` the address must be on the list; with it, it need not be (a typo found
    before anything bounced)."""
    address = email.strip().lower()
    removed = session.execute(delete(SuppressedAddress).where(SuppressedAddress.email == address))
    if new_email is None and not removed.rowcount:  # type: ignore[attr-defined]
        raise UnknownSuppression(
            _("%(address)s is not on the list of blocked addresses", address=address)
        )
    statuses = [OutboxStatus.SUPPRESSED, OutboxStatus.FAILED]
    values: dict[str, object] = {"status": OutboxStatus.PENDING, "attempts": 0}
    if new_email is not None:
        # Messages being sent right now are left to their sender: they went to the old address.
        statuses.append(OutboxStatus.PENDING)
        values["recipient_email"] = new_email
    result = session.execute(
        update(OutboxMessage)
        .where(
            func.lower(OutboxMessage.recipient_email) == address,
            OutboxMessage.status.in_(statuses),
        )
        .values(claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

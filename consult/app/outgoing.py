"""The workplace's page of outgoing mail: messages per state (of all rounds or one), the
messages in one state with the mail server's reply, and the addresses mail is held back from.
Labels are in the current language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session, load_only

from consult.app.dashboard import OutboxState
from consult.app.outbox import LISTED, Health, health, state_label
from consult.app.status import kind_label
from models import OutboxMessage, OutboxStatus, Person, Round

PER_PAGE: Final = 50


@dataclass(frozen=True)
class OutgoingLine:
    id: int
    kind: str
    to: str
    name: str
    subject: str
    round_name: str
    queued_at: datetime
    sent_at: datetime | None
    state_label: str
    attempts: int
    reply: str
    # Where the invitee's page in the workplace is: (round id, invitation id), if they are one.
    invitee: tuple[int, int] | None


@dataclass(frozen=True)
class BlockedLine:
    email: str
    reply: str
    since: datetime
    held: int
    # The registry's person with this address, whose details page corrects it.
    person_id: int | None


@dataclass(frozen=True)
class OutgoingPage:
    round_id: int | None
    rounds: list[tuple[int, str]]
    states: tuple[OutboxState, ...]
    oldest_pending: datetime | None
    # The state whose messages are listed ("" for none), and one page of them, newest first.
    state: str
    messages: tuple[OutgoingLine, ...]
    total: int
    page: int
    pages: int
    blocked: tuple[BlockedLine, ...]


def outgoing_page(
    session: Session, round_id: int | None, state: str, page: int, per_page: int = PER_PAGE
) -> OutgoingPage | None:
    """None when `round_id` names no round."""
    if round_id is not None and session.get(Round, round_id) is None:
        return None
    found: Health = health(session, round_id)
    counts = found.overview.counts
    chosen = state if state in counts else ""
    scope = [OutboxMessage.round_id == round_id] if round_id is not None else []
    total = counts.get(chosen, 0) if chosen else 0
    page = max(1, page)
    lines: tuple[OutgoingLine, ...] = ()
    if chosen:
        rows = session.execute(
            select(OutboxMessage, Round.name)
            .options(load_only(*LISTED))
            .outerjoin(Round, Round.id == OutboxMessage.round_id)
            .where(*scope, OutboxMessage.status == OutboxStatus(chosen))
            .order_by(OutboxMessage.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        lines = tuple(
            OutgoingLine(
                id=m.id,
                kind=kind_label(m.kind),
                to=m.recipient_email,
                name=m.recipient_name,
                subject=m.subject,
                round_name=name or "",
                queued_at=m.created_at,
                sent_at=m.sent_at,
                state_label=state_label(m.status),
                attempts=m.attempts,
                reply=m.last_error or "",
                invitee=(m.round_id, m.invitation_id)
                if m.round_id is not None and m.invitation_id is not None
                else None,
            )
            for m, name in rows
        )
    addresses = [b.email for b in found.blocked]
    people: dict[str, int] = (
        {
            email: pid
            for email, pid in session.execute(
                select(func.lower(Person.email), Person.id).where(
                    func.lower(Person.email).in_(addresses)
                )
            )
        }
        if addresses
        else {}
    )
    return OutgoingPage(
        round_id=round_id,
        rounds=[
            (rid, name)
            for rid, name in session.execute(
                select(Round.id, Round.name).order_by(Round.created_at.desc(), Round.id.desc())
            )
        ],
        states=tuple(
            OutboxState(status, state_label(status), counts.get(status.value, 0))
            for status in OutboxStatus
        ),
        oldest_pending=found.overview.oldest_pending,
        state=chosen,
        messages=lines,
        total=total,
        page=page,
        pages=max(1, -(-total // per_page)),
        blocked=tuple(
            BlockedLine(b.email, b.reply, b.at, b.held, people.get(b.email)) for b in found.blocked
        ),
    )

"""Outgoing mail: send what is due, see how the outbox is doing, queue failed mail again,
release a blocked address. The command line, the flows and the workplace call these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.app import audit
from consult.app.audit import mail_outcome
from consult.app.mailings import holding
from consult.i18n import ngettext, pgettext
from consult.mail import operations
from consult.mail.operations import (
    OutboxOverview,
    Suppression,
    UnknownSuppression,
    overview,
    suppressions,
)
from consult.mail.outbox import SendCounts, send_due
from consult.wiring import App
from models import OutboxMessage, OutboxStatus, Person

__all__ = [
    "LISTED",
    "Health",
    "UnknownSuppression",
    "figures",
    "health",
    "held_message",
    "release",
    "retry_failed",
    "send",
    "state_label",
    "unreachable_message",
]


# The columns of a message that lists of messages show: not the bodies, kilobytes each.
LISTED: Final = (
    OutboxMessage.kind,
    OutboxMessage.recipient_email,
    OutboxMessage.recipient_name,
    OutboxMessage.subject,
    OutboxMessage.round_id,
    OutboxMessage.invitation_id,
    OutboxMessage.created_at,
    OutboxMessage.sent_at,
    OutboxMessage.status,
    OutboxMessage.attempts,
    OutboxMessage.last_error,
)


def state_label(status: OutboxStatus) -> str:
    """A state of an outgoing message, as the secretariat reads it, in the current language."""
    labels = {
        OutboxStatus.PENDING: pgettext("outbox state", "pending"),
        OutboxStatus.SENDING: pgettext("outbox state", "sending"),
        OutboxStatus.SENT: pgettext("outbox state", "sent"),
        OutboxStatus.FAILED: pgettext("outbox state", "failed"),
        OutboxStatus.SUPPRESSED: pgettext("outbox state", "held back (address blocked)"),
        OutboxStatus.CANCELLED: pgettext("outbox state", "cancelled (invitation withdrawn)"),
    }
    return labels[status]


@dataclass(frozen=True)
class Health:
    overview: OutboxOverview
    blocked: list[Suppression]


def health(session: Session, round_id: int | None = None) -> Health:
    """Messages per state, the oldest one waiting, recent failures with the server's reply, and
    the addresses mail is held back from."""
    return Health(overview(session, round_id), suppressions(session))


def retry_failed(session: Session, round_id: int | None = None) -> tuple[int, int]:
    """Queue failed messages (of one round, or all) again, except those to blocked addresses.
    Returns (queued again, left failed because their address is blocked)."""
    queued, blocked = operations.retry_failed(session, round_id)
    if queued:
        audit.record(
            session,
            audit.Action.MAIL_RETRIED,
            round_id=round_id,
            details={"queued_again": queued, "left_blocked": blocked},
        )
    return queued, blocked


def release(session: Session, email: str) -> int:
    """Take a blocked address off the list (it works again) and queue what did not reach it;
    returns how many messages. UnknownSuppression when it is not on the list."""
    requeued = operations.unsuppress(session, email)
    address = email.strip().lower()
    person_id = session.scalar(select(Person.id).where(func.lower(Person.email) == address))
    audit.record(
        session,
        audit.Action.ADDRESS_RELEASED,
        person_id=person_id,
        subject=("person", person_id),
        details={"address": address, "messages_queued_again": requeued},
    )
    return requeued


async def send(ctx: App, retry_wait: timedelta | None = None) -> SendCounts:
    """Send every due message; safe to repeat (sent rows are never claimed again). When not
    one connection to the relay could be made (after the configured timeout), it stops at
    once and says so in `unreachable`: the mail stays queued for the next run. Every outcome
    is written to the audit log. Mail of a round's mailing that awaits the secretariat's
    approval stays waiting (consult.app.mailings), counted in `held`. `retry_wait`: see
    send_due."""
    settings = ctx.settings
    return await send_due(
        ctx.db,
        settings.smtp,
        settings.organiser,
        retry_wait=retry_wait,
        sealer=ctx.sealer,
        on_outcome=mail_outcome,
        held=holding(settings.mail.require_approval),
    )


def figures(counts: SendCounts, queued: int | None = None) -> dict[str, int]:
    """The counts as the flows and the demo report them."""
    sent = {"sent": counts.sent, "failed": counts.failed, "retry_later": counts.retry_later}
    if counts.held:
        sent["held"] = counts.held
    return sent if queued is None else {"queued": queued, **sent}


def held_message(counts: SendCounts) -> str | None:
    """What to tell a person when mail waits for the approval of its mailing, in the current
    language; None when nothing does."""
    if not counts.held:
        return None
    return ngettext(
        "%(num)s message waits for the approval of its mailing (consult mailing list ROUND, "
        "or the round's mailings in the workplace)",
        "%(num)s messages wait for the approval of their mailing (consult mailing list ROUND, "
        "or the round's mailings in the workplace)",
        counts.held,
    )


def unreachable_message(ctx: App, counts: SendCounts) -> str | None:
    """What to tell a person when the relay was away, in the current language; None when it
    was reached."""
    if counts.unreachable is None:
        return None
    smtp = ctx.settings.smtp
    return ngettext(
        "the mail server %(host)s:%(port)s is not reachable (%(reason)s); %(num)s message stays "
        "queued and goes with the next sending (consult outbox send, or by itself through "
        "consult serve)",
        "the mail server %(host)s:%(port)s is not reachable (%(reason)s); %(num)s messages stay "
        "queued and go with the next sending (consult outbox send, or by itself through "
        "consult serve)",
        counts.retry_later,
        host=smtp.host,
        port=smtp.port,
        reason=counts.unreachable,
    )

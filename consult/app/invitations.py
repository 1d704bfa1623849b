"""Send the invitation emails that have not gone out yet; send one invitee theirs again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from consult.app import audit, outbox
from consult.app.batches import chunks
from consult.app.people import (
    ActionRefused,
    Done,
    blocked,
    locked_invitation,
    mail_counts,
    record,
    waiting_kinds,
    why_not_again,
)
from consult.mail.outbox import SendCounts
from consult.rounds.invite import (
    pending_invitation_ids,
    queue_invitation_again,
    queue_invitations,
)
from consult.wiring import App
from models import OutboxKind


def pending(session: Session, round_id: int) -> list[int]:
    return pending_invitation_ids(session, round_id)


def queue_batch(session: Session, ctx: App, invitation_ids: list[int]) -> int:
    """Write the invitation email of each of these invitations that has none yet."""
    return queue_invitations(session, ctx.mail_context(), invitation_ids)


async def send_invitations(ctx: App, round_id: int) -> tuple[int, SendCounts]:
    """Queue every missing invitation email, batch by batch, then send the outbox."""
    with ctx.db.unit_of_work() as session:
        ids = pending(session, round_id)
    queued = 0
    for batch in chunks(ids, ctx.settings.batch_size):
        with ctx.db.unit_of_work() as session:
            queued += queue_batch(session, ctx, batch)
    return queued, await outbox.send(ctx)


def send_again(
    session: Session, ctx: App, round_id: int, invitation_id: int, earlier: int, now: datetime
) -> Done:
    """The secretariat sends an invitee the invitation email again, with a fresh link.
    `earlier` is how many invitation emails the secretariat's page showed: a form sent twice
    (a double click, two requests at once) adds one email, not two. Nothing is added while an
    earlier one is still on its way. Raises ActionRefused when the invitation cannot go again,
    LookupError when the round has no such invitation."""
    invitation = locked_invitation(session, round_id, invitation_id)
    counts = mail_counts(session, invitation)
    sent = counts.get(OutboxKind.INVITATION, 0)
    refusal = why_not_again(invitation, now, sent > 0, blocked(session, invitation))
    if refusal is not None:
        raise ActionRefused(refusal)
    if earlier != sent:
        return Done.REPEATED
    if OutboxKind.INVITATION in waiting_kinds(session, invitation):
        return Done.WAITING
    if not queue_invitation_again(session, ctx.mail_context(), invitation, earlier):
        return Done.REPEATED
    record(session, invitation, audit.Action.INVITATION_SENT_AGAIN, earlier=earlier)
    return Done.QUEUED

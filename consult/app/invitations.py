"""Send the invitation emails that have not gone out yet."""

from __future__ import annotations

from sqlalchemy.orm import Session

from consult.app import outbox
from consult.app.batches import chunks
from consult.mail.outbox import SendCounts
from consult.rounds.invite import pending_invitation_ids, queue_invitations
from consult.wiring import App


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

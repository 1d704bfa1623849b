"""Remind invitees who have not answered, and people taking part who handed in no input."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from consult.app import outbox
from consult.app.batches import chunks
from consult.mail.outbox import SendCounts
from consult.rounds.reminders import (
    due_input_reminder_ids,
    due_invitation_ids,
    queue_input_reminders,
    queue_reminders,
)
from consult.wiring import App

Kind = Literal["answer", "input"]


def due(session: Session, round_id: int, now: datetime) -> dict[Kind, list[int]]:
    """The invitations due a reminder now, per kind."""
    return {
        "answer": due_invitation_ids(session, round_id, now),
        "input": due_input_reminder_ids(session, round_id, now),
    }


def queue_batch(
    session: Session, ctx: App, invitation_ids: list[int], now: datetime, kind: Kind
) -> int:
    queue = queue_input_reminders if kind == "input" else queue_reminders
    return queue(session, ctx.mail_context(), invitation_ids, now)


async def send_reminders(ctx: App, round_id: int, now: datetime) -> tuple[int, SendCounts]:
    with ctx.db.unit_of_work() as session:
        waiting = due(session, round_id, now)
    queued = 0
    for kind, ids in waiting.items():
        for batch in chunks(ids, ctx.settings.batch_size):
            with ctx.db.unit_of_work() as session:
                queued += queue_batch(session, ctx, batch, now, kind)
    return queued, await outbox.send(ctx)

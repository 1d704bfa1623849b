"""Remind invitees who have not answered, and people taking part who handed in no input."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from consult.app import audit, outbox
from consult.app.batches import chunks
from consult.app.people import (
    ActionRefused,
    Done,
    Remind,
    blocked,
    handed_in,
    invitation_sent,
    locked_invitation,
    mail_counts,
    record,
    remind_kind,
    reminder_count,
    waiting_kinds,
    why_no_reminder,
)
from consult.mail.outbox import SendCounts
from consult.rounds.reminders import (
    due_input_reminder_ids,
    due_invitation_ids,
    queue_input_reminder_now,
    queue_input_reminders,
    queue_reminder_now,
    queue_reminders,
)
from consult.wiring import App
from models import OutboxKind

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


def remind_now(
    session: Session, ctx: App, round_id: int, invitation_id: int, earlier: int, now: datetime
) -> tuple[Remind, Done]:
    """The secretariat reminds one invitee now, whatever the round's reminder moments: to
    answer if they have not, to hand in input if they take part and have not. `earlier` is
    how many reminders of that kind the secretariat's page showed (a form sent twice adds one
    email). Raises ActionRefused when no reminder fits, LookupError for an unknown invitation."""
    invitation = locked_invitation(session, round_id, invitation_id)
    has_input = handed_in(session, invitation)
    refusal = why_no_reminder(
        invitation,
        now,
        has_input,
        blocked(session, invitation),
        invitation_sent(session, invitation),
    )
    kind = remind_kind(invitation, now, has_input)
    if refusal is not None or kind is None:
        raise ActionRefused(refusal or "")
    if earlier != reminder_count(mail_counts(session, invitation), kind):
        return kind, Done.REPEATED
    outbox_kind = OutboxKind.INPUT_REQUEST if kind is Remind.INPUT else OutboxKind.REMINDER
    if outbox_kind in waiting_kinds(session, invitation):
        return kind, Done.WAITING
    queue = queue_input_reminder_now if kind is Remind.INPUT else queue_reminder_now
    if not queue(session, ctx.mail_context(), invitation, earlier):
        return kind, Done.REPEATED
    record(session, invitation, audit.Action.REMINDED, kind=kind.value)
    return kind, Done.QUEUED

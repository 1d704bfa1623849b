"""Signals built from the database after a change was committed (store, then signal:
consult.events): answers from the web app and the calendar-reply poller, staff approvals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.events import (
    INVITATION_RESPONDED,
    ROUND_STATUS_LABEL,
    Signal,
    blocks_approved,
    invitation_resource,
    round_resource,
)
from models import BlockStatus, BuildingBlock, CalendarReply, Invitation


def round_ids_of(session: Session, block_ids: Iterable[int]) -> list[int]:
    ids = list(block_ids)
    if not ids:
        return []
    return sorted(
        set(session.scalars(select(BuildingBlock.round_id).where(BuildingBlock.id.in_(ids))))
    )


def approval_signals(session: Session, round_ids: Sequence[int]) -> list[Signal]:
    """A blocks-approved signal for each of these rounds with no draft block left and at least
    one approved one."""
    signals = []
    for round_id in round_ids:
        counts: dict[BlockStatus, int] = {
            key: n
            for key, n in session.execute(
                select(BuildingBlock.status, func.count(BuildingBlock.id))
                .where(BuildingBlock.round_id == round_id)
                .group_by(BuildingBlock.status)
            )
        }
        if counts and not counts.get(BlockStatus.DRAFT) and counts.get(BlockStatus.APPROVED):
            signals.append(blocks_approved(round_id))
    return signals


def invitation_responded(
    invitation: Invitation, change: str, **extra: str | int | list[int]
) -> Signal:
    """An invitee's answer changed (web page or calendar reply), with the round's status as a
    label so triggers only start work where it can matter."""
    payload: dict[str, str | int | list[int]] = {
        "round_id": invitation.round_id,
        "invitation_id": invitation.id,
        "change": change,
    }
    return Signal(
        INVITATION_RESPONDED,
        invitation_resource(invitation.id),
        payload | extra,
        ((round_resource(invitation.round_id), "round"),),
        {ROUND_STATUS_LABEL: invitation.round.status.value},
    )


# Calendar answers that change who sits where: a decline frees a seat, a delegation brings a
# new person. An accept or a tentative changes nothing to plan, and in a large round re-planning
# for each of hundreds of them would only keep the workers busy.
SEATING_PARTSTATS = ("DECLINED", "DELEGATED")


def reply_signals(session: Session, reply_ids: Sequence[int]) -> list[Signal]:
    """A signal per applied calendar reply that changes the seating, for its invitation."""
    if not reply_ids:
        return []
    replies = session.scalars(
        select(CalendarReply).where(
            CalendarReply.id.in_(reply_ids),
            CalendarReply.invitation_id.isnot(None),
            CalendarReply.partstat.in_(SEATING_PARTSTATS),
        )
    )
    signals = []
    for reply in replies:
        invitation = session.get_one(Invitation, reply.invitation_id)
        signals.append(
            invitation_responded(
                invitation, "calendar", partstat=reply.partstat, status=invitation.status.value
            )
        )
    return signals

"""The secretariat withdraws an invitation: the invitee's links stop working, mail for them
that has not left is cancelled, and their seats are given up (their calendars get a
cancellation, and a served round places people again)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consult.app import audit
from consult.app.lifecycle import IllegalTransition, withdraw_invitation
from consult.app.people import ActionRefused, locked_invitation, record
from consult.app.signals import invitation_responded
from consult.events import Signal
from models import (
    AttendeeStatus,
    ConsultationSession,
    OutboxMessage,
    OutboxStatus,
    SessionAttendee,
)

# Mail that has not left and will not leave by itself: the sender never claims it again.
UNSENT = (OutboxStatus.PENDING, OutboxStatus.FAILED, OutboxStatus.SUPPRESSED)


@dataclass(frozen=True)
class Withdrawal:
    # False when it was withdrawn already (a form sent twice).
    changed: bool
    cancelled_mail: int
    seats_given_up: int
    # To emit once committed: a served round then places people again.
    signal: Signal | None


def withdraw(
    session: Session, round_id: int, invitation_id: int, account_id: int | None, now: datetime
) -> Withdrawal:
    """Withdraw the invitation (recording who and when). Raises ActionRefused when the round
    is closed, LookupError when the round has no such invitation."""
    invitation = locked_invitation(session, round_id, invitation_id)
    try:
        changed = withdraw_invitation(invitation, account_id, now)
    except IllegalTransition as exc:
        raise ActionRefused(str(exc)) from exc
    if not changed:
        return Withdrawal(False, 0, 0, None)
    # Messages being sent right now are left to their sender.
    cancelled = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.round_id == round_id,
            OutboxMessage.person_id == invitation.person_id,
            OutboxMessage.status.in_(UNSENT),
        )
        .values(status=OutboxStatus.CANCELLED, claimed_until=None, sealed_links=None)
        .execution_options(synchronize_session=False)
    )
    sessions = select(ConsultationSession.id).where(ConsultationSession.round_id == round_id)
    seats = session.execute(
        update(SessionAttendee)
        .where(
            SessionAttendee.person_id == invitation.person_id,
            SessionAttendee.session_id.in_(sessions),
            SessionAttendee.status == AttendeeStatus.SCHEDULED,
        )
        .values(status=AttendeeStatus.REMOVED)
        .execution_options(synchronize_session=False)
    )
    done = Withdrawal(
        True,
        int(cancelled.rowcount or 0),  # type: ignore[attr-defined]
        int(seats.rowcount or 0),  # type: ignore[attr-defined]
        invitation_responded(invitation, "withdrawn", status=invitation.status.value),
    )
    record(
        session,
        invitation,
        audit.Action.WITHDRAWN,
        cancelled_mail=done.cancelled_mail,
        seats_given_up=done.seats_given_up,
    )
    session.flush()
    return done

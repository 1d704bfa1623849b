"""Where an invitee sits: their session in a round, once scheduling has placed them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from models import (
    AttendeeStatus,
    ConsultationSession,
    Invitation,
    SessionAttendee,
    SessionStatus,
)


@dataclass(frozen=True)
class Seat:
    session: ConsultationSession
    # False when the session was cancelled or the person was taken out of it.
    active: bool


def find_seat(session: Session, invitation: Invitation) -> Seat | None:
    """The invitee's current seat in the round: an active one if there is one, else the most
    recent one they lost (so the page can say the session was cancelled), else None."""
    seats = session.scalars(
        select(SessionAttendee)
        .join(SessionAttendee.session)
        .where(
            ConsultationSession.round_id == invitation.round_id,
            SessionAttendee.person_id == invitation.person_id,
        )
        .options(
            joinedload(SessionAttendee.session).joinedload(ConsultationSession.theme),
            joinedload(SessionAttendee.session).joinedload(ConsultationSession.round),
        )
        .order_by(SessionAttendee.id.desc())
    ).all()
    for seat in seats:
        if seat.status == AttendeeStatus.SCHEDULED and seat.session.status == SessionStatus.PLANNED:
            return Seat(seat.session, True)
    return Seat(seats[0].session, False) if seats else None


def sessions_with_seats(
    session: Session, session_ids: Sequence[int]
) -> Iterable[ConsultationSession]:
    """These sessions in id order, with their attendees (and each attendee's person), theme
    and round loaded in one query: what every per-attendee mailing needs."""
    return session.scalars(
        select(ConsultationSession)
        .where(ConsultationSession.id.in_(session_ids))
        .options(
            joinedload(ConsultationSession.attendees).joinedload(SessionAttendee.person),
            joinedload(ConsultationSession.theme),
            joinedload(ConsultationSession.round),
        )
        .order_by(ConsultationSession.id)
    ).unique()

"""Changes to scheduled sessions. Each bumps what iTIP needs bumped; the calendar messages
themselves are queued by consult.rounds.calendar_invites, so a change and its mail can never
disagree.

- moving a session (time or meeting link) raises its SEQUENCE: every attendee gets an update;
- cancelling a session raises its SEQUENCE and marks it cancelled: every attendee gets a CANCEL;
- removing one person marks their seat removed: that person alone gets a CANCEL (with the
  next SEQUENCE), the others' copies do not change.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.i18n import gettext as _
from models import AttendeeStatus, ConsultationSession, SessionAttendee, SessionStatus


class SessionChangeError(ValueError):
    pass


def move_session(
    session: Session,
    session_id: int,
    start: datetime | None = None,
    end: datetime | None = None,
    meeting_url: str | None = None,
) -> bool:
    cs = session.get_one(ConsultationSession, session_id)
    if cs.status == SessionStatus.CANCELLED:
        raise SessionChangeError(_("this session is cancelled and can no longer be moved"))
    new_start, new_end = start or cs.start, end or cs.end
    if new_end <= new_start:
        raise SessionChangeError(_("the end must be after the start"))
    new_url = meeting_url or cs.meeting_url
    if (new_start, new_end, new_url) == (cs.start, cs.end, cs.meeting_url):
        return False
    cs.start, cs.end, cs.meeting_url = new_start, new_end, new_url
    cs.calendar_sequence += 1
    return True


def cancel_session(session: Session, session_id: int) -> bool:
    cs = session.get_one(ConsultationSession, session_id)
    if cs.status == SessionStatus.CANCELLED:
        return False
    cs.status = SessionStatus.CANCELLED
    cs.calendar_sequence += 1
    return True


def remove_attendee(session: Session, session_id: int, person_id: int) -> bool:
    seat = session.scalar(
        select(SessionAttendee).where(
            SessionAttendee.session_id == session_id, SessionAttendee.person_id == person_id
        )
    )
    if seat is None:
        raise SessionChangeError(_("this person is not scheduled in this session"))
    if seat.status == AttendeeStatus.REMOVED:
        return False
    seat.status = AttendeeStatus.REMOVED
    return True

"""Calendar files people can subscribe to or download: a person's private feed of their
sessions (moved ones at their new time, cancelled ones marked cancelled) and one session's
.ics. The web app serves them; these functions only build them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from consult.calendar.itip import build_feed
from consult.rounds.calendar_invites import calendar_event
from consult.templating import MailContext
from models import AttendeeStatus, ConsultationSession, Person, SessionAttendee, SessionStatus


def person_feed(
    session: Session, ctx: MailContext, person_id: int, input_url: str, now: datetime
) -> bytes:
    """Every session the person was ever seated in; removed seats and cancelled sessions stay
    in the feed as cancelled, so subscribed calendars drop them instead of keeping stale ones."""
    seats = session.scalars(
        select(SessionAttendee)
        .where(SessionAttendee.person_id == person_id)
        .options(
            joinedload(SessionAttendee.person),
            joinedload(SessionAttendee.session).joinedload(ConsultationSession.theme),
            joinedload(SessionAttendee.session).joinedload(ConsultationSession.round),
        )
        .order_by(SessionAttendee.id)
    ).all()
    events = []
    for seat in seats:
        cs = seat.session
        cancelled = seat.status == AttendeeStatus.REMOVED or cs.status == SessionStatus.CANCELLED
        event = calendar_event(cs, seat.person, ctx, input_url, cs.calendar_sequence)
        events.append((event, cancelled))
    return build_feed(events, now)


def session_ics(
    session: Session,
    ctx: MailContext,
    session_id: int,
    person_id: int,
    input_url: str,
    now: datetime,
) -> bytes:
    """One session as a downloadable .ics for one of its attendees."""
    cs = session.get_one(ConsultationSession, session_id)
    person = session.get_one(Person, person_id)
    cancelled = cs.status == SessionStatus.CANCELLED
    event = calendar_event(cs, person, ctx, input_url, cs.calendar_sequence)
    return build_feed([(event, cancelled)], now)

"""After a session has ended, ask its attendees for the lessons they learned.

One email per attendee per session (idempotency key `lessons:<session>:<person>`), written to the
outbox like every other message, so a re-run or a retried task never asks twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.i18n import format_datetime, format_time_range
from consult.mail.outbox import Recipient, enqueue, queued_keys
from consult.rounds.seats import sessions_with_seats
from consult.templating import MailContext, render_email
from consult.tokens import mint_link
from models import (
    AttendeeStatus,
    ConsultationSession,
    Invitation,
    OutboxKind,
    SessionAttendee,
    SessionStatus,
)


def lessons_key(session_id: int, person_id: int) -> str:
    return f"lessons:{session_id}:{person_id}"


def not_asked(session: Session, round_id: int) -> dict[int, int]:
    """Per planned session of the round: how many scheduled attendees were not asked yet."""
    seats = session.execute(
        select(SessionAttendee.session_id, SessionAttendee.person_id)
        .join(SessionAttendee.session)
        .where(
            ConsultationSession.round_id == round_id,
            ConsultationSession.status == SessionStatus.PLANNED,
            SessionAttendee.status == AttendeeStatus.SCHEDULED,
        )
    ).all()
    asked = queued_keys(session, [lessons_key(s, p) for s, p in seats])
    counts: dict[int, int] = {}
    for session_id, person_id in seats:
        counts.setdefault(session_id, 0)
        if lessons_key(session_id, person_id) not in asked:
            counts[session_id] += 1
    return counts


def queue_lessons_requests(
    session: Session, ctx: MailContext, session_ids: Sequence[int], now: datetime
) -> int:
    """Ask the attendees of these sessions (those that have ended) for lessons learned."""
    sessions = sessions_with_seats(session, session_ids)
    queued = 0
    for cs in sessions:
        rnd = cs.round
        # Checked here too: the ids may be older than a cancellation, or the clock moved.
        if cs.status != SessionStatus.PLANNED or cs.end > now or now >= rnd.input_deadline:
            continue
        seats = [s for s in cs.attendees if s.status == AttendeeStatus.SCHEDULED]
        asked = queued_keys(session, [lessons_key(cs.id, s.person_id) for s in seats])
        invitations: dict[int, int] = {
            key: n
            for key, n in session.execute(
                select(Invitation.person_id, Invitation.id).where(
                    Invitation.round_id == rnd.id,
                    Invitation.person_id.in_([s.person_id for s in seats]),
                )
            )
        }
        for seat in seats:
            key = lessons_key(cs.id, seat.person_id)
            invitation_id = invitations.get(seat.person_id)
            if key in asked or invitation_id is None:
                continue
            person, lang = seat.person, seat.person.language
            link = mint_link(session, ctx, invitation_id, "lessons")
            rendered = render_email(
                ctx.env,
                "lessons_request",
                lang,
                {
                    "person_name": person.name,
                    "round_name": rnd.name,
                    "theme_title": cs.theme.title(lang),
                    "session_when": format_time_range(cs.start, cs.end, lang),
                    "input_deadline": format_datetime(rnd.input_deadline, lang),
                    "input_url": f"{link}/input",
                    "organiser_name": ctx.organiser_name,
                },
            )
            queued += enqueue(
                session,
                key=key,
                kind=OutboxKind.INPUT_REQUEST,
                recipient=Recipient(person.email, person.name, person.id, invitation_id),
                rendered=rendered,
                domain=ctx.domain,
                round_id=rnd.id,
            )
    session.flush()
    return queued

"""Queue the calendar messages that a session's current state calls for, per attendee:

- a scheduled attendee of a planned session gets a REQUEST for the session's current SEQUENCE
  (the first one is the invitation, later ones are updates after a move);
- an attendee of a cancelled session, or one removed from a session, who was sent a REQUEST
  gets one CANCEL.

Each message has an idempotency key holding session, person, method and SEQUENCE, so running
this again after any change sends exactly what the change needs and nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from consult.i18n import format_time_range
from consult.i18n import gettext as _
from consult.mail.outbox import Recipient, already_queued, enqueue
from consult.rounds.seats import sessions_with_seats
from consult.templating import MailContext, render_email
from consult.tokens import mint_link
from models import (
    AttendeeStatus,
    ConsultationSession,
    Invitation,
    OutboxKind,
    OutboxMessage,
    Person,
    SessionAttendee,
    SessionStatus,
)
from models.db import LockSpace, hold_lock

if TYPE_CHECKING:
    # icalendar is imported where a calendar is built: reading what is due (round status)
    # does not need it.
    from consult.calendar.itip import CalendarEvent, Method


def calendar_key(method: str, session_id: int, person_id: int, sequence: int) -> str:
    return f"calendar:{method}:session {session_id}:person {person_id}:seq {sequence}"


def request_key(session_id: int, person_id: int, sequence: int) -> str:
    return calendar_key("REQUEST", session_id, person_id, sequence)


def session_ids_needing_invites(session: Session, round_id: int) -> list[int]:
    return list(
        session.scalars(
            select(ConsultationSession.id)
            .where(ConsultationSession.round_id == round_id)
            .order_by(ConsultationSession.id)
        )
    )


def describe(questions: list[str], meeting_url: str, input_url: str, language: str) -> str:
    lines = [
        _("Guiding questions:", language),
        *(f"- {q}" for q in questions),
        "",
        _("Join: %(url)s", language, url=meeting_url),
        _("Your input: %(url)s", language, url=input_url),
    ]
    return "\n".join(lines)


def calendar_event(
    cs: ConsultationSession, person: Person, ctx: MailContext, input_url: str, sequence: int
) -> CalendarEvent:
    from consult.calendar.itip import CalendarEvent

    """The session as it appears in this person's calendar, in their language."""
    lang = person.language
    return CalendarEvent(
        uid=cs.calendar_uid,
        sequence=sequence,
        start=cs.start,
        end=cs.end,
        summary=f"{cs.round.name}: {cs.theme.title(lang)}",
        description=describe(cs.theme.questions(lang), cs.meeting_url, input_url, lang),
        meeting_url=cs.meeting_url,
        organiser_email=ctx.organiser_email,
        organiser_name=ctx.organiser_name,
        attendee_email=person.email,
        attendee_name=person.name,
    )


def _queued_sequences(session: Session, session_id: int, person_id: int) -> dict[str, int]:
    """The highest SEQUENCE queued so far for this attendee's copy of the session, per method
    ("REQUEST", "CANCEL"); a method never queued is absent."""
    prefixes = {m: calendar_key(m, session_id, person_id, 0)[:-1] for m in ("REQUEST", "CANCEL")}
    keys = session.scalars(
        select(OutboxMessage.idempotency_key).where(
            or_(*(OutboxMessage.idempotency_key.startswith(p) for p in prefixes.values()))
        )
    )
    highest: dict[str, int] = {}
    for key in keys:
        for method, prefix in prefixes.items():
            if key.startswith(prefix):
                sequence = int(key.removeprefix(prefix))
                highest[method] = max(sequence, highest.get(method, sequence))
    return highest


def planned_message(cs: ConsultationSession, seat: SessionAttendee) -> tuple[Method, int]:
    """What this attendee's calendar should be told now: (method, SEQUENCE), before checking
    what was already sent."""
    if cs.status == SessionStatus.CANCELLED:
        return "CANCEL", cs.calendar_sequence
    if seat.status == AttendeeStatus.REMOVED:
        # Only this person's copy changes; the next SEQUENCE makes clients accept the CANCEL.
        return "CANCEL", cs.calendar_sequence + 1
    return "REQUEST", cs.calendar_sequence


def queue_calendar_invites(
    session: Session, ctx: MailContext, session_ids: list[int], now: datetime
) -> int:
    round_ids = session.scalars(
        select(ConsultationSession.round_id)
        .where(ConsultationSession.id.in_(session_ids))
        .distinct()
        .order_by(ConsultationSession.round_id)
    )
    for round_id in list(round_ids):
        # Behind a scheduling run of the round, not beside it: the messages follow from the
        # sessions it committed, and two runs of this never both mint a link for one message.
        hold_lock(session, LockSpace.SCHEDULE_ROUND, round_id)
    sessions = sessions_with_seats(session, session_ids)
    queued = 0
    for cs in sessions:
        for seat in cs.attendees:
            method, sequence = planned_message(cs, seat)
            key = calendar_key(method, cs.id, seat.person_id, sequence)
            if already_queued(session, key):
                continue
            sent = _queued_sequences(session, cs.id, seat.person_id)
            if method == "CANCEL" and "REQUEST" not in sent:
                continue  # nothing in their calendar to take away
            if method == "CANCEL" and sent.get("CANCEL", -1) > sent["REQUEST"]:
                # Already taken away (a removed attendee whose session moved or was cancelled
                # later): a second CANCEL would be a duplicate.
                continue
            # The first REQUEST a person gets is an invitation, even at SEQUENCE > 0 (a late
            # attendee of a session that has moved since); later ones are updates.
            is_update = "REQUEST" in sent
            queued += _queue(
                session, ctx, cs, seat.person, method, sequence, key, now, is_update=is_update
            )
    session.flush()
    return queued


def _queue(
    session: Session,
    ctx: MailContext,
    cs: ConsultationSession,
    person: Person,
    method: Method,
    sequence: int,
    key: str,
    now: datetime,
    *,
    is_update: bool,
) -> bool:
    from consult.calendar import itip

    invitation = session.scalars(
        select(Invitation).where(
            Invitation.round_id == cs.round_id, Invitation.person_id == person.id
        )
    ).one()
    lang = person.language
    input_url = mint_link(session, ctx, invitation.id, "calendar")
    title = cs.theme.title(lang)
    event = calendar_event(cs, person, ctx, input_url, sequence)
    context: dict[str, object] = {
        "person_name": person.name,
        "round_name": cs.round.name,
        "theme_title": title,
        "session_when": format_time_range(cs.start, cs.end, lang),
        "organiser_name": ctx.organiser_name,
    }
    if method == "REQUEST":
        template, kind = "calendar_invite", OutboxKind.CALENDAR_REQUEST
        context |= {
            "meeting_url": cs.meeting_url,
            "input_url": input_url,
            "is_update": is_update,
        }
    else:
        template, kind = "calendar_cancel", OutboxKind.CALENDAR_CANCEL
        context |= {"session_cancelled": cs.status == SessionStatus.CANCELLED}
    return enqueue(
        session,
        key=key,
        kind=kind,
        recipient=Recipient(person.email, person.name, person.id, invitation.id),
        rendered=render_email(ctx.env, template, lang, context),
        domain=ctx.domain,
        round_id=cs.round_id,
        calendar_ics=itip.build_itip(event, method, now),
        calendar_method=method,
    )

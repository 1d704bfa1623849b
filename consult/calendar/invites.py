"""Queue an iTIP REQUEST for every scheduled attendee who has not had one for the current
version (SEQUENCE) of their session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from consult.calendar.itip import CalendarEvent, build_itip
from consult.i18n import format_time_range
from consult.mail.context import MailContext
from consult.mail.outbox import Recipient, already_queued, enqueue
from consult.templating import render_email
from consult.tokens import mint_link
from models import (
    AttendeeStatus,
    ConsultationSession,
    Invitation,
    OutboxKind,
    SessionAttendee,
    SessionStatus,
)


def request_key(session_id: int, person_id: int, sequence: int) -> str:
    return f"calendar:REQUEST:session {session_id}:person {person_id}:seq {sequence}"


def session_ids_needing_invites(session: Session, round_id: int) -> list[int]:
    return list(
        session.scalars(
            select(ConsultationSession.id)
            .where(
                ConsultationSession.round_id == round_id,
                ConsultationSession.status == SessionStatus.PLANNED,
            )
            .order_by(ConsultationSession.id)
        )
    )


def describe(questions: list[str], meeting_url: str, input_url: str, language: str) -> str:
    if language == "en":
        head, join, bring = "Guiding questions:", "Join", "Your input"
    else:
        head, join, bring = "Richtvragen:", "Deelnemen", "Uw inbreng"
    lines = [
        head,
        *(f"- {q}" for q in questions),
        "",
        f"{join}: {meeting_url}",
        f"{bring}: {input_url}",
    ]
    return "\n".join(lines)


def queue_calendar_invites(
    session: Session, ctx: MailContext, session_ids: list[int], now: datetime
) -> int:
    sessions = session.scalars(
        select(ConsultationSession)
        .where(ConsultationSession.id.in_(session_ids))
        .options(
            joinedload(ConsultationSession.attendees).joinedload(SessionAttendee.person),
            joinedload(ConsultationSession.theme),
            joinedload(ConsultationSession.round),
        )
        .order_by(ConsultationSession.id)
    ).unique()
    queued = 0
    for cs in sessions:
        for attendee in cs.attendees:
            if attendee.status != AttendeeStatus.SCHEDULED:
                continue
            person = attendee.person
            key = request_key(cs.id, person.id, cs.calendar_sequence)
            if already_queued(session, key):
                continue
            invitation = session.scalars(
                select(Invitation).where(
                    Invitation.round_id == cs.round_id, Invitation.person_id == person.id
                )
            ).one()
            lang = person.language
            input_url = mint_link(session, ctx.base_url, invitation.id, "calendar")
            title = cs.theme.title(lang)
            event = CalendarEvent(
                uid=cs.calendar_uid,
                sequence=cs.calendar_sequence,
                start=cs.start,
                end=cs.end,
                summary=f"{cs.round.name}: {title}",
                description=describe(cs.theme.questions(lang), cs.meeting_url, input_url, lang),
                meeting_url=cs.meeting_url,
                organiser_email=ctx.organiser_email,
                organiser_name=ctx.organiser_name,
                attendee_email=person.email,
                attendee_name=person.name,
            )
            rendered = render_email(
                ctx.env,
                "calendar_invite",
                lang,
                {
                    "person_name": person.name,
                    "round_name": cs.round.name,
                    "theme_title": title,
                    "session_when": format_time_range(cs.start, cs.end, lang),
                    "meeting_url": cs.meeting_url,
                    "input_url": input_url,
                    "organiser_name": ctx.organiser_name,
                },
            )
            queued += enqueue(
                session,
                key=key,
                kind=OutboxKind.CALENDAR_REQUEST,
                recipient=Recipient(person.email, person.name, person.id, invitation.id),
                rendered=rendered,
                domain=ctx.domain,
                round_id=cs.round_id,
                calendar_ics=build_itip(event, "REQUEST", now),
                calendar_method="REQUEST",
            )
    session.flush()
    return queued

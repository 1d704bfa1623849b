"""Apply an invitee's calendar answer (iTIP REPLY) to their seat and invitation, or set it aside
for the secretariat with the reason. Every mail leaves exactly one CalendarReply row per answer,
keyed by its Message-ID, so the same mail is never applied twice.

Decisions (see also the module docs of consult.calendar.replies and .poller):

- **ATTENDEE says whose answer it is; From must be that attendee.** The answer is matched on
  ATTENDEE, but applied only when From is the same address (compared case-insensitively), or
  the delegate this attendee handed the invitation to in a REPLY we applied (a delegate's
  client answers with the delegator's line too, RFC 5546 4.2.5). Anyone can mail a REPLY naming
  someone else as ATTENDEE with a UID from a forwarded invitation (RFC 6047, section 3,
  security considerations), so every other answer, and one without From, is set aside with the
  reason. That includes Outlook answering from an alias or a shared mailbox, or a secretary
  answering for an executive: the secretariat applies those by hand. When only From matches a
  seat, the answer is set aside with a hint.
- **Who may answer:** the people seated in that session (SessionAttendee). Being invited to the
  round is not enough: a person seated elsewhere, or not at all, was never sent this event.
- **Stale:** an answer whose SEQUENCE is lower than the highest SEQUENCE of the calendar messages
  queued or sent to that attendee for this event (REQUEST, and the CANCEL at SEQUENCE+1 a removed
  attendee gets) answers an older version of the meeting, so it is set aside (RFC 5546 3.2.3).
  Messages that failed for good or were held back (suppressed address) are not counted: they
  never arrived. Someone who was never sent
  the event directly (a delegate) is held to the session's current SEQUENCE.
- **ACCEPTED** → invitation accepted. **TENTATIVE** → the seat's PARTSTAT only; the invitation
  keeps its answer. **DECLINED** → invitation declined and seat PARTSTAT DECLINED; the seat itself
  is freed by the next scheduling run (which the poller's event starts in a served round, like a
  withdrawal on the web page): that run removes it, sends the CANCEL and refills the group.
- **DELEGATED** with DELEGATED-TO → the delegator's invitation becomes DELEGATED and their seat
  PARTSTAT DELEGATED (the seat itself stays: RFC 5546 keeps a delegator on the attendee list, so
  they still get updates). The delegate is found by address or created (name from the REPLY's CN,
  else the address; organisation and language of the delegator), gets an invitation for the round
  (theme preferences copied, status pending until they answer) and a seat in this session, so
  the next calendar run sends them the organiser's own REQUEST with their personal input link,
  and their REPLY then matches a seat. A delegate who already has a seat in the round keeps it.
- An answer after a delegation that is not itself a delegation is set aside: the invitation was
  handed on, as the web answer refuses too (consult.rounds.answers). So are answers for a
  cancelled session, from an attendee taken out of the session, and with a PARTSTAT other than
  ACCEPTED, DECLINED, TENTATIVE or DELEGATED.
- No deadline: calendar answers come after scheduling, so the answer deadline of the round
  (which closes the web answer) does not apply to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from icalendar import Calendar
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.calendar.replies import ParsedReply, ParseProblem, ParseResult
from consult.i18n import AMSTERDAM, N_
from consult.i18n import gettext as _
from consult.rounds.answers import lock_invitation
from consult.rounds.delegation import is_plain_name
from consult.text import clean_text
from models import (
    AttendeeStatus,
    CalendarReply,
    ConsultationSession,
    Invitation,
    InvitationStatus,
    OutboxMessage,
    OutboxStatus,
    Person,
    ReplyOutcome,
    SessionAttendee,
    SessionStatus,
)
from models.audit import AuditAction, by_invitee

# Why an answer was set aside, for the secretariat's review. Stored with the answer in the
# language of the process that handled it (`_(REASON_...)`).
REASON_UNKNOWN_UID = N_("unknown UID")
REASON_NOT_INVITED = N_("sender/attendee not invited")
REASON_STALE = N_("outdated SEQUENCE")
REASON_UNREADABLE = N_("unreadable message")
REASON_NO_CALENDAR = N_("no calendar answer in this message")
REASON_CANCELLED = N_("session is cancelled")
REASON_REMOVED = N_("attendee was taken out of this session")
REASON_PARTSTAT = N_("unknown PARTSTAT")
REASON_NO_DELEGATE = N_("DELEGATED without a valid DELEGATED-TO")
REASON_HANDED_ON = N_("invitation was already handed on to a colleague")
REASON_OTHER_SENDER = N_("sender is not the attendee")
REASON_NO_SENDER = N_("message without a sender (From)")

APPLICABLE = frozenset({"ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED"})
_STATUS_FOR: dict[str, InvitationStatus] = {
    "ACCEPTED": InvitationStatus.ACCEPTED,
    "DECLINED": InvitationStatus.DECLINED,
    "DELEGATED": InvitationStatus.DELEGATED,
}
# Column widths of calendar_reply and person: mail from anyone must fit, not break the insert.
_WIDTH = {
    "mailbox_uid": 100,
    "sender": 254,
    "attendee": 254,
    "event_uid": 300,
    "partstat": 30,
    "delegated_to": 254,
}


class Handling(StrEnum):
    APPLIED = "applied"
    SET_ASIDE = "set_aside"
    DUPLICATE = "duplicate"  # this mail was handled before; nothing done


@dataclass(frozen=True)
class Handled:
    handling: Handling
    reason: str = ""
    reply_id: int | None = None


class ReviewError(ValueError):
    pass


def handle(
    session: Session,
    result: ParseResult,
    now: datetime,
    *,
    mailbox_uid: str = "",
    received_at: datetime | None = None,
) -> list[Handled]:
    """Apply or set aside what one mail holds: one outcome per answer in it."""
    if isinstance(result, ParseProblem):
        return [set_aside_problem(session, result, now, mailbox_uid, received_at)]
    return [
        apply(session, parsed, now, mailbox_uid=mailbox_uid, received_at=received_at)
        for parsed in result
    ]


def is_recorded(session: Session, message_key: str) -> bool:
    found = session.scalar(select(CalendarReply.id).where(CalendarReply.message_key == message_key))
    return found is not None


def apply(
    session: Session,
    parsed: ParsedReply,
    now: datetime,
    *,
    mailbox_uid: str = "",
    received_at: datetime | None = None,
) -> Handled:
    if is_recorded(session, parsed.message_key):
        return Handled(Handling.DUPLICATE)
    row = CalendarReply(
        message_key=parsed.message_key,
        mailbox_uid=_fit(mailbox_uid, "mailbox_uid"),
        sender=_fit(parsed.mail.sender, "sender"),
        attendee=_fit(parsed.attendee, "attendee"),
        event_uid=_fit(parsed.event_uid, "event_uid"),
        sequence=parsed.sequence,
        partstat=_fit(parsed.partstat, "partstat"),
        delegated_to=_fit(parsed.delegated_to, "delegated_to"),
        received_at=received_at or now,
    )
    cs = session.scalar(
        select(ConsultationSession).where(ConsultationSession.calendar_uid == parsed.event_uid)
    )
    if cs is None:
        return _record(session, row, _(REASON_UNKNOWN_UID))
    row.session_id = cs.id
    seat = _seat(session, cs.id, parsed.attendee)
    if seat is None:
        reason = _(REASON_NOT_INVITED)
        sender = parsed.mail.sender
        if sender and sender != parsed.attendee and _seat(session, cs.id, sender) is not None:
            reason = _("%(reason)s (sender %(sender)s is scheduled)", reason=reason, sender=sender)
        return _record(session, row, reason)
    sender_problem = _sender_problem(session, cs.id, parsed)
    if sender_problem:
        return _record(session, row, sender_problem)
    invitation = session.scalar(
        select(Invitation).where(
            Invitation.round_id == cs.round_id, Invitation.person_id == seat.person_id
        )
    )
    if invitation is not None:
        # The invitee may be answering on their page at this very moment.
        invitation = lock_invitation(session, invitation.id)
    row.invitation_id = invitation.id if invitation is not None else None
    last_sent = last_sequence_sent(session, cs, seat.person_id)
    if parsed.sequence < last_sent:
        return _record(session, row, f"{_(REASON_STALE)} ({parsed.sequence} < {last_sent})")
    if cs.status == SessionStatus.CANCELLED:
        return _record(session, row, _(REASON_CANCELLED))
    if seat.status == AttendeeStatus.REMOVED:
        # Normally caught as stale (their CANCEL has the next SEQUENCE); this is the answer that
        # came before that CANCEL was queued. Applied, an acceptance could seat them elsewhere.
        return _record(session, row, _(REASON_REMOVED))
    if parsed.partstat not in APPLICABLE:
        return _record(session, row, f"{_(REASON_PARTSTAT)} {parsed.partstat}")
    delegating = parsed.partstat == "DELEGATED"
    if delegating and not _valid_address(parsed.delegated_to, parsed.attendee):
        return _record(session, row, _(REASON_NO_DELEGATE))
    if (
        not delegating
        and invitation is not None
        and invitation.status == InvitationStatus.DELEGATED
    ):
        return _record(session, row, _(REASON_HANDED_ON))

    seat.partstat = parsed.partstat
    new_status = _STATUS_FOR.get(parsed.partstat)
    if invitation is not None and new_status is not None and invitation.status != new_status:
        invitation.record_change(new_status, now)
    if delegating:
        _seat_delegate(session, cs, seat, invitation, parsed)
    row.outcome = ReplyOutcome.APPLIED
    session.add(row)
    session.flush()
    if invitation is not None:
        by_invitee(
            session,
            invitation,
            AuditAction.CALENDAR_REPLY,
            {"reply_id": row.id, "session_id": cs.id, "partstat": parsed.partstat},
        )
    return Handled(Handling.APPLIED, reply_id=row.id)


def set_aside_problem(
    session: Session,
    problem: ParseProblem,
    now: datetime,
    mailbox_uid: str = "",
    received_at: datetime | None = None,
) -> Handled:
    if is_recorded(session, problem.mail.message_key):
        return Handled(Handling.DUPLICATE)
    if problem.kind == "corrupt":
        reason = f"{_(REASON_UNREADABLE)}: {problem.detail}"
    elif problem.kind == "no_calendar":
        reason = _(REASON_NO_CALENDAR)
    else:
        reason = problem.detail
    row = CalendarReply(
        message_key=problem.mail.message_key,
        mailbox_uid=_fit(mailbox_uid, "mailbox_uid"),
        sender=_fit(problem.mail.sender, "sender"),
        received_at=received_at or now,
    )
    return _record(session, row, reason)


def last_sequence_sent(session: Session, cs: ConsultationSession, person_id: int) -> int:
    """The highest SEQUENCE of this event in calendar messages queued or sent to this person.

    Read from the iCalendar each message carries rather than from its idempotency key: what
    counts is what reached (or will reach) the attendee's calendar.
    """
    payloads = session.scalars(
        select(OutboxMessage.calendar_ics).where(
            OutboxMessage.round_id == cs.round_id,
            OutboxMessage.person_id == person_id,
            OutboxMessage.calendar_ics.is_not(None),
            OutboxMessage.status.not_in([OutboxStatus.FAILED, OutboxStatus.SUPPRESSED]),
        )
    )
    highest: int | None = None
    for payload in payloads:
        if payload is None:
            continue
        for calendar in Calendar.from_ical(payload, multiple=True):
            for event in calendar.walk("VEVENT"):
                if str(event.get("UID", "")) != cs.calendar_uid:
                    continue
                sequence = int(event.get("SEQUENCE", 0))
                highest = sequence if highest is None else max(highest, sequence)
    return cs.calendar_sequence if highest is None else highest


# --- review --------------------------------------------------------------------------------


def replies_for_review(session: Session, include_all: bool = False) -> Sequence[CalendarReply]:
    query = select(CalendarReply).order_by(CalendarReply.received_at, CalendarReply.id)
    if not include_all:
        query = query.where(CalendarReply.outcome == ReplyOutcome.SET_ASIDE)
    return session.scalars(query).all()


def resolve(session: Session, reply_id: int, by: str, now: datetime) -> CalendarReply:
    """Mark a set-aside answer as handled by the secretariat. The table has no columns for who
    and when, so both are appended to the reason, where `review --all` shows them."""
    if not by.strip():
        raise ReviewError(_("say with --by who handles the answer"))
    row = session.get(CalendarReply, reply_id)
    if row is None:
        raise ReviewError(_("no calendar answer with id %(id)s", id=reply_id))
    if row.outcome != ReplyOutcome.SET_ASIDE:
        raise ReviewError(
            _(
                "calendar answer %(id)s is not set aside (%(outcome)s)",
                id=reply_id,
                outcome=row.outcome.value,
            )
        )
    row.outcome = ReplyOutcome.RESOLVED
    when = now.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M")
    row.reason = _(
        "%(reason)s — handled by %(by)s on %(when)s", reason=row.reason, by=by.strip(), when=when
    )
    return row


# --- helpers -------------------------------------------------------------------------------


def _record(session: Session, row: CalendarReply, reason: str) -> Handled:
    row.outcome = ReplyOutcome.SET_ASIDE
    row.reason = clean_text(reason)
    session.add(row)
    session.flush()
    return Handled(Handling.SET_ASIDE, reason, row.id)


def _fit(value: str, column: str) -> str:
    # Mail comes from anyone: PostgreSQL refuses a NUL byte in text, and the review lists these.
    return clean_text(value)[: _WIDTH[column]]


def _seat(session: Session, session_id: int, email: str) -> SessionAttendee | None:
    if not email:
        return None
    return session.scalar(
        select(SessionAttendee)
        .join(SessionAttendee.person)
        .where(SessionAttendee.session_id == session_id, func.lower(Person.email) == email)
    )


def _sender_problem(session: Session, session_id: int, parsed: ParsedReply) -> str:
    """Why this mail may not speak for its attendee ("" when it may)."""
    sender, attendee = parsed.mail.sender.casefold(), parsed.attendee.casefold()
    if not sender:
        return _(REASON_NO_SENDER)
    if sender == attendee:
        return ""
    handed_to = session.scalars(
        select(CalendarReply.delegated_to).where(
            CalendarReply.session_id == session_id,
            CalendarReply.outcome == ReplyOutcome.APPLIED,
            CalendarReply.partstat == "DELEGATED",
            func.lower(CalendarReply.attendee) == attendee,
        )
    )
    if any(delegate.casefold() == sender for delegate in handed_to):
        return ""
    return _(
        "%(reason)s (sender %(sender)s, attendee %(attendee)s)",
        reason=_(REASON_OTHER_SENDER),
        sender=parsed.mail.sender,
        attendee=parsed.attendee,
    )


def _valid_address(address: str, delegator: str) -> bool:
    local, at, domain = address.partition("@")
    return bool(
        at
        and local
        and "." in domain
        and len(address) <= _WIDTH["delegated_to"]
        and not any(c.isspace() for c in address)
        and address != delegator
    )


def _seat_delegate(
    session: Session,
    cs: ConsultationSession,
    seat: SessionAttendee,
    invitation: Invitation | None,
    parsed: ParsedReply,
) -> None:
    delegator = seat.person
    person = session.scalar(select(Person).where(func.lower(Person.email) == parsed.delegated_to))
    if person is None:
        # The CN is whatever the delegator's mail client sent; it opens official mail only if
        # it is a plain name (as on the web form).
        typed = clean_text(parsed.delegate_name).strip()
        person = Person(
            name=(typed if typed and is_plain_name(typed) else parsed.delegated_to)[:200],
            email=parsed.delegated_to,
            language=delegator.language,
            organisation_id=delegator.organisation_id,
        )
        session.add(person)
        session.flush()
    has_invitation = session.scalar(
        select(Invitation.id).where(
            Invitation.round_id == cs.round_id, Invitation.person_id == person.id
        )
    )
    if has_invitation is None:
        preferences = list(invitation.theme_preferences) if invitation is not None else []
        session.add(
            Invitation(
                round_id=cs.round_id,
                person_id=person.id,
                theme_preferences=preferences or [cs.theme.slug],
                status=InvitationStatus.PENDING,
                delegated_from_id=invitation.id if invitation is not None else None,
                delegation_hops=invitation.delegation_hops + 1 if invitation is not None else 1,
            )
        )
    has_seat = session.scalar(
        select(SessionAttendee.id)
        .join(SessionAttendee.session)
        .where(
            ConsultationSession.round_id == cs.round_id,
            SessionAttendee.person_id == person.id,
        )
        .limit(1)
    )
    if has_seat is None:
        session.add(SessionAttendee(session_id=cs.id, person_id=person.id))
    session.flush()

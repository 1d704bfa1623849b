"""Reminders before each deadline: to invitees who have not answered yet (before the answer
deadline), and to people taking part who have not handed in any input yet (before the input
deadline).

Each reminder moment (days before the deadline, from the round spec) sends at most one reminder
per invitation; a person who falls behind several moments gets one, not a pile; no one gets more
than the spec's maximum of each kind, and nobody who has answered (or handed in input) gets one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.i18n import format_datetime
from consult.mail.outbox import already_queued
from consult.rounds.invite import invitations_with_people, queue_for_invitee, theme_choices
from consult.rounds.seats import find_seat
from consult.spec import stored_spec
from consult.templating import MailContext
from consult.tokens import mint_link
from models import (
    Contribution,
    Invitation,
    InvitationStatus,
    OutboxKind,
    OutboxMessage,
    Round,
    Theme,
)


def reminder_key(invitation_id: int, days_before: float) -> str:
    return f"reminder:{invitation_id}:{days_before:g}d"


def current_moment(days_before: Sequence[float], deadline: datetime, now: datetime) -> float | None:
    """The reminder moment that applies now (the latest one passed), or None."""
    if now >= deadline:
        return None
    passed = [d for d in days_before if now >= deadline - timedelta(days=d)]
    return min(passed) if passed else None


def due_invitation_ids(session: Session, round_id: int, now: datetime) -> list[int]:
    rnd = session.get_one(Round, round_id)
    spec = stored_spec(rnd.spec)
    moment = current_moment(spec.reminder_days_before, rnd.answer_deadline, now)
    if moment is None:
        return []
    limit = spec.max_reminders
    sent = (
        select(OutboxMessage.invitation_id, func.count(OutboxMessage.id).label("n"))
        .where(OutboxMessage.kind == OutboxKind.REMINDER, OutboxMessage.round_id == round_id)
        .group_by(OutboxMessage.invitation_id)
        .subquery()
    )
    invited = select(OutboxMessage.invitation_id).where(
        OutboxMessage.kind == OutboxKind.INVITATION, OutboxMessage.round_id == round_id
    )
    rows = session.execute(
        select(Invitation.id)
        .outerjoin(sent, sent.c.invitation_id == Invitation.id)
        .where(
            Invitation.round_id == round_id,
            Invitation.status == InvitationStatus.PENDING,
            Invitation.id.in_(invited),  # only people who got the invitation itself
            func.coalesce(sent.c.n, 0) < limit,
        )
        .order_by(Invitation.id)
    )
    return [
        invitation_id
        for (invitation_id,) in rows
        if not already_queued(session, reminder_key(invitation_id, moment))
    ]


def queue_reminders(
    session: Session, ctx: MailContext, invitation_ids: Sequence[int], now: datetime
) -> int:
    themes = {t.slug: t for t in session.scalars(select(Theme))}
    invitations = invitations_with_people(session, invitation_ids)
    queued = 0
    for invitation in invitations:
        rnd = invitation.round
        days_before = stored_spec(rnd.spec).reminder_days_before
        moment = current_moment(days_before, rnd.answer_deadline, now)
        # Checked again here: the person may have answered since the ids were collected.
        if moment is None or invitation.status != InvitationStatus.PENDING:
            continue
        key = reminder_key(invitation.id, moment)
        if already_queued(session, key):
            continue
        queued += _queue_answer_reminder(session, ctx, invitation, themes, key)
    session.flush()
    return queued


def _queue_answer_reminder(
    session: Session,
    ctx: MailContext,
    invitation: Invitation,
    themes: Mapping[str, Theme],
    key: str,
) -> bool:
    lang, rnd = invitation.person.language, invitation.round
    theme = themes[invitation.theme_preferences[0]]
    return queue_for_invitee(
        session,
        ctx,
        invitation,
        key,
        OutboxKind.REMINDER,
        "reminder",
        {
            "theme_title": theme.title(lang),
            "choices": theme_choices(invitation, themes, lang),
            "answer_deadline": format_datetime(rnd.answer_deadline, lang),
            "answer_url": mint_link(session, ctx, invitation.id, "reminder"),
        },
    )


def input_reminder_key(invitation_id: int, days_before: float) -> str:
    return f"input-reminder:{invitation_id}:{days_before:g}d"


def _input_moment(rnd: Round, now: datetime) -> float | None:
    days_before = stored_spec(rnd.spec).input_reminder_days_before
    return current_moment(days_before, rnd.input_deadline, now)


def due_input_reminder_ids(session: Session, round_id: int, now: datetime) -> list[int]:
    """Accepted invitations without any handed-in contribution, owed an input reminder now."""
    rnd = session.get_one(Round, round_id)
    moment = _input_moment(rnd, now)
    if moment is None:
        return []
    limit = stored_spec(rnd.spec).max_reminders
    # Anonymised contributions have no person; a NULL in NOT IN would match nobody.
    handed_in = select(Contribution.person_id).where(
        Contribution.round_id == round_id,
        Contribution.draft.is_(False),
        Contribution.person_id.is_not(None),
    )
    rows = session.scalars(
        select(Invitation.id)
        .where(
            Invitation.round_id == round_id,
            Invitation.status == InvitationStatus.ACCEPTED,
            Invitation.person_id.not_in(handed_in),
        )
        .order_by(Invitation.id)
    ).all()
    sent = Counter(
        int(key.split(":")[1])
        for key in session.scalars(
            select(OutboxMessage.idempotency_key).where(
                OutboxMessage.round_id == round_id,
                OutboxMessage.idempotency_key.startswith("input-reminder:"),
            )
        )
    )
    return [
        invitation_id
        for invitation_id in rows
        if sent[invitation_id] < limit
        and not already_queued(session, input_reminder_key(invitation_id, moment))
    ]


def queue_input_reminders(
    session: Session, ctx: MailContext, invitation_ids: Sequence[int], now: datetime
) -> int:
    themes = {t.slug: t for t in session.scalars(select(Theme))}
    invitations = invitations_with_people(session, invitation_ids)
    queued = 0
    for invitation in invitations:
        rnd, person = invitation.round, invitation.person
        moment = _input_moment(rnd, now)
        # Checked again: they may have declined, or handed in input, since the ids were read.
        if moment is None or invitation.status != InvitationStatus.ACCEPTED:
            continue
        handed_in = session.scalar(
            select(Contribution.id).where(
                Contribution.round_id == rnd.id,
                Contribution.person_id == person.id,
                Contribution.draft.is_(False),
            )
        )
        key = input_reminder_key(invitation.id, moment)
        if handed_in is not None or already_queued(session, key):
            continue
        queued += _queue_input_reminder(session, ctx, invitation, themes, key)
    session.flush()
    return queued


def _queue_input_reminder(
    session: Session,
    ctx: MailContext,
    invitation: Invitation,
    themes: Mapping[str, Theme],
    key: str,
) -> bool:
    lang, rnd = invitation.person.language, invitation.round
    seat = find_seat(session, invitation)
    theme = seat.session.theme if seat else themes[invitation.theme_preferences[0]]
    link = mint_link(session, ctx, invitation.id, "input-reminder")
    return queue_for_invitee(
        session,
        ctx,
        invitation,
        key,
        OutboxKind.INPUT_REQUEST,
        "input_reminder",
        {
            "theme_title": theme.title(lang),
            "input_deadline": format_datetime(rnd.input_deadline, lang),
            "input_url": f"{link}/input",
        },
    )


def reminder_now_key(invitation_id: int, earlier: int) -> str:
    """The key of a reminder the secretariat sends by hand, after `earlier` reminders of its
    kind: two requests that read the same number make one email."""
    return f"reminder:{invitation_id}:now:{earlier}"


def input_reminder_now_key(invitation_id: int, earlier: int) -> str:
    # Starts as the scheduled input reminders' keys do: it counts towards their maximum.
    return f"input-reminder:{invitation_id}:now:{earlier}"


def queue_reminder_now(
    session: Session, ctx: MailContext, invitation: Invitation, earlier: int
) -> bool:
    """A reminder to answer, now (the invitation is pending). False when a request that read
    the same `earlier` already queued it."""
    themes = {t.slug: t for t in session.scalars(select(Theme))}
    key = reminder_now_key(invitation.id, earlier)
    added = _queue_answer_reminder(session, ctx, invitation, themes, key)
    session.flush()
    return added


def queue_input_reminder_now(
    session: Session, ctx: MailContext, invitation: Invitation, earlier: int
) -> bool:
    """A reminder to hand in input, now (the invitee takes part)."""
    themes = {t.slug: t for t in session.scalars(select(Theme))}
    key = input_reminder_now_key(invitation.id, earlier)
    added = _queue_input_reminder(session, ctx, invitation, themes, key)
    session.flush()
    return added

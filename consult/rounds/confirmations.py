"""Confirmation emails to invitees: after they accept, and after they hand in input. Written
to the outbox in the same transaction as the change they confirm."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.i18n import format_datetime
from consult.mail.outbox import already_queued
from consult.rounds.invite import queue_for_invitee, theme_choices
from consult.templating import MailContext
from consult.tokens import mint_link
from models import Invitation, OutboxKind, Theme


def queue_answer_confirmation(session: Session, ctx: MailContext, invitation: Invitation) -> bool:
    """Confirm an acceptance, naming the (first-choice) theme. One per acceptance: accepting
    again after declining confirms again, while the same answer sent twice (which changes
    nothing) does not."""
    key = f"confirmation:accepted:{invitation.id}:answer {invitation.answer_revision}"
    if already_queued(session, key):
        return False  # before minting: a token nobody receives is a needless live link
    lang, rnd = invitation.person.language, invitation.round
    themes = {
        t.slug: t
        for t in session.scalars(select(Theme).where(Theme.slug.in_(invitation.theme_preferences)))
    }
    return queue_for_invitee(
        session,
        ctx,
        invitation,
        key,
        OutboxKind.CONFIRMATION,
        "confirmation_answer",
        {
            "theme_title": themes[invitation.theme_preferences[0]].title(lang),
            "choices": theme_choices(invitation, themes, lang),
            "answer_deadline": format_datetime(rnd.answer_deadline, lang),
            "page_url": mint_link(session, ctx, invitation.id, "confirmation"),
        },
    )


def queue_input_confirmation(
    session: Session,
    ctx: MailContext,
    invitation: Invitation,
    theme: Theme,
    labels: Sequence[str],
    digest: str,
) -> bool:
    """Confirm handed-in input: `labels` name the answers, `digest` identifies their content,
    so handing in the same text twice confirms once and a changed text confirms again."""
    key = f"confirmation:input:{invitation.id}:{digest}"
    if already_queued(session, key):
        return False
    lang, rnd = invitation.person.language, invitation.round
    return queue_for_invitee(
        session,
        ctx,
        invitation,
        key,
        OutboxKind.CONFIRMATION,
        "confirmation_input",
        {
            "theme_title": theme.title(lang),
            "answers": list(labels),
            "input_deadline": format_datetime(rnd.input_deadline, lang),
            "input_url": mint_link(session, ctx, invitation.id, "confirmation") + "/input",
        },
    )

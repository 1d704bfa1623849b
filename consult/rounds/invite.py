"""Write invitation emails to the outbox, one per invitation, with a fresh link token."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from consult.i18n import format_datetime
from consult.mail.outbox import NewMessage, Recipient, enqueue, enqueue_many, queued_keys
from consult.templating import MailContext, render_email
from consult.tokens import mint_link
from models import Invitation, InvitationStatus, OutboxKind, OutboxMessage, Theme


def invitation_key(invitation_id: int) -> str:
    return f"invitation:{invitation_id}"


def pending_invitation_ids(session: Session, round_id: int) -> list[int]:
    """Invitations of the round that have no invitation email yet."""
    queued = select(OutboxMessage.invitation_id).where(
        OutboxMessage.kind == OutboxKind.INVITATION, OutboxMessage.round_id == round_id
    )
    return list(
        session.scalars(
            select(Invitation.id)
            .where(Invitation.round_id == round_id, Invitation.id.not_in(queued))
            .order_by(Invitation.id)
        )
    )


def invitations_with_people(session: Session, invitation_ids: Sequence[int]) -> list[Invitation]:
    """These invitations in id order, with person and round loaded in one query: what every
    per-invitee mailing needs."""
    return list(
        session.scalars(
            select(Invitation)
            .where(Invitation.id.in_(invitation_ids))
            .options(joinedload(Invitation.person), joinedload(Invitation.round))
            .order_by(Invitation.id)
        )
    )


def passed_on_by(invitation: Invitation) -> str | None:
    """Who passed this invitation on, as their invitation names them; None for one the
    secretariat sent."""
    if invitation.delegated_from is None:
        return None
    person = invitation.delegated_from.person
    return f"{person.name} ({person.organisation.name})"


def theme_choices(
    invitation: Invitation, themes: Mapping[str, Theme], language: str
) -> list[dict[str, object]]:
    """The themes an invitee puts in order on their page, first choice first, as the emails
    name them (title and guiding questions); empty for someone invited to a single theme. A
    round with several themes invites everyone to all of them, the one they were picked for
    first (launch)."""
    if len(invitation.theme_preferences) < 2:
        return []
    return [
        {"title": themes[slug].title(language), "questions": themes[slug].questions(language)}
        for slug in invitation.theme_preferences
    ]


def invitation_message(
    session: Session,
    ctx: MailContext,
    invitation: Invitation,
    themes: Mapping[str, Theme],
    key: str,
) -> NewMessage:
    """The invitation email of `invitation` under `key`, with a link of its own."""
    answer_url = mint_link(session, ctx, invitation.id, "invitation")
    person, rnd = invitation.person, invitation.round
    theme = themes[invitation.theme_preferences[0]]
    lang = person.language
    rendered = render_email(
        ctx.env,
        "invitation",
        lang,
        {
            "person_name": person.name,
            "round_name": rnd.name,
            "theme_title": theme.title(lang),
            "questions": theme.questions(lang),
            "choices": theme_choices(invitation, themes, lang),
            "answer_deadline": format_datetime(rnd.answer_deadline, lang),
            "answer_url": answer_url,
            "organiser_name": ctx.organiser_name,
            "delegated_by": passed_on_by(invitation),
        },
    )
    return NewMessage(
        key=key,
        kind=OutboxKind.INVITATION,
        recipient=Recipient(person.email, person.name, person.id, invitation.id),
        rendered=rendered,
        round_id=rnd.id,
    )


def queue_invitations(session: Session, ctx: MailContext, invitation_ids: Sequence[int]) -> int:
    themes = {t.slug: t for t in session.scalars(select(Theme))}
    invitations = invitations_with_people(session, invitation_ids)
    # One query for the whole batch instead of one per invitation.
    queued = queued_keys(session, [invitation_key(i.id) for i in invitations])
    messages = [
        invitation_message(session, ctx, invitation, themes, invitation_key(invitation.id))
        for invitation in invitations
        if invitation_key(invitation.id) not in queued
        and invitation.status == InvitationStatus.PENDING
    ]
    added = enqueue_many(session, messages, ctx.domain)
    session.flush()
    return added


def invitation_again_key(invitation_id: int, earlier: int) -> str:
    """The key of an invitation sent again by hand, after `earlier` invitation emails: two
    requests to send it again that read the same number make one email, not two."""
    return f"invitation:{invitation_id}:again:{earlier}"


def queue_invitation_again(
    session: Session, ctx: MailContext, invitation: Invitation, earlier: int
) -> bool:
    """Put the invitation email in the outbox once more (a fresh link; the earlier ones keep
    working). False when a request that read the same `earlier` already did."""
    themes = {t.slug: t for t in session.scalars(select(Theme))}
    message = invitation_message(
        session, ctx, invitation, themes, invitation_again_key(invitation.id, earlier)
    )
    added = enqueue_many(session, [message], ctx.domain) == 1
    session.flush()
    return added


def queue_for_invitee(
    session: Session,
    ctx: MailContext,
    invitation: Invitation,
    key: str,
    kind: OutboxKind,
    template: str,
    context: dict[str, object],
) -> bool:
    """Render `template` in the invitee's language (with their name, the round's name and the
    organiser's already in the context) and put it in the outbox under `key`."""
    person = invitation.person
    rendered = render_email(
        ctx.env,
        template,
        person.language,
        {
            "person_name": person.name,
            "round_name": invitation.round.name,
            "organiser_name": ctx.organiser_name,
            **context,
        },
    )
    return enqueue(
        session,
        key=key,
        kind=kind,
        recipient=Recipient(person.email, person.name, person.id, invitation.id),
        rendered=rendered,
        domain=ctx.domain,
        round_id=invitation.round_id,
    )

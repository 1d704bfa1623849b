"""Where a round stands, per theme: invited, answered, accepted, scheduled, input, blocks."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import (
    AttendeeStatus,
    BuildingBlock,
    ConsultationSession,
    Contribution,
    Invitation,
    InvitationStatus,
    OutboxMessage,
    OutboxStatus,
    Round,
    SessionAttendee,
    Theme,
)


class UnknownRound(LookupError):
    pass


def find_round(session: Session, slug: str) -> Round:
    rnd = session.scalar(select(Round).where(Round.slug == slug))
    if rnd is None:
        known = ", ".join(session.scalars(select(Round.slug).order_by(Round.id))) or "geen"
        raise UnknownRound(f"onbekende ronde '{slug}' (bekende rondes: {known})")
    return rnd


@dataclass(frozen=True)
class ThemeStatus:
    theme: str
    invited: int
    answered: int
    accepted: int
    scheduled: int
    contributions: int
    blocks: int


@dataclass(frozen=True)
class RoundStatusView:
    slug: str
    name: str
    status: str
    themes: tuple[ThemeStatus, ...]
    failed_addresses: tuple[tuple[str, str], ...]


def round_status(session: Session, round_id: int) -> RoundStatusView:
    rnd = session.get_one(Round, round_id)
    invited: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    accepted: Counter[str] = Counter()
    for invitation in session.scalars(select(Invitation).where(Invitation.round_id == round_id)):
        first = invitation.theme_preferences[0] if invitation.theme_preferences else ""
        invited[first] += 1
        if invitation.status != InvitationStatus.PENDING:
            answered[first] += 1
        if invitation.status == InvitationStatus.ACCEPTED:
            accepted[first] += 1

    def per_theme(query: object) -> Counter[str]:
        return Counter({slug: n for slug, n in session.execute(query)})  # type: ignore[call-overload]

    scheduled = per_theme(
        select(Theme.slug, func.count(SessionAttendee.id))
        .join(ConsultationSession, ConsultationSession.theme_id == Theme.id)
        .join(SessionAttendee, SessionAttendee.session_id == ConsultationSession.id)
        .where(
            ConsultationSession.round_id == round_id,
            SessionAttendee.status == AttendeeStatus.SCHEDULED,
        )
        .group_by(Theme.slug)
    )
    contributions = per_theme(
        select(Theme.slug, func.count(Contribution.id))
        .join(Contribution, Contribution.theme_id == Theme.id)
        .where(Contribution.round_id == round_id, Contribution.draft.is_(False))
        .group_by(Theme.slug)
    )
    blocks = per_theme(
        select(Theme.slug, func.count(BuildingBlock.id))
        .join(BuildingBlock, BuildingBlock.theme_id == Theme.id)
        .where(BuildingBlock.round_id == round_id)
        .group_by(Theme.slug)
    )
    slugs = [t["slug"] for t in rnd.spec.get("themes", [])]
    failed = session.execute(
        select(OutboxMessage.recipient_email, OutboxMessage.last_error)
        .where(OutboxMessage.round_id == round_id, OutboxMessage.status == OutboxStatus.FAILED)
        .order_by(OutboxMessage.recipient_email)
    )
    return RoundStatusView(
        slug=rnd.slug,
        name=rnd.name,
        status=rnd.status.value,
        themes=tuple(
            ThemeStatus(
                s, invited[s], answered[s], accepted[s], scheduled[s], contributions[s], blocks[s]
            )
            for s in slugs
        ),
        failed_addresses=tuple((email, error or "") for email, error in failed),
    )

"""Which candidate slots an invitee can make. The page sends the whole set each time, so saving
the same choice twice changes nothing."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, contains_eager

from consult.app import audit
from consult.i18n import gettext as _
from consult.rounds.answers import AnswerError, ensure_open
from models import Availability, CandidateSlot, Invitation, InvitationStatus, Theme


def offered_slots(session: Session, invitation: Invitation) -> list[CandidateSlot]:
    """The round's candidate slots for the invitee's themes, in their order of preference and
    then in time order."""
    order = {slug: n for n, slug in enumerate(invitation.theme_preferences)}
    slots = session.scalars(
        select(CandidateSlot)
        .join(CandidateSlot.theme)
        .where(CandidateSlot.round_id == invitation.round_id, Theme.slug.in_(order))
        # The theme is joined anyway: load it from the same rows, not one query per theme.
        .options(contains_eager(CandidateSlot.theme))
    ).all()
    return sorted(slots, key=lambda s: (order[s.theme.slug], s.start, s.id))


def marked_slot_ids(session: Session, invitation_id: int) -> set[int]:
    return set(
        session.scalars(
            select(Availability.slot_id).where(Availability.invitation_id == invitation_id)
        )
    )


def set_availability(
    session: Session, invitation: Invitation, slot_ids: Collection[int], now: datetime
) -> bool:
    """Make the invitee's marked slots exactly `slot_ids`; False when they already were."""
    ensure_open(invitation, now)
    if invitation.status != InvitationStatus.ACCEPTED:
        # Availability only means something for people who take part.
        raise AnswerError("geef eerst aan dat u meedoet", "not_accepted")
    offered = {s.id for s in offered_slots(session, invitation)}
    unknown = set(slot_ids) - offered
    if unknown:
        raise AnswerError(_("unknown time: %(slots)s", slots=sorted(unknown)), "unknown_slot")
    current = marked_slot_ids(session, invitation.id)
    wanted = set(slot_ids)
    if current == wanted:
        return False
    if current - wanted:
        session.execute(
            delete(Availability).where(
                Availability.invitation_id == invitation.id,
                Availability.slot_id.in_(current - wanted),
            )
        )
    for slot_id in sorted(wanted - current):
        session.add(Availability(invitation_id=invitation.id, slot_id=slot_id, created_at=now))
    session.flush()
    audit.by_invitee(session, invitation, audit.Action.AVAILABILITY, {"slots": sorted(wanted)})
    return True

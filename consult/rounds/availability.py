"""Which candidate times an invitee can make.

Slots belong to a theme, but a person's time does not: when several of their themes have a slot
at the same time, the page asks about that time once, and a tick counts for every one of those
slots. The scheduler keeps reading availability per slot. The page sends the whole set each
time, so saving the same choice twice changes nothing."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, contains_eager

from consult.i18n import gettext as _
from consult.rounds.answers import AnswerError, ensure_open
from models import Availability, CandidateSlot, Invitation, InvitationStatus, Theme
from models.audit import AuditAction, by_invitee


@dataclass(frozen=True)
class CandidateTime:
    """One time the invitee is asked about: the slots of their themes that start and end then
    (ids in the invitee's order of preference, with their themes' slugs)."""

    start: datetime
    end: datetime
    slot_ids: tuple[int, ...]
    theme_slugs: tuple[str, ...]

    @property
    def id(self) -> int:
        """What the form sends for this time: any of its slot ids would do; the lowest stays
        the same when the invitee reorders their themes."""
        return min(self.slot_ids)


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


def offered_times(session: Session, invitation: Invitation) -> list[CandidateTime]:
    """The invitee's candidate times in time order, each once however many of their themes
    have a slot then."""
    grouped: dict[tuple[datetime, datetime], list[CandidateSlot]] = {}
    for slot in offered_slots(session, invitation):
        grouped.setdefault((slot.start, slot.end), []).append(slot)
    return [
        CandidateTime(start, end, tuple(s.id for s in slots), tuple(s.theme.slug for s in slots))
        for (start, end), slots in sorted(grouped.items())
    ]


def marked_slot_ids(session: Session, invitation_id: int) -> set[int]:
    return set(
        session.scalars(
            select(Availability.slot_id).where(Availability.invitation_id == invitation_id)
        )
    )


def ticked_slot_ids(times: Collection[CandidateTime], slot_ids: Collection[int]) -> set[int]:
    """Every slot that `slot_ids` tick: a slot of a time ticks all the slots of that time.
    Raises AnswerError for an id that is not one of these times' slots."""
    by_slot = {slot_id: time for time in times for slot_id in time.slot_ids}
    unknown = set(slot_ids) - by_slot.keys()
    if unknown:
        raise AnswerError(_("unknown time: %(slots)s", slots=sorted(unknown)), "unknown_slot")
    return {slot_id for given in slot_ids for slot_id in by_slot[given].slot_ids}


def set_availability(
    session: Session, invitation: Invitation, slot_ids: Collection[int], now: datetime
) -> bool:
    """Make the invitee's marked times exactly those of `slot_ids` (each id stands for its
    time: see ticked_slot_ids); False when they already were."""
    ensure_open(invitation, now)
    if invitation.status != InvitationStatus.ACCEPTED:
        # Availability only means something for people who take part.
        raise AnswerError("geef eerst aan dat u meedoet", "not_accepted")
    wanted = ticked_slot_ids(offered_times(session, invitation), slot_ids)
    current = marked_slot_ids(session, invitation.id)
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
    by_invitee(session, invitation, AuditAction.AVAILABILITY, {"slots": sorted(wanted)})
    return True

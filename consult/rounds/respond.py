"""An invitee's whole answer in one step: yes or no, and with a yes the order of their themes
and the times that suit them. The invitation page's answer form and the demo's simulated
invitees both go through here."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from consult.rounds.answers import record_answer
from consult.rounds.availability import set_availability
from consult.rounds.ranking import rank_themes
from models import Invitation


@dataclass(frozen=True)
class Reply:
    accepted: bool
    # Theme slugs, first choice first; None leaves the order as it is.
    ranking: Sequence[str] | None = None
    # The ticked times (a slot id of each: see availability.ticked_slot_ids); None leaves
    # them as they are, an empty set unticks every time.
    slot_ids: Collection[int] | None = None


@dataclass(frozen=True)
class Replied:
    answer_changed: bool
    ranking_changed: bool = False
    times_changed: bool = False

    @property
    def changed(self) -> bool:
        return self.answer_changed or self.ranking_changed or self.times_changed


def respond(session: Session, invitation: Invitation, reply: Reply, now: datetime) -> Replied:
    """Apply `reply` to the (locked) invitation. A no leaves the order and the times alone.
    Raises AnswerError for a part that cannot be applied; the caller's unit of work then rolls
    back the parts already applied, so an answer is taken whole or not at all."""
    if not reply.accepted:
        return Replied(record_answer(invitation, False, now))
    # The order first: the acceptance's confirmation names the first choice.
    ranked = reply.ranking is not None and rank_themes(invitation, reply.ranking, now)
    answered = record_answer(invitation, True, now)
    timed = reply.slot_ids is not None and set_availability(
        session, invitation, reply.slot_ids, now
    )
    return Replied(answered, ranked, timed)

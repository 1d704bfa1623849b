"""The one place where a round changes status.

A round moves forward only: inviting → scheduled → collecting → synthesised → reported, and
from any of them to closed. Each step may be skipped (input can come in before anyone is
scheduled, a report can be written from drafts). Asking for a step the round has already
passed changes nothing, so every use case stays safe to repeat; a closed round refuses every
change.
"""

from __future__ import annotations

from models import Round, RoundStatus

ORDER: tuple[RoundStatus, ...] = (
    RoundStatus.INVITING,
    RoundStatus.SCHEDULED,
    RoundStatus.COLLECTING,
    RoundStatus.SYNTHESISED,
    RoundStatus.REPORTED,
    RoundStatus.CLOSED,
)

STATUS_NL: dict[RoundStatus, str] = {
    RoundStatus.INVITING: "uitnodigen",
    RoundStatus.SCHEDULED: "ingedeeld",
    RoundStatus.COLLECTING: "inbreng verzamelen",
    RoundStatus.SYNTHESISED: "bouwstenen gemaakt",
    RoundStatus.REPORTED: "rapport geschreven",
    RoundStatus.CLOSED: "gesloten",
}


class IllegalTransition(ValueError):
    """The round cannot make this step; the message (Dutch) says why."""


def allowed(current: RoundStatus, target: RoundStatus) -> bool:
    """Whether a round in `current` may move to `target` (forward only; closed is final)."""
    if current == RoundStatus.CLOSED:
        return False
    return ORDER.index(target) > ORDER.index(current)


def advance(rnd: Round, target: RoundStatus) -> bool:
    """Move the round forward to `target`; True if its status changed. A round already at or
    past `target` stays where it is (a repeated use case changes nothing)."""
    if rnd.status == RoundStatus.CLOSED:
        raise IllegalTransition(f"ronde '{rnd.slug}' is gesloten; er kan niets meer aan veranderen")
    if not allowed(rnd.status, target):
        return False
    rnd.status = target
    return True


def close(rnd: Round) -> bool:
    """Close the round: links stop working and the service leaves it alone."""
    if rnd.status == RoundStatus.CLOSED:
        return False
    rnd.status = RoundStatus.CLOSED
    return True

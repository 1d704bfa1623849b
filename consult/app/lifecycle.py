"""The one place where a round changes status, and where an invitation is withdrawn.

A round moves forward only: inviting → scheduled → collecting → synthesised → reported, and
from any of them to closed. Each step may be skipped (input can come in before anyone is
scheduled, a report can be written from drafts). Asking for a step the round has already
passed changes nothing, so every use case stays safe to repeat; a closed round refuses every
change.
"""

from __future__ import annotations

from datetime import datetime

from consult.i18n import gettext as _
from consult.i18n import pgettext
from models import Invitation, InvitationStatus, Round, RoundStatus

ORDER: tuple[RoundStatus, ...] = (
    RoundStatus.INVITING,
    RoundStatus.SCHEDULED,
    RoundStatus.COLLECTING,
    RoundStatus.SYNTHESISED,
    RoundStatus.REPORTED,
    RoundStatus.CLOSED,
)


def status_label(status: RoundStatus) -> str:
    """The round's status as the secretariat reads it, in the current language."""
    labels = {
        RoundStatus.INVITING: pgettext("round status", "inviting"),
        RoundStatus.SCHEDULED: pgettext("round status", "scheduled"),
        RoundStatus.COLLECTING: pgettext("round status", "collecting input"),
        RoundStatus.SYNTHESISED: pgettext("round status", "building blocks made"),
        RoundStatus.REPORTED: pgettext("round status", "report written"),
        RoundStatus.CLOSED: pgettext("round status", "closed"),
    }
    return labels[status]


class IllegalTransition(ValueError):
    """The round cannot make this step; the message (in the reader's language) says why."""


def allowed(current: RoundStatus, target: RoundStatus) -> bool:
    """Whether a round in `current` may move to `target` (forward only; closed is final)."""
    if current == RoundStatus.CLOSED:
        return False
    return ORDER.index(target) > ORDER.index(current)


def advance(rnd: Round, target: RoundStatus) -> bool:
    """Move the round forward to `target`; True if its status changed. A round already at or
    past `target` stays where it is (a repeated use case changes nothing)."""
    if rnd.status == RoundStatus.CLOSED:
        raise IllegalTransition(
            _("round '%(round)s' is closed; nothing about it can change any more", round=rnd.slug)
        )
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


def withdraw_invitation(invitation: Invitation, by_account_id: int | None, now: datetime) -> bool:
    """The secretariat takes an invitation back: whatever its answer, it is withdrawn, its
    links stop working and nothing more is sent for it. Final, like a closed round; True if
    it changed. A closed round refuses it."""
    rnd = invitation.round
    if rnd.status == RoundStatus.CLOSED:
        raise IllegalTransition(
            _("round '%(round)s' is closed; nothing about it can change any more", round=rnd.slug)
        )
    if invitation.status == InvitationStatus.WITHDRAWN:
        return False
    invitation.status = InvitationStatus.WITHDRAWN
    invitation.withdrawn_at = now
    invitation.withdrawn_by_id = by_account_id
    return True

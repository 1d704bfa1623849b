"""An invitee invited to several themes puts them in order; scheduling seats them in their
first choice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import object_session

from consult.i18n import gettext as _
from consult.rounds.answers import AnswerError, ensure_open
from models import Invitation
from models.audit import AuditAction, by_invitee


def rank_themes(invitation: Invitation, ordered: Sequence[str], now: datetime) -> bool:
    """Store the invitee's order of themes; False when it already was this order."""
    ensure_open(invitation, now)
    current = invitation.theme_preferences
    if len(ordered) != len(current) or set(ordered) != set(current):
        # Every theme exactly once: the order may change, the set of themes may not.
        raise AnswerError(_("put every theme in the order exactly once"), "bad_ranking")
    if list(ordered) == current:
        return False
    invitation.theme_preferences = list(ordered)
    session = object_session(invitation)
    if session is not None:
        by_invitee(session, invitation, AuditAction.RANKING, {"themes": list(ordered)})
    return True

"""An invitee's answer to an invitation. The web pages and the demo both go through here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from models import Invitation, InvitationStatus, Round


class AnswerError(ValueError):
    pass


def record_answer(
    invitation: Invitation,
    accepted: bool,
    now: datetime,
    theme_preferences: Sequence[str] | None = None,
) -> bool:
    """Apply an accept or decline; False when nothing changed (the same answer twice)."""
    rnd: Round = invitation.round
    if now > rnd.answer_deadline:
        raise AnswerError("de termijn om te antwoorden is verstreken")
    if invitation.status == InvitationStatus.DELEGATED:
        raise AnswerError("deze uitnodiging is doorgegeven aan een collega")
    status = InvitationStatus.ACCEPTED if accepted else InvitationStatus.DECLINED
    preferences = list(theme_preferences) if theme_preferences else invitation.theme_preferences
    allowed = {t["slug"] for t in rnd.spec.get("themes", [])}
    unknown = [p for p in preferences if p not in allowed]
    if unknown:
        raise AnswerError(f"onbekend thema: {', '.join(unknown)}")
    if invitation.status == status and invitation.theme_preferences == preferences:
        return False
    invitation.status = status
    invitation.theme_preferences = preferences
    invitation.answered_at = now
    return True

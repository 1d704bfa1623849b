"""An invitee's answer to an invitation. The web pages and the demo both go through here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from consult.i18n import gettext as _
from consult.spec import stored_spec
from models import Invitation, InvitationStatus, Round
from models.audit import AuditAction, by_invitee


class AnswerError(ValueError):
    """A change the invitation does not allow (now). `code` lets a page say why in the reader's
    language; the message is for logs and the command line."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


def lock_invitation(session: Session, invitation_id: int) -> Invitation:
    """The invitation, read afresh and locked until the transaction ends: every change an
    invitee makes starts here, so two requests for one invitation (a double click, a retrying
    browser, a mail scanner replaying a form) run one after the other, and the second sees
    what the first did. On SQLite the transaction's write lock already does this."""
    return session.scalars(
        select(Invitation)
        .where(Invitation.id == invitation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def ensure_open(invitation: Invitation, now: datetime, *, withdrawing: bool = False) -> None:
    """Raise unless the invitee may still change their answer, availability or ranking.
    Withdrawing (someone taking part who can no longer come) stays possible after the answer
    deadline, until the input deadline: scheduling then frees their seat."""
    rnd: Round = invitation.round
    late_withdrawal = withdrawing and now < rnd.input_deadline
    if now > rnd.answer_deadline and not late_withdrawal:
        raise AnswerError(_("the time to answer has passed"), "deadline")
    if invitation.status == InvitationStatus.DELEGATED:
        raise AnswerError(_("this invitation was handed on to a colleague"), "delegated")


def record_answer(
    invitation: Invitation,
    accepted: bool,
    now: datetime,
    theme_preferences: Sequence[str] | None = None,
) -> bool:
    """Apply an accept or decline; False when nothing changed (the same answer twice)."""
    withdrawing = not accepted and invitation.status == InvitationStatus.ACCEPTED
    ensure_open(invitation, now, withdrawing=withdrawing and theme_preferences is None)
    rnd: Round = invitation.round
    status = InvitationStatus.ACCEPTED if accepted else InvitationStatus.DECLINED
    preferences = list(theme_preferences) if theme_preferences else invitation.theme_preferences
    allowed = {t.slug for t in stored_spec(rnd.spec).themes}
    unknown = [p for p in preferences if p not in allowed]
    if unknown:
        raise AnswerError(
            _("unknown theme: %(themes)s", themes=", ".join(unknown)), "unknown_theme"
        )
    if invitation.status == status and invitation.theme_preferences == preferences:
        return False
    invitation.theme_preferences = preferences
    invitation.record_change(status, now)
    session = object_session(invitation)
    if session is not None:
        by_invitee(
            session,
            invitation,
            AuditAction.ANSWER,
            {"status": status.value, "themes": preferences},
        )
    return True

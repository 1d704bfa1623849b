"""An invitee passes their invitation on to a colleague: the colleague gets an invitation (and
an invitation email with a link) of their own, and the original is marked delegated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.rounds.answers import AnswerError, ensure_open
from consult.rounds.invite import queue_invitations
from consult.templating import MailContext
from models import Invitation, InvitationStatus, Organisation, Person
from models.db import insert_or_get

MAX_NAME = 200
MAX_EMAIL = 254


@dataclass(frozen=True)
class Colleague:
    name: str
    email: str
    organisation: str


def parse_colleague(
    name: str, email: str, organisation: str
) -> tuple[Colleague | None, dict[str, str]]:
    """Validate the form's three fields; returns the colleague or error codes per field."""
    name, email, organisation = name.strip(), email.strip(), organisation.strip()
    errors: dict[str, str] = {}
    for field, value, limit in (("name", name, MAX_NAME), ("organisation", organisation, MAX_NAME)):
        if not value:
            errors[field] = "required"
        elif len(value) > limit:
            errors[field] = "too_long"
    normalized = ""
    if not email:
        errors["email"] = "required"
    elif len(email) > MAX_EMAIL:
        errors["email"] = "too_long"
    else:
        try:
            normalized = validate_email(email, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            errors["email"] = "bad_email"
    if errors:
        return None, errors
    return Colleague(name, normalized, organisation), {}


def _organisation(session: Session, name: str, like: Organisation) -> Organisation:
    """The colleague's organisation by name in the inviter's region, made if it is new. A new
    one gets the inviter's sector: a delegate almost always works in the same field, and the
    secretariat can correct it in the registry."""

    def found() -> Organisation | None:
        return session.scalar(
            select(Organisation).where(
                func.lower(Organisation.name) == name.lower(),
                Organisation.region_id == like.region_id,
            )
        )

    # Two invitees of one organisation may name the same new one at the same moment.
    return found() or insert_or_get(
        session, Organisation(name=name, sector=like.sector, region_id=like.region_id), found
    )


def delegate(
    session: Session,
    invitation: Invitation,
    colleague: Colleague,
    ctx: MailContext,
    now: datetime,
) -> Invitation:
    """Invite the colleague in the invitee's place; returns the colleague's invitation."""
    ensure_open(invitation, now)
    inviter: Person = invitation.person
    if colleague.email == inviter.email.lower():
        raise AnswerError("u kunt de uitnodiging niet aan uzelf doorgeven", "self")

    def known() -> Person | None:
        return session.scalar(select(Person).where(func.lower(Person.email) == colleague.email))

    person = known()
    if person is None:
        org = _organisation(session, colleague.organisation, inviter.organisation)
        new_person = Person(
            name=colleague.name,
            email=colleague.email,
            # The inviter's language is the best guess; the colleague can switch on their page.
            language=inviter.language,
            organisation_id=org.id,
        )
        person = insert_or_get(session, new_person, known)
    person_id = person.id

    def invited() -> Invitation | None:
        return session.scalar(
            select(Invitation).where(
                Invitation.round_id == invitation.round_id, Invitation.person_id == person_id
            )
        )

    already = AnswerError("deze collega is al uitgenodigd voor deze ronde", "already_invited")
    if invited() is not None:
        raise already
    theirs = Invitation(
        round_id=invitation.round_id,
        person_id=person_id,
        theme_preferences=list(invitation.theme_preferences),
        created_at=now,
    )
    # Another invitee may be passing their invitation on to the same colleague right now.
    if insert_or_get(session, theirs, invited) is not theirs:
        raise already
    invitation.record_change(InvitationStatus.DELEGATED, now)
    session.flush()
    queue_invitations(session, ctx, [theirs.id])
    return theirs

"""An invitee passes their invitation on to a colleague: the colleague gets an invitation (and
an invitation email with a link) of their own, and the original is marked delegated."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.i18n import gettext as _
from consult.rounds.answers import AnswerError, ensure_open
from consult.rounds.invite import queue_invitations
from consult.templating import MailContext
from models import DelegationAttempt, Invitation, InvitationStatus, Organisation, Person
from models.audit import AuditAction, by_invitee
from models.db import insert_or_get

MAX_NAME = 200
MAX_EMAIL = 254
LANGUAGES = ("nl", "en")
# What the colleague's invitation email would otherwise carry in the secretariat's name: a
# web address ("Win a prize at http://evil.example/0") or markup. A name has neither.
# The last alternative wants a lower-case ending ("zorg.nl"), so "dr.Jansen" stays a name.
_WEB_ADDRESS = re.compile(r"(?i:://|www\.|@|[\w-]+\.[a-z]{2,}/)|\b[\w-]{2,}\.[a-z]{2,}\b")
_MARKUP = frozenset("<>")
# Control and format characters (line breaks, bidirectional overrides) hide or reorder text.
_CONTROL = frozenset({"Cc", "Cf", "Zl", "Zp"})


@dataclass(frozen=True)
class Colleague:
    name: str
    email: str
    organisation: str
    # The colleague's language and their organisation's sector, as the delegator chose them.
    language: str
    sector: str


def is_plain_name(value: str) -> bool:
    """Whether `value` can open an official email ("Dear <name>"): no web or email address,
    no markup, no control characters."""
    return not _not_a_name(value)


def _not_a_name(value: str) -> bool:
    return (
        any(char in _MARKUP or unicodedata.category(char) in _CONTROL for char in value)
        or _WEB_ADDRESS.search(value) is not None
    )


def parse_colleague(
    name: str,
    email: str,
    organisation: str,
    language: str,
    sector: str,
    sectors: Collection[str],
) -> tuple[Colleague | None, dict[str, str]]:
    """Validate the form's fields; returns the colleague or error codes per field.

    `sectors` are the taxonomy's sector codes.
    """
    name, email, organisation = name.strip(), email.strip(), organisation.strip()
    errors: dict[str, str] = {}
    for field, value, limit in (("name", name, MAX_NAME), ("organisation", organisation, MAX_NAME)):
        if not value:
            errors[field] = "required"
        elif len(value) > limit:
            errors[field] = "too_long"
        elif _not_a_name(value):
            errors[field] = "not_a_name"
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
    if language not in LANGUAGES:
        errors["language"] = "required"
    if not sector:
        errors["sector"] = "required"
    elif sector not in sectors:
        errors["sector"] = "unknown_sector"
    if errors:
        return None, errors
    return Colleague(name, normalized, organisation, language, sector), {}


def may_delegate(invitation: Invitation, max_hops: int) -> bool:
    """Whether this invitation may be passed on once more (`max_hops` in a row at most)."""
    return invitation.delegation_hops < max_hops


def _ensure_may_delegate(invitation: Invitation, now: datetime, max_hops: int) -> None:
    ensure_open(invitation, now)
    if not may_delegate(invitation, max_hops):
        raise AnswerError(_("this invitation cannot be handed on once more"), "max_hops")


def note_attempt(
    session: Session, invitation: Invitation, now: datetime, per_day: int, max_hops: int
) -> None:
    """Count an attempt to pass the invitation on; refuse one beyond `per_day` in 24 hours.

    The caller commits this before trying: a refused attempt counts too, or trying addresses
    one after another would cost nothing. An invitation that cannot be passed on at all is
    refused for that reason, and nothing is counted.
    """
    _ensure_may_delegate(invitation, now, max_hops)
    since = now - timedelta(days=1)
    made = session.scalar(
        select(func.count(DelegationAttempt.id)).where(
            DelegationAttempt.invitation_id == invitation.id,
            DelegationAttempt.created_at > since,
        )
    )
    if (made or 0) >= per_day:
        raise AnswerError(_("too many attempts to hand on the invitation"), "too_many")
    session.add(DelegationAttempt(invitation_id=invitation.id, created_at=now))


def _organisation(session: Session, name: str, sector: str, like: Organisation) -> Organisation:
    """The colleague's organisation by name in the inviter's region, made with the sector the
    inviter gave if it is new. One the registry already has keeps its own sector."""

    def found() -> Organisation | None:
        return session.scalar(
            select(Organisation).where(
                func.lower(Organisation.name) == name.lower(),
                Organisation.region_id == like.region_id,
            )
        )

    # Two invitees of one organisation may name the same new one at the same moment.
    return found() or insert_or_get(
        session, Organisation(name=name, sector=sector, region_id=like.region_id), found
    )


def delegate(
    session: Session,
    invitation: Invitation,
    colleague: Colleague,
    ctx: MailContext,
    now: datetime,
    max_hops: int,
) -> Invitation:
    """Invite the colleague in the invitee's place; returns the colleague's invitation."""
    _ensure_may_delegate(invitation, now, max_hops)
    inviter: Person = invitation.person
    if colleague.email == inviter.email.lower():
        raise AnswerError(_("you cannot hand the invitation on to yourself"), "self")

    def known() -> Person | None:
        return session.scalar(select(Person).where(func.lower(Person.email) == colleague.email))

    person = known()
    if person is None:
        org = _organisation(session, colleague.organisation, colleague.sector, inviter.organisation)
        new_person = Person(
            name=colleague.name,
            email=colleague.email,
            language=colleague.language,
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

    already = AnswerError(_("this colleague is already invited to this round"), "already_invited")
    if invited() is not None:
        raise already
    theirs = Invitation(
        round_id=invitation.round_id,
        person_id=person_id,
        theme_preferences=list(invitation.theme_preferences),
        created_at=now,
        delegated_from_id=invitation.id,
        delegation_hops=invitation.delegation_hops + 1,
    )
    # Another invitee may be passing their invitation on to the same colleague right now.
    if insert_or_get(session, theirs, invited) is not theirs:
        raise already
    invitation.record_change(InvitationStatus.DELEGATED, now)
    session.flush()
    by_invitee(
        session,
        invitation,
        AuditAction.DELEGATION,
        {"delegate_invitation_id": theirs.id, "delegate_person_id": person_id},
    )
    queue_invitations(session, ctx, [theirs.id])
    return theirs

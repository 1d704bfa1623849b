"""Token links and form protection for the invitee pages.

A link carries a random token (256 bits from `secrets`, see consult.tokens); the database holds
only its SHA-256, so a copy of the database opens no one's page. A token works while its
round is open: not once the round is closed, and not later than the input deadline plus a
grace period. Unknown and expired tokens look the same to the visitor.

Forms carry a CSRF token: an HMAC of the access token's hash under a server secret. A page
on another site cannot compute it, so it cannot make an invitee's browser post an answer.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from consult.tokens import hash_token
from models import AccessToken, Invitation, InvitationStatus, Round, RoundStatus

# token_urlsafe(32) makes 43 characters; anything that cannot be one of ours is turned away
# before the database is asked. 22 characters of base64url are 128 bits, the least we accept.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{22,128}")


@dataclass(frozen=True)
class Access:
    """A valid link: the invitation it opens and the hash of the token that opened it."""

    invitation: Invitation
    token_hash: str


def link_expired(rnd: Round, now: datetime, grace: timedelta) -> bool:
    return rnd.status == RoundStatus.CLOSED or now > rnd.input_deadline + grace


def resolve(session: Session, token: str, now: datetime, grace: timedelta) -> Access | None:
    """The invitation behind a link token, or None when the token is unknown or expired."""
    if not _TOKEN_SHAPE.fullmatch(token):
        return None
    token_hash = hash_token(token)
    row = session.scalar(
        select(AccessToken)
        .where(AccessToken.token_hash == token_hash)
        .options(
            joinedload(AccessToken.invitation).joinedload(Invitation.round),
            joinedload(AccessToken.invitation).joinedload(Invitation.person),
        )
    )
    if row is None or link_expired(row.invitation.round, now, grace):
        return None
    if row.invitation.status == InvitationStatus.WITHDRAWN:
        return None  # the secretariat took the invitation back
    return Access(row.invitation, token_hash)


def csrf_token(secret: bytes, token_hash: str) -> str:
    return hmac.new(secret, f"csrf:{token_hash}".encode("ascii"), hashlib.sha256).hexdigest()


def csrf_valid(secret: bytes, token_hash: str, submitted: str | None) -> bool:
    if not submitted:
        return False
    # Compared as bytes: compare_digest refuses str with non-ASCII characters, which a forged
    # form may well send.
    expected = csrf_token(secret, token_hash).encode("ascii")
    return hmac.compare_digest(expected, submitted.encode("utf-8"))

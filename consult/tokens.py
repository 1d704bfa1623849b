"""Link tokens: long random values handed out once; only their hash is stored."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy.orm import Session

from models import AccessToken


def new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def mint_link(session: Session, base_url: str, invitation_id: int, purpose: str) -> str:
    """Store a new token for the invitation and return the link that carries it."""
    token = new_token()
    session.add(
        AccessToken(invitation_id=invitation_id, token_hash=hash_token(token), purpose=purpose)
    )
    return f"{base_url}/i/{token}"

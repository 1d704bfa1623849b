"""Link tokens: long random values handed out once; only their hash is stored.

An email that carries a link is stored in the outbox with a placeholder where the token goes,
and the token itself sealed (encrypted) with a key derived from `secret_key`, which lives in the
configuration and never in the database. The sender unseals it and puts it in the message as it
goes out, then forgets the sealed copy: neither a copy of the database nor the logs open anyone's
page, while the sent message stays on record (who got what, when) with its placeholder.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Final, Protocol

from sqlalchemy.orm import Session

from consult.i18n import gettext as _
from models import AccessToken

# The placeholder a stored body holds where a link's token goes: "[link:<16 hex>]". The id only
# pairs the placeholder with its sealed token; it opens nothing.
PLACEHOLDER_RE: Final = re.compile(r"\[link:([0-9a-f]{16})\]")
# A token in a link (an invitee's page, a workplace password reset), as in an access log line,
# also a wrong one: a log need not tell which guesses came close, and a real token in a request
# line must not survive.
TOKEN_IN_PATH_RE: Final = re.compile(r"(/i/|/werkplek/wachtwoord/)[A-Za-z0-9_-]+")
REDACTED_PATH: Final = "/i/…"
# Where `mint_link` leaves the tokens it sealed for the outbox to pick up in the same session.
_SEALED_KEY: Final = "consult.sealed_links"


def new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Sealer:
    """Seals and unseals short secrets with a key derived from the installation's secret; each
    `purpose` gets a key of its own."""

    def __init__(self, secret: bytes, purpose: bytes) -> None:
        # Imported here: commands that read the database only (round status) start faster.
        from cryptography.fernet import Fernet
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        # A key per purpose, so the CSRF signatures made with the same secret reveal nothing.
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode("ascii")).decode("ascii")

    def unseal(self, sealed: str) -> str:
        """The value; ValueError when it was sealed with another key or is damaged."""
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError) as exc:
            raise ValueError(self.unreadable()) from exc

    def unreadable(self) -> str:
        return _("a stored secret cannot be decrypted: was secret_key changed since it was stored?")


class LinkSealer(Sealer):
    """Seals and unseals link tokens with a key derived from the installation's secret."""

    def __init__(self, secret: bytes) -> None:
        super().__init__(secret, b"consult link tokens")

    def unreadable(self) -> str:
        return _(
            "the personal link cannot be decrypted: was secret_key changed since it was queued?"
        )


def secret_from_file(path: Path) -> bytes:
    """The secret in `path`, made (random, readable by this user only) if there is none yet.

    Used when no secret_key is configured, so a single machine works without set-up; several
    machines must share one secret_key.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(secrets.token_urlsafe(32) + "\n")
        try:
            # A link appears complete or not at all, and never replaces one another process
            # made first: every process then reads the same secret.
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    secret = path.read_bytes().strip()
    if not secret:
        raise ValueError(_("%(path)s is empty; remove it, or set secret_key", path=path))
    return secret


class LinkContext(Protocol):
    """Where links point and how their tokens are sealed (consult.templating.MailContext)."""

    @property
    def base_url(self) -> str: ...

    @property
    def sealer(self) -> LinkSealer: ...


def mint_link(session: Session, ctx: LinkContext, invitation_id: int, purpose: str) -> str:
    """Store a new token for the invitation and return the link that will carry it.

    The link holds a placeholder; the token, sealed, waits in the session until the outbox
    stores it next to the message whose body holds the placeholder (`sealed_links_in`).
    """
    token = new_token()
    session.add(
        AccessToken(invitation_id=invitation_id, token_hash=hash_token(token), purpose=purpose)
    )
    return f"{ctx.base_url}/i/{seal_link(session, ctx.sealer, token)}"


def seal_link(session: Session, sealer: LinkSealer, token: str) -> str:
    """The placeholder that stands for `token` in a message composed in this session; the
    token, sealed, waits in the session until the outbox stores it (`sealed_links_in`)."""
    link_id = secrets.token_hex(8)
    session.info.setdefault(_SEALED_KEY, {})[link_id] = sealer.seal(token)
    return f"[link:{link_id}]"


def sealed_links_in(session: Session, *texts: str) -> dict[str, str] | None:
    """The sealed tokens of the placeholders in `texts` (minted in this session), or None."""
    minted: Mapping[str, str] = session.info.get(_SEALED_KEY, {})
    found: dict[str, str] = {}
    for text in texts:
        for link_id in PLACEHOLDER_RE.findall(text):
            # Anything else that looks like a placeholder (a name someone typed) stays text.
            if link_id in minted:
                found[link_id] = minted[link_id]
    return found or None


def fill_links(text: str, tokens: Mapping[str, str]) -> str:
    """`text` with each placeholder replaced by its token."""

    def token_for(match: re.Match[str]) -> str:
        return tokens.get(match.group(1), match.group(0))

    return PLACEHOLDER_RE.sub(token_for, text)


def redact_links(text: str) -> str:
    """`text` with every raw token in a link cut out (log lines, old stored mail)."""
    return TOKEN_IN_PATH_RE.sub(r"\1…", text)

"""What is left of an erased person: the hash of their address, so no mail reaches it again."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


def address_hash(email: str) -> str:
    """SHA-256 of the address as the outbox compares it (trimmed, lower case)."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


class ErasedAddress(Base):
    """An address whose owner was erased. Only its hash is kept: enough to recognise the
    address when mail is about to go to it, not enough to read it back."""

    __tablename__ = "erased_address"

    id: Mapped[int] = mapped_column(primary_key=True)
    address_hash: Mapped[str] = mapped_column(String(64), unique=True)
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)

"""Who may use the workplace: accounts with a role, their sessions and password-reset links."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, enum_column, utcnow
from models.registry import Region


class Role(StrEnum):
    # Manages accounts.
    BEHEERDER = "beheerder"
    # Rounds, registry, mailings.
    SECRETARIAAT = "secretariaat"
    # Building blocks and reports.
    STAF = "staf"
    # A read-only view of their own regions.
    REGIOCOORDINATOR = "regiocoordinator"


# The regions a regional coordinator looks after.
account_region = Table(
    "account_region",
    Base.metadata,
    Column("account_id", ForeignKey("account.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("region.id"), primary_key=True),
)


class Account(Base):
    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lower case
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    # argon2id, in the PHC string format argon2-cffi writes (parameters and salt included).
    password_hash: Mapped[str] = mapped_column(String(200))
    # The TOTP secret, encrypted with a key derived from the installation's secret (never in
    # the database), so a copy of the database holds no usable second factor.
    totp_secret_sealed: Mapped[str] = mapped_column(Text)
    # The last 30-second step a code was accepted for: a code works once.
    totp_last_step: Mapped[int | None]
    language: Mapped[str] = mapped_column(String(2), default="nl")
    active: Mapped[bool] = mapped_column(default=True)
    # Wrong passwords and codes in a row, and until when sign-in is refused after too many.
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None]

    regions: Mapped[list[Region]] = relationship(secondary=account_region, order_by=Region.name)


class AccountSession(Base):
    """A signed-in browser. The cookie holds a long random token; only its hash is here."""

    __tablename__ = "account_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    # Every form of this session carries it; a form from another site cannot know it.
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Whatever the activity, the session ends at this moment.
    expires_at: Mapped[datetime]
    # None while only the password has been checked: such a session opens the code page only.
    second_factor_at: Mapped[datetime | None]

    account: Mapped[Account] = relationship()


class PasswordResetToken(Base):
    """A link to set a new password, sent by email; it works once, until it expires."""

    __tablename__ = "password_reset_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

"""When sign-in is refused for a while, and when a session has ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from consult.settings import WorkplaceSettings

# Between the password and the code: long enough to open an authenticator app.
SECOND_FACTOR_WITHIN = timedelta(minutes=5)


@dataclass(frozen=True)
class SignInPolicy:
    lockout_threshold: int = 5
    lockout: timedelta = timedelta(minutes=15)
    idle: timedelta = timedelta(minutes=30)
    max_age: timedelta = timedelta(hours=12)
    reset_link: timedelta = timedelta(minutes=60)
    resets_per_hour: int = 3
    min_password_length: int = 12

    @classmethod
    def from_settings(cls, workplace: WorkplaceSettings) -> SignInPolicy:
        return cls(
            lockout_threshold=workplace.lockout_threshold,
            lockout=timedelta(minutes=workplace.lockout_minutes),
            idle=timedelta(minutes=workplace.session_idle_minutes),
            max_age=timedelta(hours=workplace.session_max_hours),
            reset_link=timedelta(minutes=workplace.reset_link_minutes),
            resets_per_hour=workplace.resets_per_hour,
            min_password_length=workplace.min_password_length,
        )


def locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and now < locked_until


@dataclass(frozen=True)
class AfterFailure:
    failed_attempts: int
    locked_until: datetime | None


def after_failure(
    failed_attempts: int, locked_until: datetime | None, now: datetime, policy: SignInPolicy
) -> AfterFailure:
    """One more wrong password or code. The threshold-th in a row locks the account for
    `policy.lockout` and starts the count afresh, so each further series locks it again."""
    failed = failed_attempts + 1
    if failed >= policy.lockout_threshold:
        return AfterFailure(0, now + policy.lockout)
    return AfterFailure(failed, locked_until)


def session_alive(
    last_seen_at: datetime, expires_at: datetime, now: datetime, idle: timedelta
) -> bool:
    """A session lives until it has been idle for `idle`, and never past `expires_at`."""
    return now < expires_at and now - last_seen_at < idle

"""Second factor: time-based one-time codes (RFC 6238, 6 digits, 30 seconds) as authenticator
apps make them."""

from __future__ import annotations

import re
from datetime import datetime

import pyotp

ISSUER = "consult (Commissie Werken in de Zorg)"
# One step either side of now: a phone clock a little off, or a code typed as it changed.
VALID_WINDOW = 1
_CODE = re.compile(r"[0-9]{6}")


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// address an authenticator app reads (as a QR code or typed in)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def normalised_code(code: str) -> str:
    """The code as typed, without the spaces and dashes apps show in it."""
    return re.sub(r"[\s-]", "", code)


def accepted_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step `code` is valid for at `now`, or None when it is not valid. A code for a
    step not after `last_step` (one already used to sign in) is refused: a code works once.

    The same check as pyotp's `verify(code, valid_window=1)`, which does not say which step
    matched."""
    code = normalised_code(code)
    if not _CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if pyotp.utils.strings_equal(code, totp.generate_otp(step)):
            if last_step is not None and step <= last_step:
                return None
            return step
    return None

"""Passwords: argon2id hashes (argon2-cffi's RFC 9106 defaults) and the rules a new password
must meet."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from consult.i18n import gettext as _

# Longer than anyone types; argon2 would hash a megabyte of text, at a megabyte's cost.
MAX_LENGTH = 256
# Generated passwords: no characters that look alike (0/O, 1/l/I).
_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher().check_needs_rehash(password_hash)


@cache
def unknown_account_hash() -> str:
    """A hash to check a password against when no account has the address given, so that a
    wrong address takes as long to refuse as a wrong password."""
    return hash_password(secrets.token_urlsafe(16))


def password_problem(password: str, email: str, min_length: int) -> str | None:
    """What is wrong with `password` as a new password for `email`, in the current language;
    None when it will do."""
    if len(password) < min_length:
        return _(
            "The password is too short: use at least %(min)s characters. A sentence of a few "
            "words is easy to remember.",
            min=min_length,
        )
    if len(password) > MAX_LENGTH:
        return _("The password is too long: use at most %(max)s characters.", max=MAX_LENGTH)
    if len(set(password)) < 4:
        return _("The password uses too few different characters.")
    if email and email.lower() in password.lower():
        return _("The password must not contain your email address.")
    return None


def generate_password() -> str:
    """A random password to hand out once: 4 groups of 5 characters (about 115 bits)."""
    groups = ("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(4))
    return "-".join(groups)

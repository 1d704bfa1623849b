"""The pure rules behind signing in: argon2id hashes, password rules, TOTP codes that work once
within one step either side of now, lockout after repeated failures, session expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp

from consult.accounts import passwords, totp
from consult.accounts.policy import SignInPolicy, after_failure, locked, session_alive
from consult.i18n import use_language

NOW = datetime(2030, 2, 20, 11, 0, 7, tzinfo=UTC)


def test_passwords_are_hashed_with_argon2id_and_checked() -> None:
    hashed = passwords.hash_password("een lange zin als wachtwoord")
    assert hashed.startswith("$argon2id$")
    assert "een lange zin" not in hashed
    assert passwords.verify_password(hashed, "een lange zin als wachtwoord")
    assert not passwords.verify_password(hashed, "een lange zin als wachtwoorD")
    assert not passwords.verify_password("not a hash", "een lange zin als wachtwoord")
    assert not passwords.needs_rehash(hashed)


def test_a_new_password_must_be_long_varied_and_not_the_address() -> None:
    email = "jan.jansen@wiz.example"
    assert passwords.password_problem("kort", email, 12) is not None
    with use_language("nl"):
        problem = passwords.password_problem("elf tekens!", email, 12)
    assert problem is not None and "ten minste 12 tekens" in problem
    assert passwords.password_problem("aaaaaaaaaaaaaaaa", email, 12) is not None
    assert passwords.password_problem("xx jan.jansen@wiz.example", email, 12) is not None
    assert passwords.password_problem("x" * 300 + "abcd", email, 12) is not None
    assert passwords.password_problem("paard batterij nietje", email, 12) is None


def test_generated_passwords_meet_the_rules_and_differ() -> None:
    made = {passwords.generate_password() for _ in range(20)}
    assert len(made) == 20
    assert all(passwords.password_problem(p, "a@b.example", 12) is None for p in made)


def test_a_code_is_valid_one_step_either_side_and_works_once() -> None:
    secret = totp.new_secret()
    otp = pyotp.TOTP(secret)
    step = otp.timecode(NOW)
    assert totp.accepted_step(secret, otp.at(NOW), NOW, None) == step
    # Typed with a space, as apps show it.
    code = otp.at(NOW)
    assert totp.accepted_step(secret, f"{code[:3]} {code[3:]}", NOW, None) == step
    assert totp.accepted_step(secret, otp.at(NOW - timedelta(seconds=30)), NOW, None) == step - 1
    assert totp.accepted_step(secret, otp.at(NOW + timedelta(seconds=30)), NOW, None) == step + 1
    assert totp.accepted_step(secret, otp.at(NOW - timedelta(seconds=90)), NOW, None) is None
    # Once used, neither that code nor an earlier one works again.
    assert totp.accepted_step(secret, otp.at(NOW), NOW, step) is None
    assert totp.accepted_step(secret, otp.at(NOW - timedelta(seconds=30)), NOW, step) is None
    assert totp.accepted_step(secret, "12345", NOW, None) is None
    assert totp.accepted_step(secret, "abcdef", NOW, None) is None


def test_the_provisioning_uri_names_the_account_and_the_service() -> None:
    secret = totp.new_secret()
    assert len(secret) == 32  # 160 bits, as RFC 4226 recommends
    uri = totp.provisioning_uri(secret, "jan@wiz.example")
    assert uri.startswith("otpauth://totp/")
    assert "jan%40wiz.example" in uri and f"secret={secret}" in uri and "issuer=" in uri


def test_the_threshold_th_failure_locks_and_each_further_series_locks_again() -> None:
    policy = SignInPolicy(lockout_threshold=3, lockout=timedelta(minutes=15))
    failed, until = 0, None
    for _ in range(2):
        result = after_failure(failed, until, NOW, policy)
        failed, until = result.failed_attempts, result.locked_until
        assert not locked(until, NOW)
    result = after_failure(failed, until, NOW, policy)
    assert result == after_failure(2, None, NOW, policy)
    assert locked(result.locked_until, NOW + timedelta(minutes=14, seconds=59))
    assert not locked(result.locked_until, NOW + timedelta(minutes=15))
    assert result.failed_attempts == 0


def test_a_session_ends_when_idle_and_at_its_maximum_age() -> None:
    idle = timedelta(minutes=30)
    expires = NOW + timedelta(hours=12)
    assert session_alive(NOW, expires, NOW + timedelta(minutes=29), idle)
    assert not session_alive(NOW, expires, NOW + timedelta(minutes=30), idle)
    assert not session_alive(expires - timedelta(minutes=1), expires, expires, idle)

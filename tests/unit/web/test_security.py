"""Link tokens and CSRF tokens of the invitee pages, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from consult.tokens import hash_token, new_token
from consult.web.security import csrf_token, csrf_valid, link_expired
from models import Round, RoundStatus

SECRET = b"k" * 32
NOW = datetime(2030, 3, 1, 12, tzinfo=UTC)


def test_new_tokens_carry_at_least_128_random_bits() -> None:
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    # base64url: 6 bits per character.
    assert all(len(t) * 6 >= 128 for t in tokens)
    assert all(len(hash_token(t)) == 64 for t in tokens)


def test_csrf_token_is_bound_to_the_link_and_the_secret() -> None:
    a, b = hash_token(new_token()), hash_token(new_token())
    token = csrf_token(SECRET, a)
    assert csrf_valid(SECRET, a, token)
    assert not csrf_valid(SECRET, b, token)
    assert not csrf_valid(b"other" * 8, a, token)
    assert csrf_token(SECRET, a) == token  # stable: forms stay valid while the page is open


def test_csrf_check_refuses_missing_and_odd_values_without_raising() -> None:
    a = hash_token(new_token())
    for value in (None, "", "0" * 64, "ü" * 64, csrf_token(SECRET, a).upper()):
        assert not csrf_valid(SECRET, a, value)


def _round(status: RoundStatus = RoundStatus.COLLECTING) -> Round:
    return Round(
        status=status,
        answer_deadline=NOW - timedelta(days=30),
        input_deadline=NOW,
    )


def test_links_expire_when_the_round_closes_or_after_the_grace_period() -> None:
    grace = timedelta(days=30)
    assert not link_expired(_round(), NOW, grace)
    assert not link_expired(_round(), NOW + grace, grace)
    assert link_expired(_round(), NOW + grace + timedelta(seconds=1), grace)
    assert link_expired(_round(RoundStatus.CLOSED), NOW - timedelta(days=60), grace)

"""`consult users ...` end to end: accounts are added with a one-time password and a TOTP key
shown once (never stored in clear), listed, disabled and reset; refusals end with a Dutch
message and exit code 1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from consult import cli_users
from consult.app import accounts
from consult.cli import app as cli
from consult.settings import Settings
from consult.wiring import App, open_app
from models import Account, AccountSession
from models.base import utcnow


@pytest.fixture
def wired(settings: Settings) -> Iterator[App]:
    with open_app(settings) as app:
        yield app


def _run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["users", *args], env={"COLUMNS": "250"}, input=input)


def _shown(output: str) -> tuple[str, str]:
    """The one-time password and TOTP key in a command's output."""
    password = re.search(r"^\s+([A-Za-z0-9]{5}(?:-[A-Za-z0-9]{5}){3})$", output, re.M)
    key = re.search(r"sleutel: ([A-Z2-7]{32})", output)
    assert password and key, output
    return password.group(1), key.group(1)


def _signs_in(wired: App, email: str, password: str, key: str) -> bool:
    now = utcnow()
    with wired.db.unit_of_work() as session:
        pending = accounts.sign_in_password(session, wired, email, password, now)
    if pending is None:
        return False
    with wired.db.unit_of_work() as session:
        code = pyotp.TOTP(key).at(now)
        return accounts.sign_in_code(session, wired, pending, code, now) is not None


def test_add_shows_a_one_time_password_and_a_totp_key_that_sign_in(wired: App) -> None:
    result = _run("add", "Fatima.Bouzid@WIZ.example", "--role", "secretariaat", "--name", "Fatima")
    assert result.exit_code == 0, result.output
    assert "Account toegevoegd: fatima.bouzid@wiz.example (secretariaat)." in result.output
    assert "Eenmalig wachtwoord" in result.output
    assert "otpauth://totp/" in result.output
    password, key = _shown(result.output)
    with wired.db.unit_of_work() as session:
        account = session.scalars(select(Account)).one()
        # Neither the password nor the key is stored as it was shown.
        assert password not in account.password_hash and account.password_hash.startswith(
            "$argon2id$"
        )
        assert key not in account.totp_secret_sealed
        assert account.display_name == "Fatima"
    assert _signs_in(wired, "fatima.bouzid@wiz.example", password, key)

    listed = _run("list")
    assert listed.exit_code == 0, listed.output
    line = next(x for x in listed.output.splitlines() if "fatima.bouzid@wiz.example" in x)
    assert "secretariaat" in line and "actief" in line


def test_a_password_is_asked_for_hidden_in_a_terminal(
    wired: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_users, "stdin_is_terminal", lambda: True)
    chosen = "paard batterij nietje correct"
    result = _run("add", "jan@wiz.example", "--role", "staf", input=f"{chosen}\n{chosen}\n")
    assert result.exit_code == 0, result.output
    assert chosen not in result.output
    assert "Eenmalig wachtwoord" not in result.output
    key = re.search(r"sleutel: ([A-Z2-7]{32})", result.output)
    assert key
    assert _signs_in(wired, "jan@wiz.example", chosen, key.group(1))

    weak = _run("add", "piet@wiz.example", "--role", "staf", input="kort\nkort\n")
    assert weak.exit_code == 1
    assert "Het wachtwoord is te kort: gebruik ten minste 12 tekens" in weak.stderr


def test_refusals_say_what_is_wrong(wired: App) -> None:
    assert _run("add", "a@wiz.example", "--role", "beheerder").exit_code == 0
    again = _run("add", "A@wiz.example", "--role", "staf")
    assert again.exit_code == 1
    assert "er is al een account voor a@wiz.example" in again.stderr
    bad = _run("add", "geen-adres", "--role", "staf")
    assert bad.exit_code == 1 and "ongeldig e-mailadres" in bad.stderr
    role = _run("add", "b@wiz.example", "--role", "koning")
    assert role.exit_code == 2
    no_region = _run("add", "c@wiz.example", "--role", "regiocoordinator")
    assert no_region.exit_code == 1
    assert "een regiocoördinator heeft ten minste één regio nodig" in no_region.stderr
    unknown = _run("add", "c@wiz.example", "--role", "regiocoordinator", "--region", "Atlantis")
    assert unknown.exit_code == 1
    assert "onbekende regio Atlantis (bekende regio's: " in unknown.stderr
    assert "Twente" in unknown.stderr
    assert _run("disable", "niemand@wiz.example").exit_code == 1


def test_a_regional_coordinator_gets_regions(wired: App) -> None:
    result = _run(
        "add", "r@wiz.example", "--role", "regiocoordinator", "--region", "twente",
        "--region", "Achterhoek",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    line = next(x for x in _run("list").output.splitlines() if "r@wiz.example" in x)
    assert "regiocoördinator" in line and "Achterhoek, Twente" in line


def test_disable_ends_sessions_and_reset_brings_the_account_back(wired: App) -> None:
    added = _run("add", "s@wiz.example", "--role", "secretariaat")
    password, key = _shown(added.output)
    assert _signs_in(wired, "s@wiz.example", password, key)

    disabled = _run("disable", "s@wiz.example")
    assert disabled.exit_code == 0 and "Account uitgeschakeld: s@wiz.example." in disabled.output
    with wired.db.unit_of_work() as session:
        assert session.scalars(select(AccountSession)).all() == []
    assert not _signs_in(wired, "s@wiz.example", password, key)
    assert "uitgeschakeld" in _run("list").output
    assert "was al uitgeschakeld" in _run("disable", "s@wiz.example").output

    # A new password, the same second factor.
    reset = _run("reset", "s@wiz.example")
    assert reset.exit_code == 0, reset.output
    assert "otpauth://" not in reset.output
    new_password = re.search(r"^\s+(\S{23})$", reset.output, re.M)
    assert new_password
    assert not _signs_in(wired, "s@wiz.example", password, key)
    # The code of the sign-in above was used; the next step's code is a new one.
    with wired.db.unit_of_work() as session:
        account = session.scalars(select(Account)).one()
        account.totp_last_step = (account.totp_last_step or 0) - 2
    assert _signs_in(wired, "s@wiz.example", new_password.group(1), key)

    # With --totp the old key stops working.
    fresh = _run("reset", "s@wiz.example", "--totp")
    new_password2, new_key = _shown(fresh.output)
    assert not _signs_in(wired, "s@wiz.example", new_password2, key)
    assert _signs_in(wired, "s@wiz.example", new_password2, new_key)


def test_reset_unblocks_a_locked_account(wired: App) -> None:
    password, key = _shown(_run("add", "l@wiz.example", "--role", "staf").output)
    with wired.db.unit_of_work() as session:
        session.scalars(select(Account)).one().locked_until = utcnow() + timedelta(minutes=10)
    assert not _signs_in(wired, "l@wiz.example", password, key)
    assert "geblokkeerd tot" in _run("list").output
    new_password = re.search(r"^\s+(\S{23})$", _run("reset", "l@wiz.example").output, re.M)
    assert new_password
    assert _signs_in(wired, "l@wiz.example", new_password.group(1), key)

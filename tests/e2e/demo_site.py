"""The demo as a workplace to look at: `consult demo` run in a folder, an account per role
(the regional coordinator looks after Twente), `consult web` started on it, and signing in
through the pages. Used by the page-by-page accessibility test and by script/screenshots.py."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select

from consult.app.accounts import add_account
from consult.mail.sink import free_port
from consult.settings import CONFIG_ENV, load_settings
from consult.wiring import open_app
from models import (
    BuildingBlock,
    ConsultationSession,
    Contribution,
    Invitation,
    InvitationStatus,
    Role,
    Round,
    Theme,
)
from tests.e2e.workplace_site import serving, sign_in

PASSWORD = "een lange zin als wachtwoord voor de demo"


def account_email(role: Role) -> str:
    return f"{role.value}@wiz.example"


def run_demo(workspace: Path) -> Path:
    """`consult demo` in `workspace` (made afresh); its configuration file."""
    subprocess.run(
        [sys.executable, "-m", "consult", "demo", "--workspace", str(workspace)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    config = workspace / "consult.toml"
    # Plain HTTP on this machine: a Secure cookie would never be sent back.
    with config.open("a", encoding="utf-8") as out:
        out.write("\n[workplace]\ncookie_secure = false\n")
    return config


def add_accounts(config: Path) -> dict[Role, str]:
    """An account per role, signed in with PASSWORD; the TOTP key of each."""
    secrets: dict[Role, str] = {}
    with _wired(config) as wired, wired.db.unit_of_work() as session:
        for role in Role:
            made = add_account(
                session,
                wired,
                account_email(role),
                role,
                password=PASSWORD,
                regions=["Twente"] if role == Role.REGIOCOORDINATOR else [],
            )
            assert made.totp_secret is not None
            secrets[role] = made.totp_secret
    return secrets


def demo_ids(config: Path) -> dict[str, str]:
    """A value for each id in the workplace's addresses, from the demo's round: an accepted
    invitation and its person, a building block and its theme, a contribution, a session."""
    with _wired(config) as wired, wired.db.unit_of_work() as session:
        round_id = session.scalars(select(Round.id).order_by(Round.id)).first()
        invitation = session.scalars(
            select(Invitation)
            .where(Invitation.round_id == round_id, Invitation.status == InvitationStatus.ACCEPTED)
            .order_by(Invitation.id)
        ).first()
        block = session.scalars(
            select(BuildingBlock)
            .where(BuildingBlock.round_id == round_id)
            .order_by(BuildingBlock.id)
        ).first()
        contribution_id = session.scalars(
            select(Contribution.id)
            .where(Contribution.round_id == round_id)
            .order_by(Contribution.id)
        ).first()
        session_id = session.scalars(
            select(ConsultationSession.id)
            .where(ConsultationSession.round_id == round_id)
            .order_by(ConsultationSession.id)
        ).first()
        if None in (round_id, invitation, block, contribution_id, session_id):
            raise AssertionError("the demo lacks a round, invitation, block, input or session")
        assert invitation is not None and block is not None
        theme = session.get_one(Theme, block.theme_id)
        return {
            "round_id": str(round_id),
            "invitation_id": str(invitation.id),
            "person_id": str(invitation.person_id),
            "organisation_id": str(invitation.person.organisation_id),
            "block_id": str(block.id),
            "theme": theme.slug,
            "contribution_id": str(contribution_id),
            "session_id": str(session_id),
            "kind": "invitation",
            "region": "Twente",
        }


@contextmanager
def _wired(config: Path) -> Iterator[Any]:
    previous = os.environ.get(CONFIG_ENV)
    os.environ[CONFIG_ENV] = str(config)
    try:
        with open_app(load_settings()) as wired:
            yield wired
    finally:
        if previous is None:
            os.environ.pop(CONFIG_ENV, None)
        else:
            os.environ[CONFIG_ENV] = previous


@contextmanager
def running_web(config: Path, log_path: Path) -> Iterator[str]:
    """`consult web` on the demo's database, on a free port; its base URL."""
    with serving(config, free_port(), log_path) as base_url:
        yield base_url


def sign_in_as(page: Any, base_url: str, role: Role, secret: str) -> None:
    """Signed in as the demo's account of `role`."""
    sign_in(page, base_url, account_email(role), PASSWORD, secret)


def password_only(page: Any, base_url: str, role: Role) -> None:
    """The password of the demo's account of `role` given, the code not yet."""
    page.goto(f"{base_url}/werkplek/aanmelden")
    page.get_by_label("E-mailadres").fill(account_email(role))
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Verder").click()
    page.wait_for_url("**/werkplek/aanmelden/code")

"""Workplace accounts for the tests, and signing in through the pages as a browser does: the
sign-in form, then the code from the account's authenticator (computed from its TOTP key at
the app's clock)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select

from consult.app import accounts
from consult.wiring import App
from models import Account, AuditEntry, CandidateSlot, Invitation, Role
from tests.integration.web.conftest import BASE_URL, Clock, World

PASSWORD = "een lange zin als wachtwoord"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass(frozen=True)
class Member:
    email: str
    password: str
    totp_secret: str
    role: Role


def add_member(wired: App, role: Role, email: str | None = None, **extra: object) -> Member:
    address = email or f"{role.value}@wiz.example"
    regions = ["Twente"] if role == Role.REGIOCOORDINATOR else []
    with wired.db.unit_of_work() as session:
        made = accounts.add_account(
            session, wired, address, role, password=PASSWORD, regions=regions, **extra
        )  # type: ignore[arg-type]
    assert made.totp_secret is not None
    return Member(made.email, PASSWORD, made.totp_secret, role)


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, html
    return match.group(1)


def new_client(world_client: TestClient) -> TestClient:
    """A browser of its own (its own cookies) on the same app."""
    return TestClient(world_client.app, base_url=BASE_URL, follow_redirects=False)


def submit_password(client: TestClient, email: str, password: str) -> httpx.Response:
    page = client.get("/werkplek/aanmelden")
    return client.post(
        "/werkplek/aanmelden",
        data={"csrf": csrf_of(page.text), "email": email, "password": password},
    )


def code_for(member: Member, clock: Clock) -> str:
    return pyotp.TOTP(member.totp_secret).at(clock.now)


def submit_code(client: TestClient, code: str) -> httpx.Response:
    page = client.get("/werkplek/aanmelden/code")
    assert page.status_code == 200, page.status_code
    return client.post("/werkplek/aanmelden/code", data={"csrf": csrf_of(page.text), "code": code})


def sign_in(client: TestClient, member: Member, clock: Clock) -> None:
    first = submit_password(client, member.email, member.password)
    assert first.status_code == 303 and first.headers["location"] == "/werkplek/aanmelden/code"
    second = submit_code(client, code_for(member, clock))
    assert second.status_code == 303, second.text


def ids_in(world: World) -> dict[str, str]:
    """A value for each id in the workplace's addresses: the round's first invitation, its
    person and organisation, an upload key (of no upload), its first candidate slot, a mailing
    (its invitations), and ids of no block, contribution, session or report file."""
    with world.wired.db.unit_of_work() as session:
        invitation = session.scalars(
            select(Invitation).where(Invitation.round_id == world.round_id).order_by(Invitation.id)
        ).first()
        assert invitation is not None
        slot_id = session.scalars(
            select(CandidateSlot.id)
            .where(CandidateSlot.round_id == world.round_id)
            .order_by(CandidateSlot.id)
        ).first()
        return {
            "invitation_id": str(invitation.id),
            "person_id": str(invitation.person_id),
            "organisation_id": str(invitation.person.organisation_id),
            "key": "k" * 32,
            # The building-block board: a theme of the round.
            "theme": "innovatie",
            "slot_id": str(slot_id),
            # Lineage and reports: no such block, contribution, session or report file in
            # this round (a 404 is an answer, not a refusal).
            "block_id": "1",
            "contribution_id": "1",
            "session_id": "1",
            "filename": "report.nl.docx",
            "kind": "invitation",
        }


def logged(world: World, action: str) -> list[tuple[str, int | None, dict[str, object]]]:
    """The audit log's entries of `action`: (who, person id, details), oldest first; who is
    the acting account's address."""
    with world.wired.db.unit_of_work() as session:
        accounts_by_actor = {f"account:{a.id}": a.email for a in session.scalars(select(Account))}
        return [
            (accounts_by_actor.get(e.actor, e.actor), e.person_id, dict(e.details))
            for e in session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        ]

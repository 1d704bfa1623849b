"""Mailing review in the workplace, on SQLite and PostgreSQL: a round's mailings with how many
messages and people wait and whether each is held; a preview of the invitation as a Dutch and an
English recipient get it (HTML in a sandboxed frame, the text part as text, no personal link);
approving it (the secretariat, with the form's CSRF token) records who and when, writes the
audit log and sends the mail to a real SMTP server; staff read but may not approve; the round's
dashboard says when mail waits for approval."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from consult.mail.sink import EmlSink
from consult.registry.store import store_rows, sync_reference_data
from consult.rounds.invite import queue_invitations
from consult.rounds.launch import launch_round
from consult.settings import Settings
from consult.web.app import create_app
from consult.wiring import App, open_app
from models import Invitation, MailingApproval, OutboxKind, OutboxMessage, OutboxStatus, Role
from tests.integration.web.a11y import problems
from tests.integration.web.conftest import (
    BASE_URL,
    BEFORE_DEADLINE,
    SPEC,
    Clock,
    World,
    registry,
    tokens_from_outbox,
)
from tests.integration.web.workplace_support import (
    add_member,
    csrf_of,
    logged,
    new_client,
    sign_in,
)

ENGLISH = "ggz.twente@example.org"


def _launch(wired: App) -> int:
    """The round of the other workplace tests, one of its people reading English, with its
    mailings waiting for approval (the spec asks for it; the tests' configuration does not)."""
    rows = [replace(r, language="en") if r.email == ENGLISH else r for r in registry()]
    with wired.db.unit_of_work() as session:
        sync_reference_data(session, wired.taxonomy)
        store_rows(session, rows)
        spec = SPEC.model_copy(update={"require_approval": True})
        round_id = launch_round(
            session, spec, "Secretariaat WiZ", "secretariaat@wiz.example"
        ).round_id
        ids = list(session.scalars(select(Invitation.id).where(Invitation.round_id == round_id)))
        queue_invitations(session, wired.mail_context(), ids)
        return round_id


@pytest.fixture
def world(web_settings: Settings, sink: EmlSink) -> Iterator[World]:
    clock = Clock(BEFORE_DEADLINE)
    with open_app(web_settings) as wired:
        round_id = _launch(wired)
        app = create_app(web_settings, emitter=lambda _signal: None, clock=clock)
        with TestClient(app, base_url=BASE_URL, follow_redirects=False) as client:
            yield World(
                wired=wired,
                client=client,
                clock=clock,
                events=[],
                mail_dir=sink.directory,
                round_id=round_id,
                tokens=tokens_from_outbox(wired),
            )


def _signed_in(world: World, role: Role) -> TestClient:
    client = new_client(world.client)
    sign_in(client, add_member(world.wired, role), world.clock)
    return client


def _waiting(world: World) -> int:
    with world.wired.db.unit_of_work() as session:
        return len(
            session.scalars(
                select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.PENDING)
            ).all()
        )


def _row(page: str, label: str) -> list[str]:
    """The cells of the mailings table's row for `label`."""
    match = re.search(
        rf"<tr>\s*<th scope=\"row\"><a [^>]*>{re.escape(label)}</a></th>(.*?)</tr>", page, re.S
    )
    assert match, label
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)
    ]


def test_the_mailings_list_the_preview_and_approving_them(world: World) -> None:
    invited = len(world.tokens)
    client = _signed_in(world, Role.SECRETARIAAT)
    base = f"/werkplek/rondes/{world.round_id}"

    dashboard = client.get(base)
    assert dashboard.status_code == 200 and problems(dashboard.text) == []
    assert f"{invited} berichten wachten op goedkeuring." in dashboard.text
    assert f'href="{base}/mailings"' in dashboard.text
    # Sending would send nothing of it, so the plan does not promise to.
    assert "wachtende mail versturen" not in dashboard.text

    listing = client.get(f"{base}/mailings")
    assert listing.status_code == 200 and problems(listing.text) == []
    assert _row(listing.text, "uitnodiging") == [
        str(invited),
        str(invited),
        "0",
        "vastgehouden: wacht op goedkeuring",
    ]
    assert _row(listing.text, "herinnering")[-1] == "niets wachtend"
    assert f'href="{base}/mailings/invitation"' in listing.text

    page = client.get(f"{base}/mailings/invitation")
    assert page.status_code == 200 and problems(page.text) == []
    assert f"{invited} berichten" in page.text and f"{invited} mensen" in page.text
    assert "Nederlands</span>: 5" in page.text and "English</span>: 1" in page.text
    # Both languages, each as HTML in a frame that may run nothing, and as text.
    assert page.text.count('sandbox=""') == 2 and page.text.count('class="mail-text"') == 2
    frames = [html.unescape(doc) for doc in re.findall(r'srcdoc="([^"]*)"', page.text)]
    assert "Uitnodiging" in frames[0] and "<p" in frames[0]
    assert "invite" in frames[1].lower()
    assert ENGLISH in page.text
    # Never a working personal link: the bodies keep their placeholders.
    for token in world.tokens.values():
        assert token not in page.text
    assert "[link:" in page.text
    assert "Goedkeuren en versturen" in page.text

    # Nothing has left yet.
    assert world.mail() == [] and _waiting(world) == invited

    approved = client.post(
        f"{base}/mailings/invitation/goedkeuren", data={"csrf": csrf_of(page.text)}
    )
    assert approved.status_code == 303
    assert approved.headers["location"] == f"{base}/mailings/invitation?melding=goedgekeurd"
    after = client.get(approved.headers["location"])
    assert "De mailing is goedgekeurd" in after.text
    assert "goedgekeurd door secretariaat@wiz.example op" in after.text
    assert "Goedkeuren en versturen" not in after.text
    # Sent after the response, to the real SMTP server, each once.
    addresses = sorted(m["To"].addresses[0].addr_spec for m in world.mail())
    assert len(addresses) == invited == len(set(addresses))
    assert _waiting(world) == 0

    with world.wired.db.unit_of_work() as session:
        row = session.scalars(select(MailingApproval)).one()
        assert (row.kind, row.approved_by, row.waiting) == (
            OutboxKind.INVITATION,
            "secretariaat@wiz.example",
            invited,
        )
        assert row.account_id is not None and row.approved_at is not None
    entries = logged(world, "mailing.approve")
    assert [(who, details["kind"], details["waiting"]) for who, _, details in entries] == [
        ("secretariaat@wiz.example", "invitation", invited)
    ]
    assert "berichten wachten op goedkeuring" not in client.get(base).text

    # The form sent twice: nothing changes, and the page says so.
    twice = client.post(f"{base}/mailings/invitation/goedkeuren", data={"csrf": csrf_of(page.text)})
    assert twice.headers["location"].endswith("?melding=al-goedgekeurd")
    assert len(logged(world, "mailing.approve")) == 1


def test_the_preview_in_english_for_an_english_speaking_secretariat(world: World) -> None:
    client = _signed_in(world, Role.SECRETARIAAT)
    english = client.get(f"/werkplek/rondes/{world.round_id}/mailings/invitation")
    assert english.status_code == 200
    client.post(
        "/werkplek/taal",
        data={"csrf": csrf_of(english.text), "language": "en", "next": "/werkplek/"},
    )
    page = client.get(f"/werkplek/rondes/{world.round_id}/mailings/invitation")
    assert "Mailing: invitation" in page.text and "held: waiting for approval" in page.text
    assert "Approve and send" in page.text and problems(page.text) == []


def test_staff_read_but_may_not_approve(world: World) -> None:
    client = _signed_in(world, Role.STAF)
    page = client.get(f"/werkplek/rondes/{world.round_id}/mailings/invitation")
    assert page.status_code == 200 and "Goedkeuren en versturen" not in page.text
    refused = client.post(
        f"/werkplek/rondes/{world.round_id}/mailings/invitation/goedkeuren",
        data={"csrf": csrf_of(page.text)},
    )
    assert refused.status_code == 403
    with world.wired.db.unit_of_work() as session:
        assert session.scalars(select(MailingApproval)).all() == []
    assert world.mail() == []


def test_approving_needs_the_forms_csrf_token(world: World) -> None:
    client = _signed_in(world, Role.SECRETARIAAT)
    url = f"/werkplek/rondes/{world.round_id}/mailings/invitation/goedkeuren"
    for data in ({}, {"csrf": "vals"}):
        refused = client.post(url, data=data)
        assert refused.status_code in (400, 403), refused.status_code
    with world.wired.db.unit_of_work() as session:
        assert session.scalars(select(MailingApproval)).all() == []
    assert world.mail() == [] and logged(world, "mailing.approve") == []


def test_unknown_rounds_and_kinds_are_not_found_and_empty_mailings_cannot_be_approved(
    world: World,
) -> None:
    client = _signed_in(world, Role.SECRETARIAAT)
    base = f"/werkplek/rondes/{world.round_id}/mailings"
    assert client.get("/werkplek/rondes/999999/mailings").status_code == 404
    assert client.get(f"{base}/confirmation").status_code == 404
    assert client.get(f"{base}/weg").status_code == 404
    reminders = client.get(f"{base}/reminder")
    assert reminders.status_code == 200 and "niets om te bekijken" in reminders.text
    assert "Goedkeuren en versturen" not in reminders.text
    refused = client.post(f"{base}/reminder/goedkeuren", data={"csrf": csrf_of(reminders.text)})
    assert refused.status_code == 409 and "nog niets goed te keuren" in refused.text

"""Outgoing mail in the workplace, on SQLite and PostgreSQL: messages per state, of all rounds or
one; the messages in a state with the server's reply; failed mail queued again and a blocked
address released, each saying what it did and sending at once; staff read without forms."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from consult.mail.outbox import suppress
from models import OutboxMessage, OutboxStatus, Role, SuppressedAddress
from tests.integration.web.a11y import problems
from tests.integration.web.conftest import World
from tests.integration.web.test_invitee_routes import mail_to
from tests.integration.web.workplace_support import (
    add_member,
    csrf_of,
    logged,
    new_client,
    sign_in,
)

REFUSED = "451 4.3.0 <{address}>: Temporary lookup failure"
BOUNCED = "550 5.1.1 <{address}>: Recipient address rejected: User unknown"


def _count(html: str, label: str) -> str:
    match = re.search(rf">{re.escape(label)}(?:</a>)?</th>\s*<td class=\"number\">(\d+)</td>", html)
    assert match, label
    return match.group(1)


def _fail_two(world: World) -> tuple[str, str]:
    """One message fails on a temporary refusal, another bounces for good (its address is
    blocked); returns both addresses."""
    with world.wired.db.unit_of_work() as session:
        first, second = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()[:2]
        first.status, first.attempts = OutboxStatus.FAILED, 5
        first.last_error = REFUSED.format(address=first.recipient_email)
        second.status, second.attempts = OutboxStatus.FAILED, 1
        second.last_error = BOUNCED.format(address=second.recipient_email)
        suppress(session, second.recipient_email, second.last_error, second.id)
        return first.recipient_email, second.recipient_email


def _signed_in(world: World, role: Role) -> TestClient:
    client = new_client(world.client)
    sign_in(client, add_member(world.wired, role), world.clock)
    return client


def test_the_outbox_shows_states_failures_and_blocked_addresses(world: World) -> None:
    temporary, bounced = _fail_two(world)
    client = _signed_in(world, Role.SECRETARIAAT)
    page = client.get("/werkplek/uitgaand")
    assert page.status_code == 200 and problems(page.text) == []
    assert 'href="/werkplek/uitgaand" aria-current="page"' in page.text
    assert _count(page.text, "wachtend") == "4" and _count(page.text, "mislukt") == "2"
    assert "2 mislukte berichten opnieuw versturen" in page.text
    # The blocked address, with the server's reply, a way to correct it and to release it.
    assert bounced in page.text and "550 5.1.1" in page.text
    assert re.search(r'href="/werkplek/register/mensen/\d+"', page.text)
    assert f'name="email" value="{bounced}"' in page.text

    failed = client.get("/werkplek/uitgaand?staat=failed")
    assert failed.status_code == 200 and problems(failed.text) == []
    assert "Berichten: mislukt" in failed.text and "2 berichten, nieuwste eerst" in failed.text
    assert f"&lt;{temporary}&gt;: Temporary lookup failure" in failed.text
    assert re.search(rf'href="/werkplek/rondes/{world.round_id}/mensen/\d+"', failed.text)

    one_round = client.get(f"/werkplek/uitgaand?ronde={world.round_id}")
    assert f'<option value="{world.round_id}" selected>' in one_round.text
    dashboard = client.get(f"/werkplek/rondes/{world.round_id}").text
    assert f'href="/werkplek/uitgaand?ronde={world.round_id}"' in dashboard
    assert client.get("/werkplek/uitgaand?ronde=999999").status_code == 404
    assert client.get("/werkplek/uitgaand?ronde=x").status_code == 404
    # An unknown state lists nothing; the counts stay.
    assert "Berichten:" not in client.get("/werkplek/uitgaand?staat=weg").text


def test_failed_mail_is_queued_again_and_a_blocked_address_released(world: World) -> None:
    temporary, bounced = _fail_two(world)
    client = _signed_in(world, Role.SECRETARIAAT)
    page = client.get(f"/werkplek/uitgaand?ronde={world.round_id}")
    retried = client.post(
        "/werkplek/uitgaand/opnieuw",
        data={"csrf": csrf_of(page.text), "ronde": str(world.round_id)},
    )
    assert retried.status_code == 303
    said = client.get(retried.headers["location"]).text
    assert "1 mislukt bericht staat weer klaar om te versturen." in said
    assert "1 bericht blijft mislukt: het adres is geblokkeerd." in said
    assert mail_to(world, temporary)  # sent at once
    assert not mail_to(world, bounced)

    released = client.post(
        "/werkplek/uitgaand/vrijgeven",
        data={"csrf": csrf_of(page.text), "ronde": "", "email": bounced},
    )
    assert released.status_code == 303
    said = client.get(released.headers["location"]).text
    assert "Het adres is vrijgegeven; 1 bericht aan dit adres staat weer klaar" in said
    assert "Er is geen adres geblokkeerd." in said
    with world.wired.db.unit_of_work() as session:
        assert session.scalars(select(SuppressedAddress)).all() == []
    assert mail_to(world, bounced)

    assert [d for _, _, d in logged(world, "mail.retry")] == [
        {"queued_again": 1, "left_blocked": 1}
    ]
    ((who, person_id, details),) = logged(world, "mail.release")
    assert who == "secretariaat@wiz.example" and person_id is not None
    assert details == {"address": bounced, "messages_queued_again": 1}
    again = client.post(
        "/werkplek/uitgaand/vrijgeven", data={"csrf": csrf_of(page.text), "email": bounced}
    )
    assert again.status_code == 409 and problems(again.text) == []
    assert "staat niet op de lijst" in again.text


def test_staff_read_the_outbox_without_forms(world: World) -> None:
    _fail_two(world)
    staff = _signed_in(world, Role.STAF)
    page = staff.get("/werkplek/uitgaand")
    assert page.status_code == 200
    main = page.text.split('<main id="main"', 1)[1]
    assert 'method="post"' not in main
    assert "/werkplek/register" not in page.text  # the registry is not theirs

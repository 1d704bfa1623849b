"""A forgotten password: the link goes by email through the outbox to a real SMTP server, works
once and for a limited time, and the page says the same whether or not the address has an
account. The stored message keeps a placeholder where the token was."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from consult.web.workplace.cookies import SESSION_COOKIE
from models import OutboxKind, OutboxMessage, OutboxStatus, Role
from tests.integration.web.a11y import problems
from tests.integration.web.conftest import BASE_URL, World
from tests.integration.web.workplace_support import (
    Member,
    add_member,
    csrf_of,
    new_client,
    sign_in,
    submit_password,
)

LINK = re.compile(re.escape(BASE_URL) + r"(/werkplek/wachtwoord/[A-Za-z0-9_-]+)")
NEW_PASSWORD = "paard batterij nietje correct"
SAID = "Als er een actief account met dit adres is, hebben we er een link naartoe gestuurd"


def _ask_link(client: TestClient, email: str) -> httpx.Response:
    page = client.get("/werkplek/wachtwoord-vergeten")
    assert page.status_code == 200 and problems(page.text) == []
    return client.post(
        "/werkplek/wachtwoord-vergeten", data={"csrf": csrf_of(page.text), "email": email}
    )


def _reset_mails(world: World, address: str) -> list[EmailMessage]:
    return [m for m in world.mail() if m["To"].addresses[0].addr_spec == address]


def _link_in(message: EmailMessage) -> str:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    match = LINK.search(text.get_content())
    assert match, text.get_content()
    assert f'href="{BASE_URL}{match.group(1)}"' in html.get_content()
    return match.group(1)


def _set_password(client: TestClient, path: str, password: str, repeat: str) -> httpx.Response:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return client.post(
        path, data={"csrf": csrf_of(page.text), "password": password, "repeat": repeat}
    )


def _member(world: World) -> Member:
    return add_member(world.wired, Role.SECRETARIAAT, email="fatima@wiz.example")


def test_the_link_arrives_by_mail_sets_a_new_password_and_works_once(world: World) -> None:
    member = _member(world)
    signed_in = new_client(world.client)
    sign_in(signed_in, member, world.clock)

    client = new_client(world.client)
    asked = _ask_link(client, "Fatima@WIZ.example")
    assert asked.status_code == 200 and SAID in asked.text
    (mail,) = _reset_mails(world, member.email)
    assert str(mail["Subject"]) == "Een nieuw wachtwoord voor de werkplek consultatierondes"
    path = _link_in(mail)
    token = path.rsplit("/", 1)[1]
    with world.wired.db.unit_of_work() as session:
        row = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.PASSWORD_RESET)
        ).one()
        # Sent; the record keeps a placeholder, never the token.
        assert row.status == OutboxStatus.SENT and row.sealed_links is None
        assert token not in row.text_body and token not in row.html_body
        assert "/werkplek/wachtwoord/[link:" in row.text_body

    form = client.get(path)
    assert problems(form.text) == []
    assert 'autocomplete="new-password"' in form.text
    mismatch = _set_password(client, path, NEW_PASSWORD, NEW_PASSWORD + "!")
    assert mismatch.status_code == 422 and "niet gelijk" in mismatch.text
    weak = _set_password(client, path, "te kort", "te kort")
    assert weak.status_code == 422 and "ten minste 12 tekens" in weak.text

    done = _set_password(client, path, NEW_PASSWORD, NEW_PASSWORD)
    assert done.status_code == 303
    assert done.headers["location"] == "/werkplek/aanmelden?melding=wachtwoord"
    # The sessions of the account ended with the change.
    assert signed_in.get("/werkplek/").status_code == 303
    # The link works once.
    again = client.get(path)
    assert again.status_code == 404 and "Deze link werkt niet" in again.text
    assert client.post(path, data={"csrf": csrf_of(again.text)}).status_code == 404

    # The old password no longer works, the new one does (with the code, as before).
    assert submit_password(client, member.email, member.password).status_code == 400
    world.clock.now += timedelta(seconds=30)
    sign_in(
        client, Member(member.email, NEW_PASSWORD, member.totp_secret, member.role), world.clock
    )
    assert client.cookies.get(SESSION_COOKIE)
    assert client.get("/werkplek/").status_code == 200


def test_the_link_expires(world: World) -> None:
    member = _member(world)
    client = new_client(world.client)
    _ask_link(client, member.email)
    path = _link_in(_reset_mails(world, member.email)[0])
    world.clock.now += timedelta(minutes=59)
    assert client.get(path).status_code == 200
    world.clock.now += timedelta(minutes=1)
    assert client.get(path).status_code == 404
    assert client.get("/werkplek/wachtwoord/kort").status_code == 404


def test_the_page_says_the_same_for_unknown_and_disabled_addresses_and_sends_nothing(
    world: World,
) -> None:
    member = _member(world)
    client = new_client(world.client)
    unknown = _ask_link(client, "niemand@wiz.example")
    assert unknown.status_code == 200 and SAID in unknown.text
    with world.wired.db.unit_of_work() as session:
        from consult.app.accounts import disable_account

        disable_account(session, member.email)
    disabled = _ask_link(client, member.email)
    assert SAID in disabled.text
    assert _reset_mails(world, member.email) == []
    assert _reset_mails(world, "niemand@wiz.example") == []
    empty = _ask_link(client, "")
    assert empty.status_code == 400 and "Vul uw e-mailadres in." in empty.text


def test_a_few_links_an_hour_at_most(world: World) -> None:
    member = _member(world)
    client = new_client(world.client)
    for _ in range(5):
        assert SAID in _ask_link(client, member.email).text
    assert len(_reset_mails(world, member.email)) == 3
    world.clock.now += timedelta(hours=1, minutes=1)
    _ask_link(client, member.email)
    assert len(_reset_mails(world, member.email)) == 4

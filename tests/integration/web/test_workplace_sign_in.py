"""Signing in to the workplace as a browser does: the password alone opens nothing, the code is
needed and works once; repeated failures lock the account for a while without telling
whether it exists; a session ends after inactivity and on signing out; every POST needs the
session's CSRF token; the cookie is HttpOnly, Secure, SameSite=Lax and limited to /werkplek,
and only its hash is stored."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from consult.tokens import hash_token
from consult.web.workplace.cookies import SESSION_COOKIE
from models import Account, AccountSession, Role
from tests.integration.web.a11y import problems
from tests.integration.web.conftest import World
from tests.integration.web.workplace_support import (
    add_member,
    code_for,
    csrf_of,
    new_client,
    sign_in,
    submit_code,
    submit_password,
)

REFUSED = "Aanmelden is niet gelukt. Controleer uw e-mailadres en wachtwoord."


def _error_summary(html: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert match, html
    return match.group(0)


def test_the_password_alone_opens_nothing_and_the_code_works_once(world: World) -> None:
    member = add_member(world.wired, Role.SECRETARIAAT)
    client = new_client(world.client)
    page = client.get("/werkplek/aanmelden")
    assert page.status_code == 200
    assert problems(page.text) == []
    assert 'lang="nl"' in page.text and "<h1>Aanmelden</h1>" in page.text

    first = submit_password(client, member.email, member.password)
    assert first.status_code == 303 and first.headers["location"] == "/werkplek/aanmelden/code"
    cookie = first.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    for flag in ("HttpOnly", "Secure", "Path=/werkplek", "SameSite=lax"):
        assert flag.lower() in cookie.lower(), (flag, cookie)
    # With only the password, every page sends back to the code.
    assert client.get("/werkplek/").headers["location"] == "/werkplek/aanmelden/code"
    assert client.get(f"/werkplek/rondes/{world.round_id}").status_code == 303
    code_page = client.get("/werkplek/aanmelden/code")
    assert problems(code_page.text) == []

    wrong = submit_code(client, "000000" if code_for(member, world.clock) != "000000" else "111111")
    assert wrong.status_code == 400
    assert "Deze code klopt niet" in wrong.text
    assert client.get("/werkplek/").status_code == 303

    code = code_for(member, world.clock)
    done = submit_code(client, code)
    assert done.status_code == 303 and done.headers["location"] == "/werkplek/"
    token = client.cookies.get(SESSION_COOKIE)
    assert token
    rounds = client.get("/werkplek/")
    assert rounds.status_code == 200
    assert "Consultatieronde voorjaar 2030" in rounds.text
    assert problems(rounds.text) == []
    with world.wired.db.unit_of_work() as session:
        rows = session.scalars(select(AccountSession)).all()
        # The half-open session ended; the full one is stored by the hash of its token only.
        assert [r.token_hash for r in rows] == [hash_token(token)]
        assert all(token not in (r.token_hash, r.csrf_token) for r in rows)

    # The same code does not sign in a second browser.
    other = new_client(world.client)
    assert submit_password(other, member.email, member.password).status_code == 303
    assert submit_code(other, code).status_code == 400


def test_repeated_failures_lock_the_account_without_telling_it_exists(world: World) -> None:
    member = add_member(world.wired, Role.SECRETARIAAT)
    client = new_client(world.client)
    said = set()
    for _ in range(5):
        response = submit_password(client, member.email, "niet het goede wachtwoord")
        assert response.status_code == 400
        said.add(_error_summary(response.text))
    # Now even the right password is refused, with the very same words.
    locked = submit_password(client, member.email, member.password)
    assert locked.status_code == 400
    said.add(_error_summary(locked.text))
    unknown = submit_password(client, "niemand@wiz.example", member.password)
    said.add(_error_summary(unknown.text))
    assert len(said) == 1
    assert REFUSED in said.pop()
    assert client.get("/werkplek/").status_code == 303

    world.clock.now += timedelta(minutes=14)
    assert submit_password(client, member.email, member.password).status_code == 400
    world.clock.now += timedelta(minutes=1)
    sign_in(client, member, world.clock)
    assert client.get("/werkplek/").status_code == 200
    with world.wired.db.unit_of_work() as session:
        account = session.scalars(select(Account)).one()
        assert (account.failed_attempts, account.locked_until) == (0, None)


def test_wrong_codes_count_towards_the_lockout_too(world: World) -> None:
    member = add_member(world.wired, Role.STAF)
    client = new_client(world.client)
    assert submit_password(client, member.email, member.password).status_code == 303
    right = code_for(member, world.clock)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(4):
        assert submit_code(client, wrong).status_code == 400
    # The fifth wrong code locks the account and ends the half-open session.
    page = client.get("/werkplek/aanmelden/code")
    last = client.post("/werkplek/aanmelden/code", data={"csrf": csrf_of(page.text), "code": wrong})
    assert last.status_code == 303
    assert last.headers["location"] == "/werkplek/aanmelden?melding=opnieuw"
    assert "Begin opnieuw" in client.get(last.headers["location"]).text
    assert submit_password(client, member.email, member.password).status_code == 400


def test_a_session_ends_after_inactivity_and_on_signing_out(world: World) -> None:
    member = add_member(world.wired, Role.SECRETARIAAT)
    client = new_client(world.client)
    sign_in(client, member, world.clock)
    # Activity keeps the session alive beyond the idle time ...
    for _ in range(3):
        world.clock.now += timedelta(minutes=20)
        assert client.get("/werkplek/").status_code == 200
    # ... 30 minutes without a request end it.
    world.clock.now += timedelta(minutes=30)
    expired = client.get("/werkplek/")
    assert expired.status_code == 303
    assert expired.headers["location"] == "/werkplek/aanmelden?melding=verlopen"
    assert "omdat u een tijd niets hebt gedaan" in client.get(expired.headers["location"]).text

    # The same with the session's last request set back in the database.
    world.clock.now += timedelta(minutes=1)
    sign_in(client, member, world.clock)
    with world.wired.db.unit_of_work() as session:
        for row in session.scalars(select(AccountSession)):
            row.last_seen_at = world.clock.now - timedelta(minutes=31)
    assert client.get("/werkplek/").status_code == 303

    # Signing out ends the session on the server: the old cookie opens nothing any more.
    world.clock.now += timedelta(minutes=1)
    sign_in(client, member, world.clock)
    token = client.cookies.get(SESSION_COOKIE)
    assert token
    page = client.get("/werkplek/")
    out = client.post("/werkplek/afmelden", data={"csrf": csrf_of(page.text)})
    assert out.status_code == 303
    assert out.headers["location"] == "/werkplek/aanmelden?melding=afgemeld"
    assert "U bent afgemeld." in client.get(out.headers["location"]).text
    client.cookies.set(SESSION_COOKIE, token, domain="consult.example.org", path="/werkplek")
    assert client.get("/werkplek/").status_code == 303
    with world.wired.db.unit_of_work() as session:
        assert session.scalars(select(AccountSession)).all() == []


def test_a_session_ends_at_its_maximum_age_whatever_the_activity(world: World) -> None:
    member = add_member(world.wired, Role.SECRETARIAAT)
    client = new_client(world.client)
    sign_in(client, member, world.clock)
    for _ in range(12 * 3 - 1):
        world.clock.now += timedelta(minutes=20)
        assert client.get("/werkplek/").status_code == 200
    world.clock.now += timedelta(minutes=20)
    assert client.get("/werkplek/").status_code == 303


def test_a_post_without_the_session_s_csrf_token_is_refused(world: World) -> None:
    admin = add_member(world.wired, Role.BEHEERDER)
    client = new_client(world.client)
    sign_in(client, admin, world.clock)
    form = {"email": "nieuw@wiz.example", "name": "Nieuw", "role": "staf"}
    for csrf in (None, "", "x" * 43, "ünïcödé"):
        data = dict(form) if csrf is None else {**form, "csrf": csrf}
        refused = client.post("/werkplek/accounts", data=data)
        assert refused.status_code == 403
        assert "Formulier verlopen" in refused.text
        assert problems(refused.text) == []
    # Another browser's token does not do either.
    other = new_client(world.client)
    sign_in(other, add_member(world.wired, Role.BEHEERDER, email="b2@wiz.example"), world.clock)
    other_csrf = csrf_of(other.get("/werkplek/accounts").text)
    assert client.post("/werkplek/accounts", data={**form, "csrf": other_csrf}).status_code == 403
    with world.wired.db.unit_of_work() as session:
        assert session.scalar(select(Account).where(Account.email == form["email"])) is None
    # Signing in needs the form's token as well (no signing someone into another account).
    anonymous = new_client(world.client)
    forged = anonymous.post(
        "/werkplek/aanmelden", data={"email": admin.email, "password": admin.password}
    )
    assert forged.status_code == 403
    assert f"{SESSION_COOKIE}=" not in forged.headers.get("set-cookie", "")

    added = client.post(
        "/werkplek/accounts",
        data={**form, "csrf": csrf_of(client.get("/werkplek/accounts").text)},
    )
    assert added.status_code == 200
    assert "Account toegevoegd" in added.text


def test_a_get_changes_nothing_but_the_session_s_last_request(world: World) -> None:
    member = add_member(world.wired, Role.SECRETARIAAT)
    client = new_client(world.client)
    sign_in(client, member, world.clock)
    with world.wired.db.unit_of_work() as session:
        before = session.scalars(select(Account)).one().language
    # A language switch by GET (a link a mail scanner follows) does nothing.
    assert client.get("/werkplek/taal?language=en").status_code == 405
    with world.wired.db.unit_of_work() as session:
        assert session.scalars(select(Account)).one().language == before


def test_the_language_switch_turns_the_pages_english_and_is_remembered(world: World) -> None:
    member = add_member(world.wired, Role.SECRETARIAAT)
    client = new_client(world.client)
    sign_in_page = client.get("/werkplek/aanmelden")
    switched = client.post(
        "/werkplek/taal",
        data={"csrf": csrf_of(sign_in_page.text), "language": "en", "next": "/werkplek/aanmelden"},
    )
    assert switched.status_code == 303 and switched.headers["location"] == "/werkplek/aanmelden"
    english = client.get("/werkplek/aanmelden")
    assert 'lang="en"' in english.text and "<h1>Sign in</h1>" in english.text
    sign_in(client, member, world.clock)
    rounds = client.get("/werkplek/")
    assert "<h1>Rounds</h1>" in rounds.text and "inviting" in rounds.text
    dashboard = client.get(f"/werkplek/rondes/{world.round_id}")
    assert "Per theme" in dashboard.text and "Innovation" in dashboard.text
    # Back to Dutch, remembered on the account (its mails speak it too); never off-site.
    back = client.post(
        "/werkplek/taal",
        data={"csrf": csrf_of(rounds.text), "language": "nl", "next": "https://evil.example/"},
    )
    assert back.headers["location"] == "/werkplek/"
    assert "<h1>Rondes</h1>" in client.get("/werkplek/").text
    with world.wired.db.unit_of_work() as session:
        assert session.scalars(select(Account)).one().language == "nl"

"""The workplace's pages as the secretariat, staff and administrators see them: the rounds list,
a round's dashboard following an invitee's answer and a bounced address, the accounts page,
each passing the structural accessibility checks; and no GET changes anything."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
from sqlalchemy import func, select

from consult.mail.outbox import suppress
from consult.web.workplace.access import guards
from consult.web.workplace.router import workplace_routers
from models import (
    Account,
    Invitation,
    Organisation,
    OutboxMessage,
    OutboxStatus,
    Person,
    Region,
    Role,
)
from models.audit import AuditEntry
from tests.integration.web.a11y import problems
from tests.integration.web.conftest import World
from tests.integration.web.sessions_support import seat
from tests.integration.web.test_invitee_routes import accept, snapshot
from tests.integration.web.workplace_support import (
    add_member,
    csrf_of,
    ids_in,
    new_client,
    sign_in,
    submit_code,
    submit_password,
)

REPLY = "550 5.1.1 <vvt.achterhoek@example.org>: Recipient address rejected: User unknown"


def _row(html: str, heading: str) -> list[str]:
    """The cells of the table row whose heading cell is `heading`."""
    match = re.search(rf"<th scope=\"row\">{re.escape(heading)}</th>(.*?)</tr>", html, re.S)
    assert match, heading
    return re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)


def test_the_dashboard_follows_answers_bounces_and_the_outbox(world: World) -> None:
    member = add_member(world.wired, Role.SECRETARIAAT)
    client = new_client(world.client)
    sign_in(client, member, world.clock)

    rounds = client.get("/werkplek/")
    assert problems(rounds.text) == []
    assert f'href="/werkplek/rondes/{world.round_id}"' in rounds.text
    assert "uitnodigen" in rounds.text  # the round's status, as `round status` names it

    dashboard = client.get(f"/werkplek/rondes/{world.round_id}")
    assert dashboard.status_code == 200
    assert problems(dashboard.text) == []
    assert _row(dashboard.text, "Innovatie") == ["3", "0", "0", "0", "0", "0"]
    assert "Alle mail van deze ronde is aangekomen of nog onderweg." in dashboard.text
    assert _row(dashboard.text, "wachtend") == ["6"]
    # What the deadline automation does next, and when.
    assert "vrijdag 1 maart 2030 om 17:00" in dashboard.text
    assert "antwoordtermijn sluit" in dashboard.text

    # An invitee answers on their page; a mail server refuses another address for good.
    accepted_id, token = world.first("innovatie")
    accept(world, token)
    with world.wired.db.unit_of_work() as session:
        bounced = session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient_email.startswith("vvt."))
        ).first()
        assert bounced is not None
        bounced.status, bounced.last_error = OutboxStatus.FAILED, REPLY
        suppress(session, bounced.recipient_email, REPLY, bounced.id)
        address = bounced.recipient_email
        counts = {
            status: len(
                session.scalars(select(OutboxMessage).where(OutboxMessage.status == status)).all()
            )
            for status in OutboxStatus
        }
    after = client.get(f"/werkplek/rondes/{world.round_id}")
    assert _row(after.text, "Innovatie")[:3] == ["3", "1", "1"]
    # Participation per region and per sector: the numbers, and a bar as long as the invited.
    with world.wired.db.unit_of_work() as session:
        region = session.scalars(
            select(Region.name)
            .join(Organisation, Organisation.region_id == Region.id)
            .join(Person, Person.organisation_id == Organisation.id)
            .join(Invitation, Invitation.person_id == Person.id)
            .where(Invitation.id == accepted_id)
        ).one()
        invited_there = session.scalar(
            select(func.count(Invitation.id))
            .join(Person, Person.id == Invitation.person_id)
            .join(Organisation, Organisation.id == Person.organisation_id)
            .join(Region, Region.id == Organisation.region_id)
            .where(Invitation.round_id == world.round_id, Region.name == region)
        )
    regions = after.text.split('id="per-region"')[1].split("</table>")[0]
    cells = _row(regions, region)
    assert cells[:4] == [str(invited_there), "1", "1", "0"]
    assert 'class="bar-accepted" width="' in cells[4]
    assert "Per sector" in after.text
    cells = _row(after.text, address)
    assert "geblokkeerd" in cells[1] and "uitnodiging" in cells[2]
    assert "550 5.1.1" in cells[3] and "&lt;vvt.achterhoek@example.org&gt;" in cells[3]
    assert _row(after.text, "mislukt") == [str(counts[OutboxStatus.FAILED])]
    assert _row(after.text, "verzonden") == [str(counts[OutboxStatus.SENT])]
    assert counts[OutboxStatus.SENT] >= 1  # the confirmation of the answer went out

    missing = client.get("/werkplek/rondes/999999")
    assert missing.status_code == 404 and "Pagina niet gevonden" in missing.text
    assert client.get("/werkplek/rondes/abc").status_code == 404
    # An address in the workplace without a page gets the workplace's own page.
    nowhere = client.get("/werkplek/bestaat-niet")
    assert nowhere.status_code == 404 and problems(nowhere.text) == []
    assert "Op dit adres staat niets in de werkplek." in nowhere.text
    assert 'href="/werkplek/">Naar uw startpagina' in nowhere.text


def test_staff_read_the_rounds_and_a_regional_coordinator_is_refused(world: World) -> None:
    staff = new_client(world.client)
    sign_in(staff, add_member(world.wired, Role.STAF), world.clock)
    page = staff.get(f"/werkplek/rondes/{world.round_id}")
    assert page.status_code == 200
    main = page.text.split('<main id="main"', 1)[1]
    assert "<form" not in main  # nothing to change on it
    assert 'href="/werkplek/accounts"' not in page.text

    coordinator = new_client(world.client)
    member = add_member(world.wired, Role.REGIOCOORDINATOR)
    assert submit_password(coordinator, member.email, member.password).status_code == 303
    landed = submit_code(coordinator, pyotp.TOTP(member.totp_secret).at(world.clock.now))
    assert landed.headers["location"] == "/werkplek/regio"
    own = coordinator.get("/werkplek/account")
    assert own.status_code == 200 and problems(own.text) == []
    assert "regiocoördinator" in own.text and "Twente" in own.text
    refused = coordinator.get(f"/werkplek/rondes/{world.round_id}")
    assert refused.status_code == 403
    assert "Geen toegang" in refused.text and problems(refused.text) == []


def test_an_administrator_adds_and_disables_accounts(world: World) -> None:
    admin = new_client(world.client)
    sign_in(admin, add_member(world.wired, Role.BEHEERDER), world.clock)
    page = admin.get("/werkplek/accounts")
    assert page.status_code == 200 and problems(page.text) == []
    # Nobody disables themselves.
    assert "/uitschakelen" not in page.text

    refused = admin.post(
        "/werkplek/accounts",
        data={"csrf": csrf_of(page.text), "email": "regio@wiz.example", "role": "regiocoordinator"},
    )
    assert refused.status_code == 422 and problems(refused.text) == []
    assert "een regiocoördinator heeft ten minste één regio nodig" in refused.text
    assert 'value="regio@wiz.example"' in refused.text  # what was typed stays

    added = admin.post(
        "/werkplek/accounts",
        data={
            "csrf": csrf_of(page.text),
            "email": "regio@wiz.example",
            "name": "Ria Regio",
            "role": "regiocoordinator",
            "region": ["Twente", "Zwolle"],
        },
    )
    assert added.status_code == 200 and problems(added.text) == []
    assert added.headers["cache-control"] == "no-store"
    password = re.search(r"Eenmalig wachtwoord</dt><dd><code>([^<]+)</code>", added.text)
    key = re.search(r"authenticator-app</dt><dd><code>([A-Z2-7]{32})</code>", added.text)
    assert password and key

    listed = admin.get("/werkplek/accounts")
    cells = _row(listed.text, "regio@wiz.example")
    assert cells[:3] == ["Ria Regio", "regiocoördinator", "Twente, Zwolle"]
    new = new_client(world.client)
    assert submit_password(new, "regio@wiz.example", password.group(1)).status_code == 303
    assert submit_code(new, pyotp.TOTP(key.group(1)).at(world.clock.now)).status_code == 303

    action = re.search(r'action="(/werkplek/accounts/\d+/uitschakelen)"', listed.text)
    assert action
    disabled = admin.post(action.group(1), data={"csrf": csrf_of(listed.text)})
    assert disabled.status_code == 303
    after = admin.get(disabled.headers["location"])
    assert "Het account is uitgeschakeld" in after.text
    assert _row(after.text, "regio@wiz.example")[3] == "uitgeschakeld"
    assert new.get("/werkplek/account").status_code == 303

    # The audit log says which administrator added and disabled the account.
    with world.wired.db.unit_of_work() as session:
        ids = dict(session.execute(select(Account.email, Account.id)).tuples().all())
        entries = session.execute(
            select(AuditEntry.action, AuditEntry.actor).where(
                AuditEntry.subject_type == "account",
                AuditEntry.subject_id == ids["regio@wiz.example"],
                AuditEntry.action.in_(["account.add", "account.disable"]),
            )
        ).all()
    by = f"account:{ids['beheerder@wiz.example']}"
    assert sorted(entries) == [("account.add", by), ("account.disable", by)]


def test_no_workplace_get_changes_the_database(world: World) -> None:
    admin = new_client(world.client)
    sign_in(admin, add_member(world.wired, Role.BEHEERDER), world.clock)
    # The session notes are the secretariat's and staff's, not an administrator's.
    secretariat = new_client(world.client)
    sign_in(secretariat, add_member(world.wired, Role.SECRETARIAAT), world.clock)
    values = {
        "round_id": str(world.round_id),
        "token": "x" * 43,
        "region": "Twente",
        "session_id": str(seat(world, ["ggz.twente@example.org"])),
        **ids_in(world),
    }
    paths = [
        (
            admin if r.guard.allows(Role.BEHEERDER) else secretariat,
            re.sub(r"{(\w+)}", lambda m: values[m.group(1)], r.path),
        )
        for r in guards(workplace_routers())
        if r.method == "GET"
    ]
    # A minute later: the first request notes the session's activity, the rest do not.
    world.clock.now += timedelta(minutes=1)
    admin.get("/werkplek/account")
    secretariat.get("/werkplek/account")
    before = snapshot(world.wired.db)
    for client, path in paths:
        assert client.get(path).status_code in (200, 303, 404), path
        assert client.head(path).status_code in (200, 303, 404), path
    assert snapshot(world.wired.db) == before

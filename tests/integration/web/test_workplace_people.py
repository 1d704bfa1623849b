"""The people of a round in the workplace, on SQLite and PostgreSQL: the table and its filters,
one invitee's page (answers, availability, contributions, every mail), and the secretariat's
actions on it (send the invitation again, remind now, correct the address, withdraw), each
saying what it did; staff read without forms."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from consult.app.people import PeopleFilter, people_in_round
from consult.events import INVITATION_RESPONDED
from consult.mail.outbox import suppress
from models import (
    Account,
    AttendeeStatus,
    Invitation,
    InvitationStatus,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    Person,
    Role,
    SessionAttendee,
    SuppressedAddress,
)
from tests.integration.web.a11y import problems
from tests.integration.web.conftest import World
from tests.integration.web.test_invitee_routes import (
    accept,
    email_of,
    mail_to,
    post,
    schedule,
    slot_ids,
)
from tests.integration.web.workplace_support import (
    add_member,
    csrf_of,
    logged,
    new_client,
    sign_in,
)

REPLY = "550 5.1.1 <{address}>: Recipient address rejected: User unknown"


def _secretariat(world: World) -> TestClient:
    client = new_client(world.client)
    sign_in(client, add_member(world.wired, Role.SECRETARIAAT), world.clock)
    return client


def _names(html: str) -> list[str]:
    """The names in the people table, in order."""
    return re.findall(
        r'<th scope="row"><a href="/werkplek/rondes/\d+/mensen/\d+">([^<]+)</a>', html
    )


def _all_sent(world: World) -> None:
    """The round's queued mail as the sender leaves it once delivered."""
    with world.wired.db.unit_of_work() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.SENT, sent_at=world.clock.now, sealed_links=None)
        )


def _messages(world: World, invitation_id: int, kind: OutboxKind) -> list[OutboxMessage]:
    with world.wired.db.unit_of_work() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.invitation_id == invitation_id, OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id)
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def _bounce(world: World, invitation_id: int) -> str:
    """The invitation email to this invitee bounced for good; returns the address."""
    address = email_of(world, invitation_id)
    with world.wired.db.unit_of_work() as session:
        message = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.invitation_id == invitation_id,
                OutboxMessage.kind == OutboxKind.INVITATION,
            )
        ).one()
        reply = REPLY.format(address=address)
        message.status, message.last_error, message.attempts = OutboxStatus.FAILED, reply, 1
        suppress(session, address, reply, message.id)
    return address


def test_the_table_shows_everyone_and_filters_by_status_theme_region_and_sector(
    world: World,
) -> None:
    client = _secretariat(world)
    dashboard = client.get(f"/werkplek/rondes/{world.round_id}")
    assert f'href="/werkplek/rondes/{world.round_id}/mensen"' in dashboard.text
    base = f"/werkplek/rondes/{world.round_id}/mensen"
    page = client.get(base)
    assert page.status_code == 200 and problems(page.text) == []
    assert "6 mensen" in page.text
    assert len(_names(page.text)) == 6
    assert _names(page.text) == sorted(_names(page.text))

    accepted_id, token = world.first("innovatie")
    accept(world, token)
    bounced_id = world.invitation_ids()[-1]
    _bounce(world, bounced_id)
    with world.wired.db.unit_of_work() as session:
        accepted = session.get_one(Invitation, accepted_id).person.name
        bounced = session.get_one(Invitation, bounced_id).person.name

    only_yes = client.get(f"{base}?status=accepted")
    assert _names(only_yes.text) == [accepted]
    assert "doet mee" in only_yes.text
    assert 'value="accepted" selected' in only_yes.text  # the form shows the filter
    blocked = client.get(f"{base}?status=bounced")
    assert _names(blocked.text) == [bounced] and "adres geblokkeerd" in blocked.text
    assert len(_names(client.get(f"{base}?status=pending").text)) == 5
    assert len(_names(client.get(f"{base}?thema=innovatie").text)) == 3
    twente = client.get(f"{base}?regio=Twente").text
    assert sorted(_names(twente)) == ["Persoon 1 Ggz", "Persoon 4 Gemeente"]
    assert _names(client.get(f"{base}?sector=vvt").text) == ["Persoon 0 Vvt"]
    both = client.get(f"{base}?regio=Twente&sector=ggz").text
    assert _names(both) == ["Persoon 1 Ggz"] and "1 persoon" in both
    none = client.get(f"{base}?regio=Twente&sector=vvt")
    assert _names(none.text) == [] and "Niemand in deze ronde voldoet." in none.text
    # A value that is no choice (an edited address) narrows nothing.
    assert len(_names(client.get(f"{base}?status=weg&regio=Atlantis&pagina=x").text)) == 6

    assert client.get("/werkplek/rondes/999999/mensen").status_code == 404
    assert client.get(f"{base}/999999").status_code == 404


def test_the_table_comes_a_page_at_a_time_with_its_count(world: World) -> None:
    with world.wired.db.unit_of_work() as session:
        first = people_in_round(session, world.wired.taxonomy, world.round_id, PeopleFilter(), 4)
        second = people_in_round(
            session, world.wired.taxonomy, world.round_id, PeopleFilter(page=2), 4
        )
        beyond = people_in_round(
            session, world.wired.taxonomy, world.round_id, PeopleFilter(page=9), 4
        )
    assert first and second and beyond
    assert (len(first.rows), first.total, first.pages) == (4, 6, 2)
    assert (len(second.rows), second.total) == (2, 6)
    assert {r.invitation_id for r in first.rows}.isdisjoint(r.invitation_id for r in second.rows)
    assert (beyond.rows, beyond.total) == ((), 6)


def test_a_person_page_shows_answers_times_contributions_and_every_mail(world: World) -> None:
    invitation_id, token = world.first("innovatie")
    slots = slot_ids(world, invitation_id)
    assert post(world, token, "answer", {"answer": "accept", "slot": slots[:1]}).status_code == 303
    schedule(world)
    answered = post(world, token, "input", {"action": "submit", "text-q1": "Drie woorden hier"})
    assert answered.status_code == 303
    address = email_of(world, invitation_id)

    client = _secretariat(world)
    people = client.get(f"/werkplek/rondes/{world.round_id}/mensen")
    link = f"/werkplek/rondes/{world.round_id}/mensen/{invitation_id}"
    assert f'href="{link}"' in people.text
    page = client.get(link)
    assert page.status_code == 200 and problems(page.text) == []
    text = page.text
    assert "doet mee" in text and address in text
    assert "<li>Innovatie</li>" in text  # the first choice
    assert "zondag 10 maart 2030, 10:00\u201311:30" in text  # the time they can make
    assert "groep 1" in text  # the session they were placed in
    assert "antwoord vooraf" in text
    assert "ingediend" in text and ">3</td>" in text  # three words handed in
    # Every mail, with its kind and state: the invitation and the confirmation of the answer
    # (both sent after the answer).
    assert "uitnodiging" in text and "bevestiging" in text and "verzonden" in text
    # The secretariat can act on it; no reminder fits someone who answered and handed in.
    for action in ("opnieuw-uitnodigen", "adres", "intrekken"):
        assert f'action="{link}/{action}"' in text
    assert f'action="{link}/herinneren"' not in text

    staff = new_client(world.client)
    sign_in(staff, add_member(world.wired, Role.STAF), world.clock)
    read = staff.get(link)
    assert read.status_code == 200 and address in read.text
    assert "<form" not in read.text.split('<main id="main"', 1)[1]


def test_sending_the_invitation_again_adds_one_mail_per_click_and_never_two_at_once(
    world: World,
) -> None:
    invitation_id, _ = world.first("innovatie")
    address = email_of(world, invitation_id)
    client = _secretariat(world)
    link = f"/werkplek/rondes/{world.round_id}/mensen/{invitation_id}"
    page = client.get(link)
    assert 'name="eerder" value="1"' in page.text

    # The first invitation is still waiting to go: a second one would cross it.
    waiting = client.post(
        f"{link}/opnieuw-uitnodigen", data={"csrf": csrf_of(page.text), "eerder": "1"}
    )
    assert waiting.status_code == 303
    assert "er is geen tweede bijgekomen" in client.get(waiting.headers["location"]).text
    assert len(_messages(world, invitation_id, OutboxKind.INVITATION)) == 1

    _all_sent(world)
    page = client.get(link)
    again = client.post(
        f"{link}/opnieuw-uitnodigen", data={"csrf": csrf_of(page.text), "eerder": "1"}
    )
    assert again.status_code == 303
    said = client.get(again.headers["location"]).text
    assert "De uitnodiging is opnieuw verstuurd, met een nieuwe link" in said
    messages = _messages(world, invitation_id, OutboxKind.INVITATION)
    assert len(messages) == 2 and messages[1].status == OutboxStatus.SENT  # sent at once
    assert len(mail_to(world, address)) == 1  # the first one was only marked sent here

    # The same form once more (a double click, a page sent again): nothing more.
    repeat = client.post(
        f"{link}/opnieuw-uitnodigen", data={"csrf": csrf_of(page.text), "eerder": "1"}
    )
    assert "al gedaan" in client.get(repeat.headers["location"]).text
    assert len(_messages(world, invitation_id, OutboxKind.INVITATION)) == 2
    # Written down once, as the account that did it.
    person_id = _messages(world, invitation_id, OutboxKind.INVITATION)[0].person_id
    assert logged(world, "invitation.send_again") == [
        ("secretariaat@wiz.example", person_id, {"earlier": 1})
    ]


def test_remind_now_sends_one_reminder_of_the_kind_that_fits(world: World) -> None:
    invitation_id, token = world.first("innovatie")
    address = email_of(world, invitation_id)
    member = add_member(world.wired, Role.SECRETARIAAT)
    client = new_client(world.client)
    sign_in(client, member, world.clock)
    link = f"/werkplek/rondes/{world.round_id}/mensen/{invitation_id}"
    # A reminder never overtakes the invitation itself (still queued here).
    early = client.get(link)
    assert f'action="{link}/herinneren"' not in early.text
    assert "De uitnodiging is nog niet verstuurd" in early.text
    refused = client.post(f"{link}/herinneren", data={"csrf": csrf_of(early.text), "eerder": "0"})
    assert refused.status_code == 409
    _all_sent(world)
    page = client.get(link)
    assert "heeft nog niet geantwoord" in page.text
    reminded = client.post(f"{link}/herinneren", data={"csrf": csrf_of(page.text), "eerder": "0"})
    assert reminded.status_code == 303
    assert (
        "Een herinnering om te antwoorden is onderweg."
        in client.get(reminded.headers["location"]).text
    )
    assert len(_messages(world, invitation_id, OutboxKind.REMINDER)) == 1
    assert len(mail_to(world, address)) == 1
    repeat = client.post(f"{link}/herinneren", data={"csrf": csrf_of(page.text), "eerder": "0"})
    assert "al gedaan" in client.get(repeat.headers["location"]).text
    assert len(_messages(world, invitation_id, OutboxKind.REMINDER)) == 1

    # Once they take part, "remind now" asks for their input instead.
    accept(world, token)
    page = client.get(link)
    assert "nog geen inbreng" in page.text
    asked = client.post(f"{link}/herinneren", data={"csrf": csrf_of(page.text), "eerder": "0"})
    assert (
        "Een herinnering om inbreng in te dienen is onderweg."
        in client.get(asked.headers["location"]).text
    )
    assert len(_messages(world, invitation_id, OutboxKind.INPUT_REQUEST)) == 1
    assert [d for _, _, d in logged(world, "invitation.remind")] == [
        {"kind": "answer"},
        {"kind": "input"},
    ]

    # After the input deadline no reminder fits: the page offers none, a POST is refused.
    world.clock.now += timedelta(days=80)
    client = new_client(world.client)
    sign_in(client, member, world.clock)
    late = client.get(link)
    assert f'action="{link}/herinneren"' not in late.text
    refused = client.post(f"{link}/herinneren", data={"csrf": csrf_of(late.text), "eerder": "1"})
    assert refused.status_code == 409 and problems(refused.text) == []
    assert "Er past nu geen herinnering" in refused.text


def test_a_corrected_address_clears_the_bounce_and_sends_the_held_mail(world: World) -> None:
    invitation_id, _ = world.first("behoud_betrokkenheid")
    old = _bounce(world, invitation_id)
    client = _secretariat(world)
    link = f"/werkplek/rondes/{world.round_id}/mensen/{invitation_id}"
    page = client.get(link)
    assert "adres geblokkeerd" in page.text and "550 5.1.1" in page.text
    assert f"&lt;{old}&gt;" in page.text  # the server's reply, escaped
    # Sending it again would only be held back: the address comes first.
    assert f'action="{link}/opnieuw-uitnodigen"' not in page.text
    assert "Het adres is geblokkeerd" in page.text
    held = client.post(
        f"{link}/opnieuw-uitnodigen", data={"csrf": csrf_of(page.text), "eerder": "1"}
    )
    assert held.status_code == 409 and problems(held.text) == []
    assert 'href="#send-again"' in held.text
    assert len(_messages(world, invitation_id, OutboxKind.INVITATION)) == 1

    wrong = client.post(f"{link}/adres", data={"csrf": csrf_of(page.text), "email": "jan@@x"})
    assert wrong.status_code == 422 and problems(wrong.text) == []
    assert 'value="jan@@x"' in wrong.text and 'href="#email"' in wrong.text
    taken = email_of(world, next(i for i in world.invitation_ids() if i != invitation_id))
    clash = client.post(f"{link}/adres", data={"csrf": csrf_of(page.text), "email": taken})
    assert clash.status_code == 422 and "is al het adres van" in clash.text

    new = "nieuw.adres@example.org"
    fixed = client.post(f"{link}/adres", data={"csrf": csrf_of(page.text), "email": new})
    assert fixed.status_code == 303
    after = client.get(fixed.headers["location"]).text
    assert "Het adres is verbeterd. 1 bericht dat deze persoon niet had bereikt" in after
    assert "adres geblokkeerd" not in after
    with world.wired.db.unit_of_work() as session:
        assert session.scalar(select(func.count(SuppressedAddress.id))) == 0
        person = session.get_one(Invitation, invitation_id).person
        assert person.email == new
    (message,) = _messages(world, invitation_id, OutboxKind.INVITATION)
    assert message.recipient_email == new and message.status == OutboxStatus.SENT
    assert len(mail_to(world, new)) == 1 and mail_to(world, old) == []

    assert [(who, d) for who, _, d in logged(world, "registry.correct_address")] == [
        ("secretariaat@wiz.example", {"messages_queued_again": 1})
    ]
    same = client.post(f"{link}/adres", data={"csrf": csrf_of(page.text), "email": new.upper()})
    assert "Dit was het adres al" in client.get(same.headers["location"]).text


def test_withdrawing_an_invitation_ends_its_links_and_cancels_its_waiting_mail(
    world: World,
) -> None:
    invitation_id, token = world.first("innovatie")
    client = _secretariat(world)
    link = f"/werkplek/rondes/{world.round_id}/mensen/{invitation_id}"
    page = client.get(link)

    unsure = client.post(f"{link}/intrekken", data={"csrf": csrf_of(page.text)})
    assert unsure.status_code == 422 and problems(unsure.text) == []
    assert 'href="#zeker"' in unsure.text
    assert world.client.get(f"/i/{token}").status_code == 200

    done = client.post(f"{link}/intrekken", data={"csrf": csrf_of(page.text), "zeker": "ja"})
    assert done.status_code == 303
    after = client.get(done.headers["location"])
    assert problems(after.text) == []
    assert (
        "De uitnodiging is ingetrokken: de links werken niet meer en 1 bericht dat nog niet "
        "was verstuurd, is vervallen." in after.text
    )
    assert "door secretariaat" in after.text  # who withdrew it
    for action in ("opnieuw-uitnodigen", "herinneren", "adres", "intrekken"):
        assert f'action="{link}/{action}"' not in after.text
    with world.wired.db.unit_of_work() as session:
        invitation = session.get_one(Invitation, invitation_id)
        assert invitation.status == InvitationStatus.WITHDRAWN
        assert invitation.withdrawn_at == world.clock.now
        who = session.get_one(Account, invitation.withdrawn_by_id)
        assert who.email == "secretariaat@wiz.example"
    # The invitation had not left yet: it is cancelled and never sent.
    (message,) = _messages(world, invitation_id, OutboxKind.INVITATION)
    assert message.status == OutboxStatus.CANCELLED and message.sealed_links is None
    assert "vervallen (uitnodiging ingetrokken)" in after.text
    assert world.client.get(f"/i/{token}").status_code == 404
    # No longer counted as invited; the table can show them.
    people = client.get(f"/werkplek/rondes/{world.round_id}/mensen?status=withdrawn").text
    assert len(_names(people)) == 1
    dashboard = client.get(f"/werkplek/rondes/{world.round_id}").text
    assert re.search(r"<th scope=\"row\">Innovatie</th>\s*<td class=\"number\">2</td>", dashboard)

    again = client.post(f"{link}/intrekken", data={"csrf": csrf_of(page.text), "zeker": "ja"})
    assert "al ingetrokken" in client.get(again.headers["location"]).text
    assert [(who, d) for who, _, d in logged(world, "invitation.withdraw")] == [
        ("secretariaat@wiz.example", {"cancelled_mail": 1, "seats_given_up": 0})
    ]


def test_withdrawing_someone_placed_gives_up_their_seat_and_tells_the_service(
    world: World,
) -> None:
    invitation_id, token = world.first("innovatie")
    accept(world, token)
    schedule(world)
    client = _secretariat(world)
    link = f"/werkplek/rondes/{world.round_id}/mensen/{invitation_id}"
    page = client.get(link)
    done = client.post(f"{link}/intrekken", data={"csrf": csrf_of(page.text), "zeker": "ja"})
    assert done.status_code == 303
    with world.wired.db.unit_of_work() as session:
        person_id = session.get_one(Invitation, invitation_id).person_id
        seats = session.scalars(
            select(SessionAttendee.status).where(SessionAttendee.person_id == person_id)
        ).all()
    assert seats and set(seats) == {AttendeeStatus.REMOVED}
    assert "niet meer: de sessie is geschrapt" in client.get(link).text
    # A served round hears of it (and places people again, which sends the cancellation).
    withdrawn = [
        s
        for s in world.events
        if s.event == INVITATION_RESPONDED and s.payload["change"] == "withdrawn"
    ]
    assert [s.payload["invitation_id"] for s in withdrawn] == [invitation_id]


def test_two_parallel_resends_make_one_new_invitation_mail(world: World) -> None:
    """Two POSTs of the same form at one moment (a double click), each on a connection of its
    own to a server with several threads: the invitation goes once more, not twice."""
    invitation_id, _ = world.first("innovatie")
    _all_sent(world)
    client = _secretariat(world)
    link = f"/werkplek/rondes/{world.round_id}/mensen/{invitation_id}"
    form = {"csrf": csrf_of(client.get(link).text), "eerder": "1"}
    start = threading.Barrier(2)

    def one(_: int) -> int:
        browser = new_client(world.client)
        browser.cookies.update(client.cookies)
        start.wait()
        return browser.post(f"{link}/opnieuw-uitnodigen", data=form).status_code

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(one, range(2))) == [303, 303]
    assert len(_messages(world, invitation_id, OutboxKind.INVITATION)) == 2


def test_the_actions_refuse_invitations_of_other_rounds_and_bad_ids(world: World) -> None:
    client = _secretariat(world)
    page = client.get(f"/werkplek/rondes/{world.round_id}")
    csrf = csrf_of(page.text)
    invitation_id = world.invitation_ids()[0]
    for action in ("opnieuw-uitnodigen", "herinneren", "adres", "intrekken"):
        other = client.post(
            f"/werkplek/rondes/999/mensen/{invitation_id}/{action}",
            data={"csrf": csrf, "eerder": "0", "email": "a@b.example", "zeker": "ja"},
        )
        assert other.status_code == 404, action
        bad = client.post(
            f"/werkplek/rondes/x/mensen/{invitation_id}/{action}", data={"csrf": csrf}
        )
        assert bad.status_code == 404, action
    with world.wired.db.unit_of_work() as session:
        assert session.get_one(Invitation, invitation_id).status == InvitationStatus.PENDING
        assert session.scalar(select(func.count(Person.id))) == 6


def test_the_pages_speak_english_after_the_switch(world: World) -> None:
    invitation_id, _ = world.first("innovatie")
    client = _secretariat(world)
    link = f"/werkplek/rondes/{world.round_id}/mensen/{invitation_id}"
    page = client.get(link)
    switched = client.post(
        "/werkplek/taal", data={"csrf": csrf_of(page.text), "language": "en", "next": link}
    )
    assert switched.status_code == 303
    english = client.get(link).text
    assert '<html lang="en">' in english
    assert "Mail to this person" in english and "no answer yet" in english
    assert "Withdraw the invitation" in english and "invitation" in english
    people = client.get(f"/werkplek/rondes/{world.round_id}/mensen").text
    assert "6 people" in people and "Show everyone" not in people
    assert "Registry" in people and "Outgoing mail" in people
    assert "Messages per state" in client.get("/werkplek/uitgaand").text
    assert "Read in a file" in client.get("/werkplek/register").text

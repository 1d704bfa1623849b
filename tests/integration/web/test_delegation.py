"""Passing an invitation on (issue 12, point 5): at most `[delegation] max_hops` in a row, a
limited number of attempts per invitation per day, names without web addresses or markup, and
the colleague's invitation in the language the delegator chose, saying who passed it on."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import select

from consult.settings import Settings
from consult.web.app import create_app
from models import Invitation, InvitationStatus, Organisation, Person

from .a11y import problems
from .conftest import BASE_URL, World, tokens_from_outbox
from .test_invitee_routes import csrf_of, email_of, mail_to, post, snapshot

SPAM = "Win a prize at http://evil.example/0"


def colleague(n: int, **changes: str) -> dict[str, Any]:
    return {
        "name": f"Collega {n}",
        "email": f"collega{n}@zorg.example",
        "organisation": f"Zorggroep {n}",
        "language": "nl",
        "sector": "ggz",
        **changes,
    }


def delegate(world: World, token: str, data: dict[str, Any]) -> tuple[httpx.Response, int]:
    """Pass the invitation on; the colleague's invitation id and the response."""
    response = post(world, token, "delegate", data)
    assert response.status_code == 303, response.text
    with world.wired.db.unit_of_work() as session:
        theirs = session.scalars(
            select(Invitation).join(Person).where(Person.email == data["email"])
        ).one()
        return response, theirs.id


def test_a_colleague_who_got_the_invitation_cannot_pass_it_on_again(world: World) -> None:
    _, token = world.first()
    _, theirs_id = delegate(world, token, colleague(1))
    their_token = tokens_from_outbox(world.wired, mail_dir=world.mail_dir)[theirs_id]

    page = world.client.get(f"/i/{their_token}").text
    assert "Doet u mee?" in page
    assert f"/i/{their_token}/delegate" not in page  # no offer to pass it on
    form = world.client.get(f"/i/{their_token}/delegate").text
    assert "kan niet nog eens worden doorgegeven" in form
    assert 'name="email"' not in form

    before = snapshot(world.wired.db)
    sent = len(world.mail())
    # Posting the form anyway (it is not on the page) is refused the same way.
    refused = world.client.post(
        f"/i/{their_token}/delegate",
        data={**colleague(2), "csrf": csrf_of(world, their_token)},
    )
    assert refused.status_code == 409
    assert "kan niet nog eens worden doorgegeven" in refused.text
    assert problems(refused.text) == []
    assert snapshot(world.wired.db) == before
    assert len(world.mail()) == sent


def test_max_hops_is_configurable(world: World, web_settings: Settings) -> None:
    from consult.settings import DelegationSettings

    _, token = world.first()
    _, theirs_id = delegate(world, token, colleague(1))
    their_token = tokens_from_outbox(world.wired, mail_dir=world.mail_dir)[theirs_id]
    two_hops = web_settings.model_copy(update={"delegation": DelegationSettings(max_hops=2)})
    app = create_app(two_hops, emitter=lambda _signal: None, clock=world.clock)
    with TestClient(app, base_url=BASE_URL, follow_redirects=False) as client:
        other = World(**{**world.__dict__, "client": client})
        _, third_id = delegate(other, their_token, colleague(2))
        third_token = tokens_from_outbox(world.wired, mail_dir=world.mail_dir)[third_id]
        refused = client.post(
            f"/i/{third_token}/delegate",
            data={**colleague(3), "csrf": csrf_of(other, third_token)},
        )
        assert refused.status_code == 409
    with world.wired.db.unit_of_work() as session:
        hops = session.get_one(Invitation, third_id).delegation_hops
    assert hops == 2
    assert mail_to(world, "collega3@zorg.example") == []


def test_a_name_with_a_web_address_is_refused_and_the_form_keeps_what_was_typed(
    world: World,
) -> None:
    invitation_id, token = world.first()
    before, sent = snapshot(world.wired.db), len(world.mail())
    response = post(world, token, "delegate", colleague(1, name=SPAM))
    assert response.status_code == 422
    assert "Vul alleen een naam in, zonder webadres" in response.text
    assert f'value="{escape(SPAM)}"' in response.text
    assert 'value="collega1@zorg.example"' in response.text
    assert problems(response.text) == []
    assert snapshot(world.wired.db) == before
    assert len(world.mail()) == sent
    assert world.client.get(f"/i/{token}").status_code == 200

    # Markup, in English for an English-speaking invitee.
    with world.wired.db.unit_of_work() as session:
        session.get_one(Invitation, invitation_id).person.language = "en"
    markup = "<b>Els</b>"
    response = post(world, token, "delegate", colleague(1, name=markup))
    assert response.status_code == 422
    assert "Enter a name only, without a web address" in response.text
    assert f'value="{escape(markup)}"' in response.text
    assert markup not in response.text


def test_the_colleague_gets_the_chosen_language_and_sector_and_learns_who_passed_it_on(
    world: World,
) -> None:
    invitation_id, token = world.first()
    with world.wired.db.unit_of_work() as session:
        inviter = session.get_one(Invitation, invitation_id).person
        inviter_name, inviter_org = inviter.name, inviter.organisation.name
        assert inviter.language == "nl" and inviter.organisation.sector != "mbo"
    form = world.client.get(f"/i/{token}/delegate").text
    assert 'name="language"' in form and 'name="sector"' in form

    delegate(world, token, colleague(1, language="en", sector="mbo"))

    with world.wired.db.unit_of_work() as session:
        person = session.scalars(
            select(Person).where(Person.email == "collega1@zorg.example")
        ).one()
        assert person.language == "en"
        organisation = session.get_one(Organisation, person.organisation_id)
        assert (organisation.name, organisation.sector) == ("Zorggroep 1", "mbo")
    (mail,) = [m for m in world.mail() if str(m["To"]).endswith("<collega1@zorg.example>")]
    assert str(mail["Subject"]).startswith("Invitation")
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"{inviter_name} ({inviter_org}) has passed this invitation on to you." in text


def test_attempts_are_limited_per_invitation_per_day(world: World) -> None:
    invitation_id, token = world.first()
    invited = [email_of(world, i) for i in world.invitation_ids() if i != invitation_id]
    # Five tries at addresses, as someone would find out who is invited: each is refused.
    for address in invited[:5]:
        response = post(world, token, "delegate", colleague(1, email=address))
        assert response.status_code == 409, response.text
    response = post(world, token, "delegate", colleague(1))
    assert response.status_code == 429
    assert "te vaak geprobeerd" in response.text
    assert problems(response.text) == []
    assert 'value="collega1@zorg.example"' in response.text
    with world.wired.db.unit_of_work() as session:
        assert session.get_one(Invitation, invitation_id).status == InvitationStatus.PENDING
    assert mail_to(world, "collega1@zorg.example") == []

    # A day later the invitee can pass it on.
    world.clock.now += timedelta(days=1, minutes=1)
    assert post(world, token, "delegate", colleague(1)).status_code == 303
    assert len(mail_to(world, "collega1@zorg.example")) == 1

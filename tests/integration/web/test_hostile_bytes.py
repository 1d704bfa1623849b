"""Bytes a browser (or someone posting by hand) can send that no person types: NUL and other
control characters, bidi overrides, decomposed accents. On SQLite and PostgreSQL, which refuses
NUL in text: the answer is saved, without them, and the invitee sees what was kept."""

from __future__ import annotations

from sqlalchemy import select

from models import Person
from tests.integration.web.conftest import World
from tests.integration.web.test_invitee_routes import contributions, post, scheduled


def test_a_nul_byte_in_an_answer_is_dropped_and_the_answer_saved(world: World) -> None:
    invitation_id, token = scheduled(world)
    response = post(
        world,
        token,
        "input",
        {"action": "submit", "text-q1": "a\x00b\x1b[31m rood\u202e\r\nCafe\u0301\tklaar"},
    )
    assert response.status_code == 303, response.text
    [row] = contributions(world, invitation_id)
    assert row.text == "ab[31m rood\nCafé\tklaar"
    page = world.client.get(response.headers["location"]).text
    assert ">ab[31m rood\nCafé\tklaar</textarea>" in page


def test_a_nul_byte_in_a_colleagues_name_is_dropped(world: World) -> None:
    _, token = world.first()
    response = post(
        world,
        token,
        "delegate",
        {
            "name": "Els\x00 Visser",
            "email": "els@example.org",
            "organisation": "Zorg\x08 BV",
            "language": "nl",
            "sector": "ggz",
        },
    )
    assert response.status_code == 303, response.text
    with world.wired.db.unit_of_work() as session:
        person = session.scalars(select(Person).where(Person.email == "els@example.org")).one()
        assert (person.name, person.organisation.name) == ("Els Visser", "Zorg BV")

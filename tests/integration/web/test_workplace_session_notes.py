"""Notes taken during a session: saved as contributions of the session with the speaker's
sector, region and quote permission, newest first on the page, logged; for the secretariat
and staff only, and never without the form's CSRF token."""

from __future__ import annotations

import re

from sqlalchemy import select

from models import (
    Contribution,
    ContributionKind,
    Invitation,
    Person,
    QuotePermission,
    Role,
    Theme,
)
from tests.integration.web.a11y import problems
from tests.integration.web.conftest import World
from tests.integration.web.sessions_support import seat
from tests.integration.web.workplace_support import (
    add_member,
    csrf_of,
    logged,
    new_client,
    sign_in,
)

NOTES = [
    (
        "session_note",
        "Stageplaatsen blijven leeg door te weinig begeleiders.",
        "ggz",
        "Twente",
        "role_only",
    ),
    (
        "lesson_learned",
        "Kleine groepen praten vrijer dan plenaire sessies.",
        "gemeente",
        "Twente",
        "attributable",
    ),
    (
        "session_note",
        "Zij-instromers haken af in het eerste half jaar.",
        "ziekenhuis",
        "Zwolle",
        "not_quotable",
    ),
]


def _session(world: World) -> int:
    return seat(world, ["ggz.twente@example.org", "ziekenhuis.zwolle@example.org"])


def _post(client: object, path: str, csrf: str, note: tuple[str, ...]) -> object:
    kind, text, sector, region, permission = note
    return client.post(  # type: ignore[attr-defined]
        path,
        data={
            "csrf": csrf,
            "kind": kind,
            "text": text,
            "sector": sector,
            "region": region,
            "permission": permission,
        },
    )


def test_a_facilitator_records_three_notes_as_contributions_of_the_session(
    world: World,
) -> None:
    session_id = _session(world)
    path = f"/werkplek/sessies/{session_id}/notities"
    facilitator = new_client(world.client)
    member = add_member(world.wired, Role.SECRETARIAAT)
    sign_in(facilitator, member, world.clock)

    # The round's page lists the session with a link to its notes.
    round_page = facilitator.get(f"/werkplek/rondes/{world.round_id}")
    assert f'href="{path}"' in round_page.text
    # And so does the page of someone seated in it.
    with world.wired.db.unit_of_work() as session:
        seated_invitation = session.scalars(
            select(Invitation.id)
            .join(Person, Person.id == Invitation.person_id)
            .where(Person.email == "ggz.twente@example.org")
        ).one()
    person_page = facilitator.get(f"/werkplek/rondes/{world.round_id}/mensen/{seated_invitation}")
    assert f'href="{path}"' in person_page.text

    page = facilitator.get(path)
    assert page.status_code == 200 and problems(page.text) == []
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<script src="/static/session_notes.js" defer></script>' in page.text
    # The sectors and regions of the people seated come first.
    present = page.text.split('<optgroup label="In deze sessie">')[1:]
    sectors, regions = (group.split("</optgroup>", 1)[0] for group in present)
    assert 'value="ggz"' in sectors and 'value="ziekenhuis"' in sectors
    assert 'value="vvt"' not in sectors
    assert 'value="Twente"' in regions and 'value="Zwolle"' in regions
    assert 'value="Achterhoek"' not in regions
    assert "Nog geen notities." in page.text

    csrf = csrf_of(page.text)
    for note in NOTES:
        saved = _post(facilitator, path, csrf, note)
        assert saved.status_code == 303, saved.text  # type: ignore[attr-defined]
        assert saved.headers["location"].startswith(f"{path}?melding=opgeslagen")  # type: ignore[attr-defined]

    after = facilitator.get(f"{path}?melding=opgeslagen")
    assert after.status_code == 200 and problems(after.text) == []
    assert "De notitie is opgeslagen." in after.text and 'data-saved="1"' in after.text
    listed = after.text.split('id="notes"', 1)[1]
    positions = [listed.index(text) for _, text, *_ in NOTES]
    assert positions == sorted(positions, reverse=True), "newest first"
    assert "geleerde les" in listed and "niet citeren" in listed.lower()

    with world.wired.db.unit_of_work() as session:
        innovation = session.scalars(select(Theme.id).where(Theme.slug == "innovatie")).one()
        stored = session.scalars(
            select(Contribution)
            .where(Contribution.session_id == session_id)
            .order_by(Contribution.id)
        ).all()
        assert [
            (c.kind, c.text, c.sector, c.region, c.quote_permission, c.theme_id, c.round_id)
            for c in stored
        ] == [
            (
                ContributionKind(kind),
                text,
                sector,
                region,
                QuotePermission(permission),
                innovation,
                world.round_id,
            )
            for kind, text, sector, region, permission in NOTES
        ]
        assert all(c.person_id is None and not c.draft for c in stored)
    entries = logged(world, "contribution.session_note")
    assert [(who, details["region"]) for who, _, details in entries] == [
        (member.email, "Twente"),
        (member.email, "Twente"),
        (member.email, "Zwolle"),
    ]
    assert all("text" not in details for _, _, details in entries)
    # The round's page counts them.
    counted = facilitator.get(f"/werkplek/rondes/{world.round_id}").text
    sessions = counted.split('id="sessions"', 1)[1].split("</table>")[0]
    assert re.search(
        r'<a href="/werkplek/sessies/\d+/notities">3<span class="visually-hidden">', sessions
    )


def test_a_bad_note_is_shown_again_with_what_is_wrong(world: World) -> None:
    session_id = _session(world)
    path = f"/werkplek/sessies/{session_id}/notities"
    staff = new_client(world.client)
    sign_in(staff, add_member(world.wired, Role.STAF), world.clock)
    csrf = csrf_of(staff.get(path).text)
    refused = _post(staff, path, csrf, ("session_note", "Wat er gezegd werd.", "", "Narnia", "x"))
    assert refused.status_code == 422  # type: ignore[attr-defined]
    text = refused.text  # type: ignore[attr-defined]
    assert problems(text) == []
    assert "Wat er gezegd werd." in text  # kept, nothing lost
    assert "Kies de sector van de spreker." in text
    assert "Kies de regio van de spreker." in text
    with world.wired.db.unit_of_work() as session:
        assert session.scalars(select(Contribution.id)).all() == []
    assert staff.get("/werkplek/sessies/999999/notities").status_code == 404


def test_a_coordinator_is_refused_and_a_form_without_its_token_too(world: World) -> None:
    session_id = _session(world)
    path = f"/werkplek/sessies/{session_id}/notities"
    coordinator = new_client(world.client)
    sign_in(coordinator, add_member(world.wired, Role.REGIOCOORDINATOR), world.clock)
    assert coordinator.get(path).status_code == 403
    own_csrf = csrf_of(coordinator.get("/werkplek/account").text)
    assert _post(coordinator, path, own_csrf, NOTES[0]).status_code == 403  # type: ignore[attr-defined]

    secretariat = new_client(world.client)
    sign_in(secretariat, add_member(world.wired, Role.SECRETARIAAT), world.clock)
    forged = _post(secretariat, path, "niet-het-token", NOTES[0])
    assert forged.status_code == 403  # type: ignore[attr-defined]
    assert "Formulier verlopen" in forged.text  # type: ignore[attr-defined]
    with world.wired.db.unit_of_work() as session:
        assert session.scalars(select(Contribution.id)).all() == []

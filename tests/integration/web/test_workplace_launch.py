"""Launching a round from the workplace, on SQLite and PostgreSQL: a valid form launches a round
that the list and its dashboard show; a slot before the answer deadline, on Koningsdag or in the
weekend is refused or warned about as the form says, next to that slot, and nothing is stored
until it is right (and, with warnings, confirmed); unreadable dates and an empty name are said
at their fields; an uploaded spec file launches too; a round's name cannot be taken twice; the
form needs its CSRF token and the secretariat's or an administrator's role."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from models import CandidateSlot, Invitation, Role, Round
from tests.integration.web.a11y import problems
from tests.integration.web.conftest import World
from tests.integration.web.workplace_support import (
    add_member,
    csrf_of,
    logged,
    new_client,
    sign_in,
)

NEW = "/werkplek/rondes/nieuw"
NAME = "Consultatieronde voorjaar 2027"


def _manager(world: World, role: Role = Role.SECRETARIAAT) -> TestClient:
    client = new_client(world.client)
    sign_in(client, add_member(world.wired, role), world.clock)
    return client


def _fields(**changes: str | list[str]) -> dict[str, str | list[str]]:
    """A valid form: two themes with working-day slots in April 2027 (Tuesday 13th, Thursday
    15th, Wednesday 14th), deadlines around them, invitees from two regions."""
    data: dict[str, str | list[str]] = {
        "name": NAME,
        "slug": "",
        "themes": ["innovatie", "behoud_betrokkenheid"],
        "slot-innovatie-1-date": "2027-04-13",
        "slot-innovatie-1-start": "10:00",
        "slot-innovatie-1-end": "11:30",
        "slot-innovatie-2-date": "15-04-2027",
        "slot-innovatie-2-start": "14.00",
        "slot-innovatie-2-end": "15:30",
        "slot-behoud_betrokkenheid-1-date": "2027-04-14",
        "slot-behoud_betrokkenheid-1-start": "10:00",
        "slot-behoud_betrokkenheid-1-end": "11:30",
        "answer_date": "2027-04-01",
        "answer_time": "17:00",
        "input_date": "2027-05-31",
        "input_time": "23:59",
        "invitees_per_theme": "2",
        "group_min": "1",
        "group_max": "6",
        "regions": ["Twente", "Achterhoek"],
        "meeting_url": "https://meet.example.org/{round}/{theme}-{slot}-{group}",
        "holiday_slots": "refuse",
        "weekend_slots": "warn",
        "rows": "3",
    }
    data.update(changes)
    return data


def _post(
    client: TestClient, data: dict[str, str | list[str]], csrf: bool = True
) -> tuple[int, str]:
    page = client.get(NEW)
    assert page.status_code == 200
    sent = {**data, "csrf": csrf_of(page.text)} if csrf else data
    response = client.post(NEW, data=sent)
    return response.status_code, response.headers.get("location") or response.text


def _rounds(world: World) -> dict[str, int]:
    """Every round's short name with its number of slots (the world's own round included)."""
    with world.wired.db.unit_of_work() as session:
        return {
            slug: count
            for slug, count in session.execute(
                select(Round.slug, func.count(CandidateSlot.id))
                .outerjoin(CandidateSlot, CandidateSlot.round_id == Round.id)
                .group_by(Round.slug)
            )
        }


def _error_at(html: str, field: str) -> str:
    match = re.search(
        rf'<p class="field-error" id="{re.escape(field)}-error">(.*?)</p>', html, re.S
    )
    assert match, f"no error at {field}"
    # Without the words for screen readers that start every message.
    text = re.sub(r'<span class="visually-hidden">.*?</span>', "", match.group(1))
    return unescape(re.sub(r"<[^>]+>", "", text)).strip()


def _value_of(html: str, field: str) -> str:
    match = re.search(rf'id="{re.escape(field)}" name="[^"]+" value="([^"]*)"', html)
    assert match, field
    return unescape(match.group(1))


def test_a_valid_form_launches_a_round_that_the_list_and_its_dashboard_show(
    world: World,
) -> None:
    client = _manager(world)
    rounds = client.get("/werkplek/")
    assert '<a class="button" href="/werkplek/rondes/nieuw">Nieuwe ronde</a>' in rounds.text
    form = client.get(NEW)
    assert form.status_code == 200 and problems(form.text) == []
    assert "Nieuwe ronde starten" in form.text
    # Every theme of the taxonomy and every region can be chosen.
    assert 'value="onderwijsvernieuwing"' in form.text and 'value="Stedenvierkant"' in form.text

    status, location = _post(client, _fields())
    assert status == 303 and re.fullmatch(
        r"/werkplek/rondes/\d+\?melding=gestart&aantal=\d+", location
    )
    round_id = int(location.split("/")[-1].split("?")[0])
    with world.wired.db.unit_of_work() as session:
        launched = session.get(Round, round_id)
        assert launched is not None
        assert (launched.slug, launched.name) == ("consultatieronde-voorjaar-2027", NAME)
        assert launched.spec["regions"] == ["Achterhoek", "Twente"]
        assert launched.spec["weekend_slots"] == "warn"
        slots = session.scalars(
            select(CandidateSlot).where(CandidateSlot.round_id == round_id)
        ).all()
        assert sorted(s.start.isoformat()[:16] for s in slots) == [
            "2027-04-13T08:00",  # 10:00 in Amsterdam, summer time
            "2027-04-14T08:00",
            "2027-04-15T12:00",
        ]
        invited = session.scalar(
            select(func.count(Invitation.id)).where(Invitation.round_id == round_id)
        )
    # The world's registry has two people in Twente and two in Achterhoek.
    assert invited == 4

    dashboard = client.get(location)
    assert dashboard.status_code == 200 and problems(dashboard.text) == []
    assert f"<h1>{NAME}</h1>" in dashboard.text
    assert "De ronde is gestart. 4 mensen zijn uitgenodigd" in dashboard.text
    assert NAME in client.get("/werkplek/").text

    # Written in the audit log under the account that launched it.
    assert [(who, details["slug"]) for who, _, details in logged(world, "round.launch")][-1] == (
        "secretariaat@wiz.example",
        "consultatieronde-voorjaar-2027",
    )


def test_a_slot_before_the_answer_deadline_is_refused_next_to_that_slot_and_nothing_is_stored(
    world: World,
) -> None:
    client = _manager(world)
    before = _rounds(world)
    status, html = _post(
        client,
        _fields(**{"slot-innovatie-2-date": "2027-03-30", "slot-innovatie-2-start": "10:00"}),
    )
    assert status == 422
    assert _rounds(world) == before
    error = _error_at(html, "slot-innovatie-2-date")
    assert error.startswith("thema innovatie, tijdslot 2027-03-30 10:00:")
    assert "ligt niet na de antwoorddeadline (2027-04-01 17:00)" in error
    # The summary at the top links to the slot; its three fields point at the message.
    assert '<a href="#slot-innovatie-2-date">' in html
    for part in ("date", "start", "end"):
        assert re.search(
            rf'id="slot-innovatie-2-{part}"[^>]*aria-invalid="true" '
            r'aria-describedby="slot-innovatie-2-date-error"',
            html,
        ), part
    # What was typed is still there.
    assert _value_of(html, "name") == NAME
    assert _value_of(html, "slot-innovatie-2-date") == "2027-03-30"
    assert _value_of(html, "slot-innovatie-1-date") == "2027-04-13"
    assert 'value="Twente" checked' in html
    assert problems(html) == []


def test_a_slot_on_koningsdag_is_refused_or_warned_about_as_the_form_says(world: World) -> None:
    client = _manager(world)
    before = _rounds(world)
    koningsdag = {
        "slot-behoud_betrokkenheid-2-date": "27-04-2027",
        "slot-behoud_betrokkenheid-2-start": "10:00",
        "slot-behoud_betrokkenheid-2-end": "11:30",
    }
    status, html = _post(client, _fields(**koningsdag))
    assert status == 422 and _rounds(world) == before
    assert "valt op een feestdag (Koningsdag); kies een werkdag" in _error_at(
        html, "slot-behoud_betrokkenheid-2-date"
    )

    status, html = _post(client, _fields(**koningsdag, holiday_slots="warn"))
    assert status == 200 and _rounds(world) == before
    assert "Controleer de waarschuwingen voordat u start" in html
    assert (
        "thema behoud_betrokkenheid, tijdslot 2027-04-27 10:00: valt op een feestdag (Koningsdag)"
        in unescape(html)
    )
    assert problems(html) == []

    status, html = _post(client, _fields(**koningsdag, holiday_slots="allow"))
    assert status == 303
    assert _rounds(world)["consultatieronde-voorjaar-2027"] == 4


def test_a_weekend_slot_is_launched_only_after_confirmation(world: World) -> None:
    client = _manager(world)
    before = _rounds(world)
    saturday = {
        "slot-innovatie-3-date": "2027-04-17",
        "slot-innovatie-3-start": "10:00",
        "slot-innovatie-3-end": "12:00",
    }
    status, html = _post(client, _fields(**saturday))
    assert status == 200 and _rounds(world) == before
    assert "1 tijdslot vraagt om een tweede blik" in html
    assert "valt in het weekend (zaterdag)" in html
    assert "zaterdag 17 april 2027, 10:00\u201312:00" in html
    assert problems(html) == []
    csrf = csrf_of(html)
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    assert hidden["slot-innovatie-3-date"] == "2027-04-17"

    # "Change" brings the form back as it was, still nothing stored.
    carried = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)
    data: dict[str, list[str]] = {}
    for name, value in carried:
        data.setdefault(name, []).append(unescape(value))
    edit = client.post(NEW, data={**data, "action": "edit"})
    assert edit.status_code == 200 and _value_of(edit.text, "slot-innovatie-3-date") == "2027-04-17"
    assert _value_of(edit.text, "name") == NAME and _rounds(world) == before

    confirmed = client.post(NEW, data={**data, "csrf": csrf, "action": "confirm"})
    assert confirmed.status_code == 303
    assert _rounds(world)["consultatieronde-voorjaar-2027"] == 4
    page = client.get(confirmed.headers["location"])
    assert "De ronde is gestart." in page.text

    # Confirming twice (a double click) does not launch a second round.
    again = client.post(NEW, data={**data, "csrf": csrf, "action": "confirm"})
    assert again.status_code == 422, again.text
    assert "Er is al een ronde met de naam Consultatieronde voorjaar 2027" in unescape(again.text)
    assert len(_rounds(world)) == len(before) + 1


def test_unreadable_dates_times_numbers_and_an_empty_name_are_said_at_their_fields(
    world: World,
) -> None:
    client = _manager(world)
    before = _rounds(world)
    status, html = _post(
        client,
        _fields(
            name="",
            answer_date="31-02-2027",
            input_time="middernacht",
            group_min="vier",
            **{"slot-innovatie-1-end": "25:00"},
        ),
    )
    assert status == 422 and _rounds(world) == before
    assert _error_at(html, "answer_date").endswith(
        "Uiterste antwoorddatum: '31-02-2027' is geen datum; schrijf hem als 2027-04-27 of "
        "27-04-2027"
    )
    assert _error_at(html, "input_date").endswith(
        "Uiterste datum voor inbreng: 'middernacht' is geen tijd; schrijf hem als 17:00"
    )
    assert _error_at(html, "group_min").endswith("Kleinste groep: 'vier' is geen heel getal")
    assert _error_at(html, "slot-innovatie-1-date").endswith(
        "Innovatie, tijdslot 1: '25:00' is geen eindtijd; schrijf hem als 15:30"
    )
    assert _value_of(html, "answer_date") == "31-02-2027"
    assert problems(html) == []

    # The name, once the rest can be read: RoundSpec's own rule, in Dutch.
    status, html = _post(client, _fields(name=""))
    assert status == 422
    assert _error_at(html, "name").endswith("Naam van de ronde: mag niet leeg zijn")
    assert '<a href="#name">' in html

    # The deadlines the wrong way round, and a theme without slots.
    status, html = _post(
        client,
        _fields(
            input_date="2027-03-01", themes=["innovatie", "behoud_betrokkenheid", "anders_besturen"]
        ),
    )
    assert status == 422
    assert _error_at(html, "slot-anders_besturen-1-date").endswith(
        "Tijdsloten voor Anders besturen: mag niet leeg zijn"
    )
    status, html = _post(client, _fields(input_date="2027-03-01"))
    assert status == 422
    assert "input_deadline (inbrengdeadline) moet na answer_deadline" in _error_at(
        html, "input_date"
    )
    assert _rounds(world) == before


def test_more_rows_keeps_what_was_typed(world: World) -> None:
    client = _manager(world)
    page = client.get(NEW)
    assert (
        'id="slot-innovatie-3-date"' in page.text and 'id="slot-innovatie-4-date"' not in page.text
    )
    more = client.post(NEW, data={**_fields(), "csrf": csrf_of(page.text), "action": "rows"})
    assert more.status_code == 200 and 'id="slot-innovatie-6-date"' in more.text
    assert _value_of(more.text, "slot-innovatie-2-date") == "15-04-2027"
    assert "Er is een probleem" not in more.text


SPEC_FILE = """\
slug = "najaar-2027"
name = "Consultatieronde najaar 2027"
answer_deadline = 2027-09-01T17:00:00
input_deadline = 2027-10-31T23:59:00
invitees_per_theme = 2
group_min = 1
weekend_slots = "warn"

[[themes]]
slug = "innovatie"
slots = [{ start = 2027-09-14T10:00:00, end = 2027-09-14T11:30:00 }]
"""


def _upload(client: TestClient, content: bytes, name: str = "ronde.toml") -> tuple[int, str]:
    page = client.get(NEW)
    response = client.post(
        NEW,
        data={"csrf": csrf_of(page.text), "action": "upload"},
        files={"spec_file": (name, content, "application/toml")},
    )
    return response.status_code, response.headers.get("location") or response.text


def test_an_uploaded_spec_file_launches_and_a_bad_one_is_explained(world: World) -> None:
    client = _manager(world)
    before = _rounds(world)
    status, html = _upload(client, SPEC_FILE.replace("group_min = 1", "group_min = 0").encode())
    assert status == 422 and _rounds(world) == before
    assert _error_at(html, "spec_file").endswith("ronde.toml: group_min: moet minstens 1 zijn")
    status, html = _upload(client, b"slug = ")
    assert status == 422 and "ronde.toml: geen geldige TOML" in _error_at(html, "spec_file")
    assert problems(html) == []

    # A Saturday in the file: the same confirmation step, carrying the checked spec.
    saturday = SPEC_FILE.replace("2027-09-14T", "2027-09-18T").encode()
    status, html = _upload(client, saturday)
    assert status == 200 and "valt in het weekend (zaterdag)" in html and _rounds(world) == before
    serialised = re.search(r'name="spec" value="([^"]+)"', html)
    assert serialised
    confirmed = client.post(
        NEW,
        data={"csrf": csrf_of(html), "spec": unescape(serialised.group(1)), "action": "confirm"},
    )
    assert confirmed.status_code == 303
    assert _rounds(world)["najaar-2027"] == 1

    status, location = _upload(
        client,
        SPEC_FILE.replace("najaar-2027", "winter-2027")
        .replace("najaar 2027", "winter 2027")
        .encode(),
    )
    assert status == 303 and "Consultatieronde winter 2027" in client.get(location).text


def test_a_name_or_short_name_in_use_is_refused_in_dutch(world: World) -> None:
    client = _manager(world)
    before = _rounds(world)
    status, html = _post(client, _fields(name="consultatieronde VOORJAAR 2030"))
    assert status == 422
    assert _error_at(html, "name").endswith(
        "Er is al een ronde met de naam Consultatieronde voorjaar 2030; kies een andere naam."
    )
    status, html = _post(client, _fields(slug="voorjaar-2030"))
    assert status == 422
    assert "Er is al een ronde met de korte naam voorjaar-2030" in _error_at(html, "slug")
    status, html = _post(client, _fields(slug="Voorjaar 2030!"))
    assert status == 422
    assert _error_at(html, "slug").endswith(
        "Korte naam: alleen kleine letters, cijfers en streepjes"
    )
    assert _rounds(world) == before


def test_the_form_needs_its_csrf_token_and_a_managers_role(world: World) -> None:
    client = _manager(world)
    before = _rounds(world)
    status, html = _post(client, _fields(), csrf=False)
    assert status == 403 and "Formulier verlopen" in html
    assert _rounds(world) == before

    staff = _manager(world, Role.STAF)
    assert "/werkplek/rondes/nieuw" not in staff.get("/werkplek/").text
    assert staff.get(NEW).status_code == 403
    csrf = csrf_of(staff.get("/werkplek/account").text)
    refused = staff.post(NEW, data={**_fields(), "csrf": csrf})
    assert refused.status_code == 403 and "Geen toegang" in refused.text
    assert _rounds(world) == before

    # An administrator may launch too, in English if they like.
    admin = _manager(world, Role.BEHEERDER)
    page = admin.get(NEW)
    admin.post("/werkplek/taal", data={"csrf": csrf_of(page.text), "language": "en", "next": NEW})
    english = admin.get(NEW)
    assert "Launch a new round" in english.text and "Candidate slots" in english.text
    status, html = _post(admin, _fields(answer_date="1 april"))
    assert status == 422
    assert "Answer deadline: &#39;1 april&#39; is not a date" in html


def test_a_round_nobody_in_the_registry_fits_is_refused_and_nothing_is_stored(
    world: World,
) -> None:
    client = _manager(world)
    before = _rounds(world)
    # Nobody in the world's registry works in Stedenvierkant.
    status, html = _post(client, _fields(regions=["Stedenvierkant"]))
    assert status == 422 and _rounds(world) == before
    assert _error_at(html, "launch") == (
        "niemand uit het register past bij deze ronde; importeer eerst het register"
    )
    assert '<a href="#launch">' in html and 'value="Stedenvierkant" checked' in html

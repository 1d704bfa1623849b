"""The registry in the workplace, on SQLite and PostgreSQL: a file read in two steps (the report
row by row first, the valid rows stored only once confirmed, by any worker of the app), files
that cannot be read, browsing by region, sector and text, and correcting a person's and an
organisation's details."""

from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select

from consult.mail.outbox import suppress
from consult.settings import Settings
from consult.web.app import create_app
from models import (
    Organisation,
    OutboxMessage,
    OutboxStatus,
    Person,
    RegistryUpload,
    Role,
    SuppressedAddress,
)
from tests.integration.web.a11y import problems
from tests.integration.web.conftest import BASE_URL, World
from tests.integration.web.workplace_support import (
    add_member,
    csrf_of,
    logged,
    new_client,
    sign_in,
)

HEADER = "organisatie;sector;regio;naam;e-mailadres;functie;taal\n"
TWO_BAD_ROWS = (
    HEADER
    + "Nieuwe Zorg Twente;vvt;Twente;Nina Nieuw;nina@nieuw.example;beleidsadviseur;nl\n"
    + "Zorggroep Fout;vvt;Twente;Jan Fout;jan@@fout;bestuurder;nl\n"
    + "Tandartsen Oost;tandarts;Twente;Tim Tand;tim@tand.example;;\n"
    + "Stichting Ggz Twente;ggz;Twente;Persoon 1 Ggz;ggz.twente@example.org;directeur;nl\n"
)


def _keeper(world: World, role: Role = Role.SECRETARIAAT, email: str | None = None) -> TestClient:
    client = new_client(world.client)
    sign_in(client, add_member(world.wired, role, email=email), world.clock)
    return client


def _upload(
    client: TestClient, name: str, data: bytes, content_type: str = "text/csv"
) -> tuple[int, str]:
    page = client.get("/werkplek/register/inlezen")
    response = client.post(
        "/werkplek/register/inlezen",
        data={"csrf": csrf_of(page.text)},
        files={"bestand": (name, data, content_type)},
    )
    return response.status_code, response.headers.get("location") or response.text


def _people(world: World) -> set[str]:
    with world.wired.db.unit_of_work() as session:
        return set(session.scalars(select(Person.email)))


def _problem_rows(html: str) -> list[tuple[str, str, str]]:
    return [
        (row, column, re.sub(r"\s+", " ", reason).strip())
        for row, column, reason in re.findall(
            r'<th scope="row" class="number">(\d+)</th>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>',
            html,
        )
    ]


def test_a_file_with_two_bad_rows_shows_them_and_stores_only_the_valid_rows_once_confirmed(
    world: World, web_settings: Settings
) -> None:
    client = _keeper(world)
    before = _people(world)
    status, location = _upload(client, "register.csv", TWO_BAD_ROWS.encode())
    assert status == 303 and location.startswith("/werkplek/register/inlezen/")
    # Read and checked, nothing stored yet.
    assert _people(world) == before

    preview = client.get(location)
    assert preview.status_code == 200 and problems(preview.text) == []
    assert re.search(r'id="valid">2<', preview.text) and re.search(
        r'id="rejected">2<', preview.text
    )
    assert _problem_rows(preview.text) == [
        ("3", "email", "ongeldig e-mailadres &#39;jan@@fout&#39;"),
        ("4", "sector", "onbekende sector &#39;tandarts&#39;"),
    ]
    assert "2 geldige rijen opslaan" in preview.text

    # Another worker of the app (its own process in production) finds the same upload.
    other_worker = create_app(web_settings, clock=world.clock)
    with TestClient(other_worker, base_url=BASE_URL, follow_redirects=False) as second:
        second.cookies.update(client.cookies)
        assert "2 geldige rijen opslaan" in second.get(location).text
    # Nobody else's session does.
    stranger = _keeper(world, Role.BEHEERDER)
    assert stranger.get(location).status_code == 404

    confirmed = client.post(location, data={"csrf": csrf_of(preview.text)})
    assert confirmed.status_code == 303
    registry = client.get(confirmed.headers["location"])
    assert (
        "Het register is ingelezen. 1 nieuwe persoon, 1 bijgewerkt, 0 ongewijzigd." in registry.text
    )
    assert _people(world) == before | {"nina@nieuw.example"}
    with world.wired.db.unit_of_work() as session:
        ggz = session.scalars(select(Person).where(Person.email == "ggz.twente@example.org")).one()
        assert ggz.role == "directeur"
        assert session.scalar(select(func.count(RegistryUpload.id))) == 0

    assert logged(world, "registry.import") == [
        (
            "secretariaat@wiz.example",
            None,
            {
                "file": "register.csv",
                "valid_rows": 2,
                "rejected_rows": 2,
                "created": 1,
                "updated": 1,
                "unchanged": 0,
            },
        )
    ]
    # Confirming twice (a double click) stores nothing twice.
    again = client.post(location, data={"csrf": csrf_of(preview.text)})
    assert again.status_code == 404 and "Deze upload is er niet meer" in again.text
    assert problems(again.text) == []
    assert len(_people(world)) == len(before) + 1


def test_an_excel_file_is_read_the_same_way(world: World) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Organisatie", "Sector", "Regio", "Naam", "E-mail", "Functie", "Taal"])
    sheet.append(["Zorg Zwolle", "ziekenhuis", "Zwolle", "Zara Zwolle", "zara@zwolle.example"])
    sheet.append(["Zorg Zwolle", "ziekenhuis", "Nergens", "Nico Nergens", "nico@zwolle.example"])
    buffer = io.BytesIO()
    book.save(buffer)
    client = _keeper(world)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    status, location = _upload(client, "C:\\Users\\wiz\\register.xlsx", buffer.getvalue(), xlsx)
    assert status == 303
    preview = client.get(location).text
    assert "Verslag over register.xlsx" in preview  # the name without the browser's path
    assert _problem_rows(preview) == [("3", "regio", "onbekende regio &#39;Nergens&#39;")]
    client.post(location, data={"csrf": csrf_of(preview)})
    assert "zara@zwolle.example" in _people(world)
    assert "nico@zwolle.example" not in _people(world)


def test_files_that_cannot_be_read_are_refused_with_a_clear_reason(world: World) -> None:
    client = _keeper(world)
    before = _people(world)
    cases = [
        ("notities.txt", b"hallo", "Het bestand notities.txt heeft een onbekend type"),
        ("leeg.csv", b"", "Het bestand is leeg."),
        ("kolommen.csv", b"naam;regio\nJan;Twente\n", "ontbreken verplichte kolommen"),
        (
            "latin1.csv",
            HEADER.encode() + "Zorg;vvt;Twente;Jos\xe9;j@x.nl\n".encode("cp1252"),
            "UTF-8",
        ),
    ]
    for name, data, said in cases:
        status, text = _upload(client, name, data)
        assert status == 422, name
        assert problems(text) == [], name
        assert said in text, (name, text[-2000:])
        assert 'href="#bestand"' in text
    page = client.get("/werkplek/register/inlezen")
    nothing = client.post(
        "/werkplek/register/inlezen",
        data={"csrf": csrf_of(page.text)},
        files={"bestand": ("", b"", "application/octet-stream")},
    )
    assert nothing.status_code == 422 and "Kies een CSV- of .xlsx-bestand." in nothing.text
    too_large = client.post(
        "/werkplek/register/inlezen",
        data={"csrf": csrf_of(page.text)},
        files={"bestand": ("groot.csv", b"x" * (10 * 1024 * 1024 + 200_000), "text/csv")},
    )
    assert too_large.status_code == 413 and "Het bestand is te groot" in too_large.text
    assert problems(too_large.text) == []
    assert _people(world) == before


def test_the_registry_is_browsed_by_region_sector_and_text(world: World) -> None:
    client = _keeper(world)
    everyone = client.get("/werkplek/register")
    assert everyone.status_code == 200 and problems(everyone.text) == []
    assert "6 mensen" in everyone.text
    assert "2 mensen" in client.get("/werkplek/register?regio=Twente").text
    vvt = client.get("/werkplek/register?sector=vvt").text
    assert "1 persoon" in vvt and "vvt.achterhoek@example.org" in vvt
    found = client.get("/werkplek/register?zoek=GGZ").text  # names and addresses, any case
    assert "1 persoon" in found and "Persoon 1 Ggz" in found
    assert "0 mensen" in client.get("/werkplek/register?zoek=%25").text  # no wildcard
    organisations = client.get("/werkplek/register/organisaties?regio=Zwolle")
    assert organisations.status_code == 200 and problems(organisations.text) == []
    assert "2 organisaties" in organisations.text
    assert "Stichting Ziekenhuis Zwolle" in organisations.text


def test_a_persons_details_are_corrected_with_errors_on_the_page(world: World) -> None:
    client = _keeper(world)
    with world.wired.db.unit_of_work() as session:
        person = session.scalars(
            select(Person).where(Person.email == "mbo.achterhoek@example.org")
        ).one()
        person_id = person.id
        message = session.scalars(
            select(OutboxMessage).where(OutboxMessage.person_id == person_id)
        ).first()
        assert message is not None
        message.status = OutboxStatus.FAILED
        suppress(session, person.email, "550 no such user", message.id)
    path = f"/werkplek/register/mensen/{person_id}"
    page = client.get(path)
    assert page.status_code == 200 and problems(page.text) == []
    assert "adres geblokkeerd" in page.text or "kwam niet aan" in page.text
    form = {
        "csrf": csrf_of(page.text),
        "name": "",
        "email": "geen adres",
        "role": "x" * 201,
        "language": "nl",
    }
    wrong = client.post(path, data=form)
    assert wrong.status_code == 422 and problems(wrong.text) == []
    for field in ("name", "email", "role"):
        assert f'href="#{field}"' in wrong.text
    assert "Vul dit in." in wrong.text and "Maximaal 200 tekens" in wrong.text
    assert 'value="geen adres"' in wrong.text  # what was typed stays

    fixed = {**form, "name": "Mo Bakker", "email": "mo@mbo.example", "role": "docent"}
    saved = client.post(path, data=fixed)
    assert saved.status_code == 303
    said = client.get(saved.headers["location"]).text
    assert "De gegevens zijn opgeslagen. 1 bericht dat het oude adres niet had bereikt" in said
    with world.wired.db.unit_of_work() as session:
        person = session.get_one(Person, person_id)
        assert (person.name, person.email, person.role) == ("Mo Bakker", "mo@mbo.example", "docent")
        assert session.scalar(select(func.count(SuppressedAddress.id))) == 0
    same = client.post(path, data=fixed)
    assert "Er is niets gewijzigd." in client.get(same.headers["location"]).text
    assert logged(world, "registry.edit_person") == [
        ("secretariaat@wiz.example", person_id, {"changed": ["name", "role"]})
    ]

    taken = {**fixed, "email": "vvt.achterhoek@example.org"}
    clash = client.post(path, data=taken)
    assert clash.status_code == 422 and "is al het adres van" in clash.text


def test_an_organisations_details_are_corrected_with_errors_on_the_page(world: World) -> None:
    client = _keeper(world)
    with world.wired.db.unit_of_work() as session:
        org = session.scalars(
            select(Organisation).where(Organisation.name == "Stichting Mbo Achterhoek")
        ).one()
        org_id = org.id
    path = f"/werkplek/register/organisaties/{org_id}"
    page = client.get(path)
    assert page.status_code == 200 and problems(page.text) == []
    assert "Persoon 3 Mbo" in page.text  # who works there
    csrf = csrf_of(page.text)
    wrong = client.post(path, data={"csrf": csrf, "name": " ", "sector": "x", "region": "y"})
    assert wrong.status_code == 422 and problems(wrong.text) == []
    assert "Kies een sector uit de lijst." in wrong.text
    assert "Kies een regio uit de lijst." in wrong.text
    moved = client.post(
        path, data={"csrf": csrf, "name": "ROC Oost", "sector": "mbo", "region": "Twente"}
    )
    assert moved.status_code == 303
    assert "De gegevens zijn opgeslagen." in client.get(moved.headers["location"]).text
    twin = client.post(
        path,
        data={
            "csrf": csrf,
            "name": "Stichting Ggz Twente",
            "sector": "mbo",
            "region": "Twente",
        },
    )
    assert twin.status_code == 422
    assert "Het register heeft al een organisatie met deze naam in Twente." in twin.text
    with world.wired.db.unit_of_work() as session:
        org = session.get_one(Organisation, org_id)
        assert (org.name, org.sector, org.region.name) == ("ROC Oost", "mbo", "Twente")
    assert [d for _, _, d in logged(world, "registry.edit_organisation")] == [
        {"changed": ["name", "region"]}
    ]

"""A regional coordinator's view: their own regions' participation per round, nothing of any
other region; the round readers see every region."""

from __future__ import annotations

import io

from openpyxl import Workbook
from sqlalchemy import select

from models import Contribution, ContributionKind, QuotePermission, Role, Theme
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

ZWOLLE_NAMES = ("Stichting Ziekenhuis Zwolle", "Stichting Zorgkantoor Zwolle", "Zwolle")
TWENTE_GGZ = "Stichting Ggz Twente"
TWENTE_GEMEENTE = "Stichting Gemeente Twente"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _participation(world: World) -> None:
    """Twente's GGZ organisation and Zwolle's hospital sit in an innovation session; a note
    from that session carries Twente, another Zwolle."""
    session_id = seat(world, ["ggz.twente@example.org", "ziekenhuis.zwolle@example.org"])
    with world.wired.db.unit_of_work() as session:
        theme_id = session.scalars(select(Theme.id).where(Theme.slug == "innovatie")).one()
        for region in ("Twente", "Zwolle"):
            session.add(
                Contribution(
                    round_id=world.round_id,
                    theme_id=theme_id,
                    session_id=session_id,
                    kind=ContributionKind.SESSION_NOTE,
                    text=f"Een notitie uit {region}.",
                    quote_permission=QuotePermission.ROLE_ONLY,
                    anonymous_sector="ggz",
                    anonymous_region=region,
                )
            )


def _main(html: str) -> str:
    return html.split('<main id="main"', 1)[1]


def test_a_twente_coordinator_sees_twente_and_nothing_of_zwolle(world: World) -> None:
    _participation(world)
    coordinator = new_client(world.client)
    sign_in(coordinator, add_member(world.wired, Role.REGIOCOORDINATOR), world.clock)

    home = coordinator.get("/werkplek/regio")
    assert home.status_code == 200 and problems(home.text) == []
    assert 'href="/werkplek/regio/Twente"' in home.text
    assert "/werkplek/regio/Zwolle" not in home.text
    assert "/werkplek/regio/Achterhoek" not in home.text

    page = coordinator.get("/werkplek/regio/Twente")
    assert page.status_code == 200, page.text
    assert problems(page.text) == []
    main = _main(page.text)
    assert "Regio Twente" in main and "Consultatieronde voorjaar 2030" in main
    assert TWENTE_GGZ in main and TWENTE_GEMEENTE in main
    # Both Twente organisations were invited; the GGZ one took part in innovation.
    assert '<dd id="invited">2</dd>' in main
    assert '<dd id="took-part">1</dd>' in main
    ggz_row = main.split(f'<th scope="row">{TWENTE_GGZ}</th>', 1)[1].split("</tr>", 1)[0]
    assert ggz_row.count(">ja<") == 3 and "Innovatie" in ggz_row
    # Innovation: one organisation taking part, the municipality missing; one contribution
    # (Twente's note, not Zwolle's).
    innovation = main.split('<th scope="row">Innovatie</th>', 1)[1].split("</tr>", 1)[0]
    cells = [c.split("</td>")[0] for c in innovation.split("<td")[1:]]
    assert [c.split(">", 1)[1] for c in cells[1:3]] == ["1", "1"]
    assert TWENTE_GEMEENTE in cells[-1] and TWENTE_GGZ not in cells[-1]
    for name in ZWOLLE_NAMES:
        assert name not in main, name
    assert "ziekenhuis" not in main.lower()

    # Another region's page is refused, whatever its spelling in the address.
    for other in ("Zwolle", "Achterhoek"):
        refused = coordinator.get(f"/werkplek/regio/{other}")
        assert refused.status_code == 403, other
        assert "Geen toegang" in refused.text
        for name in ZWOLLE_NAMES[:2]:
            assert name not in refused.text
    assert coordinator.get("/werkplek/regio/Nergensland").status_code == 404
    assert coordinator.get(f"/werkplek/regio/Twente?ronde={world.round_id + 99}").status_code == 404
    # The rounds themselves stay closed to a coordinator.
    assert coordinator.get(f"/werkplek/rondes/{world.round_id}").status_code == 403


def test_the_secretariat_sees_any_region(world: World) -> None:
    _participation(world)
    secretariat = new_client(world.client)
    sign_in(secretariat, add_member(world.wired, Role.SECRETARIAAT), world.clock)
    listed = secretariat.get("/werkplek/regio")
    for region in ("Achterhoek", "Twente", "Zwolle", "Stedenvierkant"):
        assert f'href="/werkplek/regio/{region}"' in listed.text
    page = secretariat.get(f"/werkplek/regio/Zwolle?ronde={world.round_id}")
    assert page.status_code == 200 and problems(page.text) == []
    main = _main(page.text)
    assert "Stichting Ziekenhuis Zwolle" in main and TWENTE_GGZ not in main


def test_coordinators_read_in_through_the_workplace_and_shown_per_region(world: World) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(("organisatie", "sector", "regio", "naam", "e-mailadres"))
    sheet.append(("Saxion", "hbo", "Twente", "Carla Smit", "carla@saxion.example"))
    coordinators = workbook.create_sheet("coordinatoren")
    coordinators.append(("regio", "naam", "e-mailadres", "rol"))
    coordinators.append(("Twente", "Tineke Bos", "tineke@netwerk-twente.example", "coordinator"))
    coordinators.append(("Twente", "Henk Ros", "henk@saxion.example", "stuurgroep"))
    coordinators.append(("Zwolle", "Joop Lam", "joop@zwolle.example", "voorzitter"))
    data = io.BytesIO()
    workbook.save(data)

    secretariat = new_client(world.client)
    sign_in(secretariat, add_member(world.wired, Role.SECRETARIAAT), world.clock)
    form = secretariat.get("/werkplek/register/inlezen")
    assert "coordinatoren" in form.text
    uploaded = secretariat.post(
        "/werkplek/register/inlezen",
        data={"csrf": csrf_of(form.text)},
        files={"bestand": ("register.xlsx", data.getvalue(), XLSX)},
    )
    assert uploaded.status_code == 303, uploaded.text
    report = secretariat.get(uploaded.headers["location"])
    assert report.status_code == 200 and problems(report.text) == []
    assert '<dd id="valid">3</dd>' in report.text
    assert '<dd id="coordinators">2</dd>' in report.text
    assert '<dd id="rejected">1</dd>' in report.text
    row = report.text.split("blad coordinatoren, 4", 1)[1].split("</tr>", 1)[0]
    assert "rol" in row and "onbekende rol &#39;voorzitter&#39;" in row
    stored = secretariat.post(uploaded.headers["location"], data={"csrf": csrf_of(report.text)})
    assert stored.status_code == 303

    page = secretariat.get("/werkplek/register/organisaties?regio=Twente")
    assert page.status_code == 200 and problems(page.text) == []
    networks = page.text.split('id="networks"', 1)[1]
    assert "Tineke Bos" in networks and "Henk Ros" in networks
    assert "Joop Lam" not in page.text
    coordinating, steering = networks.split("<dt>Stuurgroep</dt>", 1)
    assert "Tineke Bos" in coordinating and "Henk Ros" in steering
    # The coordinator sees their network on their region's page, without addresses.
    coordinator = new_client(world.client)
    sign_in(coordinator, add_member(world.wired, Role.REGIOCOORDINATOR), world.clock)
    own = coordinator.get("/werkplek/regio/Twente").text
    assert "Tineke Bos" in own and "tineke@netwerk-twente.example" not in own
    entry = logged(world, "registry.import")[-1][2]
    assert (entry["coordinators_created"], entry["rejected_rows"]) == (2, 1)

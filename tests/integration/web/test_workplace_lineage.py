"""Lineage in the workplace, one click each way: a building block → its quotes and
contributions → the session a contribution came from → the round, and from a contribution to
every block and report it is in; and the round's reports: listed per language and kind,
downloaded, written again. Quote permissions hold on every page and in every file."""

from __future__ import annotations

import io
import re

import docx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from models import (
    BlockStatus,
    BuildingBlock,
    Role,
)
from tests.integration.web.conftest import World
from tests.integration.web.lineage_support import (
    BY_ROLE,
    MOVED,
    NAMED,
    SECRET,
    Lineage,
    seed_lineage,
)
from tests.integration.web.workplace_support import (
    add_member,
    csrf_of,
    logged,
    new_client,
    sign_in,
)


def _seed(world: World) -> Lineage:
    return seed_lineage(world.wired, world.round_id, world.clock.now)


@pytest.fixture
def seeded(world: World) -> Lineage:
    return _seed(world)


def _as(world: World, role: Role) -> TestClient:
    client = new_client(world.client)
    sign_in(client, add_member(world.wired, role), world.clock)
    return client


def _links(html: str) -> set[str]:
    return set(re.findall(r'href="(/werkplek/[^"#?]+)', html))


def _write_report(client: TestClient, round_id: int, language: str, kind: str) -> str:
    page = client.get(f"/werkplek/rondes/{round_id}/rapporten")
    response = client.post(
        f"/werkplek/rondes/{round_id}/rapporten",
        data={"csrf": csrf_of(page.text), "taal": language, "soort": kind},
    )
    assert response.status_code == 303, response.text
    written = f"/werkplek/rondes/{round_id}/rapporten?melding=geschreven"
    assert response.headers["location"] == written
    return client.get(response.headers["location"]).text


def test_block_page_shows_history_quotes_and_contributions_linked_onward(
    world: World, seeded: Lineage
) -> None:
    staff = _as(world, Role.STAF)
    page = staff.get(f"/werkplek/bouwstenen/{seeded.block_id}")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Leren in de wijk</h1>" in html
    assert "Opleiden in de wijk bindt studenten aan de zorg." in html
    assert "wijk, leerwerkplek" in html and "goedgekeurd" in html
    # History of staff decisions, with who.
    assert "bijdrage verplaatst" in html and "staf@wiz.example" in html
    # Quotes: only the quotable ones, each one click from its contribution.
    quotes = html.split('id="quotes"', 1)[1].split('id="contributions"', 1)[0]
    assert BY_ROLE in quotes and NAMED in quotes and SECRET not in html
    assert f'href="/werkplek/bijdragen/{seeded.by_role}"' in quotes
    links = _links(html)
    for cid in (seeded.named, seeded.by_role, seeded.secret, seeded.moved):
        assert f"/werkplek/bijdragen/{cid}" in links
    assert f"/werkplek/sessies/{seeded.session_id}" in links
    assert f"/werkplek/rondes/{seeded.round_id}" in links
    assert "Niet citeerbaar: de tekst staat hier niet." in html
    # A role-only contributor is not named on the page; the attributable one is.
    assert seeded.names[0] in html
    assert seeded.names[1] not in html and seeded.names[2] not in html


def test_contribution_page_leads_to_its_session_blocks_and_reports(
    world: World, seeded: Lineage
) -> None:
    staff = _as(world, Role.STAF)
    _write_report(staff, seeded.round_id, "nl", "goedgekeurd")
    _write_report(staff, seeded.round_id, "en", "concept")
    html = staff.get(f"/werkplek/bijdragen/{seeded.moved}").text
    assert MOVED in html and "Bijdrage #" in html
    assert "sessienotitie" not in html  # handed in beforehand, not in a session
    assert "niet uit een sessie" in html
    links = _links(html)
    assert f"/werkplek/bouwstenen/{seeded.block_id}" in links
    # It was in the other block before staff moved it: one click back there too.
    former = html.split("Zat eerder in", 1)[1]
    assert f'href="/werkplek/bouwstenen/{seeded.other_block_id}"' in former
    assert "eruit verplaatst" in former
    # Both reports print it, each file one click away.
    for name in ("report.nl.docx", "report.nl.html", "report.nl.md", "report.drafts.en.docx"):
        assert f"/werkplek/rondes/{seeded.round_id}/rapporten/{name}" in links
    assert "mag geciteerd worden met naam" in html

    named = staff.get(f"/werkplek/bijdragen/{seeded.named}").text
    assert f"/werkplek/sessies/{seeded.session_id}" in _links(named)
    assert "Innovatie, groep 2" in named and seeded.names[0] in named


def test_role_only_and_not_quotable_never_name_their_author(world: World, seeded: Lineage) -> None:
    for role in (Role.STAF, Role.SECRETARIAAT, Role.BEHEERDER):
        client = _as(world, role)
        by_role = client.get(f"/werkplek/bijdragen/{seeded.by_role}").text
        assert BY_ROLE in by_role and "mag alleen met functie geciteerd worden" in by_role
        assert "bestuurder" in by_role and "Twente" in by_role
        assert seeded.names[1] not in by_role and "Indiener" not in by_role
        secret = client.get(f"/werkplek/bijdragen/{seeded.secret}").text
        assert seeded.names[2] not in secret and SECRET not in secret
        assert "Niet citeerbaar: de tekst staat hier niet." in secret
        assert "Zwolle" in secret  # sector and region stay
        # Only staff may ask for the text, deliberately; others get the page without it.
        asked = client.get(f"/werkplek/bijdragen/{seeded.secret}?tekst=tonen").text
        if role == Role.STAF:
            assert "?tekst=tonen" in secret
            assert SECRET in asked and "op een gedeeld scherm getoond" in asked
        else:
            assert "?tekst=tonen" not in secret and SECRET not in asked


def test_session_page_counts_who_was_there_and_lists_its_contributions(
    world: World, seeded: Lineage
) -> None:
    staff = _as(world, Role.STAF)
    html = staff.get(f"/werkplek/sessies/{seeded.session_id}").text
    assert "Sessie: Innovatie, groep 2" in html
    assert "Aantallen per sector en regio, geen namen." in html
    for name in seeded.names:
        assert name not in html or name == seeded.names[0]  # only as an attributable author
    present = html.split('id="present"', 1)[1].split('id="contributions"', 1)[0]
    assert not any(name in present for name in seeded.names)
    # The registry's first three: vvt/Achterhoek, ggz/Twente, ziekenhuis/Zwolle.
    assert re.search(r"<th scope=\"row\">Achterhoek</th><td class=\"number\">1</td>", present)
    assert re.search(r"<th scope=\"row\">Twente</th><td class=\"number\">1</td>", present)
    links = _links(html)
    for cid in (seeded.named, seeded.by_role, seeded.secret):
        assert f"/werkplek/bijdragen/{cid}" in links
    assert f"/werkplek/bijdragen/{seeded.moved}" not in links
    assert f"/werkplek/rondes/{seeded.round_id}" in links
    assert SECRET not in html and BY_ROLE in html


def test_unknown_ids_are_not_found(world: World, seeded: Lineage) -> None:
    staff = _as(world, Role.STAF)
    for path in ("/werkplek/bouwstenen/999999", "/werkplek/bijdragen/x", "/werkplek/sessies/0"):
        assert staff.get(path).status_code == 404


def test_reports_page_writes_lists_and_downloads_each_language_side_by_side(
    world: World, seeded: Lineage
) -> None:
    staff = _as(world, Role.STAF)
    base = f"/werkplek/rondes/{seeded.round_id}/rapporten"
    empty = staff.get(base)
    assert "Voor deze ronde is nog geen rapport geschreven." in empty.text
    # The dashboard leads here.
    assert base in staff.get(f"/werkplek/rondes/{seeded.round_id}").text

    listed = _write_report(staff, seeded.round_id, "nl", "goedgekeurd")
    assert "Het rapport is geschreven; de bestanden staan hieronder." in listed
    listed = _write_report(staff, seeded.round_id, "en", "goedgekeurd")
    for name in ("report.nl.docx", "report.nl.html", "report.nl.md", "report.en.docx"):
        assert f'href="{base}/{name}"' in listed
    assert "Nederlands" in listed and "Engels" in listed
    who, _, details = logged(world, "report.write")[-1]
    assert who == "staf@wiz.example" and details == {"language": "en", "include_drafts": False}

    word = staff.get(f"{base}/report.nl.docx")
    assert word.status_code == 200
    assert word.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert word.headers["content-disposition"] == 'attachment; filename="report.nl.docx"'
    paragraphs = [p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs]
    annex = paragraphs[paragraphs.index("Bijlage: de bijdragen waarop de bouwstenen rusten") :]
    assert any(p.startswith(f"#{seeded.moved}  “{MOVED}”") for p in annex)
    assert any(p.startswith(f"#{seeded.secret}  (niet citeerbaar)") for p in annex)
    english = staff.get(f"{base}/report.en.docx")
    assert "Annex: the contributions the building blocks rest on" in [
        p.text for p in docx.Document(io.BytesIO(english.content)).paragraphs
    ]
    for name in ("report.nl.html", "report.nl.md", "report.en.md"):
        body = staff.get(f"{base}/{name}").text
        assert SECRET not in body and seeded.names[2] not in body and seeded.names[1] not in body
        assert f"#{seeded.moved}" in body and MOVED.replace("'", "&#39;") in body.replace(
            "'", "&#39;"
        )


def test_download_refuses_anonymous_visitors_and_names_outside_the_reports(
    world: World, seeded: Lineage
) -> None:
    staff = _as(world, Role.STAF)
    _write_report(staff, seeded.round_id, "nl", "goedgekeurd")
    base = f"/werkplek/rondes/{seeded.round_id}/rapporten"
    anonymous = new_client(world.client)
    refused = anonymous.get(f"{base}/report.nl.docx")
    assert refused.status_code == 303 and refused.headers["location"].startswith(
        "/werkplek/aanmelden"
    )
    coordinator = _as(world, Role.REGIOCOORDINATOR)
    assert coordinator.get(f"{base}/report.nl.docx").status_code == 403
    for name in (
        "blocks.json",
        "..%2F..%2Fconfig.toml",
        "%2E%2E%2Freport.nl.docx",
        "report.nl.docx%00",
        "report.nl.coverage-innovatie.png",
        "report.fr.docx",
        "report.en.docx",  # a known name, not written
    ):
        response = staff.get(f"{base}/{name}")
        assert response.status_code == 404, name
        assert "application/vnd" not in response.headers["content-type"]
    assert staff.get(f"{base}/../../../etc/passwd").status_code == 404
    assert staff.get("/werkplek/rondes/999999/rapporten/report.nl.docx").status_code == 404


def test_no_approved_blocks_says_so_in_dutch_and_writes_nothing(world: World) -> None:
    staff = _as(world, Role.STAF)
    base = f"/werkplek/rondes/{world.round_id}/rapporten"
    page = staff.get(base)
    response = staff.post(
        base, data={"csrf": csrf_of(page.text), "taal": "nl", "soort": "goedgekeurd"}
    )
    assert response.status_code == 409
    assert "heeft nog geen goedgekeurde bouwstenen: er is geen rapport geschreven" in (
        response.text.replace("&#39;", "'")
    )
    assert "Voor deze ronde is nog geen rapport geschreven." in response.text
    assert not list(world.wired.settings.reports_dir.glob("**/report*"))
    bad = staff.post(base, data={"csrf": csrf_of(page.text), "taal": "fr", "soort": "alles"})
    assert bad.status_code == 422
    assert "Kies de taal van het rapport." in bad.text
    assert "Kies welke bouwstenen het rapport toont." in bad.text
    # Without the form's token nothing is written.
    assert staff.post(base, data={"taal": "nl", "soort": "concept"}).status_code == 403


def test_a_report_with_drafts_is_its_own_file(world: World, seeded: Lineage) -> None:
    staff = _as(world, Role.SECRETARIAAT)
    listed = _write_report(staff, seeded.round_id, "nl", "concept")
    assert "report.drafts.nl.docx" in listed and "report.nl.docx" not in listed
    assert "Rapport met concepten" in listed
    with world.wired.db.unit_of_work() as session:
        statuses = set(
            session.scalars(
                select(BuildingBlock.status).where(BuildingBlock.round_id == seeded.round_id)
            )
        )
    assert statuses == {BlockStatus.APPROVED, BlockStatus.DRAFT}
    md = staff.get(f"/werkplek/rondes/{seeded.round_id}/rapporten/report.drafts.nl.md").text
    assert "Begeleiding van zij-instromers (concept)" in md

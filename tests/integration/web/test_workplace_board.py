"""The staff's building-block board, on SQLite and PostgreSQL: the themes of a round, one theme's
blocks as cards (words, quotes, support, members) with the tray of contributions in no block
and their best blocks, every staff decision as a form (recorded under the signed-in account in
the blocks' history and the audit log, kept by a new synthesis), refusals in Dutch, staff-only
decisions, CSRF, and the search over a round's contributions."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from consult.synthesis.service import synthesise
from models import (
    Account,
    BlockEvent,
    BlockStatus,
    BuildingBlock,
    Contribution,
    ContributionKind,
    Invitation,
    QuotePermission,
    Role,
    Theme,
    block_contribution,
)
from tests.integration.web.a11y import problems
from tests.integration.web.conftest import World
from tests.integration.web.workplace_support import (
    add_member,
    csrf_of,
    logged,
    new_client,
    sign_in,
)

PARKING = [
    "Het parkeren bij het ziekenhuis kost personeel elke ochtend veel tijd in de parkeergarage.",
    "Parkeerplaatsen bij het ziekenhuis zijn schaars, collega's parkeren ver weg in de wijk.",
    "Geef personeel van het ziekenhuis een eigen parkeerterrein tegen het parkeren in de wijk.",
    "Betaald parkeren in de parkeergarage van het ziekenhuis is te duur voor personeel.",
]
NIGHTS = [
    "Het rooster voor nachtdiensten verschijnt pas een week vooraf, gezinnen kunnen niets plannen.",
    "Oudere collega's willen minder nachtdiensten, maar het rooster houdt geen rekening met hen.",
    "Met zelfroosteren kiezen teams zelf wie welke nachtdiensten draait in het rooster.",
    "Na drie nachtdiensten op rij plant het rooster te weinig rustdagen na de nachtdiensten.",
]
LATE_PARKING = (
    "Collega's zoeken elke dag een parkeerplaats bij het ziekenhuis; de parkeergarage is vol."
)
SECRET = "Dit is vertrouwelijk: de directie weet van het parkeerprobleem maar zwijgt erover."
OTHER_THEME = "Een leerwerkplek in de wijk helpt studenten van het mbo de zorg te leren kennen."
THEME = "innovatie"


@dataclass(frozen=True)
class Seeded:
    by_text: dict[str, int]
    parking: int  # block id
    nights: int
    other: int  # a block of the other theme


def _seed(world: World) -> Seeded:
    """Eight contributions of two topics in the theme, synthesised; then a late one and a not
    quotable one (in no block yet), and one block in the other theme."""
    with world.wired.db.unit_of_work() as session:
        people = [
            i.person_id
            for i in session.scalars(
                select(Invitation)
                .where(Invitation.round_id == world.round_id)
                .order_by(Invitation.id)
            )
        ]
        themes = {t.slug: t.id for t in session.scalars(select(Theme))}

        def add(text: str, n: int, theme: str = THEME, **extra: object) -> None:
            session.add(
                Contribution(
                    round_id=world.round_id,
                    person_id=people[n % len(people)],
                    theme_id=themes[theme],
                    kind=extra.get("kind", ContributionKind.PRE_SESSION_ANSWER),
                    text=text,
                    quote_permission=extra.get("permission", QuotePermission.ROLE_ONLY),
                )
            )

        for n, text in enumerate(PARKING + NIGHTS):
            add(text, n)
        add(OTHER_THEME, 0, "behoud_betrokkenheid", kind=ContributionKind.LESSON_LEARNED)
        session.flush()
        synthesise(session, world.round_id)
        # One contribution alone makes no block: staff made this one by hand.
        lone = session.scalars(select(Contribution).where(Contribution.text == OTHER_THEME)).one()
        session.add(
            BuildingBlock(
                round_id=world.round_id,
                theme_id=themes["behoud_betrokkenheid"],
                title="Leerwerkplekken",
                contributions=[lone],
            )
        )
    with world.wired.db.unit_of_work() as session:
        add(LATE_PARKING, 1, permission=QuotePermission.ATTRIBUTABLE)
        add(SECRET, 2, permission=QuotePermission.NOT_QUOTABLE)
        session.flush()
        by_text = {c.text: c.id for c in session.scalars(select(Contribution))}
        placed = dict(
            session.execute(
                select(block_contribution.c.contribution_id, block_contribution.c.block_id)
            )
            .tuples()
            .all()
        )
        return Seeded(
            by_text,
            placed[by_text[PARKING[0]]],
            placed[by_text[NIGHTS[0]]],
            placed[by_text[OTHER_THEME]],
        )


def _staff(world: World) -> tuple[TestClient, int]:
    client = new_client(world.client)
    member = add_member(world.wired, Role.STAF)
    sign_in(client, member, world.clock)
    with world.wired.db.unit_of_work() as session:
        account = session.scalars(select(Account).where(Account.email == member.email)).one()
        return client, account.id


def _board(world: World) -> str:
    return f"/werkplek/rondes/{world.round_id}/bouwstenen/{THEME}"


def _post(client: TestClient, path: str, data: dict[str, object]) -> httpx.Response:
    """A decision as the board's form sends it (the form token from the board page)."""
    csrf = csrf_of(client.get(path.split("/bouwstenen/")[0] + f"/bouwstenen/{THEME}").text)
    return client.post(path, data={"csrf": csrf, **data})


def _placement(world: World) -> dict[int, int]:
    with world.wired.db.unit_of_work() as session:
        return dict(
            session.execute(
                select(block_contribution.c.contribution_id, block_contribution.c.block_id)
            )
            .tuples()
            .all()
        )


def _block(world: World, block_id: int) -> BuildingBlock | None:
    with world.wired.db.unit_of_work() as session:
        block = session.get(BuildingBlock, block_id)
        if block is not None:
            session.expunge(block)
        return block


def _notice(html: str) -> str:
    match = re.search(r'<div class="notice" role="status">\s*<p>(.*?)</p>', html, re.S)
    assert match, html[:2000]
    return match.group(1)


def test_round_lists_its_themes_with_counts(world: World) -> None:
    _seed(world)
    client, _ = _staff(world)
    dashboard = client.get(f"/werkplek/rondes/{world.round_id}").text
    assert f'href="/werkplek/rondes/{world.round_id}/bouwstenen"' in dashboard
    page = client.get(f"/werkplek/rondes/{world.round_id}/bouwstenen")
    assert page.status_code == 200
    assert problems(page.text) == []
    row = re.search(
        r"<tr>\s*<th scope=\"row\"><a href=\"([^\"]+)\">Innovatie[^<]*</a></th>(.*?)</tr>",
        page.text,
        re.S,
    )
    assert row, page.text
    assert row.group(1) == _board(world)
    numbers = re.findall(r'<td class="number">(\d+)</td>', row.group(2))
    # two drafts, none approved or rejected, two contributions in no block, ten in all
    assert numbers == ["2", "0", "0", "2", "10"]


def test_board_shows_cards_quotes_support_and_the_tray_with_suggestions(world: World) -> None:
    seeded = _seed(world)
    client, _ = _staff(world)
    page = client.get(_board(world))
    assert page.status_code == 200
    html = page.text
    assert problems(html) == []
    for block in (seeded.parking, seeded.nights):
        assert f'id="blok-{block}"' in html
        assert f'href="/werkplek/bouwstenen/{block}"' in html
    assert html.count("concepttitel") >= 2  # the pipeline's titles are marked as drafts
    assert "<blockquote>" in html and "Draagvlak" in html and "Sectoren:" in html
    assert "<details" in html and f'href="/werkplek/bijdragen/{seeded.by_text[PARKING[0]]}"' in html
    # The other theme's block is not on this board.
    assert f'id="blok-{seeded.other}"' not in html
    tray = html.split('id="lade"')[1]
    late = seeded.by_text[LATE_PARKING]
    assert LATE_PARKING.replace("'", "&#39;") in tray
    item = tray.split(f'id="bijdrage-{late}"')[1].split('class="tray-item"')[0]
    first = re.search(r'name="naar" value="(\d+)"><button[^>]*>Plaats in', item)
    assert first and int(first.group(1)) == seeded.parking, item
    assert re.search(r"\(0\.\d\d\)", item)
    # A contribution that may not be quoted is in the tray without its text.
    assert SECRET not in html
    assert f'id="bijdrage-{seeded.by_text[SECRET]}"' in tray


def test_each_decision_is_made_recorded_under_the_account_and_survives_synthesis(
    world: World,
) -> None:
    seeded = _seed(world)
    client, account_id = _staff(world)
    board = _board(world)
    actor = f"account:{account_id}"
    late = seeded.by_text[LATE_PARKING]

    # The tray's top suggestion, one click.
    moved = _post(client, f"{board}/verplaatsen", {"bijdrage": late, "naar": seeded.parking})
    assert moved.status_code == 303
    assert moved.headers["location"].endswith(f"#blok-{seeded.parking}")
    assert "Geplaatst in bouwsteen" in _notice(client.get(moved.headers["location"]).text)
    assert _placement(world)[late] == seeded.parking

    renamed = _post(
        client, f"{board}/blokken/{seeded.nights}/titel", {"titel": "Roosters en nachtdiensten"}
    )
    assert renamed.status_code == 303
    after = client.get(renamed.headers["location"]).text
    assert "Roosters en nachtdiensten" in after and "nieuwe titel" in _notice(after)
    summary = _post(
        client,
        f"{board}/blokken/{seeded.nights}/samenvatting",
        {"samenvatting": "Roosters houden te weinig rekening met mensen."},
    )
    assert summary.status_code == 303
    assert _block(world, seeded.nights).summary == "Roosters houden te weinig rekening met mensen."  # type: ignore[union-attr]

    # Split two night-shift contributions off, then merge them back.
    two = [seeded.by_text[NIGHTS[2]], seeded.by_text[NIGHTS[3]]]
    split = _post(
        client,
        f"{board}/blokken/{seeded.nights}/bijdragen",
        {"bijdrage": [str(i) for i in two], "titel": "Zelfroosteren", "doen": "splitsen"},
    )
    assert split.status_code == 303
    new_block = _placement(world)[two[0]]
    assert (
        new_block not in (seeded.nights, seeded.parking) and _placement(world)[two[1]] == new_block
    )
    merged = _post(client, f"{board}/samenvoegen", {"doel": seeded.nights, "bron": [new_block]})
    assert merged.status_code == 303
    assert "samengevoegd" in _notice(client.get(merged.headers["location"]).text)
    assert _block(world, new_block) is None and _placement(world)[two[0]] == seeded.nights

    # Out of every block, then reject / reopen / approve.
    out = _post(
        client,
        f"{board}/verplaatsen",
        {
            "bijdrage": seeded.by_text[NIGHTS[1]],
            "naar": "nergens",
            "terug": f"blok-{seeded.nights}",
        },
    )
    assert out.status_code == 303 and out.headers["location"].endswith(f"#blok-{seeded.nights}")
    assert seeded.by_text[NIGHTS[1]] not in _placement(world)
    for action, status in (
        ("afwijzen", BlockStatus.REJECTED),
        ("heropenen", BlockStatus.DRAFT),
    ):
        done = _post(client, f"{board}/blokken/{seeded.parking}/{action}", {})
        assert done.status_code == 303
        assert _block(world, seeded.parking).status == status  # type: ignore[union-attr]
    everything = _post(client, f"{board}/alles-goedkeuren", {})
    assert everything.status_code == 303
    assert "2 bouwstenen van dit thema zijn goedgekeurd" in _notice(
        client.get(everything.headers["location"]).text
    )

    with world.wired.db.unit_of_work() as session:
        events = session.scalars(
            select(BlockEvent).where(BlockEvent.actor != "pipeline").order_by(BlockEvent.id)
        ).all()
        assert {e.actor for e in events} == {actor}
        assert [e.action for e in events] == [
            "move", "rename", "edit_summary", "split", "merge", "unassign",
            "reject", "reopen", "approve", "approve",
        ]  # fmt: skip
    staff_email = "staf@wiz.example"
    assert [who for who, _, _ in logged(world, "block.rename")] == [staff_email]
    assert logged(world, "block.move")[0][0] == staff_email

    # A new synthesis keeps every decision: the approved blocks and their contributions, the
    # title, and the contribution kept out.
    before = _placement(world)
    with world.wired.db.unit_of_work() as session:
        synthesise(session, world.round_id)
    after_run = _placement(world)
    for cid, bid in before.items():
        if bid in (seeded.parking, seeded.nights):
            assert after_run[cid] == bid
    assert seeded.by_text[NIGHTS[1]] not in after_run
    nights = _block(world, seeded.nights)
    assert nights is not None and nights.title == "Roosters en nachtdiensten"
    assert nights.status == BlockStatus.APPROVED and not nights.title_is_draft
    assert _block(world, seeded.parking).status == BlockStatus.APPROVED  # type: ignore[union-attr]


def test_refused_decisions_say_why_in_dutch_without_a_traceback(world: World) -> None:
    seeded = _seed(world)
    client, _ = _staff(world)
    board = _board(world)

    itself = _post(client, f"{board}/samenvoegen", {"doel": seeded.parking, "bron": seeded.parking})
    assert itself.status_code == 409
    assert "kan niet met zichzelf worden samengevoegd" in itself.text
    assert f'href="#blok-{seeded.parking}"' in itself.text and "Traceback" not in itself.text

    other = _post(client, f"{board}/samenvoegen", {"doel": seeded.parking, "bron": seeded.other})
    assert other.status_code == 409 and "niet op dit bord" in other.text
    elsewhere = _post(client, f"{board}/blokken/{seeded.other}/goedkeuren", {})
    assert elsewhere.status_code == 409 and "niet op dit bord" in elsewhere.text

    stale = _post(client, f"{board}/blokken/999999/titel", {"titel": "Nieuw"})
    assert stale.status_code == 409 and "onbekende bouwsteen 999999" in stale.text
    empty = _post(client, f"{board}/blokken/{seeded.parking}/titel", {"titel": "  "})
    assert empty.status_code == 409 and "titel" in empty.text
    nothing = _post(client, f"{board}/samenvoegen", {"doel": seeded.parking})
    assert nothing.status_code == 409 and "Vink de bouwstenen" in nothing.text
    unticked = _post(
        client, f"{board}/blokken/{seeded.parking}/bijdragen", {"doen": "splitsen", "titel": "X"}
    )
    assert unticked.status_code == 409 and "Vink eerst" in unticked.text
    to_other = _post(
        client,
        f"{board}/verplaatsen",
        {"bijdrage": seeded.by_text[LATE_PARKING], "naar": str(seeded.other)},
    )
    assert to_other.status_code == 409 and "niet op dit bord" in to_other.text
    with world.wired.db.unit_of_work() as session:
        assert session.scalars(select(BlockEvent).where(BlockEvent.actor != "pipeline")).all() == []


def test_secretariat_reads_the_board_but_only_staff_decide(world: World) -> None:
    seeded = _seed(world)
    client = new_client(world.client)
    sign_in(client, add_member(world.wired, Role.SECRETARIAAT), world.clock)
    board = _board(world)
    page = client.get(board)
    assert page.status_code == 200 and f'id="blok-{seeded.parking}"' in page.text
    assert "/titel" not in page.text and "alles-goedkeuren" not in page.text
    csrf = csrf_of(page.text)
    for path, data in (
        (f"{board}/blokken/{seeded.parking}/goedkeuren", {}),
        (f"{board}/blokken/{seeded.parking}/titel", {"titel": "Van het secretariaat"}),
        (
            f"{board}/verplaatsen",
            {"bijdrage": seeded.by_text[LATE_PARKING], "naar": seeded.parking},
        ),
        (f"{board}/alles-goedkeuren", {}),
    ):
        refused = client.post(path, data={"csrf": csrf, **data})
        assert refused.status_code == 403 and "Geen toegang" in refused.text
    assert _block(world, seeded.parking).status == BlockStatus.DRAFT  # type: ignore[union-attr]


def test_every_decision_needs_the_form_token(world: World) -> None:
    seeded = _seed(world)
    client, _ = _staff(world)
    board = _board(world)
    for path in (f"{board}/blokken/{seeded.parking}/goedkeuren", f"{board}/alles-goedkeuren"):
        refused = client.post(path, data={"csrf": "vals"})
        assert refused.status_code == 403 and "Formulier verlopen" in refused.text
    assert _block(world, seeded.parking).status == BlockStatus.DRAFT  # type: ignore[union-attr]


def test_search_finds_words_in_any_case_and_filters(world: World) -> None:
    seeded = _seed(world)
    client, _ = _staff(world)
    base = f"/werkplek/rondes/{world.round_id}/bijdragen"

    def hits(**query: str) -> list[int]:
        page = client.get(base, params=query)
        assert page.status_code == 200
        assert problems(page.text) == []
        return [int(i) for i in re.findall(r'<li class="hit" id="bijdrage-(\d+)">', page.text)]

    parking = {seeded.by_text[t] for t in [*PARKING, LATE_PARKING, SECRET]}
    assert set(hits(q="PARKEER")) == {
        seeded.by_text[t] for t in PARKING if "parkeer" in t.lower()
    } | {
        seeded.by_text[LATE_PARKING],
        seeded.by_text[SECRET],
    }
    assert set(hits(q="parkeer ziekenhuis")) <= parking
    assert hits(q="nachtdiensten rooster", theme="behoud_betrokkenheid") == []
    assert hits(theme="behoud_betrokkenheid") == [seeded.by_text[OTHER_THEME]]
    assert hits(kind="lesson_learned") == [seeded.by_text[OTHER_THEME]]
    assert hits(permission="not_quotable") == [seeded.by_text[SECRET]]
    assert hits(permission="attributable") == [seeded.by_text[LATE_PARKING]]
    assert hits(q="100%_") == []  # LIKE's wildcards are plain characters here
    with world.wired.db.unit_of_work() as session:
        first = session.get_one(Contribution, seeded.by_text[PARKING[0]])
        sector, region = first.sector, first.region
    found = hits(sector=sector)
    assert seeded.by_text[PARKING[0]] in found and all(
        _sector_of(world, cid) == sector for cid in found
    )
    assert seeded.by_text[PARKING[0]] in hits(region=region)

    page = client.get(base, params={"q": "parkeerprobleem"}).text
    # The not-quotable contribution is found, but its text is not shown.
    assert f'id="bijdrage-{seeded.by_text[SECRET]}"' in page and SECRET not in page
    assert "geen toestemming" in page
    placed = client.get(base, params={"q": "parkeergarage"}).text
    assert f'href="/werkplek/bouwstenen/{seeded.parking}"' in placed
    assert "in geen bouwsteen" in placed  # the late one


def _sector_of(world: World, contribution_id: int) -> str:
    with world.wired.db.unit_of_work() as session:
        return session.get_one(Contribution, contribution_id).sector


def test_search_pages_through_many_hits(world: World) -> None:
    _seed(world)
    with world.wired.db.unit_of_work() as session:
        theme = session.scalars(select(Theme).where(Theme.slug == THEME)).one()
        person = session.scalars(select(Invitation.person_id)).first()
        for n in range(30):
            session.add(
                Contribution(
                    round_id=world.round_id,
                    person_id=person,
                    theme_id=theme.id,
                    kind=ContributionKind.PROPOSAL,
                    text=f"Voorstel {n}: meer tijd voor begeleiding van stagiairs.",
                )
            )
    client, _ = _staff(world)
    base = f"/werkplek/rondes/{world.round_id}/bijdragen"
    first = client.get(base, params={"q": "stagiairs"}).text
    assert "30 bijdragen" in first and "pagina 1 van 2" in first
    second_link = re.search(r'<a href="([^"]+)" rel="next">', first)
    assert second_link
    second = client.get(second_link.group(1).replace("&amp;", "&")).text
    assert second.count('<li class="hit"') == 5


def test_approving_a_theme_leaves_empty_drafts_and_other_themes_alone(world: World) -> None:
    seeded = _seed(world)
    with world.wired.db.unit_of_work() as session:
        themes = {t.slug: t.id for t in session.scalars(select(Theme))}
        empty = BuildingBlock(
            round_id=world.round_id, theme_id=themes[THEME], title="Nog leeg", description="Leeg"
        )
        session.add(empty)
        session.flush()
        empty_id = empty.id
    client, _ = _staff(world)
    done = _post(client, f"{_board(world)}/alles-goedkeuren", {})
    assert done.status_code == 303
    assert "2 bouwstenen van dit thema zijn goedgekeurd" in _notice(
        client.get(done.headers["location"]).text
    )
    assert _block(world, empty_id).status == BlockStatus.DRAFT  # type: ignore[union-attr]
    assert _block(world, seeded.other).status == BlockStatus.DRAFT  # type: ignore[union-attr]
    assert _block(world, seeded.parking).status == BlockStatus.APPROVED  # type: ignore[union-attr]

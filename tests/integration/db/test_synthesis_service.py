"""Synthesis over a stored round: every contribution ends up in one place, and a re-run after
new input keeps what staff decided (approved blocks, their moves, their wording)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.synthesis import decisions
from consult.synthesis.service import synthesise
from models import (
    BlockEvent,
    BlockStatus,
    BuildingBlock,
    Contribution,
    Round,
    Theme,
    block_contribution,
)
from models.db import Database

from .builders import make_contribution, make_person, make_round, make_theme

# Our own texts: two clearly separate topics and a stray remark.
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


def _seed(session: Session) -> tuple[int, int]:
    rnd = make_round(session)
    theme = make_theme(session, "behoud_betrokkenheid")
    sectors = ["vvt", "ghz", "ziekenhuis", "mbo"]
    for i, text in enumerate(PARKING + NIGHTS):
        person = make_person(session, f"Persoon {i}", sector=sectors[i % 4])
        make_contribution(session, rnd, theme, person, text)
    return rnd.id, theme.id


def _placements(session: Session, round_id: int) -> dict[int, tuple[int, str]]:
    rows = session.execute(
        select(
            block_contribution.c.contribution_id,
            block_contribution.c.block_id,
            block_contribution.c.placed_by,
        )
        .join(BuildingBlock, BuildingBlock.id == block_contribution.c.block_id)
        .where(BuildingBlock.round_id == round_id)
    )
    return {cid: (bid, by) for cid, bid, by in rows}


def _text_of(session: Session) -> dict[int, str]:
    return {c.id: c.text for c in session.scalars(select(Contribution))}


def test_first_run_groups_topics_and_places_every_contribution_once(db: Database) -> None:
    with db.unit_of_work() as session:
        round_id, _ = _seed(session)
    with db.unit_of_work() as session:
        result = synthesise(session, round_id)
    with db.unit_of_work() as session:
        placed = _placements(session, round_id)
        texts = _text_of(session)
        blocks = session.scalars(select(BuildingBlock)).all()
        groups: dict[int, set[str]] = {}
        for cid, (bid, by) in placed.items():
            assert by == "pipeline"
            groups.setdefault(bid, set()).add(texts[cid])
        assert sorted(map(frozenset, groups.values()), key=len) == sorted(
            [frozenset(PARKING), frozenset(NIGHTS)], key=len
        )
        assert result.assigned + result.unassigned == len(texts)
        assert all(b.status == BlockStatus.DRAFT and b.title and b.key_terms for b in blocks)
        assert all(2 <= len(b.quote_ids) <= 4 for b in blocks)
        event = session.scalars(select(BlockEvent).where(BlockEvent.action == "synthesise")).one()
        assert event.actor == "pipeline" and event.details["new_blocks"] == 2


def test_rerun_keeps_approved_blocks_and_staff_moves_and_places_only_new_input(
    db: Database,
) -> None:
    with db.unit_of_work() as session:
        round_id, theme_id = _seed(session)
    with db.unit_of_work() as session:
        synthesise(session, round_id)
    with db.unit_of_work() as session:
        texts = _text_of(session)
        by_text = {t: cid for cid, t in texts.items()}
        placed = _placements(session, round_id)
        parking_block = placed[by_text[PARKING[0]]][0]
        nights_block = placed[by_text[NIGHTS[0]]][0]
        decisions.approve(session, parking_block, "anne")
        decisions.rename(session, nights_block, "Roosters en nachtdiensten", "bert")
        # Staff decide this night-shift remark belongs nowhere.
        decisions.move(session, by_text[NIGHTS[3]], None, "bert")
        approved_before = {cid for cid, (bid, _) in placed.items() if bid == parking_block}
    with db.unit_of_work() as session:
        rnd_theme = session.get_one(BuildingBlock, parking_block).theme_id
        assert rnd_theme == theme_id
        person = make_person(session, "Laatkomer", sector="ggz")
        late = make_contribution(
            session,
            session.get_one(Round, round_id),
            session.get_one(Theme, theme_id),
            person,
            LATE_PARKING,
        )
        late_id = late.id
    with db.unit_of_work() as session:
        synthesise(session, round_id)
    with db.unit_of_work() as session:
        placed = _placements(session, round_id)
        approved = session.get_one(BuildingBlock, parking_block)
        renamed = session.get_one(BuildingBlock, nights_block)
        assert approved.status == BlockStatus.APPROVED
        assert {cid for cid, (bid, _) in placed.items() if bid == parking_block} == approved_before
        assert renamed.title == "Roosters en nachtdiensten"
        assert by_text[NIGHTS[3]] not in placed  # staff's "nowhere" holds
        assert late_id not in {cid for cid, (bid, _) in placed.items() if bid == parking_block}
        # The renamed block stays and may take the new remark's neighbours; the night-shift
        # texts staff left in it are still there.
        assert {by_text[t] for t in NIGHTS[:3]} <= {
            cid for cid, (bid, _) in placed.items() if bid == nights_block
        }

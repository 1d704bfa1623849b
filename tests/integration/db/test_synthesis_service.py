"""Synthesis over a stored round: every contribution ends up in one place, and a re-run after
new input keeps what staff decided (approved blocks, their moves, their wording)."""

from __future__ import annotations

import numpy as np
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


# --- described blocks, stored embeddings, suggestions ----------------------------------------


def test_a_block_created_from_a_description_gathers_its_topic_and_survives_reruns(
    db: Database,
) -> None:
    with db.unit_of_work() as session:
        round_id, theme_id = _seed(session)
        block = decisions.create_block(
            session,
            round_id,
            theme_id,
            "Personeel kan bij het ziekenhuis nergens parkeren en de parkeergarage is duur.",
            "Fatima",
        )
        described = block.id
    with db.unit_of_work() as session:
        synthesise(session, round_id)
    with db.unit_of_work() as session:
        synthesise(session, round_id)  # again: the described block stays, with its topic
    with db.unit_of_work() as session:
        texts = _text_of(session)
        placed = _placements(session, round_id)
        in_described = {texts[c] for c, (b, _) in placed.items() if b == described}
        assert in_described == set(PARKING)
        # The night shifts fit no described block: the pipeline proposes a block for them.
        others = {b for c, (b, _) in placed.items() if b != described}
        assert len(others) == 1
        assert {texts[c] for c, (b, _) in placed.items() if b in others} == set(NIGHTS)
        block = session.get_one(BuildingBlock, described)
        assert block.title_is_draft and block.description.startswith("Personeel")
        [created] = session.scalars(select(BlockEvent).where(BlockEvent.action == "create"))
        assert created.actor == "Fatima" and created.block_id == described


def test_guiding_questions_become_described_blocks_once(db: Database) -> None:
    with db.unit_of_work() as session:
        round_id, theme_id = _seed(session)
        theme = session.get_one(Theme, theme_id)
        theme.questions_nl = ["Hoe houden we personeel vast?", "Wat maakt nachtwerk lichter?"]
        session.flush()
        made = decisions.start_from_questions(session, round_id, theme_id, "Fatima")
        again = decisions.start_from_questions(session, round_id, theme_id, "Fatima")
        assert [b.description for b in made] == theme.questions_nl
        assert again == []


def test_approved_blocks_of_a_previous_round_start_the_next_one(db: Database) -> None:
    with db.unit_of_work() as session:
        old_round, theme_id = _seed(session)
        synthesise(session, old_round)
        first = min(b.id for b in session.scalars(select(BuildingBlock)))
        decisions.rename(session, first, "Parkeren bij het ziekenhuis", "Fatima")
        decisions.approve(session, first, "Fatima")
        new_round = make_round(session, "najaar-2030").id
        [made] = decisions.start_from_round(session, new_round, old_round, "Joost")
        assert (made.round_id, made.theme_id) == (new_round, theme_id)
        assert made.title == "Parkeren bij het ziekenhuis" and not made.title_is_draft
        assert made.description  # the old block's summary, as staff had no description


def test_embeddings_are_made_once_and_again_only_for_another_model(db: Database) -> None:
    from consult.synthesis.embeddings import load_embedder
    from consult.synthesis.store import embed_missing, stored_vectors
    from models import ContributionEmbedding

    embedder = load_embedder()
    assert embedder is not None
    with db.unit_of_work() as session:
        round_id, _ = _seed(session)
    with db.unit_of_work() as session:
        assert embed_missing(session, round_id, embedder) == len(PARKING + NIGHTS)
        assert embed_missing(session, round_id, embedder) == 0
        ids = list(_text_of(session))
        vectors = stored_vectors(session, ids, embedder.name)
        assert set(vectors) == set(ids)
        direct = embedder.embed([_text_of(session)[ids[0]]])[0]
        np.testing.assert_allclose(vectors[ids[0]], direct, atol=1e-6)
        # A changed model (or recipe) is recorded under another name: everything is redone.
        for row in session.scalars(select(ContributionEmbedding)):
            row.model = "an-older-model"
        session.flush()
        assert embed_missing(session, round_id, embedder) == len(ids)
        assert session.query(ContributionEmbedding).count() == len(ids)


def test_synthesis_with_the_model_uses_the_stored_vectors(db: Database) -> None:
    from consult.synthesis.embeddings import load_embedder
    from models import ContributionEmbedding

    embedder = load_embedder()
    assert embedder is not None
    with db.unit_of_work() as session:
        round_id, _ = _seed(session)
    with db.unit_of_work() as session:
        result = synthesise(session, round_id, embedder)
        assert result.assigned == len(PARKING + NIGHTS)
        stored = session.query(ContributionEmbedding).count()
        assert stored == len(PARKING + NIGHTS)
        groups: dict[int, set[str]] = {}
        texts = _text_of(session)
        for cid, (bid, _) in _placements(session, round_id).items():
            groups.setdefault(bid, set()).add(texts[cid])
        assert sorted(map(frozenset, groups.values()), key=len) == sorted(
            [frozenset(PARKING), frozenset(NIGHTS)], key=len
        )


def test_suggestions_rank_the_blocks_of_the_theme_for_a_contribution(db: Database) -> None:
    from consult.synthesis.service import suggest_blocks

    with db.unit_of_work() as session:
        round_id, theme_id = _seed(session)
        synthesise(session, round_id)
        person = make_person(session, "Laat Persoon")
        late = make_contribution(
            session,
            session.get_one(Round, round_id),
            session.get_one(Theme, theme_id),
            person,
            LATE_PARKING,
        ).id
    with db.unit_of_work() as session:
        ranked = suggest_blocks(session, late)
        texts = _text_of(session)
        parking_block = next(
            b for c, (b, _) in _placements(session, round_id).items() if texts[c] == PARKING[0]
        )
        assert ranked[0].block_id == parking_block
        assert len(ranked) == 2 and ranked[0].score > ranked[1].score


def test_the_report_says_what_the_blocks_were_drafted_with(db: Database) -> None:
    from consult.reports.content import gather
    from consult.settings import PROJECT_ROOT
    from consult.synthesis.embeddings import load_embedder
    from consult.taxonomy import load_taxonomy
    from models.base import utcnow

    taxonomy = load_taxonomy(PROJECT_ROOT / "config")
    drafts = (BlockStatus.DRAFT,)
    with db.unit_of_work() as session:
        round_id, _ = _seed(session)
        never = gather(session, round_id, taxonomy, "nl", utcnow(), drafts).method_note
        synthesise(session, round_id)
        words_only = gather(session, round_id, taxonomy, "nl", utcnow(), drafts).method_note
        synthesise(session, round_id, load_embedder())
        meaning = gather(session, round_id, taxonomy, "en", utcnow(), drafts).method_note
    assert never == ""
    assert "TF-IDF" in words_only and "niet beschikbaar" in words_only
    assert "multilingual-e5-small" in meaning and meaning.startswith("Building blocks")

"""Run the synthesis pipeline over a round and keep the staff's decisions.

On every run, per theme:
- approved and rejected blocks are staff decisions: they and their contributions stay as they
  are, and no new contribution is added to them;
- a draft block staff renamed or whose summary they edited stays as it is, and may gain
  new contributions;
- a draft block staff only placed contributions in stays, with those contributions fixed;
  what the pipeline had placed there is placed again, so it may move;
- a draft block staff described (or created from a description) stays; contributions are
  placed with it by what the description means, and its words are the pipeline's until staff
  rename it;
- a draft block nobody touched is made again from scratch;
- a contribution staff took out of every block stays unassigned.
Everything else is placed: with an existing draft block, in a new draft block, or unassigned.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload, selectinload

from consult.i18n import gettext as _
from consult.synthesis.decisions import staff_unassigned_ids
from consult.synthesis.describe import Description
from consult.synthesis.embeddings import Embedder, method_of
from consult.synthesis.features import Corpus, Text, represent, theme_centre
from consult.synthesis.guide import suggest
from consult.synthesis.pipeline import Params, Unit, corpus_of, run
from consult.synthesis.store import embed_missing, stored_vectors
from models import (
    BlockEvent,
    BlockStatus,
    BuildingBlock,
    Contribution,
    Person,
    QuotePermission,
    block_contribution,
)

PIPELINE = "pipeline"
STAFF = "staff"


@dataclass(frozen=True)
class SynthesisResult:
    blocks: int
    assigned: int
    unassigned: int


def _handed_in(session: Session, round_id: int) -> list[Contribution]:
    """The round's handed-in contributions (no drafts), with their people and organisations."""
    return list(
        session.scalars(
            select(Contribution)
            .where(Contribution.round_id == round_id, Contribution.draft.is_(False))
            .options(joinedload(Contribution.person).joinedload(Person.organisation))
            .order_by(Contribution.id)
        )
    )


def synthesise(
    session: Session,
    round_id: int,
    embedder: Embedder | None = None,
    params: Params | None = None,
    language: str = "nl",
) -> SynthesisResult:
    placements = {
        cid: (bid, placed_by)
        for bid, cid, placed_by in session.execute(
            select(
                block_contribution.c.block_id,
                block_contribution.c.contribution_id,
                block_contribution.c.placed_by,
            )
            .join(BuildingBlock, BuildingBlock.id == block_contribution.c.block_id)
            .where(BuildingBlock.round_id == round_id)
        )
    }
    blocks = {
        b.id: b
        for b in session.scalars(select(BuildingBlock).where(BuildingBlock.round_id == round_id))
    }
    pinned_out = staff_unassigned_ids(session, round_id)
    contributions = _handed_in(session, round_id)

    # Which contributions are fixed in each draft block that stays.
    fixed: dict[int, list[int]] = defaultdict(list)
    for cid, (bid, placed_by) in placements.items():
        if placed_by == STAFF or blocks[bid].edited_by_staff:
            fixed[bid].append(cid)
    drafts = [bid for bid, b in blocks.items() if b.status == BlockStatus.DRAFT]
    kept_drafts = {
        bid
        for bid in drafts
        if blocks[bid].edited_by_staff or fixed[bid] or blocks[bid].description.strip()
    }
    dropped = [bid for bid in drafts if bid not in kept_drafts]
    # What the pipeline placed in a block that stays is placed again; dropped drafts go.
    session.execute(
        delete(block_contribution).where(
            block_contribution.c.block_id.in_(kept_drafts),
            block_contribution.c.contribution_id.not_in([c for v in fixed.values() for c in v]),
        )
    )
    if dropped:
        session.execute(
            delete(block_contribution).where(block_contribution.c.block_id.in_(dropped))
        )
        session.execute(delete(BuildingBlock).where(BuildingBlock.id.in_(dropped)))
    frozen = {bid for bid, b in blocks.items() if b.status != BlockStatus.DRAFT}

    by_theme: dict[int, list[Contribution]] = defaultdict(list)
    for c in contributions:
        placed = placements.get(c.id)
        if (placed and placed[0] in frozen) or (not placed and c.id in pinned_out):
            continue
        by_theme[c.theme_id].append(c)

    # Vectors are made once and kept; only contributions without one wait for the model.
    vectors: dict[int, npt.NDArray[np.float32]] = {}
    if embedder is not None:
        embed_missing(session, round_id, embedder)
        vectors = stored_vectors(session, [c.id for c in contributions], embedder.name)
    # Word weights and embedding statistics from every contribution of the round, themes and
    # frozen blocks included: the more text, the better a word's weight is known.
    corpus = corpus_of([_unit(c, vectors) for c in contributions], embedder)
    created = assigned = unassigned = 0
    for theme_id, items in sorted(by_theme.items()):
        in_theme = [bid for bid in sorted(kept_drafts) if blocks[bid].theme_id == theme_id]
        anchors = {f"block:{bid}": fixed[bid] for bid in in_theme}
        described = {f"block:{bid}": _description(blocks[bid]) for bid in in_theme}
        outcome = run(
            [_unit(c, vectors) for c in items],
            anchors,
            params,
            embedder,
            language,
            corpus,
            {k: v for k, v in described.items() if v},
        )
        for cid, key in outcome.joined.items():
            _place(session, int(key.split(":")[1]), cid)
            assigned += 1
        for key, description in outcome.described_anchors.items():
            block = blocks[int(key.split(":")[1])]
            if not block.edited_by_staff:
                _apply(block, description)
            elif not block.quote_ids:
                block.quote_ids = list(description.quote_ids)
        for group in outcome.groups:
            block = BuildingBlock(round_id=round_id, theme_id=theme_id)
            _apply(block, group.description)
            session.add(block)
            session.flush()
            for cid in group.unit_ids:
                _place(session, block.id, cid)
            created += 1
            assigned += len(group.unit_ids)
        unassigned += len(outcome.unassigned)
        assigned += sum(len(v) for v in anchors.values())

    session.add(
        BlockEvent(
            round_id=round_id,
            block_id=None,
            actor=PIPELINE,
            action="synthesise",
            details={
                "new_blocks": created,
                "kept_drafts": sorted(kept_drafts),
                "replaced_drafts": sorted(dropped),
                "assigned": assigned,
                "unassigned": unassigned,
                # What the report's method note says the blocks were drafted with.
                "method": method_of(embedder).backend,
                "model": method_of(embedder).model,
            },
        )
    )
    session.flush()
    total_blocks = len(frozen) + len(kept_drafts) + created
    return SynthesisResult(total_blocks, assigned, unassigned)


def _unit(c: Contribution, vectors: Mapping[int, npt.NDArray[np.float32]]) -> Unit:
    return Unit(
        id=c.id,
        text=c.text,
        language=c.language,
        quotable=c.quote_permission != QuotePermission.NOT_QUOTABLE,
        contributor=c.contributor,
        sector=c.sector,
        vector=vectors.get(c.id),
    )


def _description(block: BuildingBlock) -> str:
    """What staff wrote about a block: its description, with its title if staff chose it."""
    if not block.description.strip():
        return ""
    if block.title_is_draft:
        return block.description
    return f"{block.title}. {block.description}"


def _place(session: Session, block_id: int, contribution_id: int) -> None:
    session.execute(
        block_contribution.insert().values(
            block_id=block_id, contribution_id=contribution_id, placed_by=PIPELINE
        )
    )


def _apply(block: BuildingBlock, description: Description) -> None:
    block.title = description.title[:300]
    block.summary = description.summary
    block.key_terms = list(description.key_terms)
    block.quote_ids = list(description.quote_ids)


@dataclass(frozen=True)
class Suggestion:
    block_id: int
    title: str
    score: float


def suggest_blocks(
    session: Session, contribution_id: int, embedder: Embedder | None = None, limit: int = 5
) -> list[Suggestion]:
    """The blocks of its theme (draft and approved) a contribution fits best, best first, with
    a score: cosine similarity with each block's contributions and staff description, the
    contribution itself left out. Raises LookupError for an unknown contribution."""
    target = session.get(Contribution, contribution_id)
    if target is None:
        raise LookupError(_("unknown contribution %(id)s", id=contribution_id))
    if embedder is not None:
        embed_missing(session, target.round_id, embedder)
    found = suggest_in_theme(session, target.round_id, target.theme_id, embedder, limit, target)
    return found.get(target.id, [])


@dataclass(frozen=True)
class ThemeSpace:
    """A theme's contributions as rows to compare blocks with, and the round's statistics they
    were made with: it changes only when contributions do, not when staff move them, so a
    caller may keep it across decisions."""

    row: Mapping[int, int]  # contribution id -> row of X
    X: sp.csr_matrix
    corpus: Corpus
    centre: npt.NDArray[np.float32] | None


def theme_space(
    session: Session,
    round_id: int,
    theme_id: int,
    embedder: Embedder | None = None,
    extra: Contribution | None = None,
) -> ThemeSpace:
    """Reads only: contributions without a stored vector are embedded in memory, not stored
    (`extra` is one more contribution, e.g. a draft, to represent as well)."""
    contributions = _handed_in(session, round_id)
    if extra is not None and extra not in contributions:
        contributions = [*contributions, extra]
    vectors: dict[int, npt.NDArray[np.float32]] = {}
    if embedder is not None:
        vectors = stored_vectors(session, [c.id for c in contributions], embedder.name)
    corpus = corpus_of([_unit(c, vectors) for c in contributions], embedder)
    in_theme = [c for c in contributions if c.theme_id == theme_id]
    texts_in_theme = [Text(c.text, c.language, vectors.get(c.id)) for c in in_theme]
    centre = theme_centre(texts_in_theme, corpus) if in_theme else None
    X = represent(texts_in_theme, corpus=corpus, centre=centre) if in_theme else None
    return ThemeSpace({c.id: n for n, c in enumerate(in_theme)}, X, corpus, centre)


def suggest_in_theme(
    session: Session,
    round_id: int,
    theme_id: int,
    embedder: Embedder | None = None,
    limit: int = 5,
    extra: Contribution | None = None,
    space: ThemeSpace | None = None,
) -> dict[int, list[Suggestion]]:
    """The best blocks for every handed-in contribution of one theme at once (the staff board's
    tray asks for many): the round's statistics are built once, or taken from `space`."""
    if space is None:
        space = theme_space(session, round_id, theme_id, embedder, extra)
    row = space.row
    if not row:
        return {}
    blocks = session.scalars(
        select(BuildingBlock)
        .where(
            BuildingBlock.round_id == round_id,
            BuildingBlock.theme_id == theme_id,
            BuildingBlock.status != BlockStatus.REJECTED,
        )
        .options(selectinload(BuildingBlock.contributions).load_only(Contribution.id))
        .order_by(BuildingBlock.id)
    ).all()
    groups: dict[str, list[int]] = {}
    texts: dict[str, str] = {}
    titles: dict[int, str] = {}
    for block in blocks:
        key = str(block.id)
        titles[block.id] = block.title
        groups[key] = [row[c.id] for c in block.contributions if c.id in row]
        if _description(block):
            texts[key] = _description(block)
    described = {}
    if texts:
        rows = represent(
            [Text(t, "nl") for t in texts.values()], corpus=space.corpus, centre=space.centre
        )
        described = {k: rows[n].toarray().ravel() for n, k in enumerate(texts)}
    ranked = suggest(space.X, groups, described, limit)
    return {
        cid: [Suggestion(int(k), titles[int(k)], score) for k, score in ranked[n]]
        for cid, n in row.items()
    }

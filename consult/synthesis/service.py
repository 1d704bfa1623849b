"""Group a round's contributions per theme into draft building blocks.

Approved and rejected blocks are staff decisions: a re-run keeps them and their contributions
and regroups only what is left, replacing the previous draft blocks.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from consult.synthesis.grouping import Item, group_items
from models import (
    BlockStatus,
    BuildingBlock,
    Contribution,
    QuotePermission,
    Round,
    RoundStatus,
)


@dataclass(frozen=True)
class SynthesisResult:
    blocks: int
    assigned: int
    unassigned: int


def synthesise(session: Session, round_id: int) -> SynthesisResult:
    rnd = session.get_one(Round, round_id)
    session.execute(
        delete(BuildingBlock).where(
            BuildingBlock.round_id == round_id, BuildingBlock.status == BlockStatus.DRAFT
        )
    )
    session.expire_all()
    kept = session.scalars(
        select(BuildingBlock)
        .where(BuildingBlock.round_id == round_id)
        .options(selectinload(BuildingBlock.contributions))
    ).all()
    fixed = {c.id for block in kept for c in block.contributions}
    by_theme: dict[int, list[Contribution]] = defaultdict(list)
    for contribution in session.scalars(
        select(Contribution).where(Contribution.round_id == round_id).order_by(Contribution.id)
    ):
        if contribution.id not in fixed:
            by_theme[contribution.theme_id].append(contribution)

    blocks = assigned = unassigned = 0
    for theme_id, contributions in sorted(by_theme.items()):
        by_id = {c.id: c for c in contributions}
        grouping = group_items(
            [
                Item(c.id, c.text, c.language, c.quote_permission != QuotePermission.NOT_QUOTABLE)
                for c in contributions
            ]
        )
        for group in grouping.groups:
            session.add(
                BuildingBlock(
                    round_id=round_id,
                    theme_id=theme_id,
                    title=group.title,
                    summary=group.summary,
                    key_terms=list(group.key_terms),
                    contributions=[by_id[i] for i in group.item_ids],
                )
            )
            blocks += 1
            assigned += len(group.item_ids)
        unassigned += len(grouping.unassigned)
    rnd.status = RoundStatus.SYNTHESISED
    session.flush()
    return SynthesisResult(blocks + len(kept), assigned + len(fixed), unassigned)

"""Events the service reacts to that are not emitted by the web app: built here from the
database after the change was committed (store, then signal: consult.events)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.events import Signal, blocks_approved
from models import BlockStatus, BuildingBlock


def round_ids_of(session: Session, block_ids: Iterable[int]) -> list[int]:
    ids = list(block_ids)
    if not ids:
        return []
    return sorted(
        set(session.scalars(select(BuildingBlock.round_id).where(BuildingBlock.id.in_(ids))))
    )


def approval_signals(session: Session, round_ids: Sequence[int]) -> list[Signal]:
    """A blocks-approved signal for each of these rounds with no draft block left and at least
    one approved one."""
    signals = []
    for round_id in round_ids:
        counts: dict[BlockStatus, int] = {
            key: n
            for key, n in session.execute(
                select(BuildingBlock.status, func.count(BuildingBlock.id))
                .where(BuildingBlock.round_id == round_id)
                .group_by(BuildingBlock.status)
            )
        }
        if counts and not counts.get(BlockStatus.DRAFT) and counts.get(BlockStatus.APPROVED):
            signals.append(blocks_approved(round_id))
    return signals

"""Staff decisions on building blocks: the use cases the command line (and the staff pages) call.

The rules of each decision live in consult.synthesis.decisions; what is added here is what a
decision means for a person at a screen: several blocks approved as one decision (all or nothing),
a new block made one of three ways, a contribution's best blocks scored with the configured
embedder, and the service told when a round's blocks are all decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.app.signals import approval_signals, round_ids_of
from consult.app.status import find_round
from consult.i18n import gettext as _
from consult.synthesis import decisions
from consult.synthesis.decisions import (
    BadInput,
    DecisionError,
    describe,
    describe_block,
    edit_summary,
    history,
    merge,
    move,
    rename,
    split,
    status_label,
)
from consult.wiring import App
from models import BlockStatus, BuildingBlock, Theme, block_contribution

if TYPE_CHECKING:
    from consult.synthesis.service import Suggestion

__all__ = [
    "BadInput",
    "DecisionError",
    "NewBlock",
    "StatusChange",
    "ThemeApproval",
    "announce_decided",
    "approve_theme",
    "check_on_board",
    "create",
    "describe",
    "describe_block",
    "edit_summary",
    "history",
    "merge",
    "move",
    "rename",
    "set_status",
    "split",
    "status_label",
    "suggest",
]


@dataclass(frozen=True)
class StatusChange:
    changed: tuple[int, ...]  # blocks that now have the status
    unchanged: tuple[int, ...]  # blocks that had it already
    round_ids: tuple[int, ...]


def set_status(
    session: Session, block_ids: Sequence[int], status: BlockStatus, actor: str
) -> StatusChange:
    """Approve, reject or reopen blocks as one decision. One refused id refuses them all (the
    caller's unit of work rolls back), so a typo never leaves half a list approved."""
    change = {
        BlockStatus.APPROVED: decisions.approve,
        BlockStatus.REJECTED: decisions.reject,
        BlockStatus.DRAFT: decisions.reopen,
    }[status]
    ids = list(dict.fromkeys(block_ids))
    rounds = round_ids_of(session, ids)
    changed: list[int] = []
    unchanged: list[int] = []
    for block_id in ids:
        try:
            (changed if change(session, block_id, actor) else unchanged).append(block_id)
        except BadInput:
            raise
        except DecisionError as exc:
            if len(ids) > 1:
                raise DecisionError(_("%(problem)s (nothing changed)", problem=str(exc))) from exc
            raise
    return StatusChange(tuple(changed), tuple(unchanged), tuple(rounds))


def announce_decided(ctx: App, round_ids: Sequence[int]) -> None:
    """After the commit: tell the service about rounds whose blocks are now all approved, so it
    writes the report. Only with a Prefect server configured: without one nobody listens, and
    the service's tick writes the report at its next run anyway."""
    from consult.events import configured_emitter, emit_all

    emitter = configured_emitter()
    if emitter is None:
        return
    with ctx.db.unit_of_work() as session:
        signals = approval_signals(session, round_ids)
    emit_all(emitter, signals)


@dataclass(frozen=True)
class NewBlock:
    id: int
    title: str


def create(
    session: Session,
    round_slug: str,
    actor: str,
    *,
    theme: str | None = None,
    description: str | None = None,
    title: str | None = None,
    from_questions: bool = False,
    from_round: str | None = None,
) -> list[NewBlock]:
    """Blocks made from one description, from a theme's guiding questions, or from an earlier
    round's approved blocks (exactly one of the three). Descriptions that exist already are not
    made twice. Raises BadInput for a wrong combination, DecisionError (or UnknownRound) for
    what does not exist."""
    if sum([description is not None, from_questions, from_round is not None]) != 1:
        raise BadInput(_("choose one of --description, --from-questions and --from-round"))
    round_id = find_round(session, round_slug).id
    theme_id: int | None = None
    if theme is not None:
        theme_id = session.scalar(select(Theme.id).where(Theme.slug == theme))
        if theme_id is None:
            raise DecisionError(_("unknown theme '%(theme)s'", theme=theme))
    if from_round is not None:
        earlier = find_round(session, from_round).id
        made = decisions.start_from_round(session, round_id, earlier, actor)
    elif theme_id is None:
        raise BadInput(_("name the theme with --theme"))
    elif from_questions:
        made = decisions.start_from_questions(session, round_id, theme_id, actor)
    else:
        made = [
            decisions.create_block(session, round_id, theme_id, description or "", actor, title)
        ]
    return [NewBlock(b.id, b.title) for b in made]


def suggest(session: Session, ctx: App, contribution_id: int, limit: int = 5) -> list[Suggestion]:
    """The blocks of its theme a contribution fits best, scored with the configured embedder.
    Raises LookupError for an unknown contribution."""
    # The model and the text statistics take a second to load: only this command needs them.
    from consult.app.board import shared_embedder
    from consult.synthesis.service import suggest_blocks

    synthesis = ctx.settings.synthesis
    embedder = shared_embedder(synthesis.embedding_backend, synthesis.embedding_batch_size)
    return suggest_blocks(session, contribution_id, embedder, limit)


def check_on_board(session: Session, block_id: int, round_id: int, theme: str) -> None:
    """A decision made on one theme's board is about a block of that round and theme: a stale
    page or an edited form naming another block is refused with a message, not carried out."""
    block = session.get(BuildingBlock, block_id)
    if block is None:
        raise DecisionError(_("unknown building block %(block)s", block=block_id))
    if block.round_id != round_id or block.theme.slug != theme:
        raise DecisionError(
            _(
                "building block %(block)s is not on this board (another round or theme)",
                block=block_id,
            )
        )


@dataclass(frozen=True)
class ThemeApproval:
    change: StatusChange
    # Draft blocks without contributions: there is nothing to approve in them.
    empty: tuple[int, ...]


def approve_theme(session: Session, round_id: int, theme: str, actor: str) -> ThemeApproval:
    """Approve every draft block of one theme of a round that has contributions, as one
    decision (all or nothing). Empty drafts are left as they are and named."""
    theme_id = session.scalar(select(Theme.id).where(Theme.slug == theme))
    if theme_id is None:
        raise DecisionError(_("unknown theme '%(theme)s'", theme=theme))
    counts = session.execute(
        select(BuildingBlock.id, func.count(block_contribution.c.contribution_id))
        .outerjoin(block_contribution, block_contribution.c.block_id == BuildingBlock.id)
        .where(
            BuildingBlock.round_id == round_id,
            BuildingBlock.theme_id == theme_id,
            BuildingBlock.status == BlockStatus.DRAFT,
        )
        .group_by(BuildingBlock.id)
        .order_by(BuildingBlock.id)
    ).all()
    filled = [bid for bid, n in counts if n]
    empty = tuple(bid for bid, n in counts if not n)
    change = set_status(session, filled, BlockStatus.APPROVED, actor)
    return ThemeApproval(change, empty)

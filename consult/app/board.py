"""The staff's building-block board as the workplace shows it: the themes of a round with their
counts, one theme's blocks as cards (words, quotes, support, members) with a tray of the
contributions in no block, each with the blocks it fits best; and a search over a round's
contributions. Read-only: the decisions themselves are consult.app.blocks.

Quote permissions follow the report's rules (consult.reports.content.view), as `consult blocks
show` does: the text of a not-quotable contribution stays off these screens too.

The board of a theme with thousands of contributions is read in a handful of queries (blocks;
contributions with their people, organisations, regions and placements), never one per block.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.strategy_options import _AbstractLoad

from consult.app.review import kind_label
from consult.i18n import current_language, pgettext
from consult.reports.content import (
    ContributionView,
    Source,
    Support,
    pick_quotes,
    sector_name,
    support_of,
    view,
    view_of,
)
from consult.synthesis.decisions import status_label
from consult.taxonomy import Taxonomy
from consult.text import clean_text
from models import (
    AuditEntry,
    BlockEvent,
    BlockStatus,
    BuildingBlock,
    CandidateSlot,
    Contribution,
    ContributionKind,
    Organisation,
    Person,
    QuotePermission,
    Region,
    Round,
    Theme,
    block_contribution,
)

if TYPE_CHECKING:
    from consult.synthesis.embeddings import Embedder
    from consult.synthesis.service import Suggestion
    from consult.wiring import App

TRAY_PER_PAGE: Final = 20
SEARCH_PER_PAGE: Final = 25
SUGGESTIONS: Final = 3
SNIPPET: Final = 240
# Search words beyond these are ignored: a pasted paragraph is not a query.
MAX_SEARCH_WORDS: Final = 8


def permission_label(permission: QuotePermission) -> str:
    labels = {
        QuotePermission.ATTRIBUTABLE: pgettext("quote permission", "quotable with name"),
        QuotePermission.ROLE_ONLY: pgettext("quote permission", "quotable with role only"),
        QuotePermission.NOT_QUOTABLE: pgettext("quote permission", "not quotable"),
    }
    return labels[permission]


# --------------------------------------------------------------------------------------------
# The themes of a round


@dataclass(frozen=True)
class ThemeCounts:
    slug: str
    title: str
    draft: int
    approved: int
    rejected: int
    unassigned: int
    contributions: int


@dataclass(frozen=True)
class RoundBoards:
    round_id: int
    round_name: str
    themes: tuple[ThemeCounts, ...]


def _round_themes(session: Session, round_id: int) -> list[Theme]:
    """The themes the round has slots, contributions or blocks in."""
    ids = (
        select(CandidateSlot.theme_id)
        .where(CandidateSlot.round_id == round_id)
        .union(
            select(Contribution.theme_id).where(Contribution.round_id == round_id),
            select(BuildingBlock.theme_id).where(BuildingBlock.round_id == round_id),
        )
    )
    return list(session.scalars(select(Theme).where(Theme.id.in_(ids)).order_by(Theme.id)))


def _in_no_block() -> ColumnElement[bool]:
    return Contribution.id.not_in(select(block_contribution.c.contribution_id))


def round_boards(session: Session, round_id: int) -> RoundBoards | None:
    """Per theme of the round: its blocks per status and its contributions in no block."""
    rnd = session.get(Round, round_id)
    if rnd is None:
        return None
    blocks: dict[tuple[int, BlockStatus], int] = {
        (theme_id, status): int(n)
        for theme_id, status, n in session.execute(
            select(BuildingBlock.theme_id, BuildingBlock.status, func.count())
            .where(BuildingBlock.round_id == round_id)
            .group_by(BuildingBlock.theme_id, BuildingBlock.status)
        )
    }
    handed_in = (Contribution.round_id == round_id, Contribution.draft.is_(False))
    total = dict(
        session.execute(
            select(Contribution.theme_id, func.count())
            .where(*handed_in)
            .group_by(Contribution.theme_id)
        )
        .tuples()
        .all()
    )
    loose = dict(
        session.execute(
            select(Contribution.theme_id, func.count())
            .where(*handed_in, _in_no_block())
            .group_by(Contribution.theme_id)
        )
        .tuples()
        .all()
    )
    language = current_language()
    return RoundBoards(
        rnd.id,
        rnd.name,
        tuple(
            ThemeCounts(
                theme.slug,
                theme.title(language),
                blocks.get((theme.id, BlockStatus.DRAFT), 0),
                blocks.get((theme.id, BlockStatus.APPROVED), 0),
                blocks.get((theme.id, BlockStatus.REJECTED), 0),
                int(loose.get(theme.id, 0)),
                int(total.get(theme.id, 0)),
            )
            for theme in _round_themes(session, round_id)
        ),
    )


# --------------------------------------------------------------------------------------------
# One theme's board


@dataclass(frozen=True)
class Member:
    id: int
    kind: str
    permission: str
    # None when the contributor did not allow quoting (the report's rule).
    text: str | None
    attribution: str
    sector: str
    region: str
    by_staff: bool


@dataclass(frozen=True)
class Card:
    id: int
    title: str
    title_is_draft: bool
    summary: str
    description: str
    key_terms: tuple[str, ...]
    status: BlockStatus
    status_label: str
    quotes: tuple[Member, ...]
    support: Support
    members: tuple[Member, ...]

    @property
    def is_draft(self) -> bool:
        return self.status == BlockStatus.DRAFT


@dataclass(frozen=True)
class TrayItem:
    member: Member
    suggestions: tuple[Suggestion, ...]


@dataclass(frozen=True)
class Board:
    round_id: int
    round_name: str
    theme: str
    theme_title: str
    cards: tuple[Card, ...]
    tray: tuple[TrayItem, ...]
    tray_total: int
    tray_page: int
    tray_pages: int
    # What the board was made from (`_state`): what is kept for it may be kept under this.
    state: tuple[object, ...] = ()

    @property
    def drafts(self) -> tuple[Card, ...]:
        return tuple(c for c in self.cards if c.is_draft)


def _member(
    source: Source, shown: ContributionView, placed_by: str | None, labels: Mapping[object, str]
) -> Member:
    return Member(
        source.id,
        labels[source.kind],
        labels[source.permission],
        shown.quote,
        shown.attribution,
        shown.sector,
        shown.region,
        placed_by == "staff",
    )


def _labels() -> dict[object, str]:
    """Kinds and permissions in words, looked up once per page rather than once per row."""
    words: dict[object, str] = {k: kind_label(k) for k in ContributionKind}
    words.update({p: permission_label(p) for p in QuotePermission})
    return words


def _person_options() -> _AbstractLoad:
    # A few hundred people write thousands of contributions: each person, organisation and
    # region is loaded once (IN queries) instead of once per row of a join.
    return (
        selectinload(Contribution.person)
        .selectinload(Person.organisation)
        .selectinload(Organisation.region)
    )


def _placed_sources(
    session: Session, round_id: int, theme_id: int
) -> list[tuple[Source, int | None, str | None]]:
    """Each handed-in contribution of a theme with its author as the report may show them, and
    its block and who placed it there: one query, no objects (a board holds thousands)."""
    rows = session.execute(
        select(
            Contribution.id,
            Contribution.kind,
            Contribution.text,
            Contribution.quote_permission,
            Contribution.person_id,
            Contribution.anonymous_role,
            Contribution.anonymous_sector,
            Contribution.anonymous_region,
            Contribution.anonymous_key,
            Person.name,
            Person.role,
            Organisation.name,
            Organisation.sector,
            Region.name,
            block_contribution.c.block_id,
            block_contribution.c.placed_by,
        )
        .outerjoin(Person, Person.id == Contribution.person_id)
        .outerjoin(Organisation, Organisation.id == Person.organisation_id)
        .outerjoin(Region, Region.id == Organisation.region_id)
        .outerjoin(block_contribution, block_contribution.c.contribution_id == Contribution.id)
        .where(
            Contribution.round_id == round_id,
            Contribution.theme_id == theme_id,
            Contribution.draft.is_(False),
        )
        .order_by(Contribution.id)
    ).all()
    found = []
    for (
        cid,
        kind,
        text,
        permission,
        person_id,
        anon_role,
        anon_sector,
        anon_region,
        anon_key,
        name,
        role,
        organisation,
        sector,
        region,
        block_id,
        placed_by,
    ) in rows:
        # As models.Contribution's sector, region, role and contributor read them.
        if person_id is not None:
            source = Source(
                cid,
                kind,
                text,
                permission,
                sector,
                region,
                role,
                f"person:{person_id}",
                name,
                organisation,
            )
        else:
            source = Source(
                cid,
                kind,
                text,
                permission,
                anon_sector or "",
                anon_region or "",
                anon_role or "",
                f"anonymous:{anon_key or cid}",
            )
        found.append((source, block_id, None if placed_by is None else str(placed_by)))
    return found


def _cards(
    session: Session,
    query: Select[tuple[BuildingBlock]],
    round_id: int,
    theme_id: int,
    taxonomy: Taxonomy,
    language: str,
) -> tuple[tuple[Card, ...], tuple[Member, ...]]:
    """The blocks of a theme as cards, and the contributions in none of them."""
    blocks = session.scalars(query.order_by(BuildingBlock.id)).all()
    labels = _labels()
    members: dict[int, list[Member]] = {b.id: [] for b in blocks}
    views: dict[int, list[ContributionView]] = {b.id: [] for b in blocks}
    loose: list[Member] = []
    for source, block_id, placed_by in _placed_sources(session, round_id, theme_id):
        shown = view_of(source, taxonomy, language)
        member = _member(source, shown, placed_by, labels)
        if block_id is None or block_id not in members:
            loose.append(member)
            continue
        members[block_id].append(member)
        views[block_id].append(shown)
    cards = []
    for block in blocks:
        by_id = {m.id: m for m in members[block.id]}
        quotes = pick_quotes(views[block.id], block.quote_ids)
        cards.append(
            Card(
                block.id,
                clean_text(block.title),
                block.title_is_draft,
                clean_text(block.summary),
                clean_text(block.description),
                tuple(clean_text(t) for t in block.key_terms),
                block.status,
                status_label(block.status),
                tuple(by_id[q.id] for q in quotes),
                support_of(views[block.id], (), ()),
                tuple(members[block.id]),
            )
        )
    return tuple(cards), tuple(loose)


def theme_board(
    session: Session,
    ctx: App,
    round_id: int,
    theme_slug: str,
    tray_page: int = 1,
) -> Board | None:
    """The board of one theme, or None for an unknown round or theme. Rejected blocks are
    shown too (they can be reopened); suggestions are ranked for the tray's page only."""
    rnd = session.get(Round, round_id)
    theme = session.scalar(select(Theme).where(Theme.slug == theme_slug))
    if rnd is None or theme is None:
        return None
    language = current_language()
    taxonomy = ctx.taxonomy
    blocks = select(BuildingBlock).where(
        BuildingBlock.round_id == round_id, BuildingBlock.theme_id == theme.id
    )
    # The cards of thousands of contributions are made again only when something changed.
    state = _state(session, round_id, theme.id)
    key = ("cards", str(ctx.settings.database_url), language, *state)
    kept = _kept.get(key)
    if kept is None:
        kept = _cards(session, blocks, round_id, theme.id, taxonomy, language)
        _kept.put(key, kept)
    cards, loose = kept
    pages = max(1, -(-len(loose) // TRAY_PER_PAGE))
    page = min(max(tray_page, 1), pages)
    on_page = loose[(page - 1) * TRAY_PER_PAGE : page * TRAY_PER_PAGE]
    ranked = _suggestions(session, ctx, round_id, theme.id, state) if on_page else {}
    # Only drafts take contributions: an approved block in the ranking is not a place to go.
    drafts = {c.id for c in cards if c.is_draft}
    tray = tuple(
        TrayItem(m, tuple(s for s in ranked.get(m.id, ()) if s.block_id in drafts)) for m in on_page
    )
    return Board(
        rnd.id,
        rnd.name,
        theme.slug,
        theme.title(language),
        tuple(cards),
        tray,
        len(loose),
        page,
        pages,
        (str(ctx.settings.database_url), *state),
    )


class Kept:
    """A few recent results per process, keyed by the state they were made from (`_state`):
    a key with a newer state simply misses, and old keys fall out."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[tuple[object, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...]) -> Any:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: tuple[object, ...], value: object) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)


# The cards and the suggestions of a board: making them takes a large round's rows (and, for
# suggestions, its word statistics and embeddings), they change only when something in the round
# does, and staff look at a board far more often than they change it.
_kept = Kept(32)


@lru_cache(maxsize=4)
def shared_embedder(backend: str, batch_size: int) -> Embedder | None:
    """The configured embedder, loaded once per process (loading the model takes a second)."""
    from consult.synthesis.embeddings import load_embedder

    return load_embedder(backend, batch_size)


def _state(session: Session, round_id: int, theme_id: int) -> tuple[object, ...]:
    """What a board is made from, in a few numbers: every decision and synthesis writes a block
    event, every other change (a registry edit, an erasure) an audit entry; new or handed-in
    input changes the count, newest id or latest time of the round's contributions."""
    last_event = session.scalar(
        select(func.max(BlockEvent.id)).where(BlockEvent.round_id == round_id)
    )
    last_entry = session.scalar(select(func.max(AuditEntry.id)))
    count, newest, latest = session.execute(
        select(func.count(), func.max(Contribution.id), func.max(Contribution.submitted_at)).where(
            Contribution.round_id == round_id, Contribution.draft.is_(False)
        )
    ).one()
    return (round_id, theme_id, last_event, last_entry, count, newest, latest)


def _suggestions(
    session: Session, ctx: App, round_id: int, theme_id: int, state: tuple[object, ...]
) -> Mapping[int, Sequence[Suggestion]]:
    """Every contribution of the theme ranked in one batch (the tray pages through them). The
    round's statistics are kept while its contributions stay the same: a decision only moves
    contributions between blocks, which ranking them again takes little."""
    from consult.synthesis.service import suggest_in_theme, theme_space

    synthesis = ctx.settings.synthesis
    embedder = shared_embedder(synthesis.embedding_backend, synthesis.embedding_batch_size)
    where = (str(ctx.settings.database_url), embedder.name if embedder else "")
    key = ("suggestions", *where, *state)
    found: Mapping[int, Sequence[Suggestion]] | None = _kept.get(key)
    if found is None:
        # state: round, theme, last event, last audit entry, then the contributions' own.
        space_key = ("space", *where, *state[:2], *state[4:])
        space = _kept.get(space_key)
        if space is None:
            space = theme_space(session, round_id, theme_id, embedder)
            _kept.put(space_key, space)
        found = suggest_in_theme(session, round_id, theme_id, embedder, SUGGESTIONS, space=space)
        _kept.put(key, found)
    return found


# --------------------------------------------------------------------------------------------
# Search


@dataclass(frozen=True)
class SearchFilter:
    q: str = ""
    theme: str = ""
    sector: str = ""
    region: str = ""
    kind: str = ""
    permission: str = ""
    page: int = 1

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(self.q.split()[:MAX_SEARCH_WORDS])


@dataclass(frozen=True)
class Hit:
    id: int
    theme: str
    kind: str
    permission: str
    # A piece of the text around the first word searched for; None when not quotable.
    snippet: str | None
    sector: str
    region: str
    block_id: int | None
    block_title: str


@dataclass(frozen=True)
class SearchResult:
    round_id: int
    round_name: str
    chosen: SearchFilter
    hits: tuple[Hit, ...]
    total: int
    pages: int
    themes: tuple[tuple[str, str], ...]
    sectors: tuple[tuple[str, str], ...]
    regions: tuple[str, ...]
    kinds: tuple[tuple[str, str], ...]
    permissions: tuple[tuple[str, str], ...]


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _snippet(text: str, words: Sequence[str]) -> str:
    """About SNIPPET characters of `text` around the first of `words` it holds."""
    flat = " ".join(clean_text(text).split())
    lower = flat.lower()
    at = min((i for w in words if (i := lower.find(w.lower())) >= 0), default=0)
    start = max(0, at - SNIPPET // 3)
    piece = flat[start : start + SNIPPET]
    return ("…" if start > 0 else "") + piece + ("…" if start + SNIPPET < len(flat) else "")


def search(
    session: Session, taxonomy: Taxonomy, round_id: int, chosen: SearchFilter
) -> SearchResult | None:
    """The round's handed-in contributions holding every word of `q` (case-insensitive, any
    database), narrowed by the filters; one page of hits, newest id last."""
    rnd = session.get(Round, round_id)
    if rnd is None:
        return None
    language = current_language()
    themes = _round_themes(session, round_id)
    author_sector = func.coalesce(Organisation.sector, Contribution.anonymous_sector)
    author_region = func.coalesce(Region.name, Contribution.anonymous_region)
    query = (
        select(Contribution.id)
        .outerjoin(Person, Person.id == Contribution.person_id)
        .outerjoin(Organisation, Organisation.id == Person.organisation_id)
        .outerjoin(Region, Region.id == Organisation.region_id)
        .where(Contribution.round_id == round_id, Contribution.draft.is_(False))
    )
    for word in chosen.words:
        query = query.where(Contribution.text.ilike(_like(word), escape="\\"))
    if chosen.theme:
        query = query.join(Theme, Theme.id == Contribution.theme_id).where(
            Theme.slug == chosen.theme
        )
    if chosen.sector:
        query = query.where(author_sector == chosen.sector)
    if chosen.region:
        query = query.where(author_region == chosen.region)
    if chosen.kind in {k.value for k in ContributionKind}:
        query = query.where(Contribution.kind == ContributionKind(chosen.kind))
    if chosen.permission in {p.value for p in QuotePermission}:
        query = query.where(Contribution.quote_permission == QuotePermission(chosen.permission))
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    pages = max(1, -(-total // SEARCH_PER_PAGE))
    page = min(max(chosen.page, 1), pages)
    ids = list(
        session.scalars(
            query.order_by(Contribution.id)
            .limit(SEARCH_PER_PAGE)
            .offset((page - 1) * SEARCH_PER_PAGE)
        )
    )
    rows = session.scalars(
        select(Contribution)
        .where(Contribution.id.in_(ids))
        .options(_person_options(), joinedload(Contribution.theme))
        .order_by(Contribution.id)
    ).all()
    in_block = dict(
        session.execute(
            select(block_contribution.c.contribution_id, BuildingBlock)
            .join(BuildingBlock, BuildingBlock.id == block_contribution.c.block_id)
            .where(block_contribution.c.contribution_id.in_(ids))
        )
        .tuples()
        .all()
    )
    hits = []
    for c in rows:
        shown = view(c, taxonomy, language)
        block = in_block.get(c.id)
        hits.append(
            Hit(
                c.id,
                c.theme.title(language),
                kind_label(c.kind),
                permission_label(c.quote_permission),
                None if shown.quote is None else _snippet(shown.quote, chosen.words),
                shown.sector,
                shown.region,
                block.id if block else None,
                clean_text(block.title) if block else "",
            )
        )
    used_regions = session.scalars(
        select(author_region)
        .select_from(Contribution)
        .outerjoin(Person, Person.id == Contribution.person_id)
        .outerjoin(Organisation, Organisation.id == Person.organisation_id)
        .outerjoin(Region, Region.id == Organisation.region_id)
        .where(Contribution.round_id == round_id)
        .distinct()
    )
    return SearchResult(
        rnd.id,
        rnd.name,
        SearchFilter(**{**chosen.__dict__, "page": page}),
        tuple(hits),
        total,
        pages,
        tuple((t.slug, t.title(language)) for t in themes),
        tuple((s.code, sector_name(taxonomy, s.code, language)) for s in taxonomy.sectors),
        tuple(sorted({r for r in used_regions if r} | set(taxonomy.region_names))),
        tuple((k.value, kind_label(k)) for k in ContributionKind),
        tuple((p.value, permission_label(p)) for p in QuotePermission),
    )

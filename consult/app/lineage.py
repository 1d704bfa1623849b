"""Where every word comes from and where it went: a building block with its history, quotes and
contributions; a contribution with its session, the blocks it is in (and was in) and the report
files that print it; a session with what came from it. Read-only, for the staff's lineage
pages.

Quote permission rules as in the reports (consult.reports.content.view): a not-quotable
contribution's text is left out unless the caller asks for it (staff, deliberately, on the
contribution's own page), and a role-only or not-quotable contribution never names its author.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from consult.app.reports import WrittenReport, written_reports
from consult.app.review import block_detail, kind_label
from consult.i18n import current_language, pgettext
from consult.i18n import gettext as _
from consult.reports.content import sector_name, view
from consult.taxonomy import Taxonomy
from consult.text import clean_text
from consult.wiring import App
from models import (
    AttendeeStatus,
    BlockEvent,
    BlockStatus,
    BuildingBlock,
    ConsultationSession,
    Contribution,
    Organisation,
    Person,
    QuotePermission,
    Round,
    SessionAttendee,
    block_contribution,
)


def block_status_label(status: BlockStatus) -> str:
    labels = {
        BlockStatus.DRAFT: pgettext("block status", "draft"),
        BlockStatus.APPROVED: pgettext("block status", "approved"),
        BlockStatus.REJECTED: pgettext("block status", "rejected"),
    }
    return labels.get(status, status.value)


def permission_label(permission: QuotePermission) -> str:
    labels = {
        QuotePermission.ATTRIBUTABLE: pgettext("quote permission", "may be quoted with name"),
        QuotePermission.ROLE_ONLY: pgettext("quote permission", "may be quoted by role only"),
        QuotePermission.NOT_QUOTABLE: pgettext("quote permission", "not quotable"),
    }
    return labels.get(permission, permission.value)


def _action_label(action: str) -> str:
    labels = {
        "rename": pgettext("block history", "renamed"),
        "edit_summary": pgettext("block history", "summary edited"),
        "merge": pgettext("block history", "merged with another block"),
        "split": pgettext("block history", "split"),
        "move": pgettext("block history", "contribution moved"),
        "unassign": pgettext("block history", "contribution taken out"),
        "approve": pgettext("block history", "approved"),
        "reject": pgettext("block history", "rejected"),
        "reopen": pgettext("block history", "reopened"),
        "describe": pgettext("block history", "description edited"),
        "create": pgettext("block history", "created"),
        "erase": pgettext("block history", "contribution erased"),
    }
    return labels.get(action, action)


@dataclass(frozen=True)
class Line:
    """A contribution as a list shows it."""

    id: int
    kind: str
    # None when the contributor did not allow quoting.
    text: str | None
    attribution: str
    session_id: int | None = None
    representative: bool = False


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    actor: str
    what: str
    # The contributions the decision was about, for links.
    contribution_ids: tuple[int, ...] = ()
    # Another block it involved (merged from, split into, moved from or to).
    other_block_id: int | None = None


@dataclass(frozen=True)
class BlockLineage:
    id: int
    round_id: int
    round_name: str
    theme: str
    status: str
    title: str
    summary: str
    description: str
    key_terms: tuple[str, ...]
    quotes: tuple[Line, ...]
    contributions: tuple[Line, ...]
    history: tuple[HistoryLine, ...]


def _ids(value: Any) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,)
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, int))
    return ()


def _history_line(event: BlockEvent) -> HistoryLine:
    d = event.details or {}
    ids = _ids(d.get("contribution_id")) or _ids(d.get("contribution_ids"))
    other = None
    for key in ("source_block_id", "new_block_id", "from_block_id", "to_block_id"):
        value = d.get(key)
        if isinstance(value, int) and value != event.block_id:
            other = value
            break
    return HistoryLine(event.at, event.actor, _action_label(event.action), ids, other)


def block_lineage(session: Session, taxonomy: Taxonomy, block_id: int) -> BlockLineage | None:
    detail = block_detail(session, block_id, taxonomy)
    if detail is None:
        return None
    rnd = session.get_one(Round, detail.round_id)
    block = session.get_one(BuildingBlock, block_id)
    sessions: dict[int, int | None] = {
        cid: sid
        for cid, sid in session.execute(
            select(Contribution.id, Contribution.session_id).where(
                Contribution.id.in_([c.id for c in detail.contributions])
            )
        )
    }
    lines = tuple(
        Line(c.id, c.kind, c.text, c.attribution, sessions.get(c.id), c.representative)
        for c in detail.contributions
    )
    # The quotes in the order staff (or the synthesis) picked them; only quotable ones.
    by_id = {line.id: line for line in lines}
    quotes = tuple(by_id[i] for i in block.quote_ids if i in by_id and by_id[i].text is not None)
    events = session.scalars(
        select(BlockEvent)
        .where(BlockEvent.block_id == block_id)
        .order_by(BlockEvent.at, BlockEvent.id)
    ).all()
    return BlockLineage(
        id=detail.id,
        round_id=detail.round_id,
        round_name=rnd.name,
        theme=block.theme.title(current_language()),
        status=block_status_label(detail.status),
        title=clean_text(detail.title),
        summary=clean_text(detail.summary),
        description=clean_text(detail.description),
        key_terms=detail.key_terms,
        quotes=quotes,
        contributions=lines,
        history=tuple(_history_line(e) for e in events),
    )


@dataclass(frozen=True)
class BlockRef:
    id: int
    title: str
    status: str
    # False for a block that is gone (merged into another): no page to link to.
    exists: bool = True
    how: str = ""


@dataclass(frozen=True)
class ContributionLineage:
    id: int
    round_id: int
    round_name: str
    theme: str
    kind: str
    permission: str
    not_quotable: bool
    # None when not shown: not quotable, and not asked for by someone who may read it.
    text: str | None
    # Who, as far as allowed: the name only for a contribution quotable with name.
    author: str | None
    role: str
    sector: str
    region: str
    submitted_at: datetime
    session_id: int | None
    session_label: str | None
    blocks: tuple[BlockRef, ...]
    former_blocks: tuple[BlockRef, ...]
    reports: tuple[WrittenReport, ...]


def _former_blocks(
    session: Session, round_id: int, contribution_id: int, current: set[int]
) -> list[BlockRef]:
    """The blocks the contribution was in, from the blocks' history: moved or taken out of one,
    split off from one, or in a block that was merged into another."""
    events = session.scalars(
        select(BlockEvent)
        .where(
            BlockEvent.round_id == round_id,
            BlockEvent.action.in_(["move", "unassign", "merge", "split"]),
        )
        .order_by(BlockEvent.id)
    ).all()
    found: dict[int, tuple[str | None, str]] = {}
    for event in events:
        d = event.details or {}
        if event.action in ("move", "unassign") and d.get("contribution_id") == contribution_id:
            source = d.get("from_block_id")
            if isinstance(source, int):
                found[source] = (None, pgettext("block history", "moved out"))
        elif event.action == "merge" and contribution_id in _ids(d.get("contribution_ids")):
            source = d.get("source_block_id")
            if isinstance(source, int):
                title = d.get("source_title")
                found[source] = (
                    str(title) if title else None,
                    pgettext("block history", "merged into another block"),
                )
        elif (
            event.action == "split"
            and contribution_id in _ids(d.get("contribution_ids"))
            and event.block_id is not None
        ):
            found[event.block_id] = (None, pgettext("block history", "split off"))
    refs = []
    for block_id, (title, how) in found.items():
        if block_id in current:
            continue
        block = session.get(BuildingBlock, block_id)
        if block is not None:
            refs.append(
                BlockRef(
                    block.id, clean_text(block.title), block_status_label(block.status), True, how
                )
            )
        else:
            refs.append(BlockRef(block_id, clean_text(title or ""), "", False, how))
    return refs


def session_label(cs: ConsultationSession, language: str) -> str:
    from consult.i18n import format_time_range

    return _(
        "%(theme)s, group %(group)s, %(when)s",
        theme=cs.theme.title(language),
        group=cs.group_number,
        when=format_time_range(cs.start, cs.end, language),
    )


def contribution_lineage(
    session: Session, ctx: App, contribution_id: int, reveal_not_quotable: bool = False
) -> ContributionLineage | None:
    """One contribution and where it went. `reveal_not_quotable`: show a not-quotable text
    too (the caller decides who may, and that it was asked for)."""
    c = session.scalars(
        select(Contribution)
        .where(Contribution.id == contribution_id, Contribution.draft.is_(False))
        .options(
            selectinload(Contribution.person)
            .selectinload(Person.organisation)
            .selectinload(Organisation.region)
        )
    ).one_or_none()
    if c is None:
        return None
    language = current_language()
    shown = view(c, ctx.taxonomy, language)
    not_quotable = c.quote_permission == QuotePermission.NOT_QUOTABLE
    text = clean_text(c.text) if (not not_quotable or reveal_not_quotable) else None
    author = None
    if c.quote_permission == QuotePermission.ATTRIBUTABLE and c.person is not None:
        author = clean_text(c.person.name)
    rnd = session.get_one(Round, c.round_id)
    current = session.scalars(
        select(BuildingBlock)
        .join(block_contribution, block_contribution.c.block_id == BuildingBlock.id)
        .where(block_contribution.c.contribution_id == c.id)
    ).all()
    cs = c.session
    reports = tuple(
        r
        for r in written_reports(ctx, session, c.round_id) or []
        if _prints(ctx, rnd.slug, r, c.id)
    )
    return ContributionLineage(
        id=c.id,
        round_id=c.round_id,
        round_name=rnd.name,
        theme=c.theme.title(language),
        kind=kind_label(c.kind),
        permission=permission_label(c.quote_permission),
        not_quotable=not_quotable,
        text=text,
        author=author,
        role=clean_text(c.role),
        sector=shown.sector,
        region=shown.region,
        submitted_at=c.submitted_at,
        session_id=cs.id if cs is not None else None,
        session_label=session_label(cs, language) if cs is not None else None,
        blocks=tuple(
            BlockRef(b.id, clean_text(b.title), block_status_label(b.status)) for b in current
        ),
        former_blocks=tuple(_former_blocks(session, c.round_id, c.id, {b.id for b in current})),
        reports=reports,
    )


def _prints(ctx: App, slug: str, report: WrittenReport, contribution_id: int) -> bool:
    """Whether the report, as written on disk, prints this contribution's number (in a block's
    annex or among the unassigned): read from its Markdown file, the smallest of its files."""
    markdown = next((f for f in report.files if f.format == "md"), None)
    if markdown is None:
        return False
    path = ctx.settings.reports_dir / slug / markdown.name
    try:
        return f"**#{contribution_id}**" in path.read_text(encoding="utf-8")
    except OSError:
        return False


@dataclass(frozen=True)
class SessionLineage:
    id: int
    round_id: int
    round_name: str
    theme: str
    start: datetime
    end: datetime
    group: int
    cancelled: bool
    attendees: int
    # (name, number of attendees), most first: counts, never who.
    sectors: tuple[tuple[str, int], ...]
    regions: tuple[tuple[str, int], ...]
    contributions: tuple[Line, ...]


def session_lineage(session: Session, taxonomy: Taxonomy, session_id: int) -> SessionLineage | None:
    cs = session.get(ConsultationSession, session_id)
    if cs is None:
        return None
    language = current_language()
    people = session.scalars(
        select(Person)
        .join(SessionAttendee, SessionAttendee.person_id == Person.id)
        .where(
            SessionAttendee.session_id == cs.id,
            SessionAttendee.status != AttendeeStatus.REMOVED,
        )
        .options(selectinload(Person.organisation).selectinload(Organisation.region))
    ).all()
    sectors = Counter(sector_name(taxonomy, p.organisation.sector, language) for p in people)
    regions = Counter(p.organisation.region.name for p in people)
    contributions = session.scalars(
        select(Contribution)
        .where(Contribution.session_id == cs.id, Contribution.draft.is_(False))
        .order_by(Contribution.id)
        .options(
            selectinload(Contribution.person)
            .selectinload(Person.organisation)
            .selectinload(Organisation.region)
        )
    ).all()
    lines = []
    for c in contributions:
        shown = view(c, taxonomy, language)
        lines.append(Line(c.id, kind_label(c.kind), shown.quote, shown.attribution, cs.id))

    def ordered(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
        return tuple(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))

    rnd = session.get_one(Round, cs.round_id)
    return SessionLineage(
        id=cs.id,
        round_id=cs.round_id,
        round_name=rnd.name,
        theme=cs.theme.title(language),
        start=cs.start,
        end=cs.end,
        group=cs.group_number,
        cancelled=cs.status.value == "cancelled",
        attendees=len(people),
        sectors=ordered(sectors),
        regions=ordered(regions),
        contributions=tuple(lines),
    )


def round_name(session: Session, round_id: int) -> str | None:
    rnd = session.get(Round, round_id)
    return rnd.name if rnd is not None else None

"""Staff decisions on building blocks, each validated and written down as one BlockEvent.

The pipeline proposes draft blocks; staff rename them, edit summaries, merge, split, move
contributions between them, and approve or reject them. These decisions must survive a re-run of
the pipeline and must be traceable afterwards (who, when, what), so every function here checks its
input, raises `DecisionError` with a Dutch message the secretariat can act on, changes the
database, and records one `BlockEvent` whose details are enough to reconstruct the change.

Rules, and why:

- **Only draft blocks change in content.** An approved block is what the report prints; a
  rejected block has been set aside on purpose. Renaming, editing, merging, splitting, or moving
  a contribution into or out of either would change a decision nobody took again, so it is
  refused until someone `reopen`s the block (which is recorded too).
- **Status changes are free between decisions.** approve and reject work on a draft and on each
  other (a change of mind is recorded with the old and new status); reopen brings either back to
  draft. Asking for the status a block already has changes nothing and records nothing: the
  function returns False, so `approve 3 4 5` can safely be repeated. An empty block cannot be
  approved: there would be nothing behind it in the report.
- **Staff placements are marked, not the blocks they land in.** A contribution placed by staff
  (merge, split, move) gets placed_by='staff'; the pipeline (service.synthesise) keeps every
  draft block holding such a placement and never moves it again. edited_by_staff is set only
  where staff wrote text (rename, summary, the title of a split-off block): it tells the pipeline
  to keep the block's words and everything in it, which a mere move should not freeze.
- **"Unassigned" can be a decision too.** Taking a contribution out of every block records an
  "unassign" event; `staff_unassigned_ids` tells the pipeline which contributions to leave alone.
- A block emptied by moves stays (as an empty draft) until staff merge or reject it: deleting it
  silently would lose its title and its place in the history.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from consult.i18n import gettext as _
from consult.i18n import ngettext, pgettext
from models import (
    BlockEvent,
    BlockStatus,
    BuildingBlock,
    Contribution,
    Theme,
    block_contribution,
)
from models.base import utcnow

MAX_TITLE = 300  # building_block.title is VARCHAR(300)
MAX_SUMMARY = 5000
MAX_DESCRIPTION = 1000
DRAFT_TITLE_WORDS = 8
MAX_ACTOR = 200  # block_event.actor is VARCHAR(200)
PLACED_BY_STAFF = "staff"


def status_label(status: BlockStatus) -> str:
    """A block's status as staff read it, in the current language."""
    labels = {
        BlockStatus.DRAFT: pgettext("block status", "draft"),
        BlockStatus.APPROVED: pgettext("block status", "approved"),
        BlockStatus.REJECTED: pgettext("block status", "rejected"),
    }
    return labels[status]


class Action(StrEnum):
    RENAME = "rename"
    EDIT_SUMMARY = "edit_summary"
    MERGE = "merge"
    SPLIT = "split"
    MOVE = "move"
    UNASSIGN = "unassign"
    APPROVE = "approve"
    REJECT = "reject"
    REOPEN = "reopen"
    DESCRIBE = "describe"
    CREATE = "create"


class DecisionError(ValueError):
    """A decision that cannot be carried out; the message says why, in the reader's language."""


class BadInput(DecisionError):
    """The text given is unusable (empty or too long title, missing actor): a usage error rather
    than a refused decision, so a command line can answer it differently."""


# --------------------------------------------------------------------------------------------
# Text decisions


def rename(session: Session, block_id: int, title: str, actor: str) -> bool:
    """Give a block a new title. Returns False (and records nothing) if the title is unchanged."""
    who = _actor(actor)
    new_title = _title(title)
    return _edit_words(session, block_id, who, "title", new_title, Action.RENAME, _("renaming"))


def edit_summary(session: Session, block_id: int, summary: str, actor: str) -> bool:
    """Replace a block's summary (may be empty). Returns False if the text is unchanged."""
    who = _actor(actor)
    text = summary.strip()
    if len(text) > MAX_SUMMARY:
        raise BadInput(
            _(
                "the summary is %(length)s characters; the maximum is %(maximum)s",
                length=len(text),
                maximum=MAX_SUMMARY,
            )
        )
    return _edit_words(
        session, block_id, who, "summary", text, Action.EDIT_SUMMARY, _("changing the summary")
    )


def _edit_words(
    session: Session,
    block_id: int,
    who: str,
    field: Literal["title", "summary"],
    value: str,
    action: Action,
    verb: str,
) -> bool:
    """Staff's own words on a draft block; a re-run of the pipeline keeps them."""
    block = _block(session, block_id)
    _require_draft(block, verb)
    old = getattr(block, field)
    if old == value:
        return False
    setattr(block, field, value)
    block.edited_by_staff = True
    if field == "title":
        block.title_is_draft = False
    _touch(block)
    _record(
        session, block.round_id, block.id, who, action, {f"old_{field}": old, f"new_{field}": value}
    )
    return True


def describe_block(
    session: Session, block_id: int, description: str, actor: str, title: str | None = None
) -> bool:
    """Say in one sentence what a draft block is about (and optionally give it a title).
    Synthesis then places contributions with it by what the description means; the block stays
    on re-runs. Returns False if nothing changed."""
    who = _actor(actor)
    text = _description(description)
    block = _block(session, block_id)
    _require_draft(block, _("describing"))
    changed = False
    if title is not None:
        changed = rename(session, block_id, title, who)
    if block.description == text:
        return changed
    old = block.description
    block.description = text
    _touch(block)
    _record(
        session,
        block.round_id,
        block.id,
        who,
        Action.DESCRIBE,
        {"old_description": old, "new_description": text},
    )
    return True


def create_block(
    session: Session,
    round_id: int,
    theme_id: int,
    description: str,
    actor: str,
    title: str | None = None,
    source: str = "",
) -> BuildingBlock:
    """A new, empty draft block from a description (and a title, if staff have one; otherwise
    a draft title from the description until the pipeline finds a better one). `source` says
    where the words came from (a guiding question, a previous round's block)."""
    who = _actor(actor)
    text = _description(description)
    block = BuildingBlock(
        round_id=round_id,
        theme_id=theme_id,
        title=_title(title) if title is not None else _draft_title(text),
        description=text,
        summary="",
        key_terms=[],
        quote_ids=[],
        title_is_draft=title is None,
        edited_by_staff=title is not None,
    )
    session.add(block)
    session.flush()
    details: dict[str, Any] = {"title": block.title, "description": text, "theme_id": theme_id}
    if source:
        details["source"] = source
    _record(session, round_id, block.id, who, Action.CREATE, details)
    return block


def start_from_questions(
    session: Session, round_id: int, theme_id: int, actor: str
) -> list[BuildingBlock]:
    """One described block per guiding question of the theme (config/themes.toml), for staff
    to sharpen; questions that already describe a block of the round are skipped."""
    theme = session.get(Theme, theme_id)
    if theme is None:
        raise DecisionError(_("unknown theme %(theme)s", theme=theme_id))
    taken = _descriptions_in(session, round_id, theme_id)
    return [
        create_block(
            session, round_id, theme_id, q, actor, source=_("guiding question %(number)s", number=n)
        )
        for n, q in enumerate(theme.questions_nl, start=1)
        if " ".join(q.split()) not in taken
    ]


def start_from_round(
    session: Session, round_id: int, previous_round_id: int, actor: str
) -> list[BuildingBlock]:
    """A described block for each approved block of a previous round, in the same theme, with
    its title and its description (or, without one, its summary)."""
    if round_id == previous_round_id:
        raise DecisionError(_("choose a round other than this one to take building blocks from"))
    previous = session.scalars(
        select(BuildingBlock)
        .where(
            BuildingBlock.round_id == previous_round_id,
            BuildingBlock.status == BlockStatus.APPROVED,
        )
        .order_by(BuildingBlock.id)
    ).all()
    created: list[BuildingBlock] = []
    for old in previous:
        words = old.description.strip() or old.summary.strip() or old.title
        if " ".join(words.split()) in _descriptions_in(session, round_id, old.theme_id):
            continue
        created.append(
            create_block(
                session,
                round_id,
                old.theme_id,
                words,
                actor,
                title=old.title,
                source=_(
                    "building block %(block)s of round %(round)s",
                    block=old.id,
                    round=previous_round_id,
                ),
            )
        )
    return created


def _descriptions_in(session: Session, round_id: int, theme_id: int) -> set[str]:
    return set(
        session.scalars(
            select(BuildingBlock.description).where(
                BuildingBlock.round_id == round_id, BuildingBlock.theme_id == theme_id
            )
        )
    )


def _description(description: str) -> str:
    text = " ".join(description.split())
    if not text:
        raise BadInput(_("the description must not be empty"))
    if len(text) > MAX_DESCRIPTION:
        raise BadInput(
            _(
                "the description is %(length)s characters; the maximum is %(maximum)s",
                length=len(text),
                maximum=MAX_DESCRIPTION,
            )
        )
    return text


def _draft_title(description: str) -> str:
    words = description.rstrip(".?!").split()
    short = " ".join(words[:DRAFT_TITLE_WORDS])
    return short if len(words) <= DRAFT_TITLE_WORDS else short + " …"


# --------------------------------------------------------------------------------------------
# Placement decisions


def merge(session: Session, target_id: int, source_ids: Sequence[int], actor: str) -> None:
    """Move every contribution of the sources into the target and delete the sources.

    One "merge" event per source is recorded on the target, carrying what the source was (title,
    summary, key terms, contributions), so the history still tells its story after it is gone.
    """
    who = _actor(actor)
    sources_wanted = list(dict.fromkeys(source_ids))  # keeps the order given, drops repeats
    if not sources_wanted:
        raise BadInput(_("give at least one building block to merge"))
    if target_id in sources_wanted:
        raise DecisionError(
            _("building block %(block)s cannot be merged with itself", block=target_id)
        )
    # Rows are locked in id order, so two merges over the same blocks wait for each other
    # instead of deadlocking.
    locked = {bid: _block(session, bid) for bid in sorted({target_id, *sources_wanted})}
    target = locked[target_id]
    _require_draft(target, _("merging"))
    sources = [locked[source_id] for source_id in sources_wanted]
    for source in sources:
        _require_same_place(target, source)
        _require_draft(source, _("merging"))

    session.flush()
    moved = {source.id: _contribution_ids(session, source.id) for source in sources}
    session.execute(
        update(block_contribution)
        .where(block_contribution.c.block_id.in_(sources_wanted))
        .values(block_id=target.id, placed_by=PLACED_BY_STAFF)
    )
    _placements_changed(session)
    events = []
    for source in sources:
        events.append(
            {
                "source_block_id": source.id,
                "source_title": source.title,
                "source_summary": source.summary,
                "source_key_terms": list(source.key_terms),
                "source_quote_ids": list(source.quote_ids),
                "source_edited_by_staff": source.edited_by_staff,
                "source_created_at": source.created_at.isoformat(),
                "contribution_ids": moved[source.id],
                "target_title": target.title,
            }
        )
        # The pipeline's picks stay representative of the parts they came from.
        target.quote_ids = _union(target.quote_ids, source.quote_ids)
        target.key_terms = _union(target.key_terms, source.key_terms)
        session.delete(source)
    _touch(target)
    for details in events:
        _record(session, target.round_id, target.id, who, Action.MERGE, details)
    session.flush()


def split(
    session: Session, block_id: int, contribution_ids: Sequence[int], new_title: str, actor: str
) -> int:
    """Move some contributions of a block into a new draft block; returns the new block's id."""
    who = _actor(actor)
    title = _title(new_title)
    block = _block(session, block_id)
    _require_draft(block, _("splitting"))
    wanted = sorted(set(contribution_ids))
    if not wanted:
        raise BadInput(_("give at least one contribution to split off"))
    session.flush()
    present = _contribution_ids(session, block.id)
    missing = [i for i in wanted if i not in present]
    if missing:
        raise DecisionError(
            ngettext(
                "contribution %(ids)s is not in building block %(block)s",
                "contributions %(ids)s are not in building block %(block)s",
                len(missing),
                ids=_ids(missing),
                block=block.id,
            )
        )
    if len(wanted) == len(present):
        raise DecisionError(
            _(
                "those are all the contributions of building block %(block)s; rename the block "
                "instead of splitting all of it off",
                block=block.id,
            )
        )

    new_block = BuildingBlock(
        round_id=block.round_id,
        theme_id=block.theme_id,
        title=title,
        summary="",
        key_terms=[],
        status=BlockStatus.DRAFT,
        quote_ids=[q for q in block.quote_ids if q in wanted],
        edited_by_staff=True,
    )
    session.add(new_block)
    session.flush()
    session.execute(
        update(block_contribution)
        .where(block_contribution.c.contribution_id.in_(wanted))
        .values(block_id=new_block.id, placed_by=PLACED_BY_STAFF)
    )
    _placements_changed(session)
    block.quote_ids = [q for q in block.quote_ids if q not in wanted]
    _touch(block)
    _record(
        session,
        block.round_id,
        block.id,
        who,
        Action.SPLIT,
        {
            "new_block_id": new_block.id,
            "new_title": title,
            "contribution_ids": wanted,
            "remaining_ids": [i for i in present if i not in wanted],
        },
    )
    session.flush()
    return new_block.id


def move(session: Session, contribution_id: int, to_block_id: int | None, actor: str) -> None:
    """Put a contribution into another block of its round and theme, or (to_block_id=None) take
    it out of every block and keep it out: a re-run will not place it again."""
    who = _actor(actor)
    contribution = session.get(Contribution, contribution_id)
    if contribution is None:
        raise DecisionError(_("unknown contribution %(id)s", id=contribution_id))
    session.flush()
    # FOR UPDATE on the link row: two people moving the same contribution at once are served
    # one after the other, so each event names the block it really came from.
    from_id = session.scalar(
        select(block_contribution.c.block_id)
        .where(block_contribution.c.contribution_id == contribution.id)
        .with_for_update()
    )
    source = _block(session, from_id) if from_id is not None else None
    if source is not None:
        _require_draft(source, _("taking contribution %(id)s out", id=contribution.id))

    if to_block_id is None:
        latest = _latest_placement_actions(session, contribution.round_id, [contribution.id])
        if source is None and latest.get(contribution.id) == Action.UNASSIGN:
            raise DecisionError(
                _(
                    "contribution %(id)s is already kept out of the building blocks by staff",
                    id=contribution.id,
                )
            )
        if source is not None:
            session.execute(
                delete(block_contribution).where(
                    block_contribution.c.contribution_id == contribution.id
                )
            )
            source.quote_ids = [q for q in source.quote_ids if q != contribution.id]
            _touch(source)
            _placements_changed(session)
        _record(
            session,
            contribution.round_id,
            from_id,
            who,
            Action.UNASSIGN,
            {"contribution_id": contribution.id, "from_block_id": from_id},
        )
        session.flush()
        return

    target = _block(session, to_block_id)
    if target.round_id != contribution.round_id:
        raise DecisionError(
            _(
                "building block %(block)s belongs to another round than contribution %(id)s",
                block=target.id,
                id=contribution.id,
            )
        )
    if target.theme_id != contribution.theme_id:
        raise DecisionError(
            _(
                "building block %(block)s has theme '%(block_theme)s', contribution %(id)s "
                "belongs to theme '%(theme)s'",
                block=target.id,
                block_theme=target.theme.slug,
                id=contribution.id,
                theme=contribution.theme.slug,
            )
        )
    if target.id == from_id:
        raise DecisionError(
            _(
                "contribution %(id)s is already in building block %(block)s",
                id=contribution.id,
                block=target.id,
            )
        )
    _require_draft(target, _("placing contribution %(id)s in it", id=contribution.id))
    if source is not None:
        session.execute(
            update(block_contribution)
            .where(block_contribution.c.contribution_id == contribution.id)
            .values(block_id=target.id, placed_by=PLACED_BY_STAFF)
        )
        # A representative quote of the old block is not one of the new block: the pipeline did
        # not pick it there.
        source.quote_ids = [q for q in source.quote_ids if q != contribution.id]
        _touch(source)
    else:
        session.execute(
            insert(block_contribution).values(
                block_id=target.id, contribution_id=contribution.id, placed_by=PLACED_BY_STAFF
            )
        )
    _placements_changed(session)
    _touch(target)
    _record(
        session,
        contribution.round_id,
        target.id,
        who,
        Action.MOVE,
        {"contribution_id": contribution.id, "from_block_id": from_id, "to_block_id": target.id},
    )
    session.flush()


def staff_unassigned_ids(session: Session, round_id: int) -> set[int]:
    """Contributions staff took out of every block and that are still in none: a re-run of the
    pipeline must leave them unassigned."""
    latest = _latest_placement_actions(session, round_id)
    pinned = {cid for cid, action in latest.items() if action == Action.UNASSIGN}
    if not pinned:
        return set()
    placed = set(
        session.scalars(
            select(block_contribution.c.contribution_id).where(
                block_contribution.c.contribution_id.in_(pinned)
            )
        )
    )
    return pinned - placed


# --------------------------------------------------------------------------------------------
# Status decisions


def approve(session: Session, block_id: int, actor: str) -> bool:
    """Approve a draft or rejected block; False if it already was approved."""
    return _set_status(session, block_id, BlockStatus.APPROVED, Action.APPROVE, actor)


def reject(session: Session, block_id: int, actor: str) -> bool:
    """Reject a draft or approved block; False if it already was rejected."""
    return _set_status(session, block_id, BlockStatus.REJECTED, Action.REJECT, actor)


def reopen(session: Session, block_id: int, actor: str) -> bool:
    """Bring an approved or rejected block back to draft; False if it already was a draft."""
    return _set_status(session, block_id, BlockStatus.DRAFT, Action.REOPEN, actor)


def _set_status(
    session: Session, block_id: int, status: BlockStatus, action: Action, actor: str
) -> bool:
    who = _actor(actor)
    block = _block(session, block_id)
    if block.status == status:
        return False
    if status == BlockStatus.APPROVED:
        session.flush()
        if not _contribution_ids(session, block.id):
            raise DecisionError(
                _(
                    "building block %(block)s has no contributions; an empty building block "
                    "cannot be approved",
                    block=block.id,
                )
            )
    old = block.status
    block.status = status
    _touch(block)
    _record(
        session,
        block.round_id,
        block.id,
        who,
        action,
        {"from_status": old.value, "to_status": status.value, "title": block.title},
    )
    return True


# --------------------------------------------------------------------------------------------
# History


def history(session: Session, round_id: int, block_id: int | None = None) -> list[BlockEvent]:
    """The events of a round, oldest first; with block_id, those of that block, including the
    events of blocks that were merged into it and events that name it (a move out of it, the
    block it was split from)."""
    session.flush()
    events = list(
        session.scalars(
            select(BlockEvent)
            .where(BlockEvent.round_id == round_id)
            .order_by(BlockEvent.at, BlockEvent.id)
        )
    )
    if block_id is None:
        return events
    block = session.get(BuildingBlock, block_id)
    # A block's life as (first moment, index of the merge event that ended it). SQLite may give
    # the id of a deleted block to a new one, so events from before a block existed belong to
    # its namesake, not to it.
    lives: dict[int, tuple[datetime | None, int | None]] = {
        block_id: (block.created_at if block is not None else None, None)
    }
    # Newest first, so a chain (C merged into B, later B into A) is followed back to C.
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if (
            event.action == Action.MERGE
            and event.block_id in lives
            and _within(event, index, lives[event.block_id])
        ):
            source = event.details.get("source_block_id")
            if isinstance(source, int) and source not in lives:
                lives[source] = (_parse_time(event.details.get("source_created_at")), index)
    return [
        event
        for index, event in enumerate(events)
        if any(bid in lives and _within(event, index, lives[bid]) for bid in _named_blocks(event))
    ]


def describe(event: BlockEvent) -> str:
    """One line saying what an event did, in the current language, for screens and exports."""
    d = event.details
    match event.action:
        case Action.RENAME:
            return _("title '%(old)s' → '%(new)s'", old=d.get("old_title"), new=d.get("new_title"))
        case Action.EDIT_SUMMARY:
            return _(
                "summary changed: '%(summary)s'",
                summary=_shorten(str(d.get("new_summary", ""))),
            )
        case Action.MERGE:
            ids = d.get("contribution_ids", [])
            return ngettext(
                "building block %(block)s ('%(title)s') merged; contribution %(ids)s taken over",
                "building block %(block)s ('%(title)s') merged; contributions %(ids)s taken over",
                len(ids),
                block=d.get("source_block_id"),
                title=d.get("source_title"),
                ids=_ids(ids),
            )
        case Action.SPLIT:
            ids = d.get("contribution_ids", [])
            return ngettext(
                "contribution %(ids)s split off to new building block %(block)s ('%(title)s')",
                "contributions %(ids)s split off to new building block %(block)s ('%(title)s')",
                len(ids),
                ids=_ids(ids),
                block=d.get("new_block_id"),
                title=d.get("new_title"),
            )
        case Action.MOVE:
            origin = d.get("from_block_id")
            if origin is None:
                return _(
                    "contribution %(id)s from unassigned to building block %(to)s",
                    id=d.get("contribution_id"),
                    to=d.get("to_block_id"),
                )
            return _(
                "contribution %(id)s from building block %(block)s to building block %(to)s",
                id=d.get("contribution_id"),
                block=origin,
                to=d.get("to_block_id"),
            )
        case Action.UNASSIGN:
            origin = d.get("from_block_id")
            if origin is None:
                return _(
                    "contribution %(id)s stays out of the building blocks",
                    id=d.get("contribution_id"),
                )
            return _(
                "contribution %(id)s taken out of building block %(block)s and stays out of the "
                "building blocks",
                id=d.get("contribution_id"),
                block=origin,
            )
        case Action.APPROVE | Action.REJECT | Action.REOPEN:
            return _(
                "status %(old)s → %(new)s",
                old=_status_text(d.get("from_status")),
                new=_status_text(d.get("to_status")),
            )
        case Action.DESCRIBE:
            return _(
                "description: '%(description)s'",
                description=_shorten(str(d.get("new_description", ""))),
            )
        case Action.CREATE:
            description = _shorten(str(d.get("description")))
            if d.get("source"):
                return _(
                    "created from description (from %(source)s): '%(description)s'",
                    source=d.get("source"),
                    description=description,
                )
            return _("created from description: '%(description)s'", description=description)
        case "synthesise":
            return _(
                "synthesis: %(blocks)s, %(assigned)s, %(unassigned)s",
                blocks=ngettext(
                    "%(num)s new building block",
                    "%(num)s new building blocks",
                    _count(d.get("new_blocks")),
                ),
                assigned=ngettext(
                    "%(num)s contribution assigned",
                    "%(num)s contributions assigned",
                    _count(d.get("assigned")),
                ),
                unassigned=_("%(num)s not assigned", num=_count(d.get("unassigned"))),
            )
        case _:
            # Events written by other parts (the pipeline, later the web app): show them raw
            # rather than not at all.
            return ", ".join(f"{k}={v}" for k, v in d.items())


# --------------------------------------------------------------------------------------------
# Helpers


def _actor(actor: str) -> str:
    name = actor.strip()
    if not name:
        raise BadInput(_("say who makes the change"))
    if len(name) > MAX_ACTOR:
        raise BadInput(
            _(
                "the name of who makes the change is longer than %(maximum)s characters",
                maximum=MAX_ACTOR,
            )
        )
    return name


def _title(title: str) -> str:
    text = title.strip()
    if not text:
        raise BadInput(_("the title must not be empty"))
    if len(text) > MAX_TITLE:
        raise BadInput(
            _(
                "the title is %(length)s characters; the maximum is %(maximum)s",
                length=len(text),
                maximum=MAX_TITLE,
            )
        )
    return text


def _block(session: Session, block_id: int) -> BuildingBlock:
    # FOR UPDATE (a no-op on SQLite, which locks the whole database for a writer anyway):
    # two people deciding on the same block at once are served one after the other.
    block = session.get(BuildingBlock, block_id, with_for_update=True)
    if block is None:
        raise DecisionError(_("unknown building block %(block)s", block=block_id))
    return block


def _require_draft(block: BuildingBlock, doing: str) -> None:
    if block.status != BlockStatus.DRAFT:
        raise DecisionError(
            _(
                "building block %(block)s is %(status)s; %(doing)s is only possible for a draft "
                "(reopen the building block first)",
                block=block.id,
                status=status_label(block.status),
                doing=doing,
            )
        )


def _require_same_place(target: BuildingBlock, other: BuildingBlock) -> None:
    if other.round_id != target.round_id:
        raise DecisionError(
            _(
                "building block %(block)s belongs to another round than building block %(target)s",
                block=other.id,
                target=target.id,
            )
        )
    if other.theme_id != target.theme_id:
        raise DecisionError(
            _(
                "building block %(block)s (theme '%(theme)s') and building block %(target)s "
                "(theme '%(target_theme)s') have different themes; merging is only possible "
                "within one theme",
                block=other.id,
                theme=other.theme.slug,
                target=target.id,
                target_theme=target.theme.slug,
            )
        )


def _contribution_ids(session: Session, block_id: int) -> list[int]:
    return list(
        session.scalars(
            select(block_contribution.c.contribution_id)
            .where(block_contribution.c.block_id == block_id)
            .order_by(block_contribution.c.contribution_id)
        )
    )


def _placements_changed(session: Session) -> None:
    # Links are written with SQL because the relationship cannot set placed_by; collections the
    # session already loaded would otherwise keep showing the old placement. Everything was
    # flushed before the SQL ran, so expiring loses no pending change.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, BuildingBlock):
            session.expire(obj, ["contributions"])
        elif isinstance(obj, Contribution):
            session.expire(obj, ["blocks"])


def _touch(block: BuildingBlock) -> None:
    # onupdate only fires when a column of the block itself changes; a merge or move changes
    # only link rows, yet the block did change.
    block.updated_at = utcnow()


def _record(
    session: Session,
    round_id: int,
    block_id: int | None,
    actor: str,
    action: Action,
    details: dict[str, Any],
) -> None:
    session.add(
        BlockEvent(
            round_id=round_id,
            block_id=block_id,
            actor=actor,
            action=action.value,
            details=details,
            at=utcnow(),
        )
    )


def _latest_placement_actions(
    session: Session, round_id: int, contribution_ids: Iterable[int] | None = None
) -> dict[int, str]:
    """The last staff move or unassign per contribution of the round. Staff actions are few,
    so reading them and filtering the JSON here is simpler than a JSON query per backend."""
    wanted = set(contribution_ids) if contribution_ids is not None else None
    latest: dict[int, str] = {}
    rows = session.execute(
        select(BlockEvent.action, BlockEvent.details)
        .where(
            BlockEvent.round_id == round_id,
            BlockEvent.action.in_([Action.MOVE.value, Action.UNASSIGN.value]),
        )
        .order_by(BlockEvent.at, BlockEvent.id)
    )
    for action, details in rows:
        cid = details.get("contribution_id")
        if isinstance(cid, int) and (wanted is None or cid in wanted):
            latest[cid] = action
    return latest


_BLOCK_KEYS = ("from_block_id", "to_block_id", "source_block_id", "new_block_id")


def _named_blocks(event: BlockEvent) -> set[int]:
    named = {event.block_id} if event.block_id is not None else set()
    named.update(v for k in _BLOCK_KEYS if isinstance(v := event.details.get(k), int))
    return named


def _within(event: BlockEvent, index: int, life: tuple[datetime | None, int | None]) -> bool:
    start, end_index = life
    return (start is None or event.at >= start) and (end_index is None or index <= end_index)


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _union(first: Iterable[Any], second: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys([*first, *second]))


def _ids(ids: Sequence[int]) -> str:
    return ", ".join(str(i) for i in ids)


def _count(value: object) -> int:
    return value if isinstance(value, int) else 0


def _status_text(value: object) -> str:
    try:
        return status_label(BlockStatus(str(value)))
    except ValueError:
        return str(value)


def _shorten(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"

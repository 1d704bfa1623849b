"""`consult blocks ...`: staff review of building blocks. Thin: parse the arguments, open a unit
of work, call consult.app.blocks or consult.app.review, show the result.

Exit codes: 1 when a decision is refused (unknown id, wrong block, closed block), 2 when the
command is used wrongly (empty title, --to together with --unassign, no name for --by).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from consult.app import blocks
from consult.app.blocks import BadInput, DecisionError, status_label
from consult.cli_common import ACTOR_ENV, actor, console
from consult.cli_common import fail as _fail
from consult.i18n import AMSTERDAM, ngettext, pgettext
from consult.i18n import gettext as _
from consult.synthesis.decisions import Action
from consult.wiring import App
from models import BlockStatus

blocks_app = typer.Typer(
    help=_(
        "Review building blocks: view, rename, merge, split, move, approve or reject. Every "
        "change is recorded (who, when, what)."
    ),
    no_args_is_help=True,
)


def action_label(action: str) -> str:
    """What an event in a block's history did, in a word; events written elsewhere with other
    actions show their own name."""
    labels = {
        Action.RENAME: pgettext("block history", "renamed"),
        Action.EDIT_SUMMARY: pgettext("block history", "summary"),
        Action.MERGE: pgettext("block history", "merged"),
        Action.SPLIT: pgettext("block history", "split"),
        Action.MOVE: pgettext("block history", "moved"),
        Action.UNASSIGN: pgettext("block history", "kept out"),
        Action.APPROVE: pgettext("block history", "approved"),
        Action.REJECT: pgettext("block history", "rejected"),
        Action.REOPEN: pgettext("block history", "reopened"),
        Action.DESCRIBE: pgettext("block history", "described"),
        Action.CREATE: pgettext("block history", "created"),
        "synthesise": pgettext("block history", "synthesis"),  # by the pipeline on every run
    }
    return labels.get(action, action)


RoundArg = Annotated[str, typer.Argument(metavar=_("ROUND"), help=_("Slug of the round"))]
BlockArg = Annotated[int, typer.Argument(metavar=_("BLOCK"), help=_("Id of the building block"))]
By = Annotated[
    str | None,
    typer.Option(
        "--by",
        metavar=_("NAME"),
        envvar=ACTOR_ENV,
        show_envvar=True,
        help=_("Who makes the change; without --by and CONSULT_ACTOR: the login name."),
    ),
]


def _actor(by: str | None) -> str:
    return actor(by, _("makes the change"))


@contextmanager
def _review() -> Iterator[tuple[App, Session]]:
    """The wired app and one unit of work; a refused decision rolls it back and ends the
    command with its message."""
    from consult.app.context import current
    from consult.app.status import UnknownRound

    app = current()
    with app.db.unit_of_work() as session:
        try:
            yield app, session
        except UnknownRound as exc:
            raise _fail(str(exc)) from exc
        except BadInput as exc:
            raise _fail(str(exc), 2) from exc
        except DecisionError as exc:
            raise _fail(str(exc), 1) from exc


def _round_id(session: Session, slug: str) -> int:
    from consult.app.status import UnknownRound, find_round

    try:
        return find_round(session, slug).id
    except UnknownRound as exc:
        raise _fail(str(exc)) from exc


def _ids(ids: Sequence[int]) -> str:
    return ", ".join(str(i) for i in ids)


@blocks_app.command("list", help=_("Show the building blocks of a round by theme."))
def list_blocks(
    round_slug: RoundArg,
    theme: Annotated[
        str | None, typer.Option("--theme", metavar="SLUG", help=_("Only this theme"))
    ] = None,
    status: Annotated[BlockStatus | None, typer.Option(help=_("Only this status"))] = None,
) -> None:
    from consult.app.review import UnknownTheme, block_overview

    with _review() as (_app, session):
        round_id = _round_id(session, round_slug)
        try:
            rows = block_overview(session, round_id, theme, status)
        except UnknownTheme as exc:
            raise _fail(str(exc)) from exc
    if not rows:
        console.print(_("No building blocks found."))
        return
    table = Table(title=_("Building blocks of %(round)s", round=escape(round_slug)))
    table.add_column(pgettext("blocks column", "id"), justify="right")
    table.add_column(pgettext("blocks column", "theme"))
    table.add_column(pgettext("blocks column", "status"))
    table.add_column(pgettext("blocks column", "title"))
    table.add_column(pgettext("blocks column", "contributions"), justify="right")
    table.add_column(pgettext("blocks column", "key terms"))
    for row in rows:
        # A pencil marks blocks staff have worked on: a re-run keeps them as they are.
        title = escape(row.title) + (" ✎" if row.edited_by_staff else "")
        if row.title_is_draft:
            title += " [dim](" + _("draft title") + ")[/]"
        table.add_row(
            str(row.id),
            escape(row.theme),
            status_label(row.status),
            title,
            str(row.contributions),
            escape(", ".join(row.key_terms)),
        )
    console.print(table)


@blocks_app.command(
    "show",
    help=_(
        "Show one building block with its contributions (the text of contributions that may "
        "not be quoted hidden)."
    ),
)
def show_block(block_id: BlockArg) -> None:
    from consult.app.review import block_detail

    with _review() as (app, session):
        detail = block_detail(session, block_id, app.taxonomy)
    if detail is None:
        raise _fail(_("unknown building block %(block)s", block=block_id))
    console.print(
        "[bold]"
        + _("Building block %(block)s: %(title)s", block=detail.id, title=escape(detail.title))
        + "[/]"
    )
    edited = _("yes") if detail.edited_by_staff else _("no")
    updated = detail.updated_at.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M")
    console.print(
        _(
            "round: %(round)s · theme: %(theme)s · status: %(status)s · edited by staff: "
            "%(edited)s · updated: %(updated)s",
            round=escape(detail.round_slug),
            theme=escape(detail.theme),
            status=status_label(detail.status),
            edited=edited,
            updated=updated,
        )
    )
    if detail.title_is_draft:
        console.print(
            "[dim]" + _("The title is a draft by the synthesis until someone renames it.") + "[/]"
        )
    none = _("(none)")
    if detail.description:
        console.print("[bold]" + _("Description:") + f"[/] {escape(detail.description)}")
    console.print("[bold]" + _("Summary:") + f"[/] {escape(detail.summary) or none}")
    console.print("[bold]" + _("Key terms:") + f"[/] {escape(', '.join(detail.key_terms)) or none}")
    table = Table(title=_("Contributions (%(count)s)", count=len(detail.contributions)))
    table.add_column(pgettext("blocks column", "id"), justify="right")
    table.add_column(pgettext("blocks column", "kind"))
    table.add_column(pgettext("blocks column", "placed by"))
    table.add_column(pgettext("blocks column", "from"))
    table.add_column(pgettext("blocks column", "text"))
    for line in detail.contributions:
        text = _("(not quotable)") if line.text is None else escape(line.text)
        if line.representative:
            text += " [dim](" + _("quote") + ")[/]"
        table.add_row(str(line.id), line.kind, line.placed_by, escape(line.attribution), text)
    console.print(table)


@blocks_app.command("rename", help=_("Give a building block a new title."))
def rename_block(
    block_id: BlockArg,
    title: Annotated[str, typer.Argument(metavar=_("TITLE"), help=_("The new title"))],
    by: By = None,
) -> None:
    actor = _actor(by)
    with _review() as (_app, session):
        changed = blocks.rename(session, block_id, title, actor)
    if changed:
        console.print(
            _(
                "Building block %(block)s is now called '%(title)s'.",
                block=block_id,
                title=escape(title.strip()),
            )
        )
    else:
        console.print(
            _("Building block %(block)s already had that title; nothing changed.", block=block_id)
        )


@blocks_app.command(
    "describe",
    help=_(
        "Describe a building block in one sentence: the synthesis places contributions by what "
        "that sentence means, and the building block stays when the synthesis runs again."
    ),
)
def describe_block(
    block_id: BlockArg,
    description: Annotated[
        str,
        typer.Argument(
            metavar=_("DESCRIPTION"), help=_("What the building block is about, in one sentence")
        ),
    ],
    title: Annotated[
        str | None,
        typer.Option("--title", metavar=_("TITLE"), help=_("Also give it a title of your own")),
    ] = None,
    by: By = None,
) -> None:
    actor = _actor(by)
    with _review() as (_app, session):
        changed = blocks.describe_block(session, block_id, description, actor, title)
    if changed:
        console.print(_("Building block %(block)s is described.", block=block_id))
    else:
        console.print(
            _(
                "Building block %(block)s already had that description; nothing changed.",
                block=block_id,
            )
        )


@blocks_app.command(
    "create",
    help=_(
        "Make building blocks from a description, from the guiding questions of a theme or from "
        "the approved building blocks of an earlier round. The synthesis places contributions "
        "in them."
    ),
)
def create_blocks(
    round_slug: RoundArg,
    theme: Annotated[
        str | None,
        typer.Option("--theme", metavar="SLUG", help=_("The theme of the building block")),
    ] = None,
    description: Annotated[
        str | None,
        typer.Option(
            "--description", metavar=_("TEXT"), help=_("What the building block is about")
        ),
    ] = None,
    title: Annotated[str | None, typer.Option("--title", metavar=_("TITLE"))] = None,
    from_questions: Annotated[
        bool,
        typer.Option(
            "--from-questions",
            help=_("One building block per guiding question of the theme (--theme)"),
        ),
    ] = False,
    from_round: Annotated[
        str | None,
        typer.Option(
            "--from-round",
            metavar=_("ROUND"),
            help=_("The approved building blocks of an earlier round"),
        ),
    ] = None,
    by: By = None,
) -> None:
    actor = _actor(by)
    with _review() as (_app, session):
        made = blocks.create(
            session,
            round_slug,
            actor,
            theme=theme,
            description=description,
            title=title,
            from_questions=from_questions,
            from_round=from_round,
        )
    lines = [f"{b.id}: {b.title}" for b in made]
    if not lines:
        console.print(_("No new building blocks: those descriptions exist already."))
    for line in lines:
        console.print(_("Building block %(block)s", block=escape(line)))


ContributionArg = Annotated[
    int, typer.Argument(metavar=_("CONTRIBUTION"), help=_("Id of the contribution"))
]


@blocks_app.command(
    "suggest", help=_("The building blocks a contribution fits best, with a score (0-1).")
)
def suggest_blocks(
    contribution_id: ContributionArg,
    limit: Annotated[int, typer.Option(min=1, help=_("How many building blocks"))] = 5,
) -> None:
    with _review() as (app, session):
        try:
            found = blocks.suggest(session, app, contribution_id, limit)
        except LookupError as exc:
            raise _fail(str(exc)) from exc
    if not found:
        console.print(_("There are no building blocks in this theme yet."))
        return
    table = Table(title=_("Building blocks for contribution %(id)s", id=contribution_id))
    table.add_column(pgettext("blocks column", "building block"), justify="right")
    table.add_column(pgettext("blocks column", "title"))
    table.add_column(pgettext("blocks column", "score"), justify="right")
    for item in found:
        table.add_row(str(item.block_id), escape(item.title), f"{item.score:.2f}")
    console.print(table)


@blocks_app.command("summary", help=_("Replace the summary of a building block."))
def edit_summary(
    block_id: BlockArg,
    text: Annotated[str, typer.Argument(metavar=_("TEXT"), help=_("The new summary"))],
    by: By = None,
) -> None:
    actor = _actor(by)
    with _review() as (_app, session):
        changed = blocks.edit_summary(session, block_id, text, actor)
    if changed:
        console.print(_("Summary of building block %(block)s updated.", block=block_id))
    else:
        console.print(
            _(
                "Building block %(block)s already had that summary; nothing changed.",
                block=block_id,
            )
        )


@blocks_app.command(
    "merge",
    help=_("Merge building blocks: their contributions go to TARGET, the sources disappear."),
)
def merge_blocks(
    target_id: Annotated[
        int, typer.Argument(metavar=_("TARGET"), help=_("Building block that remains"))
    ],
    source_ids: Annotated[
        list[int],
        typer.Argument(metavar=_("SOURCE..."), help=_("Building blocks that are merged into it")),
    ],
    by: By = None,
) -> None:
    actor = _actor(by)
    with _review() as (_app, session):
        blocks.merge(session, target_id, source_ids, actor)
    sources = list(dict.fromkeys(source_ids))
    console.print(
        ngettext(
            "Building block %(ids)s merged into building block %(target)s.",
            "Building blocks %(ids)s merged into building block %(target)s.",
            len(sources),
            ids=_ids(sources),
            target=target_id,
        )
    )


@blocks_app.command(
    "split",
    help=_(
        "Split contributions off to a new building block (draft) with the same round and theme."
    ),
)
def split_block(
    block_id: BlockArg,
    contribution_ids: Annotated[
        list[int],
        typer.Argument(
            metavar=_("CONTRIBUTION..."), help=_("Contributions for the new building block")
        ),
    ],
    title: Annotated[
        str, typer.Option("--title", metavar=_("TITLE"), help=_("Title of the new one"))
    ],
    by: By = None,
) -> None:
    actor = _actor(by)
    with _review() as (_app, session):
        new_id = blocks.split(session, block_id, contribution_ids, title, actor)
    moved = sorted(set(contribution_ids))
    console.print(
        ngettext(
            "Contribution %(ids)s split off to new building block %(block)s ('%(title)s').",
            "Contributions %(ids)s split off to new building block %(block)s ('%(title)s').",
            len(moved),
            ids=_ids(moved),
            block=new_id,
            title=escape(title.strip()),
        )
    )


@blocks_app.command(
    "move",
    help=_("Move a contribution to another building block, or keep it out of the building blocks."),
)
def move_contribution(
    contribution_id: ContributionArg,
    to: Annotated[
        int | None,
        typer.Option("--to", metavar=_("BLOCK"), help=_("To this building block")),
    ] = None,
    unassign: Annotated[
        bool,
        typer.Option(
            "--unassign",
            help=_(
                "Take it out of every building block and keep it out, also when the synthesis "
                "runs again"
            ),
        ),
    ] = False,
    by: By = None,
) -> None:
    if (to is None and not unassign) or (to is not None and unassign):
        raise _fail(_("give exactly one of --to BLOCK or --unassign"), 2)
    actor = _actor(by)
    with _review() as (_app, session):
        blocks.move(session, contribution_id, to, actor)
    if to is None:
        console.print(
            _(
                "Contribution %(id)s is now out of the building blocks; a new synthesis does not "
                "place it again.",
                id=contribution_id,
            )
        )
    else:
        console.print(
            _(
                "Contribution %(id)s moved to building block %(block)s.",
                id=contribution_id,
                block=to,
            )
        )


def _set_status(block_ids: Sequence[int], by: str | None, status: BlockStatus) -> None:
    actor = _actor(by)
    with _review() as (app, session):
        result = blocks.set_status(session, block_ids, status, actor)
    word = status_label(status)
    for block_id in dict.fromkeys(block_ids):
        if block_id in result.changed:
            console.print(_("Building block %(block)s %(status)s.", block=block_id, status=word))
        else:
            console.print(
                _("Building block %(block)s was %(status)s already.", block=block_id, status=word)
            )
    if status in (BlockStatus.APPROVED, BlockStatus.REJECTED):
        blocks.announce_decided(app, result.round_ids)


BlocksArg = Annotated[list[int], typer.Argument(metavar=_("BLOCK..."))]


@blocks_app.command("approve", help=_("Approve building blocks (they go into the report)."))
def approve_blocks(block_ids: BlocksArg, by: By = None) -> None:
    _set_status(block_ids, by, BlockStatus.APPROVED)


@blocks_app.command(
    "reject",
    help=_("Reject building blocks (they are kept, but do not go into the report)."),
)
def reject_blocks(block_ids: BlocksArg, by: By = None) -> None:
    _set_status(block_ids, by, BlockStatus.REJECTED)


@blocks_app.command(
    "reopen",
    help=_("Put an approved or rejected building block back to draft (editable again)."),
)
def reopen_block(block_id: BlockArg, by: By = None) -> None:
    _set_status([block_id], by, BlockStatus.DRAFT)


@blocks_app.command(
    "history",
    help=_("Show who changed what in the building blocks of a round, and when (oldest first)."),
)
def show_history(
    round_slug: RoundArg,
    block: Annotated[
        int | None,
        typer.Option(
            "--block", metavar=_("BLOCK"), help=_("Only what concerns this building block")
        ),
    ] = None,
) -> None:
    with _review() as (_app, session):
        round_id = _round_id(session, round_slug)
        events = blocks.history(session, round_id, block)
        rows = [
            (
                e.at.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M:%S"),
                e.actor,
                action_label(e.action),
                "" if e.block_id is None else str(e.block_id),
                blocks.describe(e),
            )
            for e in events
        ]
    if not rows:
        console.print(_("No changes recorded yet."))
        return
    title = _("Changes in %(round)s", round=escape(round_slug))
    if block is not None:
        title = _(
            "Changes in %(round)s, building block %(block)s", round=escape(round_slug), block=block
        )
    table = Table(title=title)
    table.add_column(pgettext("history column", "time"))
    table.add_column(pgettext("history column", "by"))
    table.add_column(pgettext("history column", "action"))
    table.add_column(pgettext("history column", "building block"), justify="right")
    table.add_column(pgettext("history column", "what"))
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))
    console.print(table)

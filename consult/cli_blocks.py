"""`consult blocks ...`: staff review of building blocks. Thin: parse the arguments, open a unit
of work, call consult.synthesis.decisions or .review, show the result.

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

from consult.app.signals import round_ids_of
from consult.cli_common import ACTOR_ENV, actor, console
from consult.cli_common import fail as _fail
from consult.i18n import AMSTERDAM
from consult.synthesis import decisions
from consult.synthesis.decisions import STATUS_NL, BadInput, DecisionError
from consult.wiring import App
from models import BlockStatus

blocks_app = typer.Typer(
    help="Bouwstenen beoordelen: bekijken, hernoemen, samenvoegen, splitsen, verplaatsen, "
    "goedkeuren of afwijzen. Elke wijziging wordt vastgelegd (wie, wanneer, wat).",
    no_args_is_help=True,
)


# Keyed by Action, which is a str: events written elsewhere with other actions fall through.
ACTION_NL: dict[str, str] = {
    decisions.Action.RENAME: "hernoemd",
    decisions.Action.EDIT_SUMMARY: "samenvatting",
    decisions.Action.MERGE: "samengevoegd",
    decisions.Action.SPLIT: "gesplitst",
    decisions.Action.MOVE: "verplaatst",
    decisions.Action.UNASSIGN: "buiten gehouden",
    decisions.Action.APPROVE: "goedgekeurd",
    decisions.Action.REJECT: "afgewezen",
    decisions.Action.REOPEN: "heropend",
    decisions.Action.DESCRIBE: "beschreven",
    decisions.Action.CREATE: "aangemaakt",
    "synthesise": "synthese",  # written by the pipeline on every run
}

RoundArg = Annotated[str, typer.Argument(metavar="RONDE", help="Slug van de ronde")]
BlockArg = Annotated[int, typer.Argument(metavar="BOUWSTEEN", help="Id van de bouwsteen")]
By = Annotated[
    str | None,
    typer.Option(
        "--by",
        metavar="NAAM",
        envvar=ACTOR_ENV,
        show_envvar=True,
        help="Wie de wijziging doet; zonder --by en CONSULT_ACTOR: de gebruikersnaam.",
    ),
]


def _actor(by: str | None) -> str:
    return actor(by, "de wijziging doet")


@contextmanager
def _review() -> Iterator[tuple[App, Session]]:
    """The wired app and one unit of work; a refused decision rolls it back and ends the
    command with its message."""
    from consult.app.context import current

    app = current()
    with app.db.unit_of_work() as session:
        try:
            yield app, session
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


def _ids(singular: str, plural: str, ids: Sequence[int]) -> str:
    return f"{singular if len(ids) == 1 else plural} {', '.join(str(i) for i in ids)}"


@blocks_app.command("list")
def list_blocks(
    round_slug: RoundArg,
    theme: Annotated[
        str | None, typer.Option("--theme", metavar="SLUG", help="Alleen dit thema")
    ] = None,
    status: Annotated[BlockStatus | None, typer.Option(help="Alleen deze status")] = None,
) -> None:
    """Toon de bouwstenen van een ronde per thema."""
    from consult.app.review import UnknownTheme, block_overview

    with _review() as (_, session):
        round_id = _round_id(session, round_slug)
        try:
            rows = block_overview(session, round_id, theme, status)
        except UnknownTheme as exc:
            raise _fail(str(exc)) from exc
    if not rows:
        console.print("Geen bouwstenen gevonden.")
        return
    table = Table(title=f"Bouwstenen van {escape(round_slug)}")
    table.add_column("id", justify="right")
    table.add_column("thema")
    table.add_column("status")
    table.add_column("titel")
    table.add_column("bijdragen", justify="right")
    table.add_column("kernwoorden")
    for row in rows:
        # A pencil marks blocks staff have worked on: a re-run keeps them as they are.
        title = escape(row.title) + (" ✎" if row.edited_by_staff else "")
        if row.title_is_draft:
            title += " [dim](concepttitel)[/]"
        table.add_row(
            str(row.id),
            escape(row.theme),
            STATUS_NL[row.status],
            title,
            str(row.contributions),
            escape(", ".join(row.key_terms)),
        )
    console.print(table)


@blocks_app.command("show")
def show_block(block_id: BlockArg) -> None:
    """Toon één bouwsteen met zijn bijdragen (tekst van niet-citeerbare bijdragen verborgen)."""
    from consult.app.review import block_detail

    with _review() as (app, session):
        detail = block_detail(session, block_id, app.taxonomy)
    if detail is None:
        raise _fail(f"onbekende bouwsteen {block_id}")
    console.print(f"[bold]Bouwsteen {detail.id}: {escape(detail.title)}[/]")
    edited = "ja" if detail.edited_by_staff else "nee"
    updated = detail.updated_at.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M")
    console.print(
        f"ronde: {escape(detail.round_slug)} · thema: {escape(detail.theme)} · "
        f"status: {STATUS_NL[detail.status]} · door staf bewerkt: {edited} · "
        f"bijgewerkt: {updated}"
    )
    if detail.title_is_draft:
        console.print("[dim]De titel is een concept van de synthese tot iemand hem hernoemt.[/]")
    if detail.description:
        console.print(f"[bold]Beschrijving:[/] {escape(detail.description)}")
    console.print(f"[bold]Samenvatting:[/] {escape(detail.summary) or '(geen)'}")
    console.print(f"[bold]Kernwoorden:[/] {escape(', '.join(detail.key_terms)) or '(geen)'}")
    table = Table(title=f"Bijdragen ({len(detail.contributions)})")
    table.add_column("id", justify="right")
    table.add_column("soort")
    table.add_column("geplaatst door")
    table.add_column("van")
    table.add_column("tekst")
    for line in detail.contributions:
        text = "(niet citeerbaar)" if line.text is None else escape(line.text)
        if line.representative:
            text += " [dim](citaat)[/]"
        table.add_row(str(line.id), line.kind, line.placed_by, escape(line.attribution), text)
    console.print(table)


@blocks_app.command("rename")
def rename_block(
    block_id: BlockArg,
    title: Annotated[str, typer.Argument(metavar="TITEL", help="De nieuwe titel")],
    by: By = None,
) -> None:
    """Geef een bouwsteen een nieuwe titel."""
    actor = _actor(by)
    with _review() as (_, session):
        changed = decisions.rename(session, block_id, title, actor)
    if changed:
        console.print(f"Bouwsteen {block_id} heet nu '{escape(title.strip())}'.")
    else:
        console.print(f"Bouwsteen {block_id} had die titel al; niets gewijzigd.")


@blocks_app.command("describe")
def describe_block(
    block_id: BlockArg,
    description: Annotated[
        str, typer.Argument(metavar="BESCHRIJVING", help="Waar de bouwsteen over gaat, in één zin")
    ],
    title: Annotated[
        str | None, typer.Option("--title", metavar="TITEL", help="Ook een eigen titel geven")
    ] = None,
    by: By = None,
) -> None:
    """Beschrijf een bouwsteen in één zin: de synthese deelt bijdragen in op wat die zin
    betekent, en de bouwsteen blijft bij een nieuwe synthese bestaan."""
    actor = _actor(by)
    with _review() as (_, session):
        changed = decisions.describe_block(session, block_id, description, actor, title)
    if changed:
        console.print(f"Bouwsteen {block_id} is beschreven.")
    else:
        console.print(f"Bouwsteen {block_id} had die beschrijving al; niets gewijzigd.")


@blocks_app.command("create")
def create_blocks(
    round_slug: RoundArg,
    theme: Annotated[
        str | None, typer.Option("--theme", metavar="SLUG", help="Het thema van de bouwsteen")
    ] = None,
    description: Annotated[
        str | None,
        typer.Option("--description", metavar="TEKST", help="Waar de bouwsteen over gaat"),
    ] = None,
    title: Annotated[str | None, typer.Option("--title", metavar="TITEL")] = None,
    from_questions: Annotated[
        bool,
        typer.Option(
            "--from-questions", help="Eén bouwsteen per leidende vraag van het thema (--theme)"
        ),
    ] = False,
    from_round: Annotated[
        str | None,
        typer.Option(
            "--from-round", metavar="RONDE", help="De goedgekeurde bouwstenen van een eerdere ronde"
        ),
    ] = None,
    by: By = None,
) -> None:
    """Maak bouwstenen uit een beschrijving, uit de leidende vragen van een thema of uit de
    goedgekeurde bouwstenen van een eerdere ronde. De synthese deelt er bijdragen in in."""
    from sqlalchemy import select

    from models import Theme

    ways = [description is not None, from_questions, from_round is not None]
    if sum(ways) != 1:
        raise _fail("kies één van --description, --from-questions en --from-round", 2)
    actor = _actor(by)
    with _review() as (_, session):
        round_id = _round_id(session, round_slug)
        theme_id: int | None = None
        if theme is not None:
            theme_id = session.scalar(select(Theme.id).where(Theme.slug == theme))
            if theme_id is None:
                raise _fail(f"onbekend thema '{theme}'")
        if from_round is not None:
            made = decisions.start_from_round(
                session, round_id, _round_id(session, from_round), actor
            )
        elif theme_id is None:
            raise _fail("vermeld het thema met --theme", 2)
        elif from_questions:
            made = decisions.start_from_questions(session, round_id, theme_id, actor)
        else:
            made = [
                decisions.create_block(session, round_id, theme_id, description or "", actor, title)
            ]
        lines = [f"{b.id}: {b.title}" for b in made]
    if not lines:
        console.print("Geen nieuwe bouwstenen: die beschrijvingen bestaan al.")
    for line in lines:
        console.print(f"Bouwsteen {escape(line)}")


@blocks_app.command("suggest")
def suggest_blocks(
    contribution_id: Annotated[int, typer.Argument(metavar="BIJDRAGE", help="Id van de bijdrage")],
    limit: Annotated[int, typer.Option(min=1, help="Hoeveel bouwstenen")] = 5,
) -> None:
    """De bouwstenen waar een bijdrage het best bij past, met een score (0-1)."""
    from consult.synthesis.embeddings import load_embedder
    from consult.synthesis.service import suggest_blocks as suggest

    with _review() as (app, session):
        synthesis = app.settings.synthesis
        embedder = load_embedder(synthesis.embedding_backend, synthesis.embedding_batch_size)
        try:
            found = suggest(session, contribution_id, embedder, limit)
        except LookupError as exc:
            raise _fail(str(exc)) from exc
    if not found:
        console.print("Er zijn nog geen bouwstenen in dit thema.")
        return
    table = Table(title=f"Bouwstenen voor bijdrage {contribution_id}")
    table.add_column("bouwsteen", justify="right")
    table.add_column("titel")
    table.add_column("score", justify="right")
    for item in found:
        table.add_row(str(item.block_id), escape(item.title), f"{item.score:.2f}")
    console.print(table)


@blocks_app.command("summary")
def edit_summary(
    block_id: BlockArg,
    text: Annotated[str, typer.Argument(metavar="TEKST", help="De nieuwe samenvatting")],
    by: By = None,
) -> None:
    """Vervang de samenvatting van een bouwsteen."""
    actor = _actor(by)
    with _review() as (_, session):
        changed = decisions.edit_summary(session, block_id, text, actor)
    if changed:
        console.print(f"Samenvatting van bouwsteen {block_id} bijgewerkt.")
    else:
        console.print(f"Bouwsteen {block_id} had die samenvatting al; niets gewijzigd.")


@blocks_app.command("merge")
def merge_blocks(
    target_id: Annotated[int, typer.Argument(metavar="DOEL", help="Bouwsteen die overblijft")],
    source_ids: Annotated[
        list[int], typer.Argument(metavar="BRON...", help="Bouwstenen die erin opgaan")
    ],
    by: By = None,
) -> None:
    """Voeg bouwstenen samen: hun bijdragen gaan naar DOEL, de bronnen verdwijnen."""
    actor = _actor(by)
    with _review() as (_, session):
        decisions.merge(session, target_id, source_ids, actor)
    sources = _ids("Bouwsteen", "Bouwstenen", list(dict.fromkeys(source_ids)))
    console.print(f"{sources} opgegaan in bouwsteen {target_id}.")


@blocks_app.command("split")
def split_block(
    block_id: BlockArg,
    contribution_ids: Annotated[
        list[int], typer.Argument(metavar="BIJDRAGE...", help="Bijdragen voor de nieuwe bouwsteen")
    ],
    title: Annotated[str, typer.Option("--title", metavar="TITEL", help="Titel van de nieuwe")],
    by: By = None,
) -> None:
    """Splits bijdragen af naar een nieuwe bouwsteen (concept) met dezelfde ronde en thema."""
    actor = _actor(by)
    with _review() as (_, session):
        new_id = decisions.split(session, block_id, contribution_ids, title, actor)
    console.print(
        f"{_ids('Bijdrage', 'Bijdragen', sorted(set(contribution_ids)))} afgesplitst naar "
        f"nieuwe bouwsteen "
        f"{new_id} ('{escape(title.strip())}')."
    )


@blocks_app.command("move")
def move_contribution(
    contribution_id: Annotated[int, typer.Argument(metavar="BIJDRAGE", help="Id van de bijdrage")],
    to: Annotated[
        int | None, typer.Option("--to", metavar="BOUWSTEEN", help="Naar deze bouwsteen")
    ] = None,
    unassign: Annotated[
        bool,
        typer.Option(
            "--unassign",
            help="Uit elke bouwsteen halen en erbuiten houden, ook bij een nieuwe synthese",
        ),
    ] = False,
    by: By = None,
) -> None:
    """Verplaats een bijdrage naar een andere bouwsteen, of houd hem buiten de bouwstenen."""
    if (to is None and not unassign) or (to is not None and unassign):
        raise _fail("geef precies één van --to BOUWSTEEN of --unassign", 2)
    actor = _actor(by)
    with _review() as (_, session):
        decisions.move(session, contribution_id, to, actor)
    if to is None:
        console.print(
            f"Bijdrage {contribution_id} staat nu buiten de bouwstenen; een nieuwe synthese "
            "plaatst hem niet opnieuw."
        )
    else:
        console.print(f"Bijdrage {contribution_id} verplaatst naar bouwsteen {to}.")


def _set_status(block_ids: Sequence[int], by: str | None, status: BlockStatus) -> None:
    actor = _actor(by)
    change = {
        BlockStatus.APPROVED: decisions.approve,
        BlockStatus.REJECTED: decisions.reject,
        BlockStatus.DRAFT: decisions.reopen,
    }[status]
    word = STATUS_NL[status]
    lines = []
    # All or nothing: one refused id leaves every block as it was, so a typo never leaves
    # half a list approved.
    with _review() as (_, session):
        rounds = round_ids_of(session, block_ids)
        for block_id in dict.fromkeys(block_ids):
            try:
                changed = change(session, block_id, actor)
            except BadInput as exc:
                raise _fail(str(exc), 2) from exc
            except DecisionError as exc:
                suffix = " (niets gewijzigd)" if len(block_ids) > 1 else ""
                raise _fail(f"{exc}{suffix}") from exc
            lines.append(
                f"Bouwsteen {block_id} {word}."
                if changed
                else f"Bouwsteen {block_id} was al {word}."
            )
    for line in lines:
        console.print(line)
    if status in (BlockStatus.APPROVED, BlockStatus.REJECTED):
        _signal_approved(rounds)


def _signal_approved(round_ids: Sequence[int]) -> None:
    """After the commit: tell the service about rounds whose blocks are now all approved, so it
    writes the report. Only with a Prefect server configured (PREFECT_API_URL): without one
    nobody listens, and the service's tick writes the report at its next run anyway."""
    from consult.events import configured_emitter, emit_all

    emitter = configured_emitter()
    if emitter is None:
        return
    from consult.app.context import current
    from consult.app.signals import approval_signals

    with current().db.unit_of_work() as session:
        signals = approval_signals(session, round_ids)
    emit_all(emitter, signals)


@blocks_app.command("approve")
def approve_blocks(
    block_ids: Annotated[list[int], typer.Argument(metavar="BOUWSTEEN...")],
    by: By = None,
) -> None:
    """Keur bouwstenen goed (ze komen in het rapport)."""
    _set_status(block_ids, by, BlockStatus.APPROVED)


@blocks_app.command("reject")
def reject_blocks(
    block_ids: Annotated[list[int], typer.Argument(metavar="BOUWSTEEN...")],
    by: By = None,
) -> None:
    """Wijs bouwstenen af (ze blijven bewaard, maar komen niet in het rapport)."""
    _set_status(block_ids, by, BlockStatus.REJECTED)


@blocks_app.command("reopen")
def reopen_block(block_id: BlockArg, by: By = None) -> None:
    """Zet een goedgekeurde of afgewezen bouwsteen terug naar concept (weer te bewerken)."""
    _set_status([block_id], by, BlockStatus.DRAFT)


@blocks_app.command("history")
def show_history(
    round_slug: RoundArg,
    block: Annotated[
        int | None,
        typer.Option("--block", metavar="BOUWSTEEN", help="Alleen wat deze bouwsteen betreft"),
    ] = None,
) -> None:
    """Toon wie wanneer wat aan de bouwstenen van een ronde veranderde (oudste eerst)."""
    with _review() as (_, session):
        round_id = _round_id(session, round_slug)
        events = decisions.history(session, round_id, block)
        rows = [
            (
                e.at.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M:%S"),
                e.actor,
                ACTION_NL.get(e.action, e.action),
                "" if e.block_id is None else str(e.block_id),
                decisions.describe(e),
            )
            for e in events
        ]
    if not rows:
        console.print("Nog geen wijzigingen vastgelegd.")
        return
    title = f"Wijzigingen in {escape(round_slug)}"
    if block is not None:
        title += f", bouwsteen {block}"
    table = Table(title=title)
    for column in ("tijd", "door", "actie", "bouwsteen", "wat"):
        table.add_column(column, justify="right" if column == "bouwsteen" else "left")
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))
    console.print(table)

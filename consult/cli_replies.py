"""`consult replies ...`: invitees' calendar answers from the secretariat's mailbox. Thin: read
settings, open a unit of work, call consult.app.replies or consult.rounds.calendar_replies, show the
result.

Exit codes: 1 when the mailbox cannot be used, some mail failed (it is retried next pass) or a
resolve is refused; 2 when there is no mailbox configured or the command is used wrongly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from consult.cli_common import ACTOR_ENV, actor, console, err
from consult.cli_common import fail as _fail
from consult.i18n import AMSTERDAM
from consult.settings import load_settings
from models import ReplyOutcome

replies_app = typer.Typer(
    help="Agenda-antwoorden van genodigden (iTIP REPLY) uit de mailbox van het secretariaat: "
    "ophalen en toepassen, en de apart gezette antwoorden beoordelen.",
    no_args_is_help=True,
)


OUTCOME_NL: dict[str, str] = {
    ReplyOutcome.APPLIED: "toegepast",
    ReplyOutcome.SET_ASIDE: "apart gezet",
    ReplyOutcome.RESOLVED: "afgehandeld",
}


@replies_app.command("poll")
def poll() -> None:
    """Lees de nieuwe berichten in de mailbox één keer en verwerk de agenda-antwoorden."""
    from consult.app import replies
    from consult.app.context import current
    from consult.events import configured_emitter
    from consult.rounds.reply_poller import MailboxError

    settings = load_settings()
    if settings.imap is None:
        raise _fail(
            "er is geen mailbox ingesteld: vul [imap] in het configuratiebestand in "
            "(zie config/consult.example.toml) of zet CONSULT_IMAP__HOST, "
            "CONSULT_IMAP__USERNAME en CONSULT_IMAP__PASSWORD",
            2,
        )
    try:
        counts = replies.poll(current(), settings.imap, datetime.now(UTC), configured_emitter())
    except MailboxError as exc:
        raise _fail(str(exc)) from exc
    console.print(
        f"{counts.messages} nieuwe berichten: {counts.applied} toegepast, "
        f"{counts.set_aside} apart gezet, {counts.duplicates} al eerder verwerkt, "
        f"{counts.failed} mislukt."
    )
    if counts.set_aside:
        console.print("Bekijk de apart gezette antwoorden met [bold]consult replies review[/].")
    if counts.failed:
        for error in counts.errors:
            err.print(f"[red]•[/] {escape(error)}")
        raise typer.Exit(1)


@replies_app.command("review")
def review(
    show_all: Annotated[
        bool, typer.Option("--all", help="Ook toegepaste en afgehandelde antwoorden")
    ] = False,
    resolve_id: Annotated[
        int | None,
        typer.Option(
            "--resolve", metavar="ID", help="Markeer dit apart gezette antwoord als afgehandeld"
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            metavar="NAAM",
            envvar=ACTOR_ENV,
            show_envvar=True,
            help="Wie het antwoord afhandelt; zonder --by en CONSULT_ACTOR: de gebruikersnaam.",
        ),
    ] = None,
) -> None:
    """Toon de apart gezette agenda-antwoorden (met --all: alle), of handel er één af."""
    from consult.app.context import current
    from consult.rounds.calendar_replies import ReviewError, replies_for_review, resolve

    with current().db.unit_of_work() as session:
        if resolve_id is not None:
            try:
                row = resolve(session, resolve_id, _actor(by), datetime.now(UTC))
            except ReviewError as exc:
                raise _fail(str(exc)) from exc
            console.print(f"Agenda-antwoord {row.id} afgehandeld.")
            return
        rows = replies_for_review(session, include_all=show_all)
        if not rows:
            console.print(
                "Geen agenda-antwoorden." if show_all else "Geen apart gezette agenda-antwoorden."
            )
            return
        title = "Agenda-antwoorden" if show_all else "Apart gezette agenda-antwoorden"
        table = Table(title=f"{title} ({len(rows)})")
        table.add_column("id", justify="right")
        table.add_column("ontvangen")
        table.add_column("afzender")
        table.add_column("attendee")
        table.add_column("UID")
        table.add_column("SEQ", justify="right")
        table.add_column("PARTSTAT")
        if show_all:
            table.add_column("uitkomst")
        table.add_column("reden")
        for row in rows:
            cells = [
                str(row.id),
                row.received_at.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M"),
                escape(row.sender or "—"),
                escape(row.attendee or "—"),
                escape(row.event_uid or "—"),
                "—" if row.sequence is None else str(row.sequence),
                escape(
                    f"{row.partstat} → {row.delegated_to}"
                    if row.delegated_to
                    else row.partstat or "—"
                ),
            ]
            if show_all:
                cells.append(OUTCOME_NL.get(row.outcome, row.outcome))
            cells.append(escape(row.reason or "—"))
            table.add_row(*cells)
        console.print(table)


def _actor(by: str | None) -> str:
    return actor(by, "het antwoord afhandelt")

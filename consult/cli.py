"""The secretariat's commands. Thin: parse arguments, call a service or a flow, show the result."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from consult.cli_blocks import blocks_app
from consult.cli_common import console, err, flows_module
from consult.cli_common import fail as _fail
from consult.cli_replies import replies_app
from consult.cli_schedule import schedule_app
from consult.cli_synth import synth_app
from consult.settings import load_settings

app = typer.Typer(
    help="consult: themed consultation rounds of the Commissie Werken in de Zorg.",
    no_args_is_help=True,
)
db_app = typer.Typer(help="Database.", no_args_is_help=True)
registry_app = typer.Typer(help="The registry of organisations and people.", no_args_is_help=True)
round_app = typer.Typer(help="Consultation rounds.", no_args_is_help=True)
input_app = typer.Typer(help="Contributions from invitees.", no_args_is_help=True)
outbox_app = typer.Typer(help="Outgoing mail.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(registry_app, name="registry")
app.add_typer(round_app, name="round")
app.add_typer(input_app, name="input")
app.add_typer(outbox_app, name="outbox")
app.add_typer(blocks_app, name="blocks")
app.add_typer(synth_app, name="synth")
app.add_typer(replies_app, name="replies")
app.add_typer(schedule_app, name="schedule")


def _round_id(slug: str) -> int:
    from consult.rounds.status import UnknownRound, find_round
    from consult.wiring import open_app

    with open_app() as ctx, ctx.db.unit_of_work() as session:
        try:
            return find_round(session, slug).id
        except UnknownRound as exc:
            raise _fail(str(exc)) from exc


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all database migrations."""
    from models.migrate import upgrade

    settings = load_settings()
    upgrade(settings.database_url)
    console.print(f"Database bijgewerkt: [bold]{escape(settings.database_url)}[/]")


@registry_app.command("import")
def registry_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV or .xlsx with organisation, sector, region, name, email, role, language"
        ),
    ],
    language: Annotated[str, typer.Option(help="Language of the error report (nl/en)")] = "nl",
) -> None:
    """Import the registry; stores valid rows and reports every rejected row (exit 1 if any)."""
    from consult.registry.parsing import RegistryFileError, format_error, read_registry
    from consult.registry.store import store_rows, sync_reference_data
    from consult.wiring import open_app

    with open_app() as ctx:
        try:
            parsed = read_registry(
                file, sectors=ctx.taxonomy.sector_codes, regions=ctx.taxonomy.region_names
            )
        except RegistryFileError as exc:
            raise _fail(str(exc), 2) from exc
        with ctx.db.unit_of_work() as session:
            sync_reference_data(session, ctx.taxonomy)
            counts = store_rows(session, parsed.rows)
    lang: Literal["nl", "en"] = "en" if language == "en" else "nl"
    console.print(
        f"{len(parsed.rows)} geldige rijen: {counts.created} nieuw, {counts.updated} bijgewerkt, "
        f"{counts.unchanged} ongewijzigd."
    )
    if parsed.errors:
        table = Table(title=f"{len(parsed.rejected_rows())} rijen afgewezen")
        table.add_column("rij", justify="right")
        table.add_column("kolom")
        table.add_column("reden")
        for error in parsed.errors:
            table.add_row(str(error.row), error.column, escape(format_error(error, lang)))
        err.print(table)
        raise typer.Exit(1)


@round_app.command("launch")
def round_launch(
    spec: Annotated[Path, typer.Argument(help="Round spec (TOML)")],
    seed: Annotated[int, typer.Option(help="Tie-breaker for the invitee selection")] = 0,
) -> None:
    """Create a round, its candidate slots and its invitations."""
    from consult.rounds.launch import LaunchError
    from consult.rounds.spec import RoundSpecError, check_calendar, load_round_spec

    try:
        loaded = load_round_spec(spec)
    except RoundSpecError as exc:
        raise _fail(str(exc), 2) from exc
    calendar = check_calendar(loaded)
    if calendar.errors:
        raise _fail(f"{spec}: " + "; ".join(calendar.errors), 2)
    for warning in calendar.warnings:
        err.print(f"Let op: {escape(warning)}")
    try:
        round_id = flows_module().launch_round(str(spec), seed=seed)
    except LaunchError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"Ronde gestart (id {round_id}).")


@round_app.command("invite")
def round_invite(round_slug: Annotated[str, typer.Argument(metavar="ROUND")]) -> None:
    """Send the invitation emails that have not gone out yet."""
    _show(asyncio.run(flows_module().send_invitations(_round_id(round_slug))))


@round_app.command("schedule")
def round_schedule(round_slug: Annotated[str, typer.Argument(metavar="ROUND")]) -> None:
    """Place accepted invitees into sessions and send their calendar invitations."""
    flows = flows_module()
    round_id = _round_id(round_slug)
    _show(flows.schedule_sessions(round_id))
    _show(asyncio.run(flows.send_calendar_invites(round_id)))


@round_app.command("synthesise")
def round_synthesise(round_slug: Annotated[str, typer.Argument(metavar="ROUND")]) -> None:
    """Group contributions per theme into draft building blocks."""
    _show(flows_module().synthesise_round(_round_id(round_slug)))


@app.command("report")
def report(
    round_slug: Annotated[str, typer.Argument(metavar="ROUND")],
    language: Annotated[str, typer.Option(help="nl or en")] = "nl",
    drafts: Annotated[bool, typer.Option(help="Also show blocks not yet approved")] = False,
) -> None:
    """Write the building-block report: Word, HTML, Markdown, charts and a JSON export."""
    _compile_report(round_slug, language, drafts)


@round_app.command("report")
def round_report(
    round_slug: Annotated[str, typer.Argument(metavar="ROUND")],
    language: Annotated[str, typer.Option(help="nl or en")] = "nl",
    drafts: Annotated[bool, typer.Option(help="Also show blocks not yet approved")] = False,
) -> None:
    """Write the building-block report (same as `consult report`)."""
    _compile_report(round_slug, language, drafts)


def _compile_report(round_slug: str, language: str, drafts: bool) -> None:
    # One body for `consult report` and the older `consult round report`.
    if language not in ("nl", "en"):
        raise _fail(f"--language verwacht nl of en, niet '{language}'", 2)
    files = flows_module().compile_report(_round_id(round_slug), language, include_drafts=drafts)
    table = Table(title="Rapport geschreven", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    for kind in ("docx", "html", "markdown", "json"):
        if kind in files:
            table.add_row(REPORT_FILE_LABELS[kind], escape(files[kind]))
    # The coverage charts (coverage-<theme>.png) sit next to the report files.
    table.add_row("Map", escape(str(Path(files["html"]).parent)))
    console.print(table)


REPORT_FILE_LABELS = {"docx": "Word", "html": "HTML", "markdown": "Markdown", "json": "JSON"}


@round_app.command("status")
def round_status_cmd(round_slug: Annotated[str, typer.Argument(metavar="ROUND")]) -> None:
    """Per theme: invited, answered, accepted, scheduled, input and blocks; undelivered
    addresses; what happens now and at the next deadlines."""
    from consult.rounds.status import THEME_COLUMNS, round_status, step_when, theme_row
    from consult.wiring import open_app

    round_id = _round_id(round_slug)
    with open_app() as ctx, ctx.db.unit_of_work() as session:
        view = round_status(session, round_id)
    table = Table(title=f"{escape(view.name)} ({view.slug}): {view.status}")
    for column in THEME_COLUMNS:
        table.add_column(column, justify="left" if column == "thema" else "right")
    for t in view.themes:
        table.add_row(*theme_row(t))
    console.print(table)
    if view.failed_addresses:
        failed = Table(title="Niet afgeleverd")
        failed.add_column("adres")
        failed.add_column("antwoord van de server")
        for email, reply in view.failed_addresses:
            failed.add_row(escape(email), escape(reply))
        console.print(failed)
    steps = Table(title="Wat de service doet")
    steps.add_column("wanneer")
    steps.add_column("wat")
    if not view.automated:
        steps.add_row("—", "niets vanzelf: [automation] enabled = false in de rondespecificatie")
    for what in view.due_now:
        steps.add_row("nu", escape(what))
    for step in view.next_steps:
        steps.add_row(step_when(step), escape(step.what))
    if steps.row_count:
        console.print(steps)


@input_app.command("import")
def input_import(
    round_slug: Annotated[str, typer.Argument(metavar="ROUND")],
    file: Annotated[
        Path,
        typer.Argument(help="CSV or .jsonl: email, theme, kind, text, language, quote_permission"),
    ],
) -> None:
    """Store contributions from a file; reports every rejected row (exit 1 if any)."""
    if not file.is_file():
        raise _fail(f"{file}: bestand niet gevonden", 2)
    result = flows_module().collect_input(_round_id(round_slug), str(file))
    console.print(
        f"{result['stored']} bijdragen opgeslagen, {result['already_present']} waren er al."
    )
    if result["errors"]:
        table = Table(title="Afgewezen rijen")
        for column in ("rij", "kolom", "reden"):
            table.add_column(column)
        for e in result["errors"]:
            table.add_row(str(e["row"]), e["column"], escape(e["reason"]))
        err.print(table)
        raise typer.Exit(1)


@outbox_app.command("send")
def outbox_send() -> None:
    """Send every message that is due."""
    from consult.mail.outbox import send_due
    from consult.wiring import open_app

    with open_app() as ctx:
        s = ctx.settings
        counts = asyncio.run(send_due(ctx.db, s.smtp, s.organiser))
    console.print(
        f"verzonden: {counts.sent}, mislukt: {counts.failed}, later opnieuw: {counts.retry_later}"
    )


RoundOption = Annotated[str | None, typer.Option("--round", help="Only this round (slug)")]


@outbox_app.command("status")
def outbox_status(round_slug: RoundOption = None) -> None:
    """Messages per state, the oldest one waiting, and recent failures with the server's reply."""
    from consult.i18n import format_datetime
    from consult.mail.operations import overview
    from consult.wiring import open_app

    round_id = _round_id(round_slug) if round_slug else None
    with open_app() as ctx, ctx.db.unit_of_work() as session:
        view = overview(session, round_id)
    labels = {"pending": "wachtend", "sending": "bezig", "sent": "verzonden", "failed": "mislukt"}
    table = Table(title="Uitgaande mail")
    table.add_column("status")
    table.add_column("aantal", justify="right")
    for status, n in view.counts.items():
        table.add_row(labels.get(status, status), str(n))
    console.print(table)
    if view.oldest_pending:
        console.print(f"Oudste wachtende bericht: {format_datetime(view.oldest_pending, 'nl')}")
    if view.recent_failures:
        failed = Table(title="Recent mislukt")
        for column in ("id", "soort", "adres", "pogingen", "antwoord van de server"):
            failed.add_column(column)
        for f in view.recent_failures:
            failed.add_row(str(f.id), f.kind, escape(f.recipient), str(f.attempts), escape(f.reply))
        console.print(failed)


@outbox_app.command("retry-failed")
def outbox_retry_failed(round_slug: RoundOption = None) -> None:
    """Queue failed messages again (for example after fixing an address or the relay)."""
    from consult.mail.operations import retry_failed
    from consult.wiring import open_app

    round_id = _round_id(round_slug) if round_slug else None
    with open_app() as ctx, ctx.db.unit_of_work() as session:
        n = retry_failed(session, round_id)
    console.print(
        f"{n} mislukte berichten staan weer klaar; verstuur ze met `consult outbox send`."
    )


@round_app.command("remind")
def round_remind(round_slug: Annotated[str, typer.Argument(metavar="ROUND")]) -> None:
    """Remind invitees who have not answered (at the moments set in the round spec)."""
    _show(asyncio.run(flows_module().send_reminders(_round_id(round_slug))))


@app.command()
def web(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on", min=1, max=65535)] = 8000,
) -> None:
    """Serve the invitee pages (personal links from the emails) and /health."""
    import uvicorn

    from consult.web.app import create_app

    # Prefect is imported by the first answer's event; keep its log lines and telemetry quiet.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    settings = load_settings()
    console.print(
        f"Genodigdenpagina's op http://{host}:{port} (links: {escape(settings.base_url)})"
    )
    uvicorn.run(create_app(settings), host=host, port=port)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address the web app listens on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the web app", min=1, max=65535)] = 8000,
) -> None:
    """Run the whole service on this machine: a local Prefect server (unless PREFECT_API_URL is
    set), the web app, and every flow with its schedule and triggers. Ctrl-C stops it all."""
    from consult.serve import ServeError, run_service

    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    settings = load_settings()
    try:
        run_service(settings, host, port, lambda line: console.print(escape(line)))
    except ServeError as exc:
        raise _fail(str(exc)) from exc


@app.command()
def deploy(
    pool: Annotated[
        str | None, typer.Option(help="Process work pool (default: [service] work_pool)")
    ] = None,
) -> None:
    """Register every flow as a deployment in a process work pool on the Prefect server in
    PREFECT_API_URL, for `prefect worker start --pool POOL` on one or more machines."""
    if not os.environ.get("PREFECT_API_URL"):
        raise _fail("zet PREFECT_API_URL op de Prefect-server waarin de deployments komen", 2)
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from consult.deploy import register

    settings = load_settings()
    names = register(settings, pool or settings.service.work_pool)
    console.print(
        f"{len(names)} deployments in werkpool '{escape(pool or settings.service.work_pool)}':"
    )
    for name in names:
        console.print(f"  {escape(name)}")


@app.command()
def demo(
    workspace: Annotated[
        Path, typer.Option(help="Folder for the demo's config, database, mail and reports")
    ] = Path("var/demo"),
    smtp: Annotated[
        str | None,
        typer.Option(help="HOST:PORT of an SMTP server to send to instead of the built-in one"),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for the generated registry and answers")] = 7,
) -> None:
    """Run a complete consultation round on this machine, with simulated invitees."""
    from consult.demo.run import WorkspaceError, prepare_workspace, run_demo
    from consult.mail.sink import EmlSink

    workspace = workspace.resolve()
    host, port = "127.0.0.1", 0
    if smtp:
        host, _, port_text = smtp.rpartition(":")
        if not host or not port_text.isdigit():
            raise _fail(f"--smtp verwacht HOST:PORT, niet '{smtp}'", 2)
        port = int(port_text)
    try:
        prepare_workspace(workspace)
    except WorkspaceError as exc:
        raise _fail(str(exc), 2) from exc
    flows_module()
    sink = None if smtp else EmlSink(workspace / "mail")
    if sink:
        sink.start()
        port = sink.port
    labels = {
        "database": "Database aangemaakt",
        "registry": "Register gegenereerd en geïmporteerd",
        "launch": "Ronde gestart",
        "invitations": "Uitnodigingen verstuurd",
        "answers": "Antwoorden van genodigden gesimuleerd",
        "schedule": "Sessies ingedeeld",
        "calendar": "Agenda-uitnodigingen verstuurd",
        "input": "Inbreng verzameld",
        "synthesis": "Bouwstenen samengesteld",
        "report": "Rapport geschreven",
    }
    try:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as progress:
            bar = progress.add_task("Demo-ronde", total=len(labels))

            def on_stage(name: str, figures: dict[str, Any]) -> None:
                progress.console.print(f"[green]✓[/] {labels[name]}: {_figures(figures)}")
                progress.advance(bar)

            result = run_demo(workspace, host, port, seed, on_stage)
    finally:
        if sink:
            sink.stop()
    summary = Table(title="Samenvatting demo-ronde", show_header=False)
    summary.add_column(style="bold")
    summary.add_column()
    for name, figures in result.stages.items():
        if name not in ("database", "report"):
            summary.add_row(labels[name], _figures(figures))
    summary.add_row("Mail", str(result.mail_dir) if not smtp else f"verzonden naar {smtp}")
    summary.add_row("Rapport", str(Path(result.report_files["html"]).parent))
    summary.add_row("Configuratie", f"CONSULT_CONFIG={workspace / 'consult.toml'}")
    console.print(summary)


FIGURE_LABELS = {
    "url": "database",
    "organisations": "organisaties",
    "people": "personen",
    "rejected": "afgewezen",
    "round_id": "ronde-id",
    "queued": "klaargezet",
    "sent": "verzonden",
    "failed": "mislukt",
    "retry_later": "later opnieuw",
    "accepted": "ja",
    "declined": "nee",
    "no_answer": "geen antwoord",
    "sessions_created": "sessies",
    "attendees_added": "ingedeeld",
    "sessions_cancelled": "sessies geannuleerd",
    "attendees_removed": "uit een sessie gehaald",
    "moved": "verplaatst",
    "existing_changed": "bestaande deelnemers met gewijzigde agenda",
    "unplaced": "niet ingedeeld",
    "slots_ticked": "tijden aangevinkt",
    "stored": "opgeslagen",
    "already_present": "al aanwezig",
    "errors": "fouten",
    "blocks": "bouwstenen",
    "assigned": "toegewezen",
    "unassigned": "niet toegewezen",
    "folder": "map",
}


def _figures(figures: dict[str, Any]) -> str:
    return ", ".join(
        f"{FIGURE_LABELS.get(k, k)}: {escape(str(v))}"
        for k, v in figures.items()
        if not isinstance(v, list)
    )


def _show(figures: dict[str, Any]) -> None:
    console.print(_figures(figures))


def main() -> None:
    sys.exit(app())

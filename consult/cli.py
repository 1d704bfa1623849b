"""The secretariat's commands. Thin: parse arguments, call a service or a flow, show the result."""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import sys
from datetime import UTC, datetime
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
from typer.core import TyperCommand, TyperGroup

from consult.actors import set_actor
from consult.cli_common import command_actor, console, err, show_mailing, working
from consult.cli_common import fail as _fail

# Command groups that live in their own module, loaded when that group runs: `consult --help`
# and `consult round status` never import the solver, SQLAlchemy's models or Prefect. The short
# line is what `consult --help` lists; the group's own help is in its module.
LAZY_GROUPS: dict[str, tuple[str, str, str]] = {
    "blocks": ("consult.cli_blocks", "blocks_app", "Bouwstenen beoordelen."),
    "synth": ("consult.cli_synth", "synth_app", "De groepering meten tegen een gelabeld bestand."),
    "replies": ("consult.cli_replies", "replies_app", "Agenda-antwoorden uit de mailbox."),
    "schedule": ("consult.cli_schedule", "schedule_app", "Indeling van sessies."),
    "audit": ("consult.cli_audit", "audit_app", "Het auditlogboek: wie deed wat en wanneer."),
    "privacy": (
        "consult.cli_privacy",
        "privacy_app",
        "Persoonsgegevens: inzage, verwijdering en bewaartermijnen.",
    ),
}


# Typer vendors its own click, whose Context and HelpFormatter are private: hence Any below.
class _LazyGroup(TyperGroup):
    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *LAZY_GROUPS]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in LAZY_GROUPS:
            return super().get_command(ctx, cmd_name)
        module_name, attribute, short_help = LAZY_GROUPS[cmd_name]
        if self._listing:
            # Listing the groups needs only their one-line help, not their modules.
            return TyperCommand(cmd_name, help=short_help, short_help=short_help)
        sub_app = getattr(importlib.import_module(module_name), attribute)
        command = typer.main.get_command(sub_app)
        command.name = cmd_name
        return command

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            # Typer's and click's own exceptions are how commands exit and report usage.
            if type(exc).__module__.startswith(("typer", "click")) or DEBUG.on:
                raise
            raise _fail(_foreseeable(exc)) from exc

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


class _Debug:
    on = False


DEBUG = _Debug()


def _foreseeable(exc: Exception) -> str:
    """A Dutch line for an error a user can run into (no traceback; --debug shows it)."""
    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError

    from consult.settings import ConfigFileMissing

    if isinstance(exc, ConfigFileMissing):
        return str(exc)
    if isinstance(exc, OperationalError):
        return f"de database is niet bereikbaar: {exc.orig}. Meer details met --debug."
    if isinstance(exc, ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return f"de configuratie klopt niet ({problems}). Zie config/consult.example.toml."
    return f"onverwachte fout: {type(exc).__name__}: {exc}. Meer details met --debug."


app = typer.Typer(
    cls=_LazyGroup,
    help="consult: thematische consultatierondes van de Commissie Werken in de Zorg.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _options(
    debug: Annotated[
        bool,
        typer.Option("--debug", help="Bij een fout: logregels en de volledige traceback."),
    ] = False,
) -> None:
    DEBUG.on = debug
    # Who the audit log names for what this command changes.
    set_actor(command_actor())
    # Library log lines (English, per message) would drown the command's own Dutch summary;
    # with --debug they are shown.
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.ERROR,
        format="%(levelname)s %(name)s: %(message)s",
        force=True,
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


def _now() -> datetime:
    # Not models.base.utcnow: importing models loads SQLAlchemy, which `consult --help` and the
    # commands that do not touch the database must not wait for.
    return datetime.now(UTC)


def _round_id(slug: str) -> int:
    from consult.app.context import current
    from consult.app.status import UnknownRound, find_round

    with current().db.unit_of_work() as session:
        try:
            return find_round(session, slug).id
        except UnknownRound as exc:
            raise _fail(str(exc)) from exc


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all database migrations."""
    from consult.app.context import current
    from consult.mail.outbox import seal_raw_links
    from models.migrate import upgrade

    app = current()
    settings = app.settings
    upgrade(settings.database_url)
    # Mail queued before links were sealed: only here is both the new schema and the key known.
    with app.db.unit_of_work() as session:
        sealed = seal_raw_links(session, app.sealer)
    console.print(f"Database bijgewerkt: [bold]{escape(settings.database_url)}[/]")
    if sealed:
        console.print(f"Persoonlijke links versleuteld in {sealed} wachtende berichten")


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
    from consult.app.context import current
    from consult.app.registry import import_file
    from consult.registry.parsing import RegistryFileError, format_error

    ctx = current()
    try:
        with ctx.db.unit_of_work() as session:
            parsed, counts = import_file(session, ctx, file)
    except RegistryFileError as exc:
        raise _fail(str(exc), 2) from exc
    lang: Literal["nl", "en"] = "en" if language == "en" else "nl"
    console.print(
        f"{len(parsed.rows)} geldige rijen: {counts.created} nieuw, {counts.updated} bijgewerkt, "
        f"{counts.unchanged} ongewijzigd."
    )
    if parsed.errors:
        rejected = len(parsed.rejected_rows())
        table = Table(title=f"{rejected} {'rij' if rejected == 1 else 'rijen'} afgewezen")
        table.add_column("rij", justify="right")
        table.add_column("kolom")
        table.add_column("reden")
        for error in parsed.errors:
            table.add_row(str(error.row), error.column, escape(format_error(error, lang)))
        err.print(table)
        raise typer.Exit(1)


@registry_app.command("correct-address")
def registry_correct_address(
    old: Annotated[str, typer.Argument(metavar="OLD", help="The address that bounced")],
    new: Annotated[str, typer.Argument(metavar="NEW", help="The person's right address")],
) -> None:
    """Give a person a corrected address: mail that was held back or bounced goes there."""
    from consult.app.context import current
    from consult.app.registry import AddressError, correct_address

    try:
        with current().db.unit_of_work() as session:
            n = correct_address(session, old, new)
    except AddressError as exc:
        raise _fail(str(exc), 1) from exc
    console.print(
        f"Adres verbeterd; {n} berichten staan klaar voor {escape(new.strip().lower())}. "
        "Verstuur ze met `consult outbox send`."
    )


@round_app.command("launch")
def round_launch(
    spec: Annotated[Path, typer.Argument(help="Round spec (TOML)")],
    seed: Annotated[int, typer.Option(help="Tie-breaker for the invitee selection")] = 0,
) -> None:
    """Create a round, its candidate slots and its invitations."""
    from consult.app import launch
    from consult.app.context import current
    from consult.rounds.launch import LaunchError
    from consult.spec import RoundSpecError, check_calendar, load_round_spec

    try:
        loaded = load_round_spec(spec)
    except RoundSpecError as exc:
        raise _fail(str(exc), 2) from exc
    calendar = check_calendar(loaded)
    if calendar.errors:
        raise _fail(f"{spec}: " + "; ".join(calendar.errors), 2)
    for warning in calendar.warnings:
        err.print(f"Let op: {escape(warning)}")
    ctx = current()
    try:
        with ctx.db.unit_of_work() as session:
            result = launch.launch(session, ctx, loaded, seed)
    except LaunchError as exc:
        raise _fail(str(exc)) from exc
    console.print(
        f"Ronde gestart (id {result.round_id}): {result.invitations_total} uitnodigingen, "
        f"{result.slots_created} nieuwe tijdsloten."
    )


@round_app.command("invite")
def round_invite(round_slug: Annotated[str, typer.Argument(metavar="ROUND")]) -> None:
    """Send the invitation emails that have not gone out yet."""
    from consult.app.context import current
    from consult.app.invitations import send_invitations

    round_id = _round_id(round_slug)
    ctx = current()
    with working("Uitnodigingen klaarzetten en versturen"):
        mailing = asyncio.run(send_invitations(ctx, round_id))
    show_mailing(ctx, "Uitnodigingen", *mailing)


@round_app.command("schedule")
def round_schedule(round_slug: Annotated[str, typer.Argument(metavar="ROUND")]) -> None:
    """Place accepted invitees into sessions and send their calendar invitations."""
    from consult.app import scheduling
    from consult.app.calendar import send_calendar_invites
    from consult.app.context import current

    round_id = _round_id(round_slug)
    ctx = current()
    with working("Sessies indelen"), ctx.db.unit_of_work() as session:
        placed = scheduling.schedule(session, ctx, round_id, _now()).summary()
    _show(placed)
    with working("Agendaberichten versturen"):
        mailing = asyncio.run(send_calendar_invites(ctx, round_id, _now()))
    show_mailing(ctx, "Agendaberichten", *mailing)


@round_app.command("synthesise")
def round_synthesise(round_slug: Annotated[str, typer.Argument(metavar="ROUND")]) -> None:
    """Group contributions per theme into draft building blocks."""
    from consult.app import synthesis
    from consult.app.context import current

    round_id = _round_id(round_slug)
    ctx = current()
    with working("Bouwstenen samenstellen"), ctx.db.unit_of_work() as session:
        result = synthesis.synthesise(session, ctx, round_id)
    _show({"blocks": result.blocks, "assigned": result.assigned, "unassigned": result.unassigned})


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
    from consult.app import reports
    from consult.app.context import current

    round_id = _round_id(round_slug)
    ctx = current()
    with working("Rapport schrijven"), ctx.db.unit_of_work() as session:
        files = reports.compile_report(session, ctx, round_id, language, _now(), drafts)
    table = Table(title="Rapport geschreven", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    for kind in ("docx", "html", "markdown", "json"):
        if kind in files:
            table.add_row(REPORT_FILE_LABELS[kind], escape(files[kind]))
    # The coverage charts (coverage-<theme>.png) sit next to the report files.
    table.add_row("Map", escape(str(Path(files["html"]).parent)))
    console.print(table)


NARROW_HEADINGS = {
    "uitgenodigd": "uitge-\nnodigd",
    "geantwoord": "geant-\nwoord",
    "ingedeeld": "inge-\ndeeld",
    "inbreng": "in-\nbreng",
    "bouwstenen": "bouw-\nstenen",
}

REPORT_FILE_LABELS = {"docx": "Word", "html": "HTML", "markdown": "Markdown", "json": "JSON"}


@round_app.command("status")
def round_status_cmd(round_slug: Annotated[str, typer.Argument(metavar="ROUND")]) -> None:
    """Per theme: invited, answered, accepted, scheduled, input and blocks; undelivered
    addresses; what happens now and at the next deadlines."""
    from consult.app.context import current
    from consult.app.status import (
        round_status,
        step_when,
        theme_columns,
        theme_row,
        undelivered_columns,
        undelivered_row,
        unplaced_warning,
    )

    round_id = _round_id(round_slug)
    with current().db.unit_of_work() as session:
        view = round_status(session, round_id)
    table = Table(title=f"{escape(view.name)} ({view.slug}): {view.status}")
    for index, column in enumerate(theme_columns()):
        if index == 0:
            table.add_column(column, ratio=1, min_width=20)
        else:
            # Hyphenated headings on two lines keep seven columns inside 80 characters.
            table.add_column(NARROW_HEADINGS.get(column, column), justify="right", no_wrap=True)
    for t in view.themes:
        table.add_row(*theme_row(t))
    console.print(table)
    warning = unplaced_warning(view)
    if warning:
        console.print(f"[bold yellow]Let op:[/] {escape(warning)}")
    if view.undelivered:
        failed = Table(title="Niet afgeleverd")
        for column in undelivered_columns():
            failed.add_column(column)
        for line in view.undelivered:
            failed.add_row(*(escape(c) for c in undelivered_row(line)))
        console.print(failed)
        if any(line.bounced for line in view.undelivered):
            console.print(
                "Geblokkeerde adressen krijgen geen mail meer; verbeter het adres met "
                "`consult registry correct-address OUD NIEUW` of geef het vrij met "
                "`consult outbox unsuppress ADRES`."
            )
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
    from consult.app import contributions
    from consult.app.context import current
    from consult.contributions.intake import InputFileError

    round_id = _round_id(round_slug)
    ctx = current()
    try:
        with working("Inbreng inlezen"), ctx.db.unit_of_work() as session:
            result = contributions.collect_file(session, ctx, round_id, file)
    except InputFileError as exc:
        raise _fail(f"{file}: {exc}", 2) from exc
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
    from consult.app import outbox
    from consult.app.context import current

    ctx = current()
    with working("Mail versturen"):
        counts = asyncio.run(outbox.send(ctx))
    console.print(
        f"verzonden: {counts.sent}, mislukt: {counts.failed}, later opnieuw: {counts.retry_later}"
    )
    problem = outbox.unreachable_message(ctx, counts)
    if problem is not None:
        raise _fail(problem)


RoundOption = Annotated[str | None, typer.Option("--round", help="Only this round (slug)")]


@outbox_app.command("status")
def outbox_status(round_slug: RoundOption = None) -> None:
    """Messages per state, the oldest one waiting, and recent failures with the server's reply."""
    from consult.app.context import current
    from consult.i18n import format_datetime
    from consult.mail.operations import overview, suppressions

    round_id = _round_id(round_slug) if round_slug else None
    with current().db.unit_of_work() as session:
        view = overview(session, round_id)
        blocked = suppressions(session)
    labels = {
        "pending": "wachtend",
        "sending": "bezig",
        "sent": "verzonden",
        "failed": "mislukt",
        "suppressed": "tegengehouden (adres geblokkeerd)",
    }
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
    if blocked:
        table = Table(title="Geblokkeerde adressen (onbestelbaar; geen mail tot ze verbeterd zijn)")
        for column in ("adres", "sinds", "tegengehouden", "antwoord van de server"):
            table.add_column(column)
        for s in blocked:
            when = format_datetime(s.at, "nl")
            table.add_row(escape(s.email), when, str(s.held), escape(s.reply))
        console.print(table)


@outbox_app.command("retry-failed")
def outbox_retry_failed(round_slug: RoundOption = None) -> None:
    """Queue failed messages again (for example after fixing an address or the relay)."""
    from consult.app.context import current
    from consult.mail.operations import retry_failed

    round_id = _round_id(round_slug) if round_slug else None
    with current().db.unit_of_work() as session:
        n, blocked = retry_failed(session, round_id)
    console.print(
        f"{n} mislukte berichten staan weer klaar; verstuur ze met `consult outbox send`."
    )
    if blocked:
        console.print(
            f"{blocked} berichten gaan naar geblokkeerde (onbestelbare) adressen en blijven "
            "staan: verbeter het adres met `consult registry correct-address OUD NIEUW` of "
            "geef het vrij met `consult outbox unsuppress ADRES`."
        )


@outbox_app.command("unsuppress")
def outbox_unsuppress(
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="A suppressed address")],
) -> None:
    """Release an address that bounced (it works again): its held and failed mail is queued.
    For a wrong address use `consult registry correct-address OLD NEW`."""
    from consult.app.context import current
    from consult.mail.operations import UnknownSuppression, unsuppress

    try:
        with current().db.unit_of_work() as session:
            n = unsuppress(session, email)
    except UnknownSuppression as exc:
        raise _fail(str(exc), 1) from exc
    console.print(f"{n} berichten staan weer klaar; verstuur ze met `consult outbox send`.")


@round_app.command("remind")
def round_remind(round_slug: Annotated[str, typer.Argument(metavar="ROUND")]) -> None:
    """Remind invitees who have not answered (at the moments set in the round spec)."""
    from consult.app.context import current
    from consult.app.reminders import send_reminders

    round_id = _round_id(round_slug)
    ctx = current()
    with working("Herinneringen klaarzetten en versturen"):
        mailing = asyncio.run(send_reminders(ctx, round_id, _now()))
    show_mailing(ctx, "Herinneringen", *mailing)


@app.command()
def web(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on", min=1, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option(help="Worker processes (more than 1 needs secret_key)", min=1)
    ] = 1,
) -> None:
    """Serve the invitee pages (personal links from the emails) and /health."""
    import uvicorn

    from consult.web.app import create_app
    from consult.web.logs import install_link_redaction

    # Prefect is imported by the first answer's event; keep its log lines and telemetry quiet.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from consult.settings import load_settings

    settings = load_settings()
    if workers > 1 and settings.secret_key is None:
        # Each worker would draw its own random secret and refuse the others' forms.
        raise _fail("--workers above 1 needs secret_key (CONSULT_SECRET_KEY or the config file)")
    console.print(
        f"Genodigdenpagina's op http://{host}:{port} (links: {escape(settings.base_url)})"
    )
    # The access log shows every link as /i/… : only the tokens' hashes may be stored anywhere.
    install_link_redaction()
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port)
    else:
        # Worker processes import the app by name; each one reads the same settings again.
        uvicorn.run(
            "consult.web.app:app_from_settings",
            factory=True,
            host=host,
            port=port,
            workers=workers,
        )


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
    from consult.settings import load_settings

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
    from consult.settings import load_settings

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

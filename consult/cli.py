"""The secretariat's commands. Thin: parse arguments, call a service or a flow, show the result."""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

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
from consult.cli_common import RoundArg, command_actor, console, err, show_mailing, working
from consult.cli_common import fail as _fail
from consult.i18n import current_language, ngettext, pgettext, use_language
from consult.i18n import gettext as _

# Command groups that live in their own module, loaded when that group runs: `consult --help`
# and `consult round status` never import the solver, SQLAlchemy's models or Prefect. The short
# line is what `consult --help` lists; the group's own help is in its module.
LAZY_GROUPS: dict[str, tuple[str, str, str]] = {
    "blocks": ("consult.cli_blocks", "blocks_app", _("Review building blocks.")),
    "synth": ("consult.cli_synth", "synth_app", _("Measure the grouping against a labelled file.")),
    "replies": ("consult.cli_replies", "replies_app", _("Calendar replies from the mailbox.")),
    "schedule": ("consult.cli_schedule", "schedule_app", _("Scheduling of sessions.")),
    "users": ("consult.cli_users", "users_app", _("Accounts of the workplace.")),
    "audit": ("consult.cli_audit", "audit_app", _("The audit log: who did what, when.")),
    "mailing": (
        "consult.cli_mailing",
        "mailing_app",
        _("Review and approve a round's mailings before they leave."),
    ),
    "privacy": (
        "consult.cli_privacy",
        "privacy_app",
        _("Personal data: export, erasure and retention periods."),
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
    """One line for an error a user can run into (no traceback; --debug shows it)."""
    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError

    from consult.settings import ConfigFileMissing

    if isinstance(exc, ConfigFileMissing):
        return str(exc)
    if isinstance(exc, OperationalError):
        return _(
            "the database cannot be reached: %(reason)s. More details with --debug.",
            reason=exc.orig,
        )
    if isinstance(exc, ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return _(
            "the configuration is not right (%(problems)s). See config/consult.example.toml.",
            problems=problems,
        )
    return _(
        "unexpected error: %(kind)s: %(error)s. More details with --debug.",
        kind=type(exc).__name__,
        error=exc,
    )


app = typer.Typer(
    cls=_LazyGroup,
    help=_("consult: themed consultation rounds of the Commissie Werken in de Zorg."),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _options(
    debug: Annotated[
        bool,
        typer.Option("--debug", help=_("On an error: log lines and the full traceback.")),
    ] = False,
) -> None:
    DEBUG.on = debug
    # Who the audit log names for what this command changes.
    set_actor(command_actor())
    # Library log lines (English, per message) would drown the command's own summary;
    # with --debug they are shown.
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.ERROR,
        format="%(levelname)s %(name)s: %(message)s",
        force=True,
    )


db_app = typer.Typer(help=_("The database and its migrations."), no_args_is_help=True)
registry_app = typer.Typer(
    help=_("The registry of organisations and people."), no_args_is_help=True
)
round_app = typer.Typer(help=_("Consultation rounds."), no_args_is_help=True)
input_app = typer.Typer(help=_("Contributions from invitees."), no_args_is_help=True)
outbox_app = typer.Typer(help=_("Outgoing mail."), no_args_is_help=True)
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


@db_app.command("upgrade", help=_("Apply all database migrations."))
def db_upgrade() -> None:
    from consult.app.context import current
    from consult.mail.outbox import seal_raw_links
    from models.migrate import upgrade

    app = current()
    settings = app.settings
    upgrade(settings.database_url)
    # Mail queued before links were sealed: only here is both the new schema and the key known.
    with app.db.unit_of_work() as session:
        sealed = seal_raw_links(session, app.sealer)
    url = f"[bold]{escape(settings.database_url)}[/]"
    console.print(_("Database updated: %(url)s", url=url))
    if sealed:
        console.print(
            ngettext(
                "Personal links sealed in %(num)s waiting message",
                "Personal links sealed in %(num)s waiting messages",
                sealed,
            )
        )


@registry_app.command(
    "import",
    help=_(
        "Import the registry; stores valid rows and reports every rejected row (exit 1 if any)."
    ),
)
def registry_import(
    file: Annotated[
        Path,
        typer.Argument(
            metavar=_("FILE"),
            help=_("CSV or .xlsx with organisation, sector, region, name, email, role, language"),
        ),
    ],
    language: Annotated[
        str | None,
        typer.Option(
            help=_("Language of the report on the file (nl/en); default: the command line's")
        ),
    ] = None,
) -> None:
    with use_language(language or current_language()):
        _import_registry(file)


def _import_registry(file: Path) -> None:
    from consult.app.context import current
    from consult.app.registry import import_file
    from consult.registry.parsing import RegistryFileError, format_error

    ctx = current()
    try:
        with ctx.db.unit_of_work() as session:
            parsed, counts = import_file(session, ctx, file)
    except RegistryFileError as exc:
        raise _fail(str(exc), 2) from exc
    console.print(
        ngettext(
            "%(num)s valid row: %(created)s new, %(updated)s updated, %(unchanged)s unchanged.",
            "%(num)s valid rows: %(created)s new, %(updated)s updated, %(unchanged)s unchanged.",
            len(parsed.rows),
            created=counts.created,
            updated=counts.updated,
            unchanged=counts.unchanged,
        )
    )
    if parsed.coordinators:
        console.print(
            ngettext(
                "%(num)s coordinator or steering-group member stored.",
                "%(num)s coordinators and steering-group members stored.",
                len(parsed.coordinators),
            )
        )
    if parsed.errors:
        rejected = len(parsed.rejected_rows()) + len(parsed.rejected_coordinators())
        table = Table(title=ngettext("%(num)s row rejected", "%(num)s rows rejected", rejected))
        table.add_column(pgettext("rejected rows column", "row"), justify="right")
        table.add_column(pgettext("rejected rows column", "column"))
        table.add_column(pgettext("rejected rows column", "reason"))
        for error in parsed.errors:
            reason = format_error(error, current_language())
            table.add_row(str(error.row), error.column, escape(reason))
        err.print(table)
        raise typer.Exit(1)


@registry_app.command(
    "correct-address",
    help=_("Give a person a corrected address: mail that was held back or bounced goes there."),
)
def registry_correct_address(
    old: Annotated[str, typer.Argument(metavar=_("OLD"), help=_("The address that bounced"))],
    new: Annotated[str, typer.Argument(metavar=_("NEW"), help=_("The person's right address"))],
) -> None:
    from consult.app.context import current
    from consult.app.registry import AddressError, correct_address

    try:
        with current().db.unit_of_work() as session:
            n = correct_address(session, old, new)
    except AddressError as exc:
        raise _fail(str(exc), 1) from exc
    console.print(
        ngettext(
            "Address corrected; %(num)s message is queued for %(address)s. Send it with "
            "`consult outbox send`.",
            "Address corrected; %(num)s messages are queued for %(address)s. Send them with "
            "`consult outbox send`.",
            n,
            address=escape(new.strip().lower()),
        )
    )


@round_app.command("launch", help=_("Create a round, its candidate slots and its invitations."))
def round_launch(
    spec: Annotated[Path, typer.Argument(metavar=_("SPEC"), help=_("Round spec (TOML)"))],
    seed: Annotated[int, typer.Option(help=_("Tie-breaker for the invitee selection"))] = 0,
) -> None:
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
        err.print(_("Note:") + " " + escape(warning))
    ctx = current()
    try:
        with ctx.db.unit_of_work() as session:
            result = launch.launch(session, ctx, loaded, seed)
    except LaunchError as exc:
        raise _fail(str(exc)) from exc
    console.print(
        _(
            "Round launched (id %(id)s): %(invitations)s, %(slots)s.",
            id=result.round_id,
            invitations=ngettext(
                "%(num)s invitation", "%(num)s invitations", result.invitations_total
            ),
            slots=ngettext("%(num)s new slot", "%(num)s new slots", result.slots_created),
        )
    )


@round_app.command("invite", help=_("Send the invitation emails that have not gone out yet."))
def round_invite(round_slug: RoundArg) -> None:
    from consult.app.context import current
    from consult.app.invitations import send_invitations

    round_id = _round_id(round_slug)
    ctx = current()
    with working(_("Queueing and sending invitations")):
        mailing = asyncio.run(send_invitations(ctx, round_id))
    show_mailing(ctx, _("Invitations"), *mailing)


@round_app.command(
    "schedule",
    help=_("Place accepted invitees into sessions and send their calendar invitations."),
)
def round_schedule(round_slug: RoundArg) -> None:
    from consult.app import scheduling
    from consult.app.calendar import send_calendar_invites
    from consult.app.context import current

    round_id = _round_id(round_slug)
    ctx = current()
    with working(_("Scheduling sessions")), ctx.db.unit_of_work() as session:
        placed = scheduling.schedule(session, ctx, round_id, _now()).summary()
    _show(placed)
    with working(_("Sending calendar messages")):
        mailing = asyncio.run(send_calendar_invites(ctx, round_id, _now()))
    show_mailing(ctx, _("Calendar messages"), *mailing)


@round_app.command(
    "synthesise", help=_("Group contributions per theme into draft building blocks.")
)
def round_synthesise(round_slug: RoundArg) -> None:
    from consult.app import synthesis
    from consult.app.context import current

    round_id = _round_id(round_slug)
    ctx = current()
    with working(_("Compiling building blocks")), ctx.db.unit_of_work() as session:
        result = synthesis.synthesise(session, ctx, round_id)
    _show({"blocks": result.blocks, "assigned": result.assigned, "unassigned": result.unassigned})


ReportLanguage = Annotated[
    str | None,
    typer.Option(help=_("Language of the report (nl/en); default: the command line's")),
]
Drafts = Annotated[bool, typer.Option(help=_("Also show blocks not yet approved"))]


@app.command(
    "report",
    help=_("Write the building-block report: Word, HTML, Markdown, charts and a JSON export."),
)
def report(round_slug: RoundArg, language: ReportLanguage = None, drafts: Drafts = False) -> None:
    _compile_report(round_slug, language or current_language(), drafts)


@round_app.command("report", help=_("Write the building-block report (same as `consult report`)."))
def round_report(
    round_slug: RoundArg, language: ReportLanguage = None, drafts: Drafts = False
) -> None:
    _compile_report(round_slug, language or current_language(), drafts)


def _compile_report(round_slug: str, language: str, drafts: bool) -> None:
    # One body for `consult report` and the older `consult round report`.
    if language not in ("nl", "en"):
        raise _fail(_("--language expects nl or en, not '%(value)s'", value=language), 2)
    from consult.app import reports
    from consult.app.context import current

    round_id = _round_id(round_slug)
    ctx = current()
    try:
        with working(_("Writing the report")), ctx.db.unit_of_work() as session:
            files = reports.compile_report(session, ctx, round_id, language, _now(), drafts)
    except reports.NothingToReport as exc:
        raise _fail(str(exc)) from exc
    table = Table(title=_("Report written"), show_header=False)
    table.add_column(style="bold")
    table.add_column()
    for kind in ("docx", "html", "markdown", "json"):
        if kind in files:
            table.add_row(REPORT_FILE_LABELS[kind], escape(files[kind]))
    # The coverage charts (report.<language>.coverage-<theme>.png) sit next to the files.
    table.add_row(pgettext("report files", "Folder"), escape(str(Path(files["html"]).parent)))
    console.print(table)


# The columns of the per-theme table by id, in the order of consult.app.status.theme_columns.
STATUS_COLUMNS = ("theme", "invited", "answered", "yes", "scheduled", "input", "blocks")


def narrow_heading(column: str) -> str | None:
    """A long heading hyphenated on two lines: seven columns then fit in 80 characters."""
    headings = {
        "invited": pgettext("status column, narrow", "invited"),
        "answered": pgettext("status column, narrow", "answered"),
        "scheduled": pgettext("status column, narrow", "scheduled"),
        "input": pgettext("status column, narrow", "input"),
        "blocks": pgettext("status column, narrow", "building blocks"),
    }
    return headings.get(column)


REPORT_FILE_LABELS = {"docx": "Word", "html": "HTML", "markdown": "Markdown", "json": "JSON"}


@round_app.command(
    "status",
    help=_(
        "Per theme: invited, answered, accepted, scheduled, input and blocks; undelivered "
        "addresses; what happens now and at the next deadlines."
    ),
)
def round_status_cmd(round_slug: RoundArg) -> None:
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
    ctx = current()
    with ctx.db.unit_of_work() as session:
        view = round_status(session, round_id, None, ctx.settings.mail.require_approval)
    table = Table(title=f"{escape(view.name)} ({view.slug}): {view.status}")
    for column, heading in zip(STATUS_COLUMNS, theme_columns(), strict=True):
        if column == "theme":
            table.add_column(heading, ratio=1, min_width=20)
        else:
            table.add_column(narrow_heading(column) or heading, justify="right", no_wrap=True)
    for t in view.themes:
        table.add_row(*theme_row(t))
    console.print(table)
    warning = unplaced_warning(view)
    if warning:
        console.print("[bold yellow]" + _("Note:") + "[/] " + escape(warning))
    if view.undelivered:
        failed = Table(title=_("Not delivered"))
        for column in undelivered_columns():
            failed.add_column(column)
        for line in view.undelivered:
            failed.add_row(*(escape(c) for c in undelivered_row(line)))
        console.print(failed)
        if any(line.bounced for line in view.undelivered):
            console.print(
                _(
                    "Blocked addresses get no more mail; correct the address with "
                    "`consult registry correct-address OLD NEW` or release it with "
                    "`consult outbox unsuppress ADDRESS`."
                )
            )
    steps = Table(title=_("What the service does"))
    steps.add_column(pgettext("steps column", "when"))
    steps.add_column(pgettext("steps column", "what"))
    if not view.automated:
        steps.add_row(
            "—", escape(_("nothing by itself: [automation] enabled = false in the round spec"))
        )
    for what in view.due_now:
        steps.add_row(pgettext("steps column", "now"), escape(what))
    for step in view.next_steps:
        steps.add_row(step_when(step), escape(step.what))
    if steps.row_count:
        console.print(steps)


@input_app.command(
    "import",
    help=_("Store contributions from a file; reports every rejected row (exit 1 if any)."),
)
def input_import(
    round_slug: RoundArg,
    file: Annotated[
        Path,
        typer.Argument(
            metavar=_("FILE"),
            help=_("CSV or .jsonl: email, theme, kind, text, language, quote_permission"),
        ),
    ],
) -> None:
    if not file.is_file():
        raise _fail(_("%(file)s: file not found", file=file), 2)
    from consult.app import contributions
    from consult.app.context import current
    from consult.contributions.intake import InputFileError

    round_id = _round_id(round_slug)
    ctx = current()
    try:
        with working(_("Reading input")), ctx.db.unit_of_work() as session:
            result = contributions.collect_file(session, ctx, round_id, file)
    except InputFileError as exc:
        raise _fail(f"{file}: {exc}", 2) from exc
    console.print(
        _(
            "%(stored)s, %(present)s.",
            stored=ngettext(
                "%(num)s contribution stored", "%(num)s contributions stored", result["stored"]
            ),
            present=ngettext(
                "%(num)s was there already",
                "%(num)s were there already",
                result["already_present"],
            ),
        )
    )
    if result["errors"]:
        table = Table(title=_("Rejected rows"))
        table.add_column(pgettext("rejected rows column", "row"))
        table.add_column(pgettext("rejected rows column", "column"))
        table.add_column(pgettext("rejected rows column", "reason"))
        for e in result["errors"]:
            table.add_row(str(e["row"]), e["column"], escape(e["reason"]))
        err.print(table)
        raise typer.Exit(1)


@outbox_app.command("send", help=_("Send every message that is due."))
def outbox_send() -> None:
    from consult.app import outbox
    from consult.app.context import current

    ctx = current()
    with working(_("Sending mail")):
        counts = asyncio.run(outbox.send(ctx))
    console.print(
        _(
            "sent: %(sent)s, failed: %(failed)s, retry later: %(later)s",
            sent=counts.sent,
            failed=counts.failed,
            later=counts.retry_later,
        )
    )
    held = outbox.held_message(counts)
    if held is not None:
        console.print(held)
    problem = outbox.unreachable_message(ctx, counts)
    if problem is not None:
        raise _fail(problem)


RoundOption = Annotated[
    str | None, typer.Option("--round", metavar=_("ROUND"), help=_("Only this round (slug)"))
]


@outbox_app.command(
    "status",
    help=_(
        "Messages per state, the oldest one waiting, and recent failures with the server's reply."
    ),
)
def outbox_status(round_slug: RoundOption = None) -> None:
    from consult.app.context import current
    from consult.app.outbox import health, state_label
    from consult.i18n import format_datetime
    from models import OutboxStatus

    round_id = _round_id(round_slug) if round_slug else None
    with current().db.unit_of_work() as session:
        found = health(session, round_id)
    view, blocked = found.overview, found.blocked
    language = current_language()
    table = Table(title=_("Outgoing mail"))
    table.add_column(pgettext("outbox column", "state"))
    table.add_column(pgettext("outbox column", "count"), justify="right")
    for status, n in view.counts.items():
        table.add_row(state_label(OutboxStatus(status)), str(n))
    console.print(table)
    if view.oldest_pending:
        oldest = format_datetime(view.oldest_pending, language)
        console.print(_("Oldest waiting message: %(when)s", when=oldest))
    if view.recent_failures:
        failed = Table(title=_("Recently failed"))
        failed.add_column(pgettext("outbox column", "id"))
        failed.add_column(pgettext("outbox column", "kind"))
        failed.add_column(pgettext("outbox column", "address"))
        failed.add_column(pgettext("outbox column", "attempts"))
        failed.add_column(pgettext("outbox column", "server's reply"))
        for f in view.recent_failures:
            failed.add_row(str(f.id), f.kind, escape(f.recipient), str(f.attempts), escape(f.reply))
        console.print(failed)
    if blocked:
        table = Table(
            title=_("Blocked addresses (undeliverable; no mail until they are corrected)")
        )
        table.add_column(pgettext("outbox column", "address"))
        table.add_column(pgettext("outbox column", "since"))
        table.add_column(pgettext("outbox column", "held back"))
        table.add_column(pgettext("outbox column", "server's reply"))
        for s in blocked:
            when = format_datetime(s.at, language)
            table.add_row(escape(s.email), when, str(s.held), escape(s.reply))
        console.print(table)


@outbox_app.command(
    "retry-failed",
    help=_("Queue failed messages again (for example after fixing an address or the relay)."),
)
def outbox_retry_failed(round_slug: RoundOption = None) -> None:
    from consult.app.context import current
    from consult.app.outbox import retry_failed

    round_id = _round_id(round_slug) if round_slug else None
    with current().db.unit_of_work() as session:
        n, blocked = retry_failed(session, round_id)
    console.print(
        ngettext(
            "%(num)s failed message is queued again; send it with `consult outbox send`.",
            "%(num)s failed messages are queued again; send them with `consult outbox send`.",
            n,
        )
    )
    if blocked:
        console.print(
            ngettext(
                "%(num)s message goes to a blocked (undeliverable) address and stays: correct "
                "the address with `consult registry correct-address OLD NEW` or release it with "
                "`consult outbox unsuppress ADDRESS`.",
                "%(num)s messages go to blocked (undeliverable) addresses and stay: correct "
                "the address with `consult registry correct-address OLD NEW` or release it with "
                "`consult outbox unsuppress ADDRESS`.",
                blocked,
            )
        )


@outbox_app.command(
    "unsuppress",
    help=_(
        "Release an address that bounced (it works again): its held and failed mail is queued. "
        "For a wrong address use `consult registry correct-address OLD NEW`."
    ),
)
def outbox_unsuppress(
    email: Annotated[str, typer.Argument(metavar=_("ADDRESS"), help=_("A blocked address"))],
) -> None:
    from consult.app.context import current
    from consult.app.outbox import UnknownSuppression, release

    try:
        with current().db.unit_of_work() as session:
            n = release(session, email)
    except UnknownSuppression as exc:
        raise _fail(str(exc), 1) from exc
    console.print(
        ngettext(
            "%(num)s message is queued again; send it with `consult outbox send`.",
            "%(num)s messages are queued again; send them with `consult outbox send`.",
            n,
        )
    )


@round_app.command(
    "remind",
    help=_("Remind invitees who have not answered (at the moments set in the round spec)."),
)
def round_remind(round_slug: RoundArg) -> None:
    from consult.app.context import current
    from consult.app.reminders import send_reminders

    round_id = _round_id(round_slug)
    ctx = current()
    with working(_("Queueing and sending reminders")):
        mailing = asyncio.run(send_reminders(ctx, round_id, _now()))
    show_mailing(ctx, _("Reminders"), *mailing)


@app.command(
    help=_("Serve the invitee pages (personal links from the emails) and /health."),
)
def web(
    host: Annotated[str, typer.Option(help=_("Address to listen on"))] = "127.0.0.1",
    port: Annotated[int, typer.Option(help=_("Port to listen on"), min=1, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option(help=_("Worker processes (more than 1 needs secret_key)"), min=1)
    ] = 1,
) -> None:
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
        raise _fail(_("--workers above 1 needs secret_key (CONSULT_SECRET_KEY or the config file)"))
    url = f"http://{host}:{port}"
    console.print(
        _("Invitee pages at %(url)s (links: %(base)s)", url=url, base=escape(settings.base_url))
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


@app.command(
    help=_(
        "Run the whole service on this machine: a local Prefect server (unless PREFECT_API_URL "
        "is set), the web app, and every flow with its schedule and triggers. Ctrl-C stops it "
        "all."
    ),
)
def serve(
    host: Annotated[str, typer.Option(help=_("Address the web app listens on"))] = "127.0.0.1",
    port: Annotated[int, typer.Option(help=_("Port of the web app"), min=1, max=65535)] = 8000,
) -> None:
    from consult.serve import ServeError, run_service

    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from consult.settings import load_settings

    settings = load_settings()
    try:
        run_service(settings, host, port, lambda line: console.print(escape(line)))
    except ServeError as exc:
        raise _fail(str(exc)) from exc


@app.command(
    help=_(
        "Register every flow as a deployment in a process work pool on the Prefect server in "
        "PREFECT_API_URL, for `prefect worker start --pool POOL` on one or more machines."
    ),
)
def deploy(
    pool: Annotated[
        str | None,
        typer.Option(help=_("Process work pool (default: the setting service.work_pool)")),
    ] = None,
) -> None:
    if not os.environ.get("PREFECT_API_URL"):
        raise _fail(_("set PREFECT_API_URL to the Prefect server that gets the deployments"), 2)
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from consult.deploy import register
    from consult.settings import load_settings

    settings = load_settings()
    work_pool = pool or settings.service.work_pool
    names = register(settings, work_pool)
    console.print(
        ngettext(
            "%(num)s deployment in work pool '%(pool)s':",
            "%(num)s deployments in work pool '%(pool)s':",
            len(names),
            pool=escape(work_pool),
        )
    )
    for name in names:
        console.print(f"  {escape(name)}")


@app.command(
    help=_("Run a complete consultation round on this machine, with simulated invitees."),
)
def demo(
    workspace: Annotated[
        Path, typer.Option(help=_("Folder for the demo's config, database, mail and reports"))
    ] = Path("var/demo"),
    smtp: Annotated[
        str | None,
        typer.Option(help=_("HOST:PORT of an SMTP server to send to instead of the built-in one")),
    ] = None,
    seed: Annotated[int, typer.Option(help=_("Seed for the generated registry and answers"))] = 7,
) -> None:
    from consult.demo.run import WorkspaceError, prepare_workspace, run_demo
    from consult.mail.sink import EmlSink

    workspace = workspace.resolve()
    host, port = "127.0.0.1", 0
    if smtp:
        host, _colon, port_text = smtp.rpartition(":")
        if not host or not port_text.isdigit():
            raise _fail(_("--smtp expects HOST:PORT, not '%(value)s'", value=smtp), 2)
        port = int(port_text)
    try:
        prepare_workspace(workspace)
    except WorkspaceError as exc:
        raise _fail(str(exc), 2) from exc
    sink = None if smtp else EmlSink(workspace / "mail")
    if sink:
        sink.start()
        port = sink.port
    labels = stage_labels()
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
            bar = progress.add_task(_("Demo round"), total=len(labels))

            def on_stage(name: str, figures: dict[str, Any]) -> None:
                progress.console.print(f"[green]✓[/] {labels[name]}: {_figures(figures)}")
                progress.advance(bar)

            result = run_demo(workspace, host, port, seed, on_stage)
    finally:
        if sink:
            sink.stop()
    summary = Table(title=_("Demo round summary"), show_header=False)
    summary.add_column(style="bold")
    summary.add_column()
    for name, figures in result.stages.items():
        if name not in ("database", "report"):
            summary.add_row(labels[name], _figures(figures))
    mail = str(result.mail_dir) if not smtp else _("sent to %(server)s", server=smtp)
    summary.add_row(pgettext("demo summary", "Mail"), mail)
    report_dir = str(Path(result.report_files["html"]).parent)
    summary.add_row(pgettext("demo summary", "Report"), report_dir)
    config = f"CONSULT_CONFIG={workspace / 'consult.toml'}"
    summary.add_row(pgettext("demo summary", "Configuration"), config)
    console.print(summary)


def stage_labels() -> dict[str, str]:
    """What each stage of the demo did, by the stage's name."""
    return {
        "database": _("Database created"),
        "registry": _("Registry generated and imported"),
        "launch": _("Round launched"),
        "invitations": _("Invitations sent"),
        "answers": _("Invitees' answers simulated"),
        "schedule": _("Sessions scheduled"),
        "calendar": _("Calendar invitations sent"),
        "input": _("Input collected"),
        "synthesis": _("Building blocks compiled"),
        "report": _("Report written"),
    }


def figure_labels() -> dict[str, str]:
    """The words for the figures the use cases return, by key."""
    return {
        "url": pgettext("figure", "database"),
        "organisations": pgettext("figure", "organisations"),
        "people": pgettext("figure", "people"),
        "rejected": pgettext("figure", "rejected"),
        "round_id": pgettext("figure", "round id"),
        "queued": pgettext("figure", "queued"),
        "sent": pgettext("figure", "sent"),
        "failed": pgettext("figure", "failed"),
        "retry_later": pgettext("figure", "retry later"),
        "held": pgettext("figure", "awaiting approval"),
        "accepted": pgettext("figure", "yes"),
        "declined": pgettext("figure", "no"),
        "no_answer": pgettext("figure", "no answer"),
        "sessions_created": pgettext("figure", "sessions"),
        "attendees_added": pgettext("figure", "scheduled"),
        "sessions_cancelled": pgettext("figure", "sessions cancelled"),
        "attendees_removed": pgettext("figure", "taken out of a session"),
        "moved": pgettext("figure", "moved"),
        "existing_changed": pgettext("figure", "existing participants with a changed calendar"),
        "unplaced": pgettext("figure", "not scheduled"),
        "slots_ticked": pgettext("figure", "times ticked"),
        "stored": pgettext("figure", "stored"),
        "already_present": pgettext("figure", "already present"),
        "errors": pgettext("figure", "errors"),
        "blocks": pgettext("figure", "building blocks"),
        "assigned": pgettext("figure", "assigned"),
        "unassigned": pgettext("figure", "not assigned"),
        "folder": pgettext("figure", "folder"),
    }


def _figures(figures: dict[str, Any]) -> str:
    labels = figure_labels()
    return ", ".join(
        f"{labels.get(k, k)}: {escape(str(v))}"
        for k, v in figures.items()
        if not isinstance(v, list)
    )


def _show(figures: dict[str, Any]) -> None:
    console.print(_figures(figures))


def main() -> None:
    sys.exit(app())

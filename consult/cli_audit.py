"""`consult audit ...`: read the audit log. Thin: parse the filters, call consult.app.audit,
show a table."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from consult.cli_common import console
from consult.cli_common import fail as _fail
from consult.i18n import AMSTERDAM, pgettext
from consult.i18n import gettext as _

audit_app = typer.Typer(
    help=_(
        "The audit log: every change by anyone (imports, launches, mail, answers, decisions, "
        "exports, erasures), newest first."
    ),
    no_args_is_help=True,
)


@audit_app.callback()
def _group() -> None:
    # A group with one command would otherwise become that command.
    pass


def parse_since(value: str) -> datetime:
    """A date (midnight, Dutch time) or a date with a time; raises ValueError."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = datetime.combine(date.fromisoformat(value), time())
    return moment if moment.tzinfo else moment.replace(tzinfo=AMSTERDAM)


@audit_app.command("list", help=_("Show entries of the audit log, newest first."))
def list_entries(
    person: Annotated[
        str | None,
        typer.Option("--person", metavar="EMAIL", help=_("Only entries about this person")),
    ] = None,
    round_slug: Annotated[
        str | None, typer.Option("--round", metavar="SLUG", help=_("Only this round"))
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option(
            "--actor",
            metavar=_("NAME"),
            help=_("Only what this actor did (a name, 'system', 'invitee' or 'invitee:ID')"),
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", metavar=_("DATE"), help=_("Only from this date (2027-01-15 or with a time)")
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help=_("At most this many"))] = 50,
) -> None:
    from consult.app.audit import Filters, UnknownPerson, entries
    from consult.app.context import current
    from consult.app.status import UnknownRound

    moment = None
    if since is not None:
        try:
            moment = parse_since(since)
        except ValueError as exc:
            raise _fail(
                _("--since expects a date such as 2027-01-15, not '%(value)s'", value=since), 2
            ) from exc
    filters = Filters(person, round_slug, actor, moment, limit)
    try:
        with current().db.unit_of_work() as session:
            rows = entries(session, filters)
    except (UnknownPerson, UnknownRound) as exc:
        raise _fail(str(exc)) from exc
    if not rows:
        console.print(_("No entries found."))
        return
    table = Table(title=_("Audit log (%(count)s entries, newest first)", count=len(rows)))
    table.add_column(pgettext("audit column", "id"), justify="right")
    table.add_column(pgettext("audit column", "when"), no_wrap=True)
    table.add_column(pgettext("audit column", "who"))
    table.add_column(pgettext("audit column", "what"))
    table.add_column(pgettext("audit column", "round"))
    table.add_column(pgettext("audit column", "person"), justify="right")
    table.add_column(pgettext("audit column", "subject"))
    table.add_column(pgettext("audit column", "details"))
    for row in rows:
        table.add_row(
            str(row.id),
            row.at.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M:%S"),
            escape(row.actor),
            escape(row.action),
            escape(row.round),
            "" if row.person_id is None else str(row.person_id),
            escape(row.subject),
            escape(row.details),
        )
    console.print(table)

"""`consult privacy ...`: a person's export and erasure, and the retention periods of rounds.
Thin: parse the arguments, call consult.app.privacy or consult.app.retention, show the result.

Exit codes: 1 when the person or round is unknown or the erasure is not confirmed, 2 when the
command is used wrongly.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from consult.cli_common import console, err
from consult.cli_common import fail as _fail
from consult.i18n import AMSTERDAM, pgettext
from consult.i18n import gettext as _

privacy_app = typer.Typer(
    help=_(
        "Personal data: everything held about a person (export), erasing a person, and the "
        "retention periods of rounds."
    ),
    no_args_is_help=True,
)

EmailArg = Annotated[
    str, typer.Argument(metavar="EMAIL", help=_("The person's address in the registry"))
]


@privacy_app.command(
    "export",
    help=_(
        "Write everything held about a person to one ZIP: the data as JSON and a readable "
        "HTML page."
    ),
)
def export(
    email: EmailArg,
    output: Annotated[
        Path, typer.Option("--output", "-o", metavar="FILE.zip", help=_("The ZIP to write"))
    ],
    language: Annotated[
        str, typer.Option("--language", help=_("Language of the HTML page (nl or en)"))
    ] = "nl",
) -> None:
    from consult.app.context import current
    from consult.app.privacy import UnknownPerson, export_person, write_export

    if language not in ("nl", "en"):
        raise _fail(_("--language expects nl or en, not '%(value)s'", value=language), 2)
    if output.suffix.lower() != ".zip":
        raise _fail(_("--output must name a .zip file, not '%(path)s'", path=output), 2)
    ctx = current()
    try:
        with ctx.db.unit_of_work() as session:
            data = export_person(session, ctx, email, datetime.now(UTC))
    except UnknownPerson as exc:
        raise _fail(str(exc)) from exc
    written = write_export(ctx, data, output, language)
    rows = sum(len(r) for r in data.tables.values())
    console.print(
        _(
            "Export of %(name)s written to %(path)s: %(rows)s records from %(tables)s tables.",
            name=escape(data.name),
            path=escape(str(written)),
            rows=rows,
            tables=sum(1 for r in data.tables.values() if r),
        )
    )


@privacy_app.command(
    "erase",
    help=_(
        "Erase a person everywhere: registry record, invitations, answers, availability, "
        "mail, calendar replies; their contributions deleted or kept anonymised; reports "
        "that showed them written again. Mail to the address is never sent again."
    ),
)
def erase(
    email: EmailArg,
    contributions: Annotated[
        str,
        typer.Option(
            "--contributions",
            metavar="delete|anonymise",
            help=_(
                "Delete the person's contributions, or keep them anonymised (sector and region "
                "only, never quoted)"
            ),
        ),
    ] = "anonymise",
    yes: Annotated[
        bool, typer.Option("--yes", help=_("Do not ask for confirmation (for scripts)"))
    ] = False,
) -> None:
    from consult.app.context import current
    from consult.app.privacy import ContributionChoice, UnknownPerson, erase, find_person

    try:
        choice = ContributionChoice(contributions)
    except ValueError as exc:
        raise _fail(
            _(
                "--contributions expects delete or anonymise, not '%(value)s'",
                value=contributions,
            ),
            2,
        ) from exc
    ctx = current()
    try:
        with ctx.db.unit_of_work() as session:
            name = find_person(session, email).name
    except UnknownPerson as exc:
        raise _fail(str(exc)) from exc
    if not yes:
        if not sys.stdin.isatty():
            raise _fail(
                _(
                    "erasing cannot be undone and nobody can confirm it here (no terminal); "
                    "add --yes to erase %(email)s",
                    email=email,
                ),
                1,
            )
        question = _(
            "Erase %(name)s (%(email)s) everywhere? This cannot be undone.",
            name=name,
            email=email,
        )
        if not typer.confirm(question, default=False):
            raise _fail(_("nothing erased"), 1)
    result = erase(ctx, email, choice)
    table = Table(title=_("Erased: person %(id)s", id=result.person_id))
    table.add_column(pgettext("erasure column", "table"))
    table.add_column(pgettext("erasure column", "records"), justify="right")
    for name_, n in sorted(result.counts.items()):
        table.add_row(name_, str(n))
    console.print(table)
    if result.blocks_marked:
        console.print(
            _(
                "Building blocks marked (the next report neither names nor quotes them): "
                "%(blocks)s",
                blocks=", ".join(str(b) for b in result.blocks_marked),
            )
        )
    for folder in result.reports_rewritten:
        console.print(_("Report written again: %(folder)s", folder=escape(folder)))


@privacy_app.command(
    "retention",
    help=_(
        "Show each round's retention period, and remove the personal data of rounds whose "
        "period has ended (the service does this by itself)."
    ),
)
def retention(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help=_("Only show what would be removed"))
    ] = False,
    now: Annotated[
        str | None,
        typer.Option("--now", metavar=_("DATE"), help=_("Act as if it were this moment")),
    ] = None,
) -> None:
    from consult.app import retention as use_case
    from consult.app.context import current
    from consult.cli_audit import parse_since

    moment = datetime.now(UTC)
    if now is not None:
        try:
            moment = parse_since(now)
        except ValueError as exc:
            raise _fail(
                _("--now expects a date such as 2027-01-15, not '%(value)s'", value=now), 2
            ) from exc
    ctx = current()
    with ctx.db.unit_of_work() as session:
        plans = use_case.plans(session, ctx.settings.privacy.retention_months, moment)
    if not plans:
        console.print(_("No rounds hold personal data."))
        return
    table = Table(title=_("Retention of personal data per round"))
    for column in (
        pgettext("retention column", "round"),
        pgettext("retention column", "months"),
        pgettext("retention column", "removed on"),
        pgettext("retention column", "due"),
        pgettext("retention column", "what goes"),
    ):
        table.add_column(column)
    for plan in plans:
        table.add_row(
            escape(plan.slug),
            str(plan.months),
            plan.ends.astimezone(AMSTERDAM).strftime("%Y-%m-%d"),
            _("yes") if plan.due else _("no"),
            escape(use_case.describe(plan.counts)),
        )
    console.print(table)
    due = [p for p in plans if p.due]
    if dry_run or not due:
        if dry_run and due:
            err.print(_("Dry run: nothing removed."))
        return
    done = use_case.apply_due(ctx, moment)
    for applied in done:
        console.print(_("Personal data of round %(round)s removed.", round=escape(applied.slug)))

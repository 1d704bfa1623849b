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
from consult.i18n import AMSTERDAM, ngettext, pgettext
from consult.i18n import gettext as _
from consult.settings import load_settings
from models import ReplyOutcome

replies_app = typer.Typer(
    help=_(
        "Invitees' calendar replies (iTIP REPLY) from the secretariat's mailbox: fetch and apply "
        "them, and review the replies set aside."
    ),
    no_args_is_help=True,
)


def outcome_label(outcome: str) -> str:
    labels: dict[str, str] = {
        ReplyOutcome.APPLIED: pgettext("reply outcome", "applied"),
        ReplyOutcome.SET_ASIDE: pgettext("reply outcome", "set aside"),
        ReplyOutcome.RESOLVED: pgettext("reply outcome", "resolved"),
    }
    return labels.get(outcome, outcome)


@replies_app.command(
    "poll",
    help=_("Read the new messages in the mailbox once and process the calendar replies."),
)
def poll() -> None:
    from consult.app import replies
    from consult.app.context import current
    from consult.events import configured_emitter
    from consult.rounds.reply_poller import MailboxError

    settings = load_settings()
    if settings.imap is None:
        raise _fail(
            _(
                "there is no mailbox configured: fill in [imap] in the configuration file "
                "(see config/consult.example.toml) or set CONSULT_IMAP__HOST, "
                "CONSULT_IMAP__USERNAME and CONSULT_IMAP__PASSWORD"
            ),
            2,
        )
    try:
        counts = replies.poll(current(), settings.imap, datetime.now(UTC), configured_emitter())
    except MailboxError as exc:
        raise _fail(str(exc)) from exc
    console.print(
        ngettext(
            "%(num)s new message: %(applied)s applied, %(set_aside)s set aside, %(duplicates)s "
            "processed before, %(failed)s failed.",
            "%(num)s new messages: %(applied)s applied, %(set_aside)s set aside, %(duplicates)s "
            "processed before, %(failed)s failed.",
            counts.messages,
            applied=counts.applied,
            set_aside=counts.set_aside,
            duplicates=counts.duplicates,
            failed=counts.failed,
        )
    )
    if counts.set_aside:
        console.print(_("Review the replies set aside with %(command)s.", command=REVIEW_COMMAND))
    if counts.failed:
        for error in counts.errors:
            err.print(f"[red]•[/] {escape(error)}")
        raise typer.Exit(1)


REVIEW_COMMAND = "[bold]consult replies review[/]"


@replies_app.command(
    "review",
    help=_("Show the calendar replies set aside (with --all: every one), or resolve one."),
)
def review(
    show_all: Annotated[
        bool, typer.Option("--all", help=_("Also the replies applied and resolved"))
    ] = False,
    resolve_id: Annotated[
        int | None,
        typer.Option("--resolve", metavar="ID", help=_("Mark this reply set aside as resolved")),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            metavar=_("NAME"),
            envvar=ACTOR_ENV,
            show_envvar=True,
            help=_("Who resolves the reply; without --by and CONSULT_ACTOR: the login name."),
        ),
    ] = None,
) -> None:
    from consult.app.context import current
    from consult.rounds.calendar_replies import ReviewError, replies_for_review, resolve

    with current().db.unit_of_work() as session:
        if resolve_id is not None:
            try:
                row = resolve(session, resolve_id, _actor(by), datetime.now(UTC))
            except ReviewError as exc:
                raise _fail(str(exc)) from exc
            console.print(_("Calendar reply %(id)s resolved.", id=row.id))
            return
        rows = replies_for_review(session, include_all=show_all)
        if not rows:
            console.print(
                _("No calendar replies.") if show_all else _("No calendar replies set aside.")
            )
            return
        if show_all:
            title = _("Calendar replies (%(count)s)", count=len(rows))
        else:
            title = _("Calendar replies set aside (%(count)s)", count=len(rows))
        table = Table(title=title)
        table.add_column(pgettext("replies column", "id"), justify="right")
        table.add_column(pgettext("replies column", "received"))
        table.add_column(pgettext("replies column", "sender"))
        table.add_column(pgettext("replies column", "attendee"))
        # The names of the iCalendar properties shown, in any language.
        table.add_column("UID")
        table.add_column("SEQ", justify="right")
        table.add_column("PARTSTAT")
        if show_all:
            table.add_column(pgettext("replies column", "outcome"))
        table.add_column(pgettext("replies column", "reason"))
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
                cells.append(outcome_label(row.outcome))
            cells.append(escape(row.reason or "—"))
            table.add_row(*cells)
        console.print(table)


def _actor(by: str | None) -> str:
    return actor(by, _("resolves the reply"))

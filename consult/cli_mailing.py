"""`consult mailing ...`: a round's mailings, and approving one so that it leaves. Thin: find
the round, call consult.app.mailings, show the result."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from consult.cli_common import RoundArg, command_actor, console
from consult.cli_common import fail as _fail
from consult.i18n import AMSTERDAM, pgettext
from consult.i18n import gettext as _

if TYPE_CHECKING:
    from consult.app.mailings import Mailing

mailing_app = typer.Typer(
    help=_(
        "A round's mailings (invitations, reminders, calendar invitations, requests for input): "
        "each waits in the outbox until it is approved."
    ),
    no_args_is_help=True,
)


@mailing_app.callback()
def _group() -> None:
    # A group with one command would otherwise become that command.
    pass


def _when(moment: datetime) -> str:
    return moment.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M")


@mailing_app.command("list", help=_("Show a round's mailings: waiting, sent, approved by whom."))
def list_mailings(round_slug: RoundArg) -> None:
    from consult.app.context import current
    from consult.app.mailings import round_mailings
    from consult.app.status import UnknownRound, find_round

    ctx = current()
    try:
        with ctx.db.unit_of_work() as session:
            found = round_mailings(
                session, find_round(session, round_slug).id, ctx.settings.mail.require_approval
            )
    except UnknownRound as exc:
        raise _fail(str(exc)) from exc
    assert found is not None
    table = Table(title=_("Mailings of %(round)s", round=escape(found.name)))
    table.add_column(pgettext("mailing column", "mailing"))
    table.add_column(pgettext("mailing column", "kind"))
    table.add_column(pgettext("mailing column", "waiting"), justify="right")
    table.add_column(pgettext("mailing column", "recipients"), justify="right")
    table.add_column(pgettext("mailing column", "sent"), justify="right")
    table.add_column(pgettext("mailing column", "state"))
    for m in found.mailings:
        table.add_row(
            escape(m.label),
            m.kind.value,
            str(m.waiting),
            str(m.recipients),
            str(m.sent),
            escape(_state(m)),
        )
    console.print(table)
    if not found.required:
        console.print(_("This round's mailings need no approval: they leave at once."))
    elif found.held:
        console.print(
            _(
                "Approve a mailing with: consult mailing approve %(round)s KIND",
                round=found.slug,
            )
        )


def _state(m: Mailing) -> str:
    if m.approval is not None:
        return _("approved by %(who)s on %(when)s", who=m.approval.by, when=_when(m.approval.at))
    if not m.required:
        return _("no approval needed")
    if m.held:
        return _("held: waiting for approval")
    return _("nothing waiting")


@mailing_app.command(
    "approve",
    help=_(
        "Approve a round's mailing (KIND: invitation, reminder, calendar_request, "
        "input_request): its messages go with the next sending."
    ),
)
def approve(
    round_slug: RoundArg,
    kind: Annotated[
        str,
        typer.Argument(
            metavar=_("KIND"),
            help=_("invitation, reminder, calendar_request or input_request"),
        ),
    ],
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            metavar="EMAIL",
            help=_("Who approves (default: CONSULT_ACTOR or the login name)"),
        ),
    ] = None,
) -> None:
    from consult.actors import acting_as
    from consult.app import mailings
    from consult.app.context import current
    from consult.app.status import UnknownRound, find_round, kind_label

    ctx = current()
    who = (by or command_actor()).strip()
    if not who:
        raise _fail(_("--by: say who approves"), 2)
    try:
        chosen = mailings.mailing_kind(kind)
        with acting_as(who), ctx.db.unit_of_work() as session:
            round_id = find_round(session, round_slug).id
            done = mailings.approve(session, round_id, chosen, who)
    except (UnknownRound, mailings.UnknownMailing, mailings.NothingWaiting) as exc:
        raise _fail(str(exc)) from exc
    label = kind_label(chosen)
    if done.new:
        console.print(
            _(
                "Approved: %(mailing)s of %(round)s (%(num)s messages waiting), by %(who)s. "
                "They go with the next sending (consult outbox send, or by itself through "
                "consult serve).",
                mailing=escape(label),
                round=escape(round_slug),
                num=done.approval.waiting,
                who=escape(done.approval.by),
            )
        )
    else:
        console.print(
            _(
                "%(mailing)s of %(round)s was already approved by %(who)s on %(when)s.",
                mailing=escape(label),
                round=escape(round_slug),
                who=escape(done.approval.by),
                when=_when(done.approval.at),
            )
        )

"""What every command module shares: the language, the consoles, failing with a clear message,
and who is acting."""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from consult.i18n import gettext as _
from consult.i18n import set_language

if TYPE_CHECKING:
    from consult.app.context import AppContext
    from consult.mail.outbox import SendCounts

# Settings.default_language. Read here, before any help text is translated (they are when the
# command modules load), and from the environment alone: loading the settings would slow down
# `consult --help`.
LANGUAGE_ENV = "CONSULT_DEFAULT_LANGUAGE"
set_language(os.environ.get(LANGUAGE_ENV))

console = Console()
err = Console(stderr=True)

ACTOR_ENV = "CONSULT_ACTOR"

RoundArg = Annotated[str, typer.Argument(metavar=_("ROUND"), help=_("Slug of the round"))]


def fail(message: str, code: int = 1) -> typer.Exit:
    # Messages quote user data (names, titles, addresses such as "jan[at]zorg.nl", server
    # answers); rich would read "[...]" in them as markup and silently drop it.
    err.print("[bold red]" + _("Error:") + "[/] " + escape(message))
    return typer.Exit(code)


def actor(by: str | None, doing: str) -> str:
    """Who does this: --by (or CONSULT_ACTOR), else the login name."""
    if by is not None:
        return by
    try:
        return getpass.getuser()
    except (OSError, KeyError) as exc:  # no login name in this environment (some containers)
        raise fail(_("say with --by NAME who %(doing)s", doing=doing), 2) from exc


def command_actor() -> str:
    """Who runs this command, for the audit log: CONSULT_ACTOR, else the login name."""
    named = os.environ.get(ACTOR_ENV, "").strip()
    if named:
        return named
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in this environment (some containers)
        return "cli"


def show_mailing(ctx: AppContext, what: str, queued: int, counts: SendCounts) -> None:
    """How a mailing went; a relay that could not be reached ends the command (exit 1) with
    what stays queued."""
    from consult.app.outbox import held_message, unreachable_message

    console.print(
        _(
            "%(what)s: %(queued)s queued, %(sent)s sent, %(failed)s failed, %(later)s to retry "
            "later.",
            what=what,
            queued=queued,
            sent=counts.sent,
            failed=counts.failed,
            later=counts.retry_later,
        )
    )
    held = held_message(counts)
    if held is not None:
        console.print(held)
    problem = unreachable_message(ctx, counts)
    if problem is not None:
        raise fail(problem)


@contextmanager
def working(what: str) -> Iterator[None]:
    """A spinner with the time elapsed while something slow runs (on stderr, gone when done)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        progress.add_task(what, total=None)
        yield

"""`consult users ...`: accounts of the workplace. Thin: parse the arguments, open a unit of
work, call consult.app.accounts, show the result.

A password is asked for with a hidden prompt when the command runs in a terminal (empty: make
one); otherwise one is made and shown once. The TOTP secret is shown once too. Neither is ever
stored in clear or logged.

Exit codes: 1 when the change is refused (unknown or existing account, weak password, unknown
region), 2 when the command is used wrongly.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from consult.accounts.roles import role_label
from consult.cli_common import console
from consult.cli_common import fail as _fail
from consult.i18n import AMSTERDAM, pgettext
from consult.i18n import gettext as _
from consult.wiring import App
from models import Role

users_app = typer.Typer(
    help=_(
        "Accounts of the workplace (/werkplek): add, list, disable, reset. Every account signs "
        "in with a password and a code from an authenticator app."
    ),
    no_args_is_help=True,
)

EmailArg = Annotated[str, typer.Argument(metavar=_("EMAIL"), help=_("The account's address"))]


@contextmanager
def _accounts() -> Iterator[tuple[App, Session]]:
    from consult.app.accounts import AccountError
    from consult.app.context import current

    app = current()
    with app.db.unit_of_work() as session:
        try:
            yield app, session
        except AccountError as exc:
            raise _fail(str(exc), 1) from exc


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _ask_password() -> str | None:
    """A password typed (hidden, twice) in a terminal; None: make one."""
    if not stdin_is_terminal():
        return None
    typed: str = typer.prompt(
        _("Password (leave empty to have one made)"),
        default="",
        show_default=False,
        hide_input=True,
        confirmation_prompt=_("Repeat the password"),
    )
    return typed or None


def _show_credentials(password: str | None, totp_secret: str | None, totp_uri: str | None) -> None:
    if password is not None:
        console.print(
            _("One-time password (pass it on in person or by phone; it is shown only now):")
        )
        console.print(f"  [bold]{escape(password)}[/]")
    if totp_secret is not None and totp_uri is not None:
        console.print(
            _(
                "Second factor: add this key to an authenticator app (shown only now), or open "
                "the address as a QR code:"
            )
        )
        secret = "[bold]" + escape(totp_secret) + "[/]"
        console.print("  " + _("key: %(key)s", key=secret))
        console.print(f"  {escape(totp_uri)}", soft_wrap=True)


@users_app.command("add", help=_("Add an account with a role."))
def add(
    email: EmailArg,
    role: Annotated[Role, typer.Option("--role", help=_("What the account may do"))],
    name: Annotated[
        str | None, typer.Option("--name", help=_("Name shown in the workplace"))
    ] = None,
    region: Annotated[
        list[str] | None,
        typer.Option(
            "--region",
            metavar=_("REGION"),
            help=_("A region of a regional coordinator (repeat for more)"),
        ),
    ] = None,
) -> None:
    from consult.app.accounts import add_account

    password = _ask_password()
    with _accounts() as (app, session):
        made = add_account(
            session, app, email, role, name=name, regions=region or (), password=password
        )
    console.print(
        _("Account added: %(email)s (%(role)s).", email=escape(made.email), role=role_label(role))
    )
    _show_credentials(made.password, made.totp_secret, made.totp_uri)


@users_app.command("list", help=_("Show every account."))
def list_users() -> None:
    from consult.app.accounts import list_accounts

    with _accounts() as (_app, session):
        rows = list_accounts(session)
    if not rows:
        console.print(_("There are no accounts yet. Add one with `consult users add`."))
        return
    table = Table(title=_("Accounts of the workplace"))
    for column in (
        pgettext("users column", "email"),
        pgettext("users column", "name"),
        pgettext("users column", "role"),
        pgettext("users column", "regions"),
        pgettext("users column", "state"),
        pgettext("users column", "last signed in"),
    ):
        table.add_column(column)
    for row in rows:
        if not row.active:
            state = _("disabled")
        elif row.locked_until is not None:
            until = row.locked_until.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M")
            state = _("active (blocked until %(time)s after failed attempts)", time=until)
        else:
            state = _("active")
        seen = row.last_sign_in_at
        table.add_row(
            escape(row.email),
            escape(row.name),
            role_label(row.role),
            escape(", ".join(row.regions)) or "—",
            state,
            seen.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M") if seen else "—",
        )
    console.print(table)


@users_app.command(
    "disable", help=_("Disable an account: it can no longer sign in, its sessions end.")
)
def disable(email: EmailArg) -> None:
    from consult.app.accounts import disable_account

    with _accounts() as (_app, session):
        changed = disable_account(session, email)
    if changed:
        console.print(_("Account disabled: %(email)s.", email=escape(email.strip().lower())))
    else:
        console.print(
            _("Account %(email)s was already disabled.", email=escape(email.strip().lower()))
        )


@users_app.command(
    "reset",
    help=_(
        "Give an account a new password (and with --totp a new second factor); it is enabled and "
        "unblocked again, its sessions end."
    ),
)
def reset(
    email: EmailArg,
    new_totp: Annotated[
        bool, typer.Option("--totp", help=_("Also a new key for the authenticator app"))
    ] = False,
) -> None:
    from consult.app.accounts import reset_account

    password = _ask_password()
    with _accounts() as (app, session):
        made = reset_account(session, app, email, new_totp=new_totp, password=password)
    console.print(_("Account reset: %(email)s.", email=escape(made.email)))
    _show_credentials(made.password, made.totp_secret, made.totp_uri)

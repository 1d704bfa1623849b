"""Workplace accounts and signing in: add, list, disable and reset accounts; sign in with a
password and then a TOTP code; server-side sessions that end after inactivity, after a
maximum age and on signing out; password-reset links by email.

Every refusal to sign in says the same thing, whatever the reason (no such account, a wrong
password or code, a disabled or locked account): the page must not tell anyone which
addresses have an account.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from consult.accounts import passwords, totp
from consult.accounts.policy import (
    SECOND_FACTOR_WITHIN,
    SignInPolicy,
    after_failure,
    locked,
    session_alive,
)
from consult.app import audit
from consult.i18n import gettext as _
from consult.i18n import normalise
from consult.mail.outbox import Recipient, enqueue
from consult.registry.store import sync_reference_data
from consult.templating import render_email
from consult.tokens import hash_token, new_token, seal_link
from consult.wiring import App
from models import (
    Account,
    AccountSession,
    OutboxKind,
    PasswordResetToken,
    Region,
    Role,
)

# The path of the page a reset link opens; the token follows it.
RESET_PATH = "/werkplek/wachtwoord/"
# Only look again at a session's last request time after this long: a page view then costs no
# write, and inactivity is measured to the minute.
TOUCH_AFTER = timedelta(seconds=60)


class AccountError(ValueError):
    """The account cannot be added or changed; the message says why, in the current language,
    and `field` which input it is about (email, password or regions)."""

    def __init__(self, message: str, field: str = "email") -> None:
        super().__init__(message)
        self.field = field


class ResetRefused(ValueError):
    """A password-reset link cannot be used; the message says why, in the current language."""


def policy(app: App) -> SignInPolicy:
    return SignInPolicy.from_settings(app.settings.workplace)


def normalised_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise AccountError(
            _("invalid email address '%(address)s': %(reason)s", address=email.strip(), reason=exc)
        ) from exc


def _find(session: Session, email: str) -> Account | None:
    return session.scalar(select(Account).where(Account.email == email.strip().lower()))


def find_account(session: Session, email: str) -> Account:
    account = _find(session, email)
    if account is None:
        raise AccountError(_("there is no account for %(address)s", address=email.strip()))
    return account


# --------------------------------------------------------------------------------------------
# Managing accounts


@dataclass(frozen=True)
class Credentials:
    """What a new or reset account's holder needs, shown once and never stored in clear.
    `password` is None when the caller chose it; the TOTP fields are None when the second
    factor stays as it was."""

    email: str
    password: str | None
    totp_secret: str | None
    totp_uri: str | None


def _regions(session: Session, app: App, role: Role, names: Sequence[str]) -> list[Region]:
    if role != Role.REGIOCOORDINATOR:
        if names:
            raise AccountError(_("only a regional coordinator has regions"), "regions")
        return []
    if not names:
        raise AccountError(_("a regional coordinator needs at least one region"), "regions")
    sync_reference_data(session, app.taxonomy)
    known = {r.name.lower(): r for r in session.scalars(select(Region))}
    unknown = [n for n in names if n.strip().lower() not in known]
    if unknown:
        raise AccountError(
            _(
                "unknown region %(regions)s (known regions: %(known)s)",
                regions=", ".join(unknown),
                known=", ".join(sorted(r.name for r in known.values())),
            ),
            "regions",
        )
    return list({known[n.strip().lower()].id: known[n.strip().lower()] for n in names}.values())


def _password(password: str | None, email: str, app: App) -> tuple[str, str | None]:
    """The password to hash, and the one to show (None when the caller chose it)."""
    if password is None:
        generated = passwords.generate_password()
        return generated, generated
    problem = passwords.password_problem(password, email, policy(app).min_password_length)
    if problem is not None:
        raise AccountError(problem, "password")
    return password, None


def add_account(
    session: Session,
    app: App,
    email: str,
    role: Role,
    *,
    name: str | None = None,
    regions: Sequence[str] = (),
    password: str | None = None,
    language: str = "nl",
) -> Credentials:
    """A new account with a password (generated unless given) and a TOTP secret: every role
    can send mail in the secretariat's name or see personal data, so every account signs in
    with a second factor."""
    address = normalised_email(email)
    if _find(session, address) is not None:
        raise AccountError(_("there is already an account for %(address)s", address=address))
    chosen, shown = _password(password, address, app)
    secret = totp.new_secret()
    account = Account(
        email=address,
        display_name=(name or "").strip() or address.partition("@")[0],
        role=role,
        password_hash=passwords.hash_password(chosen),
        totp_secret_sealed=app.totp_sealer.seal(secret),
        language=normalise(language),
        regions=_regions(session, app, role, regions),
    )
    session.add(account)
    session.flush()
    audit.account_changed(
        session, audit.Action.ACCOUNT_ADDED, account.id, email=address, role=role.value
    )
    return Credentials(address, shown, secret, totp.provisioning_uri(secret, address))


@dataclass(frozen=True)
class AccountRow:
    id: int
    email: str
    name: str
    role: Role
    regions: tuple[str, ...]
    active: bool
    locked_until: datetime | None
    last_sign_in_at: datetime | None


def _row(a: Account) -> AccountRow:
    return AccountRow(
        a.id,
        a.email,
        a.display_name,
        a.role,
        tuple(r.name for r in a.regions),
        a.active,
        a.locked_until,
        a.last_sign_in_at,
    )


def list_accounts(session: Session) -> list[AccountRow]:
    return [_row(a) for a in session.scalars(select(Account).order_by(Account.email))]


def account_details(session: Session, account_id: int) -> AccountRow:
    return _row(session.get_one(Account, account_id))


def _end_sessions(session: Session, account_id: int) -> None:
    session.execute(delete(AccountSession).where(AccountSession.account_id == account_id))


def disable_account(session: Session, email: str) -> bool:
    """Switch the account off and end its sessions; False when it was off already. The account
    stays on record (who did what refers to it)."""
    account = find_account(session, email)
    _end_sessions(session, account.id)
    if not account.active:
        return False
    account.active = False
    audit.account_changed(session, audit.Action.ACCOUNT_DISABLED, account.id, email=account.email)
    return True


def disable_account_by_id(session: Session, account_id: int, by_account_id: int) -> bool:
    """As `disable_account`, for the administrators' page; nobody switches themselves off (a
    last administrator would lock everyone out of the account pages)."""
    if account_id == by_account_id:
        raise AccountError(_("you cannot disable your own account"))
    account = session.get(Account, account_id)
    if account is None:
        raise AccountError(_("there is no such account"))
    return disable_account(session, account.email)


def reset_account(
    session: Session, app: App, email: str, *, new_totp: bool = False, password: str | None = None
) -> Credentials:
    """A new password (generated unless given) and, with `new_totp`, a new TOTP secret; the
    account is switched on and unlocked, and every session of it ends."""
    account = find_account(session, email)
    chosen, shown = _password(password, account.email, app)
    account.password_hash = passwords.hash_password(chosen)
    account.active = True
    account.failed_attempts = 0
    account.locked_until = None
    secret = uri = None
    if new_totp:
        secret = totp.new_secret()
        uri = totp.provisioning_uri(secret, account.email)
        account.totp_secret_sealed = app.totp_sealer.seal(secret)
        account.totp_last_step = None
    _end_sessions(session, account.id)
    audit.account_changed(
        session, audit.Action.ACCOUNT_RESET, account.id, email=account.email, new_totp=new_totp
    )
    return Credentials(account.email, shown, secret, uri)


# --------------------------------------------------------------------------------------------
# Signing in


def _fail(account: Account, now: datetime, rules: SignInPolicy) -> None:
    result = after_failure(account.failed_attempts, account.locked_until, now, rules)
    account.failed_attempts = result.failed_attempts
    account.locked_until = result.locked_until


def _refusal(account: Account | None, right: bool, now: datetime) -> str | None:
    """Why signing in with a password is refused (for the audit log), or None."""
    if account is None:
        return "unknown"
    if locked(account.locked_until, now):
        return "locked"
    if not account.active:
        return "disabled"
    return None if right else "wrong_password"


def _new_session(
    session: Session, account: Account, now: datetime, expires_at: datetime, complete: bool
) -> str:
    token = new_token()
    session.add(
        AccountSession(
            token_hash=hash_token(token),
            account_id=account.id,
            csrf_token=new_token(),
            created_at=now,
            last_seen_at=now,
            expires_at=expires_at,
            second_factor_at=now if complete else None,
        )
    )
    return token


def sign_in_password(
    session: Session, app: App, email: str, password: str, now: datetime
) -> str | None:
    """Step 1: the password. Returns the token of a session that opens the code page only, or
    None when signing in is refused: a wrong password (counted towards the lockout), or an
    account that is locked (even with the right password), switched off or not there at all.
    The caller commits a refusal too, for its count."""
    rules = policy(app)
    end_expired_sessions(session, app, now)
    account = _find(session, email)
    # The password is checked in every case, so the time a refusal takes does not tell whether
    # the account exists or is locked either.
    known = account.password_hash if account is not None else passwords.unknown_account_hash()
    right = passwords.verify_password(known, password)
    refusal = _refusal(account, right, now)
    if refusal is not None:
        audit.sign_in_failed(session, email, refusal, account.id if account else None)
        if account is not None and refusal == "wrong_password":
            _fail(account, now, rules)
        return None
    assert account is not None
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.hash_password(password)
    return _new_session(session, account, now, now + SECOND_FACTOR_WITHIN, complete=False)


def _session_row(session: Session, token: str) -> AccountSession | None:
    if not token:
        return None
    return session.scalar(
        select(AccountSession).where(AccountSession.token_hash == hash_token(token))
    )


def sign_in_code(
    session: Session, app: App, pending_token: str, code: str, now: datetime
) -> str | None:
    """Step 2: the TOTP code, in the session step 1 opened. Returns the token of a new, full
    session (a new token: whoever might have seen the first one gains nothing); the first one
    ends. None when refused: a wrong or used code (counted towards the lockout; the lockout
    ends the half-open session), or a session that is not waiting for a code."""
    rules = policy(app)
    pending = _session_row(session, pending_token)
    if pending is None or pending.second_factor_at is not None or now >= pending.expires_at:
        return None
    account = pending.account
    if locked(account.locked_until, now) or not account.active:
        reason = "locked" if account.active else "disabled"
        audit.sign_in_failed(session, account.email, reason, account.id)
        session.delete(pending)
        return None
    secret = app.totp_sealer.unseal(account.totp_secret_sealed)
    step = totp.accepted_step(secret, code, now, account.totp_last_step)
    if step is None:
        audit.sign_in_failed(session, account.email, "wrong_code", account.id)
        _fail(account, now, rules)
        if locked(account.locked_until, now):
            session.delete(pending)
        return None
    session.delete(pending)
    account.totp_last_step = step
    account.failed_attempts = 0
    account.locked_until = None
    account.last_sign_in_at = now
    audit.sign_in(session, account.id, account.email, second_factor=True)
    return _new_session(session, account, now, now + rules.max_age, complete=True)


@dataclass(frozen=True)
class Visitor:
    """Who a session belongs to, as a page needs it."""

    session_id: int
    account_id: int
    email: str
    name: str
    role: Role
    language: str
    csrf_token: str
    # Only the password was checked: the code page is all this session opens.
    pending: bool
    # The last request was long enough ago to be written down again (`touch`).
    stale: bool


def visitor(session: Session, app: App, token: str, now: datetime) -> Visitor | None:
    """The live session behind `token`, or None (no such session, ended, or its account
    switched off). Reads only: a page view does not write, except through `touch`."""
    row = _session_row(session, token)
    if row is None:
        return None
    account = row.account
    pending = row.second_factor_at is None
    if pending:
        alive = now < row.expires_at
    else:
        alive = session_alive(row.last_seen_at, row.expires_at, now, policy(app).idle)
    if not alive or not account.active:
        return None
    return Visitor(
        session_id=row.id,
        account_id=account.id,
        email=account.email,
        name=account.display_name,
        role=account.role,
        language=account.language,
        csrf_token=row.csrf_token,
        pending=pending,
        stale=now - row.last_seen_at >= TOUCH_AFTER,
    )


def touch(session: Session, session_id: int, now: datetime) -> None:
    """Note a request in the session, which keeps it alive for another idle period."""
    session.execute(
        update(AccountSession)
        .where(AccountSession.id == session_id, AccountSession.last_seen_at < now)
        .values(last_seen_at=now)
    )


def sign_out(session: Session, token: str) -> None:
    session.execute(delete(AccountSession).where(AccountSession.token_hash == hash_token(token)))


def end_expired_sessions(session: Session, app: App, now: datetime) -> int:
    """Remove sessions that can no longer be used; returns how many."""
    idle_since = now - policy(app).idle
    result = session.execute(
        delete(AccountSession).where(
            (AccountSession.expires_at <= now)
            | (
                AccountSession.second_factor_at.is_not(None)
                & (AccountSession.last_seen_at <= idle_since)
            )
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def set_language(session: Session, account_id: int, language: str) -> None:
    """The language the account's pages and emails speak."""
    account = session.get_one(Account, account_id)
    account.language = normalise(language)


# --------------------------------------------------------------------------------------------
# Password reset by email


def request_password_reset(session: Session, app: App, email: str, now: datetime) -> bool:
    """Email a link to set a new password, if an active account has this address and it has
    not asked too often this hour. Returns whether a mail was queued; the page says the same
    either way."""
    rules = policy(app)
    account = _find(session, email)
    if account is None or not account.active:
        return False
    asked = session.scalar(
        select(func.count(PasswordResetToken.id)).where(
            PasswordResetToken.account_id == account.id,
            PasswordResetToken.created_at > now - timedelta(hours=1),
        )
    )
    if (asked or 0) >= rules.resets_per_hour:
        return False
    token = new_token()
    row = PasswordResetToken(
        token_hash=hash_token(token),
        account_id=account.id,
        created_at=now,
        expires_at=now + rules.reset_link,
    )
    session.add(row)
    session.flush()
    ctx = app.mail_context()
    minutes = int(rules.reset_link.total_seconds() // 60)
    rendered = render_email(
        ctx.env,
        "password_reset",
        account.language,
        {
            "person_name": account.display_name,
            "reset_url": f"{ctx.base_url}{RESET_PATH}{seal_link(session, ctx.sealer, token)}",
            "valid_minutes": minutes,
            "organiser_name": ctx.organiser_name,
        },
    )
    return enqueue(
        session,
        key=f"password_reset:{row.id}",
        kind=OutboxKind.PASSWORD_RESET,
        recipient=Recipient(account.email, account.display_name),
        rendered=rendered,
        domain=ctx.domain,
        round_id=None,
    )


def reset_link_unusable() -> str:
    """What a reset link that cannot be used says, whatever the reason."""
    return _(
        "This link does not work (any more). A link works once, for a limited time. "
        "Ask for a new one."
    )


def _reset_row(session: Session, token: str, now: datetime) -> PasswordResetToken:
    row = session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == hash_token(token))
    )
    if row is None or row.used_at is not None or now >= row.expires_at:
        raise ResetRefused(reset_link_unusable())
    return row


def check_reset_link(session: Session, token: str, now: datetime) -> None:
    """Raises ResetRefused when the link cannot be used; changes nothing."""
    _reset_row(session, token, now)


def reset_password(session: Session, app: App, token: str, password: str, now: datetime) -> None:
    """Set the password through a reset link. The link, and every other open link of the
    account, stops working; the account is unlocked and its sessions end. The second factor
    stays: signing in still asks for the code."""
    row = _reset_row(session, token, now)
    account = session.get_one(Account, row.account_id)
    problem = passwords.password_problem(password, account.email, policy(app).min_password_length)
    if problem is not None:
        raise AccountError(problem, "password")
    account.password_hash = passwords.hash_password(password)
    account.failed_attempts = 0
    account.locked_until = None
    session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.account_id == account.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    _end_sessions(session, account.id)

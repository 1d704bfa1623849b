"""One pass over the secretariat's IMAP mailbox: read each new mail, apply or set aside the
calendar answers in it (consult.rounds.calendar_replies), then mark it handled on the server.

Safe to run again at any time, also after a crash:

- a handled mail gets the keyword $ConsultProcessed (and is moved to `processed_folder` when one
  is set); each pass asks the server only for mail without that keyword (UID SEARCH);
- the database commits before the mail is marked, and every answer is recorded under its
  Message-ID (unique), so a mail that was applied but not yet marked when the poller died is
  recognised on the next pass, marked, and not applied again;
- a mail that cannot be read is recorded as set aside ("onleesbaar bericht") and marked; any
  other error with one mail is logged and the pass goes on with the next (that mail is tried
  again next pass).

Mail that holds no calendar answer at all (a person writing to the secretariat) is recorded for
review and given the keyword only: it stays where it is and stays unread, for a person to read.
"""

from __future__ import annotations

import imaplib
import logging
import re
import ssl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from consult.calendar.replies import ParseProblem, ParseResult, parse_message
from consult.i18n import gettext as _
from consult.rounds import calendar_replies as reply_service
from consult.rounds.calendar_replies import Handled, Handling
from consult.settings import ImapSettings, TlsMode
from models.db import Database

log = logging.getLogger(__name__)

PROCESSED_KEYWORD = "$ConsultProcessed"

Connect = Callable[[ImapSettings], imaplib.IMAP4]
OnApplied = Callable[[list[int]], None]


class MailboxError(RuntimeError):
    """The mailbox could not be reached or used; nothing was marked."""


@dataclass
class PollCounts:
    messages: int = 0  # new mails read in this pass
    applied: int = 0
    set_aside: int = 0
    duplicates: int = 0  # handled before (e.g. by a pass that died before marking the mail)
    failed: int = 0  # an error; the mail stays unmarked and is tried again next pass
    errors: list[str] = field(default_factory=list)


def connect(imap: ImapSettings) -> imaplib.IMAP4:
    context = ssl.create_default_context()
    client: imaplib.IMAP4
    if imap.tls == TlsMode.IMPLICIT:
        client = imaplib.IMAP4_SSL(
            imap.host, imap.port, ssl_context=context, timeout=imap.timeout_s
        )
    else:
        client = imaplib.IMAP4(imap.host, imap.port, timeout=imap.timeout_s)
        if imap.tls == TlsMode.STARTTLS:
            client.starttls(ssl_context=context)
    return client


def poll_once(
    db: Database,
    imap: ImapSettings,
    now: datetime,
    *,
    connector: Connect = connect,
    on_applied: OnApplied | None = None,
) -> PollCounts:
    """Read new replies and apply the valid ones. `on_applied` is told the ids of the replies
    applied from each mail, after their commit (the application signals the ones that change
    the seating)."""
    counts = PollCounts()
    with _session(imap, connector) as client:
        _select(client, imap.folder)
        if imap.processed_folder:
            _ensure_folder(client, imap.processed_folder)
        for uid in _new_uids(client):
            counts.messages += 1
            try:
                _handle_one(db, client, imap, uid, now, counts, on_applied)
            except (imaplib.IMAP4.abort, OSError):
                raise  # the connection is gone: no later mail can be read either
            except Exception as exc:  # one mail must never stop the others
                log.exception("agenda-antwoord UID %s: verwerken mislukt", uid)
                counts.failed += 1
                counts.errors.append(f"UID {uid}: {exc}")
    return counts


def _handle_one(
    db: Database,
    client: imaplib.IMAP4,
    imap: ImapSettings,
    uid: str,
    now: datetime,
    counts: PollCounts,
    on_applied: OnApplied | None,
) -> None:
    raw, internal_date = _fetch(client, uid)
    result = parse_message(raw)
    outcomes = _record(db, result, uid, internal_date or now, now)
    applied = [o.reply_id for o in outcomes if o.handling == Handling.APPLIED and o.reply_id]
    if on_applied is not None and applied:
        on_applied(applied)
    for outcome in outcomes:
        if outcome.handling == Handling.APPLIED:
            counts.applied += 1
        elif outcome.handling == Handling.SET_ASIDE:
            counts.set_aside += 1
        else:
            counts.duplicates += 1
    # Only now, with the database committed, is the mail marked: a crash in between costs a
    # second look next pass, never a lost answer.
    for_people = isinstance(result, ParseProblem) and result.kind != "corrupt"
    _mark(client, imap, uid, leave_for_people=for_people)


def _record(
    db: Database, result: ParseResult, uid: str, received_at: datetime, now: datetime
) -> list[Handled]:
    try:
        with db.unit_of_work() as session:
            return reply_service.handle(
                session, result, now, mailbox_uid=uid, received_at=received_at
            )
    except IntegrityError:
        # Another poller recorded the same Message-ID between our check and our insert.
        keys = (
            [result.mail.message_key]
            if isinstance(result, ParseProblem)
            else [r.message_key for r in result]
        )
        with db.unit_of_work() as session:
            if all(reply_service.is_recorded(session, key) for key in keys):
                return [Handled(Handling.DUPLICATE) for _ in keys]
        raise


# --- IMAP ----------------------------------------------------------------------------------


@contextmanager
def _session(imap: ImapSettings, connector: Connect) -> Iterator[imaplib.IMAP4]:
    try:
        client = connector(imap)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(
            _(
                "IMAP server %(host)s:%(port)s not reachable: %(reason)s",
                host=imap.host,
                port=imap.port,
                reason=exc,
            )
        ) from exc
    try:
        try:
            client.login(imap.username, imap.password.get_secret_value())
        except imaplib.IMAP4.error as exc:
            raise MailboxError(
                _("logging in as %(user)s failed: %(reason)s", user=imap.username, reason=exc)
            ) from exc
        # imaplib keeps the capabilities from before login; servers announce more (MOVE,
        # UIDPLUS) once logged in, so ask again.
        status, data = client.capability()
        if status == "OK":
            client.capabilities = tuple(_text(data).upper().split())
        yield client
    finally:
        # The pass is over either way; a dead connection has nothing to close.
        with suppress(OSError, imaplib.IMAP4.error):
            client.logout()


def _quote(mailbox: str) -> str:
    # imaplib sends names as they are; a folder such as "Agenda antwoorden" needs quotes.
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(response: tuple[str, Sequence[object]], what: str) -> list[object]:
    status, data = response
    if status != "OK":
        raise MailboxError(f"{what}: {status} {_text(data)}")
    return list(data)


def _text(data: Sequence[object]) -> str:
    return " ".join(
        item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item)
        for item in data
        if item is not None
    )


def _select(client: imaplib.IMAP4, folder: str) -> None:
    try:
        _check(client.select(_quote(folder)), _("opening folder %(folder)s", folder=folder))
    except imaplib.IMAP4.error as exc:
        raise MailboxError(_("opening folder %(folder)s", folder=folder) + f": {exc}") from exc


def _ensure_folder(client: imaplib.IMAP4, folder: str) -> None:
    status, data = client.list('""', _quote(folder))
    if status == "OK" and any(item is not None for item in data):
        return
    _check(client.create(_quote(folder)), _("creating folder %(folder)s", folder=folder))


def _new_uids(client: imaplib.IMAP4) -> list[str]:
    data = _check(client.uid("SEARCH", "NOT", "KEYWORD", PROCESSED_KEYWORD), _("searching"))
    found = _text(data).split()
    return sorted(found, key=int)


_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _fetch(client: imaplib.IMAP4, uid: str) -> tuple[bytes, datetime | None]:
    # BODY.PEEK leaves \Seen alone: a mail only counts as read once it was handled.
    data = _check(
        client.uid("FETCH", uid, "(INTERNALDATE BODY.PEEK[])"), _("fetching UID %(uid)s", uid=uid)
    )
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            envelope = item[0] if isinstance(item[0], bytes) else b""
            return item[1], _internal_date(envelope)
    raise MailboxError(_("fetching UID %(uid)s: no content received", uid=uid))


def _internal_date(envelope: bytes) -> datetime | None:
    match = _INTERNALDATE.search(envelope)
    if match is None:
        return None
    try:
        # e.g. " 3-Mar-2030 09:15:00 +0100"; IMAP month names are English whatever the locale.
        day, month, rest = match.group(1).decode().strip().split("-", 2)
        year, clock, offset = rest.split()
        return datetime.strptime(
            f"{year}-{_MONTHS.index(month) + 1:02d}-{int(day):02d} {clock} {offset}",
            "%Y-%m-%d %H:%M:%S %z",
        )
    except (ValueError, UnicodeDecodeError):
        return None


def _mark(client: imaplib.IMAP4, imap: ImapSettings, uid: str, leave_for_people: bool) -> None:
    flags = f"({PROCESSED_KEYWORD})" if leave_for_people else f"({PROCESSED_KEYWORD} \\Seen)"
    _check(client.uid("STORE", uid, "+FLAGS.SILENT", flags), _("marking UID %(uid)s", uid=uid))
    if leave_for_people or not imap.processed_folder:
        return
    # The keyword is already set, so a failed move costs nothing but tidiness: log and go on.
    try:
        _move(client, uid, imap.processed_folder)
    except (MailboxError, imaplib.IMAP4.error) as exc:
        log.warning("UID %s not moved to %s: %s", uid, imap.processed_folder, exc)


def _move(client: imaplib.IMAP4, uid: str, folder: str) -> None:
    capabilities = {c.upper() for c in client.capabilities}
    if "MOVE" in capabilities:
        _check(client.uid("MOVE", uid, _quote(folder)), _("moving UID %(uid)s", uid=uid))
        return
    # RFC 3501 without MOVE: copy, flag deleted, and expunge just this one (UIDPLUS) if we can.
    _check(client.uid("COPY", uid, _quote(folder)), _("copying UID %(uid)s", uid=uid))
    _check(
        client.uid("STORE", uid, "+FLAGS.SILENT", "(\\Deleted)"), _("deleting UID %(uid)s", uid=uid)
    )
    if "UIDPLUS" in capabilities:
        _check(client.uid("EXPUNGE", uid), _("expunging UID %(uid)s", uid=uid))

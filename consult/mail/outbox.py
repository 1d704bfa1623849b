"""The outbox: enqueue in the caller's transaction; claim, send and record in short ones.

A message is written once per idempotency key. A sender claims rows with a lease; a sender that
dies leaves its rows to be claimed again when the lease runs out. The only window for a second
delivery is a crash after the server accepted a message and before the row was marked sent; the
resend then carries the same Message-ID, so mail clients show it once.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import secrets
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from icalendar.parser import Contentline
from sqlalchemy import ColumnElement, and_, func, insert, not_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consult.mail.mime import OutgoingMail, build_message, make_message_id
from consult.settings import Organiser, SmtpSettings
from consult.templating import RenderedEmail
from consult.tokens import REDACTED_PATH, LinkSealer, fill_links, sealed_links_in
from models import (
    ErasedAddress,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    SuppressedAddress,
    address_hash,
)
from models.base import utcnow
from models.db import Database

if TYPE_CHECKING:
    # The SMTP client (aiosmtplib, ssl) is loaded by the sender only: commands that read the
    # outbox (round status) start without it.
    from consult.mail.smtp import DeliveryResult

logger = logging.getLogger("consult.mail")

# Called with each message's outcome in the transaction that records it (the application layer
# writes its audit entry there); the mail capability itself knows nothing of the log.
OnOutcome = Callable[[Session, OutboxMessage, "DeliveryResult"], None]

# Which due messages are held back for now (never NULL for a row), asked afresh for each batch:
# the application layer decides (a round's mailing that awaits approval); the mail capability
# only leaves those rows where they are, waiting, neither sent nor failed.
Held = Callable[[Session], ColumnElement[bool] | None]

# Why a message to an erased person's address is never sent (kept as its last error).
ERASED_REPLY = "not sent: the address belongs to a person who was erased"


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    person_id: int | None = None
    invitation_id: int | None = None


def already_queued(session: Session, key: str) -> bool:
    return (
        session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key))
        is not None
    )


def queued_keys(session: Session, keys: Collection[str]) -> set[str]:
    """Those of `keys` that already have a message, in one query."""
    if not keys:
        return set()
    return set(
        session.scalars(
            select(OutboxMessage.idempotency_key).where(OutboxMessage.idempotency_key.in_(keys))
        )
    )


@dataclass(frozen=True)
class NewMessage:
    """One message for `enqueue_many`; the fields mean what `enqueue`'s arguments mean."""

    key: str
    kind: OutboxKind
    recipient: Recipient
    rendered: RenderedEmail
    round_id: int | None
    calendar_ics: bytes | None = None
    calendar_method: str | None = None


def _outbox_values(session: Session, message: NewMessage, domain: str) -> dict[str, object]:
    recipient, rendered = message.recipient, message.rendered
    ics = message.calendar_ics.decode("utf-8") if message.calendar_ics is not None else ""
    return {
        "kind": message.kind,
        "idempotency_key": message.key,
        "message_id": make_message_id(domain, message.key),
        "round_id": message.round_id,
        "person_id": recipient.person_id,
        "invitation_id": recipient.invitation_id,
        "recipient_email": recipient.email,
        "recipient_name": recipient.name,
        "subject": rendered.subject,
        "text_body": rendered.text,
        "html_body": rendered.html,
        "calendar_ics": message.calendar_ics,
        "calendar_method": message.calendar_method,
        "sealed_links": sealed_links_in(
            session, rendered.subject, rendered.text, rendered.html, _unfolded(ics)
        ),
    }


def _add_unless_queued(session: Session, message: NewMessage, domain: str) -> bool:
    if already_queued(session, message.key):
        return False
    row = OutboxMessage(**_outbox_values(session, message, domain))
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # Another worker enqueued the same purpose between our check and insert.
        return False
    return True


def enqueue(
    session: Session,
    *,
    key: str,
    kind: OutboxKind,
    recipient: Recipient,
    rendered: RenderedEmail,
    domain: str,
    round_id: int | None,
    calendar_ics: bytes | None = None,
    calendar_method: str | None = None,
) -> bool:
    """Add a message unless one with this key exists. Returns True if it was added."""
    message = NewMessage(key, kind, recipient, rendered, round_id, calendar_ics, calendar_method)
    return _add_unless_queued(session, message, domain)


def enqueue_many(session: Session, messages: Sequence[NewMessage], domain: str) -> int:
    """Add each message whose key has none yet (the first of duplicates); return how many.

    The outcome of calling `enqueue` for each, but with one query and one batch of INSERTs
    instead of a query, a savepoint and an INSERT per message: a round's invitations are
    queued thousands at a time.
    """
    existing = queued_keys(session, {message.key for message in messages})
    fresh: dict[str, NewMessage] = {}
    for message in messages:
        if message.key not in existing:
            fresh.setdefault(message.key, message)
    if not fresh:
        return 0
    rows = [_outbox_values(session, message, domain) for message in fresh.values()]
    try:
        with session.begin_nested():
            # A bulk INSERT: nothing needs these rows as objects in this session.
            session.execute(insert(OutboxMessage), rows)
    except IntegrityError:
        # Another worker enqueued some of these between our check and insert. One at a time,
        # only theirs are skipped.
        return sum(_add_unless_queued(session, message, domain) for message in fresh.values())
    return len(rows)


def suppress(session: Session, email: str, reason: str, message_id: int | None) -> None:
    """Put an address on the suppression list (once; the first bounce is kept)."""
    address = email.strip().lower()
    if session.scalar(select(SuppressedAddress.id).where(SuppressedAddress.email == address)):
        return
    try:
        with session.begin_nested():
            session.add(
                SuppressedAddress(email=address, reason=reason, outbox_message_id=message_id)
            )
    except IntegrityError:
        pass  # another sender recorded a bounce for this address at the same moment


def erased_addresses(session: Session, emails: Collection[str]) -> set[str]:
    """Those of `emails` (lower case) whose owner was erased: compared by hash, the only
    form in which an erased address is kept."""
    hashes = {address_hash(email): email.strip().lower() for email in emails}
    if not hashes:
        return set()
    found = session.scalars(
        select(ErasedAddress.address_hash).where(ErasedAddress.address_hash.in_(hashes))
    )
    return {hashes[h] for h in found}


def hold_suppressed(session: Session, now: datetime) -> int:
    """Mark due messages to suppressed addresses as suppressed instead of sending them; they
    are kept, and released when the secretariat corrects or releases the address."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
            func.lower(OutboxMessage.recipient_email).in_(select(SuppressedAddress.email)),
        )
        .values(status=OutboxStatus.SUPPRESSED, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def claim(
    session: Session,
    limit: int,
    now: datetime,
    lease: timedelta,
    held: ColumnElement[bool] | None = None,
) -> list[OutboxMessage]:
    """Lease up to `limit` due messages to this sender, after holding back those to
    suppressed addresses. Rows matching `held` are left waiting as they are.

    The lease is taken by one UPDATE that checks again that each row is still due, so two
    senders never hold the same row. On PostgreSQL, SKIP LOCKED already keeps them apart; SQLite
    has no row locks, but its single writer makes a second sender's UPDATE wait until the first
    one commits, after which the rows the first one leased no longer match.
    """
    hold_suppressed(session, now)
    due = and_(
        OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
        *([not_(held)] if held is not None else []),
    )
    candidates = list(
        session.scalars(
            select(OutboxMessage.id)
            .where(due)
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not candidates:
        return []
    leased = session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates), due)
        .values(
            status=OutboxStatus.SENDING,
            claimed_until=now + lease,
            attempts=OutboxMessage.attempts + 1,
        )
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).all()
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(leased))
            .order_by(OutboxMessage.id)
            .execution_options(populate_existing=True)
        )
    )


def renew(session: Session, ids: list[int], now: datetime, lease: timedelta) -> None:
    """Extend the lease on those of `ids` that are still being sent."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.SENDING)
        .values(claimed_until=now + lease)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    base: timedelta = timedelta(seconds=60)
    cap: timedelta = timedelta(hours=1)
    lease: timedelta = timedelta(minutes=5)

    @classmethod
    def from_settings(cls, smtp: SmtpSettings) -> RetryPolicy:
        return cls(
            max_attempts=smtp.max_attempts,
            base=timedelta(seconds=smtp.retry_base_s),
            cap=timedelta(seconds=smtp.retry_max_s),
            lease=timedelta(seconds=smtp.lease_s),
        )

    def delay(self, attempts: int) -> timedelta:
        """Exponential backoff with jitter, so throttled relays are not hit in lockstep."""
        exponential: timedelta = min(self.base * 2 ** (attempts - 1), self.cap)
        return exponential * random.uniform(0.5, 1.0)


def record(row: OutboxMessage, result: DeliveryResult, now: datetime, policy: RetryPolicy) -> None:
    if result.ok:
        row.status = OutboxStatus.SENT
        row.sent_at = now
        row.claimed_until = None
        row.last_error = None
        # A resend is no longer possible, so the links need not be either; the body keeps its
        # placeholders as the record of what was sent.
        row.sealed_links = None
        if _has_raw_link(row):
            _redact_row(row)
    elif result.permanent or row.attempts >= policy.max_attempts:
        row.status = OutboxStatus.FAILED
        row.last_error = result.reply
        row.claimed_until = None
    else:
        row.status = OutboxStatus.PENDING
        row.last_error = result.reply
        row.claimed_until = now + policy.delay(row.attempts)


def to_outgoing(row: OutboxMessage) -> OutgoingMail:
    """The message as stored: personal links still as placeholders (see `with_links`)."""
    return OutgoingMail(
        message_id=row.message_id,
        recipient_email=row.recipient_email,
        recipient_name=row.recipient_name,
        subject=row.subject,
        text=row.text_body,
        html=row.html_body,
        calendar_ics=row.calendar_ics,
        calendar_method=row.calendar_method,
    )


_FOLD = re.compile(r"\r\n[ \t]")
_CONTENT_LINE_END = re.compile(r"\r\n(?![ \t])")
# A raw token as mint_link put it in a link before links were sealed.
_RAW_LINK = re.compile(r"/i/([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])")


def _unfolded(ics: str) -> str:
    return _FOLD.sub("", ics)


def _folded(line: str) -> str:
    # Folded by the code that folds every line build_itip writes (untyped in icalendar).
    content_line = Contentline(line)  # type: ignore[no-untyped-call]
    return bytes(content_line.to_ical()).decode("utf-8")  # type: ignore[no-untyped-call]


def _edit_ics(ics: bytes, edit: Callable[[str], str]) -> bytes:
    """`ics` with `edit` applied to each content line; a line it changes is folded again as
    icalendar folds, so the result equals what build_itip makes of the edited text.

    Lines are unfolded first: a placeholder or token may be split across a fold.
    """
    edited = []
    for folded in _CONTENT_LINE_END.split(ics.decode("utf-8")):
        line = _unfolded(folded)
        changed = edit(line)
        edited.append(folded if changed == line else _folded(changed))
    return "\r\n".join(edited).encode("utf-8")


def with_links(
    mail: OutgoingMail, sealed: Mapping[str, str] | None, sealer: LinkSealer | None
) -> OutgoingMail:
    """The message as it goes out: each placeholder replaced by its unsealed token.

    Raises ValueError when the tokens cannot be unsealed (no key, or another key): such a
    message can never carry a working link.
    """
    if not sealed:
        return mail
    if sealer is None:
        raise ValueError("the message has personal links but the sender has no key to open them")
    tokens = {link_id: sealer.unseal(value) for link_id, value in sealed.items()}

    def fill(text: str) -> str:
        return fill_links(text, tokens)

    ics = mail.calendar_ics
    return replace(
        mail,
        subject=fill(mail.subject),
        text=fill(mail.text),
        html=fill(mail.html),
        calendar_ics=_edit_ics(ics, fill) if ics is not None else None,
    )


def _has_raw_link(row: OutboxMessage) -> bool:
    texts = [row.text_body, row.html_body]
    if row.calendar_ics is not None:
        texts.append(_unfolded(row.calendar_ics.decode("utf-8", "replace")))
    return any(_RAW_LINK.search(text) for text in texts)


def _redact_raw(text: str) -> str:
    return _RAW_LINK.sub(REDACTED_PATH, text)


def _redact_row(row: OutboxMessage) -> None:
    """Cut raw tokens out of a message queued before links were sealed."""
    row.text_body = _redact_raw(row.text_body)
    row.html_body = _redact_raw(row.html_body)
    if row.calendar_ics is not None:
        row.calendar_ics = _edit_ics(row.calendar_ics, _redact_raw)


def _seal_raw(text: str, *, sealer: LinkSealer, into: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        link_id = secrets.token_hex(8)
        into[link_id] = sealer.seal(match.group(1))
        return f"/i/[link:{link_id}]"

    return _RAW_LINK.sub(one, text)


def seal_raw_links(session: Session, sealer: LinkSealer) -> int:
    """Seal the raw tokens of messages queued, and not yet sent, before links were sealed
    (migration 0007 cut them out of sent ones); returns how many messages changed."""
    unsent = [OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED]
    changed = 0
    for row in session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.status.in_(unsent), OutboxMessage.sealed_links.is_(None)
        )
    ):
        if not _has_raw_link(row):
            continue
        sealed: dict[str, str] = {}
        seal = partial(_seal_raw, sealer=sealer, into=sealed)
        row.text_body = seal(row.text_body)
        row.html_body = seal(row.html_body)
        if row.calendar_ics is not None:
            row.calendar_ics = _edit_ics(row.calendar_ics, seal)
        row.sealed_links = sealed
        changed += 1
    return changed


@dataclass
class SendCounts:
    sent: int = 0
    failed: int = 0
    retry_later: int = 0
    # Waiting for the secretariat's approval of their mailing (see send_due's `held`).
    held: int = 0
    # The relay could not be reached (its error): sending stopped, the rest stays queued.
    unreachable: str | None = None


class _Recorder:
    """Writes outcomes to the database while the batch is still being sent.

    Marking each message soon after the server accepted it keeps the window for a second
    delivery (a crash between the server's "250 OK" and the row being marked) to a fraction
    of a second of mail instead of a whole batch.
    """

    FLUSH_EVERY_S = 0.2

    def __init__(
        self,
        db: Database,
        policy: RetryPolicy,
        counts: SendCounts,
        on_outcome: OnOutcome | None = None,
    ) -> None:
        self._db, self._policy, self._counts = db, policy, counts
        self._on_outcome = on_outcome
        self._pending: dict[int, DeliveryResult] = {}
        # Set only while the timer sleeps; a flush that is writing is waited for via the lock.
        self._flusher: asyncio.Task[None] | None = None
        # One write at a time, and close() cannot return while a timed flush is still writing
        # (its rows would stay SENDING after send_due returned, and be counted as waiting).
        self._writing = asyncio.Lock()
        self.reached = False
        self.unreached: str | None = None

    def add(self, row_id: int, result: DeliveryResult) -> None:
        self._pending[row_id] = result
        if result.reached:
            self.reached = True
        else:
            self.unreached = result.reply
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.FLUSH_EVERY_S)
        await self.flush()

    async def flush(self) -> None:
        self._flusher = None
        async with self._writing:
            batch, self._pending = self._pending, {}
            if batch:
                await asyncio.to_thread(self._write, batch)

    async def close(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            self._flusher = None
        await self.flush()

    def _write(self, results: dict[int, DeliveryResult]) -> None:
        with self._db.unit_of_work() as session:
            now = utcnow()
            rows = session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(results)))
            for row in rows:
                result = results[row.id]
                record(row, result, now, self._policy)
                if row.status == OutboxStatus.FAILED and result.address_refused:
                    suppress(session, row.recipient_email, result.reply, row.id)
                if self._on_outcome is not None:
                    self._on_outcome(session, row, result)
                if row.status == OutboxStatus.SENT:
                    self._counts.sent += 1
                elif row.status == OutboxStatus.FAILED:
                    self._counts.failed += 1
                else:
                    self._counts.retry_later += 1


async def _hold_leases(db: Database, ids: list[int], lease: timedelta) -> None:
    """Renew a batch's leases while it is being sent (until cancelled).

    A batch can take longer than one lease: a throttled relay (rate_per_minute), slow replies,
    timeouts. Without renewal a second sender would claim the rows not yet sent and send them
    too, a duplicate outside the crash window. A sender that dies stops renewing, so its rows
    are still released one lease after its last renewal.
    """

    def renew_now() -> None:
        with db.unit_of_work() as session:
            renew(session, ids, utcnow(), lease)

    while True:
        await asyncio.sleep(lease.total_seconds() / 3)
        try:
            await asyncio.to_thread(renew_now)
        except Exception:
            # The next renewal may get through; the lease has two more thirds to run.
            logger.warning(
                "could not renew the lease on %d outbox messages", len(ids), exc_info=True
            )


@asynccontextmanager
async def _leases_held(db: Database, ids: list[int], lease: timedelta) -> AsyncIterator[None]:
    holder = asyncio.create_task(_hold_leases(db, ids, lease))
    try:
        yield
    finally:
        holder.cancel()


def next_retry(session: Session, held: ColumnElement[bool] | None = None) -> datetime | None:
    """When the earliest message waiting for a retry falls due (of those not held)."""
    return session.scalar(
        select(func.min(OutboxMessage.claimed_until)).where(
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
            *([not_(held)] if held is not None else []),
        )
    )


async def send_due(
    db: Database,
    smtp: SmtpSettings,
    organiser: Organiser,
    batch_size: int | None = None,
    retry_wait: timedelta | None = None,
    sealer: LinkSealer | None = None,
    on_outcome: OnOutcome | None = None,
    held: Held | None = None,
) -> SendCounts:
    """Send every due message, one claimed batch at a time. Messages whose retry falls due
        within `retry_wait` (default: the settings' retry_wait_s) are waited for and sent too.
        `sealer` opens the personal links of the messages that have them (`with_links`);
        `on_outcome` hears of each message's outcome as it is recorded. A message to the address
        of an erased person is never sent: it fails with ERASED_REPLY. Messages matching `held`
    (asked for each batch) stay waiting; they are counted in `held`, not in `retry_later`."""
    from consult.mail.smtp import DeliveryResult, deliver, prepare

    policy = RetryPolicy.from_settings(smtp)
    counts = SendCounts()
    size = batch_size or smtp.batch_size
    if retry_wait is None:
        retry_wait = timedelta(seconds=smtp.retry_wait_s)
    wait_until = utcnow() + retry_wait
    while True:
        with db.unit_of_work() as session:
            holding = held(session) if held is not None else None
            rows = claim(session, size, utcnow(), policy.lease, holding)
            mails = [(row.id, to_outgoing(row), row.sealed_links) for row in rows]
            erased = erased_addresses(session, [mail.recipient_email for _, mail, _ in mails])
            upcoming = None if mails else next_retry(session, holding)
        if not mails:
            if upcoming is None or upcoming > wait_until:
                counts.retry_later, counts.held = _count_waiting(db, held)
                return counts
            await asyncio.sleep(max((upcoming - utcnow()).total_seconds(), 0.01))
            continue
        recorder = _Recorder(db, policy, counts, on_outcome)
        now = utcnow()
        messages = []
        for row_id, mail, sealed in mails:
            if mail.recipient_email.strip().lower() in erased:
                recorder.add(row_id, DeliveryResult(ok=False, permanent=True, reply=ERASED_REPLY))
                continue
            try:
                # Prepared at once, so the batch waits as bytes, not as EmailMessage objects.
                personal = with_links(mail, sealed, sealer)
                messages.append((row_id, prepare(build_message(personal, organiser, date=now))))
            except ValueError as exc:
                # A row that can never become a valid message fails alone, not its batch.
                recorder.add(row_id, DeliveryResult(ok=False, permanent=True, reply=str(exc)))
        try:
            async with _leases_held(db, [row_id for row_id, _, _ in mails], policy.lease):
                if messages:
                    await deliver(messages, smtp, on_result=recorder.add)
        finally:
            await recorder.close()
        if recorder.unreached is not None and not recorder.reached:
            # Not one connection in this batch: waiting for retries would only repeat the
            # timeouts. The rest stays queued for the next run.
            counts.unreachable = recorder.unreached
            counts.retry_later, counts.held = _count_waiting(db, held)
            return counts


def _count_waiting(db: Database, held: Held | None) -> tuple[int, int]:
    """(waiting to be sent or retried, held back)."""
    waiting = OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
    with db.unit_of_work() as session:
        total = session.scalar(select(func.count(OutboxMessage.id)).where(waiting)) or 0
        holding = held(session) if held is not None else None
        if holding is None:
            return total, 0
        kept = session.scalar(select(func.count(OutboxMessage.id)).where(waiting, holding)) or 0
        return total - kept, kept

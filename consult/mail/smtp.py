"""Deliver prepared messages over a few reused SMTP connections.

Every message gets a DeliveryResult; nothing raised by one message reaches the others. The
caller decides about retries from ``permanent``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from email.headerregistry import AddressHeader
from email.message import EmailMessage
from email.utils import getaddresses
from typing import TypeVar

import aiosmtplib
from aiosmtplib.email import flatten_message

from consult.settings import SmtpSettings, TlsMode

__all__ = ["DeliveryResult", "PreparedMessage", "deliver", "prepare"]

logger = logging.getLogger("consult.mail")

K = TypeVar("K", bound=Hashable)

# A worker that cannot connect this many times in a row stops, so an unreachable relay costs a
# few timeouts instead of one per message; whatever is left is reported transient.
_MAX_CONNECT_FAILURES = 3


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    permanent: bool  # True for 5xx (do not retry); False for 4xx, dropped connections, timeouts
    reply: str  # the server's reply code and text, or the exception text
    # False when no connection to the server could be made for it: says nothing about the
    # recipient, and tells the sender that the relay is away.
    reached: bool = True
    # The server refused the address itself for good (5xx at RCPT, or a 5.1.x status such as
    # "user unknown" later): the outbox stops mailing it. Other 5xx (content, policy) do not.
    address_refused: bool = False


@dataclass(frozen=True)
class PreparedMessage:
    """A message as it goes over the wire: its envelope and its bytes."""

    sender: str
    recipient: str
    data: bytes
    smtputf8: bool  # an address is not ASCII, so the server must offer SMTPUTF8


def prepare(message: EmailMessage) -> PreparedMessage:
    """The envelope (the single From and To address) and the bytes to send.

    Raises ValueError when the message has not exactly one From and one To address.
    A caller that sends a batch should prepare each message as soon as it is built: the batch is
    then held as bytes instead of as EmailMessage objects, whose hundreds of parsed header
    tokens each the garbage collector would walk again and again while the batch is sent.
    """
    sender, recipient = _envelope(message)
    smtputf8 = not (sender.isascii() and recipient.isascii())
    # 7bit, so the same bytes suit a server with or without 8BITMIME. For build_message's
    # messages (quoted-printable and base64 bodies) they equal what aiosmtplib's send_message
    # sends to a server that offers 8BITMIME.
    data = flatten_message(message, utf8=smtputf8, cte_type="7bit")
    return PreparedMessage(sender, recipient, data, smtputf8)


class _Results(dict[K, DeliveryResult]):
    """The results so far; tells `on_result` about each one as soon as it is known."""

    def __init__(self, on_result: Callable[[K, DeliveryResult], None] | None) -> None:
        super().__init__()
        self._on_result = on_result

    def __setitem__(self, key: K, value: DeliveryResult) -> None:
        super().__setitem__(key, value)
        if self._on_result is not None:
            self._on_result(key, value)


async def deliver(
    messages: Sequence[tuple[K, EmailMessage | PreparedMessage]],
    smtp: SmtpSettings,
    on_result: Callable[[K, DeliveryResult], None] | None = None,
) -> dict[K, DeliveryResult]:
    """Send each message to its single To address; return a result for every key, in order.

    Envelope sender is the From address; an EmailMessage is prepared just before it is sent.
    Up to ``smtp.connections`` connections are opened (never more than there are messages) and
    each is reused for as many messages as it can.
    Keys are expected to be unique; with duplicates every message is still sent, but only the
    last result per key is kept. `on_result` hears of each result the moment it is known, so a
    caller can record deliveries while the rest are still being sent.
    """
    if not messages:
        return {}
    queue: asyncio.Queue[tuple[K, EmailMessage | PreparedMessage]] = asyncio.Queue()
    for item in messages:
        queue.put_nowait(item)
    results: _Results[K] = _Results(on_result)
    limiter = _RateLimiter(smtp.rate_per_minute)
    workers = min(smtp.connections, len(messages))
    async with asyncio.TaskGroup() as group:
        for _ in range(workers):
            group.create_task(_worker(queue, smtp, limiter, results))

    for key, message in messages:
        if key not in results:
            # Every worker gave up connecting before the queue was empty.
            results[key] = _failed(
                _recipient_for_log(message),
                permanent=False,
                reply="not attempted: could not connect to the SMTP server",
                reached=False,
            )
    return {key: results[key] for key, _ in messages}


class _RateLimiter:
    """Hands out evenly spaced start times shared by all connections."""

    def __init__(self, per_minute: int) -> None:
        self._interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self._next_start = 0.0

    async def wait(self) -> None:
        if self._interval == 0.0:
            return
        now = asyncio.get_running_loop().time()
        # Reserving the slot before sleeping (no await in between) keeps concurrent callers
        # from claiming the same slot.
        start = max(now, self._next_start)
        self._next_start = start + self._interval
        if start > now:
            await asyncio.sleep(start - now)


async def _worker(
    queue: asyncio.Queue[tuple[K, EmailMessage | PreparedMessage]],
    smtp: SmtpSettings,
    limiter: _RateLimiter,
    results: dict[K, DeliveryResult],
) -> None:
    client: aiosmtplib.SMTP | None = None
    connect_failures = 0
    try:
        while not queue.empty() and connect_failures < _MAX_CONNECT_FAILURES:
            key, message = queue.get_nowait()
            try:
                prepared = prepare(message) if isinstance(message, EmailMessage) else message
            except ValueError as exc:
                results[key] = _failed(_recipient_for_log(message), permanent=True, reply=str(exc))
                continue
            recipient = prepared.recipient

            if client is None or not client.is_connected:
                client = None
                try:
                    client = await _connect(smtp)
                except Exception as exc:
                    # Connect and login failures say nothing about this recipient, so even a
                    # 5xx here (bad credentials, "no service") is worth retrying later.
                    results[key] = _failed(
                        recipient, permanent=False, reply=_describe(exc), reached=False
                    )
                    connect_failures += 1
                    continue
                connect_failures = 0

            await limiter.wait()
            results[key], reusable = await _send(client, prepared)
            if not reusable:
                client.close()
                client = None
    except BaseException:
        # Cancelled (or a bug): drop the connection at once instead of waiting for QUIT.
        if client is not None:
            client.close()
        raise
    if client is not None and client.is_connected:
        await _close(client)


async def _connect(smtp: SmtpSettings) -> aiosmtplib.SMTP:
    password = smtp.password.get_secret_value() if smtp.password is not None else None
    client = aiosmtplib.SMTP(
        hostname=smtp.host,
        port=smtp.port,
        username=smtp.username,
        # Passed only alongside a username so a stray password never triggers a login.
        password=password if smtp.username else None,
        timeout=smtp.timeout_s,
        use_tls=smtp.tls is TlsMode.IMPLICIT,
        # aiosmtplib's default (None) upgrades opportunistically; NONE must mean plain text.
        start_tls=smtp.tls is TlsMode.STARTTLS,
    )
    try:
        await client.connect()
    except BaseException:
        client.close()
        raise
    return client


async def _send(client: aiosmtplib.SMTP, message: PreparedMessage) -> tuple[DeliveryResult, bool]:
    """Send one message; return its result and whether the connection is fit for the next."""
    recipient = message.recipient
    # What send_message would ask for; SMTPUTF8 makes aiosmtplib check that the server has it.
    options = ["SMTPUTF8"] if message.smtputf8 else []
    if not message.data.isascii():
        options.append("BODY=8BITMIME")
    try:
        _refused, reply = await client.sendmail(
            message.sender, [recipient], message.data, mail_options=options
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [refusal.code for refusal in exc.recipients]
        text = "; ".join(f"{r.code} {r.message}" for r in exc.recipients) or str(exc)
        permanent = bool(codes) and all(code >= 500 for code in codes)
        result = _failed(recipient, permanent=permanent, reply=text, address_refused=permanent)
        return result, client.is_connected
    except aiosmtplib.SMTPResponseException as exc:
        # aiosmtplib has already sent RSET, so the connection is reusable if still open.
        result = _failed(
            recipient,
            permanent=exc.code >= 500,
            reply=f"{exc.code} {exc.message}",
            address_refused=exc.code >= 500 and exc.message.lstrip().startswith("5.1."),
        )
        return result, client.is_connected
    except (aiosmtplib.SMTPServerDisconnected, TimeoutError, OSError) as exc:
        return _failed(recipient, permanent=False, reply=_describe(exc)), False
    except (aiosmtplib.SMTPNotSupported, ValueError) as exc:
        # Unsendable addresses, or SMTPUTF8 needed but not offered: retrying changes nothing.
        return _failed(recipient, permanent=True, reply=_describe(exc)), client.is_connected
    except Exception as exc:
        # Unknown state mid-transaction: report it and start the next message afresh.
        return _failed(recipient, permanent=False, reply=_describe(exc)), False
    return DeliveryResult(ok=True, permanent=False, reply=f"250 {reply}"), True


async def _close(client: aiosmtplib.SMTP) -> None:
    try:
        await client.quit()
    except Exception:
        # QUIT is a courtesy; a server that hangs up first has lost nothing.
        client.close()


def _failed(
    recipient: str,
    *,
    permanent: bool,
    reply: str,
    address_refused: bool = False,
    reached: bool = True,
) -> DeliveryResult:
    logger.warning(
        "mail to %s failed (%s): %s", recipient, "permanent" if permanent else "transient", reply
    )
    return DeliveryResult(
        ok=False,
        permanent=permanent,
        reply=reply,
        address_refused=address_refused,
        reached=reached,
    )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{exc.code} {exc.message}"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _envelope(message: EmailMessage) -> tuple[str, str]:
    return _single_address(message, "From"), _single_address(message, "To")


def _recipient_for_log(message: EmailMessage | PreparedMessage) -> str:
    if isinstance(message, PreparedMessage):
        return message.recipient
    try:
        return _single_address(message, "To")
    except ValueError:
        return "<unknown>"


def _single_address(message: EmailMessage, field: str) -> str:
    addresses: list[str] = []
    for value in message.get_all(field) or []:
        if isinstance(value, AddressHeader):
            addresses.extend(address.addr_spec for address in value.addresses)
        else:
            addresses.extend(addr for _name, addr in getaddresses([str(value)]) if addr)
    if len(addresses) != 1:
        raise ValueError(f"expected exactly one {field} address, found {len(addresses)}")
    return addresses[0]

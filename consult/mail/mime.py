"""Build RFC 5322 / MIME messages for invitations and iTIP calendar invites.

Everything here is pure: the caller supplies the Message-ID and the Date so a message can be
rebuilt byte-for-byte identical for a resend and tests need no clock.
"""

from __future__ import annotations

import email.errors
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.headerregistry import Address, BaseHeader
from email.message import EmailMessage
from email.policy import Policy
from email.policy import default as default_policy
from email.utils import format_datetime
from functools import lru_cache

from consult.settings import Organiser

__all__ = ["OutgoingMail", "build_message", "make_message_id"]

# iana-token (RFC 5545 section 3.1); anything else cannot be a METHOD value.
_METHOD_RE = re.compile(r"[A-Za-z0-9-]+")
# dot-atom domain as it may appear in a Message-ID (RFC 5322 section 3.6.4).
_DOMAIN_RE = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
_MESSAGE_ID_RE = re.compile(r"<[!-;=?-~]+@[!-;=?-~]+>")
# Unicode categories that can end a header line or hide characters: Cc covers CR, LF, NUL,
# NEL; Zl/Zp are the line and paragraph separators that str.splitlines() also honours.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})


@dataclass(frozen=True)
class OutgoingMail:
    """One message to one recipient; the text and HTML bodies are already rendered."""

    # Full "<...@domain>" value, decided by the caller and stored, so a resend carries the same
    # id and receiving clients can deduplicate it.
    message_id: str
    recipient_email: str
    recipient_name: str
    subject: str
    text: str
    html: str
    calendar_ics: bytes | None = None  # an iTIP VCALENDAR with CRLF line ends
    calendar_method: str | None = None  # "REQUEST" | "CANCEL" | ...; required with calendar_ics


def make_message_id(domain: str, key: str) -> str:
    """A deterministic ``<hex@domain>`` for an idempotency key (same key, same id)."""
    if not _DOMAIN_RE.fullmatch(domain):
        raise ValueError(f"not a usable Message-ID domain: {domain!r}")
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return f"<{digest}@{domain.lower()}>"


def build_message(mail: OutgoingMail, organiser: Organiser, *, date: datetime) -> EmailMessage:
    """Assemble the message; raises ValueError on unusable addresses, ids, dates or calendars.

    Without a calendar: multipart/alternative {text/plain, text/html}. With one:
    multipart/mixed {multipart/alternative {text/plain, text/html, text/calendar},
    application/ics attachment}, the layout Outlook, Gmail and Apple Mail all recognise.
    """
    if date.tzinfo is None or date.utcoffset() is None:
        # A naive datetime would be serialised as "-0000" (unknown zone) and shift the
        # displayed send time for every reader.
        raise ValueError("date must be timezone-aware")
    if not _MESSAGE_ID_RE.fullmatch(mail.message_id):
        raise ValueError(f"not a valid Message-ID: {mail.message_id!r}")
    method = _checked_calendar_method(mail)

    msg = EmailMessage()
    msg["From"] = _organiser_header("From", organiser.name, organiser.email)
    msg["To"] = _address(mail.recipient_name, mail.recipient_email)
    if organiser.reply_to:
        msg["Reply-To"] = _organiser_header("Reply-To", organiser.name, organiser.reply_to)
    msg["Subject"] = _subject(_clean_header_text(mail.subject))
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = mail.message_id

    # Quoted-printable keeps the bodies 7-bit clean, so relays without 8BITMIME accept them.
    msg.set_content(mail.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(mail.html, subtype="html", charset="utf-8", cte="quoted-printable")
    if mail.calendar_ics is not None and method is not None:
        # base64 because iCalendar requires CRLF line ends and quoted-printable text would be
        # re-terminated with the generator's line separator.
        msg.add_alternative(
            mail.calendar_ics,
            maintype="text",
            subtype="calendar",
            cte="base64",
            params={"method": method, "charset": "UTF-8"},
        )
        # Clients that ignore the inline part (and some gateways that strip it) still offer
        # the attachment for import.
        msg.add_attachment(
            mail.calendar_ics,
            maintype="application",
            subtype="ics",
            filename="invite.ics",
            params={"name": "invite.ics"},
        )
    # add_alternative/add_attachment give every subpart its own MIME-Version; RFC 2045 wants
    # it on the top-level header only.
    for part in msg.walk():
        if part is not msg:
            del part["MIME-Version"]
    return msg


def _clean_header_text(value: str) -> str:
    """Replace control characters and line breaks by spaces and collapse runs of whitespace.

    A CR or LF reaching a header would let a display name or subject inject further headers.
    """
    cleaned = "".join(
        " " if unicodedata.category(char) in _UNSAFE_CATEGORIES else char for char in value
    )
    return " ".join(cleaned.split())


def _calendar_method_of(ics: bytes) -> str | None:
    """The METHOD property of the top-level VCALENDAR, upper-cased, or None when absent."""
    text = ics.decode("utf-8")
    # Unfold continuation lines (RFC 5545 section 3.1) before looking at property names.
    unfolded = re.sub(r"\r?\n[ \t]", "", text)
    depth: list[str] = []
    for line in unfolded.splitlines():
        name, _, value = line.partition(":")
        name = name.split(";", 1)[0].strip().upper()
        if name == "BEGIN":
            depth.append(value.strip().upper())
        elif name == "END":
            if depth:
                depth.pop()
        elif name == "METHOD" and depth == ["VCALENDAR"]:
            return value.strip().upper()
    return None


def _checked_calendar_method(mail: OutgoingMail) -> str | None:
    if mail.calendar_ics is None:
        if mail.calendar_method is not None:
            raise ValueError("calendar_method given without calendar_ics")
        return None
    if not mail.calendar_method:
        raise ValueError("calendar_method is required when calendar_ics is set")
    method = mail.calendar_method.upper()
    if not _METHOD_RE.fullmatch(method):
        raise ValueError(f"not an iTIP method: {mail.calendar_method!r}")
    try:
        inner = _calendar_method_of(mail.calendar_ics)
    except UnicodeDecodeError as exc:
        raise ValueError("calendar_ics is not valid UTF-8") from exc
    if inner is None:
        raise ValueError("calendar_ics has no METHOD property")
    if inner != method:
        # Clients act on the Content-Type method; a mismatch makes an update look like a
        # cancellation in one client and the reverse in another.
        raise ValueError(f"calendar_method {method} differs from METHOD:{inner} in calendar_ics")
    return method


class _EncodedSubject(str):
    """A non-ASCII subject as whole RFC 2047 encoded words. The email package folds a plain
    word next to an encoded one keeping the space before the fold, so a reader unfolds
    "2026,  10:00" with two spaces; between encoded words whitespace does not count."""

    name = "Subject"

    def fold(self, *, policy: Policy) -> str:
        encoded = Header(str(self), "utf-8", header_name="Subject").encode(
            linesep=policy.linesep, maxlinelen=policy.max_line_length or 78
        )
        return f"Subject: {encoded}{policy.linesep}"


def _subject(text: str) -> str:
    return text if text.isascii() else _EncodedSubject(text)


@lru_cache(maxsize=32)
def _organiser_header(field: str, name: str, addr_spec: str) -> BaseHeader:
    """The parsed address header, made once per organiser instead of once per message.

    Parsing an address header is about a third of building a message, and From and Reply-To
    are the same on every message. Header objects are immutable, so messages can share one;
    EmailMessage stores a header object of the right name as it is.
    """
    header: BaseHeader = default_policy.header_factory(field, _address(name, addr_spec))
    return header


def _address(name: str, addr_spec: str) -> Address:
    try:
        return Address(display_name=_clean_header_text(name), addr_spec=addr_spec)
    except (ValueError, email.errors.HeaderParseError) as exc:
        raise ValueError(f"not a usable e-mail address: {addr_spec!r}") from exc

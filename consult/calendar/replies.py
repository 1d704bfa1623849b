"""Read invitees' calendar answers (iTIP REPLY, RFC 5546) out of raw mail. Pure: bytes in,
plain data out, and never an exception for bad input, because anyone can mail the secretariat.

Calendar clients wrap a REPLY in different ways, so the whole MIME tree is searched:

- Outlook/Exchange: multipart/alternative, the text/calendar part base64, next to text and html;
- Gmail: multipart/mixed around an alternative with text/calendar, plus an invite.ics attachment
  (application/ics) holding the same calendar again;
- Apple Calendar: an iCal-*.ics attachment (text/calendar, quoted-printable, folded lines);
- Thunderbird/Lightning: text/calendar next to the text, plus an invite.ics attachment.

A part counts as a calendar when its type says so (text/calendar, application/ics, ...) or its
file name ends in .ics. Forwarded messages (message/rfc822) are not entered: a REPLY inside one
is someone else's answer, passed on, and says nothing about the person who forwarded it.
Outlook's winmail.dat (application/ms-tnef) is not a format we read and is skipped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import collapse_rfc2231_value, getaddresses, parsedate_to_datetime
from typing import Any, Literal

from icalendar import Calendar, Component

from consult.i18n import gettext as _
from consult.text import clean_text

# Long enough for any real Message-ID; the column holds 300 characters.
MAX_MESSAGE_ID = 250

CALENDAR_TYPES = frozenset(
    {
        "text/calendar",
        "text/x-vcalendar",
        "application/ics",
        "application/x-ics",
        "application/calendar",
        "application/ical",
    }
)
CALENDAR_SUFFIXES = (".ics", ".ical", ".ifb", ".vcs")
# Containers whose insides belong to another message or a format we do not read.
SKIPPED_TYPES = frozenset(
    {"message/rfc822", "message/global", "application/ms-tnef", "application/vnd.ms-tnef"}
)

ProblemKind = Literal["corrupt", "no_calendar", "not_reply"]


@dataclass(frozen=True)
class MailInfo:
    """What the envelope says, as far as it could be read."""

    message_key: str  # Message-ID, or a digest of the raw bytes when it has none
    message_id: str
    sender: str  # the From address, lower case ("" when missing or unreadable)
    subject: str
    sent_at: datetime | None


@dataclass(frozen=True)
class ParsedReply:
    mail: MailInfo
    message_key: str  # mail.message_key, with "#2", "#3"... for further answers in one mail
    event_uid: str
    sequence: int  # 0 when the REPLY has none (RFC 5545 default)
    attendee: str  # the replying ATTENDEE's address, lower case, without "mailto:"
    attendee_name: str
    partstat: str  # upper case, e.g. ACCEPTED; NEEDS-ACTION when absent (RFC 5545 default)
    delegated_to: str  # lower case address, "" unless the attendee delegated
    delegate_name: str  # the CN the REPLY gives the delegate, if any


@dataclass(frozen=True)
class ParseProblem:
    mail: MailInfo
    kind: ProblemKind
    detail: str


ParseResult = list[ParsedReply] | ParseProblem


def parse_message(raw: bytes) -> ParseResult:
    """Every distinct REPLY in the mail, or why there is none. Never raises on bad input."""
    mail = _mail_info(raw)
    try:
        message = message_from_bytes(raw)
    except Exception as exc:  # the parser is lenient, but this mail came from anyone
        return ParseProblem(mail, "corrupt", _("MIME not readable: %(reason)s", reason=exc))
    calendars: list[tuple[Component, str]] = []
    broken: list[str] = []
    parts = 0
    try:
        for part in _leaf_parts(message):
            if not _is_calendar(part):
                continue
            parts += 1
            found, error = _calendars_in(part)
            calendars += found
            if error:
                broken.append(error)
    except Exception as exc:  # a structure deep or odd enough to upset the walk
        return ParseProblem(mail, "corrupt", _("MIME not readable: %(reason)s", reason=exc))
    if parts == 0:
        return ParseProblem(mail, "no_calendar", _("no calendar part in the message"))
    replies: list[ParsedReply] = []
    methods: list[str] = []
    seen: set[tuple[object, ...]] = set()
    for calendar, part_method in calendars:
        method = str(calendar.get("METHOD", part_method) or "").strip().upper()
        if method != "REPLY":
            methods.append(method or _("no METHOD"))
            continue
        for event in calendar.walk("VEVENT"):
            reply = _reply_from(event, mail)
            if isinstance(reply, str):
                broken.append(reply)
                continue
            # Gmail and Thunderbird attach the same calendar twice; one answer is one answer.
            identity = (reply.event_uid, reply.sequence, reply.attendee, reply.partstat)
            if identity not in seen:
                seen.add(identity)
                replies.append(reply)
    if replies:
        return [_numbered(reply, n) for n, reply in enumerate(replies, start=1)]
    if broken:
        return ParseProblem(mail, "corrupt", "; ".join(dict.fromkeys(broken)))
    return ParseProblem(
        mail,
        "not_reply",
        _("no REPLY (METHOD: %(methods)s)", methods=", ".join(dict.fromkeys(methods))),
    )


def message_key_for(message_id: str, raw: bytes) -> str:
    """The Message-ID identifies a mail; without a usable one, its bytes do."""
    if message_id and len(message_id) <= MAX_MESSAGE_ID and message_id.isprintable():
        return message_id
    source = message_id.encode("utf-8", "surrogateescape") if message_id else raw
    return "sha256:" + hashlib.sha256(source).hexdigest()


# --- the envelope --------------------------------------------------------------------------


def _mail_info(raw: bytes) -> MailInfo:
    """Headers only, each read on its own: one bad header must not hide the others."""
    try:
        headers = BytesHeaderParser().parsebytes(raw)
    except Exception:
        headers = Message()
    # A folded header leaves whitespace inside; the same mail must give the same key.
    message_id = "".join(_header(headers, "Message-ID").split())
    sent_at: datetime | None = None
    try:
        date = parsedate_to_datetime(_header(headers, "Date"))
        sent_at = date if date.tzinfo else date.replace(tzinfo=UTC)
    except (TypeError, ValueError, IndexError):
        sent_at = None
    return MailInfo(
        message_key=message_key_for(message_id, raw),
        message_id=message_id,
        sender=_address(_header(headers, "From")),
        subject=clean_text(_decoded(_header(headers, "Subject"))),
        sent_at=sent_at,
    )


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:
        return ""
    # compat32 gives str, or a Header object for bytes it could not decode.
    return "" if value is None else str(value)


def _decoded(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except Exception:  # broken encoded words: show them as they came
        return value


def _address(value: str) -> str:
    try:
        pairs = getaddresses([_decoded(value)])
    except Exception:
        return ""
    for _name, address in pairs:
        if "@" in address:
            return clean_text(address).strip().lower()
    return ""


# --- the MIME tree -------------------------------------------------------------------------


def _leaf_parts(part: Message, depth: int = 0) -> Iterator[Message]:
    if depth > 20:  # a MIME bomb, not a calendar client
        raise ValueError(_("MIME structure nested too deeply"))
    content_type = part.get_content_type()
    if content_type in SKIPPED_TYPES:
        return
    if part.is_multipart():
        payload = part.get_payload()
        if isinstance(payload, list):
            for child in payload:
                if isinstance(child, Message):
                    yield from _leaf_parts(child, depth + 1)
        return
    yield part


def _is_calendar(part: Message) -> bool:
    if part.get_content_type() in CALENDAR_TYPES:
        return True
    name = part.get_filename() or collapse_rfc2231_value(part.get_param("name") or "")
    return str(name).strip().lower().endswith(CALENDAR_SUFFIXES)


def _calendars_in(part: Message) -> tuple[list[tuple[Component, str]], str]:
    """The VCALENDARs in one part, with the part's own method= parameter, and an error text
    when the part could not be read (or held nothing that parses)."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes) or not payload.strip():
        return [], _("empty calendar part")
    text = _text(payload, part.get_content_charset())
    part_method = str(part.get_param("method") or "").upper()
    try:
        found = Calendar.from_ical(text, multiple=True)
    except Exception as exc:  # icalendar raises ValueError and friends on malformed lines
        return [], _("calendar not readable: %(reason)s", reason=_short(exc))
    calendars: list[tuple[Component, str]] = [
        (c, part_method) for c in found if c.name == "VCALENDAR"
    ]
    if not calendars:
        # icalendar quietly returns nothing for a calendar that never ends.
        return [], _("no complete VCALENDAR")
    return calendars, ""


def _text(payload: bytes, charset: str | None) -> str:
    # RFC 5545 says UTF-8; a declared charset wins, an unknown one is read as UTF-8 with
    # replacement characters (which never touch the ASCII of UIDs and addresses).
    for encoding in (charset, "utf-8"):
        if not encoding:
            continue
        try:
            return payload.decode(encoding, errors="replace").lstrip("\ufeff")
        except LookupError:
            continue
    return payload.decode("utf-8", errors="replace")


def _short(exc: Exception) -> str:
    text = str(exc).replace("\r", " ").replace("\n", " ")
    return text if len(text) <= 120 else text[:117] + "..."


# --- one VEVENT ----------------------------------------------------------------------------


def _reply_from(event: Component, mail: MailInfo) -> ParsedReply | str:
    uid = str(event.get("UID", "") or "").strip()
    if not uid:
        return _("REPLY without UID")
    raw_sequence = event.get("SEQUENCE")
    try:
        # icalendar gives an int (vInt), or vBroken holding the text it could not read.
        sequence = 0 if raw_sequence is None else int(str(raw_sequence).strip())
    except ValueError:
        return _("SEQUENCE is not a number: %(value)s", value=str(raw_sequence)[:40])
    if sequence < 0:
        return _("SEQUENCE is negative: %(value)s", value=sequence)
    attendees = _attendees(event)
    if not attendees:
        return _("REPLY without ATTENDEE")
    replier = _replier(attendees, mail.sender)
    params = replier.params
    partstat = str(params.get("PARTSTAT", "NEEDS-ACTION")).strip().upper()
    delegated_to = ""
    delegate_name = ""
    targets = _param_list(params.get("DELEGATED-TO"))
    if targets:
        # A REPLY may name several delegates; the first one takes the seat, the rest are
        # visible on the recorded reply for the secretariat.
        delegated_to = _email(targets[0])
        for attendee in attendees:
            if _email(str(attendee)) == delegated_to:
                delegate_name = clean_text(str(attendee.params.get("CN", ""))).strip()
                break
    return ParsedReply(
        mail=mail,
        message_key=mail.message_key,
        event_uid=uid,
        sequence=sequence,
        attendee=_email(str(replier)),
        attendee_name=clean_text(str(params.get("CN", ""))).strip(),
        partstat=partstat,
        delegated_to=delegated_to,
        delegate_name=delegate_name,
    )


def _attendees(event: Component) -> list[Any]:
    value = event.get("ATTENDEE")
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [a for a in items if hasattr(a, "params") and str(a).strip()]


def _replier(attendees: list[Any], sender: str) -> Any:
    """The attendee who is answering. A REPLY normally names only them, but a delegation
    REPLY (RFC 5546 4.2.5) also lists the delegate, with DELEGATED-FROM and no answer yet."""
    if len(attendees) == 1:
        return attendees[0]

    def answered(a: Any) -> bool:
        partstat = str(a.params.get("PARTSTAT", "NEEDS-ACTION")).upper()
        return partstat != "NEEDS-ACTION" and not a.params.get("DELEGATED-FROM")

    for candidate in attendees:
        if _email(str(candidate)) == sender and answered(candidate):
            return candidate
    for candidate in attendees:
        if str(candidate.params.get("PARTSTAT", "")).upper() == "DELEGATED":
            return candidate
    for candidate in attendees:
        if answered(candidate):
            return candidate
    return attendees[0]


def _param_list(value: object) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(i).strip().strip('"') for i in items if str(i).strip().strip('"')]


def _email(cal_address: str) -> str:
    value = clean_text(cal_address).strip().strip('"')
    if value.lower().startswith("mailto:"):
        value = value[len("mailto:") :]
    return value.strip().lower()


def _numbered(reply: ParsedReply, n: int) -> ParsedReply:
    return reply if n == 1 else replace(reply, message_key=f"{reply.mail.message_key}#{n}")

"""The calendar-answer fixtures in replies/*.eml and how a test fills them in.

Each .eml is a whole mail in the shape one client sends (see the notes in FIXTURES), with
placeholders such as {{UID}} and {{ATTENDEE}} where the real session and people go. Placeholders
also sit inside base64 and quoted-printable parts; `fill` decodes such a part, fills it in and
encodes it again the same way, so the mail stays what the client would have sent.
"""

from __future__ import annotations

import base64
import quopri
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path
from zoneinfo import ZoneInfo

REPLIES_DIR = Path(__file__).resolve().parent / "replies"
AMS = ZoneInfo("Europe/Amsterdam")

# name -> what it imitates (from the clients' public descriptions and mails seen in the wild)
FIXTURES: dict[str, str] = {
    "outlook_accept": "Outlook/Exchange: multipart/alternative text+html+text/calendar, all "
    "base64 utf-8; Windows TZID; From an alias, not the ATTENDEE address",
    "gmail_decline": "Gmail: multipart/mixed(alternative(text base64, html QP, text/calendar "
    "7bit), invite.ics application/ics base64)",
    "apple_tentative": "Apple Calendar: multipart/mixed text/plain + iCal-*.ics attachment, "
    "text/calendar quoted-printable, lines folded mid-parameter",
    "thunderbird_delegate": "Thunderbird/Lightning: multipart/mixed text/plain + text/calendar "
    "8bit + invite.ics base64; PARTSTAT=DELEGATED with DELEGATED-TO, delegate listed too",
    "uninvited": "a single-part text/calendar REPLY (mobile/ActiveSync shape) from someone "
    "who is not in the session",
    "stale_sequence": "Outlook shape, answering an older SEQUENCE than the one last sent",
    "unknown_uid": "Gmail shape, for an event the secretariat never sent",
    "corrupt": "a multipart that never ends, cut-off base64 with junk, broken QP; no Message-ID",
}

_PLACEHOLDER = re.compile(rb"\{\{([A-Z_]+)\}\}")


@dataclass(frozen=True)
class ReplyValues:
    uid: str
    sequence: int
    attendee: str
    attendee_name: str
    start: datetime
    end: datetime
    summary: str
    location: str = "https://meet.example.org/sessie"
    sender: str | None = None  # From; the attendee's address when None
    organiser: str = "secretariaat@wiz.example"
    organiser_name: str = "Secretariaat WiZ"
    delegate: str = ""
    delegate_name: str = ""

    def mapping(self) -> dict[str, str]:
        local = "%Y%m%dT%H%M%S"
        return {
            "UID": self.uid,
            "SEQUENCE": str(self.sequence),
            "ATTENDEE": self.attendee,
            "ATTENDEE_NAME": self.attendee_name,
            "FROM": self.sender or self.attendee,
            "ORGANIZER": self.organiser,
            "ORGANIZER_NAME": self.organiser_name,
            "SUMMARY": self.summary,
            "LOCATION": self.location,
            "DTSTART": self.start.astimezone(AMS).strftime(local),
            "DTEND": self.end.astimezone(AMS).strftime(local),
            "DTSTART_UTC": self.start.astimezone(UTC).strftime(local + "Z"),
            "DTEND_UTC": self.end.astimezone(UTC).strftime(local + "Z"),
            "WHEN": self.start.astimezone(AMS).strftime("%a %d %b %Y %H:%M (CET)"),
            "DELEGATE": self.delegate,
            "DELEGATE_NAME": self.delegate_name,
        }


def template(name: str) -> bytes:
    return (REPLIES_DIR / f"{name}.eml").read_bytes()


def load(name: str, values: ReplyValues) -> bytes:
    return fill(template(name), values.mapping())


def fill(raw: bytes, values: Mapping[str, str]) -> bytes:
    out = raw
    for part in message_from_bytes(raw).walk():
        if part.is_multipart():
            continue
        cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
        if cte not in ("base64", "quoted-printable"):
            continue
        decoded = part.get_payload(decode=True)
        if not isinstance(decoded, bytes) or b"{{" not in decoded:
            continue
        encoded = str(part.get_payload()).encode("ascii", "surrogateescape")
        assert encoded in out, "a part with placeholders must appear verbatim in its mail"
        filled = _replace(decoded, values)
        again = base64.encodebytes(filled) if cte == "base64" else quopri.encodestring(filled)
        again = again.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        if not encoded.endswith(b"\n"):
            again = again.rstrip(b"\r\n")
        out = out.replace(encoded, again, 1)
    return _replace(out, values)


def _replace(data: bytes, values: Mapping[str, str]) -> bytes:
    def one(match: re.Match[bytes]) -> bytes:
        name = match.group(1).decode()
        if name not in values:
            raise KeyError(f"no value for placeholder {{{{{name}}}}}")
        return values[name].encode("utf-8")

    return _PLACEHOLDER.sub(one, data)

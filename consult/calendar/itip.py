"""Pure builder for iTIP (RFC 5546) REQUEST and CANCEL messages, one attendee each.

Nothing here sends mail or touches the clock: the caller passes ``dtstamp`` so that
output is reproducible and testable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, vCalAddress

from consult.calendar.vtimezone import AMSTERDAM_TZID, amsterdam_vtimezone

PRODID = "-//Commissie Werken in de Zorg//consult//NL"
REMINDER_BEFORE = timedelta(minutes=30)

Method = Literal["REQUEST", "CANCEL"]

_STATUS: dict[str, str] = {"REQUEST": "CONFIRMED", "CANCEL": "CANCELLED"}


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    sequence: int
    start: datetime  # timezone-aware (any zone); written as local Europe/Amsterdam time
    end: datetime
    summary: str
    description: str
    meeting_url: str  # goes to LOCATION and URL
    organiser_email: str
    organiser_name: str
    attendee_email: str
    attendee_name: str


def _is_aware(value: datetime) -> bool:
    return value.tzinfo is not None and value.utcoffset() is not None


def _check_address(label: str, email: str) -> None:
    # CAL-ADDRESS values are written verbatim (no escaping), so a stray CR/LF or space
    # would inject content lines or yield an unparseable URI.
    if not email or any(c.isspace() or ord(c) < 0x20 for c in email):
        raise ValueError(f"{label} email address is empty or contains whitespace: {email!r}")


def _validate(event: CalendarEvent, method: str, dtstamp: datetime) -> None:
    if method not in _STATUS:
        raise ValueError(f"unsupported iTIP method: {method!r}")
    if not _is_aware(event.start) or not _is_aware(event.end):
        raise ValueError("event start and end must be timezone-aware datetimes")
    if not _is_aware(dtstamp):
        raise ValueError("dtstamp must be a timezone-aware datetime")
    if event.end <= event.start:
        raise ValueError(
            f"event end {event.end.isoformat()} is not after start {event.start.isoformat()}"
        )
    if event.sequence < 0:
        raise ValueError(f"sequence must be >= 0, got {event.sequence}")
    if not event.uid:
        raise ValueError("uid must not be empty")
    _check_address("organiser", event.organiser_email)
    _check_address("attendee", event.attendee_email)


def _address(email: str, name: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    # icalendar quotes the parameter and applies RFC 6868 caret escaping, so names with
    # commas, colons, quotes or non-ASCII characters survive unchanged.
    address.params["CN"] = name
    return address


def _calendar(method: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add_component(amsterdam_vtimezone())
    return cal


def _vevent(event: CalendarEvent, cancelled: bool, dtstamp: datetime, invite: bool) -> Event:
    amsterdam = ZoneInfo(AMSTERDAM_TZID)
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", dtstamp.astimezone(UTC))
    # A ZoneInfo-aware datetime makes icalendar write TZID=Europe/Amsterdam, which matches
    # the VTIMEZONE above; clients then show the local wall-clock time we intended.
    vevent.add("dtstart", event.start.astimezone(amsterdam))
    vevent.add("dtend", event.end.astimezone(amsterdam))
    vevent.add("summary", event.summary)
    vevent.add("description", event.description)
    vevent.add("location", event.meeting_url)
    vevent.add("url", event.meeting_url)
    vevent.add("organizer", _address(event.organiser_email, event.organiser_name))
    if invite:
        attendee = _address(event.attendee_email, event.attendee_name)
        attendee.params["CUTYPE"] = "INDIVIDUAL"
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        attendee.params["PARTSTAT"] = "NEEDS-ACTION"
        attendee.params["RSVP"] = "TRUE"
        vevent.add("attendee", attendee)
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    vevent.add("transp", "OPAQUE")
    # A reminder on a cancelled event would be noise; clients drop the event anyway.
    if not cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", -REMINDER_BEFORE)
        # DESCRIPTION is mandatory on a DISPLAY alarm (RFC 5545 3.6.6), even for an empty summary.
        alarm.add("description", event.summary or "Reminder")
        vevent.add_component(alarm)
    return vevent


def build_itip(event: CalendarEvent, method: Method, dtstamp: datetime) -> bytes:
    """Serialise ``event`` as an iTIP message (CRLF line endings, folded at 75 octets).

    Raises ValueError for naive datetimes, an end not after the start, or malformed addresses.
    """
    _validate(event, method, dtstamp)
    cal = _calendar(method)
    cal.add_component(_vevent(event, method == "CANCEL", dtstamp, invite=True))
    # to_ical() is untyped in icalendar; the bytes() call pins the declared return type.
    return bytes(cal.to_ical())


def build_feed(events: Sequence[tuple[CalendarEvent, bool]], dtstamp: datetime) -> bytes:
    """A METHOD:PUBLISH calendar of (event, cancelled) pairs: a person's subscription feed or a
    single session's download. No ATTENDEE and no RSVP: a feed informs, it does not invite;
    answers go through the invitation itself."""
    cal = _calendar("PUBLISH")
    cal.add("x-wr-calname", "Commissie Werken in de Zorg")
    for event, cancelled in events:
        _validate(event, "CANCEL" if cancelled else "REQUEST", dtstamp)
        cal.add_component(_vevent(event, cancelled, dtstamp, invite=False))
    return bytes(cal.to_ical())

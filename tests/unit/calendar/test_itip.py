"""Behaviour of the iTIP builder as a calendar client would see it."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Component

from consult.calendar.itip import PRODID, CalendarEvent, build_itip
from consult.calendar.vtimezone import amsterdam_vtimezone

AMS = ZoneInfo("Europe/Amsterdam")
DTSTAMP = datetime(2025, 12, 1, 9, 15, 0, tzinfo=UTC)
AWKWARD_NAME = 'Jansen, Anne-Marie "AM" Ündé'


def make_event(**changes: Any) -> CalendarEvent:
    base = CalendarEvent(
        uid="round-7-session-3-invitee-42@consult.example",
        sequence=2,
        start=datetime(2026, 1, 15, 14, 0, tzinfo=AMS),
        end=datetime(2026, 1, 15, 15, 30, tzinfo=AMS),
        summary="Consultatieronde: arbeidsmarkt in de zorg",
        description="Welkom bij de sessie.\nAgenda volgt; neem uw vragen mee.",
        meeting_url="https://meet.example.org/r7-s3?pwd=abc;def",
        organiser_email="secretariaat@commissie-wiz.example",
        organiser_name="Secretariaat Commissie Werken in de Zorg",
        attendee_email="a.jansen@zorg.example",
        attendee_name="Anne Jansen",
    )
    return replace(base, **changes)


def parse(raw: bytes) -> Calendar:
    return Calendar.from_ical(raw)


def only(cal: Component, name: str) -> Component:
    found = cal.walk(name)
    assert len(found) == 1, f"expected exactly one {name}, got {len(found)}"
    return found[0]


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# --- times -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "start_utc", "end_utc"),
    [
        pytest.param(
            datetime(2026, 1, 15, 14, 0, tzinfo=AMS),
            datetime(2026, 1, 15, 15, 30, tzinfo=AMS),
            datetime(2026, 1, 15, 13, 0, tzinfo=UTC),
            datetime(2026, 1, 15, 14, 30, tzinfo=UTC),
            id="winter",
        ),
        pytest.param(
            datetime(2026, 7, 2, 9, 30, tzinfo=AMS),
            datetime(2026, 7, 2, 11, 0, tzinfo=AMS),
            datetime(2026, 7, 2, 7, 30, tzinfo=UTC),
            datetime(2026, 7, 2, 9, 0, tzinfo=UTC),
            id="summer",
        ),
    ],
)
def test_start_and_end_are_the_right_instants(
    start: datetime, end: datetime, start_utc: datetime, end_utc: datetime
) -> None:
    # The expected instants are stated literally and cross-checked against zoneinfo so a
    # wrong expectation cannot hide a wrong result.
    assert utc(start) == start_utc
    assert utc(end) == end_utc

    vevent = only(parse(build_itip(make_event(start=start, end=end), "REQUEST", DTSTAMP)), "VEVENT")

    assert utc(vevent.decoded("DTSTART")) == start_utc
    assert utc(vevent.decoded("DTEND")) == end_utc
    assert vevent["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    assert vevent["DTEND"].params["TZID"] == "Europe/Amsterdam"


def test_utc_input_is_written_as_amsterdam_wall_clock_time() -> None:
    event = make_event(
        start=datetime(2026, 7, 2, 7, 30, tzinfo=UTC),
        end=datetime(2026, 7, 2, 9, 0, tzinfo=UTC),
    )
    raw = build_itip(event, "REQUEST", DTSTAMP)
    text = raw.decode("utf-8")

    assert "DTSTART;TZID=Europe/Amsterdam:20260702T093000\r\n" in text
    assert "DTEND;TZID=Europe/Amsterdam:20260702T110000\r\n" in text
    vevent = only(parse(raw), "VEVENT")
    assert utc(vevent.decoded("DTSTART")) == datetime(2026, 7, 2, 7, 30, tzinfo=UTC)


def test_other_zone_input_is_converted() -> None:
    new_york = ZoneInfo("America/New_York")
    event = make_event(
        start=datetime(2026, 1, 15, 8, 0, tzinfo=new_york),
        end=datetime(2026, 1, 15, 9, 30, tzinfo=new_york),
    )
    text = build_itip(event, "REQUEST", DTSTAMP).decode("utf-8")
    assert "DTSTART;TZID=Europe/Amsterdam:20260115T140000\r\n" in text
    assert "DTEND;TZID=Europe/Amsterdam:20260115T153000\r\n" in text


def test_dtstamp_is_written_in_utc() -> None:
    local_stamp = datetime(2025, 12, 1, 10, 15, 0, tzinfo=timezone(timedelta(hours=1)))
    raw = build_itip(make_event(), "REQUEST", local_stamp)
    assert "DTSTAMP:20251201T091500Z\r\n" in raw.decode("utf-8")
    assert only(parse(raw), "VEVENT").decoded("DTSTAMP") == DTSTAMP


# --- method-dependent content ------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "status", "alarms"),
    [("REQUEST", "CONFIRMED", 1), ("CANCEL", "CANCELLED", 0)],
)
def test_method_status_and_alarm(
    method: Literal["REQUEST", "CANCEL"], status: str, alarms: int
) -> None:
    cal = parse(build_itip(make_event(), method, DTSTAMP))
    vevent = only(cal, "VEVENT")

    assert str(cal["METHOD"]) == method
    assert str(vevent["STATUS"]) == status
    assert str(vevent["TRANSP"]) == "OPAQUE"
    assert len(vevent.walk("VALARM")) == alarms


def test_request_alarm_fires_30_minutes_before_with_a_description() -> None:
    alarm = only(parse(build_itip(make_event(), "REQUEST", DTSTAMP)), "VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") == timedelta(minutes=-30)
    assert str(alarm["DESCRIPTION"]).strip()


def test_calendar_header() -> None:
    cal = parse(build_itip(make_event(), "REQUEST", DTSTAMP))
    assert str(cal["PRODID"]) == PRODID == "-//Commissie Werken in de Zorg//consult//NL"
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["CALSCALE"]) == "GREGORIAN"


def test_event_fields() -> None:
    event = make_event()
    vevent = only(parse(build_itip(event, "CANCEL", DTSTAMP)), "VEVENT")

    assert str(vevent["UID"]) == event.uid
    assert vevent.decoded("SEQUENCE") == 2
    assert str(vevent["SUMMARY"]) == event.summary
    # Newlines, semicolons and commas in text must survive escaping.
    assert str(vevent["DESCRIPTION"]) == event.description
    assert str(vevent["LOCATION"]) == event.meeting_url
    assert str(vevent["URL"]) == event.meeting_url


# --- people ------------------------------------------------------------------------------


def test_organiser_and_single_attendee() -> None:
    event = make_event()
    vevent = only(parse(build_itip(event, "REQUEST", DTSTAMP)), "VEVENT")

    organizer = vevent["ORGANIZER"]
    assert str(organizer).lower() == f"mailto:{event.organiser_email}"
    assert organizer.params["CN"] == event.organiser_name

    attendee = vevent["ATTENDEE"]
    assert not isinstance(attendee, list), "expected exactly one ATTENDEE"
    assert str(attendee).lower() == f"mailto:{event.attendee_email}"
    assert attendee.params["CN"] == event.attendee_name
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    assert attendee.params["RSVP"] == "TRUE"
    assert attendee.params["CUTYPE"] == "INDIVIDUAL"


@pytest.mark.parametrize(
    "name",
    [AWKWARD_NAME, "Dr. Ö'Brien: zorg; welzijn", "Ünïcødé Ñame 中文 " + "x" * 80],
)
def test_awkward_common_names_round_trip(name: str) -> None:
    event = make_event(attendee_name=name, organiser_name=name)
    raw = build_itip(event, "REQUEST", DTSTAMP)
    vevent = only(parse(raw), "VEVENT")

    assert vevent["ATTENDEE"].params["CN"] == name
    assert vevent["ORGANIZER"].params["CN"] == name
    # The address must not be swallowed by an unquoted comma or colon in the name.
    assert str(vevent["ATTENDEE"]).lower() == f"mailto:{event.attendee_email}"
    assert str(vevent["ORGANIZER"]).lower() == f"mailto:{event.organiser_email}"


def test_awkward_name_is_quoted_on_the_wire() -> None:
    raw = build_itip(make_event(attendee_name=AWKWARD_NAME), "REQUEST", DTSTAMP)
    unfolded = raw.decode("utf-8").replace("\r\n ", "")
    attendee_line = next(line for line in unfolded.split("\r\n") if line.startswith("ATTENDEE"))
    # RFC 6868: a DQUOTE inside a quoted parameter is written as ^'.
    assert attendee_line.startswith("ATTENDEE;CN=\"Jansen, Anne-Marie ^'AM^' Ündé\";")


# --- VTIMEZONE ---------------------------------------------------------------------------


def test_vtimezone_uses_rrules_and_no_rdate() -> None:
    raw = build_itip(make_event(), "REQUEST", DTSTAMP)
    tz = only(parse(raw), "VTIMEZONE")

    assert str(tz["TZID"]) == "Europe/Amsterdam"
    assert len(tz.walk("STANDARD")) == 1
    assert len(tz.walk("DAYLIGHT")) == 1
    for sub in (*tz.walk("STANDARD"), *tz.walk("DAYLIGHT")):
        assert "RRULE" in sub
        assert "RDATE" not in sub
    assert b"RDATE" not in raw


def _vtimezone_blocks(text: str) -> dict[str, dict[str, str]]:
    """Read STANDARD/DAYLIGHT properties straight from the text, without icalendar."""
    unfolded = re.sub(r"\r\n[ \t]", "", text)
    lines = unfolded.split("\r\n")
    start = lines.index("BEGIN:VTIMEZONE")
    end = lines.index("END:VTIMEZONE", start)
    blocks: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in lines[start + 1 : end]:
        if line in ("BEGIN:STANDARD", "BEGIN:DAYLIGHT"):
            current = blocks.setdefault(line.removeprefix("BEGIN:"), {})
        elif line.startswith("END:"):
            current = None
        elif current is not None:
            key, _, value = line.partition(":")
            current[key] = value
    return blocks


def test_vtimezone_offsets_read_from_raw_text() -> None:
    blocks = _vtimezone_blocks(build_itip(make_event(), "REQUEST", DTSTAMP).decode("utf-8"))

    assert blocks["STANDARD"]["TZOFFSETFROM"] == "+0200"
    assert blocks["STANDARD"]["TZOFFSETTO"] == "+0100"
    assert blocks["STANDARD"]["TZNAME"] == "CET"
    assert blocks["STANDARD"]["DTSTART"] == "19701025T030000"
    assert blocks["DAYLIGHT"]["TZOFFSETFROM"] == "+0100"
    assert blocks["DAYLIGHT"]["TZOFFSETTO"] == "+0200"
    assert blocks["DAYLIGHT"]["TZNAME"] == "CEST"
    assert blocks["DAYLIGHT"]["DTSTART"] == "19700329T020000"

    def rule(value: str) -> dict[str, str]:
        return dict(part.split("=", 1) for part in value.split(";"))

    assert rule(blocks["STANDARD"]["RRULE"]) == {"FREQ": "YEARLY", "BYMONTH": "10", "BYDAY": "-1SU"}
    assert rule(blocks["DAYLIGHT"]["RRULE"]) == {"FREQ": "YEARLY", "BYMONTH": "3", "BYDAY": "-1SU"}


@pytest.mark.parametrize(
    "instant",
    [
        datetime(2026, 1, 15, 13, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 0, 59, tzinfo=UTC),  # last minute of CET
        datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # first minute of CEST
        datetime(2026, 7, 2, 7, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 0, 59, tzinfo=UTC),  # last minute of CEST
        datetime(2026, 10, 25, 1, 0, tzinfo=UTC),  # first minute of CET
        datetime(2031, 3, 30, 1, 0, tzinfo=UTC),
    ],
)
def test_vtimezone_rules_agree_with_zoneinfo(instant: datetime) -> None:
    # Parsing DTSTART resolves TZID through zoneinfo, so this checks what a client that
    # trusts our VTIMEZONE instead would compute.
    from_vtimezone = amsterdam_vtimezone().to_tz()
    assert instant.astimezone(from_vtimezone).utcoffset() == instant.astimezone(AMS).utcoffset()


def test_vtimezone_components_are_independent() -> None:
    first = amsterdam_vtimezone()
    first["TZID"] = "Changed/By-Caller"
    assert str(amsterdam_vtimezone()["TZID"]) == "Europe/Amsterdam"


# --- wire format -------------------------------------------------------------------------


def test_crlf_line_endings_and_75_octet_folding() -> None:
    event = make_event(
        attendee_name=AWKWARD_NAME,
        summary="Één lange titel met accenten: coöperatie, zorg­verzekeraars " * 3,
        description="Beschrijving met ümlauts en € tekens, " * 20,
    )
    raw = build_itip(event, "REQUEST", DTSTAMP)

    assert raw.endswith(b"\r\n")
    lines = raw.split(b"\r\n")[:-1]
    assert len(lines) > 20
    for line in lines:
        assert b"\n" not in line and b"\r" not in line, line
        assert len(line) <= 75, (len(line), line)
        # Folding must not split a multi-byte UTF-8 sequence.
        line.decode("utf-8")
    # Long values really were folded, and unfold back to the original.
    assert any(line.startswith(b" ") for line in lines)
    assert str(only(parse(raw), "VEVENT")["DESCRIPTION"]) == event.description


# --- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"start": datetime(2026, 1, 15, 14, 0)}, id="naive-start"),
        pytest.param({"end": datetime(2026, 1, 15, 15, 30)}, id="naive-end"),
        pytest.param(
            {"start": datetime(2026, 1, 15, 14, 0), "end": datetime(2026, 1, 15, 15, 30)},
            id="both-naive",
        ),
        pytest.param({"end": datetime(2026, 1, 15, 14, 0, tzinfo=AMS)}, id="end-equals-start"),
        pytest.param({"end": datetime(2026, 1, 15, 13, 0, tzinfo=AMS)}, id="end-before-start"),
        pytest.param(
            # 12:30Z is before the 14:00 Amsterdam (13:00Z) start; compared as instants.
            {"end": datetime(2026, 1, 15, 12, 30, tzinfo=UTC)},
            id="end-before-start-other-zone",
        ),
        pytest.param({"attendee_email": "a@b.nl\r\nATTENDEE:mailto:x@y"}, id="crlf-in-email"),
        pytest.param({"organiser_email": ""}, id="empty-organiser"),
    ],
)
def test_invalid_events_raise_value_error(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        build_itip(make_event(**changes), "REQUEST", DTSTAMP)


def test_naive_dtstamp_raises_value_error() -> None:
    with pytest.raises(ValueError):
        build_itip(make_event(), "REQUEST", datetime(2025, 12, 1, 9, 15))

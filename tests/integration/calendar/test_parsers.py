"""Every calendar message kind, read by independent parsers.

An invitation (REQUEST, SEQUENCE 0), an update after a move (REQUEST, SEQUENCE 1, new time) and
a cancellation (CANCEL, SEQUENCE 2), for a session in winter time and one in summer time, plus a
PUBLISH feed: icalendar, vobject, ical.js (Thunderbird's parser) and libical (Evolution's) must
all report the UID, SEQUENCE, METHOD, STATUS, attendee and organiser as written, and the same
UTC instants for DTSTART and DTEND as Python's zoneinfo. libical's iTIP restriction check
(RFC 5546 section 3.2, per METHOD) must find nothing. A real Radicale CalDAV server must store
the events and answer time-range queries at the right instants.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from consult.calendar.itip import CalendarEvent, Method, build_feed, build_itip
from tests.integration.calendar.radicale_server import Radicale, running_radicale
from tests.integration.calendar.readers import PARSERS, iso, read_all, run_libical

AMS = ZoneInfo("Europe/Amsterdam")
# Non-ASCII and a comma: the CN parameter must be quoted, and stay one attendee.
ATTENDEE_NAME = "de Vries, Søren Ünal"
ATTENDEE_EMAIL = "s.devries@zorggroep-twente.example"
ORGANISER_NAME = "Secretariaat Commissie Werken in de Zorg"
ORGANISER_EMAIL = "secretariaat@commissie-wiz.example"


@dataclass(frozen=True)
class Season:
    name: str
    start: datetime
    end: datetime
    moved_start: datetime
    moved_end: datetime
    # Stated literally so that a wrong zoneinfo expectation cannot hide a wrong result.
    utc_start: str
    utc_moved_start: str


SEASONS = (
    Season(
        "winter",
        datetime(2027, 1, 14, 10, 0, tzinfo=AMS),
        datetime(2027, 1, 14, 11, 30, tzinfo=AMS),
        datetime(2027, 1, 21, 13, 0, tzinfo=AMS),
        datetime(2027, 1, 21, 14, 30, tzinfo=AMS),
        "2027-01-14T09:00:00Z",
        "2027-01-21T12:00:00Z",
    ),
    Season(
        "summer",
        datetime(2027, 7, 8, 14, 0, tzinfo=AMS),
        datetime(2027, 7, 8, 15, 30, tzinfo=AMS),
        datetime(2027, 7, 15, 9, 30, tzinfo=AMS),
        datetime(2027, 7, 15, 11, 0, tzinfo=AMS),
        "2027-07-08T12:00:00Z",
        "2027-07-15T07:30:00Z",
    ),
)
KINDS = ("request", "update", "cancel")
STAMPS = {
    "request": datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
    "update": datetime(2026, 12, 5, 10, 30, tzinfo=UTC),
    "cancel": datetime(2026, 12, 10, 16, 45, 12, tzinfo=UTC),
}


def _event(season: Season) -> CalendarEvent:
    return CalendarEvent(
        uid=f"{season.name}-7f3c@commissie-wiz.example",
        sequence=0,
        start=season.start,
        end=season.end,
        summary="Consultatieronde 2027: Behoud & betrokkenheid van zorgprofessionals",
        description="Richtvragen:\n- Wat houdt professionals vast?\n\nDeelnemen: zie link",
        meeting_url=f"https://meet.example.org/r2027/{season.name}?pwd=a;b,c",
        organiser_email=ORGANISER_EMAIL,
        organiser_name=ORGANISER_NAME,
        attendee_email=ATTENDEE_EMAIL,
        attendee_name=ATTENDEE_NAME,
    )


def _message(season: Season, kind: str) -> tuple[CalendarEvent, Method]:
    event = _event(season)
    if kind == "request":
        return event, "REQUEST"
    moved = replace(event, start=season.moved_start, end=season.moved_end)
    if kind == "update":
        return replace(moved, sequence=1), "REQUEST"
    return replace(moved, sequence=2), "CANCEL"


def _expected_event(event: CalendarEvent, cancelled: bool, stamp: datetime) -> dict[str, Any]:
    return {
        "uid": event.uid,
        "sequence": event.sequence,
        "status": "CANCELLED" if cancelled else "CONFIRMED",
        "dtstamp": iso(stamp),
        # zoneinfo's answer: the instants every parser must agree on.
        "dtstart": iso(event.start.astimezone(UTC)),
        "dtend": iso(event.end.astimezone(UTC)),
        "dtstart_tzid": "Europe/Amsterdam",
        "organizer": f"mailto:{ORGANISER_EMAIL}",
    }


@dataclass(frozen=True)
class Sample:
    path: Path
    expected: dict[str, Any]


def _feed_events() -> list[tuple[CalendarEvent, bool]]:
    winter, summer = SEASONS
    return [
        (
            replace(_event(winter), sequence=1, start=winter.moved_start, end=winter.moved_end),
            False,
        ),
        (replace(_event(summer), sequence=1), True),
    ]


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Sample]:
    directory = tmp_path_factory.mktemp("itip")
    found: dict[str, Sample] = {}
    for season in SEASONS:
        for kind in KINDS:
            event, method = _message(season, kind)
            path = directory / f"{season.name}-{kind}.ics"
            path.write_bytes(build_itip(event, method, STAMPS[kind]))
            expected = _expected_event(event, method == "CANCEL", STAMPS[kind])
            expected["attendees"] = [[f"mailto:{ATTENDEE_EMAIL}", ATTENDEE_NAME]]
            found[path.stem] = Sample(path, {"method": method, "events": [expected]})
    feed = directory / "feed.ics"
    stamp = STAMPS["update"]
    feed.write_bytes(build_feed(_feed_events(), stamp))
    events = []
    for event, cancelled in _feed_events():
        # A feed informs; it invites nobody.
        events.append(_expected_event(event, cancelled, stamp) | {"attendees": []})
    found["feed"] = Sample(feed, {"method": "PUBLISH", "events": events})
    return found


@pytest.fixture(scope="module")
def parsed(samples: dict[str, Sample]) -> dict[str, dict[Path, dict[str, Any]]]:
    return read_all([s.path for s in samples.values()])


NAMES = [f"{s.name}-{k}" for s in SEASONS for k in KINDS] + ["feed"]


def test_expected_instants_are_the_literal_ones() -> None:
    for season in SEASONS:
        assert iso(season.start) == season.utc_start
        assert iso(season.moved_start) == season.utc_moved_start
        assert season.end - season.start == timedelta(minutes=90)


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("name", NAMES)
def test_parser_reads_what_was_sent(
    name: str,
    parser: str,
    samples: dict[str, Sample],
    parsed: dict[str, dict[Path, dict[str, Any]]],
) -> None:
    sample = samples[name]
    assert parsed[parser][sample.path] == sample.expected, (
        f"{parser} disagrees on {name}.ics:\n{sample.path.read_text()}"
    )


@pytest.mark.parametrize("name", NAMES)
def test_all_parsers_agree(
    name: str, samples: dict[str, Sample], parsed: dict[str, dict[Path, dict[str, Any]]]
) -> None:
    path = samples[name].path
    views = {parser: parsed[parser][path] for parser in PARSERS}
    reference = views["icalendar"]
    disagreeing = {p: v for p, v in views.items() if v != reference}
    assert not disagreeing, f"{name}: icalendar says {reference}, but {disagreeing}"


@pytest.mark.parametrize("name", NAMES)
def test_libical_restriction_check_finds_nothing(
    name: str, samples: dict[str, Sample], parsed: dict[str, dict[Path, dict[str, Any]]]
) -> None:
    raw = parsed["libical_raw"][samples[name].path]
    assert raw["parse_errors"] == []
    assert raw["restriction_errors"] == []
    assert raw["restrictions_ok"] is True
    assert raw["timezones"] == ["Europe/Amsterdam"]
    for event in raw["events"]:
        # libical resolved TZID to the file's VTIMEZONE, and a zone built from that VTIMEZONE
        # by hand gives the same instants.
        assert event["dtstart_zone_from_file"] is True
        assert event["dtend_zone_from_file"] is True
        assert event["dtstart_via_file_zone"] == event["dtstart"]
        assert event["dtend_via_file_zone"] == event["dtend"]


def test_icaljs_resolved_the_files_timezone(
    samples: dict[str, Sample], parsed: dict[str, dict[Path, dict[str, Any]]]
) -> None:
    for name in NAMES:
        raw = parsed["icaljs_raw"][samples[name].path]
        assert raw["timezones"] == ["Europe/Amsterdam"], name
        for event in raw["events"]:
            # ICAL.Event's start/end (what Thunderbird displays) match the property values.
            assert (event["event_start"], event["event_end"]) == (event["dtstart"], event["dtend"])


def test_reminder_only_on_invitations(
    samples: dict[str, Sample], parsed: dict[str, dict[Path, dict[str, Any]]]
) -> None:
    alarms = {
        name: [e["alarms"] for e in parsed["icaljs_raw"][samples[name].path]["events"]]
        for name in NAMES
    }
    libical_alarms = {
        name: [e["alarms"] for e in parsed["libical_raw"][samples[name].path]["events"]]
        for name in NAMES
    }
    assert alarms == libical_alarms
    for season in SEASONS:
        assert alarms[f"{season.name}-request"] == [1]
        assert alarms[f"{season.name}-update"] == [1]
        assert alarms[f"{season.name}-cancel"] == [0]
    assert alarms["feed"] == [1, 0]


def test_restriction_check_is_not_a_rubber_stamp(tmp_path: Path) -> None:
    """The check above would be worthless if libical passed anything: a REQUEST without
    ORGANIZER and a CANCEL without SEQUENCE must be reported."""
    event, _ = _message(SEASONS[0], "request")
    request = build_itip(event, "REQUEST", STAMPS["request"])
    cancel = build_itip(event, "CANCEL", STAMPS["cancel"])
    no_organizer = tmp_path / "no-organizer.ics"
    no_organizer.write_bytes(
        b"".join(
            line for line in request.splitlines(keepends=True) if not line.startswith(b"ORGANIZER")
        )
    )
    no_sequence = tmp_path / "no-sequence.ics"
    no_sequence.write_bytes(cancel.replace(b"SEQUENCE:0\r\n", b""))
    first, second = run_libical([no_organizer, no_sequence])
    assert first["restrictions_ok"] is False
    assert any("ORGANIZER" in e["message"] for e in first["restriction_errors"])
    assert second["restrictions_ok"] is False
    assert any("SEQUENCE" in e["message"] for e in second["restriction_errors"])


def test_readers_take_the_offsets_from_the_files_vtimezone(tmp_path: Path) -> None:
    """ical.js, vobject and libical use the VTIMEZONE in the file, not a zone database of their
    own: give Europe/Amsterdam a wrong winter offset (+03:00) and they all follow it. So their
    agreement with zoneinfo above is a statement about the VTIMEZONE we emit."""
    event, _ = _message(SEASONS[0], "request")
    raw = build_itip(event, "REQUEST", STAMPS["request"])
    tampered = raw.replace(b"TZOFFSETTO:+0100", b"TZOFFSETTO:+0300").replace(
        b"TZOFFSETFROM:+0100", b"TZOFFSETFROM:+0300"
    )
    assert tampered.count(b"+0300") == 2
    path = tmp_path / "tampered.ics"
    path.write_bytes(tampered)
    views = read_all([path])
    # 10:00 local at +03:00 is 07:00 UTC (zoneinfo would say 09:00).
    for parser in ("vobject", "icaljs", "libical"):
        (seen,) = views[parser][path]["events"]
        assert seen["dtstart"] == "2027-01-14T07:00:00Z", parser


def test_rfc6868_quote_in_a_name(tmp_path: Path) -> None:
    """A double quote in a name is written with RFC 6868 caret escaping (^'). icalendar and
    ical.js decode it; vobject 0.9.9 and libical 3.0 do not implement RFC 6868 and show the
    raw ^' (a known limitation of those readers, recorded here so a change is noticed).
    Everyone still reads one attendee with the right address."""
    name = 'Jansen, Anne-Marie "AM" Ündé'
    event = replace(_message(SEASONS[0], "request")[0], attendee_name=name)
    path = tmp_path / "quote.ics"
    path.write_bytes(build_itip(event, "REQUEST", STAMPS["request"]))
    views = read_all([path])
    cns = {}
    for parser in PARSERS:
        (seen,) = views[parser][path]["events"]
        ((address, cn),) = seen["attendees"]
        assert address == f"mailto:{ATTENDEE_EMAIL}", parser
        cns[parser] = cn
    assert cns == {
        "icalendar": name,
        "icaljs": name,
        "vobject": name.replace('"', "^'"),
        "libical": name.replace('"', "^'"),
    }
    assert views["libical_raw"][path]["restrictions_ok"] is True


# --- Radicale ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with running_radicale(tmp_path_factory.mktemp("radicale")) as server:
        yield server


def _as_stored_object(itip: bytes) -> bytes:
    """CalDAV stores calendar objects, not iTIP messages: drop METHOD, keep the VTIMEZONE."""
    lines = itip.splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(b"METHOD:")]
    assert len(kept) == len(lines) - 1
    return b"".join(kept)


_QUERY = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{start}" end="{end}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""


def _found_in_range(server: Radicale, collection: str, start: datetime, end: datetime) -> bool:
    def stamp(value: datetime) -> str:
        return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    body = _QUERY.format(start=stamp(start), end=stamp(end)).encode()
    response = server.request(
        "REPORT",
        collection,
        body,
        {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"},
    )
    assert response.status == 207, response.body
    return b"event.ics" in response.body


def _assert_at(server: Radicale, collection: str, start: datetime, end: datetime) -> None:
    """Radicale places the event at exactly [start, end): a minute either side is outside."""
    minute = timedelta(minutes=1)
    assert not _found_in_range(server, collection, start - 30 * minute, start)
    assert _found_in_range(server, collection, start, start + minute)
    assert _found_in_range(server, collection, end - minute, end)
    assert not _found_in_range(server, collection, end, end + 30 * minute)


@pytest.mark.parametrize("season", SEASONS, ids=lambda s: s.name)
def test_radicale_stores_invitation_and_update(radicale: Radicale, season: Season) -> None:
    collection = f"/consult/{season.name}/"
    made = radicale.request("MKCALENDAR", collection)
    assert made.status == 201, made.body
    href = f"{collection}event.ics"
    headers = {"Content-Type": "text/calendar; charset=utf-8"}

    for kind, expected_status in (("request", 201), ("update", 204)):
        event, method = _message(season, kind)
        body = _as_stored_object(build_itip(event, method, STAMPS[kind]))
        put = radicale.request("PUT", href, body, headers)
        assert put.status == expected_status, (kind, put.status, put.body, radicale.log.read_text())

        got = radicale.request("GET", href)
        assert got.status == 200
        text = got.body.decode("utf-8").replace("\r\n ", "")
        local = event.start.astimezone(AMS).strftime("%Y%m%dT%H%M%S")
        assert f"DTSTART;TZID=Europe/Amsterdam:{local}" in text, text
        assert "BEGIN:VTIMEZONE" in text and "TZID:Europe/Amsterdam" in text
        assert f"UID:{event.uid}" in text
        assert f"SEQUENCE:{event.sequence}" in text
        assert "METHOD:" not in text
        _assert_at(radicale, collection, event.start, event.end)

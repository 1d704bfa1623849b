#!/usr/bin/python3
"""Read iCalendar files with libical (the C library behind Evolution and many servers) and print
what it understood as JSON, one object per file, in argument order.

Runs with the SYSTEM interpreter, not the project's virtual environment: the bindings come from
Debian (gir1.2-ical-3.0 + python3-gi) and are not installable from PyPI.

    /usr/bin/python3 tests/calendar_tools/libical_check.py a.ics b.ics

Per file: METHOD, parse errors (X-LIC-ERROR properties libical adds while parsing), the result of
libical's iTIP restriction check (icalcomponent_check_restrictions, i.e. the per-METHOD table of
which properties must appear how often, RFC 5546 section 3.2) with the errors it reports, and
per VEVENT the UID, SEQUENCE, STATUS, ORGANIZER, ATTENDEEs and DTSTART/DTEND as UTC instants.

Instants are computed twice, both with libical's own time-zone code and the VTIMEZONE in the
file: (1) as libical resolves DTSTART/DTEND itself (the TZID is looked up among the VCALENDAR's
VTIMEZONE components); (2) from an ICalTimezone built explicitly from the file's VTIMEZONE. The
`zone_from_file` flag says whether (1) used the file's definition rather than libical's built-in
zone database. Exit status 1 with a message on stderr when the bindings or a file are unusable.

The GObject bindings are the namespace ICalGLib-3.0 (same Debian package as ICal-3.0, whose
plain C binding cannot construct components from Python).
"""

from __future__ import annotations

import json
import sys
from typing import Any

try:
    import gi

    gi.require_version("ICalGLib", "3.0")
    from gi.repository import ICalGLib as ICal
except (ImportError, ValueError) as exc:  # pragma: no cover - environment problem
    sys.stderr.write(
        f"libical: GObject bindings unavailable ({exc}); install gir1.2-ical-3.0 and python3-gi\n"
    )
    sys.exit(1)

UTC = ICal.Timezone.get_utc_timezone()


def _components(root: Any) -> list[Any]:
    """root and every component below it, depth first."""
    found = [root]
    child = root.get_first_component(ICal.ComponentKind.ANY_COMPONENT)
    while child is not None:
        found.extend(_components(child))
        child = root.get_next_component(ICal.ComponentKind.ANY_COMPONENT)
    return found


def _properties(component: Any, kind: Any) -> list[Any]:
    found = []
    prop = component.get_first_property(kind)
    while prop is not None:
        found.append(prop)
        prop = component.get_next_property(kind)
    return found


def _errors(root: Any) -> list[dict[str, str]]:
    errors = []
    for component in _components(root):
        for prop in _properties(component, ICal.PropertyKind.XLICERROR_PROPERTY):
            errors.append(
                {
                    "component": ICal.Component.kind_to_string(component.isa()),
                    "type": prop.get_parameter_as_string("X-LIC-ERRORTYPE") or "",
                    "message": prop.get_xlicerror() or "",
                }
            )
    return errors


def _iso(time: Any) -> str:
    utc = time.convert_to_zone(UTC)
    return (
        f"{utc.get_year():04d}-{utc.get_month():02d}-{utc.get_day():02d}T"
        f"{utc.get_hour():02d}:{utc.get_minute():02d}:{utc.get_second():02d}Z"
    )


def _file_zones(root: Any) -> dict[str, Any]:
    zones = {}
    for vtimezone in _children(root, ICal.ComponentKind.VTIMEZONE_COMPONENT):
        zone = ICal.Timezone.new()
        if not zone.set_component(vtimezone.clone()):
            raise ValueError("libical refused a VTIMEZONE")
        zones[zone.get_tzid()] = zone
    return zones


def _children(root: Any, kind: Any) -> list[Any]:
    found = []
    child = root.get_first_component(kind)
    while child is not None:
        found.append(child)
        child = root.get_next_component(kind)
    return found


def _time(event: Any, prop_kind: Any, getter: str, zones: dict[str, Any]) -> dict[str, Any]:
    prop = event.get_first_property(prop_kind)
    if prop is None:
        return {"utc": None, "tzid": None, "utc_via_file_zone": None, "zone_from_file": None}
    tzid = prop.get_parameter_as_string("TZID")
    resolved = getattr(event, getter)()  # libical's own lookup of TZID in the VCALENDAR
    zone = resolved.get_timezone()
    via_file = None
    if tzid is not None:
        if tzid not in zones:
            raise ValueError(f"TZID={tzid} has no VTIMEZONE in the file")
        # The same local wall-clock time, placed explicitly in the file's zone.
        local = ICal.Time.new_from_string(resolved.as_ical_string())
        local.set_timezone(zones[tzid])
        via_file = _iso(local)
    elif not resolved.is_utc():
        raise ValueError(f"{prop.as_ical_string().strip()} is a floating time")
    return {
        "utc": _iso(resolved),
        "tzid": tzid,
        "utc_via_file_zone": via_file,
        # A built-in zone carries a location and a prefixed TZID; the file's carries neither.
        "zone_from_file": (
            None
            if tzid is None
            else zone is not None and zone.get_tzid() == tzid and not zone.get_location()
        ),
    }


def _address(prop: Any) -> dict[str, Any]:
    return {
        "value": prop.get_value_as_string(),
        "cn": prop.get_parameter_as_string("CN"),
        "partstat": prop.get_parameter_as_string("PARTSTAT"),
        "role": prop.get_parameter_as_string("ROLE"),
        "rsvp": prop.get_parameter_as_string("RSVP"),
    }


def _event(event: Any, zones: dict[str, Any]) -> dict[str, Any]:
    start = _time(event, ICal.PropertyKind.DTSTART_PROPERTY, "get_dtstart", zones)
    end = _time(event, ICal.PropertyKind.DTEND_PROPERTY, "get_dtend", zones)
    status = event.get_first_property(ICal.PropertyKind.STATUS_PROPERTY)
    sequence = event.get_first_property(ICal.PropertyKind.SEQUENCE_PROPERTY)
    organizers = _properties(event, ICal.PropertyKind.ORGANIZER_PROPERTY)
    return {
        "uid": event.get_uid(),
        "sequence": None if sequence is None else event.get_sequence(),
        "status": None if status is None else status.get_value_as_string(),
        "summary": event.get_summary(),
        "location": event.get_location(),
        "dtstamp": _iso(event.get_dtstamp()),
        "dtstart": start["utc"],
        "dtstart_tzid": start["tzid"],
        "dtstart_via_file_zone": start["utc_via_file_zone"],
        "dtstart_zone_from_file": start["zone_from_file"],
        "dtend": end["utc"],
        "dtend_tzid": end["tzid"],
        "dtend_via_file_zone": end["utc_via_file_zone"],
        "dtend_zone_from_file": end["zone_from_file"],
        "organizer": _address(organizers[0]) if organizers else None,
        "attendees": [_address(p) for p in _properties(event, ICal.PropertyKind.ATTENDEE_PROPERTY)],
        "alarms": len(_children(event, ICal.ComponentKind.VALARM_COMPONENT)),
    }


def check(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8", newline="") as handle:
        text = handle.read()
    root = ICal.Component.new_from_string(text)
    if root is None or root.isa() != ICal.ComponentKind.VCALENDAR_COMPONENT:
        raise ValueError(f"{path}: libical did not read a VCALENDAR")
    parse_errors = _errors(root)
    restrictions_ok = bool(root.check_restrictions())
    restriction_errors = _errors(root)[len(parse_errors) :]
    method = root.get_first_property(ICal.PropertyKind.METHOD_PROPERTY)
    zones = _file_zones(root)
    events = _children(root, ICal.ComponentKind.VEVENT_COMPONENT)
    return {
        "file": path,
        "method": None if method is None else method.get_value_as_string(),
        "parse_errors": parse_errors,
        "restrictions_ok": restrictions_ok,
        "restriction_errors": restriction_errors,
        "timezones": sorted(zones),
        "events": [_event(event, zones) for event in events],
    }


def main(paths: list[str]) -> int:
    try:
        results = [check(path) for path in paths]
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"libical: {exc}\n")
        return 1
    sys.stdout.write(json.dumps(results, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""A hand-written VTIMEZONE for Europe/Amsterdam.

icalendar can derive a VTIMEZONE from a tzinfo (``Timezone.from_tzinfo`` or
``Calendar.add_missing_timezones``), but it writes every historical transition as a long
RDATE list. ical.js and vobject read that list one hour off, so invitees on those clients
would see the wrong time. The two-rule form below is what Outlook and Google emit and what
every client we know of reads correctly. It only describes the rules in force since 1996,
which is fine because we never schedule sessions in the past.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard, vRecur

AMSTERDAM_TZID = "Europe/Amsterdam"

_CET = timedelta(hours=1)
_CEST = timedelta(hours=2)


def amsterdam_vtimezone() -> Timezone:
    """Return a fresh VTIMEZONE component for Europe/Amsterdam (CET/CEST, EU rules)."""
    # A new component on every call: icalendar components are mutable, and a shared
    # module-level instance could be altered by one caller and leak into another message.
    daylight = TimezoneDaylight()
    daylight.add("tzname", "CEST")
    daylight.add("tzoffsetfrom", _CET)
    daylight.add("tzoffsetto", _CEST)
    # DTSTART of a VTIMEZONE rule is local time without TZID (RFC 5545 3.6.5).
    daylight.add("dtstart", datetime(1970, 3, 29, 2, 0, 0))
    daylight.add("rrule", vRecur({"FREQ": "YEARLY", "BYMONTH": 3, "BYDAY": "-1SU"}))

    standard = TimezoneStandard()
    standard.add("tzname", "CET")
    standard.add("tzoffsetfrom", _CEST)
    standard.add("tzoffsetto", _CET)
    standard.add("dtstart", datetime(1970, 10, 25, 3, 0, 0))
    standard.add("rrule", vRecur({"FREQ": "YEARLY", "BYMONTH": 10, "BYDAY": "-1SU"}))

    tz = Timezone()
    tz.add("tzid", AMSTERDAM_TZID)
    tz.add_component(daylight)
    tz.add_component(standard)
    return tz

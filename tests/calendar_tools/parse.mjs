// Read iCalendar files with ical.js (Mozilla's parser, the one Thunderbird uses) and print what
// it understood as JSON, one object per file, in argument order:
//
//   node parse.mjs a.ics b.ics
//   [{"file": "a.ics", "method": "REQUEST", "timezones": ["Europe/Amsterdam"],
//     "events": [{"uid": ..., "sequence": 0, "status": "CONFIRMED",
//                 "dtstart": "2027-01-14T09:00:00Z", "dtstart_tzid": "Europe/Amsterdam", ...}]}]
//
// Instants are computed by ical.js from the VTIMEZONE carried in the file (registered with
// ICAL.TimezoneService before any date is read); ical.js has no zone database of its own, so a
// wrong VTIMEZONE shows up as a wrong instant here. A TZID that resolves to no registered zone
// is an error, not a silent floating time. Exit status 1 with a message on stderr on any error.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

function instant(time) {
  // toUnixTime() converts through the time's zone (UTC offset from the VTIMEZONE rules).
  return new Date(time.toUnixTime() * 1000).toISOString().replace(".000Z", "Z");
}

function checkedTime(vevent, name) {
  const prop = vevent.getFirstProperty(name);
  if (!prop) return [null, null];
  const tzid = prop.getParameter("tzid") ?? null;
  const time = prop.getFirstValue();
  if (tzid !== null && (!time.zone || time.zone.tzid !== tzid)) {
    throw new Error(`${name} TZID=${tzid} did not resolve to a timezone in ical.js`);
  }
  if (tzid === null && time.zone !== ICAL.Timezone.utcTimezone) {
    throw new Error(`${name} is a floating time (no TZID, no Z)`);
  }
  return [instant(time), tzid];
}

function address(prop) {
  return {
    value: prop.getFirstValue(),
    cn: prop.getParameter("cn") ?? null,
    partstat: prop.getParameter("partstat") ?? null,
    role: prop.getParameter("role") ?? null,
    rsvp: prop.getParameter("rsvp") ?? null,
  };
}

function parseFile(file) {
  ICAL.TimezoneService.reset();
  const root = new ICAL.Component(ICAL.parse(readFileSync(file, "utf8")));
  if (root.name !== "vcalendar") throw new Error(`${file}: top component is ${root.name}`);
  const timezones = [];
  for (const vtz of root.getAllSubcomponents("vtimezone")) {
    const zone = new ICAL.Timezone(vtz);
    ICAL.TimezoneService.register(zone, zone.tzid);
    timezones.push(zone.tzid);
  }
  const events = root.getAllSubcomponents("vevent").map((vevent) => {
    const event = new ICAL.Event(vevent);
    const [dtstart, dtstartTzid] = checkedTime(vevent, "dtstart");
    const [dtend, dtendTzid] = checkedTime(vevent, "dtend");
    const organizer = vevent.getFirstProperty("organizer");
    return {
      uid: event.uid,
      sequence: event.sequence,
      status: vevent.getFirstPropertyValue("status"),
      summary: event.summary,
      location: event.location,
      dtstamp: instant(vevent.getFirstPropertyValue("dtstamp")),
      dtstart,
      dtstart_tzid: dtstartTzid,
      dtend,
      dtend_tzid: dtendTzid,
      // ICAL.Event's own view, which is what Thunderbird's calendar code works with.
      event_start: instant(event.startDate),
      event_end: instant(event.endDate),
      organizer: organizer ? address(organizer) : null,
      attendees: vevent.getAllProperties("attendee").map(address),
      alarms: vevent.getAllSubcomponents("valarm").length,
    };
  });
  return {
    file,
    method: root.getFirstPropertyValue("method"),
    version: root.getFirstPropertyValue("version"),
    timezones,
    events,
  };
}

try {
  const results = process.argv.slice(2).map(parseFile);
  process.stdout.write(JSON.stringify(results) + "\n");
} catch (error) {
  process.stderr.write(`ical.js: ${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
}

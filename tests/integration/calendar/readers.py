"""Independent iCalendar readers, each reduced to the same plain view of a file so that their
answers can be compared with each other and with zoneinfo.

- icalendar (the library the product writes with; PyPI)
- vobject (PyPI; dateutil reads the VTIMEZONE in the file)
- ical.js (npm; Mozilla's parser, used by Thunderbird), via tests/calendar_tools/parse.mjs
- libical (C; Evolution and many servers), via tests/calendar_tools/libical_check.py run by the
  system Python with Debian's GObject bindings, which also runs libical's iTIP restriction check

A missing tool is a test failure with the command that installs it, never a skip: CI runs
.ci/run, which installs all of them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import vobject
from icalendar import Calendar

from consult.settings import PROJECT_ROOT

TOOLS = PROJECT_ROOT / "tests" / "calendar_tools"
ICALJS_SCRIPT = TOOLS / "parse.mjs"
LIBICAL_SCRIPT = TOOLS / "libical_check.py"
SYSTEM_PYTHON = "/usr/bin/python3"
TIMEOUT_S = 60

PARSERS = ("icalendar", "vobject", "icaljs", "libical")


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def require_node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH; install Node.js (CI: .ci/run expects it)", pytrace=False)
    if not (TOOLS / "node_modules" / "ical.js" / "package.json").is_file():
        pytest.fail(
            f"ical.js is not installed in {TOOLS}; run `npm ci --prefix tests/calendar_tools`",
            pytrace=False,
        )
    return node


def require_libical() -> None:
    probe = "import gi; gi.require_version('ICalGLib', '3.0'); from gi.repository import ICalGLib"
    try:
        done = subprocess.run(
            [SYSTEM_PYTHON, "-c", probe], capture_output=True, text=True, timeout=TIMEOUT_S
        )
    except FileNotFoundError:
        done = None
    if done is None or done.returncode != 0:
        detail = "not found" if done is None else (done.stderr.strip().splitlines() or ["?"])[-1]
        pytest.fail(
            f"libical's GObject bindings are not usable from {SYSTEM_PYTHON} ({detail}); "
            "run `apt-get install -y gir1.2-ical-3.0 python3-gi`",
            pytrace=False,
        )


def _run_json(command: list[str], what: str) -> list[dict[str, Any]]:
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert done.returncode == 0, f"{what} could not read the file(s):\n{done.stderr}"
    result: list[dict[str, Any]] = json.loads(done.stdout)
    return result


def run_icaljs(paths: list[Path]) -> list[dict[str, Any]]:
    """Raw ical.js output for each file (see parse.mjs)."""
    node = require_node()
    return _run_json([node, str(ICALJS_SCRIPT), *map(str, paths)], "ical.js")


def run_libical(paths: list[Path]) -> list[dict[str, Any]]:
    """Raw libical output for each file, with restriction-check results (see libical_check.py)."""
    require_libical()
    return _run_json([SYSTEM_PYTHON, str(LIBICAL_SCRIPT), *map(str, paths)], "libical")


# --- the common view --------------------------------------------------------------------------
#
# {"method": str | None,
#  "events": [{"uid", "sequence": int | None, "status", "dtstamp", "dtstart", "dtend" (UTC ISO
#              instants),
#              "dtstart_tzid", "organizer", "attendees": [[address, cn], ...]}]}


def _from_tool(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "method": raw["method"],
        "events": [
            {
                "uid": e["uid"],
                "sequence": e["sequence"],
                "status": e["status"],
                "dtstamp": e["dtstamp"],
                "dtstart": e["dtstart"],
                "dtend": e["dtend"],
                "dtstart_tzid": e["dtstart_tzid"],
                "organizer": e["organizer"]["value"] if e["organizer"] else None,
                "attendees": [[a["value"], a["cn"]] for a in e["attendees"]],
            }
            for e in raw["events"]
        ],
    }


def _instant(value: datetime | date) -> str:
    assert isinstance(value, datetime), f"expected a DATE-TIME, got {value!r}"
    assert value.tzinfo is not None, f"floating time {value!r}"
    return iso(value)


def read_icalendar(path: Path) -> dict[str, Any]:
    cal = Calendar.from_ical(path.read_bytes())
    events = []
    for event in cal.walk("VEVENT"):
        organizer = event.get("organizer")
        attendees = event.get("attendee", [])
        if not isinstance(attendees, list):
            attendees = [attendees]
        events.append(
            {
                "uid": str(event["uid"]),
                "sequence": int(event["sequence"]) if "sequence" in event else None,
                "status": str(event["status"]) if "status" in event else None,
                "dtstamp": _instant(event["dtstamp"].dt),
                "dtstart": _instant(event["dtstart"].dt),
                "dtend": _instant(event["dtend"].dt),
                "dtstart_tzid": event["dtstart"].params.get("TZID"),
                "organizer": str(organizer) if organizer is not None else None,
                "attendees": [[str(a), a.params.get("CN")] for a in attendees],
            }
        )
    method = cal.get("method")
    return {"method": str(method) if method is not None else None, "events": events}


# vobject keeps one process-wide tzinfo per TZID, and the first VTIMEZONE it ever saw for a
# TZID wins over the ones in later files. Forget them before each file, so that every file is
# read with its own VTIMEZONE, as a fresh client process would.
_VOBJECT_TZIDS: dict[str, Any] = vars(vobject.icalendar)["__tzidMap"]


def read_vobject(path: Path) -> dict[str, Any]:
    for tzid in [t for t in _VOBJECT_TZIDS if t != "UTC"]:
        del _VOBJECT_TZIDS[tzid]
    cal = vobject.readOne(path.read_text(encoding="utf-8"))
    events = []
    for event in getattr(cal, "vevent_list", []):
        contents = event.contents

        def one(name: str, contents: dict[str, Any] = contents) -> Any:
            lines = contents.get(name, [])
            assert len(lines) <= 1, f"vobject: {name} appears {len(lines)} times"
            return lines[0] if lines else None

        organizer = one("organizer")
        sequence = one("sequence")
        status = one("status")
        dtstart = one("dtstart")
        events.append(
            {
                "uid": one("uid").value,
                "sequence": int(sequence.value) if sequence is not None else None,
                "status": status.value if status is not None else None,
                "dtstamp": _instant(one("dtstamp").value),
                "dtstart": _instant(dtstart.value),
                "dtend": _instant(one("dtend").value),
                # vobject turns TZID into a tzinfo built from the file's VTIMEZONE and keeps
                # the written name in a parameter of its own.
                "dtstart_tzid": (dtstart.params.get("X-VOBJ-ORIGINAL-TZID") or [None])[0],
                "organizer": organizer.value if organizer is not None else None,
                "attendees": [
                    [a.value, (a.params.get("CN") or [None])[0]]
                    for a in contents.get("attendee", [])
                ],
            }
        )
    method = cal.contents.get("method")
    return {"method": method[0].value if method else None, "events": events}


def read_all(paths: list[Path]) -> dict[str, dict[Path, dict[str, Any]]]:
    """parser name -> file -> common view, plus "libical_raw" with libical's check results."""
    icaljs = run_icaljs(paths)
    libical = run_libical(paths)
    return {
        "icalendar": {p: read_icalendar(p) for p in paths},
        "vobject": {p: read_vobject(p) for p in paths},
        "icaljs": {p: _from_tool(r) for p, r in zip(paths, icaljs, strict=True)},
        "libical": {p: _from_tool(r) for p, r in zip(paths, libical, strict=True)},
        "libical_raw": dict(zip(paths, libical, strict=True)),
        "icaljs_raw": dict(zip(paths, icaljs, strict=True)),
    }

"""Turn the demo's relative round description into a concrete round spec TOML file."""

from __future__ import annotations

import json
import tomllib
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from consult.spec import AMSTERDAM, holiday_name


def working_days_after(start: date, count: int) -> list[date]:
    """The first `count` working days after `start` (no weekend, no Dutch public holiday)."""
    days: list[date] = []
    day = start
    while len(days) < count:
        day += timedelta(days=1)
        if day.weekday() < 5 and holiday_name(day) is None:
            days.append(day)
    return days


def _toml_value(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    return str(value)


def build_spec_toml(demo: dict[str, Any], themes: list[str], today: date) -> str:
    def at(days: int, hhmm: str) -> datetime:
        hour, minute = (int(x) for x in hhmm.split(":"))
        return datetime.combine(today + timedelta(days=days), time(hour, minute), AMSTERDAM)

    top = {
        "slug": demo["slug"],
        "name": demo["name"],
        "answer_deadline": at(demo["answer_deadline_days"], "17:00"),
        "input_deadline": at(demo["input_deadline_days"], "17:00"),
        "meeting_url": demo["meeting_url"],
        "invitees_per_theme": demo["invitees_per_theme"],
        "group_min": demo["group_min"],
        "group_max": demo["group_max"],
    }
    lines = [f"{key} = {_toml_value(value)}" for key, value in top.items()]
    # Sessions on working days in the weeks after the answer deadline, as a secretariat plans
    # them: the n-th working day after it for each n in session_workdays.
    workdays = working_days_after(today + timedelta(days=demo["answer_deadline_days"]), 40)
    session_days = [workdays[n - 1] for n in demo["session_workdays"]]
    length = timedelta(minutes=demo["session_minutes"])
    for index, slug in enumerate(themes):
        lines += ["", "[[themes]]", f"slug = {_toml_value(slug)}"]
        # Themes take turns on the session days so one person could join several themes.
        times = demo["session_times"]
        for day in session_days:
            hour, minute = (int(x) for x in times[index % len(times)].split(":"))
            start = datetime.combine(day, time(hour, minute), AMSTERDAM)
            lines += [
                "[[themes.slots]]",
                f"start = {_toml_value(start)}",
                f"end = {_toml_value(start + length)}",
            ]
    return "\n".join(lines) + "\n"


def load_demo_round(config_dir: Path) -> dict[str, Any]:
    with (config_dir / "demo" / "round.toml").open("rb") as fh:
        return tomllib.load(fh)

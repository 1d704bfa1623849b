"""Turn the demo's relative round description into a concrete round spec TOML file."""

from __future__ import annotations

import json
import tomllib
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from consult.spec import AMSTERDAM


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
    length = timedelta(minutes=demo["session_minutes"])
    for index, slug in enumerate(themes):
        lines += ["", "[[themes]]", f"slug = {_toml_value(slug)}"]
        # Themes take turns on the session days so one person could join several themes.
        times = demo["session_times"]
        for day in demo["session_days"]:
            start = at(day, times[index % len(times)])
            lines += [
                "[[themes.slots]]",
                f"start = {_toml_value(start)}",
                f"end = {_toml_value(start + length)}",
            ]
    return "\n".join(lines) + "\n"


def load_demo_round(config_dir: Path) -> dict[str, Any]:
    with (config_dir / "demo" / "round.toml").open("rb") as fh:
        return tomllib.load(fh)

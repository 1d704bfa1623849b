"""Dates and times as Dutch and English readers expect them, always in Dutch local time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

_DAYS = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "nl": (
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


def format_date(value: datetime, language: str) -> str:
    lang = "en" if language == "en" else "nl"
    local = value.astimezone(AMSTERDAM)
    day, month = _DAYS[lang][local.weekday()], _MONTHS[lang][local.month - 1]
    return f"{day} {local.day} {month} {local.year}"


def format_datetime(value: datetime, language: str) -> str:
    local = value.astimezone(AMSTERDAM)
    joiner = "at" if language == "en" else "om"
    return f"{format_date(local, language)} {joiner} {local:%H:%M}"


def format_time_range(start: datetime, end: datetime, language: str) -> str:
    s, e = start.astimezone(AMSTERDAM), end.astimezone(AMSTERDAM)
    return f"{format_date(s, language)}, {s:%H:%M}\u2013{e:%H:%M}"

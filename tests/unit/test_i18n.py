"""Dates as Dutch and English readers expect them, always in Dutch local time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from consult.i18n import format_date, format_datetime, format_time_range

# Wednesday 15 January 2025 (CET, UTC+1) and Tuesday 1 July 2025 (CEST, UTC+2).
WINTER = datetime(2025, 1, 15, 9, 0, tzinfo=UTC)
SUMMER = datetime(2025, 7, 1, 8, 0, tzinfo=UTC)


def test_dutch_date_has_lowercase_day_and_month_names() -> None:
    assert format_date(WINTER, "nl") == "woensdag 15 januari 2025"
    assert format_date(SUMMER, "nl") == "dinsdag 1 juli 2025"


def test_english_date() -> None:
    assert format_date(WINTER, "en") == "Wednesday 15 January 2025"
    assert format_date(SUMMER, "en") == "Tuesday 1 July 2025"


def test_utc_instant_is_shown_in_amsterdam_time_in_winter() -> None:
    assert format_datetime(WINTER, "nl") == "woensdag 15 januari 2025 om 10:00"
    assert format_datetime(WINTER, "en") == "Wednesday 15 January 2025 at 10:00"


def test_utc_instant_is_shown_in_amsterdam_time_in_summer() -> None:
    assert format_datetime(SUMMER, "nl") == "dinsdag 1 juli 2025 om 10:00"
    assert format_datetime(SUMMER, "en") == "Tuesday 1 July 2025 at 10:00"


def test_late_utc_evening_is_already_the_next_day_in_the_netherlands() -> None:
    late = datetime(2025, 1, 15, 23, 30, tzinfo=UTC)
    assert format_datetime(late, "nl") == "donderdag 16 januari 2025 om 00:30"


def test_any_offset_is_converted_not_just_utc() -> None:
    new_york = timezone(timedelta(hours=-5))
    assert format_datetime(datetime(2025, 1, 15, 4, 0, tzinfo=new_york), "en") == (
        "Wednesday 15 January 2025 at 10:00"
    )


def test_other_languages_fall_back_to_dutch() -> None:
    assert format_date(WINTER, "de") == "woensdag 15 januari 2025"


def test_time_range_in_summer_uses_an_en_dash_and_local_times() -> None:
    start = datetime(2025, 7, 1, 8, 0, tzinfo=UTC)
    assert format_time_range(start, start + timedelta(minutes=90), "nl") == (
        "dinsdag 1 juli 2025, 10:00\u201311:30"
    )
    assert format_time_range(start, start + timedelta(minutes=90), "en") == (
        "Tuesday 1 July 2025, 10:00\u201311:30"
    )

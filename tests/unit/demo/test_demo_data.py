"""The demo's generated registry and round spec: realistic, valid, and the same every run."""

from __future__ import annotations

import tomllib
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from consult.demo.registry_gen import generate_registry, load_demo_config
from consult.demo.round_spec import build_spec_toml, load_demo_round
from consult.registry.parsing import COLUMNS, parse_records
from consult.settings import PROJECT_ROOT
from consult.spec import AMSTERDAM, CalendarCheck, RoundSpec, check_calendar, holiday_name
from consult.taxonomy import Taxonomy, load_taxonomy

CONFIG = PROJECT_ROOT / "config"
OOST = ("Achterhoek", "Zwolle", "Twente", "Stedenvierkant")


@pytest.fixture(scope="module")
def demo_config() -> dict[str, Any]:
    return load_demo_config(CONFIG)


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(CONFIG)


@pytest.fixture(scope="module")
def rows(demo_config: dict[str, Any]) -> list[dict[str, str]]:
    return generate_registry(demo_config, seed=2025)


def test_about_180_institutions_in_the_four_oost_regions(
    demo_config: dict[str, Any], rows: list[dict[str, str]]
) -> None:
    institutions = {(r["organisation"], r["region"]) for r in rows}
    configured = len(demo_config["regions"]) * sum(
        s["per_region"] for s in demo_config["sectors"].values()
    )

    assert 170 <= len(institutions) <= 190
    assert len(institutions) == configured
    assert {region for _, region in institutions} == set(OOST)
    per_region = Counter(region for _, region in institutions)
    assert set(per_region.values()) == {configured // 4}
    # Several people per institution on average, as in a real registry.
    assert len(rows) > len(institutions)


def test_every_sector_of_the_taxonomy_is_present_in_every_region(
    rows: list[dict[str, str]], taxonomy: Taxonomy
) -> None:
    for region in OOST:
        sectors = {r["sector"] for r in rows if r["region"] == region}
        assert sectors == set(taxonomy.sector_codes), region


def test_emails_are_unique_and_on_example_domains(rows: list[dict[str, str]]) -> None:
    emails = [r["email"] for r in rows]
    assert len(set(emails)) == len(emails)
    assert all(e.endswith(".example.org") for e in emails)


def test_some_invitees_read_english(rows: list[dict[str, str]]) -> None:
    languages = Counter(r["language"] for r in rows)
    assert set(languages) == {"nl", "en"}
    assert languages["en"] < languages["nl"] / 4


def test_same_seed_same_registry_other_seed_other_people(demo_config: dict[str, Any]) -> None:
    first = generate_registry(demo_config, seed=11)
    assert generate_registry(demo_config, seed=11) == first
    assert generate_registry(demo_config, seed=12) != first


def test_every_generated_row_passes_the_registry_import(
    rows: list[dict[str, str]], taxonomy: Taxonomy
) -> None:
    assert all(set(r) == set(COLUMNS) for r in rows)
    result = parse_records(rows, sectors=taxonomy.sector_codes, regions=taxonomy.region_names)

    assert result.errors == []
    assert len(result.rows) == len(rows)


# --- round spec -------------------------------------------------------------------------------

THEMES = [t.slug for t in load_taxonomy(CONFIG).themes]


@pytest.mark.parametrize("today", [date(2025, 1, 10), date(2025, 3, 10), date(2025, 10, 1)])
def test_the_demo_round_spec_loads_and_lies_in_the_future(today: date) -> None:
    demo = load_demo_round(CONFIG)
    text = build_spec_toml(demo, THEMES, today)
    spec = RoundSpec.model_validate(tomllib.loads(text))

    start_of_today = datetime.combine(today, time(0, 0), AMSTERDAM)
    slots = [slot for theme in spec.themes for slot in theme.slots]
    assert [t.slug for t in spec.themes] == THEMES
    assert spec.slug == demo["slug"]
    assert spec.name == demo["name"]
    assert spec.answer_deadline > start_of_today
    assert spec.input_deadline > start_of_today
    assert all(slot.start > start_of_today for slot in slots)
    # The cycle in order: answer first, then the sessions, then the input deadline.
    assert all(spec.answer_deadline < slot.start for slot in slots)
    assert all(slot.end < spec.input_deadline for slot in slots)
    assert spec.answer_deadline.date() == today + timedelta(days=demo["answer_deadline_days"])
    assert all(
        slot.end - slot.start == timedelta(minutes=demo["session_minutes"]) for slot in slots
    )
    assert all(len(theme.slots) == len(demo["session_workdays"]) for theme in spec.themes)


@pytest.mark.parametrize(
    "today", [date(2026, 12, 4), date(2026, 12, 14), date(2027, 4, 20), date(2027, 5, 1)]
)
def test_the_demo_sessions_fall_on_working_days_after_the_answer_deadline(today: date) -> None:
    """From 4 December 2026 the demo used to offer Christmas Day, a Sunday and New Year's Day."""
    spec = RoundSpec.model_validate(
        tomllib.loads(build_spec_toml(load_demo_round(CONFIG), THEMES, today))
    )
    assert check_calendar(spec) == CalendarCheck()
    days = {slot.start.astimezone(AMSTERDAM).date() for t in spec.themes for slot in t.slots}
    assert len(days) >= 3
    assert all(day.weekday() < 5 and holiday_name(day) is None for day in days)


def test_spec_times_are_dutch_wall_clock_times_across_a_dst_change() -> None:
    # From 14 March the sessions (working days after 28 March) fall after the switch to summer
    # time on 30 March 2025; the deadline (14 days later, 28 March) still falls in winter time.
    demo = load_demo_round(CONFIG)
    spec = RoundSpec.model_validate(tomllib.loads(build_spec_toml(demo, THEMES, date(2025, 3, 14))))

    assert spec.answer_deadline.utcoffset() == timedelta(hours=1)
    assert spec.answer_deadline.astimezone(AMSTERDAM).time() == time(17, 0)
    first_slot = spec.themes[0].slots[0]
    assert first_slot.start.utcoffset() == timedelta(hours=2)
    assert first_slot.start.astimezone(AMSTERDAM).strftime("%H:%M") in demo["session_times"]


def test_a_name_with_quotes_and_accents_survives_the_toml() -> None:
    demo = {**load_demo_round(CONFIG), "name": 'Ronde "café" \\ zorg'}
    spec = RoundSpec.model_validate(tomllib.loads(build_spec_toml(demo, THEMES, date(2025, 5, 1))))
    assert spec.name == 'Ronde "café" \\ zorg'

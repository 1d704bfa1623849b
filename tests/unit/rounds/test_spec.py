"""The round spec the secretariat writes: Dutch local times, and errors that say where."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from consult.spec import (
    CalendarCheck,
    RoundSpec,
    RoundSpecError,
    check_calendar,
    load_round_spec,
)

VALID = """\
slug = "voorjaar-2025"
name = "Consultatieronde voorjaar 2025"
answer_deadline = 2025-02-14T17:00:00
input_deadline = 2025-04-30T17:00:00
group_max = 6

[[themes]]
slug = "innovatie"
[[themes.slots]]
start = 2025-03-04T10:00:00
end = 2025-03-04T11:30:00
[[themes.slots]]
start = 2025-04-08T14:00:00
end = 2025-04-08T15:30:00

[[themes]]
slug = "behoud"
[[themes.slots]]
start = 2025-03-06T10:00:00
end = 2025-03-06T11:30:00
"""


def _write(tmp_path: Path, text: str, name: str = "ronde.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _error(path: Path) -> str:
    with pytest.raises(RoundSpecError) as info:
        load_round_spec(path)
    message = str(info.value)
    assert str(path) in message, message
    return message


def test_a_valid_spec_loads_with_defaults_filled_in(tmp_path: Path) -> None:
    spec = load_round_spec(_write(tmp_path, VALID))

    assert isinstance(spec, RoundSpec)
    assert spec.slug == "voorjaar-2025"
    assert [t.slug for t in spec.themes] == ["innovatie", "behoud"]
    assert len(spec.themes[0].slots) == 2
    assert spec.group_max == 6
    assert spec.group_min == 4
    assert spec.invitees_per_theme == 40
    assert spec.regions == []


def test_local_times_are_dutch_time_in_winter_and_summer(tmp_path: Path) -> None:
    spec = load_round_spec(_write(tmp_path, VALID))

    # February and early March: CET, UTC+1.
    assert spec.answer_deadline.utcoffset() == timedelta(hours=1)
    assert spec.answer_deadline.astimezone(UTC) == datetime(2025, 2, 14, 16, 0, tzinfo=UTC)
    winter_slot = spec.themes[0].slots[0]
    assert winter_slot.start.astimezone(UTC) == datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
    # April: CEST, UTC+2 (summer time started 30 March 2025).
    summer_slot = spec.themes[0].slots[1]
    assert summer_slot.start.utcoffset() == timedelta(hours=2)
    assert summer_slot.start.astimezone(UTC) == datetime(2025, 4, 8, 12, 0, tzinfo=UTC)
    assert spec.input_deadline.astimezone(UTC) == datetime(2025, 4, 30, 15, 0, tzinfo=UTC)


def test_an_explicit_offset_is_kept(tmp_path: Path) -> None:
    text = VALID.replace("2025-02-14T17:00:00", "2025-02-14T17:00:00Z")
    spec = load_round_spec(_write(tmp_path, text))
    assert spec.answer_deadline.astimezone(UTC) == datetime(2025, 2, 14, 17, 0, tzinfo=UTC)


def test_a_slot_that_ends_before_it_starts_is_named(tmp_path: Path) -> None:
    text = VALID.replace("end = 2025-03-06T11:30:00", "end = 2025-03-06T09:30:00")
    message = _error(_write(tmp_path, text))
    # Second theme, first slot.
    assert "thema behoud, tijdslot 1: het einde moet na het begin liggen" in message


def test_input_deadline_before_answer_deadline_is_named(tmp_path: Path) -> None:
    text = VALID.replace("2025-04-30T17:00:00", "2025-02-01T09:00:00")
    message = _error(_write(tmp_path, text))
    assert "input_deadline (inbrengdeadline) moet na answer_deadline" in message


def test_a_bad_slug_is_named(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, VALID.replace('"voorjaar-2025"', '"Voorjaar 2025!"')))
    assert "slug: alleen kleine letters, cijfers en streepjes" in message


def test_missing_themes_are_named(tmp_path: Path) -> None:
    text = VALID.split("[[themes]]")[0]
    message = _error(_write(tmp_path, text))
    assert "themes: ontbreekt" in message


def test_every_bad_field_is_reported_at_once(tmp_path: Path) -> None:
    text = VALID.replace('"voorjaar-2025"', '"x"').replace("group_max = 6", "group_max = 0")
    message = _error(_write(tmp_path, text))
    assert "slug" in message
    assert "group_max" in message


def test_a_theme_listed_twice_is_refused(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, VALID.replace('slug = "behoud"', 'slug = "innovatie"')))
    assert "een thema staat er twee keer in" in message


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, 'slug = "voorjaar-2025\nname = ', name="kapot.toml"))
    assert "kapot.toml" in message
    assert "geen geldige TOML" in message


def test_a_missing_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bestaat-niet.toml"
    message = _error(path)
    assert "kan het bestand niet lezen" in message


def test_scheduling_rules_have_defaults_and_per_theme_overrides(tmp_path: Path) -> None:
    spec = load_round_spec(_write(tmp_path, VALID))
    assert (spec.parallel_groups, spec.min_sectors, spec.max_per_sector, spec.min_regions) == (
        8,
        2,
        None,
        1,
    )
    assert spec.must_place == []
    assert spec.themes[0].min_sectors is None

    text = VALID.replace(
        "group_max = 6", 'group_max = 6\nmax_per_sector = 2\nmust_place = ["a@b.nl"]'
    )
    text = text.replace(
        'slug = "behoud"', 'slug = "behoud"\nmin_sectors = 3\ngroup_min = 5\nparallel_groups = 2'
    )
    spec = load_round_spec(_write(tmp_path, text))
    assert spec.max_per_sector == 2
    assert spec.must_place == ["a@b.nl"]
    assert (spec.themes[1].min_sectors, spec.themes[1].group_min) == (3, 5)


def test_a_theme_whose_group_max_is_below_its_group_min_is_named(tmp_path: Path) -> None:
    text = VALID.replace('slug = "behoud"', 'slug = "behoud"\ngroup_min = 7')
    assert "thema behoud: group_max moet minstens group_min zijn" in _error(_write(tmp_path, text))


def test_automation_is_on_by_default_and_set_per_round(tmp_path: Path) -> None:
    assert load_round_spec(_write(tmp_path, VALID)).automation.enabled
    text = VALID + "\n[automation]\nrequest_lessons = false\nlessons_request_hours_after = 3\n"
    auto = load_round_spec(_write(tmp_path, text)).automation
    assert (auto.request_lessons, auto.lessons_request_hours_after) == (False, 3.0)
    assert auto.schedule_after_answer_deadline
    message = _error(_write(tmp_path, VALID + "\n[automation]\nenable = false\n"))
    assert "automation, enable: onbekend veld" in message


def _calendar(text: str) -> CalendarCheck:
    return check_calendar(RoundSpec.model_validate(tomllib.loads(text)))


def test_a_slot_on_christmas_day_is_refused_with_the_holidays_dutch_name() -> None:
    spec = VALID.replace("2025-04-08T14:00:00", "2025-12-25T14:00:00").replace(
        "2025-04-08T15:30:00", "2025-12-25T15:30:00"
    )
    spec = spec.replace(
        "input_deadline = 2025-04-30T17:00:00", "input_deadline = 2026-01-30T17:00:00"
    )
    found = _calendar(spec)
    assert len(found.errors) == 1, found
    assert "Eerste Kerstdag" in found.errors[0]
    assert "2025-12-25 14:00" in found.errors[0] and "innovatie" in found.errors[0]
    # Allowed per round: then it is only a warning.
    warned = _calendar('holiday_slots = "warn"\n' + spec)
    assert warned.errors == () and "Eerste Kerstdag" in warned.warnings[0]


def test_a_weekend_slot_is_a_warning_unless_the_round_refuses_weekends() -> None:
    # 2025-03-08 is a Saturday.
    spec = VALID.replace("2025-03-06T1", "2025-03-08T1")
    found = _calendar(spec)
    assert found.errors == ()
    assert found.warnings == (
        "thema behoud, tijdslot 2025-03-08 10:00: valt in het weekend (zaterdag)",
    )
    refused = _calendar('weekend_slots = "refuse"\n' + spec)
    assert len(refused.errors) == 1 and "weekend" in refused.errors[0]


def test_slots_must_lie_between_the_answer_and_the_input_deadline() -> None:
    assert _calendar(VALID) == CalendarCheck()
    early = _calendar(VALID.replace("answer_deadline = 2025-02-14", "answer_deadline = 2025-03-05"))
    assert len(early.errors) == 1
    assert (
        "2025-03-04 10:00: ligt niet na de antwoorddeadline (2025-03-05 17:00)" in early.errors[0]
    )
    late = _calendar(VALID.replace("input_deadline = 2025-04-30", "input_deadline = 2025-04-01"))
    assert len(late.errors) == 1
    assert "2025-04-08 14:00: eindigt na de inbrengdeadline (2025-04-01 17:00)" in late.errors[0]

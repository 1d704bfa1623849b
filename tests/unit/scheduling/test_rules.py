"""Scheduling rules read from a stored round spec, old and new."""

from __future__ import annotations

from consult.scheduling.rules import theme_rules


def test_an_old_spec_without_rules_gets_the_defaults() -> None:
    rules = theme_rules({"group_max": 6, "themes": [{"slug": "a"}]}, "a", [3, 1])
    assert rules.slot_ids == (3, 1)
    assert (rules.group_min, rules.group_max, rules.parallel_groups) == (4, 6, 8)
    assert (rules.min_sectors, rules.max_per_sector, rules.min_regions) == (2, None, 1)


def test_a_theme_overrides_the_round() -> None:
    spec = {
        "max_per_sector": 2,
        "min_regions": 2,
        "themes": [{"slug": "a", "min_regions": 3, "max_per_sector": None}, {"slug": "b"}],
    }
    assert theme_rules(spec, "a", []).min_regions == 3
    assert theme_rules(spec, "a", []).max_per_sector == 2
    assert theme_rules(spec, "b", []).min_regions == 2

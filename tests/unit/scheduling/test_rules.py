"""Scheduling rules read from a stored round spec, old and new."""

from __future__ import annotations

from typing import Any

from consult.scheduling.rules import theme_rules
from consult.spec import stored_spec


def _stored(**rules: Any) -> dict[str, Any]:
    """A spec as a round stores it; rounds launched before the rules existed lack their keys."""
    themes = rules.pop("themes", [{"slug": "a"}])
    slot = {"start": "2030-03-14T10:00:00+01:00", "end": "2030-03-14T11:30:00+01:00"}
    return {
        "slug": "voorjaar-2030",
        "name": "Voorjaarsronde",
        "answer_deadline": "2030-03-01T17:00:00+01:00",
        "input_deadline": "2030-04-01T17:00:00+02:00",
        "themes": [{**theme, "slots": [slot]} for theme in themes],
        **rules,
    }


def test_an_old_spec_without_rules_gets_the_defaults() -> None:
    rules = theme_rules(stored_spec(_stored(group_max=6)), "a", [3, 1])
    assert rules.slot_ids == (3, 1)
    assert (rules.group_min, rules.group_max, rules.parallel_groups) == (4, 6, 8)
    assert (rules.min_sectors, rules.max_per_sector, rules.min_regions) == (2, None, 1)


def test_a_theme_overrides_the_round() -> None:
    spec = stored_spec(
        _stored(
            max_per_sector=2,
            min_regions=2,
            themes=[{"slug": "a", "min_regions": 3, "max_per_sector": None}, {"slug": "b"}],
        )
    )
    assert theme_rules(spec, "a", []).min_regions == 3
    assert theme_rules(spec, "a", []).max_per_sector == 2
    assert theme_rules(spec, "b", []).min_regions == 2

"""Who is invited for which theme: nobody twice, every theme full, every theme mixed."""

from __future__ import annotations

import math
import random
from collections import Counter

from consult.registry.selection import Candidate, select_invitees

THEMES = ("onderwijsvernieuwing", "innovatie", "anders-besturen", "behoud")
REGIONS = ("Achterhoek", "Zwolle", "Twente", "Stedenvierkant")


def _registry(per_sector: dict[str, int]) -> list[Candidate]:
    """Candidates per sector, spread evenly over the four regions."""
    candidates: list[Candidate] = []
    for sector, count in per_sector.items():
        for i in range(count):
            candidates.append(Candidate(len(candidates) + 1, sector, REGIONS[i % len(REGIONS)]))
    return candidates


# A registry that is mostly home care (vvt), as real registries are, with five smaller sectors
# that together still have enough people for every theme (balanced supply).
SKEWED = _registry({"vvt": 200, "ghz": 12, "mbo": 12, "gemeente": 12, "ggz": 12, "welzijn": 12})


def _by_theme(chosen: dict[int, str]) -> dict[str, list[int]]:
    themes: dict[str, list[int]] = {t: [] for t in THEMES}
    for person_id, theme in chosen.items():
        themes[theme].append(person_id)
    return themes


def test_every_theme_gets_the_number_asked_and_nobody_is_in_two_themes() -> None:
    chosen = select_invitees(SKEWED, THEMES, per_theme=15, seed=1)

    # A dict cannot hold a person twice; check the ids are real candidates and counts are exact.
    assert set(chosen) <= {c.person_id for c in SKEWED}
    assert Counter(chosen.values()) == dict.fromkeys(THEMES, 15)
    assert len(chosen) == 4 * 15


def test_a_skewed_registry_still_gives_every_theme_a_mix_of_sectors_and_regions() -> None:
    per_theme = 12
    chosen = select_invitees(SKEWED, THEMES, per_theme=per_theme, seed=7)
    sector_of = {c.person_id: c.sector for c in SKEWED}
    region_of = {c.person_id: c.region for c in SKEWED}
    k = len({c.sector for c in SKEWED})

    for theme, people in _by_theme(chosen).items():
        sectors = Counter(sector_of[p] for p in people)
        regions = Counter(region_of[p] for p in people)
        assert len(people) == per_theme
        # Every sector is represented and the big one does not crowd out the rest.
        assert set(sectors) == {c.sector for c in SKEWED}, theme
        assert max(sectors.values()) <= math.ceil(per_theme / k) + 1, (theme, sectors)
        assert sectors["vvt"] < per_theme / 2, (theme, sectors)
        # All four regions take part, none dominates.
        assert set(regions) == set(REGIONS), theme
        assert max(regions.values()) <= math.ceil(per_theme / len(REGIONS)) + 1, (theme, regions)


def test_small_sectors_are_shared_fairly_when_they_run_short() -> None:
    # Only 4 people in hbo: each of the four themes should get one, not one theme all four.
    registry = _registry({"vvt": 100, "hbo": 4, "mbo": 8})
    chosen = select_invitees(registry, THEMES, per_theme=10, seed=3)
    hbo = {c.person_id for c in registry if c.sector == "hbo"}

    assert Counter(theme for p, theme in chosen.items() if p in hbo) == dict.fromkeys(THEMES, 1)


def test_same_registry_and_seed_give_the_same_selection_whatever_the_input_order() -> None:
    shuffled = list(SKEWED)
    random.Random(42).shuffle(shuffled)

    first = select_invitees(SKEWED, THEMES, per_theme=10, seed=5)
    again = select_invitees(SKEWED, THEMES, per_theme=10, seed=5)
    reordered = select_invitees(shuffled, THEMES, per_theme=10, seed=5)

    assert first == again == reordered


def test_the_seed_only_changes_who_not_the_mix() -> None:
    sector_of = {c.person_id: c.sector for c in SKEWED}
    selections = [select_invitees(SKEWED, THEMES, per_theme=10, seed=s) for s in range(5)]

    def mix(chosen: dict[int, str]) -> Counter[tuple[str, str]]:
        return Counter((theme, sector_of[p]) for p, theme in chosen.items())

    assert all(mix(s) == mix(selections[0]) for s in selections)
    # Within the big vvt bucket there are many equal choices; the seed picks among them.
    assert len({frozenset(s.items()) for s in selections}) > 1


def test_fewer_candidates_than_asked_invites_everyone_once_and_shares_them_out() -> None:
    registry = _registry({"vvt": 3, "mbo": 2, "gemeente": 2})  # 7 people, 4 x 5 asked
    chosen = select_invitees(registry, THEMES, per_theme=5, seed=0)

    assert set(chosen) == {c.person_id for c in registry}
    counts = Counter(chosen.values())
    assert max(counts.values()) - min(counts[t] for t in THEMES) <= 1
    assert all(counts[t] <= 5 for t in THEMES)


def test_no_candidates_or_no_themes_select_nobody() -> None:
    assert select_invitees([], THEMES, per_theme=5) == {}
    assert select_invitees(SKEWED, [], per_theme=5) == {}

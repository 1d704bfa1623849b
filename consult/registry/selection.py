"""Choose whom to invite for which theme so that every theme gets a mix of sectors and regions."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    person_id: int
    sector: str
    region: str


def select_invitees(
    candidates: Sequence[Candidate], themes: Sequence[str], per_theme: int, seed: int = 0
) -> dict[int, str]:
    """Map person id -> theme. Each person gets at most one theme.

    Themes take turns; on its turn a theme takes someone from the (sector, region) group it has
    seen least, so small sectors and far regions are not crowded out by the large ones. The seed
    only breaks ties, so the same registry and seed give the same selection.
    """
    rng = random.Random(seed)
    pool = sorted(candidates, key=lambda c: c.person_id)
    rng.shuffle(pool)
    buckets: dict[tuple[str, str], list[Candidate]] = defaultdict(list)
    for candidate in pool:
        buckets[(candidate.sector, candidate.region)].append(candidate)

    sector_seen = {t: Counter[str]() for t in themes}
    region_seen = {t: Counter[str]() for t in themes}
    chosen: dict[int, str] = {}
    remaining = {t: per_theme for t in themes}
    while any(remaining.values()) and any(buckets.values()):
        for theme in themes:
            open_keys = [k for k, v in buckets.items() if v]
            if not remaining[theme] or not open_keys:
                continue
            seen_s, seen_r = sector_seen[theme], region_seen[theme]
            key = min(open_keys, key=lambda k: (seen_s[k[0]], seen_r[k[1]], k))
            candidate = buckets[key].pop()
            chosen[candidate.person_id] = theme
            seen_s[key[0]] += 1
            seen_r[key[1]] += 1
            remaining[theme] -= 1
    return chosen

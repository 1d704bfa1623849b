"""Time the default synthesis pipeline on a large round and print one JSON object.

    uv run python bench/synthesis.py [--contributions 20000] [--seed 1]

Texts are made by recombining sentences of the demo corpus (config/demo/contributions.toml)
per theme, so they read like real input without copying any evaluation data.
Keys: contributions, themes, wall_s, peak_rss_mb, blocks, assigned_share.
Target (issue 3): 20,000 contributions in at most 60 s with a peak RSS of at most 2 GB.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import time
import tomllib
from collections import defaultdict

from consult.settings import PROJECT_ROOT
from consult.synthesis.pipeline import Unit, corpus_of, run
from consult.synthesis.text import sentences


def make_units(count: int, seed: int) -> dict[str, list[Unit]]:
    with (PROJECT_ROOT / "config" / "demo" / "contributions.toml").open("rb") as fh:
        corpus = tomllib.load(fh)["contributions"]
    pool: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for entry in corpus:
        pool[entry["theme"]] += [(s, entry["language"]) for s in sentences(entry["text"])]
    rng = random.Random(seed)
    themes = sorted(pool)
    units: dict[str, list[Unit]] = defaultdict(list)
    for i in range(count):
        theme = themes[i % len(themes)]
        picked = rng.sample(pool[theme], k=rng.randint(1, 3))
        units[theme].append(
            Unit(
                id=i,
                text=" ".join(s for s, _ in picked),
                language=picked[0][1],
                quotable=rng.random() > 0.15,
                contributor=str(rng.randrange(count // 3 or 1)),
                sector=rng.choice(["vvt", "ghz", "ggz", "ziekenhuis", "mbo", "gemeente"]),
            )
        )
    return units


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contributions", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    units = make_units(args.contributions, args.seed)
    started = time.perf_counter()
    blocks = assigned = 0
    # As the service does: word weights from the whole round, then each theme on its own.
    corpus = corpus_of([u for theme_units in units.values() for u in theme_units])
    for theme_units in units.values():
        outcome = run(theme_units, corpus=corpus)
        blocks += len(outcome.groups)
        assigned += sum(len(g.unit_ids) for g in outcome.groups)
    wall = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "contributions": args.contributions,
                "themes": len(units),
                "wall_s": round(wall, 2),
                "peak_rss_mb": round(peak_mb, 1),
                "blocks": blocks,
                "assigned_share": round(assigned / args.contributions, 3),
            }
        )
    )


if __name__ == "__main__":
    main()

"""Scheduling benchmark: optimiser vs greedy on 2,000 invitees, 4 themes, 12 slots per theme.

Prints one JSON object: per seed the placed share, objective, bound, gap, wall time and the
greedy objective; and the summary keys max_gap, max_wall_s and beats_greedy_all.
Run: uv run python bench/scheduling.py [--seeds 5] [--people 2000]
"""

from __future__ import annotations

import argparse
import json
import random

from consult.scheduling.greedy import greedy
from consult.scheduling.model import Person, Problem, ThemeRules, violations
from consult.scheduling.optimiser import SolverOptions, optimise

THEMES = ("onderwijs", "innovatie", "besturen", "behoud")
# Sector code -> sector group, shaped like config/taxonomy.toml (care dominates).
SECTORS = {
    "vvt": "care",
    "ghz": "care",
    "ggz": "care",
    "ziekenhuis": "care",
    "huisarts": "care",
    "jeugd": "care",
    "welzijn": "care",
    "mbo": "education",
    "hbo": "education",
    "gemeente": "government",
    "zorgverzekeraar": "funder",
    "zorgkantoor": "funder",
    "werkgever": "employer",
}
SECTOR_WEIGHTS = [14, 10, 9, 12, 6, 6, 6, 7, 5, 8, 3, 3, 4]
REGIONS = ("Achterhoek", "Zwolle", "Twente", "Stedenvierkant", "Midden-Gelderland", "Rivierenland")


def make_problem(seed: int, n_people: int) -> Problem:
    rng = random.Random(seed)
    themes = tuple(
        ThemeRules(
            slug=slug,
            slot_ids=tuple(range(100 * t, 100 * t + 12)),
            group_min=6,
            group_max=10,
            parallel_groups=8,
            min_sectors=3,
            max_per_sector=3,
            min_regions=2,
        )
        for t, slug in enumerate(THEMES)
    )
    # Some slots are more popular (evenings, not Monday mornings).
    slot_pop = {s: rng.uniform(0.3, 1.0) for t in themes for s in t.slot_ids}
    people = []
    for pid in range(n_people):
        prefs = rng.sample(THEMES, k=rng.choice((1, 2, 2, 3, 4)))
        pool = [s for t in themes if t.slug in prefs for s in t.slot_ids]
        k = min(rng.randint(3, 6), len(pool))
        avail: set[int] = set()
        while len(avail) < k:
            avail.add(rng.choices(pool, weights=[slot_pop[s] for s in pool])[0])
        sector = rng.choices(list(SECTORS), weights=SECTOR_WEIGHTS)[0]
        people.append(
            Person(
                pid, sector, SECTORS[sector], rng.choice(REGIONS), tuple(prefs), frozenset(avail)
            )
        )
    return Problem(tuple(people), themes)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--budget", type=float, default=5.0, help="deterministic time limit")
    args = parser.parse_args()
    rows = []
    for seed in range(args.seeds):
        problem = make_problem(seed, args.people)
        base = greedy(problem)
        sol = optimise(
            problem, SolverOptions(seed=seed, deterministic_limit=args.budget, wall_limit_s=20.0)
        )
        broken = violations(problem, sol)
        rows.append(
            {
                "seed": seed,
                "placed_share": round(1 - len(sol.unplaced) / len(problem.people), 4),
                "greedy_placed_share": round(1 - len(base.unplaced) / len(problem.people), 4),
                "objective": sol.objective,
                "bound": sol.bound,
                "gap": round(sol.gap, 6),
                "wall_s": round(sol.wall_s, 2),
                "status": sol.status,
                "greedy_objective": base.objective,
                "hard_rule_violations": len(broken),
            }
        )
    print(
        json.dumps(
            {
                "people": args.people,
                "seeds": rows,
                "max_gap": max(r["gap"] for r in rows),
                "max_wall_s": max(r["wall_s"] for r in rows),
                "beats_greedy_all": all(r["objective"] >= r["greedy_objective"] for r in rows),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

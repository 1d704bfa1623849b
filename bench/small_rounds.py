"""Small rounds, as the secretariat runs them: wall time of the first plan for 136 and 200
people shaped like the demo round (four themes of three slots, everyone ranking all themes and
free at every time), with the default options and with the exact model the optimiser used to
choose for them (exact_limit 20,000, the setting before the by-slot switch was lowered); and
a late acceptance in a theme of 50 (time and calendars changed).

Prints one JSON object. Run: uv run python bench/small_rounds.py
"""

from __future__ import annotations

import json
import random
import time
from collections import defaultdict

from consult.scheduling.diff import changed_calendars, plan_changes
from consult.scheduling.model import GroupKey, Person, Problem, Solution, ThemeRules
from consult.scheduling.optimiser import SolverOptions, optimise
from consult.scheduling.proposal import RunningGroup

THEMES = ("onderwijs", "innovatie", "besturen", "behoud")
SECTORS = {
    "vvt": "care",
    "ggz": "care",
    "ziekenhuis": "care",
    "huisartsenzorg": "care",
    "mbo": "education",
    "hbo": "education",
    "gemeente": "government",
    "zorgkantoor": "funder",
}
REGIONS = ("Achterhoek", "Twente", "Zwolle", "Stedenvierkant")


def demo_round(n_people: int, seed: int, themes: tuple[str, ...] = THEMES) -> Problem:
    rng = random.Random(seed)
    rules = tuple(
        ThemeRules(slug, (10 * t + 1, 10 * t + 2, 10 * t + 3), 4, 8, 8, 2)
        for t, slug in enumerate(themes)
    )
    every_slot = frozenset(s for t in rules for s in t.slot_ids)
    people = []
    for pid in range(n_people):
        first = themes[pid % len(themes)]
        sector = rng.choice(list(SECTORS))
        prefs = (first, *(t for t in themes if t != first))
        people.append(Person(pid, sector, SECTORS[sector], rng.choice(REGIONS), prefs, every_slot))
    return Problem(tuple(people), rules)


def sessions(plan: Solution) -> list[RunningGroup]:
    running = []
    index: dict[int, int] = defaultdict(int)
    for n, (key, members) in enumerate(sorted(plan.groups.items(), key=lambda kv: kv[0].slot_id)):
        gk = GroupKey(key.theme, key.slot_id, index[key.slot_id])
        running.append(RunningGroup(n + 1, gk, frozenset(members)))
        index[key.slot_id] += 1
    return running


def timed(problem: Problem, options: SolverOptions) -> tuple[Solution, float]:
    started = time.perf_counter()
    solution = optimise(problem, options)
    return solution, round(time.perf_counter() - started, 2)


def main() -> None:
    out: dict[str, object] = {}
    for n in (136, 200):
        problem = demo_round(n, seed=4)
        plan, wall = timed(problem, SolverOptions(seed=0))
        out[f"first_plan_{n}"] = {"wall_s": wall, "status": plan.status, "gap": plan.gap}
        plan, wall = timed(problem, SolverOptions(seed=0, exact_limit=20_000))
        out[f"first_plan_{n}_exact_model"] = {"wall_s": wall, "status": plan.status}
    theme = demo_round(51, seed=1, themes=THEMES[:1])
    running = sessions(optimise(Problem(theme.people[:-1], theme.themes), SolverOptions(seed=0)))
    previous = {pid: g.key for g in running for pid in g.members}
    plan, wall = timed(Problem(theme.people, theme.themes, previous), SolverOptions(seed=0))
    staying = {p.id for p in theme.people}
    changed = changed_calendars(running, plan_changes(running, plan.groups), staying)
    out["theme_of_50_late_acceptance"] = {"wall_s": wall, "changed": len(changed)}
    out["max_small_wall_s"] = max(
        float(v["wall_s"])  # type: ignore[index]
        for k, v in out.items()
        if k.startswith("first_plan") and not k.endswith("exact_model")
    )
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()

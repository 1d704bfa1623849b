"""Greedy baseline: the benchmark's yardstick and the optimiser's starting hint.

1. People with the fewest options first (must-place people before everyone), each to the first
   preferred theme and, within it, the available slot that already has the most people (so
   groups fill up rather than spread thin), while the slot has seats left.
2. Per slot: as few groups as the size allows, dealt in (sector, region) order so sectors and
   regions spread over the groups.
3. Groups that break a hard rule are dissolved; their members are tried again in other open
   groups (diagnose.fill_and_explain) and otherwise listed unplaced with the reason.
"""

from __future__ import annotations

import math
from collections import defaultdict

from consult.scheduling.diagnose import fill_and_explain
from consult.scheduling.model import (
    GroupKey,
    Person,
    Problem,
    Solution,
    Weights,
    group_violations,
    objective_value,
)


def greedy(problem: Problem) -> Solution:
    themes = {t.slug: t for t in problem.themes}
    in_slot: dict[tuple[str, int], list[Person]] = defaultdict(list)

    def options(p: Person) -> int:
        return sum(len(p.available & set(themes[s].slot_ids)) for s in p.preferences if s in themes)

    for person in sorted(problem.people, key=lambda p: (not p.must_place, options(p), p.id)):
        for slug in person.preferences:
            rules = themes.get(slug)
            if rules is None:
                continue
            seats = rules.parallel_groups * rules.group_max
            open_slots = [
                s for s in rules.slot_ids if s in person.available and len(in_slot[slug, s]) < seats
            ]
            if open_slots:
                best = max(open_slots, key=lambda s: (len(in_slot[slug, s]), -s))
                in_slot[slug, best].append(person)
                break

    groups: dict[GroupKey, tuple[int, ...]] = {}
    for (slug, slot_id), members in sorted(in_slot.items()):
        rules = themes[slug]
        if len(members) < rules.group_min:
            continue
        n_groups = min(math.ceil(len(members) / rules.group_max), rules.parallel_groups)
        dealt: list[list[Person]] = [[] for _ in range(n_groups)]
        for i, p in enumerate(sorted(members, key=lambda p: (p.sector, p.region, p.id))):
            dealt[i % n_groups].append(p)
        for index, group in enumerate(dealt):
            if not group_violations(rules, group):
                groups[GroupKey(slug, slot_id, index)] = tuple(sorted(p.id for p in group))
    # Renumber so each slot's groups use indices 0..n-1 (the optimiser's symmetry breaking
    # assumes the lowest indices are the open ones).
    renumbered: dict[GroupKey, tuple[int, ...]] = {}
    counters: dict[tuple[str, int], int] = defaultdict(int)
    for key in sorted(groups, key=lambda k: (k.theme, k.slot_id, k.index)):
        n = counters[key.theme, key.slot_id]
        counters[key.theme, key.slot_id] += 1
        renumbered[GroupKey(key.theme, key.slot_id, n)] = groups[key]
    solution = fill_and_explain(problem, Solution(groups=renumbered, status="GREEDY"))
    solution.objective = objective_value(problem, solution, Weights.for_problem(problem))
    return solution

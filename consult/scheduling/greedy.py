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
        # Valid groups take indices 0..n-1 in their slot (the optimiser's symmetry breaking
        # opens the lowest indices first). Someone dealt into a group they were removed from
        # waits for fill_and_explain instead.
        index = 0
        for dealt_group in dealt:
            key = GroupKey(slug, slot_id, index)
            group = [p for p in dealt_group if key not in p.excluded]
            if not group_violations(rules, group):
                groups[key] = tuple(sorted(p.id for p in group))
                index += 1
    solution = fill_and_explain(problem, Solution(groups=groups, status="GREEDY"))
    solution.objective = objective_value(problem, solution, Weights.for_problem(problem))
    return solution


def running_groups(problem: Problem) -> dict[tuple[str, int], int]:
    """Per (theme, slot): how many group indices are taken by groups that already run (where
    someone sits now, or was removed from)."""
    taken: dict[tuple[str, int], int] = defaultdict(int)
    keys = [*problem.previous.values(), *(k for p in problem.people for k in p.excluded)]
    for key in keys:
        taken[key.theme, key.slot_id] = max(taken[key.theme, key.slot_id], key.index + 1)
    return taken


def keep_previous(problem: Problem) -> Solution:
    """The current plan, kept where it is still valid: the re-scheduling baseline. Groups that
    now break a rule (too small after a late decline, a slot no longer offered) are dissolved
    and their members, like newcomers, are seated where they fit."""
    themes = {t.slug: t for t in problem.themes}
    people = {p.id: p for p in problem.people}
    kept: dict[GroupKey, list[Person]] = defaultdict(list)
    for pid, key in problem.previous.items():
        person = people.get(pid)
        rules = themes.get(key.theme)
        if (
            person is None
            or rules is None
            or key.slot_id not in rules.slot_ids
            or key.slot_id not in person.available
            or key.theme not in person.preferences
            or key.index >= rules.parallel_groups
        ):
            continue
        kept[key].append(person)
    groups = {
        key: tuple(sorted(p.id for p in members))
        for key, members in kept.items()
        if not group_violations(themes[key.theme], members)
    }
    solution = fill_and_explain(problem, Solution(groups=groups, status="KEPT"))
    solution.objective = objective_value(problem, solution, Weights.for_problem(problem))
    return solution

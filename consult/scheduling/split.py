"""Split the people of one slot into its groups: the second stage of the large-round optimiser.

Dealing people round-robin over the groups, in an order that puts the sectors with fewer people
than groups first and keeps sectors of one sector group (education; municipality and funders)
next to each other, gives groups whose sizes differ by at most one, at most ceil(c/n) people of
a sector with c people, at least as many different sectors per group as the first stage's
counting argument promised, and education and a public party in as many groups as there are
such people (up to one per group). Where that is not enough (a region rule, a person who may
not go back into a group, people who should stay in the group they sit in) a small CP-SAT model
of this one slot decides, started from the dealt groups.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from ortools.sat.python import cp_model

from consult.scheduling.model import (
    EDUCATION_GROUPS,
    PUBLIC_FUNDER_GROUPS,
    GroupKey,
    Person,
    ThemeRules,
    group_violations,
)


def deal(people: Sequence[Person], n_groups: int) -> list[list[Person]]:
    counts = Counter(p.sector for p in people)

    def order(p: Person) -> tuple[bool, str, str, str, int]:
        return (counts[p.sector] >= n_groups, p.sector_group, p.sector, p.region, p.id)

    groups: list[list[Person]] = [[] for _ in range(n_groups)]
    for i, person in enumerate(sorted(people, key=order)):
        groups[i % n_groups].append(person)
    return groups


def split_slot(
    rules: ThemeRules,
    slot_id: int,
    people: Sequence[Person],
    n_groups: int,
    previous: Mapping[int, GroupKey],
    seed: int = 0,
) -> dict[GroupKey, tuple[int, ...]] | None:
    """The groups of one slot with everyone in `people` seated, or None if no valid split was
    found. Group indices 0..n-1 are the slot's keys: people keep the index they had where the
    rules allow (stability), and never get one they were removed from."""
    keys = [GroupKey(rules.slug, slot_id, j) for j in range(n_groups)]
    dealt = deal(people, n_groups)
    stays = any(previous.get(p.id) in keys for p in people)
    removed = any(set(keys) & p.excluded for p in people)
    if not stays and not removed and all(not group_violations(rules, g) for g in dealt):
        return {k: tuple(sorted(p.id for p in g)) for k, g in zip(keys, dealt, strict=True)}
    return _solve(rules, keys, people, dealt, previous, seed)


def _solve(
    rules: ThemeRules,
    keys: Sequence[GroupKey],
    people: Sequence[Person],
    dealt: Sequence[Sequence[Person]],
    previous: Mapping[int, GroupKey],
    seed: int,
) -> dict[GroupKey, tuple[int, ...]] | None:
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    for person in people:
        options = []
        for j, key in enumerate(keys):
            if key in person.excluded:
                continue
            x[person.id, j] = model.new_bool_var(f"x_{person.id}_{j}")
            options.append(x[person.id, j])
        if not options:
            return None
        model.add_exactly_one(options)
    terms: list[cp_model.IntVar] = []
    for j in range(len(keys)):
        seated = [(p, x[p.id, j]) for p in people if (p.id, j) in x]
        model.add(sum(v for _, v in seated) >= rules.group_min)
        model.add(sum(v for _, v in seated) <= rules.group_max)
        for attribute, minimum, cap in (
            ("sector", rules.min_sectors, rules.max_per_sector),
            ("region", rules.min_regions, None),
        ):
            buckets: dict[str, list[cp_model.IntVar]] = {}
            for p, v in seated:
                buckets.setdefault(getattr(p, attribute), []).append(v)
            if cap:
                for vs in buckets.values():
                    if len(vs) > cap:
                        model.add(sum(vs) <= cap)
            if minimum > 1:
                flags = []
                for name, vs in sorted(buckets.items()):
                    flag = model.new_bool_var(f"has_{j}_{name}")
                    model.add_bool_or(vs).only_enforce_if(flag)
                    flags.append(flag)
                model.add(sum(flags) >= minimum)
        for wanted in (EDUCATION_GROUPS, PUBLIC_FUNDER_GROUPS):
            present = [v for p, v in seated if p.sector_group in wanted]
            if present:
                met = model.new_bool_var(f"soft_{j}_{len(terms)}")
                model.add_bool_or(present).only_enforce_if(met)
                terms.append(met)
    # Staying put outweighs every soft goal in the slot together, as in the full model.
    stay = len(keys) * 2 + 1
    stable = [
        x[p.id, j]
        for p in people
        for j, key in enumerate(keys)
        if previous.get(p.id) == key and (p.id, j) in x
    ]
    model.maximize(stay * sum(stable) + sum(terms))
    for j, group in enumerate(dealt):
        for p in group:
            for jj in range(len(keys)):
                if (p.id, jj) in x:
                    model.add_hint(x[p.id, jj], jj == j)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.max_deterministic_time = 2.0
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    groups: dict[GroupKey, list[int]] = {key: [] for key in keys}
    for (pid, j), var in x.items():
        if solver.boolean_value(var):
            groups[keys[j]].append(pid)
    return {k: tuple(sorted(v)) for k, v in groups.items()}

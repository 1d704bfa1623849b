"""The large-round optimiser: who goes to which slot (CP-SAT), then how each slot splits into
groups (split.py).

Stage 1 decides, per person, a (theme, slot) or nothing, and per slot how many groups open.
Its rules are what every split into groups must satisfy, counted per slot: sizes between
n*group_min and n*group_max, at most n*max_per_sector from a sector, and for min_sectors the
counting bound sum over sectors of min(people, n) >= n*min_sectors (a sector can be present in
at most min(its people, n) groups); likewise for regions. Soft goals count at most
min(n, people of that kind) groups. These conditions are necessary, so stage 1 is a relaxation
of the full problem and its solver bound is a true upper bound on the best plan: the gap we
report is against it. For sectors and the soft goals they are also sufficient (split.deal
meets them); only regions, stability within a slot and removed-from groups may need the small
per-slot model, and a slot that cannot be split falls back to what fits.

The model has one variable per person and available slot (thousands, not the full model's
hundreds of thousands), which is what lets a round of 2,000 people solve in seconds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from ortools.sat.python import cp_model

from consult.scheduling.model import (
    EDUCATION_GROUPS,
    PUBLIC_FUNDER_GROUPS,
    GroupKey,
    Person,
    Problem,
    Solution,
    Weights,
    options,
)
from consult.scheduling.split import split_slot

Slot = tuple[str, int]
Configure = Callable[[cp_model.CpSolver], None]


def run(model: cp_model.CpModel, configure: Configure) -> tuple[cp_model.CpSolver, bool, str, int]:
    """Solve; (solver, whether a solution was found, status name, objective bound)."""
    solver = cp_model.CpSolver()
    configure(solver)
    status = solver.solve(model)
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return solver, found, solver.status_name(status), int(solver.best_objective_bound)


def solve_by_slot(
    problem: Problem,
    weights: Weights,
    baseline: Solution,
    configure: Configure,
    seed: int,
    cap: int | None = None,
) -> tuple[dict[GroupKey, tuple[int, ...]] | None, str, int]:
    """(groups or None, solver status name, solver bound) for the whole problem. `cap`: a
    known upper bound on the objective (model stays exact: no plan exceeds it)."""
    themes = {t.slug: t for t in problem.themes}
    max_rank = max((len(p.preferences) for p in problem.people), default=1)
    model = cp_model.CpModel()
    y: dict[tuple[int, Slot], cp_model.IntVar] = {}
    in_slot: dict[Slot, list[Person]] = defaultdict(list)
    terms: list[tuple[cp_model.IntVar, int]] = []
    for person in problem.people:
        mine = []
        for rank, rules, slot_id in options(problem, person):
            slug = rules.slug
            var = model.new_bool_var(f"y_{person.id}_{slug}_{slot_id}")
            y[person.id, (slug, slot_id)] = var
            in_slot[slug, slot_id].append(person)
            mine.append(var)
            gain = weights.place + weights.preference * (max_rank - 1 - rank)
            gain += weights.must if person.must_place else 0
            before = problem.previous.get(person.id)
            if before is not None and (before.theme, before.slot_id) == (slug, slot_id):
                gain += weights.stable
            terms.append((var, gain))
        if mine:
            model.add_at_most_one(mine)

    # The baseline as a complete hint (every variable, derived ones too): CP-SAT then starts
    # from it instead of searching for a first solution.
    hinted = baseline.assignment()
    opened: dict[Slot, int] = defaultdict(int)
    for key in baseline.groups:
        opened[key.theme, key.slot_id] += 1

    def hinted_here(person: Person, slot: Slot) -> bool:
        key = hinted.get(person.id)
        return key is not None and (key.theme, key.slot_id) == slot

    groups_open: dict[Slot, cp_model.IntVar] = {}
    for (slug, slot_id), people in in_slot.items():
        rules = themes[slug]
        most = min(rules.parallel_groups, len(people) // rules.group_min)
        n = model.new_int_var(0, most, f"n_{slug}_{slot_id}")
        groups_open[slug, slot_id] = n
        n_hint = opened[slug, slot_id]
        model.add_hint(n, n_hint)
        for p in people:
            model.add_hint(y[p.id, (slug, slot_id)], hinted_here(p, (slug, slot_id)))
        seated = [y[p.id, (slug, slot_id)] for p in people]
        model.add(sum(seated) >= rules.group_min * n)
        model.add(sum(seated) <= rules.group_max * n)
        for attribute, minimum, cap in (
            ("sector", rules.min_sectors, rules.max_per_sector),
            ("region", rules.min_regions, None),
        ):
            buckets: dict[str, list[Person]] = defaultdict(list)
            for p in people:
                buckets[getattr(p, attribute)].append(p)
            present = []
            for name, members in sorted(buckets.items()):
                vs = [y[p.id, (slug, slot_id)] for p in members]
                if cap and len(vs) > cap:
                    model.add(sum(vs) <= cap * n)
                if minimum > 1:
                    # Groups this sector (region) can be present in: at most its people, at
                    # most the number of groups.
                    z = model.new_int_var(0, min(len(vs), most), f"in_{slug}_{slot_id}_{name}")
                    model.add(z <= sum(vs))
                    model.add(z <= n)
                    here = sum(hinted_here(p, (slug, slot_id)) for p in members)
                    model.add_hint(z, min(here, n_hint))
                    present.append(z)
            if minimum > 1:
                model.add(sum(present) >= minimum * n)
        for wanted in (EDUCATION_GROUPS, PUBLIC_FUNDER_GROUPS):
            kind = [p for p in people if p.sector_group in wanted]
            if not kind:
                continue
            met = model.new_int_var(0, min(len(kind), most), f"soft_{slug}_{slot_id}_{len(terms)}")
            model.add(met <= sum(y[p.id, (slug, slot_id)] for p in kind))
            model.add(met <= n)
            here = sum(hinted_here(p, (slug, slot_id)) for p in kind)
            model.add_hint(met, min(here, n_hint))
            terms.append((met, weights.soft))

    objective = sum(coef * var for var, coef in terms)
    if cap is not None:
        # The analytic bound is often far tighter than what the search proves by itself;
        # stating it lets the search stop at the gap limit instead of spending its budget.
        model.add(objective <= cap)
    model.maximize(objective)

    solver, found, name, bound = run(model, configure)
    if not found:
        return None, name, bound
    groups: dict[GroupKey, tuple[int, ...]] = {}
    for (slug, slot_id), people in sorted(in_slot.items()):
        n_groups = solver.value(groups_open[slug, slot_id])
        chosen = [p for p in people if solver.boolean_value(y[p.id, (slug, slot_id)])]
        if not n_groups or not chosen:
            continue
        split = split_slot(themes[slug], slot_id, chosen, n_groups, problem.previous, seed)
        if split is not None:
            groups.update(split)
        # A slot that cannot be split leaves its people to fill_and_explain.
    return groups, name, bound

"""The scheduling optimiser (OR-Tools CP-SAT), with two models of the same problem.

The exact model, for rounds of a few hundred people: x[p, g] = person p sits in group g, where
a group g is (theme, slot, index < parallel_groups); open[g] = group g runs. Hard rules: a
person sits in at most one group (so at most one per theme), only in a theme they chose, a slot
they marked available and never in a group they were removed from; an open group has
group_min..group_max people, at least min_sectors sectors and min_regions regions and at most
max_per_sector from one sector. For large rounds that model has hundreds of thousands of
variables and the search cannot even pass its starting point, so `auto` switches to the
by-slot model (aggregate.py): slots first, then groups.

The objective is the lexicographic order of model.Weights as one weighted sum: must-place
people, placed people, stability (re-scheduling), theme preference, the soft diversity goals.
The search starts from the better of the greedy plan and the current one, and never returns
worse. The gap is measured against the solver's bound (or a tighter analytic one).

Determinism: the search interleaves its two workers (interleave_search) and stops on a
deterministic time budget, so the same problem and seed give the same solution on any machine.
The wall-clock limit is only a safety net; if it bites, the result may vary between runs.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from consult.scheduling.aggregate import Configure, run, solve_by_slot
from consult.scheduling.diagnose import fill_and_explain, infeasible_rules, unplaced_must_place
from consult.scheduling.greedy import greedy, keep_previous, running_groups
from consult.scheduling.model import (
    EDUCATION_GROUPS,
    PUBLIC_FUNDER_GROUPS,
    GroupKey,
    Problem,
    Reason,
    Solution,
    Weights,
    objective_value,
    options,
)
from consult.scheduling.repair import repair


@dataclass(frozen=True)
class SolverOptions:
    seed: int = 0
    workers: int = 2
    # Deterministic time units (roughly seconds on a current core); the search stops here.
    deterministic_limit: float = 5.0
    # Safety net only: breaks determinism if reached before the deterministic budget.
    wall_limit_s: float = 60.0
    # Relative gap at which the search may stop early.
    relative_gap: float = 0.001
    # "exact": one model of every person in every group; "by_slot": slots first, then groups
    # (aggregate.py); "auto": exact while the exact model stays small enough to solve well.
    method: str = "auto"
    # Variables of the exact model. Above a few thousand its search often cannot close the gap
    # within the budget (136 people, 13,000 variables: 30-60 s, still FEASIBLE), while the
    # by-slot model proves the optimum of such a round in about a second.
    exact_limit: int = 3_000
    # Re-plans (some people sit somewhere already) start with an incremental repair of the
    # running plan (repair.py); False re-solves the whole round instead, as before.
    repair: bool = True
    # A re-plan's search, started from the repaired plan, is short: the repair is already a
    # good plan and a person waiting on a re-plan should not wait for a full solve.
    replan_limit: float = 1.0
    replan_wall_s: float = 8.0
    # Re-plans of rounds whose exact model stays below this many variables are solved whole
    # (it takes well under a second); larger ones only around the people still unplaced.
    replan_whole_limit: int = 3_000


def optimise(problem: Problem, options: SolverOptions | None = None) -> Solution:
    options = options or SolverOptions()
    started = time.perf_counter()
    weights = Weights.for_problem(problem)
    if problem.previous and options.repair:
        return _replan(problem, options, weights, started)
    baseline = max(greedy(problem), keep_previous(problem), key=lambda sol: sol.objective)

    def configure(solver: cp_model.CpSolver) -> None:
        params = solver.parameters
        params.num_workers = options.workers
        params.interleave_search = True
        params.random_seed = options.seed
        params.max_deterministic_time = options.deterministic_limit
        params.max_time_in_seconds = options.wall_limit_s
        params.relative_gap_limit = options.relative_gap

    exact = options.method == "exact" or (
        options.method == "auto" and exact_size(problem) <= options.exact_limit
    )
    if exact:
        groups, status, solver_bound = _solve_exact(problem, weights, baseline, configure)
    else:
        groups, status, solver_bound = solve_by_slot(
            problem, weights, baseline, configure, options.seed, upper_bound(problem, weights)
        )
    return _finish(problem, weights, baseline, groups, status, solver_bound, started)


def _finish(
    problem: Problem,
    weights: Weights,
    baseline: Solution,
    groups: dict[GroupKey, tuple[int, ...]] | None,
    status: str,
    solver_bound: int,
    started: float,
) -> Solution:
    found = baseline.groups if groups is None else groups
    solution = fill_and_explain(problem, Solution(groups=dict(found)))
    solution.objective = objective_value(problem, solution, weights)
    if solution.objective < baseline.objective:
        # The deterministic budget ran out before the search passed its hint: keep the
        # baseline rather than return something worse.
        solution = fill_and_explain(problem, Solution(groups=dict(baseline.groups)))
        solution.objective = baseline.objective
    solution.status = status
    # The solver's bound, or an analytic one when that is tighter (it often is: placement
    # dominates the weights and the search spends little effort on proving its bound).
    bound = min(solver_bound, upper_bound(problem, weights))
    solution.bound = max(bound, solution.objective)
    solution.gap = (
        (solution.bound - solution.objective) / solution.bound if solution.bound > 0 else 0.0
    )
    solution.infeasible = infeasible_rules(problem) + unplaced_must_place(problem, solution)
    solution.wall_s = time.perf_counter() - started
    return solution


def _replan(problem: Problem, options: SolverOptions, weights: Weights, started: float) -> Solution:
    """Repair the running plan; search further only where the repair may have fallen short.
    Small rounds are searched whole (quick, and then the plan is optimal). In large ones the
    search runs only when the repair left people unplaced who have a slot to go to, and only
    around them: they and the people seated in their slots may move, everyone else stays
    where the repair put them."""
    repaired = repair(problem)
    open_unplaced = {
        pid for pid, reason in repaired.unplaced.items() if reason != Reason.NO_AVAILABLE_SLOT
    }
    whole = exact_size(problem) <= options.replan_whole_limit
    if not whole and not open_unplaced:
        # Everyone who can have a seat has one. People the repair moved had to move (their
        # group or slot went); a search could only trade their seats for preference or the
        # mix, not worth a wait.
        bound = upper_bound(problem, weights)
        return _finish(problem, weights, repaired, None, "REPAIRED", bound, started)

    def configure(solver: cp_model.CpSolver) -> None:
        params = solver.parameters
        params.num_workers = options.workers
        params.interleave_search = True
        params.random_seed = options.seed
        params.max_deterministic_time = min(options.replan_limit, options.deterministic_limit)
        params.max_time_in_seconds = min(options.replan_wall_s, options.wall_limit_s)
        params.relative_gap_limit = options.relative_gap

    free = None if whole else _neighbourhood(problem, repaired, open_unplaced)
    groups, status, solver_bound = _solve_exact(problem, weights, repaired, configure, free)
    if free is not None:
        # Bounds of a search with most people fixed say nothing about the whole round.
        solver_bound = upper_bound(problem, weights)
    return _finish(problem, weights, repaired, groups, status, solver_bound, started)


def _neighbourhood(problem: Problem, repaired: Solution, focus: set[int]) -> set[int]:
    """Who the re-plan's search may move: the people in focus and everyone seated in a slot
    one of them could go to (they may make room by moving on)."""
    people = {p.id: p for p in problem.people}
    slots = {
        (rules.slug, slot_id)
        for pid in focus
        for _, rules, slot_id in options(problem, people[pid])
    }
    free = set(focus)
    for key, members in repaired.groups.items():
        if (key.theme, key.slot_id) in slots:
            free.update(members)
    return free


def exact_size(problem: Problem) -> int:
    """How many person-in-group variables the exact model would have."""
    return sum(
        rules.parallel_groups
        for person in problem.people
        for _, rules, _ in options(problem, person)
    )


def _solve_exact(
    problem: Problem,
    weights: Weights,
    baseline: Solution,
    configure: Configure,
    free: set[int] | None = None,
) -> tuple[dict[GroupKey, tuple[int, ...]] | None, str, int]:
    """Solve the exact model; with `free`, only those people may change, everyone else stays
    where the baseline put them (or unplaced)."""
    themes = {t.slug: t for t in problem.themes}
    fixed = baseline.assignment() if free is not None else {}
    running = running_groups(problem)
    max_rank = max((len(p.preferences) for p in problem.people), default=1)

    model = cp_model.CpModel()
    opened: dict[GroupKey, cp_model.IntVar] = {}
    for rules in problem.themes:
        for slot_id in rules.slot_ids:
            for j in range(rules.parallel_groups):
                key = GroupKey(rules.slug, slot_id, j)
                opened[key] = model.new_bool_var(f"open_{rules.slug}_{slot_id}_{j}")
                if j > running[rules.slug, slot_id]:
                    # Symmetry breaking: new parallel groups open in index order. Groups that
                    # already run keep their index, so staying put stays possible.
                    model.add_implication(opened[key], opened[GroupKey(rules.slug, slot_id, j - 1)])

    x: dict[tuple[int, GroupKey], cp_model.IntVar] = {}
    members: dict[GroupKey, list[int]] = defaultdict(list)
    terms: list[tuple[cp_model.IntVar, int]] = []
    people = {p.id: p for p in problem.people}
    for person in problem.people:
        mine: list[cp_model.IntVar] = []
        movable = free is None or person.id in free
        if not movable and person.id not in fixed:
            continue
        for rank, chosen, slot_id in options(problem, person):
            for j in range(chosen.parallel_groups):
                key = GroupKey(chosen.slug, slot_id, j)
                if key in person.excluded or (not movable and fixed[person.id] != key):
                    continue
                var = model.new_bool_var(f"x_{person.id}_{chosen.slug}_{slot_id}_{j}")
                x[person.id, key] = var
                members[key].append(person.id)
                mine.append(var)
                gain = weights.place + weights.preference * (max_rank - 1 - rank)
                gain += weights.must if person.must_place else 0
                gain += weights.stable if problem.previous.get(person.id) == key else 0
                terms.append((var, gain))
        if mine:
            model.add_at_most_one(mine)
            if not movable:
                model.add(mine[0] == 1)

    for key, is_open in opened.items():
        rules = themes[key.theme]
        seated = [x[pid, key] for pid in members[key]]
        if len(seated) < rules.group_min:
            # Too few candidates ever to reach the minimum: the group stays closed and empty.
            model.add(is_open == 0)
            for var in seated:
                model.add(var == 0)
            continue
        size = sum(seated)
        model.add(size >= rules.group_min * is_open)
        model.add(size <= rules.group_max * is_open)
        by_sector: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        by_region: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        edu: list[cp_model.IntVar] = []
        public: list[cp_model.IntVar] = []
        for pid in members[key]:
            person = people[pid]
            by_sector[person.sector].append(x[pid, key])
            by_region[person.region].append(x[pid, key])
            if person.sector_group in EDUCATION_GROUPS:
                edu.append(x[pid, key])
            if person.sector_group in PUBLIC_FUNDER_GROUPS:
                public.append(x[pid, key])
        if rules.max_per_sector:
            for seats in by_sector.values():
                if len(seats) > rules.max_per_sector:
                    model.add(sum(seats) <= rules.max_per_sector)
        for minimum, buckets in ((rules.min_sectors, by_sector), (rules.min_regions, by_region)):
            if minimum <= 1:
                continue  # a non-empty group always has one sector and one region
            present = []
            for name, seats in sorted(buckets.items()):
                flag = model.new_bool_var(f"has_{key}_{name}")
                model.add_bool_or(seats).only_enforce_if(flag)
                present.append(flag)
            model.add(sum(present) >= minimum * is_open)
        for group_members in (edu, public):
            if group_members:
                met = model.new_bool_var(f"soft_{key}_{len(terms)}")
                model.add_bool_or(group_members).only_enforce_if(met)
                terms.append((met, weights.soft))

    model.maximize(sum(coef * var for var, coef in terms))
    # Start from the better of the greedy plan and the current one: the search improves on it
    # rather than starting from nothing.
    hinted = baseline.assignment()
    for (pid, key), var in x.items():
        model.add_hint(var, 1 if hinted.get(pid) == key else 0)
    for key, var in opened.items():
        model.add_hint(var, 1 if key in baseline.groups else 0)

    solver, found, name, bound = run(model, configure)
    if not found:
        return None, name, bound
    groups: dict[GroupKey, list[int]] = defaultdict(list)
    for (pid, key), var in x.items():
        if solver.boolean_value(var):
            groups[key].append(pid)
    return {k: tuple(sorted(v)) for k, v in groups.items()}, name, bound


def upper_bound(problem: Problem, weights: Weights) -> int:
    """A valid upper bound on the objective: every person with an option placed in their
    best available theme and kept where they were, and both soft goals met in every group that
    could possibly open (a theme opens at most candidates // group_min groups)."""
    themes = {t.slug: t for t in problem.themes}
    max_rank = max((len(p.preferences) for p in problem.people), default=1)
    total = 0
    candidates: dict[str, int] = defaultdict(int)
    for person in problem.people:
        ranks = [
            rank
            for rank, slug in enumerate(person.preferences)
            if slug in themes and person.available & set(themes[slug].slot_ids)
        ]
        for rank, slug in enumerate(person.preferences):
            if rank in ranks:
                candidates[slug] += 1
        if ranks:
            total += weights.place + weights.preference * (max_rank - 1 - min(ranks))
            total += weights.must if person.must_place else 0
            total += weights.stable if person.id in problem.previous else 0
    for rules in problem.themes:
        most = min(
            len(rules.slot_ids) * rules.parallel_groups,
            candidates[rules.slug] // max(rules.group_min, 1),
        )
        total += 2 * weights.soft * most
    return total

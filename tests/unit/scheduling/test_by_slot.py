"""The large-round optimiser (slots first, then groups): every hard rule holds, nobody is worse
off than under the greedy plan, and the dealing argument behind the split holds."""

from __future__ import annotations

import math
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consult.scheduling.greedy import greedy, keep_previous
from consult.scheduling.model import (
    EDUCATION_GROUPS,
    PUBLIC_FUNDER_GROUPS,
    Person,
    Problem,
    ThemeRules,
    violations,
)
from consult.scheduling.optimiser import SolverOptions, optimise
from consult.scheduling.split import deal
from tests.unit.scheduling.test_optimiser import GROUPS, SECTORS, assert_reasons_true, problems

BY_SLOT = SolverOptions(seed=1, deterministic_limit=5.0, wall_limit_s=30.0, method="by_slot")
EXACT = SolverOptions(seed=1, deterministic_limit=5.0, wall_limit_s=30.0, method="exact")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_people=12, rescheduling=True))
def test_by_slot_keeps_every_hard_rule_and_beats_the_baselines(problem: Problem) -> None:
    sol = optimise(problem, BY_SLOT)
    assert violations(problem, sol) == []
    assert_reasons_true(problem, sol)
    assert sol.objective >= max(greedy(problem).objective, keep_previous(problem).objective)
    assert sol.objective <= sol.bound


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_people=8))
def test_by_slot_reaches_the_exact_optimum_when_only_sectors_and_sizes_matter(
    problem: Problem,
) -> None:
    """Without region rules, stability or removed-from groups, the slot counts are exactly
    what a valid split needs, so the two-stage optimum is the optimum."""
    themes = tuple(
        ThemeRules(
            t.slug,
            t.slot_ids,
            t.group_min,
            t.group_max,
            t.parallel_groups,
            t.min_sectors,
            t.max_per_sector,
            0,
        )
        for t in problem.themes
    )
    plain = Problem(problem.people, themes)
    assert optimise(plain, BY_SLOT).objective == optimise(plain, EXACT).objective


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(SECTORS), min_size=1, max_size=40),
    st.integers(1, 6),
    st.integers(1, 4),
)
def test_dealing_meets_what_the_slot_counts_promise(
    sectors: list[str], n_groups: int, min_sectors: int
) -> None:
    people = [
        Person(i, s, GROUPS[s], "Twente", ("a",), frozenset({1})) for i, s in enumerate(sectors)
    ]
    counts = Counter(sectors)
    groups = deal(people, n_groups)
    sizes = [len(g) for g in groups]
    assert max(sizes) - min(sizes) <= 1
    for group in groups:
        per_sector = Counter(p.sector for p in group)
        assert all(n <= math.ceil(counts[s] / n_groups) for s, n in per_sector.items())
        if sum(min(c, n_groups) for c in counts.values()) >= min_sectors * n_groups:
            assert len(per_sector) >= min_sectors
    for wanted in (EDUCATION_GROUPS, PUBLIC_FUNDER_GROUPS):
        kind = sum(1 for p in people if p.sector_group in wanted)
        served = sum(1 for g in groups if any(p.sector_group in wanted for p in g))
        assert served == min(kind, n_groups)


def test_the_bench_shaped_round_solves_with_a_small_gap() -> None:
    """A round of 400 people in 2 themes: the by-slot model is chosen automatically, places
    everyone who can be placed and reports a gap against its own relaxation's bound."""
    import random

    rng = random.Random(3)
    themes = tuple(
        ThemeRules(slug, tuple(range(10 * t, 10 * t + 6)), 6, 10, 8, 3, 3, 2)
        for t, slug in enumerate(("a", "b"))
    )
    people = []
    for pid in range(400):
        prefs = tuple(rng.sample(["a", "b"], k=rng.choice((1, 2))))
        pool = [s for t in themes if t.slug in prefs for s in t.slot_ids]
        sector = rng.choice(SECTORS)
        people.append(
            Person(
                pid,
                sector,
                GROUPS[sector],
                rng.choice(["T", "Z", "A"]),
                prefs,
                frozenset(rng.sample(pool, k=min(3, len(pool)))),
            )
        )
    problem = Problem(tuple(people), themes)
    sol = optimise(problem, SolverOptions(seed=0, exact_limit=1000))
    assert violations(problem, sol) == []
    assert sol.objective >= greedy(problem).objective
    assert 0.0 <= sol.gap <= 0.01
    assert sol.status in ("OPTIMAL", "FEASIBLE")

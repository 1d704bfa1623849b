"""The optimiser on small instances whose optimum is known by hand or by brute force, and
property tests: every hard rule holds in every solution, every unplaced person has a true
reason."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consult.scheduling.diagnose import infeasible_rules
from consult.scheduling.greedy import greedy, keep_previous
from consult.scheduling.model import (
    GroupKey,
    Person,
    Problem,
    Reason,
    Solution,
    ThemeRules,
    Weights,
    objective_value,
    violations,
)
from consult.scheduling.optimiser import SolverOptions, optimise

FAST = SolverOptions(seed=1, deterministic_limit=5.0, wall_limit_s=30.0, relative_gap=0.0)


def person(
    pid: int,
    sector: str,
    region: str = "Twente",
    prefs: tuple[str, ...] = ("a",),
    avail: tuple[int, ...] = (1,),
    group: str = "care",
    must: bool = False,
) -> Person:
    return Person(pid, sector, group, region, prefs, frozenset(avail), must)


def brute_force(problem: Problem) -> int:
    """The best objective over every assignment of every person to a group or to nobody."""
    keys = [
        GroupKey(t.slug, s, j)
        for t in problem.themes
        for s in t.slot_ids
        for j in range(t.parallel_groups)
    ]
    weights = Weights.for_problem(problem)
    best = 0
    for choice in itertools.product([None, *keys], repeat=len(problem.people)):
        groups: dict[GroupKey, list[int]] = {}
        for p, key in zip(problem.people, choice, strict=True):
            if key is not None:
                groups.setdefault(key, []).append(p.id)
        sol = Solution(
            groups={k: tuple(v) for k, v in groups.items()},
            unplaced={
                p.id: Reason.DIVERSITY_RULE
                for p, k in zip(problem.people, choice, strict=True)
                if k is None
            },
        )
        if not violations(problem, sol):
            best = max(best, objective_value(problem, sol, weights))
    return best


def test_places_everyone_in_one_group_by_hand() -> None:
    people = tuple(person(i, s) for i, s in enumerate(["vvt", "ggz", "mbo", "ghz"]))
    problem = Problem(
        people, (ThemeRules("a", (1,), group_min=3, group_max=4, parallel_groups=1, min_sectors=3),)
    )
    sol = optimise(problem, FAST)
    assert sol.groups == {GroupKey("a", 1, 0): (0, 1, 2, 3)}
    assert sol.unplaced == {}
    assert sol.gap == 0.0


def test_sector_cap_leaves_the_third_of_a_sector_out() -> None:
    # Three from vvt, at most two per group, one group: one vvt person cannot be placed.
    people = (person(0, "vvt"), person(1, "vvt"), person(2, "vvt"), person(3, "ggz"))
    problem = Problem(
        people,
        (ThemeRules("a", (1,), group_min=2, group_max=4, parallel_groups=1, max_per_sector=2),),
    )
    sol = optimise(problem, FAST)
    assert len(sol.unplaced) == 1
    assert next(iter(sol.unplaced.values())) == Reason.DIVERSITY_RULE
    assert not violations(problem, sol)


def test_reasons_no_slot_and_theme_full() -> None:
    people = (
        person(0, "vvt"),
        person(1, "ggz"),
        person(2, "mbo"),
        person(3, "vvt", avail=(9,)),  # 9 is not a slot of theme a
    )
    problem = Problem(people, (ThemeRules("a", (1,), group_min=2, group_max=2, parallel_groups=1),))
    sol = optimise(problem, FAST)
    assert sol.unplaced[3] == Reason.NO_AVAILABLE_SLOT
    assert sorted(r for pid, r in sol.unplaced.items() if pid != 3) == [Reason.THEME_FULL]


def test_preference_beats_diversity_and_placement_beats_preference() -> None:
    # Person 0 prefers b; both a and b have room; the education soft goal would pull them to a.
    people = (
        person(0, "mbo", prefs=("b", "a"), avail=(1, 2), group="education"),
        person(1, "vvt", avail=(1,)),
        person(2, "ggz", avail=(1,)),
        person(3, "vvt", prefs=("b",), avail=(2,)),
        person(4, "ghz", prefs=("b",), avail=(2,)),
    )
    themes = (
        ThemeRules("a", (1,), group_min=2, group_max=3, parallel_groups=1),
        ThemeRules("b", (2,), group_min=2, group_max=3, parallel_groups=1),
    )
    sol = optimise(Problem(people, themes), FAST)
    assert 0 in sol.groups[GroupKey("b", 2, 0)]
    # Now b only has room for two: placing everyone forces person 0 into a.
    themes = (themes[0], ThemeRules("b", (2,), group_min=2, group_max=2, parallel_groups=1))
    sol = optimise(Problem(people, themes), FAST)
    assert sol.unplaced == {}
    assert 0 in sol.groups[GroupKey("a", 1, 0)]


def test_must_place_wins_over_two_others() -> None:
    people = (
        person(0, "vvt", must=True),
        person(1, "vvt"),
        person(2, "vvt"),
        person(3, "ggz"),
    )
    problem = Problem(
        people,
        (ThemeRules("a", (1,), group_min=2, group_max=2, parallel_groups=1, max_per_sector=1),),
    )
    sol = optimise(problem, FAST)
    assert sol.groups == {GroupKey("a", 1, 0): (0, 3)}
    assert not sol.infeasible


def test_stability_keeps_people_where_they_were() -> None:
    people = tuple(person(i, s, avail=(1, 2)) for i, s in enumerate(["vvt", "ggz", "mbo", "ghz"]))
    rules = ThemeRules("a", (1, 2), group_min=2, group_max=4, parallel_groups=1)
    previous = {
        0: GroupKey("a", 2, 0),
        1: GroupKey("a", 2, 0),
        2: GroupKey("a", 1, 0),
        3: GroupKey("a", 1, 0),
    }
    sol = optimise(Problem(people, (rules,), previous), FAST)
    assert sol.assignment() == previous


def test_infeasible_rules_are_explained_with_a_relaxation() -> None:
    people = tuple(person(i, "vvt") for i in range(5))
    rules = ThemeRules("a", (1,), group_min=3, group_max=4, min_sectors=2, max_per_sector=1)
    found = infeasible_rules(Problem(people, (rules,)))
    assert {f.rule for f in found} == {"min_sectors", "max_per_sector"}
    assert all(f.theme == "a" and f.suggestion for f in found)
    sol = optimise(Problem(people, (rules,)), FAST)
    assert set(sol.unplaced.values()) == {Reason.GROUP_TOO_SMALL}
    assert sol.infeasible


def test_deterministic_for_the_same_seed() -> None:
    people = tuple(
        person(
            i,
            ["vvt", "ggz", "mbo"][i % 3],
            ["Twente", "Zwolle"][i % 2],
            prefs=("a", "b"),
            avail=(1, 2, 3),
        )
        for i in range(14)
    )
    themes = (
        ThemeRules("a", (1, 2), group_min=3, group_max=4, parallel_groups=2, min_sectors=2),
        ThemeRules("b", (3,), group_min=3, group_max=4, parallel_groups=1),
    )
    one = optimise(Problem(people, themes), FAST)
    two = optimise(Problem(people, themes), FAST)
    assert one.groups == two.groups and one.objective == two.objective


SECTORS = ["vvt", "ggz", "mbo", "gemeente"]
GROUPS = {"vvt": "care", "ggz": "care", "mbo": "education", "gemeente": "government"}


@st.composite
def problems(draw: st.DrawFn, max_people: int = 9, rescheduling: bool = False) -> Problem:
    n = draw(st.integers(0, max_people))
    slots = {"a": (1, 2), "b": (3,)}
    people = []
    # Re-scheduling: some people sit somewhere already, some were removed from a group.
    keys = [GroupKey(t, s, j) for t, ids in slots.items() for s in ids for j in (0, 1)]
    previous: dict[int, GroupKey] = {}
    for pid in range(n):
        prefs = tuple(draw(st.permutations(["a", "b"]))[: draw(st.integers(1, 2))])
        avail = draw(st.frozensets(st.sampled_from([1, 2, 3, 7]), max_size=3))
        sector = draw(st.sampled_from(SECTORS))
        excluded = draw(st.frozensets(st.sampled_from(keys), max_size=2)) if rescheduling else None
        people.append(
            Person(
                pid,
                sector,
                GROUPS[sector],
                draw(st.sampled_from(["T", "Z"])),
                prefs,
                avail,
                draw(st.booleans()) and pid == 0,
                excluded or frozenset(),
            )
        )
        if rescheduling and draw(st.booleans()):
            previous[pid] = draw(st.sampled_from([k for k in keys if k not in (excluded or ())]))
    themes = []
    for slug, ids in slots.items():
        gmin = draw(st.integers(1, 3))
        themes.append(
            ThemeRules(
                slug,
                ids,
                group_min=gmin,
                group_max=draw(st.integers(gmin, 4)),
                parallel_groups=draw(st.integers(1, 2)),
                min_sectors=draw(st.integers(0, 2)),
                max_per_sector=draw(st.sampled_from([None, 1, 2])),
                min_regions=draw(st.integers(0, 2)),
            )
        )
    return Problem(tuple(people), tuple(themes), previous)


def assert_reasons_true(problem: Problem, sol: Solution) -> None:
    people = {p.id: p for p in problem.people}
    for pid, reason in sol.unplaced.items():
        p = people[pid]
        options = [
            (t, s)
            for t in problem.themes
            if t.slug in p.preferences
            for s in t.slot_ids
            if s in p.available
        ]
        in_slot = {
            (t.slug, s): [
                (k, m) for k, m in sol.groups.items() if (k.theme, k.slot_id) == (t.slug, s)
            ]
            for t, s in options
        }
        if reason == Reason.NO_AVAILABLE_SLOT:
            assert not options
            continue
        assert options
        with_room = [
            (t, k, m) for t, s in options for k, m in in_slot[t.slug, s] if len(m) < t.group_max
        ]
        room = [(t, m) for t, k, m in with_room if k not in p.excluded]
        if reason == Reason.THEME_FULL:
            assert not with_room
            assert all(len(in_slot[t.slug, s]) == t.parallel_groups for t, s in options)
        elif reason == Reason.REMOVED_FROM_GROUP:
            assert with_room and not room
        elif reason == Reason.DIVERSITY_RULE:
            assert room
            for t, m in room:
                same = sum(1 for i in m if people[i].sector == p.sector)
                assert t.max_per_sector and same >= t.max_per_sector
        else:
            assert reason == Reason.GROUP_TOO_SMALL
            assert not with_room
            assert any(len(in_slot[t.slug, s]) < t.parallel_groups for t, s in options)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_every_solution_keeps_every_hard_rule(problem: Problem) -> None:
    for sol in (optimise(problem, FAST), greedy(problem)):
        assert violations(problem, sol) == []
        assert_reasons_true(problem, sol)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_people=5))
def test_optimum_matches_brute_force(problem: Problem) -> None:
    sol = optimise(problem, FAST)
    assert sol.objective == brute_force(problem)
    assert sol.objective >= greedy(problem).objective


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(rescheduling=True))
def test_rescheduling_keeps_every_hard_rule_and_never_seats_anyone_where_removed(
    problem: Problem,
) -> None:
    for sol in (optimise(problem, FAST), greedy(problem), keep_previous(problem)):
        assert violations(problem, sol) == []
        assert_reasons_true(problem, sol)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_people=4, rescheduling=True))
def test_rescheduling_optimum_matches_brute_force(problem: Problem) -> None:
    """Brute force includes stability (Weights counts a kept seat): the optimiser finds the
    best trade-off of placing people and leaving them where they were."""
    sol = optimise(problem, FAST)
    assert sol.objective == brute_force(problem)
    assert sol.objective >= keep_previous(problem).objective


def test_a_late_decline_moves_nobody_else_when_the_group_stays_valid() -> None:
    people = tuple(person(i, s, avail=(1, 2)) for i, s in enumerate(["vvt", "ggz", "mbo", "ghz"]))
    rules = ThemeRules("a", (1, 2), group_min=2, group_max=4, parallel_groups=2)
    previous = {i: GroupKey("a", 1, 0) for i in range(4)}
    # Person 3 declined: they are no longer in the problem.
    sol = optimise(Problem(people[:3], (rules,), previous), FAST)
    assert sol.assignment() == {i: GroupKey("a", 1, 0) for i in range(3)}


def test_a_group_that_falls_below_the_minimum_is_merged_where_people_can_go() -> None:
    # Two groups of two in slot 1; two people decline, one from each group: the two left
    # must move together (placing them beats keeping them where they were).
    people = tuple(person(i, "vvt", avail=(1,)) for i in range(4))
    rules = ThemeRules("a", (1,), group_min=2, group_max=4, parallel_groups=2)
    previous = {0: GroupKey("a", 1, 0), 1: GroupKey("a", 1, 0)}
    previous |= {2: GroupKey("a", 1, 1), 3: GroupKey("a", 1, 1)}
    sol = optimise(Problem((people[0], people[2]), (rules,), previous), FAST)
    assert sol.unplaced == {}
    assert len(sol.groups) == 1
    (members,) = sol.groups.values()
    assert members == (0, 2)


def test_a_removed_person_has_a_true_reason_when_nowhere_else_has_room() -> None:
    removed_from = GroupKey("a", 1, 0)
    people = (
        person(0, "vvt"),
        person(1, "ggz"),
        Person(
            2,
            "mbo",
            "education",
            "Twente",
            ("a",),
            frozenset({1}),
            False,
            frozenset({removed_from}),
        ),
    )
    rules = ThemeRules("a", (1,), group_min=2, group_max=4, parallel_groups=1)
    previous = {0: removed_from, 1: removed_from}
    sol = optimise(Problem(people, (rules,), previous), FAST)
    assert sol.groups == {removed_from: (0, 1)}
    assert sol.unplaced == {2: Reason.REMOVED_FROM_GROUP}

"""Re-plans as the people in them notice them: a late acceptance, a decline or a withdrawn slot
sends a calendar message to as few people who already had a seat as possible."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace

from consult.scheduling.diff import changed_calendars, plan_changes
from consult.scheduling.model import GroupKey, Person, Problem, Solution, ThemeRules, violations
from consult.scheduling.optimiser import SolverOptions, optimise
from consult.scheduling.proposal import RunningGroup
from consult.scheduling.repair import repair
from tests.unit.scheduling.test_optimiser import person

OPTIONS = SolverOptions(seed=0)
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


def sessions(plan: Solution) -> list[RunningGroup]:
    """The plan as running sessions, keyed as the database keys them (per slot, 0..n-1)."""
    running = []
    index: dict[int, int] = defaultdict(int)
    for n, (key, members) in enumerate(sorted(plan.groups.items(), key=lambda kv: kv[0].slot_id)):
        running.append(
            RunningGroup(
                n + 1, GroupKey(key.theme, key.slot_id, index[key.slot_id]), frozenset(members)
            )
        )
        index[key.slot_id] += 1
    return running


def replan(
    problem: Problem, running: list[RunningGroup], options: SolverOptions = OPTIONS
) -> tuple[Solution, set[int]]:
    staying = {p.id for p in problem.people}
    previous = {pid: g.key for g in running for pid in g.members if pid in staying}
    now = Problem(problem.people, problem.themes, previous)
    plan = optimise(now, options)
    assert violations(now, plan) == []
    return plan, changed_calendars(running, plan_changes(running, plan.groups), staying)


def demo_round(n_people: int, seed: int) -> Problem:
    """Shaped like the demo round: four themes of three slots, everyone ranking all four
    themes and free at every time (nobody ticked availability)."""
    rng = random.Random(seed)
    themes = tuple(
        ThemeRules(slug, (10 * t + 1, 10 * t + 2, 10 * t + 3), 4, 8, 8, 2)
        for t, slug in enumerate(THEMES)
    )
    every_slot = frozenset(s for t in themes for s in t.slot_ids)
    people = []
    for pid in range(n_people):
        first = THEMES[pid % 4]
        sector = rng.choice(list(SECTORS))
        people.append(
            Person(
                pid,
                sector,
                SECTORS[sector],
                rng.choice(["Achterhoek", "Twente", "Zwolle", "Stedenvierkant"]),
                (first, *(t for t in THEMES if t != first)),
                every_slot,
            )
        )
    return Problem(tuple(people), themes)


def test_a_late_acceptance_with_a_free_seat_changes_no_one_elses_calendar() -> None:
    """The issue's demo: one newcomer in a round of 136 used to cancel and re-invite a whole
    theme."""
    problem = demo_round(137, seed=4)
    first = optimise(Problem(problem.people[:-1], problem.themes), OPTIONS)
    assert first.unplaced == {}
    running = sessions(first)
    assert any(len(g.members) < 8 for g in running)  # a free seat somewhere

    plan, changed = replan(problem, running)
    assert changed == set()
    assert problem.people[-1].id in plan.assignment()


def test_a_late_acceptance_without_a_free_seat_changes_at_most_three_calendars() -> None:
    # Slot 1 is full (4 of 4); the newcomer can only come then. Person 3 can also make slot 2,
    # where there is room: moving them is the one change needed.
    rules = ThemeRules("a", (1, 2), group_min=2, group_max=4, parallel_groups=1)
    people = (
        person(0, "vvt"),
        person(1, "ggz"),
        person(2, "mbo", group="education"),
        person(3, "ghz", avail=(1, 2)),
        person(4, "vvt", avail=(2,)),
        person(5, "ggz", avail=(2,)),
        person(9, "gemeente", group="government"),  # the newcomer
    )
    running = [
        RunningGroup(10, GroupKey("a", 1, 0), frozenset({0, 1, 2, 3})),
        RunningGroup(11, GroupKey("a", 2, 0), frozenset({4, 5})),
    ]
    plan, changed = replan(Problem(people, (rules,)), running)
    assert plan.unplaced == {}
    assert 1 <= len(changed) <= 3
    assert changed == {3}


def test_a_late_acceptance_for_a_full_slot_changes_at_most_three_in_a_round_of_136() -> None:
    """The newcomer ticked one time, whose groups are full. Re-solving the round (as before
    the repair) placed them by changing 11 other people's calendars."""
    problem = demo_round(137, seed=4)
    themes = tuple(replace(t, parallel_groups=2, group_max=6) for t in problem.themes)
    running = sessions(optimise(Problem(problem.people[:-1], themes), OPTIONS))
    full = next(g for g in running if len(g.members) == 6)
    assert all(len(g.members) == 6 for g in running if g.key.slot_id == full.key.slot_id)
    newcomer = replace(
        problem.people[-1], preferences=(full.key.theme,), available=frozenset({full.key.slot_id})
    )
    plan, changed = replan(Problem((*problem.people[:-1], newcomer), themes), running)
    assert newcomer.id in plan.assignment()
    assert 1 <= len(changed) <= 3


def test_full_groups_everywhere_a_newcomer_opens_a_group_with_at_most_three_others() -> None:
    # Three full groups of 5; the newcomer needs a new group of at least 4 in slot 1: one person
    # from each group (which stays valid at 4) joins them.
    rules = ThemeRules("a", (1,), group_min=4, group_max=5, parallel_groups=4)
    people = tuple(person(i, ["vvt", "ggz", "mbo", "ghz", "hbo"][i % 5]) for i in range(15))
    running = [
        RunningGroup(10 + j, GroupKey("a", 1, j), frozenset(range(5 * j, 5 * j + 5)))
        for j in range(3)
    ]
    newcomer = person(99, "gemeente", group="government")
    plan, changed = replan(Problem((*people, newcomer), (rules,)), running)
    assert plan.unplaced == {}
    assert len(changed) <= 3


def test_a_decline_changes_no_one_elses_calendar_while_the_group_stays_valid() -> None:
    problem = demo_round(120, seed=2)
    first = optimise(problem, OPTIONS)
    running = sessions(first)
    biggest = max(running, key=lambda g: len(g.members))
    leaving = min(biggest.members)
    rest = Problem(tuple(p for p in problem.people if p.id != leaving), problem.themes)
    _, changed = replan(rest, running)
    assert changed == set()


def test_a_withdrawn_slot_moves_only_its_own_people() -> None:
    problem = demo_round(120, seed=3)
    first = optimise(problem, OPTIONS)
    running = sessions(first)
    slot = running[0].key.slot_id
    theirs = {pid for g in running if g.key.slot_id == slot for pid in g.members}
    themes = tuple(
        ThemeRules(
            t.slug,
            tuple(s for s in t.slot_ids if s != slot),
            t.group_min,
            t.group_max,
            t.parallel_groups,
            t.min_sectors,
        )
        for t in problem.themes
    )
    plan, changed = replan(Problem(problem.people, themes), running)
    assert changed == theirs
    assert plan.unplaced == {}


def test_the_repair_alone_keeps_every_hard_rule_and_everyone_in_place() -> None:
    problem = demo_round(60, seed=5)
    first = optimise(problem, OPTIONS)
    previous = first.assignment()
    repaired = repair(Problem(problem.people, problem.themes, previous))
    assert repaired.assignment() == previous
    assert violations(problem, repaired) == []


def test_a_decline_that_leaves_a_group_too_small_moves_one_person_not_the_whole_group() -> None:
    # Group 0 had 3 (the minimum); person 2 declines. Moving one person over from group 1
    # (4 -> 3, still valid) is one calendar change; dissolving group 0 would be two.
    rules = ThemeRules("a", (1,), group_min=3, group_max=5, parallel_groups=2)
    people = tuple(person(i, ["vvt", "ggz", "mbo"][i % 3]) for i in (0, 1, 3, 4, 5, 6))
    previous = {0: GroupKey("a", 1, 0), 1: GroupKey("a", 1, 0)}
    previous |= {i: GroupKey("a", 1, 1) for i in (3, 4, 5, 6)}
    problem = Problem(people, (rules,), previous)
    repaired = repair(problem)
    assert violations(problem, repaired) == []
    assert repaired.unplaced == {}
    moved = {pid for pid, key in repaired.assignment().items() if previous[pid] != key}
    assert len(moved) == 1

"""Incremental repair of the running plan: the first answer to every re-plan. Pure.

A re-plan is mostly a small change (one late acceptance, one decline, one withdrawn slot), and
a person trusts a schedule that does not move them for someone else's answer. So before any
solver runs, the plan is mended in place, in steps that move as few people as they can:

1. Everyone keeps the group they sit in while it is still allowed for them (slot still
   offered and marked available, theme still chosen, not a group they were removed from).
2. A group that now breaks a rule (too small after a decline) is first topped up with people
   who wait for a seat, then with at most `max_pulls` people (fewer than it has) from groups
   that stay valid without them; only if that fails is it dissolved and its people wait too.
3. Each waiting person (newcomers, and people whose group or slot went) takes a free seat in a
   group where they fit, best preferred theme first, then where they add to the mix.
4. Someone who still has no seat may take the seat of one person who can move to a group with
   room elsewhere (one calendar change, none if that person was only just seated).
5. People still waiting open a new group in a slot with a free group index, together with
   other waiting people, pulling at most `max_pulls` people from groups that stay valid.

Every group it produces is checked with model.group_violations, and the result goes through
diagnose.fill_and_explain, so it obeys every hard rule and every unplaced person has a reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from consult.scheduling.diagnose import fill_and_explain
from consult.scheduling.model import (
    EDUCATION_GROUPS,
    PUBLIC_FUNDER_GROUPS,
    GroupKey,
    Person,
    Problem,
    Solution,
    ThemeRules,
    Weights,
    group_violations,
    objective_value,
    options,
)

Seats = dict[GroupKey, list[int]]


def allowed(problem: Problem, person: Person, key: GroupKey) -> bool:
    """May this person sit in this group at all (ignoring the group's other members)?"""
    if key.theme not in person.preferences or key.slot_id not in person.available:
        return False
    if key in person.excluded:
        return False
    rules = next((t for t in problem.themes if t.slug == key.theme), None)
    return rules is not None and key.slot_id in rules.slot_ids and key.index < rules.parallel_groups


def repair(problem: Problem, max_pulls: int = 3) -> Solution:
    people = {p.id: p for p in problem.people}
    themes = {t.slug: t for t in problem.themes}
    groups: Seats = defaultdict(list)
    waiting: list[int] = []
    for pid, key in sorted(problem.previous.items(), key=lambda kv: kv[0]):
        person = people.get(pid)
        if person is None:
            continue  # declined or withdrawn: they leave, nobody else needs to move for it
        if allowed(problem, person, key):
            groups[key].append(pid)
        else:
            waiting.append(pid)
    seated = {pid for members in groups.values() for pid in members}
    waiting += [p.id for p in problem.people if p.id not in seated and p.id not in waiting]

    def members(key: GroupKey) -> list[Person]:
        return [people[i] for i in groups[key]]

    def valid(key: GroupKey, extra: Iterable[int] = (), without: Iterable[int] = ()) -> bool:
        gone = set(without)
        group = [p for p in members(key) if p.id not in gone] + [people[i] for i in extra]
        return not group_violations(themes[key.theme], group)

    # 2. Groups that break a rule now: top up, else dissolve.
    for key in sorted(groups, key=_k):
        if valid(key):
            continue
        for pid in _by_need(waiting, people):
            if len(groups[key]) >= themes[key.theme].group_max:
                break
            if allowed(problem, people[pid], key) and _fits(
                themes[key.theme], people[pid], members(key)
            ):
                groups[key].append(pid)
                waiting.remove(pid)
                if valid(key):
                    break
        if not valid(key):
            _pull_into(problem, key, groups, people, themes, min(max_pulls, len(groups[key]) - 1))
        if not valid(key):
            waiting += groups.pop(key)

    # 3. Free seats.
    for pid in _by_need(list(waiting), people):
        target = _best_seat(problem, people[pid], groups, people, themes)
        if target is not None:
            groups[target].append(pid)
            waiting.remove(pid)

    # 4. One person makes room by moving to a group with room.
    for pid in _by_need(list(waiting), people):
        if _swap_in(problem, people[pid], groups, people, themes):
            waiting.remove(pid)

    # 5. New groups from waiting people, topped up with a few pulled from valid groups.
    for pid in _by_need(list(waiting), people):
        if pid not in waiting:
            continue  # seated meanwhile in a group opened for someone else
        opened = _open_group(problem, people[pid], waiting, groups, people, themes, max_pulls)
        if opened:
            for moved in opened:
                if moved in waiting:
                    waiting.remove(moved)

    solution = fill_and_explain(
        problem,
        Solution(groups={k: tuple(sorted(v)) for k, v in groups.items() if v}, status="REPAIRED"),
    )
    solution.objective = objective_value(problem, solution, Weights.for_problem(problem))
    return solution


def _by_need(pids: Iterable[int], people: Mapping[int, Person]) -> list[int]:
    """Must-place people first, then those with the fewest choices (they are hardest to seat)."""
    return sorted(pids, key=lambda i: (not people[i].must_place, len(people[i].available), i))


def _fits(rules: ThemeRules, person: Person, members: list[Person]) -> bool:
    # Adding someone only ever breaks size and the sector cap; distinct counts only grow.
    if len(members) >= rules.group_max:
        return False
    same = sum(1 for m in members if m.sector == person.sector)
    return not (rules.max_per_sector and same >= rules.max_per_sector)


def _gain(person: Person, members: list[Person]) -> int:
    """Soft goals this person would newly meet in the group."""
    gain = 0
    for kind in (EDUCATION_GROUPS, PUBLIC_FUNDER_GROUPS):
        if person.sector_group in kind and not any(m.sector_group in kind for m in members):
            gain += 1
    return gain


def _seats_for(problem: Problem, person: Person, groups: Seats) -> list[GroupKey]:
    """The running groups (with someone in them) this person may join, in key order."""
    found = []
    for _, rules, slot_id in options(problem, person):
        for j in range(rules.parallel_groups):
            key = GroupKey(rules.slug, slot_id, j)
            if groups.get(key) and key not in person.excluded:
                found.append(key)
    return found


def _best_seat(
    problem: Problem,
    person: Person,
    groups: Seats,
    people: Mapping[int, Person],
    themes: Mapping[str, ThemeRules],
) -> GroupKey | None:
    best: tuple[int, int, int, str, int, int] | None = None
    target = None
    for key in _seats_for(problem, person, groups):
        current = [people[i] for i in groups[key]]
        if not _fits(themes[key.theme], person, current):
            continue
        # Best theme first, then a group the person adds to the mix, then the emptiest.
        score = (
            person.preferences.index(key.theme),
            -_gain(person, current),
            len(current),
            *_k(key),
        )
        if best is None or score < best:
            best, target = score, key
    return target


def _k(key: GroupKey) -> tuple[str, int, int]:
    return (key.theme, key.slot_id, key.index)


def _swap_in(
    problem: Problem,
    person: Person,
    groups: Seats,
    people: Mapping[int, Person],
    themes: Mapping[str, ThemeRules],
) -> bool:
    """Seat `person` in a group by moving one of its members to another group with room.
    Prefers moving someone who was not seated there before the re-plan (no calendar change)."""
    best: tuple[int, int, str, int, int, int] | None = None
    move: tuple[GroupKey, int, GroupKey] | None = None
    for key in _seats_for(problem, person, groups):
        rules = themes[key.theme]
        for other in groups[key]:
            rest = [people[i] for i in groups[key] if i != other]
            if group_violations(rules, [*rest, person]):
                continue
            mover = people[other]
            cost = 1 if problem.previous.get(other) == key else 0
            for target in _seats_for(problem, mover, groups):
                if target == key:
                    continue
                if not _fits(themes[target.theme], mover, [people[i] for i in groups[target]]):
                    continue
                score = (cost, mover.preferences.index(target.theme), *_k(key), other)
                if best is None or score < best:
                    best, move = score, (key, other, target)
                break
    if move is None:
        return False
    key, other, target = move
    groups[key].remove(other)
    groups[key].append(person.id)
    groups[target].append(other)
    return True


def _open_group(
    problem: Problem,
    person: Person,
    waiting: list[int],
    groups: Seats,
    people: Mapping[int, Person],
    themes: Mapping[str, ThemeRules],
    max_pulls: int,
) -> list[int]:
    """Open a new group for `person` in one of their slots; the people now seated in it (empty
    list if no group could be opened)."""
    for slug in person.preferences:
        rules = themes.get(slug)
        if rules is None:
            continue
        for slot_id in rules.slot_ids:
            if slot_id not in person.available:
                continue
            used = {
                k.index for k in groups if groups[k] and (k.theme, k.slot_id) == (slug, slot_id)
            }
            free = [j for j in range(rules.parallel_groups) if j not in used]
            for index in free:
                key = GroupKey(slug, slot_id, index)
                if not allowed(problem, person, key):
                    continue
                chosen = _fill_new(problem, person, key, rules, waiting, groups, people, max_pulls)
                if chosen is None:
                    continue
                pulled = [i for i in chosen if i not in waiting]
                for i in pulled:
                    old = next(k for k, m in groups.items() if i in m)
                    groups[old].remove(i)
                groups[key] = list(chosen)
                return chosen
    return []


def _fill_new(
    problem: Problem,
    person: Person,
    key: GroupKey,
    rules: ThemeRules,
    waiting: list[int],
    groups: Seats,
    people: Mapping[int, Person],
    max_pulls: int,
) -> list[int] | None:
    chosen = [person]
    for pid in _by_need(waiting, people):
        candidate = people[pid]
        if pid == person.id or not allowed(problem, candidate, key):
            continue
        if _fits(rules, candidate, chosen):
            chosen.append(candidate)
    pulls = 0
    if group_violations(rules, chosen):
        # Pull people whose own group stays valid without them, preferring those whose sector
        # or region the new group still lacks.
        donors: list[tuple[int, int, GroupKey]] = []
        for old, seated in groups.items():
            for pid in seated:
                if allowed(problem, people[pid], key):
                    donors.append((pid, 0, old))
        for pid, _, old in sorted(donors, key=lambda d: _lacks(rules, chosen, people[d[0]])):
            if not group_violations(rules, chosen) or pulls >= max_pulls:
                break
            if not _fits(rules, people[pid], chosen):
                continue
            remaining = [people[i] for i in groups[old] if i != pid]
            # Counting pulls already taken from this group too.
            remaining = [p for p in remaining if p not in chosen]
            if group_violations(themes_of(problem, old), remaining):
                continue
            chosen.append(people[pid])
            pulls += 1
    if group_violations(rules, chosen):
        return None
    return [p.id for p in chosen]


def _pull_into(
    problem: Problem,
    key: GroupKey,
    groups: Seats,
    people: Mapping[int, Person],
    themes: Mapping[str, ThemeRules],
    max_pulls: int,
) -> None:
    """Make group `key` valid by moving in at most `max_pulls` people from valid groups that
    stay valid without them; leave everything as it was if that is not enough."""
    rules = themes[key.theme]
    pulled: list[tuple[int, GroupKey]] = []
    donors = [
        (pid, old)
        for old in sorted(groups, key=_k)
        if old != key and groups[old]
        for pid in groups[old]
        if allowed(problem, people[pid], key)
    ]
    current = [people[i] for i in groups[key]]
    for pid, old in sorted(donors, key=lambda d: (_lacks(rules, current, people[d[0]]), d[0])):
        if not group_violations(rules, current) or len(pulled) >= max_pulls:
            break
        rest = [people[i] for i in groups[old] if i != pid]
        if group_violations(themes[old.theme], [people[i] for i in groups[old]]):
            continue  # an invalid donor is mended or dissolved on its own turn
        if group_violations(themes[old.theme], rest) or not _fits(rules, people[pid], current):
            continue
        groups[old].remove(pid)
        groups[key].append(pid)
        current.append(people[pid])
        pulled.append((pid, old))
    if group_violations(rules, current):
        for pid, old in pulled:
            groups[key].remove(pid)
            groups[old].append(pid)


def _lacks(rules: ThemeRules, chosen: list[Person], candidate: Person) -> tuple[int, int]:
    sectors = {p.sector for p in chosen}
    regions = {p.region for p in chosen}
    return (candidate.sector in sectors, candidate.region in regions)


def themes_of(problem: Problem, key: GroupKey) -> ThemeRules:
    return problem.theme(key.theme)

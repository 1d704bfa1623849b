"""Why someone is unplaced, and which rules can never be met (with a relaxation to try).

The reasons are statements about the solution that a test can check: nobody disappears
silently, and nobody is given a reason that is not true.
"""

from __future__ import annotations

from collections import Counter

from consult.i18n import gettext as _
from consult.scheduling.model import (
    GroupKey,
    Infeasibility,
    Person,
    Problem,
    Reason,
    Solution,
    ThemeRules,
)


def fill_and_explain(problem: Problem, solution: Solution) -> Solution:
    """Seat unplaced people in any open group that can take them without breaking a rule, then
    give each person still unplaced the reason that holds in the final solution.

    Seating first matters: a solver stopped by its time limit may leave someone out who fits,
    and then no honest reason exists. Adding a person to a group with room never breaks
    min_sectors or min_regions (distinct counts only grow), so only size and the sector cap
    need checking.
    """
    people = {p.id: p for p in problem.people}
    groups = {k: list(v) for k, v in solution.groups.items()}
    placed = {pid for members in groups.values() for pid in members}
    for person in sorted(problem.people, key=lambda p: p.id):
        if person.id in placed:
            continue
        target = _first_fit(problem, person, groups, people)
        if target is not None:
            groups[target].append(person.id)
            placed.add(person.id)
    solution.groups = {k: tuple(sorted(v)) for k, v in sorted(groups.items(), key=_order)}
    solution.unplaced = {
        p.id: reason_for(problem, p, solution.groups, people)
        for p in problem.people
        if p.id not in placed
    }
    return solution


def _order(item: tuple[GroupKey, object]) -> tuple[str, int, int]:
    key = item[0]
    return (key.theme, key.slot_id, key.index)


def _first_fit(
    problem: Problem,
    person: Person,
    groups: dict[GroupKey, list[int]],
    people: dict[int, Person],
) -> GroupKey | None:
    for slug in person.preferences:
        rules = problem.theme(slug)
        for key in sorted(groups, key=lambda k: (k.slot_id, k.index)):
            if key.theme != slug or key.slot_id not in person.available or key in person.excluded:
                continue
            if _fits(rules, person, [people[i] for i in groups[key]]):
                return key
    return None


def _fits(rules: ThemeRules, person: Person, members: list[Person]) -> bool:
    if len(members) >= rules.group_max:
        return False
    same = sum(1 for m in members if m.sector == person.sector)
    return not (rules.max_per_sector and same >= rules.max_per_sector)


def _themes_of(problem: Problem, person: Person) -> list[ThemeRules]:
    known = {t.slug: t for t in problem.themes}
    return [known[s] for s in person.preferences if s in known]


def reason_for(
    problem: Problem,
    person: Person,
    groups: dict[GroupKey, tuple[int, ...]],
    people: dict[int, Person],
) -> Reason:
    """The reason that holds for an unplaced person in this solution, checked in this order:
    no available slot at all; every available slot at its group limit with full groups; some
    group has room but all such groups (leaving out those they were removed from) are at the
    sector cap for them; the only groups with room are ones they were removed from; otherwise
    no group they can join exists and too few people are left to open one."""
    options = [
        (rules, slot_id)
        for rules in _themes_of(problem, person)
        for slot_id in rules.slot_ids
        if slot_id in person.available
    ]
    if not options:
        return Reason.NO_AVAILABLE_SLOT
    full = True
    room = False
    room_only_where_removed = False
    for rules, slot_id in options:
        in_slot = [
            (k, m) for k, m in groups.items() if k.theme == rules.slug and k.slot_id == slot_id
        ]
        with_room = [k for k, m in in_slot if len(m) < rules.group_max]
        if len(in_slot) < rules.parallel_groups or with_room:
            full = False
        if any(k not in person.excluded for k in with_room):
            room = True
        elif with_room:
            room_only_where_removed = True
    if full:
        return Reason.THEME_FULL
    if room:
        return Reason.DIVERSITY_RULE
    if room_only_where_removed:
        return Reason.REMOVED_FROM_GROUP
    return Reason.GROUP_TOO_SMALL


def infeasible_rules(problem: Problem) -> list[Infeasibility]:
    """Rules that make a theme impossible to run (no valid group can ever form), and
    must-place people who cannot be placed at all. Each comes with a relaxation to try."""
    found: list[Infeasibility] = []
    for rules in problem.themes:
        slug = rules.slug
        if rules.group_min > rules.group_max:
            found.append(
                Infeasibility(
                    "group_min",
                    slug,
                    f"group_min {rules.group_min} > group_max {rules.group_max}",
                    _("lower group_min to %(value)s", value=rules.group_max),
                )
            )
        if rules.min_sectors > rules.group_max:
            found.append(
                Infeasibility(
                    "min_sectors",
                    slug,
                    _(
                        "%(sectors)s sectors cannot fit in a group of %(size)s",
                        sectors=rules.min_sectors,
                        size=rules.group_max,
                    ),
                    _("lower min_sectors to %(value)s", value=rules.group_max),
                )
            )
        if rules.min_regions > rules.group_max:
            found.append(
                Infeasibility(
                    "min_regions",
                    slug,
                    _(
                        "%(regions)s regions cannot fit in a group of %(size)s",
                        regions=rules.min_regions,
                        size=rules.group_max,
                    ),
                    _("lower min_regions to %(value)s", value=rules.group_max),
                )
            )
        candidates = [
            p for p in problem.people if slug in p.preferences and p.available & set(rules.slot_ids)
        ]
        if not candidates:
            continue
        sectors = Counter(p.sector for p in candidates)
        regions = {p.region for p in candidates}
        if len(sectors) < rules.min_sectors:
            found.append(
                Infeasibility(
                    "min_sectors",
                    slug,
                    _(
                        "only %(count)s sectors among the people who chose this theme, "
                        "min_sectors is %(minimum)s",
                        count=len(sectors),
                        minimum=rules.min_sectors,
                    ),
                    _("lower min_sectors to %(value)s", value=len(sectors)),
                )
            )
        if len(regions) < rules.min_regions:
            found.append(
                Infeasibility(
                    "min_regions",
                    slug,
                    _(
                        "only %(count)s regions among the people who chose this theme, "
                        "min_regions is %(minimum)s",
                        count=len(regions),
                        minimum=rules.min_regions,
                    ),
                    _("lower min_regions to %(value)s", value=len(regions)),
                )
            )
        if rules.max_per_sector:
            # Even with one person short of the cap from every sector, can a group reach its
            # minimum size?
            reachable = sum(min(n, rules.max_per_sector) for n in sectors.values())
            if reachable < rules.group_min:
                found.append(
                    Infeasibility(
                        "max_per_sector",
                        slug,
                        _(
                            "with at most %(cap)s per sector a group reaches only %(reachable)s "
                            "people, group_min is %(minimum)s",
                            cap=rules.max_per_sector,
                            reachable=reachable,
                            minimum=rules.group_min,
                        ),
                        _(
                            "raise max_per_sector or lower group_min to %(value)s",
                            value=reachable,
                        ),
                    )
                )
    return found


def unplaced_must_place(problem: Problem, solution: Solution) -> list[Infeasibility]:
    """Must-place people the solution could not seat: the rule 'must be placed' failed."""
    return [
        Infeasibility(
            "must_place",
            p.preferences[0] if p.preferences else None,
            _(
                "person %(person)s must be placed but is unplaced: %(reason)s",
                person=p.id,
                reason=solution.unplaced[p.id].value,
            ),
            _("ask them for more available slots, or relax that theme's diversity rules"),
        )
        for p in problem.people
        if p.must_place and p.id in solution.unplaced
    ]

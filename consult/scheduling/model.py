"""The scheduling problem and its solution as plain data, plus the checker of every hard rule.

Pure: no database, no solver. The optimiser (optimiser.py), the greedy baseline (greedy.py) and
the diagnosis of unplaced people (diagnose.py) all speak these shapes, so tests can compare them
and the checker can judge any of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from consult.i18n import N_
from consult.i18n import gettext as _

# Sector groups (config/taxonomy.toml `group`) whose presence in a group is a soft goal:
# education, and municipalities or insurers/care offices ("government" and "funder").
EDUCATION_GROUPS: frozenset[str] = frozenset({"education"})
PUBLIC_FUNDER_GROUPS: frozenset[str] = frozenset({"government", "funder"})


@dataclass(frozen=True)
class GroupKey:
    theme: str
    slot_id: int
    index: int  # 0-based position among the parallel groups in the slot


@dataclass(frozen=True)
class Person:
    id: int
    sector: str
    sector_group: str
    region: str
    # Theme slugs, most wanted first. Only themes listed here can be assigned.
    preferences: tuple[str, ...]
    available: frozenset[int]
    must_place: bool = False
    # Groups the secretariat removed this person from: never seat them there again.
    excluded: frozenset[GroupKey] = frozenset()


@dataclass(frozen=True)
class ThemeRules:
    slug: str
    slot_ids: tuple[int, ...]
    group_min: int = 4
    group_max: int = 8
    parallel_groups: int = 8
    # None or 0 switch a rule off.
    min_sectors: int = 0
    max_per_sector: int | None = None
    min_regions: int = 0


@dataclass(frozen=True)
class Problem:
    people: tuple[Person, ...]
    themes: tuple[ThemeRules, ...]
    # Re-scheduling: where people sat before (person id -> group). Moving them costs stability.
    previous: Mapping[int, GroupKey] = field(default_factory=dict)

    def theme(self, slug: str) -> ThemeRules:
        return next(t for t in self.themes if t.slug == slug)


def options(problem: Problem, person: Person) -> Iterator[tuple[int, ThemeRules, int]]:
    """(rank, theme rules, slot id) for every slot this person could be placed in: a slot they
    marked available, of a theme they chose, in preference order."""
    for rank, slug in enumerate(person.preferences):
        rules = next((t for t in problem.themes if t.slug == slug), None)
        if rules is None:
            continue
        for slot_id in rules.slot_ids:
            if slot_id in person.available:
                yield rank, rules, slot_id


class Reason(StrEnum):
    NO_AVAILABLE_SLOT = "no_available_slot"
    THEME_FULL = "theme_full"
    DIVERSITY_RULE = "diversity_rule"
    GROUP_TOO_SMALL = "group_too_small"
    REMOVED_FROM_GROUP = "removed_from_group"


# What the secretariat reads next to each unplaced person; translated where shown.
REASON_TEXT: dict[Reason, str] = {
    Reason.NO_AVAILABLE_SLOT: N_("no slot of a chosen theme marked as available"),
    Reason.THEME_FULL: N_("every available slot already has the maximum of full groups"),
    Reason.DIVERSITY_RULE: N_("every group with room already has the maximum from their sector"),
    Reason.GROUP_TOO_SMALL: N_("too few people available in their slots for a valid group"),
    Reason.REMOVED_FROM_GROUP: N_("only groups they were taken out of still have room"),
}


def reason_text(reason: Reason) -> str:
    return _(REASON_TEXT[reason])


@dataclass(frozen=True)
class Infeasibility:
    """A rule that cannot be met, with the theme it concerns and what to relax."""

    rule: str
    theme: str | None
    message: str
    suggestion: str


@dataclass
class Solution:
    groups: dict[GroupKey, tuple[int, ...]] = field(default_factory=dict)
    unplaced: dict[int, Reason] = field(default_factory=dict)
    objective: int = 0
    bound: int = 0
    gap: float = 0.0
    status: str = ""
    wall_s: float = 0.0
    infeasible: list[Infeasibility] = field(default_factory=list)

    def assignment(self) -> dict[int, GroupKey]:
        return {pid: key for key, members in self.groups.items() for pid in members}


def group_violations(rules: ThemeRules, members: Sequence[Person]) -> list[str]:
    """The hard rules one group breaks (empty list: the group is valid)."""
    problems: list[str] = []
    if not rules.group_min <= len(members) <= rules.group_max:
        problems.append(f"size {len(members)} outside {rules.group_min}-{rules.group_max}")
    sectors = Counter(p.sector for p in members)
    if len(sectors) < rules.min_sectors:
        problems.append(f"{len(sectors)} sectors < {rules.min_sectors}")
    if rules.max_per_sector and max(sectors.values(), default=0) > rules.max_per_sector:
        problems.append(f"more than {rules.max_per_sector} from one sector")
    if len({p.region for p in members}) < rules.min_regions:
        problems.append(f"fewer than {rules.min_regions} regions")
    return problems


def violations(problem: Problem, solution: Solution) -> list[str]:
    """Every hard rule the solution breaks; the tests assert this is empty."""
    people = {p.id: p for p in problem.people}
    themes = {t.slug: t for t in problem.themes}
    problems: list[str] = []
    seen: Counter[int] = Counter()
    per_slot: Counter[tuple[str, int]] = Counter()
    for key, members in solution.groups.items():
        rules = themes.get(key.theme)
        if rules is None or key.slot_id not in rules.slot_ids:
            problems.append(f"{key}: not a candidate slot of the theme")
            continue
        if not 0 <= key.index < rules.parallel_groups:
            problems.append(f"{key}: group index beyond parallel_groups")
        per_slot[key.theme, key.slot_id] += 1
        for pid in members:
            seen[pid] += 1
            person = people[pid]
            if key.slot_id not in person.available:
                problems.append(f"{pid} placed in slot {key.slot_id} not marked available")
            if key.theme not in person.preferences:
                problems.append(f"{pid} placed in theme {key.theme} they did not choose")
            if key in person.excluded:
                problems.append(f"{pid} placed back in {key}, which they were removed from")
        problems += [f"{key}: {v}" for v in group_violations(rules, [people[i] for i in members])]
    problems += [f"{pid} placed {n} times" for pid, n in seen.items() if n > 1]
    for pid in people:
        if (pid in seen) == (pid in solution.unplaced):
            problems.append(f"{pid} is neither placed nor listed unplaced (or both)")
    for (slug, slot_id), n in per_slot.items():
        if n > themes[slug].parallel_groups:
            problems.append(f"{slug}/{slot_id}: {n} groups > parallel_groups")
    return problems


@dataclass(frozen=True)
class Weights:
    """Integer weights of the lexicographic objective, large enough to be strictly ordered.

    Per group: `soft` for each soft diversity goal met (education present, municipality or
    insurer present). Per placed person: `preference * (T - 1 - rank)` for the theme of rank
    `rank` among T themes, plus `stable` when a previously placed person keeps their group,
    plus `place` for being placed at all, plus `must` when they are a must-place person.
    Each level's weight exceeds the largest total every lower level can reach, so one more
    person placed always beats any gain in stability, preference or diversity, and so on.
    """

    soft: int
    preference: int
    stable: int
    place: int
    must: int

    @staticmethod
    def for_problem(problem: Problem) -> Weights:
        n_people = len(problem.people)
        n_groups = sum(len(t.slot_ids) * t.parallel_groups for t in problem.themes)
        max_rank = max((len(p.preferences) for p in problem.people), default=1)
        soft = 1
        preference = soft * 2 * n_groups + 1
        stable = preference * max(max_rank - 1, 0) * n_people + preference
        place = stable * len(problem.previous) + stable
        must = place * n_people + place
        return Weights(soft, preference, stable, place, must)


def objective_value(problem: Problem, solution: Solution, weights: Weights) -> int:
    """The objective of any solution, computed the way the optimiser's model counts it."""
    people = {p.id: p for p in problem.people}
    max_rank = max((len(p.preferences) for p in problem.people), default=1)
    total = 0
    for key, members in solution.groups.items():
        group = [people[i] for i in members]
        total += weights.soft * (
            any(p.sector_group in EDUCATION_GROUPS for p in group)
            + any(p.sector_group in PUBLIC_FUNDER_GROUPS for p in group)
        )
        for p in group:
            total += weights.place + weights.preference * (
                max_rank - 1 - p.preferences.index(key.theme)
            )
            total += weights.must if p.must_place else 0
            total += weights.stable if problem.previous.get(p.id) == key else 0
    return total

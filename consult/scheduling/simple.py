"""The first scheduling rule: deal each theme's participants over groups so sectors mix.

Pure: plain data in, plain data out. A later optimiser replaces it behind the same shapes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Participant:
    person_id: int
    sector: str
    region: str


@dataclass(frozen=True)
class Slot:
    slot_id: int
    theme: str


@dataclass(frozen=True)
class PlannedGroup:
    theme: str
    slot_id: int
    group_number: int
    person_ids: tuple[int, ...]


@dataclass
class Plan:
    groups: list[PlannedGroup] = field(default_factory=list)
    unplaced: dict[int, str] = field(default_factory=dict)


def plan_theme(
    theme: str,
    slots: Sequence[Slot],
    participants: Sequence[Participant],
    group_max: int,
) -> Plan:
    """Split participants into ceil(n / group_max) groups of near-equal size, dealing them in
    (sector, region) order so neighbours land in different groups, and spread the groups over
    the theme's slots in time order."""
    plan = Plan()
    if not participants:
        return plan
    if not slots:
        plan.unplaced = {p.person_id: "no_slot" for p in participants}
        return plan
    ordered = sorted(participants, key=lambda p: (p.sector, p.region, p.person_id))
    n_groups = math.ceil(len(ordered) / group_max)
    members: list[list[int]] = [[] for _ in range(n_groups)]
    for index, person in enumerate(ordered):
        members[index % n_groups].append(person.person_id)
    per_slot: dict[int, int] = {}
    for index, ids in enumerate(members):
        slot = slots[index % len(slots)]
        per_slot[slot.slot_id] = per_slot.get(slot.slot_id, 0) + 1
        plan.groups.append(
            PlannedGroup(theme, slot.slot_id, per_slot[slot.slot_id], tuple(sorted(ids)))
        )
    return plan

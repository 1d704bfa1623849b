"""Dealing a theme's participants over groups and slots."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from consult.scheduling.simple import Participant, Slot, plan_theme

THEME = "innovatie"
SLOTS = [Slot(11, THEME), Slot(12, THEME), Slot(13, THEME)]
SECTORS = ("ggz", "mbo", "vvt", "ziekenhuis")
REGIONS = ("Achterhoek", "Twente", "Zwolle")


def _people(n: int, sectors: tuple[str, ...] = SECTORS) -> list[Participant]:
    return [
        Participant(100 + i, sectors[i % len(sectors)], REGIONS[i % len(REGIONS)]) for i in range(n)
    ]


@pytest.mark.parametrize(("n", "group_max"), [(1, 8), (8, 8), (9, 8), (17, 8), (23, 6), (40, 8)])
def test_groups_are_no_larger_than_group_max_and_differ_by_at_most_one(
    n: int, group_max: int
) -> None:
    plan = plan_theme(THEME, SLOTS, _people(n), group_max)
    sizes = [len(g.person_ids) for g in plan.groups]

    assert len(plan.groups) == math.ceil(n / group_max)
    assert max(sizes) <= group_max
    assert max(sizes) - min(sizes) <= 1
    assert all(g.theme == THEME for g in plan.groups)


def test_everyone_is_placed_exactly_once() -> None:
    people = _people(29)
    plan = plan_theme(THEME, SLOTS, people, group_max=8)

    placed = [p for g in plan.groups for p in g.person_ids]
    assert sorted(placed) == sorted(p.person_id for p in people)
    assert plan.unplaced == {}


def test_people_of_one_sector_are_spread_over_the_groups() -> None:
    # 12 people in 3 sectors of 4, groups of at most 4: every group should hold all 3 sectors
    # rather than one group per sector.
    people = _people(12, sectors=("mbo", "vvt", "gemeente"))
    sector_of = {p.person_id: p.sector for p in people}
    plan = plan_theme(THEME, SLOTS, people, group_max=4)

    assert len(plan.groups) == 3
    for group in plan.groups:
        assert {sector_of[p] for p in group.person_ids} == {"mbo", "vvt", "gemeente"}


def test_a_large_sector_is_shared_out_evenly() -> None:
    people = [Participant(i, "vvt", REGIONS[i % 3]) for i in range(10)]
    people += [Participant(100 + i, "hbo", "Twente") for i in range(5)]
    sector_of = {p.person_id: p.sector for p in people}
    plan = plan_theme(THEME, SLOTS, people, group_max=5)

    vvt_per_group = [sum(sector_of[p] == "vvt" for p in g.person_ids) for g in plan.groups]
    hbo_per_group = [sum(sector_of[p] == "hbo" for p in g.person_ids) for g in plan.groups]
    assert sorted(vvt_per_group) == [3, 3, 4]
    assert sorted(hbo_per_group) == [1, 2, 2]


def test_without_slots_everyone_is_unplaced_for_lack_of_a_slot() -> None:
    people = _people(5)
    plan = plan_theme(THEME, [], people, group_max=4)

    assert plan.groups == []
    assert plan.unplaced == {p.person_id: "no_slot" for p in people}


def test_no_participants_gives_an_empty_plan() -> None:
    plan = plan_theme(THEME, SLOTS, [], group_max=4)
    assert plan.groups == []
    assert plan.unplaced == {}


def test_groups_are_spread_over_the_slots_in_order() -> None:
    # 5 groups over 3 slots: slots in turn, numbered per slot.
    plan = plan_theme(THEME, SLOTS, _people(20), group_max=4)

    assert [(g.slot_id, g.group_number) for g in plan.groups] == [
        (11, 1),
        (12, 1),
        (13, 1),
        (11, 2),
        (12, 2),
    ]
    per_slot = Counter(g.slot_id for g in plan.groups)
    assert max(per_slot.values()) - min(per_slot.values()) <= 1


def test_fewer_groups_than_slots_use_the_earliest_slots() -> None:
    plan = plan_theme(THEME, SLOTS, _people(6), group_max=4)
    assert [g.slot_id for g in plan.groups] == [11, 12]


def test_the_plan_does_not_depend_on_the_order_participants_arrive_in() -> None:
    people = _people(19)
    forward = plan_theme(THEME, SLOTS, people, group_max=6)
    backward = plan_theme(THEME, SLOTS, list(reversed(people)), group_max=6)
    assert forward == backward

"""From the running sessions to a new plan: only what differs becomes a change."""

from __future__ import annotations

from consult.scheduling.diff import NewSession, SessionChanges, moved_people, plan_changes
from consult.scheduling.model import GroupKey
from consult.scheduling.proposal import RunningGroup


def running(session_id: int, slot: int, index: int, *members: int) -> RunningGroup:
    return RunningGroup(session_id, GroupKey("a", slot, index), frozenset(members))


def test_the_same_plan_changes_nothing() -> None:
    now = [running(10, 1, 0, 1, 2, 3), running(11, 1, 1, 4, 5, 6)]
    groups = {GroupKey("a", 1, 0): (1, 2, 3), GroupKey("a", 1, 1): (4, 5, 6)}
    assert plan_changes(now, groups).empty


def test_groups_are_matched_by_the_people_they_share_not_by_index() -> None:
    # The solver swapped the indices of two unchanged groups: nobody hears anything.
    now = [running(10, 1, 0, 1, 2, 3), running(11, 1, 1, 4, 5, 6)]
    groups = {GroupKey("a", 1, 1): (1, 2, 3), GroupKey("a", 1, 0): (4, 5, 6)}
    assert plan_changes(now, groups).empty


def test_a_late_decline_and_a_late_acceptance_touch_only_those_two() -> None:
    now = [running(10, 1, 0, 1, 2, 3)]
    groups = {GroupKey("a", 1, 0): (1, 2, 9)}
    changes = plan_changes(now, groups)
    assert changes == SessionChanges(join=((10, 9),), leave=((10, 3),))
    assert moved_people(now, changes) == set()


def test_a_group_without_a_plan_is_cancelled_and_its_people_move() -> None:
    now = [running(10, 1, 0, 1, 2), running(11, 2, 0, 3, 4)]
    # Slot 2 was withdrawn: its two people join the group in slot 1.
    groups = {GroupKey("a", 1, 0): (1, 2, 3, 4)}
    changes = plan_changes(now, groups)
    assert changes == SessionChanges(cancel=(11,), join=((10, 3), (10, 4)))
    assert moved_people(now, changes) == {3, 4}


def test_a_new_group_becomes_a_new_session() -> None:
    now = [running(10, 1, 0, 1, 2)]
    groups = {GroupKey("a", 1, 0): (1, 2), GroupKey("a", 3, 0): (7, 8)}
    assert plan_changes(now, groups) == SessionChanges(create=(NewSession("a", 3, (7, 8)),))


def test_a_group_with_nobody_in_common_is_a_new_session_not_a_reshuffle() -> None:
    now = [running(10, 1, 0, 1, 2)]
    groups = {GroupKey("a", 1, 0): (5, 6)}
    changes = plan_changes(now, groups)
    assert changes == SessionChanges(create=(NewSession("a", 1, (5, 6)),), cancel=(10,))


def test_each_session_matches_the_group_it_shares_most_with() -> None:
    # Session 10 shares 1 person with group 0 and 3 with group 1; session 11 only with group 0.
    now = [running(10, 1, 0, 1, 2, 3, 4), running(11, 1, 1, 5, 6)]
    groups = {GroupKey("a", 1, 0): (1, 5, 6), GroupKey("a", 1, 1): (2, 3, 4)}
    changes = plan_changes(now, groups)
    assert changes == SessionChanges(join=((11, 1),), leave=((10, 1),))
    assert moved_people(now, changes) == {1}


def test_a_group_is_never_matched_to_a_session_someone_in_it_was_removed_from() -> None:
    now = [RunningGroup(10, GroupKey("a", 1, 0), frozenset({1, 2, 3}), frozenset({9}))]
    groups = {GroupKey("a", 1, 0): (1, 2, 3, 9)}
    changes = plan_changes(now, groups)
    assert changes == SessionChanges(create=(NewSession("a", 1, (1, 2, 3, 9)),), cancel=(10,))

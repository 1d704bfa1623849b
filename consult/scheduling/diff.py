"""What must change in the sessions to go from the running plan to a new one. Pure.

Group indices are the model's bookkeeping, not identities: within a slot, each new group is
matched to the running session it shares most people with, so a group that merely changed its
index keeps its session (and its calendar entry). Only what differs becomes a change:

A group is never matched to a session that someone in it was removed from (that person would
be seated back where the secretariat took them out).

- a new group without a running session to match → a new session;
- a running session without a group → cancelled (everyone in it gets a CANCEL);
- a matched pair → the people who leave lose their seat (a CANCEL for them alone) and the
  people who join get one (a REQUEST); everyone else hears nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from consult.scheduling.model import GroupKey
from consult.scheduling.proposal import RunningGroup


@dataclass(frozen=True)
class NewSession:
    theme: str
    slot_id: int
    members: tuple[int, ...]


@dataclass(frozen=True)
class SessionChanges:
    create: tuple[NewSession, ...] = ()
    cancel: tuple[int, ...] = ()  # session ids
    join: tuple[tuple[int, int], ...] = ()  # (session id, person id)
    leave: tuple[tuple[int, int], ...] = ()  # (session id, person id)

    @property
    def empty(self) -> bool:
        return not (self.create or self.cancel or self.join or self.leave)


def plan_changes(
    running: Sequence[RunningGroup], groups: Mapping[GroupKey, Sequence[int]]
) -> SessionChanges:
    by_slot_running: dict[tuple[str, int], list[RunningGroup]] = defaultdict(list)
    for group in running:
        by_slot_running[group.key.theme, group.key.slot_id].append(group)
    by_slot_new: dict[tuple[str, int], dict[int, frozenset[int]]] = defaultdict(dict)
    for key, members in groups.items():
        by_slot_new[key.theme, key.slot_id][key.index] = frozenset(members)

    create: list[NewSession] = []
    cancel: list[int] = []
    join: list[tuple[int, int]] = []
    leave: list[tuple[int, int]] = []
    for slot in sorted(set(by_slot_running) | set(by_slot_new)):
        olds = by_slot_running.get(slot, [])
        news = by_slot_new.get(slot, {})
        # Most people in common first; ties go to the lower ids, so the result is stable.
        pairs = sorted(
            (-len(old.members & members), old.session_id, index)
            for old in olds
            for index, members in news.items()
            if old.members & members and not old.removed & members
        )
        matched: dict[int, int] = {}  # session id -> new group index
        for _, session_id, index in pairs:
            if session_id not in matched and index not in matched.values():
                matched[session_id] = index
        for old in olds:
            if old.session_id not in matched:
                cancel.append(old.session_id)
                continue
            now = news[matched[old.session_id]]
            join += [(old.session_id, pid) for pid in sorted(now - old.members)]
            leave += [(old.session_id, pid) for pid in sorted(old.members - now)]
        for index, seated in sorted(news.items()):
            if index not in matched.values():
                create.append(NewSession(slot[0], slot[1], tuple(sorted(seated))))
    return SessionChanges(tuple(create), tuple(cancel), tuple(join), tuple(leave))


def moved_people(running: Sequence[RunningGroup], changes: SessionChanges) -> set[int]:
    """People who lose their seat and get another one: they change group."""
    members = {g.session_id: g.members for g in running}
    lost = {pid for _, pid in changes.leave}
    lost |= {pid for sid in changes.cancel for pid in members[sid]}
    gained = {pid for _, pid in changes.join} | {p for s in changes.create for p in s.members}
    return lost & gained


def changed_calendars(
    running: Sequence[RunningGroup], changes: SessionChanges, staying: Collection[int]
) -> set[int]:
    """People who sit in a running session, still take part (`staying`: not declined or
    withdrawn), and get a calendar message from this change: moved to another session, or
    their seat cancelled. What the secretariat wants to keep small in a re-plan."""
    members = {g.session_id: g.members for g in running}
    lost = {pid for _, pid in changes.leave}
    lost |= {pid for sid in changes.cancel for pid in members[sid]}
    return {pid for pid in lost if pid in staying}

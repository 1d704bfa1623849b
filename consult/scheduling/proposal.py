"""Read a round from the database into a scheduling Problem and propose a plan, without writing.

`consult schedule preview` shows this proposal. Nothing here commits: the caller may open a
unit of work and let it roll back.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from consult.scheduling.model import GroupKey, Person, Problem, Solution
from consult.scheduling.optimiser import SolverOptions, optimise
from consult.scheduling.rules import theme_rules
from consult.spec import stored_spec
from consult.taxonomy import Taxonomy
from models import (
    AttendeeStatus,
    Availability,
    ConsultationSession,
    Invitation,
    InvitationStatus,
    Organisation,
    Region,
    Round,
    SessionStatus,
    Theme,
)
from models import Person as PersonRow


@dataclass(frozen=True)
class RunningGroup:
    """A planned session of the round as the model sees it: its group key and who sits there."""

    session_id: int
    key: GroupKey
    members: frozenset[int]
    # People the secretariat removed from this session: they never get a seat in it again.
    removed: frozenset[int] = frozenset()


@dataclass(frozen=True)
class RoundProblem:
    round_slug: str
    round_name: str
    problem: Problem
    names: dict[int, str]  # person id -> "name <email>"
    slot_starts: dict[int, datetime]
    unknown_must_place: tuple[str, ...]  # must_place emails with no accepted invitation
    # Planned sessions the model may keep, change or cancel (not yet started, in a candidate
    # slot); sessions that started, or were set up by hand, are left as they are.
    running: tuple[RunningGroup, ...] = ()


def round_problem(
    session: Session, round_id: int, taxonomy: Taxonomy, now: datetime
) -> RoundProblem:
    """The round as a scheduling problem at moment `now`: accepted invitees, the candidate slots
    still to come (not cancelled), and where people sit now. People who already sit in a session
    that started, or in a session set up by hand outside the candidate slots, are not
    re-planned."""
    rnd = session.get_one(Round, round_id)
    spec = stored_spec(rnd.spec)
    theme_slug = {t.id: t.slug for t in session.scalars(select(Theme))}
    slots_by_theme: dict[str, list[int]] = defaultdict(list)
    starts: dict[int, datetime] = {}
    for slot in sorted(rnd.slots, key=lambda s: (s.start, s.id)):
        starts[slot.id] = slot.start
        if not slot.cancelled and slot.start > now:
            slots_by_theme[theme_slug[slot.theme_id]].append(slot.id)
    themes = tuple(
        theme_rules(spec, slug, slot_ids) for slug, slot_ids in sorted(slots_by_theme.items())
    )
    running, fixed, excluded = _seating(session, round_id, theme_slug, now)
    marked: dict[int, set[int]] = defaultdict(set)
    for invitation_id, slot_id in session.execute(
        select(Availability.invitation_id, Availability.slot_id)
        .join(Invitation, Invitation.id == Availability.invitation_id)
        .where(Invitation.round_id == round_id)
    ):
        marked[invitation_id].add(slot_id)
    must_emails = {e.lower() for e in spec.must_place}
    groups = {s.code: s.group for s in taxonomy.sectors}
    open_slots = {slot_id for ids in slots_by_theme.values() for slot_id in ids}
    people: list[Person] = []
    names: dict[int, str] = {}
    seen_emails: set[str] = set()
    for invitation, person, sector, region in session.execute(
        select(Invitation, PersonRow, Organisation.sector, Region.name)
        .join(Invitation.person)
        .join(PersonRow.organisation)
        .join(Organisation.region)
        .where(Invitation.round_id == round_id, Invitation.status == InvitationStatus.ACCEPTED)
        .order_by(Invitation.id)
    ):
        email = person.email.lower()
        seen_emails.add(email)
        if person.id in fixed:
            continue
        prefs = tuple(s for s in invitation.theme_preferences if s in slots_by_theme)
        # People who never marked availability (answered by mail, or before the availability
        # form existed) are treated as free for every slot of the themes they chose: leaving
        # them out would drop them silently, and the secretariat can still move them.
        available = marked.get(invitation.id) or {
            slot_id for slug in prefs for slot_id in slots_by_theme[slug]
        }
        people.append(
            Person(
                id=person.id,
                sector=sector,
                sector_group=groups.get(sector, "other"),
                region=region,
                preferences=prefs,
                available=frozenset(available & open_slots),
                must_place=email in must_emails,
                excluded=frozenset(excluded.get(person.id, ())),
            )
        )
        names[person.id] = f"{person.name} <{person.email}>"
    planned = {p.id for p in people}
    previous = {pid: group.key for group in running for pid in group.members if pid in planned}
    # People who leave a session (a late decline) are named too when the change is shown.
    leaving = {pid for group in running for pid in group.members} - planned
    for row in session.scalars(select(PersonRow).where(PersonRow.id.in_(leaving))):
        names[row.id] = f"{row.name} <{row.email}>"
    return RoundProblem(
        round_slug=rnd.slug,
        round_name=rnd.name,
        problem=Problem(tuple(people), themes, previous),
        names=names,
        slot_starts=starts,
        unknown_must_place=tuple(sorted(must_emails - seen_emails)),
        running=running,
    )


def _seating(
    session: Session, round_id: int, theme_slug: dict[int, str], now: datetime
) -> tuple[tuple[RunningGroup, ...], set[int], dict[int, set[GroupKey]]]:
    """The planned sessions the model may change (with a group key each: indices 0..n-1 per
    slot, in group-number order), the people seated in sessions it must leave alone, and per
    person the groups they were removed from."""
    running: list[RunningGroup] = []
    fixed: set[int] = set()
    excluded: dict[int, set[GroupKey]] = defaultdict(set)
    planned = session.scalars(
        select(ConsultationSession)
        .where(
            ConsultationSession.round_id == round_id,
            ConsultationSession.status == SessionStatus.PLANNED,
        )
        .order_by(ConsultationSession.slot_id, ConsultationSession.group_number)
        # One query for every session's seats, not one per session.
        .options(selectinload(ConsultationSession.attendees))
    )
    index: dict[int, int] = defaultdict(int)
    for cs in planned:
        seated = {a.person_id for a in cs.attendees if a.status == AttendeeStatus.SCHEDULED}
        if cs.slot_id is None or cs.start <= now:
            fixed |= seated
            continue
        key = GroupKey(theme_slug[cs.theme_id], cs.slot_id, index[cs.slot_id])
        index[cs.slot_id] += 1
        removed = {a.person_id for a in cs.attendees if a.status == AttendeeStatus.REMOVED}
        running.append(RunningGroup(cs.id, key, frozenset(seated), frozenset(removed)))
        for person_id in removed:
            excluded[person_id].add(key)
    return tuple(running), fixed, excluded


def propose(
    session: Session,
    round_id: int,
    taxonomy: Taxonomy,
    now: datetime,
    options: SolverOptions | None = None,
) -> tuple[RoundProblem, Solution]:
    rp = round_problem(session, round_id, taxonomy, now)
    return rp, optimise(rp.problem, options)

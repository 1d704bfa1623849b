"""Read a round from the database into a scheduling Problem and propose a plan, without writing.

`consult schedule preview` shows this proposal. Nothing here commits: the caller may open a
unit of work and let it roll back.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.scheduling.model import GroupKey, Person, Problem, Solution
from consult.scheduling.optimiser import SolverOptions, optimise
from consult.scheduling.rules import theme_rules
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
class RoundProblem:
    round_slug: str
    round_name: str
    problem: Problem
    names: dict[int, str]  # person id -> "name <email>"
    slot_starts: dict[int, datetime]
    unknown_must_place: tuple[str, ...]  # must_place emails with no accepted invitation


def round_problem(session: Session, round_id: int, taxonomy: Taxonomy) -> RoundProblem:
    rnd = session.get_one(Round, round_id)
    theme_slug = {t.id: t.slug for t in session.scalars(select(Theme))}
    slots_by_theme: dict[str, list[int]] = defaultdict(list)
    starts: dict[int, datetime] = {}
    for slot in sorted(rnd.slots, key=lambda s: (s.start, s.id)):
        slots_by_theme[theme_slug[slot.theme_id]].append(slot.id)
        starts[slot.id] = slot.start
    themes = tuple(
        theme_rules(rnd.spec, slug, slot_ids) for slug, slot_ids in sorted(slots_by_theme.items())
    )
    marked: dict[int, set[int]] = defaultdict(set)
    for invitation_id, slot_id in session.execute(
        select(Availability.invitation_id, Availability.slot_id)
        .join(Invitation, Invitation.id == Availability.invitation_id)
        .where(Invitation.round_id == round_id)
    ):
        marked[invitation_id].add(slot_id)
    must_emails = {e.lower() for e in rnd.spec.get("must_place", [])}
    groups = {s.code: s.group for s in taxonomy.sectors}
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
        prefs = tuple(s for s in invitation.theme_preferences if s in slots_by_theme)
        # People who never marked availability (answered by mail, or before the availability
        # form existed) are treated as free for every slot of the themes they chose: leaving
        # them out would drop them silently, and the secretariat can still move them.
        available = marked.get(invitation.id) or {
            slot_id for slug in prefs for slot_id in slots_by_theme[slug]
        }
        email = person.email.lower()
        seen_emails.add(email)
        people.append(
            Person(
                id=person.id,
                sector=sector,
                sector_group=groups.get(sector, "other"),
                region=region,
                preferences=prefs,
                available=frozenset(available),
                must_place=email in must_emails,
            )
        )
        names[person.id] = f"{person.name} <{person.email}>"
    return RoundProblem(
        round_slug=rnd.slug,
        round_name=rnd.name,
        problem=Problem(tuple(people), themes, _previous(session, round_id, theme_slug)),
        names=names,
        slot_starts=starts,
        unknown_must_place=tuple(sorted(must_emails - seen_emails)),
    )


def _previous(session: Session, round_id: int, theme_slug: dict[int, str]) -> dict[int, GroupKey]:
    """Where scheduled people sit now, so a re-run proposal prefers to leave them there."""
    previous: dict[int, GroupKey] = {}
    planned = session.scalars(
        select(ConsultationSession)
        .where(
            ConsultationSession.round_id == round_id,
            ConsultationSession.status == SessionStatus.PLANNED,
        )
        .order_by(ConsultationSession.slot_id, ConsultationSession.group_number)
    )
    index: dict[int, int] = defaultdict(int)
    for cs in planned:
        if cs.slot_id is None:
            continue  # a session set up by hand outside the candidate slots: not the model's
        # Group numbers may have gaps after cancellations; the model numbers groups 0..n-1.
        key = GroupKey(theme_slug[cs.theme_id], cs.slot_id, index[cs.slot_id])
        index[cs.slot_id] += 1
        for seat in cs.attendees:
            if seat.status == AttendeeStatus.SCHEDULED:
                previous[seat.person_id] = key
    return previous


def propose(
    session: Session, round_id: int, taxonomy: Taxonomy, options: SolverOptions | None = None
) -> tuple[RoundProblem, Solution]:
    rp = round_problem(session, round_id, taxonomy)
    return rp, optimise(rp.problem, options)

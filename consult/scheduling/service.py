"""Turn a plan into sessions and attendees. Re-running places only people not yet placed."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.scheduling.simple import Participant, Slot, plan_theme
from models import (
    AttendeeStatus,
    CandidateSlot,
    ConsultationSession,
    Invitation,
    InvitationStatus,
    Organisation,
    Person,
    Region,
    Round,
    RoundStatus,
    SessionAttendee,
    SessionStatus,
    Theme,
)


@dataclass(frozen=True)
class ScheduleResult:
    sessions_created: int
    attendees_added: int
    unplaced: dict[int, str]


def schedule_round(session: Session, round_id: int, domain: str) -> ScheduleResult:
    rnd = session.get_one(Round, round_id)
    themes = {t.id: t for t in session.scalars(select(Theme))}
    # One session per person per round under this rule, whatever theme they now prefer: a
    # changed preference after scheduling must not seat them twice.
    placed: set[int] = set(
        session.scalars(
            select(SessionAttendee.person_id)
            .join(SessionAttendee.session)
            .where(
                ConsultationSession.round_id == round_id,
                SessionAttendee.status == AttendeeStatus.SCHEDULED,
            )
        )
    )
    accepted = session.execute(
        select(Invitation, Organisation.sector, Region.name)
        .join(Invitation.person)
        .join(Person.organisation)
        .join(Organisation.region)
        .where(Invitation.round_id == round_id, Invitation.status == InvitationStatus.ACCEPTED)
        .order_by(Invitation.id)
    )
    slug_to_theme = {t.slug: t for t in themes.values()}
    waiting: dict[int, list[Participant]] = defaultdict(list)
    for invitation, sector, region in accepted:
        theme = slug_to_theme[invitation.theme_preferences[0]]
        if invitation.person_id not in placed:
            waiting[theme.id].append(Participant(invitation.person_id, sector, region))

    slots_by_theme: dict[int, list[CandidateSlot]] = defaultdict(list)
    for slot in rnd.slots:
        slots_by_theme[slot.theme_id].append(slot)
    existing_by_theme: dict[int, list[ConsultationSession]] = defaultdict(list)
    for cs in rnd.sessions:
        if cs.status == SessionStatus.PLANNED:
            existing_by_theme[cs.theme_id].append(cs)

    group_max = int(rnd.spec.get("group_max", 8))
    created = added = 0
    unplaced: dict[int, str] = {}
    for theme_id, people in sorted(waiting.items()):
        theme = themes[theme_id]
        existing = existing_by_theme[theme_id]
        if existing:
            # Late acceptances join the smallest open group rather than reshuffling everyone.
            for person in people:
                # Never a group they already have a seat in: a person the secretariat removed
                # from a group is not placed back there (one seat per person per session).
                open_groups = [
                    cs
                    for cs in existing
                    if _size(cs) < group_max
                    and all(a.person_id != person.person_id for a in cs.attendees)
                ]
                if not open_groups:
                    unplaced[person.person_id] = "theme_full"
                    continue
                target = min(open_groups, key=lambda cs: (_size(cs), cs.id))
                target.attendees.append(SessionAttendee(person_id=person.person_id))
                added += 1
            continue
        slots = {s.id: s for s in slots_by_theme[theme_id]}
        plan = plan_theme(
            theme.slug, [Slot(s.id, theme.slug) for s in slots.values()], people, group_max
        )
        unplaced.update(plan.unplaced)
        for group in plan.groups:
            slot = slots[group.slot_id]
            cs = ConsultationSession(
                round=rnd,
                theme_id=theme_id,
                slot_id=slot.id,
                group_number=group.group_number,
                start=slot.start,
                end=slot.end,
                meeting_url=rnd.spec["meeting_url"].format(
                    round=rnd.slug, theme=theme.slug, slot=slot.id, group=group.group_number
                ),
                calendar_uid=f"{uuid.uuid4()}@{domain}",
            )
            cs.attendees = [SessionAttendee(person_id=pid) for pid in group.person_ids]
            session.add(cs)
            created += 1
            added += len(group.person_ids)
    if rnd.status == RoundStatus.INVITING:
        rnd.status = RoundStatus.SCHEDULED
    session.flush()
    return ScheduleResult(created, added, unplaced)


def _size(cs: ConsultationSession) -> int:
    return sum(1 for a in cs.attendees if a.status == AttendeeStatus.SCHEDULED)

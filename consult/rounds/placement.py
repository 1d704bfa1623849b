"""Schedule a round: ask the optimiser for a plan, then change the sessions only where the plan
differs from what runs now. Re-running with nothing new changes nothing; after a late decline,
a cancelled slot or a late acceptance the running plan is repaired in place (repair.py) and
only moved where a person cannot be placed otherwise (stability is weighted just below placing
people, above preference and the mix goals). The calendar messages follow from the sessions' new
state (consult.rounds.calendar_invites), so they are exactly what the change needs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.i18n import gettext as _
from consult.rounds.calendar_changes import cancel_session, remove_attendee
from consult.scheduling.diff import SessionChanges, changed_calendars, moved_people, plan_changes
from consult.scheduling.model import Reason, Solution
from consult.scheduling.optimiser import SolverOptions
from consult.scheduling.proposal import RoundProblem, propose
from consult.spec import stored_spec
from consult.taxonomy import Taxonomy
from models import (
    CandidateSlot,
    ConsultationSession,
    Round,
    SessionAttendee,
    Theme,
)
from models.db import LockSpace, hold_lock


@dataclass(frozen=True)
class ScheduleResult:
    proposal: RoundProblem
    solution: Solution
    changes: SessionChanges
    moved: frozenset[int]
    # People who already had a seat, still take part, and get a calendar message from this
    # re-plan (moved, or their seat cancelled): what a re-plan should keep near zero.
    changed_existing: frozenset[int] = frozenset()

    @property
    def sessions_created(self) -> int:
        return len(self.changes.create)

    @property
    def unplaced(self) -> dict[int, Reason]:
        return self.solution.unplaced

    @property
    def attendees_added(self) -> int:
        return len(self.changes.join) + sum(len(s.members) for s in self.changes.create)

    def summary(self) -> dict[str, int]:
        return {
            "sessions_created": self.sessions_created,
            "sessions_cancelled": len(self.changes.cancel),
            "attendees_added": self.attendees_added,
            "attendees_removed": len(self.changes.leave),
            "moved": len(self.moved),
            "existing_changed": len(self.changed_existing),
            "unplaced": len(self.solution.unplaced),
        }


def schedule_round(
    session: Session,
    round_id: int,
    taxonomy: Taxonomy,
    domain: str,
    now: datetime,
    options: SolverOptions | None = None,
    planned: tuple[RoundProblem, Solution] | None = None,
) -> ScheduleResult:
    """`planned`: a plan computed before and checked against the round under this lock by the
    caller (who took the lock first), applied instead of asking the optimiser again."""
    # The deadline tick, a re-plan after an answer and the secretariat may all schedule one
    # round at the same moment. Side by side, each would create its own copy of every session
    # (and every attendee would get two invitations); one after the other, the later run plans
    # from the sessions the earlier one committed and changes only what is still wrong.
    hold_lock(session, LockSpace.SCHEDULE_ROUND, round_id)
    if planned is None:
        rp, solution = propose(session, round_id, taxonomy, now, options)
    else:
        rp, solution = planned
    changes = plan_changes(rp.running, solution.groups)
    apply_changes(session, round_id, changes, domain)
    session.flush()
    staying = {p.id for p in rp.problem.people}
    return ScheduleResult(
        rp,
        solution,
        changes,
        frozenset(moved_people(rp.running, changes)),
        frozenset(changed_calendars(rp.running, changes, staying)),
    )


def apply_changes(session: Session, round_id: int, changes: SessionChanges, domain: str) -> None:
    for session_id in changes.cancel:
        cancel_session(session, session_id)
    for session_id, person_id in changes.leave:
        remove_attendee(session, session_id, person_id)
    for session_id, person_id in changes.join:
        session.add(SessionAttendee(session_id=session_id, person_id=person_id))
    if not changes.create:
        return
    rnd = session.get_one(Round, round_id)
    theme_ids = {t.slug: t.id for t in session.scalars(select(Theme))}
    for new in changes.create:
        slot = session.get_one(CandidateSlot, new.slot_id)
        # Numbers are never reused within a slot: a cancelled group's meeting link stays dead.
        number = 1 + (
            session.scalar(
                select(func.max(ConsultationSession.group_number)).where(
                    ConsultationSession.slot_id == slot.id
                )
            )
            or 0
        )
        cs = ConsultationSession(
            round=rnd,
            theme_id=theme_ids[new.theme],
            slot_id=slot.id,
            group_number=number,
            start=slot.start,
            end=slot.end,
            meeting_url=stored_spec(rnd.spec).meeting_url.format(
                round=rnd.slug, theme=new.theme, slot=slot.id, group=number
            ),
            calendar_uid=f"{uuid.uuid4()}@{domain}",
        )
        cs.attendees = [SessionAttendee(person_id=pid) for pid in new.members]
        session.add(cs)
        session.flush()


class UnknownSlot(LookupError):
    pass


def cancel_slot(session: Session, round_id: int, slot_id: int) -> bool:
    """Withdraw a candidate slot; the next scheduling run cancels its sessions and places their
    people elsewhere. False if it was withdrawn already."""
    slot = session.get(CandidateSlot, slot_id)
    if slot is None or slot.round_id != round_id:
        known = ", ".join(
            str(i)
            for i in session.scalars(
                select(CandidateSlot.id)
                .where(CandidateSlot.round_id == round_id)
                .order_by(CandidateSlot.id)
            )
        )
        raise UnknownSlot(
            _(
                "slot %(slot)s does not belong to this round (these do: %(known)s)",
                slot=slot_id,
                known=known,
            )
        )
    if slot.cancelled:
        return False
    slot.cancelled = True
    return True

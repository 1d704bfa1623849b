"""Place accepted invitees in sessions (or re-plan after a change), preview a plan, withdraw a
candidate slot."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from consult.app import audit, lifecycle
from consult.rounds.placement import ScheduleResult, cancel_slot, schedule_round
from consult.scheduling.diff import SessionChanges, plan_changes
from consult.scheduling.model import Solution
from consult.scheduling.optimiser import SolverOptions
from consult.scheduling.proposal import RoundProblem, propose
from consult.wiring import App
from models import Round, RoundStatus


def schedule(
    session: Session,
    ctx: App,
    round_id: int,
    now: datetime,
    options: SolverOptions | None = None,
    planned: tuple[RoundProblem, Solution] | None = None,
) -> ScheduleResult:
    """Ask the optimiser for a plan (or apply `planned`, a proposal the secretariat looked at,
    checked by the caller under the round's lock) and change the sessions only where it differs from
    what runs now; the calendar messages follow from the sessions' new state."""
    rnd = session.get_one(Round, round_id)
    domain = ctx.mail_context().domain
    result = schedule_round(session, round_id, ctx.taxonomy, domain, now, options, planned)
    lifecycle.advance(rnd, RoundStatus.SCHEDULED)
    audit.record(
        session,
        audit.Action.SCHEDULE_APPLIED,
        round_id=round_id,
        subject=("round", round_id),
        details=result.summary(),
    )
    return result


def preview(
    session: Session,
    ctx: App,
    round_id: int,
    now: datetime,
    options: SolverOptions | None = None,
) -> tuple[RoundProblem, Solution, SessionChanges]:
    """The plan and what it would change, without changing anything."""
    rp, solution = propose(session, round_id, ctx.taxonomy, now, options)
    return rp, solution, plan_changes(rp.running, solution.groups)


def withdraw_slot(session: Session, round_id: int, slot_id: int) -> bool:
    """Cancel a candidate slot and its sessions; False if it was withdrawn already. Raises
    UnknownSlot for a slot of another round or none."""
    withdrawn = cancel_slot(session, round_id, slot_id)
    if withdrawn:
        audit.record(
            session, audit.Action.SLOT_WITHDRAWN, round_id=round_id, subject=("slot", slot_id)
        )
    return withdrawn

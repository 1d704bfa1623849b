"""Read a round's facts from the database for the deadline logic (consult.service.deadlines).

A handful of counting queries per round, whatever its size: cheap enough to run every few
minutes for every active round.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.mail.outbox import queued_keys
from consult.rounds.calendar_invites import calendar_key, planned_message
from consult.rounds.invite import pending_invitation_ids
from consult.rounds.lessons import not_asked
from consult.rounds.reminders import due_input_reminder_ids, due_invitation_ids
from consult.service.deadlines import RoundFacts, SessionFacts, retention_ends
from consult.spec import AutomationSpec, stored_spec
from models import (
    BlockStatus,
    BuildingBlock,
    ConsultationSession,
    Contribution,
    OutboxMessage,
    OutboxStatus,
    Round,
    RoundStatus,
    SessionAttendee,
)


def automation_of(rnd: Round) -> AutomationSpec:
    """The round's `[automation]` table; rounds launched before it existed get the defaults."""
    return stored_spec(rnd.spec).automation


def active_round_ids(session: Session) -> list[int]:
    """Rounds the service still has work for (not reported, not closed)."""
    return list(
        session.scalars(
            select(Round.id)
            .where(Round.status.not_in([RoundStatus.REPORTED, RoundStatus.CLOSED]))
            .order_by(Round.id)
        )
    )


def _calendar_pending(session: Session, round_id: int) -> int:
    sessions = session.scalars(
        select(ConsultationSession).where(ConsultationSession.round_id == round_id)
    ).all()
    if not sessions:
        return 0
    by_id = {cs.id: cs for cs in sessions}
    seats = session.scalars(
        select(SessionAttendee).where(SessionAttendee.session_id.in_(list(by_id)))
    ).all()
    wanted: list[str] = []
    for seat in seats:
        method, sequence = planned_message(by_id[seat.session_id], seat)
        if method == "REQUEST":  # a CANCEL may rightly never be sent (nothing to take away)
            wanted.append(calendar_key(method, seat.session_id, seat.person_id, sequence))
    return len(wanted) - len(queued_keys(session, wanted))


def retention_months_of(rnd: Round, default_months: int) -> int:
    """The round's retention period in months: its spec's, else the configuration's."""
    return stored_spec(rnd.spec).retention_months or default_months


def retention_round_ids(session: Session, default_months: int, now: datetime) -> list[int]:
    """Rounds whose personal data is still held although their retention period ended."""
    rounds = session.scalars(
        select(Round).where(Round.personal_data_removed_at.is_(None)).order_by(Round.id)
    )
    return [
        rnd.id
        for rnd in rounds
        if now
        >= retention_ends(
            rnd.reported_at, rnd.input_deadline, retention_months_of(rnd, default_months)
        )
    ]


def round_facts(
    session: Session,
    round_id: int,
    now: datetime,
    retention_months: int | None = None,
    require_approval: bool | None = None,
) -> RoundFacts:
    """The round's facts; with the configuration's `retention_months`, also when its personal
    data is to be removed. With the configuration's `require_approval` (for a round whose spec
    does not say), mail held for the approval of its mailing is not counted as waiting to be
    sent: sending would not send it."""
    from consult.app.mailings import held_count

    rnd = session.get_one(Round, round_id)
    asked = not_asked(session, round_id)
    sessions = tuple(
        SessionFacts(cs.id, cs.start, cs.end, asked.get(cs.id, 0))
        for cs in session.scalars(
            select(ConsultationSession)
            .where(ConsultationSession.round_id == round_id)
            .order_by(ConsultationSession.start, ConsultationSession.id)
        )
        if cs.id in asked
    )
    blocks: dict[BlockStatus, int] = {
        key: n
        for key, n in session.execute(
            select(BuildingBlock.status, func.count(BuildingBlock.id))
            .where(BuildingBlock.round_id == round_id)
            .group_by(BuildingBlock.status)
        )
    }
    contributions = session.scalar(
        select(func.count(Contribution.id)).where(
            Contribution.round_id == round_id, Contribution.draft.is_(False)
        )
    )
    waiting = session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.round_id == round_id,
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
        )
    )
    held = 0 if require_approval is None else held_count(session, round_id, require_approval)
    inviting = rnd.status == RoundStatus.INVITING
    spec = stored_spec(rnd.spec)
    return RoundFacts(
        round_id=rnd.id,
        slug=rnd.slug,
        status=rnd.status.value,
        answer_deadline=rnd.answer_deadline,
        input_deadline=rnd.input_deadline,
        reminder_days_before=tuple(spec.reminder_days_before),
        input_reminder_days_before=tuple(spec.input_reminder_days_before),
        automation=spec.automation,
        uninvited=len(pending_invitation_ids(session, round_id)) if inviting else 0,
        reminders_due=len(due_invitation_ids(session, round_id, now))
        if inviting
        else len(due_input_reminder_ids(session, round_id, now)),
        calendar_pending=0 if inviting else _calendar_pending(session, round_id),
        sessions=sessions,
        contributions=contributions or 0,
        blocks=sum(blocks.values()),
        draft_blocks=blocks.get(BlockStatus.DRAFT, 0),
        approved_blocks=blocks.get(BlockStatus.APPROVED, 0),
        outbox_waiting=max((waiting or 0) - held, 0),
        retention_ends=None
        if retention_months is None
        else retention_ends(
            rnd.reported_at, rnd.input_deadline, retention_months_of(rnd, retention_months)
        ),
        personal_data_removed=rnd.personal_data_removed_at is not None,
    )

"""What the workplace shows about rounds: the list of rounds with their counts, and one
round's dashboard (the funnel per theme, the addresses mail did not reach, what the service
does next and when, the state of its outgoing mail). Labels are in the current language."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.app.lifecycle import status_label
from consult.app.mailings import held_count
from consult.app.outbox import state_label
from consult.app.status import RoundStatusView, round_status
from consult.mail.operations import OutboxOverview, overview
from models import Invitation, InvitationStatus, OutboxStatus, Round


@dataclass(frozen=True)
class RoundRow:
    id: int
    slug: str
    name: str
    status: str
    answer_deadline: datetime
    input_deadline: datetime
    invited: int
    answered: int
    accepted: int


def rounds_overview(session: Session) -> list[RoundRow]:
    """Every round, newest first, with how many were invited, answered and said yes."""
    counts: dict[int, Counter[InvitationStatus]] = {}
    for round_id, status, n in session.execute(
        select(Invitation.round_id, Invitation.status, func.count(Invitation.id))
        .where(Invitation.status != InvitationStatus.WITHDRAWN)
        .group_by(Invitation.round_id, Invitation.status)
    ):
        counts.setdefault(round_id, Counter())[status] = n
    rows = []
    for rnd in session.scalars(select(Round).order_by(Round.created_at.desc(), Round.id.desc())):
        by_status = counts.get(rnd.id, Counter())
        rows.append(
            RoundRow(
                id=rnd.id,
                slug=rnd.slug,
                name=rnd.name,
                status=status_label(rnd.status),
                answer_deadline=rnd.answer_deadline,
                input_deadline=rnd.input_deadline,
                invited=by_status.total(),
                answered=by_status.total() - by_status[InvitationStatus.PENDING],
                accepted=by_status[InvitationStatus.ACCEPTED],
            )
        )
    return rows


@dataclass(frozen=True)
class OutboxState:
    status: OutboxStatus
    label: str
    count: int


@dataclass(frozen=True)
class RoundDashboard:
    id: int
    answer_deadline: datetime
    input_deadline: datetime
    view: RoundStatusView
    outbox: OutboxOverview
    outbox_states: tuple[OutboxState, ...]
    # Messages waiting for the secretariat's approval of their mailing (consult.app.mailings).
    awaiting_approval: int = 0


def round_dashboard(
    session: Session, round_id: int, now: datetime, require_approval: bool = True
) -> RoundDashboard | None:
    """The dashboard of one round; None when there is no such round. `require_approval`: the
    configuration's [mail] require_approval, for a round whose spec does not say."""
    rnd = session.get(Round, round_id)
    if rnd is None:
        return None
    mail = overview(session, round_id)
    return RoundDashboard(
        id=rnd.id,
        answer_deadline=rnd.answer_deadline,
        input_deadline=rnd.input_deadline,
        view=round_status(session, round_id, now, require_approval),
        outbox=mail,
        outbox_states=tuple(
            OutboxState(status, state_label(status), mail.counts.get(status.value, 0))
            for status in OutboxStatus
        ),
        awaiting_approval=held_count(session, round_id, require_approval),
    )

"""What the service does by itself: which deadline actions are due now, and the state the event
flows decide on. The deadline logic itself is pure (consult.service.deadlines); this reads the
facts it needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from consult.app.facts import (
    active_round_ids,
    automation_of,
    retention_round_ids,
    round_facts,
)
from consult.service.deadlines import Action, all_blocks_approved, due_actions
from consult.settings import PrivacySettings
from models import Round, RoundStatus


def due(
    session: Session,
    now: datetime,
    round_id: int | None = None,
    retention_months: int = PrivacySettings().retention_months,
    require_approval: bool | None = None,
) -> list[Action]:
    """What is due now for one round, or for every active round and every round whose
    retention period ended. `retention_months`: the configuration's default."""
    if round_id is not None:
        ids = [round_id]
    else:
        active = active_round_ids(session)
        expired = retention_round_ids(session, retention_months, now)
        ids = sorted(set(active) | set(expired))
    return [
        a
        for rid in ids
        for a in due_actions(
            round_facts(session, rid, now, retention_months, require_approval), now
        )
    ]


@dataclass(frozen=True)
class RoundState:
    status: RoundStatus
    reschedule_on_change: bool
    report_when_approved: bool
    all_blocks_approved: bool
    report_language: str


def round_state(session: Session, round_id: int, now: datetime) -> RoundState:
    rnd = session.get_one(Round, round_id)
    auto = automation_of(rnd)
    return RoundState(
        status=rnd.status,
        reschedule_on_change=auto.enabled and auto.reschedule_on_change,
        report_when_approved=auto.enabled and auto.report_when_approved,
        all_blocks_approved=all_blocks_approved(round_facts(session, round_id, now)),
        report_language=auto.report_language,
    )

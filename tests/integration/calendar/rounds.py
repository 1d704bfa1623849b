"""A scheduled round to send calendar messages for, set up exactly as the round-service tests
do it (tests/integration/db/test_round_services.py): 24 people, two themes, eight acceptances
give three sessions in March 2030 (winter time) of 3, 3 and 2 people."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from consult.app import scheduling
from consult.wiring import App
from models import ConsultationSession, SessionAttendee
from tests.integration.db.test_round_services import (
    BEFORE_DEADLINE,
    _answer,
    _invitations_by_theme,
    _launch,
)

DOMAIN = "wiz.example"


@dataclass(frozen=True)
class ScheduledRound:
    round_id: int
    # session id -> person ids seated there, sessions in id order
    seats: dict[int, list[int]]
    # invitation ids of invitees who were not seated (for late acceptances)
    unanswered: list[int]

    @property
    def session_ids(self) -> list[int]:
        return list(self.seats)


def scheduled_round(app: App) -> ScheduledRound:
    round_id = _launch(app)
    with app.db.unit_of_work() as session:
        by_theme = _invitations_by_theme(session, round_id)
        innovatie = [i.id for i in by_theme["innovatie"]]
        behoud = [i.id for i in by_theme["behoud_betrokkenheid"]]
    _answer(app, innovatie[:5] + behoud[:3])
    with app.db.unit_of_work() as session:
        result = scheduling.schedule(session, app, round_id, BEFORE_DEADLINE)
        assert (result.sessions_created, result.attendees_added) == (3, 8)
        seats: dict[int, list[int]] = {}
        for cs in session.scalars(
            select(ConsultationSession)
            .where(ConsultationSession.round_id == round_id)
            .order_by(ConsultationSession.id)
        ):
            seats[cs.id] = sorted(
                session.scalars(
                    select(SessionAttendee.person_id).where(SessionAttendee.session_id == cs.id)
                )
            )
    return ScheduledRound(round_id, seats, innovatie[5:] + behoud[3:])

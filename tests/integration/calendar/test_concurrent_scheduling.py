"""Two scheduling runs of one round at the same moment, each in a process of its own (the
deadline tick and the re-plan after an answer can start together): the round gets one plan, and
every attendee one calendar invitation, for one UID and SEQUENCE."""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter

import pytest
from icalendar import Calendar
from sqlalchemy import select

from consult.settings import CONFIG_ENV, Settings
from consult.wiring import App
from models import ConsultationSession, OutboxKind, OutboxMessage
from tests.integration.calendar.schedule_worker import schedule_and_invite
from tests.integration.db.test_round_services import (
    BEFORE_DEADLINE,
    _answer,
    _invitations_by_theme,
    _launch,
)


@pytest.mark.slow  # two processes that import Prefect and solve the plan
def test_two_runs_at_once_plan_once_and_invite_each_attendee_once(
    app: App, settings: Settings
) -> None:
    round_id = _launch(app)
    with app.db.unit_of_work() as session:
        by_theme = _invitations_by_theme(session, round_id)
        accepted = [i.id for i in by_theme["innovatie"][:5] + by_theme["behoud_betrokkenheid"][:3]]
    _answer(app, accepted)

    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(2)
    results = spawn.Queue()
    runs = [
        spawn.Process(
            target=schedule_and_invite,
            args=(os.environ[CONFIG_ENV], round_id, BEFORE_DEADLINE, start, results),
        )
        for _ in range(2)
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=180)
    assert [run.exitcode for run in runs] == [0, 0]
    outcomes = [results.get(timeout=10) for _ in runs]

    # One run made the plan, the other found it made; between them, each invitation once.
    assert sorted(created for created, _ in outcomes) == [0, 3]
    assert sum(queued for _, queued in outcomes) == 8
    with app.db.unit_of_work() as session:
        sessions = session.scalars(
            select(ConsultationSession).where(ConsultationSession.round_id == round_id)
        ).all()
        assert len(sessions) == 3
        requests = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.CALENDAR_REQUEST)
        ).all()
        seen: Counter[tuple[int | None, str, int]] = Counter()
        for message in requests:
            assert message.calendar_ics is not None
            event = Calendar.from_ical(message.calendar_ics).walk("VEVENT")[0]
            seen[(message.person_id, str(event["UID"]), int(event["SEQUENCE"]))] += 1
    assert sorted(seen.values()) == [1] * 8
    assert len({person for person, _, _ in seen}) == 8
    assert {uid for _, uid, _ in seen} == {cs.calendar_uid for cs in sessions}

"""Reminders go to people who got the invitation and have not answered, once per reminder
moment, never more than the round allows, never after the deadline or after an answer."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from consult.rounds.answers import record_answer
from consult.rounds.reminders import current_moment, due_invitation_ids, queue_reminders
from consult.wiring import App
from models import Invitation, OutboxKind, OutboxMessage

from .test_round_services import ANSWER_DEADLINE, _launch, _queue_all

SEVEN_DAYS_BEFORE = ANSWER_DEADLINE - timedelta(days=7) + timedelta(hours=1)
TWO_DAYS_BEFORE = ANSWER_DEADLINE - timedelta(days=2) + timedelta(hours=1)


def _remind(app: App, round_id: int, now: datetime) -> int:
    with app.db.unit_of_work() as session:
        ids = due_invitation_ids(session, round_id, now)
        return queue_reminders(session, app.mail_context(), ids, now)


def _reminders(app: App) -> list[OutboxMessage]:
    with app.db.unit_of_work() as session:
        return list(
            session.scalars(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.REMINDER))
        )


def test_the_latest_passed_moment_applies_and_none_after_the_deadline() -> None:
    moments = [7.0, 2.0]
    assert current_moment(moments, ANSWER_DEADLINE, ANSWER_DEADLINE - timedelta(days=8)) is None
    assert current_moment(moments, ANSWER_DEADLINE, SEVEN_DAYS_BEFORE) == 7.0
    assert current_moment(moments, ANSWER_DEADLINE, TWO_DAYS_BEFORE) == 2.0
    assert current_moment(moments, ANSWER_DEADLINE, ANSWER_DEADLINE) is None


def test_reminders_reach_only_silent_invitees_once_per_moment(app: App) -> None:
    round_id = _launch(app)
    # Nobody has had the invitation itself yet: no reminder either.
    assert _remind(app, round_id, SEVEN_DAYS_BEFORE) == 0
    invited = _queue_all(app, round_id)
    with app.db.unit_of_work() as session:
        ids = list(session.scalars(select(Invitation.id).where(Invitation.round_id == round_id)))
        answered = ids[:3]
        for invitation_id in answered:
            record_answer(session.get_one(Invitation, invitation_id), True, SEVEN_DAYS_BEFORE)

    assert _remind(app, round_id, SEVEN_DAYS_BEFORE) == invited - 3
    assert _remind(app, round_id, SEVEN_DAYS_BEFORE + timedelta(hours=5)) == 0  # same moment
    reminded = {m.invitation_id for m in _reminders(app)}
    assert reminded == set(ids) - set(answered)

    # Second moment: one more each; an answer in between stops that person's reminder.
    with app.db.unit_of_work() as session:
        record_answer(session.get_one(Invitation, ids[3]), False, TWO_DAYS_BEFORE)
    assert _remind(app, round_id, TWO_DAYS_BEFORE) == invited - 4
    per_person = {}
    for message in _reminders(app):
        per_person[message.invitation_id] = per_person.get(message.invitation_id, 0) + 1
    assert per_person[ids[3]] == 1
    assert max(per_person.values()) == 2  # the round's max_reminders

    # Past the deadline nothing goes out.
    assert _remind(app, round_id, ANSWER_DEADLINE + timedelta(minutes=1)) == 0


def test_someone_who_falls_behind_several_moments_gets_one_reminder(app: App) -> None:
    round_id = _launch(app)
    invited = _queue_all(app, round_id)
    assert _remind(app, round_id, TWO_DAYS_BEFORE) == invited
    assert _remind(app, round_id, TWO_DAYS_BEFORE + timedelta(hours=1)) == 0
    messages = _reminders(app)
    assert len(messages) == invited
    assert all("/i/" in m.text_body for m in messages)

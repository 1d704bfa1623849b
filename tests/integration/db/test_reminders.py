"""Reminders go to people who got the invitation and have not answered, once per reminder
moment, never more than the round allows, never after the deadline or after an answer; before
the input deadline, to people taking part who have handed in nothing yet."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from consult.contributions.intake import store_contributions
from consult.rounds.answers import record_answer
from consult.rounds.reminders import (
    current_moment,
    due_input_reminder_ids,
    due_invitation_ids,
    queue_input_reminders,
    queue_reminders,
)
from consult.wiring import App
from models import Contribution, Invitation, OutboxKind, OutboxMessage

from .test_round_services import ANSWER_DEADLINE, _contribution, _launch, _queue_all

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


# --------------------------------------------------------------------------------------------
# Before the input deadline: people taking part who have handed in nothing yet


INPUT_DEADLINE = datetime(2030, 4, 30, 23, 59, tzinfo=ANSWER_DEADLINE.tzinfo)
INPUT_SEVEN_BEFORE = INPUT_DEADLINE - timedelta(days=7) + timedelta(hours=1)
INPUT_TWO_BEFORE = INPUT_DEADLINE - timedelta(days=2) + timedelta(hours=1)


def _remind_input(app: App, round_id: int, now: datetime) -> int:
    with app.db.unit_of_work() as session:
        ids = due_input_reminder_ids(session, round_id, now)
        return queue_input_reminders(session, app.mail_context(), ids, now)


def _input_reminders(app: App) -> list[tuple[int | None, str, str]]:
    with app.db.unit_of_work() as session:
        return [
            (m.invitation_id, m.subject, m.text_body)
            for m in session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.idempotency_key.startswith("input-reminder:"))
                .order_by(OutboxMessage.id)
            )
        ]


def test_input_reminders_reach_only_those_taking_part_without_handed_in_input(app: App) -> None:
    round_id = _launch(app)
    with app.db.unit_of_work() as session:
        invitations = list(
            session.scalars(
                select(Invitation).where(Invitation.round_id == round_id).order_by(Invitation.id)
            )
        )
        accepted = invitations[:4]
        for invitation in accepted:
            record_answer(invitation, True, SEVEN_DAYS_BEFORE)
        record_answer(invitations[4], False, SEVEN_DAYS_BEFORE)
        emails = {i.id: i.person.email for i in accepted}
        ids = [i.id for i in accepted]
    # One hands in input, one only saves a draft (a draft does not count).
    rows = [
        _contribution(2, emails[ids[0]], "Meer stageplaatsen in de wijk."),
        _contribution(3, emails[ids[1]], "Nog niet af."),
    ]
    with app.db.unit_of_work() as session:
        stored = store_contributions(session, round_id, rows)
        assert stored.stored == 2
        draft = session.scalars(
            select(Contribution).where(Contribution.text == "Nog niet af.")
        ).one()
        draft.draft = True

    assert _remind_input(app, round_id, INPUT_SEVEN_BEFORE - timedelta(days=1)) == 0  # too early
    assert _remind_input(app, round_id, INPUT_SEVEN_BEFORE) == 3
    assert _remind_input(app, round_id, INPUT_SEVEN_BEFORE + timedelta(hours=3)) == 0
    sent = _input_reminders(app)
    assert sorted(i for i, _, _ in sent) == ids[1:]
    nl = next(text for i, _, text in sent if i == ids[1])
    assert "/input" in nl and "/i/" in nl

    # The second moment: one more each, except for whoever handed in since.
    with app.db.unit_of_work() as session:
        store_contributions(session, round_id, [_contribution(4, emails[ids[2]], "Klaar.")])
    assert _remind_input(app, round_id, INPUT_TWO_BEFORE) == 2
    # No more than max_reminders (2), and nothing after the deadline.
    assert _remind_input(app, round_id, INPUT_TWO_BEFORE + timedelta(days=1)) == 0
    assert _remind_input(app, round_id, INPUT_DEADLINE + timedelta(minutes=1)) == 0
    assert len(_input_reminders(app)) == 5


def test_an_anonymised_contribution_does_not_stop_input_reminders(app: App) -> None:
    """Anonymised contributions (an erased person's) have no person: reminders to the others
    still go (NOT IN over a list with a NULL would match nobody)."""
    round_id = _launch(app)
    with app.db.unit_of_work() as session:
        invitations = list(
            session.scalars(
                select(Invitation).where(Invitation.round_id == round_id).order_by(Invitation.id)
            )
        )
        for invitation in invitations[:3]:
            record_answer(invitation, True, SEVEN_DAYS_BEFORE)
        email = invitations[0].person.email
    with app.db.unit_of_work() as session:
        store_contributions(session, round_id, [_contribution(2, email, "Meer stageplaatsen.")])
        contribution = session.scalars(select(Contribution)).one()
        contribution.anonymous_sector = contribution.sector
        contribution.person = None
    assert _remind_input(app, round_id, INPUT_SEVEN_BEFORE) == 3

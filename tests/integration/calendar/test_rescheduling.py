"""Re-scheduling a round that already has sessions: after a late decline, a withdrawn slot or a
late acceptance, the optimiser re-plans and exactly the calendar messages the change needs go
out; a run with nothing new changes nothing and sends nothing; sessions that started are left
alone."""

from __future__ import annotations

from sqlalchemy import select

from consult.rounds.calendar_invites import queue_calendar_invites
from consult.rounds.placement import cancel_slot, schedule_round
from consult.wiring import App
from models import AttendeeStatus, ConsultationSession, Invitation, SessionAttendee, SessionStatus
from tests.integration.calendar.rounds import DOMAIN, ScheduledRound, scheduled_round
from tests.integration.calendar.test_changes import T0, _last_id, _queue, _rows
from tests.integration.db.test_round_services import _answer


def _reschedule(app: App, plan: ScheduledRound) -> tuple[int, list[tuple[int, str]]]:
    """Schedule again, queue the calendar messages; (sessions created, [(person, method)])."""
    mark = _last_id(app)
    with app.db.unit_of_work() as session:
        result = schedule_round(session, plan.round_id, app.taxonomy, DOMAIN, T0)
    with app.db.unit_of_work() as session:
        ids = list(
            session.scalars(
                select(ConsultationSession.id).where(ConsultationSession.round_id == plan.round_id)
            )
        )
    with app.db.unit_of_work() as session:
        queue_calendar_invites(session, app.mail_context(), ids, T0)
    return result.sessions_created, sorted((r.person_id, r.method) for r in _rows(app, mark))


def _seats(app: App, round_id: int) -> dict[int, int]:
    """person id -> session id of their scheduled seat in a planned session."""
    with app.db.unit_of_work() as session:
        return {
            seat.person_id: seat.session_id
            for seat in session.scalars(
                select(SessionAttendee)
                .join(SessionAttendee.session)
                .where(
                    ConsultationSession.round_id == round_id,
                    ConsultationSession.status == SessionStatus.PLANNED,
                    SessionAttendee.status == AttendeeStatus.SCHEDULED,
                )
            )
        }


def _invitation_of(app: App, round_id: int, person_id: int) -> int:
    with app.db.unit_of_work() as session:
        return session.scalars(
            select(Invitation.id).where(
                Invitation.round_id == round_id, Invitation.person_id == person_id
            )
        ).one()


def test_a_run_with_nothing_new_changes_nothing_and_sends_nothing(app: App) -> None:
    plan = scheduled_round(app)
    assert _queue(app, plan, T0) == 8
    before = _seats(app, plan.round_id)
    assert _reschedule(app, plan) == (0, [])
    assert _seats(app, plan.round_id) == before


def test_a_late_decline_cancels_for_that_person_only(app: App) -> None:
    plan = scheduled_round(app)
    assert _queue(app, plan, T0) == 8
    before = _seats(app, plan.round_id)
    # The largest innovatie group has 3: one leaving keeps it at the minimum of 2.
    session_id = max(plan.seats, key=lambda sid: len(plan.seats[sid]))
    leaving = plan.seats[session_id][0]
    with app.db.unit_of_work() as session:
        invitation = session.get_one(Invitation, _invitation_of(app, plan.round_id, leaving))
        invitation.status = invitation.status.DECLINED

    assert _reschedule(app, plan) == (0, [(leaving, "CANCEL")])
    after = _seats(app, plan.round_id)
    assert after == {p: s for p, s in before.items() if p != leaving}


def test_a_withdrawn_slot_moves_its_people_and_tells_only_them(app: App) -> None:
    plan = scheduled_round(app)
    assert _queue(app, plan, T0) == 8
    before = _seats(app, plan.round_id)
    with app.db.unit_of_work() as session:
        slot_of = {
            cs.id: cs.slot_id
            for cs in session.scalars(
                select(ConsultationSession).where(ConsultationSession.id.in_(plan.session_ids))
            )
        }
    # The innovatie slot in use: both innovatie groups (3 and 2 people) meet there.
    withdrawn = slot_of[max(plan.seats, key=lambda sid: len(plan.seats[sid]))]
    gone = [sid for sid, slot in slot_of.items() if slot == withdrawn]
    moved = sorted(p for sid in gone for p in plan.seats[sid])
    with app.db.unit_of_work() as session:
        assert cancel_slot(session, plan.round_id, withdrawn)
    with app.db.unit_of_work() as session:
        assert not cancel_slot(session, plan.round_id, withdrawn)  # already withdrawn

    created, messages = _reschedule(app, plan)
    # Each of them gets one CANCEL and one invitation to the group in the other slot; nobody
    # else hears anything.
    assert messages == sorted([(p, "CANCEL") for p in moved] + [(p, "REQUEST") for p in moved])
    assert created >= 1
    after = _seats(app, plan.round_id)
    assert set(after) == set(before)
    assert {p: s for p, s in after.items() if p not in moved} == {
        p: s for p, s in before.items() if p not in moved
    }
    with app.db.unit_of_work() as session:
        for sid in gone:
            assert session.get_one(ConsultationSession, sid).status == SessionStatus.CANCELLED
        assert {slot_of.get(after[p]) for p in moved} == {None}  # all in new sessions
        assert all(
            session.get_one(ConsultationSession, after[p]).slot_id != withdrawn for p in moved
        )


def test_a_late_acceptance_joins_without_moving_anyone(app: App) -> None:
    plan = scheduled_round(app)
    assert _queue(app, plan, T0) == 8
    before = _seats(app, plan.round_id)
    late = plan.unanswered[0]
    _answer(app, [late])
    with app.db.unit_of_work() as session:
        newcomer = session.get_one(Invitation, late).person_id
    assert _reschedule(app, plan) == (0, [(newcomer, "REQUEST")])
    after = _seats(app, plan.round_id)
    assert {p: s for p, s in after.items() if p != newcomer} == before


def test_sessions_that_started_are_left_alone(app: App) -> None:
    plan = scheduled_round(app)
    assert _queue(app, plan, T0) == 8
    with app.db.unit_of_work() as session:
        first = session.scalars(
            select(ConsultationSession)
            .where(ConsultationSession.id.in_(plan.session_ids))
            .order_by(ConsultationSession.start)
        ).first()
        assert first is not None
        started_id, started_at = first.id, first.start
    # The first session is under way; someone in it declines late, someone else accepts.
    leaving = plan.seats[started_id][0]
    with app.db.unit_of_work() as session:
        invitation = session.get_one(Invitation, _invitation_of(app, plan.round_id, leaving))
        invitation.status = invitation.status.DECLINED
    _answer(app, [plan.unanswered[0]])
    with app.db.unit_of_work() as session:
        result = schedule_round(session, plan.round_id, app.taxonomy, DOMAIN, started_at)
    assert all(sid != started_id for sid, _ in result.changes.join + result.changes.leave)
    assert started_id not in result.changes.cancel
    assert _seats(app, plan.round_id)[leaving] == started_id

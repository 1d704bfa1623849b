"""Session changes and the calendar messages they cause, against a real database.

Scheduling sends METHOD:REQUEST (SEQUENCE 0); moving a session (time or link) sends an update
with the same UID, SEQUENCE + 1 and a later DTSTAMP; removing a person or cancelling a session
sends METHOD:CANCEL (SEQUENCE + 1, STATUS:CANCELLED). Each message is one outbox row with an
idempotency key, so re-running the queueing adds nothing and nothing is sent twice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from consult.rounds.calendar_changes import (
    SessionChangeError,
    cancel_session,
    move_session,
    remove_attendee,
)
from consult.rounds.calendar_feeds import person_feed
from consult.rounds.calendar_invites import queue_calendar_invites
from consult.rounds.placement import schedule_round
from consult.wiring import App
from models import ConsultationSession, OutboxKind, OutboxMessage, Person, SessionAttendee
from tests.integration.calendar.rounds import DOMAIN, ScheduledRound, scheduled_round
from tests.integration.db.test_round_services import _answer

AMS = ZoneInfo("Europe/Amsterdam")
T0 = datetime(2030, 3, 2, 9, 0, tzinfo=UTC)  # after the answer deadline, before the sessions
HOUR = timedelta(hours=1)
# Into summer time (CEST from 31 March 2030): the update must carry the new UTC offset.
NEW_START = datetime(2030, 4, 2, 10, 0, tzinfo=AMS)
NEW_END = NEW_START + timedelta(minutes=90)


@dataclass(frozen=True)
class CalendarRow:
    id: int
    person_id: int
    key: str
    kind: OutboxKind
    header_method: str
    subject: str
    language: str
    method: str
    uid: str
    sequence: int
    status: str
    dtstamp: datetime
    start: datetime
    end: datetime
    attendee: str


def _rows(app: App, after: int = 0) -> list[CalendarRow]:
    """Calendar messages in the outbox with id > after, parsed back from their .ics."""
    found = []
    with app.db.unit_of_work() as session:
        for row in session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.id > after,
                OutboxMessage.kind.in_([OutboxKind.CALENDAR_REQUEST, OutboxKind.CALENDAR_CANCEL]),
            )
            .order_by(OutboxMessage.id)
        ):
            assert row.calendar_ics is not None and row.calendar_method is not None
            assert row.person_id is not None
            cal = Calendar.from_ical(row.calendar_ics)
            (event,) = cal.walk("VEVENT")
            found.append(
                CalendarRow(
                    id=row.id,
                    person_id=row.person_id,
                    key=row.idempotency_key,
                    kind=row.kind,
                    header_method=row.calendar_method,
                    subject=row.subject,
                    language=session.get_one(Person, row.person_id).language,
                    method=str(cal["method"]),
                    uid=str(event["uid"]),
                    sequence=int(event["sequence"]),
                    status=str(event["status"]),
                    dtstamp=event["dtstamp"].dt,
                    start=event["dtstart"].dt,
                    end=event["dtend"].dt,
                    attendee=str(event["attendee"]),
                )
            )
    return found


def _last_id(app: App) -> int:
    with app.db.unit_of_work() as session:
        return session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc())) or 0


def _queue(app: App, plan: ScheduledRound, now: datetime) -> int:
    with app.db.unit_of_work() as session:
        return queue_calendar_invites(session, app.mail_context(), plan.session_ids, now)


def _uid(app: App, session_id: int) -> str:
    with app.db.unit_of_work() as session:
        return session.get_one(ConsultationSession, session_id).calendar_uid


def _feed_events(app: App, person_id: int, now: datetime) -> dict[str, tuple[str, int]]:
    with app.db.unit_of_work() as session:
        raw = person_feed(session, app.mail_context(), person_id, "https://x.example/in", now)
    cal = Calendar.from_ical(raw)
    assert str(cal["method"]) == "PUBLISH"
    return {str(e["uid"]): (str(e["status"]), int(e["sequence"])) for e in cal.walk("VEVENT")}


def _changed_prefix(row: CalendarRow) -> str:
    return "Changed" if row.language == "en" else "Gewijzigd"


def _cancelled_prefix(row: CalendarRow) -> str:
    return "Cancelled" if row.language == "en" else "Geannuleerd"


def _largest(plan: ScheduledRound) -> tuple[int, list[int]]:
    session_id = max(plan.seats, key=lambda sid: (len(plan.seats[sid]), -sid))
    return session_id, plan.seats[session_id]


def test_schedule_move_remove_cancel_send_exactly_what_each_change_needs(app: App) -> None:
    plan = scheduled_round(app)
    everyone = {p for people in plan.seats.values() for p in people}

    # Scheduled: one REQUEST per attendee, SEQUENCE 0, at the session's time.
    assert _queue(app, plan, T0) == 8
    first = _rows(app)
    assert Counter(r.person_id for r in first) == Counter(everyone)
    with app.db.unit_of_work() as session:
        sessions = {
            cs.id: cs
            for cs in session.scalars(
                select(ConsultationSession).where(ConsultationSession.id.in_(plan.session_ids))
            )
        }
        starts = {cs.calendar_uid: (cs.start, cs.end) for cs in sessions.values()}
    for row in first:
        assert (row.kind, row.header_method, row.method) == (
            OutboxKind.CALENDAR_REQUEST,
            "REQUEST",
            "REQUEST",
        )
        assert (row.sequence, row.status, row.dtstamp) == (0, "CONFIRMED", T0)
        assert (row.start, row.end) == starts[row.uid]
        assert not row.subject.startswith(("Gewijzigd", "Changed")), row.subject
    assert {r.uid for r in first} == set(starts)

    # Nothing changed: nothing new.
    assert _queue(app, plan, T0 + HOUR) == 0
    assert _last_id(app) == first[-1].id

    # Moved (into summer time): exactly one update per attendee of that session.
    moved_id, moved_people = _largest(plan)
    assert len(moved_people) == 3
    uid = _uid(app, moved_id)
    with app.db.unit_of_work() as session:
        assert move_session(session, moved_id, start=NEW_START, end=NEW_END)
    mark = _last_id(app)
    assert _queue(app, plan, T0 + 2 * HOUR) == 3
    updates = _rows(app, mark)
    assert sorted(r.person_id for r in updates) == moved_people
    for row in updates:
        assert (row.method, row.header_method, row.uid, row.sequence) == (
            "REQUEST",
            "REQUEST",
            uid,
            1,
        )
        assert row.dtstamp == T0 + 2 * HOUR > first[0].dtstamp
        assert row.start == NEW_START and row.end == NEW_END
        # 10:00 CEST is 08:00 UTC; the original session was at a +01:00 offset.
        assert row.start.astimezone(UTC) == datetime(2030, 4, 2, 8, 0, tzinfo=UTC)
        assert row.subject.startswith(_changed_prefix(row)), row.subject
    assert _queue(app, plan, T0 + 3 * HOUR) == 0

    # One person removed: one CANCEL to that person only, at the next SEQUENCE.
    removed, *staying = moved_people
    with app.db.unit_of_work() as session:
        assert remove_attendee(session, moved_id, removed)
        assert not remove_attendee(session, moved_id, removed)  # already removed
    mark = _last_id(app)
    assert _queue(app, plan, T0 + 4 * HOUR) == 1
    (cancel,) = _rows(app, mark)
    assert cancel.person_id == removed
    assert (cancel.kind, cancel.method, cancel.header_method) == (
        OutboxKind.CALENDAR_CANCEL,
        "CANCEL",
        "CANCEL",
    )
    assert (cancel.uid, cancel.sequence, cancel.status) == (uid, 2, "CANCELLED")
    assert cancel.subject.startswith(_cancelled_prefix(cancel)), cancel.subject
    assert _queue(app, plan, T0 + 5 * HOUR) == 0

    # The session cancelled: one CANCEL to each remaining attendee, none to the removed one.
    with app.db.unit_of_work() as session:
        assert cancel_session(session, moved_id)
        assert not cancel_session(session, moved_id)
    mark = _last_id(app)
    assert _queue(app, plan, T0 + 6 * HOUR) == 2
    cancels = _rows(app, mark)
    assert sorted(r.person_id for r in cancels) == sorted(staying)
    for row in cancels:
        assert (row.method, row.header_method, row.uid) == ("CANCEL", "CANCEL", uid)
        assert (row.sequence, row.status) == (2, "CANCELLED")
        assert row.dtstamp == T0 + 6 * HOUR
        assert row.subject.startswith(_cancelled_prefix(row)), row.subject
    assert _queue(app, plan, T0 + 7 * HOUR) == 0

    # Every message key is unique, and the others' sessions never got a second message.
    every = _rows(app)
    assert len({r.key for r in every}) == len(every) == 8 + 3 + 1 + 2
    others = [r for r in every if r.uid != uid]
    assert len(others) == 5 and all(r.sequence == 0 for r in others)

    # The removed person's feed shows the session cancelled; a seated person's stays confirmed.
    assert _feed_events(app, removed, T0 + 8 * HOUR) == {uid: ("CANCELLED", 2)}
    other_id = next(sid for sid in plan.session_ids if sid != moved_id)
    seated = plan.seats[other_id][0]
    assert _feed_events(app, seated, T0 + 8 * HOUR) == {_uid(app, other_id): ("CONFIRMED", 0)}
    with pytest.raises(SessionChangeError), app.db.unit_of_work() as session:
        move_session(session, moved_id, start=NEW_START + HOUR, end=NEW_END + HOUR)


def test_a_new_meeting_link_is_an_update_and_an_unchanged_move_is_nothing(app: App) -> None:
    plan = scheduled_round(app)
    assert _queue(app, plan, T0) == 8
    session_id, people = _largest(plan)
    with app.db.unit_of_work() as session:
        cs = session.get_one(ConsultationSession, session_id)
        assert not move_session(session, session_id, start=cs.start, end=cs.end)
        assert move_session(session, session_id, meeting_url="https://meet.example.org/nieuw")
    mark = _last_id(app)
    assert _queue(app, plan, T0 + HOUR) == len(people)
    with app.db.unit_of_work() as session:
        raws = [
            r.calendar_ics
            for r in session.scalars(select(OutboxMessage).where(OutboxMessage.id > mark))
        ]
    for raw in raws:
        assert raw is not None
        (event,) = Calendar.from_ical(raw).walk("VEVENT")
        assert int(event["sequence"]) == 1
        assert str(event["location"]) == "https://meet.example.org/nieuw"


def test_a_person_removed_before_any_request_gets_no_cancel(app: App) -> None:
    plan = scheduled_round(app)
    session_id, people = _largest(plan)
    with app.db.unit_of_work() as session:
        assert remove_attendee(session, session_id, people[0])
    assert _queue(app, plan, T0) == 7
    rows = _rows(app)
    assert people[0] not in {r.person_id for r in rows}
    assert all(r.method == "REQUEST" and r.sequence == 0 for r in rows)
    with app.db.unit_of_work() as session:
        assert cancel_session(session, session_id)
    mark = _last_id(app)
    assert _queue(app, plan, T0 + HOUR) == 2
    assert sorted(r.person_id for r in _rows(app, mark)) == people[1:]


def test_a_removed_person_gets_one_cancel_whatever_happens_to_the_session_later(
    app: App,
) -> None:
    plan = scheduled_round(app)
    assert _queue(app, plan, T0) == 8
    session_id, (removed, *staying) = _largest(plan)
    with app.db.unit_of_work() as session:
        assert remove_attendee(session, session_id, removed)
    mark = _last_id(app)
    assert _queue(app, plan, T0 + HOUR) == 1
    (cancel,) = _rows(app, mark)
    assert (cancel.person_id, cancel.method, cancel.sequence) == (removed, "CANCEL", 1)

    # Moving the session afterwards updates the others only: the removed person's calendar
    # no longer holds the event, a second CANCEL would be a duplicate message.
    with app.db.unit_of_work() as session:
        assert move_session(session, session_id, start=NEW_START, end=NEW_END)
    mark = _last_id(app)
    assert _queue(app, plan, T0 + 2 * HOUR) == len(staying)
    updates = _rows(app, mark)
    assert sorted(r.person_id for r in updates) == sorted(staying)
    assert {(r.method, r.sequence) for r in updates} == {("REQUEST", 1)}

    with app.db.unit_of_work() as session:
        assert cancel_session(session, session_id)
    mark = _last_id(app)
    assert _queue(app, plan, T0 + 3 * HOUR) == len(staying)
    assert sorted(r.person_id for r in _rows(app, mark)) == sorted(staying)
    cancels_to_removed = [r for r in _rows(app) if r.person_id == removed and r.method == "CANCEL"]
    assert len(cancels_to_removed) == 1


def test_a_late_attendee_of_a_moved_session_gets_an_invitation_not_a_change(app: App) -> None:
    plan = scheduled_round(app)
    assert _queue(app, plan, T0) == 8
    behoud_id = _behoud_session(app, plan)
    with app.db.unit_of_work() as session:
        assert move_session(session, behoud_id, start=NEW_START, end=NEW_END)
    assert _queue(app, plan, T0 + HOUR) == len(plan.seats[behoud_id])

    # A late "yes" joins the moved session: the first message this person gets is at the
    # session's current SEQUENCE, but it is an invitation, not "Changed: ...".
    late = plan.unanswered[-3]  # behoud[3]
    _answer(app, [late])
    with app.db.unit_of_work() as session:
        assert schedule_round(session, plan.round_id, app.taxonomy, DOMAIN, T0).attendees_added == 1
        newcomer = session.scalars(
            select(SessionAttendee.person_id).where(
                SessionAttendee.session_id == behoud_id,
                SessionAttendee.person_id.not_in(plan.seats[behoud_id]),
            )
        ).one()
    mark = _last_id(app)
    assert _queue(app, plan, T0 + 2 * HOUR) == 1
    (row,) = _rows(app, mark)
    assert (row.person_id, row.method, row.sequence) == (newcomer, "REQUEST", 1)
    assert row.start == NEW_START
    assert row.subject.startswith(("Agenda-uitnodiging", "Calendar invitation")), row.subject


def _behoud_session(app: App, plan: ScheduledRound) -> int:
    with app.db.unit_of_work() as session:
        (found,) = [
            sid
            for sid in plan.session_ids
            if session.get_one(ConsultationSession, sid).theme.slug == "behoud_betrokkenheid"
        ]
        return found


def test_a_removed_person_is_not_seated_again_in_the_same_session(app: App) -> None:
    """Removed while still accepted, then scheduling runs again (as it does for a late
    acceptance): the person is never put back into the group they were removed from (that
    would also break the one-seat-per-session constraint). Their other theme has room, so the
    optimiser seats them there: they get a CANCEL for the old session and an invitation for the
    new one, and nobody else hears anything."""
    plan = scheduled_round(app)
    assert _queue(app, plan, T0) == 8
    session_id = _behoud_session(app, plan)
    removed = plan.seats[session_id][0]
    with app.db.unit_of_work() as session:
        assert remove_attendee(session, session_id, removed)
    with app.db.unit_of_work() as session:
        result = schedule_round(session, plan.round_id, app.taxonomy, DOMAIN, T0)
    assert (result.attendees_added, result.unplaced, result.sessions_created) == (1, {}, 0)
    with app.db.unit_of_work() as session:
        seats = session.scalars(
            select(SessionAttendee)
            .where(SessionAttendee.person_id == removed)
            .order_by(SessionAttendee.id)
        ).all()
        assert (seats[0].session_id, seats[0].status.value) == (session_id, "removed")
        (new_seat,) = [s for s in seats if s.status.value == "scheduled"]
        assert new_seat.session_id != session_id
        assert new_seat.session.theme.slug == "innovatie"
    mark = _last_id(app)
    assert _queue(app, plan, T0 + HOUR) == 2
    rows = _rows(app, mark)
    assert sorted((r.person_id, r.method, r.sequence) for r in rows) == [
        (removed, "CANCEL", 1),
        (removed, "REQUEST", 0),
    ]

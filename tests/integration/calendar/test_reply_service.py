"""The rules for applying a calendar answer, against a real database and without a mailbox:
answers are built as the parser returns them and handed to reply_service.apply."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select

from consult.calendar.replies import MailInfo, ParsedReply
from consult.rounds import calendar_replies as reply_service
from consult.rounds.calendar_changes import cancel_session, remove_attendee
from consult.rounds.calendar_invites import queue_calendar_invites
from consult.rounds.calendar_replies import Handling
from consult.wiring import App
from models import (
    CalendarReply,
    ConsultationSession,
    Invitation,
    InvitationStatus,
    OutboxMessage,
    OutboxStatus,
    Person,
    SessionAttendee,
)
from tests.integration.calendar.rounds import ScheduledRound, scheduled_round

T0 = datetime(2030, 3, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _setup(app: App) -> tuple[ScheduledRound, int, str, list[tuple[int, str]]]:
    plan = scheduled_round(app)
    session_id = plan.session_ids[0]
    with app.db.unit_of_work() as session:
        queue_calendar_invites(session, app.mail_context(), plan.session_ids, T0)
        cs = session.get_one(ConsultationSession, session_id)
        people = [
            (a.person_id, a.person.email) for a in sorted(cs.attendees, key=lambda a: a.person_id)
        ]
        return plan, session_id, cs.calendar_uid, people


def _reply(uid: str, attendee: str, partstat: str = "ACCEPTED", **changes: object) -> ParsedReply:
    key = f"<{uid}-{attendee}-{partstat}-{sorted(changes.items())}@test>"
    mail = MailInfo(key, key, str(changes.pop("sender", attendee)), "Antwoord", T0)
    base = ParsedReply(
        mail=mail,
        message_key=key,
        event_uid=uid,
        sequence=0,
        attendee=attendee,
        attendee_name="",
        partstat=partstat,
        delegated_to="",
        delegate_name="",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _apply(app: App, reply: ParsedReply) -> reply_service.Handled:
    with app.db.unit_of_work() as session:
        return reply_service.apply(session, reply, T0 + 2 * HOUR, mailbox_uid="7")


def test_only_from_matching_is_set_aside_with_a_hint(app: App) -> None:
    _, _, uid, people = _setup(app)
    (_, seated), *_ = people
    handled = _apply(app, _reply(uid, "iemand.anders@example.org", sender=seated))
    assert handled.handling == Handling.SET_ASIDE
    assert (
        handled.reason == f"afzender/attendee niet uitgenodigd (afzender {seated} is wel ingedeeld)"
    )


def test_a_person_invited_to_the_round_but_seated_elsewhere_is_not_invited_here(
    app: App,
) -> None:
    plan, _, uid, _ = _setup(app)
    other_session = plan.session_ids[1]
    with app.db.unit_of_work() as session:
        elsewhere = session.scalars(
            select(Person.email)
            .join(SessionAttendee, SessionAttendee.person_id == Person.id)
            .where(SessionAttendee.session_id == other_session)
        ).first()
    assert elsewhere is not None
    assert _apply(app, _reply(uid, elsewhere)).reason == "afzender/attendee niet uitgenodigd"


def test_same_message_twice_is_a_duplicate(app: App) -> None:
    _, _, uid, people = _setup(app)
    reply = _reply(uid, people[0][1])
    assert _apply(app, reply).handling == Handling.APPLIED
    assert _apply(app, reply).handling == Handling.DUPLICATE
    with app.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(CalendarReply)) == 1


def test_removed_attendee_after_their_cancel_is_stale_and_before_it_set_aside(app: App) -> None:
    _, session_id, uid, people = _setup(app)
    (first, first_email), (second, second_email), *_ = people
    with app.db.unit_of_work() as session:
        remove_attendee(session, session_id, first)
        remove_attendee(session, session_id, second)
    # The first one's CANCEL (SEQUENCE 1) is queued; the second one's not yet.
    with app.db.unit_of_work() as session:
        queue_calendar_invites(session, app.mail_context(), [session_id], T0 + HOUR)
        session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.person_id == second, OutboxMessage.calendar_method == "CANCEL"
            )
        )
    assert _apply(app, _reply(uid, first_email)).reason == "verouderde SEQUENCE (0 < 1)"
    assert _apply(app, _reply(uid, second_email)).reason == "attendee is uit deze sessie gehaald"


def test_failed_messages_do_not_count_as_sent(app: App) -> None:
    _, session_id, uid, people = _setup(app)
    person_id, email = people[0]
    with app.db.unit_of_work() as session:
        cs = session.get_one(ConsultationSession, session_id)
        cs.calendar_sequence = 1
        queue_calendar_invites(session, app.mail_context(), [session_id], T0 + HOUR)
        update = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.person_id == person_id,
                OutboxMessage.idempotency_key.endswith(":seq 1"),
            )
        ).one()
        update.status = OutboxStatus.FAILED  # never arrived: their SEQUENCE 0 answer stands
    assert _apply(app, _reply(uid, email)).handling == Handling.APPLIED
    assert _apply(app, _reply(uid, people[1][1])).reason.startswith("verouderde SEQUENCE")


def test_cancelled_session_unknown_partstat_and_bad_delegation(app: App) -> None:
    _, session_id, uid, people = _setup(app)
    email = people[0][1]
    assert _apply(app, _reply(uid, email, "COMPLETED")).reason == ("onbekende PARTSTAT COMPLETED")
    for target in ("", "geen-adres", email):
        handled = _apply(app, _reply(uid, email, "DELEGATED", delegated_to=target))
        assert handled.reason == "DELEGATED zonder geldig DELEGATED-TO", target
    with app.db.unit_of_work() as session:
        cancel_session(session, session_id)
    # Cancelling raised the SEQUENCE, but the CANCEL is not queued yet: the session's state says.
    assert _apply(app, _reply(uid, email)).reason == "sessie is geannuleerd"


def test_after_delegating_only_a_new_delegation_applies_and_known_people_are_reused(
    app: App,
) -> None:
    _, session_id, uid, people = _setup(app)
    (delegator, email), (colleague, colleague_email), *_ = people
    with app.db.unit_of_work() as session:
        outsider = session.scalars(
            select(Person).where(
                Person.id.not_in(select(Invitation.person_id)),
            )
        ).first()
        assert outsider is not None
        outsider_id, outsider_email, outsider_name = outsider.id, outsider.email, outsider.name
        people_before = session.scalar(select(func.count()).select_from(Person))

    handled = _apply(
        app,
        _reply(uid, email, "DELEGATED", delegated_to=outsider_email, delegate_name="X"),
    )
    assert handled.handling == Handling.APPLIED
    # Back to accepting after handing it on: for the secretariat to sort out.
    assert (
        _apply(app, _reply(uid, email, "ACCEPTED")).reason
        == "uitnodiging was al doorgegeven aan een collega"
    )
    # Delegating to someone already seated in the round: invitation kept, no second seat.
    assert (
        _apply(app, _reply(uid, email, "DELEGATED", delegated_to=colleague_email)).handling
        == Handling.APPLIED
    )
    with app.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == people_before
        known = session.get_one(Person, outsider_id)
        assert known.name == outsider_name  # an existing person is not renamed from a CN
        seats = session.scalars(
            select(SessionAttendee.session_id).where(SessionAttendee.person_id == outsider_id)
        ).all()
        assert seats == [session_id]
        colleague_seats = session.scalars(
            select(SessionAttendee.id).where(SessionAttendee.person_id == colleague)
        ).all()
        assert len(colleague_seats) == 1
        statuses = {
            person_id: status
            for person_id, status in session.execute(
                select(Invitation.person_id, Invitation.status).where(
                    Invitation.person_id.in_([delegator, colleague, outsider_id])
                )
            )
        }
    assert statuses[delegator] == InvitationStatus.DELEGATED
    assert statuses[colleague] == InvitationStatus.ACCEPTED
    assert statuses[outsider_id] == InvitationStatus.PENDING


def _state(app: App, session_id: int, person_id: int) -> tuple[str, InvitationStatus]:
    """(seat PARTSTAT, invitation status) as the secretariat and the scheduler see them."""
    with app.db.unit_of_work() as session:
        seat = session.scalars(
            select(SessionAttendee).where(
                SessionAttendee.session_id == session_id, SessionAttendee.person_id == person_id
            )
        ).one()
        invitation = session.scalars(
            select(Invitation).where(Invitation.person_id == person_id)
        ).one()
        return seat.partstat, invitation.status


def test_a_reply_from_someone_else_for_a_seated_attendee_is_set_aside(app: App) -> None:
    # RFC 6047, 3: anyone can mail a REPLY naming the victim as ATTENDEE, with the victim's
    # session UID from a forwarded invitation. It must not decline the victim's seat.
    _, session_id, uid, people = _setup(app)
    (victim, victim_email), *_ = people
    before = _state(app, session_id, victim)
    forged = _reply(uid, victim_email, "DECLINED", sender="attacker@evil.example")
    handled = _apply(app, forged)
    assert handled.handling == Handling.SET_ASIDE
    assert handled.reason == (
        f"afzender is niet de attendee (afzender attacker@evil.example, attendee {victim_email})"
    )
    assert _state(app, session_id, victim) == before
    with app.db.unit_of_work() as session:
        [row] = reply_service.replies_for_review(session)
        assert (row.sender, row.attendee, row.reason) == (
            "attacker@evil.example",
            victim_email,
            handled.reason,
        )


def test_a_reply_without_a_sender_is_set_aside(app: App) -> None:
    _, session_id, uid, people = _setup(app)
    (victim, victim_email), *_ = people
    before = _state(app, session_id, victim)
    handled = _apply(app, _reply(uid, victim_email, "DECLINED", sender=""))
    assert (handled.handling, handled.reason) == (
        Handling.SET_ASIDE,
        "bericht zonder afzender (From)",
    )
    assert _state(app, session_id, victim) == before


def test_the_attendees_own_address_in_another_case_is_their_reply(app: App) -> None:
    _, session_id, uid, people = _setup(app)
    (person, email), *_ = people
    handled = _apply(app, _reply(uid, email, "DECLINED", sender=email.upper()))
    assert handled.handling == Handling.APPLIED
    assert _state(app, session_id, person) == ("DECLINED", InvitationStatus.DECLINED)


def test_the_delegate_the_system_seated_may_answer_for_their_delegator(app: App) -> None:
    # A delegate's client answers with the delegator's line too (RFC 5546 4.2.5), from the
    # delegate's address; that delegate was seated by us after the delegator's own REPLY.
    _, _, uid, people = _setup(app)
    (_, delegator_email), *_ = people
    delegate = "collega@zorg-oost.example"
    first = _reply(uid, delegator_email, "DELEGATED", delegated_to=delegate, delegate_name="C")
    assert _apply(app, first).handling == Handling.APPLIED
    from_delegate = replace(first, mail=replace(first.mail, sender=delegate))
    from_delegate = replace(from_delegate, message_key="<from-delegate@test>")
    assert _apply(app, from_delegate).handling == Handling.APPLIED
    # Someone the delegator never handed it to is still someone else.
    stranger = replace(first, mail=replace(first.mail, sender="ander@zorg-oost.example"))
    stranger = replace(stranger, message_key="<from-stranger@test>")
    handled = _apply(app, stranger)
    assert handled.handling == Handling.SET_ASIDE
    assert handled.reason.startswith("afzender is niet de attendee")


def test_control_characters_in_a_reply_never_reach_the_database(app: App) -> None:
    # PostgreSQL refuses NUL in text; a delegate's CN is copied into their name.
    _, _, uid, people = _setup(app)
    (_, email), *_ = people
    reply = _reply(
        uid,
        email,
        "DELEGATED",
        delegated_to="nul@zorg-oost.example",
        delegate_name="Nul\x00 Byte\u202e",
    )
    assert _apply(app, reply).handling == Handling.APPLIED
    with app.db.unit_of_work() as session:
        person = session.scalars(
            select(Person).where(Person.email == "nul@zorg-oost.example")
        ).one()
        assert person.name == "Nul Byte"


def test_a_delegate_s_name_from_the_reply_is_used_only_if_it_is_a_plain_name(app: App) -> None:
    _, _, uid, people = _setup(app)
    (delegator, email), (_, second_email), *_ = people
    spam, plain = "Win a prize at http://evil.example/0", "Els 't Hart"
    for sender, address, cn in (
        (email, "nieuw1@zorg.example", spam),
        (second_email, "nieuw2@zorg.example", plain),
    ):
        reply = _reply(uid, sender, "DELEGATED", delegated_to=address, delegate_name=cn)
        assert _apply(app, reply).handling == Handling.APPLIED
    with app.db.unit_of_work() as session:
        found = session.scalars(select(Person).where(Person.email.like("nieuw%"))).all()
        names = {person.email: person.name for person in found}
        assert names == {"nieuw1@zorg.example": "nieuw1@zorg.example", "nieuw2@zorg.example": plain}
        # The delegate's invitation knows who passed it on: their own page offers no further hop.
        theirs = session.scalars(
            select(Invitation).join(Person).where(Person.email == "nieuw1@zorg.example")
        ).one()
        assert theirs.delegation_hops == 1
        assert theirs.delegated_from is not None
        assert theirs.delegated_from.person_id == delegator

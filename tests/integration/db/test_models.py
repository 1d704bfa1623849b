"""Every model survives a trip through the database; constraints the product relies on hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from models import (
    AccessToken,
    AttendeeStatus,
    BlockStatus,
    BuildingBlock,
    CandidateSlot,
    ConsultationSession,
    Contribution,
    ContributionKind,
    Invitation,
    InvitationStatus,
    Organisation,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    Person,
    QuotePermission,
    Region,
    Round,
    RoundStatus,
    SessionAttendee,
    SessionStatus,
    Theme,
)
from models.db import Database

AMS = ZoneInfo("Europe/Amsterdam")
# Local Dutch times with microseconds, one in winter and one in summer time.
ANSWER_DEADLINE = datetime(2030, 3, 1, 17, 0, 0, 250000, tzinfo=AMS)
INPUT_DEADLINE = datetime(2030, 6, 15, 23, 59, 59, 999999, tzinfo=AMS)
SLOT_START = datetime(2030, 3, 31, 10, 0, tzinfo=AMS)  # first day of summer time
SLOT_END = SLOT_START + timedelta(minutes=90)
ANSWERED_AT = datetime(2030, 2, 20, 8, 15, 1, 5, tzinfo=UTC)
CLAIMED_UNTIL = datetime(2030, 2, 21, 9, 0, tzinfo=ZoneInfo("America/New_York"))
SENT_AT = datetime(2030, 2, 21, 13, 1, 2, tzinfo=UTC)
SUBMITTED_AT = datetime(2030, 4, 2, 11, 30, tzinfo=AMS)
ICS = b"BEGIN:VCALENDAR\r\nSUMMARY:Caf\xc3\xa9 \xe2\x80\x94 overleg\r\nEND:VCALENDAR\r\n\x00\xff"


@dataclass(frozen=True)
class Ids:
    region: int
    organisation: int
    person: int
    theme: int
    round: int
    slot: int
    session: int
    attendee: int
    invitation: int
    token: int
    outbox: int
    contributions: tuple[int, int]
    block: int


def _seed(session: Session) -> Ids:
    region = Region(name="Achterhoek", network="Oost-Nederland")
    org = Organisation(
        name="Zorggroep Sint-Maarten \u2019s-Heerenberg", sector="vvt", region=region
    )
    person = Person(
        name="Anneke Ødegård-de Vries",
        email="a.devries@zorggroep.example",
        role="bestuurder",
        language="en",
        organisation=org,
    )
    theme = Theme(
        slug="behoud",
        title_nl="Behoud & betrokkenheid",
        title_en="Retention & engagement",
        questions_nl=["Wat houdt zorgprofessionals vast?", "Wat werkt écht?"],
        questions_en=["What keeps care professionals?"],
    )
    rnd = Round(
        slug="ronde-2030",
        name="Consultatieronde 2030",
        status=RoundStatus.COLLECTING,
        answer_deadline=ANSWER_DEADLINE,
        input_deadline=INPUT_DEADLINE,
        organiser_name="Secretariaat",
        organiser_email="secretariaat@wiz.example",
        spec={"themes": [{"slug": "behoud"}], "group_max": 6, "note": "één ronde"},
    )
    slot = CandidateSlot(round=rnd, theme=theme, start=SLOT_START, end=SLOT_END)
    cs = ConsultationSession(
        round=rnd,
        theme=theme,
        group_number=2,
        start=SLOT_START,
        end=SLOT_END,
        meeting_url="https://meet.example.org/ronde-2030/behoud-1-2",
        status=SessionStatus.PLANNED,
        calendar_uid="0b6c7e9e@wiz.example",
        calendar_sequence=3,
    )
    attendee = SessionAttendee(session=cs, person=person, status=AttendeeStatus.REMOVED)
    invitation = Invitation(
        round=rnd,
        person=person,
        theme_preferences=["behoud", "innovatie"],
        status=InvitationStatus.ACCEPTED,
        answered_at=ANSWERED_AT,
    )
    session.add_all([slot, cs, attendee, invitation])
    session.flush()
    cs.slot_id = slot.id
    token = AccessToken(invitation=invitation, token_hash="ab" * 32, purpose="invitation")
    outbox = OutboxMessage(
        kind=OutboxKind.CALENDAR_REQUEST,
        idempotency_key="calendar:REQUEST:session 1:person 1:seq 3",
        message_id="<calendar.1@wiz.example>",
        round_id=rnd.id,
        person_id=person.id,
        invitation_id=invitation.id,
        recipient_email=person.email,
        recipient_name=person.name,
        subject="Uitnodiging \u2013 Behoud & betrokkenheid",
        text_body="Beste Anneke,\n\nTot ziens.\n",
        html_body="<p>Beste Anneke, &amp; tot ziens.</p>",
        calendar_ics=ICS,
        calendar_method="REQUEST",
        status=OutboxStatus.SENT,
        attempts=2,
        last_error="451 4.7.1 try again later",
        claimed_until=CLAIMED_UNTIL,
        sent_at=SENT_AT,
    )
    first = Contribution(
        round_id=rnd.id,
        person=person,
        theme=theme,
        session=cs,
        kind=ContributionKind.LESSON_LEARNED,
        text="Roosters samen met het team maken houdt mensen vast.",
        language="nl",
        quote_permission=QuotePermission.NOT_QUOTABLE,
        source_key="input.csv#row=2",
        submitted_at=SUBMITTED_AT,
    )
    second = Contribution(
        round_id=rnd.id,
        person=person,
        theme=theme,
        kind=ContributionKind.PROPOSAL,
        text="Give newcomers a buddy for a year.",
        language="en",
    )
    block = BuildingBlock(
        round_id=rnd.id,
        theme=theme,
        title="Zeggenschap over roosters",
        summary="Teams die hun eigen rooster maken, houden mensen langer vast.",
        key_terms=["rooster", "zeggenschap", "ééndaags"],
        status=BlockStatus.APPROVED,
        contributions=[second, first],
    )
    session.add_all([token, outbox, block])
    session.flush()
    return Ids(
        region=region.id,
        organisation=org.id,
        person=person.id,
        theme=theme.id,
        round=rnd.id,
        slot=slot.id,
        session=cs.id,
        attendee=attendee.id,
        invitation=invitation.id,
        token=token.id,
        outbox=outbox.id,
        contributions=(first.id, second.id),
        block=block.id,
    )


def _assert_utc(value: datetime | None, expected: datetime) -> None:
    assert value is not None
    assert value.tzinfo is not None, "naive datetime came back from the database"
    assert value.utcoffset() == timedelta(0)
    assert value == expected


def test_every_model_round_trips(db: Database) -> None:
    with db.unit_of_work() as session:
        ids = _seed(session)

    with db.unit_of_work() as session:
        region = session.get_one(Region, ids.region)
        assert (region.name, region.network) == ("Achterhoek", "Oost-Nederland")
        assert [o.id for o in region.organisations] == [ids.organisation]

        org = session.get_one(Organisation, ids.organisation)
        assert org.name == "Zorggroep Sint-Maarten \u2019s-Heerenberg"
        assert org.sector == "vvt"
        assert org.region_id == ids.region

        person = session.get_one(Person, ids.person)
        assert (person.name, person.email, person.role, person.language) == (
            "Anneke Ødegård-de Vries",
            "a.devries@zorggroep.example",
            "bestuurder",
            "en",
        )
        assert person.organisation.id == ids.organisation
        assert [p.id for p in org.people] == [ids.person]

        theme = session.get_one(Theme, ids.theme)
        assert theme.title("nl") == "Behoud & betrokkenheid"
        assert theme.title("en") == "Retention & engagement"
        assert theme.questions("nl") == ["Wat houdt zorgprofessionals vast?", "Wat werkt écht?"]
        assert theme.questions("en") == ["What keeps care professionals?"]

        rnd = session.get_one(Round, ids.round)
        assert (rnd.slug, rnd.name, rnd.status) == (
            "ronde-2030",
            "Consultatieronde 2030",
            RoundStatus.COLLECTING,
        )
        _assert_utc(rnd.answer_deadline, ANSWER_DEADLINE)
        _assert_utc(rnd.input_deadline, INPUT_DEADLINE)
        assert rnd.spec == {"themes": [{"slug": "behoud"}], "group_max": 6, "note": "één ronde"}
        assert rnd.created_at.utcoffset() == timedelta(0)
        assert abs(datetime.now(UTC) - rnd.created_at) < timedelta(minutes=5)
        assert [s.id for s in rnd.slots] == [ids.slot]
        assert [s.id for s in rnd.sessions] == [ids.session]

        slot = session.get_one(CandidateSlot, ids.slot)
        _assert_utc(slot.start, SLOT_START)
        _assert_utc(slot.end, SLOT_END)
        assert slot.theme.slug == "behoud"

        cs = session.get_one(ConsultationSession, ids.session)
        assert cs.slot_id == ids.slot
        assert (cs.group_number, cs.status, cs.calendar_uid, cs.calendar_sequence) == (
            2,
            SessionStatus.PLANNED,
            "0b6c7e9e@wiz.example",
            3,
        )
        assert cs.meeting_url == "https://meet.example.org/ronde-2030/behoud-1-2"
        _assert_utc(cs.start, SLOT_START)
        _assert_utc(cs.end, SLOT_END)
        assert [a.id for a in cs.attendees] == [ids.attendee]

        attendee = session.get_one(SessionAttendee, ids.attendee)
        assert (attendee.person_id, attendee.status) == (ids.person, AttendeeStatus.REMOVED)

        invitation = session.get_one(Invitation, ids.invitation)
        assert invitation.theme_preferences == ["behoud", "innovatie"]
        assert invitation.status == InvitationStatus.ACCEPTED
        _assert_utc(invitation.answered_at, ANSWERED_AT)
        assert (invitation.round.id, invitation.person.id) == (ids.round, ids.person)

        token = session.get_one(AccessToken, ids.token)
        assert (token.invitation_id, token.token_hash, token.purpose) == (
            ids.invitation,
            "ab" * 32,
            "invitation",
        )

        out = session.get_one(OutboxMessage, ids.outbox)
        assert out.kind == OutboxKind.CALENDAR_REQUEST
        assert out.idempotency_key == "calendar:REQUEST:session 1:person 1:seq 3"
        assert (out.round_id, out.person_id, out.invitation_id) == (
            ids.round,
            ids.person,
            ids.invitation,
        )
        assert out.recipient_name == "Anneke Ødegård-de Vries"
        assert out.subject == "Uitnodiging \u2013 Behoud & betrokkenheid"
        assert out.text_body == "Beste Anneke,\n\nTot ziens.\n"
        assert out.html_body == "<p>Beste Anneke, &amp; tot ziens.</p>"
        assert out.calendar_ics == ICS
        assert (out.calendar_method, out.status, out.attempts) == ("REQUEST", OutboxStatus.SENT, 2)
        assert out.last_error == "451 4.7.1 try again later"
        _assert_utc(out.claimed_until, CLAIMED_UNTIL)
        _assert_utc(out.sent_at, SENT_AT)

        first = session.get_one(Contribution, ids.contributions[0])
        assert first.text == "Roosters samen met het team maken houdt mensen vast."
        assert (first.kind, first.quote_permission, first.language) == (
            ContributionKind.LESSON_LEARNED,
            QuotePermission.NOT_QUOTABLE,
            "nl",
        )
        assert first.session is not None and first.session.id == ids.session
        assert first.source_key == "input.csv#row=2"
        _assert_utc(first.submitted_at, SUBMITTED_AT)
        second = session.get_one(Contribution, ids.contributions[1])
        # Defaults a user relies on: role_only unless said otherwise, no session, no source.
        assert second.quote_permission == QuotePermission.ROLE_ONLY
        assert (second.session, second.source_key, second.language) == (None, None, "en")

        block = session.get_one(BuildingBlock, ids.block)
        assert block.title == "Zeggenschap over roosters"
        assert block.key_terms == ["rooster", "zeggenschap", "ééndaags"]
        assert block.status == BlockStatus.APPROVED
        assert [c.id for c in block.contributions] == sorted(ids.contributions)
        assert [b.id for b in first.blocks] == [ids.block]


def test_naive_datetime_is_refused(db: Database) -> None:
    with db.unit_of_work() as session:
        ids = _seed(session)
    with pytest.raises(StatementError, match="naive datetime"), db.unit_of_work() as session:
        session.get_one(Round, ids.round).answer_deadline = datetime(2030, 3, 1, 17, 0)
    with db.unit_of_work() as session:
        _assert_utc(session.get_one(Round, ids.round).answer_deadline, ANSWER_DEADLINE)


def test_comparing_stored_deadline_with_now_works(db: Database) -> None:
    """Services compare stored datetimes with utcnow(); that must work on SQLite too."""
    with db.unit_of_work() as session:
        ids = _seed(session)
    with db.unit_of_work() as session:
        before = ANSWER_DEADLINE - timedelta(microseconds=1)
        after = ANSWER_DEADLINE + timedelta(microseconds=1)
        due = select(func.count()).select_from(Round).where(Round.answer_deadline <= before)
        assert session.scalar(due) == 0
        due = select(func.count()).select_from(Round).where(Round.answer_deadline <= after)
        assert session.scalar(due) == 1
        assert session.get_one(Round, ids.round).answer_deadline < after


def test_person_email_is_unique(db: Database) -> None:
    with db.unit_of_work() as session:
        ids = _seed(session)
    with pytest.raises(IntegrityError), db.unit_of_work() as session:
        session.add(
            Person(
                name="Iemand Anders",
                email="a.devries@zorggroep.example",
                organisation_id=ids.organisation,
            )
        )
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 1
        assert session.get_one(Person, ids.person).name == "Anneke Ødegård-de Vries"


def test_outbox_idempotency_key_is_unique(db: Database) -> None:
    with db.unit_of_work() as session:
        ids = _seed(session)
    with pytest.raises(IntegrityError), db.unit_of_work() as session:
        session.add(
            OutboxMessage(
                kind=OutboxKind.CALENDAR_REQUEST,
                idempotency_key="calendar:REQUEST:session 1:person 1:seq 3",
                message_id="<other@wiz.example>",
                round_id=ids.round,
                recipient_email="x@example.org",
                recipient_name="X",
                subject="tweede keer",
                text_body="",
                html_body="",
            )
        )
    with db.unit_of_work() as session:
        assert session.scalars(select(OutboxMessage.subject)).all() == [
            "Uitnodiging \u2013 Behoud & betrokkenheid"
        ]


def test_a_contribution_rests_in_at_most_one_block(db: Database) -> None:
    with db.unit_of_work() as session:
        ids = _seed(session)
    with pytest.raises(IntegrityError), db.unit_of_work() as session:
        contribution = session.get_one(Contribution, ids.contributions[0])
        session.add(
            BuildingBlock(
                round_id=ids.round,
                theme_id=ids.theme,
                title="Een tweede bouwsteen",
                contributions=[contribution],
            )
        )
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(BuildingBlock)) == 1
        contribution = session.get_one(Contribution, ids.contributions[0])
        assert [b.id for b in contribution.blocks] == [ids.block]


ENUM_COLUMNS = [
    ("round", "status", "round"),
    ("consultation_session", "status", "session"),
    ("session_attendee", "status", "attendee"),
    ("invitation", "status", "invitation"),
    ("outbox_message", "status", "outbox"),
    ("outbox_message", "kind", "outbox"),
    ("contribution", "kind", "contributions"),
    ("contribution", "quote_permission", "contributions"),
    ("building_block", "status", "block"),
]


def test_enum_columns_reject_an_unknown_value_in_the_database(db: Database) -> None:
    """Even SQL written by hand (a fix-up script) cannot store a value the code cannot read."""
    with db.unit_of_work() as session:
        ids = _seed(session)
    for table, column, attribute in ENUM_COLUMNS:
        value = getattr(ids, attribute)
        row_id = value[0] if isinstance(value, tuple) else value
        with pytest.raises(IntegrityError), db.unit_of_work() as session:
            session.execute(
                text(f'UPDATE "{table}" SET "{column}" = :value WHERE id = :id'),
                {"value": "bogus", "id": row_id},
            )
        with db.engine.connect() as conn:
            stored = conn.scalar(text(f'SELECT "{column}" FROM "{table}" WHERE id = {row_id}'))
        assert stored != "bogus", f"{table}.{column} accepted an unknown value"


def test_enum_columns_reject_an_unknown_value_through_the_models(db: Database) -> None:
    with db.unit_of_work() as session:
        ids = _seed(session)
    with pytest.raises(StatementError), db.unit_of_work() as session:
        invitation = session.get_one(Invitation, ids.invitation)
        invitation.status = "maybe"  # type: ignore[assignment]
    with db.unit_of_work() as session:
        assert session.get_one(Invitation, ids.invitation).status == InvitationStatus.ACCEPTED

"""The round services against a real database: launch, invite, answer, schedule, outbox,
contributions and report content. Each is safe to re-run: a second call adds only what is new."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.app import scheduling
from consult.contributions.intake import ContributionRow, InputError, store_contributions
from consult.mail.outbox import RetryPolicy, claim, record, to_outgoing, with_links
from consult.mail.smtp import DeliveryResult
from consult.registry.parsing import RegistryRow
from consult.registry.store import store_rows, sync_reference_data
from consult.reports.content import gather
from consult.reports.render import write_report
from consult.rounds.answers import AnswerError, record_answer
from consult.rounds.invite import invitation_key, pending_invitation_ids, queue_invitations
from consult.rounds.launch import LaunchError, launch_round
from consult.rounds.placement import schedule_round
from consult.spec import RoundSpec, SlotSpec, ThemeSpec
from consult.tokens import hash_token
from consult.wiring import App
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
)
from models.base import utcnow

AMS = ZoneInfo("Europe/Amsterdam")
LEASE = RetryPolicy().lease
ANSWER_DEADLINE = datetime(2030, 3, 1, 17, 0, tzinfo=AMS)
BEFORE_DEADLINE = ANSWER_DEADLINE - timedelta(days=3)

SECTORS = ("vvt", "ghz", "ggz", "ziekenhuis", "mbo", "hbo", "gemeente", "zorgkantoor")
REGIONS = ("Achterhoek", "Twente", "Zwolle")
FIRST_NAMES = ("Anneke", "Bram", "Carla")
PER_THEME = 6
THEMES = ("innovatie", "behoud_betrokkenheid")


def _registry() -> list[RegistryRow]:
    """24 people: every sector in every region, a third of them reading English."""
    rows: list[RegistryRow] = []
    for s, sector in enumerate(SECTORS):
        for r, region in enumerate(REGIONS):
            rows.append(
                RegistryRow(
                    row=len(rows) + 2,
                    organisation=f"Stichting {sector.title()} {region}",
                    sector=sector,
                    region=region,
                    name=f"{FIRST_NAMES[r]} {sector.title()}-{region}",
                    email=f"{sector}.{region.lower()}@example.org",
                    role=("bestuurder", "teamleider", "beleidsadviseur")[(s + r) % 3],
                    language="en" if r == 1 else "nl",
                )
            )
    return rows


def _spec() -> RoundSpec:
    def slot(day: int, hour: int) -> SlotSpec:
        start = datetime(2030, 3, day, hour, 0, tzinfo=AMS)
        return SlotSpec(start=start, end=start + timedelta(minutes=90))

    return RoundSpec(
        slug="voorjaar-2030",
        name="Consultatieronde voorjaar 2030",
        answer_deadline=ANSWER_DEADLINE,
        input_deadline=datetime(2030, 4, 30, 23, 59, tzinfo=AMS),
        invitees_per_theme=PER_THEME,
        group_min=2,
        group_max=4,
        themes=[
            ThemeSpec(slug="innovatie", slots=[slot(10, 10), slot(12, 14)]),
            ThemeSpec(slug="behoud_betrokkenheid", slots=[slot(11, 10), slot(13, 14)]),
        ],
    )


def _launch(app: App) -> int:
    with app.db.unit_of_work() as session:
        sync_reference_data(session, app.taxonomy)
        counts = store_rows(session, _registry())
        assert (counts.created, counts.updated, counts.unchanged) == (24, 0, 0)
        result = launch_round(session, _spec(), "Secretariaat WiZ", "secretariaat@wiz.example")
        return result.round_id


def _count(session: Session, model: type[object]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _invitations_by_theme(session: Session, round_id: int) -> dict[str, list[Invitation]]:
    by_theme: dict[str, list[Invitation]] = {t: [] for t in THEMES}
    for invitation in session.scalars(
        select(Invitation).where(Invitation.round_id == round_id).order_by(Invitation.id)
    ):
        by_theme[invitation.theme_preferences[0]].append(invitation)
    return by_theme


def _answer(app: App, invitation_ids: list[int], accepted: bool = True) -> None:
    with app.db.unit_of_work() as session:
        for invitation_id in invitation_ids:
            invitation = session.get_one(Invitation, invitation_id)
            assert record_answer(invitation, accepted, BEFORE_DEADLINE)


def _queue_all(app: App, round_id: int) -> int:
    with app.db.unit_of_work() as session:
        ids = list(session.scalars(select(Invitation.id).where(Invitation.round_id == round_id)))
        return queue_invitations(session, app.mail_context(), ids)


# --------------------------------------------------------------------------------------------
# Registry and launch


def test_registry_rows_are_stored_once_and_updated_by_email(app: App) -> None:
    rows = _registry()
    with app.db.unit_of_work() as session:
        sync_reference_data(session, app.taxonomy)
        sync_reference_data(session, app.taxonomy)  # re-syncing config adds nothing
        first = store_rows(session, rows)
    with app.db.unit_of_work() as session:
        again = store_rows(session, rows)
        moved = replace(rows[0], role="voorzitter raad van bestuur")
        changed = store_rows(session, [moved])

    assert (first.created, first.updated, first.unchanged) == (24, 0, 0)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 24)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 0)
    with app.db.unit_of_work() as session:
        assert _count(session, Person) == 24
        assert _count(session, Organisation) == 24
        assert _count(session, Region) == len(app.taxonomy.regions)
        person = session.scalars(select(Person).where(Person.email == rows[0].email)).one()
        assert person.role == "voorzitter raad van bestuur"
        assert (person.organisation.sector, person.organisation.region.name) == (
            "vvt",
            "Achterhoek",
        )


def test_launch_refuses_a_holiday_slot_naming_the_holiday_and_creates_nothing(app: App) -> None:
    spec = _spec()
    christmas = datetime(2030, 12, 25, 10, 0, tzinfo=AMS)
    holiday = SlotSpec(start=christmas, end=christmas + timedelta(minutes=90))
    themes = [spec.themes[0].model_copy(update={"slots": [holiday]}), spec.themes[1]]
    spec = spec.model_copy(
        update={"themes": themes, "input_deadline": datetime(2031, 1, 31, 17, 0, tzinfo=AMS)}
    )
    with app.db.unit_of_work() as session:
        sync_reference_data(session, app.taxonomy)
        store_rows(session, _registry())
    with pytest.raises(LaunchError) as refused, app.db.unit_of_work() as session:
        launch_round(session, spec, "Secretariaat WiZ", "secretariaat@wiz.example")
    assert "2030-12-25 10:00: valt op een feestdag (Eerste Kerstdag)" in str(refused.value)
    with app.db.unit_of_work() as session:
        assert _count(session, Round) == 0


def test_launch_creates_round_slots_and_mixed_invitations_once(app: App) -> None:
    round_id = _launch(app)

    with app.db.unit_of_work() as session:
        rnd = session.get_one(Round, round_id)
        assert (rnd.slug, rnd.status) == ("voorjaar-2030", RoundStatus.INVITING)
        assert rnd.answer_deadline == ANSWER_DEADLINE
        slots = session.scalars(
            select(CandidateSlot).where(CandidateSlot.round_id == round_id)
        ).all()
        assert Counter(s.theme.slug for s in slots) == {"innovatie": 2, "behoud_betrokkenheid": 2}
        assert {s.start for s in slots} == {
            datetime(2030, 3, d, h, tzinfo=AMS) for d, h in ((10, 10), (12, 14), (11, 10), (13, 14))
        }

        by_theme = _invitations_by_theme(session, round_id)
        everyone = [i.person_id for invs in by_theme.values() for i in invs]
        assert len(everyone) == len(set(everyone)) == 2 * PER_THEME, "one theme per person"
        for theme, invitations in by_theme.items():
            assert len(invitations) == PER_THEME
            sectors = [i.person.organisation.sector for i in invitations]
            regions = {i.person.organisation.region.name for i in invitations}
            # A mix: no sector twice in one theme, and every region represented.
            assert len(set(sectors)) == PER_THEME, (theme, sectors)
            assert regions == set(REGIONS), (theme, regions)
            # The other theme follows as second preference.
            assert invitations[0].theme_preferences == [theme, *(t for t in THEMES if t != theme)]
            assert all(i.status == InvitationStatus.PENDING for i in invitations)

    with app.db.unit_of_work() as session:
        again = launch_round(session, _spec(), "Secretariaat WiZ", "secretariaat@wiz.example")
    assert (again.round_id, again.slots_created, again.invitations_created) == (round_id, 0, 0)
    assert again.invitations_total == 2 * PER_THEME
    with app.db.unit_of_work() as session:
        assert _count(session, Round) == 1
        assert _count(session, CandidateSlot) == 4
        assert _count(session, Invitation) == 2 * PER_THEME


# --------------------------------------------------------------------------------------------
# Invitation emails


def test_queue_invitations_writes_one_email_with_its_own_token_per_invitation(app: App) -> None:
    round_id = _launch(app)
    base_url = app.settings.base_url

    with app.db.unit_of_work() as session:
        pending = pending_invitation_ids(session, round_id)
        assert len(pending) == 2 * PER_THEME
        assert queue_invitations(session, app.mail_context(), pending) == 2 * PER_THEME
    # A retried task: everything is already queued, nothing is added and no token minted.
    assert _queue_all(app, round_id) == 0

    with app.db.unit_of_work() as session:
        assert pending_invitation_ids(session, round_id) == []
        messages = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        tokens = session.scalars(select(AccessToken)).all()
        assert len(messages) == len(tokens) == 2 * PER_THEME
        hashes = {t.token_hash: t for t in tokens}
        seen = set()
        for message in messages:
            invitation = session.get_one(Invitation, message.invitation_id)
            person = invitation.person
            assert message.kind == OutboxKind.INVITATION
            assert message.status == OutboxStatus.PENDING
            assert message.idempotency_key == invitation_key(invitation.id)
            assert (message.recipient_email, message.recipient_name) == (person.email, person.name)
            assert (message.round_id, message.person_id) == (round_id, person.id)
            greeting = "Dear" if person.language == "en" else "Beste"
            assert message.text_body.startswith(f"{greeting} {person.name},")
            assert "Consultatieronde voorjaar 2030" in message.subject

            # Stored with a placeholder; the sender puts the token in.
            assert re.search(re.escape(base_url) + r"/i/\[link:", message.text_body)
            mail = with_links(to_outgoing(message), message.sealed_links, app.sealer)
            found = re.findall(re.escape(base_url) + r"/i/([A-Za-z0-9_-]+)", mail.text)
            assert len(set(found)) == 1, mail.text
            token = found[0]
            assert token not in message.text_body + message.html_body
            assert f'href="{base_url}/i/{token}"' in mail.html
            assert len(token) >= 40
            seen.add(token)
            # Only the hash is kept with the invitation.
            stored = hashes[hash_token(token)]
            assert stored.invitation_id == invitation.id
            assert stored.purpose == "invitation"
            assert token not in (stored.token_hash, stored.purpose)
        assert len(seen) == 2 * PER_THEME, "every invitee gets a different link"
        assert all(token not in h for token in seen for h in hashes), (
            "a clear token ended up in access_token"
        )


# --------------------------------------------------------------------------------------------
# Answers


def test_record_answer_is_idempotent_and_refused_after_the_deadline(app: App) -> None:
    round_id = _launch(app)
    with app.db.unit_of_work() as session:
        first, second = _invitations_by_theme(session, round_id)["innovatie"][:2]
        first_id, second_id = first.id, second.id
        assert record_answer(first, True, BEFORE_DEADLINE) is True

    with app.db.unit_of_work() as session:
        invitation = session.get_one(Invitation, first_id)
        assert invitation.status == InvitationStatus.ACCEPTED
        assert invitation.answered_at == BEFORE_DEADLINE
        # The invitee clicks "yes" again a day later: nothing changes, not even the time.
        later = BEFORE_DEADLINE + timedelta(days=1)
        assert record_answer(invitation, True, later) is False
    with app.db.unit_of_work() as session:
        invitation = session.get_one(Invitation, first_id)
        assert (invitation.status, invitation.answered_at) == (
            InvitationStatus.ACCEPTED,
            BEFORE_DEADLINE,
        )

    with app.db.unit_of_work() as session:
        late = session.get_one(Invitation, second_id)
        with pytest.raises(AnswerError, match="termijn"):
            record_answer(late, True, ANSWER_DEADLINE + timedelta(minutes=1))
        # Changing one's preferences after the deadline is refused; withdrawing is not, until
        # the input deadline (scheduling then frees the seat).
        first = session.get_one(Invitation, first_id)
        with pytest.raises(AnswerError):
            record_answer(
                first, True, ANSWER_DEADLINE + timedelta(hours=1), ["behoud_betrokkenheid"]
            )
        with pytest.raises(AnswerError):
            record_answer(first, False, datetime(2030, 5, 1, 12, 0, tzinfo=AMS))
    with app.db.unit_of_work() as session:
        late = session.get_one(Invitation, second_id)
        assert (late.status, late.answered_at) == (InvitationStatus.PENDING, None)
        assert session.get_one(Invitation, first_id).status == InvitationStatus.ACCEPTED
    with app.db.unit_of_work() as session:
        first = session.get_one(Invitation, first_id)
        assert record_answer(first, False, ANSWER_DEADLINE + timedelta(hours=1)) is True
        assert first.status == InvitationStatus.DECLINED
        # And once declined, there is no way back in after the deadline.
        with pytest.raises(AnswerError):
            record_answer(first, True, ANSWER_DEADLINE + timedelta(hours=2))


# --------------------------------------------------------------------------------------------
# Scheduling


def _seats(session: Session, round_id: int) -> dict[int, tuple[int, str]]:
    """person id -> (session id, theme slug) for everyone scheduled."""
    seats: dict[int, tuple[int, str]] = {}
    for attendee in session.scalars(
        select(SessionAttendee)
        .join(SessionAttendee.session)
        .where(
            ConsultationSession.round_id == round_id,
            SessionAttendee.status == AttendeeStatus.SCHEDULED,
        )
    ):
        assert attendee.person_id not in seats, "a person is placed twice"
        seats[attendee.person_id] = (attendee.session_id, attendee.session.theme.slug)
    return seats


def test_schedule_places_everyone_accepted_then_only_late_acceptances(app: App) -> None:
    round_id = _launch(app)
    with app.db.unit_of_work() as session:
        by_theme = _invitations_by_theme(session, round_id)
        innovatie = [i.id for i in by_theme["innovatie"]]
        behoud = [i.id for i in by_theme["behoud_betrokkenheid"]]
        person_of = {i.id: i.person_id for invs in by_theme.values() for i in invs}
    _answer(app, innovatie[:5] + behoud[:3])
    _answer(app, [behoud[4]], accepted=False)

    with app.db.unit_of_work() as session:
        result = scheduling.schedule(session, app, round_id, BEFORE_DEADLINE)
    # innovatie: 5 people, at most 4 per group -> 2 groups; behoud: 3 people -> 1 group.
    assert (result.sessions_created, result.attendees_added, result.unplaced) == (3, 8, {})

    with app.db.unit_of_work() as session:
        seats = _seats(session, round_id)
        expected = {person_of[i]: "innovatie" for i in innovatie[:5]}
        expected |= {person_of[i]: "behoud_betrokkenheid" for i in behoud[:3]}
        assert {p: theme for p, (_, theme) in seats.items()} == expected
        sessions = session.scalars(
            select(ConsultationSession).where(ConsultationSession.round_id == round_id)
        ).all()
        sizes = Counter(sid for sid, _ in seats.values())
        assert sorted(sizes.values()) == [2, 3, 3]
        slot_starts = {
            (s.theme_id, s.start)
            for s in session.scalars(
                select(CandidateSlot).where(CandidateSlot.round_id == round_id)
            )
        }
        for cs in sessions:
            assert (cs.theme_id, cs.start) in slot_starts
            assert cs.end - cs.start == timedelta(minutes=90)
            assert cs.calendar_uid.endswith("@" + app.mail_context().domain)
            assert cs.meeting_url.startswith(
                f"https://meet.example.org/voorjaar-2030/{cs.theme.slug}"
            )
        assert len({cs.calendar_uid for cs in sessions}) == 3
        assert session.get_one(Round, round_id).status == RoundStatus.SCHEDULED
        before = seats

    with app.db.unit_of_work() as session:
        nothing = schedule_round(session, round_id, app.taxonomy, "wiz.example", BEFORE_DEADLINE)
    assert (nothing.sessions_created, nothing.attendees_added) == (0, 0)

    # A late "yes" for behoud: it joins the existing group, nobody else moves.
    _answer(app, [behoud[3]])
    with app.db.unit_of_work() as session:
        late = schedule_round(session, round_id, app.taxonomy, "wiz.example", BEFORE_DEADLINE)
    assert (late.sessions_created, late.attendees_added, late.unplaced) == (0, 1, {})
    with app.db.unit_of_work() as session:
        after = _seats(session, round_id)
        newcomer = person_of[behoud[3]]
        assert {p: s for p, s in after.items() if p != newcomer} == before
        assert after[newcomer][1] == "behoud_betrokkenheid"
        behoud_sessions = {sid for sid, theme in before.values() if theme == "behoud_betrokkenheid"}
        assert after[newcomer][0] in behoud_sessions
        assert _count(session, ConsultationSession) == 3


def test_a_changed_theme_preference_after_scheduling_never_seats_a_person_twice(
    app: App,
) -> None:
    round_id = _launch(app)
    with app.db.unit_of_work() as session:
        by_theme = _invitations_by_theme(session, round_id)
        first = by_theme["innovatie"][0].id
        person = by_theme["innovatie"][0].person_id
        # Two, so a group can open (group_min is 2).
        second = by_theme["innovatie"][1].id
    _answer(app, [first, second])
    with app.db.unit_of_work() as session:
        schedule_round(session, round_id, app.taxonomy, "wiz.example", BEFORE_DEADLINE)
    with app.db.unit_of_work() as session:
        invitation = session.get_one(Invitation, first)
        assert record_answer(
            invitation, True, BEFORE_DEADLINE, ["behoud_betrokkenheid", "innovatie"]
        )
    with app.db.unit_of_work() as session:
        again = schedule_round(session, round_id, app.taxonomy, "wiz.example", BEFORE_DEADLINE)
        assert again.attendees_added == 0
        seats = session.scalars(
            select(SessionAttendee).where(SessionAttendee.person_id == person)
        ).all()
        assert len(seats) == 1


# --------------------------------------------------------------------------------------------
# Outbox


def test_claimed_messages_are_leased_to_one_sender(app: App) -> None:
    round_id = _launch(app)
    total = _queue_all(app, round_id)
    assert total == 2 * PER_THEME
    now = utcnow()

    with app.db.unit_of_work() as session:
        first = [m.id for m in claim(session, 5, now, LEASE)]
    with app.db.unit_of_work() as session:
        second = [m.id for m in claim(session, 100, now + timedelta(seconds=1), LEASE)]
    with app.db.unit_of_work() as session:
        third = claim(session, 100, now + LEASE - timedelta(seconds=1), LEASE)

    assert len(first) == 5
    assert len(second) == total - 5
    assert not set(first) & set(second)
    assert third == []

    # One message went out before the sender died; the lease runs out on the others.
    with app.db.unit_of_work() as session:
        sent = session.get_one(OutboxMessage, first[0])
        record(sent, DeliveryResult(ok=True, permanent=False, reply="250 OK"), now, RetryPolicy())
    with app.db.unit_of_work() as session:
        reclaimed = claim(session, 100, now + LEASE + timedelta(seconds=2), LEASE)
        assert sorted(m.id for m in reclaimed) == sorted(first[1:] + second)
        assert {m.attempts for m in reclaimed} == {2}
    with app.db.unit_of_work() as session:
        # A sent message is never handed out again, however long it has been.
        much_later = [m.id for m in claim(session, 100, now + 10 * LEASE, LEASE)]
        assert sorted(much_later) == sorted(first[1:] + second)
        assert session.get_one(OutboxMessage, first[0]).status == OutboxStatus.SENT


def test_two_senders_at_the_same_time_never_claim_the_same_message(app: App) -> None:
    """A flow's sender and `consult outbox send` may run at once; nobody gets an email twice."""
    round_id = _launch(app)
    total = _queue_all(app, round_id)
    now = utcnow()
    claimed = threading.Event()
    first: list[int] = []
    failure: list[BaseException] = []

    def first_sender() -> None:
        try:
            with app.db.unit_of_work() as session:
                first.extend(m.id for m in claim(session, 5, now, LEASE))
                claimed.set()
                time.sleep(0.3)  # still holding its transaction while the other one claims
        except BaseException as exc:
            failure.append(exc)
            claimed.set()

    thread = threading.Thread(target=first_sender)
    thread.start()
    assert claimed.wait(10)
    with app.db.unit_of_work() as session:
        second = [m.id for m in claim(session, 100, now, LEASE)]
    thread.join(10)

    assert failure == []
    assert len(first) == 5
    assert not set(first) & set(second)
    with app.db.unit_of_work() as session:
        assert sorted(first + second) == sorted(session.scalars(select(OutboxMessage.id)))
        attempts = session.scalars(select(OutboxMessage.attempts)).all()
        assert list(attempts) == [1] * total


# --------------------------------------------------------------------------------------------
# Contributions and the report


def _contribution(
    row: int,
    email: str,
    text: str,
    permission: QuotePermission = QuotePermission.ROLE_ONLY,
    theme: str = "innovatie",
) -> ContributionRow:
    return ContributionRow(
        row=row,
        email=email,
        theme=theme,
        kind=ContributionKind.PRE_SESSION_ANSWER,
        text=text,
        language="nl",
        quote_permission=permission,
    )


def test_store_contributions_once_and_only_from_invitees(app: App) -> None:
    round_id = _launch(app)
    with app.db.unit_of_work() as session:
        invitations = _invitations_by_theme(session, round_id)["innovatie"]
        invitees = [i.person.email for i in invitations]
        invited = {i.person_id for i in session.scalars(select(Invitation))}
        outsider = session.scalars(
            select(Person.email).where(Person.id.not_in(invited)).order_by(Person.id)
        ).first()
        assert outsider is not None
    # Two accept (group_min is 2); invitees[2] brings in nothing.
    _answer(app, [invitations[0].id, invitations[2].id])
    with app.db.unit_of_work() as session:
        schedule_round(session, round_id, app.taxonomy, "wiz.example", BEFORE_DEADLINE)

    rows = [
        _contribution(2, invitees[0], "Leerwerkplekken in de wijk werken goed."),
        _contribution(3, invitees[1], "Zij-instromers hebben een vaste begeleider nodig."),
        _contribution(4, outsider, "Ik ben niet uitgenodigd maar heb wel een mening."),
        _contribution(5, "onbekend@example.org", "Wie ben ik?"),
        _contribution(
            6, invitees[1], "Meer ruimte voor eigen regie.", theme="behoud_betrokkenheid"
        ),
    ]
    refused = [
        InputError(4, "email", "niet uitgenodigd voor deze ronde"),
        InputError(5, "email", "niet uitgenodigd voor deze ronde"),
    ]

    with app.db.unit_of_work() as session:
        first = store_contributions(session, round_id, rows)
    with app.db.unit_of_work() as session:
        second = store_contributions(session, round_id, rows)

    assert (first.stored, first.already_present, first.errors) == (3, 0, refused)
    assert (second.stored, second.already_present, second.errors) == (0, 3, refused)
    with app.db.unit_of_work() as session:
        stored = session.scalars(select(Contribution).order_by(Contribution.id)).all()
        assert [(c.person.email, c.theme.slug, c.text) for c in stored] == [
            (invitees[0], "innovatie", "Leerwerkplekken in de wijk werken goed."),
            (invitees[1], "innovatie", "Zij-instromers hebben een vaste begeleider nodig."),
            (invitees[1], "behoud_betrokkenheid", "Meer ruimte voor eigen regie."),
        ]
        # The one who was scheduled has the contribution tied to their session.
        seat = _seats(session, round_id)[stored[0].person_id][0]
        assert [c.session_id for c in stored] == [seat, None, None]


def test_report_content_respects_quote_permissions(app: App, tmp_path: Path) -> None:
    round_id = _launch(app)
    with app.db.unit_of_work() as session:
        a, b, c = _invitations_by_theme(session, round_id)["innovatie"][:3]
        people = {
            key: (inv.person.email, inv.person.name, inv.person.role, inv.person.organisation)
            for key, inv in zip("abc", (a, b, c), strict=True)
        }
        sector = {k: app.taxonomy.sector(p[3].sector).name_nl for k, p in people.items()}
        region = {k: p[3].region.name for k, p in people.items()}

    secret = "Onze raad van toezicht blokkeert elke vernieuwing."
    rows = [
        _contribution(
            2, people["a"][0], "Roostervrijheid houdt mensen vast.", QuotePermission.ATTRIBUTABLE
        ),
        _contribution(
            3, people["b"][0], "Stagebegeleiding moet betaald worden.", QuotePermission.ROLE_ONLY
        ),
        _contribution(4, people["c"][0], secret, QuotePermission.NOT_QUOTABLE),
    ]
    with app.db.unit_of_work() as session:
        assert store_contributions(session, round_id, rows).stored == 3
        stored = {x.text: x for x in session.scalars(select(Contribution))}
        session.add(
            BuildingBlock(
                round_id=round_id,
                theme_id=stored[secret].theme_id,
                title="Ruimte voor professionals",
                status=BlockStatus.APPROVED,
                contributions=[stored["Roostervrijheid houdt mensen vast."], stored[secret]],
            )
        )
        ids = {k: stored[r.text].id for k, r in zip("abc", rows, strict=True)}

    with app.db.unit_of_work() as session:
        report = gather(session, round_id, app.taxonomy, "nl", utcnow())

    [section] = report.themes
    assert section.slug == "innovatie"
    [block] = section.blocks
    views = {v.id: v for v in (*block.contributions, *section.unassigned)}
    assert [v.id for v in block.contributions] == sorted([ids["a"], ids["c"]])
    assert [v.id for v in section.unassigned] == [ids["b"]]

    attributable, role_only, not_quotable = views[ids["a"]], views[ids["b"]], views[ids["c"]]
    assert attributable.quote == "Roostervrijheid houdt mensen vast."
    assert people["a"][1] in attributable.attribution
    assert people["a"][3].name in attributable.attribution

    assert role_only.quote == "Stagebegeleiding moet betaald worden."
    assert role_only.attribution == f"{people['b'][2]}, {sector['b']}, {region['b']}"

    assert not_quotable.quote is None
    assert not_quotable.attribution == f"{sector['c']}, {region['c']}"

    everything = repr(report)
    for hidden in (
        secret,
        people["b"][1],
        people["b"][3].name,
        people["c"][1],
        people["c"][3].name,
        people["b"][0],
        people["c"][0],
    ):
        assert hidden not in everything

    # And so in what staff open: the written report files.
    files = write_report(app.env, report, tmp_path / "report")
    for path in (files.html, files.markdown, files.json):
        written = path.read_text(encoding="utf-8")
        assert secret not in written
        assert people["b"][1] not in written and people["c"][1] not in written
    assert people["a"][1] in files.html.read_text(encoding="utf-8")
    assert "Stagebegeleiding moet betaald worden." in files.markdown.read_text(encoding="utf-8")

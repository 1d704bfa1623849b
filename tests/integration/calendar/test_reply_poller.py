"""The calendar-reply poller against a real IMAP server (a private Dovecot) and a real database
(SQLite, and PostgreSQL where CONSULT_TEST_DATABASE_URL is set).

A round is scheduled and its calendar invitations queued; one session then moves (SEQUENCE 1)
and its attendees are sent the update. Answers arrive in the shapes Outlook, Gmail, Apple
Calendar and Thunderbird send (tests/integration/calendar/replies/*.eml, filled in with the
real UIDs and addresses), next to an answer from someone who was not invited, one to the old
SEQUENCE, one for an unknown event and a corrupt mail.
"""

from __future__ import annotations

import imaplib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from consult.app import replies
from consult.cli_replies import replies_app
from consult.events import Signal
from consult.rounds import calendar_replies as reply_service
from consult.rounds.calendar_changes import move_session
from consult.rounds.calendar_invites import queue_calendar_invites
from consult.rounds.reply_poller import PROCESSED_KEYWORD, PollCounts, poll_once
from consult.settings import ImapSettings
from consult.wiring import App
from models import (
    AttendeeStatus,
    CalendarReply,
    ConsultationSession,
    Invitation,
    InvitationStatus,
    Person,
    ReplyOutcome,
    SessionAttendee,
)
from tests.integration.calendar.reply_fixtures import FIXTURES, ReplyValues, load
from tests.integration.calendar.rounds import scheduled_round

T0 = datetime(2030, 3, 2, 9, 0, tzinfo=UTC)  # after the answer deadline, before the sessions
HOUR = timedelta(hours=1)
ALIAS = "anneke.secretariaat@mail.zorg-oost.example"  # Outlook answers from another address
ATTACKER = "attacker@evil.example"
STRANGER = "onbekend@elders.example"
DELEGATE = "jorg.tenbrink@zorg-oost.example"
DELEGATE_NAME = "Jörg ten Brink"


@dataclass(frozen=True)
class Seat:
    person_id: int
    email: str
    name: str


@dataclass(frozen=True)
class Cast:
    """Who answers what: session A was moved (SEQUENCE 1), session B was not (SEQUENCE 0)."""

    a_id: int
    b_id: int
    a: list[Seat]
    b: list[Seat]
    messages: dict[str, bytes]


def _seats(app: App, session_id: int) -> tuple[ConsultationSession, list[Seat]]:
    with app.db.unit_of_work() as session:
        cs = session.get_one(ConsultationSession, session_id)
        seats = [
            Seat(a.person_id, a.person.email, a.person.name)
            for a in sorted(cs.attendees, key=lambda a: a.person_id)
        ]
        return cs, seats


def _values(cs: ConsultationSession, seat: Seat, sequence: int, **extra: str) -> ReplyValues:
    return ReplyValues(
        uid=cs.calendar_uid,
        sequence=sequence,
        attendee=seat.email,
        attendee_name=seat.name,
        start=cs.start,
        end=cs.end,
        summary="Consultatieronde voorjaar 2030",
        location=cs.meeting_url,
        **extra,  # type: ignore[arg-type]
    )


def _cast(app: App) -> Cast:
    plan = scheduled_round(app)
    a_id, b_id = plan.session_ids[0], plan.session_ids[1]
    with app.db.unit_of_work() as session:
        assert queue_calendar_invites(session, app.mail_context(), plan.session_ids, T0) == 8
    with app.db.unit_of_work() as session:
        cs = session.get_one(ConsultationSession, a_id)
        assert move_session(session, a_id, start=cs.start + HOUR, end=cs.end + HOUR)
    with app.db.unit_of_work() as session:
        assert queue_calendar_invites(session, app.mail_context(), [a_id], T0 + HOUR) == 3
    cs_a, a = _seats(app, a_id)
    cs_b, b = _seats(app, b_id)
    assert cs_a.calendar_sequence == 1 and cs_b.calendar_sequence == 0
    assert len(a) >= 3 and len(b) >= 2
    stranger = Seat(0, STRANGER, "Onbekende Afzender")
    messages = {
        # ATTENDEE in upper case, From in lower case: the same address.
        "outlook_accept": load(
            "outlook_accept",
            _values(cs_a, Seat(0, a[0].email.upper(), a[0].name), 1, sender=a[0].email),
        ),
        "gmail_decline": load("gmail_decline", _values(cs_a, a[1], 1)),
        "apple_tentative": load("apple_tentative", _values(cs_b, b[0], 0)),
        "thunderbird_delegate": load(
            "thunderbird_delegate",
            _values(cs_b, b[1], 0, delegate=DELEGATE, delegate_name=DELEGATE_NAME),
        ),
        "uninvited": load("uninvited", _values(cs_a, stranger, 1)),
        "stale_sequence": load("stale_sequence", _values(cs_a, a[2], 0)),
        "unknown_uid": load("unknown_uid", _values(cs_a, a[0], 0)),
        "corrupt": load("corrupt", _values(cs_a, stranger, 0)),
    }
    assert set(messages) == set(FIXTURES)
    return Cast(a_id, b_id, a, b, messages)


# --- IMAP from the test's side -----------------------------------------------------------------


@contextmanager
def _imap(settings: ImapSettings, folder: str = "INBOX") -> Iterator[imaplib.IMAP4]:
    client = imaplib.IMAP4(settings.host, settings.port, timeout=10)
    client.login(settings.username, settings.password.get_secret_value())
    typ, _ = client.select(f'"{folder}"')
    assert typ == "OK", folder
    try:
        yield client
    finally:
        client.logout()


def _append(settings: ImapSettings, messages: list[bytes]) -> None:
    with _imap(settings) as client:
        for raw in messages:
            typ, data = client.append("INBOX", None, None, raw)
            assert typ == "OK", data


def _flags(settings: ImapSettings, folder: str = "INBOX") -> list[set[str]]:
    """The flags of every message in the folder, in UID order."""
    with _imap(settings, folder) as client:
        typ, data = client.uid("FETCH", "1:*", "(FLAGS)")
        assert typ == "OK"
        found = []
        for item in data:
            if not isinstance(item, bytes):
                continue
            match = re.search(rb"FLAGS \(([^)]*)\)", item)
            assert match is not None, item
            found.append(set(match.group(1).decode().split()))
        return found


def _strip_keyword(settings: ImapSettings) -> None:
    """As if the poller had died after committing, before marking the mail."""
    with _imap(settings) as client:
        typ, _ = client.uid("STORE", "1:*", "-FLAGS.SILENT", f"({PROCESSED_KEYWORD} \\Seen)")
        assert typ == "OK"


# --- the database from the test's side ---------------------------------------------------------


def _replies(app: App) -> dict[str, CalendarReply]:
    with app.db.unit_of_work() as session:
        return {r.message_key: r for r in session.scalars(select(CalendarReply))}


def _message_key(raw: bytes) -> str:
    from consult.calendar.replies import parse_message

    result = parse_message(raw)
    return result.mail.message_key if not isinstance(result, list) else result[0].message_key


def _seat_state(app: App, session_id: int, person_id: int) -> tuple[str, AttendeeStatus, str]:
    """(seat PARTSTAT, seat status, invitation status)"""
    with app.db.unit_of_work() as session:
        seat = session.scalars(
            select(SessionAttendee).where(
                SessionAttendee.session_id == session_id, SessionAttendee.person_id == person_id
            )
        ).one()
        cs = session.get_one(ConsultationSession, session_id)
        invitation = session.scalars(
            select(Invitation).where(
                Invitation.round_id == cs.round_id, Invitation.person_id == person_id
            )
        ).one()
        return seat.partstat, seat.status, invitation.status.value


def _counts(counts: PollCounts) -> tuple[int, int, int, int, int]:
    return (counts.messages, counts.applied, counts.set_aside, counts.duplicates, counts.failed)


def _cli(*args: str) -> Result:
    # A wide terminal keeps table cells on one line; the actor comes from --by only.
    env = {"COLUMNS": "300", "CONSULT_ACTOR": None}
    return CliRunner().invoke(replies_app, list(args), env=env)


# --- the tests ------------------------------------------------------------------------------


def test_poller_applies_valid_replies_sets_aside_the_rest_and_never_twice(
    app: App, imap_settings: ImapSettings
) -> None:
    cast = _cast(app)
    order = list(FIXTURES)
    _append(imap_settings, [cast.messages[name] for name in order])
    keys = {name: _message_key(cast.messages[name]) for name in order}

    signals: list[Signal] = []
    counts = replies.poll(app, imap_settings, T0 + 2 * HOUR, emitter=signals.append)
    assert _counts(counts) == (8, 4, 4, 0, 0), counts.errors
    # Answers that change the seating (a decline, a delegation) are signalled once, after their
    # commit, like a withdrawal on the web page; accepts, tentatives and set-asides are not.
    assert [s.event for s in signals] == ["consult.invitation.responded"] * 2
    assert sorted(str(s.payload["partstat"]) for s in signals) == ["DECLINED", "DELEGATED"]
    assert {s.attributes["consult.round.status"] for s in signals} == {"scheduled"}

    rows = _replies(app)
    assert set(rows) == set(keys.values())
    outcome = {name: rows[keys[name]].outcome for name in order}
    assert outcome == {
        "outlook_accept": ReplyOutcome.APPLIED,
        "gmail_decline": ReplyOutcome.APPLIED,
        "apple_tentative": ReplyOutcome.APPLIED,
        "thunderbird_delegate": ReplyOutcome.APPLIED,
        "uninvited": ReplyOutcome.SET_ASIDE,
        "stale_sequence": ReplyOutcome.SET_ASIDE,
        "unknown_uid": ReplyOutcome.SET_ASIDE,
        "corrupt": ReplyOutcome.SET_ASIDE,
    }
    reason = {name: rows[keys[name]].reason for name in order}
    assert reason["uninvited"] == "afzender/attendee niet uitgenodigd"
    assert reason["stale_sequence"] == "verouderde SEQUENCE (0 < 1)"
    assert reason["unknown_uid"] == "onbekende UID"
    assert reason["corrupt"].startswith("onleesbaar bericht: ")
    assert keys["corrupt"].startswith("sha256:")  # it has no Message-ID

    # Outlook: matched on ATTENDEE and From in any case.
    a0, a1, a2 = cast.a[:3]
    b0, b1 = cast.b[:2]
    outlook = rows[keys["outlook_accept"]]
    assert (outlook.attendee, outlook.sender) == (a0.email.lower(), a0.email.lower())
    assert (outlook.sequence, outlook.session_id) == (1, cast.a_id)
    assert outlook.invitation_id is not None and outlook.mailbox_uid == "1"
    assert _seat_state(app, cast.a_id, a0.person_id) == (
        "ACCEPTED",
        AttendeeStatus.SCHEDULED,
        "accepted",
    )
    # Declined: invitation declined, the seat stays (re-seating is the secretariat's call).
    assert _seat_state(app, cast.a_id, a1.person_id) == (
        "DECLINED",
        AttendeeStatus.SCHEDULED,
        "declined",
    )
    # Stale: nothing changed.
    assert _seat_state(app, cast.a_id, a2.person_id) == (
        "NEEDS-ACTION",
        AttendeeStatus.SCHEDULED,
        "accepted",
    )
    # Tentative: the seat only; the invitation keeps its acceptance.
    assert _seat_state(app, cast.b_id, b0.person_id) == (
        "TENTATIVE",
        AttendeeStatus.SCHEDULED,
        "accepted",
    )
    # Delegated: the delegator's invitation is handed on; the delegate is invited and seated.
    assert _seat_state(app, cast.b_id, b1.person_id) == (
        "DELEGATED",
        AttendeeStatus.SCHEDULED,
        "delegated",
    )
    with app.db.unit_of_work() as session:
        delegate = session.scalars(select(Person).where(Person.email == DELEGATE)).one()
        delegator = session.get_one(Person, b1.person_id)
        assert delegate.name == DELEGATE_NAME
        assert delegate.organisation_id == delegator.organisation_id
        assert delegate.language == delegator.language
        cs_b = session.get_one(ConsultationSession, cast.b_id)
        theirs = session.scalars(
            select(Invitation).where(
                Invitation.round_id == cs_b.round_id, Invitation.person_id == delegate.id
            )
        ).one()
        original = session.scalars(
            select(Invitation).where(
                Invitation.round_id == cs_b.round_id, Invitation.person_id == delegator.id
            )
        ).one()
        assert theirs.status == InvitationStatus.PENDING
        assert theirs.theme_preferences == original.theme_preferences
    assert _seat_state(app, cast.b_id, delegate.id) == (
        "NEEDS-ACTION",
        AttendeeStatus.SCHEDULED,
        "pending",
    )

    # Every mail is marked handled and read.
    flags = _flags(imap_settings)
    assert len(flags) == 8
    for found in flags:
        assert {PROCESSED_KEYWORD, "\\Seen"} <= found, flags

    # Again: nothing new to read.
    assert _counts(poll_once(app.db, imap_settings, T0 + 3 * HOUR)) == (0, 0, 0, 0, 0)

    # A restart after the commit but before the marking: every mail is read again, and
    # recognised; nothing is applied twice and no row is added.
    _strip_keyword(imap_settings)
    with app.db.unit_of_work() as session:
        # Something changed since (the web, the secretariat): the old mail must not undo it.
        seat = session.scalars(
            select(SessionAttendee).where(
                SessionAttendee.session_id == cast.a_id,
                SessionAttendee.person_id == a0.person_id,
            )
        ).one()
        seat.partstat = "TENTATIVE"
    again = poll_once(app.db, imap_settings, T0 + 4 * HOUR)
    assert _counts(again) == (8, 0, 0, 8, 0)
    assert _seat_state(app, cast.a_id, a0.person_id)[0] == "TENTATIVE"
    with app.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(CalendarReply)) == 8
    assert all({PROCESSED_KEYWORD, "\\Seen"} <= found for found in _flags(imap_settings))

    # The secretariat's view: exactly the four set aside, with their reasons.
    result = _cli("review")
    assert result.exit_code == 0, result.output
    assert "Apart gezette agenda-antwoorden (4)" in result.output
    for text in (
        "afzender/attendee niet uitgenodigd",
        "verouderde SEQUENCE (0 < 1)",
        "onbekende UID",
    ):
        assert text in result.output
    assert "onleesbaar bericht" in result.output
    assert STRANGER in result.output and a2.email in result.output
    assert "7kukuqrfedlm2f9t6vh2ak3k1o@google.com" in result.output
    assert a1.email not in result.output  # applied ones are not listed

    # One handled: it leaves the list and shows, with who, under --all.
    stale_id = rows[keys["stale_sequence"]].id
    result = _cli("review", "--resolve", str(stale_id), "--by", "Marieke (secretariaat)")
    assert result.exit_code == 0, result.output
    again_result = _cli("review", "--resolve", str(stale_id), "--by", "Marieke")
    assert again_result.exit_code == 1 and "staat niet apart" in again_result.output
    result = _cli("review")
    assert "Apart gezette agenda-antwoorden (3)" in result.output
    assert a2.email not in result.output
    result = _cli("review", "--all")
    assert result.exit_code == 0, result.output
    assert "Agenda-antwoorden (8)" in result.output
    assert "afgehandeld door Marieke (secretariaat)" in result.output
    assert result.output.count("toegepast") == 4


def test_poll_command_moves_handled_mail_and_leaves_peoples_mail_unread(
    app: App, imap_settings: ImapSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    cast = _cast(app)
    note = (
        b"From: Bram <bram@zorg.example>\r\nTo: secretariaat@wiz.example\r\n"
        b"Subject: Vraag over de sessie\r\nMessage-ID: <vraag-1@zorg.example>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nKan ik ook later aansluiten?\r\n"
    )
    _append(imap_settings, [cast.messages["apple_tentative"], note])

    # No mailbox configured: the command says so.
    result = _cli("poll")
    assert result.exit_code == 2
    assert "geen mailbox ingesteld" in result.output

    for key, value in {
        "HOST": imap_settings.host,
        "PORT": str(imap_settings.port),
        "TLS": "none",
        "USERNAME": imap_settings.username,
        "PASSWORD": imap_settings.password.get_secret_value(),
        "PROCESSED_FOLDER": "Verwerkt agenda",
    }.items():
        monkeypatch.setenv(f"CONSULT_IMAP__{key}", value)
    result = _cli("poll")
    assert result.exit_code == 0, result.output
    assert "2 nieuwe berichten: 1 toegepast, 1 apart gezet, 0 al eerder verwerkt" in result.output

    # The answer moved to the processed folder (made for it); the person's mail stayed, unread.
    (left,) = _flags(imap_settings)
    assert PROCESSED_KEYWORD in left and "\\Seen" not in left
    (moved,) = _flags(imap_settings, "Verwerkt agenda")
    assert {PROCESSED_KEYWORD, "\\Seen"} <= moved
    with app.db.unit_of_work() as session:
        reasons = {
            r.message_key: (r.outcome, r.reason) for r in session.scalars(select(CalendarReply))
        }
    assert reasons["<vraag-1@zorg.example>"] == (
        ReplyOutcome.SET_ASIDE,
        "geen agenda-antwoord in dit bericht",
    )
    assert _seat_state(app, cast.b_id, cast.b[0].person_id)[0] == "TENTATIVE"

    result = _cli("poll")
    assert result.exit_code == 0, result.output
    assert "0 nieuwe berichten" in result.output


def test_an_error_with_one_mail_does_not_stop_the_others(
    app: App, imap_settings: ImapSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    cast = _cast(app)
    names = ["outlook_accept", "gmail_decline", "apple_tentative"]
    _append(imap_settings, [cast.messages[name] for name in names])
    real = reply_service.handle

    def flaky(session, result, now, **kwargs):  # type: ignore[no-untyped-def]
        if not isinstance(result, list) or result[0].partstat == "DECLINED":
            raise RuntimeError("database even weg")
        return real(session, result, now, **kwargs)

    monkeypatch.setattr(reply_service, "handle", flaky)
    counts = poll_once(app.db, imap_settings, T0 + 2 * HOUR)
    assert _counts(counts) == (3, 2, 0, 0, 1)
    assert "database even weg" in counts.errors[0]
    # The failed mail stays unmarked, and the next pass takes it.
    assert [PROCESSED_KEYWORD in f for f in _flags(imap_settings)] == [True, False, True]
    monkeypatch.setattr(reply_service, "handle", real)
    assert _counts(poll_once(app.db, imap_settings, T0 + 3 * HOUR)) == (1, 1, 0, 0, 0)
    assert _seat_state(app, cast.a_id, cast.a[1].person_id)[2] == "declined"


def test_forged_and_anonymous_replies_are_set_aside_and_change_nothing(
    app: App, imap_settings: ImapSettings
) -> None:
    # A REPLY anyone could write: the victim as ATTENDEE, the victim's session UID (from a
    # forwarded invitation), sent from another address, from an alias, or with no From at all.
    cast = _cast(app)
    cs_a, _ = _seats(app, cast.a_id)
    victim = cast.a[1]
    before = _seat_state(app, cast.a_id, victim.person_id)
    forged = load("gmail_decline", _values(cs_a, victim, 1, sender=ATTACKER))
    alias = load("outlook_accept", _values(cs_a, victim, 1, sender=ALIAS))
    anonymous = re.sub(
        rb"(?m)^(From|Message-ID): .*\r?\n",
        b"",
        load("apple_tentative", _values(cs_a, victim, 1)),
    )
    assert b"From:" not in anonymous and b"Message-ID:" not in anonymous
    _append(imap_settings, [forged, alias, anonymous])

    signals: list[Signal] = []
    counts = replies.poll(app, imap_settings, T0 + 2 * HOUR, emitter=signals.append)
    assert _counts(counts) == (3, 0, 3, 0, 0), counts.errors
    assert signals == []
    assert _seat_state(app, cast.a_id, victim.person_id) == before
    result = _cli("review")
    assert result.exit_code == 0, result.output
    assert "Apart gezette agenda-antwoorden (3)" in result.output
    assert result.output.count("afzender is niet de attendee") == 2
    assert ATTACKER in result.output and ALIAS in result.output
    assert "bericht zonder afzender (From)" in result.output

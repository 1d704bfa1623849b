"""The MIME shape of calendar mail, as a receiving client parses it.

multipart/mixed {
    multipart/alternative { text/plain, text/html,
                            text/calendar; method=REQUEST|CANCEL; charset=UTF-8 (inline) },
    application/ics attachment invite.ics
}

The method parameter equals METHOD inside the calendar, the calendar part is not marked as an
attachment, and its CRLF line endings survive encoding: checked on a built message, on real
queued outbox rows, and on what a real SMTP server (aiosmtpd, consult.mail.sink.EmlSink) stored.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from consult.calendar.itip import CalendarEvent, Method, build_itip
from consult.mail.mime import OutgoingMail, build_message, make_message_id
from consult.mail.outbox import send_due, to_outgoing, with_links
from consult.mail.sink import EmlSink
from consult.rounds.calendar_changes import remove_attendee
from consult.rounds.calendar_invites import queue_calendar_invites
from consult.settings import Organiser, SmtpSettings
from consult.tokens import hash_token
from consult.wiring import App
from models import AccessToken, OutboxKind, OutboxMessage, OutboxStatus
from tests.integration.calendar.rounds import scheduled_round

AMS = ZoneInfo("Europe/Amsterdam")
ORGANISER = Organiser(
    name="Secretariaat Commissie Werken in de Zorg", email="secretariaat@wiz.example"
)
DATE = datetime(2027, 1, 4, 8, 30, tzinfo=UTC)


def check_calendar_mail(raw: bytes, expected_ics: bytes | None = None) -> str:
    """Assert the layout above on the bytes of one message; return its METHOD."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    assert msg.get_content_type() == "multipart/mixed"
    assert msg["MIME-Version"] == "1.0"
    top = list(msg.iter_parts())
    assert [p.get_content_type() for p in top] == ["multipart/alternative", "application/ics"]
    alternative, attachment = top
    inner = list(alternative.iter_parts())
    assert [p.get_content_type() for p in inner] == ["text/plain", "text/html", "text/calendar"]
    for part in [*top, *inner]:
        assert part["MIME-Version"] is None, "MIME-Version belongs on the top-level header only"
    for body in inner[:2]:
        assert body.get_content_charset() == "utf-8"
        assert not body.is_attachment()

    calendar = inner[2]
    # Inline: no Content-Disposition at all (Outlook treats a disposition as an attachment).
    assert calendar["Content-Disposition"] is None
    assert not calendar.is_attachment()
    assert calendar.get_param("charset") == "UTF-8"
    method = calendar.get_param("method")
    assert isinstance(method, str)
    ics = calendar.get_payload(decode=True)
    assert isinstance(ics, bytes)
    assert str(Calendar.from_ical(ics)["method"]) == method, "Content-Type method != METHOD"
    assert ics.decode("utf-8")  # valid UTF-8
    # CRLF everywhere, and nothing but CRLF.
    assert ics.endswith(b"\r\n")
    assert b"\n" not in ics.replace(b"\r\n", b""), "a bare LF in the calendar"
    assert b"\r" not in ics.replace(b"\r\n", b""), "a bare CR in the calendar"
    assert all(len(line) <= 75 for line in ics.split(b"\r\n")), "unfolded line over 75 octets"

    assert attachment.is_attachment()
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_param("name") == "invite.ics"
    assert attachment.get_payload(decode=True) == ics
    if expected_ics is not None:
        assert ics == expected_ics
    return method


def _event(sequence: int) -> CalendarEvent:
    start = datetime(2027, 1, 14, 10, 0, tzinfo=AMS)
    return CalendarEvent(
        uid="mime-1@wiz.example",
        sequence=sequence,
        start=start,
        end=start + timedelta(minutes=90),
        summary="Consultatieronde 2027: Innovatie — café",
        description="Richtvragen:\n- Wat werkt?\n" + "Een lange regel. " * 12,
        meeting_url="https://meet.example.org/r/innovatie?pwd=a;b",
        organiser_email=ORGANISER.email,
        organiser_name=ORGANISER.name,
        attendee_email="s.devries@zorg.example",
        attendee_name="de Vries, Søren Ünal",
    )


@pytest.mark.parametrize(("method", "sequence"), [("REQUEST", 0), ("REQUEST", 1), ("CANCEL", 2)])
def test_built_message_has_the_calendar_layout(method: Method, sequence: int) -> None:
    ics = build_itip(_event(sequence), method, DATE)
    mail = OutgoingMail(
        message_id=make_message_id("wiz.example", f"mime:{method}:{sequence}"),
        recipient_email="s.devries@zorg.example",
        recipient_name="de Vries, Søren Ünal",
        subject="Agenda-uitnodiging: Innovatie — café",
        text="Beste Søren,\n\nZie de uitnodiging.\n",
        html="<p>Beste Søren,</p><p>Zie de uitnodiging.</p>",
        calendar_ics=ics,
        calendar_method=method,
    )
    message = build_message(mail, ORGANISER, date=DATE)
    # As the generator writes it, and as it goes over SMTP (CRLF line separators).
    for raw in (message.as_bytes(), message.as_bytes(policy=email.policy.SMTP)):
        assert check_calendar_mail(raw, ics) == method


def _queued_calendar_rows(app: App) -> list[OutboxMessage]:
    with app.db.unit_of_work() as session:
        rows = list(
            session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.kind.in_(
                        [OutboxKind.CALENDAR_REQUEST, OutboxKind.CALENDAR_CANCEL]
                    )
                )
                .order_by(OutboxMessage.id)
            )
        )
        session.expunge_all()
        return rows


def test_queued_rows_keep_the_layout_through_a_real_smtp_server(app: App, tmp_path: Path) -> None:
    plan = scheduled_round(app)
    now = datetime(2030, 3, 2, 9, 0, tzinfo=UTC)
    session_id, people = next(iter(plan.seats.items()))
    with app.db.unit_of_work() as session:
        assert queue_calendar_invites(session, app.mail_context(), plan.session_ids, now) == 8
        assert remove_attendee(session, session_id, people[0])
    with app.db.unit_of_work() as session:
        later = now + timedelta(hours=1)
        assert queue_calendar_invites(session, app.mail_context(), plan.session_ids, later) == 1
    rows = _queued_calendar_rows(app)
    assert [r.calendar_method for r in rows] == ["REQUEST"] * 8 + ["CANCEL"]

    # The message as the sender builds it from the row: the personal link put in, in the
    # calendar's description too, where folding at 75 octets may split it.
    organiser = app.settings.organiser
    sent_ics: dict[str, bytes | None] = {}
    for row in rows:
        personal = with_links(to_outgoing(row), row.sealed_links, app.sealer)
        sent_ics[row.message_id] = personal.calendar_ics
        message = build_message(personal, organiser, date=now)
        raw = message.as_bytes(policy=email.policy.SMTP)
        assert check_calendar_mail(raw, personal.calendar_ics) == row.calendar_method
        if row.calendar_method == "REQUEST":
            assert row.calendar_ics is not None and personal.calendar_ics is not None
            assert b"[link:" in row.calendar_ics.replace(b"\r\n ", b"")
            description = str(
                Calendar.from_ical(personal.calendar_ics).walk("VEVENT")[0]["DESCRIPTION"]
            )
            link = re.search(r"/i/([A-Za-z0-9_-]{43})$", description, re.MULTILINE)
            assert link, description
            with app.db.unit_of_work() as session:
                assert session.scalar(
                    select(AccessToken.id).where(AccessToken.token_hash == hash_token(link[1]))
                )

    # ... and as a real SMTP server received and stored it.
    mail_dir = tmp_path / "mail"
    with EmlSink(mail_dir) as sink:
        smtp = SmtpSettings(host="127.0.0.1", port=sink.port, timeout_s=10.0, retry_wait_s=0)
        sending = send_due(app.db, smtp, organiser, sealer=app.sealer)
        counts = asyncio.run(asyncio.wait_for(sending, timeout=60))
    assert counts.sent == len(rows) and counts.failed == 0
    stored = {}
    for path in sorted(mail_dir.glob("*.eml")):
        raw = path.read_bytes()
        assert b"\n" not in raw.replace(b"\r\n", b""), f"{path.name}: bare LF on the wire"
        message_id = email.message_from_bytes(raw, policy=email.policy.default)["Message-ID"]
        stored[str(message_id)] = raw
    assert set(stored) == {r.message_id for r in rows}
    for row in rows:
        assert check_calendar_mail(stored[row.message_id], sent_ics[row.message_id]) == (
            row.calendar_method
        )
    with app.db.unit_of_work() as session:
        statuses = set(
            session.scalars(
                select(OutboxMessage.status).where(OutboxMessage.id.in_([r.id for r in rows]))
            )
        )
    assert statuses == {OutboxStatus.SENT}

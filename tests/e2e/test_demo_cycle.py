"""The whole round on the embedded default, as `consult demo` runs it, checked from the outside:
the mail that arrived at a real SMTP server, the calendar files in it, and the report."""

from __future__ import annotations

import email
import email.policy
import json
from collections import Counter, defaultdict
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from consult.demo.run import DemoResult, prepare_workspace, run_demo
from consult.mail.sink import EmlSink
from consult.settings import CONFIG_ENV
from models import (
    AttendeeStatus,
    ConsultationSession,
    Contribution,
    Invitation,
    Person,
    SessionAttendee,
)
from models.db import Database

pytestmark = pytest.mark.slow
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _read_mail(directory: Path) -> list[EmailMessage]:
    messages = []
    for path in sorted(directory.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        messages.append(message)
    return messages


def _calendar_part(message: EmailMessage) -> bytes | None:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload
    return None


def _recipient(message: EmailMessage) -> str:
    return message["To"].addresses[0].addr_spec.lower()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoResult, Database]:
    workspace = tmp_path_factory.mktemp("demo")
    prepare_workspace(workspace)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CONFIG_ENV, "")  # restored afterwards; the demo points it at its workspace
        with EmlSink(workspace / "mail") as sink:
            result = run_demo(workspace, "127.0.0.1", sink.port, seed=3, progress=lambda *_: None)
    return result, Database(f"sqlite:///{workspace / 'consult.db'}")


def test_every_invited_person_gets_exactly_one_invitation_email(demo_run):
    result, db = demo_run
    messages = [m for m in _read_mail(result.mail_dir) if _calendar_part(m) is None]
    with db.unit_of_work() as session:
        invited = Counter(
            session.scalars(
                select(Person.email).join(Invitation, Invitation.person_id == Person.id)
            )
        )
    assert len(invited) >= 150
    assert Counter(_recipient(m) for m in messages) == invited
    assert len({m["Message-ID"] for m in messages}) == len(messages)
    dutch = next(m for m in messages if "Uitnodiging" in m["Subject"])
    body = dutch.get_body(("plain",))
    assert body is not None and "/i/" in body.get_content()


def test_each_attendee_gets_one_calendar_invitation_at_the_session_time(demo_run):
    result, db = demo_run
    by_recipient: dict[str, list[Calendar]] = defaultdict(list)
    for message in _read_mail(result.mail_dir):
        ics = _calendar_part(message)
        if ics is not None:
            assert b"\r\n" in ics
            by_recipient[_recipient(message)].append(Calendar.from_ical(ics))
    with db.unit_of_work() as session:
        seats = session.execute(
            select(Person.email, ConsultationSession)
            .join(SessionAttendee, SessionAttendee.person_id == Person.id)
            .join(SessionAttendee.session)
            .where(SessionAttendee.status == AttendeeStatus.SCHEDULED)
        ).all()
    assert len(seats) >= 100
    assert set(by_recipient) == {address for address, _ in seats}
    for address, session_row in seats:
        calendars = by_recipient[address]
        assert len(calendars) == 1, address
        calendar = calendars[0]
        assert str(calendar["METHOD"]) == "REQUEST"
        event = calendar.walk("VEVENT")[0]
        start: datetime = event.decoded("DTSTART")
        end: datetime = event.decoded("DTEND")
        assert event["DTSTART"].params["TZID"] == "Europe/Amsterdam"
        assert str(event["UID"]) == session_row.calendar_uid
        assert start == session_row.start and end == session_row.end
        local = session_row.start.astimezone(AMSTERDAM)
        assert (start.hour, start.minute) == (local.hour, local.minute)
        attendee = event["ATTENDEE"]
        assert str(attendee).lower() == f"mailto:{address}"


def test_report_accounts_for_every_contribution_exactly_once(demo_run):
    result, db = demo_run
    export = json.loads(Path(result.report_files["json"]).read_text(encoding="utf-8"))
    placed: list[int] = []
    blocks = 0
    for theme in export["themes"]:
        for block in theme["blocks"]:
            assert block["contribution_ids"], block["title"]
            placed += block["contribution_ids"]
            blocks += 1
        placed += theme["unassigned_contribution_ids"]
    with db.unit_of_work() as session:
        stored = set(session.scalars(select(Contribution.id)))
        not_quotable = [
            c.text
            for c in session.scalars(select(Contribution))
            if c.quote_permission.value == "not_quotable"
        ]
    assert len(stored) >= 100
    assert blocks >= 4
    assert Counter(placed) == Counter(stored)  # each exactly once, none invented
    html = Path(result.report_files["html"]).read_text(encoding="utf-8")
    markdown = Path(result.report_files["markdown"]).read_text(encoding="utf-8")
    assert not_quotable
    for text in not_quotable:
        assert text not in html and text not in markdown

"""A person who is everywhere consult keeps personal data, and tools to look for them: in every
table of the model metadata, in files, in the database file's bytes."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from consult.app import audit, calendar, invitations, reports
from consult.contributions.intake import ContributionRow, store_contributions
from consult.mail.outbox import suppress
from consult.rounds.availability import offered_slots, set_availability
from consult.rounds.delegation import note_attempt
from consult.wiring import App
from models import (
    Base,
    BlockStatus,
    BuildingBlock,
    CalendarReply,
    Contribution,
    ContributionKind,
    CoordinatorRole,
    Invitation,
    Person,
    QuotePermission,
    RegionCoordinator,
    ReplyOutcome,
)
from tests.integration.calendar.rounds import scheduled_round
from tests.integration.db.test_round_services import BEFORE_DEADLINE

# Columns that look like they hold or point at a person: what the privacy map must account for.
PERSONISH = re.compile(
    r"(^|_)(person|invitation|contribution|email|name|address|recipient|sender|attendee"
    r"|delegated|role|text|body|subject|ics|actor|details)(_|$)"
)
# Tables whose rows point at a person, an invitation or a contribution.
REFERENCED = ("person", "invitation", "contribution")


@dataclass(frozen=True)
class Someone:
    person_id: int
    name: str
    email: str
    round_id: int
    invitation_id: int
    contribution_id: int


def someone_everywhere(app: App) -> Someone:
    """A scheduled round (24 people, 8 seated) in which one seated person has answered, ticked
    a time, tried to hand the invitation on, got every mail, handed in an attributable
    contribution that a building block quotes in a written report, replied by calendar, and
    whose address bounced afterwards."""
    scheduled = scheduled_round(app)
    first_session = next(iter(scheduled.seats.values()))
    person_id = first_session[0]
    with app.db.unit_of_work() as session:
        person = session.get_one(Person, person_id)
        invitation = session.scalars(
            select(Invitation).where(
                Invitation.person_id == person_id, Invitation.round_id == scheduled.round_id
            )
        ).one()
        slots = [s.id for s in offered_slots(session, invitation)][:2]
        assert set_availability(session, invitation, slots, BEFORE_DEADLINE)
        note_attempt(session, invitation, BEFORE_DEADLINE, 5, 1)
        who = Someone(person_id, person.name, person.email, scheduled.round_id, invitation.id, 0)
        others = list(
            session.scalars(
                select(Person.email)
                .join(Invitation, Invitation.person_id == Person.id)
                .where(Person.id.in_(first_session[1:]))
            )
        )
    asyncio.run(invitations.send_invitations(app, who.round_id))
    asyncio.run(calendar.send_calendar_invites(app, who.round_id, BEFORE_DEADLINE))
    text = "Geef zij-instromers een vaste begeleider in het eerste jaar."
    rows = [
        ContributionRow(
            2,
            who.email,
            "innovatie",
            ContributionKind.PRE_SESSION_ANSWER,
            text,
            "nl",
            QuotePermission.ATTRIBUTABLE,
        ),
        ContributionRow(
            3,
            others[0],
            "innovatie",
            ContributionKind.PRE_SESSION_ANSWER,
            "Stageplaatsen samen met het mbo regelen.",
            "nl",
            QuotePermission.ATTRIBUTABLE,
        ),
    ]
    with app.db.unit_of_work() as session:
        assert store_contributions(session, who.round_id, rows).stored == 2
        mine, theirs = session.scalars(
            select(Contribution)
            .where(Contribution.round_id == who.round_id)
            .order_by(Contribution.id)
        ).all()
        session.add(
            BuildingBlock(
                round_id=who.round_id,
                theme_id=mine.theme_id,
                title="Begeleiding van nieuwe collega's",
                status=BlockStatus.APPROVED,
                contributions=[mine, theirs],
                quote_ids=[mine.id, theirs.id],
            )
        )
        session.flush()
        reports.compile_report(session, app, who.round_id, "nl", BEFORE_DEADLINE)
        reply = CalendarReply(
            message_key=f"<reply-{who.invitation_id}@mail.example>",
            sender=who.email,
            attendee=who.email,
            event_uid="uid",
            sequence=0,
            partstat="ACCEPTED",
            outcome=ReplyOutcome.APPLIED,
            invitation_id=who.invitation_id,
        )
        session.add(reply)
        session.flush()
        audit.by_invitee(
            session,
            session.get_one(Invitation, who.invitation_id),
            audit.Action.CALENDAR_REPLY,
            {"reply_id": reply.id, "partstat": "ACCEPTED"},
        )
        suppress(session, who.email, f"550 5.1.1 <{who.email}>: user unknown", None)
        # They also sit in their region's steering group.
        region = session.get_one(Person, who.person_id).organisation.region
        session.add(
            RegionCoordinator(
                region=region, name=who.name, email=who.email, role=CoordinatorRole.STUURGROEP
            )
        )
        contribution_id = mine.id
    return Someone(
        who.person_id, who.name, who.email, who.round_id, who.invitation_id, contribution_id
    )


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def tables() -> list[Table]:
    return list(Base.metadata.sorted_tables)


def rows_mentioning(session: Session, needles: Iterable[str]) -> dict[str, int]:
    """Per table, how many rows hold one of `needles` (case-insensitive) in any column."""
    wanted = [n.lower() for n in needles]
    found: dict[str, int] = {}
    for table in tables():
        for row in session.execute(select(table)):
            text = " ".join(_text(v) for v in row).lower()
            if any(n in text for n in wanted):
                found[table.name] = found.get(table.name, 0) + 1
    return found


def rows_referring(session: Session, ids: dict[str, set[int]]) -> dict[str, int]:
    """Per table, how many rows refer (by foreign key, or by a person_id column) to one of the
    given ids of person, invitation or contribution."""
    found: dict[str, int] = {}
    for table in tables():
        for column in table.columns:
            targets = {fk.column.table.name for fk in column.foreign_keys}
            if column.name == "person_id":
                targets.add("person")
            if table.name in REFERENCED and column.primary_key:
                targets.add(table.name)
            for target in targets & set(REFERENCED):
                if not ids.get(target):
                    continue
                n = len(session.execute(select(column).where(column.in_(ids[target]))).all())
                if n:
                    found[table.name] = found.get(table.name, 0) + n
    return found


def files_mentioning(folder: Path, needles: Iterable[str]) -> list[Path]:
    wanted = [n.lower().encode("utf-8") for n in needles]
    return [
        path
        for path in folder.rglob("*")
        if path.is_file() and any(n in path.read_bytes().lower() for n in wanted)
    ]

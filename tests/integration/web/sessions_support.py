"""A session of the world's round with people seated in it, made directly in the database (the
scheduler's own tests cover how sessions come about)."""

from __future__ import annotations

from sqlalchemy import select

from models import (
    ConsultationSession,
    Invitation,
    InvitationStatus,
    Person,
    SessionAttendee,
    Theme,
)
from tests.integration.web.conftest import SESSION_END_INNOVATIE, World


def seat(world: World, emails: list[str], theme: str = "innovatie", group: int = 1) -> int:
    """A planned session of `theme` with the people of `emails` seated (their invitations
    accepted); returns its id."""
    with world.wired.db.unit_of_work() as session:
        theme_id = session.scalars(select(Theme.id).where(Theme.slug == theme)).one()
        planned = ConsultationSession(
            round_id=world.round_id,
            theme_id=theme_id,
            group_number=group,
            start=SESSION_END_INNOVATIE.replace(hour=10, minute=0),
            end=SESSION_END_INNOVATIE,
            meeting_url="https://meet.example/abc",
            calendar_uid=f"session-{theme}-{group}@wiz.example",
        )
        session.add(planned)
        session.flush()
        for email in emails:
            person = session.scalars(select(Person).where(Person.email == email)).one()
            session.add(SessionAttendee(session_id=planned.id, person_id=person.id))
            for invitation in session.scalars(
                select(Invitation).where(
                    Invitation.person_id == person.id, Invitation.round_id == world.round_id
                )
            ):
                invitation.status = InvitationStatus.ACCEPTED
        session.flush()
        return planned.id

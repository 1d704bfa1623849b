"""A round's lineage for the tests: one session with three participants, each with a
contribution of another quote permission, a contribution moved between blocks by staff, and an
approved block (tests/integration/web/test_workplace_lineage.py and the browser test)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from consult.synthesis import decisions
from consult.wiring import App
from models import (
    BuildingBlock,
    ConsultationSession,
    Contribution,
    ContributionKind,
    Invitation,
    Person,
    QuotePermission,
    SessionAttendee,
    Theme,
)

SECRET = "Onze directie weet niet wat er op de werkvloer speelt, zeg dat niet verder."
NAMED = "Leerwerkplekken in de wijk maken het vak zichtbaar voor nieuwe mensen."
BY_ROLE = "Studenten die in de wijk leren blijven vaker bij ons werken."
MOVED = "Een vaste begeleider in het eerste jaar houdt zij-instromers binnen."
OTHER = "Laat de mbo-school en de wijkteams samen roosteren."


@dataclass(frozen=True)
class Lineage:
    round_id: int
    session_id: int
    block_id: int
    other_block_id: int
    named: int
    by_role: int
    secret: int
    moved: int
    names: tuple[str, ...]  # of the three authors in the session, in order


def seed_lineage(wired: App, round_id: int, now: datetime) -> Lineage:
    """One session of the theme innovatie with three participants, each with a contribution
    (attributable, role only, not quotable); a fourth contribution moved from another block;
    the block approved."""
    with wired.db.unit_of_work() as session:
        theme = session.scalars(select(Theme).where(Theme.slug == "innovatie")).one()
        people = session.scalars(
            select(Person)
            .join(Invitation, Invitation.person_id == Person.id)
            .where(Invitation.round_id == round_id)
            .order_by(Person.id)
        ).all()
        start = now + timedelta(days=3)
        cs = ConsultationSession(
            round_id=round_id,
            theme_id=theme.id,
            group_number=2,
            start=start,
            end=start + timedelta(hours=1, minutes=30),
            meeting_url="https://meet.example/innovatie-2",
            calendar_uid="lineage-innovatie-2@consult",
        )
        session.add(cs)
        session.flush()
        for person in people[:3]:
            session.add(SessionAttendee(session_id=cs.id, person_id=person.id))

        def contribution(
            person: Person, text: str, permission: QuotePermission, in_session: bool
        ) -> Contribution:
            made = Contribution(
                round_id=round_id,
                person_id=person.id,
                theme_id=theme.id,
                session_id=cs.id if in_session else None,
                kind=ContributionKind.SESSION_NOTE
                if in_session
                else ContributionKind.PRE_SESSION_ANSWER,
                text=text,
                quote_permission=permission,
                submitted_at=now,
            )
            session.add(made)
            return made

        named = contribution(people[0], NAMED, QuotePermission.ATTRIBUTABLE, True)
        by_role = contribution(people[1], BY_ROLE, QuotePermission.ROLE_ONLY, True)
        secret = contribution(people[2], SECRET, QuotePermission.NOT_QUOTABLE, True)
        moved = contribution(people[3], MOVED, QuotePermission.ATTRIBUTABLE, False)
        other = contribution(people[3], OTHER, QuotePermission.ATTRIBUTABLE, False)
        session.flush()
        block = BuildingBlock(
            round_id=round_id,
            theme_id=theme.id,
            title="Leren in de wijk",
            summary="Opleiden in de wijk bindt studenten aan de zorg.",
            key_terms=["wijk", "leerwerkplek"],
            contributions=[named, by_role, secret],
            quote_ids=[secret.id, by_role.id, named.id],
        )
        elsewhere = BuildingBlock(
            round_id=round_id,
            theme_id=theme.id,
            title="Begeleiding van zij-instromers",
            summary="",
            key_terms=["begeleider"],
            contributions=[moved, other],
        )
        session.add_all([block, elsewhere])
        session.flush()
        decisions.move(session, moved.id, block.id, "staf@wiz.example")
        decisions.approve(session, block.id, "staf@wiz.example")
        return Lineage(
            round_id,
            cs.id,
            block.id,
            elsewhere.id,
            named.id,
            by_role.id,
            secret.id,
            moved.id,
            tuple(p.name for p in people[:3]),
        )

"""What the workplace shows about rounds: the list of rounds with their counts, and one
round's dashboard (the funnel per theme, the addresses mail did not reach, what the service
does next and when, the state of its outgoing mail). Labels are in the current language."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.app.lifecycle import status_label
from consult.app.mailings import held_count
from consult.app.outbox import state_label
from consult.app.status import RoundStatusView, round_status
from consult.mail.operations import OutboxOverview, overview
from models import (
    AttendeeStatus,
    ConsultationSession,
    Invitation,
    InvitationStatus,
    Organisation,
    OutboxStatus,
    Person,
    Region,
    Round,
    SessionAttendee,
    SessionStatus,
)


@dataclass(frozen=True)
class RoundRow:
    id: int
    slug: str
    name: str
    status: str
    answer_deadline: datetime
    input_deadline: datetime
    invited: int
    answered: int
    accepted: int


def rounds_overview(session: Session) -> list[RoundRow]:
    """Every round, newest first, with how many were invited, answered and said yes."""
    counts: dict[int, Counter[InvitationStatus]] = {}
    for round_id, status, n in session.execute(
        select(Invitation.round_id, Invitation.status, func.count(Invitation.id))
        .where(Invitation.status != InvitationStatus.WITHDRAWN)
        .group_by(Invitation.round_id, Invitation.status)
    ):
        counts.setdefault(round_id, Counter())[status] = n
    rows = []
    for rnd in session.scalars(select(Round).order_by(Round.created_at.desc(), Round.id.desc())):
        by_status = counts.get(rnd.id, Counter())
        rows.append(
            RoundRow(
                id=rnd.id,
                slug=rnd.slug,
                name=rnd.name,
                status=status_label(rnd.status),
                answer_deadline=rnd.answer_deadline,
                input_deadline=rnd.input_deadline,
                invited=by_status.total(),
                answered=by_status.total() - by_status[InvitationStatus.PENDING],
                accepted=by_status[InvitationStatus.ACCEPTED],
            )
        )
    return rows


@dataclass(frozen=True)
class OutboxState:
    status: OutboxStatus
    label: str
    count: int


@dataclass(frozen=True)
class RoundDashboard:
    id: int
    answer_deadline: datetime
    input_deadline: datetime
    view: RoundStatusView
    outbox: OutboxOverview
    outbox_states: tuple[OutboxState, ...]
    # Messages waiting for the secretariat's approval of their mailing (consult.app.mailings).
    awaiting_approval: int = 0


def round_dashboard(
    session: Session, round_id: int, now: datetime, require_approval: bool = True
) -> RoundDashboard | None:
    """The dashboard of one round; None when there is no such round. `require_approval`: the
    configuration's [mail] require_approval, for a round whose spec does not say."""
    rnd = session.get(Round, round_id)
    if rnd is None:
        return None
    mail = overview(session, round_id)
    return RoundDashboard(
        id=rnd.id,
        answer_deadline=rnd.answer_deadline,
        input_deadline=rnd.input_deadline,
        view=round_status(session, round_id, now, require_approval),
        outbox=mail,
        outbox_states=tuple(
            OutboxState(status, state_label(status), mail.counts.get(status.value, 0))
            for status in OutboxStatus
        ),
        awaiting_approval=held_count(session, round_id, require_approval),
    )


@dataclass(frozen=True)
class ParticipationRow:
    """One region or sector of a round: how many of its invitees answered, said yes and sit in
    a session."""

    label: str
    invited: int
    answered: int
    accepted: int
    placed: int


@dataclass(frozen=True)
class Participation:
    regions: tuple[ParticipationRow, ...]
    sectors: tuple[ParticipationRow, ...]
    # The largest number invited in any region or sector: the full width of the chart's bars.
    scale: int


def participation(
    session: Session, round_id: int, sector_names: Mapping[str, str]
) -> Participation:
    """The round's participation per region and per sector (by name), in two grouped queries
    whatever the size of the round; withdrawn invitations do not count."""
    by_region: dict[str, Counter[str]] = {}
    by_sector: dict[str, Counter[str]] = {}
    for region, sector, status, n in session.execute(
        select(Region.name, Organisation.sector, Invitation.status, func.count(Invitation.id))
        .select_from(Invitation)
        .join(Person, Person.id == Invitation.person_id)
        .join(Organisation, Organisation.id == Person.organisation_id)
        .join(Region, Region.id == Organisation.region_id)
        .where(Invitation.round_id == round_id, Invitation.status != InvitationStatus.WITHDRAWN)
        .group_by(Region.name, Organisation.sector, Invitation.status)
    ):
        for counts in (
            by_region.setdefault(region, Counter()),
            by_sector.setdefault(sector, Counter()),
        ):
            counts["invited"] += n
            if status != InvitationStatus.PENDING:
                counts["answered"] += n
            if status == InvitationStatus.ACCEPTED:
                counts["accepted"] += n
    for region, sector, n in session.execute(
        select(Region.name, Organisation.sector, func.count(func.distinct(Person.id)))
        .select_from(SessionAttendee)
        .join(ConsultationSession, ConsultationSession.id == SessionAttendee.session_id)
        .join(Person, Person.id == SessionAttendee.person_id)
        .join(Organisation, Organisation.id == Person.organisation_id)
        .join(Region, Region.id == Organisation.region_id)
        .where(
            ConsultationSession.round_id == round_id,
            ConsultationSession.status != SessionStatus.CANCELLED,
            SessionAttendee.status == AttendeeStatus.SCHEDULED,
        )
        .group_by(Region.name, Organisation.sector)
    ):
        by_region.setdefault(region, Counter())["placed"] += n
        by_sector.setdefault(sector, Counter())["placed"] += n

    def rows(
        groups: Mapping[str, Counter[str]], names: Mapping[str, str]
    ) -> tuple[ParticipationRow, ...]:
        return tuple(
            sorted(
                (
                    ParticipationRow(
                        names.get(key, key),
                        c["invited"],
                        c["answered"],
                        c["accepted"],
                        c["placed"],
                    )
                    for key, c in groups.items()
                ),
                key=lambda row: row.label,
            )
        )

    regions = rows(by_region, {})
    sectors = rows(by_sector, sector_names)
    return Participation(
        regions=regions,
        sectors=sectors,
        scale=max((row.invited for row in (*regions, *sectors)), default=0),
    )

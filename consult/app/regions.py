"""A region's view of a round, for its regional coordinator: which of the region's
organisations were invited, answered and took part, which are missing per theme, and how much
input came from the region per theme.

Everything here is narrowed to one region before it is counted, and names only organisations
(never people): a coordinator may see their own regions and nothing of any other. Which
regions an account may see is decided here too (`may_see`), so the page and any later use
(a download, a mail) ask the same question.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from consult.app.people import sector_names, theme_titles
from consult.app.registry import RegionNetwork, region_networks
from consult.spec import stored_spec
from consult.taxonomy import Taxonomy
from models import (
    Account,
    AttendeeStatus,
    ConsultationSession,
    Contribution,
    Invitation,
    InvitationStatus,
    Organisation,
    Person,
    Region,
    Role,
    Round,
    SessionAttendee,
    SessionStatus,
    Theme,
)


def visible_regions(session: Session, taxonomy: Taxonomy, account_id: int) -> tuple[str, ...]:
    """The regions an account may look at: a coordinator their own, the round readers all."""
    account = session.get(Account, account_id)
    if account is None or not account.active:
        return ()
    if account.role == Role.REGIOCOORDINATOR:
        own = {region.name for region in account.regions}
        return tuple(name for name in taxonomy.region_names if name in own)
    return tuple(taxonomy.region_names)


def may_see(session: Session, taxonomy: Taxonomy, account_id: int, region: str) -> bool:
    return region in visible_regions(session, taxonomy, account_id)


@dataclass(frozen=True)
class OrganisationTakingPart:
    name: str
    sector: str
    invited: bool
    answered: bool
    accepted: bool
    # Seated in a session of the round, or handed in input.
    took_part: bool
    # The themes (titles) it took part in.
    themes: tuple[str, ...]


@dataclass(frozen=True)
class ThemeCoverage:
    theme: str
    invited: int
    taking_part: int
    # Handed-in contributions from the region: its people's and the session notes and
    # anonymised ones that carry the region.
    contributions: int
    # The region's organisations (names) and sectors with nobody taking part in this theme.
    missing: tuple[str, ...]
    missing_sectors: tuple[str, ...]


@dataclass(frozen=True)
class RoundChoice:
    id: int
    name: str


@dataclass(frozen=True)
class RegionRound:
    region: str
    network: RegionNetwork | None
    rounds: tuple[RoundChoice, ...]
    # None when there is no round yet.
    round: RoundChoice | None
    organisations: tuple[OrganisationTakingPart, ...]
    themes: tuple[ThemeCoverage, ...]

    @property
    def invited(self) -> int:
        return sum(o.invited for o in self.organisations)

    @property
    def answered(self) -> int:
        return sum(o.answered for o in self.organisations)

    @property
    def took_part(self) -> int:
        return sum(o.took_part for o in self.organisations)


def region_round(
    session: Session, taxonomy: Taxonomy, region: str, round_id: int | None
) -> RegionRound | None:
    """The region's view of round `round_id` (None: the newest round). None for an unknown
    region or round. The caller has checked `may_see`."""
    if region not in taxonomy.region_names:
        return None
    rounds = tuple(
        RoundChoice(i, n)
        for i, n in session.execute(select(Round.id, Round.name).order_by(Round.id.desc()))
    )
    networks = region_networks(session, taxonomy, region)
    network = networks[0] if networks else None
    if round_id is None:
        chosen = rounds[0] if rounds else None
    else:
        chosen = next((r for r in rounds if r.id == round_id), None)
        if chosen is None:
            return None
    if chosen is None:
        return RegionRound(region, network, rounds, None, (), ())
    sectors = sector_names(taxonomy)
    titles = theme_titles(session)
    rnd = session.get_one(Round, chosen.id)
    slugs = [t.slug for t in stored_spec(rnd.spec).themes]

    organisations = {
        oid: (name, sector)
        for oid, name, sector in session.execute(
            select(Organisation.id, Organisation.name, Organisation.sector)
            .join(Region, Region.id == Organisation.region_id)
            .where(Region.name == region)
            .order_by(Organisation.name, Organisation.id)
        )
    }
    in_region: ColumnElement[bool] = (
        Organisation.id.in_(organisations) if organisations else false()
    )

    invited: set[int] = set()
    answered: set[int] = set()
    accepted: set[int] = set()
    invited_for: dict[str, set[int]] = defaultdict(set)
    for oid, status, preferences in session.execute(
        select(Person.organisation_id, Invitation.status, Invitation.theme_preferences)
        .join(Person, Person.id == Invitation.person_id)
        .join(Organisation, Organisation.id == Person.organisation_id)
        .where(
            Invitation.round_id == chosen.id,
            Invitation.status != InvitationStatus.WITHDRAWN,
            in_region,
        )
    ):
        invited.add(oid)
        if preferences:
            invited_for[preferences[0]].add(oid)
        if status != InvitationStatus.PENDING:
            answered.add(oid)
        if status == InvitationStatus.ACCEPTED:
            accepted.add(oid)

    took_part: dict[str, set[int]] = defaultdict(set)
    for oid, slug in session.execute(
        select(Person.organisation_id, Theme.slug)
        .select_from(SessionAttendee)
        .join(ConsultationSession, ConsultationSession.id == SessionAttendee.session_id)
        .join(Theme, Theme.id == ConsultationSession.theme_id)
        .join(Person, Person.id == SessionAttendee.person_id)
        .join(Organisation, Organisation.id == Person.organisation_id)
        .where(
            ConsultationSession.round_id == chosen.id,
            ConsultationSession.status == SessionStatus.PLANNED,
            SessionAttendee.status == AttendeeStatus.SCHEDULED,
            in_region,
        )
    ):
        took_part[slug].add(oid)
    handed_in = and_(Contribution.round_id == chosen.id, Contribution.draft.is_(False))
    for oid, slug in session.execute(
        select(Person.organisation_id, Theme.slug)
        .select_from(Contribution)
        .join(Theme, Theme.id == Contribution.theme_id)
        .join(Person, Person.id == Contribution.person_id)
        .join(Organisation, Organisation.id == Person.organisation_id)
        .where(handed_in, in_region)
    ):
        took_part[slug].add(oid)
    # A contribution counts for the region by its author's organisation, or, without an
    # author (session notes, anonymised input), by the region it carries.
    contributions = {
        slug: int(n)
        for slug, n in session.execute(
            select(Theme.slug, func.count(Contribution.id))
            .select_from(Contribution)
            .join(Theme, Theme.id == Contribution.theme_id)
            .outerjoin(Person, Person.id == Contribution.person_id)
            .outerjoin(Organisation, Organisation.id == Person.organisation_id)
            .where(
                handed_in,
                or_(
                    in_region,
                    and_(Contribution.person_id.is_(None), Contribution.anonymous_region == region),
                ),
            )
            .group_by(Theme.slug)
        )
    }

    region_sectors = sorted({sector for _, sector in organisations.values()})
    themes = []
    for slug in slugs:
        present = took_part.get(slug, set())
        themes.append(
            ThemeCoverage(
                theme=titles.get(slug, slug),
                invited=len(invited_for.get(slug, set())),
                taking_part=len(present),
                contributions=contributions.get(slug, 0),
                missing=tuple(n for oid, (n, _) in organisations.items() if oid not in present),
                missing_sectors=tuple(
                    sectors.get(s, s)
                    for s in region_sectors
                    if not any(organisations[oid][1] == s for oid in present)
                ),
            )
        )
    part_of = {
        oid: tuple(titles.get(s, s) for s in slugs if oid in took_part.get(s, set()))
        for oid in organisations
    }
    return RegionRound(
        region,
        network,
        rounds,
        chosen,
        tuple(
            OrganisationTakingPart(
                name=name,
                sector=sectors.get(sector, sector),
                invited=oid in invited,
                answered=oid in answered,
                accepted=oid in accepted,
                took_part=bool(part_of[oid]),
                themes=part_of[oid],
            )
            for oid, (name, sector) in organisations.items()
        ),
        tuple(themes),
    )

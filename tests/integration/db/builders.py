"""Small builders for tests that need a round with contributions and building blocks, made
directly with the models (no launch, invitations or pipeline in between)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    BlockStatus,
    BuildingBlock,
    Contribution,
    ContributionKind,
    Organisation,
    Person,
    QuotePermission,
    Region,
    Round,
    Theme,
)
from models.db import Database

AMS = ZoneInfo("Europe/Amsterdam")


def make_round(session: Session, slug: str = "voorjaar-2030") -> Round:
    rnd = Round(
        slug=slug,
        name=f"Consultatieronde {slug}",
        answer_deadline=datetime(2030, 3, 1, 17, 0, tzinfo=AMS),
        input_deadline=datetime(2030, 4, 30, 23, 59, tzinfo=AMS),
        organiser_name="Secretariaat WiZ",
        organiser_email="secretariaat@wiz.example",
    )
    session.add(rnd)
    session.flush()
    return rnd


def make_theme(session: Session, slug: str) -> Theme:
    theme = Theme(slug=slug, title_nl=slug.replace("_", " ").title(), title_en=slug)
    session.add(theme)
    session.flush()
    return theme


def make_person(
    session: Session,
    name: str,
    role: str = "teamleider",
    sector: str = "vvt",
    region: str = "Achterhoek",
) -> Person:
    """A person at an organisation of `sector` in `region` (both must be in config/taxonomy.toml
    for screens that name the sector)."""
    region_row = session.scalar(select(Region).where(Region.name == region)) or Region(
        name=region, network="Oost-Nederland"
    )
    # The organisation's name does not repeat the person's: a screen that hides names must not
    # leak them through the organisation.
    org_name = f"Stichting {sector.upper()} {region}"
    org = session.scalar(
        select(Organisation).where(
            Organisation.name == org_name, Organisation.region_id == region_row.id
        )
    ) or Organisation(name=org_name, sector=sector, region=region_row)
    email = name.lower().replace(" ", ".") + "@zorg.example"
    person = Person(name=name, email=email, role=role, organisation=org)
    session.add(person)
    session.flush()
    return person


def make_contribution(
    session: Session,
    rnd: Round,
    theme: Theme,
    person: Person,
    text: str,
    permission: QuotePermission = QuotePermission.ROLE_ONLY,
    kind: ContributionKind = ContributionKind.PRE_SESSION_ANSWER,
) -> Contribution:
    contribution = Contribution(
        round_id=rnd.id,
        person_id=person.id,
        theme_id=theme.id,
        kind=kind,
        text=text,
        quote_permission=permission,
    )
    session.add(contribution)
    session.flush()
    return contribution


def make_block(
    session: Session,
    rnd: Round,
    theme: Theme,
    title: str,
    contributions: Sequence[Contribution],
    status: BlockStatus = BlockStatus.DRAFT,
    key_terms: Sequence[str] = (),
    quote_ids: Sequence[int] = (),
) -> BuildingBlock:
    """A block as the pipeline leaves it: its links get placed_by's default, 'pipeline'."""
    block = BuildingBlock(
        round_id=rnd.id,
        theme_id=theme.id,
        title=title,
        summary=f"Samenvatting van {title.lower()}.",
        key_terms=list(key_terms),
        status=status,
        quote_ids=list(quote_ids),
        contributions=list(contributions),
    )
    session.add(block)
    session.flush()
    return block


@dataclass(frozen=True)
class Scenario:
    """Round `voorjaar-2030`: theme innovatie has blocks A (c1, c2, c3) and B (c4, c5) and an
    unplaced c6; theme behoud_betrokkenheid has block C (c7, c8). Another round, `najaar-2030`,
    has block D (c9, innovatie)."""

    round_id: int
    other_round_id: int
    innovatie: int
    behoud: int
    c: dict[int, int]  # c[1] .. c[9] -> contribution id
    a: int
    b: int
    c_block: int
    d: int


TEXTS = {
    1: "Zij-instromers krijgen een vaste begeleider tijdens het eerste jaar.",
    2: "Stageplaatsen in de wijkverpleging samen met het mbo regelen.",
    3: "Vertrouwelijk: ons bestuur twijfelt aan de begroting voor opleidingen.",
    4: "Digitale zorg op afstand scheelt reistijd voor wijkteams.",
    5: "Domotica in de thuiszorg vraagt scholing van medewerkers.",
    6: "Leren van andere regio's via een gezamenlijk platform.",
    7: "Roosters samen met medewerkers maken verhoogt het behoud.",
    8: "Loopbaangesprekken voor oudere zorgprofessionals.",
    9: "Robotica in het ziekenhuis van de toekomst.",
}


def seed_scenario(db: Database) -> Scenario:
    with db.unit_of_work() as session:
        rnd = make_round(session)
        other = make_round(session, "najaar-2030")
        innovatie = make_theme(session, "innovatie")
        behoud = make_theme(session, "behoud_betrokkenheid")
        anneke = make_person(session, "Anneke de Vries", role="bestuurder", sector="vvt")
        bram = make_person(
            session, "Bram Jansen", role="HR-adviseur", sector="ggz", region="Twente"
        )
        carla = make_person(session, "Carla Smit", role="lector", sector="hbo", region="Zwolle")
        people = {1: anneke, 2: bram, 3: carla, 4: anneke, 5: bram, 6: carla, 7: anneke, 8: bram}
        permissions = {
            1: QuotePermission.ATTRIBUTABLE,
            2: QuotePermission.ROLE_ONLY,
            3: QuotePermission.NOT_QUOTABLE,
        }
        made: dict[int, Contribution] = {}
        for n in range(1, 9):
            theme = innovatie if n <= 6 else behoud
            made[n] = make_contribution(
                session,
                rnd,
                theme,
                people[n],
                TEXTS[n],
                permissions.get(n, QuotePermission.ROLE_ONLY),
            )
        made[9] = make_contribution(session, other, innovatie, carla, TEXTS[9])
        a = make_block(
            session,
            rnd,
            innovatie,
            "Instroom en begeleiding",
            [made[1], made[2], made[3]],
            key_terms=["begeleider", "stageplaatsen"],
            quote_ids=[made[1].id, made[2].id],
        )
        b = make_block(
            session,
            rnd,
            innovatie,
            "Zorg op afstand",
            [made[4], made[5]],
            key_terms=["zorg op afstand", "domotica"],
            quote_ids=[made[4].id],
        )
        c_block = make_block(
            session, rnd, behoud, "Roosters en loopbaan", [made[7], made[8]], key_terms=["rooster"]
        )
        d = make_block(session, other, innovatie, "Robotica", [made[9]])
        return Scenario(
            round_id=rnd.id,
            other_round_id=other.id,
            innovatie=innovatie.id,
            behoud=behoud.id,
            c={n: made[n].id for n in made},
            a=a.id,
            b=b.id,
            c_block=c_block.id,
            d=d.id,
        )

"""Store validated registry rows: organisations by (name, region), people by email."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.registry.parsing import CoordinatorRow, RegistryRow
from consult.taxonomy import Taxonomy
from models import CoordinatorRole, Organisation, Person, Region, RegionCoordinator, Theme


@dataclass(frozen=True)
class StoreCounts:
    created: int
    updated: int
    unchanged: int


def sync_reference_data(session: Session, taxonomy: Taxonomy) -> None:
    """Mirror config regions and themes into the database (insert new, update changed)."""
    regions = {r.name: r for r in session.scalars(select(Region))}
    for cfg in taxonomy.regions:
        region = regions.get(cfg.name)
        if region is None:
            session.add(Region(name=cfg.name, network=cfg.network))
        elif region.network != cfg.network:
            region.network = cfg.network
    themes = {t.slug: t for t in session.scalars(select(Theme))}
    for tc in taxonomy.themes:
        theme = themes.get(tc.slug) or Theme(slug=tc.slug)
        theme.title_nl, theme.title_en = tc.title_nl, tc.title_en
        theme.questions_nl, theme.questions_en = list(tc.questions_nl), list(tc.questions_en)
        session.add(theme)
    session.flush()


def store_rows(session: Session, rows: Sequence[RegistryRow]) -> StoreCounts:
    regions = {r.name: r for r in session.scalars(select(Region))}
    organisations = {(o.name, o.region_id): o for o in session.scalars(select(Organisation))}
    people = {p.email: p for p in session.scalars(select(Person))}
    created = updated = unchanged = 0
    for row in rows:
        region = regions[row.region]
        org = organisations.get((row.organisation, region.id))
        if org is None:
            org = Organisation(name=row.organisation, sector=row.sector, region=region)
            session.add(org)
            session.flush()
            organisations[(org.name, region.id)] = org
        elif org.sector != row.sector:
            org.sector = row.sector
        person = people.get(row.email)
        values = {
            "name": row.name,
            "role": row.role,
            "language": row.language,
            "organisation_id": org.id,
        }
        if person is None:
            person = Person(email=row.email, **values)
            session.add(person)
            people[row.email] = person
            created += 1
        elif any(getattr(person, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(person, key, value)
            updated += 1
        else:
            unchanged += 1
    session.flush()
    return StoreCounts(created=created, updated=updated, unchanged=unchanged)


def store_coordinators(session: Session, rows: Sequence[CoordinatorRow]) -> StoreCounts:
    """A region's coordinators and steering group, by (region, address): new ones added,
    known ones updated; nobody is removed (a file may hold one region only)."""
    regions = {r.name: r for r in session.scalars(select(Region))}
    known = {(c.region_id, c.email): c for c in session.scalars(select(RegionCoordinator))}
    created = updated = unchanged = 0
    for row in rows:
        region = regions[row.region]
        role = CoordinatorRole(row.role)
        found = known.get((region.id, row.email))
        if found is None:
            found = RegionCoordinator(region=region, name=row.name, email=row.email, role=role)
            session.add(found)
            known[(region.id, row.email)] = found
            created += 1
        elif (found.name, found.role) != (row.name, role):
            found.name, found.role = row.name, role
            updated += 1
        else:
            unchanged += 1
    session.flush()
    return StoreCounts(created=created, updated=updated, unchanged=unchanged)

"""Store validated registry rows: organisations by (name, region), people by email."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.mail.operations import unsuppress
from consult.registry.parsing import RegistryRow
from consult.taxonomy import Taxonomy
from models import Organisation, Person, Region, Theme


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


class AddressError(ValueError):
    """The correction cannot be made; the message is Dutch and meant for the secretariat."""


def correct_address(session: Session, old: str, new: str) -> int:
    """The secretariat's fix for an address that bounced (or is wrong): the person gets the new
    address, the old one leaves the suppression list, and the mail that did not reach them
    (held back, bounced, still waiting) goes to the new one. Returns how many messages."""
    old_address = old.strip().lower()
    try:
        new_address = validate_email(new.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise AddressError(f"ongeldig e-mailadres '{new.strip()}': {exc}") from exc
    person = session.scalar(select(Person).where(func.lower(Person.email) == old_address))
    if person is None:
        raise AddressError(f"niemand in het register heeft het adres {old_address}")
    other = session.scalar(select(Person).where(func.lower(Person.email) == new_address))
    if other is not None and other.id != person.id:
        raise AddressError(f"{new_address} is al het adres van {other.name}")
    person.email = new_address
    return unsuppress(session, old_address, new_address)

"""Who can be invited: regions, organisations and the people who work there."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, enum_column, utcnow


class Region(Base):
    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    network: Mapped[str] = mapped_column(String(100), default="")

    organisations: Mapped[list[Organisation]] = relationship(back_populates="region")
    coordinators: Mapped[list[RegionCoordinator]] = relationship(
        back_populates="region", order_by="(RegionCoordinator.role, RegionCoordinator.name)"
    )


class Organisation(Base):
    __tablename__ = "organisation"
    __table_args__ = (UniqueConstraint("name", "region_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    sector: Mapped[str] = mapped_column(String(50), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))

    region: Mapped[Region] = relationship(back_populates="organisations")
    people: Mapped[list[Person]] = relationship(back_populates="organisation")


class Person(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(2), default="nl")
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))

    organisation: Mapped[Organisation] = relationship(back_populates="people")


class CoordinatorRole(StrEnum):
    # The regional network's "spider in the web", one or two per region.
    COORDINATOR = "coordinator"
    # A member of the region's steering group.
    STUURGROEP = "stuurgroep"


class RegionCoordinator(Base):
    """Who holds a region's network together: its coordinators and steering group. Not
    necessarily invitees (not in `person`): they are kept by address, per region."""

    __tablename__ = "region_coordinator"
    __table_args__ = (UniqueConstraint("region_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), index=True)  # lower case
    role: Mapped[CoordinatorRole] = mapped_column(enum_column(CoordinatorRole))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    region: Mapped[Region] = relationship(back_populates="coordinators")


class RegistryUpload(Base):
    """A registry file the secretariat uploaded in the workplace, read and checked, waiting for
    them to look at the report and confirm. Kept here, not in the web process, so any worker
    can show and store it; it belongs to the browser session that uploaded it, and goes when
    that session ends or the upload is confirmed."""

    __tablename__ = "registry_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The random key in the preview's address; only its hash is kept.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_session_id: Mapped[int] = mapped_column(
        ForeignKey("account_session.id", ondelete="CASCADE"), index=True
    )
    file_name: Mapped[str] = mapped_column(String(200))
    # The valid rows and the problems found, as the parser gave them (plain values).
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

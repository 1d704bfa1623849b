"""Who can be invited: regions, organisations and the people who work there."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base


class Region(Base):
    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    network: Mapped[str] = mapped_column(String(100), default="")

    organisations: Mapped[list[Organisation]] = relationship(back_populates="region")


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

"""Notes taken during a session by whoever facilitates it: what is said, as it is said, and the
lessons learned, each with the speaker's sector and region and whether it may be quoted.

A note is a contribution of the session (kind session_note or lesson_learned) without an
author in the registry: it carries the speaker's sector and region the way an anonymised
contribution does, so synthesis counts its support per sector and region and reports never
name anyone. Every note is written down in the audit log.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from consult.app import audit, lifecycle
from consult.app.people import sector_names, theme_titles
from consult.events import (
    CONTRIBUTION_SUBMITTED,
    ROUND_STATUS_LABEL,
    Signal,
    contribution_resource,
    round_resource,
)
from consult.i18n import gettext as _
from consult.i18n import pgettext
from consult.taxonomy import Taxonomy
from consult.text import clean_text
from models import (
    AttendeeStatus,
    ConsultationSession,
    Contribution,
    ContributionKind,
    Organisation,
    Person,
    QuotePermission,
    Region,
    Round,
    RoundStatus,
    SessionAttendee,
    SessionStatus,
    Theme,
)

NOTE_KINDS: Final = (ContributionKind.SESSION_NOTE, ContributionKind.LESSON_LEARNED)
# A note is what one person said; a page of it is a document, not a note.
MAX_NOTE_LENGTH: Final = 5000


def kind_label(kind: ContributionKind) -> str:
    if kind == ContributionKind.LESSON_LEARNED:
        return pgettext("note kind", "lesson learned")
    return pgettext("note kind", "note")


def permission_label(permission: QuotePermission) -> str:
    return {
        QuotePermission.ATTRIBUTABLE: _("may be quoted with sector and region"),
        QuotePermission.ROLE_ONLY: _("may be quoted without naming anyone"),
        QuotePermission.NOT_QUOTABLE: _("not to be quoted"),
    }[permission]


@dataclass(frozen=True)
class NoteFields:
    kind: str
    text: str
    sector: str
    region: str
    permission: str


@dataclass(frozen=True)
class Note:
    id: int
    kind: str
    text: str
    sector: str
    region: str
    permission: str
    at: datetime


@dataclass(frozen=True)
class SessionSummary:
    id: int
    round_id: int
    round_name: str
    theme: str
    group: int
    start: datetime
    end: datetime
    cancelled: bool
    # How many are seated, and how many notes were taken.
    seated: int
    notes: int


@dataclass(frozen=True)
class NotesPage:
    session: SessionSummary
    # (value, label): the sectors and regions of the people seated first, then the others.
    sectors_present: tuple[tuple[str, str], ...]
    sectors_other: tuple[tuple[str, str], ...]
    regions_present: tuple[str, ...]
    regions_other: tuple[str, ...]
    kinds: tuple[tuple[str, str], ...]
    permissions: tuple[tuple[str, str], ...]
    # Newest first.
    notes: tuple[Note, ...]


class NoteError(ValueError):
    """What is wrong with the entered note: field name -> message (current language)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _seated(session: Session, session_id: int) -> list[tuple[str, str]]:
    """(sector, region) of every person seated in the session."""
    return [
        (sector, region)
        for sector, region in session.execute(
            select(Organisation.sector, Region.name)
            .select_from(SessionAttendee)
            .join(Person, Person.id == SessionAttendee.person_id)
            .join(Organisation, Organisation.id == Person.organisation_id)
            .join(Region, Region.id == Organisation.region_id)
            .where(
                SessionAttendee.session_id == session_id,
                SessionAttendee.status == AttendeeStatus.SCHEDULED,
            )
        )
    ]


def _notes_of(session: Session, session_id: int) -> list[Contribution]:
    return list(
        session.scalars(
            select(Contribution)
            .where(Contribution.session_id == session_id, Contribution.kind.in_(NOTE_KINDS))
            .order_by(Contribution.submitted_at.desc(), Contribution.id.desc())
        )
    )


def round_sessions(session: Session, round_id: int) -> tuple[SessionSummary, ...]:
    """The round's sessions, by start, for the list on the round's page (three queries,
    however many sessions a national round has)."""
    titles = theme_titles(session)
    seated = _counts(
        session,
        select(SessionAttendee.session_id, func.count(SessionAttendee.id))
        .join(ConsultationSession, ConsultationSession.id == SessionAttendee.session_id)
        .where(
            ConsultationSession.round_id == round_id,
            SessionAttendee.status == AttendeeStatus.SCHEDULED,
        )
        .group_by(SessionAttendee.session_id),
    )
    notes = _counts(
        session,
        select(Contribution.session_id, func.count(Contribution.id))
        .where(Contribution.round_id == round_id, Contribution.kind.in_(NOTE_KINDS))
        .group_by(Contribution.session_id),
    )
    return tuple(
        SessionSummary(
            cs_id,
            round_id,
            round_name,
            titles.get(slug, slug),
            group,
            start,
            end,
            status == SessionStatus.CANCELLED,
            seated.get(cs_id, 0),
            notes.get(cs_id, 0),
        )
        for cs_id, round_name, slug, group, start, end, status in session.execute(
            select(
                ConsultationSession.id,
                Round.name,
                Theme.slug,
                ConsultationSession.group_number,
                ConsultationSession.start,
                ConsultationSession.end,
                ConsultationSession.status,
            )
            .join(Round, Round.id == ConsultationSession.round_id)
            .join(Theme, Theme.id == ConsultationSession.theme_id)
            .where(ConsultationSession.round_id == round_id)
            .order_by(ConsultationSession.start, ConsultationSession.group_number)
        )
    )


def _counts(session: Session, query: Select[Any]) -> dict[int, int]:
    return {key: int(n) for key, n in session.execute(query) if key is not None}


def _summary(session: Session, cs: ConsultationSession, titles: dict[str, str]) -> SessionSummary:
    seated = sum(1 for a in cs.attendees if a.status == AttendeeStatus.SCHEDULED)
    notes = len(_notes_of(session, cs.id))
    return SessionSummary(
        cs.id,
        cs.round_id,
        cs.round.name,
        titles.get(cs.theme.slug, cs.theme.slug),
        cs.group_number,
        cs.start,
        cs.end,
        cs.status == SessionStatus.CANCELLED,
        seated,
        notes,
    )


def notes_page(session: Session, taxonomy: Taxonomy, session_id: int) -> NotesPage | None:
    cs = session.get(ConsultationSession, session_id)
    if cs is None:
        return None
    sectors = sector_names(taxonomy)
    seated = _seated(session, session_id)
    present_sectors = {s for s, _ in seated}
    present_regions = {r for _, r in seated}
    notes = tuple(
        Note(
            c.id,
            kind_label(c.kind),
            c.text,
            sectors.get(c.sector, c.sector),
            c.region,
            permission_label(c.quote_permission),
            c.submitted_at,
        )
        for c in _notes_of(session, session_id)
    )
    return NotesPage(
        session=_summary(session, cs, theme_titles(session)),
        sectors_present=tuple(
            (c, sectors[c]) for c in taxonomy.sector_codes if c in present_sectors
        ),
        sectors_other=tuple(
            (c, sectors[c]) for c in taxonomy.sector_codes if c not in present_sectors
        ),
        regions_present=tuple(r for r in taxonomy.region_names if r in present_regions),
        regions_other=tuple(r for r in taxonomy.region_names if r not in present_regions),
        kinds=tuple((k.value, kind_label(k)) for k in NOTE_KINDS),
        permissions=tuple((p.value, permission_label(p)) for p in QuotePermission),
        notes=notes,
    )


def add_note(
    session: Session,
    taxonomy: Taxonomy,
    session_id: int,
    entered: NoteFields,
    language: str,
    now: datetime,
) -> tuple[int, Signal]:
    """Store a note of the session as a contribution; returns its id and the signal to send
    once committed. Raises NoteError, LookupError (no such session), lifecycle's
    IllegalTransition (the round is closed)."""
    cs = session.get(ConsultationSession, session_id)
    if cs is None:
        raise LookupError(session_id)
    errors: dict[str, str] = {}
    text = clean_text(entered.text).strip()
    if not text:
        errors["text"] = _("Write down what was said.")
    elif len(text) > MAX_NOTE_LENGTH:
        errors["text"] = _(
            "At most %(maximum)s characters; this is %(length)s.",
            maximum=MAX_NOTE_LENGTH,
            length=len(text),
        )
    kinds = {k.value: k for k in NOTE_KINDS}
    if entered.kind not in kinds:
        errors["kind"] = _("Choose a note or a lesson learned.")
    if entered.sector not in taxonomy.sector_codes:
        errors["sector"] = _("Choose the speaker's sector.")
    if entered.region not in taxonomy.region_names:
        errors["region"] = _("Choose the speaker's region.")
    permissions = {p.value: p for p in QuotePermission}
    if entered.permission not in permissions:
        errors["permission"] = _("Choose whether this may be quoted.")
    if errors:
        raise NoteError(errors)
    rnd: Round = cs.round
    lifecycle.advance(rnd, RoundStatus.COLLECTING)
    note = Contribution(
        round_id=cs.round_id,
        theme_id=cs.theme_id,
        session_id=cs.id,
        kind=kinds[entered.kind],
        text=text,
        language=language,
        quote_permission=permissions[entered.permission],
        submitted_at=now,
        anonymous_sector=entered.sector,
        anonymous_region=entered.region,
        # Every speaker counts once: nothing ties two notes to the same person.
        anonymous_key=secrets.token_hex(8),
    )
    session.add(note)
    session.flush()
    audit.record(
        session,
        audit.Action.SESSION_NOTE,
        round_id=cs.round_id,
        subject=("contribution", note.id),
        details={
            "session_id": cs.id,
            "kind": note.kind.value,
            "sector": entered.sector,
            "region": entered.region,
            "quote_permission": note.quote_permission.value,
        },
        at=now,
    )
    signal = Signal(
        CONTRIBUTION_SUBMITTED,
        contribution_resource(note.id),
        {"round_id": cs.round_id, "session_id": cs.id, "contribution_id": note.id},
        ((round_resource(cs.round_id), "round"),),
        {ROUND_STATUS_LABEL: rnd.status.value},
    )
    return note.id, signal

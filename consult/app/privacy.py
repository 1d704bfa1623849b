"""A person's personal data: everything held about them exported, or everything erased.

Where personal data lives is written down once, in PERSONAL_COLUMNS (handled: exported and
erased) and EXEMPT_COLUMNS (about someone else than an invitee, with the reason). A test walks
the model metadata and fails for any column that looks like it holds or points at a person (a
reference to a person or an invitation, an address, a name, a role, what someone wrote or was
sent) and is in neither, so a new table cannot quietly escape export and erasure.

Erasure removes the person's registry record, invitations, answers, availability, seats, mail
(bodies and addresses), calendar replies, suppression and any place as a region's coordinator
or steering-group member (found by address); their contributions are deleted or
kept anonymised (sector and region only, never quoted again), as the secretariat chooses. Every
building block that held them gets an "erase" event (the next report neither names nor quotes
them) and report files already written are written again. Audit entries stay, with names and
addresses replaced inside their details (the log's one narrow exception to append-only). The
address is kept only as a hash, so mail to it is never sent again. On SQLite every connection
overwrites deleted content (PRAGMA secure_delete, models/db.py) and the write-ahead log is
emptied afterwards, so nothing lingers in the file's free pages.
"""

from __future__ import annotations

import base64
import json
import secrets
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Table, Text, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from consult.actors import current_actor
from consult.app import audit
from consult.app.audit import UnknownPerson
from consult.app.reports import rewrite_reports
from consult.i18n import current_language, format_datetime, pgettext, use_language
from consult.i18n import gettext as _
from consult.reports.content import view
from consult.wiring import App
from models import (
    AccessToken,
    AuditEntry,
    Availability,
    BlockEvent,
    BuildingBlock,
    CalendarReply,
    Contribution,
    ContributionEmbedding,
    DelegationAttempt,
    ErasedAddress,
    Invitation,
    OutboxMessage,
    Person,
    QuotePermission,
    RegionCoordinator,
    RegistryUpload,
    Round,
    SessionAttendee,
    SuppressedAddress,
    address_hash,
    block_contribution,
)
from models.audit import pseudonymise_details
from models.base import Base, utcnow

__all__ = [
    "EXEMPT_COLUMNS",
    "PERSONAL_COLUMNS",
    "ContributionChoice",
    "ErasureResult",
    "PersonExport",
    "UnknownPerson",
    "erase",
    "export_person",
    "find_person",
    "write_export",
]

# Table -> the columns that hold personal data of an invitee, or point at it. Export writes
# every row of these tables that concerns the person; erasure removes or pseudonymises them.
PERSONAL_COLUMNS: dict[str, frozenset[str]] = {
    "person": frozenset({"name", "email", "role", "language", "organisation_id"}),
    "invitation": frozenset({"person_id", "delegated_from_id", "theme_preferences", "status"}),
    "availability": frozenset({"invitation_id"}),
    "access_token": frozenset({"invitation_id"}),
    "delegation_attempt": frozenset({"invitation_id"}),
    "session_attendee": frozenset({"person_id", "partstat"}),
    "contribution": frozenset(
        {
            "person_id",
            "text",
            "anonymous_role",
            "anonymous_sector",
            "anonymous_region",
            "anonymous_key",
        }
    ),
    "contribution_embedding": frozenset({"contribution_id", "vector"}),
    "block_contribution": frozenset({"contribution_id"}),
    "outbox_message": frozenset(
        {
            "person_id",
            "invitation_id",
            "recipient_email",
            "recipient_name",
            "subject",
            "text_body",
            "html_body",
            "calendar_ics",
        }
    ),
    "suppressed_address": frozenset({"email"}),
    "calendar_reply": frozenset({"invitation_id", "sender", "attendee", "delegated_to"}),
    "audit_entry": frozenset({"person_id", "actor", "details"}),
    # A registry file read in the workplace and waiting (at most a day) to be confirmed.
    "registry_upload": frozenset({"rows", "problems"}),
    # must_place: the addresses of people who must be placed.
    "round": frozenset({"spec"}),
    # A region's coordinator or steering-group member, found by address.
    "region_coordinator": frozenset({"name", "email", "role"}),
}

# Columns that look personal but are not an invitee's data, and why.
EXEMPT_COLUMNS: dict[tuple[str, str], str] = {
    ("organisation", "name"): "an organisation, not a person",
    ("region", "name"): "a region",
    ("round", "name"): "the round's title",
    ("round", "organiser_name"): "the secretariat, as organiser of every round",
    ("round", "organiser_email"): "the secretariat's address",
    ("theme", "title_nl"): "a theme",
    ("theme", "title_en"): "a theme",
    ("building_block", "title"): "written by staff or the synthesis about many contributions",
    ("building_block", "summary"): "written by staff or the synthesis about many contributions",
    ("building_block", "description"): "written by staff about a block",
    ("block_event", "actor"): "a staff member deciding on a block (mirrored in the audit log)",
    ("block_event", "details"): "block decisions name contributions by id, never a person",
    ("account", "email"): "a workplace account (staff), managed by the beheerder",
    ("account", "display_name"): "a workplace account (staff), managed by the beheerder",
    ("account", "role"): "a workplace role",
    ("erased_address", "address_hash"): "what erasure keeps: a one-way hash of the address",
    ("audit_entry", "subject_type"): "what an entry is about, by kind",
    ("audit_entry", "subject_id"): "an id, never handed out again: it names nobody once erased",
    ("registry_upload", "file_name"): "the name of a file the secretariat uploaded",
}

# Never in an export: they open something (a link, a mailbox), and mean nothing to the person.
SECRET_COLUMNS = frozenset({("access_token", "token_hash"), ("outbox_message", "sealed_links")})

# What erasure puts where a name or an address was.
ERASED = "[erased]"


class ContributionChoice(StrEnum):
    DELETE = "delete"
    ANONYMISE = "anonymise"


def find_person(session: Session, email: str) -> Person:
    address = email.strip().lower()
    person = session.scalar(select(Person).where(func.lower(Person.email) == address))
    if person is None:
        raise UnknownPerson(
            _("nobody in the registry has the address %(address)s", address=address)
        )
    return person


# --------------------------------------------------------------------------------------------
# Where a person's rows are


@dataclass(frozen=True)
class Holdings:
    """The ids of every row that concerns one person."""

    person_id: int
    email: str
    name: str
    invitation_ids: tuple[int, ...]
    contribution_ids: tuple[int, ...]
    round_ids: tuple[int, ...]


def holdings(session: Session, person: Person) -> Holdings:
    invitations = session.execute(
        select(Invitation.id, Invitation.round_id).where(Invitation.person_id == person.id)
    ).all()
    contributions = session.execute(
        select(Contribution.id, Contribution.round_id).where(Contribution.person_id == person.id)
    ).all()
    return Holdings(
        person_id=person.id,
        email=person.email.strip().lower(),
        name=person.name,
        invitation_ids=tuple(i for i, _ in invitations),
        contribution_ids=tuple(c for c, _ in contributions),
        round_ids=tuple(sorted({r for _, r in invitations} | {r for _, r in contributions})),
    )


def _by_address(column: Any, email: str) -> ColumnElement[bool]:
    return func.lower(column) == email


def _outbox_filter(h: Holdings) -> ColumnElement[bool]:
    return or_(
        OutboxMessage.person_id == h.person_id,
        OutboxMessage.invitation_id.in_(h.invitation_ids),
        _by_address(OutboxMessage.recipient_email, h.email),
    )


def _reply_filter(h: Holdings) -> ColumnElement[bool]:
    return or_(
        CalendarReply.invitation_id.in_(h.invitation_ids),
        _by_address(CalendarReply.sender, h.email),
        _by_address(CalendarReply.attendee, h.email),
        _by_address(CalendarReply.delegated_to, h.email),
    )


def _upload_filter(h: Holdings) -> ColumnElement[bool]:
    return func.lower(cast(RegistryUpload.rows, Text)).contains(h.email)


def _audit_filter(h: Holdings) -> ColumnElement[bool]:
    actors = [audit.invitee(i) for i in h.invitation_ids]
    details = func.lower(cast(AuditEntry.details, Text))
    # Stored JSON may spell a name with accents as escapes (json.dumps' default).
    spellings = {h.name.lower(), json.dumps(h.name.lower())[1:-1], h.email}
    return or_(
        AuditEntry.person_id == h.person_id,
        AuditEntry.actor.in_(actors),
        *(details.contains(s, autoescape=True) for s in spellings if s),
    )


def _block_ids(session: Session, contribution_ids: Sequence[int]) -> list[int]:
    return sorted(
        set(
            session.scalars(
                select(block_contribution.c.block_id).where(
                    block_contribution.c.contribution_id.in_(contribution_ids)
                )
            )
        )
    )


# --------------------------------------------------------------------------------------------
# Export


@dataclass(frozen=True)
class PersonExport:
    person_id: int
    email: str
    name: str
    exported_at: datetime
    # Table name -> its rows about the person, every column but secrets, as JSON values.
    tables: dict[str, list[dict[str, Any]]]
    # Reports written that show a contribution of theirs: round, folder, how they appear.
    reports: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> str:
        data = {
            "format": "consult person export 1",
            "person_id": self.person_id,
            "email": self.email,
            "name": self.name,
            "exported_at": self.exported_at.isoformat(),
            "tables": self.tables,
            "reports": self.reports,
        }
        return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(value).decode("ascii")
    if isinstance(value, StrEnum):
        return value.value
    return value


def _rows(session: Session, table: Table, where: ColumnElement[bool]) -> list[dict[str, Any]]:
    columns = [c for c in table.columns if (table.name, c.name) not in SECRET_COLUMNS]
    result = session.execute(select(*columns).where(where).order_by(*table.primary_key.columns))
    return [{k: _value(v) for k, v in row._mapping.items()} for row in result]


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def export_person(session: Session, ctx: App, email: str, now: datetime) -> PersonExport:
    """Every row held about the person, per table, and the reports that show them. The export
    itself is logged (who asked, when; not what it held)."""
    person = find_person(session, email)
    h = holdings(session, person)
    t = _table
    blocks = _block_ids(session, h.contribution_ids)
    tables: dict[str, list[dict[str, Any]]] = {
        "person": _rows(session, t("person"), t("person").c.id == h.person_id),
        "organisation": _rows(
            session, t("organisation"), t("organisation").c.id == person.organisation_id
        ),
        "region": _rows(session, t("region"), t("region").c.id == person.organisation.region_id),
        "invitation": _rows(session, t("invitation"), Invitation.person_id == h.person_id),
        "availability": _rows(
            session, t("availability"), Availability.invitation_id.in_(h.invitation_ids)
        ),
        "access_token": _rows(
            session, t("access_token"), AccessToken.invitation_id.in_(h.invitation_ids)
        ),
        "delegation_attempt": _rows(
            session,
            t("delegation_attempt"),
            DelegationAttempt.invitation_id.in_(h.invitation_ids),
        ),
        "session_attendee": _rows(
            session, t("session_attendee"), SessionAttendee.person_id == h.person_id
        ),
        "contribution": _rows(session, t("contribution"), Contribution.person_id == h.person_id),
        "contribution_embedding": _rows(
            session,
            t("contribution_embedding"),
            ContributionEmbedding.contribution_id.in_(h.contribution_ids),
        ),
        "block_contribution": _rows(
            session,
            block_contribution,
            block_contribution.c.contribution_id.in_(h.contribution_ids),
        ),
        "building_block": _rows(session, t("building_block"), BuildingBlock.id.in_(blocks)),
        "outbox_message": _rows(session, t("outbox_message"), _outbox_filter(h)),
        "suppressed_address": _rows(
            session, t("suppressed_address"), _by_address(SuppressedAddress.email, h.email)
        ),
        "calendar_reply": _rows(session, t("calendar_reply"), _reply_filter(h)),
        "registry_upload": _rows(session, t("registry_upload"), _upload_filter(h)),
        "audit_entry": _rows(session, t("audit_entry"), _audit_filter(h)),
        "round": _rows(session, t("round"), Round.id.in_(_must_place_rounds(session, h.email))),
        "region_coordinator": _rows(
            session, t("region_coordinator"), _by_address(RegionCoordinator.email, h.email)
        ),
    }
    result = PersonExport(
        person_id=h.person_id,
        email=h.email,
        name=h.name,
        exported_at=now,
        tables=tables,
        reports=_reports_showing(session, ctx, h),
    )
    audit.record(
        session,
        audit.Action.EXPORT,
        person_id=h.person_id,
        subject=("person", h.person_id),
        details={"rows": {name: len(rows) for name, rows in tables.items() if rows}},
    )
    return result


def _must_place_rounds(session: Session, email: str) -> list[int]:
    """Rounds whose spec names the address among the people who must be placed."""
    return [
        rnd.id
        for rnd in session.scalars(select(Round))
        if any(str(e).strip().lower() == email for e in rnd.spec.get("must_place") or [])
    ]


def _reports_showing(session: Session, ctx: App, h: Holdings) -> list[dict[str, Any]]:
    """Per round with report files: how each of their contributions in it appears there."""
    found = []
    for round_id in h.round_ids:
        rnd = session.get_one(Round, round_id)
        folder = ctx.settings.reports_dir / rnd.slug
        if not (folder / "blocks.json").exists():
            continue
        shown = []
        for contribution in session.scalars(
            select(Contribution).where(
                Contribution.round_id == round_id, Contribution.person_id == h.person_id
            )
        ):
            seen = view(contribution, ctx.taxonomy, current_language())
            shown.append(
                {
                    "contribution_id": contribution.id,
                    "quote_permission": contribution.quote_permission.value,
                    "attribution": seen.attribution,
                    "quoted_text": seen.quote,
                }
            )
        files = sorted(p.name for p in folder.iterdir() if p.is_file())
        found.append({"round": rnd.slug, "folder": str(folder), "files": files, "shown": shown})
    return found


def write_export(ctx: App, export: PersonExport, target: Path, language: str) -> Path:
    """One ZIP: the data as JSON and a readable, self-contained HTML page in `language`."""
    with use_language(language):
        sections = _sections(export)
        yes, no = _("yes"), _("no")

    def show(value: Any) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return yes if value else no
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False)
        return str(value)

    page = ctx.env.get_template("privacy/export.html").render(
        lang=language,
        export=export,
        sections=sections,
        exported=format_datetime(export.exported_at, language),
        show=show,
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("personal-data.json", export.as_json())
        archive.writestr("personal-data.html", page)
    return target


@dataclass(frozen=True)
class Section:
    table: str
    title: str
    columns: tuple[tuple[str, str], ...]  # (key in the row, heading)
    rows: list[dict[str, Any]]


def _titles() -> dict[str, str]:
    return {
        "person": pgettext("export section", "Registry record"),
        "organisation": pgettext("export section", "Organisation"),
        "region": pgettext("export section", "Region"),
        "invitation": pgettext("export section", "Invitations and answers"),
        "availability": pgettext("export section", "Availability"),
        "access_token": pgettext("export section", "Personal links (only that they exist)"),
        "delegation_attempt": pgettext("export section", "Attempts to hand an invitation on"),
        "session_attendee": pgettext("export section", "Sessions"),
        "contribution": pgettext("export section", "Contributions"),
        "contribution_embedding": pgettext(
            "export section", "Meaning representations of contributions"
        ),
        "block_contribution": pgettext("export section", "Contributions in building blocks"),
        "building_block": pgettext("export section", "Building blocks with your contributions"),
        "outbox_message": pgettext("export section", "Mail sent to you"),
        "suppressed_address": pgettext("export section", "Blocked address"),
        "calendar_reply": pgettext("export section", "Calendar replies"),
        "registry_upload": pgettext("export section", "Registry files waiting to be confirmed"),
        "audit_entry": pgettext("export section", "Audit log entries about you"),
        "round": pgettext("export section", "Rounds in which you must be placed"),
        "region_coordinator": pgettext(
            "export section", "Coordinator or steering-group member of a region"
        ),
    }


# The HTML page's columns per table (the JSON has them all).
_SHOWN: dict[str, tuple[str, ...]] = {
    "person": ("name", "email", "role", "language"),
    "organisation": ("name", "sector"),
    "region": ("name", "network"),
    "invitation": ("id", "round_id", "status", "theme_preferences", "answered_at", "created_at"),
    "availability": ("invitation_id", "slot_id", "created_at"),
    "access_token": ("invitation_id", "purpose", "created_at"),
    "delegation_attempt": ("invitation_id", "created_at"),
    "session_attendee": ("session_id", "status", "partstat"),
    "contribution": ("id", "round_id", "kind", "text", "quote_permission", "submitted_at"),
    "contribution_embedding": ("contribution_id", "model", "dimension"),
    "block_contribution": ("block_id", "contribution_id", "placed_by"),
    "building_block": ("id", "round_id", "title", "status", "quote_ids"),
    "outbox_message": ("kind", "created_at", "status", "sent_at", "last_error", "subject"),
    "suppressed_address": ("email", "reason", "created_at"),
    "round": ("slug", "name"),
    "calendar_reply": ("received_at", "partstat", "outcome", "reason"),
    "registry_upload": ("file_name", "created_at"),
    "audit_entry": ("at", "actor", "action", "round_id", "details"),
    "region_coordinator": ("region_id", "name", "email", "role"),
}


def _heading(column: str) -> str:
    headings = {
        "name": pgettext("export column", "name"),
        "email": pgettext("export column", "address"),
        "role": pgettext("export column", "role"),
        "language": pgettext("export column", "language"),
        "sector": pgettext("export column", "sector"),
        "network": pgettext("export column", "network"),
        "id": pgettext("export column", "number"),
        "round_id": pgettext("export column", "round"),
        "status": pgettext("export column", "status"),
        "theme_preferences": pgettext("export column", "themes"),
        "answered_at": pgettext("export column", "answered"),
        "created_at": pgettext("export column", "made"),
        "invitation_id": pgettext("export column", "invitation"),
        "slot_id": pgettext("export column", "time slot"),
        "purpose": pgettext("export column", "purpose"),
        "session_id": pgettext("export column", "session"),
        "partstat": pgettext("export column", "calendar answer"),
        "kind": pgettext("export column", "kind"),
        "text": pgettext("export column", "text"),
        "quote_permission": pgettext("export column", "quote permission"),
        "submitted_at": pgettext("export column", "handed in"),
        "contribution_id": pgettext("export column", "contribution"),
        "model": pgettext("export column", "model"),
        "dimension": pgettext("export column", "dimension"),
        "block_id": pgettext("export column", "building block"),
        "placed_by": pgettext("export column", "placed by"),
        "title": pgettext("export column", "title"),
        "quote_ids": pgettext("export column", "quoted contributions"),
        "sent_at": pgettext("export column", "sent"),
        "last_error": pgettext("export column", "server's reply"),
        "subject": pgettext("export column", "subject"),
        "reason": pgettext("export column", "reason"),
        "received_at": pgettext("export column", "received"),
        "outcome": pgettext("export column", "outcome"),
        "at": pgettext("export column", "when"),
        "actor": pgettext("export column", "who"),
        "action": pgettext("export column", "what"),
        "details": pgettext("export column", "details"),
        "slug": pgettext("export column", "short name"),
        "region_id": pgettext("export column", "region"),
    }
    return headings.get(column, column)


def _sections(export: PersonExport) -> list[Section]:
    titles = _titles()
    return [
        Section(
            name,
            titles.get(name, name),
            tuple((key, _heading(key)) for key in _SHOWN.get(name, tuple(rows[0]))),
            rows,
        )
        for name, rows in export.tables.items()
        if rows
    ]


# --------------------------------------------------------------------------------------------
# Erasure


@dataclass(frozen=True)
class ErasureResult:
    person_id: int
    # Rows removed or pseudonymised, per table.
    counts: dict[str, int]
    contributions: ContributionChoice
    blocks_marked: tuple[int, ...]
    round_ids: tuple[int, ...]
    reports_rewritten: tuple[str, ...] = ()


def scrub(value: Any, needles: Iterable[str]) -> Any:
    """`value` (text, or JSON of lists and dicts) with every needle replaced, ignoring case."""
    wanted = [n for n in needles if n]
    if isinstance(value, str):
        text = value
        for needle in wanted:
            text = _replace_ignoring_case(text, needle, ERASED)
        return text
    if isinstance(value, list):
        return [scrub(v, wanted) for v in value]
    if isinstance(value, dict):
        return {k: scrub(v, wanted) for k, v in value.items()}
    return value


def _replace_ignoring_case(text: str, needle: str, by: str) -> str:
    lowered, target = text.lower(), needle.lower()
    if target not in lowered:
        return text
    parts, start = [], 0
    while (at := lowered.find(target, start)) >= 0:
        parts += [text[start:at], by]
        start = at + len(target)
    return "".join([*parts, text[start:]])


def erase(
    ctx: App,
    email: str,
    choice: ContributionChoice = ContributionChoice.ANONYMISE,
    now: datetime | None = None,
) -> ErasureResult:
    """Erase the person everywhere (see the module's docstring), then write again the reports
    that showed them and empty SQLite's write-ahead log. Raises UnknownPerson."""
    moment = now or utcnow()
    with ctx.db.unit_of_work() as session:
        result = erase_person(session, email, choice, moment)
    with ctx.db.unit_of_work() as session:
        rewritten = rewrite_reports(session, ctx, set(result.round_ids), moment)
    checkpoint(ctx)
    return ErasureResult(
        result.person_id,
        result.counts,
        result.contributions,
        result.blocks_marked,
        result.round_ids,
        tuple(rewritten),
    )


def checkpoint(ctx: App) -> None:
    """SQLite keeps changed pages in its write-ahead log (with what they held before) until a
    checkpoint; a TRUNCATE checkpoint writes them into the file and empties the log."""
    if ctx.db.engine.dialect.name != "sqlite":
        return
    with ctx.db.engine.connect() as connection:
        # On the driver's connection: inside the transaction SQLAlchemy would begin, the
        # checkpoint could not run.
        connection.connection.dbapi_connection.execute(  # type: ignore[union-attr]
            "PRAGMA wal_checkpoint(TRUNCATE)"
        )


def erase_person(
    session: Session, email: str, choice: ContributionChoice, now: datetime
) -> ErasureResult:
    """The database part of `erase`, in the caller's unit of work."""
    person = find_person(session, email)
    h = holdings(session, person)
    needles = (h.email, h.name)
    counts: dict[str, int] = {}

    def count(table: str, n: int) -> None:
        if n:
            counts[table] = counts.get(table, 0) + n

    # The log first: its entries name the person's invitations, which go below.
    entries = session.scalars(select(AuditEntry).where(_audit_filter(h))).all()
    pseudonymise_details(session, {e.id: (scrub(e.details, needles), e.person_id) for e in entries})
    count("audit_entry", len(entries))

    marked = _handle_contributions(session, h, choice, needles, now, count)

    def remove(table: str, statement: Any) -> None:
        count(table, _n(session.execute(statement)))

    remove("calendar_reply", delete(CalendarReply).where(_reply_filter(h)))
    # A file waiting to be confirmed would bring them back: it goes, to be uploaded again.
    remove("registry_upload", delete(RegistryUpload).where(_upload_filter(h)))
    mail_ids = list(session.scalars(select(OutboxMessage.id).where(_outbox_filter(h))))
    session.execute(
        update(SuppressedAddress)
        .where(SuppressedAddress.outbox_message_id.in_(mail_ids))
        .values(outbox_message_id=None)
    )
    remove(
        "suppressed_address",
        delete(SuppressedAddress).where(_by_address(SuppressedAddress.email, h.email)),
    )
    remove("outbox_message", delete(OutboxMessage).where(OutboxMessage.id.in_(mail_ids)))
    remove(
        "region_coordinator",
        delete(RegionCoordinator).where(_by_address(RegionCoordinator.email, h.email)),
    )
    for model in (Availability, AccessToken, DelegationAttempt):
        remove(model.__tablename__, delete(model).where(model.invitation_id.in_(h.invitation_ids)))
    # A colleague the person handed an invitation on to keeps theirs.
    session.execute(
        update(Invitation)
        .where(Invitation.delegated_from_id.in_(h.invitation_ids))
        .values(delegated_from_id=None)
    )
    remove(
        "session_attendee", delete(SessionAttendee).where(SessionAttendee.person_id == h.person_id)
    )
    remove("invitation", delete(Invitation).where(Invitation.id.in_(h.invitation_ids)))
    # A round's spec may name them as someone who must be placed.
    for rnd in session.scalars(
        select(Round).where(Round.id.in_(_must_place_rounds(session, h.email)))
    ):
        kept = [e for e in rnd.spec["must_place"] if str(e).strip().lower() != h.email]
        rnd.spec = {**rnd.spec, "must_place": kept}
        count("round", 1)
    session.execute(delete(Person).where(Person.id == h.person_id))
    count("person", 1)
    session.expunge(person)
    if (
        session.scalar(
            select(ErasedAddress.id).where(ErasedAddress.address_hash == address_hash(h.email))
        )
        is None
    ):
        session.add(ErasedAddress(address_hash=address_hash(h.email), erased_at=now))
    audit.record(
        session,
        audit.Action.ERASURE,
        person_id=h.person_id,
        subject=("person", h.person_id),
        details={"contributions": choice.value, "rows": counts, "blocks_marked": marked},
        at=now,
    )
    return ErasureResult(h.person_id, counts, choice, tuple(marked), h.round_ids)


def _n(result: Any) -> int:
    return int(result.rowcount or 0)


def _handle_contributions(
    session: Session,
    h: Holdings,
    choice: ContributionChoice,
    needles: Sequence[str],
    now: datetime,
    count: Any,
) -> list[int]:
    """Delete or anonymise the person's contributions; take them out of every block's quotes
    and mark each block that held one with an "erase" event. Returns the blocks marked."""
    contributions = session.scalars(
        select(Contribution).where(Contribution.id.in_(h.contribution_ids))
    ).all()
    if not contributions:
        return []
    ids = {c.id for c in contributions}
    held: dict[int, list[int]] = {}
    for block_id, contribution_id in session.execute(
        select(block_contribution.c.block_id, block_contribution.c.contribution_id).where(
            block_contribution.c.contribution_id.in_(ids)
        )
    ):
        held.setdefault(block_id, []).append(contribution_id)
    for block in session.scalars(select(BuildingBlock).where(BuildingBlock.id.in_(held))):
        block.quote_ids = [q for q in block.quote_ids if q not in ids]
        session.add(
            BlockEvent(
                round_id=block.round_id,
                block_id=block.id,
                actor=current_actor(),
                action="erase",
                details={"contribution_ids": sorted(held[block.id]), "contributions": choice.value},
                at=now,
            )
        )
    # Drafts were never handed in: nothing to keep of them either way.
    doomed = {c.id for c in contributions if c.draft or choice == ContributionChoice.DELETE}
    if doomed:
        session.execute(
            delete(block_contribution).where(block_contribution.c.contribution_id.in_(doomed))
        )
        session.execute(
            delete(ContributionEmbedding).where(ContributionEmbedding.contribution_id.in_(doomed))
        )
        session.execute(delete(Contribution).where(Contribution.id.in_(doomed)))
        count("contribution", len(doomed))
    kept = [c for c in contributions if c.id not in doomed]
    keys: dict[int, str] = {}
    for contribution in kept:
        person = contribution.person
        assert person is not None
        contribution.anonymous_sector = person.organisation.sector
        contribution.anonymous_region = person.organisation.region.name
        contribution.anonymous_role = None
        contribution.anonymous_key = keys.setdefault(contribution.round_id, secrets.token_hex(8))
        contribution.text = scrub(contribution.text, needles)
        contribution.quote_permission = QuotePermission.NOT_QUOTABLE
        contribution.source_key = None
        contribution.person = None
    count("contribution", len(kept))
    session.flush()
    return sorted(held)

"""The registry of organisations and people: import it from CSV or .xlsx (at once from the
command line; in the workplace first read and shown, then stored once the secretariat
confirms), browse it by region and sector, correct a person's or an organisation's details,
and correct an address that bounced."""

from __future__ import annotations

import re
import secrets
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePath
from typing import Final, Generic, TypeVar

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from consult.app import audit
from consult.app.people import ActionRefused, locked_invitation, sector_names
from consult.i18n import gettext as _
from consult.mail.operations import unsuppress
from consult.registry.parsing import (
    LANGUAGE_ALIASES,
    MAX_FIELD_LENGTH,
    CoordinatorRow,
    ParseResult,
    RegistryRow,
    RowError,
    column_label,
    read_registry,
    reason_text,
)
from consult.registry.store import (
    StoreCounts,
    store_coordinators,
    store_rows,
    sync_reference_data,
)
from consult.taxonomy import Taxonomy
from consult.text import clean_text
from consult.tokens import hash_token
from consult.wiring import App
from models import (
    CoordinatorRole,
    InvitationStatus,
    Organisation,
    Person,
    Region,
    RegionCoordinator,
    RegistryUpload,
    RoundStatus,
    SuppressedAddress,
)

# A national registry (20,000 people) is about 3 MB as CSV, less as .xlsx.
MAX_UPLOAD_BYTES: Final = 10 * 1024 * 1024
# An upload nobody confirmed is removed after this long (it holds people's details).
UPLOAD_KEPT: Final = timedelta(hours=24)
# The preview lists this many problems; the count says how many there are in all.
PROBLEMS_SHOWN: Final = 1000
PER_PAGE: Final = 50


def import_file(session: Session, ctx: App, path: Path) -> tuple[ParseResult, StoreCounts]:
    """Store the valid rows (people are updated by email, never doubled) and return every
    rejected row with its row number, column and reason. Raises RegistryFileError for a file
    that cannot be read at all."""
    taxonomy = ctx.taxonomy
    parsed = read_registry(path, sectors=taxonomy.sector_codes, regions=taxonomy.region_names)
    sync_reference_data(session, taxonomy)
    counts = store_rows(session, parsed.rows)
    coordinators = store_coordinators(session, parsed.coordinators)
    rejected = len(parsed.rejected_rows()) + len(parsed.rejected_coordinators())
    _record_import(session, path.name, len(parsed.rows), rejected, counts, coordinators)
    return parsed, counts


def _record_import(
    session: Session,
    file_name: str,
    valid: int,
    rejected: int,
    counts: StoreCounts,
    coordinators: StoreCounts,
) -> None:
    details: dict[str, object] = {
        "file": file_name,
        "valid_rows": valid,
        "rejected_rows": rejected,
        "created": counts.created,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
    }
    # Only for a file that had coordinators in it.
    if coordinators.created or coordinators.updated or coordinators.unchanged:
        details["coordinators_created"] = coordinators.created
        details["coordinators_updated"] = coordinators.updated
    audit.record(
        session,
        audit.Action.REGISTRY_IMPORT,
        subject=("registry", None),
        details=details,
    )


class AddressError(ValueError):
    """The correction cannot be made; the message is meant for the secretariat, in the current
    language."""


def correct_address(session: Session, old: str, new: str) -> int:
    """The secretariat's fix for an address that bounced (or is wrong): the person gets the new
    address, the old one leaves the suppression list, and the mail that did not reach them
    (held back, bounced, still waiting) goes to the new one. Returns how many messages."""
    old_address = old.strip().lower()
    new_address = _valid_address(new)
    person = session.scalar(select(Person).where(func.lower(Person.email) == old_address))
    if person is None:
        raise AddressError(
            _("nobody in the registry has the address %(address)s", address=old_address)
        )
    other = session.scalar(select(Person).where(func.lower(Person.email) == new_address))
    if other is not None and other.id != person.id:
        raise AddressError(
            _(
                "%(address)s is already the address of %(name)s",
                address=new_address,
                name=other.name,
            )
        )
    person.email = new_address
    requeued = unsuppress(session, old_address, new_address)
    audit.record(
        session,
        audit.Action.ADDRESS_CORRECTED,
        person_id=person.id,
        subject=("person", person.id),
        details={"messages_queued_again": requeued},
    )
    return requeued


def _valid_address(address: str) -> str:
    try:
        return validate_email(address.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise AddressError(
            _(
                "invalid email address '%(address)s': %(reason)s",
                address=address.strip(),
                reason=exc,
            )
        ) from exc


def correct_invitee_address(
    session: Session, round_id: int, invitation_id: int, new: str
) -> int | None:
    """`correct_address` for an invitee of a round, from their page in the workplace; None
    when `new` is the address they have already. Raises AddressError, ActionRefused (the
    invitation is withdrawn or the round closed), LookupError (no such invitation)."""
    invitation = locked_invitation(session, round_id, invitation_id)
    if invitation.round.status == RoundStatus.CLOSED:
        raise ActionRefused(_("The round is closed."))
    if invitation.status == InvitationStatus.WITHDRAWN:
        raise ActionRefused(_("The invitation is withdrawn."))
    current = invitation.person.email
    if _valid_address(new) == current.lower():
        return None
    return correct_address(session, current, new)


# --------------------------------------------------------------------------------------------
# Uploading in the workplace: read and checked first, stored once confirmed


@dataclass(frozen=True)
class Problem:
    # The sheet, when the problem is on the coordinators' sheet (or file); "" otherwise.
    sheet: str
    row: int
    # The column as the secretariat's spreadsheet names it; "" for the row as a whole.
    column: str
    reason: str


@dataclass(frozen=True)
class UploadPreview:
    file_name: str
    valid: int
    # Of the valid rows: people the registry does not have yet (by address); the others are
    # updated where they differ.
    new_people: int
    # Of the valid rows: the regions' coordinators and steering-group members.
    coordinators: int
    rejected_rows: int
    problem_count: int
    # The first PROBLEMS_SHOWN, by row.
    problems: tuple[Problem, ...]


def _file_name(name: str) -> str:
    """The uploaded file's own name (browsers may send a path), safe to name a file by: the
    parser's messages name the file, and they should name the secretariat's."""
    base = PurePath(clean_text(name).replace("\\", "/")).name
    safe = re.sub(r"[^\w .()+-]", "_", base).strip(" .")
    stem, suffix = PurePath(safe).stem, PurePath(safe).suffix[:10]
    return f"{stem[:80]}{suffix}" if stem else f"registry{suffix}"


def stage_upload(
    session: Session,
    ctx: App,
    account_session_id: int,
    file_name: str,
    data: bytes,
    now: datetime,
) -> str:
    """Read an uploaded registry and keep the result for `account_session_id` to look at and
    confirm; returns the key that finds it again. Nothing is stored in the registry yet.
    Raises RegistryFileError (in the current language) for a file that cannot be read."""
    name = _file_name(file_name)
    taxonomy = ctx.taxonomy
    with tempfile.TemporaryDirectory(prefix="consult-upload-") as directory:
        # The parser knows a file's type by its suffix, as the command line gives it.
        path = Path(directory) / name
        path.write_bytes(data)
        parsed = read_registry(path, sectors=taxonomy.sector_codes, regions=taxonomy.region_names)
    # This session's earlier uploads are done with; anyone's old ones are left over.
    session.execute(
        delete(RegistryUpload).where(
            or_(
                RegistryUpload.account_session_id == account_session_id,
                RegistryUpload.created_at < now - UPLOAD_KEPT,
            )
        )
    )
    key = secrets.token_urlsafe(24)
    session.add(
        RegistryUpload(
            key_hash=hash_token(key),
            account_session_id=account_session_id,
            file_name=name,
            # The coordinators ride along, marked: every address in the file stays in one
            # place that export and erasure look in (consult.app.privacy).
            rows=[asdict(row) for row in parsed.rows]
            + [{**asdict(row), "kind": _COORDINATOR} for row in parsed.coordinators],
            problems=[asdict(error) for error in parsed.errors],
            created_at=now,
        )
    )
    session.flush()
    return key


_COORDINATOR: Final = "coordinator"


def _split(rows: list[dict[str, object]]) -> tuple[list[RegistryRow], list[CoordinatorRow]]:
    people = [RegistryRow(**r) for r in rows if r.get("kind") != _COORDINATOR]  # type: ignore[arg-type]
    coordinators = [
        CoordinatorRow(**{k: v for k, v in r.items() if k != "kind"})  # type: ignore[arg-type]
        for r in rows
        if r.get("kind") == _COORDINATOR
    ]
    return people, coordinators


def _staged(
    session: Session, account_session_id: int, key: str, now: datetime, *, lock: bool = False
) -> RegistryUpload | None:
    query = select(RegistryUpload).where(
        RegistryUpload.key_hash == hash_token(key),
        RegistryUpload.account_session_id == account_session_id,
        RegistryUpload.created_at >= now - UPLOAD_KEPT,
    )
    return session.scalar(query.with_for_update() if lock else query)


def upload_preview(
    session: Session, account_session_id: int, key: str, now: datetime
) -> UploadPreview | None:
    """What confirming would store and what it leaves out (in the current language); None
    when this session has no such upload (any more)."""
    upload = _staged(session, account_session_id, key, now)
    if upload is None:
        return None
    errors = [RowError(**problem) for problem in upload.problems]
    people, coordinators = _split(upload.rows)
    emails = [row.email for row in people]
    known = 0
    for start in range(0, len(emails), 1000):
        chunk = emails[start : start + 1000]
        known += session.scalar(select(func.count(Person.id)).where(Person.email.in_(chunk))) or 0
    return UploadPreview(
        file_name=upload.file_name,
        valid=len(upload.rows),
        new_people=len(emails) - known,
        coordinators=len(coordinators),
        rejected_rows=len({(error.sheet, error.row) for error in errors}),
        problem_count=len(errors),
        problems=tuple(
            Problem(
                error.sheet,
                error.row,
                column_label(error.column, sheet=error.sheet) if error.column else "",
                reason_text(error),
            )
            for error in errors[:PROBLEMS_SHOWN]
        ),
    )


def confirm_upload(
    session: Session, ctx: App, account_session_id: int, key: str, now: datetime
) -> StoreCounts | None:
    """Store the valid rows of a staged upload, once: the upload goes with it, so a second
    confirmation (a double click) finds nothing and returns None."""
    upload = _staged(session, account_session_id, key, now, lock=True)
    if upload is None:
        return None
    rows, coordinator_rows = _split(upload.rows)
    rejected = len({(problem.get("sheet", ""), problem["row"]) for problem in upload.problems})
    session.delete(upload)
    sync_reference_data(session, ctx.taxonomy)
    counts = store_rows(session, rows)
    coordinators = store_coordinators(session, coordinator_rows)
    _record_import(session, upload.file_name, len(rows), rejected, counts, coordinators)
    return counts


# --------------------------------------------------------------------------------------------
# Browsing


@dataclass(frozen=True)
class RegistryFilter:
    """What the lists are narrowed to; "" for no narrowing. `text` matches names (and, for
    people, addresses)."""

    region: str = ""
    sector: str = ""
    text: str = ""
    page: int = 1


@dataclass(frozen=True)
class RegistryPerson:
    id: int
    name: str
    email: str
    role: str
    organisation: str
    sector: str
    region: str
    bounced: bool


@dataclass(frozen=True)
class RegistryOrganisation:
    id: int
    name: str
    sector: str
    region: str
    people: int


T = TypeVar("T")


@dataclass(frozen=True)
class Listing(Generic[T]):
    chosen: RegistryFilter
    rows: tuple[T, ...]
    total: int
    pages: int
    regions: list[str]
    sectors: list[tuple[str, str]]


def _valid_filter(chosen: RegistryFilter, taxonomy: Taxonomy) -> RegistryFilter:
    return RegistryFilter(
        chosen.region if chosen.region in taxonomy.region_names else "",
        chosen.sector if chosen.sector in taxonomy.sector_codes else "",
        clean_text(chosen.text).strip()[:MAX_FIELD_LENGTH],
        max(1, chosen.page),
    )


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _where(
    chosen: RegistryFilter, *searched: InstrumentedAttribute[str]
) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if chosen.region:
        found.append(Region.name == chosen.region)
    if chosen.sector:
        found.append(Organisation.sector == chosen.sector)
    if chosen.text:
        pattern = _like(chosen.text)
        found.append(or_(*(func.lower(c).like(pattern, escape="\\") for c in searched)))
    return found


def _pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def browse_people(
    session: Session, taxonomy: Taxonomy, chosen: RegistryFilter, per_page: int = PER_PAGE
) -> Listing[RegistryPerson]:
    """One page of the registry's people (by name), narrowed by region, sector and text."""
    chosen = _valid_filter(chosen, taxonomy)
    sectors = sector_names(taxonomy)
    where = _where(chosen, Person.name, Person.email, Organisation.name)
    base = (
        select(Person.id)
        .join(Organisation, Organisation.id == Person.organisation_id)
        .join(Region, Region.id == Organisation.region_id)
        .where(*where)
    )
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    found = session.execute(
        select(
            Person.id,
            Person.name,
            Person.email,
            Person.role,
            Organisation.name,
            Organisation.sector,
            Region.name,
            SuppressedAddress.id.is_not(None),
        )
        .join(Organisation, Organisation.id == Person.organisation_id)
        .join(Region, Region.id == Organisation.region_id)
        .outerjoin(SuppressedAddress, SuppressedAddress.email == func.lower(Person.email))
        .where(*where)
        .order_by(Person.name, Person.id)
        .limit(per_page)
        .offset((chosen.page - 1) * per_page)
    )
    rows = tuple(
        RegistryPerson(pid, name, email, role, org, sectors.get(sector, sector), region, bool(b))
        for pid, name, email, role, org, sector, region, b in found
    )
    return Listing(
        chosen,
        rows,
        total,
        _pages(total, per_page),
        list(taxonomy.region_names),
        sorted(sectors.items(), key=lambda item: item[1]),
    )


def browse_organisations(
    session: Session, taxonomy: Taxonomy, chosen: RegistryFilter, per_page: int = PER_PAGE
) -> Listing[RegistryOrganisation]:
    """One page of the registry's organisations (by name), with how many people each has."""
    chosen = _valid_filter(chosen, taxonomy)
    sectors = sector_names(taxonomy)
    where = _where(chosen, Organisation.name)
    base = select(Organisation.id).join(Region, Region.id == Organisation.region_id).where(*where)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    people = (
        select(Person.organisation_id, func.count(Person.id).label("n"))
        .group_by(Person.organisation_id)
        .subquery()
    )
    found = session.execute(
        select(
            Organisation.id,
            Organisation.name,
            Organisation.sector,
            Region.name,
            func.coalesce(people.c.n, 0),
        )
        .join(Region, Region.id == Organisation.region_id)
        .outerjoin(people, people.c.organisation_id == Organisation.id)
        .where(*where)
        .order_by(Organisation.name, Organisation.id)
        .limit(per_page)
        .offset((chosen.page - 1) * per_page)
    )
    rows = tuple(
        RegistryOrganisation(oid, name, sectors.get(sector, sector), region, int(n))
        for oid, name, sector, region, n in found
    )
    return Listing(
        chosen,
        rows,
        total,
        _pages(total, per_page),
        list(taxonomy.region_names),
        sorted(sectors.items(), key=lambda item: item[1]),
    )


# --------------------------------------------------------------------------------------------
# Editing


class RegistryEditError(ValueError):
    """What is wrong with the entered details: field name -> message (current language)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class PersonFields:
    name: str
    email: str
    role: str
    language: str


@dataclass(frozen=True)
class OrganisationFields:
    name: str
    sector: str
    region: str


@dataclass(frozen=True)
class PersonRecord:
    id: int
    fields: PersonFields
    organisation_id: int
    organisation: str
    sector: str
    region: str
    bounced: bool


@dataclass(frozen=True)
class OrganisationRecord:
    id: int
    fields: OrganisationFields
    people: tuple[tuple[int, str], ...]


def _text(value: str) -> str:
    return " ".join(clean_text(value).split())


def _checked_text(errors: dict[str, str], field: str, value: str, required: bool) -> str:
    text = _text(value)
    if required and not text:
        errors[field] = _("Fill this in.")
    elif len(text) > MAX_FIELD_LENGTH:
        errors[field] = _(
            "At most %(maximum)s characters; this is %(length)s.",
            maximum=MAX_FIELD_LENGTH,
            length=len(text),
        )
    return text


def person_record(session: Session, taxonomy: Taxonomy, person_id: int) -> PersonRecord | None:
    person = session.get(Person, person_id)
    if person is None:
        return None
    org = person.organisation
    bounced = session.scalar(
        select(SuppressedAddress.id).where(SuppressedAddress.email == person.email.lower())
    )
    return PersonRecord(
        person.id,
        PersonFields(person.name, person.email, person.role, person.language),
        org.id,
        org.name,
        sector_names(taxonomy).get(org.sector, org.sector),
        org.region.name,
        bounced is not None,
    )


def organisation_record(session: Session, organisation_id: int) -> OrganisationRecord | None:
    org = session.get(Organisation, organisation_id)
    if org is None:
        return None
    people = session.execute(
        select(Person.id, Person.name)
        .where(Person.organisation_id == org.id)
        .order_by(Person.name, Person.id)
    )
    return OrganisationRecord(
        org.id,
        OrganisationFields(org.name, org.sector, org.region.name),
        tuple((pid, name) for pid, name in people),
    )


@dataclass(frozen=True)
class PersonSaved:
    changed: bool
    # A new address: how much mail that had not reached the old one now goes to it.
    requeued: int | None


def update_person(session: Session, person_id: int, entered: PersonFields) -> PersonSaved:
    """Save a person's details. A new address is a correction (`correct_address`): a bounce
    of the old one is cleared and the mail that did not reach them goes to the new one.
    Raises RegistryEditError, LookupError for an unknown person."""
    person = session.get(Person, person_id)
    if person is None:
        raise LookupError(person_id)
    errors: dict[str, str] = {}
    name = _checked_text(errors, "name", entered.name, required=True)
    role = _checked_text(errors, "role", entered.role, required=False)
    language = LANGUAGE_ALIASES.get(entered.language.strip().lower(), "")
    if not language:
        errors["language"] = _("Choose Dutch or English.")
    email = entered.email.strip()
    new_address: str | None = None
    try:
        normalised = validate_email(email, check_deliverability=False).normalized.lower()
        if normalised != person.email.lower():
            new_address = normalised
    except EmailNotValidError as exc:
        errors["email"] = _("This is not a valid email address: %(reason)s", reason=exc)
    if new_address is not None and "email" not in errors:
        other = session.scalar(select(Person).where(func.lower(Person.email) == new_address))
        if other is not None:
            errors["email"] = _(
                "%(address)s is already the address of %(name)s",
                address=new_address,
                name=other.name,
            )
    if errors:
        raise RegistryEditError(errors)
    before = {"name": person.name, "role": person.role, "language": person.language}
    after = {"name": name, "role": role, "language": language}
    changed = [field for field in before if before[field] != after[field]]
    person.name, person.role, person.language = name, role, language
    requeued = None
    if new_address is not None:
        # Logged as a correction of its own (what happened to the mail).
        requeued = correct_address(session, person.email, new_address)
    if changed:
        audit.record(
            session,
            audit.Action.PERSON_EDITED,
            person_id=person.id,
            subject=("person", person.id),
            details={"changed": changed},
        )
    session.flush()
    return PersonSaved(bool(changed) or new_address is not None, requeued)


def update_organisation(
    session: Session, taxonomy: Taxonomy, organisation_id: int, entered: OrganisationFields
) -> bool:
    """Save an organisation's name, sector and region; True if anything changed. Raises
    RegistryEditError, LookupError for an unknown organisation."""
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise LookupError(organisation_id)
    errors: dict[str, str] = {}
    name = _checked_text(errors, "name", entered.name, required=True)
    if entered.sector not in taxonomy.sector_codes:
        errors["sector"] = _("Choose a sector from the list.")
    if entered.region not in taxonomy.region_names:
        errors["region"] = _("Choose a region from the list.")
    if errors:
        raise RegistryEditError(errors)
    sync_reference_data(session, taxonomy)
    region = session.scalars(select(Region).where(Region.name == entered.region)).one()
    twin = session.scalar(
        select(Organisation.id).where(
            Organisation.name == name,
            Organisation.region_id == region.id,
            Organisation.id != org.id,
        )
    )
    if twin is not None:
        raise RegistryEditError(
            {
                "name": _(
                    "The registry already has an organisation with this name in %(region)s.",
                    region=entered.region,
                )
            }
        )
    before = {"name": org.name, "sector": org.sector, "region": org.region_id}
    after = {"name": name, "sector": entered.sector, "region": region.id}
    changed = [field for field in before if before[field] != after[field]]
    org.name, org.sector, org.region_id = name, entered.sector, region.id
    if changed:
        audit.record(
            session,
            audit.Action.ORGANISATION_EDITED,
            subject=("organisation", org.id),
            details={"changed": changed},
        )
    session.flush()
    return bool(changed)


# --------------------------------------------------------------------------------------------
# The regions' coordinators and steering groups


@dataclass(frozen=True)
class Coordinator:
    name: str
    email: str
    # "coordinator" or "stuurgroep", as the page words it: see `role_label`.
    role: CoordinatorRole


@dataclass(frozen=True)
class RegionNetwork:
    region: str
    network: str
    coordinators: tuple[Coordinator, ...]
    steering_group: tuple[Coordinator, ...]


def region_networks(
    session: Session, taxonomy: Taxonomy, only: str = ""
) -> tuple[RegionNetwork, ...]:
    """Per region of the configuration (or only `only`), who coordinates its network and who
    sits in its steering group."""
    found: dict[str, list[Coordinator]] = {}
    for region, name, email, role in session.execute(
        select(Region.name, RegionCoordinator.name, RegionCoordinator.email, RegionCoordinator.role)
        .join(Region, Region.id == RegionCoordinator.region_id)
        .order_by(RegionCoordinator.name, RegionCoordinator.id)
    ):
        found.setdefault(region, []).append(Coordinator(name, email, role))
    return tuple(
        RegionNetwork(
            r.name,
            r.network,
            tuple(c for c in found.get(r.name, []) if c.role == CoordinatorRole.COORDINATOR),
            tuple(c for c in found.get(r.name, []) if c.role == CoordinatorRole.STUURGROEP),
        )
        for r in taxonomy.regions
        if not only or r.name == only
    )

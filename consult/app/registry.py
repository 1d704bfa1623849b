"""Import the registry of organisations and people from CSV or .xlsx."""

from __future__ import annotations

from pathlib import Path

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.app import audit
from consult.i18n import gettext as _
from consult.mail.operations import unsuppress
from consult.registry.parsing import ParseResult, read_registry
from consult.registry.store import StoreCounts, store_rows, sync_reference_data
from consult.wiring import App
from models import Person


def import_file(session: Session, ctx: App, path: Path) -> tuple[ParseResult, StoreCounts]:
    """Store the valid rows (people are updated by email, never doubled) and return every
    rejected row with its row number, column and reason. Raises RegistryFileError for a file
    that cannot be read at all."""
    taxonomy = ctx.taxonomy
    parsed = read_registry(path, sectors=taxonomy.sector_codes, regions=taxonomy.region_names)
    sync_reference_data(session, taxonomy)
    counts = store_rows(session, parsed.rows)
    audit.record(
        session,
        audit.Action.REGISTRY_IMPORT,
        subject=("registry", None),
        details={
            "file": path.name,
            "valid_rows": len(parsed.rows),
            "rejected_rows": len(parsed.rejected_rows()),
            "created": counts.created,
            "updated": counts.updated,
            "unchanged": counts.unchanged,
        },
    )
    return parsed, counts


class AddressError(ValueError):
    """The correction cannot be made; the message is meant for the secretariat, in the current
    language."""


def correct_address(session: Session, old: str, new: str) -> int:
    """The secretariat's fix for an address that bounced (or is wrong): the person gets the new
    address, the old one leaves the suppression list, and the mail that did not reach them
    (held back, bounced, still waiting) goes to the new one. Returns how many messages."""
    old_address = old.strip().lower()
    try:
        new_address = validate_email(new.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise AddressError(
            _("invalid email address '%(address)s': %(reason)s", address=new.strip(), reason=exc)
        ) from exc
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

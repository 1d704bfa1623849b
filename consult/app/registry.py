"""Import the registry of organisations and people from CSV or .xlsx."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from consult.registry.parsing import ParseResult, read_registry
from consult.registry.store import StoreCounts, store_rows, sync_reference_data
from consult.wiring import App


def import_file(session: Session, ctx: App, path: Path) -> tuple[ParseResult, StoreCounts]:
    """Store the valid rows (people are updated by email, never doubled) and return every
    rejected row with its row number, column and reason. Raises RegistryFileError for a file
    that cannot be read at all."""
    taxonomy = ctx.taxonomy
    parsed = read_registry(path, sectors=taxonomy.sector_codes, regions=taxonomy.region_names)
    sync_reference_data(session, taxonomy)
    return parsed, store_rows(session, parsed.rows)

"""Store contributions from an input file (CSV or JSON lines)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from consult.app import audit, lifecycle
from consult.contributions.intake import read_contributions, store_contributions
from consult.wiring import App
from models import Round, RoundStatus


def collect_file(session: Session, ctx: App, round_id: int, path: Path) -> dict[str, Any]:
    """Store the valid rows (reading a file twice stores nothing twice) and report every
    rejected one with its row and column."""
    rnd = session.get_one(Round, round_id)
    themes = [t.slug for t in ctx.taxonomy.themes]
    parsed = read_contributions(path, themes)
    stored = store_contributions(session, round_id, parsed.rows)
    lifecycle.advance(rnd, RoundStatus.COLLECTING)
    errors = sorted(parsed.errors + stored.errors, key=lambda e: (e.row, e.column))
    audit.record(
        session,
        audit.Action.INPUT_IMPORTED,
        round_id=round_id,
        subject=("round", round_id),
        details={
            "file": path.name,
            "stored": stored.stored,
            "already_present": stored.already_present,
            "rejected": len(errors),
        },
    )
    return {
        "stored": stored.stored,
        "already_present": stored.already_present,
        "errors": [{"row": e.row, "column": e.column, "reason": e.reason} for e in errors],
    }

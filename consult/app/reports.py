"""Write the building-block report of a round."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from consult.app import lifecycle
from consult.reports.content import gather
from consult.reports.render import write_report
from consult.wiring import App
from models import BlockStatus, Round, RoundStatus


def compile_report(
    session: Session,
    ctx: App,
    round_id: int,
    language: str,
    now: datetime,
    include_drafts: bool = False,
) -> dict[str, str]:
    """Word, HTML, Markdown, JSON and a coverage chart per theme: approved blocks, and drafts
    if asked. Returns the files written."""
    rnd = session.get_one(Round, round_id)
    statuses = [BlockStatus.APPROVED, *([BlockStatus.DRAFT] if include_drafts else [])]
    report = gather(session, round_id, ctx.taxonomy, language, now, statuses)
    files = write_report(ctx.env, report, ctx.settings.reports_dir / report.round_slug)
    lifecycle.advance(rnd, RoundStatus.REPORTED)
    return {
        "html": str(files.html),
        "markdown": str(files.markdown),
        "docx": str(files.docx),
        "json": str(files.json),
    }

"""Write the building-block report of a round."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.app import audit, lifecycle
from consult.reports.content import gather
from consult.reports.render import write_report
from consult.wiring import App
from models import AuditEntry, BlockStatus, Round, RoundStatus


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
    files = _write(session, ctx, rnd, language, now, include_drafts)
    lifecycle.advance(rnd, RoundStatus.REPORTED)
    if rnd.reported_at is None:
        rnd.reported_at = now
    audit.record(
        session,
        audit.Action.REPORT_WRITTEN,
        round_id=round_id,
        subject=("round", round_id),
        details={"language": language, "include_drafts": include_drafts},
    )
    return files


def rewrite_reports(session: Session, ctx: App, round_ids: set[int], now: datetime) -> list[str]:
    """Write again the report files already written for these rounds, as last asked for
    (language, drafts), from the database as it is now: after an erasure or the end of a
    retention period no file may keep what the database no longer holds. Returns the folders
    rewritten."""
    rewritten = []
    for round_id in sorted(round_ids):
        rnd = session.get_one(Round, round_id)
        folder = ctx.settings.reports_dir / rnd.slug
        if not (folder / "blocks.json").exists():
            continue
        last = session.scalar(
            select(AuditEntry.details)
            .where(
                AuditEntry.round_id == round_id,
                AuditEntry.action == audit.Action.REPORT_WRITTEN.value,
            )
            .order_by(AuditEntry.id.desc())
            .limit(1)
        ) or {"language": "nl", "include_drafts": False}
        _write(
            session,
            ctx,
            rnd,
            str(last.get("language", "nl")),
            now,
            bool(last.get("include_drafts", False)),
        )
        rewritten.append(str(folder))
    return rewritten


def _write(
    session: Session, ctx: App, rnd: Round, language: str, now: datetime, include_drafts: bool
) -> dict[str, str]:
    statuses = [BlockStatus.APPROVED, *([BlockStatus.DRAFT] if include_drafts else [])]
    report = gather(session, rnd.id, ctx.taxonomy, language, now, statuses)
    files = write_report(ctx.env, report, ctx.settings.reports_dir / report.round_slug)
    return {
        "html": str(files.html),
        "markdown": str(files.markdown),
        "docx": str(files.docx),
        "json": str(files.json),
    }

"""Write the building-block report of a round, list the reports written, and find one file for
a download.

A report exists per language and per kind (approved blocks only, the published one; or with
drafts), each with files of its own side by side in the round's report folder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.app import audit, lifecycle
from consult.i18n import gettext as _
from consult.i18n import pgettext
from consult.reports.content import Report, gather
from consult.reports.render import (
    FORMATS,
    LEGACY_NAMES,
    ReportVariant,
    find_variants,
    remove_variant,
    variant_of,
    write_report,
)
from consult.wiring import App
from models import AuditEntry, BlockStatus, Round, RoundStatus

__all__ = [
    "FORMATS",
    "NothingToReport",
    "ReportFile",
    "WrittenReport",
    "compile_report",
    "format_label",
    "report_file",
    "rewrite_reports",
    "written_reports",
]


class NothingToReport(ValueError):
    """No building block to put in the report: nothing is written (an empty report would only
    mislead). The message says why, in the reader's language."""


def compile_report(
    session: Session,
    ctx: App,
    round_id: int,
    language: str,
    now: datetime,
    include_drafts: bool = False,
) -> dict[str, str]:
    """Word, HTML, Markdown, JSON and a coverage chart per theme: approved blocks, and drafts
    if asked. Returns the files written; raises NothingToReport when there is no block to
    show."""
    rnd = session.get_one(Round, round_id)
    report = _gather(session, ctx, rnd, language, now, include_drafts)
    if not _has_blocks(report):
        if include_drafts:
            raise NothingToReport(
                _(
                    "Round '%(round)s' has no building blocks yet: no report was written.",
                    round=rnd.slug,
                )
            )
        raise NothingToReport(
            _(
                "Round '%(round)s' has no approved building blocks yet: no report was "
                "written. Approve blocks first, or write a report with drafts.",
                round=rnd.slug,
            )
        )
    files = _write(ctx, rnd, report, include_drafts)
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
    """Write again every report file already written for these rounds (each language, with or
    without drafts), from the database as it is now: after an erasure or the end of a retention
    period no file may keep what the database no longer holds. A report left with no block is
    removed. Returns the folders rewritten."""
    rewritten = []
    for round_id in sorted(round_ids):
        rnd = session.get_one(Round, round_id)
        folder = ctx.settings.reports_dir / rnd.slug
        if not (folder / "blocks.json").exists():
            continue
        variants = find_variants(folder)
        if any((folder / name).exists() for name in LEGACY_NAMES):
            # Written before each language had its own files: as last asked for.
            last = _last_asked(session, round_id)
            variants.append(
                ReportVariant(str(last.get("language", "nl")), bool(last.get("include_drafts")))
            )
        for variant in dict.fromkeys(variants):
            report = _gather(session, ctx, rnd, variant.language, now, variant.drafts)
            if _has_blocks(report):
                _write(ctx, rnd, report, variant.drafts)
            else:
                remove_variant(folder, variant)
        for name in LEGACY_NAMES:
            (folder / name).unlink(missing_ok=True)
        rewritten.append(str(folder))
    return rewritten


@dataclass(frozen=True)
class ReportFile:
    name: str
    format: str
    # Bytes on disk, and when it was last written.
    size: int
    modified: datetime


@dataclass(frozen=True)
class WrittenReport:
    """One report of a round (a language, approved-only or with drafts) and its files."""

    language: str
    drafts: bool
    files: tuple[ReportFile, ...]


def format_label(fmt: str) -> str:
    labels = {
        "docx": pgettext("report format", "Word"),
        "html": pgettext("report format", "Web page (HTML)"),
        "md": pgettext("report format", "Markdown"),
    }
    return labels.get(fmt, fmt)


def written_reports(ctx: App, session: Session, round_id: int) -> list[WrittenReport] | None:
    """The reports written for a round, per language and kind; None for an unknown round."""
    rnd = session.get(Round, round_id)
    if rnd is None:
        return None
    folder = ctx.settings.reports_dir / rnd.slug
    found = []
    for variant in find_variants(folder):
        files = []
        for fmt in FORMATS:
            path = folder / variant.file_name(fmt)
            if path.is_file():
                stat = path.stat()
                files.append(
                    ReportFile(
                        path.name,
                        fmt,
                        stat.st_size,
                        datetime.fromtimestamp(stat.st_mtime).astimezone(),
                    )
                )
        found.append(WrittenReport(variant.language, variant.drafts, tuple(files)))
    # The published report (approved only) first, Dutch before English.
    found.sort(key=lambda r: (r.drafts, r.language != "nl", r.language))
    return found


def report_file(ctx: App, session: Session, round_id: int, name: str) -> Path | None:
    """The file behind a download link: only a report file name this module writes, in this
    round's folder, and only if it is there; None for anything else (no path leaves the
    folder)."""
    rnd = session.get(Round, round_id)
    if rnd is None or variant_of(name) is None:
        return None
    path = ctx.settings.reports_dir / rnd.slug / name
    return path if path.is_file() else None


def _last_asked(session: Session, round_id: int) -> dict[str, object]:
    return session.scalar(
        select(AuditEntry.details)
        .where(
            AuditEntry.round_id == round_id,
            AuditEntry.action == audit.Action.REPORT_WRITTEN.value,
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ) or {"language": "nl", "include_drafts": False}


def _has_blocks(report: Report) -> bool:
    return any(section.blocks for section in report.themes)


def _gather(
    session: Session, ctx: App, rnd: Round, language: str, now: datetime, include_drafts: bool
) -> Report:
    statuses = [BlockStatus.APPROVED, *([BlockStatus.DRAFT] if include_drafts else [])]
    return gather(session, rnd.id, ctx.taxonomy, language, now, statuses)


def _write(ctx: App, rnd: Round, report: Report, include_drafts: bool) -> dict[str, str]:
    files = write_report(
        ctx.env, report, ctx.settings.reports_dir / report.round_slug, drafts=include_drafts
    )
    return {
        "html": str(files.html),
        "markdown": str(files.markdown),
        "docx": str(files.docx),
        "json": str(files.json),
    }

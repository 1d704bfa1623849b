"""Write a report as HTML, Markdown and Word, the coverage charts as PNG files next to them, and
a JSON export of blocks with their contribution ids.

Each language, and a report with drafts apart from the approved-only one, has files of its own in
the round's folder (report.nl.docx next to report.en.docx and report.drafts.nl.docx), so writing
one never overwrites another. The HTML file stands alone: its charts are inside it."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from jinja2 import Environment

from consult.i18n import format_datetime
from consult.reports.chart import chart_filename, coverage_chart
from consult.reports.content import Report, quote_numbers
from consult.reports.docx import write_docx
from consult.reports.labels import (
    annex_heading,
    annex_intro,
    block_label,
    footnote_text,
    rests_on_line,
    section_line,
    silent_line,
    status_word,
)

__all__ = [
    "FORMATS",
    "LEGACY_NAMES",
    "ReportFiles",
    "ReportVariant",
    "export_json",
    "find_variants",
    "remove_variant",
    "variant_of",
    "write_report",
]

# The formats a report is written in, as their file name ends.
FORMATS: Final = ("docx", "html", "md")
# What one report per folder was called before each language had files of its own: removed
# when a report is written, so no old copy keeps what the database no longer holds.
LEGACY_NAMES: Final = ("report.docx", "report.html", "report.md")
_VARIANT_NAME = re.compile(r"^report(\.drafts)?\.([a-z]{2})\.(docx|html|md)$")


@dataclass(frozen=True)
class ReportVariant:
    """One report of a round: its language, and whether draft blocks are in it."""

    language: str
    drafts: bool = False

    @property
    def stem(self) -> str:
        return f"report{'.drafts' if self.drafts else ''}.{self.language}"

    def file_name(self, fmt: str) -> str:
        return f"{self.stem}.{fmt}"

    def chart_name(self, theme_slug: str) -> str:
        return f"{self.stem}.{chart_filename(theme_slug)}"


def variant_of(name: str) -> tuple[ReportVariant, str] | None:
    """The variant and format a report file name stands for, or None for any other name (the
    download route serves only names this accepts)."""
    found = _VARIANT_NAME.fullmatch(name)
    if found is None:
        return None
    return ReportVariant(found.group(2), found.group(1) is not None), found.group(3)


def find_variants(directory: Path) -> list[ReportVariant]:
    """The reports written in this folder, in name order."""
    if not directory.is_dir():
        return []
    found = {v[0] for p in directory.iterdir() if (v := variant_of(p.name)) is not None}
    return sorted(found, key=lambda v: v.stem)


def remove_variant(directory: Path, variant: ReportVariant) -> None:
    """Remove one report's files and charts (a report that has nothing left to show)."""
    for fmt in FORMATS:
        (directory / variant.file_name(fmt)).unlink(missing_ok=True)
    for chart in directory.glob(f"{variant.stem}.coverage-*.png"):
        chart.unlink()


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    markdown: Path
    json: Path
    docx: Path
    # One <stem>.coverage-<theme>.png per theme with blocks, for the Markdown file (HTML and
    # Word carry the same pictures inside them).
    charts: tuple[Path, ...]


def export_json(report: Report) -> str:
    data = {
        "round": report.round_slug,
        "generated_at": report.generated_at.isoformat(),
        "themes": [
            {
                "theme": section.slug,
                "blocks": [
                    {
                        "id": block.id,
                        "title": block.title,
                        "summary": block.summary,
                        "key_terms": list(block.key_terms),
                        "status": block.status,
                        "contribution_ids": [c.id for c in block.contributions],
                        "quote_ids": [q.id for q in block.quotes],
                        "support": {
                            "contributors": block.support.contributors,
                            "sectors": dict(block.support.sectors),
                            "regions": dict(block.support.regions),
                            "silent_sectors": list(block.support.silent_sectors),
                            "silent_regions": list(block.support.silent_regions),
                        },
                    }
                    for block in section.blocks
                ],
                "unassigned_contribution_ids": [c.id for c in section.unassigned],
            }
            for section in report.themes
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


def write_report(
    env: Environment, report: Report, directory: Path, *, drafts: bool = False
) -> ReportFiles:
    """Write the report in its language; `drafts` names the files of a report that shows
    draft blocks too."""
    variant = ReportVariant(report.language, drafts)
    directory.mkdir(parents=True, exist_ok=True)
    # Each chart is drawn once and used three times: inside HTML and Word, as a file for
    # Markdown.
    charts = {
        section.slug: coverage_chart(section, report.sector_names, report.language)
        for section in report.themes
        if section.blocks
    }
    chart_paths = {slug: directory / variant.chart_name(slug) for slug in charts}
    context = {
        "report": report,
        # The templates' words come from the `report` catalog in this language.
        "lang": report.language,
        "generated": format_datetime(report.generated_at, report.language),
        "notes": quote_numbers(report),
        # Markdown links its charts; HTML holds them, so the one file can be mailed on.
        "charts": {slug: path.name for slug, path in chart_paths.items()},
        "inline_charts": {
            slug: "data:image/png;base64," + base64.b64encode(png).decode("ascii")
            for slug, png in charts.items()
        },
        "annex_heading": lambda: annex_heading(report.language),
        "annex_intro": lambda: annex_intro(report.language),
        # The same wording as in Word; autoescape still applies to what they return.
        "block_label": block_label,
        "status": lambda block: status_word(block.status, report.language),
        "footnote": lambda quote: footnote_text(quote, report.language),
        "silent": lambda support: silent_line(support, report.language),
        "rests_on": lambda block: rests_on_line(block, report.language),
        "section_line": lambda section: section_line(section, report.language),
    }
    files = ReportFiles(
        html=directory / variant.file_name("html"),
        markdown=directory / variant.file_name("md"),
        json=directory / "blocks.json",
        docx=directory / variant.file_name("docx"),
        charts=tuple(chart_paths.values()),
    )
    for slug, path in chart_paths.items():
        _write_bytes(path, charts[slug])
    # A theme that lost its blocks since the last run must not leave its old chart behind.
    for old in directory.glob(f"{variant.stem}.coverage-*.png"):
        if old not in files.charts:
            old.unlink()
    for name in LEGACY_NAMES:
        (directory / name).unlink(missing_ok=True)
    for old in directory.glob("coverage-*.png"):
        old.unlink()
    _write(files.html, env.get_template("report/report.html").render(context))
    _write(files.markdown, env.get_template("report/report.md").render(context))
    _write(files.json, export_json(report))
    write_docx(report, files.docx, charts=charts)
    return files


def _write(path: Path, text: str) -> None:
    _write_bytes(path, text.encode("utf-8"))


def _write_bytes(path: Path, data: bytes) -> None:
    # Write then rename, so a reader never sees half a report.
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)

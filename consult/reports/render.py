"""Write a report as HTML, Markdown and Word, the coverage charts as PNG files next to them, and
a JSON export of blocks with their contribution ids."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment

from consult.i18n import format_datetime
from consult.reports.chart import chart_filename, coverage_chart
from consult.reports.content import Report, quote_numbers
from consult.reports.docx import write_docx
from consult.reports.labels import (
    block_label,
    footnote_text,
    rests_on_line,
    section_line,
    silent_line,
    status_word,
)

__all__ = ["ReportFiles", "export_json", "write_report"]


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    markdown: Path
    json: Path
    docx: Path
    charts: tuple[Path, ...]  # one coverage-<theme>.png per theme with blocks


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


def write_report(env: Environment, report: Report, directory: Path) -> ReportFiles:
    directory.mkdir(parents=True, exist_ok=True)
    # Each chart is drawn once and used twice: as a file for HTML and Markdown, and inside Word.
    charts = {
        section.slug: coverage_chart(section, report.sector_names, report.language)
        for section in report.themes
        if section.blocks
    }
    chart_paths = {slug: directory / chart_filename(slug) for slug in charts}
    context = {
        "report": report,
        # The templates' words come from the `report` catalog in this language.
        "lang": report.language,
        "generated": format_datetime(report.generated_at, report.language),
        "notes": quote_numbers(report),
        "charts": {slug: path.name for slug, path in chart_paths.items()},
        # The same wording as in Word; autoescape still applies to what they return.
        "block_label": block_label,
        "status": lambda block: status_word(block.status, report.language),
        "footnote": lambda quote: footnote_text(quote, report.language),
        "silent": lambda support: silent_line(support, report.language),
        "rests_on": lambda block: rests_on_line(block, report.language),
        "section_line": lambda section: section_line(section, report.language),
    }
    files = ReportFiles(
        html=directory / "report.html",
        markdown=directory / "report.md",
        json=directory / "blocks.json",
        docx=directory / "report.docx",
        charts=tuple(chart_paths.values()),
    )
    for slug, path in chart_paths.items():
        _write_bytes(path, charts[slug])
    # A theme that lost its blocks since the last run must not leave its old chart behind.
    for old in directory.glob("coverage-*.png"):
        if old not in files.charts:
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

"""Write a report as HTML, Markdown and a JSON export of blocks with their contribution ids."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment

from consult.i18n import format_datetime
from consult.reports.content import Report

LABELS = {
    "nl": {
        "title": "Bouwstenen",
        "generated": "Opgesteld",
        "theme": "Thema",
        "blocks": "Bouwstenen",
        "key_terms": "Kernbegrippen",
        "rests_on": "Gebaseerd op",
        "contributions": "bijdragen",
        "unassigned": "Niet ingedeeld",
        "not_quotable": "niet citeerbaar",
        "status": {"draft": "concept", "approved": "goedgekeurd", "rejected": "afgewezen"},
        "none": "Geen",
    },
    "en": {
        "title": "Building blocks",
        "generated": "Compiled",
        "theme": "Theme",
        "blocks": "Building blocks",
        "key_terms": "Key terms",
        "rests_on": "Rests on",
        "contributions": "contributions",
        "unassigned": "Not assigned",
        "not_quotable": "not quotable",
        "status": {"draft": "draft", "approved": "approved", "rejected": "rejected"},
        "none": "None",
    },
}


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    markdown: Path
    json: Path


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
    context = {
        "report": report,
        "lang": report.language,
        "t": LABELS["en" if report.language == "en" else "nl"],
        "generated": format_datetime(report.generated_at, report.language),
    }
    files = ReportFiles(
        html=directory / "report.html",
        markdown=directory / "report.md",
        json=directory / "blocks.json",
    )
    _write(files.html, env.get_template("report/report.html").render(context))
    _write(files.markdown, env.get_template("report/report.md").render(context))
    _write(files.json, export_json(report))
    return files


def _write(path: Path, text: str) -> None:
    # Write then rename, so a reader never sees half a report.
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)

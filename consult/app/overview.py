"""A short Markdown overview of a round's building blocks and their support, for the Prefect
artifact that synthesise_round publishes."""

from __future__ import annotations

from consult.i18n import current_language, ngettext, pgettext
from consult.reports.content import Report
from consult.reports.labels import report_title


def blocks_markdown(report: Report) -> str:
    lines = ["# " + report_title(report.round_name, current_language()), ""]
    columns = (
        "#",
        pgettext("overview column", "building block"),
        pgettext("overview column", "status"),
        pgettext("overview column", "contributions"),
        pgettext("overview column", "participants"),
        pgettext("overview column", "sectors"),
        pgettext("overview column", "regions"),
    )
    for section in report.themes:
        lines += [f"## {section.title}", ""]
        lines += [
            "| " + " | ".join(columns) + " |",
            "| --- | --- | --- | ---: | ---: | --- | --- |",
        ]
        for block in section.blocks:
            support = block.support
            sectors = ", ".join(f"{name} ({n})" for name, n in support.sectors)
            regions = ", ".join(f"{name} ({n})" for name, n in support.regions)
            title = block.title.replace("|", "/")
            lines.append(
                f"| {block.id} | {title} | {block.status} | {len(block.contributions)} "
                f"| {support.contributors} | {sectors} | {regions} |"
            )
        unassigned = ngettext(
            "Not placed: %(num)s contribution.",
            "Not placed: %(num)s contributions.",
            len(section.unassigned),
        )
        lines += ["", unassigned, ""]
    return "\n".join(lines)

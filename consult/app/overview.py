"""A short Markdown overview of a round's building blocks and their support, for the Prefect
artifact that synthesise_round publishes."""

from __future__ import annotations

from consult.reports.content import Report


def blocks_markdown(report: Report) -> str:
    lines = [f"# Bouwstenen: {report.round_name}", ""]
    for section in report.themes:
        lines += [f"## {section.title}", ""]
        lines += [
            "| # | bouwsteen | status | bijdragen | deelnemers | sectoren | regio's |",
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
        lines += ["", f"Niet ingedeeld: {len(section.unassigned)} bijdragen.", ""]
    return "\n".join(lines)

"""The words around a report's content, in Dutch and English.

One table for every format (HTML, Markdown, Word, the chart), so a label reads the same wherever
staff meet it. It lives in its own module because render.py imports the chart and Word writers,
which need the labels too; render.py re-exports LABELS.
"""

from __future__ import annotations

from typing import Any

from consult.reports.content import BlockView, ContributionView, Report, Support, ThemeSection

LABELS: dict[str, dict[str, Any]] = {
    "nl": {
        "title": "Bouwstenen",
        "generated": "Opgesteld",
        "theme": "Thema",
        "theme_one": "thema",
        "themes": "thema's",
        "block": "bouwsteen",
        "blocks": "Bouwstenen",
        "key_terms": "Kernbegrippen",
        "rests_on": "Gebaseerd op",
        "contribution": "bijdrage",
        "contributions": "bijdragen",
        "unassigned": "Niet ingedeeld",
        "not_quotable": "niet citeerbaar",
        "status": {"draft": "concept", "approved": "goedgekeurd", "rejected": "afgewezen"},
        "none": "Geen",
        "support": "Draagvlak",
        "sector": "Sector",
        "region": "Regio",
        "contributors": "Bijdragers",
        "silent_sectors": "Geen inbreng uit de sectoren",
        "silent_regions": "Geen inbreng uit de regio's",
        "all_heard": "Alle uitgenodigde sectoren en regio's hebben bijgedragen.",
        "quotes": "Citaten",
        "notes": "Voetnoten",
        "chart_title": "Bijdragers per sector en bouwsteen",
        "chart_empty": "0 = geen inbreng uit deze sector",
        "page": "pagina",
    },
    "en": {
        "title": "Building blocks",
        "generated": "Compiled",
        "theme": "Theme",
        "theme_one": "theme",
        "themes": "themes",
        "block": "building block",
        "blocks": "Building blocks",
        "key_terms": "Key terms",
        "rests_on": "Rests on",
        "contribution": "contribution",
        "contributions": "contributions",
        "unassigned": "Not assigned",
        "not_quotable": "not quotable",
        "status": {"draft": "draft", "approved": "approved", "rejected": "rejected"},
        "none": "None",
        "support": "Support",
        "sector": "Sector",
        "region": "Region",
        "contributors": "Contributors",
        "silent_sectors": "No input from the sectors",
        "silent_regions": "No input from the regions",
        "all_heard": "Every invited sector and region contributed.",
        "quotes": "Quotes",
        "notes": "Notes",
        "chart_title": "Contributors per sector and building block",
        "chart_empty": "0 = no input from this sector",
        "page": "page",
    },
}


def labels_for(language: str) -> dict[str, Any]:
    """Dutch unless English is asked for: Dutch is the committee's working language."""
    return LABELS["en" if language == "en" else "nl"]


def block_label(index: int) -> str:
    """The short name of a theme's index-th block (0-based) in the chart and the headings."""
    return f"B{index + 1}"


def footnote_text(quote: ContributionView, language: str) -> str:
    """What a quote's footnote says in every format: who (as far as they allowed) and which
    contribution, so staff can find the original words."""
    return f"{quote.attribution}; {labels_for(language)['contribution']} #{quote.id}."


def silent_line(support: Support, language: str) -> str:
    """The sentence under a support table naming the invited sectors and regions not heard."""
    t = labels_for(language)
    parts = []
    if support.silent_sectors:
        parts.append(f"{t['silent_sectors']}: {', '.join(support.silent_sectors)}.")
    if support.silent_regions:
        parts.append(f"{t['silent_regions']}: {', '.join(support.silent_regions)}.")
    return " ".join(parts) or str(t["all_heard"])


def rests_on_line(block: BlockView, language: str) -> str:
    """ "Gebaseerd op 3 bijdragen: #11, #12, #14." - the ids lead back to the original words."""
    t = labels_for(language)
    n = counted(len(block.contributions), t["contribution"], t["contributions"])
    ids = ", ".join(f"#{c.id}" for c in block.contributions)
    return f"{t['rests_on']} {n}: {ids}."


def counted(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def section_line(section: ThemeSection, language: str) -> str:
    """ "2 bouwstenen, 8 bijdragen." under a theme heading."""
    t = labels_for(language)
    blocks = counted(len(section.blocks), t["block"], t["blocks"].lower())
    contributions = counted(section.contribution_count, t["contribution"], t["contributions"])
    return f"{blocks}, {contributions}."


def report_line(report: Report, language: str) -> str:
    """ "2 thema's, 3 bouwstenen, 12 bijdragen." on the title page."""
    t = labels_for(language)
    themes = counted(len(report.themes), t["theme_one"], t["themes"])
    blocks = counted(sum(len(s.blocks) for s in report.themes), t["block"], t["blocks"].lower())
    contributions = counted(
        sum(s.contribution_count for s in report.themes), t["contribution"], t["contributions"]
    )
    return f"{themes}, {blocks}, {contributions}."

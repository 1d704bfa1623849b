"""The sentences around a report's content that every format shares (HTML, Markdown, Word, the
chart), so a line reads the same wherever staff meet it. Words come from the `report` catalog,
in the report's own language. It lives in its own module because render.py imports the chart
and Word writers, which need these lines too.
"""

from __future__ import annotations

from consult.i18n import gettext as _
from consult.i18n import ngettext, pgettext
from consult.reports.content import BlockView, ContributionView, Report, Support, ThemeSection


def report_title(round_name: str, language: str) -> str:
    """ "Bouwstenen: Consultatieronde voorjaar 2025", the title of the report and of the
    overview staff see in Prefect."""
    return _("Building blocks: %(round)s", language, round=round_name)


def block_label(index: int) -> str:
    """The short name of a theme's index-th block (0-based) in the chart and the headings."""
    return f"B{index + 1}"


def status_word(status: str, language: str) -> str:
    """A block's status as it appears after a heading: "(concept)"."""
    # The "report" context keeps these apart from the same words staff read on the command
    # line, which live in another catalog.
    words = {
        "draft": pgettext("report", "draft", language),
        "approved": pgettext("report", "approved", language),
        "rejected": pgettext("report", "rejected", language),
    }
    return words.get(status, status)


def footnote_text(quote: ContributionView, language: str) -> str:
    """What a quote's footnote says in every format: who (as far as they allowed) and which
    contribution, so staff can find the original words."""
    return _("%(who)s; contribution #%(id)s.", language, who=quote.attribution, id=quote.id)


def silent_line(support: Support, language: str) -> str:
    """The sentence under a support table naming the invited sectors and regions not heard."""
    parts = []
    if support.silent_sectors:
        names = ", ".join(support.silent_sectors)
        parts.append(_("No input from the sectors: %(names)s.", language, names=names))
    if support.silent_regions:
        names = ", ".join(support.silent_regions)
        parts.append(_("No input from the regions: %(names)s.", language, names=names))
    return " ".join(parts) or _("Every invited sector and region contributed.", language)


def rests_on_line(block: BlockView, language: str) -> str:
    """ "Gebaseerd op 3 bijdragen: #11, #12, #14." - the ids lead back to the original words."""
    ids = ", ".join(f"#{c.id}" for c in block.contributions)
    return ngettext(
        "Rests on %(num)s contribution: %(ids)s.",
        "Rests on %(num)s contributions: %(ids)s.",
        len(block.contributions),
        language,
        ids=ids,
    )


def annex_heading(language: str) -> str:
    return _("Annex: the contributions the building blocks rest on", language)


def annex_intro(language: str) -> str:
    """Under the annex heading: what a reader finds there and what they do not."""
    return _(
        "Each contribution under its number, as its author allowed: the text of a "
        "contribution that may not be quoted is left out, with only its sector and region; "
        "a contribution that may be quoted by role shows role, sector and region, no name.",
        language,
    )


def section_line(section: ThemeSection, language: str) -> str:
    """ "2 bouwstenen, 8 bijdragen." under a theme heading."""
    blocks = _blocks(len(section.blocks), language)
    contributions = _contributions(section.contribution_count, language)
    return f"{blocks}, {contributions}."


def report_line(report: Report, language: str) -> str:
    """ "2 thema's, 3 bouwstenen, 12 bijdragen." on the title page."""
    themes = ngettext("%(num)s theme", "%(num)s themes", len(report.themes), language)
    blocks = _blocks(sum(len(s.blocks) for s in report.themes), language)
    contributions = _contributions(sum(s.contribution_count for s in report.themes), language)
    return f"{themes}, {blocks}, {contributions}."


def _blocks(n: int, language: str) -> str:
    return ngettext("%(num)s building block", "%(num)s building blocks", n, language)


def _contributions(n: int, language: str) -> str:
    return ngettext("%(num)s contribution", "%(num)s contributions", n, language)

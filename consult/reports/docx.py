"""The report as a Word document, which is what staff edit and pass on.

Per theme: a Heading 1, the coverage chart, and per building block a Heading 2, its summary, key
terms, a support table, representative quotes each with a real Word footnote (attribution and
contribution id), and the ids of the contributions it rests on; then the theme's contributions
that no block took up.

python-docx has no footnote API, so this module adds the footnotes part itself
(see _Footnotes). Everything shown comes from report content, which already leaves out
not_quotable text and, for role_only, name and organisation.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from datetime import UTC
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import XmlPart
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

from consult.i18n import format_datetime
from consult.i18n import gettext as _
from consult.reports.chart import coverage_chart
from consult.reports.content import BlockView, Report, ThemeSection
from consult.reports.labels import (
    annex_heading,
    annex_intro,
    block_label,
    footnote_text,
    report_line,
    report_title,
    rests_on_line,
    section_line,
    silent_line,
    status_word,
)

TEXT_WIDTH = Cm(16)  # A4 with 2.5 cm margins
_HEADER_FILL = "DCE6F0"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"

# Word's own separator footnotes: ids -1 and 0 are reserved for them, and settings.xml names
# them in w:footnotePr, which is how Word itself writes a document with footnotes. Real
# footnotes are numbered from 1.
_FOOTNOTES_XML = f"""<w:footnotes {nsdecls("w", "r")}>
<w:footnote w:type="separator" w:id="-1"><w:p><w:pPr><w:spacing w:after="0" w:line="240"
 w:lineRule="auto"/></w:pPr><w:r><w:separator/></w:r></w:p></w:footnote>
<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:pPr><w:spacing w:after="0"
 w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>
</w:footnotes>"""

# CT_Settings is a sequence: w:footnotePr must come before these elements.
_AFTER_FOOTNOTE_PR = (
    "w:endnotePr",
    "w:compat",
    "w:docVars",
    "w:rsids",
    "m:mathPr",
    "w:attachedSchema",
    "w:themeFontLang",
    "w:clrSchemeMapping",
    "w:doNotIncludeSubdocsInStats",
    "w:doNotAutoCompressPictures",
    "w:forceUpgrade",
    "w:captions",
    "w:readModeInkLockDown",
    "w:smartTagType",
    "sl:schemaLibrary",
    "w:shapeDefaults",
    "w:doNotEmbedSmartTags",
    "w:decimalSymbol",
    "w:listSeparator",
)

# The style names Word uses for its built-in footnote styles ("footnote text" in lower case),
# so Word treats them as its own rather than as look-alike custom styles.
_FOOTNOTE_STYLES = (
    f"""<w:style {nsdecls("w")} w:type="paragraph" w:styleId="FootnoteText">
<w:name w:val="footnote text"/><w:basedOn w:val="Normal"/><w:uiPriority w:val="99"/>
<w:unhideWhenUsed/><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr>
<w:rPr><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr></w:style>""",
    f"""<w:style {nsdecls("w")} w:type="character" w:styleId="FootnoteReference">
<w:name w:val="footnote reference"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/>
<w:rPr><w:vertAlign w:val="superscript"/></w:rPr></w:style>""",
)

# Characters XML 1.0 cannot carry; one pasted from a PDF would make python-docx refuse the text.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    return _NOT_XML.sub("", text)


class _Footnotes:
    """The /word/footnotes.xml part: created, related from the document part (python-docx then
    writes its content-type override), announced in settings.xml, with Word's footnote styles."""

    def __init__(self, document: DocxDocument) -> None:
        main = document.part
        self._element = parse_xml(_FOOTNOTES_XML)
        part = XmlPart(
            PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, self._element, main.package
        )
        main.relate_to(part, RT.FOOTNOTES)
        settings = document.settings.element
        footnote_pr = parse_xml(
            f'<w:footnotePr {nsdecls("w")}><w:footnote w:id="-1"/><w:footnote w:id="0"/>'
            "</w:footnotePr>"
        )
        settings.insert_element_before(footnote_pr, *_AFTER_FOOTNOTE_PR)
        styles = document.styles.element
        for xml in _FOOTNOTE_STYLES:
            styles.append(parse_xml(xml))
        self._next_id = 1

    def add(self, paragraph: Paragraph, text: str) -> int:
        """Put a footnote reference at the end of `paragraph` and the note itself, with
        `text`, in the footnotes part; Word and LibreOffice number them in reading order."""
        note_id = self._next_id
        self._next_id += 1
        reference = paragraph.add_run()
        reference._r.append(_reference_props())
        reference._r.append(OxmlElement("w:footnoteReference", {qn("w:id"): str(note_id)}))

        note = OxmlElement("w:footnote", {qn("w:id"): str(note_id)})
        p = OxmlElement("w:p")
        p_pr = OxmlElement("w:pPr")
        p_pr.append(OxmlElement("w:pStyle", {qn("w:val"): "FootnoteText"}))
        p.append(p_pr)
        mark = OxmlElement("w:r")
        mark.append(_reference_props())
        mark.append(OxmlElement("w:footnoteRef"))
        p.append(mark)
        body = OxmlElement("w:r")
        t = OxmlElement("w:t", {_XML_SPACE: "preserve"})
        t.text = " " + clean(text)
        body.append(t)
        p.append(body)
        note.append(p)
        self._element.append(note)
        return note_id


def _reference_props() -> BaseOxmlElement:
    r_pr = OxmlElement("w:rPr")
    r_pr.append(OxmlElement("w:rStyle", {qn("w:val"): "FootnoteReference"}))
    return r_pr


def write_docx(report: Report, path: Path, *, charts: Mapping[str, bytes] | None = None) -> None:
    """Write the report to `path` (.docx). `charts` maps theme slug to the coverage PNG when the
    caller already drew them; missing ones are drawn here."""
    language = report.language
    title = clean(report_title(report.round_name, language))
    document = Document()
    _page_setup(document, report)
    footnotes = _Footnotes(document)

    document.add_paragraph(title, style="Title")
    when = format_datetime(report.generated_at, language)
    document.add_paragraph(_("Compiled: %(when)s", language, when=when))
    document.add_paragraph(report_line(report, language))
    if report.method_note:
        document.add_paragraph(clean(report.method_note))

    for section in report.themes:
        chart = (charts or {}).get(section.slug)
        if chart is None and section.blocks:
            chart = coverage_chart(section, report.sector_names, language)
        _theme(document, footnotes, section, chart, language)
    _annex(document, report)

    core = document.core_properties
    core.title = title
    core.subject = report.round_slug
    core.author = core.last_modified_by = "consult"
    core.language = _language_tag(report.language)
    # python-docx writes these with a "Z" suffix without converting: hand it UTC.
    core.created = core.modified = report.generated_at.astimezone(UTC)
    core.revision = 1
    core.comments = ""
    # Write then rename, so a reader (or a sync client) never sees half a document.
    tmp = path.with_suffix(path.suffix + ".tmp")
    document.save(str(tmp))
    tmp.replace(path)


def _theme(
    document: DocxDocument,
    footnotes: _Footnotes,
    section: ThemeSection,
    chart: bytes | None,
    language: str,
) -> None:
    heading = document.add_heading(
        clean(_("Theme: %(title)s", language, title=section.title)), level=1
    )
    # Each theme starts on a new page; the first one thereby leaves the title page alone.
    heading.paragraph_format.page_break_before = True
    document.add_paragraph(section_line(section, language))
    if chart is not None:
        document.add_picture(io.BytesIO(chart), width=TEXT_WIDTH)
    for index, block in enumerate(section.blocks):
        _block(document, footnotes, block, index, language)

    document.add_heading(_("Not assigned", language), level=2)
    if not section.unassigned:
        document.add_paragraph(_("None.", language))
    for c in section.unassigned:
        item = document.add_paragraph(style="List Bullet")
        item.add_run(f"#{c.id} ").bold = True
        if c.quote is not None:
            item.add_run(clean(f"“{c.quote}”"))
        else:
            item.add_run(f"({_('not quotable', language)})").italic = True
        item.add_run(clean(f" — {c.attribution}"))


def _annex(document: DocxDocument, report: Report) -> None:
    """Every contribution a block rests on, under its number, so "#72" in a block can be looked
    up on paper; the text only where its author allowed quoting (report content leaves it out
    otherwise)."""
    language = report.language
    sections = [s for s in report.themes if s.blocks]
    if not sections:
        return
    heading = document.add_heading(clean(annex_heading(language)), level=1)
    heading.paragraph_format.page_break_before = True
    document.add_paragraph(annex_intro(language))
    for section in sections:
        document.add_heading(clean(_("Theme: %(title)s", language, title=section.title)), level=2)
        for index, block in enumerate(section.blocks):
            document.add_heading(clean(f"{block_label(index)} · {block.title}"), level=3)
            for c in block.contributions:
                item = document.add_paragraph()
                item.paragraph_format.keep_together = True
                item.add_run(f"#{c.id}  ").bold = True
                if c.quote is not None:
                    item.add_run(clean(f"“{c.quote}”"))
                    item.add_run(clean(f" — {c.attribution}")).italic = True
                else:
                    item.add_run(f"({_('not quotable', language)})").italic = True
                    item.add_run(clean(f" — {c.attribution}"))


def _block(
    document: DocxDocument,
    footnotes: _Footnotes,
    block: BlockView,
    index: int,
    language: str,
) -> None:
    title = f"{block_label(index)} · {block.title}"
    if block.status != "approved":
        title += f" ({status_word(block.status, language)})"
    document.add_heading(clean(title), level=2)
    if block.summary:
        document.add_paragraph(clean(block.summary))
    if block.key_terms:
        terms = document.add_paragraph()
        terms.add_run(f"{_('Key terms', language)}: ").bold = True
        terms.add_run(clean(", ".join(block.key_terms)))

    document.add_heading(_("Support", language), level=3)
    _support_table(document, block, language)
    silent = document.add_paragraph(clean(silent_line(block.support, language)))
    silent.paragraph_format.space_before = Pt(6)

    if block.quotes:
        document.add_heading(_("Quotes", language), level=3)
    for quote in block.quotes:
        # quotes only holds contributions whose author allowed quoting (quote is not None).
        paragraph = document.add_paragraph(clean(f"“{quote.quote}”"), style="Quote")
        footnotes.add(paragraph, footnote_text(quote, language))

    document.add_paragraph(rests_on_line(block, language))


def _support_table(document: DocxDocument, block: BlockView, language: str) -> Table:
    """One table, two parts: sectors, then regions, each with its count of distinct
    contributors (a person with three contributions to the block counts once)."""
    support = block.support
    contributors = _("Contributors", language)
    rows: list[tuple[str, str, bool]] = []
    parts = ((_("Sector", language), support.sectors), (_("Region", language), support.regions))
    for label, counts in parts:
        rows.append((label, contributors, True))
        rows += [(name, str(count), False) for name, count in counts]
    table: Table = document.add_table(rows=len(rows), cols=2, style="Table Grid")
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    # Word reads the cell widths, LibreOffice the grid columns: set both.
    table.autofit = False
    table.columns[0].width, table.columns[1].width = Cm(12), Cm(4)
    for i, ((name, value, header), row) in enumerate(zip(rows, table.rows, strict=True)):
        for cell, text, align, width in (
            (row.cells[0], name, WD_ALIGN_PARAGRAPH.LEFT, Cm(12)),
            (row.cells[1], value, WD_ALIGN_PARAGRAPH.RIGHT, Cm(4)),
        ):
            cell.width = width
            paragraph = cell.paragraphs[0]
            paragraph.alignment = align
            paragraph.paragraph_format.space_after = Pt(0)
            # A support table is short: keep it on one page rather than split a sector list.
            paragraph.paragraph_format.keep_with_next = i < len(rows) - 1
            run = paragraph.add_run(clean(text))
            if header:
                run.bold = True
                fill = {qn("w:val"): "clear", qn("w:color"): "auto", qn("w:fill"): _HEADER_FILL}
                cell._tc.get_or_add_tcPr().append(OxmlElement("w:shd", fill))
    return table


def _page_setup(document: DocxDocument, report: Report) -> None:
    """A4 with 2.5 cm margins (python-docx's template is US Letter), the document language for
    spelling and hyphenation, and a footer with the round and page number."""
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.5))

    lang = document.styles.element.find(qn("w:docDefaults") + "/" + qn("w:rPrDefault"))
    if lang is not None:
        for element in lang.iter(qn("w:lang")):
            element.set(qn("w:val"), _language_tag(report.language))

    for name in ("Heading 1", "Heading 2", "Heading 3", "Title"):
        font = document.styles[name].font
        font.color.rgb = RGBColor(0x00, 0x40, 0x5F)
    heading_3 = document.styles["Heading 3"]
    heading_3.font.size = Pt(11)

    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    # Translators: the footer of the Word report; Word puts the page number after it.
    page = _("%(round)s · page", report.language, round=report.round_name)
    footer.add_run(clean(f"{page} ")).font.size = Pt(8)
    _page_field(footer)


def _page_field(paragraph: Paragraph) -> None:
    """A PAGE field, which Word and LibreOffice fill in per page: begin, instruction, separator,
    the placeholder result and end, each in its own run as Word writes them."""
    parts = (
        OxmlElement("w:fldChar", {qn("w:fldCharType"): "begin"}),
        OxmlElement("w:instrText", {_XML_SPACE: "preserve"}),
        OxmlElement("w:fldChar", {qn("w:fldCharType"): "separate"}),
        OxmlElement("w:t"),
        OxmlElement("w:fldChar", {qn("w:fldCharType"): "end"}),
    )
    parts[1].text, parts[3].text = " PAGE ", "1"
    for element in parts:
        run = paragraph.add_run()
        run.font.size = Pt(8)
        run._r.append(element)


def _language_tag(language: str) -> str:
    return "en-GB" if language == "en" else "nl-NL"

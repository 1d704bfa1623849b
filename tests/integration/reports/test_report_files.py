"""The report files staff open: Word with headings, support tables, a chart per theme and real
footnotes; HTML and Markdown saying the same; the JSON export; the chart PNGs. And in none of
them a not_quotable text or the name or organisation of someone who allowed only their role."""

from __future__ import annotations

import json
import re
import struct
import zipfile
from collections.abc import Callable
from dataclasses import replace
from html import unescape
from pathlib import Path
from xml.etree import ElementTree

import docx
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from jinja2 import Environment
from markdown_it import MarkdownIt
from PIL import Image

from consult.reports.chart import chart_size
from consult.reports.content import view
from consult.reports.render import ReportFiles, write_report
from consult.taxonomy import Taxonomy
from tests.integration.reports.sample import CONTRIBUTIONS, Sample, orm_contribution

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

MakeSample = Callable[[str], Sample]


def _write(env: Environment, sample: Sample, directory: Path) -> ReportFiles:
    return write_report(env, sample.report, directory)


def _footnotes(path: Path) -> dict[int, str]:
    """Footnote id -> text, read straight from word/footnotes.xml (not through python-docx,
    which does not know footnotes)."""
    with zipfile.ZipFile(path) as archive:
        root = ElementTree.fromstring(archive.read("word/footnotes.xml"))
    return {
        int(note.get(f"{W}id", "")): "".join(t.text or "" for t in note.iter(f"{W}t"))
        for note in root.iter(f"{W}footnote")
    }


def _referenced_paragraphs(path: Path) -> list[tuple[int, str]]:
    """(footnote id, text of the paragraph that carries the reference), in document order."""
    with zipfile.ZipFile(path) as archive:
        root = ElementTree.fromstring(archive.read("word/document.xml"))
    found = []
    for paragraph in root.iter(f"{W}p"):
        for ref in paragraph.iter(f"{W}footnoteReference"):
            text = "".join(t.text or "" for t in paragraph.iter(f"{W}t"))
            found.append((int(ref.get(f"{W}id", "")), text))
    return found


def _table_rows(table: docx.table.Table) -> list[tuple[str, ...]]:
    return [tuple(cell.text for cell in row.cells) for row in table.rows]


def _docx_text_everywhere(path: Path) -> str:
    """Every XML part of the package: body, footnotes, footer, core properties."""
    with zipfile.ZipFile(path) as archive:
        return "\n".join(
            archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.endswith((".xml", ".rels"))
        )


def test_word_report_has_themes_blocks_support_tables_and_charts(
    make_sample: MakeSample, templates_env: Environment, tmp_path: Path
) -> None:
    sample = make_sample("nl")
    files = _write(templates_env, sample, tmp_path)
    document = docx.Document(str(files.docx))

    def headings(level: int) -> list[str]:
        return [p.text for p in document.paragraphs if p.style.name == f"Heading {level}"]

    assert document.paragraphs[0].text == "Bouwstenen: Consultatieronde voorjaar 2025"
    assert "Opgesteld: vrijdag 14 maart 2025 om 15:30" in [p.text for p in document.paragraphs]
    assert headings(1) == [
        "Thema: Innovatie",
        "Thema: Behoud & betrokkenheid van zorgprofessionals",
        "Bijlage: de bijdragen waarop de bouwstenen rusten",
    ]
    # Approved blocks carry no status; a draft says so in its heading. The annex repeats the
    # themes, each block's contributions under it.
    assert headings(2) == [
        "B1 · Leerwerkplekken in de wijk",
        "B2 · Vaste begeleiding voor zij-instromers (concept)",
        "Niet ingedeeld",
        "B1 · Roostervrijheid en een vaste contactpersoon",
        "Niet ingedeeld",
        "Thema: Innovatie",
        "Thema: Behoud & betrokkenheid van zorgprofessionals",
    ]
    texts = [p.text for p in document.paragraphs]
    assert "Kernbegrippen: leerwerkplek, wijk, werkbegeleider" in texts
    assert "Gebaseerd op 4 bijdragen: #11, #12, #13, #14." in texts
    assert "Gebaseerd op 2 bijdragen: #15, #16." in texts

    # Support: distinct contributors (Anna's two contributions count once for VVT).
    assert len(document.tables) == 3
    assert _table_rows(document.tables[0]) == [
        ("Sector", "Bijdragers"),
        ("Verpleeg- en verzorgingshuizen en thuiszorg (VVT)", "2"),
        ("Middelbaar beroepsonderwijs (mbo)", "1"),
        ("Regio", "Bijdragers"),
        ("Achterhoek", "1"),
        ("Twente", "1"),
        ("Zwolle", "1"),
    ]
    assert (
        "Geen inbreng uit de sectoren: Geestelijke gezondheidszorg, Ziekenhuizen, "
        "Hoger beroepsonderwijs (hbo), Gemeenten. "
        "Geen inbreng uit de regio's: Flevoland, Stedenvierkant."
    ) in texts

    # One chart per theme, the same picture as the PNG file next to the report.
    assert len(document.inline_shapes) == 2
    with zipfile.ZipFile(files.docx) as archive:
        images = sorted(n for n in archive.namelist() if n.startswith("word/media/"))
        embedded = {archive.read(n) for n in images}
    assert embedded == {path.read_bytes() for path in files.charts}

    # The not-assigned contributions: ids, quotes only where allowed.
    assert "#17 (niet citeerbaar) — Middelbaar beroepsonderwijs (mbo), Zwolle" in texts
    assert any(t.startswith("#18 “Laat teams zelf hun roosters maken.”") for t in texts)


def test_each_quote_has_a_word_footnote_with_attribution_and_contribution_id(
    make_sample: MakeSample, templates_env: Environment, tmp_path: Path
) -> None:
    sample = make_sample("nl")
    files = _write(templates_env, sample, tmp_path)

    document = docx.Document(str(files.docx))
    related = [rel.reltype for rel in document.part.rels.values()]
    assert RT.FOOTNOTES in related
    with zipfile.ZipFile(files.docx) as archive:
        types = archive.read("[Content_Types].xml").decode()
        settings = archive.read("word/settings.xml").decode()
        styles = archive.read("word/styles.xml").decode()
    assert 'PartName="/word/footnotes.xml"' in types
    assert "wordprocessingml.footnotes+xml" in types
    assert '<w:footnotePr><w:footnote w:id="-1"/><w:footnote w:id="0"/></w:footnotePr>' in settings
    assert 'w:styleId="FootnoteReference"' in styles

    notes = _footnotes(files.docx)
    quotes = sample.quotes
    assert len(quotes) == 7
    # -1 and 0 are Word's separators; one real footnote per quote, numbered from 1.
    assert sorted(notes) == [-1, 0, *range(1, len(quotes) + 1)]
    references = _referenced_paragraphs(files.docx)
    assert [number for number, _ in references] == list(range(1, len(quotes) + 1))
    for number, (quote, (_, paragraph)) in enumerate(zip(quotes, references, strict=True), 1):
        assert quote.quote is not None
        assert paragraph == f"“{quote.quote}”"
        assert quote.attribution in notes[number]
        assert f"bijdrage #{quote.id}." in notes[number]
    # Role-only: the footnote gives role, sector and region.
    assert notes[1] == (
        " wijkverpleegkundige, Verpleeg- en verzorgingshuizen en thuiszorg (VVT), Twente; "
        "bijdrage #12."
    )
    assert "Anna de Vries, bestuurder, Zorggroep Oost" in notes[2]


@pytest.mark.parametrize("language", ["nl", "en"])
def test_no_hidden_text_or_role_only_name_in_any_file(
    language: str, make_sample: MakeSample, templates_env: Environment, tmp_path: Path
) -> None:
    sample = make_sample(language)
    files = _write(templates_env, sample, tmp_path)
    written = {
        "html": files.html.read_text(encoding="utf-8"),
        "markdown": files.markdown.read_text(encoding="utf-8"),
        "json": files.json.read_text(encoding="utf-8"),
        "docx": _docx_text_everywhere(files.docx),
    }
    with zipfile.ZipFile(files.docx) as archive:
        written["footnotes.xml"] = archive.read("word/footnotes.xml").decode("utf-8")
    assert len(sample.hidden) == 9  # three secrets, three names, three organisations
    for where, text in written.items():
        for hidden in sample.hidden:
            assert hidden not in text, f"{hidden!r} appears in {where}"
    # Not vacuous: what may be shown is shown (role-only quote and role; attributable name).
    for where in ("html", "markdown", "docx", "footnotes.xml"):
        assert "wijkverpleegkundige" in written[where], where
        assert "Anna de Vries" in written[where], where
    for where in ("html", "markdown", "docx"):
        assert "Studenten die in de wijk leren blijven vaker bij ons werken." in written[where]


def test_html_and_markdown_show_support_chart_and_numbered_footnotes(
    make_sample: MakeSample, templates_env: Environment, tmp_path: Path
) -> None:
    sample = make_sample("nl")
    files = _write(templates_env, sample, tmp_path)
    html = files.html.read_text(encoding="utf-8")
    markdown = files.markdown.read_text(encoding="utf-8")

    # Markdown links its charts, which lie next to it; HTML carries them inside.
    for chart in files.charts:
        assert chart.parent == files.markdown.parent
        assert f"]({chart.name})" in markdown
        assert chart.name not in html
    assert html.count('<img src="data:image/png;base64,') == len(files.charts) == 2
    vvt = "Verpleeg- en verzorgingshuizen en thuiszorg (VVT)"
    assert f'<tr><td>{vvt}</td><td class="n">2</td></tr>' in html
    assert "| Verpleeg- en verzorgingshuizen en thuiszorg (VVT) | 2 |" in markdown
    assert "Geen inbreng uit de regio&#39;s: Flevoland, Stedenvierkant." in html
    assert "Geen inbreng uit de regio's: Flevoland, Stedenvierkant." in markdown
    # Autoescape still on: a quote's "<samen>" is text, not a tag.
    assert "Zorg &amp; welzijn &lt;samen&gt; opleiden" in html

    for number, quote in enumerate(sample.quotes, 1):
        reference = f'<sup id="fnref-{number}"><a href="#fn-{number}">{number}</a></sup>'
        assert reference in html
        note = f'<li id="fn-{number}" value="{number}">'
        assert note in html
        note_html = html.split(note, 1)[1].split("</li>", 1)[0]
        assert f"bijdrage #{quote.id}." in note_html
        assert f"[^{number}]\n" in markdown
        definition = markdown.split(f"\n[^{number}]: ", 1)[1].split("\n", 1)[0]
        assert definition == f"{quote.attribution}; bijdrage #{quote.id}."
    # One footnote list per theme: 5 notes under Innovatie, 2 under Behoud.
    assert html.count('<aside class="footnotes">') == 2
    innovatie, behoud = html.split('<section id="theme-behoud_betrokkenheid">')
    assert innovatie.count('<li id="fn-') == 5 and behoud.count('<li id="fn-') == 2


def test_json_export_has_status_support_quotes_and_every_contribution_once(
    make_sample: MakeSample, templates_env: Environment, tmp_path: Path
) -> None:
    files = _write(templates_env, make_sample("nl"), tmp_path)
    export = json.loads(files.json.read_text(encoding="utf-8"))
    [innovatie, behoud] = export["themes"]
    first, second = innovatie["blocks"]
    assert first["status"] == "approved" and second["status"] == "draft"
    assert first["contribution_ids"] == [11, 12, 13, 14]
    assert first["quote_ids"] == [12, 11, 14]  # staff's preferred quote first, never #13
    assert first["support"] == {
        "contributors": 3,
        "sectors": {
            "Verpleeg- en verzorgingshuizen en thuiszorg (VVT)": 2,
            "Middelbaar beroepsonderwijs (mbo)": 1,
        },
        "regions": {"Achterhoek": 1, "Twente": 1, "Zwolle": 1},
        "silent_sectors": [
            "Geestelijke gezondheidszorg",
            "Ziekenhuizen",
            "Hoger beroepsonderwijs (hbo)",
            "Gemeenten",
        ],
        "silent_regions": ["Flevoland", "Stedenvierkant"],
    }
    assert innovatie["unassigned_contribution_ids"] == [17, 18]
    assert behoud["unassigned_contribution_ids"] == [24]
    placed = [
        cid
        for theme in export["themes"]
        for cid in (
            *[c for b in theme["blocks"] for c in b["contribution_ids"]],
            *theme["unassigned_contribution_ids"],
        )
    ]
    assert sorted(placed) == sorted(CONTRIBUTIONS)


def test_chart_is_a_png_whose_size_depends_only_on_sectors_and_blocks(
    make_sample: MakeSample, templates_env: Environment, tmp_path: Path
) -> None:
    nl = _write(templates_env, make_sample("nl"), tmp_path / "nl")
    en = _write(templates_env, make_sample("en"), tmp_path / "en")
    assert [p.name for p in nl.charts] == [
        "report.nl.coverage-innovatie.png",
        "report.nl.coverage-behoud_betrokkenheid.png",
    ]
    sizes = []
    for path in (*nl.charts, *en.charts):
        data = path.read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert data[12:16] == b"IHDR"
        width, height = struct.unpack(">II", data[16:24])
        with Image.open(path) as image:
            image.verify()  # a complete, uncorrupted PNG
        sizes.append((width, height))
    # Six invited sectors; two blocks in Innovatie, one in Behoud; the language changes no size.
    expected = [chart_size(6, 2), chart_size(6, 1)]
    assert sizes == expected * 2
    assert expected[0][0] == 1200 and expected[0][1] > expected[1][1]

    # Cells are coloured by count: the VVT row of B1 (2 contributors) is dark blue, its silent
    # neighbour in B2 light grey. Sampled left of the cells' centres, away from the numbers.
    with Image.open(nl.charts[0]) as image:
        rgb = image.convert("RGB")
        left, top, cell_width = 330, 84 + 34, (1200 - 330 - 30) // 2
        y = top + 44 // 2
        b1 = rgb.getpixel((left + cell_width // 4, y))
        b2 = rgb.getpixel((left + cell_width + cell_width // 4, y))
    assert isinstance(b1, tuple) and isinstance(b2, tuple)
    assert sum(b1[:3]) < 300 and b1[2] > b1[0]  # dark blue
    assert min(b2[:3]) > 220  # near-white grey


def test_english_report_uses_english_labels_everywhere(
    make_sample: MakeSample, templates_env: Environment, tmp_path: Path
) -> None:
    files = _write(templates_env, make_sample("en"), tmp_path)
    document = docx.Document(str(files.docx))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "Building blocks: Consultatieronde voorjaar 2025"
    assert "Compiled: Friday 14 March 2025 at 15:30" in texts
    assert "Theme: Innovation" in texts
    assert "B2 · Vaste begeleiding voor zij-instromers (draft)" in texts
    assert "Rests on 4 contributions: #11, #12, #13, #14." in texts
    assert "1 building block, 4 contributions." in texts
    assert _table_rows(document.tables[0])[0] == ("Sector", "Contributors")
    assert ("Nursing homes and home care", "2") in _table_rows(document.tables[0])
    notes = _footnotes(files.docx)
    assert notes[1].endswith("; contribution #12.")

    html = files.html.read_text(encoding="utf-8")
    markdown = files.markdown.read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    assert "<h4>Notes</h4>" in html and "No input from the sectors:" in html
    assert "## Theme: Innovation" in markdown and "| Region | Contributors |" in markdown
    body = _docx_text_everywhere(files.docx)
    for dutch in ("Bijdragers", "Gebaseerd op", "bijdrage #", "Niet ingedeeld", "Thema:"):
        for where, text in (("docx", body), ("html", html), ("markdown", markdown)):
            assert dutch not in text, f"{dutch!r} in the English {where}"


def test_dutch_report_uses_dutch_labels_everywhere(
    make_sample: MakeSample, templates_env: Environment, tmp_path: Path
) -> None:
    files = _write(templates_env, make_sample("nl"), tmp_path)
    html = files.html.read_text(encoding="utf-8")
    markdown = files.markdown.read_text(encoding="utf-8")
    # Only the words Word shows (body, footnotes, footer, title), not its English markup.
    shown = _docx_words(files.docx)
    assert "2 thema's, 3 bouwstenen, 12 bijdragen." in shown
    assert "Consultatieronde voorjaar 2025 · pagina" in shown
    assert '<html lang="nl">' in html and "<h4>Voetnoten</h4>" in html
    assert "## Thema: Innovatie" in markdown and "| Regio | Bijdragers |" in markdown
    english = (
        "Building block",
        "building block",
        "Compiled",
        "Theme",
        "Key terms",
        "Support",
        "Contributors",
        "Region",
        "No input",
        "Quotes",
        "Notes",
        "Rests on",
        "contribution #",
        " contributions",
        "Not assigned",
        "not quotable",
        "draft",
        "page",
    )
    for word in english:
        for where, text in (("docx", shown), ("html", html), ("markdown", markdown)):
            assert word not in text, f"{word!r} in the Dutch {where}"


def _docx_words(path: Path) -> str:
    """The text of every w:t in the package (body, footnotes, footer) and the document
    title."""
    with zipfile.ZipFile(path) as archive:
        parts = [
            ElementTree.fromstring(archive.read(name))
            for name in archive.namelist()
            if name.startswith("word/") and name.endswith(".xml")
        ]
    words = ["".join(t.text or "" for t in part.iter(f"{W}t")) for part in parts]
    return "\n".join([*words, docx.Document(str(path)).core_properties.title])


def test_control_characters_from_pasted_text_do_not_break_the_word_file(
    make_sample: MakeSample, templates_env: Environment, tmp_path: Path
) -> None:
    # Text pasted from a PDF can hold a vertical tab or form feed, which XML cannot carry.
    sample = make_sample("nl")
    [first, *rest] = sample.report.themes
    block = first.blocks[0]
    quote = replace(block.quotes[0], quote="Studenten\x0b blijven\x0c hangen.")
    first = replace(first, blocks=(replace(block, quotes=(quote,)), *first.blocks[1:]))
    report = replace(sample.report, themes=(first, *rest))
    files = write_report(templates_env, report, tmp_path)
    texts = [p.text for p in docx.Document(str(files.docx)).paragraphs]
    assert "“Studenten blijven hangen.”" in texts


def test_a_chart_from_an_earlier_run_is_removed_when_its_theme_has_no_blocks(
    make_sample: MakeSample, templates_env: Environment, tmp_path: Path
) -> None:
    sample = make_sample("nl")
    first = _write(templates_env, sample, tmp_path)
    assert len(first.charts) == 2
    [innovatie, behoud] = sample.report.themes
    emptied = replace(behoud, blocks=(), unassigned=behoud.unassigned)
    second = write_report(
        templates_env, replace(sample.report, themes=(innovatie, emptied)), tmp_path
    )
    assert [p.name for p in second.charts] == ["report.nl.coverage-innovatie.png"]
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["report.nl.coverage-innovatie.png"]
    markdown = second.markdown.read_text(encoding="utf-8")
    assert "coverage-behoud_betrokkenheid.png" not in markdown


HOSTILE = (
    "Goed plan <script>alert(1)</script><img src=x onerror=alert(2)> "
    "[klik hier](javascript:alert(3)) **vet** a\x00b \u202etxt.exe\u202c"
)


def test_html_in_input_is_text_in_every_report_file_and_bidi_overrides_are_gone(
    make_sample: MakeSample, taxonomy: Taxonomy, templates_env: Environment, tmp_path: Path
) -> None:
    # What an invitee typed, and a role from the registry, as they come out of the database.
    contribution = orm_contribution(12)
    contribution.text = HOSTILE
    contribution.person.role = "<b>hoofd</b> <img src=y onerror=alert(5)>"
    hostile = view(contribution, taxonomy, "nl")
    sample = make_sample("nl")
    [first, *rest] = sample.report.themes
    block = replace(first.blocks[0], quotes=(hostile,))
    first = replace(first, blocks=(block, *first.blocks[1:]))
    files = write_report(templates_env, replace(sample.report, themes=(first, *rest)), tmp_path)

    markdown = files.markdown.read_text(encoding="utf-8")
    # What a reader of report.md sees, rendered as a Markdown viewer (raw HTML allowed) does.
    shown = MarkdownIt("commonmark").render(markdown)
    for tag in (
        "<script",
        "<img src=x",
        "<img src=y",
        "<b>hoofd",
        'href="javascript',
        "<strong>vet",
    ):
        assert tag not in shown, f"{tag!r} became markup in report.md"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown  # shown as the text it was
    assert "[klik hier](javascript:alert(3)) **vet** ab" in _visible_text(shown)
    html = files.html.read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    body = "\n".join(p.text for p in docx.Document(str(files.docx)).paragraphs)
    assert "<script>alert(1)</script>" in body  # Word shows it as text
    for where, text in (("markdown", markdown), ("html", html), ("docx", body)):
        assert "\u202e" not in text and "\x00" not in text, where
        assert "ab txt.exe" in text, where


def _visible_text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html))

"""The annex that prints every contribution a block rests on under its number ("#12"), so a
number in a block can be looked up on paper; the reports of each language and kind side by side
in one folder; an HTML file that stands alone."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import docx
from jinja2 import Environment

from consult.reports.render import ReportVariant, find_variants, variant_of, write_report
from tests.integration.reports.sample import CONTRIBUTIONS, PEOPLE, SECRET_1, SECRET_3, Sample

MakeSample = Callable[[str], Sample]
# Contribution ids of the blocks in the sample (sample.BLOCKS): 11-16 and 21-23.
IN_BLOCKS = (11, 12, 13, 14, 15, 16, 21, 22, 23)


def _annex_paragraphs(path: Path) -> list[str]:
    """The paragraphs of the Word file from the annex heading on."""
    texts = [p.text for p in docx.Document(str(path)).paragraphs]
    start = next(i for i, t in enumerate(texts) if t.startswith(("Bijlage:", "Annex:")))
    return texts[start:]


def test_word_annex_prints_each_contribution_under_its_number_as_permitted(
    make_sample: MakeSample, templates_env: Environment, tmp_path: Path
) -> None:
    files = write_report(templates_env, make_sample("nl").report, tmp_path)
    annex = _annex_paragraphs(files.docx)
    assert annex[0] == "Bijlage: de bijdragen waarop de bouwstenen rusten"
    entries = {int(m.group(1)): t for t in annex if (m := re.match(r"#(\d+)\s", t))}
    assert sorted(entries) == list(IN_BLOCKS)
    # Attributable: the text, with name, role and organisation.
    assert entries[11].startswith("#11  “Leerwerkplekken in de wijk maken het vak zichtbaar")
    assert "Anna de Vries, bestuurder, Zorggroep Oost" in entries[11]
    # Role only: text with role, sector and region, no name or organisation.
    assert "Studenten die in de wijk leren blijven vaker bij ons werken." in entries[12]
    assert (
        "wijkverpleegkundige, Verpleeg- en verzorgingshuizen en thuiszorg (VVT), Twente"
        in (entries[12])
    )
    assert "Pieter Bakker" not in entries[12] and "Thuiszorg Hengelo" not in entries[12]
    # Not quotable: says so, with sector and region, and never the text.
    assert entries[13] == "#13  (niet citeerbaar) — Middelbaar beroepsonderwijs (mbo), Zwolle"
    assert entries[22].startswith("#22  (niet citeerbaar)")
    whole = "\n".join(annex)
    for secret in (SECRET_1, SECRET_3, "Sanne Jansen", "ROC Zwolle-Zuid"):
        assert secret not in whole
    # Unassigned contributions are not in the annex (they have their own list per theme).
    assert not any(t.startswith(("#17 ", "#24 ")) for t in annex)


def test_html_and_markdown_annex_under_the_same_numbers(
    make_sample: MakeSample, templates_env: Environment, tmp_path: Path
) -> None:
    files = write_report(templates_env, make_sample("en").report, tmp_path)
    html = files.html.read_text(encoding="utf-8")
    markdown = files.markdown.read_text(encoding="utf-8")
    annex_html = html.split('<section class="annex" id="annex">', 1)[1]
    annex_md = markdown.split("## Annex: the contributions the building blocks rest on", 1)[1]
    for cid in IN_BLOCKS:
        assert f'<dt id="annex-{cid}">#{cid}</dt>' in annex_html
        assert f"- **#{cid}** " in annex_md
        person, permission, text = CONTRIBUTIONS[cid]
        name = PEOPLE[person][0]
        if permission.value == "not_quotable":
            assert text not in annex_html and text not in annex_md
            assert name not in annex_html and name not in annex_md
        else:
            assert text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in (
                annex_html.replace("&#39;", "'")
            )
    assert annex_html.count("(not quotable)") == 2 and annex_md.count("*(not quotable)*") == 2


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "srcset", "data", "poster", "action") and value:
                self.found.append((tag, name, value))
        if tag == "link" or tag == "script":
            self.found.append((tag, "tag", ""))


def test_html_report_is_one_self_contained_file(
    make_sample: MakeSample, templates_env: Environment, tmp_path: Path
) -> None:
    files = write_report(templates_env, make_sample("nl").report, tmp_path)
    html = files.html.read_text(encoding="utf-8")
    parser = _Links()
    parser.feed(html)
    images = [v for tag, name, v in parser.found if tag == "img"]
    assert len(images) == 2 and all(v.startswith("data:image/png;base64,") for v in images)
    # Everything else points inside the file (footnotes, back-references); nothing is loaded
    # from another file or address, so the one file can be mailed or archived on its own.
    others = [(t, n, v) for t, n, v in parser.found if t != "img"]
    assert others and all(n == "href" and v.startswith("#") for _t, n, v in others), others
    assert "url(" not in html and "@import" not in html
    # It reads the same when moved away from its folder: the PNG files are for Markdown only.
    moved = tmp_path / "elsewhere" / "rapport.html"
    moved.parent.mkdir()
    moved.write_text(html, encoding="utf-8")
    assert not re.search(r'(src|href)="(?!#|data:)', moved.read_text(encoding="utf-8"))


def test_each_language_and_kind_has_its_own_files_side_by_side(
    make_sample: MakeSample, templates_env: Environment, tmp_path: Path
) -> None:
    nl = write_report(templates_env, make_sample("nl").report, tmp_path)
    en = write_report(templates_env, make_sample("en").report, tmp_path)
    drafts = write_report(templates_env, make_sample("nl").report, tmp_path, drafts=True)
    assert (nl.docx.name, nl.html.name, nl.markdown.name) == (
        "report.nl.docx",
        "report.nl.html",
        "report.nl.md",
    )
    assert (en.docx.name, drafts.docx.name) == ("report.en.docx", "report.drafts.nl.docx")
    # Writing English after Dutch left the Dutch files as they were.
    assert "Bijlage: de bijdragen" in nl.markdown.read_text(encoding="utf-8")
    assert "Annex: the contributions" in en.markdown.read_text(encoding="utf-8")
    assert docx.Document(str(nl.docx)).paragraphs[0].text.startswith("Bouwstenen:")
    assert docx.Document(str(en.docx)).paragraphs[0].text.startswith("Building blocks:")
    assert find_variants(tmp_path) == [
        ReportVariant("nl", drafts=True),
        ReportVariant("en"),
        ReportVariant("nl"),
    ]
    # The charts of each report are its own too.
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted(
        p.name for p in (*nl.charts, *en.charts, *drafts.charts)
    )
    assert len(set(nl.charts) | set(en.charts) | set(drafts.charts)) == 6


def test_files_of_the_single_report_of_before_are_replaced(
    make_sample: MakeSample, templates_env: Environment, tmp_path: Path
) -> None:
    for old in ("report.docx", "report.html", "report.md", "coverage-innovatie.png"):
        (tmp_path / old).write_text("Naam van vroeger")
    write_report(templates_env, make_sample("nl").report, tmp_path)
    assert not any((tmp_path / old).exists() for old in ("report.docx", "report.html"))
    assert not (tmp_path / "coverage-innovatie.png").exists()


def test_only_report_file_names_are_recognised() -> None:
    assert variant_of("report.nl.docx") == (ReportVariant("nl"), "docx")
    assert variant_of("report.drafts.en.md") == (ReportVariant("en", drafts=True), "md")
    for name in (
        "blocks.json",
        "report.docx",
        "../report.nl.docx",
        "report.nl.docx/..",
        "report.nl.docx.tmp",
        "report.nl.coverage-innovatie.png",
        "report.xx.exe",
        "REPORT.NL.DOCX",
        "report.nl.docx\x00",
        "report.nl.docx\n",
    ):
        assert variant_of(name) is None, name

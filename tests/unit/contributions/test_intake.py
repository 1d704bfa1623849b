"""Reading contributions from CSV and JSON-lines: good rows are kept, every bad row is
reported with the row number and column the secretariat can find in the file."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from consult.contributions.intake import InputError, InputFileError, read_contributions
from models import ContributionKind, QuotePermission

THEMES = {"innovatie", "behoud"}
HEADER = ["email", "theme", "kind", "text", "language", "quote_permission"]


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def _columns(errors: list[InputError]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for error in errors:
        found.setdefault(error.row, set()).add(error.column)
    return found


def test_csv_good_and_bad_rows(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "inbreng.csv",
        [
            # row 2: good, defaults for language and permission
            [" Jan@Zorg.example ", "innovatie", "proposal", "Zet zelfroosteren breder in.", "", ""],
            ["a@zorg.example", "innovatie", "proposal", "   ", "nl", "role_only"],  # 3: no text
            ["b@zorg.example", "onderwijs", "proposal", "Tekst", "nl", "role_only"],  # 4: theme
            ["c@zorg.example", "behoud", "idee", "Tekst", "nl", "role_only"],  # 5: kind
            ["d@zorg.example", "behoud", "proposal", "Tekst", "nl", "anoniem"],  # 6: permission
            ["e@zorg.example", "behoud", "session_note", "x" * 5001, "nl", ""],  # 7: too long
            # row 8: good, English, quotable by name
            ["f@zorg.example", "behoud", "lesson_learned", "Ask early.", "EN", "attributable"],
            ["g@zorg.example", "behoud", "session_note", "y" * 5000, "nl", ""],  # 9: just fits
        ],
    )
    result = read_contributions(path, THEMES)

    assert _columns(result.errors) == {
        3: {"text"},
        4: {"theme"},
        5: {"kind"},
        6: {"quote_permission"},
        7: {"text"},
    }
    reasons = {(e.row, e.column): e.reason for e in result.errors}
    assert reasons[(3, "text")] == "verplicht veld is leeg"
    assert "onderwijs" in reasons[(4, "theme")]
    assert "idee" in reasons[(5, "kind")]
    assert "anoniem" in reasons[(6, "quote_permission")]
    assert "5000" in reasons[(7, "text")]

    assert [r.row for r in result.rows] == [2, 8, 9]
    first, english, long_ok = result.rows
    assert first.email == "jan@zorg.example"
    assert first.theme == "innovatie"
    assert first.kind is ContributionKind.PROPOSAL
    assert first.text == "Zet zelfroosteren breder in."
    assert first.language == "nl"
    assert first.quote_permission is QuotePermission.ROLE_ONLY
    assert english.language == "en"
    assert english.kind is ContributionKind.LESSON_LEARNED
    assert english.quote_permission is QuotePermission.ATTRIBUTABLE
    assert len(long_ok.text) == 5000


def test_csv_row_with_several_problems_reports_each_column(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "inbreng.csv", [["", "onbekend", "", "", "fr", ""]])
    result = read_contributions(path, THEMES)

    assert result.rows == []
    assert _columns(result.errors) == {2: {"email", "theme", "kind", "text", "language"}}
    reasons = {error.column: error.reason for error in result.errors}
    assert reasons["language"] == "onbekende taal 'fr' (nl of en)"


def test_csv_blank_lines_still_count_as_rows(tmp_path: Path) -> None:
    # As in a spreadsheet: an empty row 3 means the next one is row 4.
    path = tmp_path / "inbreng.csv"
    path.write_text(
        "email,theme,kind,text\n"
        "a@zorg.example,behoud,proposal,Goed\n"
        "\n"
        "b@zorg.example,onbekend,proposal,Tekst\n"
        ",,,\n"
        'c@zorg.example,behoud,proposal,"Twee\nregels"\n'
        "d@zorg.example,behoud,idee,Tekst\n",
        encoding="utf-8",
    )
    result = read_contributions(path, THEMES)

    # The empty row 5 (only separators) is skipped, not reported; a cell over two lines is
    # one row.
    assert [(e.row, e.column) for e in result.errors] == [(4, "theme"), (7, "kind")]
    assert [r.row for r in result.rows] == [2, 6]
    assert result.rows[1].text == "Twee\nregels"


def test_csv_from_excel_with_byte_order_mark_and_capitalised_headers(tmp_path: Path) -> None:
    path = tmp_path / "inbreng.csv"
    path.write_text(
        "Email,Theme,Kind,Text\r\na@zorg.example,innovatie,proposal,Meer stageplaatsen\r\n",
        encoding="utf-8-sig",
    )
    result = read_contributions(path, THEMES)

    assert result.errors == []
    assert [(r.row, r.email, r.text) for r in result.rows] == [
        (2, "a@zorg.example", "Meer stageplaatsen")
    ]


def _line(**fields: object) -> str:
    return json.dumps(fields, ensure_ascii=False)


def test_jsonl_good_and_bad_lines_use_line_numbers(tmp_path: Path) -> None:
    good = {"email": "a@zorg.example", "theme": "innovatie", "kind": "proposal"}
    lines = [
        _line(**good, text="Zorgrobots bij de nachtdienst besparen rondes."),  # 1
        "",  # 2: blank lines are skipped but still counted
        '{"email": "b@zorg.example", "theme": ',  # 3: broken JSON
        _line(**good),  # 4: no text
        _line(**{**good, "theme": "sport"}, text="Tekst"),  # 5
        _line(**{**good, "kind": "klacht"}, text="Tekst"),  # 6
        _line(**good, text="Tekst", quote_permission="iedereen"),  # 7
        _line(**good, text="z" * 5001),  # 8
        '["geen", "object"]',  # 9
        _line(**good, text="Café-overleg werkt.", language="en", quote_permission="not_quotable"),
    ]
    path = tmp_path / "inbreng.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = read_contributions(path, THEMES)

    assert [(e.row, e.column) for e in result.errors] == [
        (3, ""),
        (4, "text"),
        (5, "theme"),
        (6, "kind"),
        (7, "quote_permission"),
        (8, "text"),
        (9, ""),
    ]
    assert "JSON" in result.errors[0].reason
    assert [r.row for r in result.rows] == [1, 10]
    assert result.rows[1].text == "Café-overleg werkt."
    assert result.rows[1].quote_permission is QuotePermission.NOT_QUOTABLE


def test_jsonl_with_byte_order_mark_reads_the_first_line(tmp_path: Path) -> None:
    path = tmp_path / "inbreng.jsonl"
    path.write_text(
        _line(email="a@zorg.example", theme="behoud", kind="session_note", text="Goed gesprek.")
        + "\n",
        encoding="utf-8-sig",
    )
    result = read_contributions(path, THEMES)

    assert result.errors == []
    assert [r.row for r in result.rows] == [1]


def test_semicolon_csv_as_dutch_excel_saves_it(tmp_path: Path) -> None:
    path = tmp_path / "inbreng.csv"
    path.write_text(
        "\ufeffemail;theme;kind;text;language;quote_permission\n"
        "a@example.org;innovatie;proposal;Eén budget, voor zorg; welzijn;nl;role_only\n"
        'b@example.org;innovatie;session_note;"Zorg; welzijn samen";nl;attributable\n',
        encoding="utf-8",
    )
    result = read_contributions(path, THEMES)
    # Row 2 has an unquoted ';' inside the text: the extra cell shifts language and permission.
    assert [e.row for e in result.errors] == [2, 2]
    assert [r.text for r in result.rows] == ["Zorg; welzijn samen"]


def test_dutch_headers_and_answers_are_read_like_english_ones(tmp_path: Path) -> None:
    path = tmp_path / "inbreng.csv"
    path.write_text(
        "E-mail;Thema;Soort;Tekst;Taal;Citeren\n"
        "jan@zorg.example;innovatie;proposal;Zet zelfroosteren breder in.;nl;ja\n"
        "kim@zorg.example;behoud;lesson_learned;Vraag het vroeg.;nl;nee\n",
        encoding="utf-8",
    )
    result = read_contributions(path, THEMES)
    assert result.errors == []
    assert [r.quote_permission for r in result.rows] == [
        QuotePermission.ATTRIBUTABLE,
        QuotePermission.NOT_QUOTABLE,
    ]


def test_an_unknown_header_is_one_clear_error_not_a_missing_value_per_row(
    tmp_path: Path,
) -> None:
    path = tmp_path / "inbreng.csv"
    path.write_text(
        "email;thema;soort;opmerking\n" + "jan@zorg.example;innovatie;proposal;Tekst\n" * 3,
        encoding="utf-8",
    )
    with pytest.raises(InputFileError) as caught:
        read_contributions(path, THEMES)
    message = str(caught.value)
    assert "onbekende kolom 'opmerking'" in message
    assert "kolom ontbreekt: text" in message
    assert "Bekende kolommen" in message


def test_control_characters_and_bidi_overrides_are_dropped_and_text_is_nfc(
    tmp_path: Path,
) -> None:
    # A NUL made PostgreSQL refuse the import; SQLite stored it and it reached the report.
    path = tmp_path / "inbreng.jsonl"
    record = {
        "email": "jan@zorg.example",
        "theme": "innovatie",
        "kind": "proposal",
        "text": "Cafe\u0301\x00s in de wijk\u202e\r\nmeer\x07 ruimte",
    }
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    [row] = read_contributions(path, THEMES).rows
    assert row.text == "Cafés in de wijk\nmeer ruimte"


def test_a_huge_csv_cell_rejects_only_its_row(tmp_path: Path) -> None:
    # Python's csv module refuses fields over 128 KiB; that must not cost the whole file.
    path = _write_csv(
        tmp_path / "inbreng.csv",
        [
            ["a@zorg.example", "innovatie", "proposal", "x" * 150_000, "nl", "role_only"],
            ["b@zorg.example", "innovatie", "proposal", "Kort en goed.", "nl", "role_only"],
        ],
    )
    result = read_contributions(path, THEMES)
    assert [row.email for row in result.rows] == ["b@zorg.example"]
    assert [(e.row, e.column) for e in result.errors] == [(2, "text")]

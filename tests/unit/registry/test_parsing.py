"""What the secretariat notices when importing a registry: which rows are in, and which are
rejected with which row number, column and message."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import pytest
from openpyxl import Workbook

from consult.registry.parsing import (
    COLUMNS,
    ParseResult,
    RegistryFileError,
    RegistryRow,
    RowError,
    format_error,
    parse_records,
    read_registry,
)

SECTORS = {"vvt", "ghz", "mbo", "gemeente"}
REGIONS = {"Achterhoek", "Twente", "Zwolle", "Stedenvierkant"}

HEADER: tuple[str, ...] = ("organisation", "sector", "region", "name", "email", "role", "language")

# Row numbers as Excel shows them: header is row 1.
MIXED_ROWS: list[list[object]] = [
    ["Zorggroep Oost", "VVT", "twente", "Jan Jansen", " Jan.Jansen@Zorggroep-Oost.NL ", "HR", ""],
    ["Gemeente Zwolle", "gemeente", "Zwolle", "Piet Pieters", "jan@@x", "Beleid", "nl"],  # 3
    ["ROC Twente", "onderwijs", "Twente", "Anna de Vries", "anna@roc.nl", "", "en"],  # 4
    ["Zorg BV", "ghz", "Randstad", "Kees Klaassen", "kees@zorg.nl", "", ""],  # 5
    ["Zorg BV", "ghz", "Achterhoek", "", "leeg@zorg.nl", "", ""],  # 6
    ["Zorg BV", "ghz", "Achterhoek", "Jan J.", "jan.jansen@zorggroep-oost.nl", "", ""],  # 7
    ["Stichting West", "mbo", "stedenvierkant", "Sara Smit", "sara@west.nl", "Docent", "English"],
]


def parse(path: Path) -> ParseResult:
    return read_registry(path, sectors=SECTORS, regions=REGIONS)


def write_csv(
    path: Path,
    rows: Sequence[Sequence[object]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def error_keys(result: ParseResult) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.reason) for e in result.errors]


# --- mixed good and bad rows -------------------------------------------------------------


def test_mixed_csv_reports_each_bad_row_with_its_row_number_and_column(tmp_path: Path) -> None:
    result = parse(write_csv(tmp_path / "registry.csv", [HEADER, *MIXED_ROWS]))

    assert error_keys(result) == [
        (3, "email", "bad_email"),
        (4, "sector", "unknown_sector"),
        (5, "region", "unknown_region"),
        (6, "name", "missing"),
        (7, "email", "duplicate_in_file"),
    ]
    assert [r.row for r in result.rows] == [2, 8]
    assert result.rejected_rows() == {3, 4, 5, 6, 7}


def test_good_rows_are_normalised(tmp_path: Path) -> None:
    result = parse(write_csv(tmp_path / "registry.csv", [HEADER, *MIXED_ROWS]))

    assert result.rows[0] == RegistryRow(
        row=2,
        organisation="Zorggroep Oost",
        sector="vvt",
        region="Twente",
        name="Jan Jansen",
        email="jan.jansen@zorggroep-oost.nl",
        role="HR",
        language="nl",
    )
    assert (result.rows[1].region, result.rows[1].language) == ("Stedenvierkant", "en")


def test_duplicate_keeps_first_occurrence_and_names_it(tmp_path: Path) -> None:
    result = parse(write_csv(tmp_path / "registry.csv", [HEADER, *MIXED_ROWS]))

    duplicate = next(e for e in result.errors if e.reason == "duplicate_in_file")
    assert duplicate.detail == "also on row 2"
    assert duplicate.value == "jan.jansen@zorggroep-oost.nl"
    assert 2 in {r.row for r in result.rows}


def test_later_copy_is_a_duplicate_even_when_the_first_row_is_rejected(tmp_path: Path) -> None:
    rows = [
        HEADER,
        ["Zorg BV", "onbekend", "Twente", "Jan", "jan@zorg.nl", "", ""],
        ["Zorg BV", "vvt", "Twente", "Jan", "JAN@zorg.nl", "", ""],
    ]
    result = parse(write_csv(tmp_path / "registry.csv", rows))

    assert error_keys(result) == [
        (2, "sector", "unknown_sector"),
        (3, "email", "duplicate_in_file"),
    ]
    assert result.errors[1].detail == "also on row 2"
    assert result.rows == []


def test_every_bad_column_of_a_row_is_reported(tmp_path: Path) -> None:
    rows = [HEADER, ["", "xyz", "Nergens", "Jan", "geen-adres", "", "Frans"]]
    result = parse(write_csv(tmp_path / "registry.csv", rows))

    assert error_keys(result) == [
        (2, "organisation", "missing"),
        (2, "sector", "unknown_sector"),
        (2, "region", "unknown_region"),
        (2, "email", "bad_email"),
        (2, "language", "bad_language"),
    ]
    assert result.rows == []


def test_unknown_region_suggests_the_closest_known_one(tmp_path: Path) -> None:
    rows = [HEADER, ["Zorg BV", "vvt", "Twent", "Jan", "jan@zorg.nl", "", ""]]
    [error] = parse(write_csv(tmp_path / "registry.csv", rows)).errors

    assert error.detail == "Twente"
    assert (
        format_error(error) == "rij 2, kolom regio: onbekende regio 'Twent' (bedoelt u 'Twente'?)"
    )


# --- file formats ------------------------------------------------------------------------


def test_semicolon_csv_with_bom_and_dutch_headers(tmp_path: Path) -> None:
    dutch = ["Organisatie", " SECTOR ", "Regio", "Naam", "E-mail", "Functie", "Taal"]
    path = write_csv(
        tmp_path / "registry.csv", [dutch, *MIXED_ROWS], delimiter=";", encoding="utf-8-sig"
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    dutch_result = parse(path)
    english_result = parse(write_csv(tmp_path / "english.csv", [HEADER, *MIXED_ROWS]))

    assert dutch_result == english_result


def test_xlsx_gives_the_same_result_as_the_equivalent_csv(tmp_path: Path) -> None:
    rows: list[Sequence[object]] = [
        HEADER,
        *MIXED_ROWS,
        [],
        ["Stad", "gemeente", "Zwolle", "Ed", "ed@zwolle.nl", 42, None],
    ]
    from_csv = parse(write_csv(tmp_path / "registry.csv", rows))
    from_xlsx = parse(write_xlsx(tmp_path / "registry.xlsx", rows))

    assert from_xlsx == from_csv
    assert from_xlsx.rows[-1].row == 10
    assert from_xlsx.rows[-1].role == "42"


def test_xlsx_numbers_and_empty_cells_are_read_as_text(tmp_path: Path) -> None:
    rows: list[Sequence[object]] = [
        HEADER,
        ["Zorg BV", "vvt", "Twente", "Jan", "jan@zorg.nl", 3.0, None],
        ["Zorg BV", "vvt", "Twente", "Piet", "piet@zorg.nl", None, None],
    ]
    result = parse(write_xlsx(tmp_path / "registry.xlsx", rows))

    assert result.errors == []
    assert [(r.role, r.language) for r in result.rows] == [("3", "nl"), ("", "nl")]


def test_optional_columns_may_be_absent(tmp_path: Path) -> None:
    rows = [HEADER[:5], ["Zorg BV", "vvt", "Twente", "Jan", "jan@zorg.nl"]]
    [row] = parse(write_csv(tmp_path / "registry.csv", rows)).rows

    assert (row.role, row.language) == ("", "nl")


def test_unknown_columns_such_as_notes_are_ignored(tmp_path: Path) -> None:
    rows = [
        ["Opmerkingen", *HEADER],
        ["bellen in mei", "Zorg BV", "vvt", "Twente", "Jan", "jan@zorg.nl", "", ""],
    ]
    result = parse(write_csv(tmp_path / "registry.csv", rows))

    assert result.errors == []
    assert result.rows[0].organisation == "Zorg BV"


# --- whole-file problems -----------------------------------------------------------------


def test_missing_required_column_names_the_column(tmp_path: Path) -> None:
    header = ["organisatie", "sector", "naam", "functie"]  # no region, no email
    path = write_csv(tmp_path / "registry.csv", [header, ["Zorg BV", "vvt", "Jan", "HR"]])

    with pytest.raises(RegistryFileError) as caught:
        parse(path)

    assert caught.value.missing_columns == ("region", "email")
    assert "regio" in str(caught.value)
    assert "email" in str(caught.value)
    assert "ontbreken verplichte kolommen" in str(caught.value)


def test_two_headers_for_the_same_column_are_refused(tmp_path: Path) -> None:
    header = [*HEADER, "E-mailadres"]
    path = write_csv(tmp_path / "registry.csv", [header])

    with pytest.raises(RegistryFileError, match="twee kolommen"):
        parse(path)


def test_unknown_extension_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "registry.xls"
    path.write_bytes(b"whatever")

    with pytest.raises(RegistryFileError, match=r"onbekend type.*\.xlsx"):
        parse(path)


def test_corrupt_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "registry.xlsx"
    path.write_text("organisation,sector\n", encoding="utf-8")

    with pytest.raises(RegistryFileError, match="Excel"):
        parse(path)


def test_non_utf8_csv_explains_how_to_save_it(tmp_path: Path) -> None:
    rows = [HEADER, ["Zorg BV", "vvt", "Twente", "Anaïs Müller", "anais@zorg.nl", "", ""]]
    path = write_csv(tmp_path / "registry.csv", rows, delimiter=";", encoding="cp1252")

    with pytest.raises(RegistryFileError, match="UTF-8"):
        parse(path)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RegistryFileError):
        parse(tmp_path / "bestaat-niet.csv")


# --- empty rows and row numbers ----------------------------------------------------------


def test_empty_rows_are_skipped_without_shifting_row_numbers(tmp_path: Path) -> None:
    rows: list[Sequence[object]] = [
        HEADER,
        ["Zorg BV", "vvt", "Twente", "Jan", "jan@zorg.nl", "", ""],  # 2
        [],  # 3: blank line
        ["", "", "", "", "", "", ""],  # 4: ";;;;;;" left by Excel
        ["  ", "", "", "", "", "", ""],  # 5
        ["Zorg BV", "vvt", "Twente", "Piet", "piet@@zorg.nl", "", ""],  # 6
        ["Zorg BV", "vvt", "Twente", "Kees", "kees@zorg.nl", "", ""],  # 7
    ]
    for path in (
        write_csv(tmp_path / "registry.csv", rows),
        write_xlsx(tmp_path / "registry.xlsx", rows),
    ):
        result = parse(path)
        assert [r.row for r in result.rows] == [2, 7], path.name
        assert error_keys(result) == [(6, "email", "bad_email")], path.name


def test_line_break_inside_a_quoted_cell_counts_as_one_row(tmp_path: Path) -> None:
    rows = [
        HEADER,
        ["Zorg BV", "vvt", "Twente", "Jan\nJansen", "jan@zorg.nl", "Hoofd\r\nHR\t", ""],
        ["Zorg BV", "vvt", "Twente", "Piet", "bad", "", ""],
    ]
    result = parse(write_csv(tmp_path / "registry.csv", rows))

    assert (result.rows[0].name, result.rows[0].role) == ("Jan Jansen", "Hoofd HR")
    assert error_keys(result) == [(3, "email", "bad_email")]


def test_parse_records_numbers_from_first_row() -> None:
    records = [
        {"organisation": "Zorg BV", "sector": "vvt", "region": "Twente", "name": "Jan"},
        {},
    ]
    result = parse_records(records, sectors=SECTORS, regions=REGIONS, first_row=10)

    assert result.errors == [RowError(10, "email", "missing", "")]


# --- cell rules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("NL", "nl"), ("Nederlands", "nl"), ("English", "en"), ("engels", "en"), (" en ", "en")],
)
def test_language_spellings(cell: str, expected: str) -> None:
    values = ["Zorg BV", "vvt", "Twente", "Jan", "jan@zorg.nl", "", cell]
    record = dict(zip(COLUMNS, values, strict=True))
    [row] = parse_records([record], sectors=SECTORS, regions=REGIONS).rows

    assert row.language == expected


def test_region_match_tolerates_case_and_whitespace() -> None:
    record = {
        "organisation": "Zorg BV",
        "sector": " GHZ ",
        "region": "  steden\u00a0VIERKANT ",
        "name": "Jan",
        "email": "jan@zorg.nl",
    }
    [row] = parse_records([record], sectors=SECTORS, regions=REGIONS).rows

    assert (row.sector, row.region) == ("ghz", "Stedenvierkant")


def test_too_long_field_is_rejected() -> None:
    record = {
        "organisation": "X" * 201,
        "sector": "vvt",
        "region": "Twente",
        "name": "Jan",
        "email": "jan@zorg.nl",
    }
    result = parse_records([record], sectors=SECTORS, regions=REGIONS)

    assert [(e.column, e.reason, e.detail) for e in result.errors] == [
        ("organisation", "too_long", "201")
    ]
    assert (
        format_error(result.errors[0])
        == "rij 2, kolom organisatie: te lang (201 tekens, maximaal 200)"
    )


def test_control_characters_are_removed_from_header_bound_fields() -> None:
    record = {
        "organisation": "Zorg\x00 BV\u2028",
        "sector": "vvt",
        "region": "Twente",
        "name": "Jan\r\nBcc: iedereen@example.org",
        "email": "jan@zorg.nl",
        "role": "\u202eHR",
    }
    [row] = parse_records([record], sectors=SECTORS, regions=REGIONS).rows

    assert row.organisation == "Zorg BV"
    assert row.name == "Jan Bcc: iedereen@example.org"
    assert row.role == "HR"
    assert not any(ch in row.name for ch in "\r\n")


def test_extra_cells_in_csv_reject_the_shifted_row(tmp_path: Path) -> None:
    rows = [
        HEADER[:6],
        ["Zorg BV", "vvt", "Twente", "Jan", "jan@zorg.nl", "Hoofd", " HR"],  # unquoted comma
    ]
    result = parse(write_csv(tmp_path / "registry.csv", rows))

    assert result.rows == []
    assert result.errors == [RowError(2, "", "extra_cells", "HR")]
    assert format_error(result.errors[0]).startswith("rij 2: meer cellen dan kolommen")


# --- messages ----------------------------------------------------------------------------


def test_format_error_in_dutch_and_english() -> None:
    bad_email = RowError(5, "email", "bad_email", "jan@@x", "The part after the @-sign ...")
    duplicate = RowError(9, "email", "duplicate_in_file", "jan@zorg.nl", "also on row 7")
    missing = RowError(6, "name", "missing", "")
    sector = RowError(4, "sector", "unknown_sector", "onderwijs")

    assert format_error(bad_email) == "rij 5, kolom email: ongeldig e-mailadres 'jan@@x'"
    assert format_error(duplicate) == (
        "rij 9, kolom email: e-mailadres 'jan@zorg.nl' staat al eerder in het bestand (rij 7)"
    )
    assert format_error(missing) == "rij 6, kolom naam: verplicht veld is leeg"
    assert format_error(sector, "nl") == "rij 4, kolom sector: onbekende sector 'onderwijs'"

    assert format_error(bad_email, "en") == (
        "row 5, column email: invalid email address 'jan@@x' (The part after the @-sign ...)"
    )
    assert format_error(duplicate, "en") == (
        "row 9, column email: email address 'jan@zorg.nl' appears earlier in the file (row 7)"
    )
    assert format_error(missing, "en") == "row 6, column name: required field is empty"
    assert format_error(sector, "en") == "row 4, column sector: unknown sector 'onderwijs'"


def test_every_error_from_a_real_file_formats_in_both_languages(tmp_path: Path) -> None:
    result = parse(write_csv(tmp_path / "registry.csv", [HEADER, *MIXED_ROWS]))

    dutch = [format_error(e) for e in result.errors]
    english = [format_error(e, "en") for e in result.errors]

    assert [m.split(":")[0] for m in dutch] == [
        "rij 3, kolom email",
        "rij 4, kolom sector",
        "rij 5, kolom regio",
        "rij 6, kolom naam",
        "rij 7, kolom email",
    ]
    assert all(m.startswith("row ") for m in english)


def test_a_huge_csv_cell_rejects_only_its_row_with_row_and_column(tmp_path: Path) -> None:
    # Python's csv module refuses fields over 128 KiB; that must not cost the whole file.
    huge = "x" * 150_000
    rows = [
        HEADER,
        ["Zorggroep Oost", "vvt", "Twente", "Jan Jansen", "jan@zorg.nl", "", ""],
        ["Zorg BV", "ghz", "Achterhoek", "Kees Klaassen", "kees@zorg.nl", huge, ""],
        ["ROC Twente", "mbo", "Twente", "Anna de Vries", "anna@roc.nl", "", ""],
    ]
    result = parse(write_csv(tmp_path / "registry.csv", rows))
    assert [r.email for r in result.rows] == ["jan@zorg.nl", "anna@roc.nl"]
    assert [format_error(e) for e in result.errors] == [
        "rij 3, kolom functie: te lang (150000 tekens, maximaal 200)"
    ]


def test_a_formula_cell_without_a_value_is_reported_as_a_formula(tmp_path: Path) -> None:
    # openpyxl (and other generators) store formulas without a computed value; Excel would
    # show the value, the import only sees an empty cell.
    rows = [
        HEADER,
        ["Zorggroep Oost", "vvt", "Twente", '=CONCAT("Jan ";"Jansen")', "jan@zorg.nl", "", ""],
        ["ROC Twente", "mbo", "Twente", "Anna de Vries", "anna@roc.nl", "", ""],
    ]
    result = parse(write_xlsx(tmp_path / "registry.xlsx", rows))
    assert [r.email for r in result.rows] == ["anna@roc.nl"]
    [error] = result.errors
    assert (error.row, error.column) == (2, "name")
    message = format_error(error)
    assert "formule" in message and "leeg" not in message, message
    assert "formula" in format_error(error, "en")


def test_control_characters_are_dropped_and_text_is_nfc(tmp_path: Path) -> None:
    decomposed = "Jose\u0301 Mu\u0308ller\x00\x07"  # José Müller, typed with combining marks
    rows = [HEADER, ["Zorggroep Oost", "vvt", "Twente", decomposed, "jose@zorg.nl", "", ""]]
    [row] = parse(write_csv(tmp_path / "registry.csv", rows)).rows
    assert row.name == "José Müller"

"""`consult registry import`: good rows are stored, every bad row is reported, re-runs are safe."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from typer.testing import CliRunner, Result

from consult.cli import app
from consult.settings import Settings
from models import Organisation, Person, Region
from models.db import Database

HEADER = ("organisatie", "sector", "regio", "naam", "e-mailadres", "functie", "taal")

GOOD = [
    # row 2
    (
        "Zorggroep Noorderlicht",
        "vvt",
        "Achterhoek",
        "Anneke de Vries",
        "anneke@noorderlicht.example",
        "bestuurder",
        "nl",
    ),
    # row 3
    (
        "Zorggroep Noorderlicht",
        "vvt",
        "Achterhoek",
        "Bram Jansen",
        "bram@noorderlicht.example",
        "HR-adviseur",
        "",
    ),
    # row 4
    ("Saxion", "hbo", "Twente", "Carla Smit", "carla@saxion.example", "lector", "en"),
    # row 5
    (
        "Gemeente Zwolle",
        "gemeente",
        "Zwolle",
        "Dirk Bakker",
        "Dirk.Bakker@Zwolle.example",
        "beleidsmedewerker",
        "nl",
    ),
]
BAD = [
    # row 6: an address someone typed the way they would say it
    ("Saxion", "hbo", "Twente", "Eva Mulder", "eva[at]saxion.example", "docent", "nl"),
    # row 7
    (
        "Tandartspraktijk Oost",
        "tandarts",
        "Twente",
        "Frank Visser",
        "frank@tandarts.example",
        "",
        "nl",
    ),
    # row 8
    ("Zorginstelling Atlantis", "ggz", "Atlantis", "Gerda Bos", "gerda@atlantis.example", "", "nl"),
    # row 9
    ("Gemeente Zwolle", "gemeente", "Zwolle", "", "hans@zwolle.example", "wethouder", "nl"),
    # row 10: same address as row 4
    ("Saxion", "hbo", "Twente", "Carla Smit (2)", "CARLA@saxion.example", "lector", "en"),
]
# What the secretariat sees per rejected row: (row, column header, message text).
EXPECTED_ERRORS = [
    (6, "email", "rij 6, kolom email: ongeldig e-mailadres 'eva[at]saxion.example'"),
    (7, "sector", "rij 7, kolom sector: onbekende sector 'tandarts'"),
    (8, "region", "rij 8, kolom regio: onbekende regio 'Atlantis'"),
    (9, "name", "rij 9, kolom naam: verplicht veld is leeg"),
    (
        10,
        "email",
        "rij 10, kolom email: e-mailadres 'CARLA@saxion.example' staat al eerder in het bestand "
        "(rij 4)",
    ),
]
# (email, name, role, language, organisation, sector, region) as stored.
STORED_PEOPLE = [
    (
        "anneke@noorderlicht.example",
        "Anneke de Vries",
        "bestuurder",
        "nl",
        "Zorggroep Noorderlicht",
        "vvt",
        "Achterhoek",
    ),
    (
        "bram@noorderlicht.example",
        "Bram Jansen",
        "HR-adviseur",
        "nl",
        "Zorggroep Noorderlicht",
        "vvt",
        "Achterhoek",
    ),
    ("carla@saxion.example", "Carla Smit", "lector", "en", "Saxion", "hbo", "Twente"),
    (
        "dirk.bakker@zwolle.example",
        "Dirk Bakker",
        "beleidsmedewerker",
        "nl",
        "Gemeente Zwolle",
        "gemeente",
        "Zwolle",
    ),
]
STORED_ORGANISATIONS = [
    ("Gemeente Zwolle", "gemeente", "Zwolle"),
    ("Saxion", "hbo", "Twente"),
    ("Zorggroep Noorderlicht", "vvt", "Achterhoek"),
]

Row = Sequence[str]


def _write(path: Path, rows: Sequence[Row], header: Row = HEADER) -> Path:
    if path.suffix == ".xlsx":
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.append(list(header))
        for row in rows:
            sheet.append([cell or None for cell in row])
        workbook.save(path)
    else:
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows)
    return path


def _import(path: Path) -> Result:
    # A wide terminal keeps each message on one line; _table_rows also rejoins wrapped cells.
    return CliRunner().invoke(app, ["registry", "import", str(path)], env={"COLUMNS": "250"})


def _people(settings: Settings) -> list[tuple[str, ...]]:
    db = Database(settings.database_url)
    try:
        with db.unit_of_work() as session:
            rows = session.execute(
                select(
                    Person.email,
                    Person.name,
                    Person.role,
                    Person.language,
                    Organisation.name,
                    Organisation.sector,
                    Region.name,
                )
                .join(Person.organisation)
                .join(Organisation.region)
                .order_by(Person.email)
            )
            return [tuple(r) for r in rows]
    finally:
        db.dispose()


def _organisations(settings: Settings) -> list[tuple[str, ...]]:
    db = Database(settings.database_url)
    try:
        with db.unit_of_work() as session:
            rows = session.execute(
                select(Organisation.name, Organisation.sector, Region.name)
                .join(Organisation.region)
                .order_by(Organisation.name)
            )
            return [tuple(r) for r in rows]
    finally:
        db.dispose()


def _summary(result: Result) -> tuple[int, int, int, int]:
    match = re.search(
        r"(\d+) geldige rijen: (\d+) nieuw, (\d+) bijgewerkt, (\d+) ongewijzigd", result.output
    )
    assert match, result.output
    valid, new, updated, unchanged = (int(g) for g in match.groups())
    return valid, new, updated, unchanged


def _table_rows(output: str) -> list[tuple[int, str, str]]:
    """(row, column, message) for every row of the rejection table, wrapped cells rejoined."""
    found: list[tuple[int, str, str]] = []
    for line in output.splitlines():
        cells = [c.strip() for c in re.split(r"[│|┃]", line)]
        if len(cells) != 5:
            continue
        if cells[1].isdigit():
            found.append((int(cells[1]), cells[2], cells[3]))
        elif found and not cells[1] and (cells[2] or cells[3]):
            row, column, message = found[-1]
            found[-1] = (row, column + cells[2], f"{message} {cells[3]}".strip())
    return found


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_import_stores_good_rows_and_reports_each_bad_one(
    settings: Settings, tmp_path: Path, suffix: str
) -> None:
    path = _write(tmp_path / f"register{suffix}", GOOD + BAD)

    first = _import(path)

    assert first.exit_code == 1, first.output
    assert _summary(first) == (4, 4, 0, 0)
    assert "5 rijen afgewezen" in first.output
    assert _table_rows(first.output) == EXPECTED_ERRORS
    assert _people(settings) == STORED_PEOPLE
    assert _organisations(settings) == STORED_ORGANISATIONS

    # The same file again: nothing new, nothing doubled, the same rows still rejected.
    second = _import(path)

    assert second.exit_code == 1, second.output
    assert _summary(second) == (4, 0, 0, 4)
    assert _table_rows(second.output) == EXPECTED_ERRORS
    assert _people(settings) == STORED_PEOPLE
    assert _organisations(settings) == STORED_ORGANISATIONS

    # Bram changed jobs within the organisation; his address is what identifies him.
    changed = [list(r) for r in GOOD]
    changed[1][5] = "teamleider wijkverpleging"
    third = _import(_write(tmp_path / f"register-2{suffix}", changed))

    assert third.exit_code == 0, third.output
    assert _summary(third) == (4, 0, 1, 3)
    expected = [list(p) for p in STORED_PEOPLE]
    expected[1][2] = "teamleider wijkverpleging"
    assert _people(settings) == [tuple(p) for p in expected]
    assert _organisations(settings) == STORED_ORGANISATIONS


def test_a_file_with_only_good_rows_exits_0(settings: Settings, tmp_path: Path) -> None:
    result = _import(_write(tmp_path / "register.csv", GOOD))

    assert result.exit_code == 0, result.output
    assert _summary(result) == (4, 4, 0, 0)
    assert "afgewezen" not in result.output
    assert _people(settings) == STORED_PEOPLE


def test_missing_required_column_exits_2_and_names_it(settings: Settings, tmp_path: Path) -> None:
    header = [h for h in HEADER if h != "regio"]
    rows = [[cell for i, cell in enumerate(r) if HEADER[i] != "regio"] for r in GOOD]
    result = _import(_write(tmp_path / "register.csv", rows, header))

    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "ontbreekt een verplichte kolom: regio (region)" in text
    assert _people(settings) == []

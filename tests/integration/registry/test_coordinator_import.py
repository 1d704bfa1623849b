"""The regions' coordinators and steering groups read in with the registry: a sheet
"coordinatoren" in the workbook or a CSV file of their own; bad rows reported with row, column
and a Dutch reason, the valid ones stored (and updated, never doubled, on a second import)."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import select
from typer.testing import CliRunner, Result

from consult.cli import app
from consult.settings import Settings
from models import Person, Region, RegionCoordinator
from models.db import Database

REGISTRY_HEADER = ("organisatie", "sector", "regio", "naam", "e-mailadres")
REGISTRY = [("Saxion", "hbo", "Twente", "Carla Smit", "carla@saxion.example")]
COORDINATOR_HEADER = ("regio", "naam", "e-mailadres", "rol")
COORDINATORS = [
    # row 2
    ("Twente", "Tineke Bos", "tineke@netwerk-twente.example", "coordinator"),
    # row 3: a steering-group member spelled as people write it
    ("Twente", "Henk Ros", "Henk.Ros@Saxion.example", "Stuurgroeplid"),
    # row 4: no such region
    ("Twentee", "Ilse Kok", "ilse@example.org", "coordinator"),
    # row 5: a role that is neither
    ("Zwolle", "Joop Lam", "joop@zwolle.example", "voorzitter"),
    # row 6: the address twice for one region
    ("Twente", "Tineke Bos", "tineke@netwerk-twente.example", "stuurgroep"),
    # row 7: no address
    ("Achterhoek", "Kees Dam", "", "coordinator"),
    # row 8: the same person in another region is fine
    ("Zwolle", "Tineke Bos", "tineke@netwerk-twente.example", "stuurgroep"),
]


def _import(path: Path) -> Result:
    return CliRunner().invoke(app, ["registry", "import", str(path)], env={"COLUMNS": "250"})


def _coordinators(settings: Settings) -> list[tuple[str, str, str, str]]:
    db = Database(settings.database_url)
    try:
        with db.unit_of_work() as session:
            return [
                (region, name, email, role.value)
                for region, name, email, role in session.execute(
                    select(
                        Region.name,
                        RegionCoordinator.name,
                        RegionCoordinator.email,
                        RegionCoordinator.role,
                    )
                    .join(Region, Region.id == RegionCoordinator.region_id)
                    .order_by(Region.name, RegionCoordinator.email)
                )
            ]
    finally:
        db.dispose()


EXPECTED = [
    ("Twente", "Henk Ros", "henk.ros@saxion.example", "stuurgroep"),
    ("Twente", "Tineke Bos", "tineke@netwerk-twente.example", "coordinator"),
    ("Zwolle", "Tineke Bos", "tineke@netwerk-twente.example", "stuurgroep"),
]


def _problems(output: str) -> str:
    return " ".join(output.split())


def test_a_coordinators_sheet_is_read_with_the_registry_bad_rows_reported(
    settings: Settings, tmp_path: Path
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "register"
    sheet.append(REGISTRY_HEADER)
    for row in REGISTRY:
        sheet.append(row)
    coordinators = workbook.create_sheet("Coördinatoren")
    coordinators.append(COORDINATOR_HEADER)
    for row in COORDINATORS:
        coordinators.append(row)
    path = tmp_path / "register.xlsx"
    workbook.save(path)

    result = _import(path)

    assert result.exit_code == 1, result.output
    text = _problems(result.output)
    assert "3 coördinatoren en stuurgroepleden opgeslagen" in text
    assert "4 rijen afgewezen" in text
    assert "blad coordinatoren, rij 4, kolom regio: onbekende regio 'Twentee'" in text
    assert "(bedoelt u 'Twente'?)" in text
    assert "blad coordinatoren, rij 5, kolom rol: onbekende rol 'voorzitter'" in text
    assert (
        "blad coordinatoren, rij 6, kolom email: e-mailadres 'tineke@netwerk-twente.example' "
        "staat al eerder in het bestand (rij 2)" in text
    )
    assert "blad coordinatoren, rij 7, kolom email: verplicht veld is leeg" in text
    assert _coordinators(settings) == EXPECTED
    db = Database(settings.database_url)
    try:
        with db.unit_of_work() as session:
            assert session.scalars(select(Person.email)).all() == ["carla@saxion.example"]
    finally:
        db.dispose()

    # Read in again, with one role changed: updated, not doubled.
    coordinators.cell(row=2, column=4, value="stuurgroep")
    workbook.save(path)
    assert _import(path).exit_code == 1
    assert _coordinators(settings)[1] == (
        "Twente",
        "Tineke Bos",
        "tineke@netwerk-twente.example",
        "stuurgroep",
    )
    assert len(_coordinators(settings)) == 3


def test_a_csv_file_of_coordinators_alone(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "coordinatoren.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(COORDINATOR_HEADER)
        writer.writerows(COORDINATORS)

    result = _import(path)

    assert result.exit_code == 1, result.output
    text = _problems(result.output)
    assert "0 geldige rijen" in text
    assert "blad coordinatoren, rij 5, kolom rol" in text
    assert _coordinators(settings) == EXPECTED

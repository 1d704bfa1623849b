"""`consult report ROUND`: each language and kind in files of its own, a clear Dutch message
instead of an empty report, and files written again after an erasure still found by their new
names."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from consult.app import reports
from consult.app.context import current
from consult.cli import app as cli
from consult.settings import Settings
from consult.synthesis import decisions
from models import BuildingBlock
from models.db import Database
from tests.integration.db.builders import TEXTS, Scenario, seed_scenario

ROUND = "voorjaar-2030"


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.database_url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def s(db: Database) -> Scenario:
    return seed_scenario(db)


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "250"})


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_no_approved_block_means_a_message_and_no_file(s: Scenario, settings: Settings) -> None:
    result = _run("report", ROUND)
    assert result.exit_code == 1
    assert (
        "Ronde 'voorjaar-2030' heeft nog geen goedgekeurde bouwstenen: er is geen rapport "
        "geschreven." in " ".join(result.stderr.split())
    )
    assert _names(settings.reports_dir / ROUND) == []


def test_each_language_and_kind_is_written_side_by_side(
    s: Scenario, settings: Settings, db: Database
) -> None:
    folder = settings.reports_dir / ROUND
    assert _run("report", ROUND, "--drafts").exit_code == 0
    dutch = (folder / "report.drafts.nl.md").read_text(encoding="utf-8")
    english = _run("report", ROUND, "--drafts", "--language", "en")
    assert english.exit_code == 0, english.output
    assert (folder / "report.drafts.nl.md").read_text(encoding="utf-8") == dutch
    with db.unit_of_work() as session:
        decisions.approve(session, s.a, "staf")
    assert _run("report", ROUND).exit_code == 0
    names = _names(folder)
    for stem in ("report.drafts.nl", "report.drafts.en", "report.nl"):
        for fmt in ("docx", "html", "md"):
            assert f"{stem}.{fmt}" in names
    assert "report.en.docx" not in names and "report.docx" not in names
    assert "blocks.json" in names
    assert "Bijlage: de bijdragen" in dutch
    assert "Annex: the contributions" in (folder / "report.drafts.en.md").read_text("utf-8")


def test_rewriting_after_an_erasure_finds_every_report_by_its_new_name(
    s: Scenario, settings: Settings, db: Database
) -> None:
    folder = settings.reports_dir / ROUND
    with db.unit_of_work() as session:
        decisions.approve(session, s.a, "staf")
    for args in (("--drafts",), ("--language", "en"), ()):
        assert _run("report", ROUND, *args).exit_code == 0
    # A folder from before each language had its own files.
    (folder / "report.docx").write_text("oud")
    (folder / "report.html").write_text(TEXTS[1])
    # Block A is taken back to draft: the approved-only reports have nothing left to show.
    with db.unit_of_work() as session:
        decisions.reopen(session, s.a, "staf")
    ctx = current()
    with ctx.db.unit_of_work() as session:
        rewritten = reports.rewrite_reports(
            session, ctx, {s.round_id}, datetime(2030, 6, 1, tzinfo=UTC)
        )
    assert rewritten == [str(folder)]
    names = _names(folder)
    assert "report.drafts.nl.docx" in names
    assert not any(n.startswith(("report.nl.", "report.en.")) for n in names), names
    assert "report.docx" not in names and "report.html" not in names
    with db.unit_of_work() as session:
        assert session.get_one(BuildingBlock, s.a).status.value == "draft"

"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from typer.testing import CliRunner

import models
from consult.cli import app
from consult.settings import CONFIG_ENV
from models.db import make_engine
from models.migrate import downgrade, upgrade

TABLES = {
    "access_token",
    "account",
    "account_region",
    "account_session",
    "audit_entry",
    "availability",
    "block_contribution",
    "block_event",
    "calendar_reply",
    "building_block",
    "candidate_slot",
    "consultation_session",
    "contribution",
    "delegation_attempt",
    "erased_address",
    "contribution_embedding",
    "invitation",
    "mailing_approval",
    "organisation",
    "outbox_message",
    "password_reset_token",
    "person",
    "region",
    "region_coordinator",
    "registry_upload",
    "round",
    "schedule_proposal",
    "session_attendee",
    "suppressed_address",
    "theme",
}


def _differences(url: str) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, models.Base.metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgraded_schema_matches_the_models(database_url: str) -> None:
    assert _tables(database_url) == TABLES
    assert _differences(database_url) == []


def test_sqlite_tables_with_an_id_stay_autoincrement_after_every_migration(
    tmp_path: Path,
) -> None:
    """A migration that rebuilds a table on SQLite (batch mode) must keep it AUTOINCREMENT:
    the audit log names rows by id, and without it SQLite hands a deleted row's id out again."""
    url = f"sqlite:///{tmp_path / 'consult.db'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
            created = {str(name): str(sql) for name, sql in rows}
    finally:
        engine.dispose()
    with_id = [
        t.name
        for t in models.Base.metadata.sorted_tables
        if [c.name for c in t.primary_key.columns] == ["id"]
    ]
    assert with_id and [name for name in with_id if "AUTOINCREMENT" not in created[name]] == []


def test_downgrade_to_base_and_upgrade_again(database_url: str) -> None:
    downgrade(database_url, "base")
    assert _tables(database_url) == set()

    upgrade(database_url)
    assert _tables(database_url) == TABLES
    assert _differences(database_url) == []


def test_db_upgrade_command_creates_the_tables_in_a_new_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "var" / "consult.db"
    url = f"sqlite:///{database}"
    config = tmp_path / "consult.toml"
    config.write_text(f'database_url = "{url}"\n', encoding="utf-8")
    monkeypatch.setenv(CONFIG_ENV, str(config))
    assert not database.exists()

    result = CliRunner().invoke(app, ["db", "upgrade"])

    assert result.exit_code == 0, result.output
    assert "Database bijgewerkt" in result.output
    assert database.is_file()
    assert _tables(url) == TABLES
    assert _differences(url) == []

    # Running it again on an up-to-date database is harmless.
    again = CliRunner().invoke(app, ["db", "upgrade"])
    assert again.exit_code == 0, again.output
    assert _tables(url) == TABLES


def test_upgrade_keeps_building_blocks_made_before_the_audit_trail(database_url: str) -> None:
    from sqlalchemy import text

    downgrade(database_url, "0001")
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO theme (slug, title_nl, title_en, questions_nl, questions_en) "
                    "VALUES ('t', 'T', 'T', '[]', '[]')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO round (slug, name, status, answer_deadline, input_deadline, "
                    "organiser_name, organiser_email, spec, created_at) "
                    "VALUES ('r', 'R', 'inviting', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, "
                    "'O', 'o@example.org', '{}', CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO building_block (round_id, theme_id, title, summary, key_terms, "
                    "status, created_at) VALUES (1, 1, 'Oud blok', '', '[]', 'approved', "
                    "CURRENT_TIMESTAMP)"
                )
            )
        upgrade(database_url)
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT title, status, edited_by_staff FROM building_block")
            ).one()
        assert (row.title, row.status, bool(row.edited_by_staff)) == ("Oud blok", "approved", False)
    finally:
        engine.dispose()

"""The audit log is append-only from the application, names ids that are never handed out
twice, and holds every staff decision on a building block."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from consult.app import audit, blocks
from consult.cli import app as cli
from consult.settings import Settings
from consult.wiring import App
from models import AuditEntry, AuditLogIsAppendOnly, BlockStatus, Round, Theme
from models.audit import pseudonymise_details
from models.db import Database
from tests.integration.db.builders import make_block, make_round, make_theme, seed_scenario


def _one_entry(db: Database) -> int:
    with db.unit_of_work() as session:
        entry = audit.record(
            session,
            audit.Action.ROUND_LAUNCH,
            actor="Sanne (secretariaat)",
            details={"slug": "voorjaar-2030"},
        )
        session.flush()
        return entry.id


def test_an_audit_entry_cannot_be_changed_or_removed_through_the_orm(db: Database) -> None:
    entry_id = _one_entry(db)

    with pytest.raises(AuditLogIsAppendOnly), db.unit_of_work() as session:
        session.get_one(AuditEntry, entry_id).actor = "iemand anders"
    with pytest.raises(AuditLogIsAppendOnly), db.unit_of_work() as session:
        session.delete(session.get_one(AuditEntry, entry_id))
    with pytest.raises(AuditLogIsAppendOnly), db.unit_of_work() as session:
        session.execute(update(AuditEntry).values(action="round.close"))
    with pytest.raises(AuditLogIsAppendOnly), db.unit_of_work() as session:
        session.execute(delete(AuditEntry))
    with pytest.raises(AuditLogIsAppendOnly), db.unit_of_work() as session:
        session.execute(update(AuditEntry.__table__).values(details={}))

    with db.unit_of_work() as session:
        entry = session.get_one(AuditEntry, entry_id)
        assert (entry.actor, entry.action) == ("Sanne (secretariaat)", "round.launch")


def test_the_database_refuses_to_remove_or_rewrite_audit_entries(db: Database) -> None:
    """Below the ORM too: plain SQL from any client (a trigger on both backends)."""
    entry_id = _one_entry(db)
    for statement in (
        f"DELETE FROM audit_entry WHERE id = {entry_id}",
        f"UPDATE audit_entry SET actor = 'x' WHERE id = {entry_id}",
    ):
        with pytest.raises(DBAPIError), db.engine.begin() as conn:
            conn.execute(text(statement))
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_entry")).scalar() == 1


def test_erasure_may_pseudonymise_the_details_and_nothing_else(db: Database) -> None:
    entry_id = _one_entry(db)
    with db.unit_of_work() as session:
        pseudonymise_details(session, {entry_id: ({"slug": "[verwijderd]"}, None)})
    with db.unit_of_work() as session:
        entry = session.get_one(AuditEntry, entry_id)
        assert entry.details == {"slug": "[verwijderd]"}
        assert entry.actor == "Sanne (secretariaat)"


def test_ids_of_deleted_rows_are_never_handed_out_again(db: Database) -> None:
    """SQLite used to give a deleted block's id to the next block, so the history showed two
    blocks under one id."""
    with db.unit_of_work() as session:
        rnd = make_round(session)
        theme = make_theme(session, "innovatie")
        first = make_block(session, rnd, theme, "Eerste", [])
        first_id = first.id
        session.delete(first)
    with db.unit_of_work() as session:
        again = session.get_one(Round, rnd.id), session.get_one(Theme, theme.id)
        second = make_block(session, *again, "Tweede", [])
        assert second.id > first_id


def test_every_staff_decision_is_in_the_log(db: Database) -> None:
    scenario = seed_scenario(db)
    with db.unit_of_work() as session:
        blocks.rename(session, scenario.a, "Begeleiding van zij-instromers", "Sanne")
        blocks.merge(session, scenario.a, [scenario.b], "Sanne")
        blocks.set_status(session, [scenario.a, scenario.c_block], BlockStatus.APPROVED, "Sanne")
    with db.unit_of_work() as session:
        logged = session.execute(
            select(AuditEntry.action, AuditEntry.subject_id, AuditEntry.actor).order_by(
                AuditEntry.id
            )
        ).all()
        events = session.execute(
            select(text("action"), text("block_id")).select_from(text("block_event"))
        ).all()
    assert [(f"block.{a}", b) for a, b in events] == [(a, s) for a, s, _ in logged]
    assert ("block.merge", scenario.a, "Sanne") in logged
    assert ("block.approve", scenario.c_block, "Sanne") in logged


def test_audit_list_shows_entries_in_dutch(settings: Settings, tmp_path: Path) -> None:
    from consult.wiring import open_app

    with open_app(settings) as wired:
        scenario = seed_scenario(wired.db)
        with wired.db.unit_of_work() as session:
            blocks.set_status(session, [scenario.a], BlockStatus.APPROVED, "Sanne")
    result = CliRunner().invoke(
        cli,
        ["audit", "list", "--round", "voorjaar-2030", "--actor", "Sanne"],
        env={"COLUMNS": "250"},
    )
    assert result.exit_code == 0, result.output
    assert "Auditlogboek" in result.output
    assert "bouwsteen: approve" in result.output

    refused = CliRunner().invoke(cli, ["audit", "list", "--since", "gisteren"])
    assert refused.exit_code == 2
    assert "2027-01-15" in refused.output


def test_sign_ins_and_refused_sign_ins_are_in_the_log(app: App) -> None:
    import pyotp

    from consult.app import accounts
    from models import Role
    from models.base import utcnow

    password = "een lange zin als wachtwoord"
    with app.db.unit_of_work() as session:
        made = accounts.add_account(session, app, "sanne@wiz.example", Role.STAF, password=password)
    assert made.totp_secret is not None
    now = utcnow()
    with app.db.unit_of_work() as session:
        assert accounts.sign_in_password(session, app, made.email, "fout", now) is None
        assert accounts.sign_in_password(session, app, "niemand@wiz.example", password, now) is None
        pending = accounts.sign_in_password(session, app, made.email, password, now)
        assert pending is not None
        assert accounts.sign_in_code(session, app, pending, "000000", now) is None
        code = pyotp.TOTP(made.totp_secret).at(now)
        assert accounts.sign_in_code(session, app, pending, code, now) is not None
    with app.db.unit_of_work() as session:
        logged = [
            (e.action, e.details.get("reason"))
            for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]
    assert logged == [
        ("account.add", None),
        ("account.sign_in_failed", "wrong_password"),
        ("account.sign_in_failed", "unknown"),
        ("account.sign_in_failed", "wrong_code"),
        ("account.sign_in", None),
    ]

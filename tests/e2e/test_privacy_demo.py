"""The demo round, then the audit log and a person's rights on it: the log holds an entry for
every mail in the outbox, every answer and every staff decision, and cannot be changed through
the application; a demo person quoted by name in the report is exported and erased, after which
nothing consult keeps in the workspace (rows, report files, blocks.json, log files, the
database file's bytes) names them."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from consult.app import blocks
from consult.cli import app as cli
from consult.demo.run import DemoResult, prepare_workspace, run_demo
from consult.mail.sink import EmlSink
from consult.settings import CONFIG_ENV
from models import (
    AuditEntry,
    AuditLogIsAppendOnly,
    BlockEvent,
    BlockStatus,
    BuildingBlock,
    Contribution,
    Invitation,
    InvitationStatus,
    OutboxMessage,
    Person,
    QuotePermission,
)
from models.db import Database
from tests.integration.db.privacy_support import rows_mentioning

pytestmark = pytest.mark.slow

# What the demo workspace holds that is not consult's record of people: the SMTP server that
# stands in for the recipients' mailboxes, and the secretariat's own input files (the registry
# and the input it imported, the round spec it launched); the secretariat removes a person from
# its sources itself (README, processing register).
OUTSIDE_CONSULT = ("mail", "registry.csv", "input.csv", "round.toml")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DemoResult, Database]]:
    workspace = tmp_path_factory.mktemp("demo")
    prepare_workspace(workspace)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CONFIG_ENV, "")
        with EmlSink(workspace / "mail") as sink:
            result = run_demo(workspace, "127.0.0.1", sink.port, seed=3, progress=lambda *_: None)
        mp.setenv(CONFIG_ENV, str(workspace / "consult.toml"))
        db = Database(f"sqlite:///{workspace / 'consult.db'}")
        # Staff decide on the blocks: approve all but one, reject that one.
        with db.unit_of_work() as session:
            ids = list(session.scalars(select(BuildingBlock.id).order_by(BuildingBlock.id)))
            blocks.set_status(session, ids[1:], BlockStatus.APPROVED, "Sanne (staf)")
            blocks.set_status(session, ids[:1], BlockStatus.REJECTED, "Sanne (staf)")
        yield result, db
        db.dispose()


def test_the_log_holds_every_mail_answer_and_decision(
    demo: tuple[DemoResult, Database],
) -> None:
    _result, db = demo
    with db.unit_of_work() as session:
        logged = session.execute(
            select(AuditEntry.action, AuditEntry.subject_type, AuditEntry.subject_id)
        ).all()
        by_subject: dict[tuple[str, int | None], set[str]] = {}
        for action, subject_type, subject_id in logged:
            by_subject.setdefault((subject_type, subject_id), set()).add(action)
        mails = session.execute(select(OutboxMessage.id, OutboxMessage.status)).all()
        assert len(mails) > 300
        for mail_id, status in mails:
            assert f"mail.{status.value}" in by_subject[("outbox_message", mail_id)]
        answered = session.scalars(
            select(Invitation.id).where(Invitation.status != InvitationStatus.PENDING)
        ).all()
        assert len(answered) > 100
        for invitation_id in answered:
            assert "invitation.answer" in by_subject[("invitation", invitation_id)]
        mirrored = {
            details["block_event_id"]
            for details in session.scalars(
                select(AuditEntry.details).where(AuditEntry.action.like("block.%"))
            )
        }
        events = set(session.scalars(select(BlockEvent.id)))
        assert events and events == mirrored
        decisions = session.scalars(
            select(AuditEntry.actor).where(AuditEntry.action == "block.approve")
        ).all()
        assert decisions and set(decisions) == {"Sanne (staf)"}
        for action in ("registry.import", "round.launch", "schedule.apply", "report.write"):
            assert any(a == action for a, _, _ in logged), action

    with pytest.raises(AuditLogIsAppendOnly), db.unit_of_work() as session:
        session.scalars(select(AuditEntry).limit(1)).one().details = {}
    with pytest.raises(AuditLogIsAppendOnly), db.unit_of_work() as session:
        session.delete(session.scalars(select(AuditEntry).limit(1)).one())
    with pytest.raises(AuditLogIsAppendOnly), db.unit_of_work() as session:
        session.execute(update(AuditEntry).values(actor="niemand"))


def _quoted_by_name(db: Database) -> tuple[str, str]:
    """A demo person whose attributable contribution a block quotes: the report names them."""
    with db.unit_of_work() as session:
        quoted = {
            q
            for ids in session.scalars(
                select(BuildingBlock.quote_ids).where(BuildingBlock.status == BlockStatus.APPROVED)
            )
            for q in ids
        }
        person = session.scalars(
            select(Person)
            .join(Contribution, Contribution.person_id == Person.id)
            .where(
                Contribution.quote_permission == QuotePermission.ATTRIBUTABLE,
                Contribution.id.in_(quoted),
            )
            .order_by(Person.id)
            .limit(1)
        ).one()
        return person.name, person.email


def _consults_files(workspace: Path) -> list[Path]:
    return [
        path
        for path in workspace.rglob("*")
        if path.is_file() and path.relative_to(workspace).parts[0] not in OUTSIDE_CONSULT
    ]


def test_a_demo_person_exported_then_erased_is_named_nowhere(
    demo: tuple[DemoResult, Database], tmp_path: Path
) -> None:
    result, db = demo
    workspace = result.workspace
    name, email = _quoted_by_name(db)
    report = workspace / "reports"
    # Write the report again, drafts included (the demo approves no block).
    written = CliRunner().invoke(cli, ["report", "demo-bouwstenen", "--drafts"])
    assert written.exit_code == 0, written.output
    assert name in (next(report.iterdir()) / "report.drafts.nl.html").read_text("utf-8")
    needles = [name.lower().encode("utf-8"), email.lower().encode("utf-8")]
    assert any(
        any(n in p.read_bytes().lower() for n in needles) for p in _consults_files(workspace)
    )

    target = tmp_path / "inzage.zip"
    exported = CliRunner().invoke(cli, ["privacy", "export", email, "--output", str(target)])
    assert exported.exit_code == 0, exported.output
    with zipfile.ZipFile(target) as zf:
        data = json.loads(zf.read("personal-data.json"))
    with db.unit_of_work() as session:
        held = set(rows_mentioning(session, [name, email]))
    assert held <= {table for table, rows in data["tables"].items() if rows}
    assert data["reports"] and data["tables"]["outbox_message"]

    erased = CliRunner().invoke(cli, ["privacy", "erase", email, "--yes"])
    assert erased.exit_code == 0, erased.output

    with db.unit_of_work() as session:
        assert rows_mentioning(session, [name, email]) == {}
    named = [
        str(p.relative_to(workspace))
        for p in _consults_files(workspace)
        if any(n in p.read_bytes().lower() for n in needles)
    ]
    assert named == []
    assert (workspace / "consult.db").exists()
    assert any(p.name == "blocks.json" for p in _consults_files(workspace))

"""A person's export holds every table that held them, and after their erasure no row, mail,
report file or byte of the database file names them; mail to their address is never sent
again. Which tables can hold a person comes from the model metadata, so a new table with a
person or address column that export and erasure do not handle fails here."""

from __future__ import annotations

import asyncio
import json
import zipfile
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from consult.app import accounts, outbox
from consult.app.privacy import (
    EXEMPT_COLUMNS,
    PERSONAL_COLUMNS,
    ContributionChoice,
    checkpoint,
    erase,
    export_person,
    write_export,
)
from consult.app.registry import stage_upload
from consult.cli import app as cli
from consult.mail.outbox import ERASED_REPLY, Recipient, enqueue
from consult.mail.sink import EmlSink
from consult.templating import RenderedEmail
from consult.wiring import App
from models import (
    AccountSession,
    AuditEntry,
    BlockEvent,
    Contribution,
    ErasedAddress,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    QuotePermission,
    RegistryUpload,
    Role,
    address_hash,
)
from models.base import utcnow
from tests.integration.db.privacy_support import (
    PERSONISH,
    Someone,
    files_mentioning,
    rows_mentioning,
    rows_referring,
    someone_everywhere,
    tables,
)


def test_every_column_that_looks_personal_is_handled_or_exempt_with_a_reason() -> None:
    """A new table or column holding a name, an address, what someone wrote, or a reference to
    a person, an invitation or a contribution must be added to the privacy map."""
    unaccounted = []
    for table in tables():
        for column in table.columns:
            refers = {fk.column.table.name for fk in column.foreign_keys}
            if not (PERSONISH.search(column.name) or refers & {"person", "invitation"}):
                continue
            if column.primary_key:
                continue
            handled = column.name in PERSONAL_COLUMNS.get(table.name, frozenset())
            if not handled and (table.name, column.name) not in EXEMPT_COLUMNS:
                unaccounted.append(f"{table.name}.{column.name}")
    assert unaccounted == []
    known = {(t.name, c.name) for t in tables() for c in t.columns}
    listed = {(t, c) for t, cs in PERSONAL_COLUMNS.items() for c in cs} | set(EXEMPT_COLUMNS)
    assert listed <= known  # nothing listed that no longer exists


def _ids(app: App, who: Someone) -> dict[str, set[int]]:
    with app.db.unit_of_work() as session:
        invitations = set(
            session.scalars(
                select(AuditEntry.subject_id).where(
                    AuditEntry.subject_type == "invitation", AuditEntry.person_id == who.person_id
                )
            )
        )
    return {"person": {who.person_id}, "invitation": invitations | {who.invitation_id}}


def _database_files(app: App) -> list[Path]:
    url = app.settings.database_url
    if not url.startswith("sqlite"):
        return []
    path = Path(url.removeprefix("sqlite:///"))
    return [p for p in (path, Path(f"{path}-wal")) if p.exists()]


def test_export_then_erase_leaves_nothing_that_names_the_person(
    mail_app: tuple[App, EmlSink], tmp_path: Path
) -> None:
    app, sink = mail_app
    who = someone_everywhere(app)
    # As in a database that has run for a while: their rows are in the file, not only in the
    # write-ahead log.
    checkpoint(app)
    for path in _database_files(app)[:1]:
        assert who.email.encode("utf-8") in path.read_bytes()
    needles = (who.name, who.email)
    reports_dir = app.settings.reports_dir
    assert files_mentioning(reports_dir, [who.name]), "the report names them (attributable)"

    # Every table that holds them, found from the metadata, is in the export.
    ids = _ids(app, who)
    with app.db.unit_of_work() as session:
        held = set(rows_mentioning(session, needles)) | set(rows_referring(session, ids))
        data = export_person(session, app, who.email, utcnow())
    archive = write_export(app, data, tmp_path / "export" / "person.zip", "nl")
    with zipfile.ZipFile(archive) as zf:
        exported = json.loads(zf.read("personal-data.json"))
        page = zf.read("personal-data.html").decode("utf-8")
    missing = {name for name in held if not exported["tables"].get(name)}
    assert missing == set()
    assert {
        "person",
        "invitation",
        "availability",
        "access_token",
        "delegation_attempt",
        "session_attendee",
        "contribution",
        "outbox_message",
        "calendar_reply",
        "suppressed_address",
        "audit_entry",
        "building_block",
    } <= {name for name, rows in exported["tables"].items() if rows}
    kinds = {row["kind"] for row in exported["tables"]["outbox_message"]}
    assert "calendar_request" in kinds
    assert all(row["status"] == "sent" for row in exported["tables"]["outbox_message"])
    assert exported["reports"][0]["shown"][0]["quoted_text"].startswith("Geef zij-instromers")
    assert "token_hash" not in json.dumps(exported)
    assert "Persoonsgegevens over" in page and "Verzonden mail aan u" in page

    result = erase(app, who.email, ContributionChoice.ANONYMISE)

    assert result.blocks_marked and result.reports_rewritten
    with app.db.unit_of_work() as session:
        assert rows_mentioning(session, needles) == {}
        # The log keeps their number as a pseudonym for its entries about them: the person row
        # is gone and ids are never handed out again, so it names nobody.
        assert set(rows_referring(session, ids)) == {"audit_entry"}
        # Their contribution stays, anonymised: sector and region, never quoted again.
        kept = session.get_one(Contribution, who.contribution_id)
        assert (kept.person_id, kept.quote_permission) == (None, QuotePermission.NOT_QUOTABLE)
        assert kept.anonymous_sector and kept.anonymous_region
        erased_event = session.scalars(select(BlockEvent).where(BlockEvent.action == "erase")).one()
        assert erased_event.details["contribution_ids"] == [who.contribution_id]
        assert session.scalars(select(ErasedAddress.address_hash)).all() == [
            address_hash(who.email)
        ]
        assert session.scalar(select(AuditEntry.id).where(AuditEntry.action == "privacy.erase"))
    assert files_mentioning(reports_dir, needles) == []
    blocks = json.loads((reports_dir / "voorjaar-2030" / "blocks.json").read_text("utf-8"))
    [block] = blocks["themes"][0]["blocks"]
    assert who.contribution_id in block["contribution_ids"]
    assert who.contribution_id not in block["quote_ids"]
    for path in _database_files(app):
        data_bytes = path.read_bytes().lower()
        for needle in needles:
            assert needle.lower().encode("utf-8") not in data_bytes, f"{needle} in {path.name}"

    # Mail to the erased address is never sent again, whatever queues it.
    arrived = len(list(sink.directory.glob("*.eml")))
    with app.db.unit_of_work() as session:
        enqueue(
            session,
            key="late-mail",
            kind=OutboxKind.REMINDER,
            recipient=Recipient(who.email.upper(), "Iemand"),
            rendered=RenderedEmail("Herinnering", "Tekst", "<p>Tekst</p>"),
            domain="wiz.example",
            round_id=who.round_id,
        )
    asyncio.run(outbox.send(app))
    assert len(list(sink.directory.glob("*.eml"))) == arrived
    with app.db.unit_of_work() as session:
        late = session.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key == "late-mail")
        ).one()
        assert (late.status, late.last_error) == (OutboxStatus.FAILED, ERASED_REPLY)


def test_erasure_can_delete_the_contributions(mail_app: tuple[App, EmlSink]) -> None:
    app, _sink = mail_app
    who = someone_everywhere(app)
    erase(app, who.email, ContributionChoice.DELETE)
    with app.db.unit_of_work() as session:
        assert session.get(Contribution, who.contribution_id) is None
        assert rows_mentioning(session, (who.name, who.email)) == {}


PASSWORD = "een lange zin als wachtwoord"


def test_a_registry_file_waiting_to_be_confirmed_is_exported_and_erased_with_them(
    mail_app: tuple[App, EmlSink],
) -> None:
    app, _sink = mail_app
    who = someone_everywhere(app)
    now = utcnow()
    csv = (
        "organisatie;sector;regio;naam;e-mail;functie\n"
        f"Zorggroep Oost;vvt;Twente;{who.name};{who.email};bestuurder\n"
    )
    with app.db.unit_of_work() as session:
        accounts.add_account(session, app, "sec@wiz.example", Role.SECRETARIAAT, password=PASSWORD)
        token = accounts.sign_in_password(session, app, "sec@wiz.example", PASSWORD, now)
        assert token is not None
        session_id = session.scalars(select(AccountSession.id)).one()
        stage_upload(session, app, session_id, "register.csv", csv.encode(), now)
    with app.db.unit_of_work() as session:
        exported = export_person(session, app, who.email, now)
    assert [row["file_name"] for row in exported.tables["registry_upload"]] == ["register.csv"]

    erase(app, who.email, ContributionChoice.ANONYMISE)
    with app.db.unit_of_work() as session:
        assert session.scalars(select(RegistryUpload)).all() == []
        assert rows_mentioning(session, (who.name, who.email)) == {}


def test_privacy_commands_export_and_erase_only_when_confirmed(
    mail_app: tuple[App, EmlSink], tmp_path: Path
) -> None:
    app, _sink = mail_app
    who = someone_everywhere(app)
    runner = CliRunner()
    target = tmp_path / "inzage.zip"
    exported = runner.invoke(
        cli, ["privacy", "export", who.email, "--output", str(target), "--language", "en"]
    )
    assert exported.exit_code == 0, exported.output
    with zipfile.ZipFile(target) as zf:
        assert "Personal data held about" in zf.read("personal-data.html").decode("utf-8")

    refused = runner.invoke(cli, ["privacy", "erase", who.email])
    assert refused.exit_code == 1
    assert "--yes" in refused.output
    wrong = runner.invoke(cli, ["privacy", "erase", who.email, "--contributions", "keep"])
    assert wrong.exit_code == 2
    with app.db.unit_of_work() as session:
        assert rows_mentioning(session, [who.email])  # nothing happened yet

    done = runner.invoke(cli, ["privacy", "erase", who.email, "--yes"], env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    assert "Rapport opnieuw geschreven" in done.output
    unknown = runner.invoke(cli, ["privacy", "export", who.email, "--output", str(target)])
    assert unknown.exit_code == 1
    assert "niemand in het register" in unknown.output.lower()
    listed = runner.invoke(
        cli, ["audit", "list", "--actor", "invitee", "--limit", "5"], env={"COLUMNS": "250"}
    )
    assert listed.exit_code == 0, listed.output
    assert who.email not in listed.output

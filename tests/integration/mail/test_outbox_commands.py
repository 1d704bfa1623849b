"""The operator's mail commands against a real SMTP server: what `consult outbox status` shows
after a refusal (the message failed, the address suppressed), `retry-failed` leaving a
suppressed address alone, and `unsuppress` sending what did not reach it, once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from consult.cli import app
from consult.settings import CONFIG_ENV
from models import OutboxStatus
from models.db import Database

from .faulty_smtp import FaultPlan, FaultyServer
from .outbox_support import fill_outbox, outbox_rows, write_consult_toml

REFUSED = "vertrokken@zorg.example"
GOOD = ["a@zorg.example", "b@zorg.example"]


def test_status_shows_the_refusal_and_unsuppress_sends_it_when_the_relay_accepts(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(database_url)
    fill_outbox(db, [*GOOD, REFUSED])
    runner = CliRunner()
    with FaultyServer(FaultPlan(refuse=frozenset({REFUSED}))) as refusing:
        config = write_consult_toml(
            tmp_path, database_url, {"port": refusing.port, "retry_wait_s": 0.0}
        )
        monkeypatch.setenv(CONFIG_ENV, str(config))
        sent = runner.invoke(app, ["outbox", "send"])
        assert sent.exit_code == 0, sent.output
        assert "verzonden: 2, mislukt: 1" in sent.output

    status = runner.invoke(app, ["outbox", "status"], env={"COLUMNS": "200"})
    assert status.exit_code == 0, status.output
    assert REFUSED in status.output
    assert "550 5.1.1 mailbox unavailable" in status.output
    assert "mislukt" in status.output
    assert "Geblokkeerde adressen" in status.output

    # Mail queued later for the refused address is held back, not sent (and not lost).
    fill_outbox(db, [REFUSED, GOOD[0]], key_prefix="later")
    with FaultyServer(FaultPlan()) as accepting:
        config = write_consult_toml(tmp_path, database_url, {"port": accepting.port})
        monkeypatch.setenv(CONFIG_ENV, str(config))
        sent = runner.invoke(app, ["outbox", "send"])
        assert "verzonden: 1, mislukt: 0" in sent.output, sent.output
        assert [a.recipient for a in accepting.accepted] == [GOOD[0]]
        status = runner.invoke(app, ["outbox", "status"], env={"COLUMNS": "200"})
        held = re.search(r"tegengehouden \(adres geblokkeerd\)\s*│\s*(\d+)", status.output)
        assert held is not None and held.group(1) == "1", status.output
        # Retrying failed mail leaves the suppressed address alone, and says so.
        retried = runner.invoke(app, ["outbox", "retry-failed"])
        assert retried.exit_code == 0 and retried.output.startswith("0 "), retried.output
        assert "consult outbox unsuppress" in retried.output

        # The address works again (fixed at the relay's end): both go out, once.
        released = runner.invoke(app, ["outbox", "unsuppress", REFUSED.upper()])
        assert released.exit_code == 0 and released.output.startswith("2 "), released.output
        again = runner.invoke(app, ["outbox", "send"])
        assert "verzonden: 2, mislukt: 0" in again.output
        assert [a.recipient for a in accepting.accepted] == [GOOD[0], REFUSED, REFUSED]
        unknown = runner.invoke(app, ["outbox", "unsuppress", REFUSED])
        assert unknown.exit_code == 1 and "niet op de lijst" in unknown.output
    assert {row.status for row in outbox_rows(db)} == {OutboxStatus.SENT}
    db.dispose()

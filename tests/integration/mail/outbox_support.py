"""Helpers shared by the outbox reliability tests: fill the outbox, read it back, run senders."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from consult.mail.outbox import Recipient, enqueue
from consult.settings import CONFIG_ENV, PROJECT_ROOT
from consult.templating import RenderedEmail
from models import OutboxKind, OutboxMessage, OutboxStatus
from models.db import Database

DOMAIN = "commissie-wiz.example"


@dataclass(frozen=True)
class RowState:
    id: int
    message_id: str
    recipient: str
    status: OutboxStatus
    attempts: int
    last_error: str | None


def fill_outbox(db: Database, addresses: Sequence[str], key_prefix: str = "test") -> None:
    """One invitation per address, enqueued in one unit of work the way the flows do it."""
    with db.unit_of_work() as session:
        for i, address in enumerate(addresses):
            added = enqueue(
                session,
                key=f"{key_prefix}:{i}",
                kind=OutboxKind.INVITATION,
                recipient=Recipient(email=address, name=f"Bestuurder {i}"),
                rendered=RenderedEmail(
                    subject=f"Uitnodiging consultatieronde {i}",
                    text=f"Beste bestuurder {i},\n\nU bent uitgenodigd.\n",
                    html=f"<p>Beste bestuurder {i},</p><p>U bent uitgenodigd.</p>",
                ),
                domain=DOMAIN,
                round_id=None,
            )
            assert added


def outbox_rows(db: Database) -> list[RowState]:
    with db.unit_of_work() as session:
        return [
            RowState(
                row.id,
                row.message_id,
                row.recipient_email,
                row.status,
                row.attempts,
                row.last_error,
            )
            for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def write_consult_toml(directory: Path, database_url: str, smtp: Mapping[str, object]) -> Path:
    """A consult.toml for a sender process (floats stay floats, unlike tests/conftest.py)."""
    lines = [
        f'database_url = "{database_url}"',
        f'reports_dir = "{directory / "reports"}"',
        f'config_dir = "{PROJECT_ROOT / "config"}"',
        f'templates_dir = "{PROJECT_ROOT / "templates"}"',
        "[smtp]",
    ]
    for key, value in smtp.items():
        lines.append(f'{key} = "{value}"' if isinstance(value, str) else f"{key} = {value!r}")
    # The mail here is about sending, not about reviewing a mailing first.
    lines += ["[mail]", "require_approval = false"]
    path = directory / "consult.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start_sender(config: Path, log: Path) -> subprocess.Popen[bytes]:
    """`python -m consult outbox send` as its own OS process, output into `log`."""
    env = dict(os.environ)
    env[CONFIG_ENV] = str(config)
    env["PYTHONUNBUFFERED"] = "1"
    env["COLUMNS"] = "200"  # rich must not wrap the one summary line
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "consult", "outbox", "send"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def sent_count(output: str) -> int:
    """N from the sender's summary line ``verzonden: N, mislukt: ..., later opnieuw: ...``."""
    for line in output.splitlines():
        if line.startswith("verzonden: "):
            return int(line.removeprefix("verzonden: ").split(",", 1)[0])
    raise AssertionError(f"no summary line in sender output:\n{output}")


def wait_for_sender(process: subprocess.Popen[bytes], log: Path, timeout: float) -> str:
    """The sender's output once it has finished cleanly; a hung sender is killed and fails."""
    try:
        process.wait(timeout=max(timeout, 0.1))
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
        pytest.fail(f"sender {process.pid} did not finish in {timeout:.0f} s:\n{log.read_text()}")
    output = log.read_text(encoding="utf-8")
    assert process.returncode == 0, output
    return output

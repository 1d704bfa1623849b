"""`consult demo` as the secretariat types it: progress, a summary, and a second run that works."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from consult.cli import app
from consult.settings import CONFIG_ENV

pytestmark = pytest.mark.slow


def test_demo_runs_twice_in_the_same_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONFIG_ENV, "")
    monkeypatch.setenv("COLUMNS", "200")
    workspace = tmp_path / "demo"
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(app, ["demo", "--workspace", str(workspace)])
        assert result.exit_code == 0, result.output
        assert "Samenvatting demo-ronde" in result.output
        assert str(workspace / "mail") in result.output
        assert (workspace / "reports" / "demo-bouwstenen" / "report.drafts.nl.html").is_file()
        mails = list((workspace / "mail").glob("*.eml"))
        # A second run starts afresh: the same number of messages, not twice as many.
        assert 300 <= len(mails) <= 400


def test_demo_refuses_a_folder_it_did_not_make(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONFIG_ENV, "")
    precious = tmp_path / "werk"
    precious.mkdir()
    (precious / "notities.txt").write_text("niet weggooien", encoding="utf-8")
    result = CliRunner().invoke(app, ["demo", "--workspace", str(precious)])
    assert result.exit_code == 2
    assert "geen demo-werkmap" in result.output
    assert (precious / "notities.txt").read_text(encoding="utf-8") == "niet weggooien"


def test_demo_rejects_a_malformed_smtp_address(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["demo", "--workspace", str(tmp_path / "d"), "--smtp", "localhost"]
    )
    assert result.exit_code == 2
    assert "HOST:PORT" in result.output

"""`consult mailing list` and `consult mailing approve` end to end, with `consult outbox send`
to a real SMTP server: the round's invitations are held until approved on the command line
(review switched on through the environment, as any setting can be), then leave; the list says
who approved and when; mistakes end with a Dutch message and exit code 1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from consult.cli import app as cli
from consult.mail.sink import EmlSink
from consult.registry.store import store_rows, sync_reference_data
from consult.settings import CONFIG_ENV, load_settings
from consult.wiring import App, open_app
from models import AuditEntry, MailingApproval
from tests.conftest import write_config
from tests.integration.mail.test_mailing_approval import _launch_and_queue, _registry, _spec

SLUG = "voorjaar-2030"


@pytest.fixture
def wired(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[App, EmlSink]]:
    with EmlSink(tmp_path / "mail") as sink:
        # The file says no review; the environment wins, as it does for every setting.
        config = write_config(tmp_path, database_url, require_approval=False, smtp_port=sink.port)
        monkeypatch.setenv(CONFIG_ENV, str(config))
        monkeypatch.setenv("CONSULT_MAIL__REQUIRE_APPROVAL", "true")
        monkeypatch.setenv("CONSULT_SMTP__RETRY_WAIT_S", "0")
        settings = load_settings()
        assert settings.mail.require_approval
        with open_app(settings) as app:
            with app.db.unit_of_work() as session:
                sync_reference_data(session, app.taxonomy)
                store_rows(session, _registry())
            _launch_and_queue(app, _spec(SLUG))
            yield app, sink


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "250"})


def test_held_invitations_are_listed_approved_and_then_sent(
    wired: tuple[App, EmlSink],
) -> None:
    app, sink = wired
    held = _run("outbox", "send")
    assert held.exit_code == 0, held.output
    assert "verzonden: 0" in held.output
    assert "4 berichten wachten op goedkeuring van hun mailing" in held.output
    assert list(sink.directory.glob("*.eml")) == []

    listed = _run("mailing", "list", SLUG)
    assert listed.exit_code == 0, listed.output
    line = next(row for row in listed.output.splitlines() if " invitation " in row)
    assert "uitnodiging" in line and "vastgehouden: wacht op goedkeuring" in line
    assert line.split("│")[3].strip() == "4"  # waiting
    assert f"consult mailing approve {SLUG} SOORT" in listed.output

    approved = _run("mailing", "approve", SLUG, "invitation", "--by", "an@wiz.example")
    assert approved.exit_code == 0, approved.output
    assert "Goedgekeurd: uitnodiging van voorjaar-2030 (4 berichten wachten)" in approved.output
    assert "door an@wiz.example" in approved.output

    sent = _run("outbox", "send")
    assert sent.exit_code == 0 and "verzonden: 4" in sent.output, sent.output
    assert "wachten op goedkeuring" not in sent.output
    assert len(list(sink.directory.glob("*.eml"))) == 4

    after = _run("mailing", "list", SLUG)
    line = next(row for row in after.output.splitlines() if " invitation " in row)
    assert "goedgekeurd door an@wiz.example op" in line

    again = _run("mailing", "approve", SLUG, "invitation", "--by", "bea@wiz.example")
    assert again.exit_code == 0
    assert "was al goedgekeurd door an@wiz.example" in again.output
    with app.db.unit_of_work() as session:
        assert session.scalars(select(MailingApproval.approved_by)).all() == ["an@wiz.example"]
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "mailing.approve")
        ).one()
        assert entry.actor == "an@wiz.example" and entry.details["kind"] == "invitation"


def test_mistakes_are_refused_in_dutch(wired: tuple[App, EmlSink]) -> None:
    unknown_kind = _run("mailing", "approve", SLUG, "bevestiging", "--by", "an@wiz.example")
    assert unknown_kind.exit_code == 1
    assert "'bevestiging' is geen mailing; kies uit invitation, reminder" in unknown_kind.output
    unknown_round = _run("mailing", "list", "bestaat-niet")
    assert unknown_round.exit_code == 1 and "bestaat-niet" in unknown_round.output
    nothing = _run("mailing", "approve", SLUG, "reminder", "--by", "an@wiz.example")
    assert nothing.exit_code == 1
    assert "er wacht geen herinnering van ronde voorjaar-2030" in nothing.output
    assert "Traceback" not in nothing.output

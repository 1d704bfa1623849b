"""`consult privacy retention`: each round's retention date, a dry run that removes nothing,
and the removal itself; a round's spec may shorten the configured period."""

from __future__ import annotations

from sqlalchemy import func, select
from typer.testing import CliRunner

from consult.cli import app as cli
from consult.mail.sink import EmlSink
from consult.wiring import App
from models import Invitation, Round
from tests.integration.db.privacy_support import someone_everywhere


def _invitations(app: App, round_id: int) -> int:
    with app.db.unit_of_work() as session:
        return (
            session.scalar(select(func.count(Invitation.id)).where(Invitation.round_id == round_id))
            or 0
        )


def test_a_dry_run_shows_what_would_go_and_removes_nothing(
    mail_app: tuple[App, EmlSink],
) -> None:
    app, _sink = mail_app
    who = someone_everywhere(app)  # reported in February 2030: kept until February 2032
    runner = CliRunner()
    env = {"COLUMNS": "250"}

    early = runner.invoke(cli, ["privacy", "retention", "--now", "2031-01-01"], env=env)
    assert early.exit_code == 0, early.output
    assert "voorjaar-2030" in early.output and "2032-02-26" in early.output
    assert _invitations(app, who.round_id) == 12

    dry = runner.invoke(cli, ["privacy", "retention", "--dry-run", "--now", "2032-03-01"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "uitnodigingen en antwoorden: 12" in dry.output
    assert "Proefrun: niets verwijderd." in dry.output
    assert _invitations(app, who.round_id) == 12

    done = runner.invoke(cli, ["privacy", "retention", "--now", "2032-03-01"], env=env)
    assert done.exit_code == 0, done.output
    assert "Persoonsgegevens van ronde voorjaar-2030 verwijderd." in done.output
    assert _invitations(app, who.round_id) == 0
    again = runner.invoke(cli, ["privacy", "retention", "--now", "2032-03-02"], env=env)
    assert "Geen enkele ronde bevat nog persoonsgegevens." in again.output


def test_the_rounds_own_period_wins_over_the_configured_one(
    mail_app: tuple[App, EmlSink],
) -> None:
    app, _sink = mail_app
    who = someone_everywhere(app)
    with app.db.unit_of_work() as session:
        rnd = session.get_one(Round, who.round_id)
        rnd.spec = {**rnd.spec, "retention_months": 6}
    done = CliRunner().invoke(
        cli, ["privacy", "retention", "--now", "2030-09-01"], env={"COLUMNS": "250"}
    )
    assert done.exit_code == 0, done.output
    assert _invitations(app, who.round_id) == 0

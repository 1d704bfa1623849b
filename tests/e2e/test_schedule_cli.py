"""`consult schedule preview / apply / cancel-slot` as the secretariat types them, with a real
SMTP server: apply sends one calendar invitation per person placed, a second apply sends
nothing, and withdrawing a slot sends its people exactly a cancellation and a new invitation."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from consult.cli import app as cli
from consult.settings import CONFIG_ENV, load_settings
from consult.wiring import open_app
from models import ConsultationSession, OutboxMessage, OutboxStatus
from tests.integration.db.test_round_services import _answer, _invitations_by_theme, _launch
from tests.integration.mail.faulty_smtp import FaultPlan, FaultyServer
from tests.integration.mail.outbox_support import write_consult_toml

pytestmark = pytest.mark.slow


def _calendar_mail() -> Counter[tuple[int, str]]:
    """(person, method) of every calendar message that went out."""
    with open_app(load_settings()) as app, app.db.unit_of_work() as session:
        return Counter(
            (row.person_id, row.calendar_method)
            for row in session.scalars(
                select(OutboxMessage).where(OutboxMessage.calendar_method.isnot(None))
            )
            if row.status == OutboxStatus.SENT and row.person_id is not None
        )


def test_apply_then_withdraw_a_slot(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    monkeypatch.setenv("COLUMNS", "200")
    with FaultyServer(FaultPlan()) as smtp:
        config = write_consult_toml(tmp_path, database_url, {"port": smtp.port})
        monkeypatch.setenv(CONFIG_ENV, str(config))
        with open_app(load_settings()) as app:
            round_id = _launch(app)
            with app.db.unit_of_work() as session:
                by_theme = _invitations_by_theme(session, round_id)
            _answer(app, [i.id for i in by_theme["innovatie"][:5]])
            _answer(app, [i.id for i in by_theme["behoud_betrokkenheid"][:3]])

        preview = runner.invoke(cli, ["schedule", "preview", "voorjaar-2030"])
        assert preview.exit_code == 0, preview.output
        assert "niet opgeslagen" in preview.output
        assert "Wijzigingen (bij doorvoeren): 3 nieuwe sessies met 8 deelnemers" in preview.output
        assert not smtp.accepted

        applied = runner.invoke(cli, ["schedule", "apply", "voorjaar-2030"])
        assert applied.exit_code == 0, applied.output
        assert "opgeslagen" in applied.output
        assert "8 klaargezet, 8 verstuurd" in applied.output
        first = _calendar_mail()
        assert sorted(first.values()) == [1] * 8
        assert {method for _, method in first} == {"REQUEST"}
        assert len({a.message_id for a in smtp.accepted}) == 8

        again = runner.invoke(cli, ["schedule", "apply", "voorjaar-2030"])
        assert again.exit_code == 0, again.output
        assert "Wijzigingen: geen" in again.output
        assert _calendar_mail() == first

        with open_app(load_settings()) as app, app.db.unit_of_work() as session:
            sessions = session.scalars(select(ConsultationSession)).all()
            innovatie_slots = {cs.slot_id for cs in sessions if cs.theme.slug == "innovatie"}
            (slot,) = innovatie_slots
            moved = {a.person_id for cs in sessions if cs.slot_id == slot for a in cs.attendees}
        withdrawn = runner.invoke(cli, ["schedule", "cancel-slot", "voorjaar-2030", str(slot)])
        assert withdrawn.exit_code == 0, withdrawn.output
        after = _calendar_mail() - first
        assert after == Counter({(p, m): 1 for p in moved for m in ("CANCEL", "REQUEST")}), (
            withdrawn.output
        )
        assert len({a.message_id for a in smtp.accepted}) == 8 + 2 * len(moved)

        unknown = runner.invoke(cli, ["schedule", "cancel-slot", "voorjaar-2030", "999999"])
        assert unknown.exit_code == 1
        assert "hoort niet bij deze ronde" in unknown.output

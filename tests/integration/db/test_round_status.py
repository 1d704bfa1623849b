"""`consult round status`: per theme counts, what the service does now and at the next
deadlines, the same as Markdown for the Prefect artifact; the facts behind the deadline logic."""

from __future__ import annotations

from datetime import timedelta

from typer.testing import CliRunner

from consult.app import scheduling
from consult.app.facts import round_facts
from consult.app.status import round_status, status_markdown
from consult.cli import app as cli
from consult.rounds.invite import pending_invitation_ids, queue_invitations
from consult.service.deadlines import ActionKind, due_actions
from consult.wiring import App
from tests.integration.db.test_round_services import (
    ANSWER_DEADLINE,
    _answer,
    _invitations_by_theme,
    _launch,
)


def test_status_says_what_happens_now_and_next(app: App) -> None:
    round_id = _launch(app)
    now = ANSWER_DEADLINE - timedelta(days=10)
    with app.db.unit_of_work() as session:
        view = round_status(session, round_id, now)
    assert [t.invited for t in view.themes] == [6, 6]
    assert view.due_now == ("uitnodigingen versturen",)
    whats = [s.what for s in view.next_steps]
    assert whats[0].startswith("herinnering (7 dagen")
    assert any("antwoordtermijn sluit: sessies indelen" in w for w in whats)
    assert any("inbrengtermijn sluit" in w for w in whats)
    text = status_markdown(view)
    assert "| Innovatie | 6 | 0 | 0 | 0 | 0 | 0 |" in text
    assert "- uitnodigingen versturen" in text

    result = CliRunner().invoke(cli, ["round", "status", "voorjaar-2030"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Wat de service doet" in result.output
    assert "inbrengtermijn sluit" in result.output


def test_facts_follow_the_round_through_invitations_scheduling_and_sessions(app: App) -> None:
    round_id = _launch(app)
    now = ANSWER_DEADLINE - timedelta(days=10)
    with app.db.unit_of_work() as session:
        assert round_facts(session, round_id, now).uninvited == 12
        queue_invitations(session, app.mail_context(), pending_invitation_ids(session, round_id))
    with app.db.unit_of_work() as session:
        facts = round_facts(session, round_id, now)
        assert (facts.uninvited, facts.outbox_waiting) == (0, 12)
        by_theme = _invitations_by_theme(session, round_id)
    _answer(app, [i.id for i in by_theme["innovatie"][:4]])
    with app.db.unit_of_work() as session:
        reminded = round_facts(session, round_id, ANSWER_DEADLINE - timedelta(days=6))
        assert reminded.reminders_due == 8
        scheduling.schedule(session, app, round_id, ANSWER_DEADLINE)
    with app.db.unit_of_work() as session:
        facts = round_facts(session, round_id, ANSWER_DEADLINE)
        assert facts.status == "scheduled"
        assert facts.calendar_pending == 4  # placed, calendar invitations not written yet
        assert sum(s.not_asked for s in facts.sessions) == 4
        after = max(s.end for s in facts.sessions) + timedelta(hours=2)
        kinds = [a.kind for a in due_actions(facts, after)]
    assert ActionKind.SEND_CALENDAR in kinds and ActionKind.REQUEST_LESSONS in kinds

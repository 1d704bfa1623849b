"""Addresses that bounce: a server's 550 for an address stops further mail to it (the rest of
the round goes on), `consult round status` lists each bounced person once with the kinds of
mail that failed, and correcting the address sends what was held back, to the new address."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select
from typer.testing import CliRunner

from consult.app.status import round_status, status_markdown
from consult.cli import app as cli
from consult.mail.outbox import SendCounts, send_due
from consult.rounds.invite import pending_invitation_ids, queue_invitations
from consult.rounds.reminders import queue_reminders
from consult.settings import SmtpSettings
from consult.wiring import App
from models import Invitation, OutboxKind, OutboxMessage, OutboxStatus, Person
from tests.integration.db.test_round_services import ANSWER_DEADLINE, _launch
from tests.integration.mail.faulty_smtp import REFUSAL, FaultPlan, FaultyServer

NEW_ADDRESS = "a.devries@nieuw-adres.example"


def _send(app: App, server: FaultyServer) -> SendCounts:
    smtp = SmtpSettings(host="127.0.0.1", port=server.port, timeout_s=5.0, retry_wait_s=0.0)
    return asyncio.run(send_due(app.db, smtp, app.settings.organiser, sealer=app.sealer))


def _bounced_person(app: App, round_id: int) -> tuple[int, str]:
    with app.db.unit_of_work() as session:
        invitation = session.scalars(
            select(Invitation).where(Invitation.round_id == round_id).order_by(Invitation.id)
        ).first()
        assert invitation is not None
        return invitation.person_id, invitation.person.email


def _status(*args: str) -> str:
    # Wide enough to keep every table cell on one line.
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    return result.output


def test_a_hard_bounce_stops_further_mail_and_correcting_the_address_sends_it(
    app: App,
) -> None:
    round_id = _launch(app)
    person_id, gone = _bounced_person(app, round_id)
    with app.db.unit_of_work() as session:
        queue_invitations(session, app.mail_context(), pending_invitation_ids(session, round_id))
    with FaultyServer(FaultPlan(refuse=frozenset({gone}))) as relay:
        first = _send(app, relay)
        assert (first.sent, first.failed) == (11, 1)
        # A week later: reminders to everyone who has not answered, the bounced one included.
        with app.db.unit_of_work() as session:
            ids = list(
                session.scalars(select(Invitation.id).where(Invitation.round_id == round_id))
            )
            assert (
                queue_reminders(
                    session, app.mail_context(), ids, ANSWER_DEADLINE - timedelta(days=6)
                )
                == 12
            )
        second = _send(app, relay)
        assert second.sent == 11
        # The relay was not asked for the bounced address again: one refusal in all.
        assert relay.faults["refused_550"] == 1

    with app.db.unit_of_work() as session:
        held = session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient_email == gone)
        ).all()
        assert sorted((m.kind, m.status) for m in held) == [
            (OutboxKind.INVITATION, OutboxStatus.FAILED),
            (OutboxKind.REMINDER, OutboxStatus.SUPPRESSED),
        ]
        view = round_status(session, round_id, ANSWER_DEADLINE - timedelta(days=6))
    # One line for the person, not one per message, with what did not reach them.
    [line] = view.undelivered
    assert (line.email, line.bounced) == (gone, True)
    assert line.kinds == ("uitnodiging", "herinnering")
    assert REFUSAL in line.reply
    markdown = status_markdown(view)
    assert markdown.count(gone) == 1
    assert "uitnodiging, herinnering" in markdown
    output = _status("round", "status", "voorjaar-2030")
    assert output.count(gone) == 1
    assert "geblokkeerd" in output and "uitnodiging, herinnering" in output

    # A slip (someone else's address) is refused and changes nothing.
    with app.db.unit_of_work() as session:
        taken = session.scalars(select(Person.email).where(Person.id != person_id)).first()
    refused = CliRunner().invoke(cli, ["registry", "correct-address", gone, str(taken)])
    assert refused.exit_code == 1 and "is al het adres van" in refused.output, refused.output

    # The secretariat finds the new address: what was held back goes there, and only there.
    output = _status("registry", "correct-address", gone, NEW_ADDRESS)
    assert "2 berichten" in output
    with app.db.unit_of_work() as session:
        assert session.get_one(Person, person_id).email == NEW_ADDRESS
        assert round_status(session, round_id).undelivered == ()
    with FaultyServer(FaultPlan(refuse=frozenset({gone}))) as relay:
        third = _send(app, relay)
        assert (third.sent, third.failed) == (2, 0)
        assert sorted(a.recipient for a in relay.accepted) == [NEW_ADDRESS, NEW_ADDRESS]
        assert relay.faults["refused_550"] == 0

"""Mailing review against a real SMTP server (aiosmtpd writing .eml files), on SQLite and
PostgreSQL: a round's invitations stay waiting in the outbox until the secretariat approves the
mailing, then all leave exactly once; mail queued later for the approved mailing leaves without a
second approval while another mailing of the round still waits; a round whose spec switches
approval off sends at once."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from consult.app import mailings, outbox
from consult.mail.outbox import Recipient, SendCounts, enqueue
from consult.mail.sink import EmlSink
from consult.registry.parsing import RegistryRow
from consult.registry.store import store_rows, sync_reference_data
from consult.rounds.invite import queue_invitations
from consult.rounds.launch import launch_round
from consult.settings import CONFIG_ENV, load_settings
from consult.spec import RoundSpec, SlotSpec, ThemeSpec
from consult.templating import RenderedEmail
from consult.wiring import App, open_app
from models import AuditEntry, Invitation, MailingApproval, OutboxKind, OutboxMessage, OutboxStatus
from tests.conftest import write_config

AMS = ZoneInfo("Europe/Amsterdam")


def _slot(day: int) -> SlotSpec:
    start = datetime(2030, 3, day, 10, 0, tzinfo=AMS)
    return SlotSpec(start=start, end=start + timedelta(minutes=90))


def _spec(slug: str, require_approval: bool | None = None) -> RoundSpec:
    return RoundSpec(
        slug=slug,
        name=f"Ronde {slug}",
        answer_deadline=datetime(2030, 3, 1, 17, 0, tzinfo=AMS),
        input_deadline=datetime(2030, 4, 30, 23, 59, tzinfo=AMS),
        invitees_per_theme=4,
        group_min=1,
        min_sectors=0,
        themes=[ThemeSpec(slug="innovatie", slots=[_slot(11)])],
        require_approval=require_approval,
    )


def _registry() -> list[RegistryRow]:
    places = [("vvt", "Achterhoek"), ("ggz", "Twente"), ("mbo", "Zwolle"), ("gemeente", "Twente")]
    return [
        RegistryRow(
            row=n + 2,
            organisation=f"Stichting {sector.title()} {region}",
            sector=sector,
            region=region,
            name=f"Persoon {n}",
            email=f"{sector}.{region.lower()}@example.org",
            role="bestuurder",
            language="en" if n == 0 else "nl",
        )
        for n, (sector, region) in enumerate(places)
    ]


@pytest.fixture
def wired(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[App, EmlSink]]:
    """The app with the configuration's default: mailings need approval."""
    with EmlSink(tmp_path / "mail") as sink:
        config = write_config(tmp_path, database_url, require_approval=True, smtp_port=sink.port)
        monkeypatch.setenv(CONFIG_ENV, str(config))
        settings = load_settings()
        assert settings.mail.require_approval is True
        with open_app(settings) as app:
            with app.db.unit_of_work() as session:
                sync_reference_data(session, app.taxonomy)
                store_rows(session, _registry())
            yield app, sink


def _launch_and_queue(app: App, spec: RoundSpec) -> int:
    with app.db.unit_of_work() as session:
        round_id = launch_round(session, spec, "Secretariaat WiZ", "secretariaat@wiz.example")
        ids = list(
            session.scalars(select(Invitation.id).where(Invitation.round_id == round_id.round_id))
        )
        assert queue_invitations(session, app.mail_context(), ids) == len(ids) == 4
        return round_id.round_id


def _delivered(sink: EmlSink) -> list[EmailMessage]:
    found = []
    for path in sorted(sink.directory.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def _states(app: App, round_id: int) -> Counter[tuple[OutboxKind, OutboxStatus]]:
    with app.db.unit_of_work() as session:
        return Counter(
            {
                (kind, status): n
                for kind, status, n in session.execute(
                    select(OutboxMessage.kind, OutboxMessage.status, func.count())
                    .where(OutboxMessage.round_id == round_id)
                    .group_by(OutboxMessage.kind, OutboxMessage.status)
                ).tuples()
            }
        )


def _send(app: App) -> SendCounts:
    return asyncio.run(outbox.send(app, retry_wait=timedelta(0)))


def _queue_extra(app: App, round_id: int, kind: OutboxKind, key: str, to: str) -> None:
    with app.db.unit_of_work() as session:
        assert enqueue(
            session,
            key=key,
            kind=kind,
            recipient=Recipient(email=to, name="Laatkomer"),
            rendered=RenderedEmail(subject=f"Bericht {key}", text="Tekst", html="<p>Tekst</p>"),
            domain="wiz.example",
            round_id=round_id,
        )


def test_nothing_leaves_before_approval_and_everything_once_after(
    wired: tuple[App, EmlSink],
) -> None:
    app, sink = wired
    round_id = _launch_and_queue(app, _spec("voorjaar-2030"))

    held = _send(app)
    # Held, not failed and not lost: still waiting, and said so.
    assert (held.sent, held.failed, held.held) == (0, 0, 4)
    assert _delivered(sink) == []
    assert _states(app, round_id) == Counter({(OutboxKind.INVITATION, OutboxStatus.PENDING): 4})
    with app.db.unit_of_work() as session:
        listed = mailings.round_mailings(session, round_id, configured=True)
        assert listed is not None and listed.held == 4
        invitations = listed.mailings[0]
        assert (invitations.kind, invitations.waiting, invitations.recipients) == (
            OutboxKind.INVITATION,
            4,
            4,
        )
        assert invitations.held and invitations.approval is None
    # A second pass changes nothing either.
    assert _send(app).held == 4 and _delivered(sink) == []

    with app.db.unit_of_work() as session:
        done = mailings.approve(session, round_id, OutboxKind.INVITATION, "an@wiz.example")
    assert done.new and done.approval.by == "an@wiz.example" and done.approval.waiting == 4

    sent = _send(app)
    assert (sent.sent, sent.failed, sent.held) == (4, 0, 0)
    delivered = _delivered(sink)
    assert len(delivered) == 4 and len({m["Message-ID"] for m in delivered}) == 4
    # The English-speaking invitee got the English mail.
    english = [
        m for m in delivered if m["To"].addresses[0].addr_spec == "vvt.achterhoek@example.org"
    ]
    assert english and "Persoon 0" in str(english[0]["To"])
    assert _states(app, round_id) == Counter({(OutboxKind.INVITATION, OutboxStatus.SENT): 4})
    # Sending again sends nothing twice.
    assert _send(app).sent == 0 and len(_delivered(sink)) == 4

    with app.db.unit_of_work() as session:
        approval = session.scalars(select(MailingApproval)).one()
        assert (approval.round_id, approval.kind, approval.approved_by) == (
            round_id,
            OutboxKind.INVITATION,
            "an@wiz.example",
        )
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "mailing.approve")
        ).one()
        assert entry.round_id == round_id and entry.details["kind"] == "invitation"
        assert entry.details["waiting"] == 4


def test_mail_queued_later_for_an_approved_mailing_leaves_and_others_still_wait(
    wired: tuple[App, EmlSink],
) -> None:
    app, sink = wired
    round_id = _launch_and_queue(app, _spec("voorjaar-2030"))
    with app.db.unit_of_work() as session:
        mailings.approve(session, round_id, OutboxKind.INVITATION, "an@wiz.example")
    assert _send(app).sent == 4

    # A later invitation (someone added, an invitation passed on) and the round's first reminder.
    _queue_extra(app, round_id, OutboxKind.INVITATION, "later:1", "laat@example.org")
    _queue_extra(app, round_id, OutboxKind.REMINDER, "reminder:1", "ggz.twente@example.org")
    counts = _send(app)
    assert (counts.sent, counts.held) == (1, 1)
    addresses = [m["To"].addresses[0].addr_spec for m in _delivered(sink)]
    assert addresses.count("laat@example.org") == 1 and len(addresses) == 5
    assert _states(app, round_id)[(OutboxKind.REMINDER, OutboxStatus.PENDING)] == 1

    # Approving an approved mailing changes nothing; the reminders need their own approval.
    with app.db.unit_of_work() as session:
        again = mailings.approve(session, round_id, OutboxKind.INVITATION, "bea@wiz.example")
        assert not again.new and again.approval.by == "an@wiz.example"
        mailings.approve(session, round_id, OutboxKind.REMINDER, "bea@wiz.example")
    assert _send(app).sent == 1
    assert len(_delivered(sink)) == 6
    with app.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(MailingApproval)) == 2
        # Nothing waits, so there is nothing to approve for the calendar invitations yet.
        with pytest.raises(mailings.NothingWaiting):
            mailings.approve(session, round_id, OutboxKind.CALENDAR_REQUEST, "an@wiz.example")
        # Confirmations are no mailing: they answer what an invitee just did.
        with pytest.raises(mailings.UnknownMailing):
            mailings.approve(session, round_id, OutboxKind.CONFIRMATION, "an@wiz.example")


def test_a_round_with_approval_off_sends_at_once_while_another_round_waits(
    wired: tuple[App, EmlSink],
) -> None:
    app, sink = wired
    waiting_round = _launch_and_queue(app, _spec("voorjaar-2030"))
    # The same four people, invited to a second round that needs no approval.
    open_round = _launch_and_queue(app, _spec("najaar-2030", require_approval=False))

    counts = _send(app)
    assert (counts.sent, counts.held) == (4, 4)
    assert _states(app, open_round) == Counter({(OutboxKind.INVITATION, OutboxStatus.SENT): 4})
    assert _states(app, waiting_round) == Counter(
        {(OutboxKind.INVITATION, OutboxStatus.PENDING): 4}
    )
    assert len(_delivered(sink)) == 4
    with app.db.unit_of_work() as session:
        listed = mailings.round_mailings(session, open_round, configured=True)
        assert listed is not None and not listed.required and listed.held == 0

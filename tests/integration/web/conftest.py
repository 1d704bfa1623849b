"""A launched round with invitation emails (and so link tokens) made by the real services, the
web app on it with a settable clock and a recording event emitter, and a real SMTP server
(EmlSink) that the app's after-response sending delivers to."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from consult.events import Signal
from consult.mail.outbox import to_outgoing, with_links
from consult.mail.sink import EmlSink
from consult.registry.parsing import RegistryRow
from consult.registry.store import store_rows, sync_reference_data
from consult.rounds.invite import queue_invitations
from consult.rounds.launch import launch_round
from consult.settings import CONFIG_ENV, Settings, load_settings
from consult.spec import RoundSpec, SlotSpec, ThemeSpec
from consult.web.app import create_app
from consult.wiring import App, open_app
from models import Invitation, OutboxKind, OutboxMessage, OutboxStatus
from tests.conftest import write_config

AMS = ZoneInfo("Europe/Amsterdam")
BASE_URL = "https://consult.example.org"
ANSWER_DEADLINE = datetime(2030, 3, 1, 17, 0, tzinfo=AMS)
INPUT_DEADLINE = datetime(2030, 4, 30, 23, 59, tzinfo=AMS)
BEFORE_DEADLINE = datetime(2030, 2, 20, 12, 0, tzinfo=AMS)
THEMES = ("innovatie", "behoud_betrokkenheid")
TOKEN_IN_LINK = re.compile(re.escape(BASE_URL) + r"/i/([A-Za-z0-9_-]+)")


def slot(day: int, hour: int) -> SlotSpec:
    start = datetime(2030, 3, day, hour, 0, tzinfo=AMS)
    return SlotSpec(start=start, end=start + timedelta(minutes=90))


SPEC = RoundSpec(
    slug="voorjaar-2030",
    name="Consultatieronde voorjaar 2030",
    answer_deadline=ANSWER_DEADLINE,
    input_deadline=INPUT_DEADLINE,
    invitees_per_theme=3,
    # One invitee may make a group here: these tests are about the pages, not the mix.
    group_min=1,
    group_max=6,
    min_sectors=0,
    themes=[
        ThemeSpec(slug="innovatie", slots=[slot(10, 10), slot(12, 14)]),
        ThemeSpec(slug="behoud_betrokkenheid", slots=[slot(11, 10), slot(13, 14)]),
    ],
)
SESSION_END_INNOVATIE = datetime(2030, 3, 10, 11, 30, tzinfo=AMS)


def registry() -> list[RegistryRow]:
    rows = []
    for n, (sector, region) in enumerate(
        [
            ("vvt", "Achterhoek"),
            ("ggz", "Twente"),
            ("ziekenhuis", "Zwolle"),
            ("mbo", "Achterhoek"),
            ("gemeente", "Twente"),
            ("zorgkantoor", "Zwolle"),
        ]
    ):
        rows.append(
            RegistryRow(
                row=n + 2,
                organisation=f"Stichting {sector.title()} {region}",
                sector=sector,
                region=region,
                name=f"Persoon {n} {sector.title()}",
                email=f"{sector}.{region.lower()}@example.org",
                role="bestuurder",
                language="nl",
            )
        )
    return rows


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    wired: App
    client: TestClient
    clock: Clock
    events: list[Signal]
    mail_dir: Path
    round_id: int
    # invitation id -> the token from its invitation email
    tokens: dict[int, str] = field(default_factory=dict)

    def invitation_ids(self) -> list[int]:
        return sorted(self.tokens)

    def first(self, theme: str = "innovatie") -> tuple[int, str]:
        """The first invitation picked for `theme`, and its token."""
        with self.wired.db.unit_of_work() as session:
            for invitation in session.scalars(
                select(Invitation).where(Invitation.id.in_(self.tokens)).order_by(Invitation.id)
            ):
                if invitation.theme_preferences[0] == theme:
                    return invitation.id, self.tokens[invitation.id]
        raise LookupError(theme)

    def mail(self) -> list[EmailMessage]:
        messages = []
        for path in sorted(self.mail_dir.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            messages.append(message)
        return messages


def tokens_from_outbox(
    wired: App, kind: OutboxKind = OutboxKind.INVITATION, mail_dir: Path | None = None
) -> dict[int, str]:
    """invitation id -> the token of the link in its message of `kind`: put in as the sender
    does for a message still queued (the row holds it sealed, never in clear), read from the
    delivered message in `mail_dir` for one sent (the row no longer holds it at all)."""
    delivered = {}
    for path in sorted(mail_dir.glob("*.eml")) if mail_dir else []:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        part = message.get_body(("plain",))
        assert part is not None
        delivered[str(message["Message-ID"])] = part.get_content()
    with wired.db.unit_of_work() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)).all()
        found = {}
        for row in rows:
            if row.status == OutboxStatus.SENT:
                text = delivered[row.message_id]
            else:
                text = with_links(to_outgoing(row), row.sealed_links, wired.sealer).text
            match = TOKEN_IN_LINK.search(text)
            assert match and row.invitation_id is not None, row.text_body
            found[row.invitation_id] = match.group(1)
        return found


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[EmlSink]:
    with EmlSink(tmp_path / "mail") as running:
        yield running


@pytest.fixture
def web_settings(
    database_url: str, tmp_path: Path, sink: EmlSink, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    monkeypatch.setenv(CONFIG_ENV, str(write_config(tmp_path, database_url, smtp_port=sink.port)))
    monkeypatch.setenv("CONSULT_BASE_URL", BASE_URL)
    monkeypatch.delenv("CONSULT_SECRET_KEY", raising=False)
    return load_settings()


def launch(wired: App, spec: RoundSpec = SPEC) -> int:
    with wired.db.unit_of_work() as session:
        sync_reference_data(session, wired.taxonomy)
        store_rows(session, registry())
        round_id = launch_round(
            session, spec, "Secretariaat WiZ", "secretariaat@wiz.example"
        ).round_id
        ids = list(session.scalars(select(Invitation.id).where(Invitation.round_id == round_id)))
        queue_invitations(session, wired.mail_context(), ids)
        return round_id


@contextmanager
def running(web_settings: Settings, sink: EmlSink, spec: RoundSpec) -> Iterator[World]:
    """The web app on a round launched from `spec`, its invitations queued."""
    clock = Clock(BEFORE_DEADLINE)
    events: list[Signal] = []
    with open_app(web_settings) as wired:
        round_id = launch(wired, spec)
        app = create_app(web_settings, emitter=events.append, clock=clock)
        with TestClient(app, base_url=BASE_URL, follow_redirects=False) as client:
            yield World(
                wired=wired,
                client=client,
                clock=clock,
                events=events,
                mail_dir=sink.directory,
                round_id=round_id,
                tokens=tokens_from_outbox(wired),
            )


@pytest.fixture
def world(web_settings: Settings, sink: EmlSink) -> Iterator[World]:
    with running(web_settings, sink, SPEC) as launched:
        yield launched

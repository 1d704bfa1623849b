"""A round whose retention period has ended loses its personal data at the service's next tick
(on a clock the test sets), on SQLite and PostgreSQL; its contributions stay, countable per
sector and region, and its report keeps role-only attributions."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import and_, func, select

from consult.flows import service
from consult.mail.sink import EmlSink
from consult.settings import CONFIG_ENV, load_settings
from consult.wiring import App, open_app
from models import (
    AuditEntry,
    Availability,
    CalendarReply,
    Contribution,
    Invitation,
    OutboxMessage,
    QuotePermission,
    Round,
    SessionAttendee,
)
from tests.conftest import write_config
from tests.integration.db.privacy_support import files_mentioning, someone_everywhere
from tests.integration.db.test_round_services import BEFORE_DEADLINE

pytestmark = pytest.mark.slow


@pytest.fixture
def served(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[App, EmlSink]]:
    with EmlSink(tmp_path / "mail") as sink:
        config = write_config(tmp_path, database_url, smtp_port=sink.port)
        monkeypatch.setenv(CONFIG_ENV, str(config))
        with open_app(load_settings()) as app:
            yield app, sink


def _count(app: App, model: type, *where: object) -> int:
    with app.db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_the_tick_after_the_retention_date_removes_the_rounds_personal_data(
    served: tuple[App, EmlSink],
) -> None:
    app, _sink = served
    who = someone_everywhere(app)  # a reported round (report written BEFORE_DEADLINE)
    rid = who.round_id
    with app.db.unit_of_work() as session:
        session.get_one(Invitation, who.invitation_id)  # it is there before
        per_place_before = _per_sector_and_region(session, rid)
    ends = BEFORE_DEADLINE.replace(year=BEFORE_DEADLINE.year + 2)  # 24 months by default

    assert asyncio.run(service.service_tick(now=ends - timedelta(minutes=5))) == []
    assert _count(app, Invitation, Invitation.round_id == rid) == 12

    assert asyncio.run(service.service_tick(now=ends)) == [f"{rid}:apply-retention"]

    for model, where in (
        (Invitation, Invitation.round_id == rid),
        (Availability, Availability.invitation_id == who.invitation_id),
        (SessionAttendee, SessionAttendee.person_id == who.person_id),
        (OutboxMessage, OutboxMessage.round_id == rid),
        (CalendarReply, CalendarReply.id.is_not(None)),
        (AuditEntry, and_(AuditEntry.round_id == rid, AuditEntry.person_id.is_not(None))),
    ):
        assert _count(app, model, where) == 0, model.__name__
    with app.db.unit_of_work() as session:
        contributions = session.scalars(
            select(Contribution).where(Contribution.round_id == rid)
        ).all()
        assert contributions and all(c.person_id is None for c in contributions)
        assert all(c.quote_permission != QuotePermission.ATTRIBUTABLE for c in contributions)
        assert _per_sector_and_region(session, rid) == per_place_before
        assert session.get_one(Round, rid).personal_data_removed_at == ends
    # The report was written again: no names, role-only attributions, the same support.
    assert files_mentioning(app.settings.reports_dir, [who.name, who.email]) == []
    blocks = json.loads(
        (app.settings.reports_dir / "voorjaar-2030" / "blocks.json").read_text("utf-8")
    )
    [block] = blocks["themes"][0]["blocks"]
    assert block["support"]["contributors"] == 2
    html = (app.settings.reports_dir / "voorjaar-2030" / "report.nl.html").read_text("utf-8")
    assert "Geef zij-instromers" in html

    # Done once: later ticks leave the round alone.
    assert asyncio.run(service.service_tick(now=ends + timedelta(days=1))) == []


def _per_sector_and_region(session, round_id: int) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for c in session.scalars(select(Contribution).where(Contribution.round_id == round_id)):
        counts[(c.sector, c.region)] = counts.get((c.sector, c.region), 0) + 1
    return counts

"""Bursts of identical POSTs at once, as a double-clicking invitee, a browser retrying or a
mail scanner replaying a form sends them: the web app served by uvicorn (in a thread, with the
tests' clock and an event recorder) and 24 real HTTP clients released together, per form, on
SQLite and PostgreSQL. Whatever the order, the invitee sees what one POST and its repeats would
show: one change, one event, at most one confirmation, and no error page."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from consult.events import CONTRIBUTION_SUBMITTED, INVITATION_RESPONDED, Signal
from consult.mail.sink import free_port
from consult.settings import Settings
from consult.web.app import create_app
from models import (
    Availability,
    Contribution,
    Invitation,
    InvitationStatus,
    Organisation,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    Person,
)
from tests.integration.web.conftest import World
from tests.integration.web.test_invitee_routes import count, email_of, invitation, schedule
from tests.integration.web.test_invitee_routes import slot_ids as offered

BURST = 24
CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


@dataclass
class Live:
    """The app behind a real socket, with its own event recorder and CSRF secret."""

    url: str
    events: list[Signal]

    def csrf(self, token: str, page: str = "") -> str:
        response = httpx.get(f"{self.url}/i/{token}{page}", timeout=30)
        assert response.status_code == 200, response.text
        match = CSRF.search(response.text)
        assert match
        return match.group(1)

    def post(self, token: str, action: str, data: dict[str, object]) -> httpx.Response:
        page = {"input": "/input", "delegate": "/delegate"}.get(action, "")
        body = {**data, "csrf": self.csrf(token, page)}
        return httpx.post(f"{self.url}/i/{token}/{action}", data=body, timeout=30)

    def burst(self, token: str, action: str, data: dict[str, object]) -> Counter[int]:
        """BURST identical POSTs, each on a connection of its own, released at one moment;
        the status codes they got."""
        page = {"input": "/input", "delegate": "/delegate"}.get(action, "")
        body = {**data, "csrf": self.csrf(token, page)}
        start = threading.Barrier(BURST)

        def one(_: int) -> int:
            with httpx.Client(base_url=self.url, timeout=60) as client:
                client.get("/health")  # connected before the barrier: the POSTs leave together
                start.wait()
                return client.post(f"/i/{token}/{action}", data=body).status_code

        with ThreadPoolExecutor(BURST) as pool:
            return Counter(pool.map(one, range(BURST)))

    def settled_events(self) -> list[Signal]:
        """The events, once the work after the responses (mail, then events) has stopped."""
        deadline, seen, quiet_since = time.monotonic() + 30, -1, time.monotonic()
        while time.monotonic() < deadline:
            if len(self.events) != seen:
                seen, quiet_since = len(self.events), time.monotonic()
            elif seen and time.monotonic() - quiet_since > 1.0:
                break
            time.sleep(0.05)
        return list(self.events)

    def responded(self, field: str) -> list[Signal]:
        return [
            s
            for s in self.settled_events()
            if s.event == INVITATION_RESPONDED and s.payload["change"] == field
        ]


@pytest.fixture
def live(world: World, web_settings: Settings) -> Iterator[Live]:
    events: list[Signal] = []
    app = create_app(web_settings, emitter=events.append, clock=world.clock)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield Live(f"http://127.0.0.1:{port}", events)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _delivered(w: World, address: str, subject_start: str) -> list[str]:
    """Subjects of the mail that reached `address`, once nothing is left to send."""
    deadline = time.monotonic() + 30
    while count(w, OutboxMessage, OutboxMessage.status != OutboxStatus.SENT) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.1)
    return [
        str(m["Subject"])
        for m in w.mail()
        if m["To"].addresses[0].addr_spec == address and str(m["Subject"]).startswith(subject_start)
    ]


def _confirmations(w: World, invitation_id: int) -> int:
    return count(
        w,
        OutboxMessage,
        OutboxMessage.kind == OutboxKind.CONFIRMATION,
        OutboxMessage.invitation_id == invitation_id,
    )


def test_a_burst_of_acceptances_accepts_once_and_confirms_once(world: World, live: Live) -> None:
    invitation_id, token = world.first()
    codes = live.burst(token, "answer", {"answer": "accept"})

    assert codes == {303: BURST}
    assert invitation(world, invitation_id).status == InvitationStatus.ACCEPTED
    assert len(live.responded("answer")) == 1
    assert _confirmations(world, invitation_id) == 1
    address = email_of(world, invitation_id)
    assert len(_delivered(world, address, "Bevestiging")) == 1

    # A real change afterwards is a new transition: declining and accepting again confirms again,
    # once, however many times the acceptance is sent.
    assert live.burst(token, "answer", {"answer": "decline"}) == {303: BURST}
    assert live.burst(token, "answer", {"answer": "accept"}) == {303: BURST}
    assert [s.payload["status"] for s in live.responded("answer")] == [
        "accepted",
        "declined",
        "accepted",
    ]
    assert _confirmations(world, invitation_id) == 2
    assert len(_delivered(world, address, "Bevestiging")) == 2


def test_a_burst_of_the_same_full_answer_takes_it_once(world: World, live: Live) -> None:
    # Yes, the order of the themes and the times, in the one form of someone who has not
    # answered yet.
    invitation_id, token = world.first()
    slots = offered(world, invitation_id)[1:3]
    answer = {
        "answer": "accept",
        "details": "1",
        "choice-1": "behoud_betrokkenheid",
        "choice-2": "innovatie",
        "slot": slots,
    }

    assert live.burst(token, "answer", answer) == {303: BURST}
    inv = invitation(world, invitation_id)
    assert inv.status == InvitationStatus.ACCEPTED
    assert inv.theme_preferences == ["behoud_betrokkenheid", "innovatie"]
    assert count(world, Availability, Availability.invitation_id == invitation_id) == 2
    assert len(live.responded("answer")) == 1
    assert _confirmations(world, invitation_id) == 1


def test_a_burst_of_the_same_availability_stores_it_once(world: World, live: Live) -> None:
    invitation_id, token = world.first()
    assert live.post(token, "answer", {"answer": "accept"}).status_code == 303
    slots = offered(world, invitation_id)[:2]

    assert live.burst(token, "availability", {"slot": slots}) == {303: BURST}
    stored = count(world, Availability, Availability.invitation_id == invitation_id)
    assert stored == 2
    assert len(live.responded("availability")) == 1


def test_a_burst_of_the_same_ranking_changes_it_once(world: World, live: Live) -> None:
    invitation_id, token = world.first()
    order = {"choice-1": "behoud_betrokkenheid", "choice-2": "innovatie"}

    assert live.burst(token, "ranking", order) == {303: BURST}
    assert invitation(world, invitation_id).theme_preferences == [
        "behoud_betrokkenheid",
        "innovatie",
    ]
    assert len(live.responded("ranking")) == 1


def test_a_burst_of_the_same_delegation_invites_the_colleague_once(
    world: World, live: Live
) -> None:
    invitation_id, token = world.first()
    colleague = {
        "name": "Els Visser",
        "email": "els.visser@example.org",
        "organisation": "Nieuw",
        "language": "nl",
        "sector": "ggz",
    }

    codes = live.burst(token, "delegate", colleague)

    # One hand-over; the others see what delegating a second time shows, or, past the
    # per-invitation limit of attempts a day, that there were too many (never an error page).
    assert codes[303] == 1 and codes[409] + codes[429] == BURST - 1, codes
    assert invitation(world, invitation_id).status == InvitationStatus.DELEGATED
    assert count(world, Person, Person.email == "els.visser@example.org") == 1
    assert count(world, Organisation, Organisation.name == "Nieuw") == 1
    with world.wired.db.unit_of_work() as session:
        person_id = session.scalars(
            select(Person.id).where(Person.email == "els.visser@example.org")
        ).one()
        theirs = session.scalar(
            select(func.count()).select_from(Invitation).where(Invitation.person_id == person_id)
        )
    assert theirs == 1
    assert len(live.responded("delegated")) == 1
    assert len(_delivered(world, "els.visser@example.org", "Uitnodiging")) == 1


def test_two_invitees_delegating_to_one_new_colleague_at_once_get_no_error_page(
    world: World, live: Live
) -> None:
    # Two people of one organisation (the same region) pass their invitations on at the same
    # moment to the same colleague at a new organisation: one gets through, the other is told
    # the colleague is already invited; nobody sees an error page.
    with world.wired.db.unit_of_work() as session:
        rows = session.execute(
            select(Invitation.id, Person.organisation_id)
            .join(Person, Invitation.person_id == Person.id)
            .where(Invitation.id.in_(world.tokens))
        ).all()
        org_ids = [org_id for _, org_id in rows]
        orgs = session.scalars(select(Organisation).where(Organisation.id.in_(org_ids)))
        region_of = {org.id: org.region_id for org in orgs}
    by_region: dict[int, list[int]] = {}
    for invitation_id, org_id in rows:
        by_region.setdefault(region_of[org_id], []).append(invitation_id)
    pair = next(ids[:2] for ids in by_region.values() if len(ids) >= 2)
    colleague = {
        "name": "Jan Smit",
        "email": "jan.smit@example.org",
        "organisation": "Nieuw BV",
        "language": "nl",
        "sector": "ggz",
    }
    bodies = {i: {**colleague, "csrf": live.csrf(world.tokens[i], "/delegate")} for i in pair}
    start = threading.Barrier(BURST)

    def one(n: int) -> int:
        invitation_id = pair[n % 2]
        with httpx.Client(base_url=live.url, timeout=60) as client:
            client.get("/health")
            start.wait()
            url = f"/i/{world.tokens[invitation_id]}/delegate"
            return client.post(url, data=bodies[invitation_id]).status_code

    with ThreadPoolExecutor(BURST) as pool:
        codes = Counter(pool.map(one, range(BURST)))

    assert codes[303] == 1 and codes[409] + codes[429] == BURST - 1, codes
    assert count(world, Person, Person.email == "jan.smit@example.org") == 1
    assert count(world, Organisation, Organisation.name == "Nieuw BV") == 1
    statuses = sorted(invitation(world, i).status.value for i in pair)
    assert statuses == sorted([InvitationStatus.DELEGATED.value, InvitationStatus.PENDING.value])


def test_a_burst_of_the_same_input_stores_and_confirms_once(world: World, live: Live) -> None:
    invitation_id, token = world.first("innovatie")
    assert live.post(token, "answer", {"answer": "accept"}).status_code == 303
    schedule(world)
    form = {"action": "submit", "text-q1": "Meer stageplaatsen", "permission-q1": "role_only"}

    assert live.burst(token, "input", form) == {303: BURST}
    person_id = invitation(world, invitation_id).person_id
    assert count(world, Contribution, Contribution.person_id == person_id) == 1
    assert [s.event for s in live.settled_events()].count(CONTRIBUTION_SUBMITTED) == 1
    address = email_of(world, invitation_id)
    assert len(_delivered(world, address, "Bevestiging: uw inbreng")) == 1


def test_a_burst_of_language_switches_answers_every_request(world: World, live: Live) -> None:
    invitation_id, token = world.first()
    assert live.burst(token, "language", {"language": "en", "page": "input"}) == {303: BURST}
    person_id = invitation(world, invitation_id).person_id
    with world.wired.db.unit_of_work() as session:
        assert session.get_one(Person, person_id).language == "en"

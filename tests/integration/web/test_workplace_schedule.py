"""A round's schedule in the workplace, on SQLite and PostgreSQL: the proposal with its groups,
mix, unplaced people and why, and what it changes for whom; applying it (once, with its
calendar messages queued and sent) only while the answers are what it was computed from; two
applies at once; withdrawing a slot after confirming; staff read; CSRF on every form."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from consult.rounds.respond import Reply, respond
from models import (
    CandidateSlot,
    ConsultationSession,
    Invitation,
    OutboxKind,
    OutboxMessage,
    Person,
    Role,
    Round,
    RoundStatus,
    ScheduleProposal,
    SessionStatus,
    Theme,
)
from tests.integration.web.a11y import problems
from tests.integration.web.conftest import World
from tests.integration.web.test_invitee_routes import snapshot
from tests.integration.web.workplace_support import (
    add_member,
    csrf_of,
    logged,
    new_client,
    sign_in,
)

NO_SLOT = "geen tijdslot van een gekozen thema als beschikbaar aangegeven"
STALE = "De antwoorden zijn veranderd sinds het voorstel is berekend; bereken het opnieuw."


def _client(world: World, role: Role = Role.SECRETARIAAT, email: str | None = None) -> TestClient:
    client = new_client(world.client)
    sign_in(client, add_member(world.wired, role, email=email), world.clock)
    return client


def _page(world: World) -> str:
    return f"/werkplek/rondes/{world.round_id}/indeling"


def _slot(world: World, theme: str, day: int) -> int:
    with world.wired.db.unit_of_work() as session:
        for slot in session.scalars(
            select(CandidateSlot)
            .join(Theme, Theme.id == CandidateSlot.theme_id)
            .where(CandidateSlot.round_id == world.round_id, Theme.slug == theme)
        ):
            if slot.start.day == day:
                return slot.id
    raise LookupError((theme, day))


def _accept(world: World, invitation_id: int, slot_ids: Sequence[int]) -> str:
    """The invitee says yes and ticks these times; their name."""
    with world.wired.db.unit_of_work() as session:
        invitation = session.get_one(Invitation, invitation_id)
        respond(session, invitation, Reply(True, slot_ids=slot_ids), world.clock.now)
        return session.get_one(Person, invitation.person_id).name


def _count(world: World, model: type[object], *where: object) -> int:
    with world.wired.db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]


def _calendar(world: World, kind: OutboxKind) -> int:
    return _count(world, OutboxMessage, OutboxMessage.kind == kind)


def _post(client: TestClient, path: str, **data: str) -> object:
    page = client.get(path.split("/indeling")[0] + "/indeling")
    return client.post(path, data={"csrf": csrf_of(page.text), **data})


def _compute(world: World, client: TestClient) -> None:
    page = client.get(_page(world))
    done = client.post(_page(world) + "/voorstel", data={"csrf": csrf_of(page.text)})
    assert done.status_code == 303, done.text
    assert "melding=berekend" in done.headers["location"]


def _section(html: str, start: str, end: str | None = None) -> str:
    part = html.split(start, 1)[1]
    return part.split(end, 1)[0] if end else part


def test_the_proposal_shows_who_is_placed_where_and_who_not_and_why_then_applies_once(
    world: World,
) -> None:
    ids = world.invitation_ids()
    morning = _slot(world, "innovatie", 10)
    later = _slot(world, "innovatie", 12)
    anna = _accept(world, ids[0], [morning])
    bert = _accept(world, ids[1], [morning])
    carl = _accept(world, ids[2], [later])
    client = _client(world)

    # The dashboard leads to the page; before any proposal it says so.
    dashboard = client.get(f"/werkplek/rondes/{world.round_id}")
    assert f'href="{_page(world)}"' in dashboard.text
    first = client.get(_page(world))
    assert first.status_code == 200 and problems(first.text) == []
    assert "Er is nog geen voorstel berekend." in first.text
    assert "Er zijn nog geen sessies gepland." in first.text

    # Carl ticked only the later slot; the secretariat withdraws it, after confirming.
    ask = client.get(_page(world) + f"?intrekken={later}")
    assert "In dit tijdslot is nu niemand ingedeeld" in ask.text and problems(ask.text) == []
    unsure = client.post(
        _page(world) + f"/slots/{later}/intrekken", data={"csrf": csrf_of(ask.text)}
    )
    assert unsure.status_code == 422 and problems(unsure.text) == []
    assert "Vink het vakje aan om te bevestigen dat u dit tijdslot intrekt." in unsure.text
    sure = client.post(
        _page(world) + f"/slots/{later}/intrekken",
        data={"csrf": csrf_of(ask.text), "zeker": "ja"},
    )
    assert sure.status_code == 303
    assert "Het tijdslot is ingetrokken." in client.get(sure.headers["location"]).text
    with world.wired.db.unit_of_work() as session:
        assert session.get_one(CandidateSlot, later).cancelled

    before = snapshot(world.wired.db)
    _compute(world, client)
    with world.wired.db.unit_of_work() as session:
        assert session.scalar(select(func.count(ConsultationSession.id))) == 0
        assert session.get_one(ScheduleProposal, world.round_id).applied_at is None
    page = client.get(_page(world))
    assert page.status_code == 200 and problems(page.text) == []
    # Looking at the page changes nothing at all.
    after_compute = snapshot(world.wired.db)
    client.get(_page(world))
    assert snapshot(world.wired.db) == after_compute != before

    proposal = _section(page.text, 'id="voorstel"', 'id="slots"')
    assert "2 van 3 mensen" in proposal
    assert "status OPTIMAL" in proposal
    groups = _section(proposal, "Innovatie", 'id="unplaced"')
    assert anna in groups and bert in groups and "(nieuwe sessie)" in groups
    unplaced = _section(proposal, 'id="unplaced"', 'id="changes"')
    assert carl in unplaced and NO_SLOT in unplaced and anna not in unplaced
    changes = _section(proposal, 'id="changes"')
    assert changes.count("<td>agenda-uitnodiging</td>") == 2
    assert anna in changes and carl not in changes
    assert "Voorstel toepassen" in page.text

    applied = client.post(_page(world) + "/toepassen", data={"csrf": csrf_of(page.text)})
    assert applied.status_code == 303
    said = client.get(applied.headers["location"])
    assert "Het voorstel is toegepast: 1 nieuwe sessie" in said.text
    assert "2 agendaberichten klaargezet" in said.text and "1 persoon niet ingedeeld" in said.text
    assert "Dit voorstel is toegepast" in said.text and "Voorstel toepassen" not in said.text
    current = _section(said.text, 'id="current"', 'id="voorstel"')
    assert anna in current and bert in current and carl not in current
    assert _calendar(world, OutboxKind.CALENDAR_REQUEST) == 2
    subjects = [str(m["Subject"]) for m in world.mail() if m.get_content_type() != "text/plain"]
    assert len([m for m in world.mail() if "text/calendar" in m.as_string()]) == 2, subjects
    with world.wired.db.unit_of_work() as session:
        assert session.get_one(Round, world.round_id).status == RoundStatus.SCHEDULED

    # Applying the same proposal again does nothing more.
    again = client.post(_page(world) + "/toepassen", data={"csrf": csrf_of(said.text)})
    assert again.status_code == 409 and problems(again.text) == []
    assert "Dit voorstel is al toegepast" in again.text
    assert _calendar(world, OutboxKind.CALENDAR_REQUEST) == 2
    assert _count(world, ConsultationSession) == 1

    who = "secretariaat@wiz.example"
    assert [e[0] for e in logged(world, "schedule.withdraw_slot")] == [who]
    assert [e[0] for e in logged(world, "schedule.propose")] == [who]
    ((actor, _, details),) = logged(world, "schedule.apply")
    assert actor == who and details["sessions_created"] == 1 and details["unplaced"] == 1


def test_withdrawing_a_slot_warns_who_sits_there_and_the_next_apply_cancels_for_them(
    world: World,
) -> None:
    ids = world.invitation_ids()
    morning = _slot(world, "innovatie", 10)
    anna = _accept(world, ids[0], [morning])
    bert = _accept(world, ids[1], [morning])
    client = _client(world)
    _compute(world, client)
    page = client.get(_page(world))
    assert (
        client.post(_page(world) + "/toepassen", data={"csrf": csrf_of(page.text)}).status_code
        == 303
    )

    ask = client.get(_page(world) + f"?intrekken={morning}")
    warning = _section(ask.text, 'id="intrekken"', "</section>")
    assert "In dit tijdslot zijn nu 2 mensen ingedeeld:" in warning
    assert anna in warning and bert in warning and "annulering" in warning
    assert problems(ask.text) == []
    done = client.post(
        _page(world) + f"/slots/{morning}/intrekken",
        data={"csrf": csrf_of(ask.text), "zeker": "ja"},
    )
    assert done.status_code == 303
    # A second withdrawal of the same slot says so and changes nothing.
    twice = client.post(
        _page(world) + f"/slots/{morning}/intrekken",
        data={"csrf": csrf_of(ask.text), "zeker": "ja"},
    )
    assert "melding=al-ingetrokken" in twice.headers["location"]
    assert len(logged(world, "schedule.withdraw_slot")) == 1

    _compute(world, client)
    page = client.get(_page(world))
    changes = _section(page.text, 'id="changes"')
    assert changes.count("<td>annulering</td>") == 2 and "Geannuleerde sessies:" in changes
    unplaced = _section(page.text, 'id="unplaced"', 'id="changes"')
    assert anna in unplaced and bert in unplaced
    applied = client.post(_page(world) + "/toepassen", data={"csrf": csrf_of(page.text)})
    assert applied.status_code == 303 and "geannuleerd=1" in applied.headers["location"]
    assert _calendar(world, OutboxKind.CALENDAR_CANCEL) == 2
    assert (
        _count(world, ConsultationSession, ConsultationSession.status == SessionStatus.PLANNED) == 0
    )
    # A slot of another round, or none, is not found.
    other = client.post(
        _page(world) + "/slots/99999/intrekken", data={"csrf": csrf_of(page.text), "zeker": "ja"}
    )
    assert other.status_code == 404


def test_a_proposal_is_not_applied_once_the_answers_changed(world: World) -> None:
    ids = world.invitation_ids()
    morning = _slot(world, "innovatie", 10)
    _accept(world, ids[0], [morning])
    client = _client(world)
    _compute(world, client)
    late = _accept(world, ids[1], [morning])

    page = client.get(_page(world))
    assert "De antwoorden zijn veranderd sinds dit voorstel is berekend" in page.text
    refused = client.post(_page(world) + "/toepassen", data={"csrf": csrf_of(page.text)})
    assert refused.status_code == 409 and problems(refused.text) == []
    assert STALE in refused.text
    assert _count(world, ConsultationSession) == 0
    assert _calendar(world, OutboxKind.CALENDAR_REQUEST) == 0
    assert logged(world, "schedule.apply") == []

    # Computed again, it includes the late answer and applies.
    _compute(world, client)
    page = client.get(_page(world))
    assert late in _section(page.text, 'id="voorstel"', 'id="unplaced"')
    applied = client.post(_page(world) + "/toepassen", data={"csrf": csrf_of(page.text)})
    assert applied.status_code == 303
    assert _calendar(world, OutboxKind.CALENDAR_REQUEST) == 2


def test_two_applies_at_the_same_moment_apply_once(world: World) -> None:
    ids = world.invitation_ids()
    morning = _slot(world, "innovatie", 10)
    for invitation_id in ids[:3]:
        _accept(world, invitation_id, [morning])
    first = _client(world)
    second = _client(world, email="collega@wiz.example")
    _compute(world, first)
    forms = [csrf_of(c.get(_page(world)).text) for c in (first, second)]
    start = threading.Barrier(2)

    def one(n: int) -> int:
        client = (first, second)[n]
        start.wait()
        return client.post(_page(world) + "/toepassen", data={"csrf": forms[n]}).status_code

    with ThreadPoolExecutor(2) as pool:
        assert sorted(pool.map(one, range(2))) == [303, 409]
    assert _count(world, ConsultationSession) == 1
    assert _calendar(world, OutboxKind.CALENDAR_REQUEST) == 3
    assert len(logged(world, "schedule.apply")) == 1


def test_staff_read_the_page_without_forms_and_are_refused_on_every_form(world: World) -> None:
    morning = _slot(world, "innovatie", 10)
    _accept(world, world.invitation_ids()[0], [morning])
    _compute(world, _client(world))
    staff = _client(world, Role.STAF)
    page = staff.get(_page(world) + f"?intrekken={morning}")
    assert page.status_code == 200 and problems(page.text) == []
    assert "Voorstel toepassen" not in page.text and "Tijdslot intrekken" not in page.text
    assert "<form" not in _section(page.text, "<main", "</main>")
    csrf = csrf_of(staff.get("/werkplek/account").text)
    for action in ("voorstel", "toepassen", f"slots/{morning}/intrekken"):
        refused = staff.post(f"{_page(world)}/{action}", data={"csrf": csrf, "zeker": "ja"})
        assert refused.status_code == 403 and "Geen toegang" in refused.text, action
    assert _count(world, ConsultationSession) == 0
    with world.wired.db.unit_of_work() as session:
        assert not session.get_one(CandidateSlot, morning).cancelled


def test_every_form_needs_its_csrf_token(world: World) -> None:
    morning = _slot(world, "innovatie", 10)
    _accept(world, world.invitation_ids()[0], [morning])
    client = _client(world)
    before = snapshot(world.wired.db)
    for action in ("voorstel", "toepassen", f"slots/{morning}/intrekken"):
        for data in ({"zeker": "ja"}, {"csrf": "vals", "zeker": "ja"}):
            refused = client.post(f"{_page(world)}/{action}", data=data)
            assert refused.status_code == 403 and "Formulier verlopen" in refused.text, action
    # Sign-in bookkeeping aside, nothing changed.
    after = snapshot(world.wired.db)
    assert {t: after[t] for t in after if not t.startswith("account")} == {
        t: before[t] for t in before if not t.startswith("account")
    }
    assert client.get("/werkplek/rondes/x/indeling").status_code == 404
    assert client.get("/werkplek/rondes/99999/indeling").status_code == 404

"""The invitee pages through FastAPI's test client, on SQLite and PostgreSQL: every page, every
answer, and every bad input (unknown and expired links, missing or wrong CSRF tokens, text over
5,000 characters, HTML in text, the same POST twice, answers after a deadline). Mail goes to a
real SMTP server (EmlSink); events go to a recorder."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from icalendar import Calendar
from markupsafe import escape
from pydantic import SecretStr
from sqlalchemy import func, select

from consult.app import scheduling
from consult.events import CONTRIBUTION_SUBMITTED, INVITATION_RESPONDED, Signal
from consult.rounds.availability import offered_slots
from consult.rounds.calendar_changes import cancel_session
from consult.rounds.seats import find_seat
from consult.settings import Settings
from consult.tokens import new_token
from consult.web.app import create_app
from consult.web.routes_invitee import router
from models import (
    AccessToken,
    Availability,
    Base,
    ConsultationSession,
    Contribution,
    ContributionKind,
    Invitation,
    InvitationStatus,
    Organisation,
    OutboxKind,
    OutboxMessage,
    Person,
    QuotePermission,
    Round,
    RoundStatus,
    SessionAttendee,
)
from models.db import Database
from tests.integration.web.a11y import problems
from tests.integration.web.conftest import (
    ANSWER_DEADLINE,
    BASE_URL,
    BEFORE_DEADLINE,
    INPUT_DEADLINE,
    SESSION_END_INNOVATIE,
    World,
    tokens_from_outbox,
)

CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')
HOSTILE = '<script>alert("x")</script> & <b>vet</b>'
# A colleague's name as typed: markup is refused, but quotes and ampersands are names' own.
TYPED_NAME = 'Els \'t Hart & "Zn"'
NL_VVT = {"language": "nl", "sector": "vvt"}


# --------------------------------------------------------------------------------------------
# Helpers


def csrf_of(w: World, token: str, page: str = "") -> str:
    response = w.client.get(f"/i/{token}{page}")
    assert response.status_code == 200, response.text
    match = CSRF.search(response.text)
    assert match, "page has no form with a CSRF token"
    return match.group(1)


def flip_last(value: str) -> str:
    return value[:-1] + ("1" if value[-1] == "0" else "0")


def post(
    w: World, token: str, action: str, data: dict[str, Any], csrf: str | None = "page"
) -> httpx.Response:
    """POST a form the way a browser sends it; csrf="page" takes the token from the page."""
    body = dict(data)
    if action == "input":
        # As a browser sends the form: every answer's permission radio has one checked.
        for key in [k for k in data if k.startswith("text-")]:
            body.setdefault("permission-" + key.removeprefix("text-"), "role_only")
    if csrf == "page":
        page = "/input" if action == "input" else "/delegate" if action == "delegate" else ""
        body["csrf"] = csrf_of(w, token, page)
    elif csrf is not None:
        body["csrf"] = csrf
    return w.client.post(f"/i/{token}/{action}", data=body)


def snapshot(db: Database) -> dict[str, list[str]]:
    """Every row of every table, to prove a request changed nothing at all."""
    with db.engine.connect() as conn:
        return {
            table.name: sorted(repr(tuple(row)) for row in conn.execute(table.select()))
            for table in Base.metadata.sorted_tables
        }


def invitation(w: World, invitation_id: int) -> Invitation:
    with w.wired.db.unit_of_work() as session:
        found = session.get_one(Invitation, invitation_id)
        session.expunge(found)
        return found


def count(w: World, model: type[Any], *where: Any) -> int:
    with w.wired.db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def accept(w: World, token: str) -> httpx.Response:
    response = post(w, token, "answer", {"answer": "accept"})
    assert response.status_code == 303, response.text
    return response


def schedule(w: World) -> None:
    with w.wired.db.unit_of_work() as session:
        scheduling.schedule(session, w.wired, w.round_id, BEFORE_DEADLINE)


def slot_ids(w: World, invitation_id: int) -> list[int]:
    with w.wired.db.unit_of_work() as session:
        return [s.id for s in offered_slots(session, session.get_one(Invitation, invitation_id))]


def contributions(w: World, invitation_id: int) -> list[Contribution]:
    inv = invitation(w, invitation_id)
    with w.wired.db.unit_of_work() as session:
        rows = session.scalars(
            select(Contribution)
            .where(Contribution.person_id == inv.person_id)
            .order_by(Contribution.id)
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def mail_to(w: World, address: str, subject_start: str = "") -> list[str]:
    return [
        str(m["Subject"])
        for m in w.mail()
        if m["To"].addresses[0].addr_spec == address and str(m["Subject"]).startswith(subject_start)
    ]


def text_of(w: World, address: str, subject_start: str) -> str:
    """The plain text of the one message to `address` whose subject starts so."""
    (found,) = [
        m
        for m in w.mail()
        if m["To"].addresses[0].addr_spec == address and str(m["Subject"]).startswith(subject_start)
    ]
    part = found.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def email_of(w: World, invitation_id: int) -> str:
    inv = invitation(w, invitation_id)
    with w.wired.db.unit_of_work() as session:
        return session.get_one(Person, inv.person_id).email


def scheduled(w: World) -> tuple[int, str]:
    """An invitee for innovatie who accepted, marked a slot and was placed in a session."""
    invitation_id, token = w.first("innovatie")
    accept(w, token)
    schedule(w)
    return invitation_id, token


NOT_FOUND_TITLE = "Pagina niet gevonden"


# --------------------------------------------------------------------------------------------
# Pages


def test_the_invitation_page_is_dutch_by_default_and_personal(world: World) -> None:
    invitation_id, token = world.first()
    response = world.client.get(f"/i/{token}")

    assert response.status_code == 200
    assert '<html lang="nl">' in response.text
    inv = invitation(world, invitation_id)
    with world.wired.db.unit_of_work() as session:
        name = session.get_one(Person, inv.person_id).name
    assert str(escape(name)) in response.text
    assert "Doet u mee?" in response.text
    assert "Consultatieronde voorjaar 2030" in response.text
    # The ranking offers both themes, first choice first.
    assert response.text.index('value="innovatie" selected') < response.text.index(
        'value="behoud_betrokkenheid" selected'
    )
    # Personal pages are not cached, not indexed, and leak no Referer (the token is in the URL).
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "script-src" not in response.headers["content-security-policy"]
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert problems(response.text) == []


def test_every_page_passes_the_structural_accessibility_checks(world: World) -> None:
    _, token = world.first()
    pages = {"pending": world.client.get(f"/i/{token}").text}
    accept(world, token)
    pages["accepted"] = world.client.get(f"/i/{token}?saved=accepted").text
    pages["delegate"] = world.client.get(f"/i/{token}/delegate").text
    pages["input, not scheduled"] = world.client.get(f"/i/{token}/input").text
    schedule(world)
    pages["scheduled"] = world.client.get(f"/i/{token}").text
    pages["input"] = world.client.get(f"/i/{token}/input").text
    pages["input with errors"] = post(
        world, token, "input", {"action": "submit", "text-q1": "x" * 5001}
    ).text
    pages["delegate with errors"] = post(world, token, "delegate", {"email": "nope"}).text
    pages["not found"] = world.client.get("/i/" + new_token()).text
    pages["csrf refused"] = post(world, token, "answer", {"answer": "decline"}, csrf=None).text
    world.clock.now = SESSION_END_INNOVATIE + timedelta(hours=1)
    pages["input after the session"] = world.client.get(f"/i/{token}/input").text
    world.clock.now = INPUT_DEADLINE + timedelta(hours=1)
    pages["input closed"] = world.client.get(f"/i/{token}/input").text
    for name, page in pages.items():
        assert problems(page) == [], name


def test_static_stylesheet_is_served(world: World) -> None:
    response = world.client.get("/static/site.css")
    assert response.status_code == 200
    assert "focus-visible" in response.text


# --------------------------------------------------------------------------------------------
# Links: unknown, malformed and expired tokens all get the same plain 404


def _all_gets(token: str) -> list[str]:
    return [
        f"/i/{token}",
        f"/i/{token}/input",
        f"/i/{token}/delegate",
        f"/i/{token}/session.ics",
        f"/i/{token}/calendar.ics",
    ]


def _all_posts(token: str) -> list[str]:
    return [
        f"/i/{token}/{a}"
        for a in ("answer", "availability", "ranking", "delegate", "input", "language")
    ]


def test_unknown_and_malformed_tokens_get_a_plain_404(world: World) -> None:
    reference = world.client.get("/i/" + new_token())
    assert reference.status_code == 404
    assert NOT_FOUND_TITLE in reference.text
    assert "Page not found" in reference.text
    for token in (new_token(), "short", "x" * 300, "%3Cscript%3E", "a.b.c.d.e.f.g.h.i.j.k.l"):
        for path in _all_gets(token):
            response = world.client.get(path)
            assert response.status_code == 404, path
            assert response.text == reference.text, path
        for path in _all_posts(token):
            response = world.client.post(path, data={"csrf": "0" * 64, "answer": "accept"})
            assert response.status_code == 404, path
            assert response.text == reference.text, path


def test_a_closed_round_expires_its_links_with_the_same_404(world: World) -> None:
    _, token = world.first()
    csrf = csrf_of(world, token)
    unknown = world.client.get("/i/" + new_token()).text
    with world.wired.db.unit_of_work() as session:
        session.get_one(Round, world.round_id).status = RoundStatus.CLOSED
    before = snapshot(world.wired.db)
    for path in _all_gets(token):
        response = world.client.get(path)
        assert (response.status_code, response.text) == (404, unknown), path
    for path in _all_posts(token):
        response = world.client.post(path, data={"csrf": csrf, "answer": "accept"})
        assert (response.status_code, response.text) == (404, unknown), path
    assert snapshot(world.wired.db) == before


def test_links_expire_after_the_input_deadline_plus_grace(world: World) -> None:
    _, token = world.first()
    grace = timedelta(days=world.wired.settings.link_grace_days)
    world.clock.now = INPUT_DEADLINE + grace - timedelta(minutes=1)
    assert world.client.get(f"/i/{token}").status_code == 200
    world.clock.now = INPUT_DEADLINE + grace + timedelta(minutes=1)
    response = world.client.get(f"/i/{token}")
    assert response.status_code == 404
    assert response.text == world.client.get("/i/" + new_token()).text


def test_only_hashes_of_tokens_are_stored(world: World) -> None:
    tokens = set(world.tokens.values())
    assert all(len(t) >= 22 for t in tokens)  # >= 128 bits of base64url
    dump = repr(snapshot(world.wired.db)["access_token"])
    assert not any(t in dump for t in tokens)
    assert count(world, AccessToken) == len(tokens)


def test_an_oversized_form_is_refused_before_it_is_read(world: World) -> None:
    _, token = scheduled(world)
    before = snapshot(world.wired.db)
    response = post(world, token, "input", {"action": "submit", "text-q1": "x" * 500_000})
    assert response.status_code == 413
    assert "Te veel tekst" in response.text
    assert snapshot(world.wired.db) == before


def test_unknown_paths_and_wrong_methods_get_plain_pages(world: World) -> None:
    response = world.client.get("/nothing/here")
    assert response.status_code == 404
    assert NOT_FOUND_TITLE in response.text
    _, token = world.first()
    response = world.client.get(f"/i/{token}/answer")
    assert response.status_code == 405
    assert "<script" not in response.text
    assert "Dit verzoek kunnen we niet verwerken" in response.text


# --------------------------------------------------------------------------------------------
# GET never changes anything


def test_no_get_changes_the_database(world: World) -> None:
    invitation_id, token = world.first()
    _, other = world.first("behoud_betrokkenheid")

    def every_get() -> list[str]:
        return [
            *_all_gets(token),
            *_all_gets(other),
            *(f"/i/{token}?saved={s}" for s in ("accepted", "availability", "delegated", "x")),
            f"/i/{token}/input?saved=submitted",
            "/i/" + new_token(),
            "/health",
            "/static/site.css",
        ]

    def check() -> None:
        before = snapshot(world.wired.db)
        for path in every_get():
            get = world.client.get(path)
            assert get.status_code in (200, 404), path
            assert world.client.head(path).status_code == get.status_code, path
        assert snapshot(world.wired.db) == before
        assert world.events == events_before

    events_before = list(world.events)
    check()  # pending
    accept(world, token)
    post(world, token, "availability", {"slot": slot_ids(world, invitation_id)[:1]})
    events_before = list(world.events)
    check()  # accepted, availability marked
    schedule(world)
    post(world, token, "input", {"action": "draft", "text-q1": "Concept"})
    events_before = list(world.events)
    check()  # scheduled, a draft stored
    world.clock.now = SESSION_END_INNOVATIE + timedelta(minutes=5)
    check()  # after the session
    world.clock.now = INPUT_DEADLINE + timedelta(days=1)
    check()  # input closed


def test_every_get_route_answers_head_as_get_does_and_changes_nothing(world: World) -> None:
    invitation_id, token = world.first()
    # The invitee router's routes and the app's own (/health).
    routes = [*router.routes, *world.client.app.routes]  # type: ignore[attr-defined]
    gets = [r.path for r in routes if isinstance(r, APIRoute) and "GET" in r.methods]
    assert len(gets) >= 6  # the pages, both calendar files and /health

    def paths() -> list[str]:
        # Every GET route with a live and an unknown link, plus a static file and a made-up path.
        found = [p.replace("{token}", t) for p in gets for t in (token, new_token())]
        return [*found, f"/i/{token}?saved=accepted", "/static/site.css", "/nothing/here"]

    def check() -> set[int]:
        before, events = snapshot(world.wired.db), list(world.events)
        codes = set()
        for path in paths():
            get, head = world.client.get(path), world.client.head(path)
            assert head.status_code == get.status_code, path
            assert head.status_code in (200, 404), path
            assert head.content == b"", path
            for header in ("content-type", "content-length", "cache-control"):
                assert head.headers.get(header) == get.headers.get(header), (path, header)
            codes.add(head.status_code)
        assert snapshot(world.wired.db) == before
        assert world.events == events
        return codes

    assert check() == {200, 404}  # pending: no session, so no session.ics yet
    accept(world, token)
    post(world, token, "availability", {"slot": slot_ids(world, invitation_id)[:1]})
    schedule(world)
    assert check() == {200, 404}
    assert world.client.head(f"/i/{token}/session.ics").status_code == 200
    # HEAD is not a way around the methods a path allows.
    assert world.client.head(f"/i/{token}/answer").status_code == 405


# --------------------------------------------------------------------------------------------
# CSRF


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("answer", {"answer": "accept"}),
        ("availability", {}),
        ("ranking", {"choice-1": "behoud_betrokkenheid", "choice-2": "innovatie"}),
        ("delegate", {"name": "Els", "email": "els@example.org", "organisation": "Org", **NL_VVT}),
        ("input", {"action": "submit", "text-q1": "Antwoord"}),
        ("language", {"language": "en"}),
    ],
)
def test_a_post_without_or_with_a_wrong_csrf_token_is_refused(
    world: World, action: str, data: dict[str, Any]
) -> None:
    invitation_id, token = world.first()
    if action in ("availability", "input"):
        accept(world, token)
        data = data or {"slot": slot_ids(world, invitation_id)[:1]}
        if action == "input":
            schedule(world)
    _, other_token = world.first("behoud_betrokkenheid")
    wrong = [
        None,  # no csrf field at all
        "",
        "0" * 64,
        flip_last(csrf_of(world, token)),
        csrf_of(world, other_token),  # valid, but for someone else's link
        "é" * 64,  # not even ASCII
    ]
    before, events = snapshot(world.wired.db), len(world.events)
    for csrf in wrong:
        response = post(world, token, action, data, csrf=csrf)
        assert response.status_code == 403, csrf
        assert "Formulier verlopen" in response.text
        assert f'href="/i/{token}"' in response.text
    assert snapshot(world.wired.db) == before
    assert len(world.events) == events


def test_a_configured_secret_keeps_forms_valid_across_restarts(
    web_settings: Settings, world: World
) -> None:
    _, token = world.first()
    settings = web_settings.model_copy(update={"secret_key": SecretStr("s3cret-for-this-test")})
    first = create_app(settings, emitter=lambda s: None, clock=world.clock)
    second = create_app(settings, emitter=lambda s: None, clock=world.clock)
    from fastapi.testclient import TestClient

    with TestClient(first, base_url=BASE_URL) as a, TestClient(second, base_url=BASE_URL) as b:
        csrf_a = CSRF.search(a.get(f"/i/{token}").text)
        csrf_b = CSRF.search(b.get(f"/i/{token}").text)
        assert csrf_a and csrf_b and csrf_a.group(1) == csrf_b.group(1)


def test_an_unset_secret_is_random_per_start_and_says_so(
    web_settings: Settings, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    _, token = world.first()
    with caplog.at_level(logging.WARNING, logger="consult.web"):
        other = create_app(web_settings, emitter=lambda s: None, clock=world.clock)
    assert "secret_key is not set" in caplog.text
    from fastapi.testclient import TestClient

    with TestClient(other, base_url=BASE_URL) as client:
        theirs = CSRF.search(client.get(f"/i/{token}").text)
    assert theirs and theirs.group(1) != csrf_of(world, token)


# --------------------------------------------------------------------------------------------
# Accept and decline


def test_the_saved_banner_confirms_only_the_stored_answer(world: World) -> None:
    _, token = world.first()
    accept(world, token)
    edited = world.client.get(f"/i/{token}?saved=declined").text
    assert "u doet niet mee" not in edited
    assert "Dank u wel: u doet mee" in world.client.get(f"/i/{token}?saved=accepted").text


def test_accepting_stores_first_then_signals_and_confirms_by_email(world: World) -> None:
    invitation_id, token = world.first()
    response = post(world, token, "answer", {"answer": "accept"})

    assert response.status_code == 303
    assert response.headers["location"] == f"/i/{token}?saved=accepted"
    inv = invitation(world, invitation_id)
    assert inv.status == InvitationStatus.ACCEPTED
    assert inv.answered_at == world.clock.now
    # One event, with ids only.
    assert [(s.event, s.resource_id) for s in world.events] == [
        (INVITATION_RESPONDED, f"consult.invitation.{invitation_id}")
    ]
    assert world.events[0].payload == {
        "round_id": world.round_id,
        "invitation_id": invitation_id,
        "change": "answer",
        "status": "accepted",
    }
    # The round's status travels as an attribute, so a trigger can ignore answers before
    # scheduling without starting a flow run.
    assert world.events[0].attributes == {"consult.round.status": "inviting"}
    # The confirmation went through the outbox and reached the SMTP server.
    address = email_of(world, invitation_id)
    assert count(world, OutboxMessage, OutboxMessage.kind == OutboxKind.CONFIRMATION) == 1
    # The invitee ranks the round's two themes: the confirmation names their first choice
    # as such, not as the theme they will be in.
    assert mail_to(world, address, "Bevestiging") == [
        "Bevestiging: u doet mee aan het online gesprek"
    ]
    assert 'Uw eerste keuze is "Innovatie"' in text_of(world, address, "Bevestiging")
    # Its link opens the same page (a token of its own).
    confirmation = tokens_from_outbox(world.wired, OutboxKind.CONFIRMATION, world.mail_dir)
    confirmation = confirmation[invitation_id]
    assert confirmation != token
    page = world.client.get(f"/i/{confirmation}")
    assert page.status_code == 200
    assert "U doet mee. Dank u wel!" in page.text
    shown = world.client.get(response.headers["location"])
    assert "Dank u wel: u doet mee" in shown.text
    assert "Wanneer kunt u?" in shown.text


def test_the_same_post_twice_has_no_double_effect(world: World) -> None:
    invitation_id, token = world.first()
    accept(world, token)
    after_first, events = snapshot(world.wired.db), len(world.events)
    accept(world, token)
    assert snapshot(world.wired.db) == after_first
    assert len(world.events) == events

    slots = slot_ids(world, invitation_id)[:2]
    assert post(world, token, "availability", {"slot": slots}).status_code == 303
    after_first, events = snapshot(world.wired.db), len(world.events)
    assert post(world, token, "availability", {"slot": slots}).status_code == 303
    assert snapshot(world.wired.db) == after_first
    assert len(world.events) == events

    order = {"choice-1": "behoud_betrokkenheid", "choice-2": "innovatie"}
    assert post(world, token, "ranking", order).status_code == 303
    after_first, events = snapshot(world.wired.db), len(world.events)
    assert post(world, token, "ranking", order).status_code == 303
    assert snapshot(world.wired.db) == after_first
    assert len(world.events) == events


def test_declining_then_accepting_again_confirms_again(world: World) -> None:
    invitation_id, token = world.first()
    accept(world, token)
    response = post(world, token, "answer", {"answer": "decline"})
    assert response.headers["location"] == f"/i/{token}?saved=declined"
    assert invitation(world, invitation_id).status == InvitationStatus.DECLINED
    page = world.client.get(response.headers["location"]).text
    assert "niet meedoet" in page
    assert "Wanneer kunt u?" not in page  # no availability for a decliner
    accept(world, token)  # at the same moment on the clock: still a change of its own
    assert count(world, OutboxMessage, OutboxMessage.kind == OutboxKind.CONFIRMATION) == 2
    assert [s.payload["status"] for s in world.events] == ["accepted", "declined", "accepted"]


def test_a_bad_answer_value_is_refused(world: World) -> None:
    invitation_id, token = world.first()
    before = snapshot(world.wired.db)
    for data in ({}, {"answer": "maybe"}, {"answer": "<script>"}):
        response = post(world, token, "answer", data)
        assert response.status_code == 422
        assert 'href="#answer"' in response.text
        assert "Kies ja of nee." in response.text
    assert snapshot(world.wired.db) == before
    del invitation_id


def test_answering_after_the_deadline_is_refused_and_changes_nothing(world: World) -> None:
    invitation_id, token = world.first()
    accept(world, token)
    _, pending = world.first("behoud_betrokkenheid")
    world.clock.now = ANSWER_DEADLINE + timedelta(minutes=1)
    csrf = csrf_of(world, token)
    page = world.client.get(f"/i/{token}").text
    assert "De termijn om te antwoorden is verstreken" in page
    # Only withdrawing is still offered to someone taking part.
    forms = page.replace(f'action="/i/{token}/language"', "").count('action="/i/')
    assert forms == 1 and 'value="decline"' in page and 'value="accept"' not in page
    before, events = snapshot(world.wired.db), len(world.events)
    attempts = [
        ("availability", {"slot": slot_ids(world, invitation_id)}),
        ("ranking", {"choice-1": "behoud_betrokkenheid", "choice-2": "innovatie"}),
        ("delegate", {"name": "Els", "email": "els@example.org", "organisation": "Org", **NL_VVT}),
    ]
    for action, data in attempts:
        response = post(world, token, action, data, csrf=csrf)
        assert response.status_code == 409, action
        assert "termijn" in response.text, action
        assert problems(response.text) == [], action
    # Someone who never answered cannot accept (or decline) any more.
    for answer in ("accept", "decline"):
        response = post(world, pending, "answer", {"answer": answer})
        assert response.status_code == 409
    assert snapshot(world.wired.db) == before
    assert len(world.events) == events


def test_someone_taking_part_can_still_withdraw_after_the_deadline(world: World) -> None:
    """A late decline frees the seat: scheduling again removes it and the calendar gets a
    CANCEL; the event carries the round's status so the re-scheduling trigger picks it up."""
    invitation_id, token = scheduled(world)
    world.clock.now = ANSWER_DEADLINE + timedelta(days=2)
    assert 'value="decline"' in world.client.get(f"/i/{token}").text
    response = post(world, token, "answer", {"answer": "decline"})
    assert response.status_code == 303
    assert invitation(world, invitation_id).status == InvitationStatus.DECLINED
    event = world.events[-1]
    assert event.event == "consult.invitation.responded"
    assert event.attributes.get("consult.round.status") == "scheduled"

    with world.wired.db.unit_of_work() as session:
        scheduling.schedule(session, world.wired, world.round_id, world.clock.now)
    with world.wired.db.unit_of_work() as session:
        seat = find_seat(session, session.get_one(Invitation, invitation_id))
        assert seat is not None and not seat.active  # they were alone: the session is cancelled
    # After the input deadline nothing can change any more.
    _, other = world.first("behoud_betrokkenheid")
    world.clock.now = INPUT_DEADLINE + timedelta(minutes=1)
    assert 'value="decline"' not in world.client.get(f"/i/{other}").text


# --------------------------------------------------------------------------------------------
# Availability and ranking


def test_availability_is_the_set_of_ticked_slots(world: World) -> None:
    invitation_id, token = world.first()
    slots = slot_ids(world, invitation_id)
    assert len(slots) == 4  # both themes, two slots each

    response = post(world, token, "availability", {"slot": slots[:1]})
    assert response.status_code == 409  # not accepted yet
    assert "Geeft u eerst aan dat u meedoet" in response.text

    accept(world, token)
    assert post(world, token, "availability", {"slot": slots[:3]}).status_code == 303
    assert post(world, token, "availability", {"slot": [slots[1]]}).status_code == 303
    with world.wired.db.unit_of_work() as session:
        marked = set(
            session.scalars(
                select(Availability.slot_id).where(Availability.invitation_id == invitation_id)
            )
        )
    assert marked == {slots[1]}
    page = world.client.get(f"/i/{token}?saved=availability").text
    assert f'id="slot-{slots[1]}" name="slot" value="{slots[1]}" checked' in page
    assert f'value="{slots[0]}" checked' not in page
    assert "Uw beschikbaarheid is opgeslagen." in page
    assert post(world, token, "availability", {}).status_code == 303  # untick everything
    assert count(world, Availability) == 0
    assert [s.payload["change"] for s in world.events] == [
        "answer",
        "availability",
        "availability",
        "availability",
    ]


def test_slots_of_other_rounds_or_garbage_are_refused(world: World) -> None:
    invitation_id, token = world.first()
    accept(world, token)
    before = snapshot(world.wired.db)
    first = str(slot_ids(world, invitation_id)[0])
    # "²" and a number of 5,000 digits pass str.isdigit() but not int().
    for bad in (["999999"], ["abc"], ["-1"], [first, "1e9"], ["\u00b2"], ["9" * 5000]):
        response = post(world, token, "availability", {"slot": bad})
        assert response.status_code == 422, bad
        assert 'href="#availability"' in response.text
    assert snapshot(world.wired.db) == before


def test_ranking_reorders_the_themes(world: World) -> None:
    invitation_id, token = world.first()
    response = post(
        world, token, "ranking", {"choice-1": "behoud_betrokkenheid", "choice-2": "innovatie"}
    )
    assert response.status_code == 303
    assert invitation(world, invitation_id).theme_preferences == [
        "behoud_betrokkenheid",
        "innovatie",
    ]
    before = snapshot(world.wired.db)
    for bad in (
        {"choice-1": "innovatie", "choice-2": "innovatie"},
        {"choice-1": "innovatie"},
        {"choice-1": "innovatie", "choice-2": "anders_besturen"},
        {"choice-1": "<script>", "choice-2": "innovatie"},
    ):
        response = post(world, token, "ranking", bad)
        assert response.status_code == 422, bad
        assert "Kies elk thema precies één keer." in response.text
        assert 'href="#ranking"' in response.text
        assert "<script>" not in response.text
    assert snapshot(world.wired.db) == before


# --------------------------------------------------------------------------------------------
# Delegation


def test_delegating_invites_the_colleague_and_marks_the_original(world: World) -> None:
    invitation_id, token = world.first()
    response = post(
        world,
        token,
        "delegate",
        {
            "name": TYPED_NAME,
            "email": " Els.Visser@Example.ORG ",
            "organisation": "Nieuwe Zorg BV",
            **NL_VVT,
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/i/{token}?saved=delegated"
    assert invitation(world, invitation_id).status == InvitationStatus.DELEGATED

    with world.wired.db.unit_of_work() as session:
        person = session.scalars(
            select(Person).where(Person.email == "els.visser@example.org")
        ).one()
        assert person.name == TYPED_NAME  # stored as typed
        org = session.get_one(Organisation, person.organisation_id)
        assert org.name == "Nieuwe Zorg BV"
        theirs = session.scalars(select(Invitation).where(Invitation.person_id == person.id)).one()
        assert theirs.round_id == world.round_id
        assert theirs.status == InvitationStatus.PENDING
        theirs_id = theirs.id
    assert world.events[-1].payload["delegate_invitation_id"] == theirs_id
    assert "els" not in repr(world.events).lower()

    # The colleague's invitation email arrived, and its link opens their own page.
    assert len(mail_to(world, "els.visser@example.org", "Uitnodiging")) == 1
    colleague_token = tokens_from_outbox(world.wired, mail_dir=world.mail_dir)[theirs_id]
    page = world.client.get(f"/i/{colleague_token}")
    assert page.status_code == 200
    assert str(escape(TYPED_NAME)) in page.text
    assert TYPED_NAME not in page.text
    assert "Doet u mee?" in page.text

    # The original page now only says what happened.
    original = world.client.get(response.headers["location"]).text
    assert "doorgegeven aan een collega" in original
    assert 'action="/i/' + token + '/answer"' not in original

    # Delegating again changes nothing.
    before = snapshot(world.wired.db)
    again = post(
        world,
        token,
        "delegate",
        {"name": "Ander", "email": "ander@example.org", "organisation": "X", **NL_VVT},
        csrf=csrf_of(world, token),
    )
    assert again.status_code == 409
    assert problems(again.text) == []
    answer = post(world, token, "answer", {"answer": "accept"}, csrf=csrf_of(world, token))
    assert answer.status_code == 409
    assert '<a href="#status">U heeft deze uitnodiging al doorgegeven' in answer.text
    assert problems(answer.text) == []
    assert snapshot(world.wired.db) == before


def test_delegation_form_errors_are_listed_and_linked_to_their_fields(world: World) -> None:
    invitation_id, token = world.first()
    before = snapshot(world.wired.db)
    response = post(
        world, token, "delegate", {"name": "", "email": "geen-adres", "organisation": ""}
    )
    assert response.status_code == 422
    text = response.text
    for field in ("name", "email", "organisation"):
        assert f'<a href="#{field}">' in text
        assert f'id="{field}-error"' in text
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', text)
    assert 'value="geen-adres"' in text  # what was typed stays in the form
    assert "Er is iets niet goed gegaan" in text
    assert snapshot(world.wired.db) == before

    own = email_of(world, invitation_id)
    response = post(
        world, token, "delegate", {"name": "Ik", "email": own, "organisation": "O", **NL_VVT}
    )
    assert response.status_code == 422
    assert "niet aan uzelf" in response.text

    other_id, _ = world.first("behoud_betrokkenheid")
    response = post(
        world,
        token,
        "delegate",
        {"name": "Collega", "email": email_of(world, other_id), "organisation": "O", **NL_VVT},
    )
    assert response.status_code == 409
    assert "al uitgenodigd" in response.text
    # Nothing changed but the count of attempts (which limits trying addresses).
    after = snapshot(world.wired.db)
    assert len(after.pop("delegation_attempt")) == 2
    assert after == {k: v for k, v in before.items() if k != "delegation_attempt"}


# --------------------------------------------------------------------------------------------
# The session and its calendar file


def test_after_scheduling_the_page_shows_the_session_and_its_ics(world: World) -> None:
    invitation_id, token = world.first()
    assert world.client.get(f"/i/{token}/session.ics").status_code == 404
    accept(world, token)
    schedule(world)
    page = world.client.get(f"/i/{token}").text
    assert "Uw sessie" in page
    assert f'href="/i/{token}/session.ics"' in page
    assert f'href="/i/{token}/input"' in page

    response = world.client.get(f"/i/{token}/session.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment;")
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    with world.wired.db.unit_of_work() as session:
        cs = session.scalars(
            select(ConsultationSession)
            .join(SessionAttendee)
            .where(SessionAttendee.person_id == invitation(world, invitation_id).person_id)
        ).one()
        assert str(event["UID"]) == cs.calendar_uid
        assert event.decoded("DTSTART") == cs.start
    # The file links back to the input form through the same link, not a new token.
    assert f"{BASE_URL}/i/{token}/input" in str(event["DESCRIPTION"]).replace("\n ", "")


def test_the_personal_feed_follows_the_session_and_shows_a_cancellation(world: World) -> None:
    invitation_id, token = world.first()
    empty = Calendar.from_ical(world.client.get(f"/i/{token}/calendar.ics").content)
    assert empty.walk("VEVENT") == []
    accept(world, token)
    schedule(world)
    with world.wired.db.unit_of_work() as session:
        cs = session.scalars(
            select(ConsultationSession)
            .join(SessionAttendee)
            .where(SessionAttendee.person_id == invitation(world, invitation_id).person_id)
        ).one()
        session_id = cs.id
    feed = Calendar.from_ical(world.client.get(f"/i/{token}/calendar.ics").content)
    [event] = feed.walk("VEVENT")
    assert str(feed["METHOD"]) == "PUBLISH" and str(event["STATUS"]) == "CONFIRMED"
    with world.wired.db.unit_of_work() as session:
        cancel_session(session, session_id)
    feed = Calendar.from_ical(world.client.get(f"/i/{token}/calendar.ics").content)
    [event] = feed.walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 1


# --------------------------------------------------------------------------------------------
# Input


def test_the_input_form_waits_for_scheduling(world: World) -> None:
    _, token = world.first()
    accept(world, token)
    page = world.client.get(f"/i/{token}/input")
    assert page.status_code == 200
    assert "zodra u bent ingedeeld" in page.text
    assert "<textarea" not in page.text
    before = snapshot(world.wired.db)
    response = post(
        world, token, "input", {"action": "submit", "text-q1": "x"}, csrf=csrf_of(world, token)
    )
    assert response.status_code == 409
    assert snapshot(world.wired.db) == before


def test_before_the_session_the_guiding_questions_are_asked(world: World) -> None:
    _, token = scheduled(world)
    page = world.client.get(f"/i/{token}/input").text
    questions = world.wired.taxonomy.themes[1].questions_nl  # innovatie
    assert [t.slug for t in world.wired.taxonomy.themes][1] == "innovatie"
    for question in questions:
        assert str(escape(question)) in page
    assert page.count("<textarea") == len(questions)
    assert page.count('type="radio"') == 3 * len(questions)
    assert "We gebruiken elk antwoord voor de bouwstenen" in page  # the one plain sentence
    assert "Opslaan als concept" in page


def test_drafts_are_saved_changed_and_then_submitted(world: World) -> None:
    invitation_id, token = scheduled(world)
    events = len(world.events)
    response = post(
        world,
        token,
        "input",
        {"action": "draft", "text-q1": "Eerste versie", "permission-q1": "attributable"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/i/{token}/input?saved=draft"
    [draft] = contributions(world, invitation_id)
    assert (draft.draft, draft.text, draft.kind) == (
        True,
        "Eerste versie",
        ContributionKind.PRE_SESSION_ANSWER,
    )
    assert draft.quote_permission == QuotePermission.ATTRIBUTABLE
    assert len(world.events) == events  # a draft is not handed in: no event, no mail
    assert count(world, OutboxMessage, OutboxMessage.kind == OutboxKind.CONFIRMATION) == 1

    page = world.client.get(response.headers["location"]).text
    assert "Uw concept is opgeslagen" in page
    assert ">Eerste versie</textarea>" in page
    assert 'value="attributable" checked' in page

    response = post(
        world,
        token,
        "input",
        {
            "action": "submit",
            "text-q1": "Tweede versie",
            "permission-q1": "not_quotable",
            "text-q2": "Ander antwoord",
            "permission-q2": "role_only",
            "text-q3": "",
        },
    )
    assert response.status_code == 303
    rows = contributions(world, invitation_id)
    assert [(r.text, r.draft, r.quote_permission) for r in rows] == [
        ("Tweede versie", False, QuotePermission.NOT_QUOTABLE),
        ("Ander antwoord", False, QuotePermission.ROLE_ONLY),
    ]
    assert rows[0].id == draft.id  # the same row, changed
    assert all(r.session_id is not None for r in rows)
    submitted = [s for s in world.events if s.event == CONTRIBUTION_SUBMITTED]
    assert sorted(s.resource_id for s in submitted) == sorted(
        f"consult.contribution.{r.id}" for r in rows
    )
    assert all(
        set(s.payload) == {"round_id", "invitation_id", "contribution_id"} for s in submitted
    )
    address = email_of(world, invitation_id)
    assert mail_to(world, address, "Bevestiging: uw inbreng") == [
        "Bevestiging: uw inbreng over Innovatie is ontvangen"
    ]
    page = world.client.get(f"/i/{token}/input?saved=submitted").text
    assert "uw inbreng is ingediend" in page
    assert "Wijzigingen versturen" in page
    assert "Opslaan als concept" not in page


def test_the_same_input_twice_stores_and_confirms_once(world: World) -> None:
    invitation_id, token = scheduled(world)
    form = {"action": "submit", "text-q1": "Antwoord", "permission-q1": "role_only"}
    assert post(world, token, "input", form).status_code == 303
    after_first, events = snapshot(world.wired.db), len(world.events)
    assert post(world, token, "input", form).status_code == 303
    assert snapshot(world.wired.db) == after_first
    assert len(world.events) == events
    assert len(mail_to(world, email_of(world, invitation_id), "Bevestiging: uw inbreng")) == 1


def test_an_answer_over_5000_characters_is_refused_and_kept_in_the_form(world: World) -> None:
    invitation_id, token = scheduled(world)
    before = snapshot(world.wired.db)
    too_long = "a" * 5001
    response = post(
        world, token, "input", {"action": "submit", "text-q1": "kort", "text-q2": too_long}
    )
    assert response.status_code == 422
    assert '<a href="#text-q2">' in response.text
    assert "langer dan 5.000 tekens" in response.text
    assert re.search(r'id="text-q2"[^>]*aria-invalid="true"', response.text)
    assert too_long in response.text  # nothing typed is lost
    assert snapshot(world.wired.db) == before

    # Exactly 5,000 is fine, and browsers' CRLF line breaks count as one character.
    exact = ("regel\r\n" * 833) + "ab"  # 833 * 6 + 2 = 5000 characters once CRLF is LF
    response = post(world, token, "input", {"action": "submit", "text-q1": exact})
    assert response.status_code == 303
    [row] = contributions(world, invitation_id)
    assert len(row.text) == 5000
    assert "\r" not in row.text


def test_html_and_script_in_answers_are_stored_as_typed_and_escaped_when_shown(
    world: World,
) -> None:
    invitation_id, token = scheduled(world)
    response = post(world, token, "input", {"action": "submit", "text-q1": HOSTILE})
    assert response.status_code == 303
    [row] = contributions(world, invitation_id)
    assert row.text == HOSTILE
    page = world.client.get(f"/i/{token}/input").text
    assert HOSTILE not in page
    assert "<script>" not in page
    assert str(escape(HOSTILE)) in page
    world.clock.now = INPUT_DEADLINE + timedelta(minutes=1)  # read-only view too
    page = world.client.get(f"/i/{token}/input").text
    assert "<script>" not in page
    assert str(escape(HOSTILE)) in page


def test_a_submitted_answer_can_be_changed_but_not_emptied(world: World) -> None:
    invitation_id, token = scheduled(world)
    post(world, token, "input", {"action": "submit", "text-q1": "Ingediend"})
    before = snapshot(world.wired.db)
    response = post(world, token, "input", {"action": "submit", "text-q1": "  "})
    assert response.status_code == 422
    assert "niet leegmaken" in response.text
    assert snapshot(world.wired.db) == before
    # A draft that is emptied goes away.
    post(world, token, "input", {"action": "draft", "text-q1": "Ingediend", "text-q2": "Concept"})
    assert len(contributions(world, invitation_id)) == 2
    post(world, token, "input", {"action": "draft", "text-q1": "Ingediend", "text-q2": ""})
    assert [r.text for r in contributions(world, invitation_id)] == ["Ingediend"]


def test_submitting_an_empty_form_is_refused(world: World) -> None:
    _, token = scheduled(world)
    response = post(world, token, "input", {"action": "submit", "text-q1": ""})
    assert response.status_code == 422
    assert "ten minste één antwoord" in response.text


def test_a_bad_quote_permission_is_refused(world: World) -> None:
    _, token = scheduled(world)
    before = snapshot(world.wired.db)
    response = post(
        world, token, "input", {"action": "submit", "text-q1": "x", "permission-q1": "everyone"}
    )
    assert response.status_code == 422
    assert '<a href="#permission-q1">' in response.text
    assert snapshot(world.wired.db) == before


def test_after_the_session_lessons_and_proposals_are_asked(world: World) -> None:
    invitation_id, token = scheduled(world)
    post(world, token, "input", {"action": "submit", "text-q1": "Vooraf gezegd"})
    world.clock.now = SESSION_END_INNOVATIE + timedelta(minutes=1)
    page = world.client.get(f"/i/{token}/input").text
    assert "Geleerde lessen" in page and "Voorstellen" in page
    assert page.count("<textarea") == 2
    assert "Uw antwoorden vóór de sessie" in page
    assert "Vooraf gezegd" in page
    response = post(
        world,
        token,
        "input",
        {"action": "submit", "text-lessons": "Les", "text-proposals": "Voorstel"},
    )
    assert response.status_code == 303
    kinds = {r.kind: r.text for r in contributions(world, invitation_id)}
    assert kinds == {
        ContributionKind.PRE_SESSION_ANSWER: "Vooraf gezegd",
        ContributionKind.LESSON_LEARNED: "Les",
        ContributionKind.PROPOSAL: "Voorstel",
    }


def test_after_the_input_deadline_the_form_is_read_only(world: World) -> None:
    _, token = scheduled(world)
    post(world, token, "input", {"action": "draft", "text-q1": "Concept"})
    world.clock.now = INPUT_DEADLINE + timedelta(minutes=1)
    page = world.client.get(f"/i/{token}/input").text
    assert "<textarea" not in page
    assert "De termijn voor inbreng is verstreken" in page
    assert "Concept, nog niet ingediend" in page
    before, events = snapshot(world.wired.db), len(world.events)
    response = post(world, token, "input", {"action": "submit", "text-q1": "Te laat"})
    assert response.status_code == 409
    assert '<a href="#input-closed">De termijn voor inbreng is verstreken.</a>' in response.text
    assert problems(response.text) == []
    assert snapshot(world.wired.db) == before
    assert len(world.events) == events


# --------------------------------------------------------------------------------------------
# Language


def test_the_english_switch_is_remembered(world: World) -> None:
    invitation_id, token = world.first()
    response = post(world, token, "language", {"language": "en", "page": "input"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/i/{token}/input"
    inv = invitation(world, invitation_id)
    with world.wired.db.unit_of_work() as session:
        assert session.get_one(Person, inv.person_id).language == "en"
    page = world.client.get(f"/i/{token}").text
    assert '<html lang="en">' in page
    assert "Will you take part?" in page
    assert 'lang="nl"' in page and "Nederlands" in page  # the switch back
    # Later emails follow the remembered language.
    accept(world, token)
    assert mail_to(world, email_of(world, invitation_id), "Confirmation") == [
        "Confirmation: you will join the online conversation"
    ]
    # An unknown language or page changes nothing and redirects to the invitation page.
    response = post(world, token, "language", {"language": "de", "page": "https://evil.example"})
    assert response.headers["location"] == f"/i/{token}"
    with world.wired.db.unit_of_work() as session:
        assert session.get_one(Person, inv.person_id).language == "en"


# --------------------------------------------------------------------------------------------
# Signals and health


def test_a_failing_event_emitter_does_not_undo_the_answer(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    invitation_id, token = world.first()

    def broken(signal: Signal) -> None:
        raise ConnectionError("prefect is down")

    world.client.app.state.web.emitter = broken  # type: ignore[attr-defined]
    with caplog.at_level(logging.ERROR, logger="consult.events"):
        response = post(world, token, "answer", {"answer": "accept"})
    assert response.status_code == 303
    assert invitation(world, invitation_id).status == InvitationStatus.ACCEPTED
    assert "could not emit consult.invitation.responded" in caplog.text
    assert "prefect is down" in caplog.text


def test_health_reports_the_database(world: World) -> None:
    response = world.client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_health_says_503_when_the_database_does_not_answer(web_settings: Settings) -> None:
    from fastapi.testclient import TestClient

    settings = web_settings.model_copy(
        update={"database_url": "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"}
    )
    with TestClient(create_app(settings, emitter=lambda s: None)) as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}

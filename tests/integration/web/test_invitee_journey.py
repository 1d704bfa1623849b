"""One coherent journey for an invitee, on SQLite and PostgreSQL: the invitation email and the
page ask the same thing (one theme, or the round's themes in order); a time several themes
share is asked once and counts for each of them; someone who has not answered sees the times
and answers, ranks and ticks in one form; the confirmation banner follows the stored answer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import select

from consult.events import INVITATION_RESPONDED
from consult.mail.sink import EmlSink
from consult.rounds.answers import lock_invitation
from consult.rounds.respond import Reply, respond
from consult.scheduling.proposal import round_problem
from consult.settings import Settings
from consult.spec import ThemeSpec
from models import (
    Availability,
    CandidateSlot,
    InvitationStatus,
    OutboxKind,
    OutboxMessage,
    Theme,
)
from tests.integration.web.a11y import problems
from tests.integration.web.conftest import BEFORE_DEADLINE, SPEC, World, running, slot
from tests.integration.web.test_invitee_routes import (
    accept,
    count,
    email_of,
    invitation,
    mail_to,
    post,
    snapshot,
    text_of,
)

# Innovatie and Behoud & betrokkenheid both have a slot on 12 March at 14:00.
SHARED_SPEC = SPEC.model_copy(
    update={
        "themes": [
            ThemeSpec(slug="innovatie", slots=[slot(10, 10), slot(12, 14)]),
            ThemeSpec(slug="behoud_betrokkenheid", slots=[slot(11, 10), slot(12, 14)]),
        ]
    }
)
SINGLE_SPEC = SPEC.model_copy(
    update={"themes": [ThemeSpec(slug="innovatie", slots=[slot(10, 10), slot(12, 14)])]}
)
CHECKBOX = re.compile(r'<input type="checkbox" id="slot-(\d+)" name="slot" value="\d+"( checked)?>')
SUMMARY_LINK = re.compile(r'<div class="error-summary".*?<a href="#([a-z-]+)">([^<]+)</a>', re.S)


@pytest.fixture
def shared(web_settings: Settings, sink: EmlSink) -> Iterator[World]:
    with running(web_settings, sink, SHARED_SPEC) as launched:
        yield launched


@pytest.fixture
def single(web_settings: Settings, sink: EmlSink) -> Iterator[World]:
    with running(web_settings, sink, SINGLE_SPEC) as launched:
        yield launched


def invitation_email(w: World, invitation_id: int) -> OutboxMessage:
    with w.wired.db.unit_of_work() as session:
        row = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == OutboxKind.INVITATION,
                OutboxMessage.invitation_id == invitation_id,
            )
        ).one()
        session.expunge(row)
        return row


def slots_at(w: World, day: int, hour: int) -> dict[str, int]:
    """theme slug -> id of its slot at this time in March 2030."""
    start = datetime(2030, 3, day, hour, tzinfo=BEFORE_DEADLINE.tzinfo)
    with w.wired.db.unit_of_work() as session:
        rows = session.execute(
            select(Theme.slug, CandidateSlot.id)
            .join(CandidateSlot.theme)
            .where(CandidateSlot.round_id == w.round_id, CandidateSlot.start == start)
        )
        return {slug: slot_id for slug, slot_id in rows}


def marked(w: World, invitation_id: int) -> set[int]:
    with w.wired.db.unit_of_work() as session:
        return set(
            session.scalars(
                select(Availability.slot_id).where(Availability.invitation_id == invitation_id)
            )
        )


def boxes(html: str) -> dict[int, bool]:
    """The page's time checkboxes: value -> checked."""
    return {int(m.group(1)): bool(m.group(2)) for m in CHECKBOX.finditer(html)}


def full_answer(
    w: World, token: str, answer: str, ranking: list[str], slots: list[int | str]
) -> tuple[int, str]:
    data: dict[str, object] = {"answer": answer, "details": "1", "slot": [str(s) for s in slots]}
    data |= {f"choice-{n}": slug for n, slug in enumerate(ranking, start=1)}
    response = post(w, token, "answer", data)
    return response.status_code, response.headers.get("location") or response.text


# --------------------------------------------------------------------------------------------
# The email and the page ask the same


def test_someone_who_ranks_themes_is_told_so_by_the_email_and_the_page(world: World) -> None:
    invitation_id, token = world.first("innovatie")
    mail = invitation_email(world, invitation_id)
    assert mail.subject.startswith("Uitnodiging: online gesprek over een thema naar keuze")
    assert "in volgorde van voorkeur" in mail.text_body
    assert 'Wij hebben "Innovatie" alvast bovenaan gezet.' in mail.text_body
    assert "\nInnovatie\n- " in mail.text_body
    assert "\nBehoud & betrokkenheid van zorgprofessionals\n- " in mail.text_body
    assert "over het thema" not in mail.text_body

    page = world.client.get(f"/i/{token}").text
    assert "over een van de thema's hieronder" in page
    assert "over het thema" not in page
    # The ranking is part of the answer form, both themes offered, the email's first on top.
    form = page[page.index('action="/i/' + token + '/answer"') :]
    assert '<select id="choice-1" name="choice-1">' in form
    assert form.index('value="innovatie" selected') < form.index(
        'value="behoud_betrokkenheid" selected'
    )


def test_an_invitee_of_a_single_theme_round_is_asked_about_that_theme(single: World) -> None:
    invitation_id, token = single.first("innovatie")
    mail = invitation_email(single, invitation_id)
    assert mail.subject.startswith("Uitnodiging: online gesprek over Innovatie")
    assert 'over het thema "Innovatie"' in mail.text_body
    assert "volgorde" not in mail.text_body

    page = single.client.get(f"/i/{token}").text
    assert "over het thema “Innovatie”" in page
    assert "<select" not in page
    assert len(boxes(page)) == 2
    assert problems(page) == []


# --------------------------------------------------------------------------------------------
# A time is asked once


def test_a_time_two_themes_share_is_asked_once_and_counts_for_both(shared: World) -> None:
    invitation_id, token = shared.first("innovatie")
    both = slots_at(shared, 12, 14)
    assert set(both) == {"innovatie", "behoud_betrokkenheid"}
    page = shared.client.get(f"/i/{token}").text
    # Four slots, three times: 10 March (innovatie), 11 March (behoud), 12 March (both).
    shown = boxes(page)
    assert len(shown) == 3
    assert page.count("dinsdag 12 maart 2030, 14:00\u201315:30") == 1
    assert "(alleen voor Innovatie)" in page
    assert "(alleen voor Behoud &amp; betrokkenheid van zorgprofessionals)" in page
    assert problems(page) == []
    shared_box = next(box for box in shown if box in both.values())

    assert full_answer(shared, token, "accept", [], [shared_box]) == (
        303,
        f"/i/{token}?saved=accepted",
    )
    # Stored per slot, so that scheduling sees the person free at that time in either theme.
    assert marked(shared, invitation_id) == set(both.values())
    person_id = invitation(shared, invitation_id).person_id
    with shared.wired.db.unit_of_work() as session:
        problem = round_problem(
            session, shared.round_id, shared.wired.taxonomy, BEFORE_DEADLINE
        ).problem
    (person,) = [p for p in problem.people if p.id == person_id]
    assert person.available == frozenset(both.values())

    # Once accepted, the times form shows the time once, ticked; unticking it unticks both.
    page = shared.client.get(f"/i/{token}").text
    assert boxes(page) == {box: box == shared_box for box in shown}
    assert post(shared, token, "availability", {"slot": []}).status_code == 303
    assert marked(shared, invitation_id) == set()
    # Any slot of the time stands for the time.
    other = next(i for i in both.values() if i != shared_box)
    assert post(shared, token, "availability", {"slot": [other]}).status_code == 303
    assert marked(shared, invitation_id) == set(both.values())


def test_the_demo_s_invitees_tick_times_through_the_same_use_case(shared: World) -> None:
    invitation_id, _ = shared.first("behoud_betrokkenheid")
    both = slots_at(shared, 12, 14)
    with shared.wired.db.unit_of_work() as session:
        locked = lock_invitation(session, invitation_id)
        replied = respond(
            session, locked, Reply(True, slot_ids=[both["innovatie"]]), BEFORE_DEADLINE
        )
    assert replied.answer_changed and replied.times_changed and not replied.ranking_changed
    assert invitation(shared, invitation_id).status == InvitationStatus.ACCEPTED
    assert marked(shared, invitation_id) == set(both.values())


# --------------------------------------------------------------------------------------------
# Answering in one step


def test_a_pending_invitee_answers_ranks_and_ticks_times_in_one_post(world: World) -> None:
    invitation_id, token = world.first("innovatie")
    page = world.client.get(f"/i/{token}").text
    # The times are there before answering, inside the answer form, next to its buttons.
    form = page[page.index('action="/i/' + token + '/answer"') :]
    form = form[: form.index("</form>")]
    times = boxes(form)
    assert len(times) == 4
    assert "Ja, ik doe mee" in form and "Nee, ik doe niet mee" in form
    assert "Geeft u eerst aan dat u meedoet" not in page

    behoud = slots_at(world, 11, 10)["behoud_betrokkenheid"]
    ranking = ["behoud_betrokkenheid", "innovatie"]
    assert full_answer(world, token, "accept", ranking, [behoud]) == (
        303,
        f"/i/{token}?saved=accepted",
    )
    inv = invitation(world, invitation_id)
    assert inv.status == InvitationStatus.ACCEPTED
    assert inv.theme_preferences == ranking
    assert marked(world, invitation_id) == {behoud}
    # One answer: one event, one confirmation, naming the first choice just made.
    assert [(s.event, s.payload["change"]) for s in world.events] == [
        (INVITATION_RESPONDED, "answer")
    ]
    assert world.events[0].payload["status"] == "accepted"
    assert world.events[0].payload["slot_ids"] == [behoud]
    address = email_of(world, invitation_id)
    assert mail_to(world, address, "Bevestiging") == [
        "Bevestiging: u doet mee aan het online gesprek"
    ]
    assert 'Uw eerste keuze is "Behoud & betrokkenheid van zorgprofessionals"' in text_of(
        world, address, "Bevestiging"
    )
    shown = world.client.get(f"/i/{token}?saved=accepted").text
    assert "Dank u wel: u doet mee" in shown
    assert boxes(shown)[behoud] is True

    # The same form sent again (a double click) changes nothing and confirms nothing.
    before, events = snapshot(world.wired.db), len(world.events)
    assert full_answer(world, token, "accept", ranking, [behoud])[0] == 303
    assert snapshot(world.wired.db) == before
    assert len(world.events) == events


def test_ticking_no_time_is_an_answer_as_well(world: World) -> None:
    invitation_id, token = world.first("innovatie")
    page = world.client.get(f"/i/{token}").text
    assert "Vinkt u niets aan, dan gaan we ervan uit dat elk moment u uitkomt." in page
    assert full_answer(world, token, "accept", [], [])[0] == 303
    assert invitation(world, invitation_id).status == InvitationStatus.ACCEPTED
    assert marked(world, invitation_id) == set()


@pytest.mark.parametrize(
    ("ranking", "slots", "field", "message"),
    [
        (["innovatie", "innovatie"], "first", "ranking", "Kies elk thema precies één keer."),
        (["innovatie", "wellbeing"], "first", "ranking", "Kies elk thema precies één keer."),
        (["innovatie", "behoud_betrokkenheid"], "999999", "availability", "Kies alleen uit"),
        (["innovatie", "behoud_betrokkenheid"], "abc", "availability", "Kies alleen uit"),
    ],
)
def test_a_refused_answer_changes_nothing_and_keeps_what_was_entered(
    world: World, ranking: list[str], slots: str, field: str, message: str
) -> None:
    _, token = world.first("innovatie")
    first = boxes(world.client.get(f"/i/{token}").text)
    ticked = [next(iter(first))] if slots == "first" else [slots]
    before = snapshot(world.wired.db)
    status, page = full_answer(world, token, "accept", ranking, [*ticked, min(first)])

    assert status == 422
    assert snapshot(world.wired.db) == before
    assert world.events == []
    # In Dutch, at the top, linked to the fields it is about, and next to them.
    summary = SUMMARY_LINK.search(page)
    assert summary and summary.group(1) == field and message in summary.group(2)
    assert f'<fieldset id="{field}" aria-describedby="{field}-intro {field}-error">' in page
    assert f'<p class="field-error" id="{field}-error">' in page
    # What was chosen is still chosen.
    assert boxes(page)[min(first)] is True
    if field == "ranking" and ranking[1] == "innovatie":
        second = page[page.index('<select id="choice-2"') :]
        second = second[: second.index("</select>")]
        assert 'value="innovatie" selected' in second
    assert problems(page) == []


def test_declining_in_the_answer_form_leaves_the_order_and_the_times_alone(world: World) -> None:
    invitation_id, token = world.first("innovatie")
    times = list(boxes(world.client.get(f"/i/{token}").text))
    assert full_answer(
        world, token, "decline", ["behoud_betrokkenheid", "innovatie"], times[:1]
    ) == (303, f"/i/{token}?saved=declined")
    inv = invitation(world, invitation_id)
    assert inv.status == InvitationStatus.DECLINED
    assert inv.theme_preferences == ["innovatie", "behoud_betrokkenheid"]
    assert marked(world, invitation_id) == set()
    assert count(world, OutboxMessage, OutboxMessage.kind == OutboxKind.CONFIRMATION) == 0
    # Someone who said no sees the same form to say yes after all, without a second "no".
    page = world.client.get(f"/i/{token}").text
    assert "Ik doe toch mee" in page and "Nee, ik doe niet mee" not in page
    assert len(boxes(page)) == 4
    assert full_answer(world, token, "accept", [], times[1:2])[0] == 303
    assert invitation(world, invitation_id).status == InvitationStatus.ACCEPTED
    assert len(marked(world, invitation_id)) == 1


# --------------------------------------------------------------------------------------------
# The confirmation banner


BANNERS = {
    "accepted": "Dank u wel: u doet mee",
    "declined": "u doet niet mee",
    "availability": "Uw beschikbaarheid is opgeslagen.",
    "ranking": "De volgorde van de thema&#39;s is opgeslagen.",
    "delegated": "Uw collega krijgt een uitnodiging per e-mail.",
}


@pytest.mark.parametrize("stored", ["pending", "accepted", "declined"])
def test_the_banner_follows_the_stored_answer_not_the_link(world: World, stored: str) -> None:
    _, token = world.first("innovatie")
    if stored != "pending":
        post(world, token, "answer", {"answer": "accept" if stored == "accepted" else "decline"})
    expected = {
        "pending": set(),
        "accepted": {"accepted", "availability", "ranking"},
        "declined": {"declined"},
    }[stored]
    for saved, banner in BANNERS.items():
        page = world.client.get(f"/i/{token}?saved={saved}").text
        assert (banner in page) == (saved in expected), (stored, saved)
        assert ('class="notice"' in page) == (saved in expected), (stored, saved)


def test_an_accepted_invitee_opening_a_declined_link_sees_only_that_they_take_part(
    world: World,
) -> None:
    _, token = world.first("innovatie")
    accept(world, token)
    page = world.client.get(f"/i/{token}?saved=declined").text
    assert "Gelukt" not in page and "u doet niet mee" not in page
    assert 'class="notice"' not in page
    assert "U doet mee. Dank u wel!" in page

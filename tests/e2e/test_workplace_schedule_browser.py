"""The schedule page in a real browser (Debian's headless Chromium, Playwright, `consult web` in
its own process on PostgreSQL): a secretariat member opens a round's schedule from its
dashboard, withdraws a slot after confirming, computes a proposal, sees who is placed where and
who is not and why, and applies it; axe-core finds no serious or critical WCAG 2.1 A/AA
violation on any of these pages. Screenshots go to test-artifacts/workplace/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from consult.app.accounts import add_account
from consult.i18n import format_time_range
from consult.mail.sink import EmlSink, free_port
from consult.registry.store import store_rows, sync_reference_data
from consult.rounds.launch import launch_round
from consult.rounds.respond import Reply, respond
from consult.settings import CONFIG_ENV, load_settings
from consult.wiring import open_app
from models import CandidateSlot, Invitation, Person, Role, Theme
from models.base import utcnow
from tests.conftest import _migrated_schema, _pg_base_url
from tests.e2e.test_workplace_browser import (
    ARTIFACTS,
    AXE,
    EMAIL,
    PASSWORD,
    ROUND_NAME,
    Site,
    _axe,
    _day,
    _registry,
    _spec,
)
from tests.e2e.workplace_site import CHROMIUM, serving, sign_in, write_config

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scheduling_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, str]]:
    """The web app on a launched round where three invitees said yes: two ticked the first
    innovation slot, one only the second (which the test withdraws). Yields the site and the
    name of that third person."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium (script/test does)")
    if not AXE.exists():
        pytest.fail("axe-core is missing: npm ci --prefix tests/browser_tools (script/test does)")
    workdir = tmp_path_factory.mktemp("schedule")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with _migrated_schema(_pg_base_url()) as database_url, EmlSink(workdir / "mail") as sink:
        config = write_config(workdir, database_url, base_url, sink.port)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(CONFIG_ENV, str(config))
            settings = load_settings()
        with open_app(settings) as wired:
            with wired.db.unit_of_work() as session:
                sync_reference_data(session, wired.taxonomy)
                store_rows(session, _registry())
                round_id = launch_round(
                    session, _spec(), settings.organiser.name, settings.organiser.email
                ).round_id
                slots = {
                    s.start: s.id
                    for s in session.scalars(
                        select(CandidateSlot)
                        .join(Theme, Theme.id == CandidateSlot.theme_id)
                        .where(CandidateSlot.round_id == round_id, Theme.slug == "innovatie")
                    )
                }
                first, second = slots[_day(10, 10)], slots[_day(12, 14)]
                invitations = session.scalars(
                    select(Invitation)
                    .where(Invitation.round_id == round_id)
                    .order_by(Invitation.id)
                ).all()
                for invitation, ticked in zip(
                    invitations, ([first], [first], [second]), strict=False
                ):
                    respond(session, invitation, Reply(True, slot_ids=ticked), utcnow())
                late = session.get_one(Person, invitations[2].person_id).name
                made = add_account(
                    session,
                    wired,
                    EMAIL,
                    Role.SECRETARIAAT,
                    name="Fatima Bouzid",
                    password=PASSWORD,
                )
            assert made.totp_secret is not None
        with serving(config, port, workdir / "web.log"):
            yield Site(base_url, made.totp_secret), late


def test_the_secretariat_computes_looks_over_and_applies_a_proposal(
    scheduling_site: tuple[Site, str],
    browser: Any,
) -> None:
    site, late = scheduling_site
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(bypass_csp=True, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    found: list[str] = []

    sign_in(page, site.base_url, EMAIL, PASSWORD, site.totp_secret)

    page.get_by_role("link", name=ROUND_NAME).click()
    page.wait_for_url("**/werkplek/rondes/*")
    page.get_by_role("link", name="Indeling van de sessies").click()
    page.wait_for_url("**/indeling")
    assert page.get_by_role("heading", level=1).inner_text() == f"Indeling van {ROUND_NAME}"
    assert "Er is nog geen voorstel berekend." in page.get_by_role("main").inner_text()
    found += _axe(page, "s1-schedule-empty")

    # The second innovation slot goes; the page asks to confirm first.
    second = format_time_range(_day(12, 14), _day(12, 14) + timedelta(minutes=90), "nl")
    page.get_by_role("link", name=f"Tijdslot van {second} intrekken").click()
    page.wait_for_url("**/indeling?intrekken=*")
    found += _axe(page, "s2-withdraw-confirm")
    page.get_by_role("button", name="Tijdslot intrekken").click()
    page.wait_for_url("**/intrekken")
    assert "Vink het vakje aan" in page.get_by_role("alert").inner_text()
    found += _axe(page, "s3-withdraw-unconfirmed")
    page.get_by_label("Ja, trek dit tijdslot in").check()
    page.get_by_role("button", name="Tijdslot intrekken").click()
    page.wait_for_url("**/indeling?melding=ingetrokken")
    assert "Het tijdslot is ingetrokken." in page.get_by_role("status").inner_text()

    page.get_by_role("button", name="Voorstel berekenen").click()
    page.wait_for_url("**/indeling?melding=berekend*")
    assert "2 van 3 mensen ingedeeld" in page.get_by_role("status").inner_text()
    unplaced = page.get_by_role("table", name="Niet ingedeeld").inner_text()
    assert late in unplaced and "geen tijdslot van een gekozen thema" in unplaced
    assert (
        "agenda-uitnodiging"
        in page.get_by_role("table", name="Wat toepassen verandert").inner_text()
    )
    found += _axe(page, "s4-proposal")
    page.screenshot(path=str(ARTIFACTS / "s4-proposal.png"), full_page=True)

    page.get_by_role("button", name="Voorstel toepassen").click()
    page.wait_for_url("**/indeling?melding=toegepast*")
    said = page.get_by_role("status").inner_text()
    assert "1 nieuwe sessie" in said and "2 agendaberichten klaargezet" in said
    assert page.get_by_role("table", name="Innovatie: 2 mensen").first.is_visible()
    found += _axe(page, "s5-applied")
    page.screenshot(path=str(ARTIFACTS / "s5-applied.png"), full_page=True)
    assert found == []

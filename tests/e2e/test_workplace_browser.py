"""The workplace in a real browser: Debian's headless Chromium, driven by Playwright, against
`consult web` in its own process on PostgreSQL. A secretariat member signs in with password and
TOTP code, sees the rounds list and opens a round's dashboard, the people of the round and one
invitee, corrects a bounced address, reads in a registry file with two bad rows and sees them,
and looks at the outgoing mail; axe-core (npm, pinned in tests/browser_tools) checks every page
on the way against WCAG 2.1 A and AA and finds no serious or critical violation. Screenshots go
to test-artifacts/workplace/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pyotp
import pytest
from sqlalchemy import select

from consult.app.accounts import add_account
from consult.mail.outbox import suppress
from consult.mail.sink import EmlSink, free_port
from consult.registry.parsing import RegistryRow
from consult.registry.store import store_rows, sync_reference_data
from consult.rounds.invite import queue_invitations
from consult.rounds.launch import launch_round
from consult.settings import CONFIG_ENV, PROJECT_ROOT, load_settings
from consult.spec import RoundSpec, SlotSpec, ThemeSpec
from consult.wiring import open_app
from models import Invitation, OutboxMessage, OutboxStatus, Role
from models.base import utcnow
from tests.conftest import _migrated_schema, _pg_base_url
from tests.e2e.workplace_site import CHROMIUM, serving, write_config

pytestmark = pytest.mark.slow

AXE = PROJECT_ROOT / "tests" / "browser_tools" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "workplace"
AMS = ZoneInfo("Europe/Amsterdam")
EMAIL = "fatima.bouzid@wiz.example"
PASSWORD = "een lange zin als wachtwoord"
ROUND_NAME = "Consultatieronde najaar"
BOUNCED = "bram@ggz-twente.example"
REGISTRY_CSV = (
    "organisatie;sector;regio;naam;e-mailadres;functie\n"
    "Zorggroep Twente VVT;vvt;Twente;Eva Evers;eva@zorg-twente.example;bestuurder\n"
    "Zorggroep Fout;vvt;Twente;Frank Fout;frank@@fout;bestuurder\n"
    "Tandartsen Oost;tandarts;Twente;Tim Tand;tim@tand.example;\n"
)


def _day(days: int, hour: int) -> datetime:
    day = (utcnow() + timedelta(days=days)).astimezone(AMS).date()
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=AMS)


def _spec() -> RoundSpec:
    def slot(days: int, hour: int) -> SlotSpec:
        return SlotSpec(start=_day(days, hour), end=_day(days, hour) + timedelta(minutes=90))

    return RoundSpec(
        slug="werkplek-ronde",
        name=ROUND_NAME,
        answer_deadline=_day(7, 17),
        input_deadline=_day(40, 23),
        holiday_slots="warn",
        invitees_per_theme=2,
        group_min=1,
        group_max=6,
        min_sectors=0,
        themes=[
            ThemeSpec(slug="innovatie", slots=[slot(10, 10), slot(12, 14)]),
            ThemeSpec(slug="behoud_betrokkenheid", slots=[slot(11, 10), slot(13, 14)]),
        ],
    )


def _registry() -> list[RegistryRow]:
    people = [
        ("Anneke de Vries", "anneke@zorg-achterhoek.example", "vvt", "Achterhoek"),
        ("Bram Jansen", "bram@ggz-twente.example", "ggz", "Twente"),
        ("Carla Smit", "carla@zkh-zwolle.example", "ziekenhuis", "Zwolle"),
        ("Daan Bakker", "daan@mbo-twente.example", "mbo", "Twente"),
    ]
    return [
        RegistryRow(
            row=n + 2,
            organisation=f"Zorggroep {region} {sector.upper()}",
            sector=sector,
            region=region,
            name=name,
            email=address,
            role="bestuurder",
            language="nl",
        )
        for n, (name, address, sector, region) in enumerate(people)
    ]


@dataclass
class Site:
    base_url: str
    totp_secret: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium (script/test does)")
    if not AXE.exists():
        pytest.fail("axe-core is missing: npm ci --prefix tests/browser_tools (script/test does)")
    workdir = tmp_path_factory.mktemp("workplace")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with _migrated_schema(_pg_base_url()) as database_url, EmlSink(workdir / "mail") as sink:
        # Mailing review has its own browser test (test_workplace_mailings_browser.py).
        config = write_config(
            workdir, database_url, base_url, sink.port, extra="[mail]\nrequire_approval = false\n"
        )
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
                ids = session.scalars(select(Invitation.id).where(Invitation.round_id == round_id))
                queue_invitations(session, wired.mail_context(), list(ids))
                # One address bounced for good: the secretariat corrects it in the browser.
                for message in session.scalars(
                    select(OutboxMessage).where(OutboxMessage.recipient_email == BOUNCED)
                ):
                    reply = f"550 5.1.1 <{BOUNCED}>: Recipient address rejected: User unknown"
                    message.status, message.last_error = OutboxStatus.FAILED, reply
                    suppress(session, BOUNCED, reply, message.id)
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
            yield Site(base_url, made.totp_secret)


def _axe(page: Any, name: str) -> list[str]:
    """The serious and critical WCAG 2.1 A/AA violations axe-core finds on the page."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """() => axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
            resultTypes: ['violations'],
        })"""
    )
    (ARTIFACTS / f"axe-{name}.json").write_text(
        json.dumps(result["violations"], indent=2), encoding="utf-8"
    )
    return [
        f"{name}: {v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_a_secretariat_member_signs_in_with_password_and_code_and_sees_the_rounds(
    site: Site, browser: Any
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # axe-core is injected as a script; the app's policy allows none of its own.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    found: list[str] = []

    page.goto(f"{site.base_url}/werkplek/")
    page.wait_for_url("**/werkplek/aanmelden")
    assert page.get_by_role("heading", level=1).inner_text() == "Aanmelden"
    found += _axe(page, "1-sign-in")
    page.screenshot(path=str(ARTIFACTS / "1-sign-in.png"), full_page=True)

    # A keyboard user starts at the skip link.
    page.keyboard.press("Tab")
    assert page.locator(":focus").inner_text() == "Naar de inhoud"

    page.get_by_label("E-mailadres").fill(EMAIL)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Verder").click()
    page.wait_for_url("**/werkplek/aanmelden/code")
    found += _axe(page, "2-code")
    page.screenshot(path=str(ARTIFACTS / "2-code.png"), full_page=True)

    # The password alone opens no page.
    other = context.new_page()
    other.goto(f"{site.base_url}/werkplek/rondes/1")
    assert other.url.endswith("/werkplek/aanmelden/code")
    other.close()

    page.get_by_label("Code (6 cijfers)").fill(pyotp.TOTP(site.totp_secret).now())
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url("**/werkplek/")
    assert page.get_by_role("heading", level=1).inner_text() == "Rondes"
    row = page.get_by_role("row", name=ROUND_NAME)
    assert "uitnodigen" in row.inner_text()
    found += _axe(page, "3-rounds")
    page.screenshot(path=str(ARTIFACTS / "3-rounds.png"), full_page=True)

    page.get_by_role("link", name=ROUND_NAME).click()
    page.wait_for_url("**/werkplek/rondes/*")
    assert page.get_by_role("heading", level=1).inner_text() == ROUND_NAME
    assert page.get_by_role("heading", name="Per thema").is_visible()
    assert page.get_by_role("heading", name="Wat er nu gebeurt").is_visible()
    assert page.get_by_role("heading", name="Uitgaande mail").is_visible()
    found += _axe(page, "4-dashboard")
    page.screenshot(path=str(ARTIFACTS / "4-dashboard.png"), full_page=True)

    # The people of the round, filtered to those whose address bounced.
    page.get_by_role("link", name="Mensen in deze ronde").click()
    page.wait_for_url("**/mensen")
    assert page.get_by_role("heading", level=1).inner_text() == f"Mensen in {ROUND_NAME}"
    found += _axe(page, "5-people")
    page.screenshot(path=str(ARTIFACTS / "5-people.png"), full_page=True)
    page.get_by_label("Status").select_option("bounced")
    page.get_by_role("button", name="Tonen").click()
    page.wait_for_url("**/mensen?status=bounced*")
    page.get_by_role("link", name="Bram Jansen").click()
    page.wait_for_url("**/mensen/*")
    assert "550 5.1.1" in page.get_by_role("main").inner_text()
    found += _axe(page, "6-person")
    page.screenshot(path=str(ARTIFACTS / "6-person.png"), full_page=True)
    page.get_by_label("Nieuw e-mailadres").fill("bram.jansen@ggz-twente.example")
    page.get_by_role("button", name="Adres opslaan").click()
    page.wait_for_url("**/mensen/*?melding=adres*")
    assert "Het adres is verbeterd." in page.get_by_role("status").inner_text()
    found += _axe(page, "7-person-corrected")

    # The registry: a file with two bad rows, its report, then the valid row stored.
    page.get_by_role("navigation", name="Werkplek").get_by_role("link", name="Register").click()
    page.wait_for_url("**/werkplek/register")
    found += _axe(page, "8-registry")
    page.screenshot(path=str(ARTIFACTS / "8-registry.png"), full_page=True)
    page.get_by_role("link", name="Bestand inlezen").click()
    page.wait_for_url("**/register/inlezen")
    found += _axe(page, "9-upload")
    page.get_by_label("Bestand").set_input_files(
        files=[{"name": "register.csv", "mimeType": "text/csv", "buffer": REGISTRY_CSV.encode()}]
    )
    page.get_by_role("button", name="Bestand lezen").click()
    page.wait_for_url("**/register/inlezen/*")
    rejected = page.get_by_role("table").inner_text()
    assert "frank@@fout" in rejected and "tandarts" in rejected
    found += _axe(page, "10-upload-report")
    page.screenshot(path=str(ARTIFACTS / "10-upload-report.png"), full_page=True)
    page.get_by_role("button", name="1 geldige rij opslaan").click()
    page.wait_for_url("**/werkplek/register?melding=ingelezen*")
    assert "1 nieuwe persoon" in page.get_by_role("status").first.inner_text()
    page.get_by_role("link", name="Eva Evers").click()
    page.wait_for_url("**/register/mensen/*")
    found += _axe(page, "11-registry-person")
    page.goto(f"{site.base_url}/werkplek/register/organisaties")
    found += _axe(page, "12-organisations")

    # Outgoing mail, and the failed messages in it.
    page.get_by_role("link", name="Uitgaande mail").first.click()
    page.wait_for_url("**/werkplek/uitgaand")
    found += _axe(page, "13-outbox")
    page.screenshot(path=str(ARTIFACTS / "13-outbox.png"), full_page=True)
    page.goto(f"{site.base_url}/werkplek/uitgaand?staat=sent")
    assert page.get_by_role("heading", name="Berichten: verzonden").is_visible()
    found += _axe(page, "14-outbox-sent")

    page.get_by_role("button", name="Afmelden").click()
    page.wait_for_url("**/werkplek/aanmelden?melding=afgemeld")
    assert "U bent afgemeld." in page.get_by_role("status").inner_text()
    page.goto(f"{site.base_url}/werkplek/")
    assert "/werkplek/aanmelden" in page.url
    context.close()

    assert found == []
